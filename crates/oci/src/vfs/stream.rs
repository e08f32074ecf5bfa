//! The verified layer stream: a layer blob decoded (plain or gzip), counted against the
//! decompression caps, hashed for its diff id and read as tar entries.
//!
//! The chain is `CountIn` (compressed bytes) → `BufReader` → `Decoder` (gzip or plain) →
//! `Capped` (decompressed bytes, ratio, diff-id hash) → `Streaming` → `TarReader`; a caller
//! sees only [`walk_layer`], which drives it, and [`reread_layer`], the second pass.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

use super::entry::{Content, EntryKind};
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};
use crate::tar::{StreamCtx, Streaming, TarHeader, TarReader};
use crate::transport::ImageSource;

/// One layer as the manifest and config describe it.
pub(super) struct LayerCtx {
    pub(super) index: usize,
    pub(super) digest: Digest,
    pub(super) diff_id: Option<Digest>,
}

impl LayerCtx {
    /// Every layer of `source`, bottom first.
    pub(super) fn all(source: &dyn ImageSource) -> Vec<LayerCtx> {
        source
            .manifest()
            .layers
            .iter()
            .enumerate()
            .map(|(i, d)| LayerCtx {
                index: i,
                digest: d.digest.clone(),
                diff_id: source.config().rootfs.diff_ids.get(i).cloned(),
            })
            .collect()
    }
}

/// Counts the compressed bytes read.
pub(super) struct CountIn<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

pub(super) enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(MultiGzDecoder<R>, usize, Digest),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d, layer, digest) => d.read(buf).map_err(|e| {
                if e.get_ref().is_some_and(|i| i.is::<Error>()) {
                    e
                } else {
                    Error::new(ErrorKind::Decompress {
                        layer: *layer,
                        digest: digest.clone(),
                        source: e,
                    })
                    .into_io()
                }
            }),
        }
    }
}

/// Counts decompressed bytes against the caps and hashes them for the diff id.
pub(super) struct Capped<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    layer_bytes: u64,
    total_before: u64,
    hasher: Hasher,
    max_total: u64,
    max_ratio: u64,
    grace: u64,
    layer: usize,
    digest: Digest,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.layer_bytes += n as u64;
        self.hasher.update(&buf[..n]);
        let limit = |limit, max| {
            Error::new(ErrorKind::LimitExceeded {
                limit,
                max,
                layer: Some(self.layer),
                digest: Some(self.digest.clone()),
            })
            .into_io()
        };
        if self.total_before + self.layer_bytes > self.max_total {
            return Err(limit(Limit::DecompressedBytes, self.max_total));
        }
        if self.layer_bytes > self.grace
            && self.layer_bytes / self.compressed.get().max(1) > self.max_ratio
        {
            return Err(limit(Limit::CompressionRatio, self.max_ratio));
        }
        Ok(n)
    }
}

pub(super) type Decoded<'a> = Decoder<BufReader<CountIn<Box<dyn Read + 'a>>>>;

/// A layer's tar entries, read through the whole verifying chain.
pub(super) type LayerTar<'a> = TarReader<Streaming<Capped<Decoded<'a>>>>;

/// Counters kept across the layers of one pass.
#[derive(Default)]
pub(super) struct Counters {
    decompressed: u64,
    entries: u64,
}

/// Reads layer `ctx.index`, calling `visit` for each entry; verifies the blob and diff id.
pub(super) fn walk_layer(
    source: &dyn ImageSource,
    ctx: &LayerCtx,
    limits: &Limits,
    counters: &mut Counters,
    visit: &mut dyn FnMut(&TarHeader, &mut LayerTar<'_>) -> Result<()>,
) -> Result<()> {
    let mut tar = open_tar(source, ctx, limits, counters.decompressed)?;
    let result = match visit_entries(&mut tar, ctx, limits, counters, visit) {
        Ok(()) => finish_layer(ctx, tar.into_inner().0, counters),
        Err(e) => Err(e),
    };
    result.map_err(|e| root_cause(source, ctx, e))
}

/// A malformed stream is often a blob that is not what its descriptor says: the digest or
/// size mismatch, the root cause, when there is one, else `e`.
fn root_cause(source: &dyn ImageSource, ctx: &LayerCtx, e: Error) -> Error {
    if !matches!(
        e.kind(),
        ErrorKind::Tar { .. } | ErrorKind::Decompress { .. }
    ) {
        return e;
    }
    let raw = source.open_layer(ctx.index);
    match raw.map(|mut raw| io::copy(&mut raw, &mut io::sink())) {
        Err(open) => open,
        Ok(Err(v)) => Error::from_io(v, || format!("reading layer {}", ctx.index)),
        Ok(Ok(_)) => e,
    }
}

/// The verifying chain over layer `ctx`, after `decompressed` bytes of earlier layers.
fn open_tar<'a>(
    source: &'a dyn ImageSource,
    ctx: &LayerCtx,
    limits: &Limits,
    decompressed: u64,
) -> Result<LayerTar<'a>> {
    let compressed = Rc::new(Cell::new(0u64));
    let capped = Capped {
        inner: open_decoder(source, ctx, compressed.clone())?,
        compressed,
        layer_bytes: 0,
        total_before: decompressed,
        hasher: Hasher::new(Algorithm::Sha256),
        max_total: limits.max_decompressed_bytes,
        max_ratio: limits.max_compression_ratio,
        grace: limits.compression_ratio_grace,
        layer: ctx.index,
        digest: ctx.digest.clone(),
    };
    let stream = StreamCtx {
        name: format!("layer {} ({})", ctx.index, ctx.digest),
        layer: Some(ctx.index),
        digest: Some(ctx.digest.clone()),
    };
    Ok(TarReader::new(
        Streaming(capped),
        limits.max_path_len,
        limits.max_pax_header,
        stream,
    ))
}

/// Calls `visit` for each entry, counting entries against the cap.
fn visit_entries(
    tar: &mut LayerTar<'_>,
    ctx: &LayerCtx,
    limits: &Limits,
    counters: &mut Counters,
    visit: &mut dyn FnMut(&TarHeader, &mut LayerTar<'_>) -> Result<()>,
) -> Result<()> {
    while let Some(h) = tar.next_entry()? {
        counters.entries += 1;
        if counters.entries > limits.max_entries {
            return Err(Error::new(ErrorKind::LimitExceeded {
                limit: Limit::Entries,
                max: limits.max_entries,
                layer: Some(ctx.index),
                digest: Some(ctx.digest.clone()),
            }));
        }
        visit(&h, tar)?;
    }
    Ok(())
}

/// Opens the layer blob and picks its decoder from the magic bytes.
fn open_decoder<'a>(
    source: &'a dyn ImageSource,
    ctx: &LayerCtx,
    compressed: Rc<Cell<u64>>,
) -> Result<Decoded<'a>> {
    let what = || format!("reading layer {} ({})", ctx.index, ctx.digest);
    let raw = source.open_layer(ctx.index)?;
    let mut buffered = BufReader::with_capacity(
        64 * 1024,
        CountIn {
            inner: raw,
            count: compressed,
        },
    );
    let magic = buffered
        .fill_buf()
        .map_err(|e| Error::from_io(e, what))?
        .to_vec();
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Decoder::Gzip(
            MultiGzDecoder::new(buffered),
            ctx.index,
            ctx.digest.clone(),
        ))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Err(Error::new(ErrorKind::ZstdNotSupported {
            layer: ctx.index,
            digest: ctx.digest.clone(),
        }))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) || magic.starts_with(b"BZh") {
        Err(Error::new(ErrorKind::Unsupported {
            what: format!(
                "layer {} ({}) is xz- or bzip2-compressed; only tar and gzip layers are read",
                ctx.index, ctx.digest
            ),
        }))
    } else {
        Ok(Decoder::Plain(buffered))
    }
}

/// Drains what follows the end marker, so the blob's digest and size are checked, and
/// compares the decompressed bytes with the diff id.
fn finish_layer(
    ctx: &LayerCtx,
    mut capped: Capped<Decoded<'_>>,
    counters: &mut Counters,
) -> Result<()> {
    let what = || format!("reading layer {} ({})", ctx.index, ctx.digest);
    io::copy(&mut capped, &mut io::sink()).map_err(|e| Error::from_io(e, what))?;
    counters.decompressed += capped.layer_bytes;
    let actual = capped.hasher.finish();
    if let Some(expected) = &ctx.diff_id {
        if expected.algorithm() == Algorithm::Sha256 && &actual != expected {
            return Err(Error::new(ErrorKind::DiffIdMismatch {
                layer: ctx.index,
                expected: expected.clone(),
                actual,
            }));
        }
    }
    Ok(())
}

/// The content of a regular-file entry whose data the reader is at: its bytes when `size`
/// fits under `max_file`, otherwise [`Content::TooLarge`].
pub(super) fn entry_content(tar: &mut LayerTar<'_>, size: u64, max_file: u64) -> Result<Content> {
    if size > max_file {
        return Ok(Content::TooLarge);
    }
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        let n = tar.read_data(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(Content::Retained(buf))
}

/// The second pass: reads layer `ctx` again (verified as on the first pass) and returns the
/// content of the regular-file entries at the positions in `wanted`.
pub(super) fn reread_layer(
    source: &dyn ImageSource,
    ctx: &LayerCtx,
    limits: &Limits,
    wanted: &BTreeSet<u64>,
) -> Result<HashMap<u64, Content>> {
    let mut found = HashMap::new();
    let mut ordinal = 0u64;
    let mut counters = Counters::default();
    walk_layer(source, ctx, limits, &mut counters, &mut |h, tar| {
        ordinal += 1;
        if h.kind == EntryKind::File && wanted.contains(&(ordinal - 1)) {
            found.insert(
                ordinal - 1,
                entry_content(tar, h.size, limits.max_file_content)?,
            );
        }
        Ok(())
    })?;
    Ok(found)
}
