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
use super::eval::resolve_one;
use super::record::{At, Node};
use super::value::{Truth, Val};
use crate::iam::condition::{condition_key, operator, Base, Key, KeyLookup, Operator, SetOp};

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
    Glob(WildMatch),
    /// An ARN pattern's six parts.
    Arn(Vec<WildMatch>),
    Net(Option<IpNet>),
    Number(Option<f64>),
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
    pub fn truth<'r>(&'r self, record: At<'r>, missing: &mut dyn FnMut(&'r str)) -> Truth {
        let got = self.read(record);
        let value = match got {
            Got::Unknown(why) => {
                missing(why);
                return Truth::Unknown;
            }
            Got::Absent => return Truth::from_bool(self.when_absent()),
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
        let number = |n: &Option<f64>, cmp: fn(f64, f64) -> bool| {
            n.zip(v.trim().parse::<f64>().ok())
                .is_some_and(|(p, v)| cmp(v, p))
        };
        match (self.op.base, p) {
            (Base::StringEquals, Policy::Text(t)) => v == t,
            (Base::StringEqualsIgnoreCase, Policy::Text(t)) => v.to_lowercase() == t.to_lowercase(),
            (Base::Bool, Policy::Text(t)) => v.eq_ignore_ascii_case(t),
            (Base::StringLike, Policy::Glob(g)) => g.matches(v),
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
            _ => false,
        }
    }

    /// The key's values in `record`, as IAM's request context would hold
    /// them.
    fn read<'r>(&'r self, record: At<'r>) -> Got<'r> {
        let Some(key) = self.key else {
            return Got::Unknown(&self.note);
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
        Base::StringLike => Policy::Glob(WildMatch::new(&t)),
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
mod tests {
    use super::*;
    use crate::engine::compile::dotted_path;
    use crate::engine::record::{Doc, Names};
    use serde_json::json;

    /// The truth of `op` on `key` against `values` over `record`, and what
    /// an unknown names.
    fn decide(
        op: &str,
        key: &str,
        values: serde_json::Value,
        record: serde_json::Value,
    ) -> (Truth, Vec<String>) {
        let names = Names::default();
        let values = match values {
            serde_json::Value::Array(items) => Val::List(
                items
                    .iter()
                    .map(|i| Val::Str(i.as_str().unwrap_or_default().to_string().into()))
                    .collect(),
            ),
            serde_json::Value::Bool(b) => Val::Bool(b),
            v => Val::Str(v.as_str().unwrap_or_default().to_string().into()),
        };
        let c = Condition::new(op, key, &values, &|d| dotted_path(d, &names)).unwrap();
        let doc = Doc::from_value(&record, None);
        let mut missing = Vec::new();
        let t = c.truth(doc.root(), &mut |m| missing.push(m.to_string()));
        (t, missing)
    }

    fn role_session() -> serde_json::Value {
        json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "awsRegion": "eu-west-1",
            "sourceIPAddress": "203.0.113.7",
            "userIdentity": {
                "type": "AssumedRole", "accountId": "111122223333",
                "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                "sessionContext": {
                    "sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin"},
                    "attributes": {"mfaAuthenticated": "false"}
                }
            },
            "requestParameters": {"metadataOptions": {"httpTokens": "required"}}
        })
    }

    #[test]
    fn present_keys_compare_as_iam_compares() {
        let r = role_session;
        let t = |op, key, v| decide(op, key, v, r()).0;
        assert_eq!(
            t("StringEquals", "aws:RequestedRegion", json!(["eu-west-1"])),
            Truth::True
        );
        assert_eq!(
            t(
                "StringNotEquals",
                "aws:RequestedRegion",
                json!(["eu-west-1", "us-east-1"])
            ),
            Truth::False
        );
        assert_eq!(
            t("StringEquals", "AWS:requestedregion", json!("EU-WEST-1")),
            Truth::False
        );
        assert_eq!(
            t(
                "StringEqualsIgnoreCase",
                "aws:RequestedRegion",
                json!("EU-WEST-1")
            ),
            Truth::True
        );
        // A role session's principal is the role, matched part by part.
        assert_eq!(
            t(
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:role/Adm?n")
            ),
            Truth::True
        );
        assert_eq!(
            t(
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:role/*/alice")
            ),
            Truth::False
        );
        assert_eq!(
            t("ArnNotLike", "aws:PrincipalArn", json!("arn:aws:sts::*")),
            Truth::True
        );
        assert_eq!(
            t("StringEquals", "aws:PrincipalType", json!("AssumedRole")),
            Truth::True
        );
        assert_eq!(
            t("Bool", "aws:PrincipalIsAWSService", json!(false)),
            Truth::True
        );
        assert_eq!(
            t("Bool", "aws:MultiFactorAuthPresent", json!("true")),
            Truth::False
        );
        assert_eq!(
            t("IpAddress", "aws:SourceIp", json!(["203.0.113.0/24"])),
            Truth::True
        );
        assert_eq!(
            t(
                "NotIpAddress",
                "aws:SourceIp",
                json!(["10.0.0.0/8", "203.0.113.7"])
            ),
            Truth::False
        );
        assert_eq!(
            t(
                "StringNotEquals",
                "ec2:MetadataHttpTokens",
                json!("required")
            ),
            Truth::False
        );
        assert_eq!(
            t("Null", "ec2:MetadataHttpTokens", json!("false")),
            Truth::True
        );
    }

    #[test]
    fn absent_keys_decide_as_iam_decides() {
        // A service's call: no principal ARN, no source address.
        let service = json!({
            "eventSource": "s3.amazonaws.com", "eventName": "GetBucketAcl", "awsRegion": "us-east-1",
            "sourceIPAddress": "config.amazonaws.com",
            "userIdentity": {"type": "AWSService", "invokedBy": "config.amazonaws.com"}
        });
        let t = |op, key, v| decide(op, key, v, service.clone()).0;
        assert_eq!(t("ArnLike", "aws:PrincipalArn", json!("*")), Truth::False);
        assert_eq!(t("ArnNotLike", "aws:PrincipalArn", json!("*")), Truth::True);
        assert_eq!(
            t("ArnLikeIfExists", "aws:PrincipalArn", json!("nothing")),
            Truth::True
        );
        assert_eq!(t("Null", "aws:PrincipalArn", json!("true")), Truth::True);
        assert_eq!(
            t("ForAllValues:StringEquals", "aws:PrincipalArn", json!("x")),
            Truth::True
        );
        assert_eq!(
            t(
                "ForAnyValue:StringNotEquals",
                "aws:PrincipalArn",
                json!("x")
            ),
            Truth::False
        );
        // A service calling: its address is not logged.
        assert_eq!(
            t("IpAddress", "aws:SourceIp", json!("0.0.0.0/0")),
            Truth::Unknown
        );
        assert_eq!(
            t(
                "StringEquals",
                "aws:PrincipalServiceName",
                json!("config.amazonaws.com")
            ),
            Truth::True
        );
        // Not an EC2 call: no EC2 keys.
        assert_eq!(
            t(
                "StringNotEquals",
                "ec2:MetadataHttpTokens",
                json!("required")
            ),
            Truth::True
        );
        // A launch that does not set the tokens: absent, so denied by the
        // IMDSv2 SCP's `StringNotEquals`.
        let mut launch = role_session();
        launch["requestParameters"] = json!({});
        assert_eq!(
            decide(
                "StringNotEquals",
                "ec2:MetadataHttpTokens",
                json!("required"),
                launch
            )
            .0,
            Truth::True
        );
        // A long-term key has no MFA key at all.
        let user = json!({"userIdentity": {"type": "IAMUser", "accessKeyId": "AKIAEXAMPLE", "arn": "arn:aws:iam::1:user/bob"}});
        assert_eq!(
            decide(
                "BoolIfExists",
                "aws:MultiFactorAuthPresent",
                json!("false"),
                user
            )
            .0,
            Truth::True
        );
    }

    #[test]
    fn addresses_endpoints_templates_and_variables_are_unknown_where_unsaid() {
        let via = |ip: &str, vpce: Option<&str>| {
            let mut r = role_session();
            r["sourceIPAddress"] = json!(ip);
            if let Some(v) = vpce {
                r["vpcEndpointId"] = json!(v);
            }
            r
        };
        let d = |op, key, v, r| decide(op, key, v, r).0;
        // Through an endpoint: no source address, the endpoint's id.
        assert_eq!(
            d(
                "IpAddressIfExists",
                "aws:SourceIp",
                json!("10.0.0.0/8"),
                via("10.1.2.3", Some("vpce-1"))
            ),
            Truth::True
        );
        assert_eq!(
            d(
                "StringEquals",
                "aws:SourceVpce",
                json!("vpce-1"),
                via("10.1.2.3", Some("vpce-1"))
            ),
            Truth::True
        );
        // A private address without the endpoint: not every service logs it.
        assert_eq!(
            d(
                "IpAddress",
                "aws:SourceIp",
                json!("10.0.0.0/8"),
                via("10.1.2.3", None)
            ),
            Truth::Unknown
        );
        assert_eq!(
            d(
                "StringNotEquals",
                "aws:SourceVpce",
                json!("vpce-1"),
                via("10.1.2.3", None)
            ),
            Truth::Unknown
        );
        // From the internet: no endpoint at all.
        assert_eq!(
            d(
                "StringNotEquals",
                "aws:SourceVpce",
                json!("vpce-1"),
                via("203.0.113.7", None)
            ),
            Truth::True
        );
        assert_eq!(
            d(
                "IpAddress",
                "aws:SourceIp",
                json!("2001:db8::/32"),
                via("2001:db8::1", None)
            ),
            Truth::True
        );
        // A launch from a template that the request does not override.
        let mut launch = role_session();
        launch["requestParameters"] = json!({"launchTemplate": {"launchTemplateId": "lt-1"}});
        assert_eq!(
            d(
                "StringNotEquals",
                "ec2:MetadataHttpTokens",
                json!("required"),
                launch
            ),
            Truth::Unknown
        );
        // A policy variable is not substituted: unknown, never compared as text.
        let (t, missing) = decide(
            "StringNotEquals",
            "aws:PrincipalAccount",
            json!("${aws:ResourceAccount}"),
            role_session(),
        );
        assert_eq!(t, Truth::Unknown);
        assert!(missing[0].contains("policy variable"), "{missing:?}");
        // A pattern that is not an ARN's six parts is matched whole.
        assert_eq!(
            d("ArnLike", "aws:PrincipalArn", json!("*"), role_session()),
            Truth::True
        );
        let anonymous = json!({"userIdentity": {"type": "AWSAccount", "accountId": "anonymous", "principalId": ""}});
        assert_eq!(
            d("StringEquals", "aws:userid", json!("anonymous"), anonymous),
            Truth::True
        );
    }

    #[test]
    fn what_the_record_does_not_say_is_unknown_and_named() {
        let (t, missing) = decide(
            "StringNotEquals",
            "aws:PrincipalOrgID",
            json!("o-1"),
            role_session(),
        );
        assert_eq!(
            (t, missing),
            (
                Truth::Unknown,
                vec!["aws:PrincipalOrgID (not in CloudTrail)".to_string()]
            )
        );
        let (t, missing) = decide(
            "Bool",
            "aws:SecureTransport",
            json!("false"),
            role_session(),
        );
        assert_eq!(
            (t, missing),
            (Truth::Unknown, vec!["tlsDetails.tlsVersion".to_string()])
        );
        let (t, _) = decide("StringEquals", "kms:ViaService", json!("x"), role_session());
        assert_eq!(t, Truth::Unknown);
        // A caller CloudTrail names only by its account: no ARN to read.
        let account = json!({"userIdentity": {"type": "AWSAccount", "accountId": "444455556666"}});
        let (t, missing) = decide("ArnLike", "aws:PrincipalArn", json!("*"), account);
        assert_eq!(
            (t, missing),
            (Truth::Unknown, vec!["aws:PrincipalArn".to_string()])
        );
        let tls =
            json!({"eventSource": "s3.amazonaws.com", "tlsDetails": {"tlsVersion": "TLSv1.2"}});
        assert_eq!(
            decide(
                "NumericLessThan",
                "s3:TlsVersion",
                json!("1.2"),
                tls.clone()
            )
            .0,
            Truth::False
        );
        assert_eq!(
            decide("NumericLessThan", "s3:TlsVersion", json!("1.3"), tls).0,
            Truth::True
        );
    }
}
