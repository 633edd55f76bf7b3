//! Code actions: quick fixes the diagnostics already know. A did-you-mean
//! becomes an edit that writes the suggestion.

use super::{LineIndex, Range, Snapshot};

#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
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
        let Some(help) = &d.help else { continue };
        let Some(rest) = help.split("did you mean `").nth(1) else {
            continue;
        };
        let Some(suggestion) = rest.split('`').next().filter(|s| !s.is_empty()) else {
            continue;
        };
        out.push(Fix {
            title: format!("Change to `{suggestion}`"),
            range: at,
            new_text: suggestion.to_string(),
        });
    }
    out
}
