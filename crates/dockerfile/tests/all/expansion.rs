//! Variable substitution in the instructions BuildKit expands, and not in the others.

use crate::common::facts;
use dockerflow_dockerfile::{parse, parse_with_args, Command};

fn env(src: &str, name: &str) -> Option<String> {
    facts(src).env(name).map(str::to_owned)
}

#[test]
fn env_forms_and_quotes() {
    let f = facts("FROM a\nENV A=1 B=\"v 2\" C='$A' D=e\\ f\n");
    assert_eq!(f.env("A"), Some("1"));
    assert_eq!(f.env("B"), Some("v 2"));
    assert_eq!(f.env("C"), Some("$A"));
    assert_eq!(f.env("D"), Some("e f"));
    assert_eq!(
        facts("FROM a\nENV E hello \"big\" world").env("E"),
        Some("hello big world")
    );
}

#[test]
fn substitution_operators() {
    let cases = [
        ("$V", "set"),
        ("${V}x", "setx"),
        ("${U:-d}", "d"),
        ("${E:-d}", "d"),
        ("${E-d}", ""),
        ("${U-d}", "d"),
        ("${V:+alt}", "alt"),
        ("${E:+alt}", ""),
        ("${E+alt}", "alt"),
        ("${U+alt}", ""),
        ("\\$V", "$V"),
        ("\"$V\"", "set"),
        ("'$V'", "$V"),
        ("${U:-${V}}", "set"),
    ];
    for (word, want) in cases {
        let src = format!("FROM a\nARG V=set\nARG E=\nENV X={word}\n");
        assert_eq!(env(&src, "X").as_deref(), Some(want), "word {word}");
    }
}

#[test]
fn all_pairs_of_one_env_see_the_previous_environment() {
    let f = facts("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
    assert_eq!(f.env("def"), Some("hello"));
    assert_eq!(f.env("ghi"), Some("bye"));
}

#[test]
fn env_wins_over_arg() {
    let f = facts("FROM a\nARG A=arg\nENV A=env\nUSER $A\n");
    assert_eq!(f.user.unwrap().value, "env");
}

#[test]
fn build_args_override_arg_defaults() {
    let (df, _) = parse_with_args("FROM a\nARG UID=1\nUSER $UID\n", &[("UID", "10001")]);
    assert_eq!(df.facts().unwrap().user.unwrap().value, "10001");
}

#[test]
fn arg_without_value_is_unset() {
    let f = facts("FROM a\nARG X\nENV Y=${X:-unset}\n");
    assert_eq!(f.env("Y"), Some("unset"));
}

#[test]
fn expanded_instructions() {
    let f = facts(
        "FROM a\nARG P=8000\nARG D=/app\nARG N=app\nARG S=SIGINT\n\
         ENV PORT=$P\nEXPOSE $P\nWORKDIR $D\nUSER ${N}:${N}\nLABEL \"x.$N\"=$P\n\
         STOPSIGNAL $S\nVOLUME $D/data\nCOPY --chown=$N:$N src/ $D/src/\n",
    );
    assert_eq!(f.env("PORT"), Some("8000"));
    assert_eq!(f.expose[0].value, "8000");
    assert_eq!(f.workdir.as_ref().unwrap().value, "/app");
    assert_eq!(f.user.as_ref().unwrap().value, "app:app");
    assert_eq!(f.label("x.app"), Some("8000"));
    assert_eq!(f.stopsignal.as_ref().unwrap().value, "SIGINT");
    assert_eq!(f.volumes[0].value, "/app/data");
    assert_eq!(f.copies[0].dest, "/app/src/");
    assert_eq!(f.copies[0].chown.as_deref(), Some("app:app"));
}

#[test]
fn run_cmd_entrypoint_are_not_expanded() {
    let f = facts("FROM a\nARG V=x\nRUN echo $V\nCMD echo $V\nENTRYPOINT [\"$V\"]\n");
    assert_eq!(f.runs[0].command, Command::Shell("echo $V".into()));
    assert_eq!(
        f.entrypoint.unwrap().value,
        Command::Exec(vec!["$V".into()])
    );
}

#[test]
fn relative_workdir_and_copy_destination() {
    let f = facts("FROM a\nWORKDIR /app\nWORKDIR sub\nCOPY x ./y\nCOPY z .\n");
    assert_eq!(f.workdir.unwrap().value, "/app/sub");
    assert_eq!(f.copies[0].path, "/app/sub/./y");
    assert_eq!(f.copies[1].path, "/app/sub/.");
    let f = facts("FROM a\nCOPY x y\n");
    assert_eq!(f.copies[0].path, "/y");
}

#[test]
fn required_variable_error_is_reported_with_the_instruction() {
    let (df, errors) = parse("FROM a\nUSER ${U:?set U}\n");
    assert!(errors.is_empty());
    let f = df.facts().unwrap();
    assert_eq!(f.errors.len(), 1);
    assert_eq!(f.errors[0].to_string(), "line 2, column 1: USER: U: set U");
}

#[test]
fn bad_substitution_is_reported() {
    let (df, _) = parse("FROM a\nENV A=${B\n");
    let f = df.facts().unwrap();
    assert!(
        f.errors[0].message.starts_with("expected '}'"),
        "{:?}",
        f.errors
    );
}

/// `ENV A=$A$A` (or `ARG`) doubles a value on every line: without a budget, 40 such lines
/// (under 500 bytes) asked for terabytes. Each form stops at the budget with one fatal error
/// naming the instruction and its line, and the values stay small.
#[test]
fn doubling_expansion_stops_at_the_budget() {
    use dockerflow_dockerfile::{ParseErrorKind, MAX_VALUE_GROWTH};

    let doublings = |keyword: &str| format!("{keyword} A=$A$A\n").repeat(40);
    // In a stage: ENV, and ARG (an ARG's value is its own default's expansion).
    for keyword in ["ENV", "ARG"] {
        let src = format!("FROM a\n{keyword} A=xxxxxxxx\n{}", doublings(keyword));
        let (df, errors) = parse(&src);
        assert!(errors.is_empty(), "{errors:?}");
        let f = df.facts().expect("a stage");
        let fatal: Vec<_> = f.errors.iter().filter(|e| e.is_fatal()).collect();
        assert_eq!(
            fatal.len(),
            1,
            "one fatal error, not one per line: {:?}",
            f.errors
        );
        let e = fatal[0];
        assert_eq!(e.kind, ParseErrorKind::ExpansionBudget);
        assert_eq!(e.instruction.as_deref(), Some(keyword));
        // 8 bytes doubled 17 times is 1 MiB: the 18th doubling (line 20) goes over.
        assert_eq!(e.span.line, 20, "{e}");
        assert!(
            e.to_string().contains(&format!(
                "line 20, column 1: {keyword}: variable expansion grows this value by more than {MAX_VALUE_GROWTH} bytes"
            )),
            "{e}"
        );
        if keyword == "ENV" {
            let value = f.env("A").expect("A is set");
            assert!(value.len() <= 2 * MAX_VALUE_GROWTH, "{} bytes", value.len());
        }
    }
    // Global ARGs before FROM, as the image's name: the parse itself stops.
    let src = format!("ARG A=xxxxxxxx\n{}FROM debian:$A\n", doublings("ARG"));
    let (_, errors) = parse(&src);
    let fatal: Vec<_> = errors.iter().filter(|e| e.is_fatal()).collect();
    assert_eq!(fatal.len(), 1, "{errors:?}");
    assert_eq!(fatal[0].instruction.as_deref(), Some("ARG"));
    assert_eq!(fatal[0].span.line, 19, "{}", fatal[0]);
}

/// Many values under the per-value cap are bounded by the budget of the whole evaluation.
#[test]
fn many_large_values_stop_at_the_total_budget() {
    use dockerflow_dockerfile::MAX_TOTAL_GROWTH;

    // A is 512 KiB; each of 64 ENV lines copies it once (32 MiB in all, over the 16 MiB budget).
    let mut src = String::from("FROM a\nENV A=xxxxxxxx\n");
    src.push_str(&"ENV A=$A$A\n".repeat(16));
    for i in 0..64 {
        src.push_str(&format!("ENV B{i}=$A\n"));
    }
    let f = parse(&src).0.facts().expect("a stage");
    let fatal: Vec<_> = f.errors.iter().filter(|e| e.is_fatal()).collect();
    assert_eq!(fatal.len(), 1, "{:?}", f.errors);
    assert!(
        fatal[0]
            .message
            .contains(&format!("more than {MAX_TOTAL_GROWTH} bytes in all")),
        "{}",
        fatal[0]
    );
    let total: usize = f.env.iter().map(|v| v.value.len()).sum();
    assert!(total <= MAX_TOTAL_GROWTH + (1 << 20), "{total} bytes kept");
    // A file under the budget gives no error at all.
    let ok = parse("FROM a\nENV A=x\nENV A=$A$A\nENV B=${A}y\n")
        .0
        .facts()
        .unwrap();
    assert!(ok.errors.is_empty(), "{:?}", ok.errors);
    assert_eq!(ok.env("B"), Some("xxy"));
}
