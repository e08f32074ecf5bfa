//! A bounded YAML loader for Kubernetes manifests: saphyr-parser's events (which carry lines)
//! built into a small tree of scalars, sequences and mappings, every node and mapping key with
//! its 1-based line. Hostile input is refused with a line: more than [`Limits::max_depth`]
//! nested collections, more than [`Limits::max_nodes`] nodes in a document (an alias counts
//! the size of what it repeats, so a "billion laughs" stops at the budget), a mapping key that
//! is not a scalar, or a tag other than the core schema's.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// The caps on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one file or stdin.
    pub max_bytes: usize,
    /// Collections nested in one another.
    pub max_depth: usize,
    /// Nodes in one document, aliases counted at the size of what they repeat.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 16 << 20,
            max_depth: 64,
            max_nodes: 1_000_000,
        }
    }
}

/// One YAML node and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// 1-based line.
    pub line: u32,
    /// What it is.
    pub value: Value,
}

/// A node's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A scalar's text; `plain` when unquoted (so `8000` is a number and `"8000"` a string).
    Scalar {
        /// The text.
        text: String,
        /// Unquoted.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in order: each key's text and line, and its value.
    Map(Vec<(String, u32, Node)>),
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, n)| n)
    }

    /// The line of `key` and its value, in a mapping.
    pub fn entry(&self, key: &str) -> Option<(u32, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _, _)| k == key)
                .map(|(_, line, n)| (*line, n)),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// A scalar's text (`null`, `~` and an empty plain scalar are no text).
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, plain: true }
                if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null") =>
            {
                None
            }
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain scalar read as an integer.
    pub fn int(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar { text, plain: true } => text.parse().ok(),
            _ => None,
        }
    }

    /// A plain scalar read as a boolean (`true`/`false`, any case).
    pub fn bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } if text.eq_ignore_ascii_case("true") => Some(true),
            Value::Scalar { text, plain: true } if text.eq_ignore_ascii_case("false") => {
                Some(false)
            }
            _ => None,
        }
    }

    /// A sequence's items (none for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Scalar { .. } => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|(_, _, n)| 1 + n.size()).sum::<usize>(),
        }
    }
}

/// A refused input: the line and what is wrong, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line (0 when the input as a whole is refused).
    pub line: u32,
    /// What is wrong; what was expected.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

enum Open {
    Seq(u32, usize, Vec<Node>),
    Map(u32, usize, Vec<(String, u32, Node)>, Option<(String, u32)>),
}

/// Loads every document of a YAML stream, each with the line it starts on (empty documents
/// are `None`).
pub fn load(text: &str, limits: &Limits) -> Result<Vec<(u32, Option<Node>)>, YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError {
            line: 0,
            message: format!(
                "{} bytes, over the limit of {} bytes; expected Kubernetes manifests",
                text.len(),
                limits.max_bytes
            ),
        });
    }
    let mut docs = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut doc_line = 1;
    let mut root: Option<Node> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            line: e.marker().line() as u32,
            message: format!("{}; expected YAML", e.info()),
        })?;
        let line = span.start.line() as u32;
        let err = |message: String| YamlError { line, message };
        let node = match event {
            Event::DocumentStart(_) => {
                doc_line = line;
                anchors.clear();
                nodes = 0;
                continue;
            }
            Event::DocumentEnd => {
                // An empty document (`---` and nothing, or `~`) is no document.
                let empty =
                    |n: &Node| matches!(n.value, Value::Scalar { .. }) && n.text().is_none();
                docs.push((doc_line, root.take().filter(|n| !empty(n))));
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                check_tag(tag.as_deref(), &err)?;
                nodes += 1;
                let node = Node {
                    line,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Alias(id) => {
                let Some(node) = anchors.get(&id) else {
                    return Err(err(
                        "an alias to an unknown anchor; expected an anchor defined before it"
                            .into(),
                    ));
                };
                nodes += node.size();
                if nodes > limits.max_nodes {
                    return Err(err(format!(
                        "aliases expand this document past {} nodes; expected Kubernetes manifests (an alias bomb?)",
                        limits.max_nodes
                    )));
                }
                Node {
                    line,
                    ..node.clone()
                }
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                check_tag(tag.as_deref(), &err)?;
                nodes += 1;
                if stack.len() >= limits.max_depth {
                    return Err(err(format!(
                        "collections nested more than {} deep; expected Kubernetes manifests",
                        limits.max_depth
                    )));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(line, anchor, Vec::new())
                } else {
                    Open::Map(line, anchor, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match stack.pop() {
                    Some(Open::Seq(line, anchor, items)) => (
                        Node {
                            line,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Open::Map(line, anchor, entries, _)) => (
                        Node {
                            line,
                            value: Value::Map(entries),
                        },
                        anchor,
                    ),
                    None => continue,
                };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
        };
        if nodes > limits.max_nodes {
            return Err(err(format!(
                "more than {} nodes in one document; expected Kubernetes manifests",
                limits.max_nodes
            )));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq(_, _, items)) => items.push(node),
            Some(Open::Map(_, _, entries, key)) => match key.take() {
                Some((k, kline)) => entries.push((k, kline, node)),
                None => match node.value {
                    Value::Scalar { text, .. } => *key = Some((text, node.line)),
                    _ => {
                        return Err(err(
                            "a mapping key that is a collection; expected a scalar key".into(),
                        ))
                    }
                },
            },
        }
    }
    Ok(docs)
}

fn check_tag(
    tag: Option<&saphyr_parser::Tag>,
    err: &dyn Fn(String) -> YamlError,
) -> Result<(), YamlError> {
    match tag {
        Some(t) if !t.is_yaml_core_schema() => Err(err(format!(
            "the tag {}{}; expected none, or a core schema tag (!!str, !!int, ...)",
            t.handle, t.suffix
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        load(text, &Limits::default()).unwrap().remove(0).1.unwrap()
    }

    #[test]
    fn keys_and_values_carry_their_lines() {
        let n = one("a:\n  b: 1\n  c:\n    - x\n    - \"2\"\n");
        assert_eq!(n.entry("a").unwrap().0, 1);
        let a = n.get("a").unwrap();
        assert_eq!(a.entry("c").unwrap().0, 3);
        assert_eq!(a.get("b").unwrap().int(), Some(1));
        let c = a.get("c").unwrap().items();
        assert_eq!((c[1].line, c[1].int(), c[1].text()), (5, None, Some("2")));
    }

    #[test]
    fn documents_are_split_with_their_first_line() {
        let docs = load("a: 1\n---\nb: 2\n---\n", &Limits::default()).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].0, 2);
        assert!(docs[2].1.is_none());
    }

    #[test]
    fn an_alias_repeats_its_anchor_within_the_budget() {
        let n = one("a: &x {p: 1}\nb: *x\n");
        assert_eq!(n.path(&["b", "p"]).unwrap().int(), Some(1));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let e = load(&bomb, &Limits::default()).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_with_its_line() {
        let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let e = load(&text, &Limits::default()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("nested more than 64"), "{e}");
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = load("a: 1\nb: [1, 2\n", &Limits::default()).unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }
}
