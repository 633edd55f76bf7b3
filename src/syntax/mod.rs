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
