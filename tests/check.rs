//! The diagnostics corpus: every file in `tests/check/` is an invalid rule
//! file with one problem (named by the file); its rendered diagnostics are
//! snapshotted, so a reviewer sees exactly what a user sees.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::Path;

use tensen::check::{analyze, load, render, Severity, Sources};

fn render_file(path: &Path) -> (String, usize) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = Sources::new();
    sources.add(name, text);
    let analysis = analyze(&sources);
    let out = render::terminal(&analysis.diagnostics, &sources, false);
    (out, analysis.diagnostics.len())
}

#[test]
fn invalid_rules_are_reported() {
    insta::glob!("check/*.tsn", |path| {
        let (rendered, count) = render_file(path);
        assert!(count > 0, "{} should produce a diagnostic", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn every_fixture_names_its_problem_in_a_comment() {
    insta::glob!("check/*.tsn", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.starts_with("//") || text.starts_with('#'),
            "{}",
            path.display()
        );
    });
}

#[test]
fn prelude_checks_clean() {
    let analysis = analyze(&Sources::new());
    assert_eq!(analysis.diagnostics, vec![]);
    let names: Vec<&str> = analysis.schemas.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["cloudtrail", "config", "guardduty", "ocsf", "securityhub"]
    );
}

#[test]
fn examples_check_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (sources, load_diags) = load::load_paths(&[root]);
    assert!(load_diags.is_empty());
    assert!(sources.iter().filter(|(_, f)| !f.builtin).count() >= 1);
    let analysis = analyze(&sources);
    let rendered = render::terminal(&analysis.diagnostics, &sources, false);
    assert!(analysis.diagnostics.is_empty(), "{rendered}");
}

#[test]
fn every_code_is_exercised_by_the_corpus() {
    // Codes that only arise from files on disk are tested in `tests/bad_input.rs`
    // (`link-loop` in `tests/cli.rs`).
    let disk_only = ["invalid-utf8", "unreadable-file", "link-loop"];
    let mut seen = std::collections::BTreeSet::new();
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tsn") {
            let mut sources = Sources::new();
            sources.add(
                path.file_name().unwrap().to_string_lossy(),
                std::fs::read_to_string(&path).unwrap(),
            );
            for d in analyze(&sources).diagnostics {
                seen.insert(d.code.as_str());
            }
        }
    }
    let missing: Vec<&str> = tensen::check::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(c) && !disk_only.contains(c))
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
}

#[test]
fn warnings_alone_do_not_make_errors() {
    let mut sources = Sources::new();
    sources.add(
        "w.tsn",
        "signal a on cloudtrail { when eventNmae == \"x\" }",
    );
    let analysis = analyze(&sources);
    assert!(!analysis.has_errors());
    assert!(analysis
        .diagnostics
        .iter()
        .all(|d| d.severity == Severity::Warning));
    assert_eq!(analysis.diagnostics.len(), 1);
}
