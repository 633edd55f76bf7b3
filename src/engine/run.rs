//! Evaluates signals and guardrails over one record and builds the findings
//! and decisions it yields. Pure: no I/O, so it runs on any core and the same
//! record always yields the same bytes.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value;

use super::compile::CExpr;
use super::eval::{resolve_one, Eval, Memo};
pub use super::exempt::exemption;
use super::exempt::Exempt;
pub use super::known::Known;
use super::known::F;
pub use super::output::{severity_label, stable_id, Output, OutputKind};
use super::output::{Decision, Finding, Place, SignalFinding};
use super::record::{At, Node};
use super::rules::{Engine, GuardScope, SeverityRt};
use super::value::{Truth, Val};

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    pub file: std::sync::Arc<str>,
    /// 1-based line of the record's start.
    pub line: usize,
    /// Position in its file's list of records (`Records`, array), if any.
    pub index: Option<usize>,
    /// An event written inline in a `test`: its number among the test's
    /// records. Outputs then name it by that number, not by `line`, so
    /// that moving the test (`tensen fmt`) changes no snapshot.
    pub event: Option<usize>,
}

/// What a run does beyond the rules themselves.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Route every record to this source instead of recognising it.
    pub source: Option<usize>,
    /// The organization's management account, exempt from guardrails.
    pub management_account: Option<String>,
    /// The organization: its principals are the only ones principal
    /// guardrails judge, its resources the only ones resource guardrails
    /// judge (and its management account is exempt from both).
    pub organization: Option<std::sync::Arc<super::org::Organization>>,
    /// Build full `allow` decisions; otherwise they are only counted.
    pub keep_allow: bool,
    /// Render each output's JSON line where it is made, on all cores
    /// (see [`Output::line`]).
    pub render_lines: bool,
    /// The reference path: parse every record whole and evaluate every rule
    /// of its source, not only the parts and rules the record can reach
    /// (the outputs are the same; for checking exactly that).
    pub whole_records: bool,
}

impl RunOptions {
    /// How to parse each record of a run with `engine`.
    pub fn parse<'e>(&self, engine: &'e super::rules::Engine) -> super::parse::Parse<'e> {
        if self.whole_records {
            super::parse::Parse::Whole(engine.projection.names())
        } else {
            super::parse::Parse::Projected(&engine.projection)
        }
    }
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    /// No source claims the record.
    Unclaimed,
    /// Evaluated by the rules of its source; `hits` are the signals that
    /// feed sequences (positions are given by the caller).
    Evaluated {
        source: usize,
        outputs: Vec<Output>,
        /// `allow` decisions counted but not built (see
        /// [`RunOptions::keep_allow`]).
        allowed: usize,
        hits: Vec<super::sequence::Instance>,
        /// Signals that feed sequences and fired, but could not join them:
        /// the record's time is missing or unreadable.
        untimed: usize,
        /// The record's event time (epoch ms), if readable.
        time: Option<i64>,
    },
}

/// The record's own id, where its format has one.
fn record_id(record: At<'_>, known: &Known) -> Option<Arc<str>> {
    let id = |f: &F| {
        let v = known.get(record, *f)?;
        match v.node() {
            Node::Str(s) => Some(Arc::from(&**s)),
            Node::Num(_) => Some(Arc::from(v.to_json().to_string())),
            _ => None,
        }
    };
    let own = [F::EventId, F::Id, F::IdUpper, F::MetadataUid]
        .iter()
        .find_map(id);
    // A configuration item is identified by its resource and state.
    own.or_else(|| {
        let state = id(&F::ConfigurationStateId)?;
        let resource = [F::ArnUpper, F::Arn, F::ResourceId]
            .iter()
            .find_map(id)
            .unwrap_or_default();
        Some(Arc::from(format!("{resource}@{state}")))
    })
}

fn place(at: &RecordRef, record: At<'_>, known: &Known) -> Place {
    Place {
        file: at.file.clone(),
        line: at.line,
        index: at.index,
        event: at.event,
        id: record_id(record, known),
    }
}

/// Where the record is, and the key its finding ids are built from: made
/// only for the records that produce an output (most records produce none).
struct Here<'r> {
    at: &'r RecordRef,
    record: At<'r>,
    known: &'r Known,
    place: std::cell::OnceCell<Place>,
    /// The record's time, and the text its findings show.
    time_value: Option<At<'r>>,
    time: std::cell::OnceCell<Option<Arc<str>>>,
}

impl Here<'_> {
    fn time(&self) -> Option<Arc<str>> {
        self.time
            .get_or_init(|| self.time_value.map(|v| Val::from_node(v).render_shared()))
            .clone()
    }

    fn place(&self) -> &Place {
        self.place
            .get_or_init(|| place(self.at, self.record, self.known))
    }

    fn key(&self) -> Cow<'_, str> {
        let p = self.place();
        match (&p.id, p.event) {
            (Some(id), _) => Cow::Borrowed(id),
            (None, Some(n)) => Cow::Owned(format!("{}#{n}", p.file)),
            (None, None) => Cow::Owned(format!("{}:{}:{}", p.file, p.line, p.index.unwrap_or(0))),
        }
    }
}

fn render<'r>(eval: &mut Eval<'r>, e: Option<&'r CExpr>) -> Option<String> {
    e.map(|e| eval.value(e).into_rendered())
}

fn severity<'r>(eval: &mut Eval<'r>, s: &'r SeverityRt) -> Option<f64> {
    match s {
        SeverityRt::Fixed(v) => Some(*v),
        SeverityRt::From(e) => match eval.value(e) {
            Val::Num(n) => Some(n.clamp(1.0, 10.0)),
            Val::Str(s) => s.parse::<f64>().ok().map(|n| n.clamp(1.0, 10.0)),
            _ => None,
        },
    }
}

/// Evaluates every rule of the record's source.
pub fn evaluate(
    engine: &Engine,
    record: At<'_>,
    at: &RecordRef,
    opts: &RunOptions,
) -> RecordOutcome {
    let source = match opts.source {
        Some(s) => s,
        None => match engine.route(record) {
            Some(s) => s,
            None => return RecordOutcome::Unclaimed,
        },
    };
    let mut outputs = Vec::new();
    let known = &engine.known;
    // The record's time as written (for output) and in epoch ms (for sequences).
    let time_value = engine
        .sources
        .get(source)
        .and_then(|s| s.time.as_ref())
        .and_then(|p| resolve_one(record, &p.segments));
    let time_ms = time_value.and_then(super::time::epoch_ms);
    let here = Here {
        at,
        record,
        known,
        place: std::cell::OnceCell::new(),
        time_value,
        time: std::cell::OnceCell::new(),
    };
    let source_name: Arc<str> = engine
        .sources
        .get(source)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| Arc::from(""));
    let mut hits = Vec::new();
    let mut untimed = 0;
    let mut rules = Vec::new();
    // Derived fields, computed once for all the record's rules.
    let memo = Memo::new(engine.sources.get(source).map_or(0, |s| s.memo_slots)).with_facts(
        super::eval::Facts {
            known: &engine.known,
            org: opts.organization.as_deref(),
        },
    );
    if let Some(d) = engine.signal_dispatch.get(source) {
        if opts.whole_records {
            rules = d.all();
        } else {
            d.candidates(record, &mut rules);
        }
        for &i in &rules {
            let Some(sig) = engine.signals.get(i) else {
                continue;
            };
            let mut eval = Eval::with_memo(record, &memo);
            if eval.truth(&sig.when) != Truth::True {
                continue;
            }
            // Severity and entity values, once for the hit and the finding.
            let sev = severity(&mut eval, &sig.severity).unwrap_or(5.0);
            let values: Vec<(&Arc<str>, Val<'_>)> = sig
                .entities
                .iter()
                .map(|(n, e)| (n, eval.value(e)))
                .collect();
            let feeds = engine.feeds_sequences.get(i).copied().unwrap_or(false);
            // The title, once for the hit and the finding.
            let title = if sig.report || (feeds && time_ms.is_some()) {
                render(&mut eval, sig.title.as_ref())
            } else {
                None
            };
            match (feeds, time_ms) {
                (false, _) => {}
                (true, None) => untimed += 1,
                (true, Some(t)) => {
                    let entities = values
                        .iter()
                        .filter(|(_, v)| !matches!(v, Val::Missing | Val::Null))
                        .map(|(n, v)| (Arc::clone(n), v.render_shared()))
                        .collect();
                    hits.push(super::sequence::Instance {
                        signal: i,
                        time: t,
                        pos: 0,
                        entities,
                        severity: sev,
                        rule: sig.name.clone(),
                        detail: super::sequence::Detail::Record {
                            record: here.place().clone(),
                            title: title.clone(),
                        },
                        denied_by: Vec::new(),
                    });
                }
            }
            if !sig.report {
                continue;
            }
            let finding = SignalFinding {
                id: stable_id(&[&sig.name, &here.key()]),
                rule: sig.name.clone(),
                source: source_name.clone(),
                time: here.time(),
                severity: sev,
                title,
                summary: render(&mut eval, sig.summary.as_ref()),
                tactics: sig.tactics.clone(),
                techniques: sig.techniques.clone(),
                entities: values
                    .iter()
                    .map(|(n, v)| (Arc::clone(n), v.to_json()))
                    .collect(),
                record: here.place().clone(),
            };
            outputs.push(Output::new(OutputKind::Signal, Finding::Signal(finding)));
        }
    }
    // Guardrails: those whose `deny when` the record rules out allow it
    // (counted, not built, unless `allow` decisions are asked for).
    let mut allowed = 0;
    if let (Some(deny), Some(baseline)) = (
        engine.deny_dispatch.get(source),
        engine.baseline_dispatch.get(source),
    ) {
        let mut baselines = Vec::new();
        if opts.keep_allow || opts.whole_records {
            rules = deny.all();
        } else {
            allowed = deny.candidates(record, &mut rules);
        }
        if opts.whole_records {
            baselines = baseline.all();
        } else {
            baseline.candidates(record, &mut baselines);
        }
        rules.extend(baselines);
        rules.sort_unstable();
        for &i in &rules {
            let Some(g) = engine.guardrails.get(i) else {
                continue;
            };
            match decide(engine, g, &memo, &here, opts) {
                Some(Decided::Counted) => allowed += 1,
                Some(Decided::Built(out)) => outputs.push(out),
                None => {}
            }
        }
    }
    if !hits.is_empty() {
        // Detection and prevention in one picture: the guardrails that
        // would have denied the record of each step.
        let denied: Vec<Arc<str>> = outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Deny)
            .map(|o| Arc::clone(o.rule()))
            .collect();
        for h in &mut hits {
            h.denied_by.clone_from(&denied);
        }
    }
    RecordOutcome::Evaluated {
        source,
        outputs,
        allowed,
        hits,
        untimed,
        time: time_ms,
    }
}

/// A guardrail's decision: built, or an `allow` only counted. Returned once
/// per decision and unpacked at once, so the size of `Built` costs a move.
#[allow(clippy::large_enum_variant)]
enum Decided {
    Built(Output),
    Counted,
}

fn decide<'r>(
    engine: &'r Engine,
    g: &'r super::rules::GuardrailRt,
    memo: &'r Memo<'r>,
    here: &Here<'r>,
    opts: &RunOptions,
) -> Option<Decided> {
    let record = here.record;
    let mut eval = Eval::with_memo(record, memo);
    let mut exempt = None;
    let (kind, missing) = match g.scope {
        GuardScope::Principal | GuardScope::Resource => {
            // The statements: one that denies decides `deny`; a `deny when`
            // that is false, or an exception that holds, leaves its
            // statement out whatever the rest says (not evaluated).
            let mut decision = Truth::False;
            for st in &g.statements {
                // A statement left out says nothing of what is missing.
                let mark = eval.missing.len();
                let deny = eval.truth(&st.deny);
                if deny == Truth::False {
                    continue;
                }
                let mut excepted = Truth::False;
                for e in &st.excepts {
                    excepted = excepted.or(eval.truth(e));
                    if excepted == Truth::True {
                        break;
                    }
                }
                let this = deny.and(excepted.negate());
                if this == Truth::False {
                    eval.missing.truncate(mark);
                }
                decision = decision.or(this);
                if decision == Truth::True {
                    break;
                }
            }
            let out_of_reach = if decision == Truth::False {
                Exempt::No
            } else {
                exemption(record, &engine.known, opts, g.scope)
            };
            match (decision, out_of_reach) {
                (Truth::False, _) => (OutputKind::Allow, Vec::new()),
                (_, Exempt::Yes(why)) => {
                    exempt = Some(why);
                    (OutputKind::Allow, Vec::new())
                }
                (Truth::True, Exempt::No) => (OutputKind::Deny, Vec::new()),
                (Truth::Unknown, Exempt::No) => (
                    OutputKind::Unknown,
                    eval.missing.iter().map(|m| m.to_string()).collect(),
                ),
                (_, Exempt::Unknown(field)) => {
                    let mut missing: Vec<String> =
                        eval.missing.iter().map(|m| m.to_string()).collect();
                    missing.push(field.to_string());
                    (OutputKind::Unknown, missing)
                }
            }
        }
        GuardScope::Baseline => {
            let applies = g
                .applies
                .as_ref()
                .map(|a| eval.truth(a))
                .unwrap_or(Truth::True);
            if applies == Truth::False {
                return None;
            }
            let required = g
                .require
                .as_ref()
                .map(|r| eval.truth(r))
                .unwrap_or(Truth::True);
            match applies.and(required) {
                Truth::True => (OutputKind::Compliant, Vec::new()),
                Truth::False => (OutputKind::NonCompliant, Vec::new()),
                Truth::Unknown => (
                    OutputKind::Unknown,
                    eval.missing.iter().map(|m| m.to_string()).collect(),
                ),
            }
        }
    };
    if kind == OutputKind::Allow && !opts.keep_allow {
        return Some(Decided::Counted);
    }
    let show_message = matches!(
        kind,
        OutputKind::Deny | OutputKind::NonCompliant | OutputKind::Unknown
    );
    let message = if show_message {
        render(&mut eval, g.message.as_ref())
    } else {
        None
    };
    let sev = g.severity.as_ref().and_then(|s| severity(&mut eval, s));
    let known = &engine.known;
    let derived = |name: &str, eval: &mut Eval<'r>| {
        engine
            .sources
            .get(g.source)
            .and_then(|s| s.derived_named(name))
            .map(|e| eval.value(e))
            .filter(|v| !v.is_missing())
            .map(Val::into_rendered)
    };
    let action = derived("action", &mut eval)
        .or_else(|| known.first_str(record, &[F::EventName]).map(str::to_string));
    let account = derived("account", &mut eval).or_else(|| {
        known
            .first_str(record, super::known::RECEIVING_ACCOUNT)
            .map(str::to_string)
    });
    let decision = Decision {
        id: stable_id(&[&g.name, &here.key()]),
        guardrail: g.name.clone(),
        scope: g.scope,
        decision: kind,
        missing,
        exempt,
        message,
        title: render(&mut eval, g.title.as_ref()),
        time: here.time(),
        principal: known.first_str(record, &[F::UserArn]).map(str::to_string),
        action,
        resource: known
            .first_str(record, &[F::ArnUpper, F::Arn, F::ResourceId])
            .map(str::to_string),
        account,
        region: known
            .first_str(record, &[F::AwsRegion, F::Region, F::RegionUpper])
            .map(str::to_string),
        record: here.place().clone(),
        severity: sev,
    };
    Some(Decided::Built(Output::new(
        kind,
        Finding::Decision(decision),
    )))
}

/// Evaluates a record held as a `serde_json::Value` (a test's or an
/// embedding program's): the same outcome as the record read from a file.
pub fn evaluate_json(
    engine: &Engine,
    record: &Value,
    at: &RecordRef,
    opts: &RunOptions,
) -> RecordOutcome {
    let doc = super::record::Doc::from_value(record, Some(engine.projection.names()));
    evaluate(engine, doc.root(), at, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_fields_are_named_in_order() {
        let fields = super::super::project::ENGINE_FIELDS;
        assert_eq!(fields.len(), F::KeyId as usize + 1);
        assert_eq!(fields[F::EventId as usize], "eventID");
        assert_eq!(
            fields[F::IssuerArn as usize],
            "userIdentity.sessionContext.sessionIssuer.arn"
        );
        assert_eq!(fields[F::EventName as usize], "eventName");
        assert_eq!(fields[F::AwsAccountIdUpper as usize], "AwsAccountId");
        assert_eq!(fields[F::RegionUpper as usize], "Region");
        assert_eq!(fields[F::EventType as usize], "eventType");
        assert_eq!(fields[F::SharedEventId as usize], "sharedEventID");
        assert_eq!(fields[F::KeyId as usize], "requestParameters.keyId");
    }
}
