//! Decides which source a record belongs to, by each source's `recognize`
//! condition, in three-valued logic: a record belongs to a source only when
//! the condition is definitely true.
//!
//! Recognition conditions use a small part of the language (`exists`,
//! `==`, `!=`, `and`, `or`, `not`, literals and paths); anything else
//! evaluates to unknown, so a source written with more never claims a
//! record by accident.

use serde_json::Value;

use super::path;
use crate::check::Analysis;
use crate::syntax::ast::{
    BinOp, BlockKind, ClauseKind, CmpOp, Expr, ExprKind, ItemKind, Lit, UnaryOp,
};

/// Kleene truth values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// The recognition rules of every source of a ruleset.
pub struct Recognizer<'a> {
    sources: Vec<(&'a str, &'a Expr)>,
}

impl<'a> Recognizer<'a> {
    pub fn new(analysis: &'a Analysis) -> Recognizer<'a> {
        let mut sources = Vec::new();
        for pf in &analysis.files {
            for item in &pf.parsed.file.items {
                let ItemKind::Block(b) = &item.kind else {
                    continue;
                };
                if b.kind != BlockKind::Source {
                    continue;
                }
                for c in &b.clauses {
                    if let ClauseKind::Recognize(e) = &c.kind {
                        sources.push((b.name.name.as_str(), e));
                    }
                }
            }
        }
        Recognizer { sources }
    }

    /// Every source whose condition is definitely true for `record`.
    pub fn sources_of(&self, record: &Value) -> Vec<&'a str> {
        self.sources
            .iter()
            .filter(|(_, e)| truth(e, record) == Truth::True)
            .map(|(name, _)| *name)
            .collect()
    }
}

/// Evaluates a recognition condition.
pub fn truth(e: &Expr, record: &Value) -> Truth {
    match &e.kind {
        ExprKind::Paren(inner) => truth(inner, record),
        ExprKind::Lit(Lit::Bool(b)) => Truth::from_bool(*b),
        ExprKind::Exists { expr, negated } => {
            let ExprKind::Path(p) = &expr.kind else {
                return Truth::Unknown;
            };
            let present = path::values(record, p).iter().any(|v| !v.is_null());
            Truth::from_bool(present != *negated)
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            expr,
        } => truth(expr, record).not(),
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinOp::And => truth(lhs, record).and(truth(rhs, record)),
            BinOp::Or => truth(lhs, record).or(truth(rhs, record)),
            BinOp::Cmp(cmp @ (CmpOp::Eq | CmpOp::Ne)) => equality(*cmp, lhs, rhs, record),
            _ => Truth::Unknown,
        },
        _ => Truth::Unknown,
    }
}

fn equality(cmp: CmpOp, lhs: &Expr, rhs: &Expr, record: &Value) -> Truth {
    let ExprKind::Path(p) = &lhs.kind else {
        return Truth::Unknown;
    };
    let ExprKind::Lit(lit) = &rhs.kind else {
        return Truth::Unknown;
    };
    let found = path::values(record, p);
    let wanted = match lit {
        Lit::Null => {
            let is_null = found.iter().all(|v| v.is_null());
            return Truth::from_bool(is_null == (cmp == CmpOp::Eq));
        }
        Lit::Str(s) => Value::String(s.value.clone()),
        Lit::Bool(b) => Value::Bool(*b),
        _ => return Truth::Unknown,
    };
    if found.is_empty() {
        return Truth::Unknown;
    }
    let any = found.iter().any(|v| **v == wanted);
    Truth::from_bool(any == (cmp == CmpOp::Eq))
}
