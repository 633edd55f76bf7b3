//! Batch = stream, through the command line: the same records give the same
//! sequence findings in one batch, piped through `--follow`, split into runs
//! chained by `--state`, and as the union of `--partition i/N`; bad state
//! files and late records are reported, never half-used or lost silently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const RULES: &str = r#"
signal login on cloudtrail {
    report false
    when eventName == "ConsoleLogin"
    entity user = userIdentity.userName
}
signal recon on cloudtrail {
    report false
    when eventName starts_with "List"
    entity user = userIdentity.userName
    entity bucket = requestParameters.bucketName
}
signal key on cloudtrail {
    severity medium
    when eventName == "CreateAccessKey"
    entity user = userIdentity.userName
}
signal exfil on cloudtrail {
    report false
    when eventName == "GetObject"
    entity user = userIdentity.userName
}
signal reset on cloudtrail {
    report false
    when eventName == "UpdateLoginProfile"
    entity user = userIdentity.userName
}
signal stop on cloudtrail {
    report false
    when eventName == "StopLogging"
    entity user = userIdentity.userName
}
signal start on cloudtrail {
    report false
    when eventName == "StartLogging"
    entity user = userIdentity.userName
}
sequence takeover {
    severity high
    by user
    within 30m
    steps {
        first: login
        unordered {
            look: recon count distinct bucket >= 3 within 10m
            keep: key
        }
        take: exfil
    }
    until reset
}
sequence dark {
    severity medium
    by user
    within 20m
    steps {
        off: stop
        absent back: start within 15m
    }
}
sequence twice {
    by user
    within 2h
    steps {
        a: takeover
        b: dark
    }
}
"#;

const EVENTS: [&str; 7] = [
    "ConsoleLogin",
    "ListBuckets",
    "CreateAccessKey",
    "GetObject",
    "UpdateLoginProfile",
    "StopLogging",
    "StartLogging",
];

/// A reproducible stream: 12 users over 6 hours, out of order by up to
/// `jitter` minutes.
fn stream(records: usize, jitter: i64, seed: u64) -> String {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let mut out = String::new();
    for n in 0..records {
        let minute = (n as i64 * 360) / records as i64;
        let at = (minute + (next() as i64 % (jitter + 1))).max(0);
        let event = EVENTS[(next() % 100) as usize % 7];
        let event = if next() % 3 == 0 {
            "ListObjects"
        } else {
            event
        };
        let user = format!("u{}", next() % 12);
        let record = serde_json::json!({
            "eventVersion": "1.08",
            "eventID": format!("e{seed}-{n}"),
            "eventTime": format!("2024-03-01T{:02}:{:02}:{:02}Z", at / 60, at % 60, n % 60),
            "eventSource": "s3.amazonaws.com",
            "eventName": event,
            "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333",
            "sourceIPAddress": "203.0.113.7",
            "userIdentity": {"type": "IAMUser", "userName": user, "arn": format!("arn:aws:iam::111122223333:user/{user}")},
            "requestParameters": {"bucketName": format!("b{}", next() % 5)},
        });
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

fn tensen(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tensen"));
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // Written from another thread: the child's output must drain meanwhile.
    let text = stdin.unwrap_or("").to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn lines(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Sequence findings by id, the highest revision of each.
fn sequences(outs: &[Value]) -> BTreeMap<String, Value> {
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for o in outs.iter().filter(|o| o["kind"] == "sequence") {
        let id = o["id"].as_str().unwrap().to_string();
        let newer = by_id
            .get(&id)
            .is_none_or(|old| old["revision"].as_u64() <= o["revision"].as_u64());
        if newer {
            by_id.insert(id, o.clone());
        }
    }
    by_id
}

/// Drops where each instance's record was read (`detail.record`): runs
/// chained by `--state` read each chunk as its own input, with its own line
/// numbers.
fn without_records(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != "record")
                .map(|(k, v)| (k.clone(), without_records(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_records).collect()),
        other => other.clone(),
    }
}

fn state_of(path: &Path) -> Value {
    without_records(&serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

/// Where two JSON values differ, as `path: got != want` lines.
fn diff(got: &Value, want: &Value, path: &str) -> String {
    match (got, want) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .map(|k| {
                    diff(
                        &a.get(k).cloned().unwrap_or(Value::Null),
                        &b.get(k).cloned().unwrap_or(Value::Null),
                        &format!("{path}.{k}"),
                    )
                })
                .collect()
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .map(|(i, (x, y))| diff(x, y, &format!("{path}[{i}]")))
            .collect(),
        _ if got == want => String::new(),
        _ => format!("{path}: {got} != {want}\n"),
    }
}

/// Two sets of findings are equal; on failure, shows only what differs.
fn assert_same(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>, what: &str) {
    let only_got: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let only_want: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let changed: Vec<String> = got
        .iter()
        .filter_map(|(k, v)| want.get(k).filter(|w| *w != v).map(|w| diff(v, w, k)))
        .take(2)
        .collect();
    assert!(
        only_got.is_empty() && only_want.is_empty() && changed.is_empty(),
        "{what}: only in got {only_got:?}, only in want {only_want:?}, changed:\n{}",
        changed.join("\n")
    );
}

fn setup(records: usize, jitter: i64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.tsn"), RULES).unwrap();
    let text = stream(records, jitter, 7);
    std::fs::write(dir.path().join("in.jsonl"), &text).unwrap();
    (dir, text)
}

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
