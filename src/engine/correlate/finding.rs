//! Attack-sequence findings shaped like GuardDuty's `Sequence`: a match
//! turned into JSON (steps, actors, endpoints, tactics, the guardrails that
//! would have denied its steps, templates), and into the instance a
//! sequence that uses it as a step sees.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::super::eval::Eval;
use super::super::output::{
    iso, stable_id, Finding, Output, OutputKind, SequenceFinding, StepFinding,
};
use super::super::rules::SeverityRt;
use super::super::sequence::{Detail, Instance, Match, Pattern};
use super::super::value::Val;
use super::build::SequenceRt;

/// The finding of a match at its current revision, and its severity.
pub(super) fn finding(seq: &SequenceRt, pattern: &Pattern, m: &Match) -> (Output, f64) {
    // The record templates and `severity from` read: the key by its name,
    // and each step by its label.
    let mut ctx = Map::new();
    ctx.insert(pattern.key.clone(), json!(m.key));
    let mut steps = Vec::new();
    let mut actors = BTreeSet::new();
    let mut endpoints = BTreeSet::new();
    let mut prevention: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut max_severity: f64 = 0.0;
    for ((step, used), count) in pattern.steps.iter().zip(&m.steps).zip(&m.counts) {
        let mut step_ctx = Map::new();
        step_ctx.insert("count".into(), json!(count));
        if let Some(last) = used.last() {
            step_ctx.insert("time".into(), json!(iso(last.time)));
            step_ctx.insert("severity".into(), json!(last.severity));
            max_severity = max_severity.max(last.severity);
            for (k, v) in last.entities.iter() {
                step_ctx.insert(k.to_string(), json!(v));
            }
        }
        for h in used {
            for (k, v) in h.entities.iter() {
                match k {
                    "principal" | "user" | "actor" => {
                        actors.insert(v);
                    }
                    "ip" | "source_ip" | "endpoint" => {
                        endpoints.insert(v);
                    }
                    _ => {}
                }
            }
            for g in &h.denied_by {
                let labels = prevention.entry(&**g).or_default();
                if !labels.contains(&step.label.as_str()) {
                    labels.push(step.label.as_str());
                }
            }
        }
        ctx.insert(step.label.clone(), Value::Object(step_ctx));
        steps.push(StepFinding {
            label: step.label.clone(),
            count: *count,
            signals: used.clone(),
            absent_for_ms: step.absent,
        });
    }
    let record = Value::Object(ctx);
    let doc = crate::engine::record::Doc::from_value(&record, None);
    let mut eval = Eval::new(doc.root());
    let severity = match &seq.severity {
        SeverityRt::Fixed(v) => *v,
        SeverityRt::From(e) => match eval.value(e) {
            Val::Num(n) => n.clamp(1.0, 10.0),
            _ => max_severity.max(1.0),
        },
    };
    let title = seq.title.as_ref().map(|e| eval.value(e).render());
    let summary = seq.summary.as_ref().map(|e| eval.value(e).render());
    let start = format!("{}:{}", m.start.0, m.start.1);
    let finding = SequenceFinding {
        id: stable_id(&[&seq.name, &m.key, &start]),
        rule: seq.name.clone(),
        revision: m.revision,
        key: (pattern.key.clone(), m.key.clone()),
        severity,
        first_seen: iso(m.start.0),
        last_seen: iso(m.last.0),
        title,
        summary,
        tactics: seq.tactics.clone(),
        techniques: seq.techniques.clone(),
        actors: actors.into_iter().map(String::from).collect(),
        endpoints: endpoints.into_iter().map(String::from).collect(),
        steps,
        prevented_by: prevention
            .into_iter()
            .map(|(g, steps)| (g.to_string(), steps.iter().map(|s| s.to_string()).collect()))
            .collect(),
    };
    (
        Output::new(OutputKind::Sequence, Finding::Sequence(Box::new(finding))),
        severity,
    )
}

/// The instance a match is to the sequences that use it: at the point
/// that completed it, with one entity, its key.
pub(super) fn as_instance(
    seq: &SequenceRt,
    pattern: &Pattern,
    m: &Match,
    signal: usize,
    severity: f64,
) -> Arc<Instance> {
    Arc::new(Instance {
        signal,
        time: m.end.0,
        pos: m.end.1,
        entities: [(Arc::from(pattern.key.as_str()), Arc::from(m.key.as_str()))]
            .into_iter()
            .collect(),
        severity,
        rule: seq.name.clone(),
        detail: Detail::Match {
            sequence: seq.name.clone(),
            first_seen: iso(m.start.0),
        },
        denied_by: Vec::new(),
    })
}
