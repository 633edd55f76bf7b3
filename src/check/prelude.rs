//! The built-in sources, written in the language itself and compiled into
//! the binary, so hover, completion and `tensen schema` show real schemas.

/// (file name, text) of every prelude file.
pub const FILES: &[(&str, &str)] = &[
    (
        "<builtin>/cloudtrail.tsn",
        include_str!("../prelude/cloudtrail.tsn"),
    ),
    (
        "<builtin>/guardduty.tsn",
        include_str!("../prelude/guardduty.tsn"),
    ),
    (
        "<builtin>/securityhub.tsn",
        include_str!("../prelude/securityhub.tsn"),
    ),
    ("<builtin>/ocsf.tsn", include_str!("../prelude/ocsf.tsn")),
    (
        "<builtin>/config.tsn",
        include_str!("../prelude/config.tsn"),
    ),
];

/// The prelude's files parsed once per process (the language server
/// re-checks the ruleset on every change): a copy of the tree of `name`.
pub fn parsed(name: &str) -> Option<crate::syntax::parser::Parsed> {
    static PARSED: std::sync::OnceLock<Vec<(&str, crate::syntax::parser::Parsed)>> =
        std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| {
            FILES
                .iter()
                .map(|(n, text)| (*n, crate::syntax::parser::parse(text)))
                .collect()
        })
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| p.clone())
}
