//! The engine: evaluates a checked ruleset over records.
//!
//! Only record recognition exists so far (which source a JSON record belongs
//! to); signals, sequences and guardrails are evaluated in later releases.

pub mod path;
pub mod recognize;
