//! Content digests (`sha256:<hex>`, `sha512:<hex>`) and a reader that verifies one while streaming.

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{BlobRole, Error, ErrorKind, Result};

/// A digest algorithm this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, 64 hex digits.
    Sha256,
    /// SHA-512, 128 hex digits.
    Sha512,
}

impl Algorithm {
    /// The name used in digest strings and `blobs/<alg>/` paths.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A content digest such as `sha256:e3b0c442...`.
///
/// Only the two algorithms registered by the OCI image spec are accepted, with lowercase
/// hex of the exact length, so a digest is always safe to use as a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
    pub fn parse(input: &str) -> Result<Digest> {
        let bad = |reason: &str| {
            Error::new(ErrorKind::InvalidDigest {
                input: input.chars().take(200).collect(),
                reason: reason.to_string(),
            })
        };
        let (alg, hex) = input
            .split_once(':')
            .ok_or_else(|| bad("no ':' between algorithm and hex"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(bad("unknown algorithm")),
        };
        if hex.len() != algorithm.hex_len() {
            return Err(bad(&format!(
                "{} needs {} hex digits, found {}",
                algorithm.name(),
                algorithm.hex_len(),
                hex.len()
            )));
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("the hex part must be lowercase 0-9a-f"));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// The digest of `bytes` with `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut h = Hasher::new(algorithm);
        h.update(bytes);
        h.finish()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part (lowercase).
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The blob's path inside an OCI layout: `blobs/<alg>/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm.name(), self.hex)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Digest> {
        Digest::parse(s)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An incremental hasher for either algorithm.
#[derive(Debug, Clone)]
pub struct Hasher {
    inner: HasherInner,
}

#[derive(Debug, Clone)]
enum HasherInner {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algorithm: Algorithm) -> Hasher {
        let inner = match algorithm {
            Algorithm::Sha256 => HasherInner::Sha256(Sha256::new()),
            Algorithm::Sha512 => HasherInner::Sha512(Sha512::new()),
        };
        Hasher { inner }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.inner {
            HasherInner::Sha256(h) => h.update(bytes),
            HasherInner::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        let (algorithm, bytes) = match self.inner {
            HasherInner::Sha256(h) => (Algorithm::Sha256, h.finalize().to_vec()),
            HasherInner::Sha512(h) => (Algorithm::Sha512, h.finalize().to_vec()),
        };
        Digest {
            algorithm,
            hex: to_hex(&bytes),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// A reader that hashes and counts what passes through it and, instead of reporting the end
/// of the stream, reports an error when the content does not match the expected digest and
/// size. Reading past the expected size fails at once, so a lying size never makes a reader
/// consume more than it promised.
#[derive(Debug)]
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Digest,
    expected_size: u64,
    read: u64,
    role: BlobRole,
    path: String,
    failed: bool,
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies `inner` against `expected` and `expected_size`; `role` and `path` name the
    /// blob in errors.
    pub fn new(
        inner: R,
        expected: Digest,
        expected_size: u64,
        role: BlobRole,
        path: impl Into<String>,
    ) -> VerifyingReader<R> {
        VerifyingReader {
            inner,
            hasher: Some(Hasher::new(expected.algorithm())),
            expected,
            expected_size,
            read: 0,
            role,
            path: path.into(),
            failed: false,
        }
    }

    /// Reads what is left and checks the digest and size.
    pub fn finish(mut self) -> Result<()> {
        io::copy(&mut self, &mut io::sink()).map_err(|e| {
            Error::from_io(e, || format!("reading {} blob at {}", self.role, self.path))
        })?;
        Ok(())
    }

    fn size_error(&self, actual: u64) -> Error {
        Error::new(ErrorKind::SizeMismatch {
            role: self.role.clone(),
            digest: self.expected.clone(),
            expected: self.expected_size,
            actual,
            path: self.path.clone(),
        })
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.failed {
            // Never let a failed blob look like a clean end of stream on a retry.
            return Err(io::Error::other(format!(
                "{} blob at {} failed verification",
                self.role, self.path
            )));
        }
        let Some(hasher) = self.hasher.as_mut() else {
            return Ok(0);
        };
        let n = self.inner.read(buf)?;
        if n > 0 {
            hasher.update(&buf[..n]);
            self.read += n as u64;
            if self.read > self.expected_size {
                self.failed = true;
                return Err(self.size_error(self.read).into_io());
            }
            return Ok(n);
        }
        // End of stream: check size, then digest.
        let hasher = self
            .hasher
            .take()
            .unwrap_or_else(|| Hasher::new(Algorithm::Sha256));
        if self.read != self.expected_size {
            self.failed = true;
            return Err(self.size_error(self.read).into_io());
        }
        let actual = hasher.finish();
        if actual != self.expected {
            self.failed = true;
            return Err(Error::new(ErrorKind::DigestMismatch {
                role: self.role.clone(),
                expected: self.expected.clone(),
                actual,
                path: self.path.clone(),
            })
            .into_io());
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::of(Algorithm::Sha256, b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(&d.to_string()).ok(), Some(d));
        let d512 = Digest::of(Algorithm::Sha512, b"x");
        assert!(Digest::parse(&d512.to_string()).is_ok());
        for bad in [
            "",
            "sha256",
            "sha256:abc",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            let e = Digest::parse(bad).err().map(|e| e.to_string());
            assert!(
                e.is_some_and(|e| e.contains("expected sha256:<64 hex>")),
                "{bad}"
            );
        }
    }

    #[test]
    fn verifier_reports_mismatch_at_end() {
        let d = Digest::of(Algorithm::Sha256, b"hello");
        let mut ok = VerifyingReader::new(&b"hello"[..], d.clone(), 5, BlobRole::Config, "x");
        assert!(io::copy(&mut ok, &mut io::sink()).is_ok());
        let bad = VerifyingReader::new(&b"hellp"[..], d.clone(), 5, BlobRole::Config, "x");
        let e = bad
            .finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("does not match its digest"), "{e}");
        let long = VerifyingReader::new(&b"hello!"[..], d, 5, BlobRole::Layer(1), "x");
        let e = long
            .finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("layer 1") && e.contains("wrong size"), "{e}");
    }
}
