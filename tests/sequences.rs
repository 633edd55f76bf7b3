//! The sequence matcher equals a brute-force oracle of the definition
//! (`docs/sequences.md`) on random streams: few keys, steps and windows,
//! with counted (and distinct-counted) steps, optional and `absent` steps,
//! `unordered` groups, per-step join entities, `until`, and revisions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use tensen::engine::sequence::{
    find_matches, Change, Count, Instance, MatchOptions, Matcher, Pattern, Step,
};

type At = (i64, u64);

/// (key, start, end, revision) of each match.
type Found = (String, At, At, u32);

fn joined<'a>(i: &'a Instance, s: &Step) -> Option<&'a str> {
    s.signals
        .contains(&i.signal)
        .then(|| i.entities.get(&s.join))
        .flatten()
}

/// Every ordering of the steps: `unordered` groups permuted.
fn orderings(p: &Pattern) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    let mut f = 0;
    while f < p.steps.len() {
        let g = p.steps[f].group;
        let len = match g {
            Some(g) => p.steps[f..]
                .iter()
                .take_while(|s| s.group == Some(g))
                .count(),
            None => 1,
        };
        let members: Vec<usize> = (f..f + len).collect();
        let perms = permutations(&members);
        out = out
            .into_iter()
            .flat_map(|prefix| {
                perms.iter().map(move |perm| {
                    let mut v = prefix.clone();
                    v.extend(perm);
                    v
                })
            })
            .collect();
        f += len;
    }
    out
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, x) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, *x);
            out.push(p);
        }
    }
    out
}

/// The matches of the definition, by brute force. `now`: time known passed;
/// an instance at time `t` also shows that time has passed `t - 1`.
fn oracle(p: &Pattern, insts: &[Instance], now: i64) -> Vec<Found> {
    let now = insts.iter().map(|i| i.time - 1).fold(now, i64::max);
    let mut keys = BTreeSet::new();
    for i in insts {
        for s in &p.steps {
            if let Some(k) = joined(i, s) {
                keys.insert(k.to_string());
            }
        }
    }
    let orders = orderings(p);
    let mut out = Vec::new();
    for key in keys {
        let mut after: Option<At> = None;
        loop {
            let mut best: Option<(At, At)> = None; // earliest end, then latest start
            for order in &orders {
                let ctx = Ctx {
                    p,
                    insts,
                    key: &key,
                    order,
                    now,
                };
                ctx.search(0, after, None, None, &mut best);
            }
            let Some((end, start)) = best else { break };
            // Revisions: later instances of the steps, until the window
            // closes or an `until` comes.
            let close = start.0.saturating_add(p.within);
            let stop = insts
                .iter()
                .filter(|i| p.until.contains(&i.signal))
                .filter(|i| i.entities.get(&p.key) == Some(&*key))
                .map(|i| (i.time, i.pos))
                .filter(|u| *u > end && u.0 <= close)
                .min();
            let absorbed: BTreeSet<u64> = insts
                .iter()
                .filter(|i| {
                    p.steps
                        .iter()
                        .any(|s| s.absent.is_none() && joined(i, s) == Some(&*key))
                })
                .map(|i| (i.time, i.pos))
                .filter(|a| *a > end && a.0 <= close && stop.is_none_or(|u| *a < u))
                .map(|a| a.1)
                .collect();
            out.push((key.clone(), start, end, 1 + absorbed.len() as u32));
            match stop {
                Some(u) => after = Some(u),
                None if close == i64::MAX => break,
                None => after = Some((close, u64::MAX)),
            }
        }
    }
    out
}

struct Ctx<'a> {
    p: &'a Pattern,
    insts: &'a [Instance],
    key: &'a str,
    order: &'a [usize],
    now: i64,
}

impl Ctx<'_> {
    fn search(
        &self,
        k: usize,
        after: Option<At>,
        start: Option<At>,
        end: Option<At>,
        best: &mut Option<(At, At)>,
    ) {
        let p = self.p;
        let later = |a: At| after.is_none_or(|x| a > x);
        if k == self.order.len() {
            let (Some(start), Some(end)) = (start, end) else {
                return;
            };
            if end.0 - start.0 > p.within {
                return;
            }
            let cut = self.insts.iter().any(|i| {
                p.until.contains(&i.signal)
                    && i.entities.get(&p.key) == Some(self.key)
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
        let step = &p.steps[self.order[k]];
        if let Some(window) = step.absent {
            let Some(e) = end else { return };
            let d = (e.0 + window, u64::MAX);
            let broken = self.insts.iter().any(|i| {
                joined(i, step) == Some(self.key) && (i.time, i.pos) > e && (i.time, i.pos) <= d
            });
            if !broken && d.0 <= self.now {
                self.search(k + 1, Some(d), start, Some(d), best);
            }
            return;
        }
        if step.optional {
            self.search(k + 1, after, start, end, best);
        }
        let mut candidates: Vec<&Instance> = self
            .insts
            .iter()
            .filter(|i| joined(i, step) == Some(self.key))
            .filter(|i| later((i.time, i.pos)))
            .collect();
        candidates.sort_by_key(|i| (i.time, i.pos));
        let n = step.count.as_ref().map_or(1, |c| c.at_least.max(1));
        for combo in combinations(candidates.len(), n) {
            let chosen: Vec<&Instance> = combo.iter().map(|&c| candidates[c]).collect();
            if let Some(count) = &step.count {
                if let Some(d) = &count.distinct {
                    let vals: Option<BTreeSet<&str>> =
                        chosen.iter().map(|c| c.entities.get(d)).collect();
                    if vals.is_none_or(|v| v.len() != n) {
                        continue;
                    }
                }
            }
            let first = (chosen[0].time, chosen[0].pos);
            let last = (chosen[n - 1].time, chosen[n - 1].pos);
            if step
                .count
                .as_ref()
                .and_then(|c| c.within)
                .is_some_and(|w| last.0 - first.0 > w)
            {
                continue;
            }
            self.search(k + 1, Some(last), start.or(Some(first)), Some(last), best);
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

fn instance(signal: usize, time: i64, pos: u64, entities: BTreeMap<String, String>) -> Instance {
    Instance {
        signal,
        time,
        pos,
        entities: entities.into(),
        severity: 5.0,
        rule: format!("s{signal}").into(),
        detail: tensen::engine::sequence::Detail::new(&serde_json::Value::Null),
        denied_by: Vec::new(),
    }
}

fn instances() -> impl Strategy<Value = Vec<Instance>> {
    prop::collection::vec(
        (
            0usize..5,
            0i64..40,
            0usize..2,
            0usize..2,
            0usize..3,
            prop::bool::weighted(0.2),
        ),
        0..14,
    )
    .prop_map(|raw| {
        let mut out: Vec<Instance> = Vec::new();
        let mut pos = 0u64;
        let mut time = 0i64;
        for (n, (signal, t, k, k2, v, same_record)) in raw.into_iter().enumerate() {
            // Sometimes one record yields several instances (same time and
            // position, other signals and entities).
            if !(same_record && n > 0) {
                pos += 1;
                time = t;
            }
            let mut entities = BTreeMap::new();
            entities.insert("k".to_string(), ["a", "b"][k].to_string());
            entities.insert("k2".to_string(), ["a", "b"][k2].to_string());
            entities.insert("v".to_string(), ["x", "y", "z"][v].to_string());
            if out
                .iter()
                .any(|i: &Instance| i.pos == pos && i.signal == signal)
            {
                continue;
            }
            out.push(instance(signal, time, pos, entities));
        }
        // Input order is not time order.
        out.reverse();
        out
    })
}

/// What one stage of a random pattern is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Plain,
    Optional,
    Absent(i64),
    Group(usize),
}

fn step(label: usize, optional: bool) -> impl Strategy<Value = Step> {
    (
        prop::collection::btree_set(0usize..4, 1..3),
        prop_oneof![3 => Just(None), 1 => (1usize..4, any::<bool>(), prop::option::of(0i64..20)).prop_map(Some)],
        prop_oneof![3 => Just("k"), 1 => Just("k2")],
    )
        .prop_map(move |(signals, count, join)| Step {
            label: format!("s{label}"),
            signals: signals.into_iter().collect(),
            optional,
            absent: None,
            count: count.map(|(n, distinct, within)| Count {
                at_least: n,
                distinct: distinct.then(|| "v".to_string()),
                within,
            }),
            join: join.to_string(),
            group: None,
        })
}

fn stage(index: usize) -> impl Strategy<Value = Vec<Step>> {
    let kind = if index == 0 {
        prop_oneof![4 => Just(Kind::Plain), 1 => Just(Kind::Group(2))].boxed()
    } else {
        prop_oneof![
            4 => Just(Kind::Plain),
            1 => Just(Kind::Optional),
            2 => (1i64..15).prop_map(Kind::Absent),
            1 => (2usize..4).prop_map(Kind::Group),
        ]
        .boxed()
    };
    kind.prop_flat_map(move |kind| match kind {
        Kind::Plain => step(index * 10, false).prop_map(|s| vec![s]).boxed(),
        Kind::Optional => step(index * 10, true).prop_map(|s| vec![s]).boxed(),
        Kind::Absent(w) => (
            prop::collection::btree_set(0usize..5, 1..3),
            prop_oneof![Just("k"), Just("k2")],
        )
            .prop_map(move |(signals, join)| {
                vec![Step {
                    label: format!("s{}", index * 10),
                    signals: signals.into_iter().collect(),
                    optional: false,
                    absent: Some(w),
                    count: None,
                    join: join.to_string(),
                    group: None,
                }]
            })
            .boxed(),
        Kind::Group(n) => (0..n)
            .map(|m| (step(index * 10 + m, false), any::<bool>()))
            .collect::<Vec<_>>()
            .prop_map(move |members| {
                members
                    .into_iter()
                    .map(|(mut s, optional)| {
                        s.group = Some(index);
                        s.optional = optional && index > 0;
                        s
                    })
                    .collect()
            })
            .boxed(),
    })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    (
        1usize..4,
        prop_oneof![5 => 0i64..40, 1 => Just(i64::MAX)],
        any::<bool>(),
    )
        .prop_flat_map(|(n, within, until)| {
            let stages: Vec<_> = (0..n).map(stage).collect();
            (stages, Just(within), Just(until))
        })
        .prop_map(|(stages, within, until)| Pattern {
            key: "k".to_string(),
            within,
            steps: stages.into_iter().flatten().collect(),
            until: if until { vec![3] } else { Vec::new() },
        })
}

fn found(p: &Pattern, insts: &[Instance], now: i64) -> Vec<Found> {
    let mut got: Vec<Found> = find_matches(p, insts, now)
        .into_iter()
        .map(|m| (m.key, m.start, m.end, m.revision))
        .collect();
    got.sort();
    got
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matcher_equals_the_oracle(p in pattern(), insts in instances(), now in 20i64..80) {
        let got = found(&p, &insts, now);
        let mut want = oracle(&p, &insts, now);
        want.sort();
        prop_assert_eq!(got, want);
    }

    /// Stopping anywhere, saving the state as JSON and going on gives the
    /// same matches as one pass.
    #[test]
    fn state_round_trips(p in pattern(), insts in instances(), cut in 0usize..14) {
        let mut sorted: Vec<Arc<Instance>> = insts.iter().cloned().map(Arc::new).collect();
        sorted.sort_by_key(|i| i.at());
        let run = |split: Option<usize>| {
            let mut m = Matcher::new(p.clone(), MatchOptions::default());
            let mut emits = Vec::new();
            for (n, i) in sorted.iter().enumerate() {
                if Some(n) == split {
                    let text = serde_json::to_string(&m.state).unwrap();
                    m = Matcher::new(p.clone(), MatchOptions::default());
                    m.state = serde_json::from_str(&text).unwrap();
                }
                emits.extend(m.feed(i));
            }
            emits.extend(m.advance(100));
            emits.into_iter().map(|e| (e.change == Change::Opened, e.m.key, e.m.start, e.m.end, e.m.revision)).collect::<Vec<_>>()
        };
        prop_assert_eq!(run(Some(cut)), run(None));
    }

    /// Partitions of the keys together find exactly what one matcher finds.
    #[test]
    fn partitions_are_exact(p in pattern(), insts in instances(), n in 1u64..4) {
        let whole = found(&p, &insts, 60);
        let mut parts = Vec::new();
        for i in 0..n {
            let mut sorted: Vec<Arc<Instance>> = insts.iter().cloned().map(Arc::new).collect();
            sorted.sort_by_key(|x| x.at());
            let mut m = Matcher::new(p.clone(), MatchOptions { partition: Some((i, n)), ..MatchOptions::default() });
            let mut last = BTreeMap::new();
            let mut emits = Vec::new();
            for x in &sorted {
                emits.extend(m.feed(x));
            }
            emits.extend(m.advance(60));
            for e in emits {
                last.insert((e.m.key.clone(), e.m.start), e.m);
            }
            for o in m.take_unreported() {
                last.insert((o.key.clone(), o.start), o);
            }
            parts.extend(last.into_values().map(|m| (m.key, m.start, m.end, m.revision)));
        }
        parts.sort();
        prop_assert_eq!(parts, whole);
    }
}

fn plain(label: &str, signal: usize) -> Step {
    Step {
        label: label.into(),
        signals: vec![signal],
        optional: false,
        absent: None,
        count: None,
        join: "k".into(),
        group: None,
    }
}

fn inst(signal: usize, time: i64, pos: u64, k: &str) -> Instance {
    instance(
        signal,
        time,
        pos,
        BTreeMap::from([("k".to_string(), k.to_string())]),
    )
}

#[test]
fn a_simple_chain() {
    let p = Pattern {
        key: "k".into(),
        within: 10,
        steps: vec![plain("a", 0), plain("b", 1)],
        until: vec![2],
    };
    // a then b for alice: a match; b then a for bob: none; carol remediated;
    // dave out of the window.
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
    let m = find_matches(&p, &insts, 100);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].key, "alice");
    let pos: Vec<Vec<u64>> = m[0]
        .steps
        .iter()
        .map(|s| s.iter().map(|i| i.pos).collect())
        .collect();
    assert_eq!(pos, vec![vec![0], vec![1]]);
}

#[test]
fn an_absence_is_decided_only_when_its_window_has_closed() {
    let mut absent = plain("restarted", 1);
    absent.absent = Some(30);
    let p = Pattern {
        key: "k".into(),
        within: 30,
        steps: vec![plain("stopped", 0), absent],
        until: Vec::new(),
    };
    let insts = vec![inst(0, 0, 0, "trail"), inst(5, 20, 1, "other")];
    // At 20 the window (0, 30] is still open: nothing yet.
    assert!(find_matches(&p, &insts, 20).is_empty());
    assert!(find_matches(&p, &insts, 29).is_empty());
    // Once time has passed 30 without a restart, it fires, at 30.
    let m = find_matches(&p, &insts, 30);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].end, (30, u64::MAX));
    // A restart inside the window means no finding, whenever it is asked.
    let restarted = vec![inst(0, 0, 0, "trail"), inst(1, 29, 1, "trail")];
    assert!(find_matches(&p, &restarted, 1000).is_empty());
}

#[test]
fn later_instances_revise_the_finding_inside_its_window() {
    let p = Pattern {
        key: "k".into(),
        within: 10,
        steps: vec![plain("a", 0), plain("b", 1)],
        until: Vec::new(),
    };
    let insts = vec![
        inst(0, 0, 0, "alice"),
        inst(1, 2, 1, "alice"),
        inst(1, 4, 2, "alice"),
        inst(0, 9, 3, "alice"),
        // After the window (0 + 10): a new match starts.
        inst(0, 11, 4, "alice"),
        inst(1, 12, 5, "alice"),
    ];
    let m = find_matches(&p, &insts, 100);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].revision, 3);
    assert_eq!(m[0].steps[1].len(), 2);
    assert_eq!(m[1].start, (11, 4));
}

#[test]
fn regression_absent_same_signal() {
    let mut s0 = plain("s0", 2);
    s0.join = "k2".into();
    let mut s1 = plain("s10", 2);
    s1.absent = Some(14);
    let p = Pattern {
        key: "k".into(),
        within: i64::MAX,
        steps: vec![s0, s1],
        until: vec![3],
    };
    let e = |signal, time, pos, k: &str, k2: &str| {
        instance(
            signal,
            time,
            pos,
            BTreeMap::from([
                ("k".to_string(), k.to_string()),
                ("k2".to_string(), k2.to_string()),
            ]),
        )
    };
    let insts = vec![
        e(2, 0, 6, "b", "b"),
        e(1, 19, 5, "a", "b"),
        e(4, 12, 4, "b", "a"),
        e(2, 13, 3, "b", "a"),
        e(1, 29, 2, "a", "a"),
        e(1, 16, 1, "a", "a"),
        e(0, 30, 0, "a", "a"),
    ];
    assert_eq!(found(&p, &insts, 20), oracle(&p, &insts, 20));
}
