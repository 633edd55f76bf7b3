//! `diff`: what a change to the guardrails changes, over the same records —
//! newly denied, newly unknown, no longer denied — grouped by guardrail,
//! principal, action and account. The blast radius before enabling.

use std::collections::{BTreeMap, HashMap};

use super::pipeline::{run_inputs, RunSummary, Sequencing};
use super::read::Input;
use super::rules::Engine;
use super::run::{Output, OutputKind, RunOptions};

/// How one guardrail's decision on one record changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    NewlyDenied,
    NewlyUnknown,
    NoLongerDenied,
}

impl Change {
    pub fn words(self) -> &'static str {
        match self {
            Change::NewlyDenied => "newly denied",
            Change::NewlyUnknown => "newly unknown",
            Change::NoLongerDenied => "no longer denied",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Change::NewlyDenied => "newly_denied",
            Change::NewlyUnknown => "newly_unknown",
            Change::NoLongerDenied => "no_longer_denied",
        }
    }
}

/// The group a changed decision is counted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub change: Change,
    pub guardrail: String,
    pub principal: String,
    pub action: String,
    pub account: String,
}

/// A decision kept for comparing: only the ones that are not `allow`.
#[derive(Debug, Clone)]
struct Kept {
    kind: OutputKind,
    group: (String, String, String, String),
}

fn keep(out: &Output, into: &mut HashMap<String, Kept>) {
    if !matches!(out.kind, OutputKind::Deny | OutputKind::Unknown) {
        return;
    }
    let Some(d) = out.as_decision() else {
        return;
    };
    let s = |v: &Option<String>| v.as_deref().unwrap_or("-").to_string();
    into.insert(
        d.id.to_string(),
        Kept {
            kind: out.kind,
            group: (
                d.guardrail.to_string(),
                s(&d.principal),
                s(&d.action),
                s(&d.account),
            ),
        },
    );
}

/// The result of a diff: counts per group, and both runs' summaries.
pub struct DiffReport {
    pub groups: BTreeMap<Group, usize>,
    pub old: RunSummary,
    pub new: RunSummary,
}

/// Runs both engines over the same inputs and compares their decisions.
pub fn diff(
    old: &Engine,
    new: &Engine,
    inputs: &[Input],
    opts_old: &RunOptions,
    opts_new: &RunOptions,
) -> DiffReport {
    let mut before = HashMap::new();
    let mut after = HashMap::new();
    let old_summary = run_inputs(
        old,
        inputs,
        opts_old,
        &mut Sequencing::batch(old),
        &mut |o| keep(o, &mut before),
        &|_| {},
    );
    let new_summary = run_inputs(
        new,
        inputs,
        opts_new,
        &mut Sequencing::batch(new),
        &mut |o| keep(o, &mut after),
        &|_| {},
    );
    let mut groups: BTreeMap<Group, usize> = BTreeMap::new();
    let mut count = |change: Change, k: &Kept| {
        let (guardrail, principal, action, account) = k.group.clone();
        *groups
            .entry(Group {
                change,
                guardrail,
                principal,
                action,
                account,
            })
            .or_default() += 1;
    };
    for (id, now) in &after {
        let was = before.get(id).map(|k| k.kind);
        match (now.kind, was) {
            (OutputKind::Deny, Some(OutputKind::Deny))
            | (OutputKind::Unknown, Some(OutputKind::Unknown)) => {}
            (OutputKind::Deny, _) => count(Change::NewlyDenied, now),
            (OutputKind::Unknown, _) => count(Change::NewlyUnknown, now),
            _ => {}
        }
    }
    for (id, was) in &before {
        if was.kind == OutputKind::Deny && after.get(id).map(|k| k.kind) != Some(OutputKind::Deny) {
            count(Change::NoLongerDenied, was);
        }
    }
    DiffReport {
        groups,
        old: old_summary,
        new: new_summary,
    }
}
