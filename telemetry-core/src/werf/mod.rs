//! werf's catalog, behind the `werf` feature: its seven events, with werf's field names, order
//! and omission rules, their documented examples (in [`examples`]), which reproduce werf's
//! published payloads, and werf's presets. The examples are in this file, beside the events,
//! because the derive names them (`example = examples::...`).
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

mod presets;

use serde::{Deserialize, Serialize};

use crate::{JsonSchema, TelemetryEvent};

pub use crate::model::command_option::CommandOption;
pub use presets::{
    ENDPOINT, ENV_PREFIX, GROUP_CHANNEL, SCHEMAS_URI, SPAN_NAME, TOOL_NAME, notice, settings,
};

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
//
// The schema also accepts two values werf's released client sends that werf's page does not
// list, and that no variant here stands for, so that this runtime sends only what the page
// documents: `"registry"` (the base image was pulled from a registry,
// `pkg/build/image/image.go`) and `"cache-repo"` (a stage taken from `--cache-repo`,
// `pkg/storage/manager/storage_manager.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(transform = released_client_sources)]
pub enum BaseImageSource {
    /// The project's image repository.
    Repo,
    /// A secondary (read-only) repository.
    Secondary,
    /// Neither: the stage is not based on a stored image.
    #[serde(rename = "")]
    Empty,
}

/// Adds to [`BaseImageSource`]'s schema the values werf's released client sends beyond the
/// page's, documented as such.
#[cfg(feature = "schema")]
fn released_client_sources(schema: &mut schemars::Schema) {
    let Some(serde_json::Value::Array(variants)) = schema.get_mut("oneOf") else {
        return;
    };
    for (value, description) in [
        (
            "registry",
            "The base image was pulled from a registry (sent by werf's released client, not on \
             werf's page; never by this runtime).",
        ),
        (
            "cache-repo",
            "The stage was taken from a `--cache-repo` (sent by werf's released client, not on \
             werf's page; never by this runtime).",
        ),
    ] {
        variants.push(serde_json::json!({
            "type": "string",
            "const": value,
            "description": description,
        }));
    }
}

pub mod examples {
    //! The documented example payloads of the catalog: werf's published examples, and a realistic
    //! one for [`UnshallowFailed`], which werf's page has none for.

    use std::collections::BTreeMap;

    use super::{
        BaseImageSource, BuildFinished, BuildStarted, CommandExited, CommandOption, CommandStarted,
        ConfigType, ContainerBackend, ImageBuildFinished, StageBuildFinished, UnshallowFailed,
    };
    use crate::model::context::{Attributes, Context};
    use crate::model::event::Envelope;

    /// The run of `werf converge` in GitLab CI that werf's page shows.
    pub fn converge_in_gitlab_ci() -> Context {
        Context {
            execution_id: "2f75d020-684e-4224-9013-35e95e1b7721".into(),
            user_id: String::new(),
            project_id: "b4c2d019070529344a6967d8c73d578101c6554fcdcae3d00bb93a9692523cb1".into(),
            command: "werf converge".into(),
            attributes: Attributes {
                arch: "amd64".into(),
                os: "linux".into(),
                group_channel: None,
                version: "dev".into(),
                ci: true,
                ci_name: Some("gitlab".into()),
                extra: BTreeMap::new(),
            },
        }
    }

    /// The run of `werf build` on a developer's Mac that werf's page shows.
    pub fn build_on_a_mac() -> Context {
        Context {
            execution_id: "3a8b9c01-123e-4567-8901-23e4567890ab".into(),
            user_id: String::new(),
            project_id: "c4d3e019070529344a6967d8c73d578101c6554fcdcae3d00bb93a9692523cb1".into(),
            command: "werf build".into(),
            attributes: Attributes {
                arch: "arm64".into(),
                os: "darwin".into(),
                group_channel: None,
                version: "2.60.2".into(),
                ci: false,
                ci_name: None,
                extra: BTreeMap::new(),
            },
        }
    }

    /// [`CommandStarted`] of `werf converge`, which was given `--repo`.
    pub fn command_started() -> Envelope<CommandStarted> {
        Envelope::new(
            &converge_in_gitlab_ci(),
            1_658_231_825_280,
            CommandStarted {
                command_options: vec![CommandOption {
                    name: "repo".into(),
                    as_cli: false,
                    as_env: false,
                    count: 0,
                }],
            },
        )
    }

    /// [`CommandExited`] of the same `werf converge`, successful after about 11 seconds.
    pub fn command_exited() -> Envelope<CommandExited> {
        Envelope::new(
            &converge_in_gitlab_ci(),
            1_658_231_836_102,
            CommandExited {
                exit_code: 0,
                duration_ms: 10_827,
            },
        )
    }

    /// [`UnshallowFailed`] during a `werf converge` in GitLab CI, with werf installed by trdl from
    /// the `stable` channel.
    pub fn unshallow_failed() -> Envelope<UnshallowFailed> {
        let mut context = converge_in_gitlab_ci();
        context.attributes.group_channel = Some("stable".into());
        Envelope::new(
            &context,
            1_658_231_826_011,
            UnshallowFailed {
                error_message:
                    "git fetch --unshallow failed: exit status 128: fatal: shallow file \
                                has changed since we read it"
                        .into(),
                gitlab_runner_version: "16.9.1".into(),
                gitlab_server_version: "16.9.2-ee".into(),
            },
        )
    }

    /// [`BuildStarted`] of `werf build` with three images on Docker.
    pub fn build_started() -> Envelope<BuildStarted> {
        Envelope::new(
            &build_on_a_mac(),
            1_709_251_100_000,
            BuildStarted {
                images_count: 3,
                container_backend: ContainerBackend::Docker,
                in_container: false,
            },
        )
    }

    /// [`BuildFinished`] of the same build, successful after 50 seconds.
    pub fn build_finished() -> Envelope<BuildFinished> {
        Envelope::new(
            &build_on_a_mac(),
            1_709_251_150_000,
            BuildFinished {
                duration_ms: 50_000,
                success: true,
                images_count: 3,
            },
        )
    }

    /// [`ImageBuildFinished`] of the build's `backend` image, a Stapel image that was rebuilt.
    pub fn image_build_finished() -> Envelope<ImageBuildFinished> {
        Envelope::new(
            &build_on_a_mac(),
            1_709_251_140_000,
            ImageBuildFinished {
                image: "backend".into(),
                duration_ms: 15_500,
                rebuilt: true,
                config_type: Some(ConfigType::Stapel),
            },
        )
    }

    /// [`StageBuildFinished`] of the `backend` image's `install` stage.
    pub fn stage_build_finished() -> Envelope<StageBuildFinished> {
        Envelope::new(
            &build_on_a_mac(),
            1_709_251_135_000,
            StageBuildFinished {
                image: "backend".into(),
                stage: "install".into(),
                duration_ms: 8_500,
                from_cache: false,
                base_image_source: BaseImageSource::Repo,
                base_image_pulled: true,
            },
        )
    }
}
