//! The `tensen` binary end to end: exit codes, output formats, and bad input
//! that must end in a clear error, never a panic or a hang.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::root;

fn tensen(args: &[&str]) -> Output {
    common::command(args).output().unwrap()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `bytes` to a fresh temporary folder and returns the file's path.
fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_no_crash(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(o.status.code(), Some(0..=2)),
        "crashed: {:?}\n{err}",
        o.status
    );
}

#[test]
fn examples_check_clean() {
    let o = tensen(&["check", path_arg(&root().join("examples"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 errors, 0 warnings"));
}

#[test]
fn errors_fail_and_warnings_fail_only_when_denied() {
    let bad = root().join("tests/check/type_mismatch_eq.tsn");
    let o = tensen(&["check", path_arg(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("type_mismatch_eq.tsn:3:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("cannot compare `string` with `number`"));

    let warn = root().join("tests/check/unknown_field.tsn");
    assert_eq!(tensen(&["check", path_arg(&warn)]).status.code(), Some(0));
    assert_eq!(
        tensen(&["check", "--deny-warnings", path_arg(&warn)])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn json_and_sarif_carry_the_same_diagnostics() {
    let bad = root().join("tests/check/entity_not_declared.tsn");
    let o = tensen(&["check", "--format", "json", path_arg(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["code"], "entity-not-declared");
    assert_eq!(lines[0]["severity"], "error");
    assert_eq!(lines[0]["location"]["line"], 17);
    assert_eq!(lines[0]["location"]["column"], 14);
    assert!(lines[0]["help"]
        .as_str()
        .unwrap()
        .contains("entity principal"));

    let o = tensen(&["check", "--format", "sarif", path_arg(&bad)]);
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "entity-not-declared");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        17
    );
    assert!(!results[0]["relatedLocations"]
        .as_array()
        .unwrap()
        .is_empty());
    let rule_index = results[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][rule_index]["id"],
        "entity-not-declared"
    );
}

#[test]
fn fmt_rewrites_and_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(
        &dir,
        "a.tsn",
        b"signal a on cloudtrail{when eventName==\"x\" // why\n}\n",
    );
    let o = tensen(&["fmt", "--check", path_arg(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("a.tsn"));
    assert_eq!(tensen(&["fmt", path_arg(&file)]).status.code(), Some(0));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        "signal a on cloudtrail {\n    when eventName == \"x\" // why\n}\n"
    );
    assert_eq!(
        tensen(&["fmt", "--check", path_arg(&file)]).status.code(),
        Some(0)
    );
}

#[test]
fn fmt_leaves_files_with_syntax_errors_alone() {
    let dir = tempfile::tempdir().unwrap();
    let original = b"signal a on cloudtrail { when eventName == }\n";
    let file = temp_file(&dir, "bad.tsn", original);
    let o = tensen(&["fmt", path_arg(&file)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.tsn:1:"));
    assert_eq!(std::fs::read(&file).unwrap(), original);
}

#[test]
fn schema_lists_sources_and_fields() {
    let o = tensen(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for name in ["cloudtrail", "guardduty", "securityhub", "ocsf", "config"] {
        assert!(
            out.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{out}"
        );
    }
    let o = tensen(&["schema", "cloudtrail"]);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("eventName ") && l.contains("string")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("action ")),
        "derived fields are listed:\n{out}"
    );
    let o = tensen(&["schema", "cloudtrial"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `cloudtrail`?"));
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();

    let not_utf8 = temp_file(&dir, "latin1.tsn", b"let a = \"caf\xe9\"\n");
    let o = tensen(&["check", path_arg(&not_utf8)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
    assert!(stderr(&o).contains("latin1.tsn:1:13"), "{}", stderr(&o));

    let empty = temp_file(&dir, "empty.tsn", b"");
    assert_eq!(tensen(&["check", path_arg(&empty)]).status.code(), Some(0));

    let missing = dir.path().join("nope.tsn");
    let o = tensen(&["check", path_arg(&missing)]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a path that cannot be read means the check could not run"
    );
    assert!(stderr(&o).contains("no such file or folder"));
    let o = tensen(&["check", "--format", "sarif", path_arg(&missing)]);
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert!(uri.as_str().unwrap().ends_with("nope.tsn"), "{log}");
    let o = tensen(&["schema", "--rules", path_arg(&missing)]);
    assert_eq!(o.status.code(), Some(2));

    // Random bytes: a clean error, not a crash.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let file = temp_file(&dir, "random.tsn", &random);
    let o = tensen(&["check", path_arg(&file)]);
    assert_no_crash(&o);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let parens = format!("let a = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let chain = format!(
        "signal s on cloudtrail {{ when {} }}\n",
        vec!["(readOnly"; 10_000].join(" or ") + &")".repeat(10_000)
    );
    let nots = format!(
        "signal s on cloudtrail {{ when {}readOnly }}\n",
        "not ".repeat(100_000)
    );
    let negs = format!("let n = {}1\n", "-".repeat(100_000));
    let lists = format!("let l = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let steps = format!(
        "sequence q {{ steps {} }}\n",
        "unordered {".repeat(5_000) + &"}".repeat(5_000)
    );
    for (name, text) in [
        ("parens", parens),
        ("chain", chain),
        ("nots", nots),
        ("negs", negs),
        ("lists", lists),
        ("steps", steps),
    ] {
        let file = temp_file(&dir, &format!("{name}.tsn"), text.as_bytes());
        let o = tensen(&["check", path_arg(&file)]);
        assert_no_crash(&o);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert!(
            stderr(&o).contains("nesting deeper than"),
            "{name}: {}",
            stderr(&o)
        );
        let o = tensen(&["fmt", "--check", path_arg(&file)]);
        assert_no_crash(&o);
    }
}

#[test]
fn a_long_flat_chain_of_and_or_or_is_not_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let record = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","readOnly":false,"eventTime":"2024-01-01T00:00:00Z"}"#;
    let input = temp_file(&dir, "r.json", record.as_bytes());
    for (n, joiner, last, fires) in [
        (300, " or ", "readOnly == false", true),
        (200_000, " or ", "readOnly == false", true),
        (300, " and ", "readOnly == true", false),
        (5_000, " and ", "readOnly == false", true),
    ] {
        let operands: Vec<String> = (0..n - 1)
            .map(|i| {
                let op = if joiner == " or " { "==" } else { "!=" };
                format!("eventName {op} \"X{i}\"")
            })
            .chain([last.to_string()])
            .collect();
        let text = format!(
            "signal s on cloudtrail {{ when {} }}\n",
            operands.join(joiner)
        );
        let file = temp_file(&dir, "chain.tsn", text.as_bytes());
        let o = tensen(&["check", path_arg(&file)]);
        assert_eq!(o.status.code(), Some(0), "{n}{joiner}: {}", stderr(&o));
        let run = |file: &Path| {
            let o = tensen(&["run", path_arg(file), "--input", path_arg(&input)]);
            assert_eq!(o.status.code(), Some(0), "{n}{joiner}: {}", stderr(&o));
            String::from_utf8(o.stdout).unwrap()
        };
        let before = run(&file);
        assert_eq!(before.contains("\"kind\":\"signal\""), fires, "{n}{joiner}");
        // Formatted, it means the same and is formatted.
        let o = tensen(&["fmt", path_arg(&file)]);
        assert_no_crash(&o);
        assert_eq!(run(&file), before, "{n}{joiner}");
        let o = tensen(&["fmt", "--check", path_arg(&file)]);
        assert_eq!(o.status.code(), Some(0), "{n}{joiner}: {}", stderr(&o));
    }
}

#[test]
fn a_ten_megabyte_field_name_checks() {
    // Looking for a "did you mean" for it took minutes (edit distance to
    // every field, each the product of the two lengths).
    let dir = tempfile::tempdir().unwrap();
    let name = "a".repeat(10 << 20);
    let text = format!("signal s on cloudtrail {{ when {name} == \"x\" }}\n");
    let file = temp_file(&dir, "long.tsn", text.as_bytes());
    let o = tensen(&["check", "--format", "json", path_arg(&file)]);
    assert_no_crash(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("unknown-field"),
        "{}",
        &out[..out.len().min(500)]
    );
}

#[test]
fn a_five_megabyte_ruleset_checks() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&format!(
            "/// Rule {i}.\nsignal rule_{i} on cloudtrail {{\n    severity medium\n    when eventName == \"Call{i}\" and errorCode == null\n    entity principal = userIdentity.arn\n}}\n\n"
        ));
        i += 1;
    }
    let file = temp_file(&dir, "big.tsn", text.as_bytes());
    let o = tensen(&["check", path_arg(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 errors"));
}

#[test]
fn unclosed_string_and_comment_are_reported_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(
        &dir,
        "u.tsn",
        b"let a = \"open\nlet b = 1 /* never closed\n",
    );
    let o = tensen(&["check", path_arg(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("unclosed string") && err.contains("u.tsn:1:9"),
        "{err}"
    );
    assert!(
        err.contains("unclosed block comment") && err.contains("u.tsn:2:11"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_reported_and_every_file_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("a.tsn"),
        "signal login on cloudtrail {\n    when eventName == \"ConsoleLogin\"\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&rules, rules.join("loop")).unwrap();
    std::os::unix::fs::symlink(&rules, rules.join("loop2")).unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(
        input.join("a.jsonl"),
        "{\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\",\"eventTime\":\"2024-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&input, input.join("loop")).unwrap();
    std::os::unix::fs::symlink(input.join("a.jsonl"), input.join("b.jsonl")).unwrap();
    // A clean ruleset, read once: two warnings, no duplicate items.
    let o = tensen(&["check", path_arg(&rules)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("0 errors, 2 warnings"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("warning[link-loop]"), "{}", stderr(&o));
    // One record read once, the loop reported.
    let o = tensen(&["run", path_arg(&rules), "--input", path_arg(&input)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stderr(&o).contains("symbolic link loop"), "{}", stderr(&o));
    assert!(stderr(&o).contains("read 1 records"), "{}", stderr(&o));
}

/// `--org FILE`: AWS's `list-accounts` output is read as it is; a broken
/// file is an error with its place, before any record is read.
#[test]
fn org_files_are_read_or_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let rules = temp_file(
        &dir,
        "rules.tsn",
        b"guardrail deny_all on cloudtrail {\n    scope principal\n    deny when eventName != \"\"\n}\n",
    );
    let records = temp_file(
        &dir,
        "in.jsonl",
        br#"{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventType":"AwsApiCall","eventID":"a","recipientAccountId":"222222222222","userIdentity":{"type":"IAMUser","accountId":"222222222222"}}
{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventType":"AwsApiCall","eventID":"b","recipientAccountId":"222222222222","userIdentity":{"type":"AWSAccount","accountId":"999999999999"}}
"#,
    );
    let org = temp_file(
        &dir,
        "org.json",
        br#"{"Accounts": [{"Id": "222222222222", "Status": "ACTIVE"}]}"#,
    );
    let o = tensen(&[
        "run",
        path_arg(&rules),
        "--input",
        path_arg(&records),
        "--org",
        path_arg(&org),
        "--only",
        "deny,allow",
    ]);
    assert_no_crash(&o);
    let out = stdout(&o);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[1]["decision"], "allow");
    assert_eq!(lines[1]["exempt"], "principal outside the organization");
    let broken = temp_file(&dir, "broken.json", b"{\n  \"accounts\": [\"2222\"]\n}\n");
    let o = tensen(&[
        "run",
        path_arg(&rules),
        "--input",
        path_arg(&records),
        "--org",
        path_arg(&broken),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`accounts[0]` is not a 12-digit account id"),
        "{}",
        stderr(&o)
    );
    let o = tensen(&[
        "run",
        path_arg(&rules),
        "--input",
        path_arg(&records),
        "--org",
        "/nonexistent/org.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--org /nonexistent/org.json"),
        "{}",
        stderr(&o)
    );
}
