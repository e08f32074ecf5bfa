//! Resource caps for reading untrusted images, with defaults sized for real service images.

use std::fmt;

/// The caps applied while reading an image. Every one is checked before memory is committed,
/// so a hostile image costs at most these amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Total decompressed bytes over all layers. Default 8 GiB.
    pub max_decompressed_bytes: u64,
    /// Total tar entries over all layers (whiteouts included). Default 1,000,000.
    pub max_entries: u64,
    /// Longest path or link target, in bytes. Default 4096 (Linux `PATH_MAX`).
    pub max_path_len: u64,
    /// Largest PAX extended header, in bytes. Default 1 MiB.
    pub max_pax_header: u64,
    /// Largest ratio of decompressed to compressed bytes in one layer. Default 200.
    pub max_compression_ratio: u64,
    /// The ratio is only judged once a layer has produced this many decompressed bytes, so
    /// small, very compressible layers pass. Default 16 MiB.
    pub compression_ratio_grace: u64,
    /// Content retained for one requested file; larger files keep metadata only. Default 1 MiB.
    pub max_file_content: u64,
    /// Content retained for all requested files together. Default 64 MiB.
    pub max_total_content: u64,
    /// Largest JSON document (manifest, index, config, `manifest.json`). Default 8 MiB.
    pub max_json_bytes: u64,
    /// Deepest chain of nested indexes followed. Default 4.
    pub max_index_depth: u64,
    /// Memory one image read may hold: the file tree's entries, names and findings, the
    /// retained content, and an archive's member index. Default 512 MiB.
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed_bytes: 8 << 30,
            max_entries: 1_000_000,
            max_path_len: 4096,
            max_pax_header: 1 << 20,
            max_compression_ratio: 200,
            compression_ratio_grace: 16 << 20,
            max_file_content: 1 << 20,
            max_total_content: 64 << 20,
            max_json_bytes: 8 << 20,
            max_index_depth: 4,
            max_memory: 512 << 20,
        }
    }
}

/// Names one of the caps in [`Limits`], for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_decompressed_bytes`].
    DecompressedBytes,
    /// [`Limits::max_entries`].
    Entries,
    /// [`Limits::max_path_len`].
    PathLength,
    /// [`Limits::max_pax_header`].
    PaxHeader,
    /// [`Limits::max_compression_ratio`].
    CompressionRatio,
    /// [`Limits::max_total_content`].
    TotalContent,
    /// [`Limits::max_json_bytes`].
    JsonBytes,
    /// [`Limits::max_index_depth`].
    IndexDepth,
    /// [`Limits::max_memory`].
    Memory,
}

impl Limit {
    /// A short description of what is capped.
    pub fn description(self) -> &'static str {
        match self {
            Limit::DecompressedBytes => "total decompressed layer bytes",
            Limit::Entries => "number of tar entries",
            Limit::PathLength => "path length",
            Limit::PaxHeader => "PAX extended header size",
            Limit::CompressionRatio => "compression ratio",
            Limit::TotalContent => "total retained file content",
            Limit::JsonBytes => "JSON document size",
            Limit::IndexDepth => "nested index depth",
            Limit::Memory => "memory held by the image read",
        }
    }

    /// The field of [`Limits`] that sets it.
    pub fn field(self) -> &'static str {
        match self {
            Limit::DecompressedBytes => "max_decompressed_bytes",
            Limit::Entries => "max_entries",
            Limit::PathLength => "max_path_len",
            Limit::PaxHeader => "max_pax_header",
            Limit::CompressionRatio => "max_compression_ratio",
            Limit::TotalContent => "max_total_content",
            Limit::JsonBytes => "max_json_bytes",
            Limit::IndexDepth => "max_index_depth",
            Limit::Memory => "max_memory",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}
