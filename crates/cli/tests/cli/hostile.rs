//! Hostile images through the binary, each under a resource limit set on the child
//! (`ulimit` in `sh`), asserting the exit code, the message and that the bound held.

use std::path::Path;
use std::process::{Command, Output};

use dockerflow_testkit::image::{dir, file, symlink, Form, Image, Node, GROUP, PASSWD};
use dockerflow_testkit::tar::{fix_checksum, header, Tar};
use dockerflow_testkit::TempDir;

use crate::registry_support::{gzip, image_tars, write_docker_archive};

use super::{code, dockerflow, error_line, stderr, stdout};

/// `dockerflow check image REF` run by `sh` after `ulimit ULIMIT` (e.g. `-t 20`: CPU seconds).
fn check_limited(ulimit: &str, reference: &str, cwd: &Path) -> Output {
    check_limited_with(ulimit, reference, &[], cwd)
}

/// `dockerflow check image REF ARGS...` run by `sh` after `ulimit` with each option of
/// ULIMIT (`-t 20 -v 1048576`: 20 CPU-seconds and 1 GiB of address space).
fn check_limited_with(ulimit: &str, reference: &str, args: &[&str], cwd: &Path) -> Output {
    let words: Vec<&str> = ulimit.split_whitespace().collect();
    let limits: Vec<String> = words
        .chunks(2)
        .map(|o| format!("ulimit {}", o.join(" ")))
        .collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} && exec \"$0\" check image \"$@\"",
            limits.join(" && ")
        ))
        .arg(env!("CARGO_BIN_EXE_dockerflow"))
        .arg(reference)
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("run sh")
}

/// Killed by a signal (SIGXCPU, SIGKILL, SIGSEGV or SIGABRT from a failed allocation) means
/// the bound did not hold.
pub(crate) fn ran_within_bound(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| {
        panic!(
            "killed by a signal ({:?}): the bound did not hold\nstderr: {}",
            o.status,
            stderr(o)
        )
    })
}

#[test]
fn deep_nesting_costs_time_linear_in_entries() {
    // 2,000 nested directories and 2,000 files at the bottom: before the tree of children,
    // every entry rebuilt and looked up each ancestor path (23 s in a release build); now
    // well under a second, so 20 CPU-seconds (for a debug build on a busy machine) holds.
    let tmp = TempDir::new("cli-hostile");
    let mut nodes: Vec<Node> = Vec::new();
    // Under /app, so that the application's files are where DF101 wants them.
    let mut path = String::from("/app");
    for _ in 0..2000 {
        path.push_str("/d");
        nodes.push(dir(&path, 0o755));
    }
    for i in 0..2000 {
        nodes.push(file(&format!("{path}/f{i}"), 0o644, "x"));
    }
    let r = Image::compliant()
        .layer(nodes)
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    assert_eq!(ran_within_bound(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_symlink_loop_is_reported_as_a_loop_not_as_missing() {
    let tmp = TempDir::new("cli-hostile");
    let r = Image::compliant()
        .layer(vec![
            symlink("/etc/passwd", "/etc/a"),
            symlink("/etc/a", "/etc/b"),
            symlink("/etc/b", "/etc/passwd"),
            symlink("/app/version.json", "version.json"),
        ])
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    assert_eq!(ran_within_bound(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for path in ["/etc/passwd", "/app/version.json"] {
        let looped = format!("{path}: too many levels of symbolic links");
        assert!(out.contains(&looped), "{path} reported as a loop:\n{out}");
        assert!(
            !out.contains(&format!("{path} does not exist")),
            "{path} is not missing:\n{out}"
        );
    }
}

#[test]
fn a_whiteout_with_an_empty_name_is_a_finding_and_hides_nothing() {
    let tmp = TempDir::new("cli-hostile");
    let r = Image::compliant()
        .layer(vec![file("/.wh.", 0o644, "")])
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20", &r, tmp.path());
    // DF105 is a SHOULD: a warning, and every other rule passes on the lower layers.
    assert_eq!(ran_within_bound(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("WARN  DF105"), "{out}");
    assert!(
        out.contains(
            "layer 2 \".wh.\": whiteout with an empty name would delete its directory; skipped"
        ),
        "DF105 names the entry:\n{out}"
    );
    assert!(!out.contains("does not exist"), "{out}");
}

/// An image of `count` empty files under `/app/names/`, each name `len` bytes long: the
/// file tree keeps every name, so the read needs about `count * len` bytes of memory.
fn many_long_names(dir: &Path, count: usize, len: usize) -> String {
    let nodes = (0..count)
        .map(|i| {
            file(
                &format!("/app/names/{}{i:010}", "n".repeat(len - 10)),
                0o644,
                "",
            )
        })
        .collect();
    Image::compliant()
        .layer(nodes)
        .write(dir, Form::DockerArchive)
}

#[test]
fn an_image_over_the_memory_budget_is_refused_within_the_bound() {
    // 16,000 names of 4,000 bytes in the third layer: 64 MB the read would keep. The child may map 64 MiB in
    // all (`ulimit -v`: the debug binary needs about 35 MiB before it reads anything), and
    // the budget is 8 MiB.
    let tmp = TempDir::new("cli-hostile");
    let r = many_long_names(tmp.path(), 16_000, 4000);
    let o = check_limited_with("-v 65536", &r, &["--max-memory", "8MiB"], tmp.path());
    assert_eq!(ran_within_bound(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let e = error_line(&o);
    assert!(
        e.contains(&format!(
            "cannot check image {r}: the image needs more memory than the memory budget of \
             8MiB (8388608 bytes) in layer 2; raise it with --max-memory SIZE"
        )),
        "the error names the budget, the layer and the flag: {e}"
    );
    // The control: with the default budget (512 MiB) the same bound does not hold, so it is
    // the budget above that kept the read inside it.
    let o = check_limited_with("-v 65536", &r, &[], tmp.path());
    assert!(
        !matches!(o.status.code(), Some(0..=2)),
        "the read needs more than 64 MiB without the small budget: {:?}\n{}",
        o.status,
        stderr(&o)
    );
}

#[test]
fn max_memory_lowers_and_raises_the_memory_budget() {
    // 2,000 names of 1,000 bytes: about 2 MB kept.
    let tmp = TempDir::new("cli-hostile");
    let r = many_long_names(tmp.path(), 2000, 1000);
    let judged = |o: &std::process::Output| {
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "judged: {}{}",
            stdout(o),
            stderr(o)
        );
        assert!(stdout(o).contains("verdict: "), "{}", stdout(o));
    };
    judged(&dockerflow(&["check", "image", &r], tmp.path()));
    for small in ["1MiB", "1048576", "1024K", "1 m"] {
        let o = dockerflow(&["check", "image", &r, "--max-memory", small], tmp.path());
        let e = error_line(&o);
        assert!(
            e.contains("the memory budget of 1MiB (1048576 bytes)") && e.contains("--max-memory"),
            "--max-memory {small}: {e}"
        );
    }
    judged(&dockerflow(
        &["check", "image", &r, "--max-memory", "64MiB"],
        tmp.path(),
    ));
    for bad in ["12MB", "0", "1.5GiB", "lots"] {
        let o = dockerflow(&["check", "image", &r, "--max-memory", bad], tmp.path());
        assert_eq!(code(&o), 2, "--max-memory {bad}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("expected a number of bytes above 0"),
            "--max-memory {bad}: {}",
            stderr(&o)
        );
    }
}

/// A `docker save` archive of these layer tars (the config's diff ids are their digests).
fn archive_of(dir: &Path, tars: &[Vec<u8>]) -> String {
    let path = dir.join("hostile.tar");
    write_docker_archive(&path, tars, "app:latest");
    format!("docker-archive:{}", path.display())
}

/// The one line on stderr of a run that must refuse its input with exit 2 within its bound.
fn refused(o: &Output) -> String {
    assert_eq!(ran_within_bound(o), 2, "{}{}", stdout(o), stderr(o));
    error_line(o)
}

#[test]
fn a_tar_entry_of_u64_max_bytes_is_refused_not_read_as_more_headers() {
    // An /etc/passwd and /etc/group hidden in the data of an entry whose base-256 size is
    // u64::MAX: once, the size wrapped and the data was read as headers, so an image without
    // them passed DF201-DF203.
    let tmp = TempDir::new("cli-hostile");
    let hidden = Tar::new()
        .dir("etc/")
        .file("etc/passwd", PASSWD.as_bytes())
        .file("etc/group", GROUP.as_bytes())
        .finish();
    let mut h = header("junk", b'0', 0, 0o644, "");
    h[124..128].copy_from_slice(&[0x80, 0, 0, 0]);
    h[128..136].fill(0xff);
    fix_checksum(&mut h);
    let mut layer = h.to_vec();
    layer.extend_from_slice(&hidden);
    let r = archive_of(tmp.path(), &[layer]);
    let e = refused(&check_limited("-t 20 -v 1048576", &r, tmp.path()));
    assert!(
        e.contains(
            "at byte offset 0: entry size 18446744073709551615 is larger than a tar entry can be"
        ),
        "{e}"
    );
}

#[test]
fn a_pax_header_claiming_8_gib_is_refused_before_anything_is_allocated() {
    // The child may map 1 GiB: allocating the claimed header would break that bound.
    let tmp = TempDir::new("cli-hostile");
    let mut layer = header("PaxHeaders/x", b'x', (8 << 30) - 1, 0o644, "").to_vec();
    layer.extend_from_slice(&[0; 512]);
    let r = archive_of(tmp.path(), &[layer]);
    let e = refused(&check_limited("-t 20 -v 1048576", &r, tmp.path()));
    assert!(
        e.contains("PAX extended header size exceeded (cap 1048576) in layer 0"),
        "{e}"
    );
}

#[test]
fn a_gzip_bomb_is_refused_by_the_compression_ratio_cap() {
    // 256 MiB of zeros in a 256 KB layer; the child may map 1 GiB and use 20 CPU-seconds.
    let tmp = TempDir::new("cli-hostile");
    let zeros = vec![0u8; 256 << 20];
    let layer = gzip(&Tar::new().file("etc/passwd", &zeros).finish());
    drop(zeros);
    let r = archive_of(tmp.path(), &[layer]);
    let e = refused(&check_limited("-t 20 -v 1048576", &r, tmp.path()));
    assert!(
        e.contains("compression ratio exceeded (cap 200) in layer 0"),
        "{e}"
    );
}

#[test]
fn traversal_and_link_escapes_are_findings_and_write_nothing_outside() {
    let tmp = TempDir::new("cli-hostile");
    let outside = TempDir::new("cli-hostile-outside");
    let target = outside.path().display().to_string();
    let climbs = format!("{}{}", "../".repeat(12), target.trim_start_matches('/'));
    let r = Image::compliant()
        .layer(vec![
            file(&format!("{climbs}/climbed"), 0o644, "x"),
            symlink("/evil", &target),
            file("/evil/through-a-link", 0o644, "x"),
            symlink("/up", "../../../../../.."),
            file(
                &format!(
                    "/up/{}/through-a-relative-link",
                    target.trim_start_matches('/')
                ),
                0o644,
                "x",
            ),
        ])
        .write(tmp.path(), Form::DockerArchive);
    let o = check_limited("-t 20 -v 1048576", &r, tmp.path());
    // DF105 is a SHOULD: a warning; the rest of the compliant image passes.
    assert_eq!(ran_within_bound(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("WARN  DF105"), "{out}");
    for finding in [
        "climbed\": name climbs above the image root; skipped",
        "through-a-link\": parent /evil is not a directory; skipped",
        "through-a-relative-link\": parent /up is not a directory; skipped",
    ] {
        assert!(out.contains(finding), "{finding}:\n{out}");
    }
    let written: Vec<_> = std::fs::read_dir(outside.path())
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "written outside the image: {written:?}");
}

#[test]
fn three_thousand_layers_stay_within_the_bound() {
    // Each layer is read and verified in turn, in bounded memory (the child may map 1 GiB)
    // and time (60 CPU-seconds for a debug build).
    let tmp = TempDir::new("cli-hostile");
    let mut tars = image_tars(0, 7);
    let extra = Tar::new().file("f", &[b'x'; 4096]).finish();
    tars.extend(std::iter::repeat_n(extra, 3000));
    let r = archive_of(tmp.path(), &tars);
    let o = check_limited("-t 60 -v 1048576", &r, tmp.path());
    assert!(
        matches!(ran_within_bound(&o), 0 | 1),
        "judged: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains("verdict: "), "{}", stdout(&o));
}

#[test]
fn a_config_over_the_json_cap_is_refused_before_it_is_parsed() {
    // A 9 MB config (the cap is 8 MiB), under 1 GiB of address space.
    let tmp = TempDir::new("cli-hostile");
    let r = Image::compliant()
        .with(
            "Env",
            serde_json::json!([format!("X={}", "x".repeat(9 << 20))]),
        )
        .write(tmp.path(), Form::DockerArchive);
    let e = refused(&check_limited("-t 20 -v 1048576", &r, tmp.path()));
    assert!(
        e.contains("JSON document size exceeded (cap 8388608)"),
        "{e}"
    );
}

#[test]
fn invalid_utf8_inside_a_json_string_is_not_mozlog() {
    // RFC 8259: JSON text is UTF-8. Decoded lossily, this line once passed DF702.
    let tmp = TempDir::new("cli-hostile");
    let good = r#"{"Timestamp":1700000000000000000,"Type":"app","Logger":"app","Hostname":"h","EnvVersion":"2.0","Severity":6,"Pid":1,"Fields":{"msg":"ok"}}"#;
    let mut bad = good.as_bytes().to_vec();
    let at = good.find("ok").expect("msg");
    bad.splice(at..at, [0xff, 0xfe]);
    let mut log = format!("{good}\n").into_bytes();
    log.extend_from_slice(&bad);
    log.push(b'\n');
    std::fs::write(tmp.path().join("app.log"), log).expect("write");
    let o = dockerflow(&["check", "logs", "app.log"], tmp.path());
    assert_eq!(code(&o), 0, "DF702 is a SHOULD: a warning");
    assert!(
        stdout(&o).contains("WARN  DF702") && stdout(&o).contains("1 of 2 lines"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains(&format!(
            "app.log:2: not mozlog: not UTF-8 at byte {}; expected JSON text, which is UTF-8 (RFC 8259)",
            at + 1 // bytes counted from 1
        )),
        "{}",
        stderr(&o)
    );
}
