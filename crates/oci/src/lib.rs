//! TODO: crate being written
