//! What `telemetry-core` costs the program that links it: cold release build time and stripped
//! binary size of three programs, built side by side in one run:
//!
//! - `hello`: hello world;
//! - `floor`: one HTTPS POST of a JSON body with ureq and rustls, plus `serde_json` (the least a
//!   program that sends telemetry over HTTPS builds);
//! - `derives`: the floor, with the event of `host` as a plain struct deriving `Serialize` and
//!   `JsonSchema` and sent as JSON: the floor plus the derive stack (syn, serde's and schemars'
//!   derives, schemars) that any program whose events derive them builds, with or without
//!   telemetry;
//! - `host`: `Telemetry::from_env` with an endpoint, one event emitted, shut down, with
//!   `telemetry-core`'s default features off (what a CLI that only sends events builds).
//!
//! Each is a crate of its own under `target/bench-host-cost/`, built offline with the
//! workspace's `Cargo.lock` (so with the very versions the workspace uses) into an empty target
//! directory, with `strip = true`. The programs but hello are built in turn, `ROUNDS` times,
//! so that machine noise hits them alike; the figures are medians, and the
//! medians of the ratios within each round. Prints each program's time,
//! size and dependency list, and the ratios to the floor. Run with
//! `cargo bench -p telemetry-benches --bench host_cost`; it takes about
//! twelve minutes on two cores.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How many times each program but hello is built.
const ROUNDS: usize = 5;

/// One program: its name, its dependencies (TOML lines) and its `main.rs`.
struct Program {
    name: &'static str,
    dependencies: String,
    source: &'static str,
}

const HELLO: &str = r#"fn main() {
    println!("hello");
}
"#;

/// The end of the floor's and the derives' `main`: one HTTPS POST of `body`, as the runtime
/// makes it (a literal, so that both programs are made of it with `concat!`).
macro_rules! post_body {
    () => {
        r#"    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(250)))
        .build();
    let agent: ureq::Agent = config.into();
    let _ = agent
        .post("https://telemetry.invalid/v1/traces")
        .header("content-type", "application/json")
        .send(&body[..]);
}
"#
    };
}

const FLOOR: &str = concat!(
    r#"use std::time::Duration;

fn main() {
    let body = serde_json::to_vec(&serde_json::json!({ "eventType": "Ran", "success": true }))
        .expect("JSON");
"#,
    post_body!()
);

const DERIVES: &str = concat!(
    r#"use std::time::Duration;

/// The command ran.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ran {
    /// Whether it worked.
    pub success: bool,
}

fn main() {
    let body = serde_json::to_vec(&Ran { success: true }).expect("JSON");
"#,
    post_body!()
);

const HOST: &str = r#"use telemetry_core::{Envelope, Settings, Telemetry, TelemetryEvent};

/// The command ran.
#[derive(serde::Serialize, schemars::JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = ran)]
pub struct Ran {
    /// Whether it worked.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub success: bool,
}

fn ran() -> Envelope<Ran> {
    Envelope::example("host run", Ran { success: true })
}

fn main() {
    let telemetry = Telemetry::from_env(Settings {
        command: "host run".into(),
        endpoint: Some("https://telemetry.invalid/v1/traces".into()),
        ..Settings::new("HOST", "host", "1.0.0")
    });
    telemetry.emit(Ran { success: true });
    telemetry.shutdown();
}
"#;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("a workspace member")
        .to_owned()
}

/// The version of `package` the workspace's lockfile pins, for a dependency line that resolves
/// to it offline.
fn locked_version(lock: &str, package: &str) -> String {
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&marker).expect("the package is locked") + marker.len();
    let end = start + lock[start..].find('"').expect("a quoted version");
    lock[start..end].to_owned()
}

/// Writes `program`'s crate under `dir`; returns its path.
fn write(dir: &Path, program: &Program) -> PathBuf {
    let path = dir.join(program.name);
    std::fs::create_dir_all(path.join("src")).expect("the crate's directory");
    let manifest = format!(
        "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{}\n[profile.release]\nstrip = true\n\n[workspace]\n",
        program.name, program.dependencies
    );
    std::fs::write(path.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::copy(workspace_root().join("Cargo.lock"), path.join("Cargo.lock"))
        .expect("Cargo.lock");
    std::fs::write(path.join("src/main.rs"), program.source).expect("main.rs");
    path
}

/// `bytes` in megabytes (10^6 bytes).
fn megabytes(bytes: u64) -> f64 {
    f64::from(u32::try_from(bytes).unwrap_or(u32::MAX)) / 1e6
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// A cold release build of the crate at `path`: its own, empty target directory.
fn build(path: &Path) -> (Duration, u64) {
    let target = path.join("target");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    let status = cargo()
        .args(["build", "--release", "--quiet", "--offline"])
        .current_dir(path)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", "0")
        .status()
        .expect("cargo runs");
    let elapsed = started.elapsed();
    assert!(status.success(), "building {} failed", path.display());
    let name = path.file_name().expect("a crate name").to_string_lossy();
    let binary = target
        .join("release")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let size = std::fs::metadata(binary).expect("the binary").len();
    (elapsed, size)
}

/// The crates the program builds, besides itself: `cargo tree`'s list, deduplicated.
fn dependencies(path: &Path) -> Vec<String> {
    let output = cargo()
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(path)
        .output()
        .expect("cargo tree runs");
    let mut crates: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            line.trim_end_matches(" (*)")
                .split(" (")
                .next()
                .unwrap_or(line)
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

fn main() {
    let root = workspace_root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    let version = |package| locked_version(&lock, package);
    let floor_dependencies = format!(
        "serde_json = \"={}\"\nureq = {{ version = \"={}\", default-features = false, features = [\"rustls\"] }}\n",
        version("serde_json"),
        version("ureq"),
    );
    let programs = [
        Program {
            name: "hello",
            dependencies: String::new(),
            source: HELLO,
        },
        Program {
            name: "floor",
            dependencies: floor_dependencies.clone(),
            source: FLOOR,
        },
        Program {
            name: "derives",
            dependencies: format!(
                "{floor_dependencies}schemars = \"={}\"\nserde = {{ version = \"={}\", features = [\"derive\"] }}\n",
                version("schemars"),
                version("serde"),
            ),
            source: DERIVES,
        },
        Program {
            name: "host",
            dependencies: format!(
                "schemars = \"={}\"\nserde = {{ version = \"={}\", features = [\"derive\"] }}\n\
                 telemetry-core = {{ path = {:?}, default-features = false }}\n",
                version("schemars"),
                version("serde"),
                root.join("telemetry-core").display().to_string(),
            ),
            source: HOST,
        },
    ];
    let dir = root.join("target").join("bench-host-cost");
    let paths: Vec<PathBuf> = programs
        .iter()
        .map(|program| write(&dir, program))
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); programs.len()];
    let mut sizes = vec![0; programs.len()];
    for round in 0..ROUNDS {
        for (index, path) in paths.iter().enumerate() {
            if index == 0 && round > 0 {
                continue;
            }
            let (time, size) = build(path);
            if let (Some(times), Some(slot)) = (times.get_mut(index), sizes.get_mut(index)) {
                times.push(time);
                *slot = size;
            }
        }
    }
    report(&programs, &times, &sizes);
    for (program, path) in programs.iter().zip(&paths) {
        let crates = dependencies(path);
        println!(
            "\n{} builds {} crates: {}",
            program.name,
            crates.len(),
            crates.join(", ")
        );
    }
}

/// Prints each program's median time and size, every build's time, and the ratios within rounds.
fn report(programs: &[Program], times: &[Vec<Duration>], sizes: &[u64]) {
    let medians: Vec<Duration> = times
        .iter()
        .map(|times| {
            let mut times = times.clone();
            times.sort();
            times.get(times.len() / 2).copied().unwrap_or_default()
        })
        .collect();
    let (floor_time, floor_size) = (medians[1].as_secs_f64(), megabytes(sizes[1]));
    let (derives_time, derives_size) = (medians[2].as_secs_f64(), megabytes(sizes[2]));
    println!("cold release build (median of {ROUNDS}; hello once), stripped binary");
    for ((program, time), size) in programs.iter().zip(&medians).zip(sizes) {
        let (time, size) = (time.as_secs_f64(), megabytes(*size));
        println!(
            "  {:<8} {time:>6.1} s {:>6.2} MB   {:.2}x the floor, {:+.2} MB   {:.2}x derives, {:+.2} MB",
            program.name,
            size,
            time / floor_time,
            size - floor_size,
            time / derives_time,
            size - derives_size,
        );
    }
    println!("\nevery build, in the order of the rounds:");
    for (program, times) in programs.iter().zip(times) {
        let times: Vec<String> = times
            .iter()
            .map(|time| format!("{:.1}", time.as_secs_f64()))
            .collect();
        println!("  {:<8} {} s", program.name, times.join(", "));
    }
    // The rounds' builds ran back to back, so a ratio within a round cancels the machine's
    // drift between rounds; its median over the rounds is the steadier figure.
    println!("\nratios within each round (median; lowest to highest):");
    for (name, over, under) in [
        ("derives / floor", 2, 1),
        ("host / floor", 3, 1),
        ("host / derives", 3, 2),
    ] {
        let mut ratios: Vec<f64> = times[over]
            .iter()
            .zip(&times[under])
            .map(|(over, under)| over.as_secs_f64() / under.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let (lowest, highest) = (ratios[0], ratios[ratios.len() - 1]);
        println!(
            "  {name:<15} {:.2}x ({lowest:.2}x to {highest:.2}x)",
            ratios[ratios.len() / 2]
        );
    }
}
