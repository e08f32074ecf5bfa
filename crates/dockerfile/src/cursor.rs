//! A reading position in a string, advanced a character at a time: the state of the word
//! expander's and the shell splitter's scanners.

/// The text and the byte offset of its next character.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    /// At the start of `s`.
    pub(crate) fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    /// The next character, left unread.
    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Reads the next character.
    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }

    /// The text not read yet.
    pub(crate) fn rest(&self) -> &'a str {
        self.s.get(self.i..).unwrap_or("")
    }

    /// Reads `n` bytes at once (at most the rest; `n` must end on a character boundary).
    pub(crate) fn skip(&mut self, n: usize) {
        self.i += n.min(self.s.len() - self.i);
    }
}
