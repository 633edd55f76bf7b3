//! Folding ranges: every item and every clause block that spans lines.

use super::{LineIndex, Snapshot};
use crate::syntax::ast::{ClauseKind, ItemKind};

/// (first line, last line) of each foldable region, in order.
pub fn folding_ranges(snap: &Snapshot, name: &str) -> Vec<(u32, u32)> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let Some(pf) = snap.analysis.file(file) else {
        return Vec::new();
    };
    let index = LineIndex::new(snap.text(file));
    let mut out = Vec::new();
    let mut add = |span: crate::syntax::Span| {
        let r = index.range(span);
        if r.end.line > r.start.line {
            out.push((r.start.line, r.end.line));
        }
    };
    for item in &pf.parsed.file.items {
        add(item.span);
        let clauses = match &item.kind {
            ItemKind::Block(b) => b.clauses.as_slice(),
            ItemKind::Test { clauses, .. } => clauses.as_slice(),
            _ => &[],
        };
        for c in clauses {
            if matches!(c.kind, ClauseKind::Steps(_) | ClauseKind::Event { .. }) {
                add(c.span);
            }
        }
    }
    out
}
