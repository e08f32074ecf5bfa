//! `check image REF REF ...` and `--from FILE`: many images, one summary table, the worst
//! exit status.

use super::*;

/// Two compliant images and one that runs as root, in three directories under `dir`.
pub(crate) fn fleet(dir: &Path) -> [String; 3] {
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

/// Asserts the summary table of [`fleet`]'s images `[a, root, b]` checked together: `a` and
/// `b` pass, `root` fails DF203, and the tally.
pub(crate) fn assert_fleet_table(out: &str, [a, root, b]: &[String; 3]) {
    assert!(row(out, a).contains("PASS"), "{out}");
    assert!(row(out, b).contains("PASS"), "{out}");
    let bad = row(out, root);
    assert!(bad.contains("FAIL") && bad.contains("DF203"), "{bad}");
    assert!(
        out.contains("3 images: 2 pass, 1 fail, 0 could not be checked"),
        "{out}"
    );
}

/// The table's row for `image`.
pub(crate) fn row<'a>(out: &'a str, image: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{image} ")))
        .unwrap_or_else(|| panic!("no row for {image}: {out}"))
}

#[test]
fn several_images_exit_1_and_the_table_names_the_failing_one_and_its_rules() {
    let tmp = TempDir::new("fleet");
    let images = fleet(tmp.path());
    let [a, root, b] = &images;
    let o = dockerflow(&["check", "image", a, root, b], tmp.path());
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("IMAGE") && out.contains("FAILED RULES"),
        "{out}"
    );
    assert_fleet_table(&out, &images);
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

/// No report file of a run that could not check an image reads as a pass: the HTML page's
/// verdict is ERROR with the image in its table, the badge is red, JUnit has an error, `gnu` an
/// error line (the SARIF is in `sarif.rs`); so too when no image at all could be checked.
#[test]
fn every_report_of_a_run_with_an_unreadable_image_says_so() {
    let tmp = TempDir::new("fleet");
    let [a, _, _] = fleet(tmp.path());
    let read = |name: &str| std::fs::read_to_string(tmp.path().join(name)).expect(name);
    for (images, inputs, not_checked) in [
        (vec![a.as_str(), "oci:nowhere/layout"], 2, 1),
        (vec!["oci:nowhere/layout", "oci:nowhere/else"], 2, 2),
    ] {
        for file in ["r.html", "r.svg", "r.xml", "r.txt"] {
            let _ = std::fs::remove_file(tmp.path().join(file));
        }
        let mut args = vec!["check", "image"];
        args.extend(&images);
        for r in ["html=r.html", "badge=r.svg", "junit=r.xml", "gnu=r.txt"] {
            args.extend(["--report", r]);
        }
        let o = dockerflow(&args, tmp.path());
        assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
        let html = read("r.html");
        assert!(
            html.contains(&format!(
                "<h1>dockerflow check, {inputs} inputs: ERROR</h1>"
            )),
            "{html}"
        );
        assert_eq!(
            html.matches("<td class=\"error\">NOT CHECKED</td>").count(),
            not_checked,
            "{html}"
        );
        let item = html
            .lines()
            .find(|l| {
                l.starts_with("<li id=\"not-checked-0\">image <code>oci:nowhere/layout</code>: ")
            })
            .unwrap_or_else(|| panic!("{html}"));
        assert!(item.contains("No such file"), "{item}");
        assert!(!html.contains("PASS</h1>"), "{html}");
        let badge = read("r.svg");
        assert!(
            badge.contains(&format!(
                "aria-label=\"dockerflow: {not_checked} not checked\""
            )),
            "{badge}"
        );
        assert!(badge.contains("#e05d44"), "{badge}");
        let junit = read("r.xml");
        assert!(
            junit.contains(&format!(" errors=\"{not_checked}\"")),
            "{junit}"
        );
        assert!(
            junit.contains("<testcase classname=\"dockerflow.image\" name=\"not checked\">"),
            "{junit}"
        );
        let gnu = read("r.txt");
        assert!(
            gnu.lines()
                .any(|l| l.starts_with("nowhere/layout: error not checked: cannot check image")),
            "{gnu}"
        );
        assert_eq!(
            gnu.matches(": error not checked: ").count(),
            not_checked,
            "{gnu}"
        );
    }
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
    let o = dockerflow_stdin(
        &["check", "image", &b, "--from", "-"],
        tmp.path(),
        format!("# only one\n{a}\n").as_bytes(),
    );
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

#[test]
fn shard_i_of_n_checks_every_nth_input_from_the_ith() {
    let tmp = TempDir::new("fleet");
    let [a, root, b] = fleet(tmp.path());
    // Inputs 1..5: a, root, b, root, a (a repeated reference is checked again).
    let inputs = [&a, &root, &b, &root, &a];
    let images_of = |shard: &str| {
        let mut args = vec!["check", "image", "--shard", shard, "--format", "json"];
        args.extend(inputs.iter().map(|s| s.as_str()));
        let o = dockerflow(&args, tmp.path());
        let subjects: Vec<String> = match serde_json::from_str::<Value>(&stdout(&o)) {
            Ok(Value::Array(reports)) => reports
                .iter()
                .map(|r| r["input"]["name"].as_str().expect("name").to_string())
                .collect(),
            Ok(one) => vec![one["input"]["name"].as_str().expect("name").to_string()],
            Err(e) => panic!("{e}: {}{}", stdout(&o), stderr(&o)),
        };
        (code(&o), subjects)
    };
    assert_eq!(images_of("1/2"), (0, vec![a.clone(), b.clone(), a.clone()]));
    assert_eq!(images_of("2/2"), (1, vec![root.clone(), root.clone()]));
    assert_eq!(images_of("3/3"), (0, vec![b.clone()]));
    assert_eq!(images_of("2/3"), (1, vec![root.clone(), a.clone()]));
    let all: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    assert_eq!(images_of("1/1"), (1, all));
    let mut args = vec!["check", "image", "--shard", "3/3"];
    args.extend(inputs.iter().map(|s| s.as_str()));
    let o = dockerflow(&args, tmp.path());
    let out = stdout(&o);
    assert!(out.contains("1 images: 1 pass, 0 fail"), "{out}");
    assert!(row(&out, &b).contains("PASS"), "{out}");
    // A shard with no input passes, saying so.
    let o = dockerflow(&["check", "image", "--shard", "2/2", &root], tmp.path());
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 images"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("shard 2/2: 0 of 1 images"),
        "{}",
        stderr(&o)
    );
    for bad in ["3/2", "0/2", "1/0", "2", "a/b"] {
        let o = dockerflow(&["check", "image", "--shard", bad, &a], tmp.path());
        let e = error_line(&o);
        assert!(e.contains("expected I/N"), "{bad}: {e}");
    }
}
