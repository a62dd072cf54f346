//! werf's presets: its names, prefix, span name, endpoint, schemas' address, the group-channel
//! variable trdl sets, its [`settings`] and its first-run [`notice`].

use crate::runtime::context::environment::EnvVar;
use crate::runtime::context::notice::Notice;
use crate::runtime::context::settings::Settings;

/// werf's name, its OTLP resource's `service.name`.
pub const TOOL_NAME: &str = "werf";

/// The prefix of werf's environment variables: `WERF_TELEMETRY`, ...
pub const ENV_PREFIX: &str = "WERF";

/// The name of werf's spans and of their instrumentation scope.
pub const SPAN_NAME: &str = "telemetry.werf.io";

/// werf's collector.
pub const ENDPOINT: &str = "https://telemetry.werf.io/v1/traces";

/// Where werf's telemetry schemas are published: the base of their `$id`s.
pub const SCHEMAS_URI: &str = "https://werf.io/schemas/telemetry/";

/// The variable trdl, werf's installer, sets to the group channel werf comes from.
pub const GROUP_CHANNEL: EnvVar = EnvVar {
    name: "TRDL_USE_WERF_GROUP_CHANNEL",
    purpose: "The trdl group channel in use; copied into `attributes.groupChannel` when not empty \
              (a value of more than {MAX_EXTRA_VALUE_CHARS} characters is ignored).",
};

/// werf's settings: its prefix, name, span name and group channel variable, with `version` as
/// `attributes.version`. No endpoint: werf itself sets [`ENDPOINT`].
pub fn settings(version: impl Into<String>) -> Settings {
    Settings {
        span_name: SPAN_NAME.into(),
        group_channel_variable: Some(GROUP_CHANNEL.name.into()),
        ..Settings::new(ENV_PREFIX, TOOL_NAME, version)
    }
}

/// A first-run notice for werf, version 1: what its events hold, said plainly. werf names its
/// own page of the generated docs and its telemetry subcommand, if it has them:
///
/// ```
/// let notice = telemetry_core::Notice {
///     docs_url: Some("https://werf.example/telemetry".into()),
///     ..telemetry_core::werf::notice()
/// };
/// assert!(notice.text("WERF").contains("WERF_TELEMETRY=0"));
/// ```
pub fn notice() -> Notice {
    Notice::new(
        1,
        "werf sends usage telemetry to its developers: the commands you run and the names (never \
         the values) of their options, how long builds take and whether they succeed, the names \
         of images and stages, git's error text when unshallowing fails, and pseudonymous IDs of \
         the run and of the project (an unsalted hash of its Git origin URL).",
    )
}
