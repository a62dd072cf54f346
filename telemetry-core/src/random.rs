//! Random bytes, UUIDs and names, from the operating system's generator through `getrandom`
//! (the one the TLS stack builds anyway, and a small crate without it).

use std::fmt::Write as _;

/// `N` random bytes. Should the operating system's generator fail (it does not, short of a
/// broken system), the bytes are derived from the time and a counter instead: identifiers then
/// still differ between runs, and nothing panics.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    if getrandom::getrandom(&mut bytes).is_err() {
        fallback(&mut bytes);
    }
    bytes
}

/// A random UUID v4, lowercase and hyphenated: `2f75d020-684e-4224-9013-35e95e1b7721`.
pub(crate) fn uuid_v4() -> String {
    let mut bytes = bytes::<16>();
    // Version 4, variant RFC 4122.
    if let Some(byte) = bytes.get_mut(6) {
        *byte = (*byte & 0x0f) | 0x40;
    }
    if let Some(byte) = bytes.get_mut(8) {
        *byte = (*byte & 0x3f) | 0x80;
    }
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// A random name for a temporary file: 32 lowercase hex digits.
pub(crate) fn token() -> String {
    crate::hex::encode(&bytes::<16>())
}

/// Bytes from the time, the process and a counter, hashed: unpredictable enough to tell runs
/// apart, for the generator's failure only.
fn fallback(out: &mut [u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Vec::with_capacity(64);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    seed.extend_from_slice(&now.to_le_bytes());
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    for chunk in out.chunks_mut(32) {
        seed.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        let digest = crate::sha256::digest(&[&seed]);
        for (slot, byte) in chunk.iter_mut().zip(digest) {
            *slot = byte;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{bytes, fallback, token, uuid_v4};

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (first, second) = (uuid_v4(), uuid_v4());
        assert_ne!(first, second);
        for id in [&first, &second] {
            assert!(crate::model::context::Context::is_execution_id(id), "{id}");
        }
        assert_ne!(bytes::<32>(), bytes::<32>());
        assert_eq!(token().len(), 32);
    }

    #[test]
    fn the_fallback_fills_every_byte_and_differs_each_time() {
        let (mut first, mut second) = ([0_u8; 48], [0_u8; 48]);
        fallback(&mut first);
        fallback(&mut second);
        assert_ne!(first, second);
        assert!(first[32..].iter().any(|byte| *byte != 0));
    }
}
