//! Compiles checked expressions once into a form that is cheap to evaluate
//! per record: constants folded (including `let`s), field paths resolved,
//! regular expressions and globs built, derived fields and entities inlined.
//!
//! It runs only on rulesets the checker accepted, so it never reports
//! errors; anything it cannot compile becomes a constant `Missing`, which
//! evaluates to unknown, never to a wrong answer.

use std::sync::Arc;

use regex::Regex;
use wildmatch::WildMatch;

use super::record::{Doc, Key, KeyId, Names, NO_KEY};
use super::value::Val;
use crate::check::model::Resolved;
use crate::check::{Analysis, FileId};
use crate::syntax::ast::{
    BinOp, CmpOp, Expr, ExprKind, ItemKind, Lit, Path, SegmentKind, StrLit, UnaryOp,
};
use crate::syntax::literal::parse_duration_ms;
use crate::syntax::template::TemplatePart;

/// A field path resolved for evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    pub segments: Vec<PathSeg>,
    /// As written, for messages and `unknown` decisions.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathSeg {
    Name(Key),
    Index(usize),
    Each,
}

/// The built-in functions, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Lower,
    Upper,
    Len,
    Split,
    Service,
    IamAction,
    Account,
    Region,
    IsServiceLinked,
    Max,
    Min,
}

/// How `[*]` values are quantified inside a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    Any,
    All,
}

/// One part of a compiled template.
#[derive(Debug, Clone)]
pub enum TPart {
    Text(String),
    Value(CExpr),
}

/// The texts of a constant list, hashed for `in`.
pub type TextSet = rustc_hash::FxHashSet<Box<str>>;

/// Lists shorter than this are compared one by one.
const HASHED_FROM: usize = 6;

/// The hashed texts of a constant list of texts (of at least
/// [`HASHED_FROM`] items): `x in LIST` is then one lookup for a text `x`.
fn text_set(rhs: &CExpr) -> Option<Arc<TextSet>> {
    let CExpr::Const(Val::List(items)) = rhs else {
        return None;
    };
    if items.len() < HASHED_FROM {
        return None;
    }
    items
        .iter()
        .map(|v| match v {
            Val::Str(s) => Some(Box::from(s.as_ref())),
            _ => None,
        })
        .collect::<Option<TextSet>>()
        .map(Arc::new)
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum CExpr {
    Const(Val<'static>),
    Field(Arc<FieldPath>),
    List(Vec<CExpr>),
    Not(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    In {
        lhs: Box<CExpr>,
        rhs: Box<CExpr>,
        negated: bool,
        /// `rhs` as a hashed set, when it is a constant list of texts long
        /// enough for hashing to beat comparing.
        set: Option<Arc<TextSet>>,
    },
    Matches(Box<CExpr>, Arc<Vec<WildMatch>>),
    MatchesDynamic(Box<CExpr>, Box<CExpr>),
    Regex(Box<CExpr>, Arc<Regex>),
    Contains(Box<CExpr>, Box<CExpr>),
    StartsWith(Box<CExpr>, Box<CExpr>),
    EndsWith(Box<CExpr>, Box<CExpr>),
    Exists {
        expr: Box<CExpr>,
        negated: bool,
    },
    Arith(BinOp, Box<CExpr>, Box<CExpr>),
    Neg(Box<CExpr>),
    Call(Func, Vec<CExpr>),
    Quantified(Quant, Box<CExpr>),
    /// `any(x in LIST: BODY)` (or `all`): `BODY` on each element, which
    /// it reads as [`CExpr::Bound`].
    Each {
        quant: Quant,
        list: Box<CExpr>,
        /// The list is `a[*].b`: its values are lists whose elements are
        /// the ones named (`a[*]` itself yields the elements).
        flatten: bool,
        body: Box<CExpr>,
    },
    /// A path from the element bound by the [`CExpr::Each`] `up` levels
    /// out (0 = the innermost); `rest` empty: the element itself. Counted
    /// from the inside, so a derived field or entity that binds names of
    /// its own means the same wherever it is used.
    Bound {
        up: usize,
        rest: Arc<FieldPath>,
    },
    Template(Vec<TPart>),
    /// `condition(OPERATOR, KEY, VALUES)`: an IAM policy condition.
    Condition(Arc<super::condition::Condition>),
    /// A derived field of the source: the same for every rule of a record,
    /// so a run computes it once per record (slot `slot` of the record's
    /// [`Memo`](super::eval::Memo)).
    Derived {
        slot: usize,
        expr: Box<CExpr>,
    },
}

/// A name bound by an enclosing `any(x in LIST: ...)`, while compiling.
#[derive(Clone)]
struct Binding {
    /// How the element is written in messages: `resources[*]`.
    text: String,
}

/// Where an expression is written, and what its names may stand for
/// besides record fields (the checker decided which each one is).
pub struct Scope<'s> {
    /// The file the expression is in: where the checker's answers are.
    pub file: FileId,
    /// Derived fields of the source, compiled, by
    /// [`DerivedId`](crate::check::model::DerivedId).
    pub derived: Option<&'s [CExpr]>,
    /// Entities of the rule (visible in templates), compiled, by
    /// [`EntityId`](crate::check::model::EntityId).
    pub entities: Option<&'s [CExpr]>,
}

impl Scope<'_> {
    /// An expression of `file` that reads record fields and constants.
    pub fn of(file: FileId) -> Scope<'static> {
        Scope {
            file,
            derived: None,
            entities: None,
        }
    }
}

/// Compiles expressions of one ruleset.
pub struct Compiler<'a> {
    analysis: &'a Analysis,
    /// The `let` constants' values, by id.
    constants: Vec<Val<'static>>,
    /// Every record field path compiled so far (for the projection).
    paths: std::cell::RefCell<Vec<Vec<PathSeg>>>,
    /// The field names of every path compiled so far.
    names: std::cell::RefCell<Names>,
}

impl<'a> Compiler<'a> {
    pub fn new(analysis: &'a Analysis) -> Compiler<'a> {
        let mut c = Compiler {
            analysis,
            constants: Vec::with_capacity(analysis.lets.len()),
            paths: std::cell::RefCell::new(Vec::new()),
            names: std::cell::RefCell::new(Names::default()),
        };
        // In id order, each constant comes after the ones it uses.
        for (_, def) in analysis.lets.iter() {
            let value = match c.let_expr(def.file, def.item) {
                Some(expr) => {
                    let compiled = c.expr(expr, &Scope::of(def.file));
                    let empty = Doc::empty();
                    super::eval::Eval::new(empty.root())
                        .value(&compiled)
                        .into_owned()
                }
                None => Val::Missing,
            };
            c.constants.push(value);
        }
        c
    }

    /// The checked ruleset this compiler reads.
    pub fn analysis(&self) -> &'a Analysis {
        self.analysis
    }

    fn let_expr(&self, file: FileId, item: usize) -> Option<&'a Expr> {
        let item = self.analysis.file(file)?.parsed.file.items.get(item)?;
        match &item.kind {
            ItemKind::Let { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Compiles a string literal as a template.
    pub fn template(&self, lit: &StrLit, scope: &Scope<'_>) -> CExpr {
        let Some(template) = self.analysis.model.template(scope.file, lit.span) else {
            return CExpr::Const(Val::Missing);
        };
        let parts = template
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Text(t) => TPart::Text(t.clone()),
                TemplatePart::Value(e) => TPart::Value(self.expr(e, scope)),
            })
            .collect();
        CExpr::Template(parts)
    }

    pub fn expr(&self, e: &Expr, scope: &Scope<'_>) -> CExpr {
        self.expr_in(e, scope, &[])
    }

    /// Compiles `e` inside the names `bound` by enclosing quantifiers.
    fn expr_in(&self, e: &Expr, scope: &Scope<'_>, bound: &[Binding]) -> CExpr {
        let bx = |x: &Expr| Box::new(self.expr_in(x, scope, bound));
        match &e.kind {
            ExprKind::Error | ExprKind::Object(_) => CExpr::Const(Val::Missing),
            ExprKind::Lit(lit) => CExpr::Const(literal(lit)),
            ExprKind::Path(p) => self.path(p, scope, bound),
            ExprKind::Paren(inner) => self.expr_in(inner, scope, bound),
            ExprKind::Quantifier {
                func,
                var,
                list,
                body,
            } => {
                let quant = if func.name == "all" {
                    Quant::All
                } else {
                    Quant::Any
                };
                let list = self.expr_in(list, scope, bound);
                // How one element is written in messages, and whether the
                // list's values are lists to take the elements of.
                let (text, flatten) = match &list {
                    CExpr::Field(p) | CExpr::Bound { rest: p, .. } => {
                        let each = |s: &PathSeg| matches!(s, PathSeg::Each);
                        let ends_each = p.segments.last().is_some_and(each);
                        let text = if ends_each {
                            p.text.clone()
                        } else {
                            format!("{}[*]", p.text)
                        };
                        (text, !ends_each && p.segments.iter().any(each))
                    }
                    _ => (var.name.clone(), false),
                };
                let mut inner = bound.to_vec();
                inner.push(Binding { text });
                CExpr::Each {
                    quant,
                    list: Box::new(list),
                    flatten,
                    body: Box::new(self.expr_in(body, scope, &inner)),
                }
            }
            ExprKind::List(items) => {
                let compiled: Vec<CExpr> = items
                    .iter()
                    .map(|i| self.expr_in(i, scope, bound))
                    .collect();
                if compiled.iter().all(|c| matches!(c, CExpr::Const(_))) {
                    let vals = compiled
                        .into_iter()
                        .filter_map(|c| match c {
                            CExpr::Const(v) => Some(v),
                            _ => None,
                        })
                        .collect();
                    CExpr::Const(Val::List(vals))
                } else {
                    CExpr::List(compiled)
                }
            }
            ExprKind::Call { func, args } => {
                let compiled: Vec<CExpr> =
                    args.iter().map(|a| self.expr_in(a, scope, bound)).collect();
                match func.name.as_str() {
                    "any" | "all" => {
                        let quant = if func.name == "any" {
                            Quant::Any
                        } else {
                            Quant::All
                        };
                        match compiled.into_iter().next() {
                            Some(inner) => CExpr::Quantified(quant, Box::new(inner)),
                            None => CExpr::Const(Val::Missing),
                        }
                    }
                    "condition" => self.condition(&compiled),
                    name => match function(name) {
                        Some(f) => CExpr::Call(f, compiled),
                        None => CExpr::Const(Val::Missing),
                    },
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => CExpr::Not(bx(expr)),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                expr,
            } => CExpr::Neg(bx(expr)),
            ExprKind::Exists { expr, negated } => CExpr::Exists {
                expr: bx(expr),
                negated: *negated,
            },
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinOp::And => CExpr::And(bx(lhs), bx(rhs)),
                BinOp::Or => CExpr::Or(bx(lhs), bx(rhs)),
                BinOp::Cmp(c) => CExpr::Cmp(*c, bx(lhs), bx(rhs)),
                BinOp::In | BinOp::NotIn => {
                    let rhs = bx(rhs);
                    CExpr::In {
                        lhs: bx(lhs),
                        set: text_set(&rhs),
                        rhs,
                        negated: *op == BinOp::NotIn,
                    }
                }
                BinOp::Matches => match self.expr_in(rhs, scope, bound) {
                    CExpr::Const(v) => CExpr::Matches(bx(lhs), Arc::new(globs(&v))),
                    dynamic => CExpr::MatchesDynamic(bx(lhs), Box::new(dynamic)),
                },
                BinOp::Regex => match self.expr_in(rhs, scope, bound) {
                    CExpr::Const(Val::Str(s)) => match Regex::new(&s) {
                        Ok(re) => CExpr::Regex(bx(lhs), Arc::new(re)),
                        Err(_) => CExpr::Const(Val::Missing),
                    },
                    _ => CExpr::Const(Val::Missing),
                },
                BinOp::Contains => CExpr::Contains(bx(lhs), bx(rhs)),
                BinOp::StartsWith => CExpr::StartsWith(bx(lhs), bx(rhs)),
                BinOp::EndsWith => CExpr::EndsWith(bx(lhs), bx(rhs)),
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                    CExpr::Arith(*op, bx(lhs), bx(rhs))
                }
            },
        }
    }

    fn path(&self, p: &Path, scope: &Scope<'_>, bound: &[Binding]) -> CExpr {
        let missing = CExpr::Const(Val::Missing);
        let at = |id: u32, list: Option<&[CExpr]>| {
            list.and_then(|l| l.get(id as usize))
                .cloned()
                .unwrap_or(CExpr::Const(Val::Missing))
        };
        match self.analysis.model.resolved(scope.file, p.span) {
            // Not a path the checker saw: nothing to stand for.
            None => missing,
            Some(Resolved::Let(id)) => self
                .constants
                .get(id.0 as usize)
                .map_or(missing, |v| CExpr::Const(v.clone())),
            Some(Resolved::Entity(id)) => at(id.0, scope.entities),
            Some(Resolved::Derived(id)) => at(id.0, scope.derived),
            Some(Resolved::Bound { up }) => {
                let Some(b) = (bound.len().checked_sub(1 + up as usize)).and_then(|i| bound.get(i))
                else {
                    return missing;
                };
                let mut rest = self.field_path(p);
                let root_len = match rest.segments.first() {
                    Some(PathSeg::Name(k)) => k.name.len(),
                    _ => 0,
                };
                rest.segments.remove(0);
                // Written from the list: `r.fromPort` is
                // `configuration.ipPermissions[*].fromPort` in messages.
                let after = rest.text.get(root_len..).unwrap_or("");
                rest.text = format!("{}{after}", b.text);
                CExpr::Bound {
                    up: up as usize,
                    rest: Arc::new(rest),
                }
            }
            Some(Resolved::Field) => {
                let path = self.field_path(p);
                if let Ok(mut paths) = self.paths.try_borrow_mut() {
                    paths.push(path.segments.clone());
                }
                CExpr::Field(Arc::new(path))
            }
        }
    }

    /// `condition(OPERATOR, KEY, VALUES)` from its compiled arguments: all
    /// constants, as the checker demands.
    fn condition(&self, args: &[CExpr]) -> CExpr {
        let missing = CExpr::Const(Val::Missing);
        let [CExpr::Const(Val::Str(op)), CExpr::Const(Val::Str(key)), CExpr::Const(values)] = args
        else {
            return missing;
        };
        let field = |dotted: &str| {
            let path = self.dotted(dotted);
            if let Ok(mut paths) = self.paths.try_borrow_mut() {
                paths.push(path.segments.clone());
            }
            path
        };
        match super::condition::Condition::new(op, key, values, &field) {
            Some(c) => CExpr::Condition(Arc::new(c)),
            None => missing,
        }
    }

    /// A dotted path the engine reads for the rules, its names interned.
    fn dotted(&self, dotted: &str) -> FieldPath {
        let mut names = self.names.try_borrow_mut().ok();
        dotted_with(dotted, &mut |n| {
            names.as_mut().map_or(NO_KEY, |names| names.intern(n))
        })
    }

    /// Every record field path the compiled expressions read.
    pub fn paths(&self) -> Vec<Vec<PathSeg>> {
        self.paths.borrow().clone()
    }

    /// The names of the fields of every path compiled so far.
    pub fn names(&self) -> Names {
        self.names.borrow().clone()
    }

    /// Resolves a syntax path into a field path, interning its names.
    pub fn field_path(&self, p: &Path) -> FieldPath {
        let mut names = self.names.try_borrow_mut().ok();
        let segments = p
            .segments
            .iter()
            .map(|s| match &s.kind {
                SegmentKind::Name { name, .. } => PathSeg::Name(Key {
                    id: names.as_mut().map_or(NO_KEY, |n| n.intern(name)),
                    name: name.as_str().into(),
                }),
                SegmentKind::Index(i) => PathSeg::Index(usize::try_from(*i).unwrap_or(usize::MAX)),
                SegmentKind::Wildcard => PathSeg::Each,
            })
            .collect();
        FieldPath {
            segments,
            text: crate::syntax::format::path_text(p),
        }
    }
}

/// A path of names, as the engine itself reads records (`userIdentity.arn`).
pub fn dotted_path(dotted: &str, names: &Names) -> FieldPath {
    dotted_with(dotted, &mut |n| names.get(n))
}

/// A dotted path, each name given its id by `id`.
fn dotted_with(dotted: &str, id: &mut dyn FnMut(&str) -> KeyId) -> FieldPath {
    FieldPath {
        segments: dotted
            .split('.')
            .map(|n| {
                PathSeg::Name(Key {
                    id: id(n),
                    name: n.into(),
                })
            })
            .collect(),
        text: dotted.to_string(),
    }
}

fn literal(lit: &Lit) -> Val<'static> {
    match lit {
        Lit::Str(s) => Val::Str(s.value.clone().into()),
        Lit::Int(t) | Lit::Float(t) => t.parse().map(Val::Num).unwrap_or(Val::Missing),
        Lit::Bool(b) => Val::Bool(*b),
        Lit::Null => Val::Null,
        Lit::Duration(t) => parse_duration_ms(t).map(Val::Dur).unwrap_or(Val::Missing),
        Lit::Ip(t) => t.parse().map(Val::Ip).unwrap_or(Val::Missing),
        Lit::Cidr(t) => t.parse().map(Val::Net).unwrap_or(Val::Missing),
    }
}

/// The globs a `matches` right-hand side holds: a string or a list of them.
pub(super) fn globs(v: &Val<'_>) -> Vec<WildMatch> {
    match v {
        Val::Str(s) => vec![WildMatch::new(s)],
        Val::List(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(WildMatch::new))
            .collect(),
        _ => Vec::new(),
    }
}

fn function(name: &str) -> Option<Func> {
    Some(match name {
        "lower" => Func::Lower,
        "upper" => Func::Upper,
        "len" => Func::Len,
        "split" => Func::Split,
        "service" => Func::Service,
        "iam_action" => Func::IamAction,
        "account" => Func::Account,
        "region" => Func::Region,
        "is_service_linked" => Func::IsServiceLinked,
        "max" => Func::Max,
        "min" => Func::Min,
        _ => return None,
    })
}
