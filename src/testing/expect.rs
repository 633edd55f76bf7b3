//! A test's expectations against the outputs its records produced.

use std::collections::BTreeMap;

use super::{RecordPlace, TestCase};
use crate::engine::output::SequenceFinding;
use crate::engine::run::{Output, OutputKind};
use crate::syntax::ast::{ClauseKind, CmpOp, CountTest, ExpectWhat, ExprKind, Lit};

fn rule_of(o: &Output) -> Option<&str> {
    Some(&**o.rule())
}

/// Findings that count for `expect RULE count N`: a signal's or sequence's
/// findings, a guardrail's denials and non-compliant resources.
fn counted(o: &Output) -> bool {
    matches!(
        o.kind,
        OutputKind::Signal | OutputKind::Sequence | OutputKind::Deny | OutputKind::NonCompliant
    )
}

fn int(e: &crate::syntax::ast::Expr) -> Option<u64> {
    match &e.kind {
        ExprKind::Lit(Lit::Int(n)) => n.parse().ok(),
        _ => None,
    }
}

/// Every expectation that does not hold, as a sentence.
pub(super) fn check(
    case: &TestCase<'_>,
    outputs: &[Output],
    ordinals: &BTreeMap<RecordPlace, usize>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for clause in case.clauses {
        let ClauseKind::Expect { rule, count, what } = &clause.kind else {
            continue;
        };
        let name = rule.name.as_str();
        let mine: Vec<&Output> = outputs
            .iter()
            .filter(|o| counted(o) && rule_of(o) == Some(name))
            .collect();
        if let Some(c) = count {
            if let Some(f) = count_failure(name, c, mine.len() as u64) {
                failures.push(f);
            }
        }
        match what {
            None if count.is_none() && mine.is_empty() => {
                failures.push(format!("expected `{name}` to fire; it did not"))
            }
            None => {}
            Some(ExpectWhat::Deny {
                record, message, ..
            }) => {
                let n = int(record).unwrap_or(0) as usize;
                let denials: Vec<(usize, &str)> = mine
                    .iter()
                    .filter(|o| o.kind == OutputKind::Deny)
                    .filter_map(|o| {
                        let d = o.as_decision()?;
                        let place = (
                            d.record.file.to_string(),
                            d.record.line as u64,
                            d.record.index.map(|i| i as u64),
                        );
                        let at = ordinals.get(&place).copied()?;
                        Some((at, d.message.as_deref().unwrap_or("")))
                    })
                    .collect();
                let on_it: Vec<&str> = denials
                    .iter()
                    .filter(|(at, _)| *at == n)
                    .map(|(_, m)| *m)
                    .collect();
                match (on_it.first(), message) {
                    (None, _) => {
                        let denied: Vec<String> =
                            denials.iter().map(|(at, _)| at.to_string()).collect();
                        failures.push(format!(
                            "expected `{name}` to deny record {n}; it denied {}",
                            if denied.is_empty() {
                                "none".to_string()
                            } else {
                                format!("record {}", denied.join(", "))
                            }
                        ));
                    }
                    (Some(got), Some(want)) if !on_it.contains(&want.value.as_str()) => failures
                        .push(format!(
                            "`{name}` denied record {n} with message {got:?}, expected {:?}",
                            want.value
                        )),
                    _ => {}
                }
            }
            Some(ExpectWhat::Steps { labels, .. }) => {
                let want: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
                let found: Vec<Vec<String>> = mine
                    .iter()
                    .filter(|o| o.kind == OutputKind::Sequence)
                    .filter_map(|o| o.as_sequence())
                    .map(filled_steps)
                    .collect();
                if !found.iter().any(|f| *f == want) {
                    let seen: Vec<String> = found
                        .iter()
                        .map(|f| format!("[{}]", f.join(", ")))
                        .collect();
                    failures.push(format!(
                        "expected a `{name}` finding with steps [{}]; found {}",
                        want.join(", "),
                        if seen.is_empty() {
                            "none".to_string()
                        } else {
                            seen.join(", ")
                        }
                    ));
                }
            }
        }
    }
    failures
}

fn count_failure(name: &str, c: &CountTest, got: u64) -> Option<String> {
    let want = int(&c.value)?;
    let op = c.op.unwrap_or(CmpOp::Eq);
    (!op.holds(got.cmp(&want)))
        .then(|| format!("expected `{name}` count {} {want}, got {got}", op.symbol()))
}

/// The labels of the steps a sequence finding filled (or whose absence
/// held), in order; skipped optional steps are left out.
fn filled_steps(finding: &SequenceFinding) -> Vec<String> {
    finding
        .steps
        .iter()
        .filter(|s| s.filled())
        .map(|s| s.label.clone())
        .collect()
}
