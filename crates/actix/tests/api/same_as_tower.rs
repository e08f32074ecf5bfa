//! The same answers as the library's tower layer (what axum services serve): status, headers
//! and bytes of every endpoint, over actix-web on the wire against the tower service in
//! process, configured alike.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use dockerflow::version::VersionFile;
use dockerflow::{Config, Dockerflow, NotFound};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::*;

/// A request: method, path, headers.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// Headers both sides may differ in: the date, and the request id (a new UUID per request).
const VARYING: [&str; 3] = ["date", "x-request-id", "connection"];

async fn tower_answer(
    df: &Dockerflow,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let mut req = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("a request");
    let response = df.wrap(NotFound).oneshot(req).await.expect("infallible");
    let status = response.status().as_u16();
    let mut headers: BTreeMap<String, String> = response
        .headers()
        .iter()
        .filter(|(k, _)| !VARYING.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    // On the wire hyper adds the Content-Length of a body whose size it knows (the layer
    // itself sets it only on HEAD, whose body is empty).
    headers
        .entry("content-length".to_owned())
        .or_insert_with(|| body.len().to_string());
    (status, headers, body.to_vec())
}

fn comparable(r: &Reply) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let headers = r
        .headers
        .iter()
        .filter(|(k, _)| !VARYING.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (r.status, headers, r.body.clone())
}

#[tokio::test]
async fn every_endpoint_answers_exactly_as_the_tower_layer() {
    let token = "s3cret-token";
    for version in [Some(VERSION_JSON), None] {
        let dir = TempDir::new("same");
        let path = dir.path().join("version.json");
        if let Some(text) = version {
            std::fs::write(&path, text).expect("write version.json");
        }
        let path_text = path.to_str().expect("a UTF-8 path");
        let env: HashMap<String, String> = [
            ("DOCKERFLOW_ERROR_TOKEN", token),
            ("DOCKERFLOW_HEARTBEAT_REUSE_MS", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let df = Dockerflow::builder("same", Config::from_map(&env).expect("a config"))
            .version_file(VersionFile::load(Path::new(path_text)))
            .build();
        let app = spawn_app(&[
            ("DOCKERFLOW_ERROR_TOKEN", token),
            ("DOCKERFLOW_VERSION_FILE", path_text),
        ]);
        let bearer = format!("Bearer {token}");
        let cases: &[Case] = &[
            ("GET", "/__version__", &[]),
            ("HEAD", "/__version__/", &[]),
            ("GET", "/__heartbeat__", &[]),
            ("HEAD", "/__heartbeat__", &[]),
            ("GET", "/__lbheartbeat__/", &[]),
            ("HEAD", "/__lbheartbeat__", &[]),
            ("POST", "/__version__", &[("content-length", "0")]),
            ("DELETE", "/__lbheartbeat__", &[]),
            ("GET", "/__error__", &[("authorization", &bearer)]),
            ("HEAD", "/__error__/", &[("authorization", &bearer)]),
        ];
        for (method, path, headers) in cases {
            let expected = tower_answer(&df, method, path, headers).await;
            let actual = comparable(&request(app.address, method, path, headers).await);
            assert_eq!(
                actual,
                expected,
                "{method} {path} (version.json: {})",
                version.is_some()
            );
        }
    }
}
