//! Gzipping layers for a classic `docker save` archive: a pool of worker threads, each
//! layer into a temporary file while its digest is computed, and the blob cache that lets a
//! later push skip compressing a layer the registry already has.

use std::io::{BufWriter, Read, Write};

use dockerflow_oci::digest::Hasher;
use dockerflow_oci::{Algorithm, Digest, ImageSource};
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// A gzipped layer: its temporary file, digest and size.
pub(super) type Compressed = (NamedTempFile, Digest, u64);

struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Uncompressed layer digest to the digest and size of its gzip, as compressed here before.
#[derive(Debug, Default)]
pub(super) struct BlobCache(std::collections::HashMap<Digest, (Digest, u64)>);

impl BlobCache {
    /// Reads the file (missing, unreadable or over 8 MiB: empty); bad lines are skipped.
    pub(super) fn read(path: &std::path::Path) -> BlobCache {
        let mut map = std::collections::HashMap::new();
        let text = match std::fs::metadata(path) {
            Ok(m) if m.len() <= 8 << 20 => std::fs::read_to_string(path).unwrap_or_default(),
            _ => String::new(),
        };
        for line in text.lines() {
            let mut parts = line.split(' ');
            if let (Some(a), Some(b), Some(n), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                if let (Ok(a), Ok(b), Ok(n)) = (Digest::parse(a), Digest::parse(b), n.parse()) {
                    map.insert(a, (b, n));
                }
            }
        }
        BlobCache(map)
    }

    pub(super) fn get(&self, uncompressed: &Digest) -> Option<&(Digest, u64)> {
        self.0.get(uncompressed)
    }

    /// Appends entries, one write per line; a failure only costs a later compression.
    pub(super) fn append(path: &std::path::Path, entries: &[(Digest, Digest, u64)]) {
        if entries.is_empty() {
            return;
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            for (a, b, n) in entries {
                let _ = f.write_all(format!("{a} {b} {n}\n").as_bytes());
            }
        }
    }
}

/// Gzips layer `index` of `source` into a temporary file (removed when dropped),
/// deterministically.
pub(super) fn compress_layer(source: &dyn ImageSource, index: usize) -> Result<Compressed> {
    let io = |what: String| move |e: std::io::Error| Error::Io { what, source: e };
    let temp = tempfile::Builder::new()
        .prefix("dockerflow-push-")
        .suffix(".gz")
        .tempfile()
        .map_err(io(
            "creating a temporary file for a gzipped layer".to_string()
        ))?;
    let path = temp.path().to_path_buf();
    let file = temp
        .reopen()
        .map_err(io(format!("opening {}", path.display())))?;
    let sink = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Hasher::new(Algorithm::Sha256),
        written: 0,
    };
    // Level 6 with no name and mtime 0: the same layer always gives the same bytes.
    let mut gz: GzEncoder<_> = GzBuilder::new().mtime(0).write(sink, Compression::new(6));
    let mut layer = source.open_layer(index)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = layer.read(&mut buf).map_err(|e| {
            Error::from_read(e, || {
                format!("reading layer {index} of {}", source.origin())
            })
        })?;
        if n == 0 {
            break;
        }
        gz.write_all(&buf[..n])
            .map_err(io(format!("writing {}", path.display())))?;
    }
    let mut sink = gz
        .finish()
        .map_err(io(format!("writing {}", path.display())))?;
    sink.flush()
        .map_err(io(format!("writing {}", path.display())))?;
    Ok((temp, sink.hasher.finish(), sink.written))
}

/// Layers being gzipped on worker threads, collected in order by the uploading thread, so
/// a layer goes up while the next ones are still compressing.
pub(super) struct Compressions {
    slots: std::sync::Mutex<Vec<Option<Result<Compressed>>>>,
    ready: std::sync::Condvar,
    next: std::sync::atomic::AtomicUsize,
    stop: std::sync::atomic::AtomicBool,
}

impl Compressions {
    pub(super) fn new(count: usize) -> Compressions {
        Compressions {
            slots: std::sync::Mutex::new((0..count).map(|_| None).collect()),
            ready: std::sync::Condvar::new(),
            next: std::sync::atomic::AtomicUsize::new(0),
            stop: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A worker: compresses the next layer not taken, until none is left or `stop`.
    pub(super) fn work(&self, source: &dyn ImageSource, indexes: &[usize]) {
        use std::sync::atomic::Ordering::Relaxed;
        while !self.stop.load(Relaxed) {
            let k = self.next.fetch_add(1, Relaxed);
            let Some(i) = indexes.get(k) else { break };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compress_layer(source, *i)
            }))
            .unwrap_or_else(|_| {
                Err(Error::Invalid {
                    reason: format!("compressing layer {i} panicked"),
                })
            });
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots[k] = Some(r);
            self.ready.notify_all();
        }
    }

    /// Tells the workers to take no new layer.
    pub(super) fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Waits for the `k`th layer asked for.
    pub(super) fn take(&self, k: usize) -> Result<Compressed> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = slots.get_mut(k).and_then(Option::take) {
                return r;
            }
            slots = self.ready.wait(slots).unwrap_or_else(|p| p.into_inner());
        }
    }
}
