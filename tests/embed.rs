//! Embedding tensen in a Rust program, and snapshot-testing what it finds
//! with `insta`: the example `docs/embedding.md` walks through. A team that
//! runs tensen inside its own pipeline reviews rule changes the same way
//! `tensen test` users do, with `cargo insta review`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use serde_json::{json, Value};
use tensen::engine::pipeline::{evaluate_records, Sequencing};
use tensen::engine::rules::Engine;
use tensen::engine::run::{Output, OutputKind, RecordRef, RunOptions};

const RULES: &str = r#"
/// A console login without MFA.
signal login_without_mfa on cloudtrail {
    title "{user} logged in without MFA"
    severity low
    when eventName == "ConsoleLogin" and additionalEventData.MFAUsed == "No"
    entity user = userIdentity.userName
}

/// Logging turned off.
signal logging_stopped on cloudtrail {
    title "{user} stopped trail {requestParameters.name}"
    severity high
    when eventName == "StopLogging"
    entity user = userIdentity.userName
}

/// The two, by one user, within the hour.
sequence login_then_blind {
    title "{user} logged in without MFA, then stopped CloudTrail"
    severity critical
    by user
    within 1h
    steps {
        login: login_without_mfa
        blind: logging_stopped
    }
}
"#;

/// Your program's records, from wherever it reads them.
fn records() -> Vec<(RecordRef, Value)> {
    let record = |line: usize, time: &str, name: &str, extra: Value| {
        let mut r = json!({
            "eventTime": time,
            "eventSource": "cloudtrail.amazonaws.com",
            "eventName": name,
            "userIdentity": { "type": "IAMUser", "userName": "mallory" },
        });
        if let (Some(r), Some(extra)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(extra.clone());
        }
        let at = RecordRef {
            file: "queue".into(),
            line,
            index: None,
            event: None,
        };
        (at, r)
    };
    vec![
        record(
            1,
            "2024-05-01T10:00:00Z",
            "ConsoleLogin",
            json!({ "additionalEventData": { "MFAUsed": "No" } }),
        ),
        record(
            2,
            "2024-05-01T10:20:00Z",
            "StopLogging",
            json!({ "requestParameters": { "name": "org-trail" } }),
        ),
    ]
}

#[test]
fn an_embedded_engine_finds_the_attack() {
    // 1. Compile the rules once: errors come back as diagnostics.
    let mut sources = tensen::Sources::new();
    sources.add("rules.tsn", RULES);
    let ruleset = tensen::compile(&sources).expect("the rules check clean");
    let engine = Engine::new(&ruleset);

    // 2. Run records through it; a batch run orders the sequences' signals
    //    by event time and decides everything at the end.
    let mut findings: Vec<Value> = Vec::new();
    let mut sequences = Sequencing::batch(&engine);
    let summary = evaluate_records(
        &engine,
        &RunOptions::default(),
        records(),
        &mut sequences,
        &mut |o: &Output| {
            if o.kind != OutputKind::Allow {
                findings.push(o.to_json());
            }
        },
    );
    assert_eq!(summary.evaluated, 2);

    // 3. Snapshot what it found: a rule change that changes a finding shows
    //    up as a diff to review.
    insta::assert_json_snapshot!(findings);
}
