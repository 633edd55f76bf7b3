//! The sequence matcher equals a brute-force oracle of the definition
//! (`docs/sequences.md`) on random streams: few keys, steps and windows,
//! with counted (and distinct-counted) steps, optional steps, per-step join
//! entities and `until`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tensen::engine::sequence::{find_matches, Count, Instance, Pattern, Step};

type At = (i64, u64);

/// (key, start, end) of each match, by the definition, brute force.
fn oracle(p: &Pattern, insts: &[Instance]) -> Vec<(String, At, At)> {
    let at = |i: &Instance| (i.time, i.pos);
    let mut keys = BTreeSet::new();
    for i in insts {
        for s in &p.steps {
            if s.signals.contains(&i.signal) {
                if let Some(k) = i.entities.get(&s.join) {
                    keys.insert(k.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let mut after: Option<At> = None;
        loop {
            let mut best: Option<(At, At)> = None; // (end, start): earliest end, then latest start
            search(p, insts, &key, 0, after, None, None, &mut best);
            let Some((end, start)) = best else { break };
            out.push((key.clone(), start, end));
            after = Some(end);
        }
    }
    let _ = at;
    out
}

#[allow(clippy::too_many_arguments)]
fn search(
    p: &Pattern,
    insts: &[Instance],
    key: &str,
    s: usize,
    after: Option<At>,
    start: Option<At>,
    end: Option<At>,
    best: &mut Option<(At, At)>,
) {
    let later = |a: At| after.is_none_or(|x| a > x);
    if s == p.steps.len() {
        let (Some(start), Some(end)) = (start, end) else {
            return;
        };
        if end.0 - start.0 > p.within {
            return;
        }
        let cut = insts.iter().any(|i| {
            p.until.contains(&i.signal)
                && i.entities.get(&p.key).map(String::as_str) == Some(key)
                && (i.time, i.pos) > start
                && (i.time, i.pos) < end
        });
        if cut {
            return;
        }
        let better = match best {
            None => true,
            Some((e, st)) => end < *e || (end == *e && start > *st),
        };
        if better {
            *best = Some((end, start));
        }
        return;
    }
    let step = &p.steps[s];
    if step.optional {
        search(p, insts, key, s + 1, after, start, end, best);
    }
    let mut candidates: Vec<&Instance> = insts
        .iter()
        .filter(|i| step.signals.contains(&i.signal))
        .filter(|i| i.entities.get(&step.join).map(String::as_str) == Some(key))
        .filter(|i| later((i.time, i.pos)))
        .collect();
    candidates.sort_by_key(|i| (i.time, i.pos));
    match &step.count {
        None => {
            for c in candidates {
                let a = (c.time, c.pos);
                search(
                    p,
                    insts,
                    key,
                    s + 1,
                    Some(a),
                    start.or(Some(a)),
                    Some(a),
                    best,
                );
            }
        }
        Some(count) => {
            let n = count.at_least.max(1);
            for combo in combinations(candidates.len(), n) {
                let chosen: Vec<&Instance> = combo.iter().map(|&k| candidates[k]).collect();
                if let Some(d) = &count.distinct {
                    let vals: Option<BTreeSet<&String>> =
                        chosen.iter().map(|c| c.entities.get(d)).collect();
                    if vals.is_none_or(|v| v.len() != n) {
                        continue;
                    }
                }
                let first = (chosen[0].time, chosen[0].pos);
                let last = (chosen[n - 1].time, chosen[n - 1].pos);
                if count.within.is_some_and(|w| last.0 - first.0 > w) {
                    continue;
                }
                search(
                    p,
                    insts,
                    key,
                    s + 1,
                    Some(last),
                    start.or(Some(first)),
                    Some(last),
                    best,
                );
            }
        }
    }
}

fn combinations(len: usize, k: usize) -> Vec<Vec<usize>> {
    fn rec(start: usize, len: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..len {
            cur.push(i);
            rec(i + 1, len, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(0, len, k, &mut Vec::new(), &mut out);
    out
}

fn instances() -> impl Strategy<Value = Vec<Instance>> {
    prop::collection::vec(
        (0usize..4, 0i64..40, 0usize..2, 0usize..2, 0usize..3),
        0..14,
    )
    .prop_map(|raw| {
        let mut out: Vec<Instance> = raw
            .into_iter()
            .enumerate()
            .map(|(pos, (signal, time, k, k2, v))| {
                let mut entities = BTreeMap::new();
                entities.insert("k".to_string(), ["a", "b"][k].to_string());
                entities.insert("k2".to_string(), ["a", "b"][k2].to_string());
                entities.insert("v".to_string(), ["x", "y", "z"][v].to_string());
                Instance {
                    signal,
                    time,
                    pos: pos as u64,
                    entities,
                }
            })
            .collect();
        // Input order is not time order.
        out.reverse();
        out
    })
}

fn step(index: usize) -> impl Strategy<Value = Step> {
    (
        prop::collection::btree_set(0usize..3, 1..3),
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => (1usize..4, any::<bool>(), prop::option::of(0i64..20)).prop_map(Some)],
        prop_oneof![3 => Just("k"), 1 => Just("k2")],
    )
        .prop_map(move |(signals, optional, count, join)| Step {
            label: format!("s{index}"),
            signals: signals.into_iter().collect(),
            optional: optional && index > 0,
            count: count.map(|(n, distinct, within)| Count {
                at_least: n,
                distinct: distinct.then(|| "v".to_string()),
                within,
            }),
            join: join.to_string(),
        })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    (1usize..4, 0i64..40, any::<bool>())
        .prop_flat_map(|(n, within, until)| {
            let steps: Vec<_> = (0..n).map(step).collect();
            (steps, Just(within), Just(until))
        })
        .prop_map(|(steps, within, until)| Pattern {
            key: "k".to_string(),
            within,
            steps,
            until: if until { vec![3] } else { Vec::new() },
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matcher_equals_the_oracle(p in pattern(), insts in instances()) {
        let got: Vec<(String, At, At)> = find_matches(&p, &insts).into_iter().map(|m| (m.key, m.start, m.end)).collect();
        let mut want = oracle(&p, &insts);
        want.sort();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        prop_assert_eq!(got_sorted, want);
    }
}

#[test]
fn a_simple_chain() {
    let inst = |signal, time, pos: u64, k: &str| Instance {
        signal,
        time,
        pos,
        entities: BTreeMap::from([("k".to_string(), k.to_string())]),
    };
    let p = Pattern {
        key: "k".into(),
        within: 10,
        steps: vec![
            Step {
                label: "a".into(),
                signals: vec![0],
                optional: false,
                count: None,
                join: "k".into(),
            },
            Step {
                label: "b".into(),
                signals: vec![1],
                optional: false,
                count: None,
                join: "k".into(),
            },
        ],
        until: vec![2],
    };
    // a then b for alice: a match; b then a for bob: none; carol remediated.
    let insts = vec![
        inst(0, 1, 0, "alice"),
        inst(1, 5, 1, "alice"),
        inst(1, 1, 2, "bob"),
        inst(0, 5, 3, "bob"),
        inst(0, 1, 4, "carol"),
        inst(2, 2, 5, "carol"),
        inst(1, 3, 6, "carol"),
        inst(0, 1, 7, "dave"),
        inst(1, 20, 8, "dave"),
    ];
    let m = find_matches(&p, &insts);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].key, "alice");
    assert_eq!(m[0].steps, vec![vec![0], vec![1]]);
}
