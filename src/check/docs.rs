//! Attaches `///` doc comments to what they document: an item, or a
//! `field`, `derive` or `entity` clause, when only whitespace separates them.

use std::collections::BTreeSet;

use crate::syntax::lexer::{Comment, CommentKind};

/// Doc comments of one file, and which of them were claimed.
pub struct DocComments<'a> {
    src: &'a str,
    comments: &'a [Comment],
    used: BTreeSet<usize>,
}

impl<'a> DocComments<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment]) -> DocComments<'a> {
        DocComments {
            src,
            comments,
            used: BTreeSet::new(),
        }
    }

    /// The doc text for something that starts at `start`, markers removed.
    pub fn take(&mut self, start: usize) -> Option<String> {
        let mut idx = self.comments.partition_point(|c| c.span.end <= start);
        let mut next_start = start;
        let mut lines = Vec::new();
        while idx > 0 {
            idx -= 1;
            let Some(c) = self.comments.get(idx) else {
                break;
            };
            let gap = self.src.get(c.span.end..next_start).unwrap_or("x");
            if c.kind != CommentKind::Doc || !gap.chars().all(char::is_whitespace) {
                break;
            }
            self.used.insert(idx);
            let text = c.text.strip_prefix("///").unwrap_or(&c.text);
            lines.push(text.strip_prefix(' ').unwrap_or(text).to_string());
            next_start = c.span.start;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    /// Doc comments that no item or clause claimed.
    pub fn dangling(&self) -> impl Iterator<Item = &Comment> + '_ {
        self.comments
            .iter()
            .enumerate()
            .filter(|(i, c)| c.kind == CommentKind::Doc && !self.used.contains(i))
            .map(|(_, c)| c)
    }
}
