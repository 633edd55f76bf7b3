//! Code lenses and inlay hints. A lens over each `test` runs it in-process
//! (the same runner as `tensen test`, without touching snapshots) and says
//! whether its expectations hold; inlay hints show the type the checker
//! inferred for a `let` and the number behind a severity level.

use super::{LineIndex, Pos, Snapshot};
use crate::syntax::ast::{ClauseKind, ExprKind, ItemKind};

/// (where, what it says) for each test of `name`: nothing while the
/// ruleset has errors (they are shown as diagnostics instead).
pub fn test_lenses(snap: &Snapshot, name: &str) -> Vec<(super::Range, String)> {
    if snap.file_id(name).is_none() || snap.analysis.has_errors() {
        return Vec::new();
    }
    let engine = crate::engine::rules::Engine::from_analysis(&snap.analysis);
    let mut out = Vec::new();
    for case in crate::testing::discover(&snap.analysis, &snap.sources, None) {
        if case.file.to_string_lossy() != name {
            continue;
        }
        let run = crate::testing::run_test(&engine, &case);
        let line = case.line.saturating_sub(1) as u32;
        let at = Pos { line, character: 0 };
        let range = super::Range { start: at, end: at };
        let title = if run.failures.is_empty() {
            format!(
                "✓ passes ({} record{})",
                run.records,
                if run.records == 1 { "" } else { "s" }
            )
        } else {
            format!("✗ {}", run.failures.first().map_or("", String::as_str))
        };
        out.push((range, title));
    }
    out
}

/// What an inlay hint shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintKind {
    /// The checker's type of a `let` constant.
    Type,
    /// The number a severity level stands for.
    Value,
}

/// (position, label, kind) hints: the inferred type of each `let` whose
/// value is not a plain literal, and the number a severity level stands
/// for.
pub fn inlay_hints(snap: &Snapshot, name: &str) -> Vec<(Pos, String, HintKind)> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let Some(pf) = snap.analysis.file(file) else {
        return Vec::new();
    };
    let index = LineIndex::new(snap.text(file));
    let mut out = Vec::new();
    for item in &pf.parsed.file.items {
        if let ItemKind::Let { name, value } = &item.kind {
            let plain = matches!(value.kind, ExprKind::Lit(_));
            if let Some(ty) = snap
                .analysis
                .lets
                .get(&name.name)
                .filter(|_| !plain)
                .map(|d| &d.ty)
            {
                out.push((index.pos(name.span.end), format!(": {ty}"), HintKind::Type));
            }
        }
        let ItemKind::Block(b) = &item.kind else {
            continue;
        };
        for c in &b.clauses {
            let ClauseKind::Severity {
                computed: false,
                value,
            } = &c.kind
            else {
                continue;
            };
            if let ExprKind::Path(p) = &value.kind {
                let word = snap.text(file).get(p.span.start..p.span.end).unwrap_or("");
                if let Some(v) = crate::check::attack::level(word) {
                    out.push((index.pos(p.span.end), format!(" = {v:.1}"), HintKind::Value));
                }
            }
        }
    }
    out
}
