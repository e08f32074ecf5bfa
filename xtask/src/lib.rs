//! Repository checks run as `#[test]`s, so the architecture's invariants are executable:
//!
//! - every dependency between workspace crates is one ARCHITECTURE.md allows (the service side
//!   and the tooling side never import each other; the checker never imports the library;
//!   the test-support crate is a dev-dependency only, and depends on no workspace crate but the
//!   contract's schemas and the HTTP client);
//! - every crate root and every module file opens with a `//!` comment saying what it is for,
//!   and none in `crates/*/src` is over 800 lines;
//! - nothing tracked points outside the repository or at a file that does not exist, and no
//!   `include_str!` leaves its crate ([`links`]).
//!
//! It reads files only (and asks `git ls-files` which are tracked) and depends on nothing.

pub mod links;

use std::path::{Path, PathBuf};

/// The workspace crates each crate may depend on (as a dependency or a dev-dependency; a crate
/// may always depend on itself, to turn on its own features in its tests).
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("dockerflow-mozlog", &[]),
    // The contract without its validators: the secret names `redact` removes.
    ("dockerflow", &["dockerflow-mozlog", "dockerflow-contract"]),
    ("dockerflow-actix", &["dockerflow"]),
    ("dockerflow-demo", &["dockerflow"]),
    ("dockerflow-bench", &["dockerflow", "dockerflow-mozlog"]),
    ("dockerflow-oci", &[]),
    ("dockerflow-dockerfile", &[]),
    (
        "dockerflow-check",
        &[
            "dockerflow-oci",
            "dockerflow-dockerfile",
            "dockerflow-contract",
            "dockerflow-http",
        ],
    ),
    ("dockerflow-report", &["dockerflow-check"]),
    ("dockerflow-http", &[]),
    ("dockerflow-engine", &["dockerflow-http"]),
    ("dockerflow-registry", &["dockerflow-oci"]),
    (
        "dockerflow-image",
        &["dockerflow-oci", "dockerflow-engine", "dockerflow-registry"],
    ),
    (
        "dockerflow-probe",
        &[
            "dockerflow-check",
            "dockerflow-engine",
            "dockerflow-http",
            "dockerflow-oci",
        ],
    ),
    (
        "dockerflow-build",
        &["dockerflow-oci", "dockerflow-contract"],
    ),
    (
        "dockerflow-cli",
        &[
            "dockerflow-check",
            "dockerflow-report",
            "dockerflow-build",
            "dockerflow-oci",
            "dockerflow-dockerfile",
            "dockerflow-engine",
            "dockerflow-http",
            "dockerflow-registry",
            "dockerflow-image",
            "dockerflow-probe",
            "dockerflow-contract",
        ],
    ),
    (
        "dockerflow-fuzz",
        &[
            "dockerflow-dockerfile",
            "dockerflow-oci",
            "dockerflow-check",
            "dockerflow-build",
            "dockerflow-http",
        ],
    ),
    ("dockerflow-pre-commit", &["dockerflow-cli"]),
    ("xtask", &[]),
    (
        "dockerflow-testkit",
        &["dockerflow-contract", "dockerflow-http"],
    ),
    ("dockerflow-contract", &[]),
];

/// Crates any workspace crate may use in `[dev-dependencies]`, and nowhere else: test support,
/// which no product crate may depend on.
pub const DEV_ONLY: &[&str] = &["dockerflow-testkit"];

/// A dependency of one workspace crate on another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The package depended on.
    pub to: String,
    /// Whether it is in `[dev-dependencies]` (tests, examples and benches only).
    pub dev: bool,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The manifests of the workspace members: the root `Cargo.toml` (the root package, for
/// pre-commit) and those of its `members` list.
pub fn member_manifests() -> Vec<PathBuf> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
    let Some(start) = text.find("\nmembers = [") else {
        return Vec::new();
    };
    let list = &text[start..text[start..].find(']').map_or(text.len(), |e| start + e)];
    std::iter::once(root().join("Cargo.toml"))
        .chain(
            list.split('"')
                .skip(1)
                .step_by(2)
                .map(|m| root().join(m).join("Cargo.toml")),
        )
        .collect()
}

/// The package name and the workspace crates a manifest depends on (in `[dependencies]`,
/// `[dev-dependencies]` and `[build-dependencies]`, including target-specific ones), in every
/// form TOML allows: `name = ...`, `name.workspace = true`, a `[dependencies.name]` table, and a
/// dependency renamed with `package = "..."` (the edge is to the package, not the key).
pub fn workspace_edges(manifest: &str) -> (String, Vec<Edge>) {
    let mut name = String::new();
    let mut section = String::new();
    let mut edges = Vec::new();
    // A `[dependencies.key]` table: its key and kind, until its `package = ...` or its end.
    let mut table: Option<(String, bool, Option<String>)> = None;
    let flush = |table: &mut Option<(String, bool, Option<String>)>, edges: &mut Vec<Edge>| {
        if let Some((key, dev, package)) = table.take() {
            let to = package.unwrap_or(key);
            if is_workspace_crate(&to) {
                edges.push(Edge { to, dev });
            }
        }
    };
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            flush(&mut table, &mut edges);
            section = line.trim_matches(['[', ']']).trim().to_owned();
            // The root manifest's `[workspace.dependencies]` declares versions; it is no edge.
            if section.starts_with("workspace") {
                section.clear();
                continue;
            }
            if let Some((kind, key)) = dependency_table(&section) {
                table = Some((key, kind == "dev-dependencies", None));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        if let Some((_, _, package)) = &mut table {
            if key == "package" {
                *package = Some(quoted(value).to_owned());
            }
            continue;
        }
        // `name.workspace = true` names the crate `name`; `name.package = "x"` renames it.
        let (key, dotted) = match key.split_once('.') {
            Some((k, rest)) => (k.trim().trim_matches('"'), Some(rest.trim())),
            None => (key, None),
        };
        if section == "package" && key == "name" {
            name = quoted(value).to_owned();
        }
        if !section.ends_with("dependencies") {
            continue;
        }
        let package = match dotted {
            Some("package") => Some(quoted(value)),
            Some(_) => None,
            None => inline_package(value),
        };
        let to = package.unwrap_or(key);
        if is_workspace_crate(to) {
            edges.push(Edge {
                to: to.to_owned(),
                dev: section.ends_with("dev-dependencies"),
            });
        }
    }
    flush(&mut table, &mut edges);
    (name, edges)
}

fn is_workspace_crate(name: &str) -> bool {
    name == "dockerflow" || name.starts_with("dockerflow-") || name == "xtask"
}

/// `dependencies.x`, `dev-dependencies.x`, `target.'cfg(..)'.dependencies.x`: the kind and `x`.
fn dependency_table(section: &str) -> Option<(&str, String)> {
    for kind in ["dev-dependencies", "build-dependencies", "dependencies"] {
        let Some(at) = section.rfind(&format!("{kind}.")) else {
            continue;
        };
        let before_ok = at == 0 || section[..at].ends_with('.');
        if before_ok {
            let key = section[at + kind.len() + 1..].trim().trim_matches('"');
            return Some((kind, key.to_owned()));
        }
    }
    None
}

/// The first double-quoted string of a TOML value (`"x"` gives `x`).
fn quoted(value: &str) -> &str {
    value.split('"').nth(1).unwrap_or_default()
}

/// `{ package = "x", ... }` gives `x`.
fn inline_package(value: &str) -> Option<&str> {
    let at = value.find("package")?;
    let rest = value[at + "package".len()..]
        .trim_start()
        .strip_prefix('=')?;
    Some(quoted(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_arrows_match_architecture_md() {
        let manifests = member_manifests();
        assert!(manifests.len() >= 5, "found the members: {manifests:?}");
        for path in manifests {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let (name, edges) = workspace_edges(&text);
            let allowed = ALLOWED
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| {
                    panic!(
                        "{name} ({}) is not in xtask's ALLOWED table",
                        path.display()
                    )
                })
                .1;
            for Edge { to, dev } in edges {
                if DEV_ONLY.contains(&to.as_str()) {
                    assert!(
                        dev,
                        "{name} depends on {to} outside [dev-dependencies]: it is test-only"
                    );
                    continue;
                }
                assert!(
                    to == name || allowed.contains(&to.as_str()),
                    "{name} depends on {to}, which ARCHITECTURE.md does not allow"
                );
            }
        }
    }

    #[test]
    fn the_root_package_depends_on_the_command_alone() {
        // The root manifest also holds `[workspace.dependencies]`, which name every crate: they
        // are declarations, not edges.
        let text = std::fs::read_to_string(root().join("Cargo.toml")).expect("root manifest");
        let (name, edges) = workspace_edges(&text);
        assert_eq!(name, "dockerflow-pre-commit");
        assert_eq!(
            edges,
            vec![Edge {
                to: "dockerflow-cli".to_owned(),
                dev: false
            }]
        );
        assert!(member_manifests().contains(&root().join("Cargo.toml")));
    }

    #[test]
    fn the_checker_never_sees_the_library() {
        for (crate_name, allowed) in ALLOWED {
            let tooling = [
                "dockerflow-check",
                "dockerflow-report",
                "dockerflow-build",
                "dockerflow-cli",
                "dockerflow-pre-commit",
                "dockerflow-probe",
                "dockerflow-engine",
                "dockerflow-http",
                "dockerflow-registry",
                "dockerflow-image",
                "dockerflow-fuzz",
            ];
            if tooling.contains(crate_name) {
                assert!(
                    !allowed
                        .iter()
                        .any(|d| *d == "dockerflow" || *d == "dockerflow-mozlog"),
                    "{crate_name}"
                );
            }
        }
    }

    #[test]
    fn every_source_file_says_what_it_is_for() {
        let mut missing = Vec::new();
        for manifest in member_manifests() {
            let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut stack = vec![dir.join("src")];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        let text = std::fs::read_to_string(&path).unwrap_or_default();
                        let first = text
                            .lines()
                            .find(|l| !l.trim().is_empty())
                            .unwrap_or_default();
                        if !first.starts_with("//!") {
                            missing.push(path.display().to_string());
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "files without a `//!` header: {missing:#?}"
        );
    }

    /// The house rule of issue 16: a file that grows past this has more than one concern
    /// (split it along them, not at a line count).
    const MAX_LINES: usize = 800;

    #[test]
    fn no_source_file_in_crates_is_over_800_lines() {
        let mut long = Vec::new();
        let crates = std::fs::read_dir(root().join("crates")).expect("crates/");
        // Each crate's sources only: its tests and fixtures may be long.
        let mut stack: Vec<PathBuf> = crates.flatten().map(|e| e.path().join("src")).collect();
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let lines = std::fs::read_to_string(&path)
                        .unwrap_or_default()
                        .lines()
                        .count();
                    if lines > MAX_LINES {
                        long.push(format!("{} ({lines} lines)", path.display()));
                    }
                }
            }
        }
        assert!(
            long.is_empty(),
            "files in crates/*/src over {MAX_LINES} lines: {long:#?}"
        );
    }

    #[test]
    fn manifest_parsing() {
        let (name, edges) = workspace_edges(
            "[package]\nname = \"a\"\n[dependencies]\ndockerflow-oci.workspace = true\nserde = \"1\"\n[dev-dependencies]\ndockerflow = { path = \".\" }\n",
        );
        assert_eq!(name, "a");
        let edge = |to: &str, dev| Edge {
            to: to.to_owned(),
            dev,
        };
        assert_eq!(
            edges,
            [edge("dockerflow-oci", false), edge("dockerflow", true)]
        );
    }

    /// Every way TOML can spell a dependency is an edge: tables, target tables and renames.
    #[test]
    fn manifest_parsing_sees_tables_and_renames() {
        let (_, edges) = workspace_edges(concat!(
            "[package]\nname = \"a\"\n",
            "[dependencies.dockerflow-oci]\npath = \"../oci\"\n",
            "[dependencies.reader]\npackage = \"dockerflow-check\"\nworkspace = true\n",
            "[dependencies]\nmozlog = { package = \"dockerflow-mozlog\", path = \"x\" }\n",
            "lib.package = \"dockerflow\"\nserde = { version = \"1\", package = \"serde\" }\n",
            "[target.'cfg(unix)'.dev-dependencies.dockerflow-engine]\nworkspace = true\n",
            "[target.'cfg(unix)'.build-dependencies]\ndockerflow-build = \"1\"\n",
        ));
        let edge = |to: &str, dev| Edge {
            to: to.to_owned(),
            dev,
        };
        assert_eq!(
            edges,
            [
                edge("dockerflow-oci", false),
                edge("dockerflow-check", false),
                edge("dockerflow-mozlog", false),
                edge("dockerflow", false),
                edge("dockerflow-engine", true),
                edge("dockerflow-build", false),
            ]
        );
    }

    #[test]
    fn test_support_is_a_dev_dependency_only() {
        let (_, edges) = workspace_edges(
            "[package]\nname = \"a\"\n[dependencies]\ndockerflow-testkit.workspace = true\n[dev-dependencies]\ndockerflow-testkit = { workspace = true }\n",
        );
        assert_eq!(
            edges,
            [
                Edge {
                    to: "dockerflow-testkit".to_owned(),
                    dev: false
                },
                Edge {
                    to: "dockerflow-testkit".to_owned(),
                    dev: true
                }
            ]
        );
        // The test support depends on no workspace crate but the contract's schemas (data)
        // and the HTTP client, both of which depend on nothing: a suite using it through the
        // crate under test would build that crate twice.
        let allowed = |name: &str| {
            ALLOWED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, allowed)| *allowed)
        };
        assert_eq!(
            allowed("dockerflow-testkit"),
            Some(&["dockerflow-contract", "dockerflow-http"][..])
        );
        assert_eq!(allowed("dockerflow-contract"), Some(&[][..]));
        assert_eq!(allowed("dockerflow-http"), Some(&[][..]));
    }
}
