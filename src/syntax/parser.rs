//! Glue between the logos lexer and the lalrpop parser: runs both, turns
//! their errors into [`SyntaxError`]s that speak the user's words, and
//! enforces the nesting limits that keep every later pass safe from stack
//! overflow.

use lalrpop_util::{ErrorRecovery, ParseError};

use super::ast::{BinOp, Expr, ExprKind, File, Ident, Segment, SegmentKind, StrLit};
use super::lexer::{self, Comment, LexError};
use super::token::Tok;
use super::Span;

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::nursery,
        clippy::restriction,
        unused
    )]
    grammar,
    "/tensen.rs"
);

/// Deepest allowed nesting of expressions (operators, calls, lists).
pub const MAX_EXPR_DEPTH: u32 = 256;
/// Deepest allowed nesting of brackets of any kind.
pub const MAX_BRACKET_DEPTH: usize = 128;

/// An error the parser recovered from, as lalrpop hands it over.
pub type Recovered<'src> = ErrorRecovery<usize, Tok<'src>, LexError>;

/// A syntax problem with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    Unexpected {
        span: Span,
        found: String,
        expected: Vec<String>,
    },
    UnexpectedEof {
        span: Span,
        expected: Vec<String>,
    },
    UnknownChar {
        span: Span,
        ch: char,
    },
    UnclosedString {
        span: Span,
    },
    UnclosedComment {
        span: Span,
    },
    TooDeep {
        span: Span,
        limit: usize,
    },
    BadEscape {
        span: Span,
    },
    NotABinding {
        span: Span,
    },
    NotAQuantifier {
        span: Span,
    },
}

impl SyntaxError {
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::UnexpectedEof { span, .. }
            | SyntaxError::UnknownChar { span, .. }
            | SyntaxError::UnclosedString { span }
            | SyntaxError::UnclosedComment { span }
            | SyntaxError::TooDeep { span, .. }
            | SyntaxError::BadEscape { span }
            | SyntaxError::NotABinding { span }
            | SyntaxError::NotAQuantifier { span } => *span,
        }
    }
}

/// A parsed file: its tree, its comments and every syntax error found.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    pub file: File,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
}

/// Parses one file. Never fails: errors are collected in [`Parsed::errors`]
/// and the tree holds what could be recovered.
pub fn parse(src: &str) -> Parsed {
    let lexed = lexer::lex(src);
    let mut errors: Vec<SyntaxError> = lexed.errors.iter().map(lex_error).collect();
    for (start, tok, _) in &lexed.tokens {
        if let Tok::Str(raw) | Tok::UnclosedStr(raw) = tok {
            errors.extend(bad_escapes(raw, *start));
        }
    }
    if let Some(span) = too_deep_brackets(&lexed.tokens) {
        errors.push(SyntaxError::TooDeep {
            span,
            limit: MAX_BRACKET_DEPTH,
        });
        return Parsed {
            file: File::default(),
            comments: lexed.comments,
            errors,
        };
    }
    let mut recovered = Vec::new();
    let eof = src.len();
    let result = grammar::FileParser::new().parse(
        &mut recovered,
        lexed.tokens.into_iter().map(Ok::<_, LexError>),
    );
    let mut too_deep_seen = false;
    for rec in recovered {
        push_parse_error(&mut errors, rec.error, eof, &mut too_deep_seen);
    }
    let file = match result {
        Ok(file) => file,
        Err(err) => {
            push_parse_error(&mut errors, err, eof, &mut too_deep_seen);
            File::default()
        }
    };
    errors.sort_by_key(|e| (e.span().start, e.span().end));
    errors.dedup();
    Parsed {
        file,
        comments: lexed.comments,
        errors,
    }
}

/// Parses a single expression, e.g. an interpolation inside a template.
/// Spans are shifted by `offset` so they point into the enclosing file.
pub fn parse_expr(src: &str, offset: usize) -> Result<Expr, Vec<SyntaxError>> {
    let lexed = lexer::lex(src);
    let mut errors: Vec<SyntaxError> = lexed.errors.iter().map(lex_error).collect();
    if let Some(span) = too_deep_brackets(&lexed.tokens) {
        errors.push(SyntaxError::TooDeep {
            span,
            limit: MAX_BRACKET_DEPTH,
        });
    }
    if !errors.is_empty() {
        return Err(shift_errors(errors, offset));
    }
    let mut recovered = Vec::new();
    let result = grammar::ExprParser::new().parse(
        &mut recovered,
        lexed.tokens.into_iter().map(Ok::<_, LexError>),
    );
    let mut too_deep_seen = false;
    for rec in recovered {
        push_parse_error(&mut errors, rec.error, src.len(), &mut too_deep_seen);
    }
    match result {
        Ok(expr) if errors.is_empty() => Ok(shift_expr(expr, offset)),
        Ok(_) => Err(shift_errors(errors, offset)),
        Err(err) => {
            push_parse_error(&mut errors, err, src.len(), &mut too_deep_seen);
            Err(shift_errors(errors, offset))
        }
    }
}

fn shift_errors(errors: Vec<SyntaxError>, offset: usize) -> Vec<SyntaxError> {
    map_errors(errors, &|p| p + offset)
}

/// Maps the spans of errors through `offset`.
pub fn map_errors(errors: Vec<SyntaxError>, offset: super::visit::PosMap<'_>) -> Vec<SyntaxError> {
    let shift = |s: Span| Span::new(offset(s.start), offset(s.end.saturating_sub(1)) + 1);
    errors
        .into_iter()
        .map(|e| match e {
            SyntaxError::Unexpected {
                span,
                found,
                expected,
            } => SyntaxError::Unexpected {
                span: shift(span),
                found,
                expected,
            },
            SyntaxError::UnexpectedEof { span, expected } => SyntaxError::UnexpectedEof {
                span: shift(span),
                expected,
            },
            SyntaxError::UnknownChar { span, ch } => SyntaxError::UnknownChar {
                span: shift(span),
                ch,
            },
            SyntaxError::UnclosedString { span } => {
                SyntaxError::UnclosedString { span: shift(span) }
            }
            SyntaxError::UnclosedComment { span } => {
                SyntaxError::UnclosedComment { span: shift(span) }
            }
            SyntaxError::TooDeep { span, limit } => SyntaxError::TooDeep {
                span: shift(span),
                limit,
            },
            SyntaxError::BadEscape { span } => SyntaxError::BadEscape { span: shift(span) },
            SyntaxError::NotABinding { span } => SyntaxError::NotABinding { span: shift(span) },
            SyntaxError::NotAQuantifier { span } => {
                SyntaxError::NotAQuantifier { span: shift(span) }
            }
        })
        .collect()
}

/// Moves every span of an expression by `offset`.
fn shift_expr(expr: Expr, offset: usize) -> Expr {
    let mut expr = expr;
    super::visit::shift_spans(&mut expr, offset);
    expr
}

/// Finds the first bracket that opens deeper than the limit.
fn too_deep_brackets(tokens: &[(usize, Tok<'_>, usize)]) -> Option<Span> {
    let mut depth = 0usize;
    for (start, tok, end) in tokens {
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some(Span::new(*start, *end));
                }
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn lex_error(err: &LexError) -> SyntaxError {
    match *err {
        LexError::UnknownChar { span, ch } => SyntaxError::UnknownChar { span, ch },
        LexError::UnclosedString { span } => SyntaxError::UnclosedString { span },
        LexError::UnclosedComment { span } => SyntaxError::UnclosedComment { span },
        LexError::TooDeep { span } => SyntaxError::TooDeep {
            span,
            limit: MAX_EXPR_DEPTH as usize,
        },
        LexError::NotABinding { span } => SyntaxError::NotABinding { span },
        LexError::NotAQuantifier { span } => SyntaxError::NotAQuantifier { span },
    }
}

fn push_parse_error(
    out: &mut Vec<SyntaxError>,
    err: ParseError<usize, Tok<'_>, LexError>,
    eof: usize,
    too_deep_seen: &mut bool,
) {
    match err {
        ParseError::InvalidToken { location } => out.push(SyntaxError::Unexpected {
            span: Span::new(location, location + 1),
            found: "invalid token".to_string(),
            expected: Vec::new(),
        }),
        ParseError::UnrecognizedEof { location, expected } => {
            out.push(SyntaxError::UnexpectedEof {
                span: Span::new(location.min(eof), eof),
                expected: describe_expected(&expected),
            })
        }
        ParseError::UnrecognizedToken {
            token: (start, tok, end),
            expected,
        } => out.push(SyntaxError::Unexpected {
            span: Span::new(start, end),
            found: describe_token(&tok),
            expected: describe_expected(&expected),
        }),
        ParseError::ExtraToken {
            token: (start, tok, end),
        } => out.push(SyntaxError::Unexpected {
            span: Span::new(start, end),
            found: describe_token(&tok),
            expected: Vec::new(),
        }),
        ParseError::User { error } => {
            if matches!(error, LexError::TooDeep { .. }) {
                if *too_deep_seen {
                    return;
                }
                *too_deep_seen = true;
            }
            out.push(lex_error(&error));
        }
    }
}

/// How a token is named in a message.
pub fn describe_token(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Ident(s) => format!("name `{s}`"),
        Tok::Str(_) | Tok::UnclosedStr(_) => "string".to_string(),
        Tok::Int(s) | Tok::Float(s) => format!("number `{s}`"),
        Tok::Duration(s) => format!("duration `{s}`"),
        Tok::Ipv4(s) | Tok::Ipv6(s) => format!("address `{s}`"),
        Tok::Cidr4(s) => format!("network `{s}`"),
        other => match super::token_text(other) {
            Some(text) => format!("`{text}`"),
            None => "comment".to_string(),
        },
    }
}

const EXPR_START: &[&str] = &[
    "Ident",
    "Str",
    "UnclosedStr",
    "Int",
    "Float",
    "Duration",
    "Ipv4",
    "Cidr4",
    "Ipv6",
];
/// The words that start an item.
pub(crate) const ITEM_KEYWORDS: &[&str] =
    &["let", "source", "signal", "sequence", "guardrail", "test"];
/// The words that start a clause (also what the editor completes).
pub(crate) const CLAUSE_KEYWORDS: &[&str] = &[
    "title",
    "summary",
    "message",
    "severity",
    "tactic",
    "technique",
    "report",
    "when",
    "deny",
    "except",
    "applies",
    "require",
    "recognize",
    "entity",
    "by",
    "within",
    "steps",
    "until",
    "scope",
    "time",
    "field",
    "derive",
    "input",
    "event",
    "expect",
];
const OPERATORS: &[&str] = &[
    "and",
    "or",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not",
    "matches",
    "=~",
    "contains",
    "starts_with",
    "ends_with",
    "exists",
    "+",
    "-",
    "*",
    "/",
    ".",
    "[",
];

/// Turns lalrpop's terminal names into words a user knows, grouping the long
/// lists ("an expression", "a clause", "an operator") so a message stays short.
pub fn describe_expected(expected: &[String]) -> Vec<String> {
    let names: Vec<&str> = expected
        .iter()
        .map(|e| {
            e.trim_matches('"')
                .trim_start_matches('\\')
                .trim_end_matches('\\')
        })
        .collect();
    let has = |n: &str| names.contains(&n);
    let mut out: Vec<String> = Vec::new();
    let expr = has("Int") && has("Str");
    let clause = has("when") && has("title");
    let item = has("signal") && has("let");
    let ops = has("and") && has("or");
    if item {
        out.push("an item (`let`, `source`, `signal`, `sequence`, `guardrail` or `test`)".into());
    }
    if clause {
        out.push("a clause such as `when`, `severity` or `title`".into());
    }
    if ops {
        out.push("an operator".into());
    }
    if expr {
        out.push("an expression".into());
    }
    for name in names {
        let grouped = (item && ITEM_KEYWORDS.contains(&name))
            || (clause && CLAUSE_KEYWORDS.contains(&name))
            || (ops && OPERATORS.contains(&name))
            || (expr && (EXPR_START.contains(&name) || is_expr_keyword(name)));
        if grouped || name == "UnclosedStr" {
            continue;
        }
        let word = match name {
            "Ident" => "a name".to_string(),
            "Str" => "a string".to_string(),
            "Int" => "an integer".to_string(),
            "Float" => "a number".to_string(),
            "Duration" => "a duration such as `10m`".to_string(),
            "Ipv4" | "Ipv6" => "an IP address".to_string(),
            "Cidr4" => "a network such as `10.0.0.0/8`".to_string(),
            other => format!("`{other}`"),
        };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

fn is_expr_keyword(name: &str) -> bool {
    matches!(
        name,
        "true" | "false" | "null" | "(" | "[" | "{" | "-" | "not"
    ) || CLAUSE_KEYWORDS.contains(&name)
        || matches!(
            name,
            "source"
                | "signal"
                | "sequence"
                | "guardrail"
                | "test"
                | "count"
                | "distinct"
                | "optional"
                | "absent"
                | "unordered"
        )
}

/// Builds a string literal from its raw text, resolving escapes.
pub fn str_lit(raw: &str, span: Span) -> StrLit {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    StrLit {
        raw: raw.to_string(),
        value: unescape(inner),
        span,
    }
}

/// The escapes a string may use besides `\uXXXX`.
const SIMPLE_ESCAPES: &[char] = &['"', '\\', '/', 'n', 't', 'r', '{', '}'];

/// Finds escapes that are not in the language, e.g. `\d` (write `\\d`).
fn bad_escapes(raw: &str, start: usize) -> Vec<SyntaxError> {
    let mut out = Vec::new();
    let mut iter = raw.char_indices();
    while let Some((i, c)) = iter.next() {
        if c != '\\' {
            continue;
        }
        match iter.next() {
            Some((_, e)) if SIMPLE_ESCAPES.contains(&e) => {}
            Some((_, 'u')) => {
                let hex = raw.get(i + 2..i + 6).unwrap_or("");
                if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    for _ in 0..4 {
                        iter.next();
                    }
                } else {
                    out.push(SyntaxError::BadEscape {
                        span: Span::new(start + i, start + i + 2),
                    });
                }
            }
            Some((j, e)) => out.push(SyntaxError::BadEscape {
                span: Span::new(start + i, start + j + e.len_utf8()),
            }),
            None => {}
        }
    }
    out
}

/// Resolves the escapes `\"`, `\\`, `\/`, `\n`, `\t`, `\r`, `\{`, `\}` and
/// `\uXXXX`. Others are reported by the parser and kept as written.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push_str("\\u"),
                }
            }
            Some(e) if SIMPLE_ESCAPES.contains(&e) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Builds an expression, replacing it by an error node when it nests deeper
/// than [`MAX_EXPR_DEPTH`].
pub fn expr(errors: &mut Vec<Recovered<'_>>, kind: ExprKind, l: usize, r: usize) -> Expr {
    let span = Span::new(l, r);
    let built = Expr::new(kind, span);
    if built.depth > MAX_EXPR_DEPTH {
        // Point at the part that went too deep, not the whole expression.
        let at = built.kind.children().last().map(|c| c.span).unwrap_or(span);
        errors.push(ErrorRecovery {
            error: ParseError::User {
                error: LexError::TooDeep { span: at },
            },
            dropped_tokens: Vec::new(),
        });
        return Expr::new(ExprKind::Error, span);
    }
    built
}

/// Builds a binary expression.
/// `func(binding: body)`: a quantifier if `binding` is `NAME in LIST` and
/// `func` is `any` or `all`, else an error node (and the error).
pub fn quantifier(
    errors: &mut Vec<Recovered<'_>>,
    func: Ident,
    binding: Expr,
    body: Expr,
    l: usize,
    r: usize,
) -> Expr {
    let user = |error: LexError| ErrorRecovery {
        error: ParseError::User { error },
        dropped_tokens: Vec::new(),
    };
    if func.name != "any" && func.name != "all" {
        errors.push(user(LexError::NotAQuantifier { span: func.span }));
        return Expr::new(ExprKind::Error, Span::new(l, r));
    }
    let ExprKind::Binary {
        op: BinOp::In,
        lhs,
        rhs,
    } = binding.kind
    else {
        errors.push(user(LexError::NotABinding { span: binding.span }));
        return Expr::new(ExprKind::Error, Span::new(l, r));
    };
    let var = match &lhs.kind {
        ExprKind::Path(p) => match p.segments.as_slice() {
            [Segment {
                kind:
                    SegmentKind::Name {
                        name,
                        quoted: false,
                    },
                span,
            }] => Some(Ident {
                name: name.clone(),
                span: *span,
            }),
            _ => None,
        },
        _ => None,
    };
    let Some(var) = var else {
        errors.push(user(LexError::NotABinding { span: lhs.span }));
        return Expr::new(ExprKind::Error, Span::new(l, r));
    };
    expr(
        errors,
        ExprKind::Quantifier {
            func,
            var,
            list: rhs,
            body: Box::new(body),
        },
        l,
        r,
    )
}

pub fn bin(
    errors: &mut Vec<Recovered<'_>>,
    op: BinOp,
    a: Expr,
    b: Expr,
    l: usize,
    r: usize,
) -> Expr {
    expr(
        errors,
        ExprKind::Binary {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
        l,
        r,
    )
}

/// Chains of one `and` or `or` up to this many operands are built leaning
/// left, as they are read; longer ones balanced.
const CHAIN_LEFT: usize = 64;

/// A chain `a or b or c ...` of one operator, left to right. A long one is
/// built as a balanced tree of the same operands in the same order: the
/// same meaning (`and` and `or` are associative, in three-valued logic
/// too, and still evaluated left to right) at a depth that grows with the
/// logarithm of its length, so a long flat chain is not "nested too deep".
/// The formatter and `explain` read chains flat, whatever their shape.
pub fn chain(errors: &mut Vec<Recovered<'_>>, op: BinOp, operands: Vec<Expr>) -> Expr {
    if operands.len() <= CHAIN_LEFT {
        let mut rest = operands.into_iter();
        let Some(mut acc) = rest.next() else {
            return Expr::new(ExprKind::Error, Span::new(0, 0));
        };
        for b in rest {
            let (l, r) = (acc.span.start, b.span.end);
            acc = bin(errors, op, acc, b, l, r);
        }
        return acc;
    }
    balanced(errors, op, operands)
}

fn balanced(errors: &mut Vec<Recovered<'_>>, op: BinOp, mut operands: Vec<Expr>) -> Expr {
    if operands.len() <= 1 {
        return operands
            .pop()
            .unwrap_or_else(|| Expr::new(ExprKind::Error, Span::new(0, 0)));
    }
    let right = operands.split_off(operands.len() / 2);
    let lhs = balanced(errors, op, operands);
    let rhs = balanced(errors, op, right);
    let (l, r) = (lhs.span.start, rhs.span.end);
    bin(errors, op, lhs, rhs, l, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses() {
        let src = include_str!("../../examples/rules/attack_sequences.tsn");
        let parsed = parse(src);
        assert_eq!(parsed.errors, vec![]);
        let items = src
            .lines()
            .filter(|l| {
                ["let ", "signal ", "sequence ", "test "]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .count();
        assert_eq!(parsed.file.items.len(), items);
        assert!(parsed
            .file
            .items
            .iter()
            .all(|i| !matches!(i.kind, super::super::ast::ItemKind::Error)));
    }

    #[test]
    fn recovers_many_errors() {
        let src = "signal a on cloudtrail { when eventName == }\nsignal b on cloudtrail { severity = 3 }\nlet x = (1";
        let parsed = parse(src);
        assert!(parsed.errors.len() >= 3, "{:#?}", parsed.errors);
    }
}
