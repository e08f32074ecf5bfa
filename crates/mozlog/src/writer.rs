//! Writing one finished line: one `write_all` per record, under the layer's own lock.
//!
//! `std::io::Stdout::write_all` already holds stdout's lock for the whole call, but a writer
//! from [`MakeWriter`] may be anything (a pipe handle, a file, a socket), and on a pipe a single
//! `write(2)` larger than `PIPE_BUF` (4096 bytes on Linux) may interleave with another process's
//! or thread's. So each layer also serialises its own writes with a mutex: two records written
//! through one layer never share a line, whatever the writer.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::sync::{Mutex, PoisonError};

use tracing::Metadata;
use tracing_subscriber::fmt::MakeWriter;

thread_local! {
    /// The line buffer, reused across records on this thread.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// This thread is inside `write_line` (a writer that itself logs re-enters the layer).
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// A buffer above this capacity (left by a huge record before truncation) is not kept.
const KEEP_CAPACITY: usize = 256 * 1024;

/// Runs `f` with this thread's cleared line buffer (a fresh one if it is already in use, when
/// a record is written from inside another record's formatting).
pub(crate) fn with_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let result = f(&mut buf);
            if buf.capacity() > KEEP_CAPACITY {
                *buf = Vec::new();
            }
            result
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// A [`MakeWriter`] plus the lock that keeps lines whole.
pub(crate) struct LineWriter<W> {
    make_writer: W,
    lock: Mutex<()>,
}

impl<W> LineWriter<W> {
    pub(crate) fn new(make_writer: W) -> Self {
        LineWriter {
            make_writer,
            lock: Mutex::new(()),
        }
    }
}

impl<W: for<'a> MakeWriter<'a>> LineWriter<W> {
    /// Writes `line` (which ends with '\n') with one `write_all` and flushes.
    ///
    /// Errors are ignored: there is nowhere else to report them, and `write_all` already
    /// retries on `Interrupted`.
    pub(crate) fn write_line(&self, line: &[u8], metadata: &Metadata<'_>) {
        // A writer that logs from inside `write` would deadlock on our lock: on re-entry the
        // thread already holds it, so the nested record is written without taking it again.
        let _guard = if WRITING.with(Cell::get) {
            None
        } else {
            Some(self.lock.lock().unwrap_or_else(PoisonError::into_inner))
        };
        let _writing = Writing::enter();
        let mut writer = self.make_writer.make_writer_for(metadata);
        let _ = writer.write_all(line);
        let _ = writer.flush();
    }
}

/// Marks this thread as writing until dropped (restoring the previous state).
struct Writing(bool);

impl Writing {
    fn enter() -> Self {
        Writing(WRITING.with(|w| w.replace(true)))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(self.0));
    }
}
