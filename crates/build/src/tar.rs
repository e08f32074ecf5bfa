//! A deterministic tar writer (POSIX ustar, with a PAX `path` record for names ustar cannot
//! hold): the bytes depend only on the entries given, never on the host (no user names, no
//! device numbers, no access times).

use std::io::{self, Read, Write};

/// What a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
}

/// The metadata of one entry; owner and time are the caller's fixed choices.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    pub(crate) path: &'a str,
    pub(crate) kind: Kind,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: u64,
    pub(crate) link: &'a str,
}

/// Writes tar entries to `W`; `finish` adds the two zero blocks.
#[derive(Debug)]
pub(crate) struct TarWriter<W: Write> {
    out: W,
}

fn octal(field: &mut [u8], value: u64) -> io::Result<()> {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{value} does not fit a {digits}-digit tar field"),
        ));
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

/// Splits `path` into ustar's prefix (155) and name (100), if it fits.
fn split_ustar(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    let bytes = path.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'/')
        .find(|&i| i <= 155 && bytes.len() - i - 1 <= 100 && i > 0)
        .map(|i| (&path[..i], &path[i + 1..]))
}

impl<W: Write> TarWriter<W> {
    pub(crate) fn new(out: W) -> TarWriter<W> {
        TarWriter { out }
    }

    fn raw_header(&mut self, h: &Header<'_>, name: &str, prefix: &str, flag: u8) -> io::Result<()> {
        let mut b = [0u8; 512];
        b[..name.len()].copy_from_slice(name.as_bytes());
        octal(&mut b[100..108], u64::from(h.mode & 0o7777))?;
        octal(&mut b[108..116], h.uid)?;
        octal(&mut b[116..124], h.gid)?;
        octal(&mut b[124..136], h.size)?;
        octal(&mut b[136..148], h.mtime)?;
        b[156] = flag;
        if h.link.len() > 100 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("symlink target of {} is over 100 bytes", h.path),
            ));
        }
        b[157..157 + h.link.len()].copy_from_slice(h.link.as_bytes());
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        b[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        let text = format!("{sum:06o}\0 ");
        b[148..156].copy_from_slice(text.as_bytes());
        self.out.write_all(&b)
    }

    /// Writes a header (and, for a name ustar cannot hold, a PAX record before it).
    pub(crate) fn header(&mut self, h: &Header<'_>) -> io::Result<()> {
        let flag = match h.kind {
            Kind::File => b'0',
            Kind::Dir => b'5',
            Kind::Symlink => b'2',
        };
        let (prefix, name) = match split_ustar(h.path) {
            Some(split) => split,
            None => {
                // "%d path=%s\n", where the length counts itself.
                let body_len = " path=\n".len() + h.path.len();
                let mut len = body_len + 1;
                while format!("{len}").len() + body_len != len {
                    len += 1;
                }
                let record = format!("{len} path={}\n", h.path);
                let pax = Header {
                    path: "PaxHeader",
                    kind: Kind::File,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    size: record.len() as u64,
                    mtime: h.mtime,
                    link: "",
                };
                self.raw_header(&pax, "PaxHeader", "", b'x')?;
                self.out.write_all(record.as_bytes())?;
                self.pad(record.len() as u64)?;
                ("", &h.path[..h.path.len().min(100)])
            }
        };
        self.raw_header(h, name, prefix, flag)
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rem = (size % 512) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; 512][..512 - rem])?;
        }
        Ok(())
    }

    /// A file whose `h.size` bytes come from `data`; fails if `data` holds fewer.
    pub(crate) fn file(&mut self, h: &Header<'_>, data: &mut dyn Read) -> io::Result<()> {
        self.header(h)?;
        let copied = io::copy(&mut data.take(h.size), &mut self.out)?;
        if copied != h.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: {copied} bytes, expected {}", h.path, h.size),
            ));
        }
        self.pad(h.size)
    }

    /// The end-of-archive marker; returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 1024])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_get_a_pax_record_and_sizes_are_checked() {
        let long = format!("app/{}/file", "d".repeat(200));
        let mut w = TarWriter::new(Vec::new());
        let h = Header {
            path: &long,
            kind: Kind::File,
            mode: 0o444,
            uid: 0,
            gid: 0,
            size: 3,
            mtime: 1,
            link: "",
        };
        w.file(&h, &mut &b"abc"[..]).unwrap();
        let bytes = w.finish().unwrap();
        assert_eq!(bytes[156], b'x');
        let text = String::from_utf8_lossy(&bytes[512..1024]).into_owned();
        let record = text.trim_end_matches('\0');
        let (len, rest) = record.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), record.len());
        assert_eq!(rest, format!("path={long}\n"));
        let mut w = TarWriter::new(Vec::new());
        assert!(w.file(&h, &mut &b"ab"[..]).is_err());
    }
}
