//! Sequences compiled into matcher patterns: steps, `unordered` groups,
//! `absent` windows, joins and `until`, with the constants folded.

use std::sync::Arc;

use super::super::compile::{CExpr, Compiler, Scope};
use super::super::rules::{SeverityRt, SignalRt};
use super::super::sequence::{Count, Pattern, Step};
use super::super::value::Val;
use crate::check::{Analysis, FileId};
use crate::syntax::ast::{
    Block, BlockKind, ClauseKind, CmpOp, ExprKind, ItemKind, Lit, SingleStep, StepKind, StepMode,
};

/// A sequence ready to match (the checker has refused what cannot be:
/// nested or oversized groups, absences inside groups).
pub struct SequenceRt {
    pub name: Arc<str>,
    /// `None` only for a sequence without `by`, which the checker refuses.
    pub pattern: Option<Pattern>,
    pub severity: SeverityRt,
    pub tactics: Arc<[String]>,
    pub techniques: Arc<[String]>,
    pub report: bool,
    pub title: Option<CExpr>,
    pub summary: Option<CExpr>,
}

fn const_number(
    compiler: &Compiler<'_>,
    file: FileId,
    e: &crate::syntax::ast::Expr,
) -> Option<f64> {
    match compiler.expr(e, &Scope::of(file)) {
        CExpr::Const(Val::Num(n)) => Some(n),
        _ => None,
    }
}

fn const_duration(
    compiler: &Compiler<'_>,
    file: FileId,
    e: &crate::syntax::ast::Expr,
) -> Option<i64> {
    match compiler.expr(e, &Scope::of(file)) {
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
    let blocks: Vec<(FileId, &Block)> = analysis
        .files
        .iter()
        .flat_map(|f| f.parsed.file.items.iter().map(move |i| (f.id, i)))
        .filter_map(|(file, i)| match &i.kind {
            ItemKind::Block(b) if b.kind == BlockKind::Sequence => Some((file, b)),
            _ => None,
        })
        .collect();
    let seq_names: Vec<&str> = blocks.iter().map(|(_, b)| b.name.name.as_str()).collect();
    let index_of = |name: &str| {
        signals.iter().position(|s| &*s.name == name).or_else(|| {
            seq_names
                .iter()
                .position(|n| *n == name)
                .map(|i| signals.len() + i)
        })
    };
    blocks
        .iter()
        .map(|(file, b)| build_one(*file, b, compiler, &index_of))
        .collect()
}

fn build_one(
    file: FileId,
    b: &Block,
    compiler: &Compiler<'_>,
    index_of: &dyn Fn(&str) -> Option<usize>,
) -> SequenceRt {
    let mut rt = SequenceRt {
        name: Arc::from(b.name.name.as_str()),
        pattern: None,
        severity: SeverityRt::Fixed(9.0),
        tactics: Arc::from([]),
        techniques: Arc::from([]),
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
            ClauseKind::Within(e) => within = const_duration(compiler, file, e),
            ClauseKind::Until(names) => {
                until = names.iter().filter_map(|n| index_of(&n.name)).collect()
            }
            ClauseKind::Title(s) => rt.title = Some(compiler.template(s, &Scope::of(file))),
            ClauseKind::Summary(s) => rt.summary = Some(compiler.template(s, &Scope::of(file))),
            ClauseKind::Tactic(ts) => rt.tactics = ts.iter().map(|t| t.name.clone()).collect(),
            ClauseKind::Technique(ts) => {
                rt.techniques = ts.iter().map(|t| t.value.clone()).collect()
            }
            ClauseKind::Report(e) => rt.report = !matches!(e.kind, ExprKind::Lit(Lit::Bool(false))),
            ClauseKind::Severity {
                computed: false,
                value,
            } => {
                rt.severity =
                    SeverityRt::Fixed(super::super::rules::fixed_severity(value).unwrap_or(9.0));
            }
            ClauseKind::Severity {
                computed: true,
                value,
            } => {
                rt.severity = SeverityRt::From(compiler.expr(value, &Scope::of(file)));
            }
            ClauseKind::Steps(list) => {
                for (g, s) in list.iter().enumerate() {
                    match &s.kind {
                        StepKind::Single(single) => {
                            steps.push(build_step(single, None, compiler, file, index_of))
                        }
                        StepKind::Unordered(inner) => {
                            for i in inner {
                                if let StepKind::Single(single) = &i.kind {
                                    steps.push(build_step(
                                        single,
                                        Some(g),
                                        compiler,
                                        file,
                                        index_of,
                                    ))
                                }
                            }
                        }
                        StepKind::Error => {}
                    }
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
    rt.pattern = Some(Pattern {
        key,
        within: within.unwrap_or(i64::MAX),
        steps,
        until,
    });
    rt
}

fn build_step(
    single: &SingleStep,
    group: Option<usize>,
    compiler: &Compiler<'_>,
    file: FileId,
    index_of: &dyn Fn(&str) -> Option<usize>,
) -> Step {
    let window = single
        .within
        .as_ref()
        .and_then(|w| const_duration(compiler, file, w));
    let count = single.count.as_ref().map(|c| {
        let n = const_number(compiler, file, &c.value)
            .unwrap_or(1.0)
            .max(0.0) as usize;
        Count {
            at_least: if c.op == Some(CmpOp::Gt) { n + 1 } else { n },
            distinct: c.distinct.as_ref().map(|d| d.name.clone()),
            within: window,
        }
    });
    let absent = single.mode == StepMode::Absent;
    Step {
        label: single.label.name.clone(),
        signals: single
            .signals
            .iter()
            .filter_map(|n| index_of(&n.name))
            .collect(),
        optional: single.mode == StepMode::Optional,
        absent: if absent {
            Some(window.unwrap_or(0))
        } else {
            None
        },
        count: if absent { None } else { count },
        join: single
            .by
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default(),
        group,
    }
}
