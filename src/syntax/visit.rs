//! Walks over the tree for passes that touch every node the same way.
//!
//! Recursion here is bounded: the parser refuses expressions nested deeper
//! than [`super::parser::MAX_EXPR_DEPTH`].

use super::ast::{Expr, ExprKind, Path};
use super::Span;

/// A map from positions in one text to positions in another.
pub type PosMap<'a> = &'a dyn Fn(usize) -> usize;

fn shift(span: &mut Span, offset: PosMap<'_>) {
    let end = offset(span.end.saturating_sub(1)) + 1;
    span.start = offset(span.start);
    span.end = end.max(span.start);
}

fn shift_path(path: &mut Path, offset: PosMap<'_>) {
    shift(&mut path.span, offset);
    for seg in &mut path.segments {
        shift(&mut seg.span, offset);
    }
}

/// Moves every span in `expr` by `offset` bytes.
pub fn shift_spans(expr: &mut Expr, offset: usize) {
    map_spans(expr, &|p| p + offset);
}

/// Maps every span in `expr` through `offset`.
pub fn map_spans(expr: &mut Expr, offset: PosMap<'_>) {
    shift(&mut expr.span, offset);
    match &mut expr.kind {
        ExprKind::Lit(super::ast::Lit::Str(s)) => shift(&mut s.span, offset),
        ExprKind::Lit(_) | ExprKind::Error => {}
        ExprKind::Path(p) => shift_path(p, offset),
        ExprKind::List(items) => items.iter_mut().for_each(|e| map_spans(e, offset)),
        ExprKind::Object(fields) => {
            for (k, v) in fields {
                shift(&mut k.span, offset);
                map_spans(v, offset);
            }
        }
        ExprKind::Call { func, args } => {
            shift(&mut func.span, offset);
            args.iter_mut().for_each(|e| map_spans(e, offset));
        }
        ExprKind::Paren(e) | ExprKind::Unary { expr: e, .. } | ExprKind::Exists { expr: e, .. } => {
            map_spans(e, offset)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            map_spans(lhs, offset);
            map_spans(rhs, offset);
        }
        ExprKind::Quantifier {
            func,
            var,
            list,
            body,
        } => {
            shift(&mut func.span, offset);
            shift(&mut var.span, offset);
            map_spans(list, offset);
            map_spans(body, offset);
        }
    }
}

/// Calls `f` on `expr` and every expression inside it, parents first.
pub fn walk_expr<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(expr);
    for child in expr.kind.children() {
        walk_expr(child, f);
    }
}
