//! The `--format pretty` line of one finding or decision.

use crate::engine::output::{severity_label, Decision, Finding, Output, SequenceFinding};
use crate::engine::output::{OutputKind, SignalFinding};

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Text from records, made safe for a terminal: control characters (ESC,
/// CR, BEL, ...) and bidirectional overrides are written as escapes, so a
/// field cannot clear the screen, move the cursor or forge a line.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn or_empty(s: Option<&str>) -> std::borrow::Cow<'_, str> {
    clean(s.unwrap_or(""))
}

pub fn line(out: &Output, color: bool) -> String {
    let at = out
        .record()
        .map(|r| match (r.event, r.index) {
            (Some(n), _) => format!("{}, event {n}", clean(&r.file)),
            (None, Some(i)) => format!("{}:{}, record {i}", clean(&r.file), r.line),
            (None, None) => format!("{}:{}", clean(&r.file), r.line),
        })
        .unwrap_or_default();
    match &out.finding {
        Finding::Sequence(f) => sequence(f, color),
        Finding::Signal(f) => signal(f, &at, color),
        Finding::Decision(d) => decision(out.kind, d, &at, color),
    }
}

fn signal(f: &SignalFinding, at: &str, color: bool) -> String {
    let label = severity_label(f.severity);
    let code = match label {
        "critical" | "high" => "31",
        "medium" => "33",
        _ => "36",
    };
    let text = [or_empty(f.title.as_deref()), or_empty(f.summary.as_deref())]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    format!(
        "{} {:<8} {}  {}  {}  ({at})",
        paint("SIGNAL ", "1", color),
        paint(label, code, color),
        f.rule,
        or_empty(f.time.as_deref()),
        text
    )
}

fn decision(kind: OutputKind, d: &Decision, at: &str, color: bool) -> String {
    let word = kind.word().to_uppercase();
    let code = match kind {
        OutputKind::Deny | OutputKind::NonCompliant => "31",
        OutputKind::Unknown => "33",
        _ => "32",
    };
    let mut text = format!(
        "{} {}  {}  {}",
        paint(&format!("{word:<8}"), code, color),
        d.guardrail,
        or_empty(d.principal.as_deref()),
        or_empty(d.action.as_deref())
    );
    let resource = or_empty(d.resource.as_deref());
    if !resource.is_empty() {
        text.push_str(&format!("  {resource}"));
    }
    let message = or_empty(d.message.as_deref());
    if !message.is_empty() {
        text.push_str(&format!("  \"{message}\""));
    }
    if !d.missing.is_empty() {
        text.push_str(&format!("  missing: {}", clean(&d.missing.join(", "))));
    }
    if let Some(e) = d.exempt.filter(|e| !e.is_empty()) {
        text.push_str(&format!("  exempt: {e}"));
    }
    format!("{text}  ({at})")
}

/// An attack sequence as a timeline: a headline, then one line per step.
fn sequence(f: &SequenceFinding, color: bool) -> String {
    let key = format!("{} {}", clean(&f.key.0), clean(&f.key.1));
    let text = [or_empty(f.summary.as_deref()), or_empty(f.title.as_deref())]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    let mut lines = vec![format!(
        "{} {:<8} {}  {key}  {} → {}  {text}",
        paint("SEQUENCE", "1;35", color),
        paint(severity_label(f.severity), "31", color),
        f.rule,
        f.first_seen,
        f.last_seen,
    )];
    for step in &f.steps {
        let label = &step.label;
        let Some(last) = step.signals.last() else {
            let why = match step.absent_for_ms {
                Some(ms) => format!("(absent for {} s)", ms / 1000),
                None => "(skipped)".to_string(),
            };
            lines.push(format!("  │ {label:<10} {why}"));
            continue;
        };
        let many = if step.count > 1 {
            format!(" ×{}", step.count)
        } else {
            String::new()
        };
        let denied: Vec<&str> = step
            .signals
            .iter()
            .flat_map(|s| s.denied_by.iter().map(|g| &**g))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let prevented = if denied.is_empty() {
            String::new()
        } else {
            format!("  ⛔ denied by {}", denied.join(", "))
        };
        lines.push(format!(
            "  │ {}  {label:<10} {}{many}{prevented}",
            crate::engine::output::iso(last.time),
            last.rule
        ));
    }
    if f.revision > 1 {
        lines.push(format!("  └ revision {}", f.revision));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn record_text_cannot_drive_the_terminal() {
        assert_eq!(clean("plain ünïcode"), "plain ünïcode");
        assert_eq!(clean("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("x\rSIGNAL forged\n"), "x\\rSIGNAL forged\\n");
        assert_eq!(clean("bell\u{7}"), "bell\\u{7}");
        assert_eq!(clean("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    }
}
