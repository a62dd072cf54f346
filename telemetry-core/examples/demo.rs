//! A demo CLI that behaves like werf would: `demo build --images 2 --stages 3`.
//!
//! ```text
//! usage: demo <build|converge> [--images N] [--stages N] [--repo ADDRESS] [--fail] [--no-telemetry]
//!        demo telemetry <status|enable|disable|reset>
//! ```
//!
//! It parses its command line with clap's derive and reports `CommandStarted` with the names
//! (never the values) of the options given, how and how many times
//! (`telemetry_core::clap::command_options`), then for
//! `build` (and `converge`, which builds before deploying) `BuildStarted`, a `StageBuildFinished`
//! per stage of each image, an `ImageBuildFinished` per image and `BuildFinished`, then
//! `CommandExited` with the real exit code and duration. `--repo` may also come from `WERF_REPO`.
//! Telemetry follows the `WERF_TELEMETRY*` variables; events go to the log file named by
//! `WERF_TELEMETRY_LOG_FILE`, and to `WERF_TELEMETRY_TRACE_URL` when it is set
//! (`WERF_TELEMETRY=local` is a dry run: the log file only). `demo telemetry` shows and changes
//! the user's remembered choice; the first interactive run prints the first-run notice to
//! standard error, and sends nothing (`DEMO_NOTICE_VERSION=2` plays a release whose notice
//! changed). `userID` is the installation's pseudonymous ID, which `demo telemetry reset`
//! forgets. `--no-telemetry` is the program's own switch. Output to a closed pipe
//! (`demo telemetry status | head -1`) is dropped quietly, as command-line tools do.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{ArgAction, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use telemetry_core::werf::{
    self, BaseImageSource, BuildFinished, BuildStarted, CommandExited, CommandStarted, ConfigType,
    ContainerBackend, ImageBuildFinished, StageBuildFinished,
};
use telemetry_core::{Control, Notice, Settings, Telemetry};

/// werf's Stapel stages, in build order.
const STAGES: &[&str] = &[
    "from",
    "beforeInstall",
    "dependenciesBeforeInstall",
    "gitArchive",
    "install",
    "dependenciesAfterInstall",
    "beforeSetup",
    "dependenciesBeforeSetup",
    "setup",
    "dependenciesAfterSetup",
    "gitCache",
    "gitLatestPatch",
];

/// A demo CLI that behaves like werf would.
#[derive(Debug, Parser)]
#[command(name = "demo")]
struct Cli {
    /// Turn telemetry off: the program's own switch.
    #[arg(long, global = true)]
    no_telemetry: bool,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Build the images.
    Build(Build),
    /// Build the images, then deploy them.
    Converge(Build),
    /// Show or change what telemetry does.
    Telemetry {
        #[command(subcommand)]
        action: Option<Action>,
    },
}

/// What to build. Options given twice take the last value, and count twice.
#[derive(Debug, Args)]
struct Build {
    /// How many images.
    #[arg(long, value_name = "N", action = ArgAction::Append, default_value = "1")]
    images: Vec<u32>,
    /// How many stages each image has.
    #[arg(long, value_name = "N", action = ArgAction::Append, default_value = "3")]
    stages: Vec<u32>,
    /// The image repository.
    #[arg(long, value_name = "ADDRESS", env = "WERF_REPO", action = ArgAction::Append)]
    repo: Vec<String>,
    /// Fail the build.
    #[arg(long, action = ArgAction::Count)]
    fail: u8,
}

impl Build {
    fn images(&self) -> u32 {
        self.images.last().copied().unwrap_or(1)
    }

    fn stages(&self) -> u32 {
        self.stages.last().copied().unwrap_or(3)
    }
}

#[derive(Debug, Clone, Copy, Subcommand)]
enum Action {
    /// What telemetry does now, and why.
    Status,
    /// Remember `enable`.
    Enable,
    /// Remember `disable`.
    Disable,
    /// Forget the installation's identifiers.
    Reset,
}

/// Whether standard output was found closed: nothing more is written to it.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output. When the reader is gone (`| head -1`), the rest is dropped,
/// quietly: `println!` would panic with "failed printing to stdout".
fn say(text: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to standard error, never panicking when it is closed.
fn complain(text: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .min(telemetry_core::MAX_SAFE_INTEGER.unsigned_abs())
}

/// Builds every image, stage by stage; `Ok` when the build succeeds.
fn build(telemetry: &Telemetry, build: &Build) -> Result<(), String> {
    let started = Instant::now();
    let in_container = std::path::Path::new("/.dockerenv").exists();
    let (images, stages) = (build.images(), build.stages());
    telemetry.emit(BuildStarted {
        images_count: images,
        container_backend: ContainerBackend::Docker,
        in_container,
    });
    for image_number in 1..=images {
        let image = format!("image-{image_number}");
        let image_started = Instant::now();
        for stage_number in 0..stages {
            let stage_started = Instant::now();
            std::thread::sleep(Duration::from_millis(1));
            let stage = STAGES[usize::try_from(stage_number).unwrap_or(0) % STAGES.len()];
            telemetry.emit(StageBuildFinished {
                image: image.clone(),
                stage: stage.to_owned(),
                duration_ms: elapsed_ms(stage_started),
                from_cache: false,
                base_image_source: if stage_number == 0 {
                    BaseImageSource::Repo
                } else {
                    BaseImageSource::Empty
                },
                base_image_pulled: stage_number == 0,
            });
        }
        telemetry.emit(ImageBuildFinished {
            image: image.clone(),
            duration_ms: elapsed_ms(image_started),
            rebuilt: true,
            config_type: Some(ConfigType::Stapel),
        });
        say(format_args!("Built {image} ({stages} stages)\n"));
    }
    let fail = build.fail > 0;
    telemetry.emit(BuildFinished {
        duration_ms: elapsed_ms(started),
        success: !fail,
        images_count: images,
    });
    if fail {
        Err("build failed".into())
    } else {
        Ok(())
    }
}

/// The demo's telemetry settings: werf's, with the first-run notice and the installation ID.
fn settings(command: &str) -> Settings {
    let version = std::env::var("DEMO_NOTICE_VERSION")
        .ok()
        .and_then(|version| version.parse().ok())
        .unwrap_or(1);
    Settings {
        command: format!("werf {command}"),
        notice: Some(Notice {
            version,
            command: Some("demo telemetry".into()),
            // The repository's generated page; werf would link its published copy.
            docs_url: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map(|root| root.join("docs").join("telemetry.md").display().to_string()),
            summary: format!(
                "{} The demo also sends a random ID of this installation, which `demo telemetry \
                 reset` forgets.",
                werf::notice().summary
            ),
        }),
        installation_id: true,
        // The tests' override: a generous deadline where it is not what they test, so that a
        // loaded machine never costs them events (shutdown returns as soon as all is done).
        shutdown_timeout: std::env::var("DEMO_SHUTDOWN_TIMEOUT_MS")
            .ok()
            .and_then(|millis| millis.parse().ok())
            .map_or(
                werf::settings("dev").shutdown_timeout,
                Duration::from_millis,
            ),
        ..werf::settings("dev")
    }
}

/// `demo telemetry <status|enable|disable|reset>`: what a host program's subcommand does.
fn telemetry_command(action: Option<Action>) -> ExitCode {
    let control = Control::new(&settings("telemetry"));
    let report = match action.unwrap_or(Action::Status) {
        Action::Status => Ok(control.status()),
        Action::Enable => control.enable(),
        Action::Disable => control.disable(),
        Action::Reset => control.reset(),
    };
    match report {
        Ok(report) => {
            say(format_args!("{report}"));
            ExitCode::SUCCESS
        }
        Err(error) => {
            complain(format_args!("error: {error}\n"));
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let definition = Cli::command();
    let matches = definition.clone().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let (name, build_args) = match &cli.command {
        Commands::Telemetry { action } => return telemetry_command(*action),
        Commands::Build(build) => ("build", build),
        Commands::Converge(build) => ("converge", build),
    };
    let telemetry = Telemetry::from_env(Settings {
        enabled: !cli.no_telemetry,
        ..settings(name)
    });
    // The names (never the values) of the options given, and how.
    telemetry.emit(CommandStarted {
        command_options: telemetry_core::clap::command_options(&definition, &matches),
    });

    let result = build(&telemetry, build_args).map(|()| {
        if name == "converge" {
            let repo = build_args
                .repo
                .last()
                .map_or("the local registry", String::as_str);
            say(format_args!(
                "Deployed {} image(s) from {repo}\n",
                build_args.images()
            ));
        }
    });
    let exit_code = match &result {
        Ok(()) => 0,
        Err(error) => {
            complain(format_args!("Error: {error}\n"));
            1
        }
    };
    telemetry.emit(CommandExited {
        exit_code,
        duration_ms: elapsed_ms(started),
    });
    telemetry.shutdown();
    if let Some(notice) = telemetry.notice() {
        complain(format_args!("\n{notice}\n"));
    }
    ExitCode::from(u8::try_from(exit_code).unwrap_or(1))
}
