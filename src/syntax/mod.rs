//! The syntax layer: tokens, grammar glue, the tree, templates and the
//! formatter. It knows nothing of records, schemas or evaluation, so the
//! formatter and the editor features depend on it alone.

pub mod ast;
pub mod format;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod template;
pub mod token;
pub mod visit;

pub use token::token_text;

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// Where each line of a text starts (byte offsets): the line of an offset
/// by a binary search, for the renderers of positions (terminal and JSON
/// diagnostics count characters, the language server UTF-16 units).
#[derive(Debug, Clone)]
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    pub fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineStarts(starts)
    }

    /// The 0-based line of `offset`, and the offset where that line starts.
    pub fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = self.0.partition_point(|s| *s <= offset).saturating_sub(1);
        (line, self.start(line).unwrap_or(0))
    }

    /// Where 0-based line `line` starts, if the text has it.
    pub fn start(&self, line: usize) -> Option<usize> {
        self.0.get(line).copied()
    }
}
