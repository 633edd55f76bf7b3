//! String templates: `"{principal} logged in from {login.ip}"`.
//!
//! A template is a string literal whose `{...}` parts are expressions. It is
//! parsed from the literal's raw text so every interpolation keeps an exact
//! span in the file. `\{` and `\}` write literal braces.

use super::ast::{Expr, StrLit};
use super::parser::{parse_expr, unescape, SyntaxError};
use super::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Value(Expr),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

/// A problem in a template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    Unclosed { span: Span },
    Empty { span: Span },
    Syntax(SyntaxError),
}

/// Parses a string literal as a template.
pub fn parse_template(lit: &StrLit) -> (Template, Vec<TemplateError>) {
    let raw = lit.raw.as_str();
    let body_start = lit.span.start + 1;
    let body = raw.strip_prefix('"').unwrap_or(raw);
    let body = body.strip_suffix('"').unwrap_or(body);
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let mut text_start = 0usize;
    let bytes = body.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => i += 2,
            Some(b'{') => {
                if let Some(text) = body.get(text_start..i) {
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(unescape(text)));
                    }
                }
                let open = i;
                let Some(close) = find_close(bytes, open + 1) else {
                    errors.push(TemplateError::Unclosed {
                        span: Span::new(body_start + open, body_start + open + 1),
                    });
                    return (Template { parts }, errors);
                };
                let inner = body.get(open + 1..close).unwrap_or("");
                let span = Span::new(body_start + open, body_start + close + 1);
                if inner.trim().is_empty() {
                    errors.push(TemplateError::Empty { span });
                } else {
                    // Inside the string, `\"` writes a quote: `{a."b-c"}` is
                    // written `"{a.\"b-c\"}"`. Parse the unescaped text and
                    // map positions back into the file.
                    let (text, positions) = unescape_quotes(inner);
                    let base = body_start + open + 1;
                    let map = |p: usize| base + positions.get(p).copied().unwrap_or(inner.len());
                    match parse_expr(&text, 0) {
                        Ok(mut expr) => {
                            crate::syntax::visit::map_spans(&mut expr, &map);
                            parts.push(TemplatePart::Value(expr));
                        }
                        Err(errs) => errors.extend(
                            crate::syntax::parser::map_errors(errs, &map)
                                .into_iter()
                                .map(TemplateError::Syntax),
                        ),
                    }
                }
                i = close + 1;
                text_start = i;
            }
            _ => i += 1,
        }
    }
    if let Some(text) = body.get(text_start..) {
        if !text.is_empty() {
            parts.push(TemplatePart::Text(unescape(text)));
        }
    }
    (Template { parts }, errors)
}

/// Replaces `\"` and `\\` by the character they stand for; returns the text
/// and, for each of its bytes, the position it came from.
fn unescape_quotes(inner: &str) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(inner.len());
    let mut positions = Vec::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let (pos, ch) = match (c, chars.peek()) {
            ('\\', Some((_, q @ ('"' | '\\')))) => {
                let q = *q;
                chars.next();
                (i, q)
            }
            _ => (i, c),
        };
        for _ in 0..ch.len_utf8() {
            positions.push(pos);
        }
        text.push(ch);
    }
    (text, positions)
}

/// Finds the `}` that closes an interpolation opened just before `from`.
fn find_close(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parser::str_lit;

    #[test]
    fn parts_and_spans() {
        let raw = r#""{user} from {login.ip}!""#;
        let lit = str_lit(raw, Span::new(10, 10 + raw.len()));
        let (t, errs) = parse_template(&lit);
        assert!(errs.is_empty());
        assert_eq!(t.parts.len(), 4);
        let TemplatePart::Value(e) = &t.parts[0] else {
            panic!("expected a value")
        };
        assert_eq!(e.span, Span::new(12, 16));
    }

    #[test]
    fn unclosed_and_empty() {
        let lit = str_lit(r#""a {b""#, Span::new(0, 6));
        assert!(matches!(
            parse_template(&lit).1[..],
            [TemplateError::Unclosed { .. }]
        ));
        let lit = str_lit(r#""a {}""#, Span::new(0, 6));
        assert!(matches!(
            parse_template(&lit).1[..],
            [TemplateError::Empty { .. }]
        ));
        let lit = str_lit(r#""a \{b\}""#, Span::new(0, 9));
        let (t, errs) = parse_template(&lit);
        assert!(errs.is_empty());
        assert_eq!(t.parts, vec![TemplatePart::Text("a {b}".into())]);
    }
}
