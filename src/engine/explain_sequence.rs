//! `explain` for a sequence: over a set of records, each key's signal
//! instances in time order with the steps they can fill, the matches the
//! sequence found for it, and, where it found none, what was missing: steps
//! that never came, counts not reached, or an order or window not kept.
//!
//! The matches are those of a batch run over the same records (the engine's
//! own correlator, not a second implementation); the timeline only lists
//! what the records gave it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::output::iso;
use super::pipeline::{evaluate_records, Sequencing};
use super::rules::Engine;
use super::run::{evaluate_json, RecordOutcome, RecordRef, RunOptions};
use super::sequence::{Instance, Pattern, Step};
use super::value::format_duration;

/// One instance on a key's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// ISO 8601.
    pub time: String,
    /// The signal that fired.
    pub signal: String,
    /// The step labels it can fill (`until` for a closing signal).
    pub roles: Vec<String>,
    /// Where its record is: `FILE:LINE` (`#INDEX` in a list).
    pub place: String,
}

/// A match the sequence found for a key (its last revision).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchSummary {
    pub first_seen: String,
    pub last_seen: String,
    pub revision: u32,
}

/// One key of the sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyReport {
    pub key: String,
    pub timeline: Vec<TimelineEntry>,
    pub matches: Vec<MatchSummary>,
    /// Without a match: why, one reason per line.
    pub missing: Vec<String>,
}

/// The explanation of one sequence over a set of records.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceExplanation {
    pub sequence: String,
    /// The entity the steps join on.
    pub by: String,
    /// The steps in words: `label: signal`, counts and windows.
    pub steps: Vec<String>,
    pub within: Option<String>,
    pub records: usize,
    pub keys: Vec<KeyReport>,
}

/// Explains sequence `name` over `records` (all keys, or only `key`);
/// `None` if no sequence has that name.
pub fn explain_sequence(
    engine: &Engine,
    name: &str,
    records: Vec<(RecordRef, Value)>,
    key: Option<&str>,
) -> Option<SequenceExplanation> {
    let index = engine.sequences.iter().position(|s| &*s.name == name)?;
    let pattern = engine.sequences.get(index)?.pattern.as_ref()?;
    let rule_name = |i: usize| -> String {
        match engine.signals.get(i) {
            Some(s) => s.name.to_string(),
            None => i
                .checked_sub(engine.signals.len())
                .and_then(|q| engine.sequences.get(q))
                .map_or_else(|| "?".to_string(), |s| s.name.to_string()),
        }
    };
    // Each key's timeline, from the signals the records gave.
    let opts = RunOptions::default();
    let mut timelines: BTreeMap<String, Vec<(i64, TimelineEntry)>> = BTreeMap::new();
    for (at, record) in &records {
        let RecordOutcome::Evaluated { hits, .. } = evaluate_json(engine, record, at, &opts) else {
            continue;
        };
        for hit in &hits {
            for (k, roles) in roles_of(pattern, hit) {
                if key.is_some_and(|want| want != k) {
                    continue;
                }
                timelines.entry(k.to_string()).or_default().push((
                    hit.time,
                    TimelineEntry {
                        time: iso(hit.time),
                        signal: rule_name(hit.signal),
                        roles,
                        place: place(at),
                    },
                ));
            }
        }
    }
    // The matches, from a batch run over the same records.
    let count = records.len();
    let mut matches: BTreeMap<String, Vec<MatchSummary>> = BTreeMap::new();
    let mut seq = Sequencing::batch(engine);
    evaluate_records(engine, &opts, records, &mut seq, &mut |o| {
        if let Some(f) = o.as_sequence().filter(|f| &*f.rule == name) {
            matches
                .entry(f.key.1.clone())
                .or_default()
                .push(MatchSummary {
                    first_seen: f.first_seen.clone(),
                    last_seen: f.last_seen.clone(),
                    revision: f.revision,
                });
        }
    });
    let mut keys: Vec<String> = timelines.keys().cloned().collect();
    keys.extend(
        matches
            .keys()
            .filter(|k| key.is_none_or(|w| w == *k))
            .cloned(),
    );
    keys.sort();
    keys.dedup();
    let keys = keys
        .into_iter()
        .map(|k| {
            let mut timeline = timelines.remove(&k).unwrap_or_default();
            timeline.sort_by_key(|(t, _)| *t);
            let timeline: Vec<TimelineEntry> = timeline.into_iter().map(|(_, e)| e).collect();
            let found = matches.remove(&k).unwrap_or_default();
            let missing = if found.is_empty() {
                why_not(pattern, &timeline, &rule_name)
            } else {
                Vec::new()
            };
            KeyReport {
                key: k,
                timeline,
                matches: found,
                missing,
            }
        })
        .collect();
    Some(SequenceExplanation {
        sequence: name.to_string(),
        by: pattern.key.clone(),
        steps: pattern
            .steps
            .iter()
            .map(|s| step_text(s, &rule_name))
            .collect(),
        within: (pattern.within < i64::MAX).then(|| duration(pattern.within)),
        records: count,
        keys,
    })
}

/// The keys an instance joins, each with the roles it can take there.
fn roles_of<'i>(pattern: &Pattern, hit: &'i Instance) -> Vec<(&'i str, Vec<String>)> {
    let mut out: Vec<(&str, Vec<String>)> = Vec::new();
    let mut add = |k: &'i str, role: String| match out.iter_mut().find(|(o, _)| *o == k) {
        Some((_, roles)) => roles.push(role),
        None => out.push((k, vec![role])),
    };
    for step in &pattern.steps {
        if step.signals.contains(&hit.signal) {
            if let Some(k) = hit.entities.get(&step.join) {
                add(k, step.label.clone());
            }
        }
    }
    if pattern.until.contains(&hit.signal) {
        if let Some(k) = hit.entities.get(&pattern.key) {
            add(k, "until".to_string());
        }
    }
    out
}

/// Why a key found no match, as far as its timeline tells.
fn why_not(
    pattern: &Pattern,
    timeline: &[TimelineEntry],
    rule_name: &dyn Fn(usize) -> String,
) -> Vec<String> {
    let mut reasons = Vec::new();
    for step in &pattern.steps {
        if step.optional || step.absent.is_some() {
            continue;
        }
        let seen = timeline
            .iter()
            .filter(|e| e.roles.contains(&step.label))
            .count();
        let names: Vec<String> = step.signals.iter().map(|s| rule_name(*s)).collect();
        match &step.count {
            _ if seen == 0 => reasons.push(format!(
                "step `{}` never came (no {} for this key)",
                step.label,
                names.join(" or ")
            )),
            Some(c) if seen < c.at_least => reasons.push(format!(
                "step `{}` came {seen} time{} of the {} it needs",
                step.label,
                if seen == 1 { "" } else { "s" },
                c.at_least
            )),
            _ => {}
        }
    }
    if reasons.is_empty() {
        let mut why = "every step came, but never in order".to_string();
        if pattern.within < i64::MAX {
            why.push_str(&format!(" within {}", duration(pattern.within)));
        }
        let counts = pattern
            .steps
            .iter()
            .filter_map(|s| s.count.as_ref())
            .any(|c| c.within.is_some() || c.distinct.is_some());
        if counts {
            why.push_str(", or a count's own window or `distinct` did not hold");
        }
        if !pattern.until.is_empty() || pattern.steps.iter().any(|s| s.absent.is_some()) {
            why.push_str(", or an `until` or `absent` step ended it");
        }
        reasons.push(why);
    }
    reasons
}

fn step_text(step: &Step, rule_name: &dyn Fn(usize) -> String) -> String {
    let names: Vec<String> = step.signals.iter().map(|s| rule_name(*s)).collect();
    let mut text = format!("{}: {}", step.label, names.join(" | "));
    if step.optional {
        text = format!("optional {text}");
    }
    if let Some(ms) = step.absent {
        text = format!("absent {text} within {}", duration(ms));
    }
    if let Some(c) = &step.count {
        text.push_str(" count");
        if let Some(d) = &c.distinct {
            text.push_str(&format!(" distinct {d}"));
        }
        text.push_str(&format!(" >= {}", c.at_least));
        if let Some(w) = c.within {
            text.push_str(&format!(" within {}", duration(w)));
        }
    }
    if step.group.is_some() {
        text.push_str(" (unordered)");
    }
    text
}

/// A duration in the language's own words (`90s`, `15m`, `2h`).
fn duration(ms: i64) -> String {
    format_duration(u64::try_from(ms).unwrap_or(0))
}

fn place(at: &RecordRef) -> String {
    match at.index {
        Some(i) => format!("{}:{}#{i}", at.file, at.line),
        None => format!("{}:{}", at.file, at.line),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_are_written_in_the_largest_whole_unit() {
        assert_eq!(duration(30 * 60_000), "30m");
        assert_eq!(duration(2 * 3_600_000), "2h");
        assert_eq!(duration(90_000), "90s");
        assert_eq!(duration(1_500), "1500ms");
    }
}
