//! Checks one expression in its scope: names resolve, fields fit the
//! source's schema, operators get the types they need, literals are valid.
//! Returns the expression's type so clauses can demand what they need.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::{Code, Diagnostic, FileId};
use super::functions;
use super::model::{DerivedId, EntityId, Lets, Model, Resolved};
use super::schema::Schema;
use super::suggest::did_you_mean;
use super::types::Ty;

mod action;
mod bound;
mod condition;

use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, Lit, Path, SegmentKind, UnaryOp};
use crate::syntax::literal::parse_duration_ms;
use crate::syntax::Span;
pub use bound::Bound;

/// What a sequence's templates and computed severity can name.
pub struct SequenceScope<'a> {
    /// The `by` entity: the key of the sequence.
    pub key: &'a str,
    /// Step label → the entities its signals declare.
    pub steps: BTreeMap<&'a str, BTreeSet<String>>,
}

/// Where an expression is evaluated, which decides what its names mean.
pub enum Scope<'a> {
    /// Over one record of a source. `entities` are visible in templates.
    Record {
        schema: &'a Schema,
        /// The rule's entities, in the order they are declared.
        entities: Option<&'a [String]>,
    },
    /// Over a sequence's match.
    Sequence(&'a SequenceScope<'a>),
    /// In a constant: only other constants.
    Constant,
}

/// Values every step exposes besides its entities.
pub const STEP_VALUES: &[&str] = &["count", "time", "severity"];

pub struct ExprChecker<'a> {
    pub file: FileId,
    pub lets: &'a Lets,
    pub scope: Scope<'a>,
    /// Whether the expression sits in a template (unknown names are errors).
    pub in_template: bool,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Where what each name refers to is kept.
    pub model: &'a mut Model,
    /// Names bound by the `any(x in LIST: ...)` around, innermost last.
    pub bound: Vec<Bound>,
}

impl ExprChecker<'_> {
    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Checks `expr` and demands a true/false result.
    pub fn condition(&mut self, expr: &Expr, clause: &str) -> Ty {
        let ty = self.infer(expr);
        if !matches!(ty, Ty::Bool | Ty::Any) {
            let message = format!("`{clause}` needs a condition, but this is `{ty}`");
            let label = format!("this is `{ty}`, not true or false");
            self.wrong_type(
                expr,
                message,
                label,
                Some("compare it (`x == \"value\"`) or test it (`x exists`)"),
            );
        }
        ty
    }

    /// Checks the expression of `severity from` and demands a number.
    pub fn severity_from(&mut self, expr: &Expr, help: Option<&str>) {
        let in_template = std::mem::replace(&mut self.in_template, false);
        let ty = self.infer(expr);
        self.in_template = in_template;
        if !matches!(ty, Ty::Number | Ty::Any) {
            let message = format!("`severity from` needs a number, not `{ty}`");
            self.wrong_type(expr, message, format!("this is `{ty}`"), help);
        }
    }

    /// Checks `expr` and demands a duration.
    pub fn duration(&mut self, expr: &Expr, clause: &str) {
        let ty = self.infer(expr);
        if !matches!(ty, Ty::Duration | Ty::Any) {
            let message = format!("`{clause}` takes a duration, not `{ty}`");
            let help = Some("write a duration such as `30s`, `10m`, `24h` or `7d`");
            self.wrong_type(expr, message, format!("this is `{ty}`"), help);
        }
    }

    /// Reports an expression of the wrong type for its clause.
    fn wrong_type(&mut self, expr: &Expr, message: String, label: String, help: Option<&str>) {
        let mut d = Diagnostic::new(Code::TypeMismatch, self.file, expr.span, message).label(label);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.report(d);
    }

    pub fn infer(&mut self, expr: &Expr) -> Ty {
        match &expr.kind {
            ExprKind::Error => Ty::Any,
            ExprKind::Lit(lit) => self.literal(lit, expr.span),
            ExprKind::Path(path) => self.path(path),
            ExprKind::Paren(inner) => self.infer(inner),
            ExprKind::List(items) => {
                let mut elem: Option<Ty> = None;
                for item in items {
                    let ty = self.infer(item);
                    elem = Some(match elem {
                        None => ty,
                        Some(prev) if prev == ty => prev,
                        Some(_) => Ty::Any,
                    });
                }
                Ty::List(Box::new(elem.unwrap_or(Ty::Any)))
            }
            ExprKind::Object(fields) => {
                for (_, v) in fields {
                    self.infer(v);
                }
                Ty::Object
            }
            ExprKind::Call { func, args } => {
                let arg_tys: Vec<(Ty, Span)> =
                    args.iter().map(|a| (self.infer(a), a.span)).collect();
                if func.name == "condition" {
                    self.condition_args(args);
                }
                functions::check_call(self.file, func, &arg_tys, expr.span, self.diags)
            }
            ExprKind::Exists { expr: inner, .. } => {
                self.infer(inner);
                Ty::Bool
            }
            ExprKind::Unary { op, expr: inner } => {
                let ty = self.infer(inner);
                match op {
                    UnaryOp::Not => {
                        self.expect_bool(&ty, inner, "not");
                        Ty::Bool
                    }
                    UnaryOp::Neg => {
                        if !matches!(ty, Ty::Number | Ty::Duration | Ty::Any) {
                            self.mismatch(inner.span, format!("cannot negate `{ty}`"), None);
                        }
                        ty
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, expr.span),
            ExprKind::Quantifier {
                func,
                var,
                list,
                body,
            } => self.quantifier(func, var, list, body),
        }
    }

    fn mismatch(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(Code::TypeMismatch, self.file, span, message);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.report(d);
    }

    /// Reports an operand of a text operator that is not text.
    fn expect_text(&mut self, ty: &Ty, span: Span, op: &str, side: &str) {
        if !ty.is_textual() {
            self.mismatch(
                span,
                format!("`{op}` needs text on the {side}, not `{ty}`"),
                None,
            );
        }
    }

    fn expect_bool(&mut self, ty: &Ty, expr: &Expr, op: &str) {
        if !matches!(ty, Ty::Bool | Ty::Any) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.file,
                    expr.span,
                    format!("`{op}` needs true or false on each side, but this is `{ty}`"),
                )
                .label(format!("this is `{ty}`"))
                .help("compare it (`x == \"value\"`) or test it (`x exists`)"),
            );
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> Ty {
        let lt = self.infer(lhs);
        let rt = self.infer(rhs);
        match op {
            BinOp::And | BinOp::Or => {
                self.expect_bool(&lt, lhs, op.symbol());
                self.expect_bool(&rt, rhs, op.symbol());
                self.constant_operand(op, lhs, rhs);
                Ty::Bool
            }
            BinOp::Cmp(cmp) => {
                self.constant_comparison(cmp, lhs, rhs, span);
                if matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                    self.action_names(lhs, rhs, false);
                }
                if !lt.comparable(&rt) {
                    let help = match (&lt, &rhs.kind) {
                        (
                            Ty::String | Ty::Ip | Ty::Time,
                            ExprKind::Lit(Lit::Int(n) | Lit::Float(n)),
                        ) => Some(format!("to compare text, quote the number: `\"{n}\"`")),
                        _ => None,
                    };
                    let mut d = Diagnostic::new(
                        Code::TypeMismatch,
                        self.file,
                        span,
                        format!("cannot compare `{lt}` with `{rt}`"),
                    )
                    .label(format!("this is `{rt}`"));
                    if let Some(l) = d.labels.first_mut() {
                        l.span = rhs.span;
                    }
                    d = d.with_label(self.file, lhs.span, format!("this is `{lt}`"));
                    if let Some(h) = help {
                        d = d.help(h);
                    }
                    self.report(d);
                } else if !(matches!(cmp, CmpOp::Eq | CmpOp::Ne) || lt.ordered() && rt.ordered()) {
                    self.mismatch(
                        span,
                        format!(
                            "`{}` needs numbers, times, durations or text, not `{lt}` and `{rt}`",
                            cmp.symbol()
                        ),
                        None,
                    );
                }
                Ty::Bool
            }
            BinOp::In | BinOp::NotIn => {
                self.action_names(lhs, rhs, false);
                let ok = match rt.element() {
                    Ty::Cidr => matches!(lt.element(), Ty::Ip | Ty::String | Ty::Any),
                    Ty::Any => true,
                    elem => matches!(rt, Ty::List(_)) && lt.comparable(elem),
                };
                if !ok {
                    self.mismatch(
                        rhs.span,
                        format!("`{}` needs a list of values like the left side, or networks for an address; found `{lt}` {} `{rt}`", op.symbol(), op.symbol()),
                        Some("write a list, e.g. `eventName in [\"A\", \"B\"]`, or a network, e.g. `sourceIPAddress in 10.0.0.0/8`".into()),
                    );
                }
                Ty::Bool
            }
            BinOp::Matches => {
                self.action_names(lhs, rhs, true);
                self.expect_text(&lt, lhs.span, "matches", "left");
                if !matches!(rt.element(), Ty::String | Ty::Any) {
                    self.mismatch(
                        rhs.span,
                        format!("`matches` needs a glob pattern or a list of them, not `{rt}`"),
                        Some("write a glob such as `\"List*\"` or `[\"List*\", \"Get*\"]`".into()),
                    );
                }
                Ty::Bool
            }
            BinOp::Regex => {
                self.expect_text(&lt, lhs.span, "=~", "left");
                match &rhs.kind {
                    ExprKind::Lit(Lit::Str(s)) => {
                        if let Err(err) = regex::Regex::new(&s.value) {
                            let detail = err.to_string();
                            let last = detail.lines().last().unwrap_or("").trim().to_string();
                            self.report(
                                Diagnostic::new(
                                    Code::InvalidRegex,
                                    self.file,
                                    rhs.span,
                                    "invalid regular expression",
                                )
                                .label(last)
                                .help("the syntax is Rust's `regex` crate; escape special characters with `\\\\`"),
                            );
                        }
                    }
                    _ if matches!(rt, Ty::String | Ty::Any) => {}
                    _ => self.mismatch(
                        rhs.span,
                        format!("`=~` needs a regular expression string, not `{rt}`"),
                        None,
                    ),
                }
                Ty::Bool
            }
            BinOp::Contains => {
                if !matches!(lt, Ty::List(_)) && !lt.is_textual() {
                    self.mismatch(
                        lhs.span,
                        format!("`contains` needs text or a list on the left, not `{lt}`"),
                        None,
                    );
                }
                Ty::Bool
            }
            BinOp::StartsWith | BinOp::EndsWith => {
                self.expect_text(&lt, lhs.span, op.symbol(), "left");
                self.expect_text(&rt, rhs.span, op.symbol(), "right");
                Ty::Bool
            }
            BinOp::Add
                if lt.is_textual() && rt.is_textual() && (lt != Ty::Any || rt != Ty::Any) =>
            {
                // `+` joins text: `"/" + requestParameters.userName`.
                Ty::String
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let numeric = |t: &Ty| matches!(t, Ty::Number | Ty::Duration | Ty::Any);
                if !numeric(&lt) || !numeric(&rt) {
                    let help = if op == BinOp::Add {
                        "`+` adds numbers or durations, or joins two strings"
                    } else {
                        "these operators work on numbers and durations"
                    };
                    self.mismatch(
                        span,
                        format!(
                            "`{}` needs numbers or durations, not `{lt}` and `{rt}`",
                            op.symbol()
                        ),
                        Some(help.into()),
                    );
                    return Ty::Any;
                }
                if lt.is_any() {
                    rt
                } else {
                    lt
                }
            }
        }
    }

    /// Warns on `x and true`, `x or false` and the like.
    fn constant_operand(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) {
        for side in [lhs, rhs] {
            let ExprKind::Lit(Lit::Bool(b)) = side.kind else {
                continue;
            };
            let (always, label) = match (op, b) {
                (BinOp::And, true) | (BinOp::Or, false) => {
                    (None, format!("`{} {b}` changes nothing", op.symbol()))
                }
                (BinOp::And, false) => (Some(false), "`and false` is always false".to_string()),
                _ => (Some(true), "`or true` is always true".to_string()),
            };
            let message = match always {
                Some(v) => format!("condition is always {v}"),
                None => "condition has no effect".to_string(),
            };
            self.report(
                Diagnostic::new(Code::ConstantCondition, self.file, side.span, message)
                    .label(label)
                    .help("remove the literal, or compare a field"),
            );
        }
    }

    /// Warns on a comparison of two literals, whose answer never changes.
    fn constant_comparison(&mut self, cmp: CmpOp, lhs: &Expr, rhs: &Expr, span: Span) {
        let (ExprKind::Lit(a), ExprKind::Lit(b)) = (&lhs.kind, &rhs.kind) else {
            return;
        };
        let text = |l: &Lit| match l {
            Lit::Str(s) => Some(s.value.clone()),
            Lit::Int(t) | Lit::Float(t) | Lit::Duration(t) | Lit::Ip(t) | Lit::Cidr(t) => {
                Some(t.clone())
            }
            Lit::Bool(v) => Some(v.to_string()),
            Lit::Null => Some("null".to_string()),
        };
        let outcome = match (cmp, text(a), text(b)) {
            (CmpOp::Eq, Some(x), Some(y))
                if std::mem::discriminant(a) == std::mem::discriminant(b) =>
            {
                Some(x == y)
            }
            (CmpOp::Ne, Some(x), Some(y))
                if std::mem::discriminant(a) == std::mem::discriminant(b) =>
            {
                Some(x != y)
            }
            _ => None,
        };
        let message = match outcome {
            Some(v) => format!("condition is always {v}"),
            None => "comparison of two constants".to_string(),
        };
        self.report(
            Diagnostic::new(Code::ConstantCondition, self.file, span, message)
                .label("both sides are literals")
                .help("compare a field of the record with a literal, e.g. `eventName == \"ConsoleLogin\"`"),
        );
    }

    fn literal(&mut self, lit: &Lit, span: Span) -> Ty {
        let invalid = |what: &str, text: &str| {
            Diagnostic::new(
                Code::InvalidLiteral,
                self.file,
                span,
                format!("`{text}` is not a valid {what}"),
            )
        };
        match lit {
            Lit::Str(_) => Ty::String,
            Lit::Bool(_) => Ty::Bool,
            Lit::Null => Ty::Null,
            Lit::Int(text) => {
                if text.parse::<i64>().is_err() {
                    let d = invalid("integer", text)
                        .label("too large")
                        .help("integers range up to 9223372036854775807");
                    self.report(d);
                }
                Ty::Number
            }
            Lit::Float(_) => Ty::Number,
            Lit::Duration(text) => {
                if parse_duration_ms(text).is_none() {
                    let d = invalid("duration", text)
                        .label("too long")
                        .help("durations range up to about 290 million years");
                    self.report(d);
                }
                Ty::Duration
            }
            Lit::Ip(text) => {
                if text.parse::<std::net::IpAddr>().is_err() {
                    let d = invalid("IP address", text).label("not an address").help(
                        "write four numbers from 0 to 255, e.g. `10.0.0.1`, or an IPv6 address",
                    );
                    self.report(d);
                }
                Ty::Ip
            }
            Lit::Cidr(text) => {
                if text.parse::<ipnet::IpNet>().is_err() {
                    let d = invalid("network", text).label("not a network").help("write an address and a prefix length, e.g. `10.0.0.0/8` (at most /32 for IPv4, /128 for IPv6)");
                    self.report(d);
                }
                Ty::Cidr
            }
        }
    }

    fn path(&mut self, path: &Path) -> Ty {
        let Some(first) = path.segments.first() else {
            return Ty::Any;
        };
        let SegmentKind::Name { name: root, .. } = &first.kind else {
            return Ty::Any;
        };
        if let Some(ty) = self.bound_path(path, root) {
            return ty;
        }
        if let Some(def) = self.lets.get(root) {
            let ty = def.ty.clone();
            if let Some(id) = self.lets.id(root) {
                self.model.resolve(self.file, path.span, Resolved::Let(id));
            }
            if path.segments.len() > 1 {
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        self.file,
                        path.span,
                        format!("constant `{root}` has no fields"),
                    )
                    .label("a constant is one value"),
                );
                return Ty::Any;
            }
            return ty;
        }
        match &self.scope {
            Scope::Constant => {
                let help = did_you_mean(root, self.lets.keys().map(String::as_str));
                let mut d = Diagnostic::new(
                    Code::UnknownName,
                    self.file,
                    first.span,
                    format!("unknown constant `{root}`"),
                )
                .label("a constant can only use literals and other constants");
                if let Some(h) = help {
                    d = d.help(h);
                }
                self.report(d);
                Ty::Any
            }
            Scope::Record { schema, entities } => {
                let schema: &Schema = schema;
                let entity = entities.and_then(|e| e.iter().position(|n| n == root));
                if let (Some(i), 1) = (entity, path.segments.len()) {
                    let id = EntityId(u32::try_from(i).unwrap_or(u32::MAX));
                    self.model
                        .resolve(self.file, path.span, Resolved::Entity(id));
                    return Ty::String;
                }
                match schema.lookup(path) {
                    Ok(ty) => {
                        let derived = match path.segments.len() {
                            1 => schema.derived.keys().position(|n| n == root),
                            _ => None,
                        };
                        let to = match derived {
                            Some(i) => {
                                Resolved::Derived(DerivedId(u32::try_from(i).unwrap_or(u32::MAX)))
                            }
                            None => Resolved::Field,
                        };
                        self.model.resolve(self.file, path.span, to);
                        ty
                    }
                    Err(err) => {
                        let seg = path.segments.get(err.segment).unwrap_or(first);
                        let (code, what) = if err.segment == 0 && self.in_template {
                            (Code::TemplateName, "name")
                        } else {
                            (Code::UnknownField, "field")
                        };
                        let shown = path_prefix_text(path, err.segment + 1);
                        let mut candidates: Vec<&str> =
                            err.candidates.iter().map(String::as_str).collect();
                        if err.segment == 0 {
                            candidates.extend(self.lets.keys().map(String::as_str));
                            if let Some(entities) = entities {
                                candidates.extend(entities.iter().map(String::as_str));
                            }
                        }
                        let help = match (&err.hint, did_you_mean(segment_name(seg), candidates)) {
                            (Some(hint), _) => hint.clone(),
                            (None, Some(h)) => h,
                            (None, None) => {
                                format!("`tensen schema {}` lists its fields", schema.name)
                            }
                        };
                        let message = if err.hint.is_some() {
                            format!("field `{shown}` does not fit source `{}`", schema.name)
                        } else {
                            format!("unknown {what} `{shown}` on source `{}`", schema.name)
                        };
                        self.report(
                            Diagnostic::new(code, self.file, seg.span, message)
                                .label(if err.hint.is_some() {
                                    "here"
                                } else {
                                    "not declared by the source"
                                })
                                .help(help),
                        );
                        Ty::Any
                    }
                }
            }
            Scope::Sequence(seq) => self.sequence_path(seq, path, root),
        }
    }

    fn sequence_path(&mut self, seq: &SequenceScope<'_>, path: &Path, root: &str) -> Ty {
        let code = if self.in_template {
            Code::TemplateName
        } else {
            Code::UnknownName
        };
        let first_span = path.segments.first().map(|s| s.span).unwrap_or(path.span);
        if root == seq.key && path.segments.len() == 1 {
            self.model.resolve(self.file, path.span, Resolved::Field);
            return Ty::String;
        }
        let Some(entities) = seq.steps.get(root) else {
            let mut names: Vec<&str> = seq.steps.keys().copied().collect();
            names.push(seq.key);
            names.extend(self.lets.keys().map(String::as_str));
            let mut d = Diagnostic::new(
                code,
                self.file,
                first_span,
                format!("unknown name `{root}` in sequence"),
            )
            .label("not the key, a step label or a constant");
            d = d.help(did_you_mean(root, names).unwrap_or_else(|| {
                format!("a sequence can name its key `{}` and its steps as `label.entity` or `label.count`", seq.key)
            }));
            self.report(d);
            return Ty::Any;
        };
        let Some(second) = path.segments.get(1) else {
            self.report(
                Diagnostic::new(
                    code,
                    self.file,
                    path.span,
                    format!("`{root}` is a step; name one of its values"),
                )
                .label("a step, not a value")
                .help(format!(
                    "write `{root}.count`, `{root}.time` or `{root}.ENTITY`"
                )),
            );
            return Ty::Any;
        };
        let name = segment_name(second);
        let ty = match name {
            "count" | "severity" => Ty::Number,
            "time" => Ty::Time,
            _ if entities.contains(name) => Ty::String,
            _ => {
                let candidates = entities
                    .iter()
                    .map(String::as_str)
                    .chain(STEP_VALUES.iter().copied());
                let help = did_you_mean(name, candidates).unwrap_or_else(|| {
                    let list: Vec<String> = entities.iter().map(|e| format!("`{e}`")).collect();
                    format!(
                        "step `{root}` has `count`, `time`, `severity` and the entities {}",
                        if list.is_empty() {
                            "(none)".to_string()
                        } else {
                            list.join(", ")
                        }
                    )
                });
                self.report(
                    Diagnostic::new(
                        code,
                        self.file,
                        second.span,
                        format!("step `{root}` has no value `{name}`"),
                    )
                    .label("not an entity of the step's signals")
                    .help(help),
                );
                return Ty::Any;
            }
        };
        if path.segments.len() > 2 {
            self.report(
                Diagnostic::new(
                    code,
                    self.file,
                    path.span,
                    format!("`{root}.{name}` has no fields"),
                )
                .label("one value"),
            );
        }
        self.model.resolve(self.file, path.span, Resolved::Field);
        ty
    }
}

fn segment_name(seg: &crate::syntax::ast::Segment) -> &str {
    match &seg.kind {
        SegmentKind::Name { name, .. } => name,
        SegmentKind::Index(_) | SegmentKind::Wildcard => "[]",
    }
}

/// The first `n` segments of a path as written.
pub fn path_prefix_text(path: &Path, n: usize) -> String {
    let mut out = String::new();
    for seg in path.segments.iter().take(n) {
        match &seg.kind {
            SegmentKind::Name { name, quoted } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if *quoted {
                    out.push('"');
                    out.push_str(name);
                    out.push('"');
                } else {
                    out.push_str(name);
                }
            }
            SegmentKind::Index(i) => out.push_str(&format!("[{i}]")),
            SegmentKind::Wildcard => out.push_str("[*]"),
        }
    }
    out
}
