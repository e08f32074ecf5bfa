//! The repository stands on its own: no tracked file points outside it or at a file that does
//! not exist. Checked in every tracked text file:
//!
//! - no path into the machine it was written on (`/work/...`) or into a sibling checkout
//!   (`../shared/...`);
//! - every Markdown link (`[text](target)`) to a relative path, or to this repository's URL on
//!   the main branch, names a tracked file or folder inside the repository, and its `#anchor`,
//!   when the target is Markdown, is one of that file's headings;
//! - every path in backquotes in Markdown whose first part is a top-level entry of the
//!   repository (`crates/...`, `docs/...`) exists;
//! - every `include_str!`/`include_bytes!` names a file inside its own crate (so the crate
//!   still builds once packaged), and every path built on `CARGO_MANIFEST_DIR` stays inside
//!   the repository and exists (unless it is build output under `target/`).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// This repository's URL on the forge (the workspace's `repository`).
pub const REPOSITORY_URL: &str = "https://github.com/dockerflow-rs/dockerflow";

/// Paths of the Dockerflow specification's own repository (mozilla-services/Dockerflow), which
/// the contract and the rules cite by name as the specification does: they are not this
/// repository's files.
pub const SPEC_PATHS: &[&str] = &[
    "docs/version_object.md",
    "docs/building-container.md",
    "docs/serving-static-content.md",
];

/// Text that must never appear in a tracked file: paths outside the repository.
const FORBIDDEN: &[&str] = &[
    "../shared/",
    "/work/",
    "shared/research/",
    "shared/CONTRACT",
];

/// One problem: the file, the line (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the repository root.
    pub file: String,
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.what)
    }
}

/// The tracked files of the repository at `root` (`git ls-files`), relative to it.
pub fn tracked_files(root: &Path) -> Result<Vec<String>, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
        .map_err(|e| format!("git ls-files in {}: {e}", root.display()))?;
    if !out.status.success() {
        return Err(format!(
            "git ls-files in {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Every problem in the tracked files `files` of the repository at `root`.
pub fn problems(root: &Path, files: &[String]) -> Vec<Problem> {
    let tracked: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let repo = Repo { root, tracked };
    let mut problems = Vec::new();
    for file in files {
        if !is_text(file) || file == "xtask/src/links.rs" {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        problems.extend(repo.check_file(file, &text));
    }
    problems
}

fn is_text(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    [
        ".md", ".rs", ".toml", ".sh", ".yml", ".yaml", ".json", ".txt",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        || name.contains("Dockerfile")
        || name == "run"
        || name.starts_with('.') && !name.ends_with(".lock")
}

struct Repo<'a> {
    root: &'a Path,
    tracked: BTreeSet<&'a str>,
}

impl Repo<'_> {
    fn check_file(&self, file: &str, text: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |line: usize, what: String| {
            problems.push(Problem {
                file: file.to_owned(),
                line: line + 1,
                what,
            })
        };
        let dir = Path::new(file).parent().unwrap_or(Path::new(""));
        let markdown = file.ends_with(".md");
        let rust = file.ends_with(".rs");
        let mut in_code_block = false;
        for (n, line) in text.lines().enumerate() {
            for bad in FORBIDDEN {
                if line.contains(bad) {
                    problem(n, format!("`{bad}` points outside the repository"));
                }
            }
            if markdown && line.trim_start().starts_with("```") {
                in_code_block = !in_code_block;
                continue;
            }
            if markdown && !in_code_block {
                for target in markdown_links(line) {
                    if let Err(e) = self.check_link(dir, target) {
                        problem(n, e);
                    }
                }
                for path in backquoted_paths(line) {
                    if let Err(e) = self.check_repo_path(path) {
                        problem(n, e);
                    }
                }
            }
            if rust {
                for (kind, literal) in includes(line) {
                    if let Err(e) = self.check_include(file, kind, literal) {
                        problem(n, e);
                    }
                }
                if let Some(literal) = manifest_dir_path(line) {
                    if let Err(e) = self.check_manifest_path(file, literal) {
                        problem(n, e);
                    }
                }
            }
        }
        problems
    }

    /// A Markdown link's target: a URL elsewhere is not ours to check; this repository's URL
    /// and relative paths must name a tracked file, and the anchor one of its headings.
    fn check_link(&self, dir: &Path, target: &str) -> Result<(), String> {
        let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
        let in_repo = if let Some(rest) = path.strip_prefix(REPOSITORY_URL) {
            let rest = rest.trim_start_matches('/');
            let mut parts = rest.splitn(3, '/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("blob" | "tree" | "raw"), Some("main"), Some(p)) => PathBuf::from(p),
                (Some(""), None, None) | (None, None, None) => return Ok(()),
                _ => return Err(format!("{target}: not a path on the main branch")),
            }
        } else if path.contains("://") || path.starts_with("mailto:") {
            return Ok(());
        } else if path.is_empty() {
            // A link to a heading of the same file; headings are checked where they are
            // linked across files.
            return Ok(());
        } else {
            normalize(&dir.join(path))
                .ok_or_else(|| format!("{target}: leads outside the repository"))?
        };
        let shown = in_repo.to_string_lossy().trim_end_matches('/').to_owned();
        if !self.exists(&shown) {
            return Err(format!("{target}: {shown} is not a file of the repository"));
        }
        if !anchor.is_empty() && shown.ends_with(".md") {
            let text = std::fs::read_to_string(self.root.join(&shown)).unwrap_or_default();
            if !heading_anchors(&text).contains(&anchor.to_lowercase()) {
                return Err(format!("{target}: {shown} has no heading #{anchor}"));
            }
        }
        Ok(())
    }

    fn check_repo_path(&self, path: &str) -> Result<(), String> {
        let first = path.split('/').next().unwrap_or_default();
        let top_level = self
            .tracked
            .iter()
            .any(|t| t.split('/').next() == Some(first));
        if !top_level || SPEC_PATHS.contains(&path) {
            return Ok(());
        }
        let path = path.trim_end_matches('/');
        if self.exists(path) {
            Ok(())
        } else {
            Err(format!("`{path}` is not a file of the repository"))
        }
    }

    fn check_include(&self, file: &str, kind: &str, literal: &str) -> Result<(), String> {
        let dir = Path::new(file).parent().unwrap_or(Path::new(""));
        let target = normalize(&dir.join(literal))
            .ok_or_else(|| format!("{kind}!({literal:?}) leads outside the repository"))?;
        let krate = self.crate_dir(file);
        if !target.starts_with(&krate) {
            return Err(format!(
                "{kind}!({literal:?}) reads {} outside its crate ({}): the packaged crate would not build",
                target.display(),
                krate.display()
            ));
        }
        if !self.exists(&target.to_string_lossy()) {
            return Err(format!(
                "{kind}!({literal:?}): {} does not exist",
                target.display()
            ));
        }
        Ok(())
    }

    fn check_manifest_path(&self, file: &str, literal: &str) -> Result<(), String> {
        let krate = self.crate_dir(file);
        let target = normalize(&krate.join(literal.trim_start_matches('/'))).ok_or_else(|| {
            format!("CARGO_MANIFEST_DIR + {literal:?} leads outside the repository")
        })?;
        let shown = target.to_string_lossy().into_owned();
        if target.starts_with("target") || self.exists(&shown) {
            Ok(())
        } else {
            Err(format!(
                "CARGO_MANIFEST_DIR + {literal:?}: {shown} does not exist"
            ))
        }
    }

    /// The folder of the crate `file` belongs to: the nearest one with a tracked Cargo.toml.
    fn crate_dir(&self, file: &str) -> PathBuf {
        let mut dir = Path::new(file).parent();
        while let Some(d) = dir {
            let manifest = d.join("Cargo.toml");
            if self.tracked.contains(manifest.to_string_lossy().as_ref()) {
                return d.to_path_buf();
            }
            dir = d.parent();
        }
        PathBuf::new()
    }

    /// A tracked file, or a folder holding one.
    fn exists(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        path.is_empty()
            || self.tracked.contains(path)
            || self
                .tracked
                .range(format!("{path}/").as_str()..)
                .next()
                .is_some_and(|t| t.starts_with(&format!("{path}/")))
    }
}

/// `path` with `.` and `..` resolved, or None when it climbs above its start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The targets of the Markdown links `[text](target)` on a line (not images' titles).
pub fn markdown_links(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split_whitespace().next().unwrap_or_default();
        let target = target.trim_start_matches('<').trim_end_matches('>');
        if !target.is_empty() {
            out.push(target);
        }
        rest = &after[end..];
    }
    out
}

/// Words in backquotes that look like a relative path: no spaces, a `/`, no wildcard or
/// placeholder, no URL.
pub fn backquoted_paths(line: &str) -> Vec<&str> {
    line.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            w.contains('/')
                && !w.contains(char::is_whitespace)
                && !w.contains([
                    '*', '<', '>', '{', '}', '$', ':', '=', '[', ']', '(', ')', '@', '|',
                ])
                && !w.starts_with(['/', '.', '-', '~'])
                && w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && !w
                    .split('/')
                    .any(|p| p.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !p.is_empty())
        })
        .collect()
}

/// The `include_str!`/`include_bytes!` calls on a line with a literal path.
pub fn includes(line: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    for kind in ["include_str", "include_bytes"] {
        let call = format!("{kind}!(\"");
        let mut rest = line;
        while let Some(i) = rest.find(&call) {
            let after = &rest[i + call.len()..];
            let Some(end) = after.find('"') else { break };
            out.push((kind, &after[..end]));
            rest = &after[end..];
        }
    }
    out
}

/// The literal joined to `env!("CARGO_MANIFEST_DIR")` on a line (`concat!(env!(...), "/x")`
/// or `Path::new(env!(...)).join("x")`).
pub fn manifest_dir_path(line: &str) -> Option<&str> {
    let i = line.find("env!(\"CARGO_MANIFEST_DIR\")")?;
    let after = &line[i + "env!(\"CARGO_MANIFEST_DIR\")".len()..];
    let after = after
        .strip_prefix(", \"")
        .or_else(|| after.strip_prefix(").join(\""))?;
    after.split('"').next()
}

/// The anchors GitHub gives a Markdown file's headings: lower case, characters other than
/// letters, digits, `-`, `_` and spaces dropped, spaces made hyphens; `-1`, `-2` for repeats.
pub fn heading_anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut in_code_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
        }
        let heading = line.trim_start_matches('#');
        if in_code_block || heading.len() == line.len() || !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while !anchors.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_tracked_points_outside_the_repository_or_at_a_missing_file() {
        let root = crate::root();
        let files = tracked_files(&root).expect("the repository's tracked files");
        assert!(files.len() > 50, "{} tracked files", files.len());
        let problems: Vec<String> = problems(&root, &files)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            problems.is_empty(),
            "links and paths that lead nowhere:\n{}",
            problems.join("\n")
        );
    }

    fn repo_with(files: &[&str]) -> (PathBuf, Vec<String>) {
        let root = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&p, "# Title\n\n## 1.2 `/__version__`\n").expect("write");
        }
        (root, files.iter().map(|f| (*f).to_owned()).collect())
    }

    #[test]
    fn each_kind_of_bad_reference_is_found() {
        let (root, files) = repo_with(&[
            "a/Cargo.toml",
            "a/src/lib.rs",
            "a/x.json",
            "docs/A.md",
            "b/Cargo.toml",
        ]);
        let repo = Repo {
            root: &root,
            tracked: files.iter().map(String::as_str).collect(),
        };
        let md = "[ok](A.md#12-__version__) [gone](B.md) [out](../../x.md) [anchor](A.md#nope) \
                  [url](https://github.com/dockerflow-rs/dockerflow/blob/main/docs/missing.md) \
                  `a/x.json` `docs/nothing.md` see ../shared/notes.md";
        let found: Vec<String> = repo
            .check_file("docs/A.md", md)
            .into_iter()
            .map(|p| p.what)
            .collect();
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found[0].contains("outside the repository"), "{found:?}");
        let rs = "const A: &str = include_str!(\"../x.json\");\n\
                  const B: &str = include_str!(\"../../b/Cargo.toml\");\n\
                  const C: &str = concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../docs/A.md\");\n\
                  const D: &str = concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../../../etc/passwd\");\n";
        let found: Vec<String> = repo
            .check_file("a/src/lib.rs", rs)
            .into_iter()
            .map(|p| format!("{}: {}", p.line, p.what))
            .collect();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with("2: ") && found[0].contains("outside its crate"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("4: ") && found[1].contains("outside the repository"),
            "{found:?}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn anchors_are_githubs() {
        let anchors = heading_anchors("# A / B (c)\n## A / B (c)\n```\n# not a heading\n```\n");
        assert_eq!(
            anchors.into_iter().collect::<Vec<_>>(),
            ["a--b-c", "a--b-c-1"]
        );
    }
}
