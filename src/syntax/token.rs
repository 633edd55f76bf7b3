//! Tokens of the rule language, produced by a logos lexer.
//!
//! The lexer never fails: every byte becomes a token, trivia (comments) or a
//! [`LexError`] with its span, so the parser and the formatter both see the
//! whole file. Keywords are soft: the grammar also accepts most of them as
//! field names, so `severity` or `time` in a GuardDuty or OCSF record stay
//! reachable.

use logos::Logos;

/// One lexical token. String-like variants borrow the source text.
#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[ \t\r\n\f\u{FEFF}]+")]
pub enum Tok<'src> {
    // Items.
    #[token("let")]
    Let,
    #[token("source")]
    Source,
    #[token("signal")]
    Signal,
    #[token("sequence")]
    Sequence,
    #[token("guardrail")]
    Guardrail,
    #[token("test")]
    Test,
    #[token("on")]
    On,
    // Clauses.
    #[token("recognize")]
    Recognize,
    #[token("time")]
    Time,
    #[token("field")]
    Field,
    #[token("derive")]
    Derive,
    #[token("title")]
    Title,
    #[token("severity")]
    Severity,
    #[token("from")]
    From,
    #[token("tactic")]
    Tactic,
    #[token("technique")]
    Technique,
    #[token("report")]
    Report,
    #[token("when")]
    When,
    #[token("entity")]
    Entity,
    #[token("summary")]
    Summary,
    #[token("by")]
    By,
    #[token("within")]
    Within,
    #[token("steps")]
    Steps,
    #[token("until")]
    Until,
    #[token("count")]
    Count,
    #[token("distinct")]
    Distinct,
    #[token("optional")]
    Optional,
    #[token("absent")]
    Absent,
    #[token("unordered")]
    Unordered,
    #[token("scope")]
    Scope,
    #[token("deny")]
    Deny,
    #[token("except")]
    Except,
    #[token("applies")]
    Applies,
    #[token("require")]
    Require,
    #[token("message")]
    Message,
    #[token("input")]
    Input,
    #[token("event")]
    Event,
    #[token("expect")]
    Expect,
    // Operators written as words.
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("in")]
    In,
    #[token("matches")]
    Matches,
    #[token("contains")]
    Contains,
    #[token("starts_with")]
    StartsWith,
    #[token("ends_with")]
    EndsWith,
    #[token("exists")]
    Exists,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("null")]
    Null,
    // Punctuation.
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("=~")]
    RegexMatch,
    #[token("=")]
    Eq,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("|")]
    Pipe,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    // Literals.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'src str),
    /// A complete string literal, quotes included.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    Str(&'src str),
    /// A string whose closing quote is missing on its line.
    #[regex(r#""([^"\\\n]|\\[^\n])*\\?"#, priority = 0)]
    UnclosedStr(&'src str),
    #[regex(r"[0-9]+", priority = 3)]
    Int(&'src str),
    #[regex(r"[0-9]+\.[0-9]+")]
    Float(&'src str),
    #[regex(r"[0-9]+(ms|s|m|h|d|w)")]
    Duration(&'src str),
    #[regex(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")]
    Ipv4(&'src str),
    #[regex(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+")]
    Cidr4(&'src str),
    /// IPv6 address or network. Never produced by logos itself (its DFA
    /// cannot back off from `add:` to a label); the lexer merges adjacent
    /// tokens that spell a valid address into this one.
    Ipv6(&'src str),
    // Trivia.
    #[regex(r"///([^/\n][^\n]*)?")]
    DocComment(&'src str),
    #[regex(r"//[^\n]*")]
    LineComment(&'src str),
    #[token("/*", block_comment)]
    BlockComment(&'src str),
}

/// Scans a block comment to its matching `*/`, allowing nesting. An unclosed
/// comment runs to the end of the file and is reported by the caller.
fn block_comment<'src>(lex: &mut logos::Lexer<'src, Tok<'src>>) -> &'src str {
    let rest = lex.remainder();
    let bytes = rest.as_bytes();
    let mut depth = 1usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'*'), Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return lex.slice();
                }
            }
            (Some(b'/'), Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    lex.slice()
}

impl Tok<'_> {
    /// Whether the token is trivia that the parser never sees.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self,
            Tok::DocComment(_) | Tok::LineComment(_) | Tok::BlockComment(_)
        )
    }
}

/// The fixed text of a keyword or punctuation token; `None` for tokens that
/// carry text of their own.
pub fn token_text(tok: &Tok<'_>) -> Option<&'static str> {
    Some(match tok {
        Tok::Let => "let",
        Tok::Source => "source",
        Tok::Signal => "signal",
        Tok::Sequence => "sequence",
        Tok::Guardrail => "guardrail",
        Tok::Test => "test",
        Tok::On => "on",
        Tok::Recognize => "recognize",
        Tok::Time => "time",
        Tok::Field => "field",
        Tok::Derive => "derive",
        Tok::Title => "title",
        Tok::Severity => "severity",
        Tok::From => "from",
        Tok::Tactic => "tactic",
        Tok::Technique => "technique",
        Tok::Report => "report",
        Tok::When => "when",
        Tok::Entity => "entity",
        Tok::Summary => "summary",
        Tok::By => "by",
        Tok::Within => "within",
        Tok::Steps => "steps",
        Tok::Until => "until",
        Tok::Count => "count",
        Tok::Distinct => "distinct",
        Tok::Optional => "optional",
        Tok::Absent => "absent",
        Tok::Unordered => "unordered",
        Tok::Scope => "scope",
        Tok::Deny => "deny",
        Tok::Except => "except",
        Tok::Applies => "applies",
        Tok::Require => "require",
        Tok::Message => "message",
        Tok::Input => "input",
        Tok::Event => "event",
        Tok::Expect => "expect",
        Tok::And => "and",
        Tok::Or => "or",
        Tok::Not => "not",
        Tok::In => "in",
        Tok::Matches => "matches",
        Tok::Contains => "contains",
        Tok::StartsWith => "starts_with",
        Tok::EndsWith => "ends_with",
        Tok::Exists => "exists",
        Tok::True => "true",
        Tok::False => "false",
        Tok::Null => "null",
        Tok::EqEq => "==",
        Tok::NotEq => "!=",
        Tok::Le => "<=",
        Tok::Ge => ">=",
        Tok::Lt => "<",
        Tok::Gt => ">",
        Tok::RegexMatch => "=~",
        Tok::Eq => "=",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Pipe => "|",
        Tok::Comma => ",",
        Tok::Colon => ":",
        Tok::Dot => ".",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        _ => return None,
    })
}
