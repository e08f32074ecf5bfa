//! Heredocs on RUN, COPY and ADD.

use crate::common::{check, check_one};

#[test]
fn run_heredoc() {
    check_one(
        "RUN <<EOF\necho hi\necho there\nEOF",
        r#"RUN shell[<<EOF] <<EOF()"echo hi\necho there\n""#,
    );
}

#[test]
fn dash_strips_leading_tabs_in_body_and_terminator() {
    check_one(
        "RUN <<-EOF\n\techo hi\n\t\tnested\n\tEOF",
        r#"RUN shell[<<-EOF] <<EOF(strip)"echo hi\nnested\n""#,
    );
}

#[test]
fn without_dash_an_indented_terminator_is_body() {
    check_one(
        "RUN <<EOF\n\tEOF\nEOF",
        r#"RUN shell[<<EOF] <<EOF()"\tEOF\n""#,
    );
}

#[test]
fn quoted_delimiter_disables_expansion() {
    check_one(
        "RUN <<\"EOF\"\necho $HOME\nEOF",
        r#"RUN shell[<<"EOF"] <<EOF(literal)"echo $HOME\n""#,
    );
    check_one(
        "RUN <<'EOF'\necho $HOME\nEOF",
        r#"RUN shell[<<'EOF'] <<EOF(literal)"echo $HOME\n""#,
    );
}

#[test]
fn several_heredocs_on_one_line() {
    check_one(
        "RUN <<FILE1 cat > /file1 && <<FILE2 cat > /file2\none\nFILE1\ntwo\nFILE2",
        r#"RUN shell[<<FILE1 cat > /file1 && <<FILE2 cat > /file2] <<FILE1()"one\n" <<FILE2()"two\n""#,
    );
}

#[test]
fn copy_heredoc() {
    check_one(
        "COPY <<EOF /app/version.json\n{\"version\": \"1\"}\nEOF",
        r#"COPY ["<<EOF"] -> /app/version.json <<EOF()"{\"version\": \"1\"}\n""#,
    );
}

#[test]
fn add_heredoc_with_flags() {
    check_one(
        "ADD --chmod=755 <<EOF /run.sh\n#!/bin/sh\nEOF",
        r##"ADD --chmod=755 ["<<EOF"] -> /run.sh <<EOF()"#!/bin/sh\n""##,
    );
}

#[test]
fn file_descriptor_prefix() {
    check_one(
        "RUN 3<<EOF cat /dev/fd/3\nx\nEOF",
        r#"RUN shell[3<<EOF cat /dev/fd/3] <<EOF(fd=3)"x\n""#,
    );
}

#[test]
fn body_keeps_comments_blank_lines_and_backslashes() {
    check_one(
        "RUN <<EOF\n# not a comment\n\nline \\\nEOF",
        r##"RUN shell[<<EOF] <<EOF()"# not a comment\n\nline \\\n""##,
    );
}

#[test]
fn instructions_after_a_heredoc_are_parsed() {
    check(
        "FROM a\nRUN <<EOF\nUSER root\nEOF\nUSER app",
        r#"FROM a
           RUN shell[<<EOF] <<EOF()"USER root\n"
           USER [app]"#,
    );
}

#[test]
fn heredoc_marker_after_a_continuation() {
    check_one(
        "RUN cat \\\n  <<EOF > /x\nbody\nEOF",
        r#"RUN shell[cat   <<EOF > /x] <<EOF()"body\n""#,
    );
}

#[test]
fn crlf_body() {
    check_one(
        "RUN <<EOF\r\na\r\nEOF\r\n",
        r#"RUN shell[<<EOF] <<EOF()"a\n""#,
    );
}

#[test]
fn quoted_marker_is_not_a_heredoc() {
    check_one("RUN echo \"<<EOF\"", "RUN shell[echo \"<<EOF\"]");
}

#[test]
fn here_string_is_not_a_heredoc() {
    check_one("RUN cat <<<hello", "RUN shell[cat <<<hello]");
}

#[test]
fn only_run_copy_add_take_heredocs() {
    check_one("LABEL a=<<EOF", "LABEL a=[<<EOF]");
}

#[test]
fn unterminated_heredoc_is_an_error_with_the_rest_as_body() {
    check(
        "FROM a\nRUN <<EOF\necho hi",
        r#"error line 2, column 5: RUN: expected a line 'EOF' to end the heredoc, found the end of the file
           FROM a
           RUN shell[<<EOF] <<EOF()"echo hi\n""#,
    );
}

#[test]
fn onbuild_trigger_takes_heredocs() {
    check_one(
        "ONBUILD RUN <<EOF\necho hi\nEOF",
        r#"ONBUILD RUN shell[<<EOF] <<EOF()"echo hi\n""#,
    );
}
