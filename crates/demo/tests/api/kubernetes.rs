//! `deploy/kubernetes/`: the facts the manifests must keep as the code changes. Schema
//! validity is `kubernetes-validate`'s job (see the README there); this checks what no schema
//! can: the probe mapping of CONTRACT.md section 2, the uid, and that the pod's termination
//! grace covers the library's drain delay plus grace period. The YAML is read line by line
//! (no YAML crate): enough for these hand-written files, which keep one key per line.

use std::collections::HashMap;
use std::path::Path;

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/kubernetes")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(indent, key, value)` of every `key: value` or `key:` line, comments skipped, a list
/// item's `- ` counted as indentation.
fn entries(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let body = l.trim_start().trim_start_matches("- ");
            let indent = l.len() - body.len();
            let (key, value) = body.split_once(':')?;
            let value = value.trim().trim_matches('"').to_owned();
            Some((indent, key.trim().to_owned(), value))
        })
        .collect()
}

/// Every value of `key`, anywhere.
fn values(entries: &[(usize, String, String)], key: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|(_, k, _)| k == key)
        .map(|(_, _, v)| v.clone())
        .collect()
}

/// The keys and values nested under the one `block:` line.
fn block(entries: &[(usize, String, String)], name: &str) -> HashMap<String, String> {
    let start = entries
        .iter()
        .position(|(_, k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name}"));
    let indent = entries[start].0;
    entries[start + 1..]
        .iter()
        .take_while(|(i, _, _)| *i > indent)
        .map(|(_, k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The container's `env`: each `- name:` line's following `value:`.
fn env(entries: &[(usize, String, String)]) -> HashMap<String, String> {
    entries
        .windows(2)
        .filter(|w| w[0].1 == "name" && w[1].1 == "value" && w[0].0 == w[1].0)
        .map(|w| (w[0].2.clone(), w[1].2.clone()))
        .collect()
}

fn number(value: &str, what: &str) -> u64 {
    value
        .parse()
        .unwrap_or_else(|e| panic!("{what}: {value:?}: {e}"))
}

#[test]
fn the_deployment_keeps_the_contract() {
    let deployment = entries(&read("deployment.yaml"));
    let env = env(&deployment);

    // Runs as app (10001), non-root, read-only, no escalation, no capabilities.
    for (key, wanted) in [
        ("runAsUser", "10001"),
        ("runAsGroup", "10001"),
        ("runAsNonRoot", "true"),
        ("readOnlyRootFilesystem", "true"),
        ("allowPrivilegeEscalation", "false"),
    ] {
        let found = values(&deployment, key);
        assert!(
            !found.is_empty() && found.iter().all(|v| v == wanted),
            "{key}: {found:?}"
        );
    }
    let text = read("deployment.yaml");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(
        lines.windows(2).any(|w| w == ["drop:", "- ALL"]),
        "capabilities drop ALL"
    );

    // The port, in the env and on the container, and on the Service.
    assert_eq!(env.get("PORT").map(String::as_str), Some("8000"));
    assert_eq!(values(&deployment, "containerPort"), ["8000"]);
    assert_eq!(values(&entries(&read("service.yaml")), "port"), ["8000"]);

    // Writable /tmp and DATA_DIR on a read-only root.
    let mounts = values(&deployment, "mountPath");
    let data_dir = env.get("DATA_DIR").expect("DATA_DIR set");
    assert!(mounts.contains(&"/tmp".to_owned()), "{mounts:?}");
    assert!(mounts.contains(data_dir), "{data_dir} in {mounts:?}");

    // Probes: readiness on /__lbheartbeat__; liveness a TCP connect to the same port (a
    // different check, CONTRACT.md section 2.1); never /__heartbeat__.
    let liveness = block(&deployment, "livenessProbe");
    let readiness = block(&deployment, "readinessProbe");
    assert_eq!(
        readiness.get("path").map(String::as_str),
        Some("/__lbheartbeat__")
    );
    assert!(liveness.contains_key("tcpSocket"), "{liveness:?}");
    assert_eq!(liveness.get("port").map(String::as_str), Some("http"));
    assert!(
        !values(&deployment, "path").contains(&"/__heartbeat__".to_owned()),
        "/__heartbeat__ is for monitoring, not for the kubelet"
    );

    // Shutdown arithmetic: the pod's grace exceeds drain delay plus grace period, and
    // liveness cannot kill a pod in the middle of it.
    let drain = number(
        env.get("DOCKERFLOW_DRAIN_DELAY_MS")
            .expect("drain delay set"),
        "DOCKERFLOW_DRAIN_DELAY_MS",
    );
    let grace = number(
        env.get("DOCKERFLOW_GRACE_PERIOD_MS")
            .expect("grace period set"),
        "DOCKERFLOW_GRACE_PERIOD_MS",
    );
    let pod_grace = values(&deployment, "terminationGracePeriodSeconds");
    assert_eq!(pod_grace.len(), 1, "{pod_grace:?}");
    let pod_grace = number(&pod_grace[0], "terminationGracePeriodSeconds") * 1000;
    assert!(
        pod_grace > drain + grace,
        "terminationGracePeriodSeconds ({pod_grace} ms) must exceed drain {drain} + grace {grace} ms"
    );
    let restart_after = number(&liveness["periodSeconds"], "periodSeconds")
        * number(&liveness["failureThreshold"], "failureThreshold")
        * 1000;
    assert!(
        restart_after > drain + grace,
        "liveness restarts after {restart_after} ms, within a shutdown ({} ms)",
        drain + grace
    );
}
