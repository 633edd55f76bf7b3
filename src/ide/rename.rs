//! Rename an item (signal, sequence, guardrail, source, constant) and every
//! use of it across the workspace, or a name bound by `any(x in LIST: ...)`
//! and its uses. `prepare_rename` says what would be renamed; a new name
//! must be a plain name, not a keyword, and free.

use super::definition::Location;
use super::{Pos, Range, Snapshot};
use crate::syntax::token::{token_text, Tok};

/// The item at `pos`, unless it is one of the built-in prelude's.
fn item_ref_at(snap: &Snapshot, name: &str, pos: Pos) -> Option<(String, Range)> {
    let (item, range) = super::definition::item_at(snap, name, pos)?;
    let sym = snap.analysis.symbols.get(&item)?;
    let builtin = snap.sources.get(sym.file).is_some_and(|f| f.builtin);
    (!builtin).then_some((item, range))
}

/// Why `new_name` cannot name an item, if it cannot: the lexer decides
/// what is a plain name and what is a keyword.
fn refuse(new_name: &str) -> Option<String> {
    let lexed = crate::syntax::lexer::lex(new_name);
    match lexed.tokens.as_slice() {
        [(0, Tok::Ident(_), end)] if *end == new_name.len() => None,
        [(0, tok, end)]
            if *end == new_name.len()
                && token_text(tok).is_some()
                && new_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Some(format!("`{new_name}` is a keyword"))
        }
        _ => Some(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
        )),
    }
}

/// The range of the name that would be renamed, if it can be.
pub fn prepare_rename(snap: &Snapshot, name: &str, pos: Pos) -> Option<Range> {
    if let Some(uses) = super::definition::local_uses(snap, name, pos) {
        return uses
            .into_iter()
            .map(|(l, _)| l.range)
            .find(|r| r.start <= pos && pos <= r.end);
    }
    item_ref_at(snap, name, pos).map(|(_, r)| r)
}

/// Every edit that renames the item at `pos` to `new_name`, or why not.
pub fn rename(
    snap: &Snapshot,
    name: &str,
    pos: Pos,
    new_name: &str,
) -> Result<Vec<(Location, String)>, String> {
    // A name bound by `any(x in LIST: ...)`: its binding and its uses.
    if let Some(uses) = super::definition::local_uses(snap, name, pos) {
        if let Some(why) = refuse(new_name) {
            return Err(why);
        }
        if let Some(why) = shadows(snap, name, pos, new_name) {
            return Err(why);
        }
        return Ok(uses
            .into_iter()
            .map(|(l, _)| (l, new_name.to_string()))
            .collect());
    }
    let Some((old, _)) = item_ref_at(snap, name, pos) else {
        return Err("there is no rule, constant or bound name here to rename".into());
    };
    if let Some(why) = refuse(new_name) {
        return Err(why);
    }
    if new_name != old && snap.analysis.symbols.contains_key(new_name) {
        return Err(format!("`{new_name}` is already the name of another item"));
    }
    let uses = super::definition::references_to(snap, &old, true);
    if let Some(at) = captured(snap, &uses, new_name) {
        return Err(format!(
            "`{new_name}` is bound by `any({new_name} in ...)` around a use of `{old}` ({at}): renamed, that use would mean the element"
        ));
    }
    let edits = uses
        .into_iter()
        .map(|l| (l, new_name.to_string()))
        .collect();
    Ok(edits)
}

/// Why naming the element bound at `pos` `new_name` would change what a
/// name in its condition means (a field, constant or other bound name
/// already called that), if it would.
fn shadows(snap: &Snapshot, name: &str, pos: Pos, new_name: &str) -> Option<String> {
    use super::refs::{self, Target};
    let (file, _, body) = super::definition::binding_at(snap, name, pos)?;
    let clash = refs::collect(&snap.analysis, file).into_iter().any(|r| {
        let inside = body.start <= r.span.start && r.span.end <= body.end;
        let named = match &r.target {
            Target::Item(n) | Target::Local { name: n, .. } => n == new_name,
            Target::Field { path, .. } => path.first().is_some_and(|f| f == new_name),
            Target::Function(_) => false,
        };
        inside && named
    });
    clash.then(|| {
        format!(
            "`{new_name}` is already used inside the condition: renamed, it would mean the element"
        )
    })
}

/// Where a use in `uses` sits in the condition of a quantifier that binds
/// `name` (`file:line`), if one does.
fn captured(snap: &Snapshot, uses: &[Location], name: &str) -> Option<String> {
    for pf in &snap.analysis.files {
        let file = snap.name(pf.id);
        let index = super::LineIndex::new(snap.text(pf.id));
        for r in super::refs::collect(&snap.analysis, pf.id) {
            let super::refs::Target::Local { name: n, body, .. } = &r.target else {
                continue;
            };
            if n != name || !r.definition {
                continue;
            }
            let inside = index.range(*body);
            let hit = uses.iter().find(|u| {
                u.file == file && inside.start <= u.range.start && u.range.end <= inside.end
            });
            if let Some(u) = hit {
                return Some(format!("{file}:{}", u.range.start.line + 1));
            }
        }
    }
    None
}
