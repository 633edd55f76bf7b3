//! `tensen test` end to end: expectations, snapshots (new, accepted,
//! changed, corrupt, unreferenced), `CI`, `--filter`, `--file`, JUnit and
//! exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::Path;
use std::process::{Command, Output};

const RULES: &str = r#"
signal login on cloudtrail {
    title "login by {user}"
    when eventName == "ConsoleLogin"
    entity user = userIdentity.userName
}

signal key on cloudtrail {
    when eventName == "CreateAccessKey"
    entity user = userIdentity.userName
}

sequence takeover {
    by user
    within 1h
    steps {
        first: login
        optional look: login
        then: key
    }
}

guardrail no_keys on cloudtrail {
    scope principal
    deny when eventName == "CreateAccessKey"
    message "no new keys for {userIdentity.userName}"
}

test "a login then a key" {
    event { "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": { "userName": "ann" } }
    event +10m { "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "userIdentity": { "userName": "ann" } }
    expect login count 1
    expect key
    expect takeover: steps [first, then]
    expect no_keys: deny event 2 "no new keys for ann"
}

test "a key alone" {
    input "fixtures/key.jsonl"
    expect takeover count 0
    expect no_keys count 1
}
"#;

const KEY: &str = r#"{"eventTime": "2024-05-01T10:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "userIdentity": {"userName": "bob"}}
"#;

fn setup(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    std::fs::write(dir.path().join("fixtures/key.jsonl"), KEY).unwrap();
    std::fs::write(dir.path().join("rules.tsn"), rules).unwrap();
    dir
}

fn tensen(dir: &Path, args: &[&str], ci: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tensen"));
    cmd.current_dir(dir).arg("test").args(args).env_remove("CI");
    if ci {
        cmd.env("CI", "true");
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn snapshots(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("__snapshots__"))
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn tests_pass_and_snapshots_go_from_new_to_accepted() {
    let dir = setup(RULES);
    let p = dir.path();
    // First run: expectations hold; the outputs are new snapshots, pending.
    let o = tensen(p, &[], false);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("PASS  ./rules.tsn:29  a login then a key  (2 records"),
        "{t}"
    );
    assert!(
        t.contains("2 tests: 2 passed, 0 failed, 2 new snapshots"),
        "{t}"
    );
    assert_eq!(
        snapshots(p),
        [
            "rules@a_key_alone.tsnap.new",
            "rules@a_login_then_a_key.tsnap.new"
        ]
    );
    // Under CI a missing snapshot fails.
    let o = tensen(p, &[], true);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no snapshot yet (CI is set, so nothing was written)"));
    // Accepted, they are the reference: the next run matches, even in CI.
    assert_eq!(tensen(p, &["--accept"], false).status.code(), Some(0));
    assert_eq!(
        snapshots(p),
        ["rules@a_key_alone.tsnap", "rules@a_login_then_a_key.tsnap"]
    );
    let o = tensen(p, &[], true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 passed, 0 failed, 0 new snapshots"));
    // The snapshot is readable: the test, the rules, each output indented.
    let snap =
        std::fs::read_to_string(p.join("__snapshots__/rules@a_login_then_a_key.tsnap")).unwrap();
    assert!(snap.starts_with("---\ntest: a login then a key\nrules: rules.tsn\noutputs: 4\n---\n{\n  \"kind\": \"signal\""), "{snap}");
    assert!(
        snap.contains("\"time\": \"2024-01-01T00:10:00Z\""),
        "the offset sets the time: {snap}"
    );
}

#[test]
fn moving_a_test_changes_no_snapshot() {
    // `tensen test --accept; tensen fmt; tensen test`: lines move (here a
    // header comment and `fmt`'s own layout), records keep their place:
    // an inline event is named by its number in the test, not its line.
    let dir = setup(RULES);
    let p = dir.path();
    assert_eq!(tensen(p, &["--accept"], false).status.code(), Some(0));
    let snap =
        std::fs::read_to_string(p.join("__snapshots__/rules@a_login_then_a_key.tsnap")).unwrap();
    assert!(snap.contains("\"event\": 2"), "{snap}");
    assert!(!snap.contains("\"line\""), "{snap}");
    let moved = format!("// Moved down by a header.\n\n\n{RULES}");
    std::fs::write(p.join("rules.tsn"), moved).unwrap();
    let fmt = Command::new(env!("CARGO_BIN_EXE_tensen"))
        .args(["fmt", "rules.tsn"])
        .current_dir(p)
        .output()
        .unwrap();
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stderr)
    );
    let o = tensen(p, &[], true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("2 passed, 0 failed, 0 new snapshots"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_changed_output_fails_with_a_diff_and_accept_takes_it() {
    let dir = setup(RULES);
    let p = dir.path();
    tensen(p, &["--accept"], false);
    std::fs::write(
        p.join("rules.tsn"),
        RULES.replace(
            "title \"login by {user}\"",
            "title \"console login by {user}\"",
        ),
    )
    .unwrap();
    let o = tensen(p, &["--color", "never"], false);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("FAIL  ./rules.tsn:29  a login then a key"),
        "{t}"
    );
    assert!(t.contains("-  \"title\": \"login by ann\","), "{t}");
    assert!(t.contains("+  \"title\": \"console login by ann\","), "{t}");
    assert!(t.contains("1 passed, 1 failed"), "{t}");
    assert!(snapshots(p).contains(&"rules@a_login_then_a_key.tsnap.new".to_string()));
    assert_eq!(tensen(p, &["--accept"], false).status.code(), Some(0));
    assert_eq!(tensen(p, &[], true).status.code(), Some(0));
    assert!(
        !snapshots(p).iter().any(|s| s.ends_with(".new")),
        "pending files are cleared"
    );
}

#[test]
fn failed_expectations_say_what_was_expected_and_what_came() {
    let rules = RULES
        .replace("expect login count 1", "expect login count 2")
        .replace("deny event 2 \"no new keys for ann\"", "deny event 1")
        .replace("steps [first, then]", "steps [first, look, then]");
    let dir = setup(&rules);
    let o = tensen(dir.path(), &[], false);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("expected `login` count == 2, got 1"), "{t}");
    assert!(
        t.contains("expected `no_keys` to deny record 1; it denied record 2"),
        "{t}"
    );
    assert!(
        t.contains(
            "expected a `takeover` finding with steps [first, look, then]; found [first, then]"
        ),
        "{t}"
    );
}

#[test]
fn a_corrupt_snapshot_is_reported_with_its_path_and_treated_as_changed() {
    let dir = setup(RULES);
    let p = dir.path();
    tensen(p, &["--accept"], false);
    std::fs::write(
        p.join("__snapshots__/rules@a_key_alone.tsnap"),
        [0xff, 0xfe, 0x00],
    )
    .unwrap();
    let o = tensen(p, &[], false);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(t.contains("snapshot ./__snapshots__/rules@a_key_alone.tsnap cannot be read (not UTF-8); treated as changed"), "{t}");
    assert_eq!(tensen(p, &["--accept"], false).status.code(), Some(0));
    assert_eq!(tensen(p, &[], true).status.code(), Some(0));
}

#[test]
fn unreferenced_snapshots_are_reported_and_pruned() {
    let dir = setup(RULES);
    let p = dir.path();
    tensen(p, &["--accept"], false);
    std::fs::write(
        p.join("__snapshots__/rules@gone.tsnap"),
        "---\ntest: gone\n",
    )
    .unwrap();
    let o = tensen(p, &[], false);
    assert!(text(&o).contains("warning: no test names snapshot ./__snapshots__/rules@gone.tsnap (`--prune` removes it)"), "{}", text(&o));
    let o = tensen(p, &["--prune"], false);
    assert!(text(&o).contains("removed unreferenced snapshot"));
    assert_eq!(
        snapshots(p),
        ["rules@a_key_alone.tsnap", "rules@a_login_then_a_key.tsnap"]
    );
}

#[test]
fn filter_and_junit() {
    let dir = setup(&RULES.replace("expect no_keys count 1", "expect no_keys count 5"));
    let p = dir.path();
    let o = tensen(p, &["--filter", "login"], false);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("1 test: 1 passed"), "{}", text(&o));
    let o = tensen(p, &["--format", "junit"], false);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&o.stdout);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tensen\" tests=\"2\" failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase name=\"a login then a key\" classname=\"./rules.tsn\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"expected `no_keys` count == 5, got 1\">"),
        "{xml}"
    );
}

#[test]
fn file_runs_only_the_tests_written_in_that_file_with_the_whole_ruleset() {
    let dir = setup(RULES);
    let p = dir.path();
    // A second file whose test uses a signal declared in rules.tsn.
    std::fs::write(
        p.join("more.tsn"),
        r#"test "keys from another file" {
    event { "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "userIdentity": { "userName": "cy" } }
    expect key count 1
}
"#,
    )
    .unwrap();
    let o = tensen(p, &[".", "--file", "more.tsn"], false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("keys from another file"), "{t}");
    assert!(!t.contains("a login then a key"), "{t}");
    assert!(t.contains("1 test: 1 passed"), "{t}");
    // Filtered runs never call other tests' snapshots unreferenced.
    assert!(!t.contains("no test names snapshot"), "{t}");
    // The same file by another spelling of its path.
    let abs = p.join("more.tsn");
    let o = tensen(p, &[".", "--file", abs.to_str().unwrap()], false);
    assert!(text(&o).contains("1 test: 1 passed"), "{}", text(&o));
    // A file outside the ruleset is an error, not an empty run.
    let o = tensen(p, &[".", "--file", "nope.tsn"], false);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("error: nope.tsn is not one of the rule files under ."),
        "{}",
        text(&o)
    );
}

#[test]
fn rules_with_errors_run_no_test() {
    let dir = setup(&RULES.replace("expect key\n", "expect kee\n"));
    let o = tensen(dir.path(), &[], false);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("unknown rule `kee`") && t.contains("no test was run"),
        "{t}"
    );
}

#[test]
fn an_inline_config_item_gets_the_time_its_source_needs_to_recognise_it() {
    let rules = r#"
signal instance_seen on config {
    when resourceType == "AWS::EC2::Instance"
}

test "a config item without its own time" {
    event +1h { "resourceType": "AWS::EC2::Instance", "resourceId": "i-1" }
    expect instance_seen count 1
}
"#;
    let dir = setup(rules);
    let o = tensen(dir.path(), &["--accept"], false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let snap = std::fs::read_to_string(
        dir.path()
            .join("__snapshots__/rules@a_config_item_without_its_own_time.tsnap"),
    )
    .unwrap();
    assert!(
        snap.contains("\"time\": \"2024-01-01T01:00:00Z\""),
        "{snap}"
    );
}

#[cfg(unix)]
#[test]
fn test_inputs_are_regular_files_inside_the_ruleset() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.jsonl"), KEY).unwrap();
    let rules = r#"
signal key on cloudtrail {
    when eventName == "CreateAccessKey"
}

test "a link out of the folder" {
    input "fixtures/out.jsonl"
    expect key count 1
}

test "a device" {
    input "fixtures/zero.jsonl"
    expect key count 1
}

test "a pipe" {
    input "fixtures/fifo.jsonl"
    expect key count 1
}

test "a link inside the folder" {
    input "fixtures/in.jsonl"
    expect key count 1
}
"#;
    let dir = setup(rules);
    let p = dir.path();
    let fixtures = p.join("fixtures");
    std::os::unix::fs::symlink(
        outside.path().join("secret.jsonl"),
        fixtures.join("out.jsonl"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", fixtures.join("zero.jsonl")).unwrap();
    std::os::unix::fs::symlink(fixtures.join("key.jsonl"), fixtures.join("in.jsonl")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(fixtures.join("fifo.jsonl"))
        .status()
        .unwrap();
    assert!(fifo.success());
    // Refused, not read: no secret, no endless read, no hang.
    let o = tensen(p, &["--color", "never"], false);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("4 tests: 1 passed, 3 failed"), "{t}");
    assert!(
        t.contains("input `fixtures/out.jsonl`: leads outside the ruleset's folder"),
        "{t}"
    );
    assert!(
        t.contains(
            "input `fixtures/zero.jsonl`: leads outside the ruleset's folder (to /dev/zero)"
        ),
        "{t}"
    );
    assert!(
        t.contains("input `fixtures/fifo.jsonl`: not a regular file"),
        "{t}"
    );
}
