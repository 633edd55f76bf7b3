//! Documentation generated from the code stays in sync with it:
//! `docs/diagnostics.md` lists every diagnostic code. Run with
//! `TENSEN_UPDATE_DOCS=1` to rewrite it after adding a code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::Path;

use tensen::check::{Code, Severity};

fn diagnostics_md() -> String {
    let mut out = String::from(
        "# Diagnostics\n\n\
         <!-- Generated from `src/check/diagnostic.rs` by `tests/docs.rs`; do not edit by hand. -->\n\n\
         Every problem `tensen check` reports has a stable code, shown in brackets in the\n\
         terminal (`[unknown-field] Warning: ...`), as `code` in `--format json` and as\n\
         `ruleId` in SARIF. Errors make `tensen check` exit 1; warnings do so only with\n\
         `--deny-warnings`. Each code has an example file with its rendered message in\n\
         `tests/check/` and `tests/snapshots/`.\n\n\
         | code | severity | meaning |\n|---|---|---|\n",
    );
    for code in Code::ALL {
        let sev = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| `{}` | {sev} | {} |\n",
            code.as_str(),
            code.describe()
        ));
    }
    out
}

#[test]
fn diagnostics_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let expected = diagnostics_md();
    if std::env::var_os("TENSEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/diagnostics.md is stale; run `TENSEN_UPDATE_DOCS=1 cargo test --test docs`"
    );
}
