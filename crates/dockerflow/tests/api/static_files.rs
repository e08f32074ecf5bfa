//! Static files (CONTRACT 1.10), served by the example under `/static`.

use std::io::Write;

use crate::helpers::*;

fn gzip_stub(data: &[u8]) -> Vec<u8> {
    // A stored (uncompressed) gzip member: valid gzip without a compression dependency.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut block = vec![1u8];
    block.extend_from_slice(&(data.len() as u16).to_le_bytes());
    block.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
    block.extend_from_slice(data);
    out.extend_from_slice(&block);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn static_app() -> (TestApp, TempDir, TempDir) {
    let outside = TempDir::new("outside");
    std::fs::write(outside.path().join("secret.txt"), "outside the root").unwrap();
    let files = TempDir::new("static");
    let root = files.path().to_path_buf();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello, static world\n").unwrap();
    std::fs::write(root.join("app.3f2a9c1b.css"), "body{color:red}").unwrap();
    std::fs::write(root.join("sub/index.html"), "<h1>sub</h1>").unwrap();
    let js = b"console.log('compressed');";
    std::fs::write(root.join("app.js"), js).unwrap();
    std::fs::File::create(root.join("app.js.gz"))
        .unwrap()
        .write_all(&gzip_stub(js))
        .unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("escape-dir")).unwrap();
    let app = spawn_app(&[("DOCKERFLOW_STATIC_DIR", root.to_str().unwrap())]);
    (app, outside, files)
}

#[tokio::test]
async fn files_types_caching_and_revalidation() {
    let (app, _outside, _files) = static_app();
    let r = get(app.address, "/static/hello.txt").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello, static world\n");
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let etag = r.header("etag").unwrap().to_owned();
    let modified = r.header("last-modified").unwrap().to_owned();

    let again = request(
        app.address,
        "GET",
        "/static/hello.txt",
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let since = request(
        app.address,
        "GET",
        "/static/hello.txt",
        &[("If-Modified-Since", &modified)],
    )
    .await;
    assert_eq!(since.status, 304);

    let hashed = get(app.address, "/static/app.3f2a9c1b.css").await;
    assert_eq!(
        hashed.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(hashed
        .header("content-type")
        .unwrap()
        .starts_with("text/css"));

    let head = request(app.address, "HEAD", "/static/hello.txt", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("20"));
}

#[tokio::test]
async fn ranges_and_precompressed_variants() {
    let (app, _outside, _files) = static_app();
    let r = request(
        app.address,
        "GET",
        "/static/hello.txt",
        &[("Range", "bytes=0-4")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.text(), "hello");

    let gz = request(
        app.address,
        "GET",
        "/static/app.js",
        &[("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b]);
    let plain = get(app.address, "/static/app.js").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.text(), "console.log('compressed');");
}

#[tokio::test]
async fn nothing_escapes_the_root_and_nothing_is_listed() {
    let (app, _outside, _files) = static_app();
    for path in [
        "/static/../version.json",
        "/static/%2e%2e/version.json",
        "/static/%2E%2E/%2e%2e/etc/passwd",
        "/static/sub/..%2f..%2fversion.json",
        "/static/escape.txt",
        "/static/escape-dir/secret.txt",
        "/static/empty/",
        "/static/nope.txt",
    ] {
        let r = get(app.address, path).await;
        assert!(r.status == 404 || r.status == 400, "{path}: {}", r.status);
        assert!(
            !r.text().contains("outside the root") && !r.text().contains("commit"),
            "{path}"
        );
    }
    let index = get(app.address, "/static/sub/").await;
    assert_eq!(
        (index.status, index.text()),
        (200, "<h1>sub</h1>".to_owned())
    );
}
