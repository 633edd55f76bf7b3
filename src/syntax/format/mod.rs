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

mod expr;

use super::ast::*;
use super::lexer::{Comment, CommentKind};
use super::parser::{parse, SyntaxError};
use super::Span;

pub use expr::{chain, expr_inline, path_text, string_literal};

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
    /// before `upto`. A comment from inside the code that follows a doc
    /// comment (one the layout moves up, out of a line printed whole) is
    /// printed above that doc comment, not between it and what it
    /// documents, which would leave the doc documenting nothing.
    fn leading(&mut self, upto: usize) {
        let from = self.next;
        let pending = self.comments.get(from..).unwrap_or(&[]);
        let count = pending.iter().take_while(|c| c.span.start < upto).count();
        let mut order: Vec<usize> = Vec::with_capacity(count);
        // Where the run of doc comments being printed starts in `order`.
        let mut docs_at: Option<usize> = None;
        let mut prev_end: Option<usize> = None;
        // Past the code after a doc run: every comment from here on is
        // from inside that code.
        let mut inside = false;
        for (i, c) in pending.iter().enumerate().take(count) {
            inside |= prev_end.is_some_and(|end| {
                let gap = self.src.get(end.min(c.span.start)..c.span.start);
                !gap.unwrap_or("").trim().is_empty()
            });
            prev_end = Some(c.span.end);
            match docs_at {
                Some(at) if inside => {
                    order.insert(at, from + i);
                    docs_at = Some(at + 1);
                    continue;
                }
                _ => inside = false,
            }
            if c.kind == CommentKind::Doc {
                docs_at = docs_at.or(Some(order.len()));
            } else {
                docs_at = None;
            }
            order.push(from + i);
        }
        for i in order {
            let Some(c) = self.comments.get(i) else {
                continue;
            };
            self.keep_blank(c.span.start);
            self.start_line();
            self.out.push_str(&c.text);
            self.newline();
            self.last_end = c.span.end;
        }
        self.next = from + count;
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
