//! Signature help: inside a function call's parentheses, the function's
//! signature and which argument the cursor is on.

use super::{LineIndex, Pos, Snapshot};

/// (signature, doc, active argument) at `pos`, if inside a call.
pub fn signature_help(snap: &Snapshot, name: &str, pos: Pos) -> Option<(String, String, u32)> {
    let file = snap.file_id(name)?;
    let text = snap.text(file);
    let offset = LineIndex::new(text).offset(pos);
    let before = text.get(..offset)?;
    let mut depth = 0i32;
    let mut commas = 0u32;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | ']' => depth += 1,
            '[' => depth -= 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let head = before.get(..i)?;
                let start = head
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |j| j + 1);
                let f = crate::check::functions::lookup(head.get(start..)?)?;
                return Some((f.signature.to_string(), f.doc.to_string(), commas));
            }
            ',' if depth == 0 => commas += 1,
            '\n' if depth == 0 && before.get(i..)?.trim().is_empty() => return None,
            _ => {}
        }
    }
    None
}
