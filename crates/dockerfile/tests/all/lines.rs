//! Comments, blank lines, continuations, keyword case.

use crate::common::{check, check_one};

#[test]
fn comments_and_blank_lines_are_skipped() {
    check(
        "# c\n\nFROM a\n   # indented\n\n\nUSER b\n",
        "FROM a\nUSER [b]",
    );
}

#[test]
fn keywords_are_case_insensitive() {
    check(
        "from a as B\nrUn x\nuser y",
        "FROM a AS b\nRUN shell[x]\nUSER [y]",
    );
}

#[test]
fn leading_whitespace_before_keyword() {
    check("  FROM a\n\tUSER b", "FROM a\nUSER [b]");
}

#[test]
fn continuation_joins_lines_as_buildkit_does() {
    check_one("RUN a \\\n  && b", "RUN shell[a   && b]");
    check_one("RUN a\\\nb", "RUN shell[ab]");
}

#[test]
fn blanks_after_the_escape_still_continue() {
    check_one("RUN a \\  \t\n b", "RUN shell[a  b]");
}

#[test]
fn comment_lines_inside_a_continuation_are_skipped() {
    check_one(
        "RUN apt-get update \\\n# install things\n    # indented comment\n && apt-get install -y curl",
        "RUN shell[apt-get update  && apt-get install -y curl]",
    );
}

#[test]
fn empty_lines_inside_a_continuation_are_skipped() {
    check_one("RUN a \\\n\n   \n b", "RUN shell[a  b]");
}

#[test]
fn continuation_at_end_of_file() {
    check("FROM a\nRUN a \\", "FROM a\nRUN shell[a]");
}

#[test]
fn crlf_line_endings() {
    check(
        "FROM a\r\nRUN a \\\r\n b\r\nUSER c\r\n",
        "FROM a\nRUN shell[a  b]\nUSER [c]",
    );
}

#[test]
fn a_hash_inside_an_instruction_is_not_a_comment() {
    check_one("RUN echo a # b", "RUN shell[echo a # b]");
}

#[test]
fn continued_keyword_line() {
    check_one(
        "COPY \\\n  --chown=app \\\n  a /b",
        "COPY --chown=app [\"a\"] -> /b",
    );
}

#[test]
fn an_escaped_escape_at_end_of_line_does_not_continue() {
    check(
        "FROM a\nRUN echo \\\\\nUSER b",
        "FROM a\nRUN shell[echo \\\\]\nUSER [b]",
    );
}

#[test]
fn a_lone_escape_line_continues() {
    check("FROM a\nRUN a \\\n\\\n b", "FROM a\nRUN shell[a  b]");
}
