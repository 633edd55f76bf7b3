//! The formatter: one canonical layout for rule files, keeping every comment.
//!
//! Layout: four-space indents, one clause or step per line, one blank line
//! between items (adjacent `let`s may stay together), at most one blank line
//! kept inside blocks. An `and`/`or` chain is broken one operand per line
//! when the source already broke it, when it holds a comment or when it does
//! not fit in [`MAX_WIDTH`] columns; lists and objects likewise.
//!
//! Comments are never dropped. A comment is printed before the line it sat
//! in (or before), or after it on the same line; a comment inside a part
//! that is printed on one line moves to the line above it. The layout only
//! depends on the tree, the comments and where the source broke lines, so
//! formatting is idempotent.

use super::ast::*;
use super::lexer::Comment;
use super::parser::{parse, SyntaxError};
use super::Span;

/// Lines longer than this are broken where the layout allows.
pub const MAX_WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Formats a whole file; fails with the syntax errors if it does not parse.
pub fn format_source(src: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = parse(src);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut f = Formatter {
        src,
        comments: &parsed.comments,
        next: 0,
        out: String::with_capacity(src.len() + 64),
        indent: 0,
        last_end: 0,
    };
    f.file(&parsed.file);
    Ok(f.out)
}

struct Formatter<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// Index of the first comment not yet printed.
    next: usize,
    out: String,
    indent: usize,
    /// End of the last source position printed, for blank-line detection.
    last_end: usize,
}

impl Formatter<'_> {
    // ------------------------------------------------------------ lines

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
    }

    fn start_line(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
    }

    fn at_block_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with("{\n") || self.out.ends_with("[\n")
    }

    /// Whether the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = self.src.get(from.min(to)..to).unwrap_or("");
        let mut newlines = 0;
        for c in gap.chars() {
            match c {
                '\n' => {
                    newlines += 1;
                    if newlines >= 2 {
                        return true;
                    }
                }
                c if c.is_whitespace() => {}
                _ => newlines = 0,
            }
        }
        false
    }

    fn keep_blank(&mut self, at: usize) {
        if !self.at_block_start()
            && self.blank_between(self.last_end, at)
            && !self.out.ends_with("\n\n")
        {
            self.out.push('\n');
        }
    }

    /// Prints, each on its own line, every pending comment that starts
    /// before `upto`.
    fn leading(&mut self, upto: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= upto {
                break;
            }
            self.keep_blank(c.span.start);
            self.start_line();
            self.out.push_str(&c.text);
            self.newline();
            self.last_end = c.span.end;
            self.next += 1;
        }
    }

    /// Appends the comments that follow `after` on the same source line,
    /// with nothing but spaces between.
    fn trailing(&mut self, after: usize) {
        let mut pos = after;
        while let Some(c) = self.comments.get(self.next) {
            let gap = self
                .src
                .get(pos.min(c.span.start)..c.span.start)
                .unwrap_or("\n");
            if c.span.start < pos || gap.contains('\n') || !gap.trim().is_empty() {
                break;
            }
            self.out.push(' ');
            self.out.push_str(&c.text);
            self.last_end = c.span.end;
            pos = c.span.end;
            self.next += 1;
            if c.text.starts_with("//") {
                break;
            }
        }
    }

    /// Prints one line node: comments before and inside it, the line, and
    /// its trailing comment.
    fn line(&mut self, span: Span, text: &str) {
        self.leading(span.end);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(text);
        self.last_end = span.end;
        self.trailing(span.end);
        self.newline();
    }

    fn has_comment_in(&self, span: Span) -> bool {
        self.comments
            .get(self.next..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.span.start < span.end)
            .any(|c| c.span.start >= span.start)
    }

    fn multiline(&self, span: Span) -> bool {
        self.src.get(span.range()).is_some_and(|s| s.contains('\n'))
    }

    /// Position of the first `{` at or after `from`, outside comments.
    fn brace_after(&self, from: usize) -> usize {
        let mut pos = from;
        loop {
            let rest = self.src.get(pos..).unwrap_or("");
            let Some(i) = rest.find(['{', '/']) else {
                return from;
            };
            let at = pos + i;
            if rest.get(i..i + 1) == Some("{") {
                return at + 1;
            }
            // Skip a comment that starts here.
            match self.comments.iter().find(|c| c.span.start == at) {
                Some(c) => pos = c.span.end,
                None => pos = at + 1,
            }
        }
    }

    // ------------------------------------------------------------ items

    fn file(&mut self, file: &File) {
        let mut prev: Option<&Item> = None;
        for item in &file.items {
            if let Some(p) = prev {
                let both_lets = matches!(p.kind, ItemKind::Let { .. })
                    && matches!(item.kind, ItemKind::Let { .. });
                let first = self
                    .comments
                    .get(self.next)
                    .filter(|c| c.span.start < item.span.start)
                    .map(|c| c.span.start)
                    .unwrap_or(item.span.start);
                if !both_lets || self.blank_between(p.span.end, first) {
                    self.out.push('\n');
                }
            }
            self.item(item);
            prev = Some(item);
        }
        self.leading(usize::MAX);
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Let { name, value } => {
                let head = format!("let {} = ", name.name);
                self.expr_line(item.span, &head, value);
            }
            ItemKind::Block(b) => {
                let mut head = format!("{} {}", b.kind.keyword(), b.name.name);
                if let Some(on) = &b.on {
                    head.push_str(&format!(" on {}", on.name));
                }
                head.push_str(" {");
                let open =
                    self.brace_after(b.on.as_ref().map(|o| o.span.end).unwrap_or(b.name.span.end));
                self.block(item.span, open, &head, |f| {
                    for c in &b.clauses {
                        f.clause(c);
                    }
                });
            }
            ItemKind::Test { name, clauses } => {
                let head = format!("test {} {{", name.raw);
                let open = self.brace_after(name.span.end);
                self.block(item.span, open, &head, |f| {
                    for c in clauses {
                        f.clause(c);
                    }
                });
            }
            ItemKind::Error => {}
        }
    }

    /// Prints `head`, the body one level deeper, and `}`.
    fn block(&mut self, span: Span, open: usize, head: &str, body: impl FnOnce(&mut Self)) {
        self.leading(open);
        self.keep_blank(span.start);
        self.start_line();
        self.out.push_str(head);
        self.last_end = open;
        self.trailing(open);
        self.newline();
        self.indent += 1;
        body(self);
        self.leading(span.end.saturating_sub(1));
        self.indent -= 1;
        self.start_line();
        self.out.push('}');
        self.last_end = span.end;
        self.trailing(span.end);
        self.newline();
    }

    // ---------------------------------------------------------- clauses

    fn clause(&mut self, c: &Clause) {
        let span = c.span;
        match &c.kind {
            ClauseKind::Title(s) => self.line(span, &format!("title {}", s.raw)),
            ClauseKind::Summary(s) => self.line(span, &format!("summary {}", s.raw)),
            ClauseKind::Message(s) => self.line(span, &format!("message {}", s.raw)),
            ClauseKind::Severity { computed, value } => {
                let head = if *computed {
                    "severity from "
                } else {
                    "severity "
                };
                self.expr_line(span, head, value);
            }
            ClauseKind::Tactic(names) => {
                let list: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                self.line(span, &format!("tactic {}", list.join(", ")));
            }
            ClauseKind::Technique(ids) => {
                let list: Vec<&str> = ids.iter().map(|n| n.raw.as_str()).collect();
                self.line(span, &format!("technique {}", list.join(", ")));
            }
            ClauseKind::Report(e) => self.expr_line(span, "report ", e),
            ClauseKind::When(e) => self.expr_line(span, "when ", e),
            ClauseKind::Deny(e) => self.expr_line(span, "deny when ", e),
            ClauseKind::Except(e) => self.expr_line(span, "except ", e),
            ClauseKind::Applies(e) => self.expr_line(span, "applies ", e),
            ClauseKind::Require(e) => self.expr_line(span, "require ", e),
            ClauseKind::Recognize(e) => self.expr_line(span, "recognize ", e),
            ClauseKind::Entity { name, value } => {
                self.expr_line(span, &format!("entity {} = ", name.name), value)
            }
            ClauseKind::By(n) => self.line(span, &format!("by {}", n.name)),
            ClauseKind::Within(e) => self.expr_line(span, "within ", e),
            ClauseKind::Steps(steps) => {
                let open = self.brace_after(span.start);
                self.block(span, open, "steps {", |f| {
                    for s in steps {
                        f.step(s);
                    }
                });
            }
            ClauseKind::Until(names) => {
                let list: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                self.line(span, &format!("until {}", list.join(" | ")));
            }
            ClauseKind::Scope(n) => self.line(span, &format!("scope {}", n.name)),
            ClauseKind::Time(p) => self.line(span, &format!("time {}", path_text(p))),
            ClauseKind::Field { path, ty } => self.line(
                span,
                &format!("field {}: {}", path_text(path), type_text(ty)),
            ),
            ClauseKind::Derive { name, ty, value } => self.expr_line(
                span,
                &format!("derive {}: {} = ", name.name, type_text(ty)),
                value,
            ),
            ClauseKind::Input(s) => self.line(span, &format!("input {}", s.raw)),
            ClauseKind::Event { offset, value } => {
                let mut head = "event ".to_string();
                if let Some(o) = offset {
                    let text = expr_inline(o);
                    if !text.starts_with('-') {
                        head.push('+');
                    }
                    head.push_str(&text);
                    head.push(' ');
                }
                self.expr_line(span, &head, value);
            }
            ClauseKind::Expect { rule, count, what } => {
                let mut text = format!("expect {}", rule.name);
                if let Some(c) = count {
                    text.push(' ');
                    text.push_str(&count_text(c));
                }
                match what {
                    Some(ExpectWhat::Deny {
                        record, message, ..
                    }) => {
                        text.push_str(": deny event ");
                        text.push_str(&expr_inline(record));
                        if let Some(m) = message {
                            text.push(' ');
                            text.push_str(&m.raw);
                        }
                    }
                    Some(ExpectWhat::Steps { labels, .. }) => {
                        let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
                        text.push_str(&format!(": steps [{}]", names.join(", ")));
                    }
                    None => {}
                }
                self.line(span, &text);
            }
            ClauseKind::Error => {}
        }
    }

    fn step(&mut self, s: &Step) {
        match &s.kind {
            StepKind::Single(single) => {
                let mut text = String::new();
                match single.mode {
                    StepMode::Required => {}
                    StepMode::Optional => text.push_str("optional "),
                    StepMode::Absent => text.push_str("absent "),
                }
                text.push_str(&single.label.name);
                text.push_str(": ");
                let names: Vec<&str> = single.signals.iter().map(|n| n.name.as_str()).collect();
                text.push_str(&names.join(" | "));
                if let Some(c) = &single.count {
                    text.push(' ');
                    text.push_str(&count_text(c));
                }
                if let Some(w) = &single.within {
                    text.push_str(" within ");
                    text.push_str(&expr_inline(w));
                }
                if let Some(b) = &single.by {
                    text.push_str(" by ");
                    text.push_str(&b.name);
                }
                self.line(s.span, &text);
            }
            StepKind::Unordered(inner) => {
                let open = self.brace_after(s.span.start);
                self.block(s.span, open, "unordered {", |f| {
                    for st in inner {
                        f.step(st);
                    }
                });
            }
            StepKind::Error => {}
        }
    }

    // ------------------------------------------------------ expressions

    /// Prints `head` followed by an expression, broken over lines when the
    /// layout rules ask for it.
    fn expr_line(&mut self, span: Span, head: &str, e: &Expr) {
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

/// The operands of a top-level `and`/`or` chain, left to right.
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
            out.push(rhs);
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
pub fn path_text(p: &Path) -> String {
    let mut out = String::new();
    for (i, seg) in p.segments.iter().enumerate() {
        match &seg.kind {
            SegmentKind::Name { name, quoted } => {
                if i > 0 {
                    out.push('.');
                }
                if *quoted {
                    out.push('"');
                    for c in name.chars() {
                        match c {
                            '"' => out.push_str("\\\""),
                            '\\' => out.push_str("\\\\"),
                            '\n' => out.push_str("\\n"),
                            '\t' => out.push_str("\\t"),
                            '\r' => out.push_str("\\r"),
                            c => out.push(c),
                        }
                    }
                    out.push('"');
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

fn type_text(t: &Type) -> String {
    match &t.arg {
        Some(arg) => format!("{}<{}>", t.name.name, type_text(arg)),
        None => t.name.name.clone(),
    }
}

fn count_text(c: &CountTest) -> String {
    let mut text = "count".to_string();
    if let Some(d) = &c.distinct {
        text.push_str(" distinct ");
        text.push_str(&d.name);
    }
    if let Some(op) = c.op {
        text.push(' ');
        text.push_str(op.symbol());
    }
    text.push(' ');
    text.push_str(&expr_inline(&c.value));
    text
}
