//! Formatting: the same code as `tensen fmt`. A file with syntax errors is
//! left alone, as `fmt` leaves it.

use super::{LineIndex, Range, Snapshot};

/// The whole-file edit that formats `name`: (the range to replace, the new
/// text), or `None` if it is formatted already or cannot be formatted.
pub fn formatting(snap: &Snapshot, name: &str) -> Option<(Range, String)> {
    let file = snap.file_id(name)?;
    let text = snap.text(file);
    let formatted = crate::syntax::format::format_source(text).ok()?;
    if formatted == text {
        return None;
    }
    let index = LineIndex::new(text);
    Some((
        index.range(crate::syntax::Span::new(0, text.len())),
        formatted,
    ))
}
