//! The one budget of a read: the content kept ([`Limits::max_total_content`]) and the memory
//! the whole filesystem holds ([`Limits::max_memory`]). Every byte kept is charged here
//! before it is kept, and given back when it is dropped.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{Limit, Limits};

#[derive(Debug)]
pub(super) struct Budget {
    content: u64,
    max_content: u64,
    memory: u64,
    max_memory: u64,
}

impl Budget {
    pub(super) fn new(limits: &Limits) -> Budget {
        Budget {
            content: 0,
            max_content: limits.max_total_content,
            memory: 0,
            max_memory: limits.max_memory,
        }
    }

    /// Charges `bytes` of retained file content (which is memory too), read in `layer`.
    pub(super) fn charge_content(&mut self, bytes: u64, layer: Option<usize>) -> Result<()> {
        if self.content + bytes > self.max_content {
            return Err(exceeded(Limit::TotalContent, self.max_content, layer));
        }
        self.charge_memory(bytes, layer)?;
        self.content += bytes;
        Ok(())
    }

    /// Gives back content charged with [`Budget::charge_content`].
    pub(super) fn release_content(&mut self, bytes: u64) {
        self.content = self.content.saturating_sub(bytes);
        self.release_memory(bytes);
    }

    /// Charges `bytes` of memory held by the filesystem, while reading `layer`.
    pub(super) fn charge_memory(&mut self, bytes: u64, layer: Option<usize>) -> Result<()> {
        if self.memory + bytes > self.max_memory {
            return Err(exceeded(Limit::Memory, self.max_memory, layer));
        }
        self.memory += bytes;
        Ok(())
    }

    /// Gives back memory charged with [`Budget::charge_memory`].
    pub(super) fn release_memory(&mut self, bytes: u64) {
        self.memory = self.memory.saturating_sub(bytes);
    }
}

fn exceeded(limit: Limit, max: u64, layer: Option<usize>) -> Error {
    Error::new(ErrorKind::LimitExceeded {
        limit,
        max,
        layer,
        digest: None,
    })
}
