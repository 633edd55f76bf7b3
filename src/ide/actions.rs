//! Code actions: quick fixes the diagnostics already know. A did-you-mean
//! becomes an edit that writes the suggestion; a sequence joining on an
//! entity a signal does not declare gets `entity NAME = FIELD` added to the
//! signal, with the field other signals on the same source use for it.

use super::{LineIndex, Range, Snapshot};
use crate::check::{Code, Diagnostic, FileId};
use crate::syntax::ast::{ClauseKind, ItemKind};

#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    /// The document the edit is in (not always the one asked about).
    pub file: String,
    pub range: Range,
    pub new_text: String,
}

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The quick fixes of the diagnostics of `name` that touch `range`.
pub fn quick_fixes(snap: &Snapshot, name: &str, range: Range) -> Vec<Fix> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let index = LineIndex::new(snap.text(file));
    let mut out = Vec::new();
    for d in &snap.analysis.diagnostics {
        let Some(primary) = d.labels.iter().find(|l| l.primary && l.file == file) else {
            continue;
        };
        let at = index.range(primary.span);
        if !overlaps(at, range) {
            continue;
        }
        if d.code == Code::EntityNotDeclared {
            out.extend(add_entity(snap, d));
            continue;
        }
        let Some(help) = &d.help else { continue };
        let Some(rest) = help.split("did you mean `").nth(1) else {
            continue;
        };
        let Some(suggestion) = rest.split('`').next().filter(|s| !s.is_empty()) else {
            continue;
        };
        out.push(Fix {
            title: format!("Change to `{suggestion}`"),
            file: name.to_string(),
            range: at,
            new_text: suggestion.to_string(),
        });
    }
    out
}

/// `entity NAME = FIELD` added to the signal `d` is about, when another
/// signal on the same source shows which field that entity is.
fn add_entity(snap: &Snapshot, d: &Diagnostic) -> Option<Fix> {
    let text_at = |file: FileId, span: crate::syntax::Span| {
        snap.text(file).get(span.range()).unwrap_or("").to_string()
    };
    let primary = d.labels.iter().find(|l| l.primary)?;
    let signal = text_at(primary.file, primary.span);
    let chosen = d
        .labels
        .iter()
        .find(|l| l.message == "the entity is chosen here")?;
    let entity = text_at(chosen.file, chosen.span);
    let sym = snap.analysis.symbols.get(&signal)?;
    let pf = snap.analysis.file(sym.file)?;
    let item = pf.parsed.file.items.get(sym.item)?;
    let ItemKind::Block(block) = &item.kind else {
        return None;
    };
    let source = block.on.as_ref()?.name.clone();
    let field = field_for(snap, &source, &entity)?;
    // Before the closing brace: on its own line when the brace is.
    let text = snap.text(sym.file);
    let close = item.span.end.checked_sub(1)?;
    if text.get(close..item.span.end) != Some("}") {
        return None;
    }
    let line_start = text.get(..close)?.rfind('\n').map_or(0, |i| i + 1);
    let own_line = text.get(line_start..close)?.trim().is_empty();
    let clause = format!("entity {entity} = {field}");
    let (at, new_text) = if own_line {
        (line_start, format!("    {clause}\n"))
    } else {
        (close, format!("{clause} "))
    };
    let index = LineIndex::new(text);
    let pos = index.pos(at);
    Some(Fix {
        title: format!("Add `{clause}` to `{signal}`"),
        file: snap.name(sym.file).to_string(),
        range: Range {
            start: pos,
            end: pos,
        },
        new_text,
    })
}

/// The value that signals on `source` give entity `entity`, as written.
fn field_for(snap: &Snapshot, source: &str, entity: &str) -> Option<String> {
    for pf in &snap.analysis.files {
        for item in &pf.parsed.file.items {
            let ItemKind::Block(b) = &item.kind else {
                continue;
            };
            if b.on.as_ref().map(|o| o.name.as_str()) != Some(source) {
                continue;
            }
            for c in &b.clauses {
                if let ClauseKind::Entity { name, value } = &c.kind {
                    if name.name == entity {
                        let written = snap.text(pf.id).get(value.span.range())?;
                        return Some(written.to_string());
                    }
                }
            }
        }
    }
    None
}
