//! Copies that keep digests, against a real `docker-registry` on loopback: a manifest goes up
//! as the source's exact bytes (OCI layout, oci-archive, Docker 25+ archive, registry), and
//! a multi-platform index goes whole, each shared blob once, its tag written last.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use dockerflow_oci::{
    open_index_or_image, DockerArchive, ImageRef, ImageSource, IndexSource, OciArchive, OciLayout,
    OpenOptions, Opened, Platform,
};
use dockerflow_registry::{
    push, push_index, Client, ClientOptions, CredentialSources, Event, PushOptions, Pushed,
};

fn client_options() -> ClientOptions {
    ClientOptions {
        credentials: CredentialSources::none(),
        insecure: vec![],
        max_attempts: 3,
        backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(20),
        on_retry: None,
    }
}

/// The registry serves `repo:tag` (and `repo@digest`) as exactly `bytes`, typed `media`.
fn assert_served(host: &str, repo: &str, tag: &str, bytes: &[u8], media: &str) {
    let digest = sha(bytes).to_string();
    for reference in [tag, digest.as_str()] {
        let a = get_v2(host, &format!("{repo}/manifests/{reference}"));
        assert_eq!(a.status, 200, "{repo}:{reference}: {a:?}");
        assert!(a.body == bytes, "{repo}:{reference}: other bytes served");
        assert_eq!(a.content_type, media, "{repo}:{reference}");
        assert_eq!(a.digest, digest, "{repo}:{reference}");
    }
}

fn push_image(host: &str, source: &dyn ImageSource, dest: &str) -> Pushed {
    let client = Client::new(host, &client_options()).expect("client");
    push(
        &client,
        source,
        &reference(dest),
        &PushOptions::default(),
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("push to {dest}: {e}"))
}

#[test]
fn an_oci_layout_an_oci_archive_and_a_docker_25_archive_keep_the_manifest_bytes() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let host = registry.host();
    let tmp = TempDir::new("copy");
    let layout = tmp.path().join("layout");
    let image = put_image(&layout, &OCI, &image_tars(20_000, 31), "amd64");
    put_layout_index(&layout, image.descriptor.clone(), "v1");
    let re_encoded = serde_json::to_vec(
        &serde_json::from_slice::<dockerflow_oci::ImageManifest>(&image.bytes).expect("parse"),
    )
    .expect("encode");
    assert_ne!(
        sha(&re_encoded),
        image.digest,
        "the test manifest must not survive re-encoding, or this test tests nothing"
    );

    let source = OciLayout::open(&layout, None, &OpenOptions::default()).expect("layout");
    assert_eq!(source.raw_manifest(), Some(image.bytes.as_slice()));
    let pushed = push_image(&host, &source, &format!("{host}/copy/layout:v1"));
    assert_eq!(pushed.digest, image.digest);
    assert!(!pushed.manifest_rewritten);
    assert_served(&host, "copy/layout", "v1", &image.bytes, OCI.manifest);

    let archive = tmp.path().join("image.oci.tar");
    tar_layout(&layout, &archive);
    let source = OciArchive::open(&archive, None, &OpenOptions::default()).expect("archive");
    let pushed = push_image(&host, &source, &format!("{host}/copy/archive:v1"));
    assert_eq!(pushed.digest, image.digest);
    assert_served(&host, "copy/archive", "v1", &image.bytes, OCI.manifest);

    let docker25 = tmp.path().join("image.docker.tar");
    tar_docker25(&layout, &image, "app:v1", &docker25);
    let source = DockerArchive::open(&docker25, None, &OpenOptions::default()).expect("archive");
    assert_eq!(source.manifest_digest(), Some(&image.digest));
    let pushed = push_image(&host, &source, &format!("{host}/copy/docker25:v1"));
    assert_eq!(pushed.digest, image.digest);
    assert_served(&host, "copy/docker25", "v1", &image.bytes, OCI.manifest);

    // A classic archive has no manifest to keep: one is written, as before.
    let classic = tmp.path().join("classic.tar");
    write_docker_archive(&classic, &image_tars(20_000, 31), "app:v1");
    let source = DockerArchive::open(&classic, None, &OpenOptions::default()).expect("classic");
    assert_eq!(source.raw_manifest(), None);
    let pushed = push_image(&host, &source, &format!("{host}/copy/classic:v1"));
    assert!(pushed.manifest_rewritten);
    let served = get_v2(&host, "copy/classic/manifests/v1");
    assert_eq!(served.digest, pushed.digest.to_string());
    assert_eq!(served.content_type, DOCKER.manifest);
}

/// Opens `reference` whole; panics unless it is an index.
fn open_index(reference: &str) -> Box<dyn IndexSource> {
    let r = ImageRef::parse(reference).expect("reference");
    let opened = match &r {
        ImageRef::Registry(reg) => dockerflow_registry::open_index_or_image(
            reg,
            &OpenOptions::default(),
            &client_options(),
        )
        .unwrap_or_else(|e| panic!("open {reference}: {e}")),
        _ => open_index_or_image(&r, &OpenOptions::default())
            .unwrap_or_else(|e| panic!("open {reference}: {e}")),
    };
    match opened {
        Opened::Index(i) => i,
        Opened::Image(i) => panic!("{reference} opened as one image: {i:?}"),
    }
}

/// Pushes an index; returns the result, the client's request count and, per digest, how
/// many times a blob was started, found or mounted.
fn push_whole(
    host: &str,
    source: &dyn IndexSource,
    dest: &str,
    options: &PushOptions,
) -> (Pushed, u64, HashMap<String, usize>) {
    let client = Client::new(host, &client_options()).expect("client");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let pushed = push_index(
        &client,
        source,
        &reference(dest),
        options,
        &mut |e| match e {
            Event::BlobDone { digest, size, .. } => {
                *seen.entry(digest.to_string()).or_default() += 1;
                sizes.insert(digest.to_string(), *size);
            }
            Event::BlobExists { digest, .. } | Event::BlobMounted { digest, .. } => {
                *seen.entry(digest.to_string()).or_default() += 1;
            }
            _ => {}
        },
    )
    .unwrap_or_else(|e| panic!("push {dest}: {e}"));
    (pushed, client.request_count(), seen)
}

#[test]
fn a_two_platform_index_goes_whole_and_each_shared_blob_goes_up_once() {
    if !registry_available() {
        return;
    }
    for (types, form) in [(&OCI, "layout"), (&DOCKER, "archive")] {
        let registry = Registry::start(&[]);
        let host = registry.host();
        let tmp = TempDir::new("index");
        let layout = tmp.path().join("layout");
        let two = write_two_platforms(&layout, types, "v1");
        let src = if form == "layout" {
            format!("oci:{}", layout.display())
        } else {
            let archive = tmp.path().join("image.tar");
            tar_layout(&layout, &archive);
            format!("oci-archive:{}", archive.display())
        };
        let source = open_index(&src);
        assert_eq!(source.raw_index(), two.index.bytes.as_slice());

        let (pushed, _, seen) = push_whole(
            &host,
            source.as_ref(),
            &format!("{host}/multi/app:v1"),
            &PushOptions::default(),
        );
        assert_eq!(pushed.digest, two.index.digest, "{src}");
        assert_eq!(pushed.media_type, types.index);
        assert_eq!(pushed.manifests, 2);
        // Two configs, the shared base layer, two app layers: five blobs, each sent once.
        assert_eq!((pushed.uploaded, pushed.skipped), (5, 0), "{src}");
        assert_eq!(seen.len(), 5, "{seen:?}");
        assert!(seen.values().all(|n| *n == 1), "{seen:?}");
        assert_eq!(seen.get(&two.shared.to_string()), Some(&1));
        // The registry's storage: those five blobs, two manifests and the index, no more.
        assert_eq!(
            registry.stored_blobs().len(),
            8,
            "{:?}",
            registry.stored_blobs()
        );

        assert_served(&host, "multi/app", "v1", &two.index.bytes, types.index);
        for platform in [&two.amd64, &two.arm64] {
            let a = get_v2(&host, &format!("multi/app/manifests/{}", platform.digest));
            assert_eq!(a.status, 200);
            assert!(a.body == platform.bytes);
            assert_eq!(a.content_type, types.manifest);
        }

        // Again: every blob is asked about once (HEAD), then two manifests and the index.
        let (again, requests, _) = push_whole(
            &host,
            source.as_ref(),
            &format!("{host}/multi/app:v1"),
            &PushOptions::default(),
        );
        assert_eq!((again.uploaded, again.skipped), (0, 5));
        assert_eq!(requests, 1 + 5 + 3, "GET /v2/, 5 HEAD, 3 PUT");

        // One platform only, as --platform asks: its manifest, byte for byte.
        let options = OpenOptions {
            platform: Platform::parse("linux/arm64").expect("platform"),
            ..OpenOptions::default()
        };
        let one: Box<dyn ImageSource> = if form == "layout" {
            Box::new(OciLayout::open(&layout, None, &options).expect("layout"))
        } else {
            Box::new(
                OciArchive::open(&tmp.path().join("image.tar"), None, &options).expect("archive"),
            )
        };
        let pushed = push_image(&host, one.as_ref(), &format!("{host}/single/app:arm64"));
        assert_eq!(pushed.digest, two.arm64.digest);
        assert_served(
            &host,
            "single/app",
            "arm64",
            &two.arm64.bytes,
            types.manifest,
        );
        let a = get_v2(&host, &format!("single/app/manifests/{}", two.amd64.digest));
        assert_eq!(a.status, 404, "the other platform was not pushed");
    }
}

#[test]
fn an_index_copied_between_registries_keeps_every_digest() {
    if !registry_available() {
        return;
    }
    let (a, b) = (Registry::start(&[]), Registry::start(&[]));
    let tmp = TempDir::new("index");
    let two = write_two_platforms(tmp.path(), &OCI, "v1");
    let source = open_index(&format!("oci:{}", tmp.path().display()));
    push_whole(
        &a.host(),
        source.as_ref(),
        &format!("{}/src/app:v1", a.host()),
        &PushOptions::default(),
    );

    // Registry to registry: the blobs stream from A (verified) up to B.
    let from_a = open_index(&format!("docker://{}/src/app:v1", a.host()));
    assert_eq!(from_a.descriptor().digest, two.index.digest);
    let (pushed, _, _) = push_whole(
        &b.host(),
        from_a.as_ref(),
        &format!("{}/dst/app:copy", b.host()),
        &PushOptions::default(),
    );
    assert_eq!(
        (pushed.digest.clone(), pushed.uploaded),
        (two.index.digest.clone(), 5)
    );
    assert_served(&b.host(), "dst/app", "copy", &two.index.bytes, OCI.index);
    for platform in [&two.amd64, &two.arm64] {
        let got = get_v2(&b.host(), &format!("dst/app/manifests/{}", platform.digest));
        assert!(got.status == 200 && got.body == platform.bytes);
    }

    // Within one registry, the blobs are mounted from the source repository.
    let (mounted, _, _) = push_whole(
        &a.host(),
        from_a.as_ref(),
        &format!("{}/other/app:v1", a.host()),
        &PushOptions {
            mount_from: Some("src/app".into()),
            ..PushOptions::default()
        },
    );
    assert_eq!(mounted.digest, two.index.digest);
    assert_eq!((mounted.uploaded, mounted.mounted), (0, 5));
    assert_served(&a.host(), "other/app", "v1", &two.index.bytes, OCI.index);
}

#[test]
fn an_index_with_a_missing_manifest_or_layer_fails_by_digest_and_tags_nothing() {
    let Some(registry) = Registry::start_if_available(&[]) else {
        return;
    };
    let host = registry.host();

    // A platform's manifest is missing: nothing at all is sent.
    let tmp = TempDir::new("hostile");
    let two = write_two_platforms(tmp.path(), &OCI, "v1");
    std::fs::remove_file(tmp.path().join(two.arm64.digest.blob_path())).expect("remove");
    let archive = TempDir::new("hostile-archive");
    let file = archive.path().join("image.tar");
    tar_layout(tmp.path(), &file);
    let source = open_index(&format!("oci-archive:{}", file.display()));
    let client = Client::new(&host, &client_options()).expect("client");
    let err = push_index(
        &client,
        source.as_ref(),
        &reference(&format!("{host}/hostile/app:v1")),
        &PushOptions::default(),
        &mut |_| {},
    )
    .expect_err("a missing manifest fails the push");
    let text = err.to_string();
    assert!(
        text.contains(&two.arm64.digest.to_string()) && text.contains("missing"),
        "{text}"
    );
    assert_eq!(client.request_count(), 0, "nothing was sent: {text}");
    assert_eq!(get_v2(&host, "hostile/app/manifests/v1").status, 404);

    // A layer of the second platform is missing: the first platform's blobs go up, then
    // the push fails, and no manifest is stored, the tag least of all.
    let tmp = TempDir::new("hostile");
    let two = write_two_platforms(tmp.path(), &OCI, "v1");
    let arm64: serde_json::Value = serde_json::from_slice(&two.arm64.bytes).expect("manifest");
    let app_layer = arm64["layers"][1]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let missing = dockerflow_oci::Digest::parse(&app_layer).expect("digest");
    std::fs::remove_file(tmp.path().join(missing.blob_path())).expect("remove");
    let source = open_index(&format!("oci:{}", tmp.path().display()));
    let mut uploaded = 0;
    let err = push_index(
        &client,
        source.as_ref(),
        &reference(&format!("{host}/hostile/app:v2")),
        &PushOptions::default(),
        &mut |e| {
            if matches!(e, Event::BlobDone { .. }) {
                uploaded += 1;
            }
        },
    )
    .expect_err("a missing layer fails the push");
    let text = err.to_string();
    assert!(
        text.contains(&app_layer) && text.contains("missing"),
        "{text}"
    );
    assert!(
        uploaded >= 3,
        "the first platform went up before the failure: {uploaded}"
    );
    assert_eq!(get_v2(&host, "hostile/app/manifests/v2").status, 404);
    for d in [&two.amd64.digest, &two.arm64.digest, &two.index.digest] {
        assert_eq!(
            get_v2(&host, &format!("hostile/app/manifests/{d}")).status,
            404
        );
    }
}
