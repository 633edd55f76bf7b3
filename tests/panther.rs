//! Signals ported from Panther's open detection rules, checked against
//! Panther's own labelled test events: every case that needs no mocks must
//! agree with its `expected` label.
//!
//! A port lives in `examples/panther/` as a signal named after the Panther
//! rule id, lower case with `_` for `.` (`AWS.CloudTrail.Stopped` →
//! `aws_cloudtrail_stopped`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use tensen::check::{load, render};
use tensen::engine::rules::Engine;
use tensen::engine::run::{evaluate_json, OutputKind, RecordOutcome, RecordRef, RunOptions};

fn port_name(rule_id: &str) -> String {
    rule_id.to_lowercase().replace(['.', '-'], "_")
}

#[test]
fn ports_agree_with_panthers_labels() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (sources, load_diags) = load::load_paths(&[root.join("examples/panther")]);
    assert!(load_diags.is_empty());
    let ruleset = match tensen::compile(&sources) {
        Ok(r) => r,
        Err(d) => panic!("{}", render::terminal(&d.0, &sources, false)),
    };
    let engine = Engine::new(&ruleset);
    let ported: BTreeMap<&str, usize> = engine
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| (&*s.name, i))
        .collect();
    let opts = RunOptions {
        source: engine.source_index("cloudtrail"),
        ..RunOptions::default()
    };
    let gz =
        std::fs::File::open(root.join("examples/data/panther-tests/aws_cloudtrail_rules.jsonl.gz"))
            .unwrap();
    let mut cases = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut cases).unwrap();
    let mut agree: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (n, line) in cases.lines().enumerate() {
        let case: Value = serde_json::from_str(line).unwrap();
        if case["needs_mocks"] == Value::Bool(true) || !case["log"].is_object() {
            continue;
        }
        let rule_id = case["rule_id"].as_str().unwrap();
        let name = port_name(rule_id);
        if !ported.contains_key(name.as_str()) {
            continue;
        }
        let at = RecordRef {
            file: Arc::from("aws_cloudtrail_rules.jsonl"),
            line: n + 1,
            index: None,
            event: None,
        };
        let fired = match evaluate_json(&engine, &case["log"], &at, &opts) {
            RecordOutcome::Evaluated { outputs, .. } => outputs
                .iter()
                .any(|o| o.kind == OutputKind::Signal && **o.rule() == *name.as_str()),
            RecordOutcome::Unclaimed => false,
        };
        let expected = case["expected"].as_bool().unwrap();
        if fired == expected {
            *agree.entry(name).or_default() += 1;
        } else {
            disagreements.push(format!(
                "line {}: {rule_id} ({:?}): expected {expected}, got {fired}",
                n + 1,
                case["test"].as_str().unwrap_or("")
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "ports that disagree with Panther:\n{}",
        disagreements.join("\n")
    );
    let rules = agree.len();
    let cases: usize = agree.values().sum();
    eprintln!("{rules} ported rules agree with Panther on {cases} labelled cases");
    assert!(rules >= 30, "only {rules} ported rules have labelled cases");
    for name in ported.keys() {
        assert!(
            agree.contains_key(*name),
            "port `{name}` matches no labelled Panther case"
        );
    }
}
