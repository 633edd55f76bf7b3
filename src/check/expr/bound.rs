//! Names bound by `any(x in LIST: CONDITION)` (and `all`): the list's
//! element type, the element's record path (so `p.fromPort` is checked as
//! `requestParameters.ipPermissions.items[0].fromPort`), and the checks of
//! the quantifier itself.

use super::{segment_name, ExprChecker, Scope};
use crate::check::diagnostic::{Code, Diagnostic};
use crate::check::suggest::did_you_mean;
use crate::check::types::Ty;
use crate::syntax::ast::{Expr, ExprKind, Ident, Path, SegmentKind};

/// A name bound to each element of a list.
#[derive(Debug, Clone)]
pub struct Bound {
    pub name: String,
    /// The type of one element.
    pub ty: Ty,
    /// For a list of the record: its path through one element
    /// (`resources[*]`), which the element's fields extend.
    pub element: Option<Path>,
}

impl ExprChecker<'_> {
    /// `func(var in list: body)`: a list to bind, a condition that is true
    /// or false with `var` bound.
    pub(super) fn quantifier(&mut self, func: &Ident, var: &Ident, list: &Expr, body: &Expr) -> Ty {
        let list_ty = self.infer(list);
        // `a[*].b` holding lists: the elements are theirs.
        let nested = matches!(&list_ty, Ty::List(inner) if matches!(**inner, Ty::List(_)));
        let element = match (&list.kind, &self.scope) {
            (ExprKind::Path(p), Scope::Record { .. }) => Some(self.element_path(p, nested)),
            _ => None,
        };
        let ty = match list_ty {
            Ty::List(t) => *t,
            Ty::Any => Ty::Any,
            t => {
                let written = crate::syntax::format::expr_inline(list);
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        self.file,
                        list.span,
                        format!("`{written}` is `{t}`, not a list"),
                    )
                    .label(format!("`{}` would have no elements to name", var.name))
                    .help("`any(x in LIST: ...)` names each element of a list in turn"),
                );
                Ty::Any
            }
        };
        self.bound.push(Bound {
            name: var.name.clone(),
            ty,
            element,
        });
        let body_ty = self.infer(body);
        self.bound.pop();
        if !matches!(body_ty, Ty::Bool | Ty::Any) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.file,
                    body.span,
                    format!("the condition of `{}(...)` is `{body_ty}`", func.name),
                )
                .label("not true or false")
                .help(format!(
                    "compare it: `{}({} in ...: {}.field == \"value\")`",
                    func.name, var.name, var.name
                )),
            );
        }
        Ty::Bool
    }

    /// The type of `path` if its root `root` is a bound name (reporting
    /// fields the element does not have); `None` if it is not bound.
    pub(super) fn bound_path(&mut self, path: &Path, root: &str) -> Option<Ty> {
        let up = self.bound.iter().rev().position(|b| b.name == root)?;
        let b = self.bound.iter().rev().nth(up)?.clone();
        let first = path.segments.first()?;
        let up = u32::try_from(up).unwrap_or(u32::MAX);
        self.model.resolve(
            self.file,
            path.span,
            crate::check::model::Resolved::Bound { up },
        );
        Some(self.element_field(&b, path, first))
    }

    /// The type of `path` from the element `b` names, `first` its root.
    fn element_field(&mut self, b: &Bound, path: &Path, first: &crate::syntax::ast::Segment) -> Ty {
        if path.segments.len() == 1 {
            return b.ty.clone();
        }
        // Only objects have fields (and lists elements).
        if !matches!(b.ty, Ty::Any | Ty::Object | Ty::List(_)) {
            let (name, ty) = (b.name.clone(), b.ty.clone());
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    self.file,
                    path.span,
                    format!("`{name}` is `{ty}`: it has no fields"),
                )
                .label(format!("each element of the list is `{ty}`"))
                .help(format!("compare `{name}` itself")),
            );
            return Ty::Any;
        }
        let Some(element) = b.element.clone() else {
            return Ty::Any;
        };
        let Scope::Record { schema, .. } = &self.scope else {
            return Ty::Any;
        };
        let Some(full) = self.unbind(path) else {
            return Ty::Any;
        };
        match schema.lookup(&full) {
            Ok(ty) => ty,
            // An unknown field of the element: said at its own segment.
            Err(err) if err.segment >= element.segments.len() => {
                let at = err.segment + 1 - element.segments.len();
                let seg = path.segments.get(at).unwrap_or(first);
                let help =
                    did_you_mean(segment_name(seg), err.candidates.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!("`tensen schema {}` lists its fields", schema.name)
                        });
                let name = schema.name.clone();
                self.report(
                    Diagnostic::new(
                        Code::UnknownField,
                        self.file,
                        seg.span,
                        format!(
                            "unknown field `{}` on source `{name}`",
                            crate::syntax::format::path_text(path)
                        ),
                    )
                    .label("not declared by the source")
                    .help(help),
                );
                Ty::Any
            }
            // The list itself is unknown: said where it is named.
            Err(_) => Ty::Any,
        }
    }

    /// The path of one element of the list at `list`, through the names
    /// bound around it: `resources` and `resources[*]` both give
    /// `resources[0]`, `a[*].b` gives `a[0].b` (its values are the
    /// elements) unless `nested` (its values are lists): `a[0].b[0]`. Every
    /// `[*]` becomes `[0]`: the schema then gives the type of one element,
    /// not of the list of them.
    fn element_path(&self, list: &Path, nested: bool) -> Path {
        let mut p = self.unbind(list).unwrap_or_else(|| list.clone());
        let wildcard = |s: &crate::syntax::ast::Segment| matches!(s.kind, SegmentKind::Wildcard);
        let ends_wildcard = p.segments.last().is_some_and(wildcard);
        let many = p.segments.iter().any(wildcard);
        if !ends_wildcard && (!many || nested) {
            p.segments.push(crate::syntax::ast::Segment {
                kind: SegmentKind::Wildcard,
                span: list.span,
            });
        }
        for s in &mut p.segments {
            if matches!(s.kind, SegmentKind::Wildcard) {
                s.kind = SegmentKind::Index(0);
            }
        }
        p
    }

    /// A path rooted at a bound name, as the record path it stands for
    /// (`r.type` with `r in resources` is `resources[*].type`); `None` if
    /// its root is not bound (or bound to a list that is not the record's).
    fn unbind(&self, path: &Path) -> Option<Path> {
        let first = path.segments.first()?;
        let SegmentKind::Name { name, .. } = &first.kind else {
            return None;
        };
        let b = self.bound.iter().rev().find(|b| &b.name == name)?;
        let mut p = b.element.clone()?;
        p.segments.extend(path.segments.iter().skip(1).cloned());
        p.span = path.span;
        Some(p)
    }
}
