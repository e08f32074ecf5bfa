//! Against the real Docker engine (skips with a message when none answers; fails under
//! `CI=true`): ping, version, and the error for an image that does not exist. Running
//! containers is tested through `dockerflow-probe` and the CLI, on fixture images.

use dockerflow_engine::{Engine, ErrorKind};

fn engine() -> Option<Engine> {
    // Asked by the test support with std alone: a broken client fails here, never skips.
    dockerflow_testkit::engine::require().then(|| Engine::from_env().expect("DOCKER_HOST"))
}

#[test]
fn version_and_missing_image() {
    let Some(engine) = engine() else { return };
    assert!(!engine.version().unwrap().is_empty());
    let e = engine
        .image_inspect("dockerflow-test/no-such-image:never")
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Api { status: 404 });
    assert!(e.to_string().contains("answered GET /images/"), "{e}");
    assert!(engine.remove("no-such-container-dockerflow").is_ok());
}
