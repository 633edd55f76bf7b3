//! Semantic tokens: what each word of a file *is*, which a TextMate or
//! tree-sitter grammar cannot know. `high` may be a severity level or a
//! field, `user` a constant, an entity or a field, `severity` a keyword or a
//! GuardDuty field: the checker's names decide. Words the checker has no
//! opinion on keep their lexical class (keyword, string, number, comment).

use std::collections::BTreeMap;

use super::refs::{self, Target};
use super::{LineIndex, Snapshot};
use crate::check::{Analysis, ItemTag};
use crate::syntax::ast::{ClauseKind, ItemKind, Step, StepKind};
use crate::syntax::lexer::{lex, CommentKind};
use crate::syntax::template::TemplatePart;
use crate::syntax::token::{token_text, Tok};
use crate::syntax::Span;

/// The kinds of token, in the order of [`TOKEN_TYPES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenKind {
    Keyword,
    /// `and`, `or`, `not`, `in`, `matches`, ...
    Operator,
    String,
    /// Numbers, durations, IP addresses and networks.
    Number,
    Comment,
    /// A field of a record.
    Property,
    Function,
    /// A `let` constant.
    Variable,
    /// A signal, sequence or guardrail.
    Event,
    /// A source.
    Type,
    /// An entity, step label or `derive` name.
    Parameter,
    /// A severity level, tactic or guardrail scope.
    EnumMember,
}

/// Token type names, as the LSP legend lists them.
pub const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "operator",
    "string",
    "number",
    "comment",
    "property",
    "function",
    "variable",
    "event",
    "type",
    "parameter",
    "enumMember",
];

/// Modifier bits, as the LSP legend lists them.
pub const TOKEN_MODIFIERS: &[&str] = &["declaration", "documentation", "readonly"];
pub const DECLARATION: u32 = 1;
pub const DOCUMENTATION: u32 = 2;
pub const READONLY: u32 = 4;

/// One token on one line (tokens never span lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemanticToken {
    pub line: u32,
    /// UTF-16 column.
    pub start: u32,
    /// UTF-16 length.
    pub len: u32,
    pub kind: TokenKind,
    pub modifiers: u32,
}

/// The semantic tokens of file `name`, in text order.
pub fn semantic_tokens(snap: &Snapshot, name: &str) -> Vec<SemanticToken> {
    let Some(file) = snap.file_id(name) else {
        return Vec::new();
    };
    let text = snap.text(file);
    let (named, interpolations) = names(&snap.analysis, file, text);
    let lexed = lex(text);
    let mut spans: Vec<(Span, TokenKind, u32)> = Vec::new();
    for c in &lexed.comments {
        let mods = if c.kind == CommentKind::Doc {
            DOCUMENTATION
        } else {
            0
        };
        spans.push((c.span, TokenKind::Comment, mods));
    }
    let words = Words {
        text,
        named: &named,
        interpolations: &interpolations,
    };
    words.classify(&lexed.tokens, 0, &mut spans);
    spans.sort_by_key(|(s, _, _)| (s.start, s.end));
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for (span, kind, modifiers) in spans {
        split_lines(text, &index, span, &mut |line, start, len| {
            out.push(SemanticToken {
                line,
                start,
                len,
                kind,
                modifiers,
            });
        });
    }
    out
}

/// Names the checker resolved: start offset → (span, kind, modifiers).
type Named = BTreeMap<usize, (Span, TokenKind, u32)>;

/// What is known about a file's words, to classify its tokens.
struct Words<'a> {
    text: &'a str,
    /// Names the checker resolved, by start offset.
    named: &'a Named,
    /// The `{...}` expressions of templates, by start offset.
    interpolations: &'a BTreeMap<usize, Span>,
}

impl Words<'_> {
    /// Classifies `tokens` (lexed from the text at byte `base`).
    fn classify(
        &self,
        tokens: &[(usize, Tok<'_>, usize)],
        base: usize,
        spans: &mut Vec<(Span, TokenKind, u32)>,
    ) {
        for (start, tok, end) in tokens {
            let (start, end) = (start + base, end + base);
            let span = Span::new(start, end);
            if matches!(tok, Tok::Str(_)) {
                // A template: the string around its interpolations, whose
                // words are classified like any other.
                let mut at = start;
                for inner in self.interpolations.range(start..end).map(|(_, s)| *s) {
                    spans.push((Span::new(at, inner.start), TokenKind::String, 0));
                    let sub = lex(self.text.get(inner.range()).unwrap_or(""));
                    self.classify(&sub.tokens, inner.start, spans);
                    at = inner.end.max(at);
                }
                spans.push((Span::new(at, end), TokenKind::String, 0));
                continue;
            }
            // A word inside a name the checker knows (a path spans several).
            let covering = self
                .named
                .range(..end)
                .next_back()
                .map(|(_, v)| v)
                .filter(|(s, _, _)| s.end >= end);
            if let Some((_, kind, mods)) = covering {
                if !matches!(tok, Tok::Dot) {
                    spans.push((span, *kind, *mods));
                }
                continue;
            }
            if let Some(kind) = lexical(tok) {
                spans.push((span, kind, 0));
            }
        }
    }
}

/// The class a token has on its own.
fn lexical(tok: &Tok<'_>) -> Option<TokenKind> {
    Some(match tok {
        Tok::Str(_) | Tok::UnclosedStr(_) => TokenKind::String,
        Tok::Int(_)
        | Tok::Float(_)
        | Tok::Duration(_)
        | Tok::Ipv4(_)
        | Tok::Cidr4(_)
        | Tok::Ipv6(_) => TokenKind::Number,
        Tok::And
        | Tok::Or
        | Tok::Not
        | Tok::In
        | Tok::Matches
        | Tok::Contains
        | Tok::StartsWith
        | Tok::EndsWith
        | Tok::Exists => TokenKind::Operator,
        Tok::True | Tok::False | Tok::Null => TokenKind::Keyword,
        Tok::Ident(_) | Tok::DocComment(_) | Tok::LineComment(_) | Tok::BlockComment(_) => {
            return None
        }
        t => {
            let word = token_text(t)?;
            if !word.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                return None;
            }
            TokenKind::Keyword
        }
    })
}

/// What the checker knows about the names in one file, by start offset.
fn names(
    analysis: &Analysis,
    file: crate::check::FileId,
    text: &str,
) -> (Named, BTreeMap<usize, Span>) {
    let mut out = BTreeMap::new();
    let mut interpolations = BTreeMap::new();
    let mut put = |span: Span, kind: TokenKind, mods: u32| {
        out.entry(span.start).or_insert((span, kind, mods));
    };
    let Some(pf) = analysis.file(file) else {
        return (out, interpolations);
    };
    // Clause words the checker reads as levels, tactics, entities and labels
    // first: they win over the guesses from references below.
    for item in &pf.parsed.file.items {
        let ItemKind::Block(b) = &item.kind else {
            continue;
        };
        for c in &b.clauses {
            match &c.kind {
                ClauseKind::Severity {
                    computed: false,
                    value,
                } => {
                    if let crate::syntax::ast::ExprKind::Path(p) = &value.kind {
                        let word = text.get(p.span.range()).unwrap_or("");
                        if crate::check::attack::level(word).is_some() {
                            put(p.span, TokenKind::EnumMember, 0);
                        }
                    }
                }
                ClauseKind::Tactic(words) => {
                    for w in words {
                        put(w.span, TokenKind::EnumMember, 0);
                    }
                }
                ClauseKind::Scope(w) => put(w.span, TokenKind::EnumMember, 0),
                ClauseKind::Entity { name, .. } | ClauseKind::Derive { name, .. } => {
                    put(name.span, TokenKind::Parameter, DECLARATION)
                }
                ClauseKind::By(name) => put(name.span, TokenKind::Parameter, 0),
                ClauseKind::Field { path, ty } => {
                    put(path.span, TokenKind::Property, DECLARATION);
                    put(ty.name.span, TokenKind::Type, 0);
                }
                ClauseKind::Steps(steps) => labels(steps, &mut put),
                ClauseKind::Title(lit) | ClauseKind::Summary(lit) | ClauseKind::Message(lit) => {
                    for part in &refs::template(analysis, file, lit).parts {
                        if let TemplatePart::Value(e) = part {
                            interpolations.insert(e.span.start, e.span);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for r in refs::collect(analysis, file) {
        let (kind, mods) = match &r.target {
            Target::Item(name) => match analysis.symbols.get(name).map(|s| s.tag) {
                Some(ItemTag::Let) => (TokenKind::Variable, READONLY),
                Some(ItemTag::Source) => (TokenKind::Type, 0),
                Some(ItemTag::Signal | ItemTag::Sequence | ItemTag::Guardrail) => {
                    (TokenKind::Event, 0)
                }
                // Not an item: a field or an entity, said by the next ref.
                Some(ItemTag::Test) | None => continue,
            },
            Target::Field { .. } => (TokenKind::Property, 0),
            Target::Function(_) => (TokenKind::Function, 0),
            Target::Local { .. } => (TokenKind::Parameter, 0),
        };
        let mods = if r.definition {
            mods | DECLARATION
        } else {
            mods
        };
        // `p.field` with `p` bound: `p` is said already, the rest is a field.
        let span = match out.get(&r.span.start) {
            Some((named, TokenKind::Parameter, _))
                if kind == TokenKind::Property && named.end < r.span.end =>
            {
                Span::new(named.end, r.span.end)
            }
            _ => r.span,
        };
        out.entry(span.start).or_insert((span, kind, mods));
    }
    (out, interpolations)
}

fn labels(steps: &[Step], put: &mut impl FnMut(Span, TokenKind, u32)) {
    for s in steps {
        match &s.kind {
            StepKind::Single(single) => {
                put(single.label.span, TokenKind::Parameter, DECLARATION);
                if let Some(by) = &single.by {
                    put(by.span, TokenKind::Parameter, 0);
                }
            }
            StepKind::Unordered(inner) => labels(inner, put),
            StepKind::Error => {}
        }
    }
}

/// Calls `f(line, start, len)` for each line `span` covers (UTF-16).
fn split_lines(text: &str, index: &LineIndex<'_>, span: Span, f: &mut impl FnMut(u32, u32, u32)) {
    let mut at = span.start;
    while at < span.end {
        let line_end = text
            .get(at..span.end)
            .and_then(|t| t.find('\n'))
            .map_or(span.end, |i| at + i);
        // A continuation line starts at its first visible character.
        let indent = text
            .get(at..line_end)
            .map_or(0, |t| t.len() - t.trim_start().len());
        let start = index.pos(at + indent);
        let end = index.pos(line_end);
        if end.character > start.character {
            f(start.line, start.character, end.character - start.character);
        }
        at = line_end + 1;
    }
}
