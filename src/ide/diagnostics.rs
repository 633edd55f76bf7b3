//! The checker's diagnostics of one file, as an editor shows them.

use super::{LineIndex, Range, Snapshot};
use crate::check::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct IdeDiagnostic {
    pub range: Range,
    pub error: bool,
    pub code: &'static str,
    /// The message, then the primary label and the help, as `check` prints.
    pub message: String,
    /// Other places it points at: (file name, range, label).
    pub related: Vec<(String, Range, String)>,
}

/// Every diagnostic whose primary place is in `name`, in order.
pub fn diagnostics(snap: &Snapshot, name: &str) -> Vec<IdeDiagnostic> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let index = LineIndex::new(snap.text(file));
    let mut out = Vec::new();
    for d in &snap.analysis.diagnostics {
        let Some(primary) = d.labels.iter().find(|l| l.primary) else {
            continue;
        };
        if primary.file != file {
            continue;
        }
        let mut message = d.message.clone();
        if !primary.message.is_empty() {
            message.push_str(&format!(" ({})", primary.message));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        let related = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .map(|l| {
                let text = snap.text(l.file);
                (
                    snap.name(l.file).to_string(),
                    LineIndex::new(text).range(l.span),
                    l.message.clone(),
                )
            })
            .collect();
        out.push(IdeDiagnostic {
            range: index.range(primary.span),
            error: d.severity == Severity::Error,
            code: d.code.as_str(),
            message,
            related,
        });
    }
    out
}
