//! What the tests of sequences through the command line share: a ruleset
//! of sequences, a reproducible stream of records for it, and running
//! `tensen` on them in a folder.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const RULES: &str = r#"
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

pub const EVENTS: [&str; 7] = [
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
pub fn stream(records: usize, jitter: i64, seed: u64) -> String {
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

pub fn tensen(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
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

pub fn lines(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Sequence findings by id, the highest revision of each.
pub fn sequences(outs: &[Value]) -> BTreeMap<String, Value> {
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
pub fn without_records(v: &Value) -> Value {
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

pub fn state_of(path: &Path) -> Value {
    without_records(&serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

/// Where two JSON values differ, as `path: got != want` lines.
pub fn diff(got: &Value, want: &Value, path: &str) -> String {
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
pub fn assert_same(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>, what: &str) {
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

pub fn setup(records: usize, jitter: i64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.tsn"), RULES).unwrap();
    let text = stream(records, jitter, 7);
    std::fs::write(dir.path().join("in.jsonl"), &text).unwrap();
    (dir, text)
}
