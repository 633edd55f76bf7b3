//! Differential test against Elastic's reference EQL engine (`eql` from
//! PyPI, installed on first use into `target/eql-venv`): on generated
//! streams, for the subset both express (`sequence by k with maxspan=d
//! [..] [..] until [..]`), the set of keys detected is the same. The
//! intended differences are in `docs/sequences.md` ("Compared with EQL").

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::json;
use tensen::engine::sequence::{find_matches, Instance, Pattern, Step};

const SIGNALS: [&str; 4] = ["a", "b", "c", "u"];

/// The Python of a virtual environment with `eql`, made if missing.
fn eql_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target").join("eql-venv");
    let python = venv.join("bin").join("python");
    let ready = Command::new(&python)
        .args(["-c", "import eql"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the EQL differential test");
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "eql==1.0.1"])
            .status()
            .unwrap();
        assert!(installed.success(), "pip install eql==1.0.1 failed");
    }
    python
}

struct Case {
    steps: Vec<Vec<usize>>,
    until: bool,
    maxspan: Option<i64>,
    /// (signal, key, time), in time order.
    events: Vec<(usize, &'static str, i64)>,
}

/// Reproducible random cases.
fn cases(n: usize) -> Vec<Case> {
    let mut x: u64 = 0x5eed;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    (0..n)
        .map(|_| {
            let steps = (0..2 + next(2))
                .map(|_| {
                    let mut s: Vec<usize> = (0..1 + next(2)).map(|_| next(3) as usize).collect();
                    s.sort();
                    s.dedup();
                    s
                })
                .collect();
            let mut t = 0i64;
            let events = (0..next(16))
                .map(|_| {
                    t += next(6) as i64; // ties happen
                    (next(4) as usize, ["x", "y"][next(2) as usize], t)
                })
                .collect();
            Case {
                steps,
                until: next(2) == 0,
                maxspan: (next(5) != 0).then(|| next(25) as i64),
                events,
            }
        })
        .collect()
}

fn tensen_keys(c: &Case) -> Vec<String> {
    let pattern = Pattern {
        key: "k".into(),
        within: c.maxspan.unwrap_or(i64::MAX),
        steps: c
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| Step {
                label: format!("s{i}"),
                signals: s.clone(),
                optional: false,
                absent: None,
                count: None,
                join: "k".into(),
                group: None,
            })
            .collect(),
        until: if c.until { vec![3] } else { Vec::new() },
    };
    let insts: Vec<Instance> = c
        .events
        .iter()
        .enumerate()
        .map(|(pos, (sig, k, t))| Instance {
            signal: *sig,
            time: *t,
            pos: pos as u64,
            entities: BTreeMap::from([("k".to_string(), k.to_string())]).into(),
            severity: 5.0,
            rule: SIGNALS[*sig].into(),
            detail: tensen::engine::sequence::Detail::new(&serde_json::Value::Null),
            denied_by: Vec::new(),
        })
        .collect();
    let keys: BTreeSet<String> = find_matches(&pattern, &insts, i64::MAX)
        .into_iter()
        .map(|m| m.key)
        .collect();
    keys.into_iter().collect()
}

#[test]
fn tensen_and_eql_detect_the_same_keys() {
    let python = eql_python();
    let cases = cases(600);
    let mut input = String::new();
    for c in &cases {
        let steps: Vec<Vec<&str>> = c
            .steps
            .iter()
            .map(|s| s.iter().map(|i| SIGNALS[*i]).collect())
            .collect();
        let spec = json!({
            "steps": steps,
            "until": if c.until { vec!["u"] } else { Vec::new() },
            "maxspan_ms": c.maxspan,
        });
        input.push_str(&format!("{spec}\n"));
        for (sig, k, t) in &c.events {
            input.push_str(&format!(
                "{}\n",
                json!({"sig": SIGNALS[*sig], "k": k, "t": t})
            ));
        }
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/eql/detect.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Vec<String>> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len());
    let mut detected = 0;
    for (c, eql) in cases.iter().zip(&answers) {
        let ours = tensen_keys(c);
        detected += ours.len();
        assert_eq!(
            &ours, eql,
            "steps {:?} until {} maxspan {:?} events {:?}",
            c.steps, c.until, c.maxspan, c.events
        );
    }
    // The cases are not all empty: both engines find plenty.
    assert!(detected > 100, "only {detected} detections");
}
