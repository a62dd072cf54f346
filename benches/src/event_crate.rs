//! Writes crates of generated events for the benchmarks that build them: the same structs, with
//! or without `#[derive(TelemetryEvent)]`, in a directory of their own beside the workspace.

#![allow(dead_code, reason = "each benchmark uses part of it")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How the generated structs are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derives {
    /// `Serialize` and `JsonSchema` only: the baseline.
    Plain,
    /// The baseline, and a function serialising each event to JSON once (`serde_json::to_vec`):
    /// what any registry that renders example payloads must compile, and what a program that
    /// emits its events compiles anyway.
    Serialized,
    /// `TelemetryEvent` too, with or without the `registry` feature.
    Telemetry {
        /// Whether `telemetry-core`'s `registry` feature is on.
        registry: bool,
    },
}

/// The workspace's root, from the crate the benchmark belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("a workspace member")
        .to_owned()
}

/// The source of `events` event structs, each with a doc comment per field and an example
/// function (returning an `Envelope` for the derive, the bare struct for the baseline).
pub fn events_source(events: usize, derives: Derives) -> String {
    let telemetry = matches!(derives, Derives::Telemetry { .. });
    let mut source = String::from(
        "#![allow(dead_code)]\n\n/// How the work ran.\n#[derive(serde::Serialize, schemars::JsonSchema)]\n\
         #[serde(rename_all = \"lowercase\")]\npub enum Mode {\n    /// Fast.\n    Fast,\n    /// Slow.\n    Slow,\n}\n\n",
    );
    if telemetry {
        source.push_str("use telemetry_core::{Envelope, TelemetryEvent};\n\n");
        source.push_str(
            "fn context() -> telemetry_core::Context {\n    telemetry_core::Context::example(\"bench run\")\n}\n\n",
        );
    }
    for index in 0..events {
        let (derive, attribute) = if telemetry {
            (
                "serde::Serialize, schemars::JsonSchema, TelemetryEvent",
                format!("#[telemetry(version = 1, example = example_{index})]\n"),
            )
        } else {
            ("serde::Serialize, schemars::JsonSchema", String::new())
        };
        let value = format!(
            "Event{index} {{ image_name: \"app\".into(), duration_ms: {index}, success: true, mode: Mode::Fast, tags: Vec::new() }}"
        );
        let example = if telemetry {
            format!(
                "fn example_{index}() -> Envelope<Event{index}> {{\n    Envelope::new(&context(), {index}, {value})\n}}\n"
            )
        } else {
            format!("fn example_{index}() -> Event{index} {{\n    {value}\n}}\n")
        };
        let example = if derives == Derives::Serialized {
            format!(
                "{example}\n/// Event {index} as JSON.\npub fn json_{index}() -> Vec<u8> {{\n    serde_json::to_vec(&example_{index}()).unwrap_or_default()\n}}\n"
            )
        } else {
            example
        };
        // Every field of an event is classified; the baseline's fields are plain.
        let c = if telemetry {
            "#[telemetry(class = system_metadata, purpose = feature_insight)]\n    "
        } else {
            ""
        };
        let _ = write!(
            source,
            "/// Event number {index} happened.\n#[derive({derive})]\n#[serde(rename_all = \"camelCase\")]\n{attribute}\
             pub struct Event{index} {{\n    /// The image.\n    {c}pub image_name: String,\n    /// How long it took, in ms.\n    \
             {c}pub duration_ms: u64,\n    /// Whether it worked.\n    {c}pub success: bool,\n    /// How it ran.\n    {c}pub mode: Mode,\n    \
             /// Its tags.\n    {c}#[serde(skip_serializing_if = \"Vec::is_empty\")]\n    pub tags: Vec<String>,\n}}\n\n{example}\n"
        );
    }
    source
}

/// Writes the crate `name` under `dir`: a library of `events` structs, or with `main`, a binary.
/// It depends on the workspace's crates by path and uses the workspace's `Cargo.lock`, so it
/// builds offline with the very versions the workspace uses.
pub fn write_crate(
    dir: &Path,
    name: &str,
    events: usize,
    derives: Derives,
    main: Option<&str>,
) -> PathBuf {
    let root = workspace_root();
    let path = dir.join(name);
    std::fs::create_dir_all(path.join("src")).expect("the crate's directory");
    let core = match derives {
        Derives::Telemetry { registry: false } | Derives::Plain | Derives::Serialized => {
            "default-features = false"
        }
        Derives::Telemetry { registry: true } => "features = [\"registry\"]",
    };
    let schema = if main.is_some() {
        format!(
            "telemetry-schema = {{ path = {} }}\n",
            toml_string(&root.join("telemetry-schema"))
        )
    } else {
        String::new()
    };
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n\
         schemars = \"1\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\
         telemetry-core = {{ path = {}, {core} }}\n{schema}\n[workspace]\n",
        toml_string(&root.join("telemetry-core")),
    );
    std::fs::write(path.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::copy(root.join("Cargo.lock"), path.join("Cargo.lock")).expect("Cargo.lock");
    let source = events_source(events, derives);
    match main {
        Some(main) => std::fs::write(path.join("src/main.rs"), format!("{source}\n{main}")),
        None => std::fs::write(path.join("src/lib.rs"), source),
    }
    .expect("the source");
    path
}

/// Builds the crate at `path` with `target_dir`, timed; panics when the build fails.
pub fn build(path: &Path, target_dir: &Path, incremental: bool, release: bool) -> Duration {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--offline"])
        .current_dir(path)
        .env("CARGO_TARGET_DIR", target_dir);
    command.env("CARGO_INCREMENTAL", if incremental { "1" } else { "0" });
    if release {
        command.arg("--release");
    }
    let started = Instant::now();
    let status = command.status().expect("cargo runs");
    let elapsed = started.elapsed();
    assert!(status.success(), "building {} failed", path.display());
    elapsed
}

/// A path as a TOML string.
fn toml_string(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

/// The median of `samples`.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
