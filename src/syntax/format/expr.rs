//! Expressions in the canonical layout: on one line when they fit, else
//! broken at `and`/`or` chains, parenthesised groups, quantifiers, lists
//! and objects, keeping every comment (see the parent module for the rules).

use super::{Formatter, INDENT, MAX_WIDTH};
use crate::syntax::ast::*;
use crate::syntax::Span;

impl Formatter<'_> {
    /// Prints `head` followed by an expression, broken over lines when the
    /// layout rules ask for it.
    pub(super) fn expr_line(&mut self, span: Span, head: &str, e: &Expr) {
        self.value_line(span, head, e, false);
    }

    /// Prints `head` and a value, then a comma if `comma`. Lists and objects
    /// break one element per line, recursively; `and`/`or` chains break at
    /// the top level of a clause.
    fn value_line(&mut self, span: Span, head: &str, e: &Expr, comma: bool) {
        let inline = expr_inline(e);
        let width = self.indent * INDENT.len() + head.len() + inline.len() + usize::from(comma);
        let wants_break =
            width > MAX_WIDTH || self.multiline(e.span) || self.has_comment_in(e.span);
        if wants_break {
            if let (Some((op, operands)), false) = (chain(e), comma) {
                if operands.len() > 1 {
                    return self.chain_lines(span, head, op, &operands);
                }
            }
            // A whole condition that is a quantifier or a parenthesised
            // chain: a group after the clause keyword.
            if let (Some((open, group_span, op, operands)), false) = (group(e), comma) {
                self.leading(span.start);
                return self.group_lines(head, &open, group_span, op, &operands);
            }
            match &e.kind {
                ExprKind::List(items) if !items.is_empty() => {
                    let elems = items.iter().map(|i| (String::new(), i.span, i)).collect();
                    return self.seq_lines(span, e.span, head, ("[", "]"), elems, comma);
                }
                ExprKind::Object(fields) if !fields.is_empty() => {
                    let elems = fields
                        .iter()
                        .map(|(k, v)| (format!("{}: ", k.raw), k.span.to(v.span), v))
                        .collect();
                    return self.seq_lines(span, e.span, head, ("{", "}"), elems, comma);
                }
                _ => {}
            }
        }
        if comma {
            self.line_with_comma(span, &format!("{head}{inline}"));
        } else {
            self.line(span, &format!("{head}{inline}"));
        }
    }

    /// `head a` then `    and b` lines.
    fn chain_lines(&mut self, span: Span, head: &str, op: BinOp, operands: &[&Expr]) {
        let Some((first, rest)) = operands.split_first() else {
            return;
        };
        self.leading(first.span.end);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(head);
        self.out.push_str(&expr_inline(first));
        self.last_end = first.span.end;
        self.trailing(first.span.end);
        self.newline();
        self.indent += 1;
        for operand in rest {
            self.operand_line(&format!("{} ", op.symbol()), operand);
        }
        self.indent -= 1;
        // Comments left inside the clause after its last operand.
        self.leading(span.end);
    }

    /// One operand of a broken chain, after `prefix` (`and `, `or `, or
    /// nothing for the first inside a group). A parenthesised chain that
    /// does not fit, was broken in the source or holds a comment opens a
    /// group: `and (` or `and not (`, its operands one per line, `)`.
    fn operand_line(&mut self, prefix: &str, operand: &Expr) {
        let inline = expr_inline(operand);
        let width = self.indent * INDENT.len() + prefix.len() + inline.len();
        let wants_break =
            width > MAX_WIDTH || self.multiline(operand.span) || self.has_comment_in(operand.span);
        if wants_break {
            if let Some((open, span, op, operands)) = group(operand) {
                return self.group_lines(prefix, &open, span, op, &operands);
            }
            // `a and b` inside an `or` (or the reverse): `a` on this line,
            // the rest below it, one level deeper.
            if let Some((op, operands)) = chain(operand).filter(|(_, o)| o.len() > 1) {
                if let Some((first, rest)) = operands.split_first() {
                    self.operand_line(prefix, first);
                    self.indent += 1;
                    for o in rest {
                        self.operand_line(&format!("{} ", op.symbol()), o);
                    }
                    self.indent -= 1;
                    return;
                }
            }
        }
        self.line(operand.span, &format!("{prefix}{inline}"));
    }

    /// `prefix` + `open` (`(`, `not (`, `any(x in l:`), the operands one
    /// per line, `)`.
    fn group_lines(&mut self, prefix: &str, open: &str, span: Span, op: BinOp, operands: &[&Expr]) {
        let body_start = operands.first().map_or(span.start, |o| o.span.start);
        self.leading(span.start);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(prefix);
        self.out.push_str(open);
        self.last_end = body_start;
        self.trailing(body_start);
        self.newline();
        self.indent += 1;
        for (i, operand) in operands.iter().enumerate() {
            let before = if i == 0 {
                String::new()
            } else {
                format!("{} ", op.symbol())
            };
            self.operand_line(&before, operand);
        }
        self.leading(span.end.saturating_sub(1));
        self.indent -= 1;
        self.start_line();
        self.out.push(')');
        self.last_end = span.end;
        self.trailing(span.end);
        self.newline();
    }

    /// `head[` then one element per line, then `]`.
    fn seq_lines(
        &mut self,
        span: Span,
        list: Span,
        head: &str,
        (open, close): (&str, &str),
        elems: Vec<(String, Span, &Expr)>,
        comma: bool,
    ) {
        // Comments before the bracket go above the line; those after it stay inside.
        self.leading(list.start);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(head);
        self.out.push_str(open);
        self.last_end = list.start + 1;
        self.trailing(list.start + 1);
        self.newline();
        self.indent += 1;
        for (prefix, elem_span, value) in elems {
            self.value_line(elem_span, &prefix, value, true);
        }
        self.leading(list.end.saturating_sub(1));
        self.indent -= 1;
        self.start_line();
        self.out.push_str(close);
        if comma {
            self.out.push(',');
        }
        self.last_end = list.end;
        let after = if comma {
            self.after_comma(list.end)
        } else {
            list.end
        };
        self.trailing(after);
        self.newline();
    }

    /// The position after a comma that follows `pos` (spaces aside), or `pos`.
    fn after_comma(&self, pos: usize) -> usize {
        self.src
            .get(pos..)
            .and_then(|r| {
                let t = r.trim_start_matches([' ', '\t']);
                t.starts_with(',').then(|| pos + (r.len() - t.len()) + 1)
            })
            .unwrap_or(pos)
    }

    fn line_with_comma(&mut self, span: Span, text: &str) {
        self.leading(span.end);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(text);
        self.out.push(',');
        self.last_end = span.end;
        // A comma may sit between the element and its trailing comment.
        let after = self.after_comma(span.end);
        self.trailing(after);
        self.newline();
    }
}

/// What can open a group of lines: `(chain)`, `not (chain)` or a
/// quantifier `any(x in LIST: body)`. Gives the opening text, the span the
/// group closes, and the operands (a body that is no chain is one).
fn group(e: &Expr) -> Option<(String, Span, BinOp, Vec<&Expr>)> {
    let (not, paren) = match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            expr,
        } => (true, expr.as_ref()),
        _ => (false, e),
    };
    if let ExprKind::Quantifier {
        func,
        var,
        list,
        body,
    } = &paren.kind
    {
        let open = format!(
            "{}{}({} in {}:",
            if not { "not " } else { "" },
            func.name,
            var.name,
            expr_inline(list)
        );
        let (op, operands) = chain(body).unwrap_or((BinOp::And, vec![body.as_ref()]));
        return Some((open, paren.span, op, operands));
    }
    let ExprKind::Paren(inner) = &paren.kind else {
        return None;
    };
    let (op, operands) = chain(inner)?;
    let open = if not { "not (" } else { "(" };
    (operands.len() > 1).then(|| (open.to_string(), paren.span, op, operands))
}

/// The operands of a top-level `and`/`or` chain, left to right (a long
/// chain is held balanced: both sides are read).
pub fn chain(e: &Expr) -> Option<(BinOp, Vec<&Expr>)> {
    let ExprKind::Binary { op, .. } = &e.kind else {
        return None;
    };
    if !matches!(op, BinOp::And | BinOp::Or) {
        return None;
    }
    let mut operands = Vec::new();
    collect_chain(e, *op, &mut operands);
    Some((*op, operands))
}

fn collect_chain<'a>(e: &'a Expr, op: BinOp, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
            collect_chain(lhs, op, out);
            collect_chain(rhs, op, out);
        }
        _ => out.push(e),
    }
}

/// An expression on one line.
pub fn expr_inline(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Lit(lit) => out.push_str(&lit_text(lit)),
        ExprKind::Path(p) => out.push_str(&path_text(p)),
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(item, out);
            }
            out.push(']');
        }
        ExprKind::Object(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&k.raw);
                out.push_str(": ");
                write_expr(v, out);
            }
            out.push_str(" }");
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(a, out);
            }
            out.push(')');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Unary { op, expr } => {
            out.push_str(match op {
                UnaryOp::Not => "not ",
                UnaryOp::Neg => "-",
            });
            write_expr(expr, out);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::Exists { expr, negated } => {
            write_expr(expr, out);
            out.push_str(if *negated { " not exists" } else { " exists" });
        }
        ExprKind::Quantifier {
            func,
            var,
            list,
            body,
        } => {
            out.push_str(&func.name);
            out.push('(');
            out.push_str(&var.name);
            out.push_str(" in ");
            write_expr(list, out);
            out.push_str(": ");
            write_expr(body, out);
            out.push(')');
        }
        ExprKind::Error => {}
    }
}

fn lit_text(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => s.raw.clone(),
        Lit::Int(t) | Lit::Float(t) | Lit::Duration(t) | Lit::Ip(t) | Lit::Cidr(t) => t.clone(),
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "null".to_string(),
    }
}

/// A path as it is written.
/// A string literal holding `text`, escaped as the lexer reads it back.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn path_text(p: &Path) -> String {
    let mut out = String::new();
    for (i, seg) in p.segments.iter().enumerate() {
        match &seg.kind {
            SegmentKind::Name { name, quoted } => {
                if i > 0 {
                    out.push('.');
                }
                if *quoted {
                    out.push_str(&string_literal(name));
                } else {
                    out.push_str(name);
                }
            }
            SegmentKind::Index(n) => out.push_str(&format!("[{n}]")),
            SegmentKind::Wildcard => out.push_str("[*]"),
        }
    }
    out
}
