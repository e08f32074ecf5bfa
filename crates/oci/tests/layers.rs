//! Layer semantics: whiteouts exactly as the OCI image spec says, replacement rules, and
//! the tar extensions real images use.

mod common;

use common::*;
use dockerflow_oci::{ContentRequest, EntryKind, Limits, OciLayout, OpenOptions, Vfs};

fn vfs_with(layers: Vec<Vec<u8>>, request: &ContentRequest) -> Vfs {
    let layers: Vec<Layer> = layers.into_iter().map(Layer::plain).collect();
    let tmp = TempDir::new();
    let cfg = config_json(&layers, "app");
    oci_layout(&layers, &cfg, None).write_dir(tmp.path());
    let src = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Vfs::read_image(&src, request, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn paths(v: &Vfs) -> Vec<String> {
    v.entries().map(|e| e.path.clone()).collect()
}

#[test]
fn whiteouts_affect_lower_layers_only() {
    let l0 = Tar::new()
        .dir("a/")
        .file("a/x", b"0")
        .file("a/y", b"0")
        .finish();
    // In the same layer: a whiteout of a file the layer also adds (either order) hides nothing
    // of this layer; the opaque marker hides lower content but not this layer's.
    let l1 = Tar::new()
        .file("a/x", b"1")
        .file("a/.wh.x", b"")
        .file("a/.wh..wh..opq", b"")
        .file("a/z", b"1")
        .file("b", b"1")
        .file(".wh.b", b"")
        .finish();
    let v = vfs_with(vec![l0, l1], &ContentRequest::none());
    assert_eq!(paths(&v), ["/", "/a", "/a/x", "/a/z", "/b"]);
    assert_eq!(v.stat("/a/x").map(|e| e.layer).ok(), Some(1));

    // A whiteout of a directory hides its whole subtree; the name can then come back.
    let l0 = Tar::new().dir("d/").dir("d/e/").file("d/e/f", b"").finish();
    let l1 = Tar::new().file(".wh.d", b"").finish();
    let l2 = Tar::new().dir("d/").file("d/new", b"").finish();
    let v = vfs_with(vec![l0, l1, l2], &ContentRequest::none());
    assert_eq!(paths(&v), ["/", "/d", "/d/new"]);
}

#[test]
fn replacement_rules() {
    let l0 = Tar::new()
        .dir("d/")
        .file("d/child", b"")
        .file("f", b"file")
        .finish();
    let l1 = Tar::new()
        .file("d", b"now a file") // a file replaces a directory and its subtree
        .dir("f/") // a directory replaces a file
        .entry("deep/implied/x", b'0', 0o600, "", b"") // parents are implied
        .finish();
    let v = vfs_with(vec![l0, l1], &ContentRequest::none());
    assert_eq!(
        paths(&v),
        ["/", "/d", "/deep", "/deep/implied", "/deep/implied/x", "/f"]
    );
    assert_eq!(v.stat("/d").map(|e| e.kind).ok(), Some(EntryKind::File));
    assert_eq!(v.stat("/f").map(|e| e.kind).ok(), Some(EntryKind::Dir));
    assert!(v.stat("/deep/implied").map(|e| e.implicit).unwrap_or(false));
    assert_eq!(v.stat("/deep/implied/x").map(|e| e.mode).ok(), Some(0o600));
}

#[test]
fn tar_extensions() {
    let long = format!("{}/name.txt", "long".repeat(40));
    let target = format!("/{}", "t".repeat(150));
    let mut t = Tar::new();
    // GNU long name.
    let gnu = format!("gnu-{long}\0");
    t.raw(
        &header("././@LongLink", b'L', gnu.len() as u64, 0o644, ""),
        gnu.as_bytes(),
    );
    t.raw(&header("truncated-name", b'0', 3, 0o644, ""), b"gnu");
    // PAX path and linkpath (written by the helper for long names).
    t.file(&long, b"pax");
    t.symlink("link", &target);
    // A global PAX header is read and ignored.
    t.raw(
        &header("pax_global_header", b'g', 17, 0o644, ""),
        b"17 comment=hello\n",
    );
    // A base-256 size field.
    let mut h = header("b256", b'0', 0, 0o644, "");
    h[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
    fix_checksum(&mut h);
    t.raw(&h, b"b256");
    let request = ContentRequest::none().with_predicate(|p| p.ends_with(".txt") || p == "/b256");
    let v = vfs_with(vec![t.finish()], &request);
    assert!(v.exists(&format!("/gnu-{long}")));
    assert_eq!(v.read(&format!("/{long}")).ok(), Some(&b"pax"[..]));
    assert_eq!(v.read(&format!("/gnu-{long}")).ok(), Some(&b"gnu"[..]));
    assert_eq!(v.read("/b256").ok(), Some(&b"b256"[..]));
    assert_eq!(
        v.lstat("/link").ok().and_then(|e| e.link_target.clone()),
        Some(target)
    );
    assert!(!v.exists("/pax_global_header"));
}
