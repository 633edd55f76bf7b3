//! Imported SCPs and RCPs decide as AWS's policy evaluation decides.
//!
//! Every example policy in `tests/import/` is imported (`tensen import`)
//! and run over the bundled CloudTrail; each record's decision is compared
//! with an IAM policy evaluator's, `@cloud-copilot/iam-simulate` (npm,
//! AGPL-3.0: a test tool run as a separate process, installed on first use
//! into `target/iam-oracle`, never linked or shipped). The evaluator gets
//! the policy as written (with `FullAWSAccess` beside a deny-only SCP), an
//! identity policy that allows everything, and the request as this file
//! reads it from the record, written here from AWS's documentation of the
//! global condition keys and independently of the engine.
//!
//! Compared are the records that both can judge: tensen's exemptions
//! (sign-ins, service events, service-linked roles, calls no SCP can deny)
//! are AWS rules the evaluator does not model, and a record whose request
//! lacks a key the policy reads (CloudTrail does not log it) has no answer
//! to compare with. On every other record the two must give the same
//! decision; tensen may say `unknown` where the evaluator decided, and those
//! are counted. The counts per policy are a snapshot.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

#[path = "iam_oracle/request.rs"]
mod request;
use request::{not_logged, request, Request, ORG};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const DATA: [&str; 2] = [
    "examples/data/invictus-aws-cloudtrail",
    "examples/data/stratus-detonation-logs",
];

/// The folder with the evaluator installed (`npm ci` on first use).
fn oracle() -> PathBuf {
    let dir = root().join("target").join("iam-oracle");
    let installed = dir.join("node_modules/@cloud-copilot/iam-simulate/package.json");
    let pinned = root().join("tests/iam_oracle");
    let lock = std::fs::read(pinned.join("package-lock.json")).unwrap();
    let same_lock = std::fs::read(dir.join("package-lock.json")).is_ok_and(|l| l == lock);
    if !installed.exists() || !same_lock {
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(pinned.join(f), dir.join(f)).unwrap();
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) is needed to install the IAM oracle");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    std::fs::copy(pinned.join("simulate.mjs"), dir.join("simulate.mjs")).unwrap();
    dir
}

/// Every record of the bundled CloudTrail, by `eventID`.
fn records() -> HashMap<String, Value> {
    use tensen::engine::read::{list_inputs, read};
    let paths: Vec<PathBuf> = DATA.iter().map(|d| root().join(d)).collect();
    let (inputs, errors) = list_inputs(&paths);
    assert!(errors.is_empty(), "{errors:?}");
    inputs
        .iter()
        .flat_map(|input| read(input).records)
        .filter_map(|(_, r)| Some((r["eventID"].as_str()?.to_string(), r)))
        .collect()
}

/// tensen's answer for one record: the policy's decision over all its
/// guardrails, or the exemption that keeps the record out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ours {
    Decided(&'static str),
    Exempt(String),
}

/// Imports `policy` and runs it: each record's answer, with the IAM
/// action and the resource the decision names.
fn tensen_decisions(kind: &str, policy: &Path, org: bool) -> HashMap<String, (Ours, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("imported.tsn");
    let tensen = env!("CARGO_BIN_EXE_tensen");
    let o = Command::new(tensen)
        .args(["import", kind])
        .arg(policy)
        .arg("-o")
        .arg(&rules)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(tensen)
        .arg("run")
        .arg(&rules)
        .arg("--input")
        .args(DATA)
        .args(["--only", "allow,deny,unknown"])
        .args(if org { vec!["--org", ORG] } else { vec![] })
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut out: HashMap<String, (Ours, Value)> = HashMap::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        let id = d["record"]["id"].as_str().unwrap().to_string();
        let this = match (d["exempt"].as_str(), d["decision"].as_str().unwrap()) {
            (Some(why), _) => Ours::Exempt(why.to_string()),
            (None, "deny") => Ours::Decided("deny"),
            (None, "unknown") => Ours::Decided("unknown"),
            (None, _) => Ours::Decided("allow"),
        };
        let entry = out.entry(id).or_insert((this.clone(), d.clone()));
        entry.0 = match (&entry.0, &this) {
            (Ours::Exempt(w), _) | (_, Ours::Exempt(w)) => Ours::Exempt(w.clone()),
            (Ours::Decided("deny"), _) | (_, Ours::Decided("deny")) => Ours::Decided("deny"),
            (Ours::Decided("unknown"), _) | (_, Ours::Decided("unknown")) => {
                Ours::Decided("unknown")
            }
            _ => Ours::Decided("allow"),
        };
    }
    out
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(s) => s.clone(),
        s => vec![s.clone()],
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// IAM's wildcard match (`*`, `?`), case-insensitive as action names are.
fn glob(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(&pattern.to_lowercase()).matches(&text.to_lowercase())
}

/// The condition keys that statements applying to `action` read (by their
/// lower case, as IAM compares them: the spelling first met, and the values
/// the policy names).
fn keys_read(policy: &Value, action: &str) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let mut keys: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for s in statements(policy) {
        let applies = match (&s["Action"], &s["NotAction"]) {
            (a, _) if !a.is_null() => strings(a).iter().any(|p| glob(p, action)),
            (_, n) => !strings(n).iter().any(|p| glob(p, action)),
        };
        if !applies {
            continue;
        }
        for (_, by_key) in s["Condition"].as_object().into_iter().flatten() {
            for (k, v) in by_key.as_object().into_iter().flatten() {
                keys.entry(k.to_ascii_lowercase())
                    .or_insert_with(|| (k.clone(), BTreeSet::new()))
                    .1
                    .extend(strings(v));
            }
        }
    }
    keys
}

/// Every way the keys CloudTrail does not log could be set: absent, each
/// value the policy names, and a value it does not name.
fn assignments(unknown: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<(String, Option<String>)>> {
    let mut out = vec![Vec::new()];
    for (key, named) in unknown {
        let lower = key.to_ascii_lowercase();
        let options: Vec<Option<String>> =
            if lower.ends_with("orgid") || lower.ends_with("orgpaths") {
                // Only an account outside the organization leaves its id or
                // path unknown: another organization's, or none.
                let other = if lower.ends_with("orgid") {
                    "o-zzzzzzzzzz"
                } else {
                    "o-zzzzzzzzzz/r-zzzz/ou-zzzz-zzzzzzzz/"
                };
                vec![None, Some(other.to_string())]
            } else {
                let mut options = vec![None, Some("tensen-unnamed-value".into())];
                options.extend(named.iter().cloned().map(Some));
                for n in named.iter().filter_map(|v| v.parse::<i64>().ok()) {
                    options.push(Some((n + 1).to_string()));
                    options.push(Some((n - 1).to_string()));
                }
                if named.iter().any(|v| v == "true" || v == "false") {
                    options.push(Some("true".into()));
                    options.push(Some("false".into()));
                }
                options
            };
        out = out
            .into_iter()
            .flat_map(|a| {
                options.iter().map(move |o| {
                    let mut a = a.clone();
                    a.push((key.clone(), o.clone()));
                    a
                })
            })
            .collect();
    }
    out
}

fn allow_all() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// The resource of the request: the one the decision names, else one of
/// the type a statement for the action names (`arn:aws:ec2:*:*:instance/*`
/// becomes an instance in the record's region and account), else `*`.
fn resource_for(policy: &Value, action: &str, req: &Request, decision: &Value) -> String {
    if let Some(named) = decision["resource"].as_str() {
        return named.to_string();
    }
    let region = req
        .context
        .get("aws:RequestedRegion")
        .and_then(Value::as_str);
    for s in statements(policy) {
        if !strings(&s["Action"]).iter().any(|p| glob(p, action)) {
            continue;
        }
        for pattern in strings(&s["Resource"]).iter().filter(|p| *p != "*") {
            let parts: Vec<&str> = pattern.splitn(6, ':').collect();
            if let [arn, partition, service, _, _, rest] = parts[..] {
                return format!(
                    "{arn}:{partition}:{service}:{}:{}:{}",
                    region.unwrap_or("us-east-1"),
                    req.account.as_deref().unwrap_or("123456789012"),
                    rest.replace('*', "tensen-oracle")
                );
            }
        }
    }
    "*".to_string()
}

fn simulation(kind: &str, policy: &Value, req: &Request, decision: &Value) -> Option<Value> {
    let principal = req.principal.clone()?;
    let action = decision["action"].as_str()?;
    let resource = resource_for(policy, action, req, decision);
    let account = match kind {
        "rcp" => decision["account"].as_str().map(str::to_string),
        _ => req.account.clone(),
    }?;
    let allows = statements(policy).iter().any(|s| s["Effect"] == "Allow");
    let named = |p: &Value, n: &str| json!({"name": n, "policy": p});
    let (scps, rcps) = match kind {
        "scp" if allows => (vec![named(policy, "policy")], vec![]),
        "scp" => (
            vec![
                named(&allow_all(), "FullAWSAccess"),
                named(policy, "policy"),
            ],
            vec![],
        ),
        _ => (vec![], vec![named(policy, "policy")]),
    };
    let org = |policies: Vec<Value>| {
        if policies.is_empty() {
            json!([])
        } else {
            json!([{"orgIdentifier": "o-tensentest", "policies": policies}])
        }
    };
    let mut sim = json!({
        "request": {
            "principal": principal,
            "action": action,
            "resource": {"resource": resource, "accountId": account},
            "contextVariables": req.context,
        },
        "identityPolicies": [{"name": "AllowEverything", "policy": allow_all()}],
        "serviceControlPolicies": org(scps),
        "resourceControlPolicies": org(rcps),
    });
    if req.account.as_deref() != Some(account.as_str()) {
        // Across accounts the resource's own policy must allow too.
        sim["resourcePolicy"] = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]});
    }
    Some(sim)
}

/// The evaluator's answers, by request id.
fn ask(requests: &[(String, Value)]) -> HashMap<String, Result<String, String>> {
    let dir = oracle();
    let mut child = Command::new("node")
        .arg("simulate.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Node.js) runs the IAM oracle");
    let mut input = String::new();
    for (id, sim) in requests {
        input.push_str(&json!({"id": id, "simulation": sim}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let id = v["id"].as_str().unwrap().to_string();
            match v["result"].as_str() {
                Some(r) => (id, Ok(r.to_string())),
                None => (id, Err(v["error"].to_string())),
            }
        })
        .collect()
}

/// Why AWS does not evaluate a record's call with this kind of policy:
/// only authorized API calls are, and SCPs never govern AWS services.
fn not_evaluated(kind: &str, r: &Value) -> Option<&'static str> {
    if r["eventType"] != "AwsApiCall" {
        return Some("not an API call");
    }
    if kind == "scp" && r["userIdentity"]["type"] == "AWSService" {
        return Some("an AWS service's call (no SCP applies)");
    }
    None
}

/// One policy over every record: the counts of the report, and the
/// records where tensen and the evaluator disagree.
fn compare(
    name: &str,
    kind: &str,
    policy: &Value,
    records: &HashMap<String, Value>,
    wrong: &mut Vec<String>,
) -> (usize, usize, BTreeMap<String, usize>) {
    // A policy that reads the organization's id is previewed in one.
    let org = ["aws:principalorgid", "aws:resourceorgid", "orgpaths"]
        .iter()
        .any(|k| {
            serde_json::to_string(policy)
                .unwrap()
                .to_ascii_lowercase()
                .contains(k)
        });
    let ours = tensen_decisions(kind, &root().join("tests/import").join(name), org);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = |what: String| *counts.entry(what).or_default() += 1;
    let mut asked: Vec<(String, Value)> = Vec::new();
    let mut cases: Vec<(&String, &'static str, usize, Vec<String>)> = Vec::new();
    let mut ids: Vec<&String> = ours.keys().collect();
    ids.sort();
    for id in ids {
        let (answer, decision) = &ours[id];
        let record = &records[id];
        let ours_says = match answer {
            Ours::Exempt(why) => {
                count(format!("exempt: {why}"));
                continue;
            }
            Ours::Decided(d) => *d,
        };
        if let Some(why) = not_evaluated(kind, record) {
            count(format!("not evaluated by AWS ({why}): tensen {ours_says}"));
            if ours_says != "allow" {
                wrong.push(format!("{name} {id}: {why}, but tensen says {ours_says}"));
            }
            continue;
        }
        let req = request(record, org);
        let action = decision["action"].as_str().unwrap_or("");
        let read = keys_read(policy, action);
        let unknown: BTreeMap<String, BTreeSet<String>> = read
            .iter()
            .filter(|(lower, _)| not_logged(&req, lower))
            .map(|(_, (key, named))| (key.clone(), named.clone()))
            .collect();
        let first = asked.len();
        for assigned in assignments(&unknown) {
            let mut req = Request {
                principal: req.principal.clone(),
                account: req.account.clone(),
                context: req.context.clone(),
                unknown: BTreeSet::new(),
            };
            for (k, v) in assigned {
                match v {
                    Some(v) => req.context.insert(k.clone(), Value::String(v)),
                    None => req.context.remove(&k),
                };
            }
            match simulation(kind, policy, &req, decision) {
                Some(sim) => asked.push((format!("{id}#{}", asked.len()), sim)),
                None => break,
            }
        }
        if asked.len() == first {
            count("no request could be built".into());
            wrong.push(format!("{name} {id}: no request could be built"));
            continue;
        }
        cases.push((
            id,
            ours_says,
            asked.len() - first,
            unknown.into_keys().collect(),
        ));
    }
    let answers = ask(&asked);
    let (mut agree, mut compared) = (0usize, 0usize);
    let mut at = 0;
    for (id, ours_says, n, unknown) in cases {
        let mut theirs: BTreeSet<&str> = BTreeSet::new();
        let mut refused = None;
        for (rid, _) in &asked[at..at + n] {
            match &answers[rid] {
                Ok(r) if r == "Allowed" => {
                    theirs.insert("allow");
                }
                Ok(_) => {
                    theirs.insert("deny");
                }
                Err(e) => refused = Some(e.clone()),
            }
        }
        at += n;
        let d = &ours[id].1;
        let shown = format!("{} by {}", d["action"], d["principal"]);
        if let Some(e) = refused {
            if e.contains("invalid.action") {
                count(format!(
                    "evaluator does not know the action: tensen {ours_says}"
                ));
            } else {
                count("evaluator refused the request".into());
                wrong.push(format!("{name} {id}: evaluator error {e} ({shown})"));
            }
            continue;
        }
        let keys = unknown.join(", ");
        match (ours_says, theirs.len()) {
            ("unknown", 1) => count(format!(
                "tensen unknown, evaluator {} whatever {keys} is",
                theirs.first().unwrap()
            )),
            ("unknown", _) => count(format!("both unknown: the answer depends on {keys}")),
            (_, 1) => {
                compared += 1;
                if theirs.contains(ours_says) {
                    agree += 1;
                    count(format!("agree: {ours_says}"));
                } else {
                    count(format!("DISAGREE: tensen {ours_says}"));
                    wrong.push(format!(
                        "{name} {id}: tensen {ours_says}, evaluator {theirs:?} ({shown})"
                    ));
                }
            }
            (_, _) => {
                compared += 1;
                count(format!(
                    "DISAGREE: tensen {ours_says}, but it depends on {keys}"
                ));
                wrong.push(format!(
                    "{name} {id}: tensen {ours_says}, evaluator {theirs:?} by {keys} ({shown})"
                ));
            }
        }
    }
    (agree, compared, counts)
}

#[test]
fn imported_policies_decide_as_the_iam_evaluator() {
    let records = records();
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/import"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with("refused_"))
        .collect();
    names.sort();
    let mut report = String::new();
    let mut wrong = Vec::new();
    let (mut agree_all, mut compared_all) = (0usize, 0usize);
    for name in &names {
        let kind = if name.starts_with("rcp_") {
            "rcp"
        } else {
            "scp"
        };
        let path = root().join("tests/import").join(name);
        let policy: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let (agree, compared, counts) = compare(name, kind, &policy, &records, &mut wrong);
        agree_all += agree;
        compared_all += compared;
        report.push_str(&format!("{name}: {agree}/{compared} agree\n"));
        for (what, n) in counts {
            report.push_str(&format!("  {what}: {n}\n"));
        }
    }
    report.push_str(&format!(
        "all: {agree_all}/{compared_all} decisions agree with the evaluator\n"
    ));
    println!("{report}");
    assert!(
        wrong.is_empty(),
        "{} records disagree or were refused:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    insta::assert_snapshot!(report);
}
