//! Turns source text into the parser's token stream, the comments the
//! formatter must keep, and lexical errors with their spans.
//!
//! It never stops early: an unknown character is reported and skipped, an
//! unclosed string is reported and passed on as a string, so one file yields
//! every error it has.

use logos::Logos;

use super::token::Tok;
use super::Span;

/// A comment kept as trivia, for doc attachment and the formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub kind: CommentKind,
    /// The comment text, markers included (`// x`, `/// x`, `/* x */`).
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    Line,
    Doc,
    Block,
}

/// A problem found while lexing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexError {
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
    /// Raised by the parser: an expression nested deeper than the limit.
    TooDeep {
        span: Span,
    },
    /// Raised by the parser: `f(A: B)` where `A` is not `NAME in LIST`.
    NotABinding {
        span: Span,
    },
    /// Raised by the parser: `f(x in L: B)` where `f` is not `any` or `all`.
    NotAQuantifier {
        span: Span,
    },
}

/// The result of lexing one file.
#[derive(Debug, Default)]
pub struct Lexed<'src> {
    pub tokens: Vec<(usize, Tok<'src>, usize)>,
    pub comments: Vec<Comment>,
    pub errors: Vec<LexError>,
}

/// Lexes a whole file.
pub fn lex(src: &str) -> Lexed<'_> {
    let mut out = Lexed::default();
    let mut lexer = Tok::lexer(src);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(range.start, range.end);
        match result {
            Ok(Tok::DocComment(text)) => out.comments.push(Comment {
                kind: CommentKind::Doc,
                text: text.trim_end().to_string(),
                span,
            }),
            Ok(Tok::LineComment(text)) => out.comments.push(Comment {
                kind: CommentKind::Line,
                text: text.trim_end().to_string(),
                span,
            }),
            Ok(Tok::BlockComment(text)) => {
                if !text.ends_with("*/") || text.len() < 4 {
                    out.errors.push(LexError::UnclosedComment {
                        span: Span::new(span.start, span.start + 2),
                    });
                }
                out.comments.push(Comment {
                    kind: CommentKind::Block,
                    text: text.to_string(),
                    span,
                });
            }
            Ok(Tok::UnclosedStr(text)) => {
                out.errors.push(LexError::UnclosedString { span });
                out.tokens
                    .push((range.start, Tok::UnclosedStr(text), range.end));
            }
            Ok(tok) => out.tokens.push((range.start, tok, range.end)),
            Err(()) => {
                let ch = lexer.slice().chars().next().unwrap_or('\u{fffd}');
                out.errors.push(LexError::UnknownChar { span, ch });
            }
        }
    }
    out.tokens = merge_ipv6(src, out.tokens);
    out
}

/// Merges runs of adjacent tokens such as `2001` `:` `db8` `:` `:` `/` `32`
/// into one IPv6 token when the run spells a valid address or network.
fn merge_ipv6<'src>(
    src: &'src str,
    tokens: Vec<(usize, Tok<'src>, usize)>,
) -> Vec<(usize, Tok<'src>, usize)> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0usize;
    while let Some(&(start, tok, end)) = tokens.get(i) {
        if !could_start_ipv6(&tok) {
            out.push((start, tok, end));
            i += 1;
            continue;
        }
        // Extend over adjacent address-like tokens.
        let mut j = i;
        let mut run_end = end;
        let mut colons = 0usize;
        while let Some(&(s, t, e)) = tokens.get(j) {
            let adjacent = j == i || s == run_end;
            let fits = match t {
                Tok::Colon => {
                    colons += 1;
                    true
                }
                Tok::Ident(w) => w.bytes().all(|b| b.is_ascii_hexdigit()),
                Tok::Int(_) | Tok::Ipv4(_) | Tok::Slash => true,
                _ => false,
            };
            if !adjacent || !fits || e - start > 64 {
                break;
            }
            run_end = e;
            j += 1;
        }
        let text = src.get(start..run_end).unwrap_or("");
        let valid = colons >= 2
            && (text.parse::<std::net::Ipv6Addr>().is_ok()
                || text.parse::<ipnet::Ipv6Net>().is_ok());
        if valid {
            out.push((start, Tok::Ipv6(text), run_end));
            i = j;
        } else {
            out.push((start, tok, end));
            i += 1;
        }
    }
    out
}

fn could_start_ipv6(tok: &Tok<'_>) -> bool {
    match tok {
        Tok::Colon | Tok::Int(_) => true,
        Tok::Ident(w) => w.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        lex(src).tokens.into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn literals() {
        assert_eq!(
            kinds("10.0.0.0/8 1.2.3.4 24h 10m 1.5 7 ::1 2001:db8::/32"),
            vec![
                Tok::Cidr4("10.0.0.0/8"),
                Tok::Ipv4("1.2.3.4"),
                Tok::Duration("24h"),
                Tok::Duration("10m"),
                Tok::Float("1.5"),
                Tok::Int("7"),
                Tok::Ipv6("::1"),
                Tok::Ipv6("2001:db8::/32"),
            ]
        );
    }

    #[test]
    fn hex_looking_labels_stay_labels() {
        assert_eq!(
            kinds("add: deed"),
            vec![Tok::Ident("add"), Tok::Colon, Tok::Ident("deed")]
        );
    }

    #[test]
    fn comments_are_trivia() {
        let lexed = lex("/// doc\nlet x = 1 // trailing\n/* a /* nested */ b */");
        assert_eq!(lexed.tokens.len(), 4);
        assert_eq!(lexed.comments.len(), 3);
        assert!(lexed.errors.is_empty());
    }

    #[test]
    fn unclosed_things_are_errors() {
        let lexed = lex("let x = \"abc\nlet y = 1 /* never closed");
        assert_eq!(lexed.errors.len(), 2);
        let lexed = lex("let x = #");
        assert!(matches!(
            lexed.errors.as_slice(),
            [LexError::UnknownChar { ch: '#', .. }]
        ));
    }

    #[test]
    fn a_byte_order_mark_is_whitespace() {
        // Windows editors save UTF-8 with a BOM; spans still count it.
        let plain = lex("let x = 1");
        let marked = lex("\u{feff}let x = 1");
        assert!(marked.errors.is_empty(), "{:?}", marked.errors);
        assert_eq!(marked.tokens.len(), plain.tokens.len());
        assert_eq!(marked.tokens.first().map(|t| t.0), Some(3));
    }
}
