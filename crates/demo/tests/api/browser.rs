//! The page in a real browser: Debian's headless Chromium driven by `chromedriver` over the
//! W3C WebDriver protocol (plain HTTP/JSON on a loopback port, no WebDriver crate). A user
//! opens `/`, shortens a URL, sees it in the recent links, and gets the API's error text for
//! a URL the API refuses. The short link's redirect is checked over HTTP from the test: the
//! browser never leaves loopback (the machine has no other network).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages `chromium` and
//! `chromium-driver`; `CHROMIUM` and `CHROMEDRIVER` override the paths): skipped without
//! them, failed without them when `CI=true` (`dockerflow_testkit::browser`). The screenshot is
//! kept at `<target>/test-artifacts/demo-browser.png` (and `demo-browser-failure.png` when
//! the test fails with the browser up).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dockerflow_testkit::browser;
use serde_json::{json, Value};

use crate::helpers::*;

/// The W3C key of an element reference in a WebDriver answer.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The longest any single WebDriver call may take (starting a browser included).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// One WebDriver call on a new connection (`Connection: close`): the answer's `value`, or
/// the status and WebDriver error when the call failed.
fn webdriver(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let fail = |e: std::io::Error| format!("{method} {path}: {e}");
    let mut stream = TcpStream::connect_timeout(&address, CALL_TIMEOUT).map_err(fail)?;
    stream.set_read_timeout(Some(CALL_TIMEOUT)).map_err(fail)?;
    stream.set_write_timeout(Some(CALL_TIMEOUT)).map_err(fail)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    stream.write_all(&bytes).map_err(fail)?;
    // ChromeDriver answers `Connection: close` but keeps the socket open: read the head,
    // then the body by its length (or to the last chunk), not to the end of the stream.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    while !is_complete(&raw) {
        let n = stream.read(&mut buf).map_err(fail)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(format!("{method} {path}: no HTTP answer"));
    }
    let reply = parse_reply(&raw, false);
    let value: Value = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("{method} {path}: not JSON ({e}): {}", reply.text()))?;
    let value = value.get("value").cloned().unwrap_or(Value::Null);
    if (200..300).contains(&reply.status) {
        Ok(value)
    } else {
        Err(format!(
            "{method} {path}: {} {}: {}",
            reply.status, value["error"], value["message"]
        ))
    }
}

/// Whether `raw` holds a whole response: a head and a body of its `Content-Length`, or a
/// chunked body up to its last chunk.
fn is_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let header = |name: &str| {
        head.split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.len() >= length
    } else if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        body.ends_with(b"0\r\n\r\n")
    } else {
        false
    }
}

/// Polls `probe` every 50 ms until it gives a value, at most `limit`.
fn poll<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `chromedriver --port=N` in its own process group; on drop the whole group (the browsers
/// it started included) is killed.
struct Driver {
    port: u16,
    child: Child,
    log: PathBuf,
}

impl Driver {
    fn start(dir: &Path) -> Driver {
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let file = std::fs::File::create(&log).expect("chromedriver log");
        let child = Command::new(browser::chromedriver())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log handle"))
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let mut driver = Driver { port, child, log };
        poll(
            "chromedriver ready on /status",
            Duration::from_secs(15),
            || {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    panic!("chromedriver exited ({status}): {}", driver.log_text());
                }
                webdriver(driver.port, "GET", "/status", None)
                    .ok()
                    .filter(|v| v["ready"] == true)
            },
        );
        driver
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("chromedriver log:\n{}", self.log_text());
        }
    }
}

/// A browser session. Dropped in order: the session is deleted (Chromium quits), then the
/// driver's process group is killed, then the profile and log directory are removed.
struct Browser {
    session: Option<String>,
    driver: Driver,
    _dir: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile, or returns `None`
    /// (after [`require`]: a failure when `CI=true`) when either is not installed.
    fn start() -> Option<Browser> {
        let chromium = browser::chromium();
        let chromedriver = browser::chromedriver();
        if !browser::require_programs(&[
            ("Chromium", &chromium, "chromium"),
            ("ChromeDriver", &chromedriver, "chromium-driver"),
        ]) {
            return None;
        }
        let dir = TempDir::new("browser");
        let profile = dir.path().join("profile");
        std::fs::create_dir_all(&profile).expect("profile dir");
        let driver = Driver::start(dir.path());
        let mut browser = Browser {
            session: None,
            driver,
            _dir: dir,
        };
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            format!("--user-data-dir={}", profile.display()),
                        ]
                    }
                }
            }
        });
        let session = webdriver(browser.driver.port, "POST", "/session", Some(&capabilities))
            .unwrap_or_else(|e| panic!("new session: {e}"));
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {session}"));
        browser.session = Some(id.to_owned());
        Some(browser)
    }

    /// A command of this session (`suffix` after `/session/{id}`); panics on failure.
    fn command(&self, method: &str, suffix: &str, body: Option<Value>) -> Value {
        let id = self.session.as_deref().expect("a session");
        webdriver(
            self.driver.port,
            method,
            &format!("/session/{id}{suffix}"),
            body.as_ref(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    fn set_window(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .unwrap_or_else(|| panic!("elements: {found}"))
            .iter()
            .map(|e| e[ELEMENT].as_str().expect("an element id").to_owned())
            .collect()
    }

    /// The one element matching `css`.
    fn find(&self, css: &str) -> String {
        let mut all = self.find_all(css);
        assert_eq!(all.len(), 1, "elements matching {css:?}");
        all.pop().expect("one element")
    }

    fn type_into(&self, element: &str, text: &str) {
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, element: &str) {
        self.command(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    /// The rendered text of an element.
    fn text(&self, element: &str) -> String {
        let value = self.command("GET", &format!("/element/{element}/text"), None);
        value.as_str().unwrap_or_default().to_owned()
    }

    /// A DOM property (`href`, `value`, `className`).
    fn property(&self, element: &str, name: &str) -> Value {
        self.command("GET", &format!("/element/{element}/property/{name}"), None)
    }

    fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    fn title(&self) -> String {
        self.command("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A PNG of the viewport.
    fn screenshot(&self) -> Vec<u8> {
        let value = self.command("GET", "/screenshot", None);
        base64_decode(value.as_str().expect("base64 screenshot"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() && self.session.is_some() {
            // What the page looked like when the test failed, kept beside the usual one.
            if let Ok(Value::String(png)) = webdriver(
                self.driver.port,
                "GET",
                &format!(
                    "/session/{}/screenshot",
                    self.session.as_deref().unwrap_or("")
                ),
                None,
            ) {
                let path = artifact("demo-browser-failure.png");
                if std::fs::write(&path, base64_decode(&png)).is_ok() {
                    eprintln!("screenshot of the failure: {}", path.display());
                }
            }
        }
        if let Some(id) = self.session.take() {
            let _ = webdriver(self.driver.port, "DELETE", &format!("/session/{id}"), None);
        }
    }
}

/// Standard base64 (the screenshot's encoding); padding and line breaks ignored.
fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\r' | b'\n' => continue,
            _ => panic!("not base64: {:?}", char::from(c)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8hIQ=="), b"hello!!");
    assert_eq!(base64_decode("/+8A"), [0xff, 0xef, 0x00]);
}

/// Where the screenshot is kept: `<target>/test-artifacts/`.
fn artifact(name: &str) -> PathBuf {
    browser::artifact(name)
}

const TARGET: &str = "https://example.com/some/path?x=1";
/// A URL the browser's `type=url` check lets through and the API refuses (scheme).
const REFUSED: &str = "ftp://example.com/file";

#[tokio::test]
async fn a_user_shortens_a_link_in_headless_chromium() {
    let Some(browser) = Browser::start() else {
        return;
    };
    // A failure screenshot from an earlier run would mislead.
    let _ = std::fs::remove_file(artifact("demo-browser-failure.png"));
    let app = spawn_app(&[]);
    let base = format!("http://{}", app.address);
    browser.set_window(1000, 700);
    browser.goto(&format!("{base}/"));
    assert_eq!(browser.title(), "dockerflow-demo: a link shortener");
    // The hashed stylesheet loaded and applies (the accent colour on the button).
    assert_eq!(
        browser.script(
            "return getComputedStyle(document.querySelector('#shorten button')).backgroundColor"
        ),
        "rgb(0, 96, 223)"
    );
    // The page's first listing has come back, so it cannot land after (and undo) ours.
    poll(
        "the page's first GET /api/links",
        Duration::from_secs(5),
        || {
            let done = browser.script(
                "return performance.getEntriesByType('resource')\
             .some(e => e.name.includes('/api/links?') && e.responseEnd > 0)",
            );
            (done == true).then_some(())
        },
    );
    assert!(browser.find_all("#recent li").is_empty());

    // Shorten a link as a user does: type, click.
    let input = browser.find("#url");
    browser.type_into(&input, TARGET);
    browser.click(&browser.find("#shorten button"));
    let items = poll("the new link in #recent", Duration::from_secs(5), || {
        let items = browser.find_all("#recent li");
        (items.len() == 1).then_some(items)
    });
    let code_link = browser.find("#recent li a.code");
    let code = browser.text(&code_link);
    assert!(
        code.len() == 7 && code.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{code:?}"
    );
    assert_eq!(browser.text(&items[0]), format!("{code} {TARGET}"));
    assert_eq!(
        browser.property(&code_link, "href"),
        format!("{base}/{code}")
    );
    let result = browser.find("#result");
    assert_eq!(browser.text(&result), format!("{base}/{code}"));
    assert_eq!(
        browser.property(&input, "value"),
        "",
        "the input is cleared"
    );

    // The code works: a 302 to the URL typed, checked here over HTTP (never followed).
    let redirect = get(app.address, &format!("/{code}")).await;
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("location"), Some(TARGET));
    assert_eq!(
        all_links(app.address).await,
        [(code.clone(), TARGET.to_owned())]
    );

    // A URL the API refuses: its error text on the page, nothing added.
    browser.type_into(&input, REFUSED);
    browser.click(&browser.find("#shorten button"));
    let shown = poll("an error in #result", Duration::from_secs(5), || {
        (browser.property(&result, "className") == "error").then(|| browser.text(&result))
    });
    let api = post_json(
        app.address,
        "/api/links",
        &json!({ "url": REFUSED }).to_string(),
    )
    .await;
    assert_eq!(api.status, 400);
    let expected = api.json()["error"].as_str().expect("error text").to_owned();
    assert_eq!(shown, expected);
    assert!(shown.contains("only http and https"), "{shown}");
    assert_eq!(
        browser.property(&input, "value"),
        REFUSED,
        "kept for editing"
    );
    assert_eq!(browser.find_all("#recent li").len(), 1);
    assert_eq!(
        all_links(app.address).await,
        [(code.clone(), TARGET.to_owned())]
    );

    // Both submissions were the browser's own requests to the API.
    let posts: Vec<(u64, String)> = app
        .wait_for_logs(3, |s| {
            s["Type"] == "request.summary"
                && s["Fields"]["method"] == "POST"
                && s["Fields"]["path"] == "/api/links"
        })
        .iter()
        .map(|s| {
            (
                s["Fields"]["code"].as_u64().expect("code"),
                s["Fields"]["agent"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert_eq!((posts[0].0, posts[1].0), (201, 400), "{posts:?}");
    assert!(
        posts[..2].iter().all(|(_, agent)| agent.contains("Chrome")),
        "{posts:?}"
    );

    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let path = artifact("demo-browser.png");
    std::fs::write(&path, &png).expect("write the screenshot");
    println!("screenshot: {}", path.display());
}
