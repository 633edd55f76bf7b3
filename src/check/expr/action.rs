//! IAM action names compared with a CloudTrail record's `action`: `action`
//! holds IAM's own spelling, so a name IAM does not list, or one in another
//! case, can never match; the warning names what IAM has.

use wildmatch::WildMatch;

use super::{ExprChecker, Scope};
use crate::check::diagnostic::{Code, Diagnostic};
use crate::check::model::Resolved;
use crate::check::suggest::closest;
use crate::syntax::ast::{Expr, ExprKind, Lit, SegmentKind};
use crate::syntax::Span;

/// What is wrong with one name: the message, the label and a help.
struct Problem {
    message: String,
    label: &'static str,
    help: Option<String>,
}

impl ExprChecker<'_> {
    /// Checks the action names of `action == "..."`, `action in [...]` and,
    /// with `glob`, `action matches "..."` (a pattern must match some
    /// action).
    pub(super) fn action_names(&mut self, lhs: &Expr, rhs: &Expr, glob: bool) {
        if !self.is_action(lhs) {
            return;
        }
        let literal = |e: &Expr| match &e.kind {
            ExprKind::Lit(Lit::Str(s)) => Some((s.value.clone(), s.span)),
            _ => None,
        };
        let held = match &rhs.kind {
            ExprKind::Path(p) => match self.model.resolved(self.file, p.span) {
                Some(Resolved::Let(id)) => self.lets.def(id),
                _ => None,
            },
            _ => None,
        };
        // Names held in a constant are said where they are compared, and
        // shown where they are written.
        let (list, held) = match held {
            Some(def) => (&def.value, Some((def.file, def.name.clone()))),
            None => (rhs, None),
        };
        let names: Vec<(String, Span)> = match &list.kind {
            ExprKind::List(items) => items.iter().filter_map(literal).collect(),
            _ => literal(list).into_iter().collect(),
        };
        for (name, span) in names {
            let problem = if glob && name.contains(['*', '?']) {
                pattern_problem(&name)
            } else {
                name_problem(&name, glob)
            };
            if let Some(p) = problem {
                let mut d = match &held {
                    None => Diagnostic::new(Code::UnknownAction, self.file, span, p.message)
                        .label(p.label),
                    Some((file, constant)) => Diagnostic::new(
                        Code::UnknownAction,
                        self.file,
                        rhs.span,
                        format!("in constant `{constant}`: {}", p.message),
                    )
                    .label(p.label)
                    .with_label(*file, span, "written here"),
                };
                if let Some(h) = p.help {
                    d = d.help(h);
                }
                self.report(d);
            }
        }
    }

    /// `action` of a CloudTrail record, not a name bound or defined here.
    fn is_action(&self, e: &Expr) -> bool {
        let ExprKind::Path(path) = &e.kind else {
            return false;
        };
        let [seg] = path.segments.as_slice() else {
            return false;
        };
        let SegmentKind::Name { name, .. } = &seg.kind else {
            return false;
        };
        if name != "action"
            || self.lets.contains_key("action")
            || self.bound.iter().any(|b| b.name == "action")
        {
            return false;
        }
        matches!(&self.scope, Scope::Record { schema, .. }
            if schema.name == "cloudtrail" && schema.derived.contains_key("action"))
    }
}

/// A name compared for equality: IAM must list it, in IAM's case.
fn name_problem(name: &str, glob: bool) -> Option<Problem> {
    let actions = crate::iam::actions();
    if let Some(found) = actions.get(name) {
        return (&*found.name != name).then(|| Problem {
            message: format!("IAM writes this action `{}`", found.name),
            label: "`action` is in IAM's case: this never matches",
            help: Some(format!("write `{}`", found.name)),
        });
    }
    let Some((prefix, _)) = name.split_once(':') else {
        return Some(Problem {
            message: format!("`{name}` is not an IAM action"),
            label: "an IAM action is `service:Action`",
            help: Some("e.g. `s3:GetObject`; `eventName` holds the call's own name".into()),
        });
    };
    if !actions.has_service(prefix) {
        return Some(Problem {
            message: format!("IAM has no service `{prefix}`"),
            label: "not an IAM action",
            help: Some(
                "the prefix is IAM's, e.g. `cloudwatch` for `monitoring.amazonaws.com`".into(),
            ),
        });
    }
    let same_service = actions.of_service(prefix).iter().map(|a| &*a.name);
    let help = match closest(name, same_service) {
        Some(c) => Some(format!("did you mean `{c}`?")),
        None if !glob && name.contains(['*', '?']) => {
            Some("`==` and `in` compare whole names; for a pattern, use `matches`".into())
        }
        None => None,
    };
    Some(Problem {
        message: format!("`{name}` is not an IAM action"),
        label: "IAM lists no such action: this never matches",
        help,
    })
}

/// A `matches` pattern: it must match some action, in IAM's case.
fn pattern_problem(pattern: &str) -> Option<Problem> {
    let all = crate::iam::actions().all();
    let exact = WildMatch::new(pattern);
    if all.iter().any(|a| exact.matches(&a.name)) {
        return None;
    }
    let any_case = WildMatch::new_case_insensitive(pattern);
    let example = all.iter().find(|a| any_case.matches(&a.name));
    Some(match example {
        Some(a) => Problem {
            message: format!("`{pattern}` matches no IAM action in IAM's case"),
            label: "`action` is in IAM's case: this never matches",
            help: Some(format!("IAM writes e.g. `{}`", a.name)),
        },
        None => Problem {
            message: format!("`{pattern}` matches no IAM action"),
            label: "this never matches",
            help: None,
        },
    })
}
