//! The image configuration (`application/vnd.oci.image.config.v1+json` and Docker's
//! `application/vnd.docker.container.image.v1+json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::digest::Digest;

/// A JSON field that can be absent, `null`, or hold a value. The three differ for a checker:
/// `"Cmd": null`, no `Cmd` key and `"Cmd": []` are all an unset command, but say different
/// things about how the image was built.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// The key is not there.
    #[default]
    Absent,
    /// The key is there with `null`.
    Null,
    /// The key holds a value.
    Value(T),
}

impl<T> Field<T> {
    /// The value, if any.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the key is absent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field<T>, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Field::Null,
            Some(v) => Field::Value(v),
        })
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(v) => v.serialize(s),
            _ => s.serialize_none(),
        }
    }
}

/// The image configuration document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time (RFC 3339), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The execution parameters. `Field::Absent` when the config has no `config` key.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub config: Field<ContainerConfig>,
    /// The layer diff ids.
    #[serde(default)]
    pub rootfs: RootFs,
    /// The build history, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Every other top-level key, kept as is (e.g. Docker's `container_config`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The execution parameters in an image config (`config` key). Docker extensions the OCI
/// spec does not define (`Healthcheck`, `Shell`, `OnBuild`, ...) are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// The user to run as: `name`, `uid`, `name:group`, `uid:gid`, ...
    #[serde(rename = "User", default, skip_serializing_if = "Field::is_absent")]
    pub user: Field<String>,
    /// Exposed ports, `"8000/tcp": {}`.
    #[serde(
        rename = "ExposedPorts",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub exposed_ports: Field<BTreeMap<String, Value>>,
    /// Environment, `KEY=value` strings.
    #[serde(rename = "Env", default, skip_serializing_if = "Field::is_absent")]
    pub env: Field<Vec<String>>,
    /// The entrypoint.
    #[serde(
        rename = "Entrypoint",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub entrypoint: Field<Vec<String>>,
    /// The default arguments.
    #[serde(rename = "Cmd", default, skip_serializing_if = "Field::is_absent")]
    pub cmd: Field<Vec<String>>,
    /// Volumes.
    #[serde(rename = "Volumes", default, skip_serializing_if = "Field::is_absent")]
    pub volumes: Field<BTreeMap<String, Value>>,
    /// Working directory.
    #[serde(
        rename = "WorkingDir",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub working_dir: Field<String>,
    /// Labels.
    #[serde(rename = "Labels", default, skip_serializing_if = "Field::is_absent")]
    pub labels: Field<BTreeMap<String, String>>,
    /// The stop signal.
    #[serde(
        rename = "StopSignal",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub stop_signal: Field<String>,
    /// Every other key, kept as is (`Healthcheck`, `Shell`, `OnBuild`, `ArgsEscaped`, ...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ContainerConfig {
    /// The value of environment variable `key` (the last one wins, as in Docker).
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env.value()?.iter().rev().find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            (k == key).then_some(v)
        })
    }
}

/// The `rootfs` section: the uncompressed digests of the layers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// One digest per layer, bottom first: the sha256 of the uncompressed tar.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub diff_ids: Vec<Digest>,
}

/// One step of the build history.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct History {
    /// When the step ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command of the step (for `RUN`, with build args in plain text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the step made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl ImageConfig {
    /// The execution parameters, if the config has any.
    pub fn container(&self) -> Option<&ContainerConfig> {
        self.config.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_absent_and_empty_differ() {
        let c: ImageConfig = serde_json::from_str(
            r#"{"config":{"Entrypoint":null,"Cmd":[],"Healthcheck":{"Test":["NONE"]}},
                "rootfs":{"type":"layers","diff_ids":[]},"container_config":{}}"#,
        )
        .unwrap_or_default();
        let cc = c.container().cloned().unwrap_or_default();
        assert_eq!(cc.entrypoint, Field::Null);
        assert_eq!(cc.cmd, Field::Value(vec![]));
        assert_eq!(cc.user, Field::Absent);
        assert!(cc.extra.contains_key("Healthcheck"));
        assert!(c.extra.contains_key("container_config"));
        let back = serde_json::to_string(&c).unwrap_or_default();
        assert!(
            back.contains(r#""Entrypoint":null"#) && !back.contains("User"),
            "{back}"
        );
    }
}
