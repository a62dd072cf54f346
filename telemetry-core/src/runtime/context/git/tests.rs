//! Tests of the git reader: the configuration syntax, pattern matching, discovery on layouts
//! built by hand, includes, and the files it must refuse to read.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::ffi::OsString;
use std::path::Path;

use super::{Repository, discover, is_safe_directory, origin_url, parse_config, wildmatch};

fn no_env(_: &str) -> Option<OsString> {
    None
}

/// A git directory at `git_dir` with `config` as its configuration and `HEAD` on `branch`.
fn git_dir(git_dir: &Path, config: &str, branch: &str) {
    std::fs::create_dir_all(git_dir.join("objects")).unwrap();
    std::fs::create_dir_all(git_dir.join("refs/heads")).unwrap();
    std::fs::write(git_dir.join("HEAD"), format!("ref: refs/heads/{branch}\n")).unwrap();
    std::fs::write(git_dir.join("config"), config).unwrap();
}

fn origin(repository: &Repository) -> Option<String> {
    origin_url(repository, &no_env)
}

#[test]
fn parses_gits_configuration_syntax() {
    let text = "# a comment\n\
                [core]\n\trepositoryformatversion = 0\n\tbare\n\
                [remote \"origin\"] url = \"git@host:a b/c.git\" ; comment\n\
                [Remote \"Up\\\"stream\"]\n\tURL = one\\\n   two # trailing comment\n\
                [branch.Main]\n\tremote = origin\n\
                [broken\n\tignored = yes\n\
                [x]\n\tescapes = a\\tb\\\\c\\\"d\n";
    let entries = parse_config(text);
    let entries: Vec<(&str, &str, Option<&str>)> = entries
        .iter()
        .map(|(section, key, value)| (section.as_str(), key.as_str(), value.as_deref()))
        .collect();
    assert_eq!(
        entries,
        [
            ("core", "repositoryformatversion", Some("0")),
            ("core", "bare", None),
            ("remote \"origin\"", "url", Some("git@host:a b/c.git")),
            ("remote \"Up\"stream\"", "url", Some("one   two")),
            ("branch \"main\"", "remote", Some("origin")),
            ("x", "escapes", Some("a\tb\\c\"d")),
        ]
    );
}

#[test]
fn matches_like_gits_wildmatch() {
    let matches = |pattern: &str, text: &str| wildmatch(pattern.as_bytes(), text.as_bytes());
    assert!(matches("**/work/**", "/home/me/work/project/.git"));
    assert!(matches("/home/*/work/**", "/home/me/work/p/.git"));
    assert!(!matches("/home/*/work/**", "/home/me/you/work/p/.git"));
    assert!(matches("**/.git", "/a/b/.git"));
    assert!(matches("**/.git", ".git"));
    assert!(matches("feature/**", "feature/x/y"));
    assert!(matches("rel?ase-[0-9]", "release-7"));
    assert!(!matches("rel?ase-[!0-9]", "release-7"));
    assert!(!matches("a*b", "a/b"));
    assert!(matches("a\\*b", "a*b"));
    assert!(!matches("main", "maint"));
}

#[test]
fn discovers_plain_repositories_git_files_worktrees_and_bare_ones() {
    let root = tempfile::tempdir().unwrap();
    let plain = root.path().join("plain");
    git_dir(
        &plain.join(".git"),
        "[remote \"origin\"]\n\turl = A\n",
        "main",
    );
    std::fs::create_dir_all(plain.join("src/deep")).unwrap();
    let found = discover(&plain.join("src/deep")).unwrap();
    assert_eq!(found.work_tree.as_deref(), Some(plain.as_path()));
    assert_eq!(origin(&found).as_deref(), Some("A"));

    let separate = root.path().join("separate.git");
    git_dir(&separate, "[remote \"origin\"]\n\turl = B\n", "main");
    let work = root.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join(".git"), "gitdir: ../separate.git\n").unwrap();
    let found = discover(&work).unwrap();
    assert_eq!(found.git_file.as_deref(), Some(work.join(".git").as_path()));
    assert_eq!(origin(&found).as_deref(), Some("B"));

    let private = plain.join(".git/worktrees/feature");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(private.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
    std::fs::write(private.join("commondir"), "../..\n").unwrap();
    let linked = root.path().join("feature");
    std::fs::create_dir_all(&linked).unwrap();
    std::fs::write(
        linked.join(".git"),
        format!("gitdir: {}\n", private.display()),
    )
    .unwrap();
    let found = discover(&linked).unwrap();
    assert_eq!(
        origin(&found).as_deref(),
        Some("A"),
        "the main repository's config"
    );

    let bare = root.path().join("bare.git");
    git_dir(&bare, "[remote \"origin\"]\n\turl = C\n", "main");
    let found = discover(&bare).unwrap();
    assert_eq!(found.work_tree, None);
    assert_eq!(origin(&found).as_deref(), Some("C"));

    let nothing = tempfile::tempdir().unwrap();
    assert_eq!(discover(nothing.path()), None);
    // A `.git` that is no git directory does not count.
    std::fs::create_dir_all(nothing.path().join(".git")).unwrap();
    assert_eq!(discover(nothing.path()), None);
}

#[test]
fn follows_includes_and_the_conditions_that_hold() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("work/project");
    let shared = root.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(
        shared.join("origin.inc"),
        "[remote \"origin\"]\n\turl = included\n",
    )
    .unwrap();
    std::fs::write(
        shared.join("other.inc"),
        "[remote \"origin\"]\n\turl = other\n",
    )
    .unwrap();
    let include = |config: &str, branch: &str| {
        git_dir(&project.join(".git"), config, branch);
        origin(&discover(&project).unwrap())
    };
    let relative = "../../../shared/origin.inc";
    assert_eq!(
        include(&format!("[include]\n\tpath = {relative}\n"), "main").as_deref(),
        Some("included")
    );
    assert_eq!(
        include(
            &format!("[includeIf \"gitdir:work/\"]\n\tpath = {relative}\n[remote \"origin\"]\n\turl = own\n"),
            "main"
        )
        .as_deref(),
        Some("included")
    );
    assert_eq!(
        include(
            &format!("[includeIf \"gitdir:elsewhere/\"]\n\tpath = {relative}\n[remote \"origin\"]\n\turl = own\n"),
            "main"
        )
        .as_deref(),
        Some("own")
    );
    assert_eq!(
        include(
            &format!("[includeIf \"gitdir/i:WORK/\"]\n\tpath = {relative}\n"),
            "main"
        )
        .as_deref(),
        Some("included")
    );
    assert_eq!(
        include(
            &format!("[includeIf \"onbranch:release/\"]\n\tpath = {relative}\n[remote \"origin\"]\n\turl = own\n"),
            "release/1.0"
        )
        .as_deref(),
        Some("included")
    );
    assert_eq!(
        include(
            "[includeIf \"hasconfig:remote.*.url:x\"]\n\tpath = x\n",
            "main"
        ),
        None
    );
    // An include of itself ends at git's depth limit.
    assert_eq!(
        include(
            "[include]\n\tpath = config\n[remote \"origin\"]\n\turl = looped\n",
            "main"
        )
        .as_deref(),
        Some("looped")
    );
}

#[cfg(unix)]
#[test]
fn never_reads_what_could_block_or_never_end() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    git_dir(&project.join(".git"), "", "main");
    let config = project.join(".git/config");
    std::fs::remove_file(&config).unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &config,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let found = discover(&project).unwrap();
    assert_eq!(origin(&found), None, "a FIFO is not read");

    std::fs::remove_file(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    assert_eq!(origin(&found), None, "a device is not read");

    std::fs::remove_file(&config).unwrap();
    let huge = format!(
        "[remote \"origin\"]\n\turl = big\n# {}\n",
        "x".repeat(2 << 20)
    );
    std::fs::write(&config, huge).unwrap();
    assert_eq!(origin(&found), None, "a file over the limit is not read");

    // A FIFO as the `.git` file, or as `commondir`: no repository, and no wait.
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    rustix::fs::mkfifoat(rustix::fs::CWD, other.join(".git"), rustix::fs::Mode::RUSR).unwrap();
    assert_eq!(discover(&other), None);
    let worktree = root.path().join("worktree");
    git_dir(&worktree.join(".git"), "", "main");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        worktree.join(".git/commondir"),
        rustix::fs::Mode::RUSR,
    )
    .unwrap();
    assert!(
        discover(&worktree).is_some(),
        "an unreadable commondir is no commondir"
    );
}

#[test]
fn safe_directory_values_follow_gits_rules() {
    let root = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(root.path()).unwrap();
    let child = repo.join("child");
    std::fs::create_dir_all(&child).unwrap();
    let safe = |values: &[&str], checked: &Path| {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        is_safe_directory(checked, &values, &no_env)
    };
    let repo_text = repo.display().to_string();
    assert!(!safe(&[], &repo));
    assert!(safe(&["*"], &repo));
    assert!(safe(&[repo_text.as_str()], &repo));
    assert!(!safe(&[repo_text.as_str()], &child), "not what is under it");
    assert!(safe(&[format!("{repo_text}/*").as_str()], &child));
    assert!(
        !safe(&["*", ""], &repo),
        "an empty value forgets the ones before it"
    );
    assert!(!safe(&["/elsewhere"], &repo));
}
