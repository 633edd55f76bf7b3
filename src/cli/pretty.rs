//! The `--format pretty` line of one finding or decision.

use crate::engine::run::{Output, OutputKind};

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn line(out: &Output, color: bool) -> String {
    let j = &out.json;
    let s = |k: &str| j.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let record = j.get("record").cloned().unwrap_or_default();
    let mut at = format!(
        "{}:{}",
        record.get("file").and_then(|v| v.as_str()).unwrap_or("?"),
        record.get("line").and_then(|v| v.as_u64()).unwrap_or(0)
    );
    if let Some(i) = record.get("index").and_then(|v| v.as_u64()) {
        at.push_str(&format!(", record {i}"));
    }
    match out.kind {
        OutputKind::Sequence => sequence(out, color),
        OutputKind::Signal => {
            let label = s("severity_label");
            let code = match label {
                "critical" | "high" => "31",
                "medium" => "33",
                _ => "36",
            };
            let text = [s("title"), s("summary")]
                .into_iter()
                .find(|t| !t.is_empty())
                .unwrap_or("");
            format!(
                "{} {:<8} {}  {}  {}  ({at})",
                paint("SIGNAL ", "1", color),
                paint(label, code, color),
                s("rule"),
                s("time"),
                text
            )
        }
        kind => {
            let word = kind.word().to_uppercase();
            let code = match kind {
                OutputKind::Deny | OutputKind::NonCompliant => "31",
                OutputKind::Unknown => "33",
                _ => "32",
            };
            let mut text = format!(
                "{} {}  {}  {}",
                paint(&format!("{word:<8}"), code, color),
                s("guardrail"),
                s("principal"),
                s("action")
            );
            if !s("resource").is_empty() {
                text.push_str(&format!("  {}", s("resource")));
            }
            if !s("message").is_empty() {
                text.push_str(&format!("  \"{}\"", s("message")));
            }
            if let Some(missing) = j
                .get("missing")
                .and_then(|m| m.as_array())
                .filter(|m| !m.is_empty())
            {
                let names: Vec<&str> = missing.iter().filter_map(|m| m.as_str()).collect();
                text.push_str(&format!("  missing: {}", names.join(", ")));
            }
            if !s("exempt").is_empty() {
                text.push_str(&format!("  exempt: {}", s("exempt")));
            }
            format!("{text}  ({at})")
        }
    }
}

/// An attack sequence as a timeline: a headline, then one line per step.
fn sequence(out: &Output, color: bool) -> String {
    let j = &out.json;
    let s = |k: &str| j.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let key = j
        .get("key")
        .and_then(|k| k.as_object())
        .and_then(|k| k.iter().next())
        .map(|(n, v)| format!("{n} {}", v.as_str().unwrap_or("")))
        .unwrap_or_default();
    let text = [s("summary"), s("title")]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or("");
    let mut lines = vec![format!(
        "{} {:<8} {}  {key}  {} → {}  {text}",
        paint("SEQUENCE", "1;35", color),
        paint(s("severity_label"), "31", color),
        s("rule"),
        s("first_seen"),
        s("last_seen"),
    )];
    for step in j
        .get("steps")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let label = step.get("label").and_then(|v| v.as_str()).unwrap_or("");
        let signals = step
            .get("signals")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let Some(last) = signals.last() else {
            let why = match step.get("absent_for_ms").and_then(|v| v.as_i64()) {
                Some(ms) => format!("(absent for {} s)", ms / 1000),
                None => "(skipped)".to_string(),
            };
            lines.push(format!("  │ {label:<10} {why}"));
            continue;
        };
        let get = |k: &str| last.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let count = step.get("count").and_then(|v| v.as_u64()).unwrap_or(1);
        let many = if count > 1 {
            format!(" ×{count}")
        } else {
            String::new()
        };
        let denied: Vec<&str> = signals
            .iter()
            .flat_map(|s| {
                s.get("denied_by")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
            })
            .filter_map(|v| v.as_str())
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
            get("time"),
            get("rule")
        ));
    }
    if let Some(r) = j
        .get("revision")
        .and_then(|v| v.as_u64())
        .filter(|r| *r > 1)
    {
        lines.push(format!("  └ revision {r}"));
    }
    lines.join("\n")
}
