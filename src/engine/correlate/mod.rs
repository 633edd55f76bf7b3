//! Attack sequences at run time: signal instances are ordered by event time
//! in a bounded reorder buffer (never the records themselves), fed to one
//! matcher per sequence in dependency order (so a sequence can be a step of
//! another), and matches become attack-sequence findings.
//!
//! A streaming or `--state` run releases instances once they are
//! `--max-lateness` behind the newest record, and reports (and counts)
//! instances that come later than that. A batch run (no lateness given)
//! releases them [`BATCH_HOLD_MS`] behind the newest record too, or when
//! more than [`BATCH_HOLD_COUNT`] wait, so its memory does not grow with
//! its input; but nothing is ever late in a batch: every instance is also
//! logged to disk ([`spill`]), and if one arrives after its time was let
//! through, the findings are redone from the sorted log, exactly those of
//! ordering the whole input.

mod build;
mod finding;
mod spill;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

pub use build::{build_sequences, SequenceRt};
pub use state::{
    load_state, lock_state, save_state, state_folder, InputMark, SavedState, StateError, StateLock,
};

use super::run::Output;
use super::sequence::{At, Change, Emit, Inst, Instance, MatchOptions, Matcher};

/// Which revisions of a finding are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Revisions {
    /// Once, when its window has closed or the run ends.
    #[default]
    Last,
    /// When found and at every update.
    All,
}

#[derive(Debug, Clone, Default)]
pub struct CorrelateOptions {
    /// How far (ms) behind the newest record an instance may arrive; `None`:
    /// hold everything until the end of the run.
    pub lateness: Option<i64>,
    pub revisions: Revisions,
    /// Keys with open state per sequence; 0: unbounded.
    pub max_keys: usize,
    pub partition: Option<(u64, u64)>,
    /// A batch run's hold behind the newest record (ms); `None`:
    /// [`BATCH_HOLD_MS`]. Findings do not depend on it, only memory and
    /// whether a run is redone from its log.
    pub batch_hold: Option<i64>,
}

/// Counts for the run's summary.
#[derive(Debug, Clone, Default)]
pub struct CorrelateStats {
    /// Instances that came later than `--max-lateness` (not evaluated).
    pub late: u64,
    /// The first few late instances' records.
    pub late_examples: Vec<Value>,
    /// Keys evicted by the state cap, over all sequences.
    pub evicted: u64,
    /// Keys with open state at the end.
    pub open_keys: usize,
    /// Instances still in the reorder buffer at the end.
    pub buffered: usize,
    /// A batch run whose instances came out of order beyond its hold, so
    /// its findings were redone from the sorted log.
    pub redone: bool,
    /// Instances of a streaming or chained run that were already waiting
    /// (the same signal on a record of the same id: a batch read twice),
    /// not counted again.
    pub duplicates: u64,
}

/// How far behind the newest record a batch run feeds the matchers.
pub const BATCH_HOLD_MS: i64 = 15 * 60 * 1000;
/// How many instances a batch run holds at most before feeding them.
pub const BATCH_HOLD_COUNT: usize = 100_000;

pub struct Correlator<'e> {
    seqs: &'e [SequenceRt],
    signals_len: usize,
    order: Vec<usize>,
    matchers: Vec<Option<Matcher>>,
    opts: CorrelateOptions,
    buffer: BTreeMap<At, Vec<Inst>>,
    /// Newest record time seen.
    pub watermark: Option<i64>,
    /// Every instance at or before this time has been fed.
    released: Option<i64>,
    stats: CorrelateStats,
    /// A batch run: every instance logged, outputs held until the end.
    batch: Option<Batch>,
    /// Instances in `buffer`.
    buffered: usize,
    /// A streaming or chained run's waiting instances, by signal and
    /// record id: one read again (a batch run twice on one `--state`) is
    /// not counted twice.
    waiting: std::collections::HashSet<(usize, Arc<str>)>,
}

/// What a batch run keeps to stay exact behind its watermark.
struct Batch {
    /// Every instance pushed, while the log can be written.
    log: Option<spill::Spill>,
    /// An instance came after its time was fed: redo from the log.
    redo: bool,
    /// Findings so far (a batch writes them at the end, in order).
    held: Vec<Output>,
}

impl<'e> Correlator<'e> {
    pub fn new(seqs: &'e [SequenceRt], signals_len: usize, opts: CorrelateOptions) -> Self {
        let matchers = matchers(seqs, &opts);
        let batch = opts.lateness.is_none().then(|| Batch {
            log: spill::Spill::create().ok(),
            redo: false,
            held: Vec::new(),
        });
        Correlator {
            seqs,
            signals_len,
            order: dependency_order(signals_len, seqs),
            matchers,
            opts,
            buffer: BTreeMap::new(),
            watermark: None,
            released: None,
            stats: CorrelateStats::default(),
            batch,
            buffered: 0,
            waiting: std::collections::HashSet::new(),
        }
    }

    /// A record's time: moves the watermark.
    pub fn observe(&mut self, time: i64) {
        self.watermark = Some(self.watermark.map_or(time, |w| w.max(time)));
    }

    /// A signal instance (positions must be unique per record).
    pub fn push(&mut self, inst: Instance) {
        if let Some(b) = &mut self.batch {
            if let Some(log) = &mut b.log {
                if log.write(&inst).is_err() {
                    b.log = None;
                }
            }
            if b.redo {
                return;
            }
            if b.log.is_some() && self.released.is_some_and(|r| inst.time <= r) {
                // Redone from the log at the end; nothing more to feed now.
                b.redo = true;
                self.buffer.clear();
                self.buffered = 0;
                return;
            }
        }
        if self.released.is_some_and(|r| inst.time <= r) {
            self.stats.late += 1;
            if self.stats.late_examples.len() < 5 {
                self.stats.late_examples.push(inst.detail.value());
            }
            return;
        }
        if self.batch.is_none() {
            if let Some(id) = inst.record_id() {
                if !self.waiting.insert((inst.signal, id)) {
                    self.stats.duplicates += 1;
                    return;
                }
            }
        }
        self.buffered += 1;
        self.buffer
            .entry(inst.at())
            .or_default()
            .push(Arc::new(inst));
    }

    /// Feeds the instances that are `lateness` behind the watermark (a
    /// batch run's findings are held and come from [`Correlator::finish`]).
    pub fn release(&mut self) -> Vec<Output> {
        let Some(w) = self.watermark else {
            return Vec::new();
        };
        let Some(batch) = &self.batch else {
            return match self.opts.lateness {
                Some(l) => self.release_to(w.saturating_sub(l)),
                None => Vec::new(),
            };
        };
        if batch.redo {
            return Vec::new();
        }
        let hold = self.opts.batch_hold.unwrap_or(BATCH_HOLD_MS);
        let mut to = w.saturating_sub(hold);
        if self.buffered > BATCH_HOLD_COUNT {
            // Too many waiting: let the older half through.
            let mut seen = 0;
            for (at, insts) in &self.buffer {
                seen += insts.len();
                if seen >= self.buffered / 2 {
                    to = to.max(at.0);
                    break;
                }
            }
        }
        // Without a log, nothing may be fed early: hold everything.
        if batch.log.is_none() {
            return Vec::new();
        }
        let out = self.release_to(to);
        if let Some(b) = &mut self.batch {
            b.held.extend(out);
        }
        Vec::new()
    }

    /// The end of a run. `flush`: the input is complete (no `--state`):
    /// release everything. Then the open findings not yet written (with
    /// `--revisions last`) are written at their current revision.
    pub fn finish(&mut self, flush: bool) -> Vec<Output> {
        let mut out = match self.batch.take() {
            Some(b) if b.redo => self.redo(b),
            Some(b) => b.held,
            None => Vec::new(),
        };
        out.extend(if flush {
            match self.watermark {
                Some(w) => self.release_to(w),
                None => Vec::new(),
            }
        } else {
            self.release()
        });
        for &s in &self.order {
            let (Some(seq), Some(Some(m))) = (self.seqs.get(s), self.matchers.get_mut(s)) else {
                continue;
            };
            for open in m.take_unreported() {
                if seq.report {
                    out.push(finding::finding(seq, m.pattern(), &open).0);
                }
            }
        }
        out
    }

    pub fn stats(&self) -> CorrelateStats {
        let mut s = self.stats.clone();
        for m in self.matchers.iter().flatten() {
            s.evicted += m.state.evicted;
            s.open_keys += m.open_keys();
        }
        s.buffered = self.buffer.values().map(Vec::len).sum();
        s
    }

    fn release_to(&mut self, to: i64) -> Vec<Output> {
        let mut out = Vec::new();
        while let Some(entry) = self.buffer.first_entry() {
            if entry.key().0 > to {
                break;
            }
            let insts = entry.remove();
            self.buffered = self.buffered.saturating_sub(insts.len());
            if !self.waiting.is_empty() {
                for i in &insts {
                    if let Some(id) = i.record_id() {
                        self.waiting.remove(&(i.signal, id));
                    }
                }
            }
            self.step(&insts, None, &mut out);
        }
        if self.released.is_none_or(|r| to > r) {
            self.step(&[], Some(to), &mut out);
            self.released = Some(to);
        }
        out
    }

    /// One record's instances (all at one position), or time passing to
    /// `now`: every sequence, in dependency order, hears first what the
    /// sequences it uses just found.
    fn step(&mut self, insts: &[Inst], now: Option<i64>, out: &mut Vec<Output>) {
        let at = insts.first().map(|i| i.at());
        let mut fresh: Vec<Inst> = Vec::new();
        for &s in &self.order {
            let (Some(seq), Some(Some(m))) = (self.seqs.get(s), self.matchers.get_mut(s)) else {
                continue;
            };
            let mut emits = Vec::new();
            let mut heard: Vec<&Inst> = fresh.iter().filter(|i| m.uses(i.signal)).collect();
            heard.sort_by_key(|i| i.at());
            for i in heard {
                emits.extend(m.feed(i));
            }
            if let Some(at) = at {
                // Whatever ended before this record, before it.
                emits.extend(m.advance(at.0.saturating_sub(1)));
                for i in insts {
                    if m.uses(i.signal) {
                        emits.extend(m.feed(i));
                    }
                }
            }
            if let Some(t) = now {
                emits.extend(m.advance(t));
            }
            let own = self.signals_len + s;
            for e in emits {
                handle(seq, m, e, own, &mut fresh, out);
            }
        }
    }

    /// Starts the matchers over and feeds them the whole log, sorted:
    /// what a batch run finds when an instance came after its time.
    fn redo(&mut self, batch: Batch) -> Vec<Output> {
        let mut out = Vec::new();
        let Some(log) = batch.log else {
            return batch.held;
        };
        self.stats.redone = true;
        let mut sorted = match log.sorted() {
            Ok(s) => s,
            Err(_) => return batch.held,
        };
        self.matchers = matchers(self.seqs, &self.opts);
        self.buffer.clear();
        self.buffered = 0;
        self.released = None;
        let mut group: Vec<Inst> = Vec::new();
        loop {
            let next = match sorted.next_instance() {
                Ok(next) => next,
                Err(_) => {
                    self.stats.late += 1;
                    break;
                }
            };
            let same = match (&next, group.first()) {
                (Some(n), Some(g)) => n.at() == g.at(),
                _ => true,
            };
            if !same || next.is_none() {
                let insts = std::mem::take(&mut group);
                if !insts.is_empty() {
                    self.step(&insts, None, &mut out);
                }
            }
            match next {
                Some(n) => group.push(Arc::new(n)),
                None => break,
            }
        }
        out
    }

    /// The state to save for the next run; `position` is how many records
    /// the runs so far evaluated.
    pub fn save(&self, rules: &str, position: u64) -> SavedState {
        SavedState {
            format: state::FORMAT,
            rules: rules.to_string(),
            watermark: self.watermark,
            released: self.released,
            buffer: self
                .buffer
                .values()
                .flatten()
                .map(|i| (**i).clone())
                .collect(),
            sequences: self
                .seqs
                .iter()
                .zip(&self.matchers)
                .filter_map(|(s, m)| m.as_ref().map(|m| (s.name.to_string(), m.state.clone())))
                .collect(),
            position,
            input: None,
        }
    }

    /// Continues from a saved state (already checked against the rules).
    pub fn restore(&mut self, saved: SavedState) {
        self.watermark = saved.watermark;
        self.released = saved.released;
        for inst in saved.buffer {
            if let Some(id) = inst.record_id() {
                self.waiting.insert((inst.signal, id));
            }
            self.buffered += 1;
            self.buffer
                .entry(inst.at())
                .or_default()
                .push(Arc::new(inst));
        }
        let mut states = saved.sequences;
        for (s, m) in self.seqs.iter().zip(self.matchers.iter_mut()) {
            if let (Some(m), Some(st)) = (m.as_mut(), states.remove(&*s.name)) {
                m.state = st;
            }
        }
    }
}

/// A matcher for each sequence that has a pattern, in their state at the
/// start of a run.
fn matchers(seqs: &[SequenceRt], opts: &CorrelateOptions) -> Vec<Option<Matcher>> {
    seqs.iter()
        .map(|s| {
            s.pattern.clone().map(|p| {
                Matcher::new(
                    p,
                    MatchOptions {
                        max_keys: opts.max_keys,
                        partition: opts.partition,
                        report_each: opts.revisions == Revisions::All,
                    },
                )
            })
        })
        .collect()
}

fn handle(
    seq: &SequenceRt,
    m: &Matcher,
    e: Emit,
    own: usize,
    fresh: &mut Vec<Inst>,
    out: &mut Vec<Output>,
) {
    let write = match e.change {
        Change::Opened | Change::Revised => e.m.reported == e.m.revision,
        Change::Closed => e.m.revision > e.m.reported,
    };
    if !(e.change == Change::Opened || (write && seq.report)) {
        return;
    }
    let (finding, severity) = finding::finding(seq, m.pattern(), &e.m);
    if e.change == Change::Opened {
        fresh.push(finding::as_instance(seq, m.pattern(), &e.m, own, severity));
    }
    if write && seq.report {
        out.push(finding);
    }
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

/// A hash of what the saved state depends on: the sequences' patterns and
/// the signals they name. A state saved for other rules is refused.
pub fn rules_hash(seqs: &[SequenceRt], signal_names: &[&str]) -> String {
    let mut text = String::from(env!("CARGO_PKG_VERSION"));
    for n in signal_names {
        text.push_str(n);
        text.push('\n');
    }
    for s in seqs {
        text.push_str(&format!("{}={:?}\n", s.name, s.pattern));
    }
    format!("{:016x}", super::sequence::key_hash(&text))
}
