//! The per-run [`Context`] every envelope carries, and its environment [`Attributes`].

use std::collections::BTreeMap;

#[cfg(feature = "schema")]
use schemars::{Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// What stays the same for every event of one run: who, where, which command.
///
/// An example's context is [`Context::example`], changed where the example needs it:
///
/// ```
/// use telemetry_core::Context;
///
/// let mut context = Context::example("acme deploy");
/// context.attributes.ci = true;
/// context.attributes.ci_name = Some("github-actions".into());
/// assert!(Context::is_execution_id(&context.execution_id));
/// assert!(Context::is_project_id(&context.project_id)); // "" when not detected
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// `executionID`: a random UUID (v4) per process run, tying the run's events together.
    pub execution_id: String,
    /// `userID`: a pseudonymous user identifier chosen by the host program; `""` when not set.
    pub user_id: String,
    /// `projectID`: lowercase hex SHA-256 of the project's normalised git origin URL (`host:::path`,
    /// without user, password, port, query, fragment, one leading `/` of the path and a
    /// trailing `.git`); `""` when not detected.
    pub project_id: String,
    /// `command`: the command path, words joined by spaces, like `"werf converge"`.
    pub command: String,
    /// `attributes`: the environment the command runs in.
    pub attributes: Attributes,
}

impl Context {
    /// A fixed, valid context for documented examples: the `executionID` of werf's published
    /// examples, no user or project ID, `command`, and a Linux amd64 machine outside CI running
    /// version `1.0.0`.
    ///
    /// ```
    /// use telemetry_core::Context;
    ///
    /// let context = Context::example("acme deploy");
    /// assert!(Context::is_execution_id(&context.execution_id));
    /// assert_eq!(context.command, "acme deploy");
    /// ```
    pub fn example(command: &str) -> Self {
        Context {
            execution_id: "2f75d020-684e-4224-9013-35e95e1b7721".into(),
            user_id: String::new(),
            project_id: String::new(),
            command: command.into(),
            attributes: Attributes {
                arch: "amd64".into(),
                os: "linux".into(),
                group_channel: None,
                version: "1.0.0".into(),
                ci: false,
                ci_name: None,
                extra: BTreeMap::new(),
            },
        }
    }

    /// JSON Schema `pattern` of `executionID`: a lowercase hyphenated UUID v4.
    pub const EXECUTION_ID_PATTERN: &'static str =
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
    /// JSON Schema `pattern` of `projectID`: 64 lowercase hex digits, or empty.
    pub const PROJECT_ID_PATTERN: &'static str = "^([0-9a-f]{64})?$";
    /// JSON Schema `pattern` of `userID`: empty, or up to 128 ASCII letters, digits and `._:-`.
    /// A pseudonymous identifier needs no more, and an e-mail address or a name does not fit.
    pub const USER_ID_PATTERN: &'static str = "^[0-9A-Za-z._:-]{0,128}$";

    /// Whether `id` matches [`EXECUTION_ID_PATTERN`](Self::EXECUTION_ID_PATTERN).
    pub fn is_execution_id(id: &str) -> bool {
        let bytes = id.as_bytes();
        bytes.len() == 36
            && bytes.iter().enumerate().all(|(index, &byte)| match index {
                8 | 13 | 18 | 23 => byte == b'-',
                14 => byte == b'4',
                19 => matches!(byte, b'8' | b'9' | b'a' | b'b'),
                _ => matches!(byte, b'0'..=b'9' | b'a'..=b'f'),
            })
    }

    /// Whether `id` matches [`PROJECT_ID_PATTERN`](Self::PROJECT_ID_PATTERN).
    pub fn is_project_id(id: &str) -> bool {
        id.is_empty()
            || (id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    }

    /// Whether `id` matches [`USER_ID_PATTERN`](Self::USER_ID_PATTERN).
    pub fn is_user_id(id: &str) -> bool {
        id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
    }
}

/// `attributes`: the environment a command runs in.
///
/// Serialises with keys in the order `arch, os, groupChannel, version, ci, ciName, extra`;
/// `groupChannel` and `ciName` are absent when `None`. The descriptions name variables with
/// placeholders (`{PREFIX}`, `{GROUP_CHANNEL}`), which the generated schemas and docs fill in
/// with the program's own names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "schema",
    schemars(
        description = "The environment the command runs in.",
        transform = ci_may_be_absent
    )
)]
pub struct Attributes {
    /// CPU architecture, in Go's GOARCH names: `amd64`, `arm64`, ...
    pub arch: String,
    /// Operating system, in Go's GOOS names: `linux`, `darwin`, `windows`, ...
    pub os: String,
    /// The release channel the tool came from, copied from `{GROUP_CHANNEL}`; absent when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_channel: Option<String>,
    /// The tool's version; `dev` for development builds.
    pub version: String,
    /// Whether the command runs in a CI/CD system; absent means `false`.
    // This runtime always sends it; werf's released client leaves it out when false, and the
    // schemas take what werf's own client sends (see `ci_may_be_absent`).
    #[serde(default)]
    pub ci: bool,
    /// The CI/CD system detected (`gitlab`, `github-actions`, ...); absent when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_name: Option<String>,
    /// Additional attributes the user set, from `{PREFIX}_TELEMETRY_EXTRA_ATTRIBUTE_*` variables.
    #[cfg_attr(feature = "schema", schemars(schema_with = "extra_schema"))]
    pub extra: BTreeMap<String, String>,
}

impl Attributes {
    /// At most this many `extra` attributes are kept (by this runtime: the schemas accept any
    /// number, as werf's own client sends).
    pub const MAX_EXTRA: usize = 32;
    /// An `extra` key is at most this many characters long.
    pub const MAX_EXTRA_KEY_CHARS: usize = 64;
    /// An `extra` value is at most this many characters long.
    pub const MAX_EXTRA_VALUE_CHARS: usize = 256;
}

/// `ci` is always sent by this runtime, so a schema of what it serialises would require it; the
/// schemas take what werf's released client sends too, which leaves `ci` out when it is false.
#[cfg(feature = "schema")]
fn ci_may_be_absent(schema: &mut Schema) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.retain(|key| key != "ci");
    }
}

/// `extra` is the one open object of the envelope: any key, string values. The schema sets no
/// limit: werf's released client sends every `WERF_TELEMETRY_EXTRA_ATTRIBUTE_*` it finds, an
/// empty key and any length included, and a receiver's body limits bound what one event can
/// carry. This runtime's own limits ([`Attributes::MAX_EXTRA`] and the others) bound what it
/// sends.
#[cfg(feature = "schema")]
fn extra_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "additionalProperties": { "type": "string" },
    })
}

#[cfg(test)]
mod tests {
    use super::Context;

    #[test]
    fn execution_ids_are_lowercase_uuid_v4() {
        assert!(Context::is_execution_id(
            "2f75d020-684e-4224-9013-35e95e1b7721"
        ));
        assert!(!Context::is_execution_id(
            "2F75D020-684E-4224-9013-35E95E1B7721"
        ));
        assert!(!Context::is_execution_id(
            "2f75d020-684e-1224-9013-35e95e1b7721"
        ));
        assert!(!Context::is_execution_id(
            "2f75d020-684e-4224-c013-35e95e1b7721"
        ));
        assert!(!Context::is_execution_id(
            "2f75d020684e4224901335e95e1b7721"
        ));
        assert!(!Context::is_execution_id(""));
    }

    #[test]
    fn project_ids_are_sha256_hex_or_empty() {
        assert!(Context::is_project_id(""));
        assert!(Context::is_project_id(&"ab".repeat(32)));
        assert!(!Context::is_project_id(&"AB".repeat(32)));
        assert!(!Context::is_project_id(&"ab".repeat(31)));
    }

    #[test]
    fn user_ids_are_short_ascii_tokens() {
        assert!(Context::is_user_id(""));
        assert!(Context::is_user_id("4c1f6d2e-user.id:1_x"));
        assert!(Context::is_user_id(&"a".repeat(128)));
        assert!(!Context::is_user_id(&"a".repeat(129)));
        assert!(!Context::is_user_id("someone@example.com"));
        assert!(!Context::is_user_id("John Doe"));
    }
}
