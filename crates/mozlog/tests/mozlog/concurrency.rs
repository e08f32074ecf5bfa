//! Many threads, one writer: every record whole, on its own line, none lost.

use std::collections::HashSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;

use dockerflow_mozlog::MozlogLayer;
use tracing::Dispatch;
use tracing_subscriber::prelude::*;

use crate::support::{check_line, Capture};

fn run_threads(dispatch: &Dispatch, threads: usize, events: usize, message: &str) {
    thread::scope(|s| {
        for t in 0..threads {
            let dispatch = dispatch.clone();
            s.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for i in 0..events {
                        tracing::info!(thread = t, seq = i, "{message}");
                    }
                });
            });
        }
    });
}

fn assert_all_present(lines: &str, threads: usize, events: usize, message: &str) {
    let mut seen = HashSet::new();
    for line in lines.lines() {
        let r = check_line(line);
        assert_eq!(r["Fields"]["msg"], message);
        let key = (r["Fields"]["thread"].as_u64(), r["Fields"]["seq"].as_u64());
        assert!(seen.insert(key), "duplicate {key:?}");
    }
    assert_eq!(seen.len(), threads * events);
}

#[test]
fn eight_threads_two_thousand_events_each() {
    let capture = Capture::default();
    let dispatch = Dispatch::new(
        tracing_subscriber::registry().with(MozlogLayer::new("app").with_writer(capture.clone())),
    );
    run_threads(&dispatch, 8, 2000, "concurrent");
    let text = capture.text();
    assert_eq!(text.lines().count(), 16_000);
    assert_all_present(&text, 8, 2000, "concurrent");
}

/// A pipe end shared by every thread, without a lock of its own: only the layer's single
/// `write_all` under its lock keeps lines longer than PIPE_BUF from interleaving.
#[derive(Clone)]
struct SharedPipe(Arc<std::process::ChildStdin>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SharedPipe {
    type Writer = &'a std::process::ChildStdin;
    fn make_writer(&'a self) -> Self::Writer {
        &self.0
    }
}

#[test]
fn lines_longer_than_pipe_buf_do_not_interleave_in_a_pipe() {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cat runs");
    let stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).expect("UTF-8 from cat");
        out
    });
    let message = "p".repeat(10_000); // > 4096 bytes (PIPE_BUF)
    {
        let dispatch = Dispatch::new(
            tracing_subscriber::registry()
                .with(MozlogLayer::new("app").with_writer(SharedPipe(Arc::new(stdin)))),
        );
        run_threads(&dispatch, 4, 100, &message);
    } // the last handle to the pipe is dropped: cat sees end of file
    let out = reader.join().expect("reader");
    assert!(child.wait().expect("cat exits").success());
    assert_eq!(out.lines().count(), 400);
    assert_all_present(&out, 4, 100, &message);
}
