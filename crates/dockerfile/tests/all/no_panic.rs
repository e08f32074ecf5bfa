//! Parsing never panics, and stays fast and shallow on pathological input.

use std::time::{Duration, Instant};

use dockerflow_dockerfile::{find_accounts, parse, parse_with_args, split_commands, Span};
use dockerflow_testkit::rng::Rng;

const PIECES: &[&str] = &[
    "FROM ",
    "RUN ",
    "CMD ",
    "LABEL ",
    "EXPOSE ",
    "ENV ",
    "ADD ",
    "COPY ",
    "ENTRYPOINT ",
    "VOLUME ",
    "USER ",
    "WORKDIR ",
    "ARG ",
    "ONBUILD ",
    "STOPSIGNAL ",
    "HEALTHCHECK ",
    "SHELL ",
    "MAINTAINER ",
    "AS ",
    "NONE",
    "CMD",
    "\n",
    "\r\n",
    "\\\n",
    "`\n",
    "# escape=`\n",
    "# syntax=x\n",
    "#",
    " ",
    "\t",
    "\"",
    "'",
    "\\",
    "`",
    "$",
    "${",
    "}",
    ":-",
    ":+",
    ":?",
    "-",
    "+",
    "#",
    "%",
    "=",
    "[",
    "]",
    ",",
    "<<",
    "<<-",
    "EOF",
    "\nEOF\n",
    "<<'EOF'",
    "--from=",
    "--platform=",
    "--",
    "a",
    "app",
    "10001",
    "/etc/passwd",
    ">>",
    "|",
    "&&",
    ";",
    "useradd -u ",
    "groupadd -g ",
    "adduser ",
    "addgroup ",
    "echo ",
    "printf ",
    "tee ",
    "é",
    "\u{FEFF}",
    "\0",
    "\u{10FFFF}",
    "[\"a\", \"b\"]",
    "[\"a\", 1]",
    "\\u00",
    "${A:-${B:-",
    "$(",
    "`x`",
];

fn exercise(src: &str) {
    let (df, _errors) = parse(src);
    // Every stage of small inputs; a few of big ones (each is a walk of its whole lineage).
    for s in df.stages.iter().take(8) {
        assert!(df.facts_for(&s.index.to_string()).is_some());
    }
    let _ = df.facts();
    let _ = parse_with_args(src, &[("A", "x"), ("B", "")]);
    let cmds = split_commands(src);
    let _ = find_accounts(&cmds, &|w| w.to_owned(), Span::default());
}

/// `DOCKERFILE_FUZZ_ITERATIONS` and `DOCKERFILE_FUZZ_SEED` run longer or different rounds.
fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn twenty_thousand_random_and_mutated_inputs() {
    let seed = env_number("DOCKERFILE_FUZZ_SEED", 0x9E37_79B9_7F4A_7C15).max(1);
    let mut rng = Rng(seed);
    for n in 0..env_number("DOCKERFILE_FUZZ_ITERATIONS", 20_000) {
        let src = if n % 2 == 0 {
            let len = rng.index(40);
            (0..len)
                .map(|_| PIECES[rng.index(PIECES.len())])
                .collect::<String>()
        } else {
            let base = crate::fixtures::ALL[rng.index(crate::fixtures::ALL.len())];
            let mut chars: Vec<char> = base.chars().collect();
            for _ in 0..1 + rng.index(8) {
                let at = rng.index(chars.len() + 1);
                match rng.index(3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 if at < chars.len() => {
                        chars[at] = PIECES[rng.index(PIECES.len())]
                            .chars()
                            .next()
                            .unwrap_or('x');
                    }
                    _ => {
                        for c in PIECES[rng.index(PIECES.len())].chars().rev() {
                            chars.insert(at, c);
                        }
                    }
                }
            }
            chars.into_iter().collect()
        };
        exercise(&src);
    }
}

#[track_caller]
fn quick(src: &str, limit: Duration) {
    let start = Instant::now();
    exercise(src);
    let took = start.elapsed();
    assert!(took < limit, "took {took:?}");
}

#[test]
fn ten_megabyte_line() {
    let mut src = String::from("FROM a\nRUN ");
    src.push_str(&"useradd -u 1 x && ".repeat(10_000_000 / 18));
    src.push_str("\nUSER app\n");
    quick(&src, Duration::from_secs(60));
    let (df, _) = parse(&src);
    assert_eq!(df.stages[0].instructions.len(), 2);
}

#[test]
fn hundred_thousand_continuations() {
    let src = format!(
        "FROM a\nRUN {}true\nUSER app\n",
        "echo \\\n".repeat(100_000)
    );
    quick(&src, Duration::from_secs(30));
    let (df, _) = parse(&src);
    assert_eq!(df.stages[0].instructions[1].span.line, 100_003);
}

#[test]
fn deeply_nested_substitutions_and_brackets() {
    let deep = "${A:-".repeat(100_000);
    quick(
        &format!("ARG A\nFROM {deep}\nENV X={deep}\n"),
        Duration::from_secs(30),
    );
    quick(
        &format!("FROM a\nCMD {}\n", "[".repeat(100_000)),
        Duration::from_secs(30),
    );
    quick(
        &format!("FROM a\nRUN {}\n", "$(".repeat(100_000)),
        Duration::from_secs(30),
    );
    quick(
        &format!("FROM a\nRUN {}\n", "\"".repeat(100_001)),
        Duration::from_secs(30),
    );
}

#[test]
fn many_instructions_stages_and_heredocs() {
    let mut src = String::from("FROM a AS s0\n");
    for i in 1..2_000 {
        src.push_str(&format!(
            "FROM s{} AS s{i}\nENV V{i}=$V{}\nUSER u{i}\n",
            i - 1,
            i - 1
        ));
    }
    quick(&src, Duration::from_secs(60));
    let env: String = (0..50_000).map(|i| format!("ENV A{i}=$A{i}x\n")).collect();
    quick(&format!("FROM a\n{env}"), Duration::from_secs(30));
    let docs: String = (0..20_000).map(|_| "RUN <<EOF\nx\nEOF\n").collect();
    quick(&format!("FROM a\n{docs}"), Duration::from_secs(30));
    quick(
        &format!("FROM a\nRUN {}\n", "<<A ".repeat(50_000)),
        Duration::from_secs(30),
    );
}

#[test]
fn pathological_shell_and_patterns() {
    let format = format!("{}%s", "x".repeat(1_000_000));
    let args = " a".repeat(1_000);
    quick(
        &format!("FROM a\nRUN printf '{format}'{args} >> /etc/passwd\n"),
        Duration::from_secs(30),
    );
    let long = "a".repeat(1_000_000);
    quick(
        &format!("FROM a\nARG V={long}\nENV X=${{V%%*a}} Y=${{V#a}} Z=${{V##*}}\n"),
        Duration::from_secs(30),
    );
    let labels: String = (0..50_000).map(|i| format!("LABEL l{i}=v\n")).collect();
    quick(&format!("FROM a\n{labels}"), Duration::from_secs(30));
}
