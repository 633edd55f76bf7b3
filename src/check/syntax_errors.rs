//! Turns syntax errors from the parser into diagnostics, with a `help:`
//! that names what was expected in words a user knows.

use super::diagnostic::{Code, Diagnostic, FileId};
use crate::syntax::parser::SyntaxError;

/// Turns a syntax error into a diagnostic.
pub fn syntax_diagnostic(file: FileId, err: &SyntaxError) -> Diagnostic {
    let expected_help = |expected: &[String]| -> Option<String> {
        match expected {
            [] => None,
            [one] => Some(format!("expected {one}")),
            [init @ .., last] => Some(format!("expected {} or {last}", init.join(", "))),
        }
    };
    match err {
        SyntaxError::Unexpected { span, found, expected } => {
            let mut d = Diagnostic::new(Code::Syntax, file, *span, format!("unexpected {found}"))
                .label("not expected here");
            if found == "`=`" && expected.iter().any(|e| e == "an operator" || e == "`==`") {
                d = d.help("`=` only names things; to compare, write `==`");
            } else if let Some(h) = expected_help(expected) {
                d = d.help(h);
            }
            d
        }
        SyntaxError::UnexpectedEof { span, expected } => {
            let mut d = Diagnostic::new(Code::Syntax, file, *span, "unexpected end of file")
                .label("the file ends here");
            if let Some(h) = expected_help(expected) {
                d = d.help(format!("{h}; is a `}}` or `)` missing?"));
            }
            d
        }
        SyntaxError::UnknownChar { span, ch } => {
            let help = match ch {
                '#' => "comments start with `//`",
                '\'' => "strings use double quotes: `\"text\"`",
                '&' => "write `and`",
                '!' => "write `not`, or `!=` for not equal",
                _ => "remove it or put it inside a string",
            };
            Diagnostic::new(Code::Syntax, file, *span, format!("unexpected character `{}`", ch.escape_debug()))
                .label("not part of the language")
                .help(help)
        }
        SyntaxError::UnclosedString { span } => Diagnostic::new(Code::Syntax, file, *span, "unclosed string")
            .label("this string has no closing `\"` on its line")
            .help("add the closing `\"`; strings cannot span lines"),
        SyntaxError::UnclosedComment { span } => Diagnostic::new(Code::Syntax, file, *span, "unclosed block comment")
            .label("this `/*` has no matching `*/`")
            .help("add `*/` where the comment ends"),
        SyntaxError::BadEscape { span } => Diagnostic::new(Code::Syntax, file, *span, "unknown escape in string")
            .label("not an escape")
            .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\{`, `\\}` and `\\uXXXX`; for a backslash, write `\\\\` (regular expressions: `\\\\d`)"),
        SyntaxError::NotABinding { span } => Diagnostic::new(Code::Syntax, file, *span, "expected `NAME in LIST` before `:`")
            .label("not a name bound to the elements of a list")
            .help("write `any(r in resources: r.type == \"AWS::IAM::Role\")`: `r` names each element in turn"),
        SyntaxError::NotAQuantifier { span } => Diagnostic::new(Code::Syntax, file, *span, "only `any` and `all` take `NAME in LIST: CONDITION`")
            .label("not `any` or `all`")
            .help("`any(x in LIST: ...)` holds if the condition holds for some element, `all(...)` if for every one"),
        SyntaxError::TooDeep { span, limit } => Diagnostic::new(
            Code::NestingTooDeep,
            file,
            *span,
            format!("nesting deeper than {limit} levels"),
        )
        .label("too deep from here")
        .help("split the condition into constants or simpler clauses"),
    }
}
