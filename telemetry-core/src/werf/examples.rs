//! The documented example payloads of the catalog: werf's published examples, and a realistic
//! one for [`UnshallowFailed`], which werf's page has none for.

use std::collections::BTreeMap;

use super::{
    BaseImageSource, BuildFinished, BuildStarted, CommandExited, CommandOption, CommandStarted,
    ConfigType, ContainerBackend, ImageBuildFinished, StageBuildFinished, UnshallowFailed,
};
use crate::{Attributes, Context, Envelope};

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
            error_message: "git fetch --unshallow failed: exit status 128: fatal: shallow file \
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
