//! A small streaming tar reader: ustar, GNU long names and links, and PAX headers.
//!
//! Written here rather than taken from the `tar` crate so that every allocation an archive
//! can ask for is checked against a cap first (long names, PAX records), every error names
//! its byte offset, and the PAX `size` always wins over the ustar field (the parser
//! differential of RUSTSEC-2026-0068 cannot arise). It never touches the filesystem.

use std::io::{self, Read, Seek, SeekFrom};

use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limit;
use crate::vfs::EntryKind;

const BLOCK: u64 = 512;
/// The largest entry size a tar header may state: `i64::MAX`, as in Go's archive/tar.
const MAX_ENTRY_SIZE: u64 = i64::MAX as u64;

/// One entry's header, after PAX and GNU extensions are applied.
#[derive(Debug, Clone)]
pub(crate) struct TarHeader {
    /// The name as written (not normalised).
    pub(crate) path: String,
    /// What the entry is: the type flag read as the filesystem's kind (`0`, NUL and `7`
    /// are a regular file).
    pub(crate) kind: EntryKind,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    pub(crate) link: Option<String>,
    /// Offset of the entry's data in the stream.
    pub(crate) data_offset: u64,
}

/// Where a stream comes from, for errors.
#[derive(Debug, Clone)]
pub(crate) struct StreamCtx {
    pub(crate) name: String,
    pub(crate) layer: Option<usize>,
    pub(crate) digest: Option<Digest>,
}

/// A byte source that can skip forward: by seeking when it can, by reading otherwise.
pub(crate) trait TarInput: Read {
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

/// A sequential input (a decompressor, a verifying reader).
#[derive(Debug)]
pub(crate) struct Streaming<R>(pub(crate) R);

impl<R: Read> Read for Streaming<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> TarInput for Streaming<R> {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut (&mut self.0).take(n), &mut io::sink())?;
        if copied < n {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

/// A seekable input of known length (an archive file); skipping past its end is an error.
#[derive(Debug)]
pub(crate) struct Seeking<R> {
    pub(crate) inner: R,
    pub(crate) pos: u64,
    pub(crate) len: u64,
}

impl<R: Read> Read for Seeking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> TarInput for Seeking<R> {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let target = self.pos.saturating_add(n);
        if target > self.len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let off = i64::try_from(n).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.inner.seek(SeekFrom::Current(off))?;
        self.pos = target;
        Ok(())
    }
}

/// Reads tar headers one by one; entry data is read with [`TarReader::read_data`] or skipped.
#[derive(Debug)]
pub(crate) struct TarReader<R> {
    inner: R,
    pos: u64,
    remaining: u64,
    padding: u64,
    done: bool,
    max_path: u64,
    max_pax: u64,
    ctx: StreamCtx,
}

#[derive(Default)]
struct Pending {
    path: Option<String>,
    link: Option<String>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<i64>,
}

impl<R: TarInput> TarReader<R> {
    pub(crate) fn new(inner: R, max_path: u64, max_pax: u64, ctx: StreamCtx) -> TarReader<R> {
        TarReader {
            inner,
            pos: 0,
            remaining: 0,
            padding: 0,
            done: false,
            max_path,
            max_pax,
            ctx,
        }
    }

    /// The inner reader, e.g. to drain what follows the end-of-archive marker.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn err(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::new(ErrorKind::Tar {
            stream: self.ctx.name.clone(),
            offset,
            reason: reason.into(),
        })
    }

    fn limit(&self, limit: Limit, max: u64) -> Error {
        Error::new(ErrorKind::LimitExceeded {
            limit,
            max,
            layer: self.ctx.layer,
            digest: self.ctx.digest.clone(),
        })
    }

    fn io_err(&self, e: io::Error, offset: u64, what: &str) -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof && e.get_ref().is_none() {
            return self.err(offset, format!("truncated: the stream ends inside {what}"));
        }
        let name = self.ctx.name.clone();
        Error::from_io(e, || format!("reading {name}"))
    }

    /// Reads exactly `buf.len()` bytes; `Ok(false)` for a clean end of stream before the first byte.
    fn read_block(&mut self, buf: &mut [u8], what: &str) -> Result<bool> {
        let start = self.pos;
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => {
                    if filled == 0 {
                        return Ok(false);
                    }
                    return Err(
                        self.err(start, format!("truncated: the stream ends inside {what}"))
                    );
                }
                Ok(n) => {
                    filled += n;
                    self.pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e, start, what)),
            }
        }
        Ok(true)
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let start = self.pos;
        self.inner
            .skip(n)
            .map_err(|e| self.io_err(e, start, what))?;
        self.pos += n;
        Ok(())
    }

    /// Reads an extension's data (long name or PAX) of `size` bytes, already checked against a cap.
    fn read_ext(&mut self, size: u64, what: &str) -> Result<Vec<u8>> {
        let len = usize::try_from(size).map_err(|_| self.err(self.pos, "extension too large"))?;
        let mut buf = vec![0u8; len];
        if len > 0 && !self.read_block(&mut buf, what)? {
            return Err(self.err(
                self.pos,
                format!("truncated: the stream ends before {what}"),
            ));
        }
        self.skip(pad(size), what)?;
        Ok(buf)
    }

    /// The next entry, or `None` at the end of the archive.
    pub(crate) fn next_entry(&mut self) -> Result<Option<TarHeader>> {
        if self.done {
            return Ok(None);
        }
        // Entry sizes are at most i64::MAX (checked in `finish_header`), so this cannot overflow;
        // checked anyway, so that a future path around that check fails loudly, never wraps.
        let rest = self
            .remaining
            .checked_add(self.padding)
            .ok_or_else(|| self.err(self.pos, "entry size overflows 64 bits"))?;
        self.remaining = 0;
        self.padding = 0;
        self.skip(rest, "an entry's data")?;
        let mut pending = Pending::default();
        let mut have_ext = false;
        loop {
            let offset = self.pos;
            let mut block = [0u8; BLOCK as usize];
            if !self.read_block(&mut block, "a header")? {
                if have_ext {
                    return Err(self.err(offset, "truncated: an extension header has no entry"));
                }
                // A missing end-of-archive marker at a block boundary is accepted, as Go's
                // archive/tar (and so Docker) accepts it; blob digests catch real truncation.
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                if have_ext {
                    return Err(
                        self.err(offset, "an extension header is followed by the end marker")
                    );
                }
                self.done = true;
                return Ok(None);
            }
            self.check_sum(&block, offset)?;
            let typeflag = block[156];
            let field_size = self.number(&block[124..136], offset, "size")?;
            match typeflag {
                b'L' | b'K' => {
                    if field_size > self.max_path.saturating_add(1) {
                        return Err(self.limit(Limit::PathLength, self.max_path));
                    }
                    let data = self.read_ext(field_size, "a GNU long name")?;
                    let s = cstr(&data);
                    if typeflag == b'L' {
                        pending.path = Some(s);
                    } else {
                        pending.link = Some(s);
                    }
                    have_ext = true;
                    continue;
                }
                b'x' | b'g' => {
                    if field_size > self.max_pax {
                        return Err(self.limit(Limit::PaxHeader, self.max_pax));
                    }
                    let data = self.read_ext(field_size, "a PAX header")?;
                    // Global headers ('g') are read for validity and otherwise ignored, as
                    // Docker's unpacker does.
                    if typeflag == b'x' {
                        self.parse_pax(&data, offset, &mut pending)?;
                        have_ext = true;
                    }
                    continue;
                }
                _ => {}
            }
            return self.finish_header(&block, offset, pending).map(Some);
        }
    }

    fn finish_header(&mut self, block: &[u8], offset: u64, p: Pending) -> Result<TarHeader> {
        let magic = &block[257..263];
        let ustar = magic == b"ustar\0";
        let path = match p.path {
            Some(path) => path,
            None => {
                let name = cstr(&block[0..100]);
                let prefix = if ustar {
                    cstr(&block[345..500])
                } else {
                    String::new()
                };
                if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                }
            }
        };
        let link = match p.link {
            Some(l) => Some(l),
            None => Some(cstr(&block[157..257])).filter(|l| !l.is_empty()),
        };
        if path.len() as u64 > self.max_path
            || link
                .as_ref()
                .is_some_and(|l| l.len() as u64 > self.max_path)
        {
            return Err(self.limit(Limit::PathLength, self.max_path));
        }
        if path.is_empty() {
            return Err(self.err(offset, "an entry has an empty name"));
        }
        let kind = match block[156] {
            b'0' | 0 | b'7' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            other => EntryKind::Other(other),
        };
        let mode =
            u32::try_from(self.number(&block[100..108], offset, "mode")? & 0o7777).unwrap_or(0);
        let uid = match p.uid {
            Some(u) => u,
            None => self.number(&block[108..116], offset, "uid")?,
        };
        let gid = match p.gid {
            Some(g) => g,
            None => self.number(&block[116..124], offset, "gid")?,
        };
        let mtime = match p.mtime {
            Some(m) => m,
            None => {
                i64::try_from(self.number(&block[136..148], offset, "mtime")?).unwrap_or(i64::MAX)
            }
        };
        let size = match p.size {
            Some(s) => s,
            None => self.number(&block[124..136], offset, "size")?,
        };
        // Go's archive/tar (and so Docker) refuses a size that does not fit an i64: a reader that
        // accepted one would read that entry's data differently from every other reader.
        if size > MAX_ENTRY_SIZE {
            return Err(self.err(
                offset,
                format!("entry size {size} is larger than a tar entry can be (at most {MAX_ENTRY_SIZE} bytes)"),
            ));
        }
        // As in Go's archive/tar, these types carry no data whatever their size field says.
        let data_size = match kind {
            EntryKind::Hardlink
            | EntryKind::Symlink
            | EntryKind::CharDevice
            | EntryKind::BlockDevice
            | EntryKind::Dir
            | EntryKind::Fifo => 0,
            _ => size,
        };
        self.remaining = data_size;
        self.padding = pad(data_size);
        Ok(TarHeader {
            path,
            kind,
            mode,
            uid,
            gid,
            size: data_size,
            mtime,
            link,
            data_offset: self.pos,
        })
    }

    fn check_sum(&self, block: &[u8], offset: u64) -> Result<()> {
        let stored = self.number(&block[148..156], offset, "checksum")?;
        let mut unsigned: u64 = 0;
        let mut signed: i64 = 0;
        for (i, &b) in block.iter().enumerate() {
            let b = if (148..156).contains(&i) { b' ' } else { b };
            unsigned += u64::from(b);
            signed += i64::from(b as i8);
        }
        if stored != unsigned && i64::try_from(stored).ok() != Some(signed) {
            return Err(self.err(
                offset,
                format!("header checksum mismatch (stored {stored}, computed {unsigned}): not a tar header"),
            ));
        }
        Ok(())
    }

    fn number(&self, field: &[u8], offset: u64, what: &str) -> Result<u64> {
        if field.first().is_some_and(|b| b & 0x80 != 0) {
            // Base-256 (GNU): big-endian, first byte's high bit is the marker.
            if field[0] == 0xff {
                return Err(self.err(offset, format!("negative {what}")));
            }
            let mut v: u64 = u64::from(field[0] & 0x7f);
            for &b in &field[1..] {
                v = v
                    .checked_mul(256)
                    .and_then(|v| v.checked_add(u64::from(b)))
                    .ok_or_else(|| self.err(offset, format!("{what} overflows 64 bits")))?;
            }
            return Ok(v);
        }
        let text: Vec<u8> = field
            .iter()
            .copied()
            .skip_while(|&b| b == b' ' || b == 0)
            .take_while(|&b| b != b' ' && b != 0)
            .collect();
        let mut v: u64 = 0;
        for b in text {
            if !(b'0'..=b'7').contains(&b) {
                return Err(self.err(offset, format!("{what} field is not octal")));
            }
            v = v
                .checked_mul(8)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or_else(|| self.err(offset, format!("{what} overflows 64 bits")))?;
        }
        Ok(v)
    }

    fn parse_pax(&self, data: &[u8], offset: u64, p: &mut Pending) -> Result<()> {
        let mut rest = data;
        while !rest.is_empty() {
            if rest.iter().all(|&b| b == 0) {
                break;
            }
            let sp = rest
                .iter()
                .position(|&b| b == b' ')
                .ok_or_else(|| self.err(offset, "PAX record without a length"))?;
            let len: usize = std::str::from_utf8(&rest[..sp])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| self.err(offset, "PAX record length is not a number"))?;
            if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
                return Err(self.err(offset, "PAX record length does not fit the header"));
            }
            let record = &rest[sp + 1..len - 1];
            rest = &rest[len..];
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| self.err(offset, "PAX record without '='"))?;
            let key = String::from_utf8_lossy(&record[..eq]);
            let value = String::from_utf8_lossy(&record[eq + 1..]).into_owned();
            let num = |v: &str, what: &str| -> Result<u64> {
                v.parse::<u64>()
                    .map_err(|_| self.err(offset, format!("PAX {what} {v:?} is not a number")))
            };
            match &*key {
                "path" => p.path = Some(value),
                "linkpath" => p.link = Some(value),
                "size" => p.size = Some(num(&value, "size")?),
                "uid" => p.uid = Some(num(&value, "uid")?),
                "gid" => p.gid = Some(num(&value, "gid")?),
                "mtime" => {
                    let whole = value.split('.').next().unwrap_or("0");
                    p.mtime = Some(whole.parse::<i64>().map_err(|_| {
                        self.err(offset, format!("PAX mtime {value:?} is not a number"))
                    })?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the current entry's data; `Ok(0)` at its end.
    pub(crate) fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let start = self.pos;
        loop {
            match self.inner.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(self.err(start, "truncated: the stream ends inside an entry's data"))
                }
                Ok(n) => {
                    self.pos += n as u64;
                    self.remaining -= n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e, start, "an entry's data")),
            }
        }
    }
}

fn pad(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// One file's place inside an archive read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArchiveEntry {
    pub(crate) offset: u64,
    pub(crate) size: u64,
}
