//! Batch = stream, through the command line: the same records give the same
//! sequence findings in one batch, piped through `--follow`, split into runs
//! chained by `--state`, and as the union of `--partition i/N`; late
//! records are reported, never lost silently (`tests/state.rs`: the state
//! file itself).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::streams::*;
use serde_json::Value;

#[test]
fn follow_on_stdin_equals_the_batch() {
    let (dir, text) = setup(3000, 4);
    let batch = sequences(&lines(&tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "-"],
        Some(&text),
    )));
    assert!(
        batch.len() >= 5,
        "the stream should hold sequences: {batch:?}"
    );
    let kinds: std::collections::BTreeSet<&str> = batch
        .values()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3, "every sequence fires: {kinds:?}");
    let followed = sequences(&lines(&tensen(
        dir.path(),
        &[
            "run",
            "rules.tsn",
            "-i",
            "-",
            "--follow",
            "--max-lateness",
            "10m",
        ],
        Some(&text),
    )));
    assert_same(&followed, &batch, "--follow");
    // Every revision, as it happens, ends at the same last revisions.
    let all = lines(&tensen(
        dir.path(),
        &[
            "run",
            "rules.tsn",
            "-i",
            "-",
            "--follow",
            "--revisions",
            "all",
        ],
        Some(&text),
    ));
    assert!(all.iter().filter(|o| o["kind"] == "sequence").count() > batch.len());
    assert_same(&sequences(&all), &batch, "--revisions all");
}

#[test]
fn runs_chained_by_state_equal_one_run() {
    let (dir, text) = setup(3000, 4);
    let args = |state: &str| {
        vec![
            "run".to_string(),
            "rules.tsn".into(),
            "-i".into(),
            "-".into(),
            "--state".into(),
            state.into(),
            "--max-lateness".into(),
            "10m".into(),
        ]
    };
    let run = |state: &str, chunk: &str| {
        let a = args(state);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        lines(&tensen(dir.path(), &a, Some(chunk)))
    };
    let strip = |m: BTreeMap<String, Value>| -> BTreeMap<String, Value> {
        m.into_iter()
            .map(|(k, v)| (k, without_records(&v)))
            .collect()
    };
    let one = strip(sequences(&run("one.state", &text)));
    let all: Vec<&str> = text.lines().collect();
    for cuts in [vec![1000, 2000], vec![17, 1500, 1501, 2999], vec![2500]] {
        let name = format!("chain{}.state", cuts.len());
        let mut outs = Vec::new();
        let mut from = 0;
        for to in cuts.iter().copied().chain([all.len()]) {
            let chunk: String = all[from..to].iter().map(|l| format!("{l}\n")).collect();
            outs.extend(run(&name, &chunk));
            from = to;
        }
        assert_same(&strip(sequences(&outs)), &one, &format!("cut at {cuts:?}"));
        assert_eq!(
            state_of(&dir.path().join(&name)),
            state_of(&dir.path().join("one.state")),
            "the same state at the end"
        );
    }
    // What the chain leaves open is only the last --max-lateness of it: a
    // plain batch run finds the same, and decides the rest too.
    let batch = sequences(&lines(&tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "in.jsonl"],
        None,
    )));
    for (id, f) in &one {
        assert_eq!(batch[id]["first_seen"], f["first_seen"]);
    }
    assert!(batch.len() >= one.len());
}

#[test]
fn partitions_together_write_what_one_run_writes() {
    let (dir, _) = setup(2000, 4);
    let sorted = |o: &Output| {
        let mut v: Vec<String> = lines(o).iter().map(Value::to_string).collect();
        v.sort();
        v
    };
    let whole = sorted(&tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "in.jsonl"],
        None,
    ));
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = format!("{i}/3");
        let o = tensen(
            dir.path(),
            &["run", "rules.tsn", "-i", "in.jsonl", "--partition", &p],
            None,
        );
        parts.extend(sorted(&o));
    }
    parts.sort();
    assert_eq!(parts, whole);
    let bad = tensen(
        dir.path(),
        &["run", "rules.tsn", "-i", "in.jsonl", "--partition", "3/3"],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0 <= I < N"));
}

#[test]
fn late_instances_are_reported_and_counted() {
    let (dir, text) = setup(2000, 30);
    let o = tensen(
        dir.path(),
        &[
            "run",
            "rules.tsn",
            "-i",
            "-",
            "--follow",
            "--max-lateness",
            "1m",
        ],
        Some(&text),
    );
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("came later than --max-lateness"), "{err}");
    assert!(err.contains("late: {\"record\":"), "{err}");
}

#[test]
fn follow_reads_a_growing_file_until_interrupted() {
    let (dir, text) = setup(600, 0);
    let path = dir.path().join("grow.jsonl");
    std::fs::write(&path, "").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tensen"))
        .current_dir(dir.path())
        .args([
            "run",
            "rules.tsn",
            "-i",
            "grow.jsonl",
            "--follow",
            "--max-lateness",
            "0s",
            "--only",
            "signals",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for l in text.lines() {
        writeln!(f, "{l}").unwrap();
    }
    f.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = String::from_utf8_lossy(&o.stdout).lines().count();
    let want = text
        .lines()
        .filter(|l| l.contains("\"CreateAccessKey\""))
        .count();
    assert_eq!(got, want, "every appended record was evaluated");
}

/// Starts `tensen run rules.tsn -i grow.jsonl --follow --state STATE ...`.
fn follower(dir: &Path, state: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tensen"))
        .current_dir(dir)
        .args([
            "run",
            "rules.tsn",
            "-i",
            "grow.jsonl",
            "--follow",
            "--state",
            state,
            "--checkpoint",
            "50ms",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (up to 20 s) until the state file says the follower has read
/// `bytes` bytes of the file.
fn wait_for_mark(path: &Path, bytes: usize) {
    for _ in 0..400 {
        let offset = std::fs::read(path)
            .ok()
            .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
            .and_then(|v| v["input"]["offset"].as_u64());
        if offset == Some(bytes as u64) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{} never reached offset {bytes}", path.display());
}

/// Ctrl-C for a follower: it ends cleanly, saving its state.
fn interrupt(child: std::process::Child) -> Output {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn ids(stdout: &[u8]) -> std::collections::BTreeSet<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn a_killed_follower_resumes_from_its_checkpoint_and_skips_nothing() {
    let (dir, text) = setup(600, 0);
    let p = dir.path();
    let half = text.len() / 2;
    let cut = text[..half].rfind('\n').unwrap() + 1;
    let (first, second) = text.split_at(cut);
    // One follower over the whole file, for reference.
    std::fs::write(p.join("grow.jsonl"), &text).unwrap();
    let whole = follower(p, "whole.state");
    wait_for_mark(&p.join("whole.state"), text.len());
    let whole = interrupt(whole);
    let want = ids(&whole.stdout);
    assert!(want.len() > 50, "{}", want.len());
    // The first half, then the follower is killed (no chance to save).
    std::fs::write(p.join("grow.jsonl"), first).unwrap();
    let mut killed = follower(p, "run.state");
    wait_for_mark(&p.join("run.state"), first.len());
    killed.kill().unwrap();
    let killed = killed.wait_with_output().unwrap();
    // The rest arrives; a new follower resumes at the checkpoint.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(p.join("grow.jsonl"))
        .unwrap();
    f.write_all(second.as_bytes()).unwrap();
    drop(f);
    let resumed = follower(p, "run.state");
    wait_for_mark(&p.join("run.state"), text.len());
    let resumed = interrupt(resumed);
    let err = String::from_utf8_lossy(&resumed.stderr);
    let rest = second.lines().count();
    assert!(err.contains(&format!("read {rest} records")), "{err}");
    // Nothing the uninterrupted follower wrote is missing.
    let mut got = ids(&killed.stdout);
    got.extend(ids(&resumed.stdout));
    let missing: Vec<&String> = want.difference(&got).collect();
    assert!(missing.is_empty(), "{missing:?}");
    // The state ends where one follower's does.
    let (a, b) = (
        state_of(&p.join("run.state")),
        state_of(&p.join("whole.state")),
    );
    assert_eq!(a["input"], b["input"]);
    assert_eq!(a["sequences"], b["sequences"]);
}

/// A batch run feeds its matchers behind a watermark instead of holding its
/// whole input; findings must not depend on how far behind. Held back
/// entirely (the old batch), released at once (every out-of-order instance
/// forces a redo from the sorted log) and in between, the outputs are the
/// same bytes.
#[test]
fn a_batch_run_is_exact_whatever_it_holds_back() {
    use tensen::engine::correlate::{CorrelateOptions, Correlator};
    use tensen::engine::pipeline::{run_inputs, Sequencing};
    use tensen::engine::read::Input;
    use tensen::engine::run::RunOptions;
    let dir = tempfile::tempdir().unwrap();
    let mut sources = tensen::Sources::new();
    sources.add("rules.tsn", RULES);
    let ruleset = tensen::compile(&sources).unwrap();
    let engine = tensen::engine::rules::Engine::new(&ruleset);
    let run = |input: &Path, hold: i64| {
        let correlator = Correlator::new(
            &engine.sequences,
            engine.signals.len(),
            CorrelateOptions {
                batch_hold: Some(hold),
                ..CorrelateOptions::default()
            },
        );
        let mut seq = Sequencing::with_correlator(correlator);
        let mut out = Vec::new();
        let summary = run_inputs(
            &engine,
            &[Input::File(input.to_path_buf())],
            &RunOptions::default(),
            &mut seq,
            &mut |o| out.push(o.to_line().into_owned()),
            &|_| {},
        );
        (out, summary.sequences.redone)
    };
    // More records than a run evaluates at once (4,096), so that it
    // releases instances while it reads.
    for (jitter, seed) in [(0, 1), (4, 7), (200, 11)] {
        let input = dir.path().join(format!("in-{jitter}.jsonl"));
        let mut text = stream(36_000, jitter, seed);
        if jitter == 0 {
            // In event-time order.
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_by_key(|l| {
                serde_json::from_str::<Value>(l).unwrap()["eventTime"].to_string()
            });
            text = lines.join("\n");
        }
        std::fs::write(&input, text).unwrap();
        let (whole, redone) = run(&input, i64::MAX);
        assert!(!redone);
        assert!(
            whole
                .iter()
                .filter(|o| o.contains("\"kind\":\"sequence\""))
                .count()
                >= 5,
            "the stream should hold sequences"
        );
        for hold in [0, 15 * 60_000] {
            let (held, redone) = run(&input, hold);
            let first = held.iter().zip(&whole).position(|(a, b)| a != b);
            assert_eq!(
                first, None,
                "jitter {jitter}, hold {hold} ms: first difference"
            );
            assert_eq!(held.len(), whole.len(), "jitter {jitter}, hold {hold} ms");
            // In order, nothing is redone; out of order beyond the hold, it is.
            if jitter == 0 {
                assert!(!redone, "hold {hold}");
            }
            if hold == 0 && jitter > 0 {
                assert!(redone, "jitter {jitter}");
            }
        }
    }
}
