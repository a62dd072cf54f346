//! A demo CLI that behaves like werf would: `demo build --images 2 --stages 3`.
//!
//! ```text
//! usage: demo <build|converge> [--images N] [--stages N] [--repo ADDRESS] [--fail] [--no-telemetry]
//!        demo telemetry <status|enable|disable|reset>
//! ```
//!
//! It reports `CommandStarted` with the names (never the values) of the options given, then for
//! `build` (and `converge`, which builds before deploying) `BuildStarted`, a `StageBuildFinished`
//! per stage of each image, an `ImageBuildFinished` per image and `BuildFinished`, then
//! `CommandExited` with the real exit code and duration. `--repo` may also come from `WERF_REPO`.
//! Telemetry follows the `WERF_TELEMETRY*` variables; events go to the log file named by
//! `WERF_TELEMETRY_LOG_FILE`, and to `WERF_TELEMETRY_TRACE_URL` when it is set
//! (`WERF_TELEMETRY=local` is a dry run: the log file only). `demo telemetry` shows and changes
//! the user's remembered choice; the first interactive run prints the first-run notice to
//! standard error, and sends nothing (`DEMO_NOTICE_VERSION=2` plays a release whose notice
//! changed). `userID` is the installation's pseudonymous ID, which `demo telemetry reset`
//! forgets. `--no-telemetry` is the program's own switch.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use telemetry_core::werf::{
    self, BaseImageSource, BuildFinished, BuildStarted, CommandExited, CommandOption,
    CommandStarted, ConfigType, ContainerBackend, ImageBuildFinished, StageBuildFinished,
};
use telemetry_core::{Control, Notice, Settings, Telemetry};

const USAGE: &str = "usage: demo <build|converge> [--images N] [--stages N] [--repo ADDRESS] [--fail] [--no-telemetry]
       demo telemetry <status|enable|disable|reset>";

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

/// The command line, parsed.
struct Command {
    name: String,
    images: u32,
    stages: u32,
    repo: Option<String>,
    fail: bool,
    /// The options given, by flag name, in the order the CLI defines them.
    options: Vec<CommandOption>,
}

fn option(options: &mut Vec<CommandOption>, name: &str, as_cli: bool, as_env: bool) {
    match options.iter_mut().find(|option| option.name == name) {
        Some(option) => {
            option.as_cli |= as_cli;
            option.as_env |= as_env;
            option.count += 1;
        }
        None => options.push(CommandOption {
            name: name.into(),
            as_cli,
            as_env,
            count: 1,
        }),
    }
}

fn parse(args: &[String], repo_from_env: Option<String>) -> Result<Command, String> {
    let (name, rest) = args.split_first().ok_or("missing command")?;
    if !["build", "converge"].contains(&name.as_str()) {
        return Err(format!("unknown command `{name}`"));
    }
    let mut command = Command {
        name: name.clone(),
        images: 1,
        stages: 3,
        repo: None,
        fail: false,
        options: Vec::new(),
    };
    let mut given = Vec::new();
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| rest.next().cloned())
                .ok_or(format!("`{flag}` needs a value"))
        };
        match flag {
            "--images" => {
                command.images = value()?.parse().map_err(|_| "`--images` takes a number")?;
            }
            "--stages" => {
                command.stages = value()?.parse().map_err(|_| "`--stages` takes a number")?;
            }
            "--repo" => command.repo = Some(value()?),
            "--fail" => command.fail = true,
            other => return Err(format!("unknown option `{other}`")),
        }
        given.push(flag.trim_start_matches('-').to_owned());
    }
    let repo_from_env = repo_from_env.filter(|repo| !repo.is_empty());
    if command.repo.is_none() {
        command.repo.clone_from(&repo_from_env);
    }
    for name in ["images", "stages", "repo", "fail"] {
        for _ in given.iter().filter(|flag| *flag == name) {
            option(&mut command.options, name, true, false);
        }
        if name == "repo" && repo_from_env.is_some() {
            option(&mut command.options, name, false, true);
        }
    }
    Ok(command)
}

/// Milliseconds since `since`, up to what the schema accepts (2^53 − 1: 285,000 years).
fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .min(telemetry_core::MAX_SAFE_INTEGER.unsigned_abs())
}

/// Builds every image, stage by stage; `Ok` when the build succeeds.
fn build(telemetry: &Telemetry, command: &Command) -> Result<(), String> {
    let started = Instant::now();
    let in_container = std::path::Path::new("/.dockerenv").exists();
    telemetry.emit(BuildStarted {
        images_count: command.images,
        container_backend: ContainerBackend::Docker,
        in_container,
    });
    for image_number in 1..=command.images {
        let image = format!("image-{image_number}");
        let image_started = Instant::now();
        for stage_number in 0..command.stages {
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
        println!("Built {image} ({} stages)", command.stages);
    }
    telemetry.emit(BuildFinished {
        duration_ms: elapsed_ms(started),
        success: !command.fail,
        images_count: command.images,
    });
    if command.fail {
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
        ..werf::settings("dev")
    }
}

/// `demo telemetry <status|enable|disable|reset>`: what a host program's subcommand does.
fn telemetry_command(action: Option<&str>) -> ExitCode {
    let control = Control::new(&settings("telemetry"));
    let report = match action {
        Some("status") | None => Ok(control.status()),
        Some("enable") => control.enable(),
        Some("disable") => control.disable(),
        Some("reset") => control.reset(),
        Some(other) => {
            eprintln!("error: unknown action `{other}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match report {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let no_telemetry = args.iter().any(|arg| arg == "--no-telemetry");
    args.retain(|arg| arg != "--no-telemetry");
    if args.first().map(String::as_str) == Some("telemetry") {
        return telemetry_command(args.get(1).map(String::as_str));
    }
    let command = match parse(&args, std::env::var("WERF_REPO").ok()) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("error: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let telemetry = Telemetry::from_env(Settings {
        enabled: !no_telemetry,
        ..settings(&command.name)
    });
    telemetry.emit(CommandStarted {
        command_options: command.options.clone(),
    });

    let result = build(&telemetry, &command).map(|()| {
        if command.name == "converge" {
            let repo = command.repo.as_deref().unwrap_or("the local registry");
            println!("Deployed {} image(s) from {repo}", command.images);
        }
    });
    let exit_code = match &result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("Error: {error}");
            1
        }
    };
    telemetry.emit(CommandExited {
        exit_code,
        duration_ms: elapsed_ms(started),
    });
    telemetry.shutdown();
    if let Some(notice) = telemetry.notice() {
        eprintln!("\n{notice}");
    }
    ExitCode::from(u8::try_from(exit_code).unwrap_or(1))
}
