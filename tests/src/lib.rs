//! Integration tests of the telemetry workspace; the tests are in `tests/`, the derive's
//! compile-fail cases in `ui/`, fixtures in `fixtures/`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use telemetry_core::werf;
use telemetry_schema::{Config, files};

/// The runtime tests' settings of a tool named `tool` (variables `MYTOOL_*`), its project this
/// repository's `tests` package.
pub fn runtime_settings(tool: &str) -> telemetry_core::Settings {
    telemetry_core::Settings {
        command: format!("{tool} build"),
        project_dir: Some(env!("CARGO_MANIFEST_DIR").into()),
        ..telemetry_core::Settings::new("MYTOOL", tool, "1.0.0")
    }
}

/// An environment of `vars`, names and paths.
pub fn path_vars(vars: &[(&str, &Path)]) -> Vec<(OsString, OsString)> {
    vars.iter()
        .map(|(name, value)| (OsString::from(name), value.as_os_str().to_owned()))
        .collect()
}

/// The generator's settings for werf, as this repository's xtask has them.
pub fn werf_config() -> Config {
    Config::new(werf::TOOL_NAME, werf::ENV_PREFIX)
        .group_channel(werf::GROUP_CHANNEL)
        .base_uri(werf::SCHEMAS_URI)
        .endpoint(werf::ENDPOINT)
        .span_name(werf::SPAN_NAME)
}

/// The demo CLI (`telemetry-core`'s example `demo`, werf's catalog), built for this test run
/// the first time it is asked for: an example of another package is not built for this one's
/// tests. Built offline, into the build directory of the tests themselves.
///
/// # Panics
///
/// When it does not build.
pub fn demo() -> PathBuf {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| {
        built(
            &[
                "--package",
                "telemetry-core",
                "--features",
                "werf,clap",
                "--example",
                "demo",
            ],
            Path::new("examples/demo"),
        )
    })
    .clone()
}

/// The `telemetry-receiver` binary, built as [`demo`] is: cargo names a binary to the tests of
/// its own package only (`CARGO_BIN_EXE_*`), and the receiver's tests need werf's schemas and
/// payloads, which only this workspace has.
///
/// # Panics
///
/// When it does not build.
pub fn receiver() -> PathBuf {
    static RECEIVER: OnceLock<PathBuf> = OnceLock::new();
    RECEIVER
        .get_or_init(|| {
            built(
                &[
                    "--package",
                    "telemetry-receiver",
                    "--bin",
                    "telemetry-receiver",
                ],
                Path::new("telemetry-receiver"),
            )
        })
        .clone()
}

/// Builds what `args` select, offline, in the profile and target directory of the running test,
/// and returns `artifact` (relative to the profile's directory, without the platform's suffix).
fn built(args: &[&str], artifact: &Path) -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let target = profile_dir.parent().expect("target/<profile>");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // What cargo set for this test is not what a build of the workspace sees.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_") && name != "CARGO_HOME" {
            cargo.env_remove(name);
        }
    }
    let status = cargo
        .args(["build", "--quiet", "--offline"])
        .args(args)
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build {} fails", args.join(" "));
    let mut path = profile_dir.join(artifact).into_os_string();
    path.push(std::env::consts::EXE_SUFFIX);
    path.into()
}

/// The README's code blocks, run as doctests so that the quick start keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// `BENCHMARKS.md`'s code blocks, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../BENCHMARKS.md")]
pub struct BenchmarksDoctests;

/// A validator for every schema of `schemas` (path to schema), each compiled with every other
/// registered under its `$id`, as a consumer loads them: references between files must resolve
/// by `$id`, whatever the base.
///
/// # Panics
///
/// When a schema has no `$id`, or does not compile.
pub fn load_schemas(schemas: &BTreeMap<String, Value>) -> BTreeMap<String, jsonschema::Validator> {
    let mut registry = jsonschema::Registry::new();
    for (path, schema) in schemas {
        let id = schema["$id"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} has no $id"))
            .to_owned();
        registry = registry
            .add(id, schema.clone())
            .unwrap_or_else(|error| panic!("{path}: {error}"));
    }
    let registry = registry
        .prepare()
        .unwrap_or_else(|error| panic!("the schemas register: {error}"));
    schemas
        .iter()
        .map(|(path, schema)| {
            let validator = jsonschema::options()
                .with_registry(&registry)
                .build(schema)
                .unwrap_or_else(|error| panic!("{path} does not load: {error}"));
            (path.clone(), validator)
        })
        .collect()
}

/// Every generated schema under `root` (`schemas/*.schema.json` and `schemas/events/`), by
/// path from `root`, parsed.
///
/// # Panics
///
/// When a folder cannot be read, or a schema is not JSON.
pub fn read_schemas(root: &Path) -> BTreeMap<String, Value> {
    let mut schemas = BTreeMap::new();
    for dir in ["schemas", "schemas/events"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("the schemas are there") {
            let path = entry.expect("a readable folder").path();
            let name = path
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            if name.ends_with(".schema.json") {
                schemas.insert(name.clone(), read_json(root, &name));
            }
        }
    }
    schemas
}

/// A change that makes a valid payload invalid, and what it is, for messages.
pub type Mutation = (&'static str, fn(&mut Value));

/// Asserts that every validator (named, for messages) rejects `valid` after each mutation.
///
/// # Panics
///
/// When a validator accepts a mutated payload.
pub fn assert_rejected(
    valid: &Value,
    mutations: &[Mutation],
    validators: &[(&str, &jsonschema::Validator)],
) {
    for (what, mutate) in mutations {
        let mut payload = valid.clone();
        mutate(&mut payload);
        for (name, validator) in validators {
            assert!(!validator.is_valid(&payload), "the {name} accepts {what}");
        }
    }
}

/// Validates every examples file under `root` against its version's schema file and the stream
/// schema (transitive replay); `expected` is how many versions there must be.
///
/// # Panics
///
/// When a file is missing or unreadable, or a payload does not validate.
pub fn replay_examples(root: &Path, expected: usize) {
    let stream = validator(&read_json(root, files::STREAM_SCHEMA));
    let mut replayed = 0;
    for entry in std::fs::read_dir(root.join(files::EXAMPLES)).expect("examples/ is readable") {
        let path = entry.expect("examples/ is readable").path();
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("UTF-8 name");
        let own = validator(&read_json(
            root,
            &format!("{}/{stem}.schema.json", files::EVENT_SCHEMAS),
        ));
        let payloads = match read_json(root, &format!("{}/{stem}.json", files::EXAMPLES)) {
            Value::Array(payloads) => payloads,
            payload => vec![payload],
        };
        for payload in payloads {
            own.validate(&payload)
                .unwrap_or_else(|error| panic!("{stem}: {error}"));
            stream
                .validate(&payload)
                .unwrap_or_else(|error| panic!("{stem}: {error}"));
        }
        replayed += 1;
    }
    assert_eq!(
        replayed,
        expected,
        "examples files under {}",
        root.display()
    );
}

#[path = "../support/log_schema.rs"]
mod log_schema;
pub use log_schema::log_line_validator;

/// The lines of a log file, parsed, each checked against the log-line schema.
///
/// # Panics
///
/// When the file cannot be read, or a line is not JSON or not valid.
pub fn log_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the log file is readable");
    let validator = log_line_validator();
    text.lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).expect("every line is JSON");
            if let Err(error) = validator.validate(&line) {
                panic!("{line}: {error} at {}", error.instance_path());
            }
            line
        })
        .collect()
}

fn read_json(root: &Path, path: &str) -> Value {
    let text =
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).unwrap_or_else(|error| panic!("invalid schema: {error}"))
}
