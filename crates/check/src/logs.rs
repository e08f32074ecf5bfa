//! Log lines read once, as they stream: [`LogReader`] takes the bytes in chunks of any size
//! (a file, stdin, a container's stdout then stderr), splits them into lines, judges each line
//! as it goes and keeps only what the log rules (DF701, DF702, DF706, DF708) need: counts, the
//! first bad lines, and per JSON record the few facts DF708 places in time ([`Logs`]). The text
//! itself is never kept: memory is the longest line (capped, [`LineTooLong`]) plus those facts.
//!
//! What DF708 keeps per JSON record is 16 bytes (`Timestamp`, interned `Type` and `Fields.rid`;
//! line numbers are kept only where they jump over a line that is not a record), plus each
//! distinct `Type` and rid once, in one buffer: a summary may cover any record before it, so
//! none can be dropped before the last line. A request of three records and a 36-byte rid costs
//! about 100 bytes, against about 1 KB of text.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use serde_json::Value;

use crate::schema::{errors, Schema};

/// The longest line [`LogReader::new`] accepts by default: 1 MiB, sixteen times the mozlog
/// library's own default line limit (`DOCKERFLOW_LOG_MAX_BYTES`, 64 KiB).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// How many bad lines and bad summaries [`Logs`] keeps whole (the rules quote 3, `check logs`
/// prints 10 on stderr).
pub const KEPT: usize = 10;

/// A mozlog `Timestamp` is nanoseconds since the epoch; a smaller number (seconds,
/// milliseconds) cannot be placed against the checker's clock.
const NS_PLAUSIBLE: i128 = 100_000_000_000_000_000;

/// The interned `Type` of records whose `Type` is not a string.
const KIND_NONE: u32 = 0;
/// The interned `Type` `request.summary`.
pub(crate) const KIND_SUMMARY: u32 = 1;

/// A line longer than the reader's cap: the line (1-based) and the cap, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// The 1-based number of the line.
    pub line: u64,
    /// The cap it passed, in bytes (the newline not counted).
    pub cap: usize,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} is longer than {} bytes, the longest line read (a mozlog line is one JSON record)",
            self.line, self.cap
        )
    }
}

impl std::error::Error for LineTooLong {}

/// One line that is not mozlog, as the rules and `check logs` quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// The line's first 100 characters (decoded lossily, a trailing `\r` removed).
    pub text: String,
    /// What is wrong with it.
    pub errors: Vec<String>,
}

/// One JSON object line, as DF708 places it (16 bytes; its line number is
/// [`Logs::line_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    /// `Timestamp` in nanoseconds since the epoch when it is a plausible one, else 0.
    pub(crate) ts: u64,
    /// `Type`, interned ([`KIND_NONE`] when not a string, [`KIND_SUMMARY`]).
    pub(crate) kind: u32,
    /// `Fields.rid` when a non-empty string: its interned id plus 1; 0 when none.
    pub(crate) rid: u32,
}

impl Record {
    /// The `Timestamp`, when it is one.
    pub(crate) fn ts(&self) -> Option<i128> {
        (self.ts != 0).then_some(i128::from(self.ts))
    }

    /// `Type` is `request.summary`.
    pub(crate) fn summary(&self) -> bool {
        self.kind == KIND_SUMMARY
    }

    /// `Fields.rid`, interned, when there is one.
    pub(crate) fn rid(&self) -> Option<u32> {
        (self.rid != 0).then_some(self.rid)
    }
}

/// A `request.summary` record: where it is in [`Logs::records`] and its `Fields.t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SummaryAt {
    /// Index into the records.
    pub(crate) index: usize,
    /// `Fields.t` (milliseconds) when a non-negative integer.
    pub(crate) t_ms: Option<u64>,
}

/// What the log rules need from a stream of log lines, collected in one pass by
/// [`LogReader`] (or [`Logs::read`] for bytes already in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logs {
    /// Every byte read was ASCII whitespace (or none was read).
    pub(crate) blank: bool,
    /// Lines that are not blank.
    pub(crate) lines: u64,
    /// Of those, the lines that are not mozlog.
    pub(crate) bad: u64,
    /// The first [`KEPT`] of them.
    pub(crate) bad_lines: Vec<BadLine>,
    /// `request.summary` records that break the schema (DF706).
    pub(crate) bad_summaries: u64,
    /// The first [`KEPT`] of them, as `line N: what`.
    pub(crate) bad_summary_texts: Vec<String>,
    /// Every JSON object line, in order.
    pub(crate) records: Vec<Record>,
    /// Where the records' line numbers jump (a line that is not a JSON object between two
    /// records): (index of the record, its line).
    jumps: Vec<(usize, u64)>,
    /// The `request.summary` records among them, in order.
    pub(crate) summaries: Vec<SummaryAt>,
    /// `Type`s.
    kinds: Interner,
    /// `Fields.rid`s.
    rids: Interner,
}

impl Default for Logs {
    fn default() -> Logs {
        Logs {
            blank: true,
            lines: 0,
            bad: 0,
            bad_lines: Vec::new(),
            bad_summaries: 0,
            bad_summary_texts: Vec::new(),
            records: Vec::new(),
            jumps: Vec::new(),
            summaries: Vec::new(),
            kinds: Interner::with(&["", "request.summary"]),
            rids: Interner::default(),
        }
    }
}

impl Logs {
    /// Bytes already in memory, every line whatever its length (a container's output, which
    /// the engine client caps as a whole).
    pub fn read(bytes: &[u8]) -> Logs {
        Logs::read_parts(&[bytes])
    }

    /// Parts read as one stream, in order (stdout, then stderr: a last line without a newline
    /// runs on into the next part, as in their concatenation).
    pub fn read_parts(parts: &[&[u8]]) -> Logs {
        let mut r = LogReader::new(usize::MAX);
        for p in parts {
            // The cap is usize::MAX: no line of a slice in memory can pass it.
            let _ = r.feed(p);
        }
        r.finish().unwrap_or_default()
    }

    /// How many lines are not blank.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// How many of them are not mozlog.
    pub fn bad_count(&self) -> u64 {
        self.bad
    }

    /// The first [`KEPT`] lines that are not mozlog, with what is wrong with each.
    pub fn bad_lines(&self) -> &[BadLine] {
        &self.bad_lines
    }

    /// The interned id of a rid plus 1 (as [`Record::rid`] holds it), when some record
    /// carries it.
    pub(crate) fn rid_id(&self, rid: &str) -> Option<u32> {
        self.rids.find(rid).map(|id| id + 1)
    }

    /// A `Type`'s name.
    pub(crate) fn kind(&self, id: u32) -> &str {
        self.kinds.get(id)
    }

    /// How many `Type`s there are (ids are below it).
    pub(crate) fn kind_count(&self) -> usize {
        self.kinds.len()
    }

    /// The 1-based line number of `records[index]`.
    pub(crate) fn line_of(&self, index: usize) -> u64 {
        let k = self.jumps.partition_point(|j| j.0 <= index);
        let (at, line) = self.jumps[k - 1];
        line + (index - at) as u64
    }

    /// Judges one line (its `\n` removed).
    fn line(&mut self, n: u64, raw: &[u8]) {
        if self.blank && !raw.iter().all(u8::is_ascii_whitespace) {
            self.blank = false;
        }
        // DF701 and DF702 read the line decoded (lossily for messages; a line that is not
        // UTF-8 is never judged from that decoding: RFC 8259 requires JSON text to be UTF-8,
        // and a lossy decoding would turn invalid bytes inside a string into a valid U+FFFD).
        let value = match std::str::from_utf8(raw) {
            Ok(text) => {
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() {
                    return;
                }
                self.lines += 1;
                match serde_json::from_str::<Value>(text) {
                    Ok(v) => {
                        let errors = errors(Schema::Mozlog, &v);
                        if !errors.is_empty() {
                            self.bad_line(n, text, errors);
                        }
                        Some(v)
                    }
                    Err(e) => {
                        self.bad_line(n, text, vec![format!("not JSON ({e})")]);
                        None
                    }
                }
            }
            Err(e) => {
                let lossy = String::from_utf8_lossy(raw);
                let text = lossy.trim_end_matches('\r');
                if text.trim().is_empty() {
                    return;
                }
                self.lines += 1;
                let error = format!(
                    "not UTF-8 at byte {}; expected JSON text, which is UTF-8 (RFC 8259)",
                    e.valid_up_to() + 1
                );
                self.bad_line(n, text, vec![error]);
                serde_json::from_slice::<Value>(raw).ok()
            }
        };
        if let Some(v) = value {
            self.record(n, &v);
        }
    }

    fn bad_line(&mut self, n: u64, text: &str, errors: Vec<String>) {
        self.bad += 1;
        if self.bad_lines.len() < KEPT {
            self.bad_lines.push(BadLine {
                line: n,
                text: text.chars().take(100).collect(),
                errors,
            });
        }
    }

    /// What DF706 and DF708 read from a JSON line.
    fn record(&mut self, n: u64, v: &Value) {
        if !v.is_object() {
            return;
        }
        let num = |x: &Value| {
            x.as_i64()
                .map(i128::from)
                .or_else(|| x.as_u64().map(i128::from))
        };
        let kind = match v["Type"].as_str() {
            Some(k) => self.kinds.intern(k),
            None => KIND_NONE,
        };
        let rid = match v["Fields"]["rid"].as_str() {
            Some(r) if !r.is_empty() => self.rids.intern(r).saturating_add(1),
            _ => 0,
        };
        let ts = num(&v["Timestamp"])
            .filter(|t| *t >= NS_PLAUSIBLE)
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0);
        if kind == KIND_SUMMARY {
            self.summaries.push(SummaryAt {
                index: self.records.len(),
                t_ms: num(&v["Fields"]["t"])
                    .filter(|t| *t >= 0)
                    .and_then(|t| u64::try_from(t).ok()),
            });
            // DF706: the summary against its schema, and errno against the code.
            let mut problems = errors(Schema::RequestSummary, v);
            let code = v["Fields"]["code"].as_i64();
            let errno = v["Fields"]["errno"].as_i64();
            if let (Some(c), Some(e)) = (code, errno) {
                if c >= 400 && e != c {
                    problems.push(format!("/Fields/errno: {e}, expected the code {c}"));
                }
            }
            if !problems.is_empty() {
                self.bad_summaries += 1;
                if self.bad_summary_texts.len() < KEPT {
                    self.bad_summary_texts
                        .push(format!("line {n}: {}", problems.join("; ")));
                }
            }
        }
        let next = self.records.len();
        let expected = self
            .jumps
            .last()
            .map(|&(at, line)| line + (next - at) as u64);
        if expected != Some(n) {
            self.jumps.push((next, n));
        }
        self.records.push(Record { ts, kind, rid });
    }
}

/// Reads log lines from chunks of bytes, one line at a time: memory is the longest line
/// (at most the cap) plus what [`Logs`] keeps.
#[derive(Debug)]
pub struct LogReader {
    logs: Logs,
    /// The start of a line whose end has not been fed yet.
    partial: Vec<u8>,
    /// The number of the line being read (1-based).
    next: u64,
    cap: usize,
}

impl LogReader {
    /// A reader that refuses a line longer than `cap` bytes (the newline not counted).
    pub fn new(cap: usize) -> LogReader {
        LogReader {
            logs: Logs::default(),
            partial: Vec::new(),
            next: 1,
            cap,
        }
    }

    /// The next bytes of the stream, of any length; `Err` when the line being read passes the
    /// cap (the reader is then done: feed it no more).
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), LineTooLong> {
        while let Some(i) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = (&chunk[..i], &chunk[i + 1..]);
            if self.partial.is_empty() {
                self.check(head.len())?;
                self.logs.line(self.next, head);
            } else {
                self.check(self.partial.len().saturating_add(head.len()))?;
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(head);
                self.logs.line(self.next, &line);
                line.clear();
                self.partial = line;
            }
            self.next += 1;
            chunk = rest;
        }
        self.check(self.partial.len().saturating_add(chunk.len()))?;
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    fn check(&self, len: usize) -> Result<(), LineTooLong> {
        if len > self.cap {
            return Err(LineTooLong {
                line: self.next,
                cap: self.cap,
            });
        }
        Ok(())
    }

    /// The end of the stream: the last line (when it has no newline) is judged, and what the
    /// rules need is returned.
    pub fn finish(mut self) -> Result<Logs, LineTooLong> {
        self.check(self.partial.len())?;
        let last = std::mem::take(&mut self.partial);
        self.logs.line(self.next, &last);
        Ok(self.logs)
    }

    /// Reads `input` to its end through a buffer of 64 KiB.
    pub fn read_from(mut self, mut input: impl std::io::Read) -> Result<Logs, ReadError> {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            };
            self.feed(&buf[..n]).map_err(ReadError::TooLong)?;
        }
        self.finish().map_err(ReadError::TooLong)
    }
}

/// Why [`LogReader::read_from`] stopped.
#[derive(Debug)]
pub enum ReadError {
    /// Reading failed.
    Io(std::io::Error),
    /// A line passed the cap.
    TooLong(LineTooLong),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::TooLong(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {}

/// Strings kept once each: their bytes end to end in one buffer, found again through an
/// open-addressing table of 4-byte ids (about 50 bytes for a 36-byte request id, against some
/// 90 in a map of boxed strings). Ids count from 0 in the order first seen.
#[derive(Debug, Clone, Default)]
struct Interner {
    bytes: String,
    /// Where each string ends in `bytes`, by id.
    ends: Vec<usize>,
    /// Open addressing, linear probing: 0 for an empty slot, else id + 1. A power of two long,
    /// at most 7/8 full.
    slots: Vec<u32>,
    /// Keyed hashing: input cannot be written to collide.
    state: RandomState,
}

impl PartialEq for Interner {
    fn eq(&self, other: &Interner) -> bool {
        self.bytes == other.bytes && self.ends == other.ends
    }
}

impl Eq for Interner {}

impl Interner {
    fn with(strings: &[&str]) -> Interner {
        let mut i = Interner::default();
        for s in strings {
            i.intern(s);
        }
        i
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    fn slot(&self, s: &str) -> usize {
        (self.state.hash_one(s) as usize) & (self.slots.len() - 1)
    }

    fn find(&self, s: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(s);
        loop {
            match self.slots[i] {
                0 => return None,
                k if self.get(k - 1) == s => return Some(k - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The id of `s`, new if it was not there. Ids stop at `u32::MAX - 2` (4 billion
    /// strings: tens of gigabytes, past any memory a check is given).
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.find(s) {
            return id;
        }
        let id = match u32::try_from(self.ends.len()) {
            Ok(id) if id < u32::MAX - 2 => id,
            _ => return u32::MAX - 2,
        };
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        if self.ends.len() * 8 > self.slots.len() * 7 {
            self.slots = vec![0; (self.slots.len() * 2).max(16)];
            for k in 0..=id {
                self.place(k);
            }
        } else {
            self.place(id);
        }
        id
    }

    /// Puts `id` in its slot (it is not there yet).
    fn place(&mut self, id: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(self.get(id));
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = id + 1;
    }
}
