//! One function per parser of untrusted input, each driving it the way the checker does, for
//! the fuzzers in `fuzz/libfuzzer` (cargo-fuzz, nightly) and for `tests/replay.rs`, which runs
//! every file of `fuzz/corpus/<target>/` through the same function on the stable compiler.
//!
//! A function returns normally for any input: an error for bad input is the expected outcome.
//! It panics (and the fuzzer reports a crash) only on a bug: a panic inside the code under test,
//! or a broken invariant asserted here (a reference that does not parse back the same, a
//! Dockerfile whose facts differ between two evaluations).
//!
//! The targets and how to run them: `docs/FUZZING.md`.

use std::io::{Read, Write};

use dockerflow_check::{
    check_dockerfile, check_image, check_runtime, mozlog_problems, DockerfileModel, ImageModel,
    LogReader, Logs, Mode, Options, ReadError, RuntimeModel,
};
use dockerflow_oci::passwd::{parse_group, parse_passwd, resolve_user_in};
use dockerflow_oci::{
    choose_platform, open, Algorithm, Digest, ImageConfig, ImageIndex, ImageManifest, ImageRef,
    ImageSource, Limits, OpenOptions, Platform,
};

/// A target: what the fuzzer calls with each input.
pub type Target = fn(&[u8]);

/// The targets, by name: the name is the corpus directory and the cargo-fuzz target.
pub const TARGETS: &[(&str, Target)] = &[
    ("dockerfile", dockerfile),
    ("image_ref", image_ref),
    ("passwd", passwd),
    ("layer", layer),
    ("archive", archive),
    ("manifest_json", manifest_json),
    ("version_json", version_json),
    ("mozlog", mozlog),
    ("kubernetes", kubernetes),
    ("http_response", http_response),
];

/// Limits small enough that one input costs milliseconds, as a fuzzer needs; the caps' own
/// behaviour is what the hostile-input tests check at their real values.
fn limits() -> Limits {
    Limits {
        max_decompressed_bytes: 8 << 20,
        max_entries: 100_000,
        max_file_content: 1 << 20,
        max_total_content: 8 << 20,
        max_json_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// A Dockerfile: parsed with and without build arguments, every stage's facts evaluated, and
/// the final stage judged as `check dockerfile` judges it.
pub fn dockerfile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (df, _) = dockerflow_dockerfile::parse(text);
    for stage in &df.stages {
        let facts = df.facts_for(&stage.index.to_string());
        // Evaluation is a function of the file: twice gives the same facts.
        let again = df.facts_for(&stage.index.to_string());
        assert_eq!(
            facts.as_ref().map(|f| format!("{f:?}")),
            again.as_ref().map(|f| format!("{f:?}")),
            "facts of stage {} differ between two evaluations",
            stage.index
        );
    }
    let args = [("A", "x"), ("VERSION", "1.2.3"), ("UID", "10001")];
    for build_args in [&[][..], &args[..]] {
        if let Ok((model, _)) = DockerfileModel::parse("Dockerfile", text, None, build_args) {
            let _ = check_dockerfile(&model, &Options::default());
        }
    }
}

/// An image reference, a digest and a platform: what `check image REF` and `--platform` parse.
pub fn image_ref(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = ImageRef::parse(text) {
        let shown = r.to_string();
        let again = ImageRef::parse(&shown)
            .unwrap_or_else(|e| panic!("{text:?} parsed, shows as {shown:?}, which fails: {e}"));
        assert_eq!(
            again.to_string(),
            shown,
            "display is not stable for {text:?}"
        );
    }
    if let Ok(d) = Digest::parse(text) {
        assert_eq!(Digest::parse(&d.to_string()).ok().as_ref(), Some(&d));
    }
    if let Some(p) = Platform::parse(text) {
        assert_eq!(Platform::parse(&p.to_string()).as_ref(), Some(&p));
    }
}

/// `/etc/passwd` and `/etc/group` (the input split at its first NUL), and a user resolved in
/// them as the account rules resolve `USER`.
pub fn passwd(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (p, g) = text.split_once('\0').unwrap_or((&text, ""));
    let users = parse_passwd(p, "/etc/passwd").ok();
    let groups = parse_group(g, "/etc/group").ok();
    for spec in [
        "app",
        "10001",
        "app:app",
        "10001:10001",
        "root",
        "0:0",
        "nobody:10001",
    ] {
        let _ = resolve_user_in(spec, users.as_deref(), groups.as_deref());
    }
    if let Some(first) = p.lines().next() {
        let _ = resolve_user_in(first, users.as_deref(), groups.as_deref());
    }
}

/// The marker that splits the input into layers (up to four), bottom first.
const LAYER_MARKER: &[u8] = b"--dockerflow-fuzz-layer--";

/// Image layers: each piece of the input a tar layer (gzip when it starts with gzip's magic),
/// applied in order and judged as `check image` judges an image.
pub fn layer(data: &[u8]) {
    if let Some(Ok(model)) = read_layers(data) {
        let _ = check_image(&model, &Options::default());
    }
}

/// The image [`layer`] reads from `data`: `None` when no image could be made of it.
pub fn read_layers(data: &[u8]) -> Option<dockerflow_oci::Result<ImageModel>> {
    let layers: Vec<Vec<u8>> = split(data, LAYER_MARKER)
        .take(4)
        .map(<[u8]>::to_vec)
        .collect();
    let source = MemorySource::new(layers)?;
    Some(ImageModel::read(&source, &limits()))
}

/// A whole archive file, opened as `docker save` and as an OCI archive, and judged.
pub fn archive(data: &[u8]) {
    for model in read_archive(data).into_iter().flatten() {
        let _ = check_image(&model, &Options::default());
    }
}

/// The images [`archive`] reads from `data`, as a `docker save` archive and as an OCI archive.
pub fn read_archive(data: &[u8]) -> Vec<dockerflow_oci::Result<ImageModel>> {
    let mut read = Vec::new();
    let dir = scratch_dir();
    let path = dir.join(format!("fuzz-archive-{}.tar", std::process::id()));
    if std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(data))
        .is_err()
    {
        return read;
    }
    let options = OpenOptions {
        limits: limits(),
        ..OpenOptions::default()
    };
    for transport in ["docker-archive", "oci-archive"] {
        let Ok(reference) = ImageRef::parse(&format!("{transport}:{}", path.display())) else {
            continue;
        };
        match open(&reference, &options) {
            Ok(source) => read.push(ImageModel::read(source.as_ref(), &limits())),
            Err(e) => read.push(Err(e)),
        }
    }
    let _ = std::fs::remove_file(&path);
    read
}

/// Manifest, index and config JSON, and the platform choice made from an index.
pub fn manifest_json(data: &[u8]) {
    let _ = serde_json::from_slice::<ImageManifest>(data);
    let _ = serde_json::from_slice::<ImageConfig>(data);
    if let Ok(index) = serde_json::from_slice::<ImageIndex>(data) {
        for wanted in [
            Platform::linux_amd64(),
            Platform::new("linux", "arm64", None),
        ] {
            let _ = choose_platform(&index.manifests, &wanted);
        }
    }
}

/// `version.json`, as `dockerflow version --check` and the checker's DF401 read it.
pub fn version_json(data: &[u8]) {
    let result = dockerflow_build::check_version_json(data);
    let _ = result.is_valid();
}

/// Log lines, as `check logs` judges them: streamed through a [`LogReader`] in chunks whose
/// sizes come from the input, which must collect the same facts as [`Logs::read`] of the whole
/// (where a line ends in the stream cannot change a finding), under a line cap that must refuse
/// exactly the lines longer than it.
pub fn mozlog(data: &[u8]) {
    let _ = mozlog_problems(data);
    let whole = Logs::read(data);
    let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 61);
    let mut reader = LogReader::new(usize::MAX);
    for chunk in data.chunks(step) {
        reader.feed(chunk).expect("no cap");
    }
    assert_eq!(
        reader.finish().expect("no cap"),
        whole,
        "chunks of {step} bytes"
    );
    let cap = 40;
    let longest = data
        .split(|b| *b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let capped = LogReader::new(cap).read_from(data);
    match (&capped, longest > cap) {
        (Ok(_), false) | (Err(ReadError::TooLong(_)), true) => {}
        _ => panic!("a cap of {cap} bytes, the longest line {longest}: {capped:?}"),
    }
    let mut observed = RuntimeModel::new(Mode::Logs, "fuzz");
    observed.logs = Some(whole);
    let _ = check_runtime(&observed, &Options::default());
}

/// The most a harness reads of a response body: small, as a fuzzer needs (the probe's real
/// limit is 1 MiB; the bound itself is what `dockerflow-http`'s tests check).
const BODY_LIMIT: usize = 1 << 16;

/// What a server sent back, as the probe reads it: `dockerflow_http::Response::read` as the
/// answer to a GET and to a HEAD, the body read up to a limit (which must hold, and a HEAD
/// answer has none), then every endpoint of a `check url` model given those answers and judged
/// by `check_runtime` in `Mode::Url`.
pub fn http_response(data: &[u8]) {
    let read = |head: bool| -> Result<dockerflow_check::Exchange, String> {
        let mut r = dockerflow_http::Response::read(data, head).map_err(|e| e.to_string())?;
        let body = r.read_body(BODY_LIMIT).map_err(|e| e.to_string())?;
        assert!(body.len() <= BODY_LIMIT, "a body over the limit");
        assert!(!head || body.is_empty(), "a HEAD answer with a body");
        Ok(dockerflow_check::Exchange {
            status: r.status,
            headers: r.headers,
            body,
            elapsed: std::time::Duration::from_millis(3),
        })
    };
    let (get, head) = (read(false), read(true));
    let endpoint = |path: &str| dockerflow_check::Endpoint {
        path: path.to_string(),
        get: get.clone(),
        head: head.clone(),
    };
    let mut observed = RuntimeModel::new(Mode::Url, "http://127.0.0.1:8000");
    observed.lbheartbeat = Some(endpoint("/__lbheartbeat__"));
    observed.version = Some(endpoint("/__version__"));
    observed.heartbeat = Some(endpoint("/__heartbeat__"));
    observed.static_file = Some(("/static/app.css".to_string(), get.clone()));
    observed.request_id = Some(dockerflow_check::RequestIdProbe {
        path: "/__version__".to_string(),
        sent: "dockerflow-fuzz".to_string(),
        sent_at: None,
        answer: get,
    });
    let _ = check_runtime(&observed, &Options::default());
}

/// Kubernetes manifests, as `check kubernetes` reads and judges them, with caps small enough
/// for a fuzzer (the real ones are the CLI tests'). Every container judged has a finding per
/// DF8xx rule, each with a line, in the file read.
pub fn kubernetes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = dockerflow_check::kubernetes::Limits {
        max_bytes: 1 << 20,
        max_depth: 64,
        max_nodes: 100_000,
    };
    let mut model = dockerflow_check::kubernetes::KubernetesModel::default();
    if model.add("fuzz.yaml", text, &limits).is_err() {
        return;
    }
    // Lines as YAML counts them: a CR, an LF or a CRLF each end one (`str::lines` would not
    // count a lone CR; the first campaign's one finding was this harness doing so).
    let lines = text.replace("\r\n", "\n").matches(['\r', '\n']).count() as u32 + 1;
    for report in dockerflow_check::check_kubernetes(&model, &Options::default()) {
        for f in &report.findings {
            if let Some(line) = f.location.line {
                assert!(
                    line >= 1 && line <= lines + 1,
                    "{}: line {line} of {lines}",
                    f.rule.id
                );
            }
        }
    }
}

fn split<'a>(data: &'a [u8], marker: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(marker.len()).position(|w| w == marker) {
            Some(i) => {
                rest = Some(&r[i + marker.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn scratch_dir() -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// An image held in memory: a manifest and config made for the given layers.
#[derive(Debug)]
struct MemorySource {
    manifest: ImageManifest,
    config: ImageConfig,
    raw_config: Vec<u8>,
    layers: Vec<Vec<u8>>,
}

impl MemorySource {
    fn new(layers: Vec<Vec<u8>>) -> Option<MemorySource> {
        let sha = |b: &[u8]| Digest::of(Algorithm::Sha256, b);
        let gzip = |b: &[u8]| b.starts_with(&[0x1f, 0x8b]);
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|l| {
                if gzip(l) {
                    let mut out = Vec::new();
                    let _ = flate2::read::GzDecoder::new(&l[..])
                        .take(8 << 20)
                        .read_to_end(&mut out);
                    sha(&out).to_string()
                } else {
                    sha(l).to_string()
                }
            })
            .collect();
        let raw_config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": "app",
                "Env": ["PORT=8000"],
                "Entrypoint": ["/app/server"],
                "Cmd": ["serve"],
                "WorkingDir": "/app",
                "ExposedPorts": {"8000/tcp": {}}
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids}
        }))
        .ok()?;
        let descriptors: Vec<serde_json::Value> = layers
            .iter()
            .map(|l| {
                serde_json::json!({
                    "mediaType": if gzip(l) {
                        "application/vnd.oci.image.layer.v1.tar+gzip"
                    } else {
                        "application/vnd.oci.image.layer.v1.tar"
                    },
                    "digest": sha(l).to_string(),
                    "size": l.len(),
                })
            })
            .collect();
        let manifest = serde_json::from_value(serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha(&raw_config).to_string(),
                "size": raw_config.len(),
            },
            "layers": descriptors,
        }))
        .ok()?;
        let config = serde_json::from_slice(&raw_config).ok()?;
        Some(MemorySource {
            manifest,
            config,
            raw_config,
            layers,
        })
    }
}

impl ImageSource for MemorySource {
    fn origin(&self) -> &str {
        "fuzz:memory"
    }

    fn manifest(&self) -> &ImageManifest {
        &self.manifest
    }

    fn manifest_digest(&self) -> Option<&Digest> {
        None
    }

    fn config(&self) -> &ImageConfig {
        &self.config
    }

    fn raw_config(&self) -> &[u8] {
        &self.raw_config
    }

    fn open_layer(&self, index: usize) -> dockerflow_oci::Result<Box<dyn Read + '_>> {
        match self.layers.get(index) {
            Some(l) => Ok(Box::new(&l[..])),
            None => Ok(Box::new(std::io::empty())),
        }
    }
}
