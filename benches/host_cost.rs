//! What `telemetry-core` costs the program that links it: cold release build time and stripped
//! binary size of programs built side by side in one run, against two baselines.
//!
//! Beside a program that already sends over HTTPS (the TLS floor):
//!
//! - `hello`: hello world;
//! - `floor`: one HTTPS POST of a JSON body with ureq and rustls, plus `serde_json` (the least a
//!   program that sends telemetry over HTTPS builds);
//! - `derives`: the floor, with the event of `host` as a plain struct deriving `Serialize` and
//!   `JsonSchema` and sent as JSON: the floor plus the derive stack (syn, serde's and schemars'
//!   derives, schemars) that any program whose events derive them builds, with or without
//!   telemetry;
//! - `host`: `Telemetry::from_env` with an endpoint, one event emitted, shut down, with
//!   `telemetry-core`'s default features off but `rustls` (what a CLI that only sends events
//!   builds); its event derives `serde::Serialize` and `telemetry_core::JsonSchema`, as the
//!   guide shows, so that without the `schema` feature it builds no schemars.
//!
//! Beside a command-line tool with no network stack at all (what `fd` is):
//!
//! - `cli`: clap's derive, a walk of the file system that honours `.gitignore` files (`ignore`)
//!   and a regular expression (`regex`): fd's own core, without its extras;
//! - `cli-curl`: `cli` adopting the runtime with its lightest transport, the `curl` feature
//!   (`Telemetry::from_env`, one event with what the search found, shut down);
//! - `cli-rustls`: the same with the `rustls` feature, to show what HTTPS in process costs such
//!   a tool.
//!
//! Each is a crate of its own under `target/bench-host-cost/`, built with the workspace's
//! `Cargo.lock` (so with the very versions the workspace uses; `cli`'s own crates are fetched
//! once, before any build is timed) into an empty target directory, with `strip = true`. The
//! programs but hello are built in turn, `ROUNDS` times, so that machine noise hits them alike;
//! the figures are medians, and the medians of the ratios within each round. Prints each
//! program's time, size and dependency list, and the ratios to its baseline. Run with
//! `cargo bench -p telemetry-benches --bench host_cost`; it takes about twenty-five minutes on
//! two cores. Names after `--` build only those programs (`-- cli cli-curl`), and
//! `HOST_COST_ROUNDS=N` sets the rounds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How many times each program but hello is built, unless `HOST_COST_ROUNDS` says.
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

const HOST: &str = r#"use telemetry_core::{Envelope, JsonSchema, Settings, Telemetry, TelemetryEvent};

/// The command ran.
#[derive(serde::Serialize, JsonSchema, TelemetryEvent)]
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

/// The tool of `cli`, `cli-curl` and `cli-rustls`: fd's core (a literal, so that the three
/// programs are made of it with `concat!`).
macro_rules! cli_search {
    () => {
        r#"use std::path::PathBuf;

use clap::Parser;

/// Lists the files under the given paths whose name matches a regular expression, skipping
/// what `.gitignore` files exclude.
#[derive(Parser)]
struct Opts {
    /// Include hidden files.
    #[arg(short = 'H', long)]
    hidden: bool,
    /// Stop after this many results.
    #[arg(long)]
    max_results: Option<usize>,
    /// What file names must match.
    pattern: String,
    /// Where to look.
    paths: Vec<PathBuf>,
}

/// Prints what matches; returns how many did, or `None` if the pattern is not a regex.
fn search(opts: &Opts) -> Option<usize> {
    let pattern = regex::Regex::new(&opts.pattern).ok()?;
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let mut builder = ignore::WalkBuilder::new(&paths[0]);
    for path in &paths[1..] {
        builder.add(path);
    }
    let mut found = 0;
    for entry in builder.hidden(!opts.hidden).build().flatten() {
        if opts.max_results.is_some_and(|max| found >= max) {
            break;
        }
        if pattern.is_match(&entry.file_name().to_string_lossy()) {
            println!("{}", entry.path().display());
            found += 1;
        }
    }
    Some(found)
}
"#
    };
}

const CLI: &str = concat!(
    cli_search!(),
    r#"
fn main() {
    let opts = Opts::parse();
    if search(&opts).is_none() {
        eprintln!("not a regular expression: {}", opts.pattern);
        std::process::exit(2);
    }
}
"#
);

const CLI_HOST: &str = concat!(
    cli_search!(),
    r#"
use telemetry_core::{Envelope, JsonSchema, Settings, Telemetry, TelemetryEvent};

/// A search ran.
#[derive(serde::Serialize, JsonSchema, TelemetryEvent)]
#[telemetry(version = 1, example = searched)]
pub struct Searched {
    /// How many files matched.
    #[telemetry(class = system_metadata, purpose = feature_insight)]
    pub results: u64,
}

fn searched() -> Envelope<Searched> {
    Envelope::example("cli", Searched { results: 3 })
}

fn main() {
    let telemetry = Telemetry::from_env(Settings {
        command: "cli".into(),
        endpoint: Some("https://telemetry.invalid/v1/traces".into()),
        project_id: false,
        ..Settings::new("CLI", "cli", "1.0.0")
    });
    let opts = Opts::parse();
    let Some(found) = search(&opts) else {
        eprintln!("not a regular expression: {}", opts.pattern);
        telemetry.exit(2);
    };
    telemetry.emit(Searched {
        results: found as u64,
    });
    telemetry.shutdown();
}
"#
);

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

/// The comparisons the bench reports: (program, baseline), by index in `programs`.
const COMPARISONS: [(usize, usize); 5] = [(2, 1), (3, 1), (3, 2), (5, 4), (6, 4)];

/// The programs, their dependencies pinned to what the workspace's `lock` holds.
fn programs(root: &Path, lock: &str) -> [Program; 7] {
    let version = |package| locked_version(lock, package);
    let floor_dependencies = format!(
        "serde_json = \"={}\"\nureq = {{ version = \"={}\", default-features = false, features = [\"rustls\"] }}\n",
        version("serde_json"),
        version("ureq"),
    );
    let derive_dependencies = format!(
        "schemars = \"={}\"\nserde = {{ version = \"={}\", features = [\"derive\"] }}\n",
        version("schemars"),
        version("serde"),
    );
    // As the guide has it: serde's derive, and `telemetry_core::JsonSchema` rather than
    // schemars' (nothing without the `schema` feature).
    let telemetry = |feature: &str| {
        format!(
            "serde = {{ version = \"={}\", features = [\"derive\"] }}\n\
             telemetry-core = {{ path = {:?}, default-features = false, features = [\"{feature}\"] }}\n",
            version("serde"),
            root.join("telemetry-core").display().to_string(),
        )
    };
    // fd's core at today's versions; clap as fd has it (its default features, and the derive).
    let cli_dependencies = format!(
        "clap = {{ version = \"={}\", features = [\"derive\"] }}\nignore = \"=0.4.35\"\nregex = \"=1.13.2\"\n",
        version("clap"),
    );
    [
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
            dependencies: format!("{floor_dependencies}{derive_dependencies}"),
            source: DERIVES,
        },
        Program {
            name: "host",
            dependencies: telemetry("rustls"),
            source: HOST,
        },
        Program {
            name: "cli",
            dependencies: cli_dependencies.clone(),
            source: CLI,
        },
        Program {
            name: "cli-curl",
            dependencies: format!("{cli_dependencies}{}", telemetry("curl")),
            source: CLI_HOST,
        },
        Program {
            name: "cli-rustls",
            dependencies: format!("{cli_dependencies}{}", telemetry("rustls")),
            source: CLI_HOST,
        },
    ]
}

fn main() {
    let root = workspace_root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    let programs = programs(&root, &lock);
    let dir = root.join("target").join("bench-host-cost");
    let paths: Vec<PathBuf> = programs
        .iter()
        .map(|program| write(&dir, program))
        .collect();
    for path in &paths {
        fetch(path);
    }
    let rounds = std::env::var("HOST_COST_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(ROUNDS);
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let built =
        |index: usize| chosen.is_empty() || chosen.iter().any(|name| name == programs[index].name);
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); programs.len()];
    let mut sizes = vec![0; programs.len()];
    for round in 0..rounds {
        for (index, path) in paths.iter().enumerate() {
            if !built(index) || (index == 0 && round > 0) {
                continue;
            }
            let (time, size) = build(path);
            if let (Some(times), Some(slot)) = (times.get_mut(index), sizes.get_mut(index)) {
                times.push(time);
                *slot = size;
            }
        }
    }
    report(&programs, &times, &sizes, rounds);
    for (index, (program, path)) in programs.iter().zip(&paths).enumerate() {
        if !built(index) {
            continue;
        }
        let crates = dependencies(path);
        println!(
            "\n{} builds {} crates: {}",
            program.name,
            crates.len(),
            crates.join(", ")
        );
    }
}

/// Downloads what the crate at `path` needs and the workspace has not (`cli`'s crates), before
/// any build is timed; the builds are offline.
fn fetch(path: &Path) {
    let status = cargo()
        .args(["fetch", "--quiet"])
        .current_dir(path)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "fetching for {} failed", path.display());
}

/// Prints each program's median time and size, every build's time, and the ratios within rounds.
/// Programs not built (left out by name) have no times, and no line.
fn report(programs: &[Program], times: &[Vec<Duration>], sizes: &[u64], rounds: usize) {
    let medians: Vec<f64> = times
        .iter()
        .map(|times| {
            let mut times = times.clone();
            times.sort();
            times
                .get(times.len() / 2)
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
        })
        .collect();
    println!("cold release build (median of {rounds}; hello once), stripped binary");
    for (((program, time), size), built) in programs.iter().zip(&medians).zip(sizes).zip(times) {
        if built.is_empty() {
            continue;
        }
        println!(
            "  {:<10} {time:>6.1} s {:>6.2} MB",
            program.name,
            megabytes(*size)
        );
    }
    let compared = COMPARISONS
        .into_iter()
        .filter(|(over, under)| !times[*over].is_empty() && !times[*under].is_empty());
    println!("\nto the baseline (medians): build time, stripped binary");
    for (over, under) in compared.clone() {
        println!(
            "  {:<10} / {:<8} {:.2}x, {:+.2} MB",
            programs[over].name,
            programs[under].name,
            medians[over] / medians[under],
            megabytes(sizes[over]) - megabytes(sizes[under]),
        );
    }
    println!("\nevery build, in the order of the rounds:");
    for (program, times) in programs.iter().zip(times) {
        if times.is_empty() {
            continue;
        }
        let times: Vec<String> = times
            .iter()
            .map(|time| format!("{:.1}", time.as_secs_f64()))
            .collect();
        println!("  {:<10} {} s", program.name, times.join(", "));
    }
    // The rounds' builds ran back to back, so a ratio within a round cancels the machine's
    // drift between rounds; its median over the rounds is the steadier figure.
    println!("\nratios within each round (median; lowest to highest):");
    for (over, under) in compared {
        let mut ratios: Vec<f64> = times[over]
            .iter()
            .zip(&times[under])
            .map(|(over, under)| over.as_secs_f64() / under.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let (lowest, highest) = (ratios[0], ratios[ratios.len() - 1]);
        println!(
            "  {:<10} / {:<8} {:.2}x ({lowest:.2}x to {highest:.2}x)",
            programs[over].name,
            programs[under].name,
            ratios[ratios.len() / 2]
        );
    }
}
