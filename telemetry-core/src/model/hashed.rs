//! [`Hashed`]: a value sent as a keyed hash, never as itself.
//!
//! The key is the installation's secret, which the runtime generates once and keeps in the
//! user's configuration directory and never sends: the same value gives the same hash on one
//! installation, so events can be counted by it, and nobody without the secret can tell the
//! value from the hash, or link hashes of two installations (werf's `projectID`, unsalted, is
//! reversed by anyone holding a list of public repository addresses). When the secret cannot be
//! stored, each run uses a fresh one. Documented examples use [`HashKey::EXAMPLE`], so that they
//! are the same on every run.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::OnceLock;

#[cfg(feature = "schema")]
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// A value of a field that is sent as its HMAC-SHA-256, keyed with the installation's secret, in
/// lowercase hex: 64 characters matching `^[0-9a-f]{64}$`. Its field is
/// [`end_user_pseudonymized`](crate::classify::DataClass::EndUserPseudonymized) whatever the value was, and the
/// derive knows it: on a `Hashed` field, `class` says what the value was, and may be left out.
///
/// ```
/// use telemetry_core::{Envelope, Hashed, TelemetryEvent};
///
/// /// A plugin was loaded.
/// #[derive(serde::Serialize, telemetry_core::JsonSchema, TelemetryEvent)]
/// #[serde(rename_all = "camelCase")]
/// #[telemetry(version = 1, example = loaded)]
/// pub struct PluginLoaded {
///     /// The plugin's name, hashed: plugins are the user's own.
///     #[telemetry(class = customer_content, purpose = feature_insight)]
///     pub plugin: Hashed<String>,
/// }
///
/// fn loaded() -> Envelope<PluginLoaded> {
///     Envelope::example("acme run", PluginLoaded { plugin: Hashed::new("my-plugin".into()) })
/// }
///
/// let json = serde_json::to_value(loaded()).unwrap();
/// let sent = json["eventData"]["plugin"].as_str().unwrap();
/// assert_eq!(sent.len(), 64);
/// assert!(!sent.contains("my-plugin"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Hashed<T>(T);

impl<T> Hashed<T> {
    /// A value to send hashed.
    pub fn new(value: T) -> Self {
        Hashed(value)
    }
}

/// Shows no more than is sent.
impl<T> fmt::Debug for Hashed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hashed(..)")
    }
}

impl<T: AsRef<[u8]>> Serialize for Hashed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&current_key().hash(self.0.as_ref()))
    }
}

#[cfg(feature = "schema")]
impl<T> JsonSchema for Hashed<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hashed".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": HashKey::PATTERN,
        })
    }
}

/// The secret a [`Hashed`] value is keyed with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HashKey([u8; 32]);

impl HashKey {
    /// The JSON Schema `pattern` of a hash: 64 lowercase hex digits.
    pub const PATTERN: &'static str = "^[0-9a-f]{64}$";

    /// The key of documented examples (the SHA-256 of `telemetry example key`): examples hash
    /// the same on every run, and say nothing of any installation.
    pub const EXAMPLE: HashKey = HashKey([
        0xd9, 0xe0, 0x8f, 0x1a, 0xef, 0x18, 0x9a, 0x8f, 0x79, 0x56, 0xb1, 0xa5, 0xad, 0x3e, 0x94,
        0xe8, 0xb0, 0x54, 0x54, 0x8a, 0x62, 0xf0, 0x84, 0xdd, 0xed, 0x46, 0xf4, 0x3d, 0xde, 0xa2,
        0xae, 0x44,
    ]);

    /// A key of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        HashKey(bytes)
    }

    /// A fresh random key.
    pub fn random() -> Self {
        HashKey(crate::random::bytes())
    }

    /// The key in hex, as it is stored.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    /// The key a hex string stores; `None` unless it is 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16)
                .ok()
                .filter(|_| pair.bytes().all(|b| b.is_ascii_hexdigit()))?;
        }
        Some(HashKey(bytes))
    }

    /// `value`'s HMAC-SHA-256 with this key, in lowercase hex.
    pub fn hash(&self, value: &[u8]) -> String {
        crate::hex::encode(&crate::sha256::hmac(&self.0, value))
    }

    /// Runs `f` with this key hashing every [`Hashed`] value this thread serialises, and
    /// restores the key before.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = KEY.replace(Some(*self));
        let result = f();
        KEY.set(previous);
        result
    }
}

/// Never shows the key.
impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(..)")
    }
}

thread_local! {
    /// The key of the scope this thread is in, if any.
    static KEY: Cell<Option<HashKey>> = const { Cell::new(None) };
    /// Where this thread gets its key the first time it needs one outside a scope.
    static SOURCE: RefCell<Option<Box<dyn FnOnce() -> HashKey>>> = const { RefCell::new(None) };
}

/// Makes `source` give this thread's key, the first time a [`Hashed`] value is serialised on it
/// outside a [`scope`](HashKey::scope): the runtime's thread reads or creates the installation's
/// secret only when an event has something to hash.
pub(crate) fn key_this_thread_with(source: impl FnOnce() -> HashKey + 'static) {
    SOURCE.set(Some(Box::new(source)));
}

/// The key a value serialised now is hashed with: the scope's, else the thread's, else the
/// process's.
fn current_key() -> HashKey {
    if let Some(key) = KEY.get() {
        return key;
    }
    let source = SOURCE.with_borrow_mut(Option::take);
    match source {
        Some(source) => {
            let key = source();
            KEY.set(Some(key));
            key
        }
        None => *process_key(),
    }
}

/// The key outside any scope (a value serialised by hand): random, once per process, so that
/// nothing is ever sent in the clear.
fn process_key() -> &'static HashKey {
    static PROCESS: OnceLock<HashKey> = OnceLock::new();
    PROCESS.get_or_init(HashKey::random)
}

#[cfg(test)]
mod tests {
    use super::{HashKey, Hashed};

    #[test]
    fn the_example_key_is_the_hash_of_its_name() {
        let bytes = crate::sha256::digest(&[b"telemetry example key"]);
        assert_eq!(HashKey::EXAMPLE, HashKey::from_bytes(bytes));
    }

    #[test]
    fn one_key_one_hash_another_key_another() {
        let value = Hashed::new("my-plugin".to_owned());
        let hashed = |key: HashKey| key.scope(|| serde_json::to_value(&value).unwrap());
        let first = HashKey::from_bytes([1; 32]);
        assert_eq!(hashed(first), hashed(first));
        assert_ne!(hashed(first), hashed(HashKey::from_bytes([2; 32])));
        let text = hashed(first).as_str().unwrap().to_owned();
        assert_eq!(text, first.hash(b"my-plugin"));
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // Outside a scope, a key of the process's own: never the value.
        let outside = serde_json::to_value(&value).unwrap();
        assert_ne!(outside, "my-plugin");
        assert_eq!(outside, serde_json::to_value(&value).unwrap());
        assert_eq!(format!("{value:?}"), "Hashed(..)");
    }

    #[test]
    fn a_threads_source_is_asked_once_and_only_when_needed() {
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let thread_asked = std::sync::Arc::clone(&asked);
        let (first, second, scoped) = std::thread::spawn(move || {
            let key = HashKey::from_bytes([7; 32]);
            super::key_this_thread_with(move || {
                thread_asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                key
            });
            let value = Hashed::new("x");
            let scoped = HashKey::EXAMPLE.scope(|| serde_json::to_value(&value).unwrap());
            let first = serde_json::to_value(&value).unwrap();
            (first, serde_json::to_value(&value).unwrap(), scoped)
        })
        .join()
        .unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(first, HashKey::from_bytes([7; 32]).hash(b"x"));
        assert_eq!(first, second);
        assert_eq!(scoped, HashKey::EXAMPLE.hash(b"x"));
    }

    #[test]
    fn keys_are_stored_as_hex() {
        let key = HashKey::random();
        assert_eq!(HashKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(HashKey::from_hex("zz"), None);
        assert_eq!(HashKey::from_hex(&"+1".repeat(32)), None);
    }
}
