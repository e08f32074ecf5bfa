//! Layer semantics: whiteouts exactly as the OCI image spec says, replacement rules, and
//! the tar extensions real images use.

mod common;

use common::*;
use dockerflow_oci::{ContentRequest, EntryKind, HiddenBy, Limits, OciLayout, OpenOptions, Vfs};

/// Reads an OCI layout of `layers` (with a config for them) as `request` and `limits` say.
fn read_layers(
    layers: &[Layer],
    request: &ContentRequest,
    limits: &Limits,
) -> Result<Vfs, dockerflow_oci::Error> {
    let tmp = TempDir::new("oci-test");
    let cfg = config_json(layers, "app");
    oci_layout(layers, &cfg, None).write_dir(tmp.path());
    let src = OciLayout::open(tmp.path(), None, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Vfs::read_image(&src, request, limits)
}

fn vfs_with(layers: Vec<Vec<u8>>, request: &ContentRequest) -> Vfs {
    let layers: Vec<Layer> = layers.into_iter().map(Layer::plain).collect();
    read_layers(&layers, request, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
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

/// `(path, layer that wrote it, layer that hid it, how)` of every hidden file.
fn hidden(v: &Vfs) -> Vec<(String, usize, usize, HiddenBy)> {
    let mut h: Vec<_> = v
        .hidden()
        .iter()
        .map(|h| (h.entry.path.clone(), h.entry.layer, h.by_layer, h.by))
        .collect();
    h.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    h
}

#[test]
fn hidden_files_are_listed_with_who_hid_them() {
    let l0 = Tar::new()
        .dir("root/")
        .dir("root/.ssh/")
        .file("root/.ssh/id_rsa", b"KEY0")
        .file("app.env", b"A=0")
        .dir("opq/")
        .file("opq/old", b"old")
        .dir("d/")
        .file("d/inner", b"inner")
        .file("kept", b"kept")
        .symlink("sym", "kept")
        .finish();
    let l1 = Tar::new()
        .file("root/.wh..ssh", b"") // a directory whiteout hides what is under it
        .file(".wh.app.env", b"")
        .file(".wh.sym", b"") // symlinks are not files: not listed
        .file("opq/.wh..wh..opq", b"")
        .file("d", b"a file now") // replaces the directory and its subtree
        .file("kept", b"new") // replaces the file
        .finish();
    let v = vfs_with(vec![l0, l1], &ContentRequest::none());
    assert_eq!(
        hidden(&v),
        [
            ("/app.env".to_string(), 0, 1, HiddenBy::Whiteout),
            ("/d/inner".to_string(), 0, 1, HiddenBy::Replaced),
            ("/kept".to_string(), 0, 1, HiddenBy::Replaced),
            ("/opq/old".to_string(), 0, 1, HiddenBy::OpaqueDirectory),
            ("/root/.ssh/id_rsa".to_string(), 0, 1, HiddenBy::Whiteout),
        ]
    );
    assert!(!v.exists("/root/.ssh/id_rsa") && !v.exists("/app.env"));
    // Content is kept only when asked for.
    let e = v.hidden()[0].content().expect_err("not requested");
    assert!(e.to_string().contains("with_hidden"), "{e}");
}

#[test]
fn hidden_content_is_read_on_a_second_pass() {
    // The same path twice in one layer, then deleted: each copy is found by its position.
    let l0 = Tar::new()
        .file("secret.pem", b"first")
        .file("secret.pem", b"second")
        .file("other", b"other")
        .hardlink("link.pem", "secret.pem")
        .file("big.pem", &[b'x'; 100])
        .finish();
    let l1 = Tar::new()
        .file(".wh.secret.pem", b"")
        .file(".wh.link.pem", b"")
        .file(".wh.other", b"")
        .file(".wh.big.pem", b"")
        .finish();
    let layers = vec![Layer::gz(&l0), Layer::plain(l1)];
    let request = ContentRequest::none().with_hidden(|p| p.ends_with(".pem"));
    let limits = Limits {
        max_file_content: 50,
        ..Limits::default()
    };
    let v = read_layers(&layers, &request, &limits).expect("read");
    let content: Vec<(String, String)> = v
        .hidden()
        .iter()
        .map(|h| {
            let c = match h.content() {
                Ok(b) => String::from_utf8_lossy(b).into_owned(),
                Err(e) => format!("error: {e}"),
            };
            (h.entry.path.clone(), c)
        })
        .collect();
    let c = |p: &str| -> Vec<&str> {
        content
            .iter()
            .filter(|(q, _)| q == p)
            .map(|(_, c)| c.as_str())
            .collect()
    };
    assert_eq!(c("/secret.pem"), ["first", "second"]);
    assert_eq!(
        c("/link.pem"),
        ["second"],
        "a hard link has its target's bytes"
    );
    assert!(c("/other")[0].contains("not named by"), "{content:?}");
    assert!(
        c("/big.pem")[0].contains("over the per-file cap"),
        "{content:?}"
    );
}

#[test]
fn hidden_content_counts_towards_the_total_cap() {
    let l0 = Tar::new()
        .file("a.pem", &[b'a'; 40])
        .file("b.pem", &[b'b'; 40])
        .finish();
    let l1 = Tar::new()
        .file(".wh.a.pem", b"")
        .file(".wh.b.pem", b"")
        .finish();
    let layers = vec![Layer::plain(l0), Layer::plain(l1)];
    let request = ContentRequest::none().with_hidden(|p| p.ends_with(".pem"));
    let limits = Limits {
        max_total_content: 60,
        ..Limits::default()
    };
    let e = read_layers(&layers, &request, &limits).expect_err("80 bytes over a 60-byte cap");
    assert!(
        matches!(
            e.kind(),
            dockerflow_oci::ErrorKind::LimitExceeded {
                limit: dockerflow_oci::Limit::TotalContent,
                ..
            }
        ),
        "{e}"
    );
    let fits = Limits {
        max_total_content: 80,
        ..Limits::default()
    };
    let v = read_layers(&layers, &request, &fits).expect("80 bytes fit");
    assert!(v.hidden().iter().all(|h| h.content().is_ok()));
}

#[test]
fn a_whiteout_of_a_lower_directory_keeps_what_its_own_layer_put_inside() {
    // The spec: a whiteout hides lower layers only. `/a` (layer 0) is whited out after layer 1
    // wrote `/a/new`: `/a/old` goes, `/a/new` stays reachable, so `/a` stays as layer 1's.
    let l0 = Tar::new().dir("a/").file("a/old", b"0").finish();
    let l1 = Tar::new().file("a/new", b"1").file(".wh.a", b"").finish();
    let v = vfs_with(vec![l0, l1], &ContentRequest::none());
    assert_eq!(paths(&v), ["/", "/a", "/a/new"]);
    assert_eq!(v.stat("/a/new").map(|e| e.layer).ok(), Some(1));
    assert_eq!(
        v.stat("/a").map(|e| (e.kind, e.layer)).ok(),
        Some((EntryKind::Dir, 1))
    );
    let hidden: Vec<(&str, HiddenBy)> = v
        .hidden()
        .iter()
        .map(|h| (h.entry.path.as_str(), h.by))
        .collect();
    assert_eq!(hidden, [("/a/old", HiddenBy::Whiteout)]);
}
