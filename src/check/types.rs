//! The types of values in rules, and which of them may meet.
//!
//! Types are few and forgiving where records are: `open` fields and missing
//! values are `any` and meet everything; an `ip` field also compares as a
//! string, because CloudTrail puts service names in `sourceIPAddress`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Unknown shape: open fields, errors already reported.
    Any,
    Null,
    Bool,
    Number,
    String,
    Time,
    Ip,
    Cidr,
    Duration,
    Object,
    List(Box<Ty>),
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => write!(f, "open"),
            Ty::Null => write!(f, "null"),
            Ty::Bool => write!(f, "bool"),
            Ty::Number => write!(f, "number"),
            Ty::String => write!(f, "string"),
            Ty::Time => write!(f, "time"),
            Ty::Ip => write!(f, "ip"),
            Ty::Cidr => write!(f, "cidr"),
            Ty::Duration => write!(f, "duration"),
            Ty::Object => write!(f, "object"),
            Ty::List(t) => write!(f, "list<{t}>"),
        }
    }
}

impl Ty {
    /// The element type of a list, or the type itself.
    pub fn element(&self) -> &Ty {
        match self {
            Ty::List(t) => t.element(),
            other => other,
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Ty::Any)
    }

    /// Whether values of the two types can be compared with `==`.
    /// Lists compare as "any element".
    pub fn comparable(&self, other: &Ty) -> bool {
        let (a, b) = (self.element(), other.element());
        if a.is_any() || b.is_any() || *a == Ty::Null || *b == Ty::Null {
            return true;
        }
        a.family() == b.family()
    }

    /// Whether `<`, `<=`, `>`, `>=` apply.
    pub fn ordered(&self) -> bool {
        matches!(
            self.element(),
            Ty::Any | Ty::Number | Ty::String | Ty::Time | Ty::Duration | Ty::Ip
        )
    }

    /// Whether the type holds text (strings, times, addresses).
    pub fn is_textual(&self) -> bool {
        matches!(self.element(), Ty::Any | Ty::String | Ty::Time | Ty::Ip)
    }

    fn family(&self) -> u8 {
        match self {
            Ty::String | Ty::Time | Ty::Ip => 1,
            Ty::Number => 2,
            Ty::Bool => 3,
            Ty::Duration => 4,
            Ty::Cidr => 5,
            Ty::Object => 6,
            Ty::List(_) => 7,
            Ty::Any | Ty::Null => 0,
        }
    }

    /// Parses a type name used in `field` and `derive` clauses.
    pub fn from_name(name: &str) -> Option<Ty> {
        Some(match name {
            "string" => Ty::String,
            "number" => Ty::Number,
            "bool" => Ty::Bool,
            "time" => Ty::Time,
            "ip" => Ty::Ip,
            "object" => Ty::Object,
            "open" => Ty::Any,
            "duration" => Ty::Duration,
            _ => return None,
        })
    }
}

/// The names accepted by [`Ty::from_name`], plus `list`.
pub const TYPE_NAMES: &[&str] = &[
    "string", "number", "bool", "time", "ip", "object", "open", "duration", "list",
];
