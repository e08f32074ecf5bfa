//! A tar writer for fixtures: ustar entries with a PAX header for long names, and the pieces
//! (`header`, `octal`, `fix_checksum`, `raw`) to write what no good writer would, for the
//! readers' hostile-input tests.

/// Writes `v` as zero-padded octal, NUL-terminated, filling `field`.
pub fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

/// A ustar header owned by 0:0, dated 1 700 000 000; names and links over 100 bytes are cut
/// (an [`Tar::entry`] writes a PAX header for them first).
pub fn header(name: &str, typeflag: u8, size: u64, mode: u32, link: &str) -> [u8; 512] {
    header_owned(name, typeflag, size, mode, 0, 0, link)
}

/// [`header`] with an owner.
pub fn header_owned(
    name: &str,
    typeflag: u8,
    size: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    link: &str,
) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.as_bytes();
    h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], u64::from(uid));
    octal(&mut h[116..124], u64::from(gid));
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    let l = link.as_bytes();
    h[157..157 + l.len().min(100)].copy_from_slice(&l[..l.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    fix_checksum(&mut h);
    h
}

/// Recomputes the header's checksum (after a test changed a field).
pub fn fix_checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

/// A tar stream built in memory; each method appends one entry and returns the writer, so
/// entries chain: `Tar::new().dir("app/").file("app/x", b"x").finish()`.
#[derive(Debug, Default)]
pub struct Tar {
    pub buf: Vec<u8>,
}

impl Tar {
    pub fn new() -> Tar {
        Tar::default()
    }

    /// A header as given, then `data` padded to 512 bytes.
    pub fn raw(&mut self, h: &[u8; 512], data: &[u8]) -> &mut Tar {
        self.buf.extend_from_slice(h);
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    /// An entry owned by 0:0.
    pub fn entry(
        &mut self,
        name: &str,
        typeflag: u8,
        mode: u32,
        link: &str,
        data: &[u8],
    ) -> &mut Tar {
        self.entry_owned(name, typeflag, mode, 0, 0, link, data)
    }

    /// An entry, preceded by a PAX header when its name or link is over 100 bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn entry_owned(
        &mut self,
        name: &str,
        typeflag: u8,
        mode: u32,
        uid: u32,
        gid: u32,
        link: &str,
        data: &[u8],
    ) -> &mut Tar {
        if name.len() > 100 || link.len() > 100 {
            let mut pax = Vec::new();
            for (k, v) in [("path", name), ("linkpath", link)] {
                if v.is_empty() {
                    continue;
                }
                let rec = format!("{k}={v}\n");
                // The length counts its own digits: iterate to the fixed point.
                let mut len = rec.len() + 2;
                loop {
                    let l = rec.len() + 1 + len.to_string().len();
                    if l == len {
                        break;
                    }
                    len = l;
                }
                pax.extend_from_slice(format!("{len} {rec}").as_bytes());
            }
            let h = header("PaxHeaders/x", b'x', pax.len() as u64, 0o644, "");
            self.raw(&h, &pax);
        }
        let h = header_owned(name, typeflag, data.len() as u64, mode, uid, gid, link);
        self.raw(&h, data)
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Tar {
        self.entry(name, b'0', 0o644, "", data)
    }

    pub fn file_mode(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Tar {
        self.entry(name, b'0', mode, "", data)
    }

    pub fn dir(&mut self, name: &str) -> &mut Tar {
        self.entry(name, b'5', 0o755, "", b"")
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name, b'2', 0o777, target, b"")
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name, b'1', 0o644, target, b"")
    }

    /// The stream with its two zero blocks; the writer is left empty.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend(std::iter::repeat_n(0u8, 1024));
        out
    }
}
