//! Requests made by the system's `curl` program (the `curl` feature): the lightest transport,
//! which builds no HTTP or TLS code into the host program and uses the platform's TLS and
//! certificate store through curl (on Linux and macOS, and on Windows 10 and later, which ship
//! it).
//!
//! Each request is one `curl` process, started from the sender thread, never from the host
//! program's own. The body goes in through a private temporary file given as curl's standard
//! input (on unix, removed from the directory before curl starts), never through a pipe: curl
//! exiting early would send a `SIGPIPE` to a host program that restores its default action.
//! curl reads no `.curlrc` (`-q`), follows no redirect, speaks only HTTP(S) and reads no proxy
//! variable but the one the runtime decided on ([`proxy::route`](super::super::proxy::route)),
//! handed over in its environment rather than on its command line, which other users of the
//! machine can read. For the same reason an endpoint with a user name or password is refused.
//! curl's own `--max-time` bounds the request, and the sender kills it if it overstays.

use std::io::{Read as _, Seek as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::super::proxy::Route;
use super::super::url::Url;
use super::request::{Outcome, USER_AGENT, proxy_url};

/// The proxy variables curl reads, all removed from its environment but the one set.
const PROXY_VARIABLES: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// How often the sender looks whether curl is done.
const POLL: Duration = Duration::from_millis(5);

/// How long curl may overstay its own `--max-time` before it is killed.
const GRACE: Duration = Duration::from_millis(50);

/// Most bytes of curl's output read: a status code, or one error line.
const MAX_OUTPUT: u64 = 4096;

/// The program to run and the proxy to hand it.
pub(super) struct Client {
    program: String,
    proxy: Option<String>,
}

/// Whether the curl transport can send to `endpoint`: not with a user name or password, which
/// would be on curl's command line.
pub(super) fn check(endpoint: &str) -> Result<(), String> {
    if Url::parse(endpoint).is_some_and(|url| url.userinfo.is_some()) {
        return Err(
            "the endpoint has a user name or password, which the `curl` transport would put on a \
             command line other users of the machine can read; nothing is sent (use the `rustls` \
             transport)"
                .to_owned(),
        );
    }
    Ok(())
}

impl Client {
    pub(super) fn new(route: &Route) -> Self {
        Client::with_program("curl", route)
    }

    /// A client running `program` instead of `curl` (tests).
    pub(super) fn with_program(program: &str, route: &Route) -> Self {
        Client {
            program: program.to_owned(),
            proxy: proxy_url(route),
        }
    }

    pub(super) fn post(&self, endpoint: &str, body: &[u8], timeout: Duration) -> Outcome {
        let started = Instant::now();
        let input = match body_file(body) {
            Ok(input) => input,
            Err(error) => {
                return Outcome::Failed(format!("could not write the request for curl: {error}"));
            }
        };
        let child = self
            .command(endpoint, timeout)
            .stdin(Stdio::from(input.file))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let outcome = match child {
            Ok(child) => {
                // A timeout near `Instant`'s end is not one the runtime sets; then it is now.
                let deadline = started.checked_add(timeout.saturating_add(GRACE));
                wait(child, deadline.unwrap_or(started))
            }
            Err(error) => Outcome::Failed(format!("could not run {}: {error}", self.program)),
        };
        if let Some(path) = input.remove_after {
            let _ = std::fs::remove_file(path);
        }
        outcome
    }

    fn command(&self, endpoint: &str, timeout: Duration) -> Command {
        let mut command = Command::new(&self.program);
        // `-q` first: no `.curlrc`. Options every curl since 7.20 knows.
        command
            .args(["-q", "--silent", "--show-error", "--max-redirs", "0"])
            .args(["--proto", "=http,https", "--request", "POST"])
            .args(["--header", "Content-Type: application/x-protobuf"])
            // No `Expect: 100-continue` round trip (curl waits up to a second for it).
            .args(["--header", "Expect:"])
            .args(["--user-agent", USER_AGENT])
            .args(["--data-binary", "@-", "--output", null_device()])
            .args(["--write-out", "%{http_code}"])
            .args(["--max-time", &format!("{:.3}", timeout.as_secs_f64())])
            .arg("--url")
            .arg(endpoint);
        for variable in PROXY_VARIABLES {
            command.env_remove(variable);
        }
        match &self.proxy {
            Some(proxy) => command.env("all_proxy", proxy),
            None => command.env("no_proxy", "*"),
        };
        command
    }
}

/// The request's body, in a file of the user's own.
struct BodyFile {
    /// Open for reading, at its start.
    file: std::fs::File,
    /// Where to remove it once curl is done (where an open file cannot be removed).
    remove_after: Option<std::path::PathBuf>,
}

fn body_file(body: &[u8]) -> std::io::Result<BodyFile> {
    let path = std::env::temp_dir().join(format!("telemetry-{}.otlp", crate::random::token()));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    // On unix the open file outlives its name: nothing is left behind, whatever happens next.
    let remove_after = if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
        None
    } else {
        Some(path)
    };
    let written = file
        .write_all(body)
        .and_then(|()| file.seek(std::io::SeekFrom::Start(0)));
    if let Err(error) = written {
        if let Some(path) = &remove_after {
            let _ = std::fs::remove_file(path);
        }
        return Err(error);
    }
    Ok(BodyFile { file, remove_after })
}

/// Waits for curl until `deadline`, then kills it; reads its status line or its error.
fn wait(mut child: Child, deadline: Instant) -> Outcome {
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut("curl did not finish in time".to_owned());
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(error) => {
                let _ = child.kill();
                return Outcome::Failed(format!("could not wait for curl: {error}"));
            }
        }
    };
    let stdout = read_text(child.stdout.take());
    let stderr = read_text(child.stderr.take());
    // curl's exit code 28: the operation timed out.
    match (status.code(), stdout.parse::<u16>()) {
        (Some(0), Ok(code)) if code > 0 => Outcome::Answered(code),
        (Some(28), _) => Outcome::TimedOut(stderr),
        (_, _) if !stderr.is_empty() => Outcome::Failed(stderr),
        (code, _) => Outcome::Failed(match code {
            Some(code) => format!("curl exited with code {code}"),
            None => "curl was killed".to_owned(),
        }),
    }
}

/// What curl wrote to `stream`, trimmed, up to [`MAX_OUTPUT`] bytes.
fn read_text(stream: Option<impl std::io::Read>) -> String {
    let mut text = String::new();
    if let Some(stream) = stream {
        let _ = stream.take(MAX_OUTPUT).read_to_string(&mut text);
    }
    text.trim().to_owned()
}

/// Where curl writes the collector's answer: nowhere.
fn null_device() -> &'static str {
    if cfg!(windows) { "NUL" } else { "/dev/null" }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::super::proxy::Route;
    use super::super::request::Outcome;
    use super::{Client, check};

    /// The request files this process has left in the temporary directory.
    fn leftovers() -> usize {
        std::fs::read_dir(std::env::temp_dir()).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|entry| {
                    let path = entry.path();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    name.starts_with("telemetry-")
                        && path
                            .extension()
                            .is_some_and(|extension| extension == "otlp")
                })
                .count()
        })
    }

    #[test]
    fn without_curl_a_request_fails_with_a_reason_and_leaves_nothing_behind() {
        let before = leftovers();
        let client = Client::with_program("/nonexistent/telemetry-test-curl", &Route::Direct);
        let outcome = client.post(
            "https://telemetry.invalid/v1/traces",
            &vec![0; 100_000],
            Duration::from_secs(5),
        );
        assert!(
            matches!(&outcome, Outcome::Failed(why)
                if why.starts_with("could not run /nonexistent/telemetry-test-curl: ")),
            "{outcome:?}"
        );
        assert!(leftovers() <= before);
    }

    #[test]
    fn an_endpoint_with_credentials_is_refused_before_curl_could_show_them() {
        assert!(check("https://telemetry.example/v1/traces").is_ok());
        let why = check("https://user:secret@telemetry.example/v1/traces").unwrap_err();
        assert!(!why.contains("secret"), "{why}");
        assert!(check("https://token@telemetry.example/v1/traces").is_err());
    }
}
