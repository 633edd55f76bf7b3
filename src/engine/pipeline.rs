//! Runs an engine over many inputs: reads and evaluates on all cores, hands
//! outputs over in input order (so the bytes never depend on the core
//! count), and counts everything for the run's summary.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::read::{read_each, Input, InputError, ReadResult};
use super::rules::Engine;
use super::run::{evaluate, Output, OutputKind, RecordOutcome, RunOptions};

/// Counts of a run: records read = evaluated + rejected + unclaimed.
#[derive(Debug, Default, Clone)]
pub struct RunSummary {
    pub inputs: usize,
    pub bytes: usize,
    pub read: usize,
    pub evaluated: usize,
    pub rejected: usize,
    pub unclaimed: usize,
    pub counts: BTreeMap<OutputKind, usize>,
    pub errors: Vec<InputError>,
    pub elapsed: Duration,
    /// Baseline status: (guardrail, account, region) → [compliant, non-compliant, unknown].
    pub status: BTreeMap<(String, String, String), [usize; 3]>,
}

impl RunSummary {
    pub fn records_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.read as f64 / secs
        } else {
            0.0
        }
    }
}

/// How many inputs are read and evaluated together before their outputs are
/// handed over: bounds memory on large folders.
const CHUNK: usize = 32;

/// Reads and evaluates every input; calls `on_output` for each output in
/// input order and `on_progress` after each chunk with the inputs done.
pub fn run_inputs(
    engine: &Engine,
    inputs: &[Input],
    opts: &RunOptions,
    on_output: &mut dyn FnMut(&Output),
    on_progress: &dyn Fn(usize),
) -> RunSummary {
    let start = Instant::now();
    let mut summary = RunSummary {
        inputs: inputs.len(),
        ..RunSummary::default()
    };
    let mut done = 0usize;
    for chunk in inputs.chunks(CHUNK) {
        let results: Vec<ReadResult<RecordOutcome>> = chunk
            .par_iter()
            .map(|input| read_each(input, &|at, record| evaluate(engine, &record, &at, opts)))
            .collect();
        for batch in results {
            summary.bytes += batch.bytes;
            summary.rejected += batch.rejected;
            summary.read += batch.rejected + batch.items.len();
            summary.errors.extend(batch.errors);
            for outcome in batch.items {
                match outcome {
                    RecordOutcome::Unclaimed => summary.unclaimed += 1,
                    RecordOutcome::Evaluated { outputs, .. } => {
                        summary.evaluated += 1;
                        for out in &outputs {
                            *summary.counts.entry(out.kind).or_default() += 1;
                            record_status(&mut summary, out);
                            on_output(out);
                        }
                    }
                }
            }
        }
        done += chunk.len();
        on_progress(done);
    }
    summary.elapsed = start.elapsed();
    summary
}

fn record_status(summary: &mut RunSummary, out: &Output) {
    let column = match out.kind {
        OutputKind::Compliant => 0,
        OutputKind::NonCompliant => 1,
        OutputKind::Unknown
            if out.json.get("scope").and_then(|s| s.as_str()) == Some("baseline") =>
        {
            2
        }
        _ => return,
    };
    let text = |k: &str| {
        out.json
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string()
    };
    let key = (text("guardrail"), text("account"), text("region"));
    if let Some(cell) = summary.status.entry(key).or_default().get_mut(column) {
        *cell += 1;
    }
}
