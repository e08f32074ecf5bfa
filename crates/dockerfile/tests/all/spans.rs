//! Spans: line, column and byte range, after continuations and heredocs.

use dockerflow_dockerfile::{parse, InstructionKind};

fn lines_and_columns(src: &str) -> Vec<(&'static str, u32, u32)> {
    let (df, _) = parse(src);
    let mut out = Vec::new();
    for s in &df.stages {
        out.push((s.from.keyword(), s.from.span.line, s.from.span.column));
        for i in &s.instructions {
            out.push((i.keyword(), i.span.line, i.span.column));
        }
    }
    out
}

#[test]
fn after_continuations() {
    assert_eq!(
        lines_and_columns("FROM a\nRUN a \\\n b \\\n# c\n c\n  USER app\n"),
        [("FROM", 1, 1), ("RUN", 2, 1), ("USER", 6, 3)]
    );
}

#[test]
fn after_heredocs() {
    assert_eq!(
        lines_and_columns("FROM a\nRUN <<A <<B\n1\nA\n2\n3\nB\nUSER app\n"),
        [("FROM", 1, 1), ("RUN", 2, 1), ("USER", 8, 1)]
    );
}

#[test]
fn after_directives_and_comments() {
    assert_eq!(
        lines_and_columns("# syntax=x\n# comment\n\nFROM a\n"),
        [("FROM", 4, 1)]
    );
}

#[test]
fn byte_ranges_cover_the_instruction() {
    let src = "FROM a\nRUN a \\\n  b\nCOPY <<EOF /x\nbody\nEOF\nUSER app\n";
    let (df, _) = parse(src);
    let texts: Vec<&str> = df.stages[0]
        .instructions
        .iter()
        .map(|i| i.span.text(src))
        .collect();
    assert_eq!(
        texts,
        ["RUN a \\\n  b", "COPY <<EOF /x\nbody\nEOF", "USER app"]
    );
    let doc = &df.stages[0].instructions[1].heredocs[0];
    assert_eq!(doc.marker_span.text(src), "<<EOF");
    assert_eq!((doc.marker_span.line, doc.marker_span.column), (4, 6));
    assert_eq!(doc.body_span.text(src), "body\nEOF");
    assert_eq!(doc.body_span.line, 5);
}

#[test]
fn flag_and_pair_spans_point_into_continued_lines() {
    let src = "FROM a\nCOPY \\\n  --from=b \\\n  x /y\nENV é=1 ü=2\n";
    let (df, _) = parse(src);
    let copy = &df.stages[0].instructions[0];
    let flag = &copy.flags[0];
    assert_eq!((flag.span.line, flag.span.column), (3, 3));
    assert_eq!(flag.span.text(src), "--from=b");
    let InstructionKind::Env(pairs) = &df.stages[0].instructions[1].kind else {
        panic!("ENV expected");
    };
    assert_eq!(
        (pairs[1].span.line, pairs[1].span.column),
        (5, 9),
        "columns count characters"
    );
    assert_eq!(pairs[1].span.text(src), "ü=2");
}

#[test]
fn error_span_in_a_continued_line() {
    let (_, errors) = parse("FROM a\nCOPY \\\n  --foo=1 a b\n");
    assert_eq!((errors[0].span.line, errors[0].span.column), (3, 3));
}

#[test]
fn crlf_columns() {
    assert_eq!(
        lines_and_columns("FROM a\r\n  USER b\r\n"),
        [("FROM", 1, 1), ("USER", 2, 3)]
    );
}

#[test]
fn keyword_span() {
    let src = "FROM a\n  onbuild RUN x\n";
    let (df, _) = parse(src);
    let i = &df.stages[0].instructions[0];
    assert_eq!(i.keyword_span.text(src), "onbuild");
    let InstructionKind::Onbuild(inner) = &i.kind else {
        panic!("ONBUILD expected")
    };
    assert_eq!(inner.keyword_span.text(src), "RUN");
    assert_eq!(inner.span.text(src), "RUN x");
}
