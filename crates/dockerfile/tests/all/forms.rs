//! Exec (JSON) form versus shell form, with BuildKit's fallback.

use crate::common::check_one;
use dockerflow_dockerfile::{Command, Form};

#[test]
fn json_array_of_strings_is_exec_form() {
    check_one("CMD [\"a\", \"b\"]", "CMD exec[\"a\", \"b\"]");
    check_one("CMD [ \"a\" ]   ", "CMD exec[\"a\"]");
    check_one("CMD []", "CMD exec[]");
    check_one(
        "CMD [\"a\\\"b\", \"\\u00e9\"]",
        "CMD exec[\"a\\\"b\", \"é\"]",
    );
    check_one(
        "RUN [\"/bin/sh\", \"-c\", \"echo hi\"]",
        "RUN exec[\"/bin/sh\", \"-c\", \"echo hi\"]",
    );
}

#[test]
fn anything_else_falls_back_to_shell_form() {
    check_one("CMD [\"a\", 1]", "CMD shell[[\"a\", 1]]");
    check_one("CMD ['a']", "CMD shell[['a']]");
    check_one("CMD [\"a\"", "CMD shell[[\"a\"]");
    check_one("CMD [\"a\",]", "CMD shell[[\"a\",]]");
    check_one("CMD [\"a\"] extra", "CMD shell[[\"a\"] extra]");
    check_one("CMD echo [a]", "CMD shell[echo [a]]");
    check_one("ENTRYPOINT [[\"a\"]]", "ENTRYPOINT shell[[[\"a\"]]]");
}

#[test]
fn json_across_continuations() {
    check_one("CMD [\"a\", \\\n     \"b\"]", "CMD exec[\"a\", \"b\"]");
}

#[test]
fn form_accessors() {
    assert_eq!(Command::Exec(vec![]).form(), Form::Exec);
    assert!(Command::Exec(vec![]).is_empty());
    assert_eq!(Command::Shell("a".into()).form(), Form::Shell);
    assert_eq!(
        Command::Exec(vec!["npm".into(), "start".into()]).to_line(),
        "npm start"
    );
}
