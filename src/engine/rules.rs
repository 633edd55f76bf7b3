//! The runnable form of a checked ruleset: sources with their recognition
//! rule, time field and derived fields; signals and guardrails compiled; and
//! an index from a discriminating field's value (e.g. `eventName`) to the
//! rules that can match it, so cost does not grow with the rule count.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::compile::{CExpr, Compiler, FieldPath, Scope};
use super::dispatch::Dispatch;
use super::eval::Eval;
use super::record::At;
use super::value::{Truth, Val};
use crate::check::attack::level;
use crate::check::{Analysis, FileId, Ruleset};
use crate::syntax::ast::{Block, BlockKind, ClauseKind, ExprKind, ItemKind, Lit, StrLit};

pub struct SourceRt {
    pub name: Arc<str>,
    pub recognize: Option<CExpr>,
    pub time: Option<Arc<FieldPath>>,
    /// Derived fields by [`DerivedId`](crate::check::model::DerivedId):
    /// in name order, as the source's schema lists them.
    pub derived: Vec<CExpr>,
    /// Their names, in the same order.
    pub derived_names: Vec<Box<str>>,
    /// Slots of a record's [`Memo`](super::eval::Memo): its derived fields
    /// worth computing once ([`CExpr::Derived`]).
    pub memo_slots: usize,
}

#[derive(Clone)]
pub enum SeverityRt {
    Fixed(f64),
    From(CExpr),
}

/// A clause kept for `explain`: its keyword, its text and its compiled form.
pub struct ClauseRt {
    pub keyword: &'static str,
    pub text: String,
    pub expr: CExpr,
}

pub struct SignalRt {
    pub name: Arc<str>,
    pub source: usize,
    pub when: CExpr,
    pub severity: SeverityRt,
    pub tactics: Arc<[String]>,
    pub techniques: Arc<[String]>,
    pub report: bool,
    pub entities: Vec<(Arc<str>, CExpr)>,
    pub title: Option<CExpr>,
    pub summary: Option<CExpr>,
    pub clauses: Vec<ClauseRt>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardScope {
    Principal,
    Resource,
    Baseline,
}

impl GuardScope {
    pub fn word(self) -> &'static str {
        match self {
            GuardScope::Principal => "principal",
            GuardScope::Resource => "resource",
            GuardScope::Baseline => "baseline",
        }
    }
}

/// One `deny when` and its exceptions.
pub struct Statement {
    pub deny: CExpr,
    pub excepts: Vec<CExpr>,
}

pub struct GuardrailRt {
    pub name: Arc<str>,
    pub source: usize,
    pub scope: GuardScope,
    /// The `deny when` clauses, each with the `except`s written after it,
    /// as the statements of a policy: a call is denied when one of them
    /// denies it.
    pub statements: Vec<Statement>,
    /// Any statement's `deny when`: what the dispatch index reads.
    pub deny_any: Option<CExpr>,
    pub applies: Option<CExpr>,
    pub require: Option<CExpr>,
    pub title: Option<CExpr>,
    pub message: Option<CExpr>,
    pub severity: Option<SeverityRt>,
    pub clauses: Vec<ClauseRt>,
}

/// A compiled ruleset, ready to run over records.
pub struct Engine {
    pub sources: Vec<SourceRt>,
    pub signals: Vec<SignalRt>,
    pub guardrails: Vec<GuardrailRt>,
    /// Per source: signals routed by what their `when` requires (a signal
    /// fires only on definite true).
    pub signal_dispatch: Vec<Dispatch>,
    /// Per source: principal and resource guardrails routed by what their
    /// `deny when` requires (ruled out: a definite `allow`), and baselines
    /// by what `applies` requires (ruled out: no decision at all).
    pub deny_dispatch: Vec<Dispatch>,
    pub baseline_dispatch: Vec<Dispatch>,
    /// Attack sequences; their step indexes count signals first, then
    /// sequences.
    pub sequences: Vec<super::correlate::SequenceRt>,
    /// Whether each signal feeds a sequence (its hits are kept).
    pub feeds_sequences: Vec<bool>,
    /// The parts of a record the rules read: a run parses only those.
    pub projection: super::project::Projection,
    /// The fields the engine itself reads, resolved.
    pub known: super::run::Known,
}

impl SourceRt {
    /// The derived field `name`, if the source has one.
    pub fn derived_named(&self, name: &str) -> Option<&CExpr> {
        let i = self.derived_names.iter().position(|n| **n == *name)?;
        self.derived.get(i)
    }
}

impl Engine {
    pub fn new(ruleset: &Ruleset) -> Engine {
        build(&ruleset.analysis)
    }

    /// An engine over an analysis; only meaningful when it has no errors.
    pub fn from_analysis(analysis: &Analysis) -> Engine {
        build(analysis)
    }

    pub fn source_index(&self, name: &str) -> Option<usize> {
        self.sources.iter().position(|s| &*s.name == name)
    }

    /// The sources whose recognition rule is definitely true for `record`.
    pub fn recognize(&self, record: At<'_>) -> Vec<usize> {
        (0..self.sources.len())
            .filter(|i| self.recognizes(*i, record))
            .collect()
    }

    /// The source a record held as JSON is routed to.
    pub fn route_json(&self, record: &serde_json::Value) -> Option<usize> {
        let doc = super::record::Doc::from_value(record, Some(self.projection.names()));
        self.route(doc.root())
    }

    /// The first source that recognises `record`: the one it is routed to.
    pub fn route(&self, record: At<'_>) -> Option<usize> {
        (0..self.sources.len()).find(|i| self.recognizes(*i, record))
    }

    fn recognizes(&self, source: usize, record: At<'_>) -> bool {
        self.sources
            .get(source)
            .and_then(|s| s.recognize.as_ref())
            .is_some_and(|r| Eval::new(record).truth(r) == Truth::True)
    }
}

/// Every block, with the file it is written in.
fn blocks(analysis: &Analysis) -> impl Iterator<Item = (FileId, &Block)> {
    analysis
        .files
        .iter()
        .flat_map(|f| f.parsed.file.items.iter().map(move |i| (f.id, i)))
        .filter_map(|(file, item)| match &item.kind {
            ItemKind::Block(b) => Some((file, b)),
            _ => None,
        })
}

fn build(analysis: &Analysis) -> Engine {
    let compiler = Compiler::new(analysis);
    let mut sources = Vec::new();
    for (file, b) in blocks(analysis).filter(|(_, b)| b.kind == BlockKind::Source) {
        if sources.iter().any(|s: &SourceRt| *s.name == *b.name.name) {
            continue;
        }
        let mut src = SourceRt {
            name: Arc::from(b.name.name.as_str()),
            recognize: None,
            time: None,
            derived: Vec::new(),
            derived_names: Vec::new(),
            memo_slots: 0,
        };
        let scope = Scope::of(file);
        let mut derived = BTreeMap::new();
        for c in &b.clauses {
            match &c.kind {
                ClauseKind::Recognize(e) => src.recognize = Some(compiler.expr(e, &scope)),
                ClauseKind::Time(p) => src.time = Some(Arc::new(compiler.field_path(p))),
                ClauseKind::Derive { name, value, .. } => {
                    derived.insert(name.name.as_str(), value);
                }
                _ => {}
            }
        }
        // In the order the schema lists them: their ids.
        let listed = analysis.schemas.get(&b.name.name).map(|s| &s.derived);
        for name in listed.into_iter().flat_map(|d| d.keys()) {
            let Some(value) = derived.get(name.as_str()) else {
                continue;
            };
            let compiled = match &value.kind {
                ExprKind::Lit(Lit::Str(s)) => compiler.template(s, &scope),
                _ => compiler.expr(value, &scope),
            };
            // A field or a constant is read as fast as it is remembered,
            // and stays visible to dispatch as it is.
            let shared = match compiled {
                CExpr::Field(_) | CExpr::Const(_) => compiled,
                expr => {
                    src.memo_slots += 1;
                    CExpr::Derived {
                        slot: src.memo_slots - 1,
                        expr: Box::new(expr),
                    }
                }
            };
            src.derived.push(shared);
            src.derived_names.push(name.as_str().into());
        }
        sources.push(src);
    }
    let mut signals = Vec::new();
    let mut guardrails = Vec::new();
    for (file, b) in blocks(analysis) {
        let Some(source) =
            b.on.as_ref()
                .and_then(|on| sources.iter().position(|s| *s.name == *on.name))
        else {
            continue;
        };
        let derived = sources.get(source).map(|s| s.derived.as_slice());
        let record_scope = Scope {
            file,
            derived,
            entities: None,
        };
        let mut entities = Vec::new();
        for c in &b.clauses {
            if let ClauseKind::Entity { name, value } = &c.kind {
                let compiled = compiler.expr(value, &record_scope);
                entities.push((Arc::from(name.name.as_str()), compiled));
            }
        }
        let entity_values: Vec<CExpr> = entities.iter().map(|(_, e)| e.clone()).collect();
        let template_scope = Scope {
            file,
            derived,
            entities: Some(&entity_values),
        };
        let tmpl = |s: &StrLit| compiler.template(s, &template_scope);
        let mut clauses = Vec::new();
        let mut keep = |keyword: &'static str, e: &crate::syntax::ast::Expr| {
            let compiled = compiler.expr(e, &record_scope);
            clauses.push(ClauseRt {
                keyword,
                text: crate::syntax::format::expr_inline(e),
                expr: compiled.clone(),
            });
            compiled
        };
        let mut title = None;
        let mut summary = None;
        let mut message = None;
        let mut severity = None;
        let mut tactics = Vec::new();
        let mut techniques = Vec::new();
        let mut report = true;
        let mut when = None;
        let mut statements: Vec<Statement> = Vec::new();
        let mut applies = None;
        let mut require = None;
        let mut scope = GuardScope::Principal;
        for c in &b.clauses {
            match &c.kind {
                ClauseKind::Title(s) => title = Some(tmpl(s)),
                ClauseKind::Summary(s) => summary = Some(tmpl(s)),
                ClauseKind::Message(s) => message = Some(tmpl(s)),
                ClauseKind::Severity {
                    computed: false,
                    value,
                } => severity = Some(SeverityRt::Fixed(fixed_severity(value).unwrap_or(5.0))),
                ClauseKind::Severity {
                    computed: true,
                    value,
                } => severity = Some(SeverityRt::From(compiler.expr(value, &record_scope))),
                ClauseKind::Tactic(ts) => tactics = ts.iter().map(|t| t.name.clone()).collect(),
                ClauseKind::Technique(ts) => {
                    techniques = ts.iter().map(|t| t.value.clone()).collect()
                }
                ClauseKind::Report(e) => {
                    report = !matches!(e.kind, ExprKind::Lit(Lit::Bool(false)))
                }
                ClauseKind::When(e) => when = Some(keep("when", e)),
                ClauseKind::Deny(e) => statements.push(Statement {
                    deny: keep("deny when", e),
                    excepts: Vec::new(),
                }),
                // The checker refuses an `except` before any `deny when`.
                ClauseKind::Except(e) => {
                    let compiled = keep("except", e);
                    if let Some(last) = statements.last_mut() {
                        last.excepts.push(compiled);
                    }
                }
                ClauseKind::Applies(e) => applies = Some(keep("applies", e)),
                ClauseKind::Require(e) => require = Some(keep("require", e)),
                ClauseKind::Scope(s) => {
                    scope = match s.name.as_str() {
                        "resource" => GuardScope::Resource,
                        "baseline" => GuardScope::Baseline,
                        _ => GuardScope::Principal,
                    }
                }
                _ => {}
            }
        }
        match b.kind {
            BlockKind::Signal => signals.push(SignalRt {
                name: Arc::from(b.name.name.as_str()),
                source,
                when: when.unwrap_or(CExpr::Const(Val::Missing)),
                severity: severity.unwrap_or(SeverityRt::Fixed(5.0)),
                tactics: tactics.into(),
                techniques: techniques.into(),
                report,
                entities,
                title,
                summary,
                clauses,
            }),
            BlockKind::Guardrail => guardrails.push(GuardrailRt {
                name: Arc::from(b.name.name.as_str()),
                source,
                scope,
                deny_any: statements
                    .iter()
                    .map(|st| st.deny.clone())
                    .reduce(|a, b| CExpr::Or(Box::new(a), Box::new(b))),
                statements,
                applies,
                require,
                title,
                message,
                severity,
                clauses,
            }),
            BlockKind::Source | BlockKind::Sequence => {}
        }
    }
    let signal_dispatch = (0..sources.len())
        .map(|s| {
            Dispatch::new(
                signals
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.source == s)
                    .map(|(i, r)| (i, Some(&r.when))),
            )
        })
        .collect();
    let guardrail_dispatch = |baseline: bool| -> Vec<Dispatch> {
        (0..sources.len())
            .map(|s| {
                Dispatch::new(
                    guardrails
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| g.source == s)
                        .filter(|(_, g)| (g.scope == GuardScope::Baseline) == baseline)
                        .map(|(i, g)| {
                            let condition = if baseline { &g.applies } else { &g.deny_any };
                            (i, condition.as_ref())
                        }),
                )
            })
            .collect()
    };
    let deny_dispatch = guardrail_dispatch(false);
    let baseline_dispatch = guardrail_dispatch(true);
    let sequences = super::correlate::build_sequences(analysis, &compiler, &signals);
    let mut feeds_sequences = vec![false; signals.len()];
    for p in sequences.iter().filter_map(|s| s.pattern.as_ref()) {
        for i in p
            .steps
            .iter()
            .flat_map(|s| s.signals.iter())
            .chain(p.until.iter())
        {
            if let Some(f) = feeds_sequences.get_mut(*i) {
                *f = true;
            }
        }
    }
    let mut paths = compiler.paths();
    paths.extend(
        sources
            .iter()
            .filter_map(|s| s.time.as_ref())
            .map(|t| t.segments.clone()),
    );
    let projection =
        super::project::Projection::new(paths.iter().map(Vec::as_slice), compiler.names());
    let known = super::run::Known::new(projection.names());
    Engine {
        sources,
        signals,
        guardrails,
        signal_dispatch,
        deny_dispatch,
        baseline_dispatch,
        sequences,
        feeds_sequences,
        projection,
        known,
    }
}

/// A constant severity: a level name or a number.
pub(super) fn fixed_severity(e: &crate::syntax::ast::Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Lit(Lit::Int(n) | Lit::Float(n)) => n.parse().ok(),
        ExprKind::Path(p) => level(&crate::syntax::format::path_text(p)),
        _ => None,
    }
}
