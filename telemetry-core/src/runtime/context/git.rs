//! Just enough of git to find a repository's `origin` URL, the way git finds it, with bounded
//! reads only: discovery upwards from a directory (`.git` directories, `.git` files, linked
//! worktrees' `commondir`, bare repositories), the configuration with its `include.path` and
//! `includeIf` (`gitdir:`, `gitdir/i:`, `onbranch:`), and git's ownership rule: a repository
//! another user owns is not trusted unless `safe.directory` in the system or global
//! configuration says so.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::runtime::fs::read_small_text;

/// How deep includes may nest, as in git.
const MAX_INCLUDE_DEPTH: usize = 10;

/// The most configuration files one lookup reads.
const MAX_FILES: usize = 64;

/// Reads a variable of the environment the runtime was started with.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// A repository found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repository {
    /// The git directory: `.git`, a linked worktree's private one, or a bare repository.
    pub(crate) git_dir: PathBuf,
    /// Where the shared parts live (`config`, `objects`): `commondir`, or the git directory.
    pub(crate) common_dir: PathBuf,
    /// The working tree, `None` for a bare repository.
    pub(crate) work_tree: Option<PathBuf>,
    /// The `.git` file that pointed to the git directory, if there was one.
    pub(crate) git_file: Option<PathBuf>,
}

/// The repository containing `dir`, found as git finds it: `dir` and each parent in turn is
/// checked for a `.git` directory or file, or for being a git directory itself.
pub(crate) fn discover(dir: &Path) -> Option<Repository> {
    for candidate in dir.ancestors() {
        let dot_git = candidate.join(".git");
        match std::fs::metadata(&dot_git) {
            Ok(metadata) if metadata.is_dir() => {
                if let Some(common_dir) = git_directory(&dot_git) {
                    return Some(Repository {
                        git_dir: dot_git,
                        common_dir,
                        work_tree: Some(candidate.to_owned()),
                        git_file: None,
                    });
                }
            }
            Ok(metadata) if metadata.is_file() => {
                let git_dir = read_git_file(&dot_git)?;
                let common_dir = git_directory(&git_dir)?;
                return Some(Repository {
                    git_dir,
                    common_dir,
                    work_tree: Some(candidate.to_owned()),
                    git_file: Some(dot_git),
                });
            }
            _ => {}
        }
        if let Some(common_dir) = git_directory(candidate) {
            return Some(Repository {
                git_dir: candidate.to_owned(),
                common_dir,
                work_tree: None,
                git_file: None,
            });
        }
    }
    None
}

/// The git directory a `.git` file names (`gitdir: <path>`, relative to the file's directory).
fn read_git_file(path: &Path) -> Option<PathBuf> {
    let text = read_small_text(path)?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    if target.is_empty() {
        return None;
    }
    Some(path.parent()?.join(target))
}

/// Whether `dir` is a git directory, as git decides (a `HEAD` that is a symbolic ref or an
/// object ID, `objects/` and `refs/` in the common directory); its common directory if it is.
fn git_directory(dir: &Path) -> Option<PathBuf> {
    let head = read_small_text(&dir.join("HEAD"))?;
    let head = head.trim_end();
    let symbolic = head.starts_with("ref: refs/");
    let object_id = matches!(head.len(), 40 | 64) && head.bytes().all(|b| b.is_ascii_hexdigit());
    if !symbolic && !object_id {
        return None;
    }
    let common_dir = match read_small_text(&dir.join("commondir")) {
        Some(common) => dir.join(common.trim_end_matches(['\n', '\r'])),
        None => dir.to_owned(),
    };
    (common_dir.join("objects").is_dir() && common_dir.join("refs").is_dir()).then_some(common_dir)
}

/// The branch `HEAD` names (`main` for `ref: refs/heads/main`), if it names one.
fn current_branch(git_dir: &Path) -> Option<String> {
    let head = read_small_text(&git_dir.join("HEAD"))?;
    head.trim_end()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_owned)
}

/// Whether git would trust `repository` for the current user: every part of it (the `.git` file,
/// the working tree, the git directory) is the user's, or `safe.directory` in the system or
/// global configuration lists it (or `*`). A process running as root under `sudo` is the user
/// in `SUDO_UID`, as git has it.
#[cfg(unix)]
pub(crate) fn is_trusted(repository: &Repository, env: Env<'_>) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let mut user = crate::runtime::fs::current_uid();
    if user == 0
        && let Some(sudo) = env("SUDO_UID").and_then(|uid| uid.to_str()?.parse().ok())
    {
        user = sudo;
    }
    let owned = [
        repository.git_file.as_deref(),
        repository.work_tree.as_deref(),
        Some(repository.git_dir.as_path()),
    ]
    .into_iter()
    .flatten()
    .all(|path| std::fs::metadata(path).is_ok_and(|metadata| metadata.uid() == user));
    owned || {
        let checked = repository
            .work_tree
            .as_deref()
            .unwrap_or(&repository.git_dir);
        let checked = std::fs::canonicalize(checked).unwrap_or_else(|_| checked.to_owned());
        is_safe_directory(&checked, &safe_directories(env), env)
    }
}

#[cfg(not(unix))]
pub(crate) fn is_trusted(_repository: &Repository, _env: Env<'_>) -> bool {
    true
}

/// Every `safe.directory` value in the system and global configuration, and in
/// `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>`, in order (git ignores it in a
/// repository's own configuration, which the repository's owner controls).
fn safe_directories(env: Env<'_>) -> Vec<String> {
    let path_var = |name: &str| {
        env(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    let home = path_var("HOME");
    let mut files = Vec::new();
    if env("GIT_CONFIG_NOSYSTEM").is_none() {
        files.push(path_var("GIT_CONFIG_SYSTEM").unwrap_or_else(|| "/etc/gitconfig".into()));
    }
    if let Some(global) = path_var("GIT_CONFIG_GLOBAL") {
        files.push(global);
    } else {
        let xdg =
            path_var("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|home| home.join(".config")));
        files.extend(xdg.map(|xdg| xdg.join("git/config")));
        files.extend(home.as_ref().map(|home| home.join(".gitconfig")));
    }
    let context = Context {
        git_dir: None,
        home: home.as_deref(),
    };
    let mut values = Vec::new();
    let mut budget = MAX_FILES;
    for file in files {
        read_config(
            &file,
            &context,
            0,
            &mut budget,
            &mut |section, key, value| {
                if section.eq_ignore_ascii_case("safe") && key.eq_ignore_ascii_case("directory") {
                    values.push(value.unwrap_or_default().to_owned());
                }
            },
        );
    }
    let count: usize = env("GIT_CONFIG_COUNT")
        .and_then(|count| count.to_str()?.parse().ok())
        .unwrap_or(0);
    for index in 0..count.min(1000) {
        let key = env(&format!("GIT_CONFIG_KEY_{index}"));
        if key.is_some_and(|key| key.eq_ignore_ascii_case("safe.directory")) {
            let value = env(&format!("GIT_CONFIG_VALUE_{index}")).unwrap_or_default();
            values.push(value.to_string_lossy().into_owned());
        }
    }
    values
}

/// Whether the `safe.directory` values allow `checked` (a canonical path): an empty value
/// forgets the ones before it, `*` allows everything, `<path>/*` a path and what is under it,
/// any other value that very path.
fn is_safe_directory(checked: &Path, values: &[String], env: Env<'_>) -> bool {
    let mut safe = false;
    for value in values {
        if value.is_empty() {
            safe = false;
            continue;
        }
        if value == "*" {
            safe = true;
            continue;
        }
        let home = env("HOME").map(PathBuf::from);
        let (value, under) = match value.strip_suffix("/*") {
            Some(prefix) => (prefix, true),
            None => (value.as_str(), false),
        };
        let expanded = match (value.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(value),
        };
        let expanded = std::fs::canonicalize(&expanded).unwrap_or(expanded);
        if checked == expanded || (under && checked.starts_with(&expanded)) {
            safe = true;
        }
    }
    safe
}

/// The first URL of the `origin` remote in `repository`'s configuration, includes followed.
pub(crate) fn origin_url(repository: &Repository, env: Env<'_>) -> Option<String> {
    let home = env("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from);
    let context = Context {
        git_dir: Some(&repository.git_dir),
        home: home.as_deref(),
    };
    let mut url = None;
    let mut budget = MAX_FILES;
    read_config(
        &repository.common_dir.join("config"),
        &context,
        0,
        &mut budget,
        &mut |section, key, value| {
            if url.is_none()
                && section.eq_ignore_ascii_case("remote \"origin\"")
                && key.eq_ignore_ascii_case("url")
            {
                url = Some(value.unwrap_or_default().to_owned());
            }
        },
    );
    url
}

/// What conditional includes are evaluated against.
struct Context<'a> {
    /// The repository's git directory (`None` outside a repository: no `includeIf` applies).
    git_dir: Option<&'a Path>,
    /// The user's home directory, for `~/`.
    home: Option<&'a Path>,
}

/// Calls `visit(section, key, value)` for every entry of the configuration file `path`, in
/// order, included files where they are included. Sections are `name` or `name "subsection"`
/// (the name lower case); `value` is `None` for a key without `=`. An unreadable file is skipped,
/// as git skips a missing include.
fn read_config(
    path: &Path,
    context: &Context<'_>,
    depth: usize,
    budget: &mut usize,
    visit: &mut dyn FnMut(&str, &str, Option<&str>),
) {
    if depth > MAX_INCLUDE_DEPTH || *budget == 0 {
        return;
    }
    *budget = budget.saturating_sub(1);
    let Some(text) = read_small_text(path) else {
        return;
    };
    for (section, key, value) in parse_config(&text) {
        visit(&section, &key, value.as_deref());
        if !key.eq_ignore_ascii_case("path") {
            continue;
        }
        let Some(value) = value.as_deref().filter(|value| !value.is_empty()) else {
            continue;
        };
        let include = if section == "include" {
            true
        } else if let Some(condition) = section
            .strip_prefix("includeif \"")
            .and_then(|rest| rest.strip_suffix('"'))
        {
            condition_holds(condition, path, context)
        } else {
            false
        };
        if include {
            let included = resolve_path(value, path, context.home);
            read_config(&included, context, depth.saturating_add(1), budget, visit);
        }
    }
}

/// An include's path: `~/` in the home directory, a relative path next to the including file.
fn resolve_path(value: &str, including: &Path, home: Option<&Path>) -> PathBuf {
    if let (Some(rest), Some(home)) = (value.strip_prefix("~/"), home) {
        return home.join(rest);
    }
    let path = Path::new(value);
    if path.is_absolute() {
        path.to_owned()
    } else {
        including
            .parent()
            .map_or_else(|| path.to_owned(), |dir| dir.join(path))
    }
}

/// Whether an `includeIf` condition holds: `gitdir:`, `gitdir/i:` (case-insensitive) or
/// `onbranch:`. Other conditions (`hasconfig:`) never hold here.
fn condition_holds(condition: &str, including: &Path, context: &Context<'_>) -> bool {
    let Some(git_dir) = context.git_dir else {
        return false;
    };
    let (pattern, fold_case, is_branch) = if let Some(pattern) = condition.strip_prefix("gitdir:") {
        (pattern, false, false)
    } else if let Some(pattern) = condition.strip_prefix("gitdir/i:") {
        (pattern, true, false)
    } else if let Some(pattern) = condition.strip_prefix("onbranch:") {
        (pattern, false, true)
    } else {
        return false;
    };
    if is_branch {
        let Some(branch) = current_branch(git_dir) else {
            return false;
        };
        let pattern = if pattern.ends_with('/') {
            format!("{pattern}**")
        } else {
            pattern.to_owned()
        };
        return wildmatch(pattern.as_bytes(), branch.as_bytes());
    }
    let mut pattern = if let Some(rest) = pattern.strip_prefix("./") {
        match including.parent() {
            Some(dir) => format!("{}/{rest}", dir.display()),
            None => rest.to_owned(),
        }
    } else if let (Some(rest), Some(home)) = (pattern.strip_prefix("~/"), context.home) {
        format!("{}/{rest}", home.display())
    } else {
        pattern.to_owned()
    };
    if !pattern.starts_with('/') {
        pattern.insert_str(0, "**/");
    }
    if pattern.ends_with('/') {
        pattern.push_str("**");
    }
    let candidates = [
        Some(git_dir.to_owned()),
        std::fs::canonicalize(git_dir).ok(),
    ];
    candidates.into_iter().flatten().any(|dir| {
        let dir = dir.to_string_lossy().into_owned();
        if fold_case {
            wildmatch(
                pattern.to_lowercase().as_bytes(),
                dir.to_lowercase().as_bytes(),
            )
        } else {
            wildmatch(pattern.as_bytes(), dir.as_bytes())
        }
    })
}

/// git's `wildmatch` with `WM_PATHNAME`: `*` and `?` never match `/`, `**` between slashes (or
/// at either end) matches any number of directories, `[...]` a class (`!` or `^` negates).
fn wildmatch(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) if rest.first() == Some(&b'*') => {
            let rest = rest.get(1..).unwrap_or_default();
            match rest.split_first() {
                // `**/`: zero or more whole directories.
                Some((b'/', after)) => {
                    wildmatch(after, text)
                        || (0..text.len()).any(|index| match text.split_at_checked(index) {
                            Some((_, [b'/', rest @ ..])) => wildmatch(after, rest),
                            _ => false,
                        })
                }
                // `**` at the end: everything.
                None => true,
                // `**` elsewhere acts as `*`.
                Some(_) => star(rest, text),
            }
        }
        Some((b'*', rest)) => star(rest, text),
        Some((b'?', rest)) => match text.split_first() {
            Some((&byte, text)) if byte != b'/' => wildmatch(rest, text),
            _ => false,
        },
        Some((b'[', rest)) => {
            let Some((&byte, text)) = text.split_first() else {
                return false;
            };
            match class(rest, byte) {
                Some((true, after)) if byte != b'/' => wildmatch(after, text),
                Some(_) => false,
                // No closing `]`: a literal `[`.
                None => byte == b'[' && wildmatch(rest, text),
            }
        }
        Some((b'\\', rest)) if !rest.is_empty() => match (rest.split_first(), text.split_first()) {
            (Some((expected, rest)), Some((actual, text))) if expected == actual => {
                wildmatch(rest, text)
            }
            _ => false,
        },
        Some((expected, rest)) => match text.split_first() {
            Some((actual, text)) if expected == actual => wildmatch(rest, text),
            _ => false,
        },
    }
}

/// `*` then `rest`: any run of bytes but `/`.
fn star(rest: &[u8], text: &[u8]) -> bool {
    for end in 0..=text.len() {
        if wildmatch(rest, text.get(end..).unwrap_or_default()) {
            return true;
        }
        if text.get(end) == Some(&b'/') {
            return false;
        }
    }
    false
}

/// Matches `byte` against the class after `[`; `(matched, pattern after ])`, or `None` without
/// a closing `]`.
fn class(pattern: &[u8], byte: u8) -> Option<(bool, &[u8])> {
    let (negated, mut rest) = match pattern.split_first() {
        Some((b'!' | b'^', rest)) => (true, rest),
        _ => (false, pattern),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        let (&current, after) = rest.split_first()?;
        if current == b']' && !first {
            return Some((matched != negated, after));
        }
        first = false;
        if let (Some(b'-'), Some(&end)) = (after.first(), after.get(1))
            && end != b']'
        {
            matched |= (current..=end).contains(&byte);
            rest = after.get(2..).unwrap_or_default();
        } else {
            matched |= current == byte;
            rest = after;
        }
    }
}

/// The entries of a git configuration file: `(section, key, value)`, with the section as
/// [`read_config`] gives it. Malformed lines are skipped.
fn parse_config(text: &str) -> Vec<(String, String, Option<String>)> {
    let mut entries = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut rest = line.trim_start();
        if let Some(header) = rest.strip_prefix('[') {
            let Some((parsed, after)) = parse_section(header) else {
                section.clear();
                continue;
            };
            section = parsed;
            rest = after.trim_start();
        }
        if rest.is_empty() || rest.starts_with(['#', ';']) || section.is_empty() {
            continue;
        }
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at(name_end);
        if key.is_empty() {
            continue;
        }
        let after = after.trim_start();
        let value = if let Some(raw) = after.strip_prefix('=') {
            parse_value(raw, &mut lines)
        } else if after.is_empty() || after.starts_with(['#', ';']) {
            None
        } else {
            continue;
        };
        entries.push((section.clone(), key.to_ascii_lowercase(), value));
    }
    entries
}

/// A section header after `[`: `name` or `name "subsection"` (escapes `\"` and `\\`), or the
/// older `name.subsection`; returns it as `name` or `name "subsection"`, and what follows `]`.
fn parse_section(header: &str) -> Option<(String, &str)> {
    let name_end = header
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or(header.len());
    let (name, rest) = header.split_at(name_end);
    if name.is_empty() {
        return None;
    }
    if let Some(after) = rest.strip_prefix(']') {
        return Some(match name.split_once('.') {
            Some((name, subsection)) => (
                format!(
                    "{} \"{}\"",
                    name.to_ascii_lowercase(),
                    subsection.to_ascii_lowercase()
                ),
                after,
            ),
            None => (name.to_ascii_lowercase(), after),
        });
    }
    let quoted = rest.trim_start().strip_prefix('"')?;
    let mut subsection = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => subsection.push(chars.next()?),
            '"' => {
                let after = chars.as_str().strip_prefix(']')?;
                return Some((
                    format!("{} \"{subsection}\"", name.to_ascii_lowercase()),
                    after,
                ));
            }
            c => subsection.push(c),
        }
    }
    None
}

/// A value after `=`: quotes removed, escapes decoded, a comment outside quotes ends it,
/// unquoted trailing whitespace dropped, and a final `\` continues it on the next line.
fn parse_value<'a>(raw: &str, lines: &mut impl Iterator<Item = &'a str>) -> Option<String> {
    let mut value = String::new();
    let mut quoted = false;
    // How long the value is without its unquoted trailing whitespace.
    let mut kept = 0;
    let mut current = raw.trim_start().to_owned();
    loop {
        let mut chars = current.chars();
        let mut continued = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                '\\' => match chars.next() {
                    None => {
                        continued = true;
                        break;
                    }
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('b') => {
                        value.pop();
                    }
                    Some(other) => value.push(other),
                },
                '#' | ';' if !quoted => break,
                c if c.is_whitespace() && !quoted => {
                    value.push(c);
                    continue;
                }
                c => value.push(c),
            }
            kept = value.len();
        }
        if !continued {
            value.truncate(kept);
            return Some(value);
        }
        kept = value.len();
        lines.next()?.clone_into(&mut current);
    }
}

#[cfg(test)]
mod tests;
