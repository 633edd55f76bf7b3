//! Document and workspace symbols: the items of the rule files.

use super::{LineIndex, Range, Snapshot};
use crate::syntax::ast::{BlockKind, ItemKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Source,
    Signal,
    Sequence,
    Guardrail,
    Constant,
    Test,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub file: String,
    /// The whole item.
    pub range: Range,
    /// Its name.
    pub selection: Range,
}

fn of_file(snap: &Snapshot, file: crate::check::FileId) -> Vec<Symbol> {
    let Some(pf) = snap.analysis.file(file) else {
        return Vec::new();
    };
    let index = LineIndex::new(snap.text(file));
    let mut out = Vec::new();
    for item in &pf.parsed.file.items {
        let (name, kind, span) = match &item.kind {
            ItemKind::Block(b) => (
                b.name.name.clone(),
                match b.kind {
                    BlockKind::Source => SymbolKind::Source,
                    BlockKind::Signal => SymbolKind::Signal,
                    BlockKind::Sequence => SymbolKind::Sequence,
                    BlockKind::Guardrail => SymbolKind::Guardrail,
                },
                b.name.span,
            ),
            ItemKind::Let { name, .. } => (name.name.clone(), SymbolKind::Constant, name.span),
            ItemKind::Test { name, .. } => (name.value.clone(), SymbolKind::Test, name.span),
            ItemKind::Error => continue,
        };
        out.push(Symbol {
            name,
            kind,
            file: snap.name(file).to_string(),
            range: index.range(item.span),
            selection: index.range(span),
        });
    }
    out
}

/// The items of one file, in order.
pub fn document_symbols(snap: &Snapshot, name: &str) -> Vec<Symbol> {
    snap.file_id(name)
        .map_or_else(Vec::new, |f| of_file(snap, f))
}

/// The items of every user file whose name contains `query` (any case).
pub fn workspace_symbols(snap: &Snapshot, query: &str) -> Vec<Symbol> {
    let q = query.to_lowercase();
    snap.sources
        .iter()
        .filter(|(_, f)| !f.builtin)
        .flat_map(|(id, _)| of_file(snap, id))
        .filter(|s| s.name.to_lowercase().contains(&q))
        .collect()
}
