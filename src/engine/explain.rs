//! `explain`: why a rule did or did not fire on one record. Each condition
//! clause is split into its `and`/`or` operands; each operand is shown with
//! its truth value and the values of the fields it read.

use serde_json::Value;

use super::compile::{Compiler, Scope};
use super::eval::{Eval, Facts};
use super::org::Organization;
use super::record::{At, Doc};
use super::rules::Engine;
use super::value::Truth;
use crate::check::{Analysis, FileId};
use crate::syntax::ast::{Block, BlockKind, ClauseKind, Expr, ExprKind, ItemKind};
use crate::syntax::format::{chain, expr_inline};

/// One operand of a condition clause.
#[derive(Debug, Clone, PartialEq)]
pub struct OperandReport {
    pub text: String,
    pub truth: Truth,
    /// Each field the operand reads, with its value (`?` when missing).
    pub fields: Vec<(String, String)>,
}

/// One condition clause.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseReport {
    pub keyword: &'static str,
    pub text: String,
    pub truth: Truth,
    /// `and` or `or` when the clause is a chain, with its operands.
    pub joiner: Option<&'static str>,
    pub operands: Vec<OperandReport>,
}

/// The explanation of one rule over one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub rule: String,
    pub kind: BlockKind,
    pub source: String,
    /// Whether the record belongs to the rule's source.
    pub recognized: bool,
    pub clauses: Vec<ClauseReport>,
    /// The outcome in words: "fires", "does not fire", "deny", ...
    pub outcome: String,
}

fn find_block<'a>(analysis: &'a Analysis, name: &str) -> Option<(FileId, &'a Block)> {
    let sym = analysis.symbols.get(name)?;
    let item = analysis.file(sym.file)?.parsed.file.items.get(sym.item)?;
    match &item.kind {
        ItemKind::Block(b) => Some((sym.file, b)),
        _ => None,
    }
}

/// Explains `rule` over `record`, in the organization `org` (`--org`);
/// `None` if no signal or guardrail has that name.
pub fn explain(
    analysis: &Analysis,
    engine: &Engine,
    rule: &str,
    record: &Value,
    org: Option<&Organization>,
) -> Option<Explanation> {
    let (file, block) = find_block(analysis, rule)?;
    if !matches!(block.kind, BlockKind::Signal | BlockKind::Guardrail) {
        return None;
    }
    let source_name = block.on.as_ref()?.name.clone();
    let source = engine.source_index(&source_name)?;
    let scope = Scope {
        file,
        derived: engine.sources.get(source).map(|s| s.derived.as_slice()),
        entities: None,
    };
    let compiler = Compiler::new(analysis);
    // Keys compared by their text: this compiler interns names apart from
    // the engine's.
    let doc = Doc::from_value(record, None);
    let record = doc.root();
    let recognized = engine.recognize(record).contains(&source);
    let mut clauses = Vec::new();
    for c in &block.clauses {
        let (keyword, e) = match &c.kind {
            ClauseKind::When(e) => ("when", e),
            ClauseKind::Deny(e) => ("deny when", e),
            ClauseKind::Except(e) => ("except", e),
            ClauseKind::Applies(e) => ("applies", e),
            ClauseKind::Require(e) => ("require", e),
            _ => continue,
        };
        let facts = Facts {
            known: &engine.known,
            org,
        };
        clauses.push(clause_report(&compiler, &scope, keyword, e, record, facts));
    }
    let truth_of = |kw: &str| clauses.iter().find(|c| c.keyword == kw).map(|c| c.truth);
    let outcome = match block.kind {
        BlockKind::Signal => match truth_of("when").unwrap_or(Truth::Unknown) {
            Truth::True => "fires".to_string(),
            Truth::False => "does not fire: the condition is false".to_string(),
            Truth::Unknown => {
                "does not fire: the condition is unknown (a field it needs is missing)".to_string()
            }
        },
        _ => {
            // Each `deny when` with the `except`s after it, as run decides.
            let mut statements: Vec<(Truth, Truth)> = Vec::new();
            for c in &clauses {
                match (c.keyword, statements.last_mut()) {
                    ("deny when", _) => statements.push((c.truth, Truth::False)),
                    ("except", Some((_, excepted))) => *excepted = excepted.or(c.truth),
                    _ => {}
                }
            }
            let decided = statements.iter().fold(Truth::False, |t, (deny, excepted)| {
                t.or(deny.and(excepted.negate()))
            });
            let excepted = statements
                .iter()
                .any(|(deny, excepted)| *deny != Truth::False && *excepted == Truth::True);
            let scope = if block
                .clauses
                .iter()
                .any(|c| matches!(&c.kind, ClauseKind::Scope(s) if s.name == "resource"))
            {
                super::rules::GuardScope::Resource
            } else {
                super::rules::GuardScope::Principal
            };
            let opts = super::run::RunOptions {
                organization: org.map(|o| std::sync::Arc::new(o.clone())),
                ..super::run::RunOptions::default()
            };
            let exempt = super::run::exemption(record, &engine.known, &opts, scope);
            if !statements.is_empty() {
                match (decided, exempt) {
                    (Truth::True | Truth::Unknown, super::exempt::Exempt::Yes(why)) => {
                        format!("allow: exempt ({why}), whatever the clauses say")
                    }
                    (Truth::True | Truth::Unknown, super::exempt::Exempt::Unknown(field)) => {
                        format!("unknown: whether it is exempt depends on `{field}`, missing")
                    }
                    (Truth::True, _) => "deny".to_string(),
                    (Truth::False, _) if excepted => "allow: an `except` clause holds".to_string(),
                    (Truth::False, _) => "allow".to_string(),
                    (Truth::Unknown, _) => {
                        "unknown: a field the decision needs is missing".to_string()
                    }
                }
            } else {
                let applies = truth_of("applies").unwrap_or(Truth::True);
                let required = truth_of("require").unwrap_or(Truth::True);
                match (applies, applies.and(required)) {
                    (Truth::False, _) => "not applicable: `applies` is false".to_string(),
                    (_, Truth::True) => "compliant".to_string(),
                    (_, Truth::False) => "non-compliant".to_string(),
                    (_, Truth::Unknown) => {
                        "unknown: a field the decision needs is missing".to_string()
                    }
                }
            }
        }
    };
    Some(Explanation {
        rule: rule.to_string(),
        kind: block.kind,
        source: source_name,
        recognized,
        clauses,
        outcome,
    })
}

fn clause_report(
    compiler: &Compiler<'_>,
    scope: &Scope<'_>,
    keyword: &'static str,
    e: &Expr,
    record: At<'_>,
    facts: Facts<'_>,
) -> ClauseReport {
    let compiled = compiler.expr(e, scope);
    let truth = Eval::new(record).with_facts(facts).truth(&compiled);
    let (joiner, parts) = match chain(e) {
        Some((op, operands)) if operands.len() > 1 => (Some(op.symbol()), operands),
        _ => (None, vec![e]),
    };
    let operands = parts
        .into_iter()
        .map(|operand| {
            let c = compiler.expr(operand, scope);
            let truth = Eval::new(record).with_facts(facts).truth(&c);
            OperandReport {
                text: expr_inline(operand),
                truth,
                fields: fields_of(compiler, scope, operand, record),
            }
        })
        .collect();
    ClauseReport {
        keyword,
        text: expr_inline(e),
        truth,
        joiner,
        operands,
    }
}

/// The fields an expression reads, with their values in the record.
fn fields_of(
    compiler: &Compiler<'_>,
    scope: &Scope<'_>,
    e: &Expr,
    record: At<'_>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    record_paths(compiler.analysis(), scope.file, e, &mut |sub| {
        let ExprKind::Path(p) = &sub.kind else {
            return;
        };
        let text = crate::syntax::format::path_text(p);
        if out.iter().any(|(t, _)| *t == text) {
            return;
        }
        let compiled = compiler.expr(sub, scope);
        if matches!(compiled, super::compile::CExpr::Const(_)) {
            return;
        }
        let value = Eval::new(record).value(&compiled);
        let shown = match &value {
            super::value::Val::Str(s) => format!("{:?}", s.as_ref()),
            super::value::Val::Missing => "missing".to_string(),
            other => other.render(),
        };
        out.push((text, shown));
    });
    out
}

/// Calls `f` on each path of `e` that reads the record: not those from an
/// element bound by `any(x in LIST: ...)`, which has a value per element
/// (the quantifier's own truth is shown with the other operands).
fn record_paths<'e>(analysis: &Analysis, file: FileId, e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Path(p) => {
            let bound = matches!(
                analysis.model.resolved(file, p.span),
                Some(crate::check::model::Resolved::Bound { .. })
            );
            if !bound {
                f(e);
            }
        }
        _ => {
            for child in e.kind.children() {
                record_paths(analysis, file, child, f);
            }
        }
    }
}
