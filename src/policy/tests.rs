//! `tensen import`'s reading of policies: what each statement becomes,
//! and what is refused with its place.

use super::*;

const REGION_SCP: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyAllOutsideEU",
      "Effect": "Deny",
      "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "s3:ListAllMyBuckets"],
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
        "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Role1AllowedToBypassThisSCP"]}
      }
    }
  ]
}"#;

#[test]
fn a_deny_statement_becomes_one_guardrail() {
    let text = import(Kind::Scp, "region-lock", "region-lock.json", REGION_SCP).unwrap();
    assert!(
        text.contains("guardrail region_lock on cloudtrail {"),
        "{text}"
    );
    assert!(text.contains("scope principal"), "{text}");
    assert!(
        text.contains(r#"not (action == "s3:ListAllMyBuckets" or action matches ["iam:*", "organizations:*", "sts:*", "support:*"])"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"condition("StringNotEquals", "aws:RequestedRegion", ["eu-central-1", "eu-west-1"])"#
        ),
        "{text}"
    );
    assert!(text.contains("DenyAllOutsideEU"), "{text}");
}

#[test]
fn what_cannot_be_previewed_is_refused_with_its_place() {
    let bucket = r#"{"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let errors = import(Kind::Rcp, "b", "b.json", bucket).unwrap_err();
    assert_eq!(errors[0].at, "Statement[0] (Sid \"A\")");
    assert!(errors[0].message.contains("Resource"), "{errors:?}");
    let broken = "{\n  \"Statement\": [\n    {\"Effect\": }\n  ]\n}";
    let errors = import(Kind::Scp, "x", "x.json", broken).unwrap_err();
    assert_eq!(errors[0].at, "3:16");
    let op = r#"{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"StringEqual": {"aws:username": "x"}}}}"#;
    let errors = import(Kind::Scp, "x", "x.json", op).unwrap_err();
    assert!(errors[0].message.contains("StringEqual"), "{errors:?}");
}

#[test]
fn full_access_changes_nothing_and_an_allow_list_denies_the_rest() {
    let full = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let text = import(Kind::Scp, "full", "full.json", full).unwrap();
    assert!(
        !text.contains("guardrail ") && text.contains("denies nothing"),
        "{text}"
    );
    let list = r#"{"Statement": [
        {"Effect": "Allow", "Action": ["ec2:*", "S3:getobject"], "Resource": "*"},
        {"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}
    ]}"#;
    let text = import(Kind::Scp, "list", "list.json", list).unwrap();
    assert!(
        text.contains("guardrail list__NoLeave on cloudtrail"),
        "{text}"
    );
    assert!(
        text.contains("guardrail list__allowed on cloudtrail"),
        "{text}"
    );
    // IAM's own case for a listed action, whatever the policy wrote.
    assert!(text.contains(r#""s3:GetObject""#), "{text}");
}

#[test]
fn describe_policy_output_is_read_too() {
    let described = serde_json::json!({
        "Policy": {
            "PolicySummary": {"Name": "deny-leave"},
            "Content": r#"{"Statement": {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}}"#
        }
    })
    .to_string();
    let text = import(Kind::Scp, "deny-leave", "deny-leave.json", &described).unwrap();
    assert!(
        text.contains(r#"deny when action == "organizations:LeaveOrganization""#),
        "{text}"
    );
}

#[test]
fn every_resource_of_a_type_the_action_needs_is_every_call() {
    let imds = r#"{"Statement": {"Sid": "RequireImdsV2", "Effect": "Deny", "Action": "ec2:RunInstances",
        "Resource": "arn:aws:ec2:*:*:instance/*",
        "Condition": {"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}}}}"#;
    let text = import(Kind::Scp, "imds", "imds.json", imds).unwrap();
    assert!(
        text.contains(r#"condition("StringNotEquals", "ec2:MetadataHttpTokens", "required")"#),
        "{text}"
    );
    // Not a type the action is authorized on, or one named resource: refused.
    for resource in [
        "arn:aws:ec2:*:*:volume/*",
        "arn:aws:ec2:*:111122223333:instance/*",
        "arn:aws:ec2:*:*:instance/i-1",
    ] {
        let other = imds.replace("arn:aws:ec2:*:*:instance/*", resource);
        assert!(
            import(Kind::Scp, "imds", "imds.json", &other).is_err(),
            "{resource}"
        );
    }
}

#[test]
fn allows_and_resources_keep_iams_meaning() {
    // An `Allow` of everything leaves nothing to deny for the allow list.
    let both = r#"{"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    ]}"#;
    let text = import(Kind::Scp, "both", "both.json", both).unwrap();
    assert!(!text.contains("guardrail "), "{text}");
    // An `Allow` of one resource type allows none of the call's others.
    let typed = r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:instance/*"}]}"#;
    assert!(import(Kind::Scp, "t", "t.json", typed).is_err());
    // A key IAM reads on the instance alone, under `Resource: *`: IAM
    // judges the launch's other resources too, where the key is absent.
    let star = r#"{"Statement": [{"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*",
        "Condition": {"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}}}]}"#;
    let errors = import(Kind::Scp, "s", "s.json", star).unwrap_err();
    assert!(
        errors[0].message.contains("instance resource alone"),
        "{errors:?}"
    );
    let empty = r#"{"Statement": [{"Effect": "Deny", "Action": [], "Resource": "*"}]}"#;
    assert!(import(Kind::Scp, "e", "e.json", empty).is_err());
    let no_principal = r#"{"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#;
    assert!(import(Kind::Rcp, "r", "r.json", no_principal).is_err());
}
