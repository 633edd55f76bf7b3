//! Values seen while evaluating a rule over a record, and the Kleene truth
//! values conditions produce.
//!
//! A value borrows from the record where it can. `Missing` is a path that is
//! not in the record: comparisons with it are unknown, never false.

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use super::record::{At, Node};

/// Kleene truth values: conditions over records with missing fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    pub fn from_bool(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        }
    }
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'r> {
    /// The path is not in the record.
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'r, str>),
    /// Milliseconds.
    Dur(u64),
    Ip(IpAddr),
    Net(IpNet),
    /// A list: a literal, a function result, or a JSON array field.
    List(Vec<Val<'r>>),
    /// The values a `[*]` path yields; compared element by element.
    Many(Vec<Val<'r>>),
    /// A JSON object from the record, compared as a whole.
    Object(At<'r>),
}

impl<'r> Val<'r> {
    /// A value of the record.
    pub fn from_node(v: At<'r>) -> Val<'r> {
        match v.node() {
            Node::Null => Val::Null,
            Node::Bool(b) => Val::Bool(*b),
            Node::Num(n) => Val::Num(n.as_f64()),
            Node::Str(s) => Val::Str(Cow::Borrowed(s)),
            Node::List { .. } => Val::List(v.items().map(Val::from_node).collect()),
            Node::Object { .. } => Val::Object(v),
        }
    }

    /// The same value, borrowing its text from `self` (constants are read
    /// this way, never cloned).
    pub fn borrowed(&self) -> Val<'_> {
        match self {
            Val::Missing => Val::Missing,
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(*b),
            Val::Num(n) => Val::Num(*n),
            Val::Str(s) => Val::Str(Cow::Borrowed(s)),
            Val::Dur(d) => Val::Dur(*d),
            Val::Ip(ip) => Val::Ip(*ip),
            Val::Net(n) => Val::Net(*n),
            Val::List(items) => Val::List(items.iter().map(Val::borrowed).collect()),
            Val::Many(items) => Val::Many(items.iter().map(Val::borrowed).collect()),
            Val::Object(v) => Val::Object(*v),
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Val::Missing)
    }

    /// The value as text, for templates and output.
    pub fn render(&self) -> String {
        match self {
            Val::Missing => "?".to_string(),
            Val::Null => "null".to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => format_number(*n),
            Val::Str(s) => s.to_string(),
            Val::Dur(ms) => format_duration(*ms),
            Val::Ip(ip) => ip.to_string(),
            Val::Net(net) => net.to_string(),
            Val::List(items) | Val::Many(items) => {
                let parts: Vec<String> = items.iter().map(Val::render).collect();
                format!("[{}]", parts.join(", "))
            }
            Val::Object(v) => v.to_json().to_string(),
        }
    }

    /// [`Val::render`], keeping a string it owns instead of copying it.
    pub fn into_rendered(self) -> String {
        match self {
            Val::Str(s) => s.into_owned(),
            other => other.render(),
        }
    }

    /// [`Val::render`] as shared text (a string: one allocation).
    pub fn render_shared(&self) -> std::sync::Arc<str> {
        match self {
            Val::Str(s) => std::sync::Arc::from(&**s),
            other => std::sync::Arc::from(other.render()),
        }
    }

    /// [`Val::render`], appended to `out`.
    pub fn render_into(&self, out: &mut String) {
        match self {
            Val::Str(s) => out.push_str(s),
            other => out.push_str(&other.render()),
        }
    }

    /// The value as JSON, for output.
    pub fn to_json(&self) -> Value {
        match self {
            Val::Missing | Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Dur(_) | Val::Ip(_) | Val::Net(_) => Value::String(self.render()),
            Val::List(items) | Val::Many(items) => {
                Value::Array(items.iter().map(Val::to_json).collect())
            }
            Val::Object(v) => v.to_json(),
        }
    }

    /// The value as an IP address, when it is one or a string that is one.
    pub fn as_ip(&self) -> Option<IpAddr> {
        match self {
            Val::Ip(ip) => Some(ip.to_canonical()),
            Val::Str(s) => s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Detaches the value from the record.
    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Missing => Val::Missing,
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Dur(d) => Val::Dur(d),
            Val::Ip(ip) => Val::Ip(ip),
            Val::Net(n) => Val::Net(n),
            Val::List(items) => Val::List(items.into_iter().map(Val::into_owned).collect()),
            Val::Many(items) => Val::Many(items.into_iter().map(Val::into_owned).collect()),
            Val::Object(v) => Val::Str(Cow::Owned(v.to_json().to_string())),
        }
    }
}

/// Numbers print without a trailing `.0` when they are whole.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub fn format_duration(ms: u64) -> String {
    const UNITS: &[(u64, &str)] = &[
        (604_800_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (size, unit) in UNITS {
        if ms >= *size && ms.is_multiple_of(*size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// Equality of two present values: `None` when either is missing.
pub fn equal(a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Val::Missing, _) | (_, Val::Missing) => return None,
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Dur(x), Val::Dur(y)) => x == y,
        (Val::Ip(x), other) | (other, Val::Ip(x)) => other.as_ip() == Some(*x),
        (Val::Net(x), Val::Net(y)) => x == y,
        (Val::List(x), Val::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q) == Some(true))
        }
        (Val::Object(x), Val::Object(y)) => x.to_json() == y.to_json(),
        _ => false,
    })
}

/// Ordering of two present values of one kind; `None` when missing or of
/// different kinds.
pub fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Dur(x), Val::Dur(y)) => Some(x.cmp(y)),
        (Val::Ip(_), _) | (_, Val::Ip(_)) => Some(a.as_ip()?.cmp(&b.as_ip()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_tables() {
        use Truth::*;
        assert_eq!(Unknown.and(False), False);
        assert_eq!(Unknown.and(True), Unknown);
        assert_eq!(Unknown.or(True), True);
        assert_eq!(Unknown.or(False), Unknown);
        assert_eq!(Unknown.negate(), Unknown);
    }

    #[test]
    fn ips_compare_with_strings() {
        let ip = Val::Ip("10.0.0.1".parse().unwrap());
        assert_eq!(equal(&ip, &Val::Str("10.0.0.1".into())), Some(true));
        assert_eq!(equal(&ip, &Val::Str("AWS Internal".into())), Some(false));
        assert_eq!(equal(&ip, &Val::Missing), None);
    }

    #[test]
    fn durations_print_in_their_largest_unit() {
        assert_eq!(format_duration(86_400_000), "1d");
        assert_eq!(format_duration(90_000), "90s");
        assert_eq!(format_duration(1_500), "1500ms");
    }
}
