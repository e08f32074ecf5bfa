//! `check image REF REF ...` and `--from FILE`: many images, one summary table, the worst
//! exit status.

use super::*;

/// Two compliant images and one that runs as root, in three directories under `dir`.
fn fleet(dir: &Path) -> [String; 3] {
    let at = |name: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    };
    [
        Image::compliant().write(&at("a"), Form::OciLayout),
        Image::compliant()
            .with("User", json!("root"))
            .write(&at("root"), Form::DockerArchive),
        Image::compliant().write(&at("b"), Form::OciArchive),
    ]
}

/// The table's row for `image`.
fn row<'a>(out: &'a str, image: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{image} ")))
        .unwrap_or_else(|| panic!("no row for {image}: {out}"))
}

#[test]
fn several_images_exit_1_and_the_table_names_the_failing_one_and_its_rules() {
    let tmp = TempDir::new("fleet");
    let [a, root, b] = fleet(tmp.path());
    let o = dockerflow(&["check", "image", &a, &root, &b], tmp.path());
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("IMAGE") && out.contains("FAILED RULES"),
        "{out}"
    );
    assert!(row(&out, &a).contains("PASS"), "{out}");
    assert!(row(&out, &b).contains("PASS"), "{out}");
    let bad = row(&out, &root);
    assert!(bad.contains("FAIL") && bad.contains("DF203"), "{bad}");
    assert!(
        out.contains("3 images: 2 pass, 1 fail, 0 could not be checked"),
        "{out}"
    );
    // The full reports come first, one per image.
    assert_eq!(out.matches("verdict: PASS").count(), 2, "{out}");
    assert_eq!(out.matches("verdict: FAIL").count(), 1, "{out}");
}

#[test]
fn an_unreadable_image_exits_2_and_the_others_are_still_reported() {
    let tmp = TempDir::new("fleet");
    let [a, root, _] = fleet(tmp.path());
    let missing = "oci:nowhere/layout";
    let o = dockerflow(&["check", "image", &a, missing, &root], tmp.path());
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(row(&out, missing).contains("ERROR"), "{out}");
    assert!(row(&out, &a).contains("PASS"), "{out}");
    assert!(row(&out, &root).contains("DF203"), "{out}");
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("dockerflow: error: ") && l.contains("nowhere")),
        "{err}"
    );
    // JSON holds the two reports that could be made.
    let o = dockerflow(
        &["check", "image", &a, missing, &root, "--format", "json"],
        tmp.path(),
    );
    assert_eq!(code(&o), 2);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
}

#[test]
fn from_file_skips_comments_and_blank_lines_and_stdin_works() {
    let tmp = TempDir::new("fleet");
    let [a, root, b] = fleet(tmp.path());
    let list = format!("# the fleet\n{a}\n\n   # root, on purpose\n{root}\n{b}\n");
    std::fs::write(tmp.path().join("images.txt"), &list).expect("write");
    let o = dockerflow(&["check", "image", "--from", "images.txt"], tmp.path());
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("3 images: 2 pass, 1 fail"), "{out}");
    assert!(row(&out, &root).contains("DF203"));
    // `-` reads the list from stdin; arguments come first.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockerflow"))
        .args(["check", "image", &b, "--from", "-"])
        .current_dir(tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("# only one\n{a}\n").as_bytes())
        .expect("write stdin");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 images: 2 pass, 0 fail"), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("  PASS  ")).collect();
    assert!(rows[0].starts_with(&b) && rows[1].starts_with(&a), "{out}");
    // An empty list is an error.
    std::fs::write(tmp.path().join("empty.txt"), "# nothing\n").expect("write");
    let o = dockerflow(&["check", "image", "--from", "empty.txt"], tmp.path());
    assert!(error_line(&o).contains("no image to check"));
    let o = dockerflow(&["check", "image", "--from", "absent.txt"], tmp.path());
    assert!(error_line(&o).contains("absent.txt"));
}

#[test]
fn jobs_1_and_jobs_4_give_the_same_reports_in_the_order_of_the_inputs() {
    let tmp = TempDir::new("fleet");
    let [a, root, b] = fleet(tmp.path());
    let mut images = Vec::new();
    for _ in 0..3 {
        images.extend([root.clone(), a.clone(), b.clone()]);
    }
    let run = |jobs: &str, format: &str| {
        let mut args = vec!["check", "image", "--jobs", jobs, "--format", format];
        args.extend(images.iter().map(String::as_str));
        let o = dockerflow(&args, tmp.path());
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        stdout(&o)
    };
    for format in ["text", "json", "junit"] {
        assert_eq!(run("1", format), run("4", format), "{format}");
    }
    let json: Value = serde_json::from_str(&run("4", "json")).expect("json");
    let verdicts: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(verdicts, ["fail", "pass", "pass"].repeat(3));
    let o = dockerflow(&["check", "image", "--jobs", "0", &a], tmp.path());
    assert_eq!(code(&o), 2);
}
