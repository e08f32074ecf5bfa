//! Against a tiny registry written in the test (loopback, bounded): one that lies about
//! digests, one that wants Bearer tokens, one that redirects blob downloads elsewhere.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use dockerflow_oci::{ContentRequest, Limits, OpenOptions, Vfs};
use dockerflow_registry::{ClientOptions, CredentialSources, RegistryImage, Secret};
use serde_json::json;

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
}

/// Status, extra headers, body.
type Reply = (u16, Vec<(String, String)>, Vec<u8>);

type Route = dyn Fn(&Seen, u16) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server: a thread per connection (64 at most), stopped on drop.
struct FakeServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    fn start(route: Arc<Route>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming().take(64) {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (route, seen) = (Arc::clone(&route), Arc::clone(&seen2));
                std::thread::spawn(move || serve(conn, port, &*route, &seen));
            }
        });
        FakeServer {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, port: u16, route: &Route, seen: &Mutex<Vec<Seen>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut writer = conn;
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Seen {
            method: method.clone(),
            path,
            authorization: headers.get("authorization").cloned(),
        };
        seen.lock().expect("lock").push(request.clone());
        let (status, extra, body) = route(&request, port);
        let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in extra {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if method != "HEAD" {
            bytes.extend_from_slice(&body);
        }
        if writer.write_all(&bytes).is_err() {
            return;
        }
    }
}

fn options(credentials: CredentialSources) -> ClientOptions {
    ClientOptions {
        credentials,
        insecure: vec![],
        max_attempts: 2,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        on_retry: None,
    }
}

/// An image as a registry would serve it: manifest, config and gzip layers by digest.
struct Served {
    manifest: Vec<u8>,
    blobs: HashMap<String, Vec<u8>>,
}

fn served() -> Served {
    let tars = image_tars(1000, 9);
    let config = config_json(&tars);
    let mut blobs = HashMap::new();
    let layers: Vec<_> = tars
        .iter()
        .map(|t| {
            let gz = gzip(t);
            let d = json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&gz).to_string(), "size": gz.len()});
            blobs.insert(sha(&gz).to_string(), gz);
            d
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config).to_string(), "size": config.len()},
        "layers": layers,
    }))
    .expect("manifest");
    blobs.insert(sha(&config).to_string(), config);
    Served { manifest, blobs }
}

fn registry_route(image: Served, tamper: Option<usize>) -> impl Fn(&Seen, u16) -> Reply {
    let order: Vec<String> = {
        let m: serde_json::Value = serde_json::from_slice(&image.manifest).expect("json");
        std::iter::once(m["config"]["digest"].as_str().unwrap_or("").to_string())
            .chain(
                m["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| l["digest"].as_str().unwrap_or("").to_string()),
            )
            .collect()
    };
    move |req: &Seen, _| {
        if req.path == "/v2/" {
            return (200, vec![], b"{}".to_vec());
        }
        if req.path.contains("/manifests/") {
            let ct = "application/vnd.oci.image.manifest.v1+json".to_string();
            return (
                200,
                vec![("Content-Type".into(), ct)],
                image.manifest.clone(),
            );
        }
        if let Some(d) = req.path.split("/blobs/").nth(1) {
            if let Some(b) = image.blobs.get(d) {
                let mut b = b.clone();
                // The lie: same length, one byte changed.
                if tamper.is_some_and(|i| order.get(i).map(String::as_str) == Some(d)) {
                    let mid = b.len() / 2;
                    b[mid] ^= 0xff;
                }
                return (200, vec![], b);
            }
        }
        (
            404,
            vec![],
            br#"{"errors":[{"code":"NOT_FOUND","message":"no"}]}"#.to_vec(),
        )
    }
}

#[test]
fn a_registry_that_lies_about_a_config_digest_is_refused() {
    let server = FakeServer::start(Arc::new(registry_route(served(), Some(0))));
    let r = reference(&format!("127.0.0.1:{}/liar/app:v1", server.port));
    let err = RegistryImage::open(
        &r,
        &OpenOptions::default(),
        &options(CredentialSources::none()),
    )
    .expect_err("a config that does not match its digest is refused")
    .to_string();
    assert!(
        err.contains("config blob") && err.contains("does not match its digest"),
        "{err}"
    );
}

#[test]
fn a_registry_that_lies_about_a_layer_digest_is_refused_while_streaming() {
    let server = FakeServer::start(Arc::new(registry_route(served(), Some(2))));
    let r = reference(&format!("127.0.0.1:{}/liar/app:v1", server.port));
    let image = RegistryImage::open(
        &r,
        &OpenOptions::default(),
        &options(CredentialSources::none()),
    )
    .expect("the manifest and config are honest");
    let err = Vfs::read_image(&image, &ContentRequest::default(), &Limits::default())
        .expect_err("a layer that does not match its digest is refused")
        .to_string();
    assert!(
        err.contains("layer 1") && err.contains("does not match its digest"),
        "{err}"
    );

    // An honest server, for contrast: the same reads succeed.
    let honest = FakeServer::start(Arc::new(registry_route(served(), None)));
    let r = reference(&format!("127.0.0.1:{}/liar/app:v1", honest.port));
    let image = RegistryImage::open(
        &r,
        &OpenOptions::default(),
        &options(CredentialSources::none()),
    )
    .expect("open");
    Vfs::read_image(&image, &ContentRequest::default(), &Limits::default()).expect("read");
}

#[test]
fn a_manifest_asked_for_by_digest_must_hash_to_it() {
    let server = FakeServer::start(Arc::new(registry_route(served(), None)));
    let wrong = sha(b"another manifest");
    let r = reference(&format!("127.0.0.1:{}/liar/app@{wrong}", server.port));
    let err = RegistryImage::open(
        &r,
        &OpenOptions::default(),
        &options(CredentialSources::none()),
    )
    .expect_err("a manifest that does not hash to the digest asked for is refused")
    .to_string();
    assert!(
        err.contains("manifest blob") && err.contains(&wrong.to_string()),
        "{err}"
    );
}

#[test]
fn bearer_tokens_are_fetched_with_basic_credentials_once_per_scope() {
    let image = registry_route(served(), None);
    let route = move |req: &Seen, port: u16| {
        if req.path.starts_with("/token") {
            // "robot:t0ken-pw"
            if req.authorization.as_deref() != Some("Basic cm9ib3Q6dDBrZW4tcHc=") {
                return (401, vec![], b"{}".to_vec());
            }
            return (
                200,
                vec![],
                br#"{"token":"tok-1","expires_in":300}"#.to_vec(),
            );
        }
        if req.authorization.as_deref() != Some("Bearer tok-1") {
            let challenge = format!(
                r#"Bearer realm="http://127.0.0.1:{port}/token",service="fake",scope="repository:team/app:pull""#
            );
            return (
                401,
                vec![("WWW-Authenticate".into(), challenge)],
                b"{}".to_vec(),
            );
        }
        image(req, port)
    };
    let server = FakeServer::start(Arc::new(route));
    let r = reference(&format!("127.0.0.1:{}/team/app:v1", server.port));
    let creds = CredentialSources {
        env: Some(("robot".into(), Secret::new("t0ken-pw"), None)),
        docker_config: None,
    };
    let image = RegistryImage::open(&r, &OpenOptions::default(), &options(creds)).expect("open");
    Vfs::read_image(&image, &ContentRequest::default(), &Limits::default()).expect("read");
    let seen = server.seen();
    let tokens: Vec<_> = seen
        .iter()
        .filter(|s| s.path.starts_with("/token"))
        .collect();
    assert_eq!(tokens.len(), 1, "{seen:?}");
    assert!(
        tokens[0].path.contains("service=fake")
            && tokens[0]
                .path
                .contains("scope=repository%3Ateam%2Fapp%3Apull"),
        "{:?}",
        tokens[0]
    );

    let wrong = CredentialSources {
        env: Some(("robot".into(), Secret::new("n0pe-pw"), None)),
        docker_config: None,
    };
    let err = RegistryImage::open(&r, &OpenOptions::default(), &options(wrong))
        .expect_err("wrong credentials")
        .to_string();
    assert!(
        err.contains("refused the credentials") && !err.contains("n0pe-pw"),
        "{err}"
    );
}

#[test]
fn blob_redirects_are_followed_without_the_authorization_header() {
    let image = served();
    let blobs = image.blobs.clone();
    let cdn = FakeServer::start(Arc::new(move |req: &Seen, _| {
        let d = req.path.trim_start_matches("/cdn/");
        match blobs.get(d) {
            Some(b) => (200, vec![], b.clone()),
            None => (404, vec![], vec![]),
        }
    }));
    let cdn_port = cdn.port;
    let inner = registry_route(image, None);
    let route = move |req: &Seen, port: u16| {
        if req.authorization.is_none() {
            let challenge = r#"Basic realm="fake""#.to_string();
            return (401, vec![("WWW-Authenticate".into(), challenge)], vec![]);
        }
        if let Some(d) = req.path.split("/blobs/").nth(1) {
            let to = format!("http://127.0.0.1:{cdn_port}/cdn/{d}");
            return (307, vec![("Location".into(), to)], vec![]);
        }
        inner(req, port)
    };
    let server = FakeServer::start(Arc::new(route));
    let r = reference(&format!("127.0.0.1:{}/team/app:v1", server.port));
    let creds = CredentialSources {
        env: Some(("robot".into(), Secret::new("pw"), None)),
        docker_config: None,
    };
    let image = RegistryImage::open(&r, &OpenOptions::default(), &options(creds)).expect("open");
    Vfs::read_image(&image, &ContentRequest::default(), &Limits::default()).expect("read");
    let at_cdn = cdn.seen();
    assert_eq!(at_cdn.len(), 3, "config and two layers: {at_cdn:?}");
    assert!(
        at_cdn
            .iter()
            .all(|s| s.authorization.is_none() && s.method == "GET"),
        "{at_cdn:?}"
    );
    assert!(server
        .seen()
        .iter()
        .filter(|s| s.path.contains("/blobs/"))
        .all(|s| s.authorization.is_some()));
}

#[test]
fn a_5xx_answer_is_retried_with_backoff_and_a_wrong_answer_is_not() {
    use std::sync::atomic::AtomicUsize;
    let failures = Arc::new(AtomicUsize::new(0));
    let inner = registry_route(served(), None);
    let count = Arc::clone(&failures);
    let route = move |req: &Seen, port: u16| {
        // The first two manifest requests fail as an overloaded registry would.
        if req.path.contains("/manifests/") && count.fetch_add(1, Ordering::SeqCst) < 2 {
            return (
                503,
                vec![],
                br#"{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}"#.to_vec(),
            );
        }
        inner(req, port)
    };
    let server = FakeServer::start(Arc::new(route));
    let r = reference(&format!("127.0.0.1:{}/team/app:v1", server.port));
    let patient = ClientOptions {
        max_attempts: 3,
        ..options(CredentialSources::none())
    };
    let image = RegistryImage::open(&r, &OpenOptions::default(), &patient).expect("third try");
    Vfs::read_image(&image, &ContentRequest::default(), &Limits::default()).expect("read");
    let manifest_gets = server
        .seen()
        .iter()
        .filter(|s| s.path.contains("/manifests/"))
        .count();
    assert_eq!(manifest_gets, 3);

    // Too few attempts: the 503 is the error, with the registry's code.
    failures.store(0, Ordering::SeqCst);
    let impatient = ClientOptions {
        max_attempts: 2,
        ..options(CredentialSources::none())
    };
    let e = RegistryImage::open(&r, &OpenOptions::default(), &impatient)
        .expect_err("two attempts are not enough")
        .to_string();
    assert!(e.contains("503") && e.contains("UNAVAILABLE: busy"), "{e}");

    // A manifest that does not hash to the digest asked for is an answer, not a transient
    // failure: asked once.
    let before = server.seen().len();
    let missing = reference(&format!("127.0.0.1:{}/team/app@{}", server.port, sha(b"x")));
    let _ = RegistryImage::open(&missing, &OpenOptions::default(), &patient);
    let after: Vec<_> = server.seen()[before..].to_vec();
    assert_eq!(
        after
            .iter()
            .filter(|s| s.path.contains("/manifests/"))
            .count(),
        1,
        "{after:?}"
    );
}

#[test]
fn credentials_are_never_sent_to_a_token_service_over_plain_http_elsewhere() {
    // The realm names a host that is not loopback: the client refuses before any request to
    // it (none is made: the name is never even resolved).
    let route = |req: &Seen, _: u16| {
        let challenge = r#"Bearer realm="http://tokens.example.invalid/token",service="fake""#;
        if req.path.starts_with("/v2/") {
            return (
                401,
                vec![("WWW-Authenticate".into(), challenge.to_string())],
                vec![],
            );
        }
        (404, vec![], vec![])
    };
    let server = FakeServer::start(Arc::new(route));
    let r = reference(&format!("127.0.0.1:{}/team/app:v1", server.port));
    let creds = CredentialSources {
        env: Some(("robot".into(), Secret::new("pw-never-sent"), None)),
        docker_config: None,
    };
    let e = RegistryImage::open(&r, &OpenOptions::default(), &options(creds))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("not encrypted") && !e.contains("pw-never-sent"),
        "{e}"
    );
}
