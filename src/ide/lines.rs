//! Byte offsets ↔ LSP positions (line, UTF-16 code unit), which is how
//! editors count columns.

/// A position in a text: 0-based line and UTF-16 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

/// A range of positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: Pos,
    pub end: Pos,
}

/// Where each line starts, for one text.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: crate::syntax::LineStarts,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        LineIndex {
            text,
            starts: crate::syntax::LineStarts::new(text),
        }
    }

    /// The position of a byte offset (clamped to the text).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let (line, start) = self.starts.line_of(offset);
        let character = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.encode_utf16().count());
        Pos {
            line: line as u32,
            character: character as u32,
        }
    }

    pub fn range(&self, span: crate::syntax::Span) -> Range {
        Range {
            start: self.pos(span.start),
            end: self.pos(span.end),
        }
    }

    /// The byte offset of a position; past the end of a line is its end,
    /// past the last line is the end of the text.
    pub fn offset(&self, pos: Pos) -> usize {
        let Some(start) = self.starts.start(pos.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .start(pos.line as usize + 1)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        let line = self.text.get(start..end).unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }
}
