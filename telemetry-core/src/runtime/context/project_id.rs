//! `projectID`: werf's exact algorithm, so that the same repository gets the same ID here as in
//! werf. The ID is the lowercase hex SHA-256 of `host + ":::" + path` of the `origin` remote's
//! first URL, parsed the way go-git's `transport.NewEndpoint` parses it (scp-like
//! `user@host:path`, then a plain file path, then a URL); user, password, port, query and
//! fragment are dropped, and the path loses one leading `/` and one trailing `.git`.
//!
//! The hash is unsalted, as werf's is, so that IDs stay comparable with werf's: anyone holding a
//! list of public repository addresses can tell which repository an ID is, and anyone who can
//! guess a private repository's address can check the guess. The generated docs say so. An
//! identifier nobody else can recompute is a [`Hashed`](crate::Hashed) field, keyed with the
//! installation's secret.
//!
//! ```
//! use telemetry_core::project_id;
//!
//! let id = project_id::from_origin_url("git@github.com:werf/werf.git");
//! assert_eq!(id.as_deref(), Some("590dba0ea49212652f94e1cb1dbf3cc673d1dd964dea5d35239afcbbb3d38690"));
//! // The same repository, another spelling, the same ID.
//! assert_eq!(
//!     project_id::from_origin_url("https://github.com/user/repository"),
//!     project_id::from_origin_url("ssh://git@github.com:22/user/repository.git"),
//! );
//! ```

use std::path::Path;

use super::git;

/// The projectID of the git repository that contains `dir`: `""` when `dir` is not in a git
/// repository, when git would not trust the repository (another user owns it and
/// `safe.directory` does not list it: else another local user would choose your projectID), or
/// when the origin URL cannot be parsed; the hash of `":::"` when there is no origin.
///
/// The repository is found the way git finds it, `.git` files and linked worktrees included,
/// and its configuration read with its includes; never with a subprocess, and every read is of
/// a small regular file (a FIFO, a device or a huge file is not read). Variables (`HOME`,
/// `SUDO_UID`, `GIT_CONFIG_GLOBAL`, ...) come from the process environment.
pub fn detect(dir: &Path) -> String {
    detect_in(dir, &|name| std::env::var_os(name))
}

/// [`detect`], reading variables with `env`.
pub(crate) fn detect_in(dir: &Path, env: git::Env<'_>) -> String {
    let Some(repository) = git::discover(dir) else {
        return String::new();
    };
    if !git::is_trusted(&repository, env) {
        return String::new();
    }
    // No origin, or no readable config: werf hashes an empty URL.
    let origin = git::origin_url(&repository, env).unwrap_or_default();
    from_origin_url(&origin).unwrap_or_default()
}

/// The projectID of an origin URL; `None` when go-git would not parse it.
pub fn from_origin_url(url: &str) -> Option<String> {
    let (host, path) = endpoint(url)?;
    // werf cuts what follows `?`; fragments are dropped too (werf's page says so; its code would
    // keep a fragment that follows no query, which no git remote has).
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix(".git").unwrap_or(path);
    Some(sha256_hex(&format!("{host}:::{path}")))
}

/// Lowercase hex SHA-256.
fn sha256_hex(text: &str) -> String {
    crate::hex::encode(&crate::sha256::digest(&[text.as_bytes()]))
}

/// `(host, path)` of a git endpoint, in go-git's order: scp-like, file path, URL.
fn endpoint(url: &str) -> Option<(String, String)> {
    if has_scheme(url) {
        return parse_url(url);
    }
    Some(scp_like(url).unwrap_or_else(|| (String::new(), url.to_owned())))
}

/// `^[^:]+://`
fn has_scheme(url: &str) -> bool {
    url.find(':')
        .is_some_and(|colon| colon > 0 && url[colon..].starts_with("://"))
}

/// go-git's scp-like endpoint:
/// `^(?:(?P<user>[^@]+)@)?(?P<host>[^:\s]+):(?:(?P<port>[0-9]{1,5})(?:\/|:))?(?P<path>[^\\].*\/[^\\].*)$`,
/// matched with the regex engine's choices: the user group, then the port group, are tried
/// present before absent.
fn scp_like(url: &str) -> Option<(String, String)> {
    let with_user = url
        .split_once('@')
        .filter(|(user, _)| !user.is_empty())
        .map(|(_, rest)| rest);
    with_user.into_iter().chain([url]).find_map(host_and_path)
}

fn host_and_path(rest: &str) -> Option<(String, String)> {
    let (host, after) = rest.split_once(':')?;
    if host.is_empty() || host.chars().any(is_regex_space) {
        return None;
    }
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    let with_port = (1..=5)
        .contains(&digits)
        .then(|| after.get(digits..)?.strip_prefix(['/', ':']))
        .flatten();
    with_port
        .into_iter()
        .chain([after])
        .find(|path| is_scp_path(path))
        .map(|path| (host.to_owned(), path.to_owned()))
}

/// `\s` of Go's regexp: `[\t\n\f\r ]`.
fn is_regex_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `^[^\\].*\/[^\\].*$`, where `.` matches anything but `\n`.
fn is_scp_path(path: &str) -> bool {
    let mut chars = path.chars();
    if chars.next().is_none_or(|first| first == '\\') {
        return false;
    }
    let rest = chars.as_str();
    rest.match_indices('/').any(|(slash, _)| {
        let Some((before, from_slash)) = rest.split_at_checked(slash) else {
            return false;
        };
        let mut after = from_slash.strip_prefix('/').unwrap_or_default().chars();
        !before.contains('\n')
            && after.next().is_some_and(|next| next != '\\')
            && !after.as_str().contains('\n')
    })
}

/// `(host, path)` of a URL, as Go's `net/url.Parse` and go-git's `parseURL` give them: the host
/// without its port (IPv6 in brackets), the path decoded, with its query and fragment.
fn parse_url(url: &str) -> Option<(String, String)> {
    if url.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let mut scheme_chars = scheme.chars();
    let valid_scheme = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return None;
    }
    if scheme.eq_ignore_ascii_case("file") {
        return Some((String::new(), rest.to_owned()));
    }
    let (rest, fragment) = rest
        .split_once('#')
        .map_or((rest, None), |(r, f)| (r, Some(f)));
    let (rest, query) = rest
        .split_once('?')
        .map_or((rest, None), |(r, q)| (r, Some(q)));
    let (authority, path) = rest
        .find('/')
        .map_or((rest, ""), |slash| rest.split_at(slash));
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_userinfo, host)| host);
    let host = hostname(host_port)?;
    let mut full_path = percent_decode(path)?;
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        full_path = format!("{full_path}?{query}");
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        full_path = format!("{full_path}#{}", percent_decode(fragment)?);
    }
    Some((host, full_path))
}

/// The host without its port, as Go's `URL.Hostname()`, an IPv6 host put back in brackets as
/// go-git does; `None` for a malformed port.
fn hostname(host_port: &str) -> Option<String> {
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        valid_port(after)?;
        return Some(format!("[{address}]"));
    }
    let (host, port) = host_port
        .rsplit_once(':')
        .map_or((host_port, ""), |(h, p)| (h, p));
    if host_port.contains(':') {
        valid_port(&format!(":{port}"))?;
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(host.to_owned())
}

/// `""` or `:` followed by digits.
fn valid_port(port: &str) -> Option<()> {
    match port.strip_prefix(':') {
        None if port.is_empty() => Some(()),
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(()),
        _ => None,
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let digit = |byte: Option<u8>| char::from(byte?).to_digit(16);
            let value = digit(bytes.next())?
                .checked_mul(16)?
                .checked_add(digit(bytes.next())?)?;
            decoded.push(u8::try_from(value).ok()?);
        } else {
            decoded.push(byte);
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::{from_origin_url, sha256_hex};

    const WERF: &str = "590dba0ea49212652f94e1cb1dbf3cc673d1dd964dea5d35239afcbbb3d38690";
    const USER_REPOSITORY: &str =
        "67faac1e7c66486620847c62a962fe00bb1055a78567c81d4abd8b6ce1f201dc";
    const NO_ORIGIN: &str = "f1ae2a75ed1f99721f02ef869e2fb3d4df102fdd73e2d00b424a222f9c1ea69c";

    fn id(url: &str) -> Option<String> {
        from_origin_url(url)
    }

    #[test]
    fn werfs_test_vectors() {
        assert_eq!(id("git@github.com:werf/werf.git").as_deref(), Some(WERF));
        for url in [
            "git@github.com:user/repository.git",
            "https://github.com/user/repository.git",
            "https://github.com/user/repository",
            "http://git:pass@github.com:9418/user/repository.git?foo#bar",
        ] {
            assert_eq!(id(url).as_deref(), Some(USER_REPOSITORY), "{url}");
        }
        assert_eq!(id("").as_deref(), Some(NO_ORIGIN));
        assert_eq!(sha256_hex(":::"), NO_ORIGIN);
    }

    #[test]
    fn every_spelling_of_one_repository_agrees() {
        for url in [
            "ssh://git@github.com/user/repository.git",
            "ssh://git@github.com:22/user/repository.git",
            "git+ssh://github.com/user/repository",
            "git://github.com/user/repository.git",
            "github.com:user/repository.git",
            "git@github.com:22/user/repository.git",
            "git@github.com:22:user/repository.git",
            "https://token@github.com/user/repository.git#main",
            "https://github.com/user%2Frepository.git",
        ] {
            assert_eq!(id(url).as_deref(), Some(USER_REPOSITORY), "{url}");
        }
    }

    #[test]
    fn scp_like_paths_need_a_slash_as_go_gits_regex_does() {
        // Not scp-like (no `/` in the path): a file path, host empty, path as is.
        assert_eq!(
            id("git@github.com:repository.git"),
            Some(sha256_hex(":::git@github.com:repository"))
        );
        // A port-like prefix without a following path is part of the path.
        assert_eq!(id("host:22/x"), Some(sha256_hex("host:::22/x")));
        // Whitespace is not a host.
        assert_eq!(id("my host:a/b"), Some(sha256_hex(":::my host:a/b")));
    }

    #[test]
    fn file_paths_and_file_urls_hash_the_path() {
        assert_eq!(
            id("/srv/git/project.git"),
            Some(sha256_hex(":::srv/git/project"))
        );
        assert_eq!(
            id("file:///srv/git/project.git"),
            Some(sha256_hex(":::srv/git/project"))
        );
        assert_eq!(id("../project"), Some(sha256_hex(":::../project")));
        assert_eq!(
            id(r"C:\repos\project.git"),
            Some(sha256_hex(r":::C:\repos\project"))
        );
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets() {
        assert_eq!(
            id("ssh://git@[::1]:2222/repo.git"),
            Some(sha256_hex("[::1]:::repo"))
        );
    }

    #[test]
    fn malformed_urls_have_no_id() {
        for url in [
            "https://github.com:port/user/repository",
            "https://github.com/bad%zzescape",
            "1https://github.com/user/repository",
            "ht_tp://github.com/user/repository",
            "https://github.com/user/repo\u{7}sitory",
            "https://[::1/user/repository",
        ] {
            assert_eq!(id(url), None, "{url}");
        }
    }
}
