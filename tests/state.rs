//! `--state` through the command line: a bad state file is refused with
//! the reason, a state is locked while a run uses it, a batch read twice is
//! counted once, a record dated in the future does not stop later batches,
//! and the state cap evicts and says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

mod common;

use std::process::Output;

use common::streams::*;
use serde_json::Value;

#[test]
fn a_record_dated_in_the_future_does_not_stop_later_batches() {
    // One record dated 9999 in the first batch used to move the saved
    // watermark to 9999: every later record was "late" and no sequence was
    // found again.
    let (dir, text) = setup(3000, 4);
    let all: Vec<&str> = text.lines().collect();
    let future = all[10].replace("2024-03-01T", "9999-12-31T");
    let run = |state: &str, chunk: &str| {
        let o = tensen(
            dir.path(),
            &["run", "rules.tsn", "-i", "-", "--state", state],
            Some(chunk),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    let chunk = |lines: &[&str]| -> String { lines.iter().map(|l| format!("{l}\n")).collect() };
    let first = chunk(&all[..1000]);
    let rest = chunk(&all[1000..]);
    let clean = [run("clean.state", &first), run("clean.state", &rest)];
    let with_future = format!("{first}{future}\n");
    let dirty = [run("dirty.state", &with_future), run("dirty.state", &rest)];
    let err = String::from_utf8_lossy(&dirty[0].stderr);
    assert!(
        err.contains("1 record dated more than a day past the clock"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&dirty[1].stderr).contains("later than"));
    // By what they found (ids also hash positions, one apart here).
    let found = |runs: &[Output]| {
        let outs: Vec<Value> = runs.iter().flat_map(lines).collect();
        let mut found: Vec<String> = sequences(&outs)
            .values()
            .map(|f| {
                let f = without_records(f);
                format!(
                    "{} {} {} {}",
                    f["rule"], f["key"], f["first_seen"], f["last_seen"]
                )
            })
            .collect();
        found.sort();
        found
    };
    assert!(!found(&clean).is_empty());
    assert_eq!(found(&dirty), found(&clean));
}

#[test]
fn a_batch_read_twice_on_one_state_counts_once() {
    let (dir, text) = setup(3000, 4);
    let run = |chunk: &str| {
        tensen(
            dir.path(),
            &["run", "rules.tsn", "-i", "-", "--state", "s.json"],
            Some(chunk),
        )
    };
    let first = run(&text);
    assert!(first.status.success());
    let saved = state_of(&dir.path().join("s.json"));
    let again = run(&text);
    assert!(again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not counted again"), "{err}");
    // Nothing joined a match twice: the state is the one the first run
    // saved, but for how many records the runs have read.
    let mut after = state_of(&dir.path().join("s.json"));
    assert_eq!(after["position"], 6000);
    after["position"] = saved["position"].clone();
    assert_eq!(after, saved);
    let revised: Vec<Value> = lines(&again)
        .into_iter()
        .filter(|o| o["kind"] == "sequence")
        .collect();
    assert!(revised.is_empty(), "{revised:?}");
}

#[test]
fn two_runs_on_one_state_are_refused() {
    let (dir, text) = setup(100, 0);
    let state = dir.path().join("s.json");
    let held = tensen::engine::correlate::lock_state(&state).unwrap();
    let o = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-", "--state", "s.json"],
        Some(&text),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("in use by another tensen run"), "{err}");
    assert!(o.stdout.is_empty(), "refused before any work");
    drop(held);
    let o = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-", "--state", "s.json"],
        Some(&text),
    );
    assert!(o.status.success());
}

#[test]
fn a_bad_state_file_is_refused_with_the_reason() {
    let (dir, text) = setup(300, 0);
    std::fs::write(dir.path().join("bad.state"), "{\"format\": 1, \"rules\": ").unwrap();
    let o = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-", "--state", "bad.state"],
        Some(&text),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.state:1:") && err.contains("not a tensen state file"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing is run on a bad state");

    // A state saved for other rules.
    let ok = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-", "--state", "s.state"],
        Some(&text),
    );
    assert!(ok.status.success());
    std::fs::write(
        dir.path().join("rules.tsn"),
        RULES.replace("within 30m", "within 31m"),
    )
    .unwrap();
    let o = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-", "--state", "s.state"],
        Some(&text),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("saved for other rules (rules hash "), "{err}");
}

#[test]
fn a_state_cap_evicts_and_says_so() {
    let (dir, text) = setup(2000, 0);
    let run = |cap: &str| {
        tensen(
            dir.path(),
            &["run", "rules.tsn", "-i", "-", "--max-open", cap],
            Some(&text),
        )
    };
    let capped = run("1");
    let err = String::from_utf8_lossy(&capped.stderr);
    assert!(
        err.contains("partial sequence matches were evicted by --max-open"),
        "{err}"
    );
    assert!(capped.status.success());
    let open = run("1000");
    assert!(!String::from_utf8_lossy(&open.stderr).contains("evicted"));
    // With one key at a time, the interleaved users lose their matches.
    let (few, all) = (sequences(&lines(&capped)), sequences(&lines(&open)));
    assert!(few.len() < all.len(), "{} vs {}", few.len(), all.len());
}
