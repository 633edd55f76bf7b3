//! What a user expects of any command-line tool, end to end: a version
//! that names its commit, completions and a man page, a quiet end when the
//! reader closes the pipe, bad options refused before any work, and a CI
//! run that writes nothing beside the rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;

use common::{root, text};

/// The binary with `args`, as a user runs it (not under CI).
fn tensen_command(args: &[&str]) -> Command {
    let mut cmd = common::command(args);
    cmd.env_remove("CI");
    cmd
}

fn tensen(args: &[&str]) -> Output {
    tensen_command(args).output().unwrap()
}

#[test]
fn version_names_the_release_and_the_commit() {
    let o = tensen(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    let want = format!("tensen {} (", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&want), "{out}");
    // A short hash from the checkout, or `unknown` outside one.
    let commit = out.trim().trim_start_matches(&want).trim_end_matches(')');
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{out}"
    );
}

#[test]
fn completions_and_the_man_page_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = tensen(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        for command in ["run", "test", "check", "fmt", "explain", "diff", "schema"] {
            assert!(script.contains(command), "{shell} lacks `{command}`");
        }
    }
    let bad = tensen(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    let man = tensen(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = text(&man.stdout);
    assert!(page.contains(".TH tensen 1"), "{page}");
    assert!(page.contains("Attack sequences and guardrails"), "{page}");
}

/// Runs `args`, reads `keep` bytes of its output and closes the pipe, as
/// `| head -c KEEP` does; returns the exit status and standard error.
fn closed_after(args: &[&str], keep: usize) -> (Option<i32>, String) {
    let mut child = tensen_command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut head = vec![0u8; keep];
    out.read_exact(&mut head).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_pipe_ends_a_command_quietly_with_0() {
    let examples = root().join("examples");
    let data = root().join("examples/data/invictus-aws-cloudtrail");
    let (e, d) = (examples.to_str().unwrap(), data.to_str().unwrap());
    // Each command writes well past a pipe's buffer (64 KB), so it is
    // still writing when the pipe closes.
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many.tsn");
    let typos: String = (0..800)
        .map(|i| format!("signal s{i} on cloudtrail {{\n    when eventNmae == \"X\"\n}}\n"))
        .collect();
    std::fs::write(&many, typos).unwrap();
    let m = many.to_str().unwrap();
    for args in [
        vec!["check", "--format", "json", m],
        vec!["check", "--format", "sarif", m],
        vec!["run", e, "--input", d],
        vec!["run", e, "--input", d, "--format", "pretty"],
    ] {
        let (code, err) = closed_after(&args, 100);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn rules_given_after_input_are_taken_back_from_it() {
    // `--input` takes every word up to the next flag (a shell glob works);
    // what follows it that is a rule path is the rules, not records.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rule = "signal s on cloudtrail {\n    when eventName == \"GetObject\"\n}\n";
    std::fs::write(rules.join("a.tsn"), rule).unwrap();
    let record = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-01-01T00:00:00Z"}"#;
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, format!("{record}\n")).unwrap();
    std::fs::write(&b, format!("{record}\n")).unwrap();
    let p = |p: &PathBuf| p.to_str().unwrap().to_string();
    let (r, a, b) = (p(&rules), p(&a), p(&b));
    let first = tensen(&["run", &r, "--input", &a, &b]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout).lines().count(), 2);
    for args in [
        vec!["run", "--input", &a, &b, &r],
        vec!["run", "-i", &a, "-i", &b, &r],
    ] {
        let o = tensen(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        assert_eq!(o.stdout, first.stdout, "{args:?}");
    }
    let o = tensen(&["diff", "--input", &a, &r, &r]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = tensen(&["explain", "--record", &a, "--rules", &r, "s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("signal `s`"),
        "{}",
        text(&o.stdout)
    );
    // Still a usage error when there are no rules at all, or no records.
    for args in [vec!["run", "--input", &a, &b], vec!["run", "--input", &r]] {
        let o = tensen(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains("required arguments"), "{args:?}");
    }
}

#[test]
fn bad_sequence_options_are_refused_before_any_work() {
    let examples = root().join("examples");
    let data = root().join("examples/data");
    let (e, d) = (examples.to_str().unwrap(), data.to_str().unwrap());
    let o = tensen(&["run", e, "--input", d, "--max-open", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("`0` is not a number of keys"),
        "{}",
        text(&o.stderr)
    );
    let missing = tempfile::tempdir().unwrap().path().join("gone/state.json");
    let o = tensen(&["run", e, "--input", d, "--state", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("does not exist"), "{err}");
    // Refused before reading: no output, no run summary.
    assert!(o.stdout.is_empty());
    assert!(!err.contains("records"), "{err}");
}

#[test]
fn a_ci_run_writes_nothing_beside_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.tsn");
    std::fs::write(
        &rules,
        r#"signal root_login on cloudtrail {
    when eventName == "ConsoleLogin" and userIdentity.type == "Root"
}

test "a root sign-in fires" {
    event { "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventTime": "2024-05-01T00:00:00Z", "userIdentity": { "type": "Root" } }
    expect root_login count 1
}
"#,
    )
    .unwrap();
    let run = |ci: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tensen"));
        c.args(["test", dir.path().to_str().unwrap()])
            .env("NO_COLOR", "1");
        if ci {
            c.env("CI", "true");
        } else {
            c.env_remove("CI");
        }
        c.output().unwrap()
    };
    let files = || -> Vec<String> {
        walk(dir.path())
            .into_iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect()
    };
    let o = run(true);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("nothing was written"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(files(), vec!["rules.tsn".to_string()]);
    // Outside CI the new output is kept for review.
    let o = run(false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        files().iter().any(|f| f.ends_with(".tsnap.new")),
        "{:?}",
        files()
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `tensen fmt` with `input` on standard input.
fn fmt_stdin(args: &[&str], input: &str) -> Output {
    common::output_with(&mut tensen_command(args), Some(input.as_bytes()))
}

const UNFORMATTED: &str = "signal  a on cloudtrail {\nwhen eventName==\"X\"\n}\n";
const FORMATTED: &str = "signal a on cloudtrail {\n    when eventName == \"X\"\n}\n";

#[test]
fn fmt_dash_formats_standard_input_to_standard_output() {
    let out = fmt_stdin(&["fmt", "-"], UNFORMATTED);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), FORMATTED);
    // Already formatted: the same bytes back.
    let out = fmt_stdin(&["fmt", "-"], FORMATTED);
    assert_eq!(text(&out.stdout), FORMATTED);
    // --check on standard input: its name, exit 1.
    let out = fmt_stdin(&["fmt", "--check", "-"], UNFORMATTED);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "<stdin>\n");
    // Syntax errors: located in `<stdin>`, nothing on standard output, exit 2.
    let out = fmt_stdin(&["fmt", "-"], "signal a on {\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("<stdin>:1:13"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn fmt_diff_prints_a_unified_diff_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.tsn");
    std::fs::write(&file, UNFORMATTED).unwrap();
    let name = file.to_str().unwrap();
    let out = tensen(&["fmt", "--diff", name]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let want = format!(
        "--- {name}\n+++ {name}\n@@ -1,3 +1,3 @@\n-signal  a on cloudtrail {{\n-when eventName==\"X\"\n+signal a on cloudtrail {{\n+    when eventName == \"X\"\n }}\n"
    );
    assert_eq!(text(&out.stdout), want);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);
    // Nothing to change: no diff, exit 0.
    std::fs::write(&file, FORMATTED).unwrap();
    let out = tensen(&["fmt", "--diff", name]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn a_link_loop_warns_but_does_not_stop_fmt_or_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.tsn"), FORMATTED).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let folder = dir.path().to_str().unwrap();
    let out = tensen(&["fmt", "--check", folder]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("link-loop"),
        "{}",
        text(&out.stderr)
    );
    let out = tensen(&["schema", "--rules", folder]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
