//! The example rules do what their own `test` items say: every expectation
//! of every test in `examples/` holds (inline events and fixture files,
//! signals, sequences and guardrails). `tensen test examples/` checks the
//! same and also their snapshots; this runs it through the library.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::Path;

use tensen::check::{analyze, load};
use tensen::engine::rules::Engine;
use tensen::testing::{discover, run_test};

#[test]
fn example_tests_meet_their_expectations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (sources, diags) = load::load_paths(&[root]);
    assert!(diags.is_empty());
    let analysis = analyze(&sources);
    assert!(analysis.diagnostics.is_empty());
    let engine = Engine::from_analysis(&analysis);
    let cases = discover(&analysis, &sources, None);
    let mut failed = Vec::new();
    for case in &cases {
        let run = run_test(&engine, case);
        if !run.failures.is_empty() {
            failed.push(format!("{}: {}", case.name, run.failures.join("; ")));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(cases.len() >= 30, "only {} tests", cases.len());
}
