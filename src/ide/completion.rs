//! Completion: keywords, item names (signals and sequences for steps and
//! `until`, any rule for `expect`), the fields of the block's source
//! (nested ones after a `.`), functions and tactics.

use std::sync::LazyLock;

use regex::Regex;

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
    // A step (`label: signal`, `optional label: ...`), not the `:` of
    // `any(x in l: ...)`.
    let step = trimmed.split_once(':').is_some_and(|(head, _)| {
        head.split_whitespace().count() <= 2
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
    });
    let wants_items = step || trimmed.starts_with("until") || trimmed.starts_with("expect");
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
            // `p.` with `p` bound by `any(p in LIST:`: the fields of LIST.
            let prefix = unbind(prefix, &bindings(before));
            let prefix = prefix.as_str();
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

/// The names bound by `any(x in LIST:` (or `all`) in `text`, in order:
/// (`x`, the schema path of one element of LIST, through earlier
/// bindings: `resources` → `resources[*]`).
fn bindings(text: &str) -> Vec<(String, String)> {
    static BINDING: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"\b(?:any|all)\(\s*([A-Za-z_]\w*)\s+in\s+([A-Za-z_][\w.\[\]*]*)\s*:").ok()
    });
    static INDEX: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\[[^\]]*\]").ok());
    let (Some(binding), Some(index)) = (BINDING.as_ref(), INDEX.as_ref()) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for c in binding.captures_iter(text) {
        let (Some(var), Some(list)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let list = index.replace_all(list.as_str(), "[*]").to_string();
        let mut list = unbind(&list, &out);
        if !list.ends_with("[*]") {
            list.push_str("[*]");
        }
        out.push((var.as_str().to_string(), list));
    }
    out
}

/// `path` with a bound root replaced by its list (the last binding wins).
fn unbind(path: &str, bound: &[(String, String)]) -> String {
    let (root, rest) = path
        .split_once('.')
        .map_or((path, ""), |(r, rest)| (r, rest));
    match bound.iter().rev().find(|(v, _)| v == root) {
        Some((_, list)) if rest.is_empty() => list.clone(),
        Some((_, list)) => format!("{list}.{rest}"),
        None => path.to_string(),
    }
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
