//! What each name in a rule file refers to: the items it names (steps,
//! `until`, `expect`, `let` constants), the source fields its expressions
//! read (in conditions and in `{...}` of titles, summaries and messages),
//! the functions it calls. Hover, go to definition, references and
//! rename all start from here.

use crate::check::Analysis;
use crate::check::FileId;
use crate::syntax::ast::{
    Block, ClauseKind, Expr, ExprKind, ItemKind, SegmentKind, Step, StepKind,
};
use crate::syntax::template::{parse_template, TemplatePart};
use crate::syntax::visit::walk_expr;
use crate::syntax::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A signal, sequence, guardrail, source or `let` constant.
    Item(String),
    /// A field of a source, by its names (`userIdentity.arn`).
    Field {
        source: String,
        path: Vec<String>,
    },
    Function(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub span: Span,
    pub target: Target,
    /// The item's own name where it is defined.
    pub definition: bool,
}

/// Every reference in one file, in text order.
pub fn collect(analysis: &Analysis, file: FileId) -> Vec<Ref> {
    collect_in(analysis, file, None)
}

/// The references under a byte offset, innermost (shortest) first; only
/// the item holding the offset is walked.
pub fn at_offset(analysis: &Analysis, file: FileId, offset: usize) -> Vec<Ref> {
    let all = collect_in(analysis, file, Some(offset));
    let mut hits: Vec<Ref> = all
        .into_iter()
        .filter(|r| r.span.start <= offset && offset <= r.span.end)
        .collect();
    hits.sort_by_key(|r| r.span.end - r.span.start);
    hits
}

fn collect_in(analysis: &Analysis, file: FileId, offset: Option<usize>) -> Vec<Ref> {
    let mut out = Vec::new();
    let Some(pf) = analysis.file(file) else {
        return out;
    };
    let items = pf
        .parsed
        .file
        .items
        .iter()
        .filter(|i| offset.is_none_or(|o| i.span.start <= o && o <= i.span.end));
    for item in items {
        match &item.kind {
            ItemKind::Let { name, value } => {
                out.push(def(name.span, &name.name));
                exprs(value, None, &mut out);
            }
            ItemKind::Block(b) => block(b, &mut out),
            ItemKind::Test { clauses, .. } => {
                for c in clauses {
                    if let ClauseKind::Expect { rule, .. } = &c.kind {
                        out.push(item_ref(rule.span, &rule.name));
                    }
                }
            }
            ItemKind::Error => {}
        }
    }
    out.sort_by_key(|r| (r.span.start, r.span.end));
    out
}

fn def(span: Span, name: &str) -> Ref {
    Ref {
        span,
        target: Target::Item(name.to_string()),
        definition: true,
    }
}

fn item_ref(span: Span, name: &str) -> Ref {
    Ref {
        span,
        target: Target::Item(name.to_string()),
        definition: false,
    }
}

fn block(b: &Block, out: &mut Vec<Ref>) {
    out.push(def(b.name.span, &b.name.name));
    if let Some(on) = &b.on {
        out.push(item_ref(on.span, &on.name));
    }
    let source = b.on.as_ref().map(|o| o.name.as_str());
    for c in &b.clauses {
        match &c.kind {
            ClauseKind::When(e)
            | ClauseKind::Deny(e)
            | ClauseKind::Except(e)
            | ClauseKind::Applies(e)
            | ClauseKind::Require(e)
            | ClauseKind::Recognize(e)
            | ClauseKind::Report(e)
            | ClauseKind::Within(e)
            | ClauseKind::Entity { value: e, .. }
            | ClauseKind::Severity { value: e, .. } => exprs(e, source, out),
            ClauseKind::Title(lit) | ClauseKind::Summary(lit) | ClauseKind::Message(lit) => {
                for part in parse_template(lit).0.parts {
                    if let TemplatePart::Value(e) = part {
                        exprs(&e, source, out);
                    }
                }
            }
            ClauseKind::Steps(steps) => step_refs(steps, out),
            ClauseKind::Until(names) => out.extend(names.iter().map(|n| item_ref(n.span, &n.name))),
            _ => {}
        }
    }
}

fn step_refs(steps: &[Step], out: &mut Vec<Ref>) {
    for s in steps {
        match &s.kind {
            StepKind::Single(single) => {
                out.extend(single.signals.iter().map(|n| item_ref(n.span, &n.name)))
            }
            StepKind::Unordered(inner) => step_refs(inner, out),
            StepKind::Error => {}
        }
    }
}

fn exprs(e: &Expr, source: Option<&str>, out: &mut Vec<Ref>) {
    walk_expr(e, &mut |x| match &x.kind {
        ExprKind::Path(p) => {
            let names: Vec<String> = p
                .segments
                .iter()
                .filter_map(|s| match &s.kind {
                    SegmentKind::Name { name, .. } => Some(name.clone()),
                    _ => None,
                })
                .collect();
            match (source, p.segments.len()) {
                // A one-name path may be a `let` constant; the checker
                // decides, hover and definition try both.
                (_, 1) => {
                    if let Some(n) = names.first() {
                        out.push(item_ref(p.span, n));
                    }
                    if let Some(s) = source {
                        out.push(Ref {
                            span: p.span,
                            target: Target::Field {
                                source: s.to_string(),
                                path: names,
                            },
                            definition: false,
                        });
                    }
                }
                (Some(s), _) => out.push(Ref {
                    span: p.span,
                    target: Target::Field {
                        source: s.to_string(),
                        path: names,
                    },
                    definition: false,
                }),
                (None, _) => {}
            }
        }
        ExprKind::Call { func, .. } => out.push(Ref {
            span: func.span,
            target: Target::Function(func.name.clone()),
            definition: false,
        }),
        _ => {}
    });
}
