//! What each name in a rule file refers to: the items it names (steps,
//! `until`, `expect`, `let` constants), the source fields its expressions
//! read (in conditions and in `{...}` of titles, summaries and messages),
//! the functions it calls. Hover, go to definition, references and
//! rename all start from here.

use std::borrow::Cow;

use crate::check::model::Resolved;
use crate::check::Analysis;
use crate::check::FileId;
use crate::syntax::ast::{
    Block, ClauseKind, Expr, ExprKind, ItemKind, SegmentKind, Step, StepKind, StrLit,
};
use crate::syntax::template::{parse_template, Template, TemplatePart};
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
    /// A name bound by `any(x in LIST: ...)`: each element of `list` (as
    /// written), bound at `at`, for the condition at `body`.
    Local {
        name: String,
        list: String,
        at: Span,
        body: Span,
    },
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
                exprs(value, &Cx::new(analysis, file, None), &mut out);
            }
            ItemKind::Block(b) => block(analysis, file, b, &mut out),
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

/// Where an expression is: what the checker decided of its names, and
/// the source whose fields it reads.
struct Cx<'a> {
    model: &'a crate::check::model::Model,
    file: FileId,
    source: Option<&'a str>,
}

impl<'a> Cx<'a> {
    fn new(analysis: &'a Analysis, file: FileId, source: Option<&'a str>) -> Cx<'a> {
        Cx {
            model: &analysis.model,
            file,
            source,
        }
    }
}

fn block(analysis: &Analysis, file: FileId, b: &Block, out: &mut Vec<Ref>) {
    out.push(def(b.name.span, &b.name.name));
    if let Some(on) = &b.on {
        out.push(item_ref(on.span, &on.name));
    }
    let cx = &Cx::new(analysis, file, b.on.as_ref().map(|o| o.name.as_str()));
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
            | ClauseKind::Severity { value: e, .. } => exprs(e, cx, out),
            ClauseKind::Title(lit) | ClauseKind::Summary(lit) | ClauseKind::Message(lit) => {
                for part in &template(analysis, file, lit).parts {
                    if let TemplatePart::Value(e) = part {
                        exprs(e, cx, out);
                    }
                }
            }
            ClauseKind::Steps(steps) => step_refs(steps, out),
            ClauseKind::Until(names) => out.extend(names.iter().map(|n| item_ref(n.span, &n.name))),
            _ => {}
        }
    }
}

/// The template of a title, summary or message, as the checker parsed it.
/// One the checker did not reach (its rule has no known source) is parsed
/// here, so the editor still sees inside it.
pub fn template<'a>(analysis: &'a Analysis, file: FileId, lit: &StrLit) -> Cow<'a, Template> {
    match analysis.model.template(file, lit.span) {
        Some(t) => Cow::Borrowed(t),
        None => Cow::Owned(parse_template(lit).0),
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

fn exprs(e: &Expr, cx: &Cx<'_>, out: &mut Vec<Ref>) {
    walk(e, cx, &mut Vec::new(), out);
}

/// A name bound around an expression: the binding's target, and the field
/// names of one element of its list (when the list is a field).
type Binding = (Target, Option<Vec<String>>);

/// The field names of a path, through the names `bound` around it: `p.x`
/// with `p` bound to `a.items` is `a.items.x`.
fn names_of(
    p: &crate::syntax::ast::Path,
    bound: &[(String, Binding)],
) -> (Option<Vec<String>>, bool) {
    let mut names: Vec<String> = p
        .segments
        .iter()
        .filter_map(|s| match &s.kind {
            SegmentKind::Name { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let root = names.first().cloned().unwrap_or_default();
    match bound.iter().rev().find(|(n, _)| *n == root) {
        Some((_, (_, element))) => {
            let Some(mut full) = element.clone() else {
                return (None, true);
            };
            full.extend(names.drain(1..));
            (Some(full), true)
        }
        None => (Some(names), false),
    }
}

fn walk(e: &Expr, cx: &Cx<'_>, bound: &mut Vec<(String, Binding)>, out: &mut Vec<Ref>) {
    let source = cx.source;
    match &e.kind {
        ExprKind::Quantifier {
            func,
            var,
            list,
            body,
        } => {
            out.push(Ref {
                span: func.span,
                target: Target::Function(func.name.clone()),
                definition: false,
            });
            walk(list, cx, bound, out);
            let element = match &list.kind {
                ExprKind::Path(p) => names_of(p, bound).0,
                _ => None,
            };
            let target = Target::Local {
                name: var.name.clone(),
                list: crate::syntax::format::expr_inline(list),
                at: var.span,
                body: body.span,
            };
            out.push(Ref {
                span: var.span,
                target: target.clone(),
                definition: true,
            });
            bound.push((var.name.clone(), (target, element)));
            walk(body, cx, bound, out);
            bound.pop();
        }
        ExprKind::Path(p) => {
            let (names, is_bound) = names_of(p, bound);
            if is_bound {
                // The root names the element; the whole path, its field.
                if let Some(first) = p.segments.first() {
                    let local = match &first.kind {
                        SegmentKind::Name { name, .. } => {
                            bound.iter().rev().find(|(n, _)| n == name)
                        }
                        _ => None,
                    };
                    if let Some((_, (target, _))) = local {
                        out.push(Ref {
                            span: first.span,
                            target: target.clone(),
                            definition: false,
                        });
                    }
                }
                if let (Some(s), Some(path), true) = (source, names, p.segments.len() > 1) {
                    out.push(Ref {
                        span: p.span,
                        target: Target::Field {
                            source: s.to_string(),
                            path,
                        },
                        definition: false,
                    });
                }
                return;
            }
            let names = names.unwrap_or_default();
            match (source, p.segments.len()) {
                // A one-name path is a `let` constant or a field, as the
                // checker decided; where it did not (a broken rule), both.
                (_, 1) => {
                    let resolved = cx.model.resolved(cx.file, p.span);
                    let (constant, field) = match resolved {
                        Some(Resolved::Let(_)) => (true, false),
                        Some(Resolved::Field | Resolved::Derived(_)) => (false, true),
                        Some(Resolved::Entity(_) | Resolved::Bound { .. }) | None => (true, true),
                    };
                    if let Some(n) = names.first().filter(|_| constant) {
                        out.push(item_ref(p.span, n));
                    }
                    if let Some(s) = source.filter(|_| field) {
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
        ExprKind::Call { func, args } => {
            out.push(Ref {
                span: func.span,
                target: Target::Function(func.name.clone()),
                definition: false,
            });
            for a in args {
                walk(a, cx, bound, out);
            }
        }
        _ => {
            for child in e.kind.children() {
                walk(child, cx, bound, out);
            }
        }
    }
}
