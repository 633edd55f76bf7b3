//! The engine: evaluates a checked ruleset over records.
//!
//! `compile` turns checked expressions into a form cheap to evaluate;
//! `eval` evaluates them over one record in three-valued logic; `read` turns
//! files as AWS delivers them into records; `rules` and `run` put signals and
//! guardrails to work over them (`explain`, `explain_sequence` show why);
//! `sequence` matches attack sequences over
//! signal instances and `correlate` runs the matchers in a stream;
//! `pipeline` and `follow` drive a whole run.

pub mod chunks;
pub mod compile;
pub mod condition;
pub mod correlate;
pub mod diff;
pub mod dispatch;
pub mod envelope;
pub mod eval;
pub mod exempt;
pub mod explain;
pub mod explain_sequence;
pub mod follow;
pub mod known;
pub mod org;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod place;
pub mod project;
pub mod read;
pub mod record;
pub mod rules;
pub mod run;
pub mod sequence;
pub mod time;
pub mod value;
