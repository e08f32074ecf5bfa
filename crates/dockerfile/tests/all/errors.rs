//! Error recovery: a bad line is reported with its position and the rest still parses.

use crate::common::check;

#[test]
fn unknown_instruction_in_the_middle() {
    check(
        "FROM a\nFOO bar\nUSER app",
        "error line 2, column 1: expected an instruction (FROM, RUN, CMD, LABEL, EXPOSE, ENV, ADD, COPY, ENTRYPOINT, VOLUME, USER, WORKDIR, ARG, ONBUILD, STOPSIGNAL, HEALTHCHECK, SHELL, MAINTAINER), found 'FOO'
         FROM a
         USER [app]",
    );
}

#[test]
fn malformed_instructions_each_report_and_parsing_goes_on() {
    let cases = [
        ("FROM", "error line 1, column 5: FROM: expected an image, found nothing"),
        ("FROM a b", "error line 1, column 6: FROM: expected 'FROM IMAGE' or 'FROM IMAGE AS NAME', found 2 words: 'a b'"),
        ("FROM a AS 1x", "error line 1, column 6: FROM: expected a stage name of letters, digits, '-', '_' and '.' starting with a letter, found '1x'"),
        ("COPY a", "error line 1, column 6: COPY: expected at least one source and a destination, found 1 argument(s)"),
        ("ENV A", "error line 1, column 5: ENV: expected 'ENV NAME=VALUE' or 'ENV NAME VALUE', found only 'A'"),
        ("ENV a=b c", "error line 1, column 9: ENV: expected NAME=VALUE, found 'c'"),
        ("LABEL =b", "error line 1, column 7: LABEL: expected a name before '=', found '=b'"),
        ("SHELL /bin/sh -c", "error line 1, column 7: SHELL: expected a non-empty JSON array of strings, found '/bin/sh -c'"),
        ("SHELL []", "error line 1, column 7: SHELL: expected a non-empty JSON array of strings, found '[]'"),
        ("HEALTHCHECK curl x", "error line 1, column 13: HEALTHCHECK: expected NONE or CMD, found 'curl'"),
        ("HEALTHCHECK CMD", "error line 1, column 13: HEALTHCHECK: expected a command after CMD, found nothing"),
        ("ONBUILD ONBUILD RUN x", "error line 1, column 9: ONBUILD: expected an instruction other than ONBUILD, FROM or MAINTAINER as a trigger, found ONBUILD"),
        ("ONBUILD FROM x", "error line 1, column 9: ONBUILD: expected an instruction other than ONBUILD, FROM or MAINTAINER as a trigger, found FROM"),
        ("RUN", "error line 1, column 4: RUN: expected a command, found nothing"),
        ("USER", "error line 1, column 5: USER: expected a user (NAME, UID, NAME:GROUP or UID:GID), found nothing"),
        ("EXPOSE", "error line 1, column 7: EXPOSE: expected a port, found nothing"),
        ("ARG =x", "error line 1, column 5: ARG: expected NAME or NAME=DEFAULT, found '=x'"),
    ];
    for (line, error) in cases {
        let src = format!("{line}\nFROM ok\nUSER app\n");
        let (df, errors) = dockerflow_dockerfile::parse(&src);
        assert_eq!(
            errors.first().map(|e| e.to_string()).as_deref(),
            Some(&error["error ".len()..]),
            "line: {line}"
        );
        let last = df.final_stage().expect("the FROM after the bad line");
        assert_eq!(last.base.reference, "ok", "line: {line}");
        assert_eq!(last.instructions.len(), 1, "line: {line}");
    }
}

#[test]
fn unknown_flag_keeps_the_instruction() {
    check(
        "FROM a\nCOPY --foo=x a /b\nCMD --help",
        "error line 2, column 6: COPY: unknown flag --foo: expected one of --from, --chown, --chmod, --link, --parents, --exclude
         error line 3, column 5: CMD: unknown flag --help: CMD takes no flags
         error line 3, column 11: CMD: expected a command, found nothing
         FROM a
         COPY --foo=x [\"a\"] -> /b",
    );
}

#[test]
fn instruction_before_from() {
    check(
        "USER x\nARG A=1\nFROM a",
        "error line 1, column 1: USER: expected FROM (or ARG) before any other instruction, found USER
         ARG A=[1]
         FROM a",
    );
}

#[test]
fn duplicate_stage_names() {
    check(
        "FROM a AS x\nFROM b AS x",
        "error line 2, column 1: FROM: expected a stage name not used before, found 'x' again
         FROM a AS x
         FROM b AS x",
    );
}

#[test]
fn empty_from_after_expansion() {
    check(
        "ARG B\nFROM $B",
        "error line 2, column 1: FROM: expected an image name, found '$B' expanding to nothing
         ARG B
         FROM $B",
    );
}

#[test]
fn errors_name_the_instruction() {
    let (_, errors) = dockerflow_dockerfile::parse("FROM a\nCOPY a\n");
    assert_eq!(errors[0].instruction.as_deref(), Some("COPY"));
    assert_eq!(errors[0].span.line, 2);
}

#[test]
fn huge_bad_word_is_shortened_in_messages() {
    let (_, errors) = dockerflow_dockerfile::parse(&format!("{}\nFROM a", "X".repeat(10_000)));
    assert!(errors[0].message.len() < 400);
}
