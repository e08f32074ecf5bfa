//! Kubernetes manifests as the DF8xx rules judge them (CONTRACT.md §2.1): every container of
//! every workload (Deployment, StatefulSet, DaemonSet, Job, CronJob through its `jobTemplate`,
//! a bare Pod; the items of a `List`), its `containers` first, then its `initContainers`, each
//! with its pod spec, its [`Role`] and the file and lines it came from. Other kinds are listed
//! as skipped, never judged.

pub mod yaml;

use std::fmt;

pub use yaml::{Limits, Node, Value, YamlError};

use crate::Ignores;

/// The annotation of an inline ignore, on the workload's or its pod template's `metadata`:
/// `dockerflow/ignore: "DF802[,DF810] REASON"` for every container of the workload, or
/// `dockerflow/ignore.NAME: ...` for container `NAME` alone (what kube-linter's
/// `ignore-check.kube-linter.io/CHECK` and checkov's `checkov.io/skipN` annotations do for
/// theirs; annotations survive kustomize and helm, comments do not).
pub const IGNORE_ANNOTATION: &str = "dockerflow/ignore";

/// The workload kinds judged, and the path from the object to its pod spec.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// Where a container sits in its pod spec, which decides the rules that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An entry of `containers`: every rule applies.
    Container,
    /// An entry of `initContainers`: it runs to completion before the pod's containers start,
    /// serves no traffic and is never drained, so only the security rules (DF804-DF808) apply.
    Init,
    /// An entry of `initContainers` with `restartPolicy: Always` (a native sidecar): it runs
    /// beside the containers for the pod's life, so every rule applies, as to a container.
    Sidecar,
}

impl Role {
    /// What a report calls it: `container`, `init container`, `sidecar container`.
    pub fn noun(self) -> &'static str {
        match self {
            Role::Container => "container",
            Role::Init => "init container",
            Role::Sidecar => "sidecar container",
        }
    }
}

/// One container of one workload: what a DF8xx rule judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The file as the user named it (`-` for stdin).
    pub file: String,
    /// The workload's kind (`Deployment`).
    pub kind: String,
    /// The workload's `metadata.name`.
    pub workload: String,
    /// The container's `name`.
    pub name: String,
    /// Whether it is a container, an init container or a native sidecar.
    pub role: Role,
    /// The pod spec (the container's pod-level settings: securityContext, volumes, grace).
    pub pod: Node,
    /// The container.
    pub container: Node,
    /// The rules its workload's `dockerflow/ignore` annotations ignore for it.
    pub ignores: Ignores,
}

impl Container {
    /// `Deployment/web container app` (what the report calls this input).
    pub fn subject(&self) -> String {
        format!(
            "{}:{} {}/{} {} {}",
            self.file,
            self.container.line,
            self.kind,
            self.workload,
            self.role.noun(),
            self.name
        )
    }

    /// Whether the pods run to completion (Job, CronJob): no traffic, so no probes or port.
    pub fn runs_to_completion(&self) -> bool {
        matches!(self.kind.as_str(), "Job" | "CronJob")
    }
}

/// An object in the manifests that is not a workload the rules judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// The line of its `kind`.
    pub line: u32,
    /// Its kind (empty when it has none).
    pub kind: String,
    /// Its `metadata.name`.
    pub name: String,
}

/// A manifest that could not be read: the file, the line, what is wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// The file as named.
    pub file: String,
    /// 1-based line; 0 for the file as a whole.
    pub line: u32,
    /// What is wrong; what was expected.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            l => write!(f, "{}:{l}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

/// The workload containers and the other objects of a set of manifests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KubernetesModel {
    /// Every container of every workload, in file order.
    pub containers: Vec<Container>,
    /// Objects not judged (Services, ConfigMaps, ...).
    pub skipped: Vec<Skipped>,
}

impl KubernetesModel {
    /// Reads one file's documents (`file` names it in findings and errors) into the model.
    pub fn add(&mut self, file: &str, text: &str, limits: &Limits) -> Result<(), ManifestError> {
        let err = |line: u32, message: String| ManifestError {
            file: file.to_string(),
            line,
            message,
        };
        let docs = yaml::load(text, limits).map_err(|e| err(e.line, e.message))?;
        for (line, doc) in docs {
            let Some(doc) = doc else { continue };
            self.object(file, line, &doc, 0)
                .map_err(|(l, m)| err(l, m))?;
        }
        Ok(())
    }

    fn object(
        &mut self,
        file: &str,
        line: u32,
        doc: &Node,
        depth: u8,
    ) -> Result<(), (u32, String)> {
        if !matches!(doc.value, Value::Map(_)) {
            return Err((
                doc.line.max(line),
                "a document that is not a mapping; expected a Kubernetes object (apiVersion, kind, metadata, spec)".into(),
            ));
        }
        let (kind_line, kind) = match doc.entry("kind") {
            Some((l, k)) => (l, k.text().unwrap_or_default().to_string()),
            None => (doc.line, String::new()),
        };
        let name = doc
            .path(&["metadata", "name"])
            .and_then(Node::text)
            .unwrap_or_default()
            .to_string();
        if kind == "List" && depth == 0 {
            for item in doc.get("items").map(Node::items).unwrap_or_default() {
                self.object(file, item.line, item, 1)?;
            }
            return Ok(());
        }
        let Some((_, path)) = WORKLOADS.iter().find(|(k, _)| *k == kind) else {
            self.skipped.push(Skipped {
                file: file.to_string(),
                line: kind_line,
                kind,
                name,
            });
            return Ok(());
        };
        let Some(pod) = doc.path(path).filter(|p| matches!(p.value, Value::Map(_))) else {
            return Err((
                kind_line,
                format!(
                    "{kind} {name:?} has no pod spec; expected {}",
                    path.join(".")
                ),
            ));
        };
        let containers = pod.get("containers").map(Node::items).unwrap_or_default();
        if containers.is_empty() {
            return Err((
                pod.line,
                format!(
                    "{kind} {name:?} has no containers; expected {}.containers, a list",
                    path.join(".")
                ),
            ));
        }
        let init = pod
            .get("initContainers")
            .map(Node::items)
            .unwrap_or_default();
        let roles = containers
            .iter()
            .map(|c| (c, Role::Container))
            .chain(init.iter().map(|c| {
                let restarts = c.get("restartPolicy").and_then(Node::text) == Some("Always");
                (c, if restarts { Role::Sidecar } else { Role::Init })
            }));
        let roles: Vec<(&Node, Role)> = roles.collect();
        let names: Vec<&str> = roles
            .iter()
            .map(|(c, _)| c.get("name").and_then(Node::text).unwrap_or_default())
            .collect();
        // The object's metadata, and its pod template's (the pod spec's sibling) when apart.
        let mut metas = vec![doc.get("metadata")];
        if path.len() > 1 {
            metas.push(
                doc.path(&path[..path.len() - 1])
                    .and_then(|t| t.get("metadata")),
            );
        }
        let ignores = annotation_ignores(file, metas.into_iter().flatten(), &names)?;
        for (c, role) in roles {
            let cname = c.get("name").and_then(Node::text).unwrap_or_default();
            let mut own = ignores.all.clone();
            if let Some((_, mine)) = ignores.by_name.iter().find(|(n, _)| n == cname) {
                own.extend(mine);
            }
            self.containers.push(Container {
                ignores: own,
                file: file.to_string(),
                kind: kind.clone(),
                workload: name.clone(),
                name: cname.to_string(),
                role,
                pod: pod.clone(),
                container: c.clone(),
            });
        }
        Ok(())
    }
}

/// The ignores of a workload's annotations: for every container, and by container name.
#[derive(Default)]
struct AnnotationIgnores {
    all: Ignores,
    by_name: Vec<(String, Ignores)>,
}

/// Reads the `dockerflow/ignore` annotations of `metas`; `names` are the workload's containers.
fn annotation_ignores<'a>(
    file: &str,
    metas: impl Iterator<Item = &'a Node>,
    names: &[&str],
) -> Result<AnnotationIgnores, (u32, String)> {
    let mut out = AnnotationIgnores::default();
    for meta in metas {
        let Some(Value::Map(entries)) = meta.get("annotations").map(|a| &a.value) else {
            continue;
        };
        for (key, line, value) in entries {
            let Some(rest) = key.strip_prefix("dockerflow/") else {
                continue;
            };
            let scope = match rest.strip_prefix("ignore") {
                Some("") => None,
                Some(name) if name.starts_with('.') && name.len() > 1 => Some(&name[1..]),
                _ => {
                    return Err((
                        *line,
                        format!("unknown annotation {key:?}; expected {IGNORE_ANNOTATION} or {IGNORE_ANNOTATION}.CONTAINER"),
                    ))
                }
            };
            if let Some(name) = scope {
                if !names.contains(&name) {
                    return Err((
                        *line,
                        format!(
                            "{key}: no container {name:?} in this workload; expected one of {}",
                            names.join(", ")
                        ),
                    ));
                }
            }
            let text = value.text().unwrap_or_default().trim();
            let (ids, reason) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            let target = match scope {
                None => &mut out.all,
                Some(name) => {
                    if let Some(i) = out.by_name.iter().position(|(n, _)| n == name) {
                        &mut out.by_name[i].1
                    } else {
                        out.by_name.push((name.to_string(), Ignores::default()));
                        &mut out.by_name.last_mut().expect("just pushed").1
                    }
                }
            };
            target
                .add_inline(ids, reason.trim(), &format!("{file}:{line}"))
                .map_err(|e| (*line, format!("{key}: {}", e.message)))?;
        }
    }
    Ok(out)
}
