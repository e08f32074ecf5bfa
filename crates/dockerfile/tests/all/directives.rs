//! Parser directives: `# syntax=`, `# escape=`, `# check=` at the top only.

use crate::common::check;

#[test]
fn syntax_and_check_are_recorded() {
    check(
        "# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\nFROM a",
        "directive syntax=docker/dockerfile:1
         directive check=skip=JSONArgsRecommended
         FROM a",
    );
}

#[test]
fn names_are_case_insensitive_and_blanks_allowed() {
    check("#  SYNTAX = x \nFROM a", "directive syntax=x\nFROM a");
    check("#Escape=`\nFROM a", "directive escape=`\nFROM a");
}

#[test]
fn backtick_escape_drives_continuations() {
    check(
        "# escape=`\nFROM a\nRUN echo a `\n  b",
        "directive escape=`\nFROM a\nRUN shell[echo a   b]",
    );
}

#[test]
fn with_backtick_escape_a_backslash_is_literal() {
    check(
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nWORKDIR c:\\\nRUN dir c:\\",
        "directive escape=`
         FROM mcr.microsoft.com/windows/servercore
         WORKDIR [c:\\]
         RUN shell[dir c:\\]",
    );
}

#[test]
fn backtick_escape_in_expansion() {
    let (df, errors) =
        dockerflow_dockerfile::parse("# escape=`\nFROM a\nENV A=1\nENV B=`$A C=\\$A\n");
    assert!(errors.is_empty(), "{errors:?}");
    let facts = df.facts().unwrap();
    assert_eq!(facts.env("B"), Some("$A"));
    assert_eq!(facts.env("C"), Some("\\1"));
}

#[test]
fn a_blank_line_ends_directives() {
    check("\n# escape=`\nFROM a\nRUN a `", "FROM a\nRUN shell[a `]");
}

#[test]
fn a_comment_ends_directives() {
    check(
        "# hello\n# escape=`\nFROM a\nRUN a `",
        "FROM a\nRUN shell[a `]",
    );
}

#[test]
fn an_unknown_directive_ends_directives() {
    check("# foo=bar\n# escape=`\nFROM a", "FROM a");
}

#[test]
fn directives_after_an_instruction_are_comments() {
    check("FROM a\n# escape=`\nRUN a `", "FROM a\nRUN shell[a `]");
}

#[test]
fn duplicate_directive_is_an_error() {
    check(
        "# escape=`\n# escape=\\\nFROM a",
        "error line 2, column 1: expected at most one 'escape' parser directive, found a second one
         directive escape=`
         FROM a",
    );
}

#[test]
fn bad_escape_value_is_an_error() {
    check(
        "# escape=x\nFROM a",
        "error line 1, column 1: expected the escape directive to be '\\' or '`', found 'x'
         directive escape=x
         FROM a",
    );
}

#[test]
fn byte_order_mark_is_skipped() {
    check("\u{FEFF}# syntax=x\nFROM a", "directive syntax=x\nFROM a");
}
