//! One key's state: the search for a match (partial matches by plan node),
//! or the open finding that later instances revise.
//!
//! A pattern is planned as stages (a step, an `absent` step, an `unordered`
//! group); a node is a stage and, inside a group, the set of its steps done.
//! For every node the search keeps the history of its best partial match
//! (the one that starts latest: best for `within` and for `until`), in order
//! of end. An instance fills a step on top of the best partial that ends
//! before it. Partials before an `absent` step wait as candidates until a
//! forbidden instance kills them or their window closes.

use serde::{Deserialize, Serialize};

use super::{At, Change, Emit, Inst, Match, Pattern, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Single(usize),
    Absent(usize),
    /// Steps `base..base + len`, in any order.
    Group {
        base: usize,
        len: usize,
    },
}

/// The nodes of a pattern and the moves between them.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    stages: Vec<Stage>,
    /// Node id of each stage's first node; the last entry is the final node.
    base: Vec<usize>,
    /// (stage, set of group steps done) of each node.
    info: Vec<(usize, u32)>,
    /// For each step: the (from, to) nodes it moves between.
    moves: Vec<Vec<(usize, usize)>>,
}

impl Plan {
    pub(super) fn new(p: &Pattern) -> Plan {
        let mut stages = Vec::new();
        let mut f = 0;
        while let Some(step) = p.steps.get(f) {
            match step.group {
                Some(g) => {
                    let len = p
                        .steps
                        .iter()
                        .skip(f)
                        .take_while(|s| s.group == Some(g))
                        .count()
                        .min(16);
                    stages.push(Stage::Group { base: f, len });
                    f += len.max(1);
                }
                None if step.absent.is_some() => {
                    stages.push(Stage::Absent(f));
                    f += 1;
                }
                None => {
                    stages.push(Stage::Single(f));
                    f += 1;
                }
            }
        }
        let mut base = Vec::new();
        let mut info = Vec::new();
        for (i, s) in stages.iter().enumerate() {
            base.push(info.len());
            let size = match s {
                Stage::Group { len, .. } => (1u32 << len) - 1,
                _ => 1,
            };
            info.extend((0..size).map(|m| (i, m)));
        }
        base.push(info.len());
        info.push((stages.len(), 0));
        let mut plan = Plan {
            stages,
            base,
            info,
            moves: vec![Vec::new(); p.steps.len()],
        };
        for (i, s) in plan.stages.clone().iter().enumerate() {
            match *s {
                Stage::Single(f) => {
                    let mv = (plan.node(i, 0), plan.node(i + 1, 0));
                    if let Some(m) = plan.moves.get_mut(f) {
                        m.push(mv);
                    }
                }
                Stage::Group { base, len } => {
                    for k in 0..len {
                        let bit = 1u32 << k;
                        let moves: Vec<(usize, usize)> = (0..(1u32 << len))
                            .filter(|m| m & bit == 0)
                            .map(|m| (plan.node(i, m), plan.node(i, m | bit)))
                            .collect();
                        if let Some(m) = plan.moves.get_mut(base + k) {
                            *m = moves;
                        }
                    }
                }
                Stage::Absent(_) => {}
            }
        }
        plan
    }

    /// The node of `stage` with the group steps `mask` done.
    fn node(&self, stage: usize, mask: u32) -> usize {
        if let Some(Stage::Group { len, .. }) = self.stages.get(stage) {
            if mask == (1u32 << len) - 1 {
                return self.node(stage + 1, 0);
            }
        }
        self.base.get(stage).copied().unwrap_or(usize::MAX) + mask as usize
    }

    fn final_node(&self) -> usize {
        self.info.len() - 1
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Partial {
    start: At,
    end: At,
    steps: Vec<Vec<Inst>>,
}

/// A partial match waiting out an `absent` step's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cand {
    stage: usize,
    deadline: i64,
    partial: Partial,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Search {
    /// Per node: best partials, in order of end, starts increasing.
    hist: Vec<Vec<Partial>>,
    /// Per counted step: the instances seen that may still count.
    counted: Vec<Vec<Inst>>,
    cands: Vec<Cand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Open {
    pub(super) m: Match,
    /// Revisions are taken up to this time; then the finding closes.
    close_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum KeyState {
    Search(Search),
    Open(Box<Open>),
}

fn within_ok(p: &Partial, pattern: &Pattern) -> bool {
    p.end.0.saturating_sub(p.start.0) <= pattern.within
}

impl KeyState {
    pub(super) fn fresh(plan: &Plan, pattern: &Pattern) -> KeyState {
        KeyState::Search(Search {
            hist: vec![Vec::new(); plan.info.len()],
            counted: vec![Vec::new(); pattern.steps.len()],
            cands: Vec::new(),
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        match self {
            KeyState::Search(s) => {
                s.cands.is_empty()
                    && s.hist.iter().all(Vec::is_empty)
                    && s.counted.iter().all(Vec::is_empty)
            }
            KeyState::Open(_) => false,
        }
    }

    /// The next time this key must hear about, if any: an `absent`
    /// window's end, a finding's close, or the time its oldest partial or
    /// counted instance can no longer be part of a match (then it is
    /// dropped, and a key left with nothing is dropped too: the state of a
    /// key that is never seen again does not stay for the rest of a run).
    pub(super) fn deadline(&self, pattern: &Pattern) -> Option<i64> {
        match self {
            KeyState::Search(s) => {
                let cands = s.cands.iter().map(|c| c.deadline).min();
                cands.into_iter().chain(s.expiry(pattern)).min()
            }
            KeyState::Open(o) => (o.close_at < i64::MAX).then_some(o.close_at),
        }
    }

    /// The instances of one record for this key.
    pub(super) fn group(
        &mut self,
        plan: &Plan,
        pattern: &Pattern,
        key: &str,
        at: At,
        events: &[(Role, Inst)],
    ) -> Vec<Emit> {
        let until = events.iter().any(|(r, _)| *r == Role::Until);
        match self {
            KeyState::Open(o) => {
                if until && at > o.m.end {
                    let m = o.m.clone();
                    *self = KeyState::fresh(plan, pattern);
                    return vec![Emit {
                        change: Change::Closed,
                        m,
                    }];
                }
                if o.revise(pattern, at, events) {
                    return vec![Emit {
                        change: Change::Revised,
                        m: o.m.clone(),
                    }];
                }
                Vec::new()
            }
            KeyState::Search(s) => match s.group(plan, pattern, at, events, until) {
                Some(p) => self.open(pattern, key, p),
                None => Vec::new(),
            },
        }
    }

    /// Time has passed up to (not including) `t`.
    pub(super) fn advance(
        &mut self,
        plan: &Plan,
        pattern: &Pattern,
        key: &str,
        t: i64,
    ) -> Vec<Emit> {
        let mut out = Vec::new();
        loop {
            match self {
                KeyState::Search(s) => match s.close(plan, pattern, t) {
                    Some(p) => out.extend(self.open(pattern, key, p)),
                    None => {
                        // Nothing left to decide before `t`, and nothing
                        // fed from now on is earlier than `t`.
                        s.prune(pattern, t);
                        break;
                    }
                },
                KeyState::Open(o) => {
                    if o.close_at < t {
                        out.push(Emit {
                            change: Change::Closed,
                            m: o.m.clone(),
                        });
                        *self = KeyState::fresh(plan, pattern);
                    }
                    break;
                }
            }
        }
        out
    }

    fn open(&mut self, pattern: &Pattern, key: &str, p: Partial) -> Vec<Emit> {
        let m = Match {
            key: key.to_string(),
            counts: p.steps.iter().map(|s| s.len() as u64).collect(),
            steps: p.steps,
            start: p.start,
            end: p.end,
            last: p.end,
            revision: 1,
            reported: 0,
        };
        let close_at = p.start.0.saturating_add(pattern.within);
        *self = KeyState::Open(Box::new(Open {
            m: m.clone(),
            close_at,
        }));
        vec![Emit {
            change: Change::Opened,
            m,
        }]
    }
}

impl Open {
    /// Adds a record's instances to the steps they fill (the last such
    /// step); true if anything joined.
    fn revise(&mut self, pattern: &Pattern, at: At, events: &[(Role, Inst)]) -> bool {
        let mut chosen: Vec<(usize, &Inst)> = Vec::new();
        for (role, inst) in events {
            let Role::Step(f) = role else { continue };
            if pattern.steps.get(*f).is_none_or(|s| s.absent.is_some()) {
                continue;
            }
            match chosen.iter_mut().find(|(_, i)| i.signal == inst.signal) {
                Some(c) => c.0 = c.0.max(*f),
                None => chosen.push((*f, inst)),
            }
        }
        for (f, inst) in &chosen {
            if let Some(step) = self.m.steps.get_mut(*f) {
                // The first instances and the latest are kept; the rest
                // are counted.
                if step.len() > super::KEPT {
                    step.pop();
                }
                step.push((*inst).clone());
            }
            if let Some(n) = self.m.counts.get_mut(*f) {
                *n += 1;
            }
        }
        if chosen.is_empty() {
            return false;
        }
        self.m.revision += 1;
        self.m.last = self.m.last.max(at);
        true
    }
}

impl Search {
    /// One record's instances; returns a completed match, if any.
    fn group(
        &mut self,
        plan: &Plan,
        pattern: &Pattern,
        at: At,
        events: &[(Role, Inst)],
        until: bool,
    ) -> Option<Partial> {
        self.prune(pattern, at.0);
        // A forbidden instance ends the windows of the `absent` steps.
        for (role, _) in events {
            let Role::Step(f) = role else { continue };
            if let Some(stage) = plan.stages.iter().position(|s| *s == Stage::Absent(*f)) {
                self.cands
                    .retain(|c| c.stage != stage || c.partial.end >= at);
            }
        }
        // Moves computed from the state before this record.
        let mut new: Vec<(usize, Partial)> = Vec::new();
        for (role, inst) in events {
            let Role::Step(f) = role else { continue };
            let Some(step) = pattern.steps.get(*f) else {
                continue;
            };
            if step.absent.is_some() {
                continue;
            }
            let filled = match &step.count {
                None => vec![inst.clone()],
                Some(count) => {
                    let Some(seen) = self.counted.get_mut(*f) else {
                        continue;
                    };
                    seen.push(inst.clone());
                    match fill(count, seen, at) {
                        Some(f) => f,
                        None => continue,
                    }
                }
            };
            let Some(first) = filled.first().map(|i| i.at()) else {
                continue;
            };
            for &(from, to) in plan.moves.get(*f).into_iter().flatten() {
                let Some((start, mut steps)) = self.before(from, first, pattern) else {
                    continue;
                };
                if let Some(s) = steps.get_mut(*f) {
                    *s = filled.clone();
                }
                new.push((
                    to,
                    Partial {
                        start: start.unwrap_or(first),
                        end: at,
                        steps,
                    },
                ));
            }
        }
        new.sort_by_key(|(to, p)| (*to, p.start));
        let mut done = None;
        for (to, p) in new {
            self.push(plan, pattern, to, p, &mut done);
        }
        let done = done.filter(|p| within_ok(p, pattern));
        if until && done.is_none() {
            // No partial started before this record can complete later.
            for h in &mut self.hist {
                h.retain(|p| p.start >= at);
            }
            for c in &mut self.counted {
                c.retain(|i| i.at() >= at);
            }
            self.cands.retain(|c| c.partial.start >= at);
        }
        done
    }

    /// The best partial at `node` that ends before `before`: its start
    /// (none for the empty partial of the first node) and steps.
    fn before(
        &self,
        node: usize,
        before: At,
        pattern: &Pattern,
    ) -> Option<(Option<At>, Vec<Vec<Inst>>)> {
        if node == 0 {
            return Some((None, vec![Vec::new(); pattern.steps.len()]));
        }
        let h = self.hist.get(node)?;
        let k = h.partition_point(|p| p.end < before);
        let p = h.get(k.checked_sub(1)?)?;
        Some((Some(p.start), p.steps.clone()))
    }

    /// Records a partial at `node`, carrying it over optional steps; a
    /// partial at the final node is a completed match.
    fn push(
        &mut self,
        plan: &Plan,
        pattern: &Pattern,
        node: usize,
        p: Partial,
        done: &mut Option<Partial>,
    ) {
        if node == plan.final_node() {
            if done.as_ref().is_none_or(|d| p.start > d.start) {
                *done = Some(p);
            }
            return;
        }
        let Some(&(stage, mask)) = plan.info.get(node) else {
            return;
        };
        match plan.stages.get(stage) {
            Some(Stage::Absent(f)) => {
                let window = pattern.steps.get(*f).and_then(|s| s.absent).unwrap_or(0);
                let deadline = p.end.0.saturating_add(window);
                if deadline.saturating_sub(p.start.0) > pattern.within {
                    return;
                }
                if let Some(last) = self.cands.last_mut() {
                    if last.stage == stage && last.partial.end == p.end {
                        if last.partial.start < p.start {
                            last.partial = p;
                        }
                        return;
                    }
                }
                self.cands.push(Cand {
                    stage,
                    deadline,
                    partial: p,
                });
            }
            Some(Stage::Single(f)) => {
                if !self.keep(node, &p) {
                    return;
                }
                if pattern.steps.get(*f).is_some_and(|s| s.optional) {
                    self.push(plan, pattern, plan.node(stage + 1, 0), p, done);
                }
            }
            Some(Stage::Group { base, len }) => {
                if !self.keep(node, &p) {
                    return;
                }
                for k in 0..*len {
                    let bit = 1u32 << k;
                    if mask & bit == 0 && pattern.steps.get(base + k).is_some_and(|s| s.optional) {
                        let to = plan.node(stage, mask | bit);
                        self.push(plan, pattern, to, p.clone(), done);
                    }
                }
            }
            None => {}
        }
    }

    /// Appends `p` to the node's history if it starts later than the best.
    fn keep(&mut self, node: usize, p: &Partial) -> bool {
        let Some(h) = self.hist.get_mut(node) else {
            return false;
        };
        if h.last().is_some_and(|last| last.start >= p.start) {
            return false;
        }
        h.push(p.clone());
        true
    }

    /// Decides the `absent` windows that ended before `t`, earliest first;
    /// returns the first completed match.
    fn close(&mut self, plan: &Plan, pattern: &Pattern, t: i64) -> Option<Partial> {
        loop {
            let d = self
                .cands
                .iter()
                .map(|c| c.deadline)
                .filter(|d| *d < t)
                .min()?;
            let (mut closing, rest): (Vec<Cand>, Vec<Cand>) = std::mem::take(&mut self.cands)
                .into_iter()
                .partition(|c| c.deadline == d);
            self.cands = rest;
            closing.sort_by_key(|c| c.partial.start);
            let at = (d, u64::MAX);
            let mut done = None;
            for c in closing {
                let p = Partial {
                    end: at,
                    ..c.partial
                };
                self.push(plan, pattern, plan.node(c.stage + 1, 0), p, &mut done);
            }
            if let Some(p) = done.filter(|p| within_ok(p, pattern)) {
                return Some(p);
            }
        }
    }

    /// The first time [`Search::prune`] would drop something.
    fn expiry(&self, pattern: &Pattern) -> Option<i64> {
        if pattern.within == i64::MAX {
            return None;
        }
        let partials = self
            .hist
            .iter()
            .flat_map(|h| h.first())
            .map(|p| p.start.0.saturating_add(pattern.within));
        let counted = self.counted.iter().enumerate().flat_map(|(f, c)| {
            let w = pattern
                .steps
                .get(f)
                .and_then(|s| s.count.as_ref())
                .and_then(|c| c.within)
                .map_or(pattern.within, |w| w.min(pattern.within));
            c.iter().map(move |i| i.time.saturating_add(w))
        });
        partials.chain(counted).min().map(|t| t.saturating_add(1))
    }

    /// Drops what can no longer be part of a match ending at `t` or later.
    fn prune(&mut self, pattern: &Pattern, t: i64) {
        if pattern.within == i64::MAX {
            return;
        }
        let lo = t.saturating_sub(pattern.within);
        for h in &mut self.hist {
            let k = h.partition_point(|p| p.start.0 < lo);
            h.drain(..k);
        }
        for (f, c) in self.counted.iter_mut().enumerate() {
            let lo = match pattern
                .steps
                .get(f)
                .and_then(|s| s.count.as_ref())
                .and_then(|c| c.within)
            {
                Some(w) => lo.max(t.saturating_sub(w)),
                None => lo,
            };
            c.retain(|i| i.time >= lo);
        }
    }
}

/// The latest counted instances that reach the threshold, if they do.
fn fill(count: &super::Count, seen: &[Inst], now: At) -> Option<Vec<Inst>> {
    let mut chosen: Vec<Inst> = Vec::new();
    let mut values = std::collections::BTreeSet::new();
    for i in seen.iter().rev() {
        if let Some(d) = &count.distinct {
            let Some(v) = i.entities.get(d) else { continue };
            if !values.insert(v) {
                continue;
            }
        }
        chosen.push(i.clone());
        if chosen.len() >= count.at_least {
            break;
        }
    }
    if chosen.len() < count.at_least.max(1) {
        return None;
    }
    chosen.reverse();
    let first = chosen.first()?.time;
    if count.within.is_some_and(|w| now.0 - first > w) {
        return None;
    }
    Some(chosen)
}
