//! Guardrails decide as AWS decides: what SCPs and RCPs never judge, the
//! IAM action of a call, and the account each side of a call belongs to.
//! Each test holds the records that showed a wrong answer before.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::sync::Arc;

use serde_json::{json, Value};
use tensen::engine::rules::Engine;
use tensen::engine::run::{evaluate_json, OutputKind, RecordOutcome, RecordRef, RunOptions};
use tensen::{compile, Sources};

const MANAGEMENT: &str = "111111111111";
const MEMBER: &str = "222222222222";

fn engine(rules: &str) -> Engine {
    let mut sources = Sources::new();
    sources.add("rules.tsn", rules);
    match compile(&sources) {
        Ok(r) => Engine::new(&r),
        Err(d) => panic!("{}", tensen::check::render::terminal(&d.0, &sources, false)),
    }
}

/// A guardrail of `scope` that denies every call: what is left of its
/// denials is what AWS would judge.
fn deny_all(scope: &str) -> Engine {
    engine(&format!(
        "guardrail deny_all on cloudtrail {{\n    scope {scope}\n    deny when eventName != \"\"\n}}\n"
    ))
}

/// The one decision of a one-guardrail ruleset, `allow`s built, with the
/// management account known.
fn decide(engine: &Engine, record: Value) -> (OutputKind, Value) {
    decide_with(
        engine,
        record,
        RunOptions {
            management_account: Some(MANAGEMENT.to_string()),
            ..RunOptions::default()
        },
    )
}

fn decide_with(engine: &Engine, record: Value, opts: RunOptions) -> (OutputKind, Value) {
    let at = RecordRef {
        file: Arc::from("test.json"),
        line: 1,
        index: None,
        event: None,
    };
    let opts = RunOptions {
        keep_allow: true,
        ..opts
    };
    match evaluate_json(engine, &record, &at, &opts) {
        RecordOutcome::Unclaimed => panic!("record not claimed"),
        RecordOutcome::Evaluated { outputs, .. } => {
            let mut d: Vec<_> = outputs.into_iter().map(|o| (o.kind, o.to_json())).collect();
            assert_eq!(d.len(), 1, "{d:?}");
            d.remove(0)
        }
    }
}

/// A CloudTrail API call by an IAM user of the member account, to `source`.
fn call(source: &str, name: &str, extra: Value) -> Value {
    let mut record = json!({
        "eventVersion": "1.09",
        "eventTime": "2024-12-09T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "eventType": "AwsApiCall",
        "awsRegion": "us-east-1",
        "eventID": "e-1",
        "recipientAccountId": MEMBER,
        "userIdentity": {
            "type": "IAMUser",
            "arn": format!("arn:aws:iam::{MEMBER}:user/alice"),
            "accountId": MEMBER,
        },
    });
    if let (Some(base), Value::Object(more)) = (record.as_object_mut(), extra) {
        base.extend(more);
    }
    record
}

#[test]
fn sign_ins_console_actions_and_service_events_are_not_judged() {
    let e = engine(
        r#"guardrail region_lock on cloudtrail {
            scope principal
            deny when awsRegion != "eu-west-1"
        }"#,
    );
    let login = call(
        "signin.amazonaws.com",
        "ConsoleLogin",
        json!({"eventType": "AwsConsoleSignIn"}),
    );
    let rotate = call(
        "kms.amazonaws.com",
        "RotateKey",
        json!({"eventType": "AwsServiceEvent", "userIdentity": {"accountId": MEMBER, "invokedBy": "AWS Internal"}}),
    );
    let console = call(
        "s3.amazonaws.com",
        "ListBuckets",
        json!({"eventType": "AwsConsoleAction"}),
    );
    let (kind, d) = decide(
        &e,
        call(
            "s3.amazonaws.com",
            "GetObject",
            json!({"eventType": "AwsVpceEvent"}),
        ),
    );
    assert_eq!(
        (kind, d["exempt"].clone()),
        (OutputKind::Allow, json!("a network activity event"))
    );
    for record in [login, rotate, console] {
        let (kind, d) = decide(&e, record);
        assert_eq!(kind, OutputKind::Allow, "{d}");
        assert_eq!(d["exempt"], "not an authorized API call");
    }
    let (kind, _) = decide(&e, call("ec2.amazonaws.com", "RunInstances", json!({})));
    assert_eq!(kind, OutputKind::Deny);
}

#[test]
fn rcps_judge_aws_service_principals_and_scps_do_not() {
    let service = json!({"userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
        "resources": [{"accountId": MEMBER, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::trail"}]});
    let rcp = engine(
        r#"guardrail confused_deputy on cloudtrail {
            scope resource
            deny when principal_type == "AWSService"
        }"#,
    );
    let (kind, d) = decide(&rcp, call("s3.amazonaws.com", "PutObject", service.clone()));
    assert_eq!(kind, OutputKind::Deny, "{d}");
    let scp = engine(
        r#"guardrail no_services on cloudtrail {
            scope principal
            deny when principal_type == "AWSService"
        }"#,
    );
    let (kind, d) = decide(&scp, call("s3.amazonaws.com", "PutObject", service));
    assert_eq!(kind, OutputKind::Allow);
    assert_eq!(d["exempt"], "AWS service principal");
}

#[test]
fn action_is_the_iam_action_and_event_action_the_call() {
    let e = engine(
        r#"guardrail no_listing on cloudtrail {
            scope principal
            deny when action in ["s3:ListAllMyBuckets", "lambda:UpdateFunctionCode", "cloudwatch:DescribeAlarms"]
            message "{action} ({event_action})"
        }"#,
    );
    let cases = [
        (
            "s3.amazonaws.com",
            "ListBuckets",
            "s3:ListAllMyBuckets",
            "s3:ListBuckets",
        ),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionCode20150331v2",
        ),
        (
            "monitoring.amazonaws.com",
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:DescribeAlarms",
        ),
    ];
    for (source, name, action, event_action) in cases {
        let (kind, d) = decide(&e, call(source, name, json!({})));
        assert_eq!(kind, OutputKind::Deny, "{name}: {d}");
        assert_eq!(d["action"], action);
        assert_eq!(d["message"], format!("{action} ({event_action})"));
    }
}

#[test]
fn calls_no_policy_can_deny_are_allowed() {
    let e = deny_all("principal");
    for (source, name) in [
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("sts.amazonaws.com", "GetSessionToken"),
        ("dynamodb.amazonaws.com", "DescribeEndpoints"),
    ] {
        let (kind, d) = decide(&e, call(source, name, json!({})));
        assert_eq!(kind, OutputKind::Allow, "{name}");
        assert_eq!(d["exempt"], "a call no policy can deny");
    }
    let (kind, _) = decide(&e, call("sts.amazonaws.com", "AssumeRole", json!({})));
    assert_eq!(kind, OutputKind::Deny);
}

#[test]
fn rcps_judge_only_the_services_and_actions_they_govern() {
    let e = deny_all("resource");
    let bucket = json!({"resources": [{"accountId": MEMBER, "ARN": "arn:aws:s3:::b"}]});
    let exempt = [
        (
            "ec2.amazonaws.com",
            "RunInstances",
            json!({}),
            "a service RCPs do not govern",
        ),
        (
            "s3.amazonaws.com",
            "ListBuckets",
            json!({}),
            "a call on no resource",
        ),
        (
            "kms.amazonaws.com",
            "RetireGrant",
            json!({}),
            "a call RCPs do not govern",
        ),
        (
            "kms.amazonaws.com",
            "Decrypt",
            json!({"requestParameters": {"keyId": "alias/aws/s3"}}),
            "AWS managed KMS key",
        ),
    ];
    for (source, name, extra, why) in exempt {
        let (kind, d) = decide(&e, call(source, name, extra));
        assert_eq!(kind, OutputKind::Allow, "{name}: {d}");
        assert_eq!(d["exempt"], why, "{name}");
    }
    let (kind, _) = decide(&e, call("s3.amazonaws.com", "GetObject", bucket));
    assert_eq!(kind, OutputKind::Deny);
}

/// SCPs never restrict the management account's principals; RCPs never
/// its resources. In the caller's copy of a cross-account call,
/// `recipientAccountId` is the caller's account, not the resource's.
#[test]
fn the_management_account_is_the_callers_for_scps_and_the_resources_for_rcps() {
    let rcp = deny_all("resource");
    let mgmt_caller = json!({
        "recipientAccountId": MANAGEMENT,
        "sharedEventID": "s-1",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{MANAGEMENT}:user/admin"), "accountId": MANAGEMENT},
    });
    // The management account reads a member's bucket: the member's RCP applies.
    let mut to_member = mgmt_caller.clone();
    to_member["resources"] = json!([{"accountId": MEMBER, "ARN": "arn:aws:s3:::member-bucket"}]);
    let (kind, d) = decide(&rcp, call("s3.amazonaws.com", "GetObject", to_member));
    assert_eq!(kind, OutputKind::Deny, "{d}");
    // A member reads the management account's bucket: out of RCPs' reach.
    let to_mgmt = json!({
        "recipientAccountId": MANAGEMENT,
        "resources": [{"accountId": MANAGEMENT, "ARN": "arn:aws:s3:::mgmt-bucket"}],
    });
    let (kind, d) = decide(&rcp, call("s3.amazonaws.com", "GetObject", to_mgmt));
    assert_eq!(
        (kind, d["exempt"].clone()),
        (OutputKind::Allow, json!("management account"))
    );
    // The caller's copy of a cross-account call that names no resource
    // account: whose resource it was is not in the record.
    let (kind, d) = decide(
        &rcp,
        call("s3.amazonaws.com", "GetObject", mgmt_caller.clone()),
    );
    assert_eq!(kind, OutputKind::Unknown, "{d}");
    assert_eq!(d["missing"], json!(["resources[].accountId"]));
    // An SCP looks at the caller: the management account's admin is exempt.
    let scp = deny_all("principal");
    let (kind, d) = decide(&scp, call("s3.amazonaws.com", "GetObject", mgmt_caller));
    assert_eq!(
        (kind, d["exempt"].clone()),
        (OutputKind::Allow, json!("management account"))
    );
}

/// With the organization known, SCPs judge only its principals and RCPs
/// only its resources.
#[test]
fn only_the_organizations_principals_and_resources_are_judged() {
    let org = tensen::engine::org::Organization::from_json(&format!(
        r#"{{"management_account": "{MANAGEMENT}", "accounts": ["{MEMBER}"]}}"#
    ))
    .unwrap();
    let opts = || RunOptions {
        organization: Some(Arc::new(org.clone())),
        ..RunOptions::default()
    };
    let outsider = json!({
        "recipientAccountId": MEMBER,
        "userIdentity": {"type": "AWSAccount", "accountId": "999999999999", "principalId": "AIDAX"},
        "resources": [{"accountId": MEMBER, "ARN": "arn:aws:s3:::member-bucket"}],
    });
    let scp = deny_all("principal");
    let (kind, d) = decide_with(
        &scp,
        call("s3.amazonaws.com", "GetObject", outsider.clone()),
        opts(),
    );
    assert_eq!(
        (kind, d["exempt"].clone()),
        (
            OutputKind::Allow,
            json!("principal outside the organization")
        )
    );
    let (kind, _) = decide_with(
        &scp,
        call("s3.amazonaws.com", "GetObject", json!({})),
        opts(),
    );
    assert_eq!(kind, OutputKind::Deny);
    let rcp = deny_all("resource");
    // An outsider on the organization's bucket: the RCP applies.
    let (kind, _) = decide_with(
        &rcp,
        call("s3.amazonaws.com", "GetObject", outsider),
        opts(),
    );
    assert_eq!(kind, OutputKind::Deny);
    // A member on another organization's bucket: out of this RCP's reach.
    let elsewhere =
        json!({"resources": [{"accountId": "999999999999", "ARN": "arn:aws:s3:::theirs"}]});
    let (kind, d) = decide_with(
        &rcp,
        call("s3.amazonaws.com", "GetObject", elsewhere),
        opts(),
    );
    assert_eq!(
        (kind, d["exempt"].clone()),
        (
            OutputKind::Allow,
            json!("resource outside the organization")
        )
    );
    // Web identity and SAML callers are no principal of the organization;
    // a caller whose account the record does not give is unknown.
    let federated = json!({"userIdentity": {"type": "WebIdentityUser", "principalId": "accounts.google.com:1"}});
    let (kind, d) = decide_with(
        &scp,
        call("sts.amazonaws.com", "AssumeRoleWithWebIdentity", federated),
        opts(),
    );
    assert_eq!(
        (kind, d["exempt"].clone()),
        (
            OutputKind::Allow,
            json!("principal outside the organization")
        )
    );
    let unnamed = json!({"userIdentity": {"type": "IAMUser", "userName": "x"}});
    let (kind, d) = decide_with(&scp, call("s3.amazonaws.com", "GetObject", unnamed), opts());
    assert_eq!(
        (kind, d["missing"].clone()),
        (OutputKind::Unknown, json!(["userIdentity.accountId"]))
    );
    // The file's management account is exempt as `--management-account` is.
    let mgmt = json!({"userIdentity": {"type": "IAMUser", "accountId": MANAGEMENT}});
    let (kind, d) = decide_with(&scp, call("s3.amazonaws.com", "GetObject", mgmt), opts());
    assert_eq!(
        (kind, d["exempt"].clone()),
        (OutputKind::Allow, json!("management account"))
    );
}

/// The identity perimeter RCP: `aws:PrincipalOrgID` is not logged, but with
/// the organization's id and accounts known, a member's call is inside it
/// and an outsider's is not; without them the decision is unknown.
#[test]
fn the_organizations_id_decides_the_identity_perimeter() {
    let e = engine(
        "guardrail perimeter on cloudtrail {\n    scope resource\n    deny when action matches \"s3:*\"\n        and condition(\"StringNotEqualsIfExists\", \"aws:PrincipalOrgID\", \"o-a1b2c3d4e5\")\n}\n",
    );
    let org = tensen::engine::org::Organization::from_json(&format!(
        r#"{{"id": "o-a1b2c3d4e5", "management_account": "{MANAGEMENT}", "accounts": ["{MEMBER}"]}}"#
    ))
    .unwrap();
    let opts = || RunOptions {
        organization: Some(Arc::new(org.clone())),
        ..RunOptions::default()
    };
    let bucket = json!([{"accountId": MEMBER, "ARN": "arn:aws:s3:::member-bucket"}]);
    let member = call(
        "s3.amazonaws.com",
        "GetObject",
        json!({"resources": bucket}),
    );
    let outsider = call(
        "s3.amazonaws.com",
        "GetObject",
        json!({
            "resources": bucket,
            "userIdentity": {"type": "IAMUser", "accountId": "999999999999", "arn": "arn:aws:iam::999999999999:user/mallory", "principalId": "AIDAX"},
        }),
    );
    assert_eq!(decide_with(&e, member.clone(), opts()).0, OutputKind::Allow);
    assert_eq!(decide_with(&e, outsider, opts()).0, OutputKind::Deny);
    let (kind, d) = decide_with(&e, member, RunOptions::default());
    assert_eq!(kind, OutputKind::Unknown);
    assert_eq!(
        d["missing"],
        json!(["the organization's id and accounts (--org)"])
    );
}

/// Several `deny when` clauses are a policy's statements: each `except`
/// is an exception to the `deny when` before it, and a call is denied when
/// one statement denies it.
#[test]
fn each_except_belongs_to_the_deny_when_before_it() {
    let e = engine(
        "guardrail trail on cloudtrail {\n    scope principal\n    deny when eventName == \"DeleteTrail\"\n    except userIdentity.userName == \"admin\"\n    deny when eventName in [\"StopLogging\", \"DeleteTrail\"]\n    except userIdentity.sessionContext.sessionIssuer.userName == \"Auditor\"\n}\n",
    );
    let by = |name: &str, user: &str| {
        let mut r = call("cloudtrail.amazonaws.com", name, json!({}));
        r["userIdentity"]["userName"] = json!(user);
        r
    };
    let kind = |r| decide(&e, r).0;
    // The first statement denies alice; admin is excepted from it, but the
    // second statement denies DeleteTrail too, with an exception that is
    // unknown for an IAM user (no `sessionContext`): unknown, not allow.
    assert_eq!(kind(by("DeleteTrail", "alice")), OutputKind::Deny);
    assert_eq!(kind(by("DeleteTrail", "admin")), OutputKind::Unknown);
    // Admin's exception does not reach the second statement.
    assert_eq!(kind(by("StopLogging", "admin")), OutputKind::Unknown);
    let mut auditor = by("StopLogging", "admin");
    auditor["userIdentity"]["sessionContext"] = json!({"sessionIssuer": {"userName": "Auditor"}});
    assert_eq!(kind(auditor.clone()), OutputKind::Allow);
    auditor["eventName"] = json!("DeleteTrail");
    assert_eq!(kind(auditor), OutputKind::Allow);
    let mut other = by("StopLogging", "alice");
    other["userIdentity"]["sessionContext"] = json!({"sessionIssuer": {"userName": "Dev"}});
    assert_eq!(kind(other), OutputKind::Deny);
    assert_eq!(kind(by("GetTrail", "alice")), OutputKind::Allow);
}
