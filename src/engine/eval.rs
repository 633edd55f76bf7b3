//! Evaluates compiled expressions over one record, in three-valued logic.
//!
//! A comparison with a missing field is unknown; `and`, `or`, `not` follow
//! Kleene; `exists` and `== null` are always definite. When a condition
//! ends unknown, [`Eval::missing`] names the fields whose absence made it so.

use std::borrow::Cow;

use super::compile::{CExpr, Func, PathSeg, Quant, TPart};
use super::record::At;
use super::value::{compare, equal, Truth, Val};
use crate::syntax::ast::{BinOp, CmpOp};

/// Bytes reserved for a rendered template.
const TEMPLATE_ROOM: usize = 128;

/// What conditions read beyond the record: the engine's named fields (the
/// resource's account) and the organization (`--org`). Without them, keys
/// that need them are unknown.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'r> {
    pub known: &'r super::known::Known,
    pub org: Option<&'r super::org::Organization>,
}

/// What a record's rules share: the values of its derived fields, each
/// computed the first time a rule of the record reads it, with the fields
/// it found missing (noted again at every read, so a rule's `missing` is
/// what it would be without); and the facts IAM conditions read beyond the
/// record.
pub struct Memo<'r> {
    cells: Vec<std::cell::OnceCell<(Val<'r>, Vec<&'r str>)>>,
    facts: Option<Facts<'r>>,
}

impl<'r> Memo<'r> {
    /// Room for `slots` derived fields ([`CExpr::Derived`]).
    pub fn new(slots: usize) -> Memo<'r> {
        Memo {
            cells: (0..slots).map(|_| std::cell::OnceCell::new()).collect(),
            facts: None,
        }
    }

    /// The same, with the facts conditions read.
    pub fn with_facts(self, facts: Facts<'r>) -> Memo<'r> {
        Memo {
            facts: Some(facts),
            ..self
        }
    }
}

/// The evaluation of rules over one record.
pub struct Eval<'r> {
    record: At<'r>,
    /// Derived fields already computed for this record, if shared.
    memo: Option<&'r Memo<'r>>,
    /// Fields whose absence made a condition unknown, in order, without
    /// repeats (borrowed from the rules: noting one allocates nothing).
    pub missing: Vec<&'r str>,
    quant: Quant,
    /// The elements bound by the `any(x in LIST: ...)` around, outermost first.
    bound: Vec<Val<'r>>,
    /// What IAM conditions read beyond the record.
    facts: Option<Facts<'r>>,
}

impl<'r> Eval<'r> {
    pub fn new(record: At<'r>) -> Eval<'r> {
        Eval {
            record,
            memo: None,
            missing: Vec::new(),
            quant: Quant::Any,
            bound: Vec::new(),
            facts: None,
        }
    }

    /// The same, with the facts IAM conditions read beyond the record.
    pub fn with_facts(self, facts: Facts<'r>) -> Eval<'r> {
        Eval {
            facts: Some(facts),
            ..self
        }
    }

    /// An evaluation that shares derived fields with the record's other
    /// rules through `memo`.
    pub fn with_memo(record: At<'r>, memo: &'r Memo<'r>) -> Eval<'r> {
        Eval {
            memo: Some(memo),
            facts: memo.facts,
            ..Eval::new(record)
        }
    }

    /// A derived field's value: from the memo when there is one (and no
    /// `all(...)` around changes how its conditions combine).
    fn derived(&mut self, slot: usize, expr: &'r CExpr) -> Val<'r> {
        let cell = match (self.memo.and_then(|m| m.cells.get(slot)), self.quant) {
            (Some(cell), Quant::Any) => cell,
            _ => return self.value(expr),
        };
        let (value, missing) = match cell.get() {
            Some(known) => known,
            None => {
                let outer = std::mem::take(&mut self.missing);
                let value = self.value(expr);
                let notes = std::mem::replace(&mut self.missing, outer);
                cell.get_or_init(|| (value, notes))
            }
        };
        for m in missing {
            self.note_missing(m);
        }
        value.borrowed()
    }

    /// The truth of a condition. Missing fields are remembered only when the
    /// answer is unknown.
    pub fn truth(&mut self, e: &'r CExpr) -> Truth {
        let mark = self.missing.len();
        let t = self.truth_inner(e);
        if t != Truth::Unknown {
            self.missing.truncate(mark);
        }
        t
    }

    fn truth_inner(&mut self, e: &'r CExpr) -> Truth {
        match e {
            CExpr::Not(inner) => self.truth(inner).negate(),
            CExpr::Condition(c) => {
                let record = self.record;
                let facts = self.facts;
                c.truth(record, facts, &mut |m| self.note_missing(m))
            }
            CExpr::And(a, b) => {
                let left = self.truth(a);
                if left == Truth::False {
                    return Truth::False;
                }
                left.and(self.truth(b))
            }
            CExpr::Or(a, b) => {
                let left = self.truth(a);
                if left == Truth::True {
                    return Truth::True;
                }
                left.or(self.truth(b))
            }
            CExpr::Exists { expr, negated } => {
                // `exists` asks whether the field is in the record, even as
                // `null`; `!= null` asks whether it has a value.
                let present = match expr.as_ref() {
                    CExpr::Field(p) => exists(self.record, &p.segments),
                    other => !matches!(self.value(other), Val::Missing),
                };
                Truth::from_bool(present != *negated)
            }
            CExpr::Quantified(q, inner) => {
                let saved = self.quant;
                self.quant = *q;
                let t = self.truth(inner);
                self.quant = saved;
                t
            }
            CExpr::Each {
                quant,
                list,
                flatten,
                body,
            } => {
                let items = match self.value(list) {
                    Val::List(items) => items,
                    // `a[*].b` with lists for `b`: their elements, together.
                    Val::Many(values) if *flatten => values
                        .into_iter()
                        .flat_map(|v| match v {
                            Val::List(inner) => inner,
                            other => vec![other],
                        })
                        .collect(),
                    Val::Many(values) => values,
                    Val::Missing => return Truth::Unknown,
                    // Not a list (null, text, an object): unknown, and
                    // said as a missing list.
                    _ => {
                        if let CExpr::Field(p) | CExpr::Bound { rest: p, .. } = list.as_ref() {
                            self.note_missing(&p.text);
                        }
                        return Truth::Unknown;
                    }
                };
                let saved = self.quant;
                self.quant = Quant::Any;
                let mut acc = match quant {
                    Quant::Any => Truth::False,
                    Quant::All => Truth::True,
                };
                for item in items {
                    self.bound.push(item);
                    let t = self.truth(body);
                    self.bound.pop();
                    acc = match quant {
                        Quant::Any => acc.or(t),
                        Quant::All => acc.and(t),
                    };
                    let decided = match quant {
                        Quant::Any => Truth::True,
                        Quant::All => Truth::False,
                    };
                    if acc == decided {
                        break;
                    }
                }
                self.quant = saved;
                acc
            }
            CExpr::Cmp(op, a, b) => {
                let (x, y) = (self.value(a), self.value(b));
                self.compare_values(*op, &x, &y)
            }
            CExpr::In {
                lhs,
                rhs,
                negated,
                set,
            } => {
                let x = self.value(lhs);
                let t = match (rhs.as_ref(), set) {
                    // A text in a hashed constant list: one lookup (every
                    // item is a text, so no item can make it unknown).
                    (CExpr::Const(list), Some(set)) => self.over(&x, &|v| match v {
                        Val::Str(s) => Truth::from_bool(set.contains(s.as_ref())),
                        other => member(other, list),
                    }),
                    (CExpr::Const(list), None) => self.over(&x, &|v| member(v, list)),
                    (rhs, _) => {
                        let y = self.value(rhs);
                        self.over(&x, &|v| member(v, &y))
                    }
                };
                if *negated {
                    t.negate()
                } else {
                    t
                }
            }
            CExpr::Matches(lhs, globs) => {
                let x = self.value(lhs);
                self.text_test(&x, &|s| globs.iter().any(|g| g.matches(s)))
            }
            CExpr::MatchesDynamic(lhs, rhs) => {
                let (x, y) = (self.value(lhs), self.value(rhs));
                if !matches!(y, Val::Str(_) | Val::List(_)) {
                    return Truth::Unknown;
                }
                let patterns = super::compile::globs(&y);
                self.text_test(&x, &|s| patterns.iter().any(|g| g.matches(s)))
            }
            CExpr::Regex(lhs, re) => {
                let x = self.value(lhs);
                self.text_test(&x, &|s| re.is_match(s))
            }
            CExpr::Contains(a, b) => {
                let (x, y) = (self.value(a), self.value(b));
                if y.is_missing() {
                    return Truth::Unknown;
                }
                match &x {
                    Val::Missing => Truth::Unknown,
                    Val::Str(s) => {
                        Truth::from_bool(y.as_str().is_some_and(|needle| s.contains(needle)))
                    }
                    Val::List(items) | Val::Many(items) => {
                        Truth::from_bool(items.iter().any(|i| equal(i, &y) == Some(true)))
                    }
                    _ => Truth::False,
                }
            }
            CExpr::StartsWith(a, b) | CExpr::EndsWith(a, b) => {
                let starts = matches!(e, CExpr::StartsWith(..));
                let (x, y) = (self.value(a), self.value(b));
                let Some(affix) = y.as_str() else {
                    return if y.is_missing() {
                        Truth::Unknown
                    } else {
                        Truth::False
                    };
                };
                self.text_test(&x, &|s| {
                    if starts {
                        s.starts_with(affix)
                    } else {
                        s.ends_with(affix)
                    }
                })
            }
            other => match self.value(other) {
                Val::Bool(b) => Truth::from_bool(b),
                Val::Many(items) => {
                    let truths: Vec<Truth> = items
                        .iter()
                        .map(|v| match v {
                            Val::Bool(b) => Truth::from_bool(*b),
                            _ => Truth::Unknown,
                        })
                        .collect();
                    combine(self.quant, truths)
                }
                _ => Truth::Unknown,
            },
        }
    }

    /// Applies a test on text: missing is unknown, a value that is not text
    /// is false, and a `[*]` value is tested element by element.
    fn text_test(&self, x: &Val<'_>, test: &dyn Fn(&str) -> bool) -> Truth {
        self.over(x, &|v| match v {
            Val::Missing => Truth::Unknown,
            Val::Str(s) => Truth::from_bool(test(s)),
            _ => Truth::False,
        })
    }

    /// Applies a test to a value; a `[*]` value is tested element by element
    /// and combined by the current quantifier.
    fn over(&self, x: &Val<'_>, test: &dyn Fn(&Val<'_>) -> Truth) -> Truth {
        match x {
            Val::Many(items) => combine(self.quant, items.iter().map(test).collect()),
            Val::List(items) if !items.is_empty() && self.quant == Quant::All => {
                combine(Quant::All, items.iter().map(test).collect())
            }
            Val::List(items) => {
                let whole = test(x);
                if whole == Truth::True {
                    return whole;
                }
                combine(Quant::Any, items.iter().map(test).collect()).or(whole)
            }
            single => test(single),
        }
    }

    fn compare_values(&self, op: CmpOp, x: &Val<'_>, y: &Val<'_>) -> Truth {
        // `== null` and `!= null` are definite: missing counts as null.
        if matches!(y, Val::Null) || matches!(x, Val::Null) {
            let other = if matches!(y, Val::Null) { x } else { y };
            let is_null = match other {
                Val::Missing | Val::Null => true,
                Val::Many(items) => {
                    items.is_empty() || items.iter().all(|v| matches!(v, Val::Null))
                }
                _ => false,
            };
            return match op {
                CmpOp::Eq => Truth::from_bool(is_null),
                CmpOp::Ne => Truth::from_bool(!is_null),
                _ => Truth::Unknown,
            };
        }
        if let Val::Many(items) = y {
            return combine(
                self.quant,
                items
                    .iter()
                    .map(|v| self.compare_values(op, x, v))
                    .collect(),
            );
        }
        self.over(x, &|v| match op {
            CmpOp::Eq | CmpOp::Ne => match equal(v, y) {
                None => Truth::Unknown,
                Some(eq) => Truth::from_bool(eq == (op == CmpOp::Eq)),
            },
            _ => {
                if v.is_missing() || y.is_missing() {
                    return Truth::Unknown;
                }
                match compare(v, y) {
                    None => Truth::False,
                    Some(ord) => Truth::from_bool(op.holds(ord)),
                }
            }
        })
    }

    /// The value of an expression.
    pub fn value(&mut self, e: &'r CExpr) -> Val<'r> {
        match e {
            CExpr::Const(v) => v.borrowed(),
            CExpr::Field(p) => self.field(self.record, &p.segments, &p.text),
            CExpr::Bound { up, rest } => {
                let element = self
                    .bound
                    .len()
                    .checked_sub(up + 1)
                    .and_then(|i| self.bound.get(i))
                    .cloned()
                    .unwrap_or(Val::Missing);
                self.element_field(element, &rest.segments, &rest.text)
            }
            CExpr::List(items) => Val::List(items.iter().map(|i| self.value(i)).collect()),
            CExpr::Template(parts) => {
                // Room for a title or a message at once: grown from empty,
                // a string is reallocated at every doubling.
                let mut out = String::with_capacity(TEMPLATE_ROOM);
                for part in parts {
                    match part {
                        TPart::Text(t) => out.push_str(t),
                        TPart::Value(v) => self.value(v).render_into(&mut out),
                    }
                }
                Val::Str(Cow::Owned(out))
            }
            CExpr::Arith(op, a, b) => arith(*op, self.value(a), self.value(b)),
            CExpr::Neg(a) => match self.value(a) {
                Val::Num(n) => Val::Num(-n),
                Val::Missing => Val::Missing,
                _ => Val::Null,
            },
            CExpr::Call(f, args) => {
                let vals: Vec<Val<'r>> = args.iter().map(|a| self.value(a)).collect();
                call(*f, vals)
            }
            CExpr::Derived { slot, expr } => self.derived(*slot, expr),
            condition => match self.truth(condition) {
                Truth::True => Val::Bool(true),
                Truth::False => Val::Bool(false),
                Truth::Unknown => Val::Missing,
            },
        }
    }

    /// The value of `rest` from a bound element: an object's fields, or a
    /// list's elements (`p[0]`, `p[*]`), then on as usual; nothing more:
    /// the element itself.
    fn element_field(&mut self, element: Val<'r>, rest: &[PathSeg], text: &'r str) -> Val<'r> {
        let Some((first, after)) = rest.split_first() else {
            return element;
        };
        match (element, first) {
            (Val::Object(json), _) => self.field(json, rest, text),
            (Val::List(items), PathSeg::Index(i)) => match items.into_iter().nth(*i) {
                Some(v) => self.element_field(v, after, text),
                None => {
                    self.note_missing(text);
                    Val::Missing
                }
            },
            (Val::List(items), PathSeg::Each) => {
                let values = items
                    .into_iter()
                    .map(|v| self.element_field(v, after, text))
                    .flat_map(|v| match v {
                        Val::Many(inner) => inner,
                        Val::Missing => Vec::new(),
                        other => vec![other],
                    })
                    .collect();
                Val::Many(values)
            }
            _ => {
                self.note_missing(text);
                Val::Missing
            }
        }
    }

    /// The value of path `segs` (written `text`) from `root` (the record
    /// or a bound element).
    fn field(&mut self, root: At<'r>, segs: &[PathSeg], text: &'r str) -> Val<'r> {
        let many = segs.iter().any(|s| matches!(s, PathSeg::Each));
        if !many {
            return match resolve_one(root, segs) {
                Some(v) => Val::from_node(v),
                None => {
                    self.note_missing(text);
                    Val::Missing
                }
            };
        }
        let found = resolve(root, segs);
        if found.is_empty() {
            if list_is_present(root, segs) {
                return Val::Many(Vec::new());
            }
            self.note_missing(text);
            return Val::Missing;
        }
        Val::Many(found.into_iter().map(Val::from_node).collect())
    }

    fn note_missing(&mut self, text: &'r str) {
        if !self.missing.contains(&text) {
            self.missing.push(text);
        }
    }
}

/// The first value a path reaches, in document order (for a path without
/// `[*]`, the one it reaches), found without collecting the others.
pub fn resolve_one<'r>(root: At<'r>, segs: &[PathSeg]) -> Option<At<'r>> {
    let mut v = root;
    for (i, seg) in segs.iter().enumerate() {
        v = match seg {
            PathSeg::Name(key) => v.get(key)?,
            PathSeg::Index(n) => v.item(*n)?,
            PathSeg::Each => {
                let rest = segs.get(i + 1..).unwrap_or(&[]);
                return v.items().find_map(|item| resolve_one(item, rest));
            }
        };
    }
    Some(v)
}

/// Whether a path reaches anything (even `null`).
fn exists(root: At<'_>, segs: &[PathSeg]) -> bool {
    resolve_one(root, segs).is_some()
}

/// Every value `segs` reaches from `record`.
pub fn resolve<'r>(record: At<'r>, segs: &[PathSeg]) -> Vec<At<'r>> {
    let mut current = vec![record];
    for seg in segs {
        let mut next = Vec::with_capacity(current.len());
        for v in current {
            match seg {
                PathSeg::Name(key) => next.extend(v.get(key)),
                PathSeg::Index(i) => next.extend(v.item(*i)),
                PathSeg::Each => next.extend(v.items()),
            }
        }
        if next.is_empty() {
            return next;
        }
        current = next;
    }
    current
}

/// Whether the list that a path's first `[*]` walks over is in the record:
/// then an empty result means "no elements", not "missing".
fn list_is_present(record: At<'_>, segs: &[PathSeg]) -> bool {
    let Some(first_each) = segs.iter().position(|s| matches!(s, PathSeg::Each)) else {
        return false;
    };
    let prefix = segs.get(..first_each).unwrap_or(&[]);
    resolve(record, prefix).iter().any(|v| v.is_list())
}

fn combine(q: Quant, truths: Vec<Truth>) -> Truth {
    match q {
        Quant::Any => truths.into_iter().fold(Truth::False, Truth::or),
        Quant::All => truths.into_iter().fold(Truth::True, Truth::and),
    }
}

/// `x in y`: list membership, or an address in a network (or any of a list).
fn member(x: &Val<'_>, y: &Val<'_>) -> Truth {
    if x.is_missing() || y.is_missing() {
        return Truth::Unknown;
    }
    match y {
        Val::Net(net) => Truth::from_bool(x.as_ip().is_some_and(|ip| net.contains(&ip))),
        Val::List(items) | Val::Many(items) => {
            let mut t = Truth::False;
            for item in items {
                t = t.or(match item {
                    Val::Net(net) => {
                        Truth::from_bool(x.as_ip().is_some_and(|ip| net.contains(&ip)))
                    }
                    other => match equal(x, other) {
                        None => Truth::Unknown,
                        Some(b) => Truth::from_bool(b),
                    },
                });
                if t == Truth::True {
                    break;
                }
            }
            t
        }
        _ => Truth::False,
    }
}

fn arith<'r>(op: BinOp, a: Val<'r>, b: Val<'r>) -> Val<'r> {
    match (a, b) {
        (Val::Missing, _) | (_, Val::Missing) => Val::Missing,
        (Val::Num(x), Val::Num(y)) => Val::Num(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            _ if y == 0.0 => return Val::Missing,
            _ => x / y,
        }),
        (Val::Str(x), Val::Str(y)) if op == BinOp::Add => Val::Str(Cow::Owned(format!("{x}{y}"))),
        (Val::Dur(x), Val::Dur(y)) => match op {
            BinOp::Add => Val::Dur(x.saturating_add(y)),
            BinOp::Sub => Val::Dur(x.saturating_sub(y)),
            _ => Val::Missing,
        },
        _ => Val::Missing,
    }
}

/// The service of an endpoint: `s3` of `s3.amazonaws.com`.
fn service_of(endpoint: &str) -> &str {
    match endpoint.strip_suffix(".amazonaws.com") {
        Some(_) => crate::iam::prefix_of(endpoint),
        None => endpoint,
    }
}

fn call<'r>(f: Func, args: Vec<Val<'r>>) -> Val<'r> {
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Val::Missing);
    let text = |v: &Val<'_>, g: &dyn Fn(&str) -> Val<'static>| -> Val<'static> {
        match v {
            Val::Str(s) => g(s),
            Val::Ip(ip) => g(&ip.to_string()),
            Val::Many(items) => Val::Many(
                items
                    .iter()
                    .map(|i| i.as_str().map(g).unwrap_or(Val::Null))
                    .collect(),
            ),
            Val::Missing => Val::Missing,
            _ => Val::Null,
        }
    };
    let arn_part = |n: usize| {
        move |s: &str| match s.split(':').nth(n) {
            Some(part) if s.starts_with("arn:") => Val::Str(Cow::Owned(part.to_string())),
            _ => Val::Missing,
        }
    };
    match f {
        Func::Lower => text(&first, &|s| Val::Str(Cow::Owned(s.to_lowercase()))),
        Func::Upper => text(&first, &|s| Val::Str(Cow::Owned(s.to_uppercase()))),
        // Borrowed from the record when its text is.
        Func::Service => match first {
            Val::Str(Cow::Borrowed(s)) => Val::Str(Cow::Borrowed(service_of(s))),
            other => text(&other, &|s| Val::Str(Cow::Owned(service_of(s).to_string()))),
        },
        Func::IamAction => match (&first, &args.next().unwrap_or(Val::Missing)) {
            (Val::Str(source), Val::Str(name)) => match &crate::iam::call(source, name).action {
                Cow::Borrowed(listed) => Val::Str(Cow::Borrowed(listed)),
                Cow::Owned(unlisted) => Val::Str(Cow::Owned(unlisted.clone())),
            },
            (Val::Missing, _) | (_, Val::Missing) => Val::Missing,
            _ => Val::Null,
        },
        Func::Account => text(&first, &arn_part(4)),
        Func::Region => text(&first, &arn_part(3)),
        Func::IsServiceLinked => text(&first, &|s| {
            Val::Bool(s.contains(":role/aws-service-role/"))
        }),
        Func::Len => match first {
            Val::Str(s) => Val::Num(s.chars().count() as f64),
            Val::List(items) | Val::Many(items) => Val::Num(items.len() as f64),
            Val::Missing => Val::Missing,
            _ => Val::Null,
        },
        Func::Split => {
            let sep = args.next().unwrap_or(Val::Missing);
            match (&first, sep.as_str()) {
                (Val::Str(s), Some(sep)) if !sep.is_empty() => Val::List(
                    s.split(sep)
                        .map(|p| Val::Str(Cow::Owned(p.to_string())))
                        .collect(),
                ),
                (Val::Missing, _) => Val::Missing,
                _ => Val::Null,
            }
        }
        Func::Max | Func::Min => {
            let mut best: Option<f64> = None;
            for v in std::iter::once(first).chain(args) {
                match v {
                    Val::Num(n) => {
                        best = Some(match best {
                            None => n,
                            Some(b) if f == Func::Max => b.max(n),
                            Some(b) => b.min(n),
                        })
                    }
                    Val::Missing => return Val::Missing,
                    _ => {}
                }
            }
            best.map(Val::Num).unwrap_or(Val::Null)
        }
    }
}
