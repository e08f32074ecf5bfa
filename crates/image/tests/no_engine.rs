//! No engine at `DOCKER_HOST`: an engine image fails as `NoEngine`, before any temporary file
//! exists. (Its own test binary: it sets `DOCKER_HOST` for the whole process.)

use dockerflow_image::{open, ErrorKind, Options, Reference};

#[test]
fn no_engine_at_docker_host_is_no_engine() {
    let port = dockerflow_testkit::process::free_port();
    std::env::set_var("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"));
    let e = open(
        Reference::parse("app:v1").expect("parses").image_ref(),
        &Options::default(),
    )
    .expect_err("nothing listens");
    assert!(matches!(e.kind(), ErrorKind::NoEngine(_)), "{e:?}");
    assert_eq!(e.reference(), Some("docker-daemon:app:v1"));
    assert!(matches!(
        dockerflow_image::connect().map_err(|e| e.into_kind()),
        Err(ErrorKind::NoEngine(_))
    ));
}
