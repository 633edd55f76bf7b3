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
