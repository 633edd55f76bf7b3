//! `tensen run` end to end over real and broken inputs: every format AWS
//! delivers, bad input that is reported and counted but never stops a run,
//! deterministic output, and documented exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use tensen::engine::read::{list_inputs, parse_bytes, read};

mod common;

use common::root;

fn data(sub: &str) -> PathBuf {
    root().join("examples/data").join(sub)
}

fn tensen(args: &[&str], threads: &str, stdin: Option<&[u8]>) -> Output {
    let mut cmd = common::command(args);
    cmd.env("RAYON_NUM_THREADS", threads);
    common::output_with(&mut cmd, stdin)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const RULES: &str = r#"
signal console_login on cloudtrail {
    severity high
    when eventName == "ConsoleLogin"
    entity principal = userIdentity.arn
}
signal gd on guardduty {
    severity from severity
    when type exists
}
guardrail no_stop on cloudtrail {
    scope principal
    deny when eventName == "StopLogging"
    message "{userIdentity.arn} stopped {requestParameters.name}"
}
"#;

fn rules_file(dir: &tempfile::TempDir) -> PathBuf {
    let p = dir.path().join("rules.tsn");
    std::fs::write(&p, RULES).unwrap();
    p
}

#[test]
fn the_bundled_cloudtrail_data_reads_without_a_rejected_record() {
    for (sub, expected) in [
        ("invictus-aws-cloudtrail", 2900),
        ("stratus-detonation-logs", 310),
    ] {
        let (inputs, errors) = list_inputs(&[data(sub)]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(inputs.len() > 30, "{sub}: {} files", inputs.len());
        let mut records = 0;
        for input in &inputs {
            let batch = read(input);
            assert_eq!(batch.rejected, 0, "{input:?}");
            assert!(batch.errors.is_empty(), "{:?}", batch.errors);
            records += batch.records.len();
        }
        assert_eq!(records, expected, "{sub}");
    }
}

#[test]
fn the_invictus_hour_runs_with_every_record_claimed() {
    let (examples, invictus) = (root().join("examples"), data("invictus-aws-cloudtrail"));
    let o = tensen(&["run", s(&examples), "--input", s(&invictus)], "2", None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("read 2900 records from 55 inputs"), "{err}");
    assert!(
        err.contains("2900 evaluated, 0 rejected, 0 unclaimed"),
        "{err}"
    );
    let out = json_lines(&o);
    assert!(
        out.iter().any(|v| v["decision"] == "deny"),
        "the Stratus detonations stop CloudTrail"
    );
    assert!(
        out.iter().all(|v| v["decision"] != "allow"),
        "allow decisions are not shown by default"
    );
    // Stratus opens port 22 to the world (the flat request shape); the
    // hour's other ingress call opens 443, in `ipPermissions.items`, and
    // is allowed: one decision, a deny.
    let admin: Vec<&serde_json::Value> = out
        .iter()
        .filter(|v| v["guardrail"] == "no_admin_ports_to_the_world")
        .collect();
    assert_eq!(admin.len(), 1, "{admin:?}");
    assert_eq!(admin[0]["decision"], "deny");
    assert_eq!(
        admin[0]["message"],
        "arn:aws:iam::123837392027:user/bert-jan opened an admin port of sg-04cfb7a4712d75b00 to the internet"
    );
}

#[test]
fn output_is_the_same_bytes_whatever_the_core_count() {
    let (examples, invictus, stratus) = (
        root().join("examples"),
        data("invictus-aws-cloudtrail"),
        data("stratus-detonation-logs"),
    );
    let args = ["run", s(&examples), "--input", s(&invictus), s(&stratus)];
    let one = tensen(&args, "1", None);
    let two = tensen(&args, "2", None);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn formats_as_aws_delivers_them() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(&dir);
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"arn":"arn:aws:iam::1:user/a"}}"#;
    let finding = r#"{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"id":"f1","service":{"serviceName":"guardduty"}}"#;
    std::fs::write(
        dir.path().join("lines.jsonl"),
        format!("{login}\n{login}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("array.json"), format!("[{login}, {login}]")).unwrap();
    std::fs::write(
        dir.path().join("trail.json"),
        format!("{{\"Records\": [{login}]}}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("eventbridge.json"), format!("{{\"detail-type\": \"GuardDuty Finding\", \"source\": \"aws.guardduty\", \"detail\": {finding}}}")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{{\"Records\": [{login}, {login}]}}").as_bytes())
        .unwrap();
    std::fs::create_dir(dir.path().join("AWSLogs")).unwrap();
    std::fs::write(
        dir.path().join("AWSLogs/trail.json.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    let o = tensen(&["run", s(&rules), "--input", s(dir.path())], "2", None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = json_lines(&o);
    let logins = out.iter().filter(|v| v["rule"] == "console_login").count();
    assert_eq!(logins, 7, "{out:?}");
    assert_eq!(out.iter().filter(|v| v["rule"] == "gd").count(), 1);
    // stdin
    let o = tensen(
        &["run", s(&rules), "--input", "-"],
        "2",
        Some(login.as_bytes()),
    );
    assert_eq!(json_lines(&o).len(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("read 1 records"));
}

#[test]
fn bad_records_are_reported_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(&dir);
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"arn":"a"}}"#;
    let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    let big = format!("{{\"eventVersion\":\"1.08\",\"eventSource\":\"x\",\"eventName\":\"ConsoleLogin\",\"pad\":\"{}\"}}", "x".repeat(50 * 1024 * 1024));
    let text =
        format!("{login}\n{{not json\n42\n{deep}\n{big}\n{{\"unclaimed\": true}}\n{login}\n");
    let input = dir.path().join("mixed.jsonl");
    std::fs::write(&input, text).unwrap();
    let o = tensen(&["run", s(&rules), "--input", s(&input)], "2", None);
    assert_eq!(o.status.code(), Some(0), "bad records do not stop a run");
    let err = stderr(&o);
    assert!(err.contains("mixed.jsonl:2: invalid JSON"), "{err}");
    assert!(
        err.contains("mixed.jsonl:3: a record must be a JSON object, not a number"),
        "{err}"
    );
    assert!(
        err.contains("mixed.jsonl:4: invalid JSON: nested deeper than 128 levels"),
        "{err}"
    );
    assert!(err.contains("read 7 records from 1 input"), "{err}");
    assert!(
        err.contains("3 evaluated, 3 rejected, 1 unclaimed"),
        "{err}"
    );
    assert_eq!(
        json_lines(&o)
            .iter()
            .filter(|v| v["rule"] == "console_login")
            .count(),
        3,
        "the 50 MB line is a record too"
    );
    let o = tensen(
        &["run", s(&rules), "--input", s(&input), "--strict"],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_break() {
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"arn":"a"}}"#;
    let records: Vec<&str> = std::iter::repeat_n(login, 2000).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!("{{\"Records\": [{}]}}", records.join(",")).as_bytes())
        .unwrap();
    let bytes = gz.finish().unwrap();
    let cut = bytes[..bytes.len() / 2].to_vec();
    let batch = parse_bytes("cut.json.gz", cut);
    assert!(
        batch.records.len() > 100,
        "{} records kept",
        batch.records.len()
    );
    assert!(batch.records.len() < 2000);
    assert!(
        batch.errors.iter().any(|e| e.message.contains("truncated")),
        "{:?}",
        batch.errors
    );
    assert!(batch
        .records
        .iter()
        .all(|(_, v)| v["eventName"] == "ConsoleLogin"));
    let indexes: Vec<usize> = batch
        .records
        .iter()
        .map(|(at, _)| at.index.unwrap())
        .collect();
    assert_eq!(indexes, (0..indexes.len()).collect::<Vec<_>>());
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(&dir);
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"arn":"a"}}"#;
    let input = dir.path().join("one.jsonl");
    std::fs::write(&input, format!("{login}\n")).unwrap();
    assert_eq!(
        tensen(
            &["run", s(&rules), "--input", s(&input), "--fail-on", "high"],
            "2",
            None
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        tensen(
            &[
                "run",
                s(&rules),
                "--input",
                s(&input),
                "--fail-on",
                "critical"
            ],
            "2",
            None
        )
        .status
        .code(),
        Some(0)
    );
    let bad_rules = dir.path().join("bad.tsn");
    std::fs::write(&bad_rules, "signal a on cloudtrail { when eventName == 5 }").unwrap();
    let o = tensen(&["run", s(&bad_rules), "--input", s(&input)], "2", None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing was run"));
    let o = tensen(
        &[
            "run",
            s(&rules),
            "--input",
            s(&dir.path().join("missing.json")),
        ],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    let o = tensen(
        &[
            "run",
            s(&rules),
            "--input",
            s(&input),
            "--source",
            "cloudtrial",
        ],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `cloudtrail`?"));
}

#[test]
fn the_stratus_logs_with_invalid_addresses_run() {
    let (examples, stratus) = (root().join("examples"), data("stratus-detonation-logs"));
    let o = tensen(
        &[
            "run",
            s(&examples),
            "--input",
            s(&stratus),
            "--format",
            "pretty",
        ],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 rejected"), "{}", stderr(&o));
}

#[test]
fn explain_shows_each_operand_with_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.tsn");
    std::fs::write(
        &rules,
        r#"guardrail tls on cloudtrail {
    scope resource
    deny when eventSource == "s3.amazonaws.com" and tlsDetails.tlsVersion != "TLSv1.2"
    except userIdentity.type == "AWSService"
}"#,
    )
    .unwrap();
    let input = dir.path().join("r.jsonl");
    std::fs::write(&input, "{\"eventVersion\":\"1\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\"}}\n").unwrap();
    let record = format!("{}:1", s(&input));
    let o = tensen(
        &["explain", "tls", "--rules", s(&rules), "--record", &record],
        "1",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("true        eventSource == \"s3.amazonaws.com\""),
        "{out}"
    );
    assert!(
        out.contains("unknown and tlsDetails.tlsVersion != \"TLSv1.2\""),
        "{out}"
    );
    assert!(out.contains("tlsDetails.tlsVersion = missing"), "{out}");
    assert!(out.contains("outcome: unknown"), "{out}");
    let o = tensen(
        &["explain", "tsl", "--rules", s(&rules), "--record", &record],
        "1",
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `tls`?"));
    // The record from standard input: `-`, or `-:LINE`.
    let records = std::fs::read(&input).unwrap();
    for arg in ["-", "-:1"] {
        let o = tensen(
            &["explain", "tls", "--rules", s(&rules), "--record", arg],
            "1",
            Some(&records),
        );
        assert_eq!(o.status.code(), Some(0), "{arg}: {}", stderr(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("over the record at <stdin>:1"), "{out}");
        assert!(out.contains("outcome: unknown"), "{out}");
    }
}

#[test]
fn explain_a_sequence_shows_each_key_its_matches_and_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.tsn");
    std::fs::write(
        &rules,
        r#"signal login on cloudtrail {
    report false
    when eventName == "ConsoleLogin"
    entity user = userIdentity.userName
}
signal exfil on cloudtrail {
    report false
    when eventName == "GetObject"
    entity user = userIdentity.userName
}
sequence takeover {
    by user
    within 30m
    steps {
        first: login
        take: exfil
    }
}"#,
    )
    .unwrap();
    let record = |user: &str, event: &str, minute: u32| {
        format!(
            "{{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"{event}\",\"eventTime\":\"2024-03-01T01:{minute:02}:00Z\",\"userIdentity\":{{\"type\":\"IAMUser\",\"userName\":\"{user}\"}}}}\n"
        )
    };
    let text = [
        record("alice", "ConsoleLogin", 0),
        record("bob", "ConsoleLogin", 1),
        record("alice", "GetObject", 5),
        record("carol", "GetObject", 6),
        record("carol", "ConsoleLogin", 7),
    ]
    .concat();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, &text).unwrap();
    let args = [
        "explain",
        "takeover",
        "--rules",
        s(&rules),
        "--record",
        s(&input),
    ];
    let o = tensen(&args, "1", None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("sequence `takeover` by user within 30m, over 5 records"),
        "{out}"
    );
    assert!(out.contains("user = alice: 1 match"), "{out}");
    assert!(
        out.contains(
            "found: first seen 2024-03-01T01:00:00.000Z, last seen 2024-03-01T01:05:00.000Z"
        ),
        "{out}"
    );
    assert!(out.contains("user = bob: no match"), "{out}");
    assert!(
        out.contains("why not: step `take` never came (no exfil for this key)"),
        "{out}"
    );
    assert!(out.contains("user = carol: no match"), "{out}");
    assert!(
        out.contains("why not: every step came, but never in order within 30m\n"),
        "{out}"
    );
    assert!(
        out.contains("2024-03-01T01:06:00.000Z  take         exfil  ("),
        "{out}"
    );
    // One key; from standard input.
    let o = tensen(
        &[
            "explain",
            "takeover",
            "--rules",
            s(&rules),
            "--record",
            "-",
            "--key",
            "bob",
        ],
        "1",
        Some(text.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("user = bob: no match"), "{out}");
    assert!(!out.contains("alice"), "{out}");
}

#[test]
fn diff_counts_what_a_change_newly_denies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    std::fs::create_dir(dir.path().join("new")).unwrap();
    let rule = |events: &str| {
        format!("guardrail protect on cloudtrail {{ scope principal deny when eventName in [{events}] }}")
    };
    std::fs::write(dir.path().join("old/g.tsn"), rule("\"StopLogging\"")).unwrap();
    std::fs::write(
        dir.path().join("new/g.tsn"),
        rule("\"StopLogging\", \"DeleteTrail\""),
    )
    .unwrap();
    let (old, new, invictus) = (
        dir.path().join("old"),
        dir.path().join("new"),
        data("invictus-aws-cloudtrail"),
    );
    let o = tensen(
        &[
            "diff",
            s(&old),
            s(&new),
            "--input",
            s(&invictus),
            "--format",
            "json",
        ],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = json_lines(&o);
    assert!(!out.is_empty());
    assert!(
        out.iter()
            .all(|g| g["change"] == "newly_denied" && g["action"] == "cloudtrail:DeleteTrail"),
        "{out:?}"
    );
    let total: u64 = out.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 3, "the Invictus hour deletes three trails");
    let o = tensen(
        &[
            "diff",
            s(&new),
            s(&old),
            "--input",
            s(&invictus),
            "--format",
            "json",
        ],
        "2",
        None,
    );
    assert!(json_lines(&o)
        .iter()
        .all(|g| g["change"] == "newly_allowed" && g["from"] == "deny" && g["to"] == "allow"));
}

/// `diff` reports every move between allow, deny and unknown, and counts a
/// role's sessions as the role.
#[test]
fn diff_shows_unknowns_becoming_definite_and_groups_sessions_by_role() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["old", "new"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    let rule = |guard: &str| {
        format!(
            "guardrail tls on cloudtrail {{ scope principal deny when {guard} tlsDetails.tlsVersion != \"TLSv1.3\" }}"
        )
    };
    std::fs::write(dir.path().join("old/g.tsn"), rule("")).unwrap();
    std::fs::write(dir.path().join("new/g.tsn"), rule("tlsDetails exists and")).unwrap();
    let call = |id: &str, session: &str, tls: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventID":"{id}","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","recipientAccountId":"111122223333","userIdentity":{{"type":"AssumedRole","accountId":"111122223333","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/{session}"}}{tls}}}"#
        )
    };
    let old_tls = r#","tlsDetails":{"tlsVersion":"TLSv1.2"}"#;
    let records = [
        call("a", "alice", ""),
        call("b", "bob", ""),
        call("c", "carol", old_tls),
    ]
    .join("\n");
    let input = dir.path().join("trail.jsonl");
    std::fs::write(&input, records).unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    let o = tensen(
        &[
            "diff",
            s(&old),
            s(&new),
            "--input",
            s(&input),
            "--format",
            "json",
        ],
        "2",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = json_lines(&o);
    // Two sessions without TLS details: unknown before, allowed now, one
    // group for the role. The old TLS version is denied by both.
    assert_eq!(out.len(), 1, "{out:?}");
    let g = &out[0];
    assert_eq!(g["change"], "unknown_now_allowed");
    assert_eq!(
        (g["from"].as_str(), g["to"].as_str()),
        (Some("unknown"), Some("allow"))
    );
    assert_eq!(
        g["principal"],
        "arn:aws:sts::111122223333:assumed-role/Deploy"
    );
    assert_eq!(g["count"], 2);
    let o = tensen(&["diff", s(&new), s(&old), "--input", s(&input)], "2", None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("unknown, now allowed: 0 requests")
            && text.contains("newly unknown: 2 requests"),
        "{text}"
    );
}

#[test]
fn a_broken_first_line_and_pretty_objects_lose_nothing() {
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"}"#;
    let batch = parse_bytes(
        "first_bad.jsonl",
        format!("{{oops\n{login}\n{login}\n").into_bytes(),
    );
    assert_eq!(batch.records.len(), 2);
    assert_eq!(batch.rejected, 1);
    assert_eq!(batch.errors[0].line, Some(1));
    // A file cut mid-record (`tail -c`) or with a header line: the first
    // line does not even start like JSON; only it is lost.
    for first in [r#"ventName":"X"}"#, "time,event,user"] {
        let batch = parse_bytes(
            "cut.jsonl",
            format!("{first}\n{login}\n{login}\n{login}\n").into_bytes(),
        );
        assert_eq!(batch.records.len(), 3, "{first}: {:?}", batch.errors);
        assert_eq!(batch.rejected, 1, "{first}");
        assert_eq!(batch.errors[0].line, Some(1), "{first}");
        assert_eq!(batch.records[2].0.line, 4, "{first}");
    }
    let pretty = "{\n  \"eventName\": \"A\"\n}\n{\n  \"eventName\": \"B\"\n}\n";
    let batch = parse_bytes("jq.json", pretty.as_bytes().to_vec());
    assert_eq!(batch.records.len(), 2, "{:?}", batch.errors);
    assert_eq!(batch.records[1].0.line, 4);
    let findings = r#"{"Findings": [{"SchemaVersion": "2018-10-08", "Id": "a"}, {"SchemaVersion": "2018-10-08", "Id": "b"}]}"#;
    let batch = parse_bytes("get-findings.json", findings.as_bytes().to_vec());
    assert_eq!(batch.records.len(), 2);
}

/// The sequence findings of the `examples/` ruleset over a bundled data set.
fn sequences_of_examples(set: &str, threads: &str) -> (Output, Vec<serde_json::Value>) {
    let (examples, input) = (root().join("examples"), data(set));
    let o = tensen(
        &[
            "run",
            s(&examples),
            "--input",
            s(&input),
            "--only",
            "sequences",
        ],
        threads,
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = json_lines(&o);
    (o, out)
}

#[test]
fn a_sequence_joins_signals_on_the_invictus_hour() {
    let (o, out) = sequences_of_examples("invictus-aws-cloudtrail", "2");
    // What examples/sequences/README.md reports for this hour.
    let rules: Vec<&str> = out.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "ec2_instance_credentials_used",
            "evasion_then_persistence",
            "iam_compromised_credentials"
        ],
        "{out:?}"
    );
    let iam = &out[2];
    assert_eq!(
        iam["key"]["principal"],
        "arn:aws:iam::123837392027:user/bert-jan"
    );
    assert_eq!(
        iam["prevented_by"][0]["guardrail"], "protect_cloudtrail",
        "a guardrail of the examples would have denied the evasion step"
    );
    assert_eq!(iam["prevented_by"][0]["steps"][0], "evade");
    let f = &out[1];
    assert_eq!(f["kind"], "sequence");
    assert_eq!(f["rule"], "evasion_then_persistence");
    assert_eq!(
        f["key"]["principal"],
        "arn:aws:iam::123837392027:user/bert-jan"
    );
    assert_eq!(f["steps"][0]["label"], "evade");
    // Two credentials complete the match; two more inside the hour revise it.
    assert_eq!(f["steps"][1]["signals"].as_array().unwrap().len(), 4);
    assert_eq!(f["revision"], 3);
    assert!(f["first_seen"].as_str().unwrap() < f["last_seen"].as_str().unwrap());
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("created 4 credentials"),
        "{f}"
    );
    let (again, _) = sequences_of_examples("invictus-aws-cloudtrail", "1");
    assert_eq!(
        o.stdout, again.stdout,
        "same findings, same ids, whatever the core count"
    );
}

#[test]
fn on_the_stratus_detonations_only_the_stolen_instance_credentials_chain() {
    let (_, out) = sequences_of_examples("stratus-detonation-logs", "2");
    let rules: Vec<&str> = out.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    // Each technique was detonated alone, in its own account: only the one
    // that is itself a chain (steal instance credentials, then use them)
    // makes a line.
    assert_eq!(rules, ["ec2_instance_credentials_used"], "{out:?}");
    assert_eq!(
        out[0]["key"]["role"],
        "arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role"
    );
}

#[test]
fn a_large_json_lines_file_read_in_chunks_loses_nothing_and_keeps_its_lines() {
    use tensen::engine::chunks::LineChunks;
    use tensen::engine::read::{load, Input};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut text = String::new();
    for i in 0..500 {
        if i % 97 == 13 {
            text.push_str("{\"broken\": \n");
        } else {
            text.push_str(&format!("{{\"eventName\": \"E{i}\", \"n\": {i}}}\n"));
        }
    }
    text.push_str("{\"eventName\": \"last, without a newline\"}");
    std::fs::write(&path, &text).unwrap();
    let lines_of = |l: &tensen::engine::read::Loaded| {
        let mut got = Vec::new();
        for u in 0..l.unit_count() {
            let r = l.eval_unit(u, &|at, v| (at.line, v["eventName"].clone()));
            got.extend(r.items);
        }
        (got, l.errors.iter().map(|e| e.line).collect::<Vec<_>>())
    };
    let whole = load(&Input::File(path.clone()));
    let (want, want_errors) = lines_of(&whole);
    assert_eq!(want.len(), 495);
    for chunk in [1, 100, 333, 4096, 1 << 20] {
        let mut chunks = LineChunks::open(&path, chunk).expect("JSON lines");
        let (mut got, mut errors) = (Vec::new(), Vec::new());
        while let Some(l) = chunks.next_chunk() {
            let (g, e) = lines_of(&l);
            got.extend(g);
            errors.extend(e);
        }
        assert_eq!(got, want, "chunk {chunk}");
        assert_eq!(errors, want_errors, "chunk {chunk}");
    }
    // A pretty-printed document is not JSON lines: it is read whole.
    std::fs::write(&path, "{\n  \"Records\": []\n}\n").unwrap();
    assert!(LineChunks::open(&path, 100).is_none());
}

#[test]
fn explain_shows_the_list_of_a_quantifier_not_its_elements_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.tsn");
    std::fs::write(
        &rules,
        r#"guardrail open on cloudtrail {
    scope principal
    deny when any(p in requestParameters.perms: p.port == 22 and p.cidr == "0.0.0.0/0")
}"#,
    )
    .unwrap();
    let input = dir.path().join("r.jsonl");
    std::fs::write(&input, "{\"eventVersion\":\"1\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"X\",\"requestParameters\":{\"perms\":[{\"port\":22,\"cidr\":\"0.0.0.0/0\"}]}}\n").unwrap();
    let record = format!("{}:1", s(&input));
    let o = tensen(
        &["explain", "open", "--rules", s(&rules), "--record", &record],
        "1",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("requestParameters.perms = [{\"port\":22,\"cidr\":\"0.0.0.0/0\"}]"),
        "{out}"
    );
    assert!(!out.contains("p.port = "), "{out}");
    assert!(out.contains("outcome: deny"), "{out}");
}

#[test]
fn a_step_signal_without_a_readable_time_is_counted_not_silently_dropped() {
    let examples = root().join("examples");
    let record = |time: &str| {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":{time},"userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}}}"#
        )
    };
    let input = format!(
        "{}\n{}\n{}\n",
        record("\"yesterday\""),
        record("null"),
        record("\"2024-01-01T00:00:00Z\"")
    );
    let o = tensen(
        &["run", s(&examples), "--input", "-"],
        "1",
        Some(input.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // `iam_persistence` feeds a sequence and fires on all three.
    assert!(
        stderr(&o).contains(
            "warning: 2 signal instances took no part in sequences: the record's time is missing or unreadable"
        ),
        "{}",
        stderr(&o)
    );
}
