//! What the host program says ([`Settings`]) and what the environment says, read once at start:
//! everything the runtime needs once [`decide`](crate::runtime::decision::decide) has found telemetry on.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::detect;
use super::environment::{self, EnvVar};
use super::notice::Notice;
use crate::model::context::Attributes;
use crate::runtime::delivery::transport::Transport;

/// What the host program tells the runtime.
///
/// ```
/// use telemetry_core::Settings;
///
/// let settings = Settings {
///     command: "acme deploy".into(),
///     endpoint: Some("https://telemetry.acme.example/v1/traces".into()),
///     ..Settings::new("ACME", "acme", env!("CARGO_PKG_VERSION"))
/// };
/// assert_eq!(settings.span_name, "acme.telemetry");
/// assert_eq!(settings.group_channel_variable, None);
/// assert_eq!(settings.shutdown_timeout.as_millis(), 250);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The prefix of the environment variables: `WERF` reads `WERF_TELEMETRY`, ...
    pub env_prefix: String,
    /// The tool's name, the OTLP resource's `service.name`: `werf`.
    pub tool_name: String,
    /// `attributes.version`: the tool's version, `dev` for development builds.
    pub tool_version: String,
    /// `command`: the command path, words joined by spaces, like `werf converge`.
    pub command: String,
    /// The project's directory, where `projectID` is detected; `None`: the current directory.
    pub project_dir: Option<PathBuf>,
    /// Whether `projectID` is detected and sent (the default). `false` for a tool with no
    /// notion of a project (`fd`, say): nothing of the project is read, and `projectID` is
    /// `""`, whose privacy cost is then nil.
    pub project_id: bool,
    /// `userID`: a pseudonymous identifier the host program keeps; `""` (the default) for none.
    /// A value that does not match [`Context::USER_ID_PATTERN`](crate::Context::USER_ID_PATTERN)
    /// is replaced by `""`.
    pub user_id: String,
    /// The OTLP/HTTP traces endpoint (ending in `/v1/traces`); `None`: events only go to the
    /// log file. `<PREFIX>_TELEMETRY_TRACE_URL` overrides it.
    pub endpoint: Option<String>,
    /// The name of every OTLP span and of its instrumentation scope; by default
    /// `<tool_name>.telemetry` (werf's is `telemetry.werf.io`).
    pub span_name: String,
    /// The variable whose value is sent as `attributes.groupChannel` (the release channel the
    /// tool was installed from); `None` (the default): `groupChannel` is never sent. werf's is
    /// `TRDL_USE_WERF_GROUP_CHANNEL`.
    pub group_channel_variable: Option<String>,
    /// The most telemetry may cost the host program's thread: starting
    /// ([`Telemetry::from_env`](crate::Telemetry::from_env)) and
    /// [`shutdown`](crate::Telemetry::shutdown) together. Whatever the network does, a run is
    /// never longer than this for telemetry's sake (shutdown aims 2 ms early, for its own
    /// wake-up and for the threads it abandons to end with the process).
    pub shutdown_timeout: Duration,
    /// How many events may wait for the background thread; more are dropped and counted.
    pub queue_capacity: usize,
    /// Who makes the requests to the endpoint: by default
    /// [`Transport::preferred`](crate::otlp::Transport::preferred), the in-process one when the
    /// program is built with it (the `rustls` feature), else the system's `curl` (the `curl`
    /// feature). `None`: nothing is sent to an endpoint, and a diagnostic says so.
    pub transport: Option<Transport>,
    /// Whether the host program allows telemetry at all (a `--no-telemetry` flag, say); the
    /// environment's opt-outs apply either way.
    pub enabled: bool,
    /// The first-run notice, which [`Telemetry::notice`](crate::Telemetry::notice) returns for
    /// the program to show; `None` (the default): the program shows none.
    pub notice: Option<Notice>,
    /// Whether `userID` is the installation's pseudonymous ID: a random UUID made on first use
    /// and kept in the telemetry configuration directory until the user resets it
    /// ([`Control::reset`](crate::Control::reset)). Off by default: `userID` is then
    /// [`user_id`](Self::user_id), `""` unless the program sets it.
    pub installation_id: bool,
}

impl Settings {
    /// Settings with the defaults: no command, the current directory, no user ID, no endpoint,
    /// spans named `<tool_name>.telemetry`, no group channel, a 250 ms shutdown deadline, room
    /// for 1024 queued events, enabled, no first-run notice, no installation ID.
    pub fn new(
        env_prefix: impl Into<String>,
        tool_name: impl Into<String>,
        tool_version: impl Into<String>,
    ) -> Self {
        let tool_name = tool_name.into();
        Settings {
            env_prefix: env_prefix.into(),
            span_name: format!("{tool_name}.telemetry"),
            group_channel_variable: None,
            tool_name,
            tool_version: tool_version.into(),
            command: String::new(),
            project_dir: None,
            project_id: true,
            user_id: String::new(),
            endpoint: None,
            shutdown_timeout: Duration::from_millis(250),
            queue_capacity: 1024,
            transport: Transport::preferred(),
            enabled: true,
            notice: None,
            installation_id: false,
        }
    }
}

/// A snapshot of the environment.
#[derive(Clone)]
pub(crate) struct Environment {
    /// Sorted by name, each name once: a sorted `Vec` compiles to less code in the host
    /// program than a `BTreeMap` of `OsString`s.
    vars: Vec<(OsString, OsString)>,
}

impl Environment {
    /// The snapshot of `vars`; of a name given twice, the later value counts.
    pub(crate) fn new(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut vars: Vec<(OsString, OsString)> = vars.into_iter().collect();
        // Stable: of equal names, the later stays later.
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        Environment { vars }
    }

    /// A variable's value, if it is set.
    pub(crate) fn raw(&self, name: &str) -> Option<&OsStr> {
        let index = self
            .vars
            .binary_search_by(|(key, _)| key.as_os_str().cmp(OsStr::new(name)))
            .ok()?;
        self.vars.get(index).map(|(_, value)| value.as_os_str())
    }

    /// The variables from the first whose name is not less than `name`, in name order.
    fn starting_at(&self, name: &str) -> &[(OsString, OsString)] {
        let start = self
            .vars
            .partition_point(|(key, _)| key.as_os_str() < OsStr::new(name));
        self.vars.get(start..).unwrap_or_default()
    }

    /// A variable's value, if it is set and UTF-8.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).and_then(OsStr::to_str)
    }
}

/// Everything the enabled runtime reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Config {
    /// `<PREFIX>_TELEMETRY_LOG_FILE`.
    pub(crate) log_file: Option<PathBuf>,
    /// `<PREFIX>_TELEMETRY_EXTRA_ATTRIBUTE_*`.
    pub(crate) extra: BTreeMap<String, String>,
    /// The variable [`Settings::group_channel_variable`] names.
    pub(crate) group_channel: Option<String>,
    /// The endpoint, `<PREFIX>_TELEMETRY_TRACE_URL` over the settings'.
    pub(crate) endpoint: Option<String>,
    /// `attributes.ci` and `attributes.ciName`.
    pub(crate) ci: (bool, Option<&'static str>),
    /// Where telemetry keeps its files: what `<PREFIX>_TELEMETRY_CONFIG_DIR` says, or the
    /// platform's directory, which [`config_dir::locate`](crate::runtime::decision::config_dir::locate)
    /// finds off the host program's thread.
    pub(crate) dir: DirSetting,
    /// What was wrong with the environment, for the log file's diagnostics.
    pub(crate) warnings: Vec<String>,
}

/// What `<PREFIX>_TELEMETRY_CONFIG_DIR` says of telemetry's configuration directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum DirSetting {
    /// Unset or empty: the platform's directory.
    #[default]
    Platform,
    /// This directory.
    Configured(PathBuf),
    /// A path that is not absolute, which no file of telemetry's is kept under (it would depend
    /// on where the program runs): why, in words.
    Refused(String),
}

/// Reads every variable of the enabled runtime.
pub(crate) fn read(settings: &Settings, env: &Environment) -> Config {
    let prefix = settings.env_prefix.as_str();
    let mut warnings = Vec::new();
    let non_empty = |var: &EnvVar| -> Option<&OsStr> {
        let name = var.name_for(prefix);
        let value = env.raw(&name).filter(|value| !value.is_empty())?;
        Some(value)
    };
    let log_file = non_empty(&environment::LOG_FILE).map(PathBuf::from);
    let endpoint = non_empty(&environment::TRACE_URL).map(OsStr::to_string_lossy);
    let config_dir = match non_empty(&environment::CONFIG_DIR).map(Path::new) {
        Some(dir) if dir.is_absolute() => DirSetting::Configured(dir.to_owned()),
        Some(dir) => DirSetting::Refused(format!(
            "{}={} is not an absolute path, so telemetry keeps no file (no remembered choice, \
             no installation ID, no hash key, no record of the first-run notice)",
            environment::CONFIG_DIR.name_for(prefix),
            dir.display()
        )),
        None => DirSetting::Platform,
    };

    let group_channel = settings.group_channel_variable.as_deref().and_then(|name| {
        let channel = env.raw(name).filter(|value| !value.is_empty())?;
        let Some(channel) = channel.to_str() else {
            warnings.push(format!("{name} is not UTF-8 and was ignored"));
            return None;
        };
        if channel.chars().count() > Attributes::MAX_EXTRA_VALUE_CHARS {
            warnings.push(format!(
                "{name} is longer than {} characters and was ignored",
                Attributes::MAX_EXTRA_VALUE_CHARS
            ));
            None
        } else {
            Some(channel.to_owned())
        }
    });
    Config {
        log_file,
        extra: extra_attributes(prefix, env, &mut warnings),
        group_channel,
        endpoint: endpoint
            .map(std::borrow::Cow::into_owned)
            .or_else(|| settings.endpoint.clone()),
        ci: detect::ci(|name| env.get(name)),
        dir: config_dir,
        warnings,
    }
}

/// `<PREFIX>_TELEMETRY_EXTRA_ATTRIBUTE_<ANY>=key=value`, as werf reads them: the suffix is
/// ignored, variables are taken in name order (a later duplicate key wins), the value is split
/// at the first `=`. Unlike werf, keys and values have length limits and there is a limit on
/// their number, so that a stray variable cannot bloat every event.
fn extra_attributes(
    prefix: &str,
    env: &Environment,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let Some(name_prefix) = environment::EXTRA_ATTRIBUTE.name_prefix_for(prefix) else {
        return BTreeMap::new();
    };
    let mut extra = BTreeMap::new();
    // In name order: werf reads them sorted.
    for (name, value) in env.starting_at(&name_prefix) {
        let Some(name) = name.to_str() else {
            if name.to_string_lossy().starts_with(&name_prefix) {
                warnings.push(format!(
                    "{}: the variable's name is not UTF-8; ignored",
                    name.to_string_lossy()
                ));
                continue;
            }
            break;
        };
        if !name.starts_with(&name_prefix) {
            break;
        }
        let Some(value) = value.to_str() else {
            warnings.push(format!("{name}: the value is not UTF-8; ignored"));
            continue;
        };
        let Some((key, value)) = value.split_once('=') else {
            warnings.push(format!("{name}: expected `key=value`; ignored"));
            continue;
        };
        if key.is_empty() {
            warnings.push(format!("{name}: the key is empty; ignored"));
        } else if key.chars().count() > Attributes::MAX_EXTRA_KEY_CHARS {
            warnings.push(format!(
                "{name}: the key is longer than {} characters; ignored",
                Attributes::MAX_EXTRA_KEY_CHARS
            ));
        } else if value.chars().count() > Attributes::MAX_EXTRA_VALUE_CHARS {
            warnings.push(format!(
                "{name}: the value is longer than {} characters; ignored",
                Attributes::MAX_EXTRA_VALUE_CHARS
            ));
        } else if !extra.contains_key(key) && extra.len() == Attributes::MAX_EXTRA {
            warnings.push(format!(
                "{name}: more than {} extra attributes; ignored",
                Attributes::MAX_EXTRA
            ));
        } else {
            extra.insert(key.to_owned(), value.to_owned());
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{Environment, Settings, read};

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::new(
            vars.iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        )
    }

    /// werf's settings, as far as reading the environment goes.
    fn settings() -> Settings {
        Settings {
            group_channel_variable: Some("TRDL_USE_WERF_GROUP_CHANNEL".into()),
            ..Settings::new("WERF", "werf", "dev")
        }
    }

    #[test]
    fn the_snapshot_finds_every_name_and_the_later_of_two() {
        let env = env(&[
            ("B", "1"),
            ("A", "first"),
            ("C", "3"),
            ("A", "second"),
            ("A", "third"),
        ]);
        assert_eq!(env.get("A"), Some("third"));
        assert_eq!(env.get("B"), Some("1"));
        assert_eq!(env.get("C"), Some("3"));
        assert_eq!(env.get("D"), None);
        assert_eq!(env.get(""), None);
        let names: Vec<_> = env
            .starting_at("B")
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        assert_eq!(names, ["B", "C"]);
    }

    #[test]
    fn extra_attributes_follow_werf_with_limits() {
        let config = read(
            &settings(),
            &env(&[
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_B", "team=platform"),
                (
                    "WERF_TELEMETRY_EXTRA_ATTRIBUTE_A",
                    "team=ignored-by-the-later-one",
                ),
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_C", "region=eu=west"),
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_D", "no-equals-sign"),
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_E", "=empty-key"),
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTE_F", "empty="),
                ("WERF_TELEMETRY_EXTRA_ATTRIBUTEX", "not=ours"),
                ("OTHER_TELEMETRY_EXTRA_ATTRIBUTE_A", "not=ours"),
            ]),
        );
        let extra: Vec<(&str, &str)> = config
            .extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            extra,
            [("empty", ""), ("region", "eu=west"), ("team", "platform")]
        );
        assert_eq!(
            config.warnings,
            [
                "WERF_TELEMETRY_EXTRA_ATTRIBUTE_D: expected `key=value`; ignored",
                "WERF_TELEMETRY_EXTRA_ATTRIBUTE_E: the key is empty; ignored",
            ]
        );
    }

    #[test]
    fn extra_attributes_are_limited_in_number_and_length() {
        let long_key = format!("{}=v", "k".repeat(65));
        let long_value = format!("k={}", "v".repeat(257));
        let huge = "x".repeat(1 << 20);
        let mut vars: Vec<(String, String)> = (0..40)
            .map(|i| {
                (
                    format!("WERF_TELEMETRY_EXTRA_ATTRIBUTE_{i:02}"),
                    format!("key{i:02}=value"),
                )
            })
            .collect();
        vars.push(("WERF_TELEMETRY_EXTRA_ATTRIBUTE_LONG_KEY".into(), long_key));
        vars.push((
            "WERF_TELEMETRY_EXTRA_ATTRIBUTE_LONG_VALUE".into(),
            long_value,
        ));
        vars.push(("WERF_TELEMETRY_EXTRA_ATTRIBUTE_HUGE".into(), huge));
        let config = read(
            &settings(),
            &Environment::new(vars.into_iter().map(|(k, v)| (k.into(), v.into()))),
        );
        assert_eq!(config.extra.len(), 32);
        assert!(config.extra.contains_key("key00") && config.extra.contains_key("key31"));
        assert!(!config.extra.contains_key("key32"));
        assert_eq!(config.warnings.len(), 8 + 3, "{:?}", config.warnings);
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.ends_with("_HUGE: expected `key=value`; ignored"))
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("LONG_KEY: the key is longer than 64"))
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("LONG_VALUE: the value is longer than 256"))
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.ends_with("_32: more than 32 extra attributes; ignored"))
        );
    }

    #[test]
    #[cfg(unix)]
    fn non_utf8_extra_attributes_are_skipped_with_a_warning() {
        use std::os::unix::ffi::OsStringExt;
        let vars = [
            (
                OsString::from("WERF_TELEMETRY_EXTRA_ATTRIBUTE_A"),
                OsString::from_vec(vec![b'k', b'=', 0xff]),
            ),
            (
                OsString::from("WERF_TELEMETRY_EXTRA_ATTRIBUTE_B"),
                OsString::from("ok=yes"),
            ),
        ];
        let config = read(&settings(), &Environment::new(vars));
        assert_eq!(config.extra.len(), 1);
        assert_eq!(
            config.warnings,
            ["WERF_TELEMETRY_EXTRA_ATTRIBUTE_A: the value is not UTF-8; ignored"]
        );
    }

    /// Every variable with a huge value, then with bytes that are not UTF-8: nothing panics,
    /// and each is read the documented way.
    #[test]
    #[cfg(unix)]
    fn every_variable_survives_huge_and_non_utf8_values() {
        use std::os::unix::ffi::OsStringExt;
        let names = [
            "WERF_TELEMETRY",
            "DO_NOT_TRACK",
            "WERF_TELEMETRY_LOG_FILE",
            "WERF_TELEMETRY_EXTRA_ATTRIBUTE_X",
            "WERF_TELEMETRY_TRACE_URL",
            "WERF_TELEMETRY_CONFIG_DIR",
            "TRDL_USE_WERF_GROUP_CHANNEL",
            "CI",
            "GITLAB_CI",
        ];
        let huge = "1".repeat(1 << 20);
        let invalid = OsString::from_vec(vec![b'1', 0xff, 0xfe]);
        for value in [OsString::from(&huge), invalid] {
            let vars: Vec<(OsString, OsString)> = names
                .iter()
                .map(|name| (OsString::from(name), value.clone()))
                .collect();
            let environment = Environment::new(vars);
            let status =
                crate::runtime::decision::decide::from_environment(&settings(), &environment);
            assert!(status.enabled, "neither value is an opt-out");
            let config = read(&settings(), &environment);
            assert_eq!(
                config.log_file.as_deref().map(std::path::Path::as_os_str),
                Some(value.as_os_str())
            );
            assert!(config.extra.is_empty(), "no `=` in the value");
            assert_eq!(config.group_channel, None, "too long, or not UTF-8");
            assert_eq!(config.ci, (false, None), "neither `1`, `true` nor `yes`");
            assert!(
                config.endpoint.is_some(),
                "kept, to be refused as a URL with a diagnostic"
            );
            assert!(!config.warnings.is_empty());
        }
    }

    #[test]
    fn the_other_variables() {
        let config = read(
            &settings(),
            &env(&[
                ("WERF_TELEMETRY_LOG_FILE", "/tmp/telemetry.jsonl"),
                ("TRDL_USE_WERF_GROUP_CHANNEL", "ea"),
                (
                    "WERF_TELEMETRY_TRACE_URL",
                    "http://127.0.0.1:4318/v1/traces",
                ),
                ("GITLAB_CI", "true"),
            ]),
        );
        assert_eq!(
            config.log_file.as_deref(),
            Some(std::path::Path::new("/tmp/telemetry.jsonl"))
        );
        assert_eq!(config.group_channel.as_deref(), Some("ea"));
        assert_eq!(
            config.endpoint.as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        assert_eq!(config.ci, (true, Some("gitlab")));

        let empty = read(
            &settings(),
            &env(&[
                ("WERF_TELEMETRY_LOG_FILE", ""),
                ("TRDL_USE_WERF_GROUP_CHANNEL", ""),
                ("WERF_TELEMETRY_TRACE_URL", ""),
            ]),
        );
        assert_eq!(
            empty,
            super::Config {
                ci: (false, None),
                ..super::Config::default()
            }
        );

        let mut with_endpoint = settings();
        with_endpoint.endpoint = Some("https://telemetry.example/v1/traces".into());
        assert_eq!(
            read(&with_endpoint, &env(&[])).endpoint,
            with_endpoint.endpoint
        );

        let huge = "c".repeat(300);
        let config = read(&settings(), &env(&[("TRDL_USE_WERF_GROUP_CHANNEL", &huge)]));
        assert_eq!(config.group_channel, None);
        assert_eq!(config.warnings.len(), 1);
    }

    #[test]
    fn no_group_channel_is_read_unless_the_program_names_its_variable() {
        let acme = Settings::new("ACME", "acme", "1.0.0");
        for name in ["TRDL_USE_ACME_GROUP_CHANNEL", "TRDL_USE_WERF_GROUP_CHANNEL"] {
            let config = read(&acme, &env(&[(name, "stable")]));
            assert_eq!(config.group_channel, None, "{name}");
            assert!(config.warnings.is_empty());
        }
        let named = Settings {
            group_channel_variable: Some("ACME_CHANNEL".into()),
            ..acme
        };
        let config = read(&named, &env(&[("ACME_CHANNEL", "beta")]));
        assert_eq!(config.group_channel.as_deref(), Some("beta"));
    }
}
