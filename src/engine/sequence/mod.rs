//! The sequence matcher: signal instances in, attack-sequence matches out,
//! by the definition in `docs/sequences.md`.
//!
//! It is online: instances are fed in order (event time, then input
//! position), one key's state is kept only while a partial match or an open
//! finding can still use it, and the whole state serialises, so a run can
//! stop and the next one continue. Time that passes without instances (for
//! `absent` steps and for closing findings) arrives through [`Matcher::advance`].
//! The per-key search lives in `search.rs`; `tests/sequences.rs` checks the
//! two against a brute-force oracle of the definition.

mod entities;
mod search;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

pub use entities::Entities;
use rustc_hash::FxHashMap;
use search::{KeyState, Plan};

use super::place::Place;

/// (event time in epoch ms, input position): the order of instances.
pub type At = (i64, u64);

/// A signal (or sequence) instance as sequences see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Index of the signal (or sequence) that fired.
    pub signal: usize,
    /// Event time, epoch milliseconds.
    pub time: i64,
    /// Position in the input: breaks ties of time; one record, one position.
    pub pos: u64,
    /// Entity values, by entity name.
    pub entities: Entities,
    pub severity: f64,
    pub rule: Arc<str>,
    /// The finding's `record` reference, or a sequence match's summary.
    pub detail: Detail,
    /// Guardrails that decided `deny` on the same record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_by: Vec<Arc<str>>,
}

/// Where an instance came from, as findings show it. Kept typed (no JSON
/// is written for the many instances that never reach a finding); what a
/// state file gives back is kept as the JSON text it read.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A signal's record, and the signal's title for it.
    Record {
        record: Place,
        title: Option<String>,
    },
    /// A sequence's match, used as a step of another: the sequence and the
    /// match's first time (ISO 8601).
    Match {
        sequence: Arc<str>,
        first_seen: String,
    },
    /// JSON read back, checked once, written as is; `None`: what could not
    /// be written as JSON, written as `null`.
    Json(Option<Box<RawValue>>),
}

impl Detail {
    /// The JSON `v`, kept as its text.
    pub fn new(v: &Value) -> Detail {
        Detail::Json(serde_json::value::to_raw_value(v).ok())
    }

    /// The JSON text `text` as a detail (`None` if it is not JSON).
    pub fn from_text(text: String) -> Detail {
        Detail::Json(RawValue::from_string(text).ok())
    }

    /// The JSON it writes.
    pub fn value(&self) -> Value {
        match self {
            Detail::Json(raw) => raw
                .as_deref()
                .and_then(|r| serde_json::from_str(r.get()).ok())
                .unwrap_or(Value::Null),
            _ => serde_json::to_value(self).unwrap_or(Value::Null),
        }
    }
}

impl PartialEq for Detail {
    /// Equal when they write the same JSON, whatever their form.
    fn eq(&self, other: &Detail) -> bool {
        serde_json::to_string(self).ok() == serde_json::to_string(other).ok()
    }
}

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Detail::Record { record, title } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("record", record)?;
                m.serialize_entry("title", title)?;
                m.end()
            }
            Detail::Match {
                sequence,
                first_seen,
            } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("sequence", &**sequence)?;
                m.serialize_entry("first_seen", first_seen)?;
                m.end()
            }
            Detail::Json(Some(raw)) => raw.serialize(s),
            Detail::Json(None) => s.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Detail, D::Error> {
        Ok(Detail::Json(Some(Box::<RawValue>::deserialize(d)?)))
    }
}

impl Instance {
    pub fn at(&self) -> At {
        (self.time, self.pos)
    }

    /// The id of the record it fired on, where the record has one.
    pub fn record_id(&self) -> Option<Arc<str>> {
        match &self.detail {
            Detail::Record { record, .. } => record.id.clone(),
            Detail::Match { .. } => None,
            // As a state file gives it back: `{"record": {"id": ...}, ...}`.
            Detail::Json(raw) => {
                let v: Value = serde_json::from_str(raw.as_deref()?.get()).ok()?;
                v.pointer("/record/id")?.as_str().map(Arc::from)
            }
        }
    }
}

pub type Inst = Arc<Instance>;

/// Instances a finding keeps per step through its revisions (beyond it,
/// the latest replaces the one before; all are counted).
pub const KEPT: usize = 50;

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
    /// `absent ... within D`: no instance for D (ms) after the previous step.
    pub absent: Option<i64>,
    pub count: Option<Count>,
    /// The entity of the step's signals that must equal the key.
    pub join: String,
    /// Consecutive steps with the same group form an `unordered` group.
    pub group: Option<usize>,
}

/// A sequence as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The key entity (for `until` instances).
    pub key: String,
    /// First step to last step, ms (`i64::MAX`: unbounded).
    pub within: i64,
    pub steps: Vec<Step>,
    /// Signals that close a key's partial matches and open finding.
    pub until: Vec<usize>,
}

/// One match and its revisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub key: String,
    /// For each step (by index), the instances that filled it (several for
    /// a counted step or after revisions, none for a skipped optional step
    /// or an `absent` step). Revisions keep the first [`KEPT`] and the
    /// latest; `counts` has them all.
    pub steps: Vec<Vec<Inst>>,
    /// For each step, how many instances filled it.
    pub counts: Vec<u64>,
    /// The first instance, and the point that completed the match (for a
    /// final `absent` step, the end of its window: `(time, u64::MAX)`).
    pub start: At,
    pub end: At,
    /// The latest instance (or window end) in the match.
    pub last: At,
    /// 1 when found; + 1 for every later record that joined it.
    pub revision: u32,
    /// The revision last written out (kept here so it survives `--state`).
    pub reported: u32,
}

/// What happened to a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Found (revision 1).
    Opened,
    /// Later instances joined it.
    Revised,
    /// Its window closed (or an `until` came): no more revisions.
    Closed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Emit {
    pub change: Change,
    pub m: Match,
}

/// How a matcher is run.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Most keys with open state; beyond it the least recently active key
    /// is evicted (and counted). `0`: unbounded.
    pub max_keys: usize,
    /// `(i, n)`: only keys whose hash is `i` modulo `n`.
    pub partition: Option<(u64, u64)>,
    /// Every `Opened` and `Revised` match counts as reported.
    pub report_each: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Role {
    Step(usize),
    Until,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyEntry {
    state: KeyState,
    /// The deadline this key is indexed under, if any.
    deadline: Option<i64>,
    /// Last instance seen for the key, for eviction.
    touched: At,
}

/// Everything a matcher must keep between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MatcherState {
    // Keys are shared (`Arc<str>`) between the map and its two indexes:
    // updating a key's entry copies no text. Hashed for speed; written
    // sorted, so a state file's bytes do not depend on the hash order.
    #[serde(with = "sorted")]
    keys: FxHashMap<Arc<str>, KeyEntry>,
    deadlines: BTreeSet<(i64, Arc<str>)>,
    lru: BTreeSet<(At, Arc<str>)>,
    /// The instances of the record being fed (one position), by key.
    group: Vec<(Arc<str>, Role, Inst)>,
    group_at: Option<At>,
    /// The last position handled: instances before it are out of order.
    last: Option<At>,
    pub evicted: u64,
    pub out_of_order: u64,
}

/// One sequence's matcher over all keys.
pub struct Matcher {
    pattern: Pattern,
    plan: Plan,
    /// Signal → the steps it can fill.
    routes: BTreeMap<usize, Vec<usize>>,
    opts: MatchOptions,
    pub state: MatcherState,
}

/// Whether `key` is in the partition `(i, n)` a matcher is run for.
fn in_partition(partition: Option<(u64, u64)>, key: &str) -> bool {
    partition.is_none_or(|(i, n)| n == 0 || key_hash(key) % n == i)
}

/// FNV-1a: the partition of a key, the same on every machine and run.
pub fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Matcher {
    pub fn new(pattern: Pattern, opts: MatchOptions) -> Matcher {
        let plan = Plan::new(&pattern);
        let mut routes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (f, step) in pattern.steps.iter().enumerate() {
            for s in &step.signals {
                routes.entry(*s).or_default().push(f);
            }
        }
        Matcher {
            pattern,
            plan,
            routes,
            opts,
            state: MatcherState::default(),
        }
    }

    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// Whether instances of `signal` matter to this matcher.
    pub fn uses(&self, signal: usize) -> bool {
        self.routes.contains_key(&signal) || self.pattern.until.contains(&signal)
    }

    /// Feeds one instance; instances must come in order of [`Instance::at`].
    pub fn feed(&mut self, inst: &Inst) -> Vec<Emit> {
        let at = inst.at();
        let mut out = Vec::new();
        if self.state.last.is_some_and(|l| at < l) {
            self.state.out_of_order += 1;
            return out;
        }
        if self.state.group_at.is_some_and(|g| g != at) {
            self.flush_group(&mut out);
        }
        self.close_before(at.0, &mut out);
        // The keys it joins: a step's entity, or the key of an `until`.
        let steps = self.routes.get(&inst.signal).into_iter().flatten();
        let steps = steps.filter_map(|f| {
            let join = &self.pattern.steps.get(*f)?.join;
            Some((inst.entities.shared(join)?, Role::Step(*f)))
        });
        let until = match self.pattern.until.contains(&inst.signal) {
            true => inst.entities.shared(&self.pattern.key),
            false => None,
        };
        for (k, role) in steps.chain(until.map(|k| (k, Role::Until))) {
            if in_partition(self.opts.partition, k) {
                // A key with state already shares its text.
                let key = match self.state.keys.get_key_value(&**k) {
                    Some((key, _)) => key.clone(),
                    None => k.clone(),
                };
                self.state.group.push((key, role, inst.clone()));
                self.state.group_at = Some(at);
            }
        }
        self.state.last = Some(at);
        out
    }

    /// Time has reached `now` (epoch ms): every instance at or before it has
    /// been fed. Decides absences and closes findings whose windows ended.
    pub fn advance(&mut self, now: i64) -> Vec<Emit> {
        let mut out = Vec::new();
        self.flush_group(&mut out);
        self.close_before(now.saturating_add(1), &mut out);
        out
    }

    /// Open findings (still taking revisions) not yet reported at their
    /// current revision; they count as reported from now on.
    pub fn take_unreported(&mut self) -> Vec<Match> {
        let mut out = Vec::new();
        for e in self.state.keys.values_mut() {
            if let KeyState::Open(o) = &mut e.state {
                if o.m.revision > o.m.reported {
                    o.m.reported = o.m.revision;
                    out.push(o.m.clone());
                }
            }
        }
        // In key order, whatever the order of the hash map.
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// Keys with open state.
    pub fn open_keys(&self) -> usize {
        self.state.keys.len()
    }

    fn flush_group(&mut self, out: &mut Vec<Emit>) {
        let Some(at) = self.state.group_at.take() else {
            return;
        };
        // By key, and by role within a key (the sort is stable).
        let mut group = std::mem::take(&mut self.state.group);
        group.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut rest = group.drain(..).peekable();
        let mut events: Vec<(Role, Inst)> = Vec::new();
        while let Some((key, role, inst)) = rest.next() {
            events.clear();
            events.push((role, inst));
            while let Some((_, role, inst)) = rest.next_if(|(k, _, _)| *k == key) {
                events.push((role, inst));
            }
            let mut entry = match self.state.keys.remove(&key) {
                Some(e) => {
                    self.state.lru.remove(&(e.touched, key.clone()));
                    e
                }
                None => KeyEntry {
                    state: KeyState::fresh(&self.plan, &self.pattern),
                    deadline: None,
                    touched: at,
                },
            };
            entry.touched = at;
            let emits = entry
                .state
                .group(&self.plan, &self.pattern, &key, at, &events);
            self.emit(emits, out);
            self.put(key, entry);
        }
        // Its room is kept for the next record's instances.
        drop(rest);
        self.state.group = group;
        self.evict();
    }

    /// Handles every deadline strictly before `t`.
    fn close_before(&mut self, t: i64, out: &mut Vec<Emit>) {
        while self.state.deadlines.first().is_some_and(|(d, _)| *d < t) {
            let Some((_, key)) = self.state.deadlines.pop_first() else {
                break;
            };
            let Some(mut entry) = self.state.keys.remove(&key) else {
                continue;
            };
            self.state.lru.remove(&(entry.touched, key.clone()));
            entry.deadline = None;
            let emits = entry.state.advance(&self.plan, &self.pattern, &key, t);
            self.emit(emits, out);
            self.put(key, entry);
        }
    }

    fn emit(&self, emits: Vec<Emit>, out: &mut Vec<Emit>) {
        for mut e in emits {
            if self.opts.report_each && e.change != Change::Closed {
                e.m.reported = e.m.revision;
            }
            out.push(e);
        }
    }

    /// Stores a key's entry back, indexed, unless nothing is left of it.
    fn put(&mut self, key: Arc<str>, mut entry: KeyEntry) {
        if let Some(d) = entry.deadline.take() {
            self.state.deadlines.remove(&(d, key.clone()));
        }
        if entry.state.is_empty() {
            return;
        }
        entry.deadline = entry.state.deadline(&self.pattern);
        if let Some(d) = entry.deadline {
            self.state.deadlines.insert((d, key.clone()));
        }
        self.state.lru.insert((entry.touched, key.clone()));
        self.state.keys.insert(key, entry);
    }

    fn evict(&mut self) {
        if self.opts.max_keys == 0 {
            return;
        }
        while self.state.keys.len() > self.opts.max_keys {
            let Some((touched, key)) = self.state.lru.pop_first() else {
                break;
            };
            let _ = touched;
            if let Some(e) = self.state.keys.remove(&key) {
                if let Some(d) = e.deadline {
                    self.state.deadlines.remove(&(d, key));
                }
                self.state.evicted += 1;
            }
        }
    }
}

/// Every match of `pattern` over `instances` (in any order), with its last
/// revision: the batch use of a [`Matcher`]. `now` is how far time is known
/// to have passed (absences end only before it).
pub fn find_matches(pattern: &Pattern, instances: &[Instance], now: i64) -> Vec<Match> {
    let mut sorted: Vec<Inst> = instances.iter().cloned().map(Arc::new).collect();
    sorted.sort_by_key(|i| i.at());
    let mut m = Matcher::new(pattern.clone(), MatchOptions::default());
    let mut emits = Vec::new();
    for i in &sorted {
        emits.extend(m.feed(i));
    }
    emits.extend(m.advance(now));
    let mut last: BTreeMap<(String, At), Match> = BTreeMap::new();
    for e in emits {
        last.insert((e.m.key.clone(), e.m.start), e.m);
    }
    for o in m.take_unreported() {
        last.insert((o.key.clone(), o.start), o);
    }
    last.into_values().collect()
}

/// A hash map written as a map sorted by key (and read back as one).
mod sorted {
    use std::collections::BTreeMap;
    use std::hash::Hash;

    use rustc_hash::FxHashMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K, V, S>(map: &FxHashMap<K, V>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Ord + Serialize,
        V: Serialize,
        S: Serializer,
    {
        map.iter().collect::<BTreeMap<&K, &V>>().serialize(s)
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<FxHashMap<K, V>, D::Error>
    where
        K: Eq + Hash + Deserialize<'de>,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        FxHashMap::deserialize(d)
    }
}
