//! `condition(OPERATOR, KEY, VALUES)`: the operator is one IAM has, the key
//! one whose place in CloudTrail tensen knows (or a warning that the
//! condition can never be decided), the values constants the operator can
//! compare with.

use super::ExprChecker;
use crate::check::diagnostic::{Code, Diagnostic};
use crate::check::model::Resolved;
use crate::check::suggest::did_you_mean;
use crate::iam::condition::{
    condition_key, date_millis, operator, operator_names, Base, Key, KeyInfo, KeyLookup,
};
use crate::syntax::ast::{Expr, ExprKind, Lit};

impl ExprChecker<'_> {
    pub(super) fn condition_args(&mut self, args: &[Expr]) {
        let [op, key, values] = args else {
            return; // the arity is said by the call's own check
        };
        let text = |e: &Expr| match &e.kind {
            ExprKind::Lit(Lit::Str(s)) => Some(s.value.clone()),
            _ => None,
        };
        let Some(op_name) = text(op) else {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.file,
                    op.span,
                    "the operator of `condition` is written as a string",
                )
                .label("not a string")
                .help("e.g. `\"StringNotEquals\"`, as the policy names it"),
            );
            return;
        };
        let base = match operator(&op_name) {
            Ok(o) => Some(o.base),
            Err(message) => {
                let core = op_name
                    .trim_start_matches("ForAnyValue:")
                    .trim_start_matches("ForAllValues:");
                let help = did_you_mean(core.trim_end_matches("IfExists"), operator_names())
                    .unwrap_or_else(|| "IAM's operators are `StringEquals`, `StringLike`, `ArnLike`, `Bool`, `IpAddress`, `Numeric...`, `Date...`, `Null`, their `Not` forms and `...IfExists`".into());
                self.report(
                    Diagnostic::new(Code::UnknownName, self.file, op.span, message)
                        .label("not an operator tensen evaluates")
                        .help(help),
                );
                None
            }
        };
        match text(key) {
            None => self.report(
                Diagnostic::new(Code::TypeMismatch, self.file, key.span, "the key of `condition` is written as a string")
                    .label("not a string")
                    .help("e.g. `\"aws:RequestedRegion\"`, as the policy names it"),
            ),
            Some(name) => match condition_key(&name) {
                KeyLookup::Logged(KeyInfo {
                    key:
                        Key::PrincipalOrgId
                        | Key::ResourceOrgId
                        | Key::PrincipalOrgPaths
                        | Key::ResourceOrgPaths,
                    name,
                    ..
                }) => self.report(
                    Diagnostic::new(Code::UnloggedKey, self.file, key.span, format!("CloudTrail does not record `{name}`: it is known only from the organization"))
                        .label("this condition is unknown on every record of a run without `--org`")
                        .help("run with `--org org.json` naming the organization's `id` and `accounts` (and its `root` and `ous` for paths; docs/cli.md)"),
                ),
                KeyLookup::Logged(_) => {}
                KeyLookup::Unlogged => self.report(
                    Diagnostic::new(Code::UnloggedKey, self.file, key.span, format!("CloudTrail does not record `{name}`"))
                        .label("this condition is unknown on every record")
                        .help("a preview over CloudTrail cannot decide it; docs/guardrails.md lists the keys CloudTrail carries"),
                ),
                KeyLookup::Unknown => self.report(
                    Diagnostic::new(Code::UnloggedKey, self.file, key.span, format!("tensen does not read `{name}` from CloudTrail records"))
                        .label("this condition is unknown on every record")
                        .help("compare the record's own field instead (e.g. `requestParameters.…`); docs/guardrails.md lists the keys tensen reads"),
                ),
            },
        }
        self.condition_values(base, values);
    }

    /// The values: constants, each one the operator can compare with (a
    /// `let` list's items too, said where the list is used).
    fn condition_values(&mut self, base: Option<Base>, values: &Expr) {
        let held = match &values.kind {
            ExprKind::Path(p) => match self.model.resolved(self.file, p.span) {
                Some(Resolved::Let(id)) => self.lets.def(id).map(|d| (d.value.clone(), d.file)),
                _ => None,
            },
            _ => None,
        };
        let (values, at, held_in) = match &held {
            Some((v, file)) => (v, Some(values.span), Some(*file)),
            None => (values, None, None),
        };
        let items: Vec<&Expr> = match &values.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![values],
        };
        let span_of = |e: &Expr| at.unwrap_or(e.span);
        if items.is_empty() || matches!(values.kind, ExprKind::Lit(Lit::Null)) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.file,
                    span_of(values),
                    "a condition compares with at least one value",
                )
                .label("no value")
                .help("with none, a negated operator would hold for every call"),
            );
            return;
        }
        for item in items {
            let constant = match &item.kind {
                ExprKind::Lit(_) => true,
                ExprKind::Path(p) => matches!(
                    self.model.resolved(self.file, p.span),
                    Some(Resolved::Let(_))
                ),
                _ => false,
            };
            // A `let` list's own items were checked as constants.
            if !constant && held_in.is_none() {
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        self.file,
                        item.span,
                        "the values of `condition` are constants",
                    )
                    .label("not a literal or a `let` constant")
                    .help("a policy's values are fixed: write them out, or name a `let` list"),
                );
                continue;
            }
            let ExprKind::Lit(lit) = &item.kind else {
                continue;
            };
            let written = match lit {
                Lit::Str(s) => s.value.clone(),
                Lit::Bool(b) => b.to_string(),
                Lit::Int(t) | Lit::Float(t) => t.clone(),
                _ => String::new(),
            };
            if written.contains("${") {
                self.report(
                    Diagnostic::new(Code::UnloggedKey, self.file, span_of(item), "a policy variable is not filled in by a preview")
                        .label("this condition is unknown on every record")
                        .help("IAM puts the request's value in for `${...}`; a preview over CloudTrail compares no text in its place"),
                );
                continue;
            }
            let problem = match base {
                Some(Base::IpAddress)
                    if written.parse::<ipnet::IpNet>().is_err()
                        && written.parse::<std::net::IpAddr>().is_err() =>
                {
                    Some("an address or network (`203.0.113.0/24`)")
                }
                Some(
                    Base::NumericEquals
                    | Base::NumericLessThan
                    | Base::NumericLessThanEquals
                    | Base::NumericGreaterThan
                    | Base::NumericGreaterThanEquals,
                ) if written.trim().parse::<f64>().is_err() => Some("a number"),
                Some(
                    Base::DateEquals
                    | Base::DateLessThan
                    | Base::DateLessThanEquals
                    | Base::DateGreaterThan
                    | Base::DateGreaterThanEquals,
                ) if date_millis(&written).is_none() => {
                    Some("a date (`2026-01-01T00:00:00Z`) or epoch seconds")
                }
                Some(Base::Bool | Base::Null)
                    if !written.eq_ignore_ascii_case("true")
                        && !written.eq_ignore_ascii_case("false") =>
                {
                    Some("`true` or `false`")
                }
                _ => None,
            };
            if let Some(want) = problem {
                let mut d = Diagnostic::new(
                    Code::InvalidLiteral,
                    self.file,
                    span_of(item),
                    format!("this operator compares with {want}, not `{written}`"),
                )
                .label("not one");
                if let Some(file) = held_in {
                    d = d.with_label(file, item.span, "written here");
                }
                self.report(d);
            }
        }
    }
}
