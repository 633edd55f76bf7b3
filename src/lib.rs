//! tensen: a rule language and engine for cloud security.
//!
//! Rule files become a checked [`check::Ruleset`] through [`compile`]; the
//! CLI, the language server and embedding programs all use that one entry.

pub mod syntax;
