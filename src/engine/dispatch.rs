//! Routes a record to the few rules of its source that can match it, so
//! that the cost of a record does not grow with the rules that cannot.
//!
//! A rule's condition is read for *requirements*: a conjunct such as
//! `eventName == "X"`, `eventName in [...]`, `eventName starts_with "Get"`
//! or `eventName matches ["List*"]` (only trailing `*`), or an `or` whose
//! sides require the same field. Such a conjunct is definitely false for a
//! record whose field is a present string outside the values, and then the
//! whole condition is. Each rule is keyed on one requirement, on the field
//! most rules of the source can be keyed on; the rest are always
//! evaluated. A record whose keyed field is missing or not a string is
//! never ruled out here: only the evaluator decides what unknown means.

use rustc_hash::{FxHashMap, FxHashSet};

use super::compile::{CExpr, FieldPath, PathSeg};
use super::eval::resolve_one;
use super::record::{At, Node};
use super::value::Val;
use crate::syntax::ast::CmpOp;

/// The string values a condition requires of one field.
#[derive(Debug, Clone, Default, PartialEq)]
struct Values {
    exact: FxHashSet<String>,
    prefixes: Vec<String>,
}

impl Values {
    fn union(mut self, other: Values) -> Values {
        self.exact.extend(other.exact);
        self.prefixes.extend(other.prefixes);
        self
    }
}

/// Requirements of a condition, by field text (one field, one path).
type Requirements = Vec<(FieldPath, Values)>;

/// The requirements of a condition: any one of them that fails makes it
/// definitely false.
fn requirements(e: &CExpr) -> Requirements {
    match e {
        CExpr::And(a, b) => {
            let mut out = requirements(a);
            for (p, v) in requirements(b) {
                match out.iter_mut().find(|(q, _)| q.text == p.text) {
                    // Both must hold: either set rules the record out.
                    Some(_) => {}
                    None => out.push((p, v)),
                }
            }
            out
        }
        CExpr::Or(a, b) => {
            let right = requirements(b);
            requirements(a)
                .into_iter()
                .filter_map(|(p, v)| {
                    let (_, w) = right.iter().find(|(q, _)| q.text == p.text)?;
                    Some((p, v.union(w.clone())))
                })
                .collect()
        }
        CExpr::Cmp(CmpOp::Eq, lhs, rhs) => match (lhs.as_ref(), rhs.as_ref()) {
            (CExpr::Field(p), CExpr::Const(Val::Str(s)))
            | (CExpr::Const(Val::Str(s)), CExpr::Field(p))
                if keyable(p) =>
            {
                vec![(p.as_ref().clone(), exact([s.to_string()]))]
            }
            _ => Vec::new(),
        },
        CExpr::In {
            lhs,
            rhs,
            negated: false,
            ..
        } => match (lhs.as_ref(), rhs.as_ref()) {
            (CExpr::Field(p), CExpr::Const(Val::List(items))) if keyable(p) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect();
                strings.map_or_else(Vec::new, |s| vec![(p.as_ref().clone(), exact(s))])
            }
            _ => Vec::new(),
        },
        CExpr::StartsWith(lhs, rhs) => match (lhs.as_ref(), rhs.as_ref()) {
            (CExpr::Field(p), CExpr::Const(Val::Str(s))) if keyable(p) => {
                vec![(p.as_ref().clone(), prefixes(vec![s.to_string()]))]
            }
            _ => Vec::new(),
        },
        CExpr::Matches(lhs, globs) => match lhs.as_ref() {
            CExpr::Field(p) if keyable(p) => {
                let mut v = Values::default();
                for g in globs.iter() {
                    let pattern = g.pattern();
                    let stem = pattern.strip_suffix('*').unwrap_or(&pattern);
                    if stem.contains(['*', '?']) {
                        return Vec::new();
                    }
                    if stem.len() < pattern.len() {
                        v.prefixes.push(stem.to_string());
                    } else {
                        v.exact.insert(stem.to_string());
                    }
                }
                vec![(p.as_ref().clone(), v)]
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn exact(values: impl IntoIterator<Item = String>) -> Values {
    Values {
        exact: values.into_iter().collect(),
        prefixes: Vec::new(),
    }
}

fn prefixes(values: Vec<String>) -> Values {
    Values {
        exact: FxHashSet::default(),
        prefixes: values,
    }
}

/// A path of names only: one value or none per record.
fn keyable(p: &FieldPath) -> bool {
    !p.segments.is_empty() && p.segments.iter().all(|s| matches!(s, PathSeg::Name(_)))
}

/// The rules keyed on one field.
#[derive(Debug)]
struct Keyed {
    field: FieldPath,
    exact: FxHashMap<String, Vec<usize>>,
    prefixed: Vec<(String, usize)>,
    /// Every rule keyed here, in rule order.
    rules: Vec<usize>,
}

/// The rules of one source, routed by the fields their conditions require.
#[derive(Debug, Default)]
pub struct Dispatch {
    keyed: Vec<Keyed>,
    /// Rules without a requirement, in rule order.
    always: Vec<usize>,
    /// How many rules there are in all.
    total: usize,
}

impl Dispatch {
    /// Routes `rules`: (rule index, condition) in rule order.
    pub fn new<'a>(rules: impl IntoIterator<Item = (usize, Option<&'a CExpr>)>) -> Dispatch {
        let rules: Vec<(usize, Requirements)> = rules
            .into_iter()
            .map(|(i, e)| (i, e.map(requirements).unwrap_or_default()))
            .collect();
        // Fields in order of how many rules they could key, then by text.
        let mut votes: FxHashMap<&str, usize> = FxHashMap::default();
        for (_, reqs) in &rules {
            for (p, _) in reqs {
                *votes.entry(p.text.as_str()).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let rank = |text: &str| ranked.iter().position(|(t, _)| *t == text);
        let mut d = Dispatch {
            total: rules.len(),
            ..Dispatch::default()
        };
        for (i, reqs) in &rules {
            let best = reqs
                .iter()
                .filter_map(|(p, v)| rank(&p.text).map(|r| (r, p, v)))
                .min_by_key(|(r, _, _)| *r);
            let Some((_, path, values)) = best else {
                d.always.push(*i);
                continue;
            };
            let slot = match d.keyed.iter().position(|k| k.field.text == path.text) {
                Some(s) => s,
                None => {
                    d.keyed.push(Keyed {
                        field: path.clone(),
                        exact: FxHashMap::default(),
                        prefixed: Vec::new(),
                        rules: Vec::new(),
                    });
                    d.keyed.len() - 1
                }
            };
            if let Some(k) = d.keyed.get_mut(slot) {
                for v in &values.exact {
                    k.exact.entry(v.clone()).or_default().push(*i);
                }
                for p in &values.prefixes {
                    k.prefixed.push((p.clone(), *i));
                }
                k.rules.push(*i);
            }
        }
        d
    }

    /// The rules that `record` cannot rule out, in rule order, into `out`;
    /// returns how many were ruled out (their conditions are definitely
    /// false for it).
    pub fn candidates(&self, record: At<'_>, out: &mut Vec<usize>) -> usize {
        out.clear();
        out.extend_from_slice(&self.always);
        for k in &self.keyed {
            match resolve_one(record, &k.field.segments).map(|v| v.node()) {
                Some(Node::Str(s)) => {
                    if let Some(rules) = k.exact.get(s.as_ref()) {
                        out.extend_from_slice(rules);
                    }
                    for (prefix, rule) in &k.prefixed {
                        if s.starts_with(prefix.as_str()) {
                            out.push(*rule);
                        }
                    }
                }
                // Missing or not text: the evaluator decides.
                _ => out.extend_from_slice(&k.rules),
            }
        }
        out.sort_unstable();
        out.dedup();
        self.total - out.len()
    }

    /// Every rule routed, in rule order.
    pub fn all(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self.always.clone();
        for k in &self.keyed {
            all.extend_from_slice(&k.rules);
        }
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::{Doc, Key, NO_KEY};

    fn field(name: &str) -> Box<CExpr> {
        Box::new(CExpr::Field(std::sync::Arc::new(FieldPath {
            segments: vec![PathSeg::Name(Key {
                id: NO_KEY,
                name: name.into(),
            })],
            text: name.to_string(),
        })))
    }

    fn text(s: &str) -> Box<CExpr> {
        Box::new(CExpr::Const(Val::Str(s.to_string().into())))
    }

    fn eq(f: &str, v: &str) -> CExpr {
        CExpr::Cmp(CmpOp::Eq, field(f), text(v))
    }

    #[test]
    fn records_go_to_the_rules_that_can_match_them() {
        let a = CExpr::And(
            Box::new(eq("eventSource", "s3")),
            Box::new(eq("eventName", "A")),
        );
        let b = CExpr::Or(
            Box::new(eq("eventName", "B")),
            Box::new(eq("eventName", "C")),
        );
        let c = eq("eventSource", "iam");
        let d = CExpr::Not(Box::new(eq("eventName", "A")));
        let e = CExpr::StartsWith(field("eventName"), text("Delete"));
        let conds = [a, b, c, d, e];
        let dispatch = Dispatch::new(conds.iter().enumerate().map(|(i, e)| (i, Some(e))));
        let cases = [
            (r#"{"eventSource":"s3","eventName":"A"}"#, vec![0, 3], 3),
            (r#"{"eventSource":"iam","eventName":"C"}"#, vec![1, 2, 3], 2),
            (
                r#"{"eventSource":"x","eventName":"DeleteBucket"}"#,
                vec![3, 4],
                3,
            ),
            // A missing or non-text field rules nothing out.
            (r#"{"eventSource":"x"}"#, vec![0, 1, 3, 4], 1),
            (
                r#"{"eventSource":"x","eventName":["A"]}"#,
                vec![0, 1, 3, 4],
                1,
            ),
        ];
        let mut out = Vec::new();
        for (record, want, ruled_out) in cases {
            let v: serde_json::Value = serde_json::from_str(record).unwrap();
            let doc = Doc::from_value(&v, None);
            assert_eq!(
                dispatch.candidates(doc.root(), &mut out),
                ruled_out,
                "{record}"
            );
            assert_eq!(out, want, "{record}");
        }
    }
}
