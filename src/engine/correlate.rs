//! Attack sequences at run time: sequences compiled into matcher patterns,
//! signal hits collected during the run, and matches turned into
//! attack-sequence findings shaped like GuardDuty's `Sequence`.
//!
//! Sequences are matched after the records are read, over the signal hits
//! only (never the whole input), in dependency order so that a sequence can
//! be a step of another.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::compile::{CExpr, Compiler, Scope};
use super::eval::Eval;
use super::rules::{SeverityRt, SignalRt};
use super::run::{severity_label, stable_id, Output, OutputKind};
use super::sequence::{find_matches, Count, Instance, Pattern, Step};
use super::value::Val;
use crate::check::Analysis;
use crate::syntax::ast::{
    Block, BlockKind, ClauseKind, CmpOp, ExprKind, ItemKind, Lit, StepKind, StepMode,
};

/// A signal instance seen during a run, kept for sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// What the matcher sees; its `signal` indexes signals, then sequences
    /// (`signals.len() + i`).
    pub instance: Instance,
    pub severity: f64,
    pub rule: String,
    /// The finding's `record` reference, or the steps of a sequence match.
    pub detail: Value,
}

/// A sequence ready to match, or why it cannot be yet.
pub struct SequenceRt {
    pub name: String,
    pub pattern: Option<Pattern>,
    /// Why the pattern could not be built (a step kind not evaluated yet).
    pub unsupported: Option<String>,
    pub severity: SeverityRt,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub report: bool,
    pub title: Option<CExpr>,
    pub summary: Option<CExpr>,
}

fn const_number(compiler: &Compiler<'_>, e: &crate::syntax::ast::Expr) -> Option<f64> {
    match compiler.expr(e, &Scope::default()) {
        CExpr::Const(Val::Num(n)) => Some(n),
        _ => None,
    }
}

fn const_duration(compiler: &Compiler<'_>, e: &crate::syntax::ast::Expr) -> Option<i64> {
    match compiler.expr(e, &Scope::default()) {
        CExpr::Const(Val::Dur(ms)) => i64::try_from(ms).ok(),
        _ => None,
    }
}

/// Builds every sequence of the ruleset; `signals` index the step names.
pub fn build_sequences(
    analysis: &Analysis,
    compiler: &Compiler<'_>,
    signals: &[SignalRt],
) -> Vec<SequenceRt> {
    let blocks: Vec<&Block> = analysis
        .files
        .iter()
        .flat_map(|f| f.parsed.file.items.iter())
        .filter_map(|i| match &i.kind {
            ItemKind::Block(b) if b.kind == BlockKind::Sequence => Some(b),
            _ => None,
        })
        .collect();
    let seq_names: Vec<&str> = blocks.iter().map(|b| b.name.name.as_str()).collect();
    let index_of = |name: &str| {
        signals.iter().position(|s| s.name == name).or_else(|| {
            seq_names
                .iter()
                .position(|n| *n == name)
                .map(|i| signals.len() + i)
        })
    };
    blocks
        .iter()
        .map(|b| build_one(b, compiler, &index_of))
        .collect()
}

fn build_one(
    b: &Block,
    compiler: &Compiler<'_>,
    index_of: &dyn Fn(&str) -> Option<usize>,
) -> SequenceRt {
    let mut rt = SequenceRt {
        name: b.name.name.clone(),
        pattern: None,
        unsupported: None,
        severity: SeverityRt::Fixed(9.0),
        tactics: Vec::new(),
        techniques: Vec::new(),
        report: true,
        title: None,
        summary: None,
    };
    let mut key = None;
    let mut within = None;
    let mut steps = Vec::new();
    let mut until = Vec::new();
    for c in &b.clauses {
        match &c.kind {
            ClauseKind::By(k) => key = Some(k.name.clone()),
            ClauseKind::Within(e) => within = const_duration(compiler, e),
            ClauseKind::Until(names) => {
                until = names.iter().filter_map(|n| index_of(&n.name)).collect()
            }
            ClauseKind::Title(s) => rt.title = Some(compiler.template(s, &Scope::default())),
            ClauseKind::Summary(s) => rt.summary = Some(compiler.template(s, &Scope::default())),
            ClauseKind::Tactic(ts) => rt.tactics = ts.iter().map(|t| t.name.clone()).collect(),
            ClauseKind::Technique(ts) => {
                rt.techniques = ts.iter().map(|t| t.value.clone()).collect()
            }
            ClauseKind::Report(e) => rt.report = !matches!(e.kind, ExprKind::Lit(Lit::Bool(false))),
            ClauseKind::Severity {
                computed: false,
                value,
            } => {
                rt.severity = SeverityRt::Fixed(super::rules::fixed_severity(value).unwrap_or(9.0));
            }
            ClauseKind::Severity {
                computed: true,
                value,
            } => {
                rt.severity = SeverityRt::From(compiler.expr(value, &Scope::default()));
            }
            ClauseKind::Steps(list) => {
                for s in list {
                    let StepKind::Single(single) = &s.kind else {
                        rt.unsupported = Some("unordered groups are not evaluated yet".into());
                        continue;
                    };
                    if single.mode == StepMode::Absent {
                        rt.unsupported = Some("absent steps are not evaluated yet".into());
                        continue;
                    }
                    let count = single.count.as_ref().map(|c| {
                        let n = const_number(compiler, &c.value).unwrap_or(1.0).max(0.0) as usize;
                        Count {
                            at_least: if c.op == Some(CmpOp::Gt) { n + 1 } else { n },
                            distinct: c.distinct.as_ref().map(|d| d.name.clone()),
                            within: single
                                .within
                                .as_ref()
                                .and_then(|w| const_duration(compiler, w)),
                        }
                    });
                    steps.push(Step {
                        label: single.label.name.clone(),
                        signals: single
                            .signals
                            .iter()
                            .filter_map(|n| index_of(&n.name))
                            .collect(),
                        optional: single.mode == StepMode::Optional,
                        count,
                        join: single
                            .by
                            .as_ref()
                            .map(|b| b.name.clone())
                            .unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
    }
    let Some(key) = key else { return rt };
    for s in &mut steps {
        if s.join.is_empty() {
            s.join = key.clone();
        }
    }
    if rt.unsupported.is_none() {
        rt.pattern = Some(Pattern {
            key,
            within: within.unwrap_or(i64::MAX),
            steps,
            until,
        });
    }
    rt
}

/// Matches every sequence over the hits and returns their findings, in
/// order of last seen, then rule, then key.
pub fn findings(signals_len: usize, sequences: &[SequenceRt], hits: &mut Vec<Hit>) -> Vec<Output> {
    let mut out: Vec<(i64, String, String, Output)> = Vec::new();
    let mut instances: Vec<Instance> = hits.iter().map(|h| h.instance.clone()).collect();
    for i in dependency_order(signals_len, sequences) {
        let (Some(seq), Some(pattern)) = (
            sequences.get(i),
            sequences.get(i).and_then(|s| s.pattern.as_ref()),
        ) else {
            continue;
        };
        let mut new_hits = Vec::new();
        for m in find_matches(pattern, &instances) {
            let (finding, hit) = finding(seq, pattern, &m, hits, signals_len + i);
            if seq.report {
                out.push((m.end.0, seq.name.clone(), m.key.clone(), finding));
            }
            new_hits.push(hit);
        }
        instances.extend(new_hits.iter().map(|h| h.instance.clone()));
        hits.extend(new_hits);
    }
    out.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
    out.into_iter().map(|(_, _, _, o)| o).collect()
}

/// Sequences ordered so that each comes after the sequences it uses as
/// steps or `until` (the checker rejects cycles).
fn dependency_order(signals_len: usize, sequences: &[SequenceRt]) -> Vec<usize> {
    fn visit(
        i: usize,
        signals_len: usize,
        sequences: &[SequenceRt],
        seen: &mut BTreeSet<usize>,
        order: &mut Vec<usize>,
    ) {
        if !seen.insert(i) {
            return;
        }
        if let Some(p) = sequences.get(i).and_then(|s| s.pattern.as_ref()) {
            let uses = p
                .steps
                .iter()
                .flat_map(|s| s.signals.iter())
                .chain(p.until.iter());
            for used in uses.filter_map(|s| s.checked_sub(signals_len)) {
                visit(used, signals_len, sequences, seen, order);
            }
        }
        order.push(i);
    }
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for i in 0..sequences.len() {
        visit(i, signals_len, sequences, &mut seen, &mut order);
    }
    order
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn finding(
    seq: &SequenceRt,
    pattern: &Pattern,
    m: &super::sequence::Match,
    hits: &[Hit],
    own_index: usize,
) -> (Output, Hit) {
    // The synthetic record templates and `severity from` read:
    // the key by its name, and each step by its label.
    let mut ctx = Map::new();
    ctx.insert(pattern.key.clone(), json!(m.key));
    let mut steps_json = Vec::new();
    let mut ids = vec![seq.name.clone(), m.key.clone()];
    let mut tactics: Vec<String> = Vec::new();
    let mut actors = BTreeSet::new();
    let mut endpoints = BTreeSet::new();
    let mut max_severity: f64 = 0.0;
    for (step, filled) in pattern.steps.iter().zip(&m.steps) {
        let used: Vec<&Hit> = filled.iter().filter_map(|i| hits.get(*i)).collect();
        let mut step_ctx = Map::new();
        step_ctx.insert("count".into(), json!(used.len()));
        if let Some(last) = used.last() {
            step_ctx.insert("time".into(), json!(iso(last.instance.time)));
            step_ctx.insert("severity".into(), json!(last.severity));
            max_severity = max_severity.max(last.severity);
            for (k, v) in &last.instance.entities {
                step_ctx.insert(k.clone(), json!(v));
            }
        }
        for h in &used {
            ids.push(format!("{}@{}", h.rule, h.instance.pos));
            for (k, v) in &h.instance.entities {
                match k.as_str() {
                    "principal" | "user" | "actor" => {
                        actors.insert(v.clone());
                    }
                    "ip" | "source_ip" | "endpoint" => {
                        endpoints.insert(v.clone());
                    }
                    _ => {}
                }
            }
        }
        ctx.insert(step.label.clone(), Value::Object(step_ctx));
        steps_json.push(json!({
            "label": step.label,
            "signals": used.iter().map(|h| json!({
                "rule": h.rule,
                "time": iso(h.instance.time),
                "severity": h.severity,
                "entities": h.instance.entities,
                "detail": h.detail,
            })).collect::<Vec<_>>(),
        }));
    }
    for t in &seq.tactics {
        if !tactics.contains(t) {
            tactics.push(t.clone());
        }
    }
    let record = Value::Object(ctx);
    let mut eval = Eval::new(&record);
    let severity = match &seq.severity {
        SeverityRt::Fixed(v) => *v,
        SeverityRt::From(e) => match eval.value(e) {
            Val::Num(n) => n.clamp(1.0, 10.0),
            _ => max_severity.max(1.0),
        },
    };
    let render =
        |e: &Option<CExpr>, eval: &mut Eval<'_>| e.as_ref().map(|e| eval.value(e).render());
    let id_parts: Vec<&str> = ids.iter().map(String::as_str).collect();
    let json = json!({
        "kind": "sequence",
        "id": stable_id(&id_parts),
        "rule": seq.name,
        "key": { pattern.key.clone(): m.key },
        "severity": severity,
        "severity_label": severity_label(severity),
        "first_seen": iso(m.start.0),
        "last_seen": iso(m.end.0),
        "title": render(&seq.title, &mut eval),
        "summary": render(&seq.summary, &mut eval),
        "tactics": tactics,
        "techniques": seq.techniques,
        "actors": actors,
        "endpoints": endpoints,
        "steps": steps_json,
    });
    let hit = Hit {
        instance: Instance {
            signal: own_index,
            time: m.end.0,
            pos: m.end.1,
            entities: BTreeMap::from([(pattern.key.clone(), m.key.clone())]),
        },
        severity,
        rule: seq.name.clone(),
        detail: json!({ "sequence": seq.name, "first_seen": iso(m.start.0) }),
    };
    (
        Output {
            kind: OutputKind::Sequence,
            json,
        },
        hit,
    )
}
