//! Hover: what the name under the cursor is, in Markdown: an item with its
//! doc comment, a field with its type and the schema's doc, a function
//! with its signature, a MITRE tactic, a duration.

use super::refs::{self, Target};
use super::{LineIndex, Pos, Snapshot};
use crate::check::{functions, ItemTag};
use crate::syntax::ast::ItemKind;

/// The hover text at `pos` in `name`, if there is something to say.
pub fn hover(snap: &Snapshot, name: &str, pos: Pos) -> Option<String> {
    let file = snap.file_id(name)?;
    let text = snap.text(file);
    let offset = LineIndex::new(text).offset(pos);
    for r in refs::at_offset(&snap.analysis, file, offset) {
        let found = match &r.target {
            Target::Item(n) => item(snap, n),
            Target::Field { source, path } => field(snap, source, path),
            Target::Function(f) => functions::lookup(f)
                .map(|f| format!("```tensen\n{}\n```\n\n{}", f.signature, f.doc)),
            Target::Local { name, list, .. } => {
                Some(format!("`{name}`: each element of `{list}` in turn"))
            }
        };
        if found.is_some() {
            return found;
        }
    }
    let iam = |at: usize| {
        string_at(text, at).and_then(|name| iam_action(name).or_else(|| condition_key(name)))
    };
    iam(offset)
        // On a string's opening quote: the string after it.
        .or_else(|| {
            iam(offset.checked_add(1)?)
                .filter(|_| text.get(offset..).is_some_and(|t| t.starts_with('"')))
        })
        .or_else(|| word(text, offset))
}

/// The text of the string literal around `offset` (on one line).
fn string_at(text: &str, offset: usize) -> Option<&str> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = offset
        + text
            .get(offset..)?
            .find('\n')
            .unwrap_or(text.len() - offset);
    let open = line_start + text.get(line_start..offset)?.rfind('"')? + 1;
    let close = offset + text.get(offset..line_end)?.find('"')?;
    text.get(open..close)
}

/// An IAM action named in a string (`"s3:GetObject"`): its access level
/// and the resource types it is authorized on, as AWS lists them.
fn iam_action(name: &str) -> Option<String> {
    if !name.contains(':') {
        return None;
    }
    let a = crate::iam::actions().get(name)?;
    let on = if a.resource_types.is_empty() {
        "no resource type (`*`)".to_string()
    } else {
        a.resource_types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "IAM action **{}**\n\naccess level: {}; authorized on: {on}",
        a.name, a.access
    ))
}

/// An IAM condition key named in a string (`"aws:PrincipalArn"`): where a
/// CloudTrail record gives it, or that it does not.
fn condition_key(name: &str) -> Option<String> {
    use crate::iam::condition::{condition_key, KeyLookup};
    match condition_key(name) {
        KeyLookup::Logged(k) => Some(format!(
            "IAM condition key **{}**\n\nread from {}",
            k.name, k.how
        )),
        KeyLookup::Unlogged => Some(format!(
            "IAM condition key **{name}**\n\nCloudTrail does not record it: a `condition` on it is unknown"
        )),
        KeyLookup::Unknown => None,
    }
}

fn item(snap: &Snapshot, name: &str) -> Option<String> {
    let sym = snap.analysis.symbols.get(name)?;
    let pf = snap.analysis.file(sym.file)?;
    let it = pf.parsed.file.items.get(sym.item)?;
    let (kind, extra) = match &it.kind {
        ItemKind::Block(b) => (
            b.kind.keyword(),
            b.on.as_ref()
                .map(|o| format!(" on {}", o.name))
                .unwrap_or_default(),
        ),
        ItemKind::Let { .. } => ("let", String::new()),
        _ => return None,
    };
    let mut out = format!("```tensen\n{kind} {name}{extra}\n```");
    if let Some(doc) = pf.docs.get(&it.span.start) {
        out.push_str("\n\n");
        out.push_str(doc);
    }
    if sym.tag == ItemTag::Signal || sym.tag == ItemTag::Sequence {
        if let Some(facts) = snap.analysis.facts.get(name) {
            if !facts.entities.is_empty() {
                let e: Vec<String> = facts.entities.iter().map(|e| format!("`{e}`")).collect();
                out.push_str(&format!("\n\nentities: {}", e.join(", ")));
            }
        }
    }
    Some(out)
}

fn field(snap: &Snapshot, source: &str, path: &[String]) -> Option<String> {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    let node = snap.analysis.schemas.get(source)?.node(&names)?;
    let ty = node
        .ty
        .as_ref()
        .map_or("object".to_string(), |t| t.to_string());
    let mut out = format!(
        "```tensen\n{}: {ty}\n```\nfield of `{source}`",
        path.join(".")
    );
    if let Some(doc) = &node.doc {
        out.push_str("\n\n");
        out.push_str(doc);
    }
    Some(out)
}

/// Tactics and durations are words, not references.
fn word(text: &str, offset: usize) -> Option<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text
        .get(..offset)?
        .rfind(|c: char| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = offset + text.get(offset..)?.find(|c: char| !is_word(c)).unwrap_or(0);
    let w = text.get(start..end)?;
    if let Some(ms) = crate::syntax::literal::parse_duration_ms(w) {
        return Some(format!("duration: {} ms ({} s)", ms, ms / 1000));
    }
    crate::check::attack::TACTICS
        .iter()
        .find(|(n, _, _)| *n == w)
        .map(|(_, id, title)| format!("MITRE ATT&CK tactic **{title}** ({id})"))
}
