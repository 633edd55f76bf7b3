//! `condition(...)` decided over records: IAM's answers for present,
//! absent and unknown keys, operator by operator.

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
    decide_in(None, op, key, values, record)
}

/// [`decide`] in an organization (`--org`).
fn decide_in(
    org: Option<&crate::engine::org::Organization>,
    op: &str,
    key: &str,
    values: serde_json::Value,
    record: serde_json::Value,
) -> (Truth, Vec<String>) {
    let names = Names::default();
    let known = crate::engine::known::Known::new(&names);
    let facts = Facts { known: &known, org };
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
    let t = c.truth(doc.root(), Some(facts), &mut |m| {
        missing.push(m.to_string())
    });
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
        "aws:SourceAccount",
        json!("111122223333"),
        role_session(),
    );
    assert_eq!(
        (t, missing),
        (
            Truth::Unknown,
            vec!["aws:SourceAccount (not in CloudTrail)".to_string()]
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
    let tls = json!({"eventSource": "s3.amazonaws.com", "tlsDetails": {"tlsVersion": "TLSv1.2"}});
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

#[test]
fn dates_compare_as_instants_in_any_form_iam_reads() {
    let at = |time: &str| {
        let mut r = role_session();
        r["eventTime"] = json!(time);
        r
    };
    let t = |op, key, v: serde_json::Value, time| decide(op, key, v, at(time)).0;
    let noon = "2026-03-01T12:00:00Z";
    assert_eq!(
        t(
            "DateGreaterThan",
            "aws:CurrentTime",
            json!("2026-03-01T11:59:59Z"),
            noon
        ),
        Truth::True
    );
    assert_eq!(
        t(
            "DateGreaterThan",
            "aws:CurrentTime",
            json!("2026-03-01T12:00:00Z"),
            noon
        ),
        Truth::False
    );
    assert_eq!(
        t(
            "DateGreaterThanEquals",
            "aws:CurrentTime",
            json!("2026-03-01T12:00:00Z"),
            noon
        ),
        Truth::True
    );
    assert_eq!(
        t("DateLessThan", "aws:CurrentTime", json!("2026-03-02"), noon),
        Truth::True
    );
    assert_eq!(
        t("DateLessThan", "aws:CurrentTime", json!("2026-03-01"), noon),
        Truth::False
    );
    assert_eq!(
        t(
            "DateEquals",
            "aws:CurrentTime",
            json!("2026-03-01T13:00:00+01:00"),
            noon
        ),
        Truth::True
    );
    assert_eq!(
        t(
            "DateNotEquals",
            "aws:CurrentTime",
            json!("1772366400"),
            noon
        ),
        Truth::False
    );
    assert_eq!(
        t(
            "DateLessThanEquals",
            "aws:CurrentTime",
            json!("2026-03-01T12:00Z"),
            noon
        ),
        Truth::True
    );
    // `aws:EpochTime` is seconds for the numeric operators too.
    assert_eq!(
        t(
            "NumericGreaterThan",
            "aws:EpochTime",
            json!("1772366399"),
            noon
        ),
        Truth::True
    );
    assert_eq!(
        t(
            "NumericLessThan",
            "aws:EpochTime",
            json!("1772366400"),
            noon
        ),
        Truth::False
    );
    assert_eq!(
        t(
            "DateLessThan",
            "aws:EpochTime",
            json!("2026-03-01T12:00:01Z"),
            noon
        ),
        Truth::True
    );
    // A value that is no date matches nothing; a negated operator matches.
    assert_eq!(
        t("DateGreaterThan", "aws:CurrentTime", json!("soon"), noon),
        Truth::False
    );
    assert_eq!(
        t("DateNotEquals", "aws:CurrentTime", json!("soon"), noon),
        Truth::True
    );
    // No `eventTime`: unknown, naming it.
    let mut r = role_session();
    r.as_object_mut().unwrap().remove("eventTime");
    assert_eq!(
        decide("DateLessThan", "aws:CurrentTime", json!("2026-01-01"), r),
        (Truth::Unknown, vec!["eventTime".to_string()])
    );
}

#[test]
fn a_token_issue_time_is_that_of_temporary_credentials() {
    let issued = |attrs: serde_json::Value, key_id: &str| {
        let mut r = role_session();
        r["userIdentity"]["sessionContext"]["attributes"] = attrs;
        r["userIdentity"]["accessKeyId"] = json!(key_id);
        decide("DateLessThan", "aws:TokenIssueTime", json!("2026-01-01"), r)
    };
    let session = json!({"creationDate": "2025-12-31T23:00:00Z", "mfaAuthenticated": "false"});
    assert_eq!(issued(session, "ASIAEXAMPLE").0, Truth::True);
    // A long-term key has no issue time: a plain operator does not match.
    assert_eq!(issued(json!({}), "AKIAEXAMPLE").0, Truth::False);
    assert_eq!(issued(json!({}), "ASIAEXAMPLE").0, Truth::Unknown);
}

#[test]
fn organization_ids_are_known_from_the_organization_given() {
    use crate::engine::org::Organization;
    let org = Organization::from_json(
        r#"{"id": "o-a1b2c3d4e5", "management_account": "999999999999", "accounts": ["111122223333"]}"#,
    )
    .unwrap();
    let ours = role_session;
    let theirs = || {
        let mut r = role_session();
        r["userIdentity"]["accountId"] = json!("444455556666");
        r
    };
    let t = |op, v: serde_json::Value, r| decide_in(Some(&org), op, "aws:PrincipalOrgID", v, r).0;
    assert_eq!(
        t("StringEquals", json!("o-a1b2c3d4e5"), ours()),
        Truth::True
    );
    assert_eq!(
        t("StringNotEquals", json!("o-a1b2c3d4e5"), ours()),
        Truth::False
    );
    // Another account: another organization's id or none, which the
    // policy's own id never matches.
    assert_eq!(
        t("StringNotEqualsIfExists", json!("o-a1b2c3d4e5"), theirs()),
        Truth::True
    );
    assert_eq!(
        t("StringEquals", json!("o-a1b2c3d4e5"), theirs()),
        Truth::False
    );
    // A pattern, another id, or `Null` could go either way.
    assert_eq!(t("StringLike", json!("o-*"), theirs()), Truth::Unknown);
    assert_eq!(
        t(
            "StringNotEquals",
            json!(["o-a1b2c3d4e5", "o-zzzzzzzzzz"]),
            theirs()
        ),
        Truth::Unknown
    );
    assert_eq!(t("Null", json!("true"), theirs()), Truth::Unknown);
    // Without `--org`: unknown, saying what would tell.
    assert_eq!(
        decide(
            "StringEquals",
            "aws:PrincipalOrgID",
            json!("o-a1b2c3d4e5"),
            ours()
        ),
        (
            Truth::Unknown,
            vec!["the organization's id and accounts (--org)".to_string()]
        )
    );
    // The resource's account: from `resources`, else the receiving account.
    let mut on = role_session();
    on["resources"] = json!([{"ARN": "arn:aws:s3:::b", "accountId": "444455556666"}]);
    let r = |op, key, v: serde_json::Value, rec| decide_in(Some(&org), op, key, v, rec).0;
    assert_eq!(
        r(
            "StringEquals",
            "aws:ResourceAccount",
            json!("444455556666"),
            on.clone()
        ),
        Truth::True
    );
    assert_eq!(
        r(
            "StringNotEqualsIfExists",
            "aws:ResourceOrgID",
            json!("o-a1b2c3d4e5"),
            on
        ),
        Truth::True
    );
    let mut own = role_session();
    own["recipientAccountId"] = json!("111122223333");
    assert_eq!(
        r(
            "StringEquals",
            "aws:ResourceOrgID",
            json!("o-a1b2c3d4e5"),
            own
        ),
        Truth::True
    );
}

#[test]
fn organization_paths_are_known_from_its_units() {
    use crate::engine::org::Organization;
    let org = Organization::from_json(
        r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "management_account": "999999999999",
            "accounts": ["111122223333"],
            "ous": [{"id": "ou-ab12-11111111", "parent": "r-ab12", "accounts": ["111122223333"]}]}"#,
    )
    .unwrap();
    let theirs = || {
        let mut r = role_session();
        r["userIdentity"]["accountId"] = json!("444455556666");
        r
    };
    let key = "aws:PrincipalOrgPaths";
    let t = |op, v: serde_json::Value, r| decide_in(Some(&org), op, key, v, r).0;
    let prod = json!("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*");
    assert_eq!(
        t("ForAnyValue:StringLike", prod.clone(), role_session()),
        Truth::True
    );
    assert_eq!(
        t("ForAnyValue:StringNotLike", prod.clone(), role_session()),
        Truth::False
    );
    assert_eq!(
        t(
            "ForAnyValue:StringLike",
            json!("o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"),
            role_session()
        ),
        Truth::False
    );
    // Outside the organization: no path under it.
    assert_eq!(
        t("ForAnyValue:StringLike", prod.clone(), theirs()),
        Truth::False
    );
    assert_eq!(t("StringNotLikeIfExists", prod, theirs()), Truth::True);
    assert_eq!(
        t("ForAnyValue:StringLike", json!("o-*"), theirs()),
        Truth::Unknown
    );
    // An organization given without its units: paths are not known.
    let flat = Organization::from_json(
        r#"{"id": "o-a1b2c3d4e5", "management_account": "999999999999", "accounts": ["111122223333"]}"#,
    )
    .unwrap();
    assert_eq!(
        decide_in(
            Some(&flat),
            "StringLike",
            key,
            json!("o-a1b2c3d4e5/*"),
            role_session()
        ),
        (
            Truth::Unknown,
            vec!["the organization's id, root, units and accounts (--org)".to_string()]
        )
    );
}

#[test]
fn epoch_time_is_seconds_for_every_operator() {
    let mut r = role_session();
    r["eventTime"] = json!("2026-03-01T12:00:00Z");
    let t = |op, v: serde_json::Value| decide(op, "aws:EpochTime", v, r.clone()).0;
    assert_eq!(t("StringEquals", json!("1772366400")), Truth::True);
    assert_eq!(t("StringLike", json!("17723*")), Truth::True);
    assert_eq!(t("NumericEquals", json!("1772366400")), Truth::True);
}

#[test]
fn resources_of_several_accounts_have_no_one_owner() {
    let org = crate::engine::org::Organization::from_json(
        r#"{"id": "o-a1b2c3d4e5", "management_account": "999999999999", "accounts": ["111122223333"]}"#,
    )
    .unwrap();
    let mut copy = role_session();
    copy["resources"] = json!([
        {"ARN": "arn:aws:s3:::from", "accountId": "111122223333"},
        {"ARN": "arn:aws:s3:::to", "accountId": "444455556666"}
    ]);
    for key in ["aws:ResourceAccount", "aws:ResourceOrgID"] {
        assert_eq!(
            decide_in(
                Some(&org),
                "StringEquals",
                key,
                json!("111122223333"),
                copy.clone()
            )
            .0,
            Truth::Unknown,
            "{key}"
        );
    }
}
