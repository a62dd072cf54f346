//! The README's "Use it in your project", done as a new user would: a scratch workspace for a
//! tool called `acme`, made of the guide's own snippets (its versions patched, as the guide says
//! to before a release, to a link to this repository). Its `cargo xtask schema`, `--check` and
//! tests must pass, the generator must leave the user's own files alone, and `acme` must send
//! what the generated schema describes. Every event example in the crates' docs and READMEs goes
//! through the generator's checks too.
//!
//! The scratch workspaces live under `target/guide/`; they build offline, with this workspace's
//! `Cargo.lock`, sharing this workspace's build directory so that dependencies are not built
//! twice.

#![cfg(unix)]
#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

#[path = "../support/collector.rs"]
mod collector;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use collector::{Behaviour, Collector};
use serde_json::Value;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Every `<!-- guide: PATH -->` snippet of the README: the path, and the fenced block after it.
fn snippets() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let mut snippets = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line
            .strip_prefix("<!-- guide: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap();
        assert!(fence.starts_with("```"), "{path}: a code block follows");
        let body: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
        snippets.push((path.to_owned(), body.join("\n") + "\n"));
    }
    snippets
}

/// The first fenced block of the README after `marker`, rustdoc's hidden lines shown.
fn readme_block_after(marker: &str) -> String {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let after = &readme[readme.find(marker).unwrap()..];
    let mut lines = after.lines().skip_while(|line| !line.starts_with("```"));
    lines.next();
    let mut block = String::new();
    for line in lines.take_while(|line| !line.starts_with("```")) {
        block.push_str(line.strip_prefix("# ").unwrap_or(line));
        block.push('\n');
    }
    block
}

/// Writes `content` to `path` unless it is there already (so that cargo sees nothing new).
fn write(path: &Path, content: &str) {
    if std::fs::read_to_string(path).is_ok_and(|existing| existing == content) {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// `cargo <args>` in `dir`, offline, with the scratch target directory and this workspace's
/// build directory.
fn cargo(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let target = repository().join("target");
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // What cargo set for this test (`CARGO_PKG_NAME`, ...) is not the user's environment, and
    // build scripts that watch such variables would rebuild what this workspace built.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_") && name != "CARGO_HOME" {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", target.join("guide/target"))
        .env("CARGO_BUILD_BUILD_DIR", &target)
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The scratch directory, with `telemetry` linking to this repository as the guide assumes.
fn scratch() -> PathBuf {
    let scratch = repository().join("target/guide");
    std::fs::create_dir_all(&scratch).unwrap();
    let link = scratch.join("telemetry");
    if std::fs::read_link(&link).ok().as_deref() != Some(repository().as_path()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(repository(), &link).unwrap();
    }
    scratch
}

/// A fresh workspace dir under the scratch directory: the workspace's Cargo.lock, and no files
/// left by an earlier run but those the build keeps.
fn workspace(name: &str) -> PathBuf {
    let dir = scratch().join(name);
    for generated in ["schemas", "examples", "docs"] {
        let _ = std::fs::remove_dir_all(dir.join(generated));
    }
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(repository().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    dir
}

/// Where the tool's package is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// In `acme/`, as the guide shows it.
    Folder,
    /// At the repository's root, as the guide's "When the package is at the root" says.
    Root,
}

/// Writes the guide's files into `acme`, laid out as `layout` says; returns the guide's CI
/// command.
fn write_the_guide(acme: &Path, layout: Layout) -> String {
    let snippets = snippets();
    let paths: Vec<&str> = snippets.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Cargo.toml",
            "Cargo.toml, before a release",
            ".cargo/config.toml",
            "acme-events/Cargo.toml",
            "acme-events/src/lib.rs",
            "xtask/Cargo.toml",
            "xtask/src/main.rs",
            "acme/Cargo.toml",
            "acme/src/main.rs",
            "acme/tests/telemetry.rs",
            "ci",
            "Cargo.toml, the package at the root",
        ]
    );
    // The whole xtask, as the guide promises.
    assert_eq!(snippets[6].1.lines().count(), 4, "{}", snippets[6].1);
    // The README's policy snippet, where it says it goes: the xtask, with nothing added.
    write(
        &acme.join("xtask/tests/policy.rs"),
        &format!(
            "#[test]\nfn the_readmes_policy_compiles_in_the_xtask() {{\n{}}}\n",
            readme_block_after("The generator enforces a policy when asked")
        ),
    );
    let find = |wanted: &str| {
        snippets
            .iter()
            .find(|(path, _)| path == wanted)
            .map(|(_, content)| content.clone())
            .unwrap()
    };
    // The crates are not on crates.io: the guide's own patch points the versions the workspace
    // names at this checkout.
    let before_a_release = find("Cargo.toml, before a release");
    let manifest = match layout {
        Layout::Folder => find("Cargo.toml"),
        Layout::Root => find("Cargo.toml, the package at the root"),
    };
    write(
        &acme.join("Cargo.toml"),
        &format!("{manifest}\n{before_a_release}"),
    );
    for (path, content) in &snippets {
        let path = match (path.as_str(), layout) {
            (
                "ci"
                | "Cargo.toml"
                | "Cargo.toml, before a release"
                | "Cargo.toml, the package at the root",
                _,
            )
            | ("acme/Cargo.toml", Layout::Root) => continue,
            (path, Layout::Root) => path.strip_prefix("acme/").unwrap_or(path),
            (path, Layout::Folder) => path,
        };
        write(&acme.join(path), content);
    }
    find("ci")
}

#[test]
fn the_guide_builds_a_project_whose_xtask_tests_and_runtime_work() {
    let acme = workspace("acme");
    let ci = write_the_guide(&acme, Layout::Folder);
    // The user's own files, where the generated ones go.
    write(&acme.join("examples/notes.md"), "# Notes\n");
    write(&acme.join("schemas/openapi.json"), "{}\n");

    assert_a_users_file_at_a_fixed_path_stops_the_generator(&acme);

    let written = cargo(&acme, &["xtask", "schema"], &[]);
    assert_success("cargo xtask schema", &written);
    let stdout = String::from_utf8_lossy(&written.stdout);
    assert!(
        stdout.contains("wrote examples/Deployed.v1.json"),
        "{stdout}"
    );
    for file in [
        "schemas/telemetry.schema.json",
        "schemas/events/Deployed.v1.schema.json",
        "schemas/catalogue.json",
        "docs/telemetry.md",
    ] {
        assert!(acme.join(file).is_file(), "{file}");
    }
    assert!(
        !acme.join("examples/CommandStarted.v2.json").exists(),
        "werf's catalog is not acme's"
    );
    let docs = std::fs::read_to_string(acme.join("docs/telemetry.md")).unwrap();
    assert!(docs.contains("# acme telemetry") && docs.contains("ACME_TELEMETRY_LOG_FILE"));
    for werfish in ["werf", "WERF", "trdl", "groupChannel"] {
        assert!(!docs.contains(werfish), "the docs mention {werfish}");
    }
    // acme's configuration gives no purpose: the docs state none for it.
    assert!(
        !docs.contains("collects usage data") && !docs.contains("development in the right"),
        "the docs invent a purpose"
    );
    assert_eq!(
        std::fs::read_to_string(acme.join("examples/notes.md")).unwrap(),
        "# Notes\n"
    );
    assert_eq!(
        std::fs::read_to_string(acme.join("schemas/openapi.json")).unwrap(),
        "{}\n"
    );

    // The CI line, as written in the guide.
    let ci_args: Vec<&str> = ci.split_whitespace().skip(1).collect();
    assert_eq!(ci_args, ["xtask", "schema", "--check"]);
    assert_success("cargo xtask schema --check", &cargo(&acme, &ci_args, &[]));
    assert_success("cargo test", &cargo(&acme, &["test", "--quiet"], &[]));
    // The live check ran acme against a receiver, and passed.
    let live = cargo(
        &acme,
        &[
            "test",
            "--package",
            "acme",
            "--",
            "--exact",
            "acme_sends_what_its_schemas_accept",
        ],
        &[],
    );
    assert_success("acme's live check", &live);
    let stdout = String::from_utf8_lossy(&live.stdout);
    assert!(
        stdout.contains("test acme_sends_what_its_schemas_accept ... ok"),
        "{stdout}"
    );
    assert_acme_sends_what_its_schema_describes(&acme);
}

/// A file of the user's at each path the generator always writes (or, for the ClickHouse tables,
/// writes when asked) stops `cargo xtask schema` before it writes anything, and `--check` says
/// whose the file is; the file is left as it was.
fn assert_a_users_file_at_a_fixed_path_stops_the_generator(acme: &Path) {
    for fixed in [
        "docs/telemetry.md",
        "schemas/telemetry.schema.json",
        "schemas/log-line.schema.json",
        "schemas/catalogue.json",
        "schemas/clickhouse.sql",
    ] {
        let theirs = acme.join(fixed);
        write(&theirs, "the user's own\n");
        let expected = format!("{fixed}: not generated by `cargo xtask schema`");
        let refused = cargo(acme, &["xtask", "schema"], &[]);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{fixed}: {said}");
        assert!(
            said.contains(&expected)
                && said.contains("Config::out_dir")
                && said.contains("nothing was written"),
            "{said}"
        );
        assert!(
            !acme.join("schemas/events").exists(),
            "{fixed}: nothing written"
        );
        let checked = cargo(acme, &["xtask", "schema", "--check"], &[]);
        let said = String::from_utf8_lossy(&checked.stderr);
        assert!(!checked.status.success(), "{fixed}: {said}");
        assert!(
            said.contains(&expected) && !said.contains(&format!("{fixed}: out of date")),
            "{said}"
        );
        assert_eq!(
            std::fs::read_to_string(&theirs).unwrap(),
            "the user's own\n"
        );
        std::fs::remove_file(&theirs).unwrap();
    }
}

/// Runs `acme` against a loopback collector, with a log file: through cargo it sends nothing,
/// as the guide's `.cargo/config.toml` says; with `ACME_TELEMETRY` set, it sends its event.
fn assert_acme_sends_what_its_schema_describes(acme: &Path) {
    let collector = Collector::start(Behaviour::Accept);
    let log = acme.join("telemetry.jsonl");
    let _ = std::fs::remove_file(&log);
    let vars = [
        ("ACME_TELEMETRY_LOG_FILE", log.to_str().unwrap()),
        ("ACME_TELEMETRY_TRACE_URL", &collector.endpoint()),
        ("TRDL_USE_ACME_GROUP_CHANNEL", "stable"),
    ];
    let quiet = cargo(acme, &["run", "--quiet", "--package", "acme"], &vars);
    assert_success("acme under cargo", &quiet);
    assert!(
        !log.exists() && collector.requests().is_empty(),
        "under cargo, acme sends nothing"
    );
    let ran = cargo(
        acme,
        &["run", "--quiet", "--package", "acme"],
        &[vars.as_slice(), &[("ACME_TELEMETRY", "on")]].concat(),
    );
    assert_success("acme", &ran);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "deployed\n");
    assert!(
        ran.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    // acme's schemas have the default base of `$id`s (`urn:acme:telemetry:`): every file
    // loads by its `$id`, and the log-line schema reaches the stream schema through it.
    let files = telemetry_tests::read_schemas(acme);
    assert_eq!(
        files["schemas/log-line.schema.json"]["$id"],
        "urn:acme:telemetry:log-line.schema.json"
    );
    let schemas = telemetry_tests::load_schemas(&files);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    schemas["schemas/telemetry.schema.json"]
        .validate(&lines[0])
        .unwrap();
    schemas["schemas/log-line.schema.json"]
        .validate(&lines[0])
        .unwrap();
    assert_eq!(lines[0]["eventType"], "Deployed");
    assert!(lines[0]["attributes"].get("groupChannel").is_none());
    let spans: usize = collector
        .requests()
        .iter()
        .map(collector::Request::span_count)
        .sum();
    assert_eq!(spans, 1);
}

/// Every block of a `//!` or `///` comment in `source` that derives `TelemetryEvent`, with
/// rustdoc's hidden lines shown.
fn doc_examples(source: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut block: Option<Vec<String>> = None;
    for line in source.lines() {
        let trimmed = line.trim_start();
        let Some(doc) = trimmed
            .strip_prefix("//!")
            .or_else(|| trimmed.strip_prefix("///"))
        else {
            block = None;
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        match &mut block {
            None if doc.starts_with("```") => block = Some(Vec::new()),
            None => {}
            Some(lines) if doc.starts_with("```") => {
                let code = lines.join("\n");
                if code.contains("TelemetryEvent)]") {
                    examples.push(code);
                }
                block = None;
            }
            Some(lines) => {
                let shown = match doc.strip_prefix('#') {
                    Some(hidden) if hidden.is_empty() || hidden.starts_with(' ') => {
                        hidden.strip_prefix(' ').unwrap_or(hidden)
                    }
                    _ => doc,
                };
                lines.push(shown.to_owned());
            }
        }
    }
    examples
}

/// Every Rust source file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn the_guide_builds_a_tool_whose_package_is_the_root_and_its_plain_cargo_test_checks_it() {
    let acme = workspace("acme-root");
    let ci = write_the_guide(&acme, Layout::Root);
    assert!(
        !acme.join("acme").exists(),
        "no folder of the package's own"
    );
    assert_success(
        "cargo xtask schema",
        &cargo(&acme, &["xtask", "schema"], &[]),
    );
    let ci_args: Vec<&str> = ci.split_whitespace().skip(1).collect();
    assert_success("cargo xtask schema --check", &cargo(&acme, &ci_args, &[]));
    // The root package's plain `cargo test`, as a tool's CI runs it: the drift test and the live
    // check are the package's own.
    let tested = cargo(&acme, &["test"], &[]);
    assert_success("cargo test", &tested);
    let stdout = String::from_utf8_lossy(&tested.stdout);
    for test in [
        "test telemetry_files_are_up_to_date ... ok",
        "test acme_sends_what_its_schemas_accept ... ok",
    ] {
        assert!(stdout.contains(test), "{test}:\n{stdout}");
    }
    // The drift test fails on drift under the same plain `cargo test`: a generated file that no
    // longer matches what the events generate.
    let docs = acme.join("docs/telemetry.md");
    let generated = std::fs::read_to_string(&docs).unwrap();
    write(
        &docs,
        &generated.replace("# acme telemetry", "# acme's telemetry"),
    );
    let drifted = cargo(
        &acme,
        &["test", "--test", "telemetry", "--", "telemetry_files"],
        &[],
    );
    write(&docs, &generated);
    assert!(
        !drifted.status.success(),
        "an edited generated file is drift"
    );
    assert!(
        String::from_utf8_lossy(&drifted.stdout).contains("cargo xtask schema")
            || String::from_utf8_lossy(&drifted.stderr).contains("cargo xtask schema"),
        "the failure says which command to run"
    );
}

#[test]
fn every_event_example_in_the_crates_docs_and_the_readme_passes_the_generators_checks() {
    let repository = repository();
    let mut examples = Vec::new();
    for crate_dir in ["telemetry-core/src", "telemetry-schema/src"] {
        for path in sources(&repository.join(crate_dir)) {
            let source = std::fs::read_to_string(&path).unwrap();
            examples.extend(doc_examples(&source));
        }
    }
    // Each published crate's README is its crate docs: its blocks read as a `//!` comment's.
    for crate_dir in [
        "telemetry-core",
        "telemetry-derive",
        "telemetry-schema",
        "telemetry-receiver",
    ] {
        let readme = std::fs::read_to_string(repository.join(crate_dir).join("README.md")).unwrap();
        let mut as_docs = String::new();
        for line in readme.lines() {
            let _ = writeln!(as_docs, "//! {line}");
        }
        examples.extend(doc_examples(&as_docs));
    }
    let readme = std::fs::read_to_string(repository.join("README.md")).unwrap();
    let quick_start = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap();
    examples.push(quick_start.to_owned());
    assert!(examples.len() >= 12, "{} examples found", examples.len());

    // Each example in a function of its own: items there are private to it, and its events
    // register all the same.
    let mut main = String::from("#![allow(warnings)]\n\n");
    for (index, example) in examples.iter().enumerate() {
        let _ = write!(main, "pub fn example_{index}() {{\n{example}\n}}\n\n");
    }
    main.push_str(
        r#"fn main() {
    let config = telemetry_schema::Config::new("docs", "DOCS");
    let mut checked = 0;
    for event in telemetry_core::registry::iter() {
        if let Err(error) = telemetry_schema::EventVersion::from_registration(event, &config) {
            eprintln!("{error}");
            std::process::exit(1);
        }
        checked += 1;
    }
    println!("{checked}");
}
"#,
    );
    let dir = workspace("doc-examples");
    write(
        &dir.join("Cargo.toml"),
        "[package]\nname = \"doc-examples\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nschemars = \"1\"\nserde = { version = \"1\", features = [\"derive\"] }\n\
         serde_json = \"1\"\ntelemetry-core = { path = \"../telemetry/telemetry-core\" }\n\
         telemetry-schema = { path = \"../telemetry/telemetry-schema\" }\n\n[workspace]\n",
    );
    write(&dir.join("src/main.rs"), &main);
    let output = cargo(&dir, &["run", "--quiet"], &[]);
    assert_success("the docs' examples", &output);
    let checked: usize = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(checked >= examples.len(), "{checked} events checked");
}
