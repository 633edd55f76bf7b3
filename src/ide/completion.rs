//! Completion: keywords, item names (signals and sequences for steps and
//! `until`, any rule for `expect`), the fields of the block's source
//! (nested ones after a `.`), functions and tactics.

use super::{LineIndex, Pos, Snapshot};
use crate::check::{attack, functions, ItemTag};
use crate::syntax::ast::ItemKind;
use crate::syntax::parser::{CLAUSE_KEYWORDS, ITEM_KEYWORDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Item,
    Field,
    Function,
    Tactic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
}

/// What to offer at `pos` in `name`.
pub fn completion(snap: &Snapshot, name: &str, pos: Pos) -> Vec<Completion> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let text = snap.text(file);
    let offset = LineIndex::new(text).offset(pos);
    let before = text.get(..offset).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    // The partial path being typed, e.g. `userIdentity.ar`.
    let typed: String = line
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let block = enclosing_block(snap, file, offset);
    let mut out = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.is_empty() || !trimmed.contains(' ') && !typed.contains('.') {
        let words = if block.is_some() {
            CLAUSE_KEYWORDS
        } else {
            ITEM_KEYWORDS
        };
        out.extend(words.iter().map(|k| Completion {
            label: (*k).to_string(),
            kind: CompletionKind::Keyword,
            detail: "keyword".into(),
        }));
    }
    if trimmed.starts_with("tactic") {
        out.extend(attack::TACTICS.iter().map(|(n, id, title)| Completion {
            label: (*n).to_string(),
            kind: CompletionKind::Tactic,
            detail: format!("{title} ({id})"),
        }));
        return out;
    }
    let wants_items =
        trimmed.contains(':') || trimmed.starts_with("until") || trimmed.starts_with("expect");
    if wants_items {
        for (n, sym) in &snap.analysis.symbols {
            let fits = match sym.tag {
                ItemTag::Signal | ItemTag::Sequence => true,
                ItemTag::Guardrail => trimmed.starts_with("expect"),
                _ => false,
            };
            if fits {
                out.push(Completion {
                    label: n.clone(),
                    kind: CompletionKind::Item,
                    detail: format!("{:?}", sym.tag).to_lowercase(),
                });
            }
        }
    }
    if let Some(source) = block.and_then(|(_, on)| on) {
        if let Some(schema) = snap.analysis.schemas.get(&source) {
            let prefix = typed.rsplit_once('.').map_or("", |(p, _)| p);
            for (path, ty, _) in schema.fields() {
                let rest = if prefix.is_empty() {
                    Some(path.as_str())
                } else {
                    path.strip_prefix(prefix).and_then(|r| r.strip_prefix('.'))
                };
                let Some(rest) = rest else { continue };
                let next = rest.split('.').next().unwrap_or(rest);
                if next.is_empty() || out.iter().any(|c| c.label == next) {
                    continue;
                }
                out.push(Completion {
                    label: next.to_string(),
                    kind: CompletionKind::Field,
                    detail: if next == rest {
                        ty.to_string()
                    } else {
                        "object".into()
                    },
                });
            }
        }
        if !typed.contains('.') {
            out.extend(functions::FUNCTIONS.iter().map(|f| Completion {
                label: f.name.to_string(),
                kind: CompletionKind::Function,
                detail: f.signature.to_string(),
            }));
        }
    }
    out
}

/// The block item around `offset`: (its name, its source).
fn enclosing_block(
    snap: &Snapshot,
    file: crate::check::FileId,
    offset: usize,
) -> Option<(String, Option<String>)> {
    let pf = snap.analysis.file(file)?;
    pf.parsed.file.items.iter().find_map(|i| match &i.kind {
        ItemKind::Block(b) if i.span.start < offset && offset <= i.span.end => {
            Some((b.name.name.clone(), b.on.as_ref().map(|o| o.name.clone())))
        }
        ItemKind::Test { .. } if i.span.start < offset && offset <= i.span.end => {
            Some((String::new(), None))
        }
        _ => None,
    })
}
