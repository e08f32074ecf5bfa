//! Every transport opened through the facade, black-box: local archives and layouts (also as
//! bare paths), the Docker engine (exported to a temporary archive that goes when the image
//! drops), a real `docker-registry` on loopback; and each failure as its typed kind.

use std::time::Duration;

use dockerflow_image::{
    connect, load_archive, open, open_index_or_image, ClientOptions, ErrorKind, Opened, Options,
    Reference,
};
use dockerflow_registry::{push, Client, CredentialSources, PushOptions};
use dockerflow_testkit::image::{write_multi_platform, Form, Image, FORMS};
use dockerflow_testkit::TempDir;

fn client_options() -> ClientOptions {
    ClientOptions {
        credentials: CredentialSources::none(),
        insecure: vec![],
        max_attempts: 1,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        on_retry: None,
    }
}

fn options() -> Options {
    Options {
        client: client_options(),
        ..Options::default()
    }
}

#[test]
fn every_local_form_opens_by_reference() {
    let tmp = TempDir::new("image-local");
    for form in FORMS {
        let dir = tmp.path().join(format!("{form:?}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let text = Image::compliant().write(&dir, form);
        let reference = Reference::parse(&text).expect("parses");
        let image = open(reference.image_ref(), &options()).expect("opens");
        assert_eq!(image.source().manifest().layers.len(), 2, "{text}");
        assert_eq!(image.reference(), reference.image_ref());
        assert!(image.exported_to().is_none(), "{text}");
    }
}

#[test]
fn a_bare_path_is_read_as_the_archive_or_layout_there() {
    let tmp = TempDir::new("image-path");
    for (form, transport) in [
        (Form::OciLayout, "oci:"),
        (Form::OciArchive, "oci-archive:"),
        (Form::DockerArchive, "docker-archive:"),
    ] {
        let dir = tmp.path().join(format!("{form:?}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let text = Image::compliant().write(&dir, form);
        let path = text.split_once(':').expect("transport").1;
        let reference = Reference::parse_or_path(path, &Default::default()).expect("parses");
        assert!(reference.from_path(), "{path}");
        // An OCI archive that also holds Docker's manifest.json reads as a docker-archive.
        let read_as = [transport, "docker-archive:"].map(|t| format!("{t}{path}"));
        assert!(
            read_as.contains(&reference.as_str().to_string()),
            "{reference}"
        );
        open(reference.image_ref(), &options()).expect("opens");
        // Written out, the engine's transport is never a path.
        let daemon = format!("docker-daemon:{path}");
        let named = Reference::parse_or_path(&daemon, &Default::default());
        assert!(
            named.is_err() || !named.expect("parses").from_path(),
            "{daemon}"
        );
    }
    let name =
        Reference::parse_or_path("no-such-thing-here:v1", &Default::default()).expect("parses");
    assert!(!name.from_path());
    assert_eq!(name.as_str(), "no-such-thing-here:v1");
}

#[test]
fn an_invalid_reference_names_the_text() {
    let e = Reference::parse("oci:").expect_err("no path");
    assert!(matches!(e.kind(), ErrorKind::InvalidReference(_)), "{e:?}");
    assert_eq!(e.reference(), Some("oci:"));
    assert!(e.to_string().contains("needs a layout path"), "{e}");
}

#[test]
fn a_missing_layout_is_an_image_error_about_its_reference() {
    let tmp = TempDir::new("image-missing");
    let text = format!("oci:{}", tmp.path().join("none").display());
    let reference = Reference::parse(&text).expect("parses");
    let e = open(reference.image_ref(), &options()).expect_err("nothing there");
    assert!(matches!(e.kind(), ErrorKind::Image(_)), "{e:?}");
    assert_eq!(e.reference(), Some(text.as_str()));
}

#[test]
fn a_platform_is_chosen_from_a_multi_platform_layout() {
    let tmp = TempDir::new("image-index");
    let amd = Image::compliant();
    let arm = Image::compliant().with("Cmd", serde_json::json!(["arm"]));
    let text = write_multi_platform(tmp.path(), &[("linux/amd64", &amd), ("linux/arm64", &arm)]);
    let reference = Reference::parse(&text).expect("parses");
    let whole = open_index_or_image(reference.image_ref(), &options()).expect("opens");
    // Its index.json lists the manifests itself: no index blob to copy whole.
    let Opened::Image(default) = whole.opened() else {
        panic!("{:?}", whole.opened())
    };
    let amd64 = open(reference.image_ref(), &options()).expect("opens");
    assert_eq!(default.manifest_digest(), amd64.source().manifest_digest());
    let mut arm64 = options();
    arm64.open.platform = dockerflow_image::Platform::parse("linux/arm64").expect("platform");
    let one = open(reference.image_ref(), &arm64).expect("opens");
    assert_ne!(one.source().manifest_digest(), default.manifest_digest());
    assert!(String::from_utf8_lossy(one.source().raw_config()).contains(r#"["arm"]"#));
}

#[test]
fn only_engine_and_docker_archive_images_can_be_run() {
    let tmp = TempDir::new("image-run");
    let text = Image::compliant().write(tmp.path(), Form::OciLayout);
    let image = open(
        Reference::parse(&text).expect("parses").image_ref(),
        &options(),
    )
    .expect("opens");
    let engine = dockerflow_image::Engine::new(
        dockerflow_engine::Host::parse("tcp://127.0.0.1:1").expect("host"),
    );
    let e = image
        .load_into(&engine)
        .expect_err("an OCI layout is not runnable");
    assert!(matches!(e.kind(), ErrorKind::NotRunnable), "{e:?}");
    assert_eq!(e.reference(), Some(text.as_str()));
}

#[test]
fn an_unreachable_registry_is_a_registry_error() {
    let port = dockerflow_testkit::process::free_port();
    let text = format!("docker://127.0.0.1:{port}/app:v1");
    let reference = Reference::parse(&text).expect("parses");
    let e = open(reference.image_ref(), &options()).expect_err("nothing listens");
    assert!(matches!(e.kind(), ErrorKind::Registry(_)), "{e:?}");
    assert_eq!(e.reference(), Some(text.as_str()));
    let e = open_index_or_image(reference.image_ref(), &options()).expect_err("nothing listens");
    assert!(matches!(e.kind(), ErrorKind::Registry(_)), "{e:?}");
}

#[test]
fn a_registry_image_opens_as_pushed() {
    if !dockerflow_testkit::registry::require() {
        return;
    }
    let registry = dockerflow_testkit::registry::Registry::start(&[]);
    let tmp = TempDir::new("image-registry");
    let text = Image::compliant().write(tmp.path(), Form::OciLayout);
    let local = open(
        Reference::parse(&text).expect("parses").image_ref(),
        &options(),
    )
    .expect("opens");
    let dest = format!("docker://{}/app:v1", registry.host());
    let Ok(dockerflow_image::ImageRef::Registry(to)) = dockerflow_image::ImageRef::parse(&dest)
    else {
        panic!("{dest}")
    };
    let client = Client::new(&registry.host(), &client_options()).expect("client");
    push(
        &client,
        local.source(),
        &to,
        &PushOptions::default(),
        &mut |_| {},
    )
    .expect("push");
    let remote = open(
        Reference::parse(&dest).expect("parses").image_ref(),
        &options(),
    )
    .expect("opens");
    assert_eq!(
        remote.source().manifest_digest(),
        local.source().manifest_digest()
    );
    assert!(remote.exported_to().is_none());
}

#[test]
fn an_engine_image_is_exported_to_a_temporary_archive_removed_on_drop() {
    if !dockerflow_testkit::engine::require() {
        return;
    }
    let engine = connect().expect("the engine answers");
    let tag = format!("dockerflow-image-test:{}", std::process::id());
    let tmp = TempDir::new("image-engine");
    let (archive, id) = Image::compliant().docker_archive(&tag);
    let file = tmp.path().join("load.tar");
    std::fs::write(&file, archive).expect("write");
    load_archive(&engine, &file).expect("loads");
    let daemon = format!("docker-daemon:{tag}");
    let result = std::panic::catch_unwind(|| {
        for text in [daemon.as_str(), tag.as_str()] {
            let reference = Reference::parse(text).expect("parses");
            let image = open(reference.image_ref(), &options()).expect("opens");
            let exported = image.exported_to().expect("exported").to_path_buf();
            assert!(exported.is_file(), "{}", exported.display());
            assert_eq!(image.load_into(&engine).expect("runnable"), tag);
            // Boxed as a plain image source, it still holds its export.
            let boxed: Box<dyn dockerflow_image::ImageSource> = Box::new(image);
            assert_eq!(boxed.manifest().layers.len(), 2);
            let mut layer = boxed.open_layer(1).expect("layer");
            std::io::copy(&mut layer, &mut std::io::sink()).expect("verified");
            drop(layer);
            assert!(exported.is_file(), "{}", exported.display());
            drop(boxed);
            assert!(!exported.exists(), "{} left behind", exported.display());
        }
        // A docker-archive is loaded, then named by its image id.
        let text = format!("docker-archive:{}", file.display());
        let image = open(
            Reference::parse(&text).expect("parses").image_ref(),
            &options(),
        )
        .expect("opens");
        assert_eq!(image.load_into(&engine).expect("loads"), id);
    });
    let _ = engine.remove_image(&tag);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn an_image_the_engine_lacks_is_not_in_engine() {
    if !dockerflow_testkit::engine::require() {
        return;
    }
    let text = "docker-daemon:dockerflow-test/none:never";
    let e = open(
        Reference::parse(text).expect("parses").image_ref(),
        &options(),
    )
    .expect_err("no such image");
    let ErrorKind::NotInEngine { name, host } = e.kind() else {
        panic!("{e:?}")
    };
    assert_eq!(name, "dockerflow-test/none:never");
    assert!(!host.is_empty());
    assert_eq!(e.reference(), Some(text));
}

#[test]
fn a_target_names_a_local_writer_the_engine_with_a_tag_or_a_registry() {
    use dockerflow_image::Target;
    let engine = |text: &str| match Target::parse(text) {
        Ok(Target::Engine(name)) => name,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(engine("app"), "app:latest");
    assert_eq!(engine("docker-daemon:app:v1"), "app:v1");
    assert_eq!(
        engine("docker-daemon:host:5000/app"),
        "host:5000/app:latest"
    );
    assert!(matches!(
        Target::parse("docker://host:5000/app:v1"),
        Ok(Target::Registry(_))
    ));
    assert!(matches!(Target::parse("oci:out"), Ok(Target::Local(_))));
    assert!(matches!(
        Target::parse("docker-archive:x.tar:app:v1"),
        Ok(Target::Local(_))
    ));
    let e = Target::parse("oci:").expect_err("no path");
    assert!(matches!(e.kind(), ErrorKind::InvalidReference(_)), "{e:?}");
    assert_eq!(e.reference(), Some("oci:"));
}
