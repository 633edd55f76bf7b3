//! `diff`: what a change to the guardrails changes, over the same records —
//! every move between `allow`, `deny` and `unknown` — grouped by
//! guardrail, principal (a role's sessions as the role), action and
//! account. The blast radius before enabling.

use std::collections::{BTreeMap, HashMap};

use super::pipeline::{run_inputs, RunSummary, Sequencing};
use super::read::Input;
use super::rules::Engine;
use super::run::{Output, OutputKind, RunOptions};

/// How one guardrail's decision on one record changed, from `OLD` to
/// `NEW`. A record a guardrail does not decide (or allows) is `allow`.
/// In the order a reviewer reads them: what starts to be denied or left
/// undecided, what stops being denied, what stops being unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// `allow` → `deny`.
    NewlyDenied,
    /// `allow` → `unknown`.
    NewlyUnknown,
    /// `deny` → `unknown`.
    DeniedNowUnknown,
    /// `deny` → `allow`.
    NewlyAllowed,
    /// `unknown` → `deny`.
    UnknownNowDenied,
    /// `unknown` → `allow`.
    UnknownNowAllowed,
}

impl Change {
    pub const ALL: [Change; 6] = [
        Change::NewlyDenied,
        Change::NewlyUnknown,
        Change::DeniedNowUnknown,
        Change::NewlyAllowed,
        Change::UnknownNowDenied,
        Change::UnknownNowAllowed,
    ];

    /// The change between two decisions, if they differ.
    fn between(old: OutputKind, new: OutputKind) -> Option<Change> {
        use OutputKind::{Deny, Unknown};
        Some(match (old, new) {
            (Deny, Unknown) => Change::DeniedNowUnknown,
            (Unknown, Deny) => Change::UnknownNowDenied,
            (Deny | Unknown, Deny | Unknown) => return None,
            (_, Deny) => Change::NewlyDenied,
            (_, Unknown) => Change::NewlyUnknown,
            (Deny, _) => Change::NewlyAllowed,
            (Unknown, _) => Change::UnknownNowAllowed,
            _ => return None,
        })
    }

    pub fn words(self) -> &'static str {
        match self {
            Change::NewlyDenied => "newly denied",
            Change::NewlyUnknown => "newly unknown",
            Change::DeniedNowUnknown => "denied, now unknown",
            Change::NewlyAllowed => "newly allowed",
            Change::UnknownNowDenied => "unknown, now denied",
            Change::UnknownNowAllowed => "unknown, now allowed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Change::NewlyDenied => "newly_denied",
            Change::NewlyUnknown => "newly_unknown",
            Change::DeniedNowUnknown => "denied_now_unknown",
            Change::NewlyAllowed => "newly_allowed",
            Change::UnknownNowDenied => "unknown_now_denied",
            Change::UnknownNowAllowed => "unknown_now_allowed",
        }
    }

    /// The decisions before and after: `allow`, `deny` or `unknown`.
    pub fn from_to(self) -> (&'static str, &'static str) {
        match self {
            Change::NewlyDenied => ("allow", "deny"),
            Change::NewlyUnknown => ("allow", "unknown"),
            Change::DeniedNowUnknown => ("deny", "unknown"),
            Change::NewlyAllowed => ("deny", "allow"),
            Change::UnknownNowDenied => ("unknown", "deny"),
            Change::UnknownNowAllowed => ("unknown", "allow"),
        }
    }
}

/// Who a decision is counted for: a role's sessions count as the role
/// (`arn:aws:sts::111122223333:assumed-role/Admin/alice` is
/// `arn:aws:sts::111122223333:assumed-role/Admin`), so a change reads by
/// who holds the permissions, not by session name.
pub fn principal_group(arn: &str) -> &str {
    let Some(at) = arn.find(":assumed-role/") else {
        return arn;
    };
    let role_start = at + ":assumed-role/".len();
    match arn.get(role_start..).and_then(|rest| rest.find('/')) {
        Some(slash) => arn.get(..role_start + slash).unwrap_or(arn),
        None => arn,
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
                principal_group(d.principal.as_deref().unwrap_or("-")).to_string(),
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
        let was = before.get(id).map_or(OutputKind::Allow, |k| k.kind);
        if let Some(change) = Change::between(was, now.kind) {
            count(change, now);
        }
    }
    for (id, was) in &before {
        if !after.contains_key(id) {
            if let Some(change) = Change::between(was.kind, OutputKind::Allow) {
                count(change, was);
            }
        }
    }
    DiffReport {
        groups,
        old: old_summary,
        new: new_summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_between_decisions_is_one_change() {
        use OutputKind::{Allow, Deny, Unknown};
        let kinds = [Allow, Deny, Unknown];
        let mut seen = Vec::new();
        for old in kinds {
            for new in kinds {
                let change = Change::between(old, new);
                assert_eq!(change.is_none(), old == new, "{old:?} -> {new:?}");
                if let Some(c) = change {
                    assert_eq!(c.from_to(), (old.word(), new.word()));
                    seen.push(c);
                }
            }
        }
        seen.sort();
        assert_eq!(seen, Change::ALL);
    }

    #[test]
    fn role_sessions_count_as_their_role() {
        let session = "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com";
        assert_eq!(
            principal_group(session),
            "arn:aws:sts::111122223333:assumed-role/Admin"
        );
        let user = "arn:aws:iam::111122223333:user/bob";
        assert_eq!(principal_group(user), user);
        assert_eq!(principal_group("-"), "-");
    }
}
