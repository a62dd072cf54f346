//! werf's catalog, behind the `werf` feature: its seven events, with werf's field names, order
//! and omission rules, their documented examples (in [`examples`]), which reproduce werf's
//! published payloads, and werf's presets.
//!
//! Every integer is non-negative except [`CommandExited::exit_code`]. Closed value sets are
//! enums.
//!
//! ```
//! use telemetry_core::{Telemetry, werf};
//!
//! let settings = telemetry_core::Settings {
//!     command: "werf converge".into(),
//!     endpoint: Some(werf::ENDPOINT.into()),
//!     ..werf::settings("2.1.0")
//! };
//! assert_eq!(settings.env_prefix, "WERF");
//! assert_eq!(settings.span_name, "telemetry.werf.io");
//! # let telemetry = Telemetry::builder(settings).vars([("WERF_TELEMETRY".into(), "0".into())]).build();
//! ```

pub mod examples;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::environment::EnvVar;
use crate::{Notice, Settings, TelemetryEvent};

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

/// Command execution started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::command_started)]
pub struct CommandStarted {
    /// The command's options that were given a value, by flag name only, never the value; absent
    /// when none were.
    ///
    /// werf lists the options but fills in none of `asCli`, `asEnv` and `count`: its payloads
    /// always say `false`, `false` and `0`, as its own example does; a program using this
    /// runtime fills them in.
    ///
    /// Customer content: which options to give is the user's choice.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command_options: Vec<CommandOption>,
}

/// One option of the command, by name: the value is never collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandOption {
    /// The option's flag name, without leading dashes.
    pub name: String,
    /// Whether the option was set on the command line (werf always sends `false`).
    pub as_cli: bool,
    /// Whether the option was set through an environment variable (werf always sends `false`).
    pub as_env: bool,
    /// How many times the option was given (werf always sends `0`).
    pub count: u32,
}

/// Command execution completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::command_exited)]
pub struct CommandExited {
    /// The command's exit code.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub exit_code: i32,
    /// How long the command ran, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
}

/// Unshallowing the git repository failed in GitLab CI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::unshallow_failed)]
pub struct UnshallowFailed {
    /// The error message of the failed unshallow.
    ///
    /// Raw error text from git, which can quote remote URLs and paths.
    #[telemetry(class = call_stack_or_exception, purpose = performance_and_health)]
    pub error_message: String,
    /// The GitLab Runner version, from `CI_RUNNER_VERSION`.
    #[telemetry(class = system_metadata, purpose = business_insight)]
    pub gitlab_runner_version: String,
    /// The GitLab Server version, from `CI_SERVER_VERSION`.
    #[telemetry(class = system_metadata, purpose = business_insight)]
    pub gitlab_server_version: String,
}

/// Image build started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::build_started)]
pub struct BuildStarted {
    /// Number of images to build.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub images_count: u32,
    /// The container backend selected.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub container_backend: ContainerBackend,
    /// Whether the tool runs inside a container.
    #[telemetry(class = system_metadata, purpose = business_insight)]
    pub in_container: bool,
}

/// The container backend that builds images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerBackend {
    /// The Docker daemon.
    Docker,
    /// Buildah, daemonless.
    Buildah,
}

/// Image build completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::build_finished)]
pub struct BuildFinished {
    /// How long the build took, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
    /// Whether the build succeeded.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub success: bool,
    /// Number of images built.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub images_count: u32,
}

/// Individual image build completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::image_build_finished)]
pub struct ImageBuildFinished {
    /// The image's name in the project's configuration.
    ///
    /// Customer content: a name the user chose.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    pub image: String,
    /// How long the image took to build, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
    /// Whether the image was rebuilt rather than taken from cache.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub rebuilt: bool,
    /// How the image is configured; absent when unknown to the build.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_type: Option<ConfigType>,
}

/// How an image is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigType {
    /// werf's own Stapel builder.
    Stapel,
    /// A Dockerfile.
    Dockerfile,
    /// A Dockerfile built stage by stage.
    Staged,
    /// Another kind of configuration.
    Unknown,
}

/// Individual stage build completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TelemetryEvent)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[telemetry(version = 2, example = examples::stage_build_finished)]
pub struct StageBuildFinished {
    /// The image's name in the project's configuration.
    ///
    /// Customer content: a name the user chose.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    pub image: String,
    /// The stage's name.
    ///
    /// Customer content: the names of a Dockerfile's stages are the user's.
    #[telemetry(class = customer_content, purpose = feature_insight)]
    pub stage: String,
    /// How long the stage took to build, in milliseconds.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub duration_ms: u64,
    /// Whether the stage was taken from cache.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub from_cache: bool,
    /// Where the stage's base image came from.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub base_image_source: BaseImageSource,
    /// Whether the base image was pulled.
    #[telemetry(class = system_metadata, purpose = performance_and_health)]
    pub base_image_pulled: bool,
}

/// Where a stage's base image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BaseImageSource {
    /// The project's image repository.
    Repo,
    /// A secondary (read-only) repository.
    Secondary,
    /// Neither: the stage is not based on a stored image.
    #[serde(rename = "")]
    Empty,
}
