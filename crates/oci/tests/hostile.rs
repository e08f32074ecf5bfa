//! Hostile images: each gives a specific, clear error or finding, never a panic, never a
//! write outside the image, never unbounded memory.

mod common;

use std::fs;
use std::io::Write;

use common::*;
use dockerflow_oci::{
    BlobRole, ContentRequest, EntryKind, Error, ErrorKind, FindingKind, Limit, Limits, OciLayout,
    OpenOptions, Vfs,
};
use flate2::write::GzEncoder;
use flate2::Compression;

fn open_layers(tmp: &TempDir, layers: &[Layer], limits: &Limits) -> Result<OciLayout, Error> {
    let cfg = config_json(layers, "app");
    oci_layout(layers, &cfg, None).write_dir(tmp.path());
    OciLayout::open(
        tmp.path(),
        None,
        &OpenOptions {
            limits: limits.clone(),
            ..OpenOptions::default()
        },
    )
}

fn read_layers_with(layers: &[Layer], limits: &Limits) -> Result<Vfs, Error> {
    let tmp = TempDir::new("oci-test");
    let src = open_layers(&tmp, layers, limits)?;
    Vfs::read_image(&src, &ContentRequest::default(), limits)
}

fn read_layers(layers: &[Layer]) -> Result<Vfs, Error> {
    read_layers_with(layers, &Limits::default())
}

fn expect_err(r: Result<Vfs, Error>) -> Error {
    match r {
        Ok(v) => panic!("expected an error, got {} entries", v.entries().count()),
        Err(e) => e,
    }
}

#[test]
fn traversal_names_stay_inside_the_root() {
    let tar = Tar::new()
        .file("../../x", b"out")
        .file("a/../../../y", b"out")
        .file("/abs", b"in")
        .file("./ok//fine", b"in")
        .finish();
    let vfs = read_layers(&[Layer::plain(tar)]).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(&str, &FindingKind)> = vfs
        .findings()
        .iter()
        .map(|f| (f.entry.as_str(), &f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("../../x", &FindingKind::EscapesRoot),
            ("a/../../../y", &FindingKind::EscapesRoot),
            ("/abs", &FindingKind::AbsoluteName),
        ]
    );
    let paths: Vec<&str> = vfs.entries().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/", "/abs", "/ok", "/ok/fine"]);
}

#[test]
fn symlinks_resolve_inside_the_image() {
    let mut t = Tar::new();
    t.dir("etc/")
        .file("etc/passwd", PASSWD.as_bytes())
        .symlink("abs", "/etc/passwd")
        .symlink("up", "../../../../../etc/passwd")
        .symlink("loop1", "loop2")
        .symlink("loop2", "/loop1")
        .symlink("self", "self/x")
        .symlink("host", "/proc/self/root/etc/shadow");
    // A chain of 41 hops.
    for i in 0..41 {
        t.symlink(&format!("c{i}"), &format!("c{}", i + 1));
    }
    t.file("c41", b"end");
    let vfs = read_layers(&[Layer::plain(t.finish())]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vfs.resolve("/abs").ok().as_deref(), Some("/etc/passwd"));
    assert_eq!(vfs.resolve("/up").ok().as_deref(), Some("/etc/passwd"));
    assert_eq!(vfs.read("/up").ok(), Some(PASSWD.as_bytes()));
    for p in ["/loop1", "/self"] {
        let e = vfs.stat(p).err().unwrap_or_else(|| panic!("{p}"));
        assert!(
            matches!(e.kind(), ErrorKind::SymlinkLoop { .. }),
            "{p}: {e}"
        );
        assert!(
            e.to_string().contains("too many levels of symbolic links"),
            "{e}"
        );
    }
    let e = vfs.stat("/c0").err().unwrap_or_else(|| panic!("41 hops"));
    assert!(matches!(e.kind(), ErrorKind::SymlinkLoop { .. }), "{e}");
    assert_eq!(vfs.stat("/c1").map(|e| e.path.as_str()).ok(), Some("/c41"));
    let e = vfs
        .stat("/host")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("/proc does not exist"), "{e}");
}

#[test]
fn tar_slip_through_a_symlink_is_not_applied() {
    let tar = Tar::new()
        .dir("etc/")
        .file("etc/passwd", PASSWD.as_bytes())
        .symlink("evil", "/etc")
        .file("evil/passwd", b"root::0:0::/:/bin/sh\n")
        .finish();
    let vfs = read_layers(&[Layer::plain(tar)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vfs.read("/etc/passwd").ok(), Some(PASSWD.as_bytes()));
    assert_eq!(
        vfs.findings()[0].kind,
        FindingKind::ParentNotDirectory {
            parent: "/evil".into()
        }
    );
}

#[test]
fn hardlinks_to_missing_or_outside_paths_are_skipped() {
    let tar = Tar::new()
        .hardlink("missing", "nowhere")
        .hardlink("outside", "../../etc/shadow")
        .dir("d/")
        .hardlink("todir", "d")
        .file("f", b"x")
        .hardlink("g", "f")
        .finish();
    let vfs = read_layers(&[Layer::plain(tar)]).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&FindingKind> = vfs.findings().iter().map(|f| &f.kind).collect();
    assert_eq!(
        kinds,
        [
            &FindingKind::HardlinkTargetMissing {
                target: "/nowhere".into()
            },
            &FindingKind::HardlinkEscapes {
                target: "../../etc/shadow".into()
            },
            &FindingKind::HardlinkToDirectory {
                target: "/d".into()
            },
        ]
    );
    assert_eq!(
        vfs.stat("/g").map(|e| (e.kind, e.size)).ok(),
        Some((EntryKind::Hardlink, 1))
    );
    assert!(!vfs.exists("/missing") && !vfs.exists("/outside") && !vfs.exists("/todir"));
}

/// A layer whose single file is `n` MiB of zeros: one gzip member of 1 MiB of zeros repeated
/// (a valid multi-member gzip stream), so the test never holds or compresses the whole.
/// The diff id is a placeholder: the caps trip long before it is checked.
fn zero_bomb(mib: u64) -> Layer {
    let member = |b: &[u8]| {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(b).unwrap_or_default();
        enc.finish().unwrap_or_default()
    };
    let mut blob = member(&header("zeros", b'0', mib << 20, 0o644, ""));
    let zeros = member(&vec![0u8; 1 << 20]);
    for _ in 0..mib {
        blob.extend_from_slice(&zeros);
    }
    blob.extend_from_slice(&member(&[0u8; 1024]));
    Layer {
        blob,
        diff_id: sha(b"placeholder"),
        gzip: true,
    }
}

#[test]
fn decompression_bomb_hits_the_caps() {
    let bomb = zero_bomb(100);
    assert!(bomb.blob.len() < 200_000, "{}", bomb.blob.len());
    let limits = Limits {
        max_decompressed_bytes: 8 << 20,
        ..Limits::default()
    };
    let e = expect_err(read_layers_with(std::slice::from_ref(&bomb), &limits));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::DecompressedBytes,
                layer: Some(0),
                digest: Some(_),
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("total decompressed layer bytes exceeded (cap 8388608) in layer 0 (sha256:")
            && msg.contains("max_decompressed_bytes"),
        "{msg}"
    );
    let ratio = Limits {
        max_compression_ratio: 100,
        compression_ratio_grace: 1 << 20,
        ..Limits::default()
    };
    let e = expect_err(read_layers_with(&[bomb], &ratio));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::CompressionRatio,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn truncated_tar_and_gzip() {
    let tar = Tar::new().file("big", &[7u8; 5000]).finish();
    let cut = tar[..2000].to_vec();
    let e = expect_err(read_layers(&[Layer::plain(cut.clone())]));
    let msg = e.to_string();
    assert!(matches!(e.kind(), ErrorKind::Tar { .. }), "{msg}");
    assert!(
        msg.contains("malformed tar in layer 0 (sha256:")
            && msg.contains("at byte offset 512: truncated"),
        "{msg}"
    );
    // Cut inside a header.
    let e = expect_err(read_layers(&[Layer::plain(tar[..300].to_vec())]));
    assert!(e.to_string().contains("ends inside a header"), "{e}");

    let gz = gzip(&tar);
    let half = gz[..gz.len() / 2].to_vec();
    let layer = Layer {
        blob: half,
        diff_id: sha(&tar),
        gzip: true,
    };
    let e = expect_err(read_layers(&[layer]));
    assert!(
        matches!(e.kind(), ErrorKind::Decompress { layer: 0, .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("gzip stream is invalid or truncated"),
        "{e}"
    );
}

#[test]
fn malformed_headers() {
    let mut bad = Tar::new().file("f", b"x").finish();
    bad[148] = b'9';
    let e = expect_err(read_layers(&[Layer::plain(bad)]));
    assert!(e.to_string().contains("checksum"), "{e}");

    // A PAX header that claims 100 MB: refused before anything is allocated.
    let mut t = Tar::new();
    t.raw(&header("PaxHeaders/x", b'x', 100 << 20, 0o644, ""), b"");
    let e = expect_err(read_layers(&[Layer::plain(t.finish())]));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::PaxHeader,
                layer: Some(0),
                ..
            }
        ),
        "{e}"
    );
    // A GNU long name of 10,000 bytes.
    let long = "a/".repeat(5000);
    let mut t = Tar::new();
    t.raw(
        &header("././@LongLink", b'L', long.len() as u64 + 1, 0o644, ""),
        format!("{long}\0").as_bytes(),
    );
    t.file("short", b"");
    let e = expect_err(read_layers(&[Layer::plain(t.finish())]));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::PathLength,
                ..
            }
        ),
        "{e}"
    );
    // PAX path and size: a long name works, and PAX size wins over the ustar field.
    let long_ok = format!("{}/file", "d".repeat(150));
    let t = Tar::new().file(&long_ok, b"hello").finish();
    let vfs = read_layers(&[Layer::plain(t)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        vfs.stat(&format!("/{long_ok}")).map(|e| e.size).ok(),
        Some(5)
    );
}

/// A header whose size is `u64::MAX`, with the data that follows it: a base-256 size field
/// (GNU) or a PAX `size` record. Before the fix the reader wrapped `size + padding` to 0 and
/// parsed the entry's data as more headers, so files no other reader sees were applied.
fn u64_max_entry(pax: bool, hidden: &[u8]) -> Vec<u8> {
    let mut t = Tar::new();
    if pax {
        let record = "29 size=18446744073709551615\n";
        assert_eq!(record.len(), 29);
        t.raw(
            &header("PaxHeaders/blob", b'x', record.len() as u64, 0o644, ""),
            record.as_bytes(),
        );
        t.raw(&header("blob", b'0', 0, 0o644, ""), b"");
    } else {
        let mut h = header("blob", b'0', 0, 0o644, "");
        h[124] = 0x80;
        h[125..128].fill(0);
        h[128..136].fill(0xff);
        fix_checksum(&mut h);
        t.raw(&h, b"");
    }
    t.buf.extend_from_slice(hidden);
    t.finish()
}

#[test]
fn an_entry_size_beyond_i64_is_refused_not_wrapped() {
    // What the hostile entry's data hides: an /etc/passwd and /etc/group with app 10001, which
    // made an image without them pass the account rules.
    let hidden = Tar::new()
        .file("etc/passwd", b"app:x:10001:10001::/app:/sbin/nologin\n")
        .file("etc/group", b"app:x:10001:\n")
        .finish();
    for pax in [false, true] {
        let e = expect_err(read_layers(&[Layer::plain(u64_max_entry(pax, &hidden))]));
        let msg = e.to_string();
        assert!(
            matches!(e.kind(), ErrorKind::Tar { .. })
                && msg
                    .contains("entry size 18446744073709551615 is larger than a tar entry can be"),
            "pax={pax}: {msg}"
        );
        assert!(
            msg.contains("layer 0") || msg.contains("sha256:"),
            "names the layer: {msg}"
        );
    }
    // The largest size Go accepts is still read as a size: the stream then ends inside the data.
    let mut h = header("blob", b'0', 0, 0o644, "");
    h[124] = 0x80;
    h[125..128].fill(0);
    h[128] = 0x7f;
    h[129..136].fill(0xff);
    fix_checksum(&mut h);
    let mut t = Tar::new();
    t.raw(&h, b"");
    let e = expect_err(read_layers(&[Layer::plain(t.finish())]));
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn entry_cap() {
    let mut t = Tar::new();
    for i in 0..50 {
        t.file(&format!("f{i}"), b"");
    }
    let limits = Limits {
        max_entries: 20,
        ..Limits::default()
    };
    let e = expect_err(read_layers_with(&[Layer::plain(t.finish())], &limits));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::Entries,
                max: 20,
                layer: Some(0),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn lying_digests_and_sizes() {
    let tar = Tar::new().file("f", b"x").finish();
    let layer = Layer::plain(tar.clone());
    let cfg = config_json(std::slice::from_ref(&layer), "app");

    // The config's descriptor names the digest of other bytes.
    let tmp = TempDir::new("oci-test");
    let mut files = oci_layout(std::slice::from_ref(&layer), &cfg, None);
    let cfg_path = format!("blobs/sha256/{}", sha(&cfg).hex());
    for (p, b) in &mut files.0 {
        if *p == cfg_path {
            b[0] = b' ';
        }
    }
    files.write_dir(tmp.path());
    let e = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .err()
        .unwrap_or_else(|| panic!("config lies"));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::DigestMismatch {
                role: BlobRole::Config,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("config blob at"), "{e}");

    // The layer's content differs from its digest (same size).
    let tmp = TempDir::new("oci-test");
    let mut files = oci_layout(std::slice::from_ref(&layer), &cfg, None);
    let lp = format!("blobs/sha256/{}", sha(&tar).hex());
    for (p, b) in &mut files.0 {
        if *p == lp {
            b[600] = b'y';
        }
    }
    files.write_dir(tmp.path());
    let src = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let e = expect_err(Vfs::read_image(
        &src,
        &ContentRequest::none(),
        &Limits::default(),
    ));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::DigestMismatch {
                role: BlobRole::Layer(0),
                ..
            }
        ),
        "{e}"
    );

    // The descriptor's size lies.
    let tmp = TempDir::new("oci-test");
    let mut files = oci_layout(std::slice::from_ref(&layer), &cfg, None);
    let manifest =
        String::from_utf8(manifest_json(&cfg, std::slice::from_ref(&layer))).unwrap_or_default();
    let lying = manifest.replace(&format!("\"size\":{}", tar.len()), "\"size\":1000");
    assert_ne!(lying, manifest);
    let ld = files.blob(lying.as_bytes());
    let _ = ld;
    files.0.retain(|(p, _)| p != "index.json");
    files.add(
        "index.json",
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}}]}}"#,
            sha(lying.as_bytes()),
            lying.len()
        )
        .into_bytes(),
    );
    files.write_dir(tmp.path());
    let src = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let e = expect_err(Vfs::read_image(
        &src,
        &ContentRequest::none(),
        &Limits::default(),
    ));
    let msg = e.to_string();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::SizeMismatch {
                role: BlobRole::Layer(0),
                expected: 1000,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("layer 0 blob sha256:")
            && msg.contains("the descriptor says 1000 bytes, found 2048"),
        "{msg}"
    );

    // The config's diff id lies.
    let mut wrong = layer.clone();
    wrong.diff_id = sha(b"something else");
    let e = expect_err(read_layers(&[wrong]));
    assert!(
        matches!(e.kind(), ErrorKind::DiffIdMismatch { layer: 0, .. }),
        "{e}"
    );
}

#[test]
fn layout_blob_paths_cannot_escape() {
    let layer = Layer::plain(Tar::new().file("f", b"x").finish());
    let cfg = config_json(std::slice::from_ref(&layer), "app");

    // A digest that tries `../` is rejected when index.json is parsed.
    let tmp = TempDir::new("oci-test");
    let mut files = oci_layout(std::slice::from_ref(&layer), &cfg, None);
    files.0.retain(|(p, _)| p != "index.json");
    files.add(
        "index.json",
        br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":10}]}"#.to_vec(),
    );
    files.write_dir(tmp.path());
    let e = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("invalid JSON in index.json") && e.contains("invalid digest"),
        "{e}"
    );

    // A blob that is a symlink leading out of the layout.
    let tmp = TempDir::new("oci-test");
    let outside = TempDir::new("oci-test");
    let files = oci_layout(std::slice::from_ref(&layer), &cfg, None);
    files.write_dir(tmp.path());
    let secret = outside.path().join("secret");
    fs::write(&secret, &cfg).unwrap_or_default();
    let cfg_blob = tmp.path().join(format!("blobs/sha256/{}", sha(&cfg).hex()));
    fs::remove_file(&cfg_blob).unwrap_or_default();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, &cfg_blob).unwrap_or_default();
        let e = OciLayout::open(tmp.path(), None, &OpenOptions::default())
            .err()
            .unwrap_or_else(|| panic!("escape"));
        assert!(matches!(e.kind(), ErrorKind::PathEscapesRoot { .. }), "{e}");
    }
}

#[test]
fn zstd_is_named() {
    let mut blob = vec![0x28, 0xb5, 0x2f, 0xfd];
    blob.extend_from_slice(&[0; 100]);
    let layer = Layer {
        diff_id: sha(&blob),
        blob,
        gzip: false,
    };
    let e = expect_err(read_layers(&[layer]));
    assert!(
        matches!(e.kind(), ErrorKind::ZstdNotSupported { layer: 0, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("zstd layers are not supported yet"),
        "{e}"
    );
}

#[test]
fn per_file_content_cap() {
    let tar = Tar::new()
        .dir("etc/")
        .file("etc/passwd", &vec![b'#'; 3000])
        .finish();
    let limits = Limits {
        max_file_content: 1000,
        ..Limits::default()
    };
    let vfs = read_layers_with(&[Layer::plain(tar)], &limits).unwrap_or_else(|e| panic!("{e}"));
    let e = vfs
        .read("/etc/passwd")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("3000 bytes is over the per-file cap of 1000"),
        "{e}"
    );
    assert!(vfs.resolve_user("app").is_err());
}

#[test]
fn truncated_archive_file() {
    let layer = Layer::plain(Tar::new().file("f", b"x").finish());
    let cfg = config_json(std::slice::from_ref(&layer), "app");
    let tar = docker_classic(std::slice::from_ref(&layer), &cfg, &["app:1"]).to_tar();
    let tmp = TempDir::new("oci-test");
    let path = tmp.path().join("cut.tar");
    // Cut inside the data of the last member.
    let manifest_at = tar
        .windows(13)
        .position(|w| w == b"manifest.json")
        .unwrap_or(0);
    fs::write(&path, &tar[..manifest_at + 600]).unwrap_or_default();
    let r = dockerflow_oci::ImageRef::parse(&format!("docker-archive:{}", path.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let e = dockerflow_oci::open(&r, &OpenOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("malformed tar in archive")
            && e.contains("manifest.json ends past the end of the file"),
        "{e}"
    );
}

#[test]
fn a_whiteout_with_an_empty_name_is_a_finding_not_a_whiteout_of_the_root() {
    let lower = Tar::new()
        .dir("etc/")
        .file("etc/passwd", PASSWD.as_bytes())
        .finish();
    let upper = Tar::new().file(".wh.", b"").file("etc/.wh.", b"").finish();
    let vfs =
        read_layers(&[Layer::plain(lower), Layer::plain(upper)]).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(usize, &str, &FindingKind)> = vfs
        .findings()
        .iter()
        .map(|f| (f.layer, f.entry.as_str(), &f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (1, ".wh.", &FindingKind::EmptyWhiteout),
            (1, "etc/.wh.", &FindingKind::EmptyWhiteout),
        ]
    );
    assert_eq!(
        FindingKind::EmptyWhiteout.to_string(),
        "whiteout with an empty name would delete its directory; skipped"
    );
    assert_eq!(vfs.read("/etc/passwd").ok(), Some(PASSWD.as_bytes()));
    assert!(vfs.hidden().is_empty());
}

#[test]
fn an_etc_passwd_symlink_loop_is_an_error_not_an_absent_file() {
    let tar = Tar::new()
        .dir("etc/")
        .symlink("etc/passwd", "/etc/a")
        .symlink("etc/a", "/etc/b")
        .symlink("etc/b", "/etc/passwd")
        .finish();
    let vfs = read_layers(&[Layer::plain(tar)]).unwrap_or_else(|e| panic!("{e}"));
    let e = vfs
        .passwd()
        .err()
        .unwrap_or_else(|| panic!("a loop is an error"));
    assert!(matches!(e.kind(), ErrorKind::SymlinkLoop { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("/etc/passwd: too many levels of symbolic links"),
        "{e}"
    );
    // A path that leads nowhere is still an absent file.
    assert!(matches!(vfs.group(), Ok(None)));
}

#[test]
fn the_memory_an_image_read_holds_has_one_budget() {
    // 2,000 files with 1,000-byte names: about 4 MB of names and entries.
    let mut t = Tar::new();
    for i in 0..2000 {
        t.file(&format!("{}{i:04}", "n".repeat(1000)), b"");
    }
    let tar = t.finish();
    let small = Limits {
        max_memory: 1 << 20,
        ..Limits::default()
    };
    let e = expect_err(read_layers_with(&[Layer::plain(tar.clone())], &small));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::Memory,
                max: 1048576,
                layer: Some(0),
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains(
            "memory held by the image read exceeded (cap 1048576) in layer 0; \
             raise Limits::max_memory to allow it"
        ),
        "{e}"
    );
    // The default budget (512 MiB) holds it.
    let vfs = read_layers(&[Layer::plain(tar)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vfs.entries().count(), 2001);
    // Findings are charged too: 2,000 escaping names of 1,000 bytes each.
    let mut t = Tar::new();
    for i in 0..2000 {
        t.file(&format!("../{}{i:04}", "n".repeat(1000)), b"");
    }
    let e = expect_err(read_layers_with(&[Layer::plain(t.finish())], &small));
    assert!(
        matches!(
            e.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::Memory,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn an_archive_member_index_is_charged_to_the_memory_budget() {
    let layer = Layer::plain(Tar::new().file("f", b"x").finish());
    let cfg = config_json(std::slice::from_ref(&layer), "app");
    let mut files = docker_classic(std::slice::from_ref(&layer), &cfg, &["app:1"]);
    for i in 0..2000 {
        files
            .0
            .push((format!("junk/{}{i:04}", "j".repeat(1000)), b"x".to_vec()));
    }
    let tmp = TempDir::new("oci-test");
    let path = tmp.path().join("many.tar");
    fs::write(&path, files.to_tar()).unwrap_or_default();
    let r = dockerflow_oci::ImageRef::parse(&format!("docker-archive:{}", path.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let small = OpenOptions {
        limits: Limits {
            max_memory: 1 << 20,
            ..Limits::default()
        },
        ..OpenOptions::default()
    };
    let e = dockerflow_oci::open(&r, &small)
        .err()
        .unwrap_or_else(|| panic!("2 MB of names over a 1 MiB budget"));
    assert!(
        e.to_string()
            .contains("memory held by the image read exceeded (cap 1048576)"),
        "{e}"
    );
    assert!(dockerflow_oci::open(&r, &OpenOptions::default()).is_ok());
}
