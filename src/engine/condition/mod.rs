//! `condition(OPERATOR, KEY, VALUES)`: an IAM policy condition over a
//! CloudTrail record, with IAM's meaning (`iam::condition` says which keys
//! a record carries and how operators read).
//!
//! A key the request did not have is decided as IAM decides it: a plain
//! operator does not match, a negated one matches, `...IfExists` matches,
//! `Null` asks it, `ForAllValues:` matches and `ForAnyValue:` does not.
//! Where the record cannot tell whether the request had the key (a field
//! CloudTrail may leave out, a key it never logs), the condition is
//! unknown and names what is missing.

use ipnet::IpNet;
use wildmatch::WildMatch;

use super::compile::FieldPath;
use super::eval::{resolve_one, Facts};
use super::exempt::resource_account;
use super::known::F;
use super::record::{At, Node};
use super::value::{Truth, Val};
use crate::iam::condition::{
    condition_key, date_millis, operator, Base, Key, KeyLookup, Operator, SetOp,
};

/// Why an organization id is unknown.
const NEEDS_ORG: &str = "the organization's id and accounts (--org)";
/// Why an account outside the organization leaves a condition unknown.
const OUTSIDE: &str =
    "another organization's id or path, or none (an account outside the organization)";
/// Why an organization path is unknown.
const NEEDS_PATHS: &str = "the organization's id, root, units and accounts (--org)";
/// Why the resource's account is unknown.
const NO_OWNER: &str = "the resource's account (not in the record)";

/// A compiled condition.
#[derive(Debug)]
pub struct Condition {
    op: Operator,
    /// The key, when CloudTrail carries it.
    key: Option<Key>,
    /// The fields the key is read from, resolved.
    fields: Vec<FieldPath>,
    /// What an unknown answer names: the key, and why.
    note: Box<str>,
    values: Vec<Policy>,
}

/// One value of the policy, ready to compare.
#[derive(Debug)]
enum Policy {
    Text(String),
    /// A `StringLike` pattern, and its text.
    Glob(WildMatch, String),
    /// An ARN pattern's six parts.
    Arn(Vec<WildMatch>),
    Net(Option<IpNet>),
    Number(Option<f64>),
    /// An instant, in epoch milliseconds.
    Date(Option<i64>),
}

impl Condition {
    /// The condition of `op` on `key` against `values` (a text or a list of
    /// texts, numbers or booleans); `field` resolves a dotted path (and
    /// adds it to what records are read for). `None`: not a condition the
    /// checker accepts.
    pub fn new(
        op: &str,
        key: &str,
        values: &Val<'_>,
        field: &dyn Fn(&str) -> FieldPath,
    ) -> Option<Condition> {
        let op = operator(op).ok()?;
        let texts: Vec<String> = match values {
            Val::List(items) => items.iter().filter_map(text).collect(),
            v => text(v).into_iter().collect(),
        };
        let (key_id, fields, note) = match condition_key(key) {
            KeyLookup::Logged(info) => (
                Some(info.key),
                info.fields.iter().map(|f| field(f)).collect(),
                info.name.to_string(),
            ),
            KeyLookup::Unlogged => (None, Vec::new(), format!("{key} (not in CloudTrail)")),
            KeyLookup::Unknown => (
                None,
                Vec::new(),
                format!("{key} (not read from CloudTrail)"),
            ),
        };
        // IAM puts the request's values in for `${aws:username}` and the
        // like; a preview that compared the text would answer wrongly.
        let (key_id, note) = if texts.iter().any(|t| t.contains("${")) {
            (None, format!("{key} (a policy variable in the values)"))
        } else {
            (key_id, note)
        };
        let values = texts.into_iter().map(|t| policy(op.base, t)).collect();
        Some(Condition {
            op,
            key: key_id,
            fields,
            note: note.into(),
            values,
        })
    }

    /// The fields the condition reads, for messages.
    pub fn fields(&self) -> &[FieldPath] {
        &self.fields
    }

    /// The condition's truth on `record`; what made it unknown goes to
    /// `missing`.
    pub fn truth<'r>(
        &'r self,
        record: At<'r>,
        facts: Option<Facts<'r>>,
        missing: &mut dyn FnMut(&'r str),
    ) -> Truth {
        let got = self.read(record, facts);
        let value = match got {
            Got::Unknown(why) => {
                missing(why);
                return Truth::Unknown;
            }
            Got::Absent => return Truth::from_bool(self.when_absent()),
            Got::Outside(ours) => {
                // Another organization's id, or none: decided when both
                // give one answer.
                let absent = self.when_absent();
                return match self.other_than(ours) {
                    Some(other) if other == absent => Truth::from_bool(absent),
                    _ => {
                        missing(OUTSIDE);
                        Truth::Unknown
                    }
                };
            }
            Got::Value(v) => v,
        };
        if self.op.base == Base::Null {
            // Present: `Null` is true for a `false` value.
            return Truth::from_bool(self.values.iter().any(|p| null_is(p) == Some(false)));
        }
        // Every key read has one value, for which `ForAllValues:` and
        // `ForAnyValue:` ask the same.
        Truth::from_bool(self.values.iter().any(|p| self.matches(p, value)) != self.op.negated)
    }

    /// The answer for another organization's id or path (`ours` is this
    /// organization's id): the operator's negation when every value of the
    /// policy can match only this organization's (its id, or a path under
    /// it), else not known.
    fn other_than(&self, ours: &str) -> Option<bool> {
        let under = format!("{ours}/");
        let only_ours = |p: &Policy| match (self.op.base, p) {
            (Base::StringEquals, Policy::Text(t)) => t == ours || t.starts_with(&under),
            (Base::StringEqualsIgnoreCase, Policy::Text(t)) => {
                t.eq_ignore_ascii_case(ours)
                    || t.to_ascii_lowercase()
                        .starts_with(&under.to_ascii_lowercase())
            }
            (Base::StringLike, Policy::Glob(_, t)) => t.starts_with(&under),
            _ => false,
        };
        (self.op.base != Base::Null && self.values.iter().all(only_ours)).then_some(self.op.negated)
    }

    /// IAM's answer for a key the request does not have.
    fn when_absent(&self) -> bool {
        if self.op.base == Base::Null {
            return self.values.iter().any(|p| null_is(p) == Some(true));
        }
        if self.op.if_exists {
            return true;
        }
        match self.op.set {
            Some(SetOp::All) => true,
            Some(SetOp::Any) => false,
            None => self.op.negated,
        }
    }

    fn matches(&self, p: &Policy, v: &str) -> bool {
        // IAM's `aws:EpochTime` is a number of seconds, whatever compares it.
        let seconds;
        let v = match self.key {
            Some(Key::EpochTime) => {
                seconds = date_millis(v).map(|ms| (ms.div_euclid(1000)).to_string());
                seconds.as_deref().unwrap_or(v)
            }
            _ => v,
        };
        // `aws:EpochTime` is read from `eventTime`: a number of seconds.
        let as_number = || match self.key {
            Some(Key::EpochTime) => date_millis(v).map(|ms| ms as f64 / 1000.0),
            _ => v.trim().parse::<f64>().ok(),
        };
        let number = |n: &Option<f64>, cmp: fn(f64, f64) -> bool| {
            n.zip(as_number()).is_some_and(|(p, v)| cmp(v, p))
        };
        let date = |d: &Option<i64>, cmp: fn(i64, i64) -> bool| {
            d.zip(date_millis(v)).is_some_and(|(p, v)| cmp(v, p))
        };
        match (self.op.base, p) {
            (Base::StringEquals, Policy::Text(t)) => v == t,
            (Base::StringEqualsIgnoreCase, Policy::Text(t)) => v.to_lowercase() == t.to_lowercase(),
            (Base::Bool, Policy::Text(t)) => v.eq_ignore_ascii_case(t),
            (Base::StringLike, Policy::Glob(g, _)) => g.matches(v),
            (Base::ArnLike, Policy::Arn(parts)) => {
                let got: Vec<&str> = v.splitn(6, ':').collect();
                match parts.as_slice() {
                    // Not an ARN pattern (`*`): matched as a whole.
                    [whole] => whole.matches(v),
                    _ => {
                        got.len() == 6
                            && parts.len() == 6
                            && parts.iter().zip(&got).all(|(p, g)| p.matches(g))
                    }
                }
            }
            (Base::IpAddress, Policy::Net(net)) => net
                .zip(v.parse::<std::net::IpAddr>().ok())
                .is_some_and(|(n, ip)| n.contains(&ip)),
            (Base::NumericEquals, Policy::Number(n)) => number(n, |v, p| v == p),
            (Base::NumericLessThan, Policy::Number(n)) => number(n, |v, p| v < p),
            (Base::NumericLessThanEquals, Policy::Number(n)) => number(n, |v, p| v <= p),
            (Base::NumericGreaterThan, Policy::Number(n)) => number(n, |v, p| v > p),
            (Base::NumericGreaterThanEquals, Policy::Number(n)) => number(n, |v, p| v >= p),
            (Base::DateEquals, Policy::Date(d)) => date(d, |v, p| v == p),
            (Base::DateLessThan, Policy::Date(d)) => date(d, |v, p| v < p),
            (Base::DateLessThanEquals, Policy::Date(d)) => date(d, |v, p| v <= p),
            (Base::DateGreaterThan, Policy::Date(d)) => date(d, |v, p| v > p),
            (Base::DateGreaterThanEquals, Policy::Date(d)) => date(d, |v, p| v >= p),
            _ => false,
        }
    }

    /// The key's values in `record`, as IAM's request context would hold
    /// them.
    fn read<'r>(&'r self, record: At<'r>, facts: Option<Facts<'r>>) -> Got<'r> {
        let Some(key) = self.key else {
            return Got::Unknown(&self.note);
        };
        let org_of = |account: &str, path: bool| -> Got<'r> {
            let org = facts.and_then(|f| f.org);
            let answer = org.and_then(|o| {
                let of = if path {
                    o.path_of(account)
                } else {
                    o.org_of(account)
                };
                Some((o.id.as_deref()?, of?))
            });
            match answer {
                Some((_, Ok(id))) => Got::Value(id),
                Some((ours, Err(()))) => Got::Outside(ours),
                None if path => Got::Unknown(NEEDS_PATHS),
                None => Got::Unknown(NEEDS_ORG),
            }
        };
        // IAM judges each resource of a call: a record naming resources of
        // several accounts has no one owner.
        let owner = || {
            let f = facts?;
            let mut accounts = f
                .known
                .get(record, F::Resources)
                .into_iter()
                .flat_map(|list| list.items())
                .filter_map(|r| r.get_name("accountId").and_then(At::as_str));
            let first = accounts.next();
            if accounts.any(|a| Some(a) != first) {
                return None;
            }
            resource_account(record, f.known)
        };
        let at = |i: usize| {
            self.fields
                .get(i)
                .and_then(|p| resolve_one(record, &p.segments))
                .filter(|a| !matches!(a.node(), Node::Null))
        };
        let s = |i: usize| at(i).and_then(At::as_str);
        let missing = |i: usize| Got::Unknown(self.fields.get(i).map_or(&*self.note, |p| &p.text));
        let one = |v: &'r str| Got::Value(v);
        let unsaid = Got::Unknown(&self.note);
        let of = |i: usize| s(i).map_or(missing(i), one);
        match key {
            Key::RequestedRegion | Key::UserAgent => of(0),
            Key::PrincipalArn => match s(0) {
                Some("IAMUser" | "Root" | "FederatedUser") => of(1),
                Some("AssumedRole") => of(2),
                Some("AWSService") => Got::Absent,
                Some(_) => unsaid,
                None => missing(0),
            },
            Key::PrincipalAccount => match (s(0), s(1)) {
                (Some("AWSService"), _) | (Some(_), Some("anonymous")) => Got::Absent,
                (Some(_), Some(account)) => one(account),
                (Some(_), None) => missing(1),
                (None, _) => missing(0),
            },
            Key::PrincipalType => match (s(0), s(1)) {
                (Some("Root"), _) => one("Account"),
                (Some("IAMUser"), _) => one("User"),
                (Some(t @ ("AssumedRole" | "FederatedUser")), _) => one(t),
                (Some("AWSAccount"), Some("anonymous")) => one("Anonymous"),
                (Some(_), _) => unsaid,
                (None, _) => missing(0),
            },
            Key::PrincipalIsAwsService => match s(0) {
                Some("AWSService") => one("true"),
                Some("IAMUser" | "Root" | "AssumedRole" | "FederatedUser" | "AWSAccount") => {
                    one("false")
                }
                Some(_) => unsaid,
                None => missing(0),
            },
            Key::PrincipalServiceName => match s(0) {
                Some("AWSService") => of(1),
                Some(_) => Got::Absent,
                None => missing(0),
            },
            Key::SourceIp => match (at(1), s(0)) {
                (Some(_), _) => Got::Absent,
                (None, Some(ip)) if is_public(ip) => one(ip),
                // A private address without the endpoint, or a service's
                // name: the record does not say.
                (None, Some(_)) => missing(1),
                (None, None) => missing(0),
            },
            Key::SourceVpce => match (s(0), s(1)) {
                (Some(vpce), _) => one(vpce),
                (None, Some(ip)) if is_public(ip) => Got::Absent,
                (None, _) => missing(0),
            },
            Key::SecureTransport => match at(0) {
                Some(_) => one("true"),
                None => missing(0),
            },
            Key::MultiFactorAuthPresent => match s(0) {
                Some(v) => one(v),
                None if s(1) == Some("IAMUser") && s(2).is_some_and(|k| k.starts_with("AKIA")) => {
                    Got::Absent
                }
                None => missing(0),
            },
            Key::UserId => match (s(0), s(2)) {
                (Some("AWSService"), _) => Got::Absent,
                (Some("AWSAccount"), Some("anonymous")) => one("anonymous"),
                (Some(_), _) => of(1),
                (None, _) => missing(0),
            },
            Key::Username => match s(0) {
                Some("IAMUser") => of(1),
                Some(_) => Got::Absent,
                None => missing(0),
            },
            Key::Ec2Region => match s(0) {
                Some("ec2.amazonaws.com") => of(1),
                Some(_) => Got::Absent,
                None => missing(0),
            },
            Key::Ec2MetadataHttpTokens => match s(0) {
                // A launch template's own setting is not logged.
                Some("RunInstances") => match (s(1), at(3)) {
                    (Some(v), _) => one(v),
                    (None, Some(_)) => missing(1),
                    (None, None) => Got::Absent,
                },
                Some("ModifyInstanceMetadataOptions") => s(2).map_or(Got::Absent, one),
                Some(_) => Got::Absent,
                None => missing(0),
            },
            Key::S3TlsVersion => match s(0) {
                Some("s3.amazonaws.com") => match s(1) {
                    Some(v) => one(v.strip_prefix("TLSv").unwrap_or(v)),
                    None => missing(1),
                },
                Some(_) => Got::Absent,
                None => missing(0),
            },
            Key::CurrentTime | Key::EpochTime => of(0),
            Key::PrincipalOrgId | Key::PrincipalOrgPaths => match (s(0), s(1)) {
                (Some("AWSService"), _) | (_, Some("anonymous" | "ANONYMOUS_PRINCIPAL")) => {
                    Got::Absent
                }
                (_, Some(account)) => org_of(account, key == Key::PrincipalOrgPaths),
                (_, None) => missing(1),
            },
            Key::ResourceOrgId | Key::ResourceOrgPaths => match owner() {
                Some(account) => org_of(account, key == Key::ResourceOrgPaths),
                None => Got::Unknown(NO_OWNER),
            },
            Key::ResourceAccount => match owner() {
                Some(account) => Got::Value(account),
                None => Got::Unknown(NO_OWNER),
            },
            // Only temporary credentials have an issue time.
            Key::TokenIssueTime => match (s(0), s(1), s(2)) {
                (Some(t), _, _) => one(t),
                (None, Some("AWSService"), _) => Got::Absent,
                (None, _, Some(k)) if k.starts_with("AKIA") => Got::Absent,
                (None, _, _) => missing(0),
            },
        }
    }
}

/// A key's values in a record.
enum Got<'r> {
    /// The request did not have the key.
    Absent,
    /// The record does not say: this field (or key) is missing.
    Unknown(&'r str),
    /// The key's one value.
    Value(&'r str),
    /// An organization id that is not this one (the organization's id),
    /// or none.
    Outside(&'r str),
}

fn text(v: &Val<'_>) -> Option<String> {
    match v {
        Val::Str(s) => Some(s.to_string()),
        Val::Bool(b) => Some(b.to_string()),
        Val::Num(n) => Some(n.to_string()),
        _ => None,
    }
}

fn policy(base: Base, t: String) -> Policy {
    match base {
        Base::StringLike => Policy::Glob(WildMatch::new(&t), t),
        Base::ArnLike => Policy::Arn(match t.splitn(6, ':').count() {
            6 => t.splitn(6, ':').map(WildMatch::new).collect(),
            _ => vec![WildMatch::new(&t)],
        }),
        Base::IpAddress => Policy::Net(
            t.parse::<IpNet>()
                .ok()
                .or_else(|| t.parse::<std::net::IpAddr>().ok().map(IpNet::from)),
        ),
        Base::NumericEquals
        | Base::NumericLessThan
        | Base::NumericLessThanEquals
        | Base::NumericGreaterThan
        | Base::NumericGreaterThanEquals => Policy::Number(t.trim().parse().ok()),
        Base::DateEquals
        | Base::DateLessThan
        | Base::DateLessThanEquals
        | Base::DateGreaterThan
        | Base::DateGreaterThanEquals => Policy::Date(date_millis(&t)),
        _ => Policy::Text(t),
    }
}

/// Whether `text` is an address reached over the internet (not private,
/// loopback or link-local): a call from it came through no VPC endpoint.
fn is_public(text: &str) -> bool {
    match text.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified())
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments().first().copied().unwrap_or(0);
            !(ip.is_loopback()
                || ip.is_unspecified()
                || first & 0xfe00 == 0xfc00
                || first & 0xffc0 == 0xfe80)
        }
        Err(_) => false,
    }
}

/// A `Null` value: `true` or `false`, in any case.
fn null_is(p: &Policy) -> Option<bool> {
    match p {
        Policy::Text(t) if t.eq_ignore_ascii_case("true") => Some(true),
        Policy::Text(t) if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
