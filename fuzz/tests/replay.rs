//! Every file of `fuzz/corpus/<target>/` through its target, on the stable compiler: an input
//! that once crashed a target (kept in the corpus with its fix) cannot crash it again unnoticed.

use std::path::Path;

#[test]
fn every_corpus_file_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0;
    for (name, target) in dockerflow_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; every target has a corpus", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: an empty corpus", dir.display());
        for file in &files {
            let data = std::fs::read(file).expect("read a corpus file");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", file.display());
        }
        total += files.len();
    }
    eprintln!("replayed {total} corpus files");
}

/// The seeds reach the code under test: a harness that failed every input early (a config the
/// reader refuses, say) would fuzz nothing but its own error path.
#[test]
fn the_image_seeds_read_as_images() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let read = |p: &str| std::fs::read(corpus.join(p)).expect("a seed");
    for seed in [
        "layer/base.tar",
        "layer/base-top.tar",
        "layer/base-gz-top.tar",
    ] {
        match dockerflow_fuzz::read_layers(&read(seed)) {
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{seed}: {e}"),
            None => panic!("{seed}: no image made"),
        }
    }
    let [docker, oci] = [read("archive/docker-save.tar"), read("archive/oci.tar")];
    let docker = dockerflow_fuzz::read_archive(&docker);
    assert!(
        docker[0].is_ok(),
        "docker-save.tar as docker-archive: {:?}",
        docker[0]
    );
    let oci = dockerflow_fuzz::read_archive(&oci);
    assert!(oci[1].is_ok(), "oci.tar as oci-archive: {:?}", oci[1]);
}

/// The Kubernetes seeds are read and have workloads to judge: the target does not only fuzz
/// its own early returns.
#[test]
fn the_kubernetes_seeds_read_as_workloads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/kubernetes");
    let mut containers = 0;
    for name in ["deployment.yaml", "anchors-list-cronjob.yaml"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("a seed");
        let mut model = dockerflow_check::kubernetes::KubernetesModel::default();
        model
            .add(name, &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        containers += model.containers.len();
    }
    assert_eq!(
        containers, 3,
        "one in the Deployment, the CronJob's and the Pod's"
    );
}

/// The HTTP seeds but the one that is not HTTP read as whole responses, bodies included: the
/// target judges answers, not only the reader's errors.
#[test]
fn the_http_seeds_read_as_responses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/http_response");
    for (name, status, body) in [
        ("lbheartbeat", 200, 0),
        ("version", 200, 175),
        ("heartbeat-chunked", 500, 45),
        ("until-close", 200, 20),
    ] {
        let data = std::fs::read(dir.join(name)).expect("a seed");
        let mut r = dockerflow_http::Response::read(&data[..], false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let read = r
            .read_body(1 << 16)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((r.status, read.len()), (status, body), "{name}");
    }
    let not_http = std::fs::read(dir.join("not-http")).expect("a seed");
    assert!(dockerflow_http::Response::read(&not_http[..], false).is_err());
}
