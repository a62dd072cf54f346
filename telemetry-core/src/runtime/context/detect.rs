//! What the runtime detects about where it runs: the OS and CPU in Go's names, the CI system,
//! and a fresh execution ID.

/// The running OS in Go's `GOOS` names, which the payload uses: Rust's `macos` is `darwin`.
pub fn os() -> &'static str {
    go_os(std::env::consts::OS)
}

/// The running CPU architecture in Go's `GOARCH` names: Rust's `x86_64` is `amd64`, `aarch64`
/// is `arm64`.
pub fn arch() -> &'static str {
    go_arch(std::env::consts::ARCH, cfg!(target_endian = "little"))
}

/// Go's `GOOS` for a value of Rust's `std::env::consts::OS`.
pub fn go_os(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `GOARCH` for a value of Rust's `std::env::consts::ARCH`, given the byte order (Go names
/// little-endian MIPS and POWER variants apart).
pub fn go_arch(arch: &str, little_endian: bool) -> &str {
    match (arch, little_endian) {
        ("x86_64", _) => "amd64",
        ("x86", _) => "386",
        ("aarch64", _) => "arm64",
        ("powerpc64", true) => "ppc64le",
        ("powerpc64", false) => "ppc64",
        ("powerpc", _) => "ppc",
        ("mips", true) => "mipsle",
        ("mips64", true) => "mips64le",
        ("loongarch64", _) => "loong64",
        ("wasm32", _) => "wasm",
        (other, _) => other,
    }
}

/// A fresh `executionID`: a random UUID v4, lowercase and hyphenated.
pub fn execution_id() -> String {
    crate::random::uuid_v4()
}

/// How a CI system's presence shows in the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CiSignal {
    /// The variable is `true` (in any case).
    IsTrue(&'static str),
    /// The variable is set and not empty.
    NonEmpty(&'static str),
    /// The variable has this value.
    Equals(&'static str, &'static str),
}

impl CiSignal {
    /// The variable the signal reads.
    pub fn variable(&self) -> &'static str {
        match self {
            CiSignal::IsTrue(name) | CiSignal::NonEmpty(name) | CiSignal::Equals(name, _) => name,
        }
    }

    /// Whether `value` (of [`variable`](Self::variable)) shows the system.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            CiSignal::IsTrue(_) => value.eq_ignore_ascii_case("true"),
            CiSignal::NonEmpty(_) => !value.is_empty(),
            CiSignal::Equals(_, expected) => value == *expected,
        }
    }
}

/// A CI/CD system the runtime recognises: its `ciName` and how it is detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CiSystem {
    /// The `attributes.ciName`.
    pub name: &'static str,
    /// How it shows in the environment.
    pub signal: CiSignal,
}

/// Every CI system recognised. werf's eight come first, in werf's order; as in werf, when
/// several match, the last one wins.
pub const CI_SYSTEMS: &[CiSystem] = &[
    CiSystem {
        name: "gitlab",
        signal: CiSignal::IsTrue("GITLAB_CI"),
    },
    CiSystem {
        name: "jenkins",
        signal: CiSignal::NonEmpty("JENKINS_URL"),
    },
    CiSystem {
        name: "travis",
        signal: CiSignal::IsTrue("TRAVIS"),
    },
    CiSystem {
        name: "github-actions",
        signal: CiSignal::IsTrue("GITHUB_ACTIONS"),
    },
    CiSystem {
        name: "circleci",
        signal: CiSignal::IsTrue("CIRCLECI"),
    },
    CiSystem {
        name: "teamcity",
        signal: CiSignal::NonEmpty("TEAMCITY_VERSION"),
    },
    CiSystem {
        name: "buddy",
        signal: CiSignal::IsTrue("BUDDY"),
    },
    CiSystem {
        name: "gocd",
        signal: CiSignal::NonEmpty("GO_SERVER_URL"),
    },
    CiSystem {
        name: "azure-pipelines",
        signal: CiSignal::IsTrue("TF_BUILD"),
    },
    CiSystem {
        name: "bitbucket",
        signal: CiSignal::NonEmpty("BITBUCKET_BUILD_NUMBER"),
    },
    CiSystem {
        name: "buildkite",
        signal: CiSignal::IsTrue("BUILDKITE"),
    },
    CiSystem {
        name: "drone",
        signal: CiSignal::IsTrue("DRONE"),
    },
    CiSystem {
        name: "woodpecker",
        signal: CiSignal::Equals("CI", "woodpecker"),
    },
    CiSystem {
        name: "appveyor",
        signal: CiSignal::IsTrue("APPVEYOR"),
    },
    CiSystem {
        name: "aws-codebuild",
        signal: CiSignal::NonEmpty("CODEBUILD_BUILD_ARN"),
    },
    CiSystem {
        name: "bamboo",
        signal: CiSignal::NonEmpty("bamboo_planKey"),
    },
    CiSystem {
        name: "bitrise",
        signal: CiSignal::IsTrue("BITRISE_IO"),
    },
    CiSystem {
        name: "semaphore",
        signal: CiSignal::IsTrue("SEMAPHORE"),
    },
    CiSystem {
        name: "gitea-actions",
        signal: CiSignal::IsTrue("GITEA_ACTIONS"),
    },
    CiSystem {
        name: "harness",
        signal: CiSignal::NonEmpty("HARNESS_BUILD_ID"),
    },
    CiSystem {
        name: "codefresh",
        signal: CiSignal::NonEmpty("CF_BUILD_ID"),
    },
];

/// `(ci, ciName)` from the environment: `CI` being `1`, `true` or `yes` (in any case), or any
/// recognised system, sets `ci`; the last system to match names it. `var` reads a variable as
/// UTF-8.
pub fn ci<'a>(var: impl Fn(&str) -> Option<&'a str>) -> (bool, Option<&'static str>) {
    let name = CI_SYSTEMS
        .iter()
        .filter(|system| {
            var(system.signal.variable()).is_some_and(|value| system.signal.matches(value))
        })
        .last()
        .map(|system| system.name);
    let ci_variable = var("CI").is_some_and(|value| {
        let value = value.trim();
        ["1", "true", "yes"]
            .iter()
            .any(|truthy| value.eq_ignore_ascii_case(truthy))
    });
    (ci_variable || name.is_some(), name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{CI_SYSTEMS, ci, execution_id, go_arch, go_os};
    use crate::model::context::Context;

    fn detect(vars: &[(&str, &str)]) -> (bool, Option<&'static str>) {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        ci(|name| vars.get(name).copied())
    }

    #[test]
    fn os_and_arch_use_gos_names() {
        assert_eq!(go_os("macos"), "darwin");
        assert_eq!(go_os("linux"), "linux");
        assert_eq!(go_os("windows"), "windows");
        assert_eq!(go_arch("x86_64", true), "amd64");
        assert_eq!(go_arch("aarch64", true), "arm64");
        assert_eq!(go_arch("x86", true), "386");
        assert_eq!(go_arch("powerpc64", true), "ppc64le");
        assert_eq!(go_arch("powerpc64", false), "ppc64");
        assert_eq!(go_arch("s390x", false), "s390x");
        assert_eq!(go_arch("riscv64", true), "riscv64");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(super::arch(), "amd64");
        #[cfg(target_arch = "aarch64")]
        assert_eq!(super::arch(), "arm64");
        #[cfg(target_os = "linux")]
        assert_eq!(super::os(), "linux");
        #[cfg(target_os = "macos")]
        assert_eq!(super::os(), "darwin");
    }

    #[test]
    fn execution_ids_are_fresh_uuid_v4s() {
        let (a, b) = (execution_id(), execution_id());
        assert!(Context::is_execution_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn every_system_is_detected_by_its_own_signal() {
        for system in CI_SYSTEMS {
            let value = match system.signal {
                super::CiSignal::IsTrue(_) => "true",
                super::CiSignal::NonEmpty(_) => "https://ci.example",
                super::CiSignal::Equals(_, value) => value,
            };
            assert_eq!(
                detect(&[(system.signal.variable(), value)]),
                (true, Some(system.name)),
                "{}",
                system.name
            );
        }
    }

    #[test]
    fn werfs_systems_keep_werfs_rules() {
        assert_eq!(detect(&[("GITLAB_CI", "true")]), (true, Some("gitlab")));
        assert_eq!(detect(&[("GITLAB_CI", "")]), (false, None));
        assert_eq!(detect(&[("GITLAB_CI", "false")]), (false, None));
        assert_eq!(detect(&[("JENKINS_URL", "")]), (false, None));
        assert_eq!(
            detect(&[("TF_BUILD", "True")]),
            (true, Some("azure-pipelines"))
        );
        // The last match wins, as in werf.
        assert_eq!(
            detect(&[("GITLAB_CI", "true"), ("GITHUB_ACTIONS", "true")]),
            (true, Some("github-actions"))
        );
    }

    #[test]
    fn the_ci_variable_alone_sets_ci_without_a_name() {
        for value in ["1", "true", "TRUE", "yes", " Yes "] {
            assert_eq!(detect(&[("CI", value)]), (true, None), "{value}");
        }
        for value in ["", "0", "false", "no", "on"] {
            assert_eq!(detect(&[("CI", value)]), (false, None), "{value}");
        }
        assert_eq!(detect(&[("CI", "woodpecker")]), (true, Some("woodpecker")));
        assert_eq!(detect(&[]), (false, None));
    }

    #[test]
    fn system_names_are_unique() {
        let mut names: Vec<_> = CI_SYSTEMS.iter().map(|system| system.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CI_SYSTEMS.len());
    }
}
