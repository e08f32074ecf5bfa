//! The same tiny image in every local transport gives the same config and filesystem.

mod common;

use std::fs;

use common::*;
use dockerflow_oci::{
    open, ContentRequest, EntryKind, ErrorKind, Field, FindingKind, ImageRef, ImageSource,
    OpenOptions, Platform, UserResolution, Vfs,
};

fn request() -> ContentRequest {
    ContentRequest::paths(["/etc/passwd", "/etc/group", "/app/version.json", "/app/hl"])
}

type Snapshot = Vec<(String, EntryKind, u32, u64, Option<String>, usize)>;

fn snapshot(vfs: &Vfs) -> Snapshot {
    vfs.entries()
        .map(|e| {
            (
                e.path.clone(),
                e.kind,
                e.mode,
                e.size,
                e.link_target.clone(),
                e.layer,
            )
        })
        .collect()
}

fn open_ref(s: &str) -> Box<dyn ImageSource> {
    let r = ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    open(&r, &OpenOptions::default()).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn check_tiny(src: &dyn ImageSource) -> Snapshot {
    let cfg = src.config().container().cloned().unwrap_or_default();
    assert_eq!(cfg.user, Field::Value("app".to_string()));
    assert_eq!(cfg.entrypoint, Field::Value(vec!["/app/bin".to_string()]));
    assert_eq!(cfg.cmd, Field::Value(vec!["serve".to_string()]));
    assert_eq!(cfg.env_var("PORT"), Some("8000"));
    assert_eq!(cfg.working_dir, Field::Value("/app".to_string()));
    assert_eq!(src.config().history.len(), 4);
    assert!(src.config().history[3].empty_layer);
    assert_eq!(src.manifest().layers.len(), 3);

    let vfs = Vfs::read_image(src, &request(), &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", src.origin()));
    // /etc/passwd is an absolute symlink: its content comes from /usr/lib/passwd, which was
    // not requested and is read on a second pass.
    assert_eq!(vfs.read("/etc/passwd").ok(), Some(PASSWD.as_bytes()));
    assert_eq!(
        vfs.lstat("/etc/passwd").map(|e| e.kind).ok(),
        Some(EntryKind::Symlink)
    );
    assert_eq!(vfs.read("/etc/group").ok(), Some(GROUP.as_bytes()));
    assert_eq!(vfs.stat("/etc/group").map(|e| e.layer).ok(), Some(2));
    assert_eq!(vfs.read("/app/version.json").ok(), Some(VERSION.as_bytes()));
    assert_eq!(vfs.read("/app/hl").ok(), Some(VERSION.as_bytes()));
    assert_eq!(vfs.read("/app/current").ok(), Some(VERSION.as_bytes()));
    // Whiteout and opaque directory.
    assert!(!vfs.exists("/app/remove-me"));
    assert!(!vfs.exists("/app/data/old.txt"));
    assert!(vfs.exists("/app/data/new.txt"));
    let names: Vec<&str> = vfs
        .list("/app")
        .map(|v| v.iter().map(|e| e.path.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["/app/current", "/app/data", "/app/hl", "/app/version.json"]
    );
    // Setuid scan over all entries.
    let setuid: Vec<&str> = vfs
        .entries()
        .filter(|e| e.mode & 0o4000 != 0)
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(setuid, ["/usr/bin/su"]);
    // Content not requested is not kept.
    let e = vfs.read("/app/data/new.txt").err().map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("not named in the ContentRequest")));
    match vfs.resolve_user("app:app") {
        Ok(UserResolution::Resolved(u)) => assert_eq!((u.uid, u.gid), (10001, 10001)),
        other => panic!("{other:?}"),
    }
    assert!(vfs.findings().is_empty(), "{:?}", vfs.findings());
    snapshot(&vfs)
}

#[test]
fn every_transport_reads_the_same_image() {
    let tars = tiny_tars();
    let plain: Vec<Layer> = tars.iter().cloned().map(Layer::plain).collect();
    let gz: Vec<Layer> = tars.iter().map(|t| Layer::gz(t)).collect();
    let cfg_plain = config_json(&plain, "app");
    let cfg_gz = config_json(&gz, "app");
    let tmp = TempDir::new("oci-test");
    let t = tmp.path().display().to_string();

    let layout = tmp.path().join("layout");
    oci_layout(&gz, &cfg_gz, Some("v1")).write_dir(&layout);
    fs::write(
        tmp.path().join("oci.tar"),
        oci_layout(&plain, &cfg_plain, Some("v1")).to_tar(),
    )
    .unwrap_or_default();
    fs::write(
        tmp.path().join("classic.tar"),
        docker_classic(&plain, &cfg_plain, &["app:latest"]).to_tar(),
    )
    .unwrap_or_default();
    fs::write(
        tmp.path().join("d25.tar"),
        docker25(&plain, &cfg_plain, "app:latest").to_tar(),
    )
    .unwrap_or_default();
    fs::write(
        tmp.path().join("ctrd.tar"),
        containerd(&gz, &cfg_gz, "app:latest", true).to_tar(),
    )
    .unwrap_or_default();
    fs::write(
        tmp.path().join("ctrd-no-mj.tar"),
        containerd(&gz, &cfg_gz, "app:latest", false).to_tar(),
    )
    .unwrap_or_default();

    let refs = [
        format!("oci:{t}/layout:v1"),
        format!("oci:{t}/layout"),
        format!("oci-archive:{t}/oci.tar:v1"),
        format!("docker-archive:{t}/classic.tar"),
        format!("docker-archive:{t}/classic.tar:app:latest"),
        format!("docker-archive:{t}/classic.tar:docker.io/library/app:latest"),
        format!("docker-archive:{t}/classic.tar:@0"),
        format!("docker-archive:{t}/d25.tar"),
        format!("docker-archive:{t}/ctrd.tar:app:latest"),
        format!("docker-archive:{t}/ctrd-no-mj.tar"),
        format!("oci-archive:{t}/ctrd-no-mj.tar:latest"),
    ];
    let mut first: Option<Snapshot> = None;
    for r in &refs {
        let src = open_ref(r);
        let snap = check_tiny(src.as_ref());
        match &first {
            None => first = Some(snap),
            Some(f) => assert_eq!(f, &snap, "{r}"),
        }
        let synthesised = r.contains("classic");
        assert_eq!(src.manifest_digest().is_none(), synthesised, "{r}");
    }
}

#[test]
fn selection_errors_list_what_is_there() {
    let tars = tiny_tars();
    let plain: Vec<Layer> = tars.into_iter().map(Layer::plain).collect();
    let cfg = config_json(&plain, "app");
    let cfg2 = config_json(&plain, "root");
    let tmp = TempDir::new("oci-test");
    let t = tmp.path().display().to_string();

    // Two images in one docker save archive.
    let mut two = docker_classic(&plain, &cfg, &["app:1"]);
    let other = docker_classic(&plain, &cfg2, &["other:2"]);
    let mj: serde_json::Value = serde_json::json!([
        serde_json::from_slice::<serde_json::Value>(
            &two.0
                .iter()
                .find(|(p, _)| p == "manifest.json")
                .map(|x| x.1.clone())
                .unwrap_or_default()
        )
        .unwrap_or_default()[0],
        serde_json::from_slice::<serde_json::Value>(
            &other
                .0
                .iter()
                .find(|(p, _)| p == "manifest.json")
                .map(|x| x.1.clone())
                .unwrap_or_default()
        )
        .unwrap_or_default()[0],
    ]);
    two.0.retain(|(p, _)| p != "manifest.json");
    for (p, b) in other.0 {
        if p.ends_with(".json") && p != "manifest.json" {
            two.add(&p, b);
        }
    }
    two.add("manifest.json", serde_json::to_vec(&mj).unwrap_or_default());
    fs::write(tmp.path().join("two.tar"), two.to_tar()).unwrap_or_default();
    let e = open(
        &ImageRef::parse(&format!("docker-archive:{t}/two.tar")).unwrap_or_else(|e| panic!("{e}")),
        &OpenOptions::default(),
    )
    .err()
    .unwrap_or_else(|| panic!("ambiguous"));
    assert!(matches!(e.kind(), ErrorKind::AmbiguousImage { .. }));
    assert!(e.to_string().contains("@0 app:1, @1 other:2"), "{e}");
    let e = open(
        &ImageRef::parse(&format!("docker-archive:{t}/two.tar:nope:1"))
            .unwrap_or_else(|e| panic!("{e}")),
        &OpenOptions::default(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        e.contains("image \"nope:1\" not found; available: @0 app:1, @1 other:2"),
        "{e}"
    );
    let src = open_ref(&format!("docker-archive:{t}/two.tar:other:2"));
    assert_eq!(
        src.config()
            .container()
            .and_then(|c| c.user.value().cloned()),
        Some("root".to_string())
    );

    // Two tags in one layout.
    let mut l = oci_layout(&plain, &cfg, Some("v1"));
    let l2 = oci_layout(&plain, &cfg2, Some("v2"));
    let idx = |f: &Files| -> serde_json::Value {
        serde_json::from_slice(
            &f.0.iter()
                .find(|(p, _)| p == "index.json")
                .map(|x| x.1.clone())
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    };
    let merged = serde_json::json!({"schemaVersion": 2, "manifests": [idx(&l)["manifests"][0], idx(&l2)["manifests"][0]]});
    l.0.retain(|(p, _)| p != "index.json");
    for (p, b) in l2.0 {
        if p.starts_with("blobs/") {
            l.blob(&b);
        }
    }
    l.add(
        "index.json",
        serde_json::to_vec(&merged).unwrap_or_default(),
    );
    l.write_dir(&tmp.path().join("two"));
    let e = open(
        &ImageRef::parse(&format!("oci:{t}/two")).unwrap_or_else(|e| panic!("{e}")),
        &OpenOptions::default(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("several images; name one of: v1, v2"), "{e}");
    let e = open(
        &ImageRef::parse(&format!("oci:{t}/two:v3")).unwrap_or_else(|e| panic!("{e}")),
        &OpenOptions::default(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        e.contains("image \"v3\" not found; available: v1, v2"),
        "{e}"
    );
    assert!(e.contains(&format!("(in oci:{t}/two:v3)")), "{e}");
    let src = open_ref(&format!("oci:{t}/two:v2"));
    assert_eq!(
        src.config()
            .container()
            .and_then(|c| c.user.value().cloned()),
        Some("root".to_string())
    );
}

#[test]
fn platform_selection_in_nested_indexes() {
    let gz: Vec<Layer> = tiny_tars().iter().map(|t| Layer::gz(t)).collect();
    let cfg = config_json(&gz, "app");
    let tmp = TempDir::new("oci-test");
    containerd(&gz, &cfg, "app:latest", false).write_dir(tmp.path());
    let r =
        ImageRef::parse(&format!("oci:{}", tmp.path().display())).unwrap_or_else(|e| panic!("{e}"));
    // arm64's manifest is listed but its blob is absent.
    let arm = OpenOptions {
        platform: Platform::new("linux", "arm64", Some("v8")),
        ..OpenOptions::default()
    };
    let e = open(&r, &arm)
        .err()
        .unwrap_or_else(|| panic!("arm64 blob is absent"));
    assert!(matches!(e.kind(), ErrorKind::BlobMissing { .. }), "{e}");
    let s390 = OpenOptions {
        platform: Platform::parse("linux/s390x").unwrap_or_else(Platform::linux_amd64),
        ..OpenOptions::default()
    };
    let e = open(&r, &s390)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains(
            "no manifest for platform linux/s390x; the index lists: linux/arm64/v8, linux/amd64"
        ),
        "{e}"
    );
    let deep = OpenOptions {
        limits: dockerflow_oci::Limits {
            max_index_depth: 1,
            ..Default::default()
        },
        ..OpenOptions::default()
    };
    assert!(open(&r, &deep).is_ok());
    let shallow = OpenOptions {
        limits: dockerflow_oci::Limits {
            max_index_depth: 0,
            ..Default::default()
        },
        ..OpenOptions::default()
    };
    let e = open(&r, &shallow)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("nested index depth exceeded"), "{e}");
}

#[test]
fn remote_and_daemon_are_not_supported_yet() {
    for r in ["docker://alpine:3", "docker-daemon:alpine:3", "alpine:3"] {
        let e = open(
            &ImageRef::parse(r).unwrap_or_else(|e| panic!("{e}")),
            &OpenOptions::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("{r}"));
        assert!(
            matches!(e.kind(), ErrorKind::Unsupported { .. }),
            "{r}: {e}"
        );
    }
}

#[test]
fn findings_kind_is_public() {
    // Compile-time check that findings can be matched by callers.
    let k = FindingKind::EscapesRoot;
    assert!(k.to_string().contains("skipped"));
}
