//! Rename an item (signal, sequence, guardrail, source, constant) and every
//! use of it across the workspace. `prepare_rename` says what would be
//! renamed; a new name must be a plain name, not a keyword, and free.

use super::definition::Location;
use super::refs::{self, Target};
use super::{LineIndex, Pos, Range, Snapshot};

/// Words a name cannot be: keywords and literals.
const RESERVED: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "matches",
    "contains",
    "starts_with",
    "ends_with",
    "exists",
    "true",
    "false",
    "null",
    "on",
    "from",
    "count",
    "distinct",
    "optional",
    "absent",
    "unordered",
];

fn item_ref_at(snap: &Snapshot, name: &str, pos: Pos) -> Option<(String, Range)> {
    let file = snap.file_id(name)?;
    let text = snap.text(file);
    let index = LineIndex::new(text);
    let offset = index.offset(pos);
    let all = refs::collect(&snap.analysis, file);
    refs::at(&all, offset)
        .into_iter()
        .find_map(|r| match &r.target {
            Target::Item(n) if snap.analysis.symbols.contains_key(n) => {
                let sym = snap.analysis.symbols.get(n)?;
                // Items of the built-in prelude cannot be renamed.
                let builtin = snap.sources.get(sym.file).is_some_and(|f| f.builtin);
                (!builtin).then(|| (n.clone(), index.range(r.span)))
            }
            _ => None,
        })
}

/// The range of the name that would be renamed, if it can be.
pub fn prepare_rename(snap: &Snapshot, name: &str, pos: Pos) -> Option<Range> {
    item_ref_at(snap, name, pos).map(|(_, r)| r)
}

/// Every edit that renames the item at `pos` to `new_name`, or why not.
pub fn rename(
    snap: &Snapshot,
    name: &str,
    pos: Pos,
    new_name: &str,
) -> Result<Vec<(Location, String)>, String> {
    let Some((old, _)) = item_ref_at(snap, name, pos) else {
        return Err("there is no rule or constant here to rename".into());
    };
    let mut chars = new_name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    let keyword = RESERVED.contains(&new_name)
        || crate::syntax::parser::ITEM_KEYWORDS.contains(&new_name)
        || crate::syntax::parser::CLAUSE_KEYWORDS.contains(&new_name);
    if keyword {
        return Err(format!("`{new_name}` is a keyword"));
    }
    if new_name != old && snap.analysis.symbols.contains_key(new_name) {
        return Err(format!("`{new_name}` is already the name of another item"));
    }
    let edits = super::definition::references_to(snap, &old, true)
        .into_iter()
        .map(|l| (l, new_name.to_string()))
        .collect();
    Ok(edits)
}
