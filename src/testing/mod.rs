//! `tensen test`: runs the `test` items of a ruleset. A test's records (its
//! `input` files and inline `event`s, in clause order) go through the
//! engine; its expectations are checked against the outputs, and the
//! outputs themselves are compared with a snapshot stored next to the rules.
//!
//! `records` builds a test's records, `expect` checks expectations,
//! `snapshot` stores and compares outputs, `junit` writes a CI report.

mod expect;
pub mod junit;
mod records;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::check::{Analysis, Sources};
use crate::engine::pipeline::{evaluate_records, Sequencing};
use crate::engine::rules::Engine;
use crate::engine::run::{Output, OutputKind, RunOptions};
use crate::syntax::ast::{Clause, ItemKind};

/// One `test` item, where it lives.
pub struct TestCase<'a> {
    pub name: String,
    /// The rule file that holds it, as given.
    pub file: PathBuf,
    /// 1-based line of the `test` keyword.
    pub line: usize,
    pub clauses: &'a [Clause],
    /// The folder no test input is read from outside of
    /// ([`Sources::input_root`](crate::check::Sources::input_root)).
    pub root: PathBuf,
}

impl TestCase<'_> {
    /// The folder test inputs are relative to.
    pub fn dir(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// The tests of a ruleset, in file and then item order; `filter` keeps the
/// tests whose name contains it.
pub fn discover<'a>(
    analysis: &'a Analysis,
    sources: &Sources,
    filter: Option<&str>,
) -> Vec<TestCase<'a>> {
    let mut out = Vec::new();
    for pf in &analysis.files {
        let Some(src) = sources.get(pf.id).filter(|s| !s.builtin) else {
            continue;
        };
        for item in &pf.parsed.file.items {
            let ItemKind::Test { name, clauses } = &item.kind else {
                continue;
            };
            if filter.is_some_and(|f| !name.value.contains(f)) {
                continue;
            }
            let line = src
                .text
                .get(..item.span.start)
                .map_or(1, |t| t.matches('\n').count() + 1);
            let file = PathBuf::from(&src.name);
            let root = sources.input_root(file.parent().unwrap_or(Path::new("")));
            out.push(TestCase {
                name: name.value.clone(),
                file,
                line,
                clauses,
                root,
            });
        }
    }
    out
}

/// What running one test gave.
pub struct TestRun {
    /// Expectations that did not hold, and problems reading its records.
    pub failures: Vec<String>,
    /// Its outputs, as the snapshot stores them.
    pub snapshot: String,
    pub records: usize,
    pub elapsed: Duration,
}

/// Runs one test: its records through the engine, its expectations over
/// the outputs.
pub fn run_test(engine: &Engine, case: &TestCase<'_>) -> TestRun {
    let start = Instant::now();
    let built = records::build(engine, case);
    let mut outputs: Vec<Output> = Vec::new();
    let opts = RunOptions::default();
    let mut seq = Sequencing::batch(engine);
    let summary = evaluate_records(engine, &opts, built.records, &mut seq, &mut |o: &Output| {
        if o.kind != OutputKind::Allow {
            outputs.push(o.clone());
        }
    });
    let mut failures = built.problems;
    if summary.unclaimed > 0 {
        failures.push(format!(
            "{} record{} recognised by no source",
            summary.unclaimed,
            if summary.unclaimed == 1 {
                " was"
            } else {
                "s were"
            }
        ));
    }
    failures.extend(expect::check(case, &outputs, &built.ordinals));
    TestRun {
        failures,
        snapshot: snapshot::render(case, &outputs),
        records: built.count,
        elapsed: start.elapsed(),
    }
}

/// A record's place as outputs name it: (file, line, index).
pub(crate) type RecordPlace = (String, u64, Option<u64>);
