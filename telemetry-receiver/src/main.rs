//! `telemetry-receiver`: `serve` receives events over OTLP/HTTP, checks them against a
//! program's generated schemas and stores them; `check` runs a command against a receiver (or
//! reads a log file) and reports what was sent, for CI.

use std::ffi::OsString;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Checking builds a JSON tree of every event, and glibc's allocator took a quarter of the
/// receiver's time: mimalloc gives 16% to 41% more events a second (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use telemetry_receiver::{Contract, LiveCheck, Options, Report, Running};

/// Receives telemetry over OTLP/HTTP, checks every event against the generated schemas, and
/// stores it durably; or checks what a command sends.
#[derive(Debug, Parser)]
#[command(name = "telemetry-receiver", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Receive events on `POST /v1/traces` until SIGTERM or SIGINT; `GET /status` counts them.
    Serve(Serve),
    /// Run COMMAND against a receiver on a free loopback port (or check the event lines of a
    /// log file), and report: events per version, every failure, and what was never seen.
    #[command(
        after_help = "Exit status: 0 when the command exited 0 (or a code of --expect-exit), at \
        least one event arrived (unless --allow-no-events), none failed and no request was \
        refused; 1 otherwise; 2 when the check could not run (no schemas, no \
        such command, a report that cannot be written)."
    )]
    Check(Check),
    /// Send the envelopes of FILEs (log files, stored events, kept failures) to a receiver.
    Replay(Replay),
    /// Erase every stored event and failure record of some installations or projects from a
    /// data folder, while `serve` may be writing to it; the erasure is recorded by the IDs'
    /// SHA-256 in DATA/erasures.jsonl.
    Forget(Forget),
}

#[derive(Debug, Args)]
struct Forget {
    /// The data folder `serve --data` writes.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// A `userID` (an installation) to erase (repeatable).
    #[arg(
        long = "user-id",
        value_name = "ID",
        required_unless_present = "project_ids"
    )]
    user_ids: Vec<String>,
    /// A `projectID` to erase (repeatable).
    #[arg(long = "project-id", value_name = "ID")]
    project_ids: Vec<String>,
}

#[derive(Debug, Args)]
struct Replay {
    /// Where to send: http://HOST:PORT/v1/traces.
    #[arg(long, value_name = "URL", required_unless_present = "url_var")]
    to: Option<String>,
    /// The variable holding where to send (what `check` sets for its command).
    #[arg(long, value_name = "NAME", conflicts_with = "to")]
    url_var: Option<String>,
    /// The name of the spans, as the program sends them (the catalogue's `spanName`).
    #[arg(long, value_name = "NAME")]
    span_name: String,
    /// The files whose envelopes to send.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct Serve {
    /// The folder `cargo xtask schema` writes the schemas to (telemetry.schema.json,
    /// catalogue.json).
    #[arg(long, value_name = "DIR")]
    schemas: PathBuf,
    /// Where events go: DATA/events/YYYY-MM-DD.jsonl, and failures DATA/failed/...
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318")]
    listen: SocketAddr,
    #[command(flatten)]
    spans: SpanNames,
    #[command(flatten)]
    limits: LimitArgs,
    /// Delete the files of events received more than DAYS days ago, at start and once a day
    /// [default: keep them forever].
    #[arg(long, value_name = "DAYS")]
    retain_days: Option<u32>,
    /// Delete the files of failure records (events refused, word for word) received more than
    /// DAYS days ago; keep it shorter than --retain-days [default: keep them forever].
    #[arg(long, value_name = "DAYS")]
    retain_failed_days: Option<u32>,
}

#[derive(Debug, Args)]
struct Check {
    /// The folder `cargo xtask schema` writes the schemas to.
    #[arg(long, value_name = "DIR")]
    schemas: PathBuf,
    /// The variable the command reads its endpoint from (`WERF_TELEMETRY_TRACE_URL` for werf);
    /// without it, ARGS is one log file to check.
    #[arg(long, value_name = "NAME")]
    url_var: Option<String>,
    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// An exit code the command may end with and pass, instead of 0 (repeatable: `fd -q`
    /// exits 1 when nothing matches, by design).
    #[arg(long = "expect-exit", value_name = "CODE", allow_hyphen_values = true)]
    expect_exit: Vec<i32>,
    /// Pass a run that sends no event (a command that sends none by design, such as
    /// `--version`); failures and refusals still fail it.
    #[arg(long)]
    allow_no_events: bool,
    #[command(flatten)]
    spans: SpanNames,
    /// The command and its arguments (after `--`), or one log file (FILE.jsonl).
    #[arg(
        value_name = "ARGS",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<OsString>,
}

#[derive(Debug, Args)]
struct SpanNames {
    /// Take spans of this name, not the catalogue's (repeatable).
    #[arg(long = "span-name", value_name = "NAME")]
    names: Vec<String>,
}

#[derive(Debug, Args)]
struct LimitArgs {
    /// The most bytes of a request body as sent.
    #[arg(long, value_name = "BYTES", default_value_t = telemetry_receiver::Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// The most bytes a compressed body may inflate to [default: 2 × --max-body-bytes].
    #[arg(long, value_name = "BYTES")]
    max_inflated_bytes: Option<usize>,
    /// The most bytes of bodies held at once while they arrive, all requests together; a body
    /// that finds no room is answered 429.
    #[arg(long, value_name = "BYTES", default_value_t = telemetry_receiver::Limits::default().max_receiving_bytes)]
    max_receiving_bytes: usize,
    /// The most spans one request may carry; more are refused with 413.
    #[arg(long, value_name = "N", default_value_t = telemetry_receiver::Limits::default().max_spans)]
    max_spans: usize,
    /// The most bytes the attributes of one event may weigh; heavier ones fail unread.
    #[arg(long, value_name = "BYTES", default_value_t = telemetry_receiver::Limits::default().max_event_bytes)]
    max_event_bytes: usize,
    /// The most requests handled at once; more are answered 429.
    #[arg(long, value_name = "N", default_value_t = telemetry_receiver::Limits::default().max_in_flight)]
    max_in_flight: usize,
    /// The most connections open at once.
    #[arg(long, value_name = "N", default_value_t = telemetry_receiver::Limits::default().max_connections)]
    max_connections: usize,
    /// The most connections open at once from one address [default: no limit, since a load
    /// balancer is one address].
    #[arg(long, value_name = "N")]
    max_connections_per_peer: Option<usize>,
    /// Seconds a connection may take to send a request's whole head, from when it opens or its
    /// previous answer was sent.
    #[arg(long, value_name = "SECONDS", default_value_t = telemetry_receiver::Limits::default().header_timeout.as_secs())]
    header_timeout: u64,
    /// Seconds a client may take to send a request's body.
    #[arg(long, value_name = "SECONDS", default_value_t = telemetry_receiver::Limits::default().request_timeout.as_secs())]
    request_timeout: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(serve) => run_serve(serve),
        Command::Check(check) => run_check(&check),
        Command::Replay(replay) => run_replay(&replay),
        Command::Forget(forget) => run_forget(forget),
    }
}

fn run_forget(forget: Forget) -> ExitCode {
    let ids = telemetry_receiver::Ids {
        user_ids: forget.user_ids,
        project_ids: forget.project_ids,
    };
    match telemetry_receiver::forget(&forget.data, &ids) {
        Ok(forgotten) => {
            for (file, lines) in &forgotten.removed {
                println!("removed {lines} line(s) from {file}");
            }
            println!(
                "forgot {} line(s) in {} file(s); recorded in {} (by SHA-256, without the IDs)",
                forgotten.total(),
                forgotten.removed.len(),
                forget.data.join("erasures.jsonl").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_replay(replay: &Replay) -> ExitCode {
    let endpoint = match (&replay.to, &replay.url_var) {
        (Some(to), _) => Some(to.clone()),
        (None, Some(variable)) => std::env::var(variable).ok(),
        (None, None) => None,
    };
    let Some(endpoint) = endpoint else {
        eprintln!("error: give --to URL, or --url-var NAME naming a variable that is set");
        return ExitCode::from(2);
    };
    let mut text = String::new();
    for file in &replay.files {
        match std::fs::read_to_string(file) {
            Ok(contents) => text.push_str(&contents),
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", file.display());
                return ExitCode::from(2);
            }
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    match telemetry_receiver::replay(&endpoint, &replay.span_name, text.lines()) {
        Ok(replayed) => {
            println!(
                "sent {} envelope(s) ({} line(s) left out); the receiver rejected {}",
                replayed.sent, replayed.skipped, replayed.rejected
            );
            if replayed.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_serve(serve: Serve) -> ExitCode {
    let options = Options {
        listen: serve.listen,
        limits: telemetry_receiver::Limits {
            max_inflated_bytes: serve.limits.max_inflated_bytes.unwrap_or(
                telemetry_receiver::Limits::with_body_bytes(serve.limits.max_body_bytes)
                    .max_inflated_bytes,
            ),
            max_body_bytes: serve.limits.max_body_bytes,
            max_receiving_bytes: serve.limits.max_receiving_bytes,
            max_spans: serve.limits.max_spans,
            max_event_bytes: serve.limits.max_event_bytes,
            max_in_flight: serve.limits.max_in_flight,
            max_connections: serve.limits.max_connections,
            max_connections_per_peer: serve.limits.max_connections_per_peer,
            header_timeout: Duration::from_secs(serve.limits.header_timeout),
            request_timeout: Duration::from_secs(serve.limits.request_timeout),
        },
        span_names: serve.spans.names,
        retention: telemetry_receiver::Retention {
            events_days: serve.retain_days,
            failed_days: serve.retain_failed_days,
        },
        ..Options::default()
    };
    let running = match Running::start(&serve.schemas, &serve.data, &options) {
        Ok(running) => running,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on http://{}", running.address());
    let _ = stdout.flush();
    drop(stdout);
    if let Err(error) = wait_for_a_signal() {
        eprintln!("error: cannot wait for signals ({error}); stopping");
    }
    let counts = running.stop();
    print!("stopped: {counts}");
    ExitCode::SUCCESS
}

/// Waits for SIGTERM or SIGINT.
fn wait_for_a_signal() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                interrupted = tokio::signal::ctrl_c() => interrupted,
                _ = terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await
    })
}

fn run_check(check: &Check) -> ExitCode {
    let report = match &check.url_var {
        Some(variable) => live(check, variable),
        None => offline(check),
    };
    let mut report = match report {
        Ok(report) => report,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    report.no_events_allowed = check.allow_no_events;
    print!("{report}");
    if let Some(path) = &check.report
        && let Err(error) = std::fs::write(path, report.to_json())
    {
        eprintln!("error: cannot write {}: {error}", path.display());
        return ExitCode::from(2);
    }
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the command against a live check.
fn live(check: &Check, variable: &str) -> Result<Report, String> {
    let (program, arguments) = check
        .args
        .split_first()
        .ok_or("no command to run: give it after `--`")?;
    let options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        span_names: check.spans.names.clone(),
        ..Options::default()
    };
    let live =
        LiveCheck::with_options(&check.schemas, &options).map_err(|error| error.to_string())?;
    let status = std::process::Command::new(program)
        .args(arguments)
        .env(variable, live.endpoint())
        .status();
    let mut report = live.finish().map_err(|error| error.to_string())?;
    match status {
        Ok(status) => {
            report.command_exit_code = status.code();
            let expected = if check.expect_exit.is_empty() {
                &[0][..]
            } else {
                &check.expect_exit[..]
            };
            report.command_failed = !status.code().is_some_and(|code| expected.contains(&code));
        }
        Err(error) => {
            return Err(format!(
                "cannot run {}: {error}",
                std::path::Path::new(program).display()
            ));
        }
    }
    Ok(report)
}

/// Checks the event lines of a log file.
fn offline(check: &Check) -> Result<Report, String> {
    let [file] = check.args.as_slice() else {
        return Err(
            "without --url-var, give exactly one log file to check (or --url-var NAME -- COMMAND)"
                .into(),
        );
    };
    let contract = Contract::load(&check.schemas).map_err(|error| error.to_string())?;
    let cannot_read = |error: std::io::Error| {
        format!(
            "cannot read {}: {error}",
            std::path::Path::new(file).display()
        )
    };
    // A line at a time: memory does not grow with the file.
    let reader = std::fs::File::open(file).map_err(cannot_read)?;
    telemetry_receiver::check_reader(&contract, std::io::BufReader::new(reader))
        .map_err(cannot_read)
}
