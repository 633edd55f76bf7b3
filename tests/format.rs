//! Formatter fixtures: each file in `tests/format/` is snapshotted in its
//! canonical layout; formatting it again changes nothing, and no comment
//! is lost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use tensen::syntax::format::format_source;
use tensen::syntax::parser::parse;

#[test]
fn canonical_layout() {
    insta::glob!("format/*.tsn", |path| {
        let src = std::fs::read_to_string(path).unwrap();
        let formatted = format_source(&src).unwrap();
        assert_eq!(format_source(&formatted).unwrap(), formatted, "idempotent");
        let before: Vec<String> = parse(&src).comments.into_iter().map(|c| c.text).collect();
        let after: Vec<String> = parse(&formatted)
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect();
        assert_eq!(before.len(), after.len(), "every comment is kept");
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn files_with_syntax_errors_are_not_formatted() {
    assert!(format_source("signal a on cloudtrail { when }").is_err());
}
