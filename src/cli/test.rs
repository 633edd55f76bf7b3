//! `tensen test`: runs a ruleset's `test` items and reports them like a
//! test runner (or as JUnit XML), comparing each test's output with its
//! snapshot. Exit 0 when every test passed, 1 when one failed, 2 when the
//! rules have errors.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::{use_color, ColorChoice};
use crate::engine::rules::Engine;
use crate::testing::snapshot::{self, Status};
use crate::testing::{discover, junit, run_test};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// A line per test, failures explained, for people.
    Text,
    /// JUnit XML on standard output, for CI systems.
    Junit,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Rule files or folders (default: the current folder).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Run only the tests written in this rule file (the whole ruleset is
    /// still loaded); what an editor's "run tests in file" uses.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write new and changed outputs as the snapshots.
    #[arg(long)]
    pub accept: bool,
    /// Delete snapshot files that no test names.
    #[arg(long)]
    pub prune: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: TestFormat,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// A path as one key for "the same file": canonical when it exists.
fn same_file_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `CI` set (to anything but `false`/`0`): a missing snapshot fails.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

pub fn run(args: &TestArgs) -> ExitCode {
    let color = use_color(args.color);
    let Some((sources, analysis)) = super::load_ruleset(
        &args.paths,
        color,
        true,
        "the rules have errors; no test was run",
    ) else {
        return ExitCode::from(2);
    };
    let engine = Engine::from_analysis(&analysis);
    let start = Instant::now();
    let ci = in_ci();
    // Under CI nothing is written beside the rules: a checkout stays clean.
    let mode = match (args.accept, ci) {
        (true, _) => snapshot::Mode::Accept,
        (false, true) => snapshot::Mode::ReadOnly,
        (false, false) => snapshot::Mode::Review,
    };
    let mut cases = discover(&analysis, &sources, args.filter.as_deref());
    if let Some(only) = &args.file {
        let wanted = same_file_key(only);
        let known = sources
            .iter()
            .any(|(_, f)| !f.builtin && same_file_key(Path::new(&f.name)) == wanted);
        if !known {
            eprintln!(
                "error: {} is not one of the rule files under {}",
                only.display(),
                args.paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return ExitCode::from(2);
        }
        cases.retain(|c| same_file_key(&c.file) == wanted);
    }
    let mut out = std::io::stdout().lock();
    let text = args.format == TestFormat::Text;
    let paint = |code: &str, t: &str| {
        if color {
            format!("\x1b[{code}m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let (mut passed, mut failed, mut new) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for case in &cases {
        let run = run_test(&engine, case);
        let mut failures = run.failures.clone();
        let mut notes = Vec::new();
        match snapshot::compare(case, &run.snapshot, mode, color) {
            Status::Matched => {}
            Status::New(p) => {
                new += 1;
                if ci {
                    failures.push(format!(
                        "no snapshot yet (CI is set, so nothing was written): run `tensen test --accept` and commit {}",
                        p.display()
                    ));
                } else {
                    notes.push(format!(
                        "new snapshot written to {} (`--accept` keeps it)",
                        p.display()
                    ));
                }
            }
            Status::Accepted(p) => notes.push(format!("snapshot written: {}", p.display())),
            Status::Changed { path, diff } => failures.push(format!(
                "the output differs from {} (`--accept` takes the new one):\n{diff}",
                path.display()
            )),
            Status::Corrupt { path, why } => failures.push(format!(
                "snapshot {} cannot be read ({why}); treated as changed (`--accept` rewrites it)",
                path.display()
            )),
            Status::WriteFailed { path, why } => {
                failures.push(format!("cannot write {}: {why}", path.display()))
            }
        }
        let place = format!("{}:{}", case.file.display(), case.line);
        if failures.is_empty() {
            passed += 1;
        } else {
            failed += 1;
        }
        if text {
            let word = if failures.is_empty() {
                paint("32", "PASS")
            } else {
                paint("31", "FAIL")
            };
            let _ = writeln!(
                out,
                "{word}  {place}  {}  ({} record{}, {} ms)",
                case.name,
                run.records,
                if run.records == 1 { "" } else { "s" },
                run.elapsed.as_millis()
            );
            for f in failures.iter().chain(&notes) {
                for (i, line) in f.lines().enumerate() {
                    let _ = writeln!(out, "      {}{line}", if i == 0 { "" } else { "  " });
                }
            }
        }
        report.push(junit::Case {
            name: case.name.clone(),
            file: case.file.display().to_string(),
            seconds: run.elapsed.as_secs_f64(),
            failures,
        });
    }
    // Snapshots no test names any more.
    let all = discover(&analysis, &sources, None);
    let referenced: BTreeSet<PathBuf> = all.iter().map(snapshot::path_for).collect();
    let rule_files: Vec<PathBuf> = sources
        .iter()
        .filter(|(_, f)| !f.builtin)
        .map(|(_, f)| PathBuf::from(&f.name))
        .collect();
    let mut err = std::io::stderr().lock();
    if args.filter.is_none() && args.file.is_none() {
        for stale in snapshot::unreferenced(&rule_files, &referenced) {
            if args.prune {
                match std::fs::remove_file(&stale) {
                    Ok(()) => {
                        let _ = writeln!(err, "removed unreferenced snapshot {}", stale.display());
                    }
                    Err(e) => {
                        let _ = writeln!(
                            err,
                            "error: cannot remove {}: {}",
                            stale.display(),
                            crate::files::io_reason(&e)
                        );
                    }
                }
            } else {
                let _ = writeln!(
                    err,
                    "warning: no test names snapshot {} (`--prune` removes it)",
                    stale.display()
                );
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    match args.format {
        TestFormat::Junit => {
            let _ = write!(out, "{}", junit::report(&report, secs));
        }
        TestFormat::Text => {
            let _ = writeln!(
                out,
                "\n{} test{}: {passed} passed, {failed} failed, {new} new snapshot{} ({secs:.2} s)",
                cases.len(),
                if cases.len() == 1 { "" } else { "s" },
                if new == 1 { "" } else { "s" },
            );
        }
    }
    if cases.is_empty() {
        let _ = writeln!(
            err,
            "warning: no test found{}",
            match &args.filter {
                Some(f) => format!(" whose name contains `{f}`"),
                None => String::new(),
            }
        );
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
