//! The engine's semantics over small records: three-valued logic, every
//! operator, guardrail decisions and AWS's exemptions.

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

fn engine(rules: &str) -> Engine {
    let mut sources = Sources::new();
    sources.add("rules.tsn", rules);
    match compile(&sources) {
        Ok(r) => Engine::new(&r),
        Err(d) => panic!("{}", tensen::check::render::terminal(&d.0, &sources, false)),
    }
}

fn run_with(engine: &Engine, record: Value, opts: &RunOptions) -> Vec<(OutputKind, Value)> {
    let at = RecordRef {
        file: Arc::from("test.json"),
        line: 1,
        index: None,
        event: None,
    };
    match evaluate_json(engine, &record, &at, opts) {
        RecordOutcome::Unclaimed => panic!("record not claimed"),
        RecordOutcome::Evaluated { outputs, .. } => {
            outputs.into_iter().map(|o| (o.kind, o.to_json())).collect()
        }
    }
}

fn run(engine: &Engine, record: Value) -> Vec<(OutputKind, Value)> {
    run_with(
        engine,
        record,
        &RunOptions {
            keep_allow: true,
            ..RunOptions::default()
        },
    )
}

fn ct(extra: Value) -> Value {
    let mut base = json!({
        "eventVersion": "1.08",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventTime": "2024-05-01T10:00:00Z",
        "eventID": "e-1",
        "userIdentity": { "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice" },
        "sourceIPAddress": "10.1.2.3",
        "recipientAccountId": "111122223333",
        "awsRegion": "us-east-1",
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn fires(rules: &str, record: Value) -> bool {
    run(&engine(rules), record)
        .iter()
        .any(|(k, _)| *k == OutputKind::Signal)
}

fn signal(cond: &str) -> String {
    format!("signal s on cloudtrail {{ when {cond} }}")
}

#[test]
fn missing_fields_are_unknown_not_false() {
    let r = ct(json!({}));
    assert!(!fires(&signal("errorCode == \"AccessDenied\""), r.clone()));
    assert!(
        !fires(&signal("errorCode != \"AccessDenied\""), r.clone()),
        "unknown, so it does not fire"
    );
    assert!(!fires(
        &signal("not (errorCode == \"AccessDenied\")"),
        r.clone()
    ));
    assert!(
        fires(&signal("errorCode == null"), r.clone()),
        "`== null` is definite"
    );
    assert!(fires(&signal("errorCode not exists"), r.clone()));
    assert!(
        fires(
            &signal("errorCode == \"x\" or eventName == \"GetObject\""),
            r.clone()
        ),
        "unknown or true is true"
    );
    assert!(!fires(
        &signal("errorCode == \"x\" and eventName == \"GetObject\""),
        r
    ));
}

#[test]
fn operators() {
    let r = ct(
        json!({ "requestParameters": { "bucketName": "logs-prod", "key": "a/b.txt" }, "resources": [
        { "ARN": "arn:aws:s3:::logs-prod", "type": "AWS::S3::Bucket" },
        { "ARN": "arn:aws:s3:::logs-prod/a/b.txt", "type": "AWS::S3::Object" } ] }),
    );
    let yes = [
        "eventName matches [\"List*\", \"Get*\"]",
        "eventName =~ \"^Get(Object|Bucket)$\"",
        "requestParameters.bucketName starts_with \"logs-\"",
        "requestParameters.key ends_with \".txt\"",
        "requestParameters.bucketName contains \"prod\"",
        "sourceIPAddress in 10.0.0.0/8",
        "sourceIPAddress in [192.168.0.0/16, 10.0.0.0/8]",
        "eventName in [\"GetObject\", \"PutObject\"]",
        "resources[*].type == \"AWS::S3::Object\"",
        "any(resources[*].type == \"AWS::S3::Bucket\")",
        "all(resources[*].ARN starts_with \"arn:aws:s3:::logs-prod\")",
        "resources[0].type == \"AWS::S3::Bucket\"",
        "lower(userIdentity.userName) == \"alice\"",
        "account(userIdentity.arn) == \"111122223333\"",
        "service(eventSource) == \"s3\"",
        "len(resources) == 2",
        "split(userIdentity.arn, \"/\") contains \"alice\"",
        "action == \"s3:GetObject\"",
        "principal_type == \"IAMUser\"",
    ];
    for cond in yes {
        assert!(fires(&signal(cond), r.clone()), "{cond}");
    }
    let no = [
        "all(resources[*].type == \"AWS::S3::Object\")",
        "sourceIPAddress in 192.168.0.0/16",
        "eventName matches \"List*\"",
        "eventName not in [\"GetObject\"]",
        "is_service_linked(userIdentity.arn)",
    ];
    for cond in no {
        assert!(!fires(&signal(cond), r.clone()), "{cond}");
    }
}

#[test]
fn addresses_that_are_not_addresses_are_not_in_networks() {
    for ip in ["AWS Internal", "s3.amazonaws.com", "255.090.254.5"] {
        let r = ct(json!({ "sourceIPAddress": ip }));
        assert!(
            !fires(&signal("sourceIPAddress in 0.0.0.0/0"), r.clone()),
            "{ip}"
        );
        assert!(
            fires(&signal("sourceIPAddress not in 10.0.0.0/8"), r),
            "{ip}"
        );
    }
}

#[test]
fn findings_carry_rendered_text_entities_and_a_stable_id() {
    let e = engine(
        "signal s on cloudtrail {
            title \"{user} read {requestParameters.key}\"
            severity high
            tactic collection
            technique \"T1530\"
            when eventName == \"GetObject\"
            entity user = userIdentity.userName
            summary \"{action} by {user} from {sourceIPAddress}\"
        }",
    );
    let r = ct(json!({ "requestParameters": { "key": "secret.txt" } }));
    let out = run(&e, r.clone());
    assert_eq!(out.len(), 1);
    let f = &out[0].1;
    assert_eq!(f["title"], "alice read secret.txt");
    assert_eq!(f["summary"], "s3:GetObject by alice from 10.1.2.3");
    assert_eq!(f["severity"], 8.0);
    assert_eq!(f["severity_label"], "high");
    assert_eq!(f["entities"]["user"], "alice");
    assert_eq!(f["time"], "2024-05-01T10:00:00Z");
    assert_eq!(f["record"]["id"], "e-1");
    assert_eq!(f, &run(&e, r)[0].1, "same record, same finding");
}

#[test]
fn severity_from_the_record_and_report_false() {
    let e = engine(
        "signal gd on guardduty { severity from severity when type matches \"Recon:*\" }
         signal quiet on guardduty { report false when type matches \"Recon:*\" }",
    );
    let finding = json!({ "schemaVersion": "2.0", "type": "Recon:IAMUser/MaliciousIPCaller", "severity": 5.5,
        "id": "gd-1", "service": { "serviceName": "guardduty" } });
    let out = run(&e, finding);
    assert_eq!(out.len(), 1, "report false is not reported");
    assert_eq!(out[0].1["severity"], 5.5);
    assert_eq!(out[0].1["severity_label"], "medium");
}

const GUARDRAIL: &str = "guardrail tls on cloudtrail {
    scope resource
    deny when eventSource == \"s3.amazonaws.com\" and tlsDetails.tlsVersion not in [\"TLSv1.2\", \"TLSv1.3\"]
    except userIdentity.arn ends_with \":role/Scanner\"
    message \"{action} on {requestParameters.bucketName} without TLS 1.2\"
}";

#[test]
fn guardrail_decisions_deny_allow_unknown() {
    let e = engine(GUARDRAIL);
    let deny = run(
        &e,
        ct(
            json!({ "tlsDetails": { "tlsVersion": "TLSv1" }, "requestParameters": { "bucketName": "b" } }),
        ),
    );
    assert_eq!(deny[0].0, OutputKind::Deny);
    assert_eq!(deny[0].1["message"], "s3:GetObject on b without TLS 1.2");
    assert_eq!(deny[0].1["action"], "s3:GetObject");
    assert_eq!(
        deny[0].1["principal"],
        "arn:aws:iam::111122223333:user/alice"
    );
    let allow = run(&e, ct(json!({ "tlsDetails": { "tlsVersion": "TLSv1.3" } })));
    assert_eq!(allow[0].0, OutputKind::Allow);
    let unknown = run(&e, ct(json!({})));
    assert_eq!(unknown[0].0, OutputKind::Unknown);
    assert_eq!(unknown[0].1["missing"], json!(["tlsDetails.tlsVersion"]));
    let excepted = run(
        &e,
        ct(json!({ "tlsDetails": { "tlsVersion": "TLSv1" },
        "userIdentity": { "type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Scanner/x" } })),
    );
    assert_eq!(
        excepted[0].0,
        OutputKind::Deny,
        "the except tests the role ARN, not the session ARN"
    );
    let excepted = run(
        &e,
        ct(json!({ "tlsDetails": { "tlsVersion": "TLSv1" },
        "userIdentity": { "type": "IAMUser", "arn": "arn:aws:iam::111122223333:role/Scanner" } })),
    );
    assert_eq!(excepted[0].0, OutputKind::Allow);
}

#[test]
fn aws_exemptions_hold() {
    let e = engine(GUARDRAIL);
    let slr = ct(
        json!({ "tlsDetails": { "tlsVersion": "TLSv1" }, "userIdentity": { "type": "AssumedRole",
        "arn": "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/x",
        "sessionContext": { "sessionIssuer": { "arn": "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig" } } } }),
    );
    let out = run(&e, slr);
    assert_eq!(out[0].0, OutputKind::Allow);
    assert_eq!(out[0].1["exempt"], "service-linked role");
    let opts = RunOptions {
        management_account: Some("111122223333".into()),
        keep_allow: true,
        ..RunOptions::default()
    };
    let out = run_with(
        &e,
        ct(json!({ "tlsDetails": { "tlsVersion": "TLSv1" } })),
        &opts,
    );
    assert_eq!(out[0].0, OutputKind::Allow);
    assert_eq!(out[0].1["exempt"], "management account");
}

#[test]
fn baselines_report_compliance() {
    let e = engine(
        "guardrail imdsv2 on config {
            scope baseline
            applies resourceType == \"AWS::EC2::Instance\"
            require configuration.metadataOptions.httpTokens == \"required\"
            message \"{resourceId} allows IMDSv1\"
        }",
    );
    let item = |tokens: Option<&str>, ty: &str| {
        let mut v = json!({ "configurationItemCaptureTime": "2024-05-01T00:00:00Z", "resourceType": ty,
            "resourceId": "i-1", "awsAccountId": "111122223333", "awsRegion": "eu-west-1", "configuration": {} });
        if let Some(t) = tokens {
            v["configuration"]["metadataOptions"] = json!({ "httpTokens": t });
        }
        v
    };
    assert_eq!(
        run(&e, item(Some("required"), "AWS::EC2::Instance"))[0].0,
        OutputKind::Compliant
    );
    let bad = run(&e, item(Some("optional"), "AWS::EC2::Instance"));
    assert_eq!(bad[0].0, OutputKind::NonCompliant);
    assert_eq!(bad[0].1["message"], "i-1 allows IMDSv1");
    assert_eq!(bad[0].1["account"], "111122223333");
    assert_eq!(
        run(&e, item(None, "AWS::EC2::Instance"))[0].0,
        OutputKind::Unknown
    );
    assert!(
        run(&e, item(Some("optional"), "AWS::S3::Bucket")).is_empty(),
        "not applicable"
    );
}

#[test]
fn constants_are_folded() {
    let rules = "let office = [10.0.0.0/8]
        let names = [\"GetObject\"]
        signal s on cloudtrail { when sourceIPAddress in office and eventName in names }";
    assert!(fires(rules, ct(json!({}))));
}

#[test]
fn strings_join_with_plus() {
    let r = ct(json!({ "requestParameters": { "userName": "alice" } }));
    assert!(fires(
        &signal("userIdentity.arn ends_with \"/\" + requestParameters.userName"),
        r.clone()
    ));
    assert!(
        !fires(
            &signal("userIdentity.arn ends_with \"/\" + requestParameters.missing"),
            r
        ),
        "missing stays unknown"
    );
}

#[test]
fn an_empty_list_has_no_elements_rather_than_being_missing() {
    let r = ct(json!({ "requestParameters": { "f": [] } }));
    assert!(
        fires(&signal("all(requestParameters.f[*] == \"x\")"), r.clone()),
        "vacuously true"
    );
    assert!(
        fires(&signal("not (requestParameters.f[*] == \"x\")"), r.clone()),
        "no element equals"
    );
    assert!(!fires(
        &signal("requestParameters.f[*] == \"x\""),
        r.clone()
    ));
    assert!(
        !fires(&signal("not (requestParameters.g[*] == \"x\")"), r),
        "an absent list is still missing"
    );
}

#[test]
fn functions_on_things_that_are_not_what_they_expect() {
    let r = ct(
        json!({ "eventSource": "ec2.evil.com", "sourceIPAddress": "::ffff:8.8.8.8", "requestParameters": { "arn": "notanarn" } }),
    );
    assert!(
        fires(
            &signal("service(eventSource) == \"ec2.evil.com\""),
            r.clone()
        ),
        "only AWS endpoints are shortened"
    );
    assert!(
        fires(&signal("sourceIPAddress in 8.8.8.0/24"), r.clone()),
        "IPv4-mapped addresses are IPv4"
    );
    assert!(
        !fires(
            &signal("account(requestParameters.arn) != \"111122223333\""),
            r
        ),
        "no account in a non-ARN: unknown"
    );
}

#[test]
fn templates_reach_quoted_fields() {
    let e = engine(
        r#"signal s on cloudtrail {
            title "acl {requestParameters.\"x-amz-acl\"}"
            when eventName == "GetObject"
        }"#,
    );
    let out = run(
        &e,
        ct(json!({ "requestParameters": { "x-amz-acl": "public-read" } })),
    );
    assert_eq!(out[0].1["title"], "acl public-read");
}

#[test]
fn exists_asks_for_the_key_and_null_tests_ask_for_a_value() {
    let r = ct(json!({ "responseElements": null }));
    assert!(
        fires(&signal("responseElements exists"), r.clone()),
        "present as null"
    );
    assert!(fires(&signal("responseElements == null"), r.clone()));
    assert!(!fires(&signal("responseElements != null"), r.clone()));
    assert!(fires(
        &signal("errorCode not exists and errorCode == null"),
        r
    ));
}

#[test]
fn a_bound_element_keeps_two_tests_on_the_same_element() {
    // Port 22 open to 10/8 and port 443 open to the world: no single rule
    // opens SSH to the world, though `[*]` alone cannot tell.
    let perms = json!({ "requestParameters": { "ipPermissions": [
        { "fromPort": 22, "toPort": 22, "cidr": "10.0.0.0/8" },
        { "fromPort": 443, "toPort": 443, "cidr": "0.0.0.0/0" },
    ] } });
    let each = "any(p in requestParameters.ipPermissions: p.fromPort <= 22 and p.toPort >= 22 and p.cidr == \"0.0.0.0/0\")";
    let loose = "requestParameters.ipPermissions[*].fromPort <= 22 and requestParameters.ipPermissions[*].toPort >= 22 and requestParameters.ipPermissions[*].cidr == \"0.0.0.0/0\"";
    assert!(
        fires(&signal(loose), ct(perms.clone())),
        "different elements"
    );
    assert!(!fires(&signal(each), ct(perms)), "no one element");
    let open = json!({ "requestParameters": { "ipPermissions": [
        { "fromPort": 443, "toPort": 443, "cidr": "0.0.0.0/0" },
        { "fromPort": 0, "toPort": 65535, "cidr": "0.0.0.0/0" },
    ] } });
    assert!(fires(&signal(each), ct(open.clone())));
    // `x in l[*]` is the same list; `all` needs every element.
    let each_star = each.replace("ipPermissions:", "ipPermissions[*]:");
    assert!(fires(&signal(&each_star), ct(open.clone())));
    assert!(fires(
        &signal("all(p in requestParameters.ipPermissions: p.cidr == \"0.0.0.0/0\")"),
        ct(open.clone())
    ));
    assert!(!fires(
        &signal("all(p in requestParameters.ipPermissions: p.fromPort == 0)"),
        ct(open)
    ));
}

#[test]
fn bound_elements_nest_and_follow_three_valued_logic() {
    let nested = json!({ "requestParameters": { "perms": [
        { "port": 22, "ranges": [{ "cidr": "10.0.0.0/8" }] },
        { "port": 443, "ranges": [{ "cidr": "10.0.0.0/8" }, { "cidr": "0.0.0.0/0" }] },
    ] } });
    let cond = |port: u32| {
        signal(&format!(
            "any(p in requestParameters.perms: p.port == {port} and any(r in p.ranges: r.cidr == \"0.0.0.0/0\"))"
        ))
    };
    assert!(fires(&cond(443), ct(nested.clone())));
    assert!(!fires(&cond(22), ct(nested)));
    // Over scalars, the element itself.
    let tags = ct(json!({ "requestParameters": { "tags": ["a", "prod-x"] } }));
    assert!(fires(
        &signal("any(t in requestParameters.tags: t starts_with \"prod-\")"),
        tags.clone()
    ));
    assert!(!fires(
        &signal("all(t in requestParameters.tags: t starts_with \"prod-\")"),
        tags
    ));
    // Over a constant list.
    assert!(fires(
        &format!(
            "let prefixes = [\"Get\", \"Put\"]\n{}",
            signal("any(x in prefixes: eventName starts_with x)")
        ),
        ct(json!({}))
    ));
    // Empty: `any` false, `all` true; missing: unknown either way.
    let empty = ct(json!({ "requestParameters": { "perms": [] } }));
    assert!(!fires(
        &signal("any(p in requestParameters.perms: p.port == 1)"),
        empty.clone()
    ));
    assert!(fires(
        &signal("all(p in requestParameters.perms: p.port == 1)"),
        empty
    ));
    assert!(!fires(
        &signal("not all(p in requestParameters.perms: p.port == 1)"),
        ct(json!({}))
    ));
    // A field missing from one element: unknown unless another decides.
    let partial = ct(json!({ "requestParameters": { "perms": [{ "name": "x" }, { "port": 1 }] } }));
    assert!(fires(
        &signal("any(p in requestParameters.perms: p.port == 1)"),
        partial.clone()
    ));
    assert!(!fires(
        &signal("not any(p in requestParameters.perms: p.port == 2)"),
        partial
    ));
}

#[test]
fn a_guardrail_left_unknown_by_an_element_names_the_list_path() {
    let e = engine(
        "guardrail no_world on cloudtrail {\n    scope principal\n    deny when any(p in requestParameters.perms: p.cidr == \"0.0.0.0/0\")\n    message \"open\"\n}",
    );
    let out = run(
        &e,
        ct(json!({ "requestParameters": { "perms": [{ "port": 1 }] } })),
    );
    assert_eq!(out[0].0, OutputKind::Unknown);
    assert_eq!(
        out[0].1["missing"],
        json!(["requestParameters.perms[*].cidr"])
    );
}

#[test]
fn a_derived_field_that_binds_names_means_the_same_inside_another_binding() {
    let rules = r#"
source inv {
    recognize kind == "inv"
    time ts
    field kind: string
    field ts: time
    field hosts[*].name: string
    field tags[*].key: string
    derive prod: bool = any(t in tags: t.key == "prod")
}
signal via_derive on inv { when any(h in hosts: h.name == "web" and prod) }
signal via_derive_all on inv { when all(h in hosts: prod) }
"#;
    let e = engine(rules);
    let fired = |record: Value| -> Vec<String> {
        run(&e, record)
            .into_iter()
            .filter(|(k, _)| *k == OutputKind::Signal)
            .map(|(_, v)| v["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let tagged = json!({"kind": "inv", "ts": "2024-01-01T00:00:00Z",
        "hosts": [{"name": "web"}], "tags": [{"key": "prod"}]});
    assert_eq!(fired(tagged), ["via_derive", "via_derive_all"]);
    // The host's own `key` is not the tag's.
    let untagged = json!({"kind": "inv", "ts": "2024-01-01T00:00:00Z",
        "hosts": [{"name": "web", "key": "prod"}], "tags": [{"key": "dev"}]});
    assert!(fired(untagged).is_empty());
}

#[test]
fn a_list_that_is_not_a_list_is_unknown_and_named() {
    let e = engine(
        "guardrail g on cloudtrail {\n    scope principal\n    deny when any(r in resources: r.type == \"A\")\n}",
    );
    for value in [json!(null), json!("A"), json!({"type": "A"})] {
        let out = run(&e, ct(json!({ "resources": value })));
        assert_eq!(out[0].0, OutputKind::Unknown, "{value}");
        assert_eq!(out[0].1["missing"], json!(["resources"]), "{value}");
    }
}

#[test]
fn elements_that_are_lists_can_be_indexed_and_a_star_list_is_the_same_list() {
    let r = ct(json!({ "requestParameters": { "m": [["a", "b", "c"]] } }));
    assert!(fires(
        &signal("any(p in requestParameters.m: p[0] == \"a\")"),
        r.clone()
    ));
    assert!(fires(
        &signal("any(p in requestParameters.m: p[*] == \"c\")"),
        r.clone()
    ));
    for list in ["requestParameters.m", "requestParameters.m[*]"] {
        assert!(
            fires(
                &signal(&format!("any(x in {list}: len(x) == 3)")),
                r.clone()
            ),
            "{list}"
        );
    }
    // A list bound to an element: its elements are `...[*][*]`.
    let e = engine(
        "guardrail g on cloudtrail {\n    scope principal\n    deny when any(p in requestParameters.perms: any(q in p: q.cidr == \"x\"))\n}",
    );
    let out = run(
        &e,
        ct(json!({ "requestParameters": { "perms": [[{ "port": 1 }]] } })),
    );
    assert_eq!(
        out[0].1["missing"],
        json!(["requestParameters.perms[*][*].cidr"])
    );
}

#[test]
fn a_derived_field_read_by_many_rules_names_its_missing_fields_in_each() {
    // A record's derived fields are computed once and shared by its rules;
    // each rule still names the fields the derived value lacked.
    let rules = r#"
source inv {
    recognize kind == "inv"
    time ts
    field kind: string
    field ts: time
    field owner.name: string
    field env: string
    derive who: string = owner.name
    derive label: string = "{env}/{owner.name}"
}
guardrail first on inv {
    scope principal
    deny when who == "mallory"
}
guardrail second on inv {
    scope principal
    deny when who != "alice" and label != "x"
}
guardrail third on inv {
    scope principal
    deny when env == "prod" and who == "bob"
}
"#;
    let e = engine(rules);
    let record = json!({"kind": "inv", "ts": "2024-01-01T00:00:00Z", "env": "prod"});
    let out = run(&e, record);
    let missing: Vec<(&str, &Value)> = out
        .iter()
        .map(|(_, v)| (v["guardrail"].as_str().unwrap(), &v["missing"]))
        .collect();
    assert_eq!(
        missing,
        [
            ("first", &json!(["owner.name"])),
            ("second", &json!(["owner.name"])),
            ("third", &json!(["owner.name"])),
        ]
    );
    assert!(out.iter().all(|(k, _)| *k == OutputKind::Unknown));
    // Present, the shared value decides each rule as its own would.
    let record = json!({"kind": "inv", "ts": "2024-01-01T00:00:00Z", "env": "prod",
        "owner": {"name": "bob"}});
    let kinds: Vec<OutputKind> = run(&e, record).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        [OutputKind::Allow, OutputKind::Deny, OutputKind::Deny]
    );
}
