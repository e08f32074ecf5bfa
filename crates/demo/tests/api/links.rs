//! The links API: good input, every kind of bad input (nothing written), redirects, listing.

use crate::helpers::*;

fn is_code(code: &str) -> bool {
    code.len() == 7 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test]
async fn create_then_redirect_then_list() {
    let app = spawn_app(&[]);
    let reply = post_json(
        app.address,
        "/api/links",
        r#"{"url": "https://example.com/a?b=c"}"#,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let code = body["code"].as_str().expect("code").to_owned();
    assert!(is_code(&code), "{code}");
    assert_eq!(body["url"], "https://example.com/a?b=c");
    assert_eq!(reply.header("location"), Some(format!("/{code}").as_str()));

    let redirect = get(app.address, &format!("/{code}")).await;
    assert_eq!(redirect.status, 302);
    assert_eq!(
        redirect.header("location"),
        Some("https://example.com/a?b=c")
    );

    // A charset parameter is fine; the stored URL is the normalised one.
    let reply = send(
        app.address,
        "POST",
        "/api/links",
        &[("Content-Type", "application/json; charset=utf-8")],
        Some(r#"{"url": "HTTP://Example.COM"}"#.as_bytes()),
    )
    .await
    .expect("post");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["url"], "http://example.com/");
    let second = reply.json()["code"].as_str().expect("code").to_owned();
    assert_ne!(second, code);

    let links = all_links(app.address).await;
    assert_eq!(
        links,
        vec![
            (second, "http://example.com/".to_owned()),
            (code, "https://example.com/a?b=c".to_owned()),
        ]
    );
    let summary =
        app.wait_for_log(|s| s["Type"] == "request.summary" && s["Fields"]["method"] == "POST");
    assert_eq!(summary["Fields"]["code"], 201);
    assert_eq!(summary["Fields"]["path"], "/api/links");
}

/// Headers, body, expected status, a phrase the JSON error must hold.
type Case<'a> = (&'a [(&'a str, &'a str)], String, u16, &'a str);

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_changes_nothing() {
    let app = spawn_app(&[]);
    create_link(app.address, "https://example.com/existing").await;
    let before = all_links(app.address).await;

    let long = format!("https://example.com/{}", "a".repeat(2049));
    let json_ct = [("Content-Type", "application/json")];
    let huge = format!(
        r#"{{"url": "https://example.com/{}"}}"#,
        "a".repeat(17 * 1024)
    );
    let url = |u: &str| serde_json::json!({ "url": u }).to_string();
    let cases: Vec<Case> = vec![
        (&json_ct, "not json".into(), 400, "not valid JSON"),
        (&json_ct, "".into(), 400, "not valid JSON"),
        (
            &json_ct,
            "[\"https://example.com\"]".into(),
            400,
            "JSON object",
        ),
        (
            &json_ct,
            "\"https://example.com\"".into(),
            400,
            "JSON object",
        ),
        (&json_ct, "{}".into(), 400, "missing \"url\""),
        (
            &json_ct,
            r#"{"link": "https://example.com"}"#.into(),
            400,
            "missing \"url\"",
        ),
        (&json_ct, r#"{"url": 42}"#.into(), 400, "must be a string"),
        (&json_ct, r#"{"url": null}"#.into(), 400, "must be a string"),
        (
            &json_ct,
            r#"{"url": ["https://example.com"]}"#.into(),
            400,
            "must be a string",
        ),
        (&json_ct, url(""), 400, "empty"),
        (&json_ct, url(&long), 400, "too long"),
        (
            &json_ct,
            url("ftp://example.com/file"),
            400,
            "only http and https",
        ),
        (
            &json_ct,
            url("javascript:alert(1)"),
            400,
            "only http and https",
        ),
        (
            &json_ct,
            url("mailto:someone@example.com"),
            400,
            "only http and https",
        ),
        (&json_ct, url("example.com"), 400, "not an absolute URL"),
        (&json_ct, url("/relative/path"), 400, "not an absolute URL"),
        (&json_ct, url("http://"), 400, "URL"),
        (&json_ct, url("https:///no-host"), 400, "no host"),
        (&json_ct, url("https://exa mple.com"), 400, "whitespace"),
        (&json_ct, url(" https://example.com"), 400, "whitespace"),
        (&json_ct, url("https://example.com/\n"), 400, "whitespace"),
        (
            &json_ct,
            url("https://user:pw@example.com/"),
            400,
            "user name or password",
        ),
        (&json_ct, huge, 413, "larger than 16384 bytes"),
        (
            &[("Content-Type", "text/plain")],
            url("https://example.com"),
            415,
            "application/json",
        ),
        (
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "url=https://example.com".into(),
            415,
            "application/json",
        ),
        (&[], url("https://example.com"), 415, "application/json"),
    ];
    for (headers, body, status, needle) in &cases {
        let reply = send(
            app.address,
            "POST",
            "/api/links",
            headers,
            Some(body.as_bytes()),
        )
        .await
        .unwrap_or_else(|e| panic!("{body:.80}: {e}"));
        assert_eq!(reply.status, *status, "{body:.80}: {}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{body:.80}"
        );
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.contains(needle),
            "{body:.80}: {error:?} lacks {needle:?}"
        );
    }
    // A large body sent in chunks, without Content-Length, is refused too.
    let chunked = format!("{:x}\r\n{}\r\n0\r\n\r\n", 20 * 1024, "a".repeat(20 * 1024));
    let reply = raw_post_chunked(app.address, &chunked).await;
    assert_eq!(reply.status, 413, "{}", reply.text());

    assert_eq!(
        all_links(app.address).await,
        before,
        "refusals write nothing"
    );
}

async fn raw_post_chunked(address: std::net::SocketAddr, chunked: &str) -> Reply {
    // `send` always sends Content-Length: write this one by hand.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/links HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    Reply {
        status,
        headers: Default::default(),
        body: raw,
    }
}

#[tokio::test]
async fn unknown_codes_and_paths_are_json_404s() {
    let app = spawn_app(&[]);
    for path in [
        "/zzzzzzz",
        "/abc",
        "/not-a-code",
        "/a/b/c",
        "/api/links/x",
        "/favicon.ico",
    ] {
        let reply = get(app.address, path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        assert!(reply.json()["error"].is_string(), "{path}");
    }
    for (path, allow) in [("/api/links", "GET, HEAD, POST"), ("/zzzzzzz", "GET, HEAD")] {
        let reply = request(app.address, "DELETE", path, &[]).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.header("allow"), Some(allow), "{path}");
        assert!(reply.json()["error"].is_string(), "{path}");
    }
    let reply = get(app.address, "/zzzzzzz").await;
    assert!(reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("zzzzzzz"));
}

#[tokio::test]
async fn listing_is_newest_first_with_a_limit() {
    let app = spawn_app(&[]);
    assert_eq!(all_links(app.address).await, vec![]);
    let mut codes = Vec::new();
    for i in 0..5 {
        codes.push(create_link(app.address, &format!("https://example.com/{i}")).await);
    }
    let listed: Vec<String> = all_links(app.address)
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let mut newest_first = codes.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);

    let reply = get(app.address, "/api/links?limit=2").await;
    assert_eq!(reply.status, 200);
    let links = reply.json()["links"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["code"], codes[4].as_str());
    assert_eq!(links[0]["url"], "https://example.com/4");
    assert!(links[0]["created_at"].as_i64().unwrap_or_default() > 1_600_000_000_000);
    assert_eq!(links[1]["code"], codes[3].as_str());

    for bad in ["0", "201", "-1", "abc", "", "2.5"] {
        let reply = get(app.address, &format!("/api/links?limit={bad}")).await;
        assert_eq!(reply.status, 400, "limit={bad}");
        assert!(reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("limit"));
    }
}
