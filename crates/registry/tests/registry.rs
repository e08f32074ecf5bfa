//! Pushes and pulls against a real `docker-registry` (Debian's CNCF distribution) started on a
//! free loopback port: anonymous, htpasswd auth, blob skipping, a registry killed mid-push.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use dockerflow_oci::{
    ContentRequest, DockerArchive, ImageSource, Limits, OciLayout, OpenOptions, RegistryRef, Vfs,
};
use dockerflow_registry::{
    push, Client, ClientOptions, CredentialSources, Event, PushOptions, RegistryImage, Secret,
};

fn options(credentials: CredentialSources) -> ClientOptions {
    ClientOptions {
        credentials,
        insecure: vec![],
        max_attempts: 6,
        backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(20),
        on_retry: None,
    }
}

fn oci_source(dir: &Path) -> OciLayout {
    OciLayout::open(dir, None, &OpenOptions::default()).expect("open the OCI layout")
}

/// Pulls `r` and reads every layer through the confined VFS (digests and diff ids verified).
fn pull_and_read(r: &RegistryRef, client_options: &ClientOptions) -> (RegistryImage, Vfs) {
    let image = RegistryImage::open(r, &OpenOptions::default(), client_options)
        .unwrap_or_else(|e| panic!("pull {r}: {e}"));
    let vfs = Vfs::read_image(&image, &ContentRequest::default(), &Limits::default())
        .unwrap_or_else(|e| panic!("read {r}: {e}"));
    (image, vfs)
}

/// A registry shared with the thread that restarts or kills it, and its host; `None` (the
/// test skips) when the binary is not here.
fn shared_registry() -> Option<(Arc<Mutex<Registry>>, String)> {
    let registry = Registry::start_if_available(&[])?;
    let host = registry.host();
    Some((Arc::new(Mutex::new(registry)), host))
}

#[test]
fn push_an_oci_layout_then_pull_it_back_verified() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let layout = TempDir::new("layout");
    let tars = image_tars(100_000, 1);
    let source_digest = write_oci_layout(layout.path(), &tars, true);
    let source = oci_source(layout.path());
    let opts = options(CredentialSources::none());
    let client = Client::new(&registry.host(), &opts).expect("client");
    let dest = reference(&format!("{}/team/app:v1", registry.host()));
    let pushed = push(
        &client,
        &source,
        &dest,
        &PushOptions::default(),
        &mut |_| {},
    )
    .expect("push");
    assert_eq!(
        pushed.digest, source_digest,
        "a copy keeps the manifest digest"
    );
    assert_eq!((pushed.uploaded, pushed.skipped), (3, 0));
    assert!(!pushed.manifest_rewritten);

    let (image, vfs) = pull_and_read(&dest, &opts);
    assert_eq!(image.manifest_digest(), Some(&source_digest));
    assert_eq!(
        image
            .config()
            .container()
            .and_then(|c| c.user.value().cloned())
            .as_deref(),
        Some("app")
    );
    assert!(vfs
        .read("/etc/passwd")
        .expect("passwd")
        .starts_with(b"root:x:0:0"));
    assert!(vfs.exists("/app/data"));

    // Registry to registry: the same digest, every blob mounted from the first repository.
    let copy = reference(&format!("{}/other/app:copy", registry.host()));
    let copy_options = PushOptions {
        mount_from: Some("team/app".into()),
        ..PushOptions::default()
    };
    let copied = push(&client, &image, &copy, &copy_options, &mut |_| {}).expect("copy");
    assert_eq!(copied.digest, source_digest);
    assert_eq!((copied.uploaded, copied.skipped, copied.mounted), (0, 0, 3));
    pull_and_read(&copy, &opts);
    // Without the mount, the blobs stream from the source registry image and up again.
    let plain = reference(&format!("{}/third/app:copy", registry.host()));
    let plain_options = PushOptions {
        mount_from: None,
        ..copy_options
    };
    let copied = push(&client, &image, &plain, &plain_options, &mut |_| {}).expect("copy");
    assert_eq!((copied.digest, copied.uploaded), (source_digest.clone(), 3));
    pull_and_read(&plain, &opts);

    // By digest too, and a tag that is not there is a clear 404.
    let by_digest = reference(&format!("{}/team/app@{source_digest}", registry.host()));
    pull_and_read(&by_digest, &opts);
    let missing = RegistryImage::open(
        &reference(&format!("{}/team/app:nope", registry.host())),
        &OpenOptions::default(),
        &opts,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        missing.contains("404") && missing.contains("MANIFEST_UNKNOWN"),
        "{missing}"
    );
}

#[test]
fn a_classic_docker_archive_gets_a_schema2_manifest_with_gzip_layers() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let dir = TempDir::new("archive");
    let archive = dir.path().join("image.tar");
    let tars = image_tars(50_000, 2);
    write_docker_archive(&archive, &tars, "app:latest");
    let source = DockerArchive::open(&archive, None, &OpenOptions::default()).expect("archive");
    assert!(
        source.manifest_digest().is_none(),
        "classic archives hold no manifest"
    );
    let opts = options(CredentialSources::none());
    let client = Client::new(&registry.host(), &opts).expect("client");
    let dest = reference(&format!("{}/app:classic", registry.host()));
    let mut events = Vec::new();
    let pushed = push(&client, &source, &dest, &PushOptions::default(), &mut |e| {
        events.push(e.clone())
    })
    .expect("push");
    assert!(pushed.manifest_rewritten);
    assert_eq!(
        pushed.media_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    let compressing = events
        .iter()
        .filter(|e| matches!(e, Event::Compressing { .. }))
        .count();
    assert_eq!(compressing, 2);

    let (image, vfs) = pull_and_read(&dest, &opts);
    assert_eq!(image.manifest_digest(), Some(&pushed.digest));
    for l in &image.manifest().layers {
        assert_eq!(
            l.media_type,
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
    }
    // The Vfs checked each layer's gunzipped bytes against the config's diff ids.
    assert!(vfs.exists("/app/version.json"));

    // Deterministic compression: pushing again gives the same digest, and every blob is skipped.
    let again = push(
        &client,
        &source,
        &dest,
        &PushOptions::default(),
        &mut |_| {},
    )
    .expect("push");
    assert_eq!(again.digest, pushed.digest);
    assert_eq!((again.uploaded, again.skipped), (0, 3));

    // With a blob cache, the push after the one that filled it compresses nothing.
    let cached = PushOptions {
        blob_cache: Some(dir.path().join("cache/blob-digests")),
        ..PushOptions::default()
    };
    let other = reference(&format!("{}/app:cached", registry.host()));
    let filled = push(&client, &source, &other, &cached, &mut |_| {}).expect("push");
    assert_eq!(filled.digest, pushed.digest);
    let mut compressed = 0;
    let warm = push(&client, &source, &other, &cached, &mut |e| {
        if matches!(e, Event::Compressing { .. }) {
            compressed += 1;
        }
    })
    .expect("push");
    assert_eq!(
        (warm.digest, warm.uploaded, warm.skipped, compressed),
        (pushed.digest, 0, 3, 0)
    );
}

#[test]
fn a_second_push_skips_every_blob_and_sends_few_requests() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let layout = TempDir::new("layout");
    write_oci_layout(layout.path(), &image_tars(400_000, 3), true);
    let source = oci_source(layout.path());
    let opts = options(CredentialSources::none());
    let dest = reference(&format!("{}/skip/app:v1", registry.host()));
    let small_chunks = PushOptions {
        chunk_size: 64 << 10,
        ..PushOptions::default()
    };
    let first = Client::new(&registry.host(), &opts).expect("client");
    push(&first, &source, &dest, &small_chunks, &mut |_| {}).expect("first push");
    // /v2/, then per blob HEAD + POST + PATCHes + PUT, then the manifest.
    assert!(first.request_count() > 10, "{}", first.request_count());

    let second = Client::new(&registry.host(), &opts).expect("client");
    let mut exists = 0;
    let pushed = push(&second, &source, &dest, &small_chunks, &mut |e| {
        if matches!(e, Event::BlobExists { .. }) {
            exists += 1;
        }
    })
    .expect("second push");
    assert_eq!((pushed.uploaded, pushed.skipped, exists), (0, 3, 3));
    // GET /v2/, three HEADs, one manifest PUT: nothing else.
    assert_eq!(second.request_count(), 5);
}

#[test]
fn htpasswd_auth_accepts_the_right_password_and_names_no_secret_otherwise() {
    if !registry_available() {
        return;
    }
    let password = "Corr3ct-H0rse-Battery";
    let registry = Registry::start(&[("ci-bot", password)]);
    let layout = TempDir::new("layout");
    write_oci_layout(layout.path(), &image_tars(10_000, 4), true);
    let source = oci_source(layout.path());
    let dest = reference(&format!("{}/private/app:v1", registry.host()));
    let creds = |user: &str, pw: &str| CredentialSources {
        env: Some((user.to_string(), Secret::new(pw), None)),
        docker_config: None,
    };

    let good = options(creds("ci-bot", password));
    let client = Client::new(&registry.host(), &good).expect("client");
    assert!(!format!("{client:?} {good:?}").contains(password));
    let pushed = push(
        &client,
        &source,
        &dest,
        &PushOptions::default(),
        &mut |_| {},
    )
    .expect("push");
    let (image, _) = pull_and_read(&dest, &good);
    assert_eq!(image.manifest_digest(), Some(&pushed.digest));

    let wrong_pw = "Wr0ng-Passw0rd-Value";
    let bad = options(creds("ci-bot", wrong_pw));
    let client = Client::new(&registry.host(), &bad).expect("client");
    let mut shown = Vec::new();
    let err = push(&client, &source, &dest, &PushOptions::default(), &mut |e| {
        shown.push(format!("{e:?}"))
    })
    .expect_err("a wrong password fails");
    let text = format!("{err} {err:?} {client:?} {}", shown.join(" "));
    assert!(text.contains("refused the credentials"), "{text}");
    assert!(text.contains("DOCKERFLOW_REGISTRY_USER"), "{text}");
    assert!(
        !text.contains(wrong_pw) && !text.contains(password),
        "{text}"
    );

    let anonymous = options(CredentialSources::none());
    let err = RegistryImage::open(&dest, &OpenOptions::default(), &anonymous)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("requires credentials") && err.contains("docker login"),
        "{err}"
    );
}

#[test]
fn a_registry_killed_and_restarted_mid_push_still_gets_the_whole_image() {
    let Some((registry, host)) = shared_registry() else {
        return;
    };
    let layout = TempDir::new("layout");
    let tars = image_tars(6 << 20, 5);
    write_oci_layout(layout.path(), &tars, false);
    let source = oci_source(layout.path());
    let opts = options(CredentialSources::none());
    let client = Client::new(&host, &opts).expect("client");
    let dest = reference(&format!("{host}/restart/app:v1"));
    let mut killed = false;
    let mut retries = Vec::new();
    let mut restarter = None;
    let options = PushOptions {
        chunk_size: 256 << 10,
        ..PushOptions::default()
    };
    let result = push(&client, &source, &dest, &options, &mut |e| match e {
        Event::BlobProgress { what, sent, .. }
            if what == "layer 1" && *sent >= 1 << 20 && !killed =>
        {
            killed = true;
            registry.lock().expect("lock").kill();
            let r = Arc::clone(&registry);
            restarter = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(400));
                r.lock().expect("lock").spawn();
            }));
        }
        Event::Retry { error, .. } => retries.push(error.clone()),
        _ => {}
    });
    if let Some(t) = restarter {
        t.join().expect("restarter");
    }
    assert!(
        killed,
        "the registry was never killed: the test did not test anything"
    );
    // The outcome we assert: the push completes through retries (a new upload session for
    // the interrupted blob), and the tag names a complete, verifiable image.
    let pushed = result.unwrap_or_else(|e| panic!("the push did not survive the restart: {e}"));
    assert!(!retries.is_empty(), "no retry was reported");
    let (image, vfs) = pull_and_read(&dest, &opts);
    assert_eq!(image.manifest_digest(), Some(&pushed.digest));
    assert!(vfs.exists("/app/data"));
}

#[test]
fn a_registry_that_stays_down_fails_the_push_clearly_and_tags_nothing() {
    let Some((registry, host)) = shared_registry() else {
        return;
    };
    let layout = TempDir::new("layout");
    write_oci_layout(layout.path(), &image_tars(2 << 20, 6), false);
    let source = oci_source(layout.path());
    let opts = ClientOptions {
        max_attempts: 3,
        backoff: Duration::from_millis(50),
        ..options(CredentialSources::none())
    };
    let client = Client::new(&host, &opts).expect("client");
    let dest = reference(&format!("{host}/down/app:v1"));
    let push_options = PushOptions {
        chunk_size: 256 << 10,
        ..PushOptions::default()
    };
    let mut killed = false;
    let err = push(&client, &source, &dest, &push_options, &mut |e| {
        if let Event::BlobProgress { what, .. } = e {
            if what == "layer 1" && !killed {
                killed = true;
                registry.lock().expect("lock").kill();
            }
        }
    })
    .expect_err("the push fails when the registry stays down");
    assert!(killed);
    let text = err.to_string();
    assert!(
        text.contains("network error") && text.contains(&host),
        "{text}"
    );
    // Back up: the tag was never written, since the manifest goes last.
    registry.lock().expect("lock").spawn();
    let missing = RegistryImage::open(&dest, &OpenOptions::default(), &opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(missing.contains("MANIFEST_UNKNOWN"), "{missing}");
}

#[test]
fn a_registry_restarted_at_once_forgets_the_upload_and_the_blob_starts_again() {
    let Some((registry, host)) = shared_registry() else {
        return;
    };
    let layout = TempDir::new("layout");
    write_oci_layout(layout.path(), &image_tars(3 << 20, 7), false);
    let source = oci_source(layout.path());
    let opts = options(CredentialSources::none());
    let client = Client::new(&host, &opts).expect("client");
    let dest = reference(&format!("{host}/again/app:v1"));
    let push_options = PushOptions {
        chunk_size: 256 << 10,
        ..PushOptions::default()
    };
    let (mut restarted, mut starts, mut retries) = (false, 0, Vec::new());
    let pushed = push(&client, &source, &dest, &push_options, &mut |e| match e {
        Event::BlobStart { what, .. } if what == "layer 1" => starts += 1,
        Event::BlobProgress { what, sent, .. }
            if what == "layer 1" && *sent >= 1 << 20 && !restarted =>
        {
            restarted = true;
            // The new process has a new random upload secret: the open session is lost.
            let mut r = registry.lock().expect("lock");
            r.kill();
            r.spawn();
        }
        Event::Retry { error, .. } => retries.push(error.clone()),
        _ => {}
    })
    .unwrap_or_else(|e| panic!("the push did not survive the restart: {e}"));
    assert!(restarted);
    assert_eq!(
        starts, 2,
        "layer 1 starts again in a new session: {retries:?}"
    );
    let (image, _) = pull_and_read(&dest, &opts);
    assert_eq!(image.manifest_digest(), Some(&pushed.digest));
}

#[test]
fn with_a_stable_upload_secret_an_interrupted_chunk_resumes_where_the_registry_stands() {
    if !registry_available() {
        return;
    }
    let registry = Arc::new(Mutex::new(Registry::start_with(
        &[],
        Some("test-upload-secret"),
    )));
    let host = registry.lock().expect("lock").host();
    let layout = TempDir::new("layout");
    write_oci_layout(layout.path(), &image_tars(3 << 20, 8), false);
    let source = oci_source(layout.path());
    let opts = options(CredentialSources::none());
    let client = Client::new(&host, &opts).expect("client");
    let dest = reference(&format!("{host}/resume/app:v1"));
    let push_options = PushOptions {
        chunk_size: 256 << 10,
        ..PushOptions::default()
    };
    let (mut restarted, mut starts, mut resumed) = (false, 0, Vec::new());
    let mut restarter = None;
    let result = push(&client, &source, &dest, &push_options, &mut |e| match e {
        Event::BlobStart { what, .. } if what == "layer 1" => starts += 1,
        Event::BlobProgress { what, sent, .. }
            if what == "layer 1" && *sent >= 1 << 20 && !restarted =>
        {
            restarted = true;
            registry.lock().expect("lock").kill();
            let r = Arc::clone(&registry);
            restarter = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                r.lock().expect("lock").spawn();
            }));
        }
        Event::Retry { what, .. } if what.contains("resuming at byte") => {
            resumed.push(what.clone())
        }
        _ => {}
    });
    if let Some(t) = restarter {
        t.join().expect("restarter");
    }
    let pushed = result.unwrap_or_else(|e| panic!("the push did not survive the restart: {e}"));
    assert!(restarted);
    assert_eq!(starts, 1, "the session survived: no new one ({resumed:?})");
    assert_eq!(resumed.len(), 1, "{resumed:?}");
    let (image, _) = pull_and_read(&dest, &opts);
    assert_eq!(image.manifest_digest(), Some(&pushed.digest));
}
