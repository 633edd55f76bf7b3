//! The syntax tree of a rule file, with a span on every node.
//!
//! The tree is faithful to what was written (parentheses, clause order,
//! literal spelling) so the formatter can print it back and the language
//! server can point at any part. It carries no meaning: whether a clause is
//! allowed in an item, or a name exists, is the checker's business.

use super::Span;

/// A name with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal: the text as written (quotes included) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub raw: String,
    pub value: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `let name = expr`
    Let { name: Ident, value: Expr },
    /// `source|signal|sequence|guardrail name [on source] { clauses }`
    Block(Block),
    /// `test "name" { clauses }`
    Test { name: StrLit, clauses: Vec<Clause> },
    /// An item that did not parse; its error is reported elsewhere.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Source,
    Signal,
    Sequence,
    Guardrail,
}

impl BlockKind {
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Source => "source",
            BlockKind::Signal => "signal",
            BlockKind::Sequence => "sequence",
            BlockKind::Guardrail => "guardrail",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    pub keyword_span: Span,
    pub name: Ident,
    pub on: Option<Ident>,
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

/// Every clause of every block item. Which clause is allowed in which item is
/// decided by the checker, so a misplaced clause gets a precise message.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseKind {
    Title(StrLit),
    Summary(StrLit),
    Message(StrLit),
    /// `severity EXPR` (a level or a number) or `severity from EXPR`.
    Severity {
        computed: bool,
        value: Expr,
    },
    Tactic(Vec<Ident>),
    Technique(Vec<StrLit>),
    Report(Expr),
    When(Expr),
    Deny(Expr),
    Except(Expr),
    Applies(Expr),
    Require(Expr),
    Recognize(Expr),
    Entity {
        name: Ident,
        value: Expr,
    },
    By(Ident),
    Within(Expr),
    Steps(Vec<Step>),
    Until(Vec<Ident>),
    Scope(Ident),
    Time(Path),
    Field {
        path: Path,
        ty: Type,
    },
    Derive {
        name: Ident,
        ty: Type,
        value: Expr,
    },
    Input(StrLit),
    Event {
        offset: Option<Expr>,
        value: Expr,
    },
    /// `expect RULE [count OP N]` or `expect RULE: deny event N ...` /
    /// `expect RULE: steps [...]`.
    Expect {
        rule: Ident,
        count: Option<CountTest>,
        what: Option<ExpectWhat>,
    },
    /// A clause that did not parse; its error is reported elsewhere.
    Error,
}

impl ClauseKind {
    /// The keyword that starts the clause, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Title(_) => "title",
            ClauseKind::Summary(_) => "summary",
            ClauseKind::Message(_) => "message",
            ClauseKind::Severity { .. } => "severity",
            ClauseKind::Tactic(_) => "tactic",
            ClauseKind::Technique(_) => "technique",
            ClauseKind::Report(_) => "report",
            ClauseKind::When(_) => "when",
            ClauseKind::Deny(_) => "deny when",
            ClauseKind::Except(_) => "except",
            ClauseKind::Applies(_) => "applies",
            ClauseKind::Require(_) => "require",
            ClauseKind::Recognize(_) => "recognize",
            ClauseKind::Entity { .. } => "entity",
            ClauseKind::By(_) => "by",
            ClauseKind::Within(_) => "within",
            ClauseKind::Steps(_) => "steps",
            ClauseKind::Until(_) => "until",
            ClauseKind::Scope(_) => "scope",
            ClauseKind::Time(_) => "time",
            ClauseKind::Field { .. } => "field",
            ClauseKind::Derive { .. } => "derive",
            ClauseKind::Input(_) => "input",
            ClauseKind::Event { .. } => "event",
            ClauseKind::Expect { .. } => "expect",
            ClauseKind::Error => "<error>",
        }
    }
}

/// What a test expects of a rule beyond how often it fires.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectWhat {
    /// `deny event N [message "M"]`: the guardrail denies the test's N-th
    /// record (from 1, in clause order), with this message if given.
    Deny {
        record: Expr,
        message: Option<StrLit>,
        span: Span,
    },
    /// `steps [a, b]`: a finding of the sequence whose filled steps are
    /// exactly these, in order.
    Steps { labels: Vec<Ident>, span: Span },
}

/// `count OP N`, in steps and in test expectations.
#[derive(Debug, Clone, PartialEq)]
pub struct CountTest {
    pub distinct: Option<Ident>,
    /// The comparison; `count 3` (no operator) means `count == 3`.
    pub op: Option<CmpOp>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// `[optional|absent] label: a | b [count ...] [within D] [by entity]`
    Single(Box<SingleStep>),
    /// `unordered { steps }`: these steps in any order.
    Unordered(Vec<Step>),
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepMode {
    Required,
    Optional,
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SingleStep {
    pub mode: StepMode,
    pub label: Ident,
    pub signals: Vec<Ident>,
    pub count: Option<CountTest>,
    pub within: Option<Expr>,
    pub by: Option<Ident>,
}

/// A field type in a source: `string`, `list<string>`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Type {
    pub name: Ident,
    pub arg: Option<Box<Type>>,
    pub span: Span,
}

/// A field path: `a.b`, `a[0]`, `a[*].b`, `a."b-c"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SegmentKind {
    /// A plain or quoted name.
    Name { name: String, quoted: bool },
    /// `[3]`
    Index(i64),
    /// `[*]`
    Wildcard,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Nesting depth of this expression (1 for a leaf), kept so that depth
    /// limits are enforced without recursion.
    pub depth: u32,
}

impl Expr {
    /// Builds an expression, computing its depth from its direct children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let depth = 1 + kind.children().map(|c| c.depth).max().unwrap_or(0);
        Expr { kind, span, depth }
    }
}

impl ExprKind {
    /// The direct sub-expressions, in source order.
    pub fn children(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        match self {
            ExprKind::Lit(_) | ExprKind::Path(_) | ExprKind::Error => Box::new(std::iter::empty()),
            ExprKind::List(items) => Box::new(items.iter()),
            ExprKind::Object(fields) => Box::new(fields.iter().map(|(_, v)| v)),
            ExprKind::Call { args, .. } => Box::new(args.iter()),
            ExprKind::Paren(e)
            | ExprKind::Unary { expr: e, .. }
            | ExprKind::Exists { expr: e, .. } => Box::new(std::iter::once(e.as_ref())),
            ExprKind::Binary { lhs, rhs, .. } => Box::new([lhs.as_ref(), rhs.as_ref()].into_iter()),
            ExprKind::Quantifier { list, body, .. } => {
                Box::new([list.as_ref(), body.as_ref()].into_iter())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Lit(Lit),
    Path(Path),
    List(Vec<Expr>),
    /// `{ "key": value, ... }`, JSON objects in inline test events.
    Object(Vec<(StrLit, Expr)>),
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    Paren(Box<Expr>),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x exists` or `x not exists`
    Exists {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `any(x in LIST: CONDITION)` or `all(...)`: the condition tested on
    /// each element of the list, with the element named `x`.
    Quantifier {
        func: Ident,
        var: Ident,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(StrLit),
    /// Integers keep their spelling; the value is checked for range later.
    Int(String),
    Float(String),
    Bool(bool),
    Null,
    Duration(String),
    Ip(String),
    Cidr(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Cmp(CmpOp),
    In,
    NotIn,
    Matches,
    Regex,
    Contains,
    StartsWith,
    EndsWith,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Whether `a OP b` holds, given how `a` orders against `b`.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        match self {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::Ne => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::Le => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::Ge => ord.is_ge(),
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Cmp(op) => op.symbol(),
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Matches => "matches",
            BinOp::Regex => "=~",
            BinOp::Contains => "contains",
            BinOp::StartsWith => "starts_with",
            BinOp::EndsWith => "ends_with",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
            _ => 3,
        }
    }
}
