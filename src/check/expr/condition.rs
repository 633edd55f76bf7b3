//! `condition(OPERATOR, KEY, VALUES)`: the operator is one IAM has, the key
//! one whose place in CloudTrail tensen knows (or a warning that the
//! condition can never be decided), the values constants the operator can
//! compare with.

use super::ExprChecker;
use crate::check::diagnostic::{Code, Diagnostic};
use crate::check::model::Resolved;
use crate::check::suggest::did_you_mean;
use crate::iam::condition::{condition_key, operator, operator_names, Base, KeyLookup};
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
                    .unwrap_or_else(|| "IAM's operators are `StringEquals`, `StringLike`, `ArnLike`, `Bool`, `IpAddress`, `Numeric...`, `Null`, their `Not` forms and `...IfExists`".into());
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

    /// The values: constants, each one the operator can compare with.
    fn condition_values(&mut self, base: Option<Base>, values: &Expr) {
        let items: Vec<&Expr> = match &values.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![values],
        };
        for item in items {
            let constant = match &item.kind {
                ExprKind::Lit(_) => true,
                ExprKind::Path(p) => matches!(
                    self.model.resolved(self.file, p.span),
                    Some(Resolved::Let(_))
                ),
                _ => false,
            };
            if !constant {
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
                Some(Base::Bool | Base::Null)
                    if !written.eq_ignore_ascii_case("true")
                        && !written.eq_ignore_ascii_case("false") =>
                {
                    Some("`true` or `false`")
                }
                _ => None,
            };
            if let Some(want) = problem {
                self.report(
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        self.file,
                        item.span,
                        format!("this operator compares with {want}"),
                    )
                    .label("not one"),
                );
            }
        }
    }
}
