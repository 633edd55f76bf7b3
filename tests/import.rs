//! `tensen import`: AWS's example SCPs and RCPs in `tests/import/` become
//! guardrails that check clean and run over the bundled CloudTrail; each
//! snapshot holds the guardrails, the checker's warnings and the decisions
//! they give, and a policy that cannot be previewed is refused with the
//! statement that stops it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn tensen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tensen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// The decisions of `rules` over the bundled CloudTrail, counted by
/// guardrail and decision.
fn decisions(rules: &Path) -> String {
    let o = tensen(&[
        "run",
        rules.to_str().unwrap(),
        "--input",
        "examples/data/invictus-aws-cloudtrail",
        "examples/data/stratus-detonation-logs",
        "--only",
        "deny,unknown",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            v["guardrail"].as_str().unwrap_or("").to_string(),
            v["decision"].as_str().unwrap_or("").to_string(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
        .iter()
        .map(|((g, d), n)| format!("{g} {d}: {n}\n"))
        .collect()
}

#[test]
fn example_policies_import_and_run() {
    insta::glob!("import/*.json", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let kind = if name.starts_with("rcp_") {
            "rcp"
        } else {
            "scp"
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("imported.tsn");
        let o = tensen(&[
            "import",
            kind,
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        let stderr =
            String::from_utf8_lossy(&o.stderr).replace(dir.path().to_str().unwrap(), "TMP");
        let stderr = stderr.replace(path.parent().unwrap().to_str().unwrap(), "tests/import");
        if name.starts_with("refused_") {
            assert_eq!(o.status.code(), Some(2), "{stderr}");
            assert!(!out.exists());
            insta::assert_snapshot!(stderr);
            return;
        }
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        let rules = std::fs::read_to_string(&out).unwrap();
        let report = format!(
            "{rules}\n--- warnings\n{stderr}\n--- decisions over the bundled CloudTrail\n{}",
            decisions(&out)
        );
        insta::assert_snapshot!(report);
    });
}
