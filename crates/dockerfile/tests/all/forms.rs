//! Exec (JSON) form versus shell form, with BuildKit's fallback.

use crate::common::{check, check_one};
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
    check_one("CMD ['a']", "CMD shell[['a']]");
    check_one("CMD [\"a\"", "CMD shell[[\"a\"]");
    check_one("CMD [\"a\",]", "CMD shell[[\"a\",]]");
    check_one("CMD [\"a\"] extra", "CMD shell[[\"a\"] extra]");
    check_one("CMD echo [a]", "CMD shell[echo [a]]");
}

#[test]
fn a_json_array_with_non_strings_is_an_error_kept_as_shell_form() {
    // BuildKit's parseJSON: valid JSON but not all strings is rejected
    // ("arrays must be comprised of strings only"), not read as shell form.
    check(
        "FROM x\nCMD [\"a\", 1]\nENTRYPOINT [[\"a\"]]\nCOPY [\"a\", null]",
        "error line 2, column 5: CMD: expected a JSON array of strings only, found a non-string element
         error line 3, column 12: ENTRYPOINT: expected a JSON array of strings only, found a non-string element
         error line 4, column 6: COPY: expected a JSON array of strings only, found a non-string element
         FROM x
         CMD shell[[\"a\", 1]]
         ENTRYPOINT shell[[[\"a\"]]]
         COPY [\"[\\\"a\\\",\"] -> null]",
    );
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
