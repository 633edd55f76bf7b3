//! The sequence matcher: signal instances of one key in, attack-sequence
//! matches out, by the definition in `docs/sequences.md`.
//!
//! It sweeps the instances of a key in order (event time, then input order)
//! once, keeping for every prefix of the steps the history of its best
//! partial match (the one that starts latest, which is best for the
//! `within` bound and for `until`). A match is emitted at the first instance
//! that completes the steps within bounds; the sweep then starts again after
//! it. It is checked against a brute-force oracle of the definition in
//! `tests/sequences.rs`.

use std::collections::{BTreeMap, BTreeSet};

/// A signal instance as sequences see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Index of the signal (or sequence) that fired.
    pub signal: usize,
    /// Event time, epoch milliseconds.
    pub time: i64,
    /// Position in the input: breaks ties of time.
    pub pos: u64,
    /// Entity values, by entity name.
    pub entities: BTreeMap<String, String>,
}

/// How many instances a counted step needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    /// At least this many.
    pub at_least: usize,
    /// Count distinct values of this entity instead of instances.
    pub distinct: Option<String>,
    /// The counted instances lie within this span (ms) of each other.
    pub within: Option<i64>,
}

/// One step of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub label: String,
    /// The signals that can fill it.
    pub signals: Vec<usize>,
    pub optional: bool,
    pub count: Option<Count>,
    /// The entity of the step's signals that must equal the key.
    pub join: String,
}

/// A sequence as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The key entity (for `until` instances).
    pub key: String,
    /// First step to last step, ms.
    pub within: i64,
    pub steps: Vec<Step>,
    /// Signals that close a key's open matches.
    pub until: Vec<usize>,
}

/// One match: the instances that filled each step.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub key: String,
    /// For each step (by index), the instances that filled it (several for
    /// a counted step, none for a skipped optional step).
    pub steps: Vec<Vec<usize>>,
    /// (time, pos) of the first and the last instance.
    pub start: (i64, u64),
    pub end: (i64, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Step(usize),
    Until,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    at: (i64, u64),
    role: Role,
    inst: usize,
}

/// A partial match that completed a prefix of the steps.
#[derive(Debug, Clone)]
struct Partial {
    start: (i64, u64),
    end: (i64, u64),
    steps: Vec<Vec<usize>>,
}

/// Every match of `pattern` over `instances`, by key, keys in order.
pub fn find_matches(pattern: &Pattern, instances: &[Instance]) -> Vec<Match> {
    let mut by_key: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for (i, inst) in instances.iter().enumerate() {
        for (j, step) in pattern.steps.iter().enumerate() {
            if step.signals.contains(&inst.signal) {
                if let Some(k) = inst.entities.get(&step.join) {
                    by_key.entry(k.clone()).or_default().push(Event {
                        at: (inst.time, inst.pos),
                        role: Role::Step(j),
                        inst: i,
                    });
                }
            }
        }
        if pattern.until.contains(&inst.signal) {
            if let Some(k) = inst.entities.get(&pattern.key) {
                by_key.entry(k.clone()).or_default().push(Event {
                    at: (inst.time, inst.pos),
                    role: Role::Until,
                    inst: i,
                });
            }
        }
    }
    let mut out = Vec::new();
    for (key, mut events) in by_key {
        events.sort_by_key(|e| (e.at, e.role, e.inst));
        let mut from = 0usize;
        while let Some((m, next)) = first_match(pattern, instances, &events, from) {
            out.push(Match {
                key: key.clone(),
                steps: m.steps,
                start: m.start,
                end: m.end,
            });
            from = next;
        }
    }
    out
}

/// The first match among `events[from..]`, and where to look next.
fn first_match(
    pattern: &Pattern,
    instances: &[Instance],
    events: &[Event],
    from: usize,
) -> Option<(Partial, usize)> {
    let n = pattern.steps.len();
    if n == 0 {
        return None;
    }
    // hist[s]: partials that completed steps 0..s, in order of `end`, with
    // strictly increasing `start`.
    let mut hist: Vec<Vec<Partial>> = vec![Vec::new(); n + 1];
    // Instances of each counted step seen so far.
    let mut counted: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut untils: Vec<(i64, u64)> = Vec::new();
    let mut i = from;
    while i < events.len() {
        let at = events.get(i).map(|e| e.at)?;
        let mut j = i;
        while events.get(j).is_some_and(|e| e.at == at) {
            j += 1;
        }
        let group = events.get(i..j).unwrap_or(&[]);
        // Candidates from the state before this position.
        let mut new: Vec<(usize, Partial)> = Vec::new();
        for e in group {
            match e.role {
                Role::Until => {}
                Role::Step(s) => {
                    if let Some(p) = extend(pattern, instances, &hist, &mut counted, s, e) {
                        new.push((s + 1, p));
                    }
                }
            }
        }
        for e in group {
            if e.role == Role::Until {
                untils.push(e.at);
            }
        }
        // Apply, in step order, cascading over optional steps.
        new.sort_by_key(|(s, p)| (*s, p.start));
        for (s, p) in new {
            push(&mut hist, s, p, pattern);
        }
        // A completed match?
        if let Some(done) = hist.get(n).and_then(|h| h.last()).filter(|p| p.end == at) {
            let within = done.end.0 - done.start.0 <= pattern.within;
            let cut = untils.iter().any(|u| *u > done.start && *u < done.end);
            if within && !cut {
                return Some((done.clone(), j));
            }
        }
        i = j;
    }
    None
}

/// Appends a partial to `hist[s]` if it starts later than the best so far,
/// and carries it over optional steps that follow.
fn push(hist: &mut [Vec<Partial>], s: usize, p: Partial, pattern: &Pattern) {
    let Some(h) = hist.get_mut(s) else { return };
    if h.last().is_some_and(|last| last.start >= p.start) {
        return;
    }
    h.push(p.clone());
    if pattern.steps.get(s).is_some_and(|step| step.optional) {
        let mut skipped = p;
        skipped.steps.push(Vec::new());
        push(hist, s + 1, skipped, pattern);
    }
}

/// The best partial before position `before` that completed steps 0..s.
fn best_before(hist: &[Vec<Partial>], s: usize, before: (i64, u64)) -> Option<Partial> {
    if s == 0 {
        return Some(Partial {
            start: (i64::MAX, u64::MAX),
            end: (i64::MIN, 0),
            steps: Vec::new(),
        });
    }
    let h = hist.get(s)?;
    let k = h.partition_point(|p| p.end < before);
    k.checked_sub(1).and_then(|k| h.get(k)).cloned()
}

/// Fills step `s` with event `e` (and, for a counted step, the instances
/// before it), on top of the best partial that ends before them.
fn extend(
    pattern: &Pattern,
    instances: &[Instance],
    hist: &[Vec<Partial>],
    counted: &mut [Vec<usize>],
    s: usize,
    e: &Event,
) -> Option<Partial> {
    let step = pattern.steps.get(s)?;
    let at = |i: usize| {
        instances
            .get(i)
            .map(|x| (x.time, x.pos))
            .unwrap_or((i64::MAX, u64::MAX))
    };
    let filled: Vec<usize> = match &step.count {
        None => vec![e.inst],
        Some(count) => {
            let seen = counted.get_mut(s)?;
            seen.push(e.inst);
            // The latest instances that reach the threshold.
            let mut chosen = Vec::new();
            let mut values = BTreeSet::new();
            for &i in seen.iter().rev() {
                if let Some(d) = &count.distinct {
                    let Some(v) = instances.get(i).and_then(|x| x.entities.get(d)) else {
                        continue;
                    };
                    if !values.insert(v.clone()) {
                        continue;
                    }
                }
                chosen.push(i);
                if chosen.len() >= count.at_least {
                    break;
                }
            }
            if chosen.len() < count.at_least.max(1) {
                return None;
            }
            chosen.reverse();
            let first = at(*chosen.first()?);
            if count.within.is_some_and(|w| e.at.0 - first.0 > w) {
                return None;
            }
            chosen
        }
    };
    let first = at(*filled.first()?);
    let prev = best_before(hist, s, first)?;
    let start = if s == 0 { first } else { prev.start };
    let mut steps = prev.steps;
    steps.push(filled);
    Some(Partial {
        start,
        end: e.at,
        steps,
    })
}
