//! Renders diagnostics: ariadne for terminals, JSON and SARIF 2.1.0 for
//! machines. All three read the same [`Diagnostic`]s.

use ariadne::{Color, Config, IndexType, Label as ALabel, Report, ReportKind};
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::diagnostic::{Code, Diagnostic, FileId, Severity};
use super::Sources;
use crate::syntax::{LineStarts, Span};

/// Renders diagnostics like rustc, with source lines and underlines.
pub fn terminal(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut out = Vec::new();
    // One cache of the file texts, borrowed, for every report.
    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, f)| (f.name.clone(), f.text.as_str())),
    );
    for d in diags {
        render_one(d, sources, color, &mut cache, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(
    d: &Diagnostic,
    sources: &Sources,
    color: bool,
    cache: &mut impl ariadne::Cache<String>,
    out: &mut Vec<u8>,
) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(primary) = d.primary().filter(|l| sources.get(l.file).is_some()) else {
        // No location: a file-level problem such as an unreadable path.
        let word = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        out.extend_from_slice(format!("{word}[{}]: {}\n", d.code.as_str(), d.message).as_bytes());
        if let Some(path) = &d.path {
            out.extend_from_slice(format!("  --> {path}\n").as_bytes());
        }
        if let Some(help) = &d.help {
            out.extend_from_slice(format!("  help: {help}\n").as_bytes());
        }
        return;
    };
    let name = |f: FileId| sources.get(f).map(|s| s.name.clone()).unwrap_or_default();
    let clamp = |f: FileId, s: Span| {
        let text = sources.get(f).map(|s| s.text.as_str()).unwrap_or("");
        let start = floor_char_boundary(text, s.start);
        let end = floor_char_boundary(text, s.end).max(start);
        start..end
    };
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    let mut report = Report::build(
        kind,
        (name(primary.file), clamp(primary.file, primary.span)),
    )
    .with_config(config)
    .with_code(d.code.as_str())
    .with_message(&d.message);
    for label in &d.labels {
        if sources.get(label.file).is_none() {
            continue;
        }
        let mut l = ALabel::new((name(label.file), clamp(label.file, label.span)))
            .with_message(&label.message)
            .with_order(if label.primary { 0 } else { 1 });
        if color {
            l = l.with_color(match (label.primary, d.severity) {
                (true, Severity::Error) => Color::Red,
                (true, Severity::Warning) => Color::Yellow,
                (false, _) => Color::Blue,
            });
        }
        report = report.with_label(l);
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    if report.finish().write(cache, &mut *out).is_err() {
        out.extend_from_slice(format!("error[{}]: {}\n", d.code.as_str(), d.message).as_bytes());
    }
}

/// The largest char boundary at or below `i`, so spans never split a character.
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    Lines::new(text).line_col(offset)
}

/// A text's line starts: positions found by a binary search, not by
/// counting the newlines before each one (a file with hundreds of
/// diagnostics was scanned from its start hundreds of times).
struct Lines<'t> {
    text: &'t str,
    starts: LineStarts,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            starts: LineStarts::new(text),
        }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let (line, start) = self.starts.line_of(offset);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Line indexes of the files of a ruleset, built when first asked.
struct Positions<'s> {
    sources: &'s Sources,
    lines: std::cell::RefCell<BTreeMap<FileId, std::rc::Rc<Lines<'s>>>>,
}

impl<'s> Positions<'s> {
    fn new(sources: &'s Sources) -> Positions<'s> {
        Positions {
            sources,
            lines: std::cell::RefCell::new(BTreeMap::new()),
        }
    }

    /// The start and end of `span` in `file`, 1-based line and column.
    fn span(&self, file: FileId, span: Span) -> Option<((usize, usize), (usize, usize))> {
        let f = self.sources.get(file)?;
        let lines = self
            .lines
            .borrow_mut()
            .entry(file)
            .or_insert_with(|| std::rc::Rc::new(Lines::new(&f.text)))
            .clone();
        Some((lines.line_col(span.start), lines.line_col(span.end)))
    }
}

fn location(at: &Positions<'_>, file: FileId, span: Span) -> Option<Value> {
    let f = at.sources.get(file)?;
    let ((line, column), (end_line, end_column)) = at.span(file, span)?;
    Some(json!({
        "file": f.name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    }))
}

/// One JSON object per diagnostic.
pub fn json(diags: &[Diagnostic], sources: &Sources) -> Vec<Value> {
    let at = Positions::new(sources);
    diags
        .iter()
        .map(|d| {
            let labels: Vec<Value> = d
                .labels
                .iter()
                .filter_map(|l| {
                    let mut loc = location(&at, l.file, l.span)?;
                    if let Some(obj) = loc.as_object_mut() {
                        obj.insert("message".into(), json!(l.message));
                        obj.insert("primary".into(), json!(l.primary));
                    }
                    Some(loc)
                })
                .collect();
            let primary = d
                .primary()
                .and_then(|l| location(&at, l.file, l.span))
                .or_else(|| d.path.as_ref().map(|p| json!({ "file": p })));
            json!({
                "code": d.code.as_str(),
                "severity": d.severity,
                "message": d.message,
                "location": primary,
                "labels": labels,
                "help": d.help,
            })
        })
        .collect()
}

/// A SARIF 2.1.0 log for GitHub code scanning.
pub fn sarif(diags: &[Diagnostic], sources: &Sources) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.describe() },
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let at = Positions::new(sources);
    let region = |file: FileId, span: Span| -> Option<Value> {
        let f = sources.get(file)?;
        let ((start_line, start_column), (end_line, end_column)) = at.span(file, span)?;
        Some(json!({
            "physicalLocation": {
                "artifactLocation": { "uri": f.name.replace('\\', "/") },
                "region": {
                    "startLine": start_line,
                    "startColumn": start_column,
                    "endLine": end_line,
                    "endColumn": end_column,
                },
            },
        }))
    };
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            // GitHub rejects results without a location: a file-level
            // problem points at the file itself.
            let whole_file = || {
                d.path.as_ref().map(|p| {
                    json!({ "physicalLocation": { "artifactLocation": { "uri": p.replace('\\', "/") } } })
                })
            };
            let locations: Vec<Value> = d
                .primary()
                .and_then(|l| region(l.file, l.span))
                .or_else(whole_file)
                .into_iter()
                .collect();
            let related: Vec<Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .filter_map(|l| {
                    let mut r = region(l.file, l.span)?;
                    if let Some(obj) = r.as_object_mut() {
                        obj.insert("message".into(), json!({ "text": l.message }));
                    }
                    Some(r)
                })
                .collect();
            let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": locations,
                "relatedLocations": related,
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tensen",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/tensen-dev/tensen",
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn lines_and_columns_count_characters_from_one() {
        let text = "ab\nçé x\n\nlast";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (1, 3));
        assert_eq!(line_col(text, 3), (2, 1));
        // `x` is after two two-byte characters and a space.
        assert_eq!(line_col(text, 8), (2, 4));
        assert_eq!(line_col(text, 10), (3, 1));
        assert_eq!(line_col(text, 11), (4, 1));
        assert_eq!(line_col(text, 999), (4, 5));
    }
}
