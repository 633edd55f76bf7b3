//! The example rules do what their own `test` items say, over the fixture
//! files they name: each `expect RULE count N` holds, counting a signal's
//! or a sequence's findings, or a guardrail's denials and non-compliant
//! resources.
//!
//! (Tests with inline `event`s wait for `tensen test`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tensen::check::{analyze, load};
use tensen::engine::pipeline::{run_inputs, Sequencing};
use tensen::engine::read::Input;
use tensen::engine::rules::Engine;
use tensen::engine::run::{OutputKind, RunOptions};
use tensen::syntax::ast::{ClauseKind, CmpOp, ExprKind, ItemKind, Lit};

#[test]
fn example_fixtures_meet_their_expectations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (sources, diags) = load::load_paths(&[root]);
    assert!(diags.is_empty());
    let analysis = analyze(&sources);
    assert!(analysis.diagnostics.is_empty());
    let engine = Engine::from_analysis(&analysis);
    let mut checked = 0;
    for pf in &analysis.files {
        let file = sources.get(pf.id).unwrap();
        let dir = PathBuf::from(&file.name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for item in &pf.parsed.file.items {
            let ItemKind::Test { name, clauses } = &item.kind else {
                continue;
            };
            let inputs: Vec<Input> = clauses
                .iter()
                .filter_map(|c| match &c.kind {
                    ClauseKind::Input(p) => Some(Input::File(dir.join(&p.value))),
                    _ => None,
                })
                .collect();
            let inline = clauses
                .iter()
                .any(|c| matches!(c.kind, ClauseKind::Event { .. }));
            if inputs.is_empty() || inline {
                continue;
            }
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            let summary = run_inputs(
                &engine,
                &inputs,
                &RunOptions::default(),
                &mut Sequencing::batch(&engine),
                &mut |o| {
                    let rule = o
                        .json
                        .get("rule")
                        .or_else(|| o.json.get("guardrail"))
                        .and_then(|v| v.as_str());
                    if let (
                        Some(rule),
                        OutputKind::Signal
                        | OutputKind::Sequence
                        | OutputKind::Deny
                        | OutputKind::NonCompliant,
                    ) = (rule, o.kind)
                    {
                        *counts.entry(rule.to_string()).or_default() += 1;
                    }
                },
                &|_| {},
            );
            assert_eq!(summary.rejected, 0, "{}: {:?}", name.value, summary.errors);
            assert!(
                summary.errors.is_empty(),
                "{}: {:?}",
                name.value,
                summary.errors
            );
            for c in clauses {
                let ClauseKind::Expect { rule, count } = &c.kind else {
                    continue;
                };
                let got = counts.get(&rule.name).copied().unwrap_or(0);
                let Some(count) = count else {
                    assert!(
                        got > 0,
                        "test {:?}: expected `{}` at least once",
                        name.value,
                        rule.name
                    );
                    continue;
                };
                let ExprKind::Lit(Lit::Int(n)) = &count.value.kind else {
                    panic!("count is not a number")
                };
                let want: u64 = n.parse().unwrap();
                let ok = match count.op.unwrap_or(CmpOp::Eq) {
                    CmpOp::Eq => got == want,
                    CmpOp::Ne => got != want,
                    CmpOp::Lt => got < want,
                    CmpOp::Le => got <= want,
                    CmpOp::Gt => got > want,
                    CmpOp::Ge => got >= want,
                };
                assert!(
                    ok,
                    "test {:?}: `{}` produced {got}, expected {n}",
                    name.value, rule.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} expectations checked");
}
