//! projectID detection on real repository layouts, built by hand so that the test needs no git
//! binary: plain repositories, subdirectories, `.git` files, linked worktrees, no origin, none;
//! and a program without projects, which reads no repository and sends no `projectID`.

#![allow(clippy::unwrap_used, reason = "a test's helpers fail the test loudly")]

use std::fs;
use std::path::Path;

use serde_json::Value;
use telemetry_core::project_id::{detect, from_origin_url};
use telemetry_core::werf::CommandExited;
use telemetry_core::{Settings, Telemetry};
use telemetry_tests::{log_lines as lines, path_vars as vars, runtime_settings as settings};

const WERF: &str = "590dba0ea49212652f94e1cb1dbf3cc673d1dd964dea5d35239afcbbb3d38690";
const NO_ORIGIN: &str = "f1ae2a75ed1f99721f02ef869e2fb3d4df102fdd73e2d00b424a222f9c1ea69c";

/// A git directory at `git_dir` with `config` as its configuration.
fn git_dir(git_dir: &Path, config: &str) {
    fs::create_dir_all(git_dir.join("objects")).unwrap();
    fs::create_dir_all(git_dir.join("refs/heads")).unwrap();
    fs::write(git_dir.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(git_dir.join("config"), config).unwrap();
}

fn origin(url: &str) -> String {
    format!(
        "[core]\n\trepositoryformatversion = 0\n[remote \"origin\"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
    )
}

#[test]
fn a_plain_repository_and_its_subdirectories() {
    let root = tempfile::tempdir().unwrap();
    git_dir(
        &root.path().join(".git"),
        &origin("git@github.com:werf/werf.git"),
    );
    fs::create_dir_all(root.path().join("deploy/charts")).unwrap();
    assert_eq!(detect(root.path()), WERF);
    assert_eq!(detect(&root.path().join("deploy/charts")), WERF);
}

#[test]
fn no_origin_hashes_an_empty_url_as_werf_does() {
    let root = tempfile::tempdir().unwrap();
    git_dir(
        &root.path().join(".git"),
        "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = git@github.com:werf/werf.git\n",
    );
    assert_eq!(detect(root.path()), NO_ORIGIN);
}

#[test]
fn the_first_of_several_origin_urls_counts() {
    let root = tempfile::tempdir().unwrap();
    git_dir(
        &root.path().join(".git"),
        "[remote \"origin\"]\n\turl = git@github.com:werf/werf.git\n\turl = https://example.com/other.git\n",
    );
    assert_eq!(detect(root.path()), WERF);
}

#[test]
fn a_git_file_pointing_elsewhere() {
    let root = tempfile::tempdir().unwrap();
    let separate = root.path().join("separate.git");
    git_dir(&separate, &origin("https://github.com/werf/werf"));
    let work = root.path().join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(
        work.join(".git"),
        format!("gitdir: {}\n", separate.display()),
    )
    .unwrap();
    assert_eq!(detect(&work), WERF);
}

#[test]
fn a_linked_worktree_reads_the_main_repositorys_config() {
    let root = tempfile::tempdir().unwrap();
    let main_git = root.path().join("main/.git");
    git_dir(&main_git, &origin("ssh://git@github.com/werf/werf.git"));
    let private = main_git.join("worktrees/feature");
    fs::create_dir_all(&private).unwrap();
    fs::write(private.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
    fs::write(private.join("commondir"), "../..\n").unwrap();
    let worktree = root.path().join("feature");
    fs::create_dir_all(worktree.join("src")).unwrap();
    fs::write(
        private.join("gitdir"),
        format!("{}\n", worktree.join(".git").display()),
    )
    .unwrap();
    fs::write(
        worktree.join(".git"),
        format!("gitdir: {}\n", private.display()),
    )
    .unwrap();
    assert_eq!(detect(&worktree.join("src")), WERF);
}

#[test]
fn outside_any_repository_the_id_is_empty() {
    let root = tempfile::tempdir().unwrap();
    assert_eq!(detect(root.path()), "");
    assert_eq!(detect(&root.path().join("does/not/exist")), "");
}

#[test]
fn an_unparsable_origin_gives_an_empty_id() {
    let root = tempfile::tempdir().unwrap();
    git_dir(
        &root.path().join(".git"),
        &origin("https://github.com:notaport/werf/werf"),
    );
    assert_eq!(
        from_origin_url("https://github.com:notaport/werf/werf"),
        None
    );
    assert_eq!(detect(root.path()), "");
}

#[test]
fn a_program_without_projects_sends_no_project_id_and_reads_no_repository() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("telemetry.jsonl");
    // This repository has an origin: with `project_id` on, its ID would be sent.
    let settings = Settings {
        project_id: false,
        ..settings("noproject")
    };
    let telemetry = Telemetry::builder(settings)
        .vars(vars(&[("MYTOOL_TELEMETRY_LOG_FILE", &log)]))
        .build();
    telemetry.emit(CommandExited {
        exit_code: 0,
        duration_ms: 1,
    });
    telemetry.shutdown();
    let events: Vec<Value> = lines(&log)
        .into_iter()
        .filter(|line| line.get("diagnostic").is_none())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["projectID"], "");
}
