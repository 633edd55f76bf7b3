//! tensen: a rule language and engine for cloud security.
//!
//! Rule files become a checked [`Ruleset`] through [`compile`]; the CLI, the
//! language server and embedding programs all use that one entry.
//!
//! ```
//! let mut sources = tensen::Sources::new();
//! sources.add("rules.tsn", r#"
//!     signal root_login on cloudtrail {
//!         when eventName == "ConsoleLogin" and userIdentity.type == "Root"
//!         entity principal = userIdentity.arn
//!     }
//! "#);
//! let ruleset = tensen::compile(&sources).expect("the rule checks clean");
//! assert!(ruleset.warnings().is_empty());
//! ```

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod engine;
pub mod files;
pub mod iam;
pub mod ide;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod policy;
pub mod syntax;
pub mod testing;

pub use check::{analyze, compile, Analysis, Diagnostic, Diagnostics, Ruleset, Sources};
