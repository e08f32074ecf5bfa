//! The page: `static/` is what `assets/` generates (content-hashed names, `.gz` copies), and
//! the demo serves it with the right caching and encodings.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use crate::helpers::*;

/// FNV-1a, 64 bits: stable across Rust versions and platforms (std's hasher is not), and
/// plenty for cache busting.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What `static/` must hold, before compression: name to bytes.
fn expected_files() -> BTreeMap<String, Vec<u8>> {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let read = |name: &str| std::fs::read(assets.join(name)).expect("asset");
    let mut index = String::from_utf8(read("index.html")).expect("utf-8 index.html");
    let mut files = BTreeMap::new();
    for (stem, ext) in [("app", "css"), ("app", "js")] {
        let bytes = read(&format!("{stem}.{ext}"));
        let name = format!("{stem}.{:016x}.{ext}", fnv1a64(&bytes));
        index = index.replace(&format!("{{{{{stem}.{ext}}}}}"), &format!("/static/{name}"));
        files.insert(name, bytes);
    }
    assert!(!index.contains("{{"), "every placeholder is replaced");
    files.insert("index.html".to_owned(), index.into_bytes());
    files
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    // No name and mtime 0 in the header: the output depends only on the input.
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[test]
fn static_dir_is_up_to_date() {
    let dir = static_dir();
    let expected = expected_files();
    if std::env::var("DEMO_UPDATE_STATIC").is_ok_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("static dir");
        for (name, bytes) in &expected {
            std::fs::write(dir.join(name), bytes).expect("write");
            std::fs::write(dir.join(format!("{name}.gz")), gzip(bytes)).expect("write");
        }
    }
    let stale = "static/ is stale: run `DEMO_UPDATE_STATIC=1 cargo test -p dockerflow-demo --test api static_dir` and commit it";
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .expect(stale)
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let mut wanted: Vec<String> = expected
        .keys()
        .flat_map(|n| [n.clone(), format!("{n}.gz")])
        .collect();
    wanted.sort();
    assert_eq!(present, wanted, "{stale}");
    for (name, bytes) in &expected {
        assert_eq!(
            &std::fs::read(dir.join(name)).expect("file"),
            bytes,
            "{name}: {stale}"
        );
        let gz = std::fs::read(dir.join(format!("{name}.gz"))).expect("gz");
        assert_eq!(&gunzip(&gz), bytes, "{name}.gz: {stale}");
    }
}

fn hashed_asset(index: &str, ext: &str) -> String {
    let start = index.find("/static/app.").expect("an asset link");
    index[start..]
        .split('"')
        .find(|p| p.ends_with(&format!(".{ext}")))
        .or_else(|| {
            index
                .split('"')
                .find(|p| p.starts_with("/static/app.") && p.ends_with(&format!(".{ext}")))
        })
        .unwrap_or_else(|| panic!("no .{ext} asset in {index}"))
        .to_owned()
}

#[tokio::test]
async fn the_page_and_its_hashed_assets() {
    let app = spawn_app(&[]);
    let page = get(app.address, "/").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let index = page.text();
    assert!(index.contains("<form"), "{index}");

    for (ext, mime) in [("css", "text/css"), ("js", "javascript")] {
        let path = hashed_asset(&index, ext);
        let plain = get(app.address, &path).await;
        assert_eq!(plain.status, 200, "{path}");
        assert!(
            plain
                .header("content-type")
                .unwrap_or_default()
                .contains(mime),
            "{path}"
        );
        assert_eq!(
            plain.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        assert_eq!(plain.header("content-encoding"), None);

        let zipped = request(app.address, "GET", &path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(zipped.status, 200, "{path}");
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gunzip(&zipped.body), plain.body, "{path}");
    }

    let index_gz = request(app.address, "GET", "/", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(index_gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&index_gz.body), page.body);
    assert_eq!(get(app.address, "/static/missing.css").await.status, 404);
    assert_eq!(
        get(app.address, "/static/%2e%2e/Cargo.toml").await.status,
        404
    );
}

#[tokio::test]
async fn a_missing_static_dir_falls_back_to_the_crates_own() {
    let app = spawn_app(&[("DOCKERFLOW_STATIC_DIR", "/nonexistent/static")]);
    let page = get(app.address, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/static/app."));
    app.wait_for_log(|v| {
        v["Fields"]["msg"]
            .as_str()
            .is_some_and(|m| m.contains("serving the crate's static directory"))
    });
}
