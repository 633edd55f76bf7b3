//! Go to definition and find references, for items (signals, sequences,
//! guardrails, sources, `let` constants) across the workspace.

use super::refs::{self, Target};
use super::{LineIndex, Pos, Range, Snapshot};
use crate::check::FileId;
use crate::syntax::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The file's name in the snapshot (a path, or a prelude name).
    pub file: String,
    pub range: Range,
}

/// The item named at `pos`, and where that name is written.
pub(super) fn item_at(snap: &Snapshot, name: &str, pos: Pos) -> Option<(String, Range)> {
    let file = snap.file_id(name)?;
    let index = LineIndex::new(snap.text(file));
    let offset = index.offset(pos);
    refs::at_offset(&snap.analysis, file, offset)
        .into_iter()
        .find_map(|r| match &r.target {
            Target::Item(n) if snap.analysis.symbols.contains_key(n) => {
                Some((n.clone(), index.range(r.span)))
            }
            _ => None,
        })
}

/// Where the item named at `pos` is defined (or the element name bound by
/// the `any(x in ...)` around it).
pub fn definition(snap: &Snapshot, name: &str, pos: Pos) -> Option<Location> {
    if let Some((file, at, _)) = binding_at(snap, name, pos) {
        return Some(Location {
            file: name.to_string(),
            range: LineIndex::new(snap.text(file)).range(at),
        });
    }
    let (item, _) = item_at(snap, name, pos)?;
    let sym = snap.analysis.symbols.get(&item)?;
    Some(Location {
        file: snap.name(sym.file).to_string(),
        range: LineIndex::new(snap.text(sym.file)).range(sym.name_span),
    })
}

/// Every place that names the item at `pos` (or the name bound by the
/// `any(x in ...)` there), its definition first if `with_definition`.
pub fn references(snap: &Snapshot, name: &str, pos: Pos, with_definition: bool) -> Vec<Location> {
    if let Some(uses) = local_uses(snap, name, pos) {
        return uses
            .into_iter()
            .filter(|(_, definition)| with_definition || !definition)
            .map(|(l, _)| l)
            .collect();
    }
    match item_at(snap, name, pos) {
        Some((item, _)) => references_to(snap, &item, with_definition),
        None => Vec::new(),
    }
}

/// If `pos` is on a name bound by `any(x in LIST: ...)`: where it is bound
/// and every use of it, in order, each with whether it is the binding.
pub(super) fn local_uses(snap: &Snapshot, name: &str, pos: Pos) -> Option<Vec<(Location, bool)>> {
    let (file, bound_at, _) = binding_at(snap, name, pos)?;
    let index = LineIndex::new(snap.text(file));
    let uses = refs::collect(&snap.analysis, file)
        .into_iter()
        .filter(|r| matches!(r.target, Target::Local { at, .. } if at == bound_at))
        .map(|r| {
            let at = Location {
                file: name.to_string(),
                range: index.range(r.span),
            };
            (at, r.definition)
        })
        .collect();
    Some(uses)
}

/// The name bound by `any(x in LIST: ...)` at `pos`: its file, where it
/// is bound and the condition it is bound for.
pub(super) fn binding_at(snap: &Snapshot, name: &str, pos: Pos) -> Option<(FileId, Span, Span)> {
    let file = snap.file_id(name)?;
    let offset = LineIndex::new(snap.text(file)).offset(pos);
    refs::at_offset(&snap.analysis, file, offset)
        .into_iter()
        .find_map(|r| match r.target {
            Target::Local { at, body, .. } => Some((file, at, body)),
            _ => None,
        })
}

/// Every place in the user's files that names `item`.
pub(super) fn references_to(snap: &Snapshot, item: &str, with_definition: bool) -> Vec<Location> {
    let mut out = Vec::new();
    for pf in &snap.analysis.files {
        let builtin = snap.sources.get(pf.id).is_some_and(|f| f.builtin);
        if builtin {
            continue;
        }
        let index = LineIndex::new(snap.text(pf.id));
        for r in refs::collect(&snap.analysis, pf.id) {
            if r.target == Target::Item(item.to_string()) && (with_definition || !r.definition) {
                out.push(Location {
                    file: snap.name(pf.id).to_string(),
                    range: index.range(r.span),
                });
            }
        }
    }
    out
}
