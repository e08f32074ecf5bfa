//! `.dockerignore` as Docker reads it (moby's `patternmatcher` and `ignorefile`, which BuildKit
//! uses): one pattern per line, `#` comments, `!` exceptions with the last match winning,
//! patterns cleaned as paths and anchored at the context root, `*` and `?` never crossing `/`,
//! `**` crossing any number of directories, `[...]` classes and `\` escapes as in Go, and a
//! pattern matching a directory excluding everything below it.
//!
//! No crate of the ecosystem implements these rules (the `ignore` crate is gitignore's:
//! unanchored names, `/` meaning the root, a different `!` scope), so they are written here,
//! each case tested against Docker's documented examples.

use regex::Regex;

/// Why a `.dockerignore` cannot be used (Docker refuses to build with it too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The 1-based line.
    pub line: usize,
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: pattern {:?}: {}",
            self.line, self.pattern, self.reason
        )
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Exact,
    /// `dir/**`: everything starting with the text before `**`.
    Prefix(String),
    /// `**/name`: everything ending with the text after `**`.
    Suffix(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct Pattern {
    cleaned: String,
    exception: bool,
    kind: Kind,
}

/// The patterns of one `.dockerignore`, in order.
#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    patterns: Vec<Pattern>,
}

/// Lexical path cleaning as Go's `path.Clean`: no empty, `.` or resolvable `..` elements.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match out.last() {
                Some(&last) if last != ".." => {
                    out.pop();
                }
                _ if rooted => {}
                _ => out.push(".."),
            },
            p => out.push(p),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

impl Pattern {
    fn new(text: &str, exception: bool) -> Result<Pattern, String> {
        let cleaned = text.to_string();
        let mut re = String::from("^");
        let mut literal = true; // no wildcard seen yet
        let mut kind_hint: Option<Kind> = None;
        let chars: Vec<char> = cleaned.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let ch = chars[i];
            let first = i == 0;
            i += 1;
            match ch {
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    if chars.get(i) == Some(&'/') {
                        i += 1;
                    }
                    if i >= chars.len() {
                        if literal {
                            let prefix = cleaned[..cleaned.len() - 2].to_string();
                            kind_hint = Some(Kind::Prefix(prefix));
                        } else {
                            re.push_str(".*");
                        }
                    } else {
                        re.push_str("(.*/)?");
                        literal = false;
                        kind_hint = None;
                    }
                    if first {
                        kind_hint = Some(Kind::Suffix(cleaned[2..].to_string()));
                        literal = true;
                    }
                }
                '*' => {
                    re.push_str("[^/]*");
                    literal = false;
                    kind_hint = None;
                }
                '?' => {
                    re.push_str("[^/]");
                    literal = false;
                    kind_hint = None;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    re.push('\\');
                    re.push(ch);
                }
                '\\' => match chars.get(i) {
                    Some(&next) => {
                        i += 1;
                        re.push('\\');
                        re.push(next);
                        literal = false;
                        kind_hint = None;
                    }
                    None => re.push_str("\\\\"),
                },
                '[' | ']' => {
                    re.push(ch);
                    literal = false;
                    kind_hint = None;
                }
                c => re.push(c),
            }
        }
        let kind = match kind_hint {
            Some(k) if literal => k,
            _ if literal => Kind::Exact,
            _ => {
                re.push('$');
                Kind::Regex(Regex::new(&re).map_err(|e| format!("not a valid pattern: {e}"))?)
            }
        };
        Ok(Pattern {
            cleaned,
            exception,
            kind,
        })
    }

    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix(p) => path.starts_with(p.as_str()),
            Kind::Suffix(s) => {
                path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|s| path == s)
            }
            Kind::Regex(r) => r.is_match(path),
        }
    }

    /// The pattern or one of the path's parent directories matches.
    fn matches_or_parent(&self, path: &str) -> bool {
        if self.matches(path) {
            return true;
        }
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            if self.matches(&path[..end]) {
                return true;
            }
            end += 1;
        }
        false
    }
}

impl Dockerignore {
    /// Reads a `.dockerignore`'s text, as `ignorefile.ReadAll` then `patternmatcher.New` do.
    pub fn parse(text: &str) -> Result<Dockerignore, PatternError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let exception = p.starts_with('!');
            if exception {
                p = p[1..].trim_start();
            }
            let error = |reason: &str| PatternError {
                line: n + 1,
                pattern: line.to_string(),
                reason: reason.to_string(),
            };
            if p.is_empty() {
                return Err(error("`!` alone excludes nothing; expected !PATTERN"));
            }
            let mut cleaned = clean(p);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let pattern = Pattern::new(&cleaned, exception).map_err(|e| error(&e))?;
            patterns.push(pattern);
        }
        Ok(Dockerignore { patterns })
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            // An exception can only re-include what is excluded, and the reverse.
            if p.exception != excluded {
                continue;
            }
            if p.matches_or_parent(path) {
                excluded = !p.exception;
            }
        }
        excluded
    }

    /// Whether an excluded directory must still be walked: some exception may re-include a
    /// path below it.
    pub fn may_include_below(&self, dir: &str) -> bool {
        let dirs: Vec<&str> = dir.split('/').collect();
        self.patterns.iter().filter(|p| p.exception).any(|p| {
            if p.cleaned.contains("**") {
                return true;
            }
            // The exception's leading segments must match the directory's, one by one.
            let segments: Vec<&str> = p.cleaned.split('/').collect();
            segments.len() > dirs.len()
                && dirs
                    .iter()
                    .zip(&segments)
                    .all(|(d, s)| Pattern::new(s, false).is_ok_and(|segment| segment.matches(d)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignores(patterns: &str, path: &str) -> bool {
        Dockerignore::parse(patterns)
            .unwrap_or_else(|e| panic!("{e}"))
            .excludes(path)
    }

    /// The examples of Docker's documentation ("Dockerfile reference", .dockerignore file).
    #[test]
    fn docker_documentation_examples() {
        let doc = "# comment\n*/temp*\n*/*/temp*\ntemp?\n";
        assert!(ignores(doc, "somedir/temporary.txt"));
        assert!(ignores(doc, "somedir/temp"));
        assert!(ignores(doc, "somedir/subdir/temporary.txt"));
        assert!(ignores(doc, "tempa"));
        assert!(ignores(doc, "tempb"));
        assert!(!ignores(doc, "temporary.txt"), "*/temp* needs a directory");
        assert!(!ignores(doc, "a/b/c/temp"));
        assert!(!ignores(doc, "# comment"));
        // `**/*.go` excludes .go files in every directory, the root included.
        assert!(ignores("**/*.go", "main.go"));
        assert!(ignores("**/*.go", "a/b/main.go"));
        assert!(!ignores("**/*.go", "a/b/main.gox"));
        // Exceptions: the last matching line wins.
        let md = "*.md\n!README.md\n";
        assert!(ignores(md, "CHANGES.md"));
        assert!(!ignores(md, "README.md"));
        let md = "*.md\n!README*.md\nREADME-secret.md\n";
        assert!(ignores(md, "README-secret.md"));
        assert!(!ignores(md, "README-public.md"));
        let md = "*.md\nREADME-secret.md\n!README*.md\n";
        assert!(!ignores(md, "README-secret.md"));
    }

    #[test]
    fn anchoring_cleaning_and_directories() {
        // Patterns are anchored at the root; a leading / and ./ are the same thing.
        assert!(ignores("/.env", ".env"));
        assert!(ignores("./.env", ".env"));
        assert!(!ignores(".env", "sub/.env"));
        assert!(ignores("**/.env", "sub/.env"));
        assert!(ignores("**/.env", ".env"));
        // A matched directory excludes what is under it; trailing slashes are cleaned.
        assert!(ignores("secrets/", "secrets/prod/key.pem"));
        assert!(ignores("a/../secrets", "secrets/x"));
        assert!(ignores("node_modules", "node_modules/x/y.js"));
        assert!(ignores("docs/**", "docs/a/b"));
        assert!(ignores("**", "anything/at/all"));
        // An exception re-includes below an excluded directory.
        let p = "config\n!config/public.json\n";
        assert!(ignores(p, "config/secret.json"));
        assert!(!ignores(p, "config/public.json"));
        // `*` and `?` do not cross `/`; `.` is literal; classes and escapes as in Go.
        assert!(!ignores("*.pem", "keys/a.pem"));
        assert!(!ignores("a.b", "axb"));
        assert!(ignores("id_[dr]sa", "id_rsa"));
        assert!(ignores("x\\*", "x*"));
        assert!(!ignores("x\\*", "xy"));
        assert!(ignores("a/**/b", "a/b"));
        assert!(ignores("a/**/b", "a/x/y/b"));
        // A UTF-8 BOM and blank lines are skipped; `!` alone is refused.
        assert!(ignores("\u{feff}.env\n\n", ".env"));
        let e = Dockerignore::parse("ok\n!\n").expect_err("! alone");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn walking_below_excluded_directories() {
        let d = Dockerignore::parse("node_modules\n").expect("parse");
        assert!(!d.may_include_below("node_modules"));
        let d = Dockerignore::parse("config\n!config/public.json\n").expect("parse");
        assert!(d.may_include_below("config"));
        assert!(!Dockerignore::parse("config\n!other/x\n")
            .expect("parse")
            .may_include_below("config"));
        let d = Dockerignore::parse("*\n!**/keep\n").expect("parse");
        assert!(d.may_include_below("deep"));
    }
}
