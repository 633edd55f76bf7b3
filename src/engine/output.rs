//! What a run yields, as types: signal findings, guardrail decisions and
//! sequence findings are structs that write their own JSON (the bytes a run
//! prints), so no `serde_json::Value` is built per output, and readers
//! (`pretty`, `test`, `diff`, the summary) read fields, not JSON keys.

use std::borrow::Cow;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use super::place::Place;
use super::rules::GuardScope;
use super::sequence::{Detail, Inst};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputKind {
    Signal,
    Sequence,
    Deny,
    Allow,
    Unknown,
    Compliant,
    NonCompliant,
}

impl OutputKind {
    pub fn word(self) -> &'static str {
        match self {
            OutputKind::Signal => "signal",
            OutputKind::Sequence => "sequence",
            OutputKind::Deny => "deny",
            OutputKind::Allow => "allow",
            OutputKind::Unknown => "unknown",
            OutputKind::Compliant => "compliant",
            OutputKind::NonCompliant => "non_compliant",
        }
    }
}

/// The GuardDuty label of a 1.0–10.0 severity.
pub fn severity_label(s: f64) -> &'static str {
    if s < 4.0 {
        "low"
    } else if s < 7.0 {
        "medium"
    } else if s < 9.0 {
        "high"
    } else {
        "critical"
    }
}

/// A finding's id: a stable hash of what identifies it, written as 16 hex
/// digits (kept as the number until it is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingId(pub u64);

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for FindingId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A stable 64-bit FNV-1a hash of `parts`: finding ids.
pub fn stable_id(parts: &[&str]) -> FindingId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    FindingId(h)
}

/// One output of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub kind: OutputKind,
    pub finding: Finding,
    /// The output as one line of JSON, when the run renders it where the
    /// output was made (on any core) rather than where it is written.
    pub line: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    Signal(SignalFinding),
    Decision(Decision),
    Sequence(Box<SequenceFinding>),
}

impl Output {
    pub fn new(kind: OutputKind, finding: Finding) -> Output {
        Output {
            kind,
            finding,
            line: None,
        }
    }

    /// The output as one line of JSON.
    pub fn to_line(&self) -> Cow<'_, str> {
        match &self.line {
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(serde_json::to_string(self).unwrap_or_default()),
        }
    }

    /// Renders its JSON line now, to be written later ([`Output::line`]):
    /// written into a buffer kept per thread, then copied once at its
    /// size, where a new string would grow several times per line. The
    /// bytes are `serde_json`'s (tested); `sonic_rs` writes them, its
    /// string escaping being several times faster.
    pub fn render_line(&mut self) {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let line = BUFFER.with_borrow_mut(|buf| {
            buf.clear();
            sonic_rs::to_writer(&mut *buf, &*self).ok()?;
            std::str::from_utf8(buf).ok().map(String::from)
        });
        self.line = Some(line.unwrap_or_default());
    }

    /// Writes the output's JSON line, newline included, without building
    /// it as a string first.
    pub fn write_line(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        match &self.line {
            Some(l) => w.write_all(l.as_bytes())?,
            None => serde_json::to_writer(&mut *w, self)?,
        }
        w.write_all(b"\n")
    }

    /// The output as the JSON it writes.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Its finding id.
    pub fn id(&self) -> FindingId {
        match &self.finding {
            Finding::Signal(s) => s.id,
            Finding::Decision(d) => d.id,
            Finding::Sequence(s) => s.id,
        }
    }

    /// The signal, guardrail or sequence that made it.
    pub fn rule(&self) -> &Arc<str> {
        match &self.finding {
            Finding::Signal(s) => &s.rule,
            Finding::Decision(d) => &d.guardrail,
            Finding::Sequence(s) => &s.rule,
        }
    }

    /// Its severity, if it has one.
    pub fn severity(&self) -> Option<f64> {
        match &self.finding {
            Finding::Signal(s) => Some(s.severity),
            Finding::Decision(d) => d.severity,
            Finding::Sequence(s) => Some(s.severity),
        }
    }

    /// The record it was decided on (sequences span several).
    pub fn record(&self) -> Option<&Place> {
        match &self.finding {
            Finding::Signal(s) => Some(&s.record),
            Finding::Decision(d) => Some(&d.record),
            Finding::Sequence(_) => None,
        }
    }

    pub fn as_decision(&self) -> Option<&Decision> {
        match &self.finding {
            Finding::Decision(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_signal(&self) -> Option<&SignalFinding> {
        match &self.finding {
            Finding::Signal(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&SequenceFinding> {
        match &self.finding {
            Finding::Sequence(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.finding {
            Finding::Signal(f) => f.serialize(s),
            Finding::Decision(d) => d.serialize(s),
            Finding::Sequence(q) => q.serialize(s),
        }
    }
}

/// A signal that fired on a record.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalFinding {
    pub id: FindingId,
    pub rule: Arc<str>,
    pub source: Arc<str>,
    /// The record's time, as written (shared by the record's findings).
    pub time: Option<Arc<str>>,
    pub severity: f64,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub tactics: Arc<[String]>,
    pub techniques: Arc<[String]>,
    /// Entity values by name, in the signal's order.
    pub entities: Vec<(Arc<str>, Value)>,
    pub record: Place,
}

/// A map written from pairs, in their order.
struct Pairs<'a, K, V>(&'a [(K, V)]);

impl<K: Serialize, V: Serialize> Serialize for Pairs<'_, K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for SignalFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", "signal")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("rule", &*self.rule)?;
        m.serialize_entry("source", &*self.source)?;
        m.serialize_entry("time", &self.time)?;
        m.serialize_entry("severity", &self.severity)?;
        m.serialize_entry("severity_label", severity_label(self.severity))?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("summary", &self.summary)?;
        m.serialize_entry("tactics", &*self.tactics)?;
        m.serialize_entry("techniques", &*self.techniques)?;
        m.serialize_entry("entities", &Pairs(&self.entities))?;
        m.serialize_entry("record", &self.record)?;
        m.end()
    }
}

/// A guardrail's decision on a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: FindingId,
    pub guardrail: Arc<str>,
    pub scope: GuardScope,
    /// `deny`, `allow`, `unknown`, `compliant` or `non_compliant`.
    pub decision: OutputKind,
    /// The fields whose absence made the decision `unknown`.
    pub missing: Vec<String>,
    pub exempt: Option<&'static str>,
    pub message: Option<String>,
    pub title: Option<String>,
    pub time: Option<Arc<str>>,
    pub principal: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub record: Place,
    pub severity: Option<f64>,
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", "decision")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("guardrail", &*self.guardrail)?;
        m.serialize_entry("scope", self.scope.word())?;
        m.serialize_entry("decision", self.decision.word())?;
        m.serialize_entry("missing", &self.missing)?;
        m.serialize_entry("exempt", &self.exempt)?;
        m.serialize_entry("message", &self.message)?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("time", &self.time)?;
        m.serialize_entry("principal", &self.principal)?;
        m.serialize_entry("action", &self.action)?;
        m.serialize_entry("resource", &self.resource)?;
        m.serialize_entry("account", &self.account)?;
        m.serialize_entry("region", &self.region)?;
        m.serialize_entry("record", &self.record)?;
        if let Some(sev) = self.severity {
            m.serialize_entry("severity", &sev)?;
            m.serialize_entry("severity_label", severity_label(sev))?;
        }
        m.end()
    }
}

/// An attack sequence found, shaped like GuardDuty's `Sequence`.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFinding {
    pub id: FindingId,
    pub rule: Arc<str>,
    pub revision: u32,
    /// The key's name and value.
    pub key: (String, String),
    pub severity: f64,
    pub first_seen: String,
    pub last_seen: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub tactics: Arc<[String]>,
    pub techniques: Arc<[String]>,
    pub actors: Vec<String>,
    pub endpoints: Vec<String>,
    pub steps: Vec<StepFinding>,
    /// Guardrails that would have denied steps of it, with those steps.
    pub prevented_by: Vec<(String, Vec<String>)>,
}

/// One step of a sequence finding.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFinding {
    pub label: String,
    /// How many instances filled it (more than `signals` may keep).
    pub count: u64,
    pub signals: Vec<Inst>,
    /// For an `absent` step, the window it was absent for.
    pub absent_for_ms: Option<i64>,
}

impl StepFinding {
    /// Whether the step took part: filled, or absent as required.
    pub fn filled(&self) -> bool {
        self.absent_for_ms.is_some() || !self.signals.is_empty()
    }
}

impl Serialize for SequenceFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", "sequence")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("rule", &*self.rule)?;
        m.serialize_entry("revision", &self.revision)?;
        m.serialize_entry("key", &Pairs(std::slice::from_ref(&self.key)))?;
        m.serialize_entry("severity", &self.severity)?;
        m.serialize_entry("severity_label", severity_label(self.severity))?;
        m.serialize_entry("first_seen", &self.first_seen)?;
        m.serialize_entry("last_seen", &self.last_seen)?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("summary", &self.summary)?;
        m.serialize_entry("tactics", &*self.tactics)?;
        m.serialize_entry("techniques", &*self.techniques)?;
        m.serialize_entry("actors", &self.actors)?;
        m.serialize_entry("endpoints", &self.endpoints)?;
        m.serialize_entry("steps", &self.steps)?;
        m.serialize_entry("prevented_by", &Prevented(&self.prevented_by))?;
        m.end()
    }
}

struct Prevented<'a>(&'a [(String, Vec<String>)]);

impl Serialize for Prevented<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (guardrail, steps) in self.0 {
            seq.serialize_element(&PreventedBy { guardrail, steps })?;
        }
        seq.end()
    }
}

struct PreventedBy<'a> {
    guardrail: &'a str,
    steps: &'a [String],
}

impl Serialize for PreventedBy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("guardrail", self.guardrail)?;
        m.serialize_entry("steps", self.steps)?;
        m.end()
    }
}

impl Serialize for StepFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("count", &self.count)?;
        m.serialize_entry("signals", &StepSignals(&self.signals))?;
        if let Some(w) = self.absent_for_ms {
            m.serialize_entry("absent_for_ms", &w)?;
        }
        m.end()
    }
}

struct StepSignals<'a>(&'a [Inst]);

impl Serialize for StepSignals<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for h in self.0 {
            seq.serialize_element(&StepSignal(h))?;
        }
        seq.end()
    }
}

/// A signal instance as a step of a finding shows it.
struct StepSignal<'a>(&'a Inst);

impl Serialize for StepSignal<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rule", &h.rule)?;
        m.serialize_entry("time", &iso(h.time))?;
        m.serialize_entry("severity", &h.severity)?;
        m.serialize_entry("entities", &h.entities)?;
        match &h.detail {
            // As a value, so a pretty writer indents it like the rest.
            Detail::Json(_) => m.serialize_entry("detail", &h.detail.value())?,
            d => m.serialize_entry("detail", d)?,
        }
        if !h.denied_by.is_empty() {
            m.serialize_entry("denied_by", &h.denied_by)?;
        }
        m.end()
    }
}

/// Epoch milliseconds as the ISO 8601 UTC time findings show.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// Lines are written by `sonic_rs` (its string escaping is several
    /// times faster); they must be the bytes `serde_json` writes.
    #[test]
    fn lines_are_the_bytes_serde_json_writes() {
        let mut texts: Vec<String> = (0u32..0x80)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        texts.extend(
            [
                "",
                "é",
                "\u{2028}\u{2029}",
                "😀",
                "\u{7f}\u{80}",
                "x\"\\/y",
                "\u{feff}",
            ]
            .map(String::from),
        );
        let long: String = (0..300)
            .map(|i| if i % 37 == 0 { '\n' } else { 'z' })
            .collect();
        texts.push(long);
        let numbers = [
            json!(0),
            json!(-0.0),
            json!(0.1),
            json!(1.5e-7),
            json!(1e300),
            json!(-1e-300),
            json!(123456789.125),
            json!(5.0),
            json!(f64::MAX),
            json!(f64::MIN_POSITIVE),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e15),
            json!(1e16),
            json!(1e21),
            json!(0.000001),
            json!(0.0000001),
        ];
        let value = json!({
            "texts": texts,
            "numbers": numbers,
            "nested": {"a": [null, true, false, {}, []], "": {"k\n": "v"}},
        });
        let ours = sonic_rs::to_string(&value).unwrap();
        let theirs = serde_json::to_string(&value).unwrap();
        assert_eq!(ours, theirs);
        for v in [1.0f64, 2.5, 9.99, 1e-5, 3.0e10] {
            assert_eq!(
                sonic_rs::to_string(&v).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
    }
}
