//! Runs an engine over many inputs: reads and evaluates on all cores, hands
//! outputs over in input order (so the bytes never depend on the core
//! count), feeds signal instances to the sequence correlator, and counts
//! everything for the run's summary. `--follow` reads one growing input.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::chunks::LineChunks;
use super::correlate::{CorrelateStats, Correlator};
use super::read::{load, Input, InputError, Loaded, UnitResult};
use super::record::Builder;
use super::rules::{Engine, GuardScope};
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
    /// Signal instances handed to sequences.
    pub hits: usize,
    /// Signals that feed sequences but fired on records without a readable
    /// time, so took no part in them.
    pub untimed: usize,
    /// Records of a streaming or chained run dated past the wall clock (by
    /// more than [`FUTURE_TOLERANCE_MS`]): they moved no watermark and
    /// their signals took no part in sequences.
    pub future: usize,
    pub sequences: CorrelateStats,
}

/// Baseline status while a run goes: (guardrail, account, region) →
/// resource → the column of its last output.
pub(super) type Statuses = BTreeMap<(String, String, String), BTreeMap<String, usize>>;

/// The sequence side of a run.
pub struct Sequencing<'e> {
    pub correlator: Correlator<'e>,
    /// Records evaluated by earlier runs (`--state`): positions go on.
    pub position: u64,
    /// The input is complete (no `--state`): release and decide everything.
    pub flush: bool,
    /// Write the records' own outputs (signals, decisions); off for all
    /// partitions but the first.
    pub records: bool,
    /// The followed file and how far it has been read: restored from
    /// `--state`, kept up to date by `--follow`, saved with the state.
    pub input: Option<super::correlate::InputMark>,
    /// Records dated after this (epoch ms) are in the future: one record
    /// dated 9999 would move a saved watermark past every later batch.
    horizon: Option<i64>,
    /// The `--state` file's lock, held for the whole run.
    pub state_lock: Option<super::correlate::StateLock>,
}

/// How far past the wall clock a streaming or chained run takes a record's
/// time as real (clocks drift, zones get mixed up).
pub const FUTURE_TOLERANCE_MS: i64 = 24 * 60 * 60 * 1000;

/// How far behind the newest record a streaming or chained run lets
/// signal instances arrive (CloudTrail's usual delivery delay).
pub const DEFAULT_LATENESS_MS: i64 = 15 * 60 * 1000;

/// What a run asks of its sequences; [`Sequencing::new`] turns it into the
/// engine's policy.
#[derive(Debug, Clone, Default)]
pub struct SequenceSetup {
    /// The input grows (`--follow`).
    pub follow: bool,
    /// State is saved for the next run (`--state`): nothing is flushed.
    pub stateful: bool,
    /// How late an instance may arrive; `None`: the default of streaming
    /// and chained runs, or none at all for a batch (exact, bounded).
    pub max_lateness: Option<i64>,
    pub revisions: super::correlate::Revisions,
    /// Keys with open state per sequence; 0: unbounded.
    pub max_open: usize,
    /// This run's share of the sequence keys (`I/N`); only partition 0
    /// writes the records' own outputs.
    pub partition: Option<(u64, u64)>,
    /// The wall clock (epoch ms): a streaming or chained run takes records
    /// dated well after it out of sequences. `None`: no such check.
    pub now: Option<i64>,
}

impl<'e> Sequencing<'e> {
    /// The sequence side of a run set up as asked.
    pub fn new(engine: &'e Engine, setup: &SequenceSetup) -> Self {
        let streaming = setup.follow || setup.stateful;
        let lateness = setup
            .max_lateness
            .or(streaming.then_some(DEFAULT_LATENESS_MS));
        Sequencing {
            correlator: Correlator::new(
                &engine.sequences,
                engine.signals.len(),
                super::correlate::CorrelateOptions {
                    lateness,
                    revisions: setup.revisions,
                    max_keys: setup.max_open,
                    partition: setup.partition,
                    batch_hold: None,
                },
            ),
            position: 0,
            input: None,
            flush: !setup.stateful,
            records: setup.partition.is_none_or(|(i, _)| i == 0),
            horizon: match (streaming, setup.now) {
                (true, Some(now)) => Some(now.saturating_add(FUTURE_TOLERANCE_MS)),
                _ => None,
            },
            state_lock: None,
        }
    }

    /// A plain batch run: the whole input ordered, everything decided.
    pub fn batch(engine: &'e Engine) -> Self {
        Sequencing::with_correlator(Correlator::new(
            &engine.sequences,
            engine.signals.len(),
            super::correlate::CorrelateOptions::default(),
        ))
    }

    /// A batch run through a correlator set up by the caller.
    pub fn with_correlator(correlator: Correlator<'e>) -> Self {
        Sequencing {
            correlator,
            position: 0,
            input: None,
            flush: true,
            records: true,
            horizon: None,
            state_lock: None,
        }
    }

    /// Takes one evaluated record: its position, time and hits.
    /// One record's time and signal instances; returns how many instances
    /// were handed to sequences, `None` if the record is dated in the
    /// future (past the horizon) and took no part.
    pub(super) fn take(
        &mut self,
        time: Option<i64>,
        hits: Vec<super::sequence::Instance>,
    ) -> Option<usize> {
        self.position += 1;
        if let Some(t) = time {
            if self.horizon.is_some_and(|h| t > h) {
                return None;
            }
            self.correlator.observe(t);
        }
        let n = hits.len();
        for mut h in hits {
            h.pos = self.position;
            self.correlator.push(h);
        }
        Some(n)
    }
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

/// Inputs are loaded together until this many bytes (or [`MAX_FILES`]
/// files), then their records are evaluated in windows of [`WINDOW`] units:
/// memory stays bounded whatever the shape of the input.
const GROUP_BYTES: usize = 64 << 20;
const MAX_FILES: usize = 64;
const WINDOW: usize = 4_096;

/// Reads and evaluates every input; calls `on_output` for each output in
/// input order and `on_progress` with the number of inputs done.
pub fn run_inputs(
    engine: &Engine,
    inputs: &[Input],
    opts: &RunOptions,
    seq: &mut Sequencing<'_>,
    on_output: &mut dyn FnMut(&Output),
    on_progress: &dyn Fn(usize),
) -> RunSummary {
    let start = Instant::now();
    let mut summary = RunSummary {
        inputs: inputs.len(),
        ..RunSummary::default()
    };
    let mut statuses: Statuses = BTreeMap::new();
    let mut done = 0usize;
    let mut sequence_outputs: Vec<Output> = Vec::new();
    let mut rest = inputs;
    let mut run = Evaluation {
        engine,
        opts,
        summary: &mut summary,
        statuses: &mut statuses,
        seq: &mut *seq,
        sequence_outputs: &mut sequence_outputs,
        on_output: &mut *on_output,
        pending: Vec::new(),
    };
    while let Some(first) = rest.first() {
        // A large JSON-lines file: a chunk at a time.
        if let Some(mut chunks) = match first {
            Input::File(p) if input_size(first) > GROUP_BYTES => {
                LineChunks::open(p, LineChunks::CHUNK)
            }
            _ => None,
        } {
            // The next chunk is read while this one is evaluated.
            let mut current = chunks.next_chunk();
            while let Some(loaded) = current.take() {
                let mut upcoming = None;
                rayon::in_place_scope(|s| {
                    s.spawn(|_| upcoming = chunks.next_chunk());
                    run.loaded(std::slice::from_ref(&loaded));
                });
                chunks.recycle(loaded);
                current = upcoming;
            }
            rest = rest.get(1..).unwrap_or(&[]);
            done += 1;
            on_progress(done);
            continue;
        }
        // A group of inputs, loaded in parallel.
        let mut take = 0usize;
        let mut guess = 0usize;
        while take < rest.len() && take < MAX_FILES && guess < GROUP_BYTES {
            guess += rest.get(take).map(input_size).unwrap_or(0);
            take += 1;
        }
        let (group, tail) = rest.split_at(take.max(1).min(rest.len()));
        rest = tail;
        let loaded: Vec<Loaded> = group.par_iter().map(load).collect();
        run.loaded(&loaded);
        done += group.len();
        on_progress(done);
    }
    run.flush();
    finish_run(sequence_outputs, summary, statuses, seq, on_output, start)
}

/// What evaluating inputs needs at hand.
struct Evaluation<'a, 'e> {
    engine: &'a Engine,
    opts: &'a RunOptions,
    summary: &'a mut RunSummary,
    statuses: &'a mut Statuses,
    seq: &'a mut Sequencing<'e>,
    sequence_outputs: &'a mut Vec<Output>,
    on_output: &'a mut dyn FnMut(&Output),
    /// What is read and evaluated but not yet taken, in input order: taken
    /// while the next window is evaluated, so that no core waits for the
    /// one that writes.
    pending: Vec<Pending>,
}

/// Read or evaluated, not yet taken into the summary and the outputs.
enum Pending {
    Input {
        bytes: usize,
        rejected: usize,
        errors: Vec<InputError>,
    },
    Window(Vec<UnitResult<RecordOutcome>>),
}

impl Evaluation<'_, '_> {
    /// Evaluates loaded inputs in windows, on all cores; each window is
    /// evaluated while the one before it is taken, outputs in order.
    fn loaded(&mut self, loaded: &[Loaded]) {
        for l in loaded {
            self.pending.push(Pending::Input {
                bytes: l.bytes,
                rejected: l.rejected,
                errors: l.errors.clone(),
            });
        }
        let units: Vec<(usize, usize)> = loaded
            .iter()
            .enumerate()
            .flat_map(|(f, l)| (0..l.unit_count()).map(move |u| (f, u)))
            .collect();
        let (engine, opts) = (self.engine, self.opts);
        let parse = opts.parse(engine);
        for window in units.chunks(WINDOW) {
            let queued = std::mem::take(&mut self.pending);
            let evaluate_window = || {
                window
                    .par_iter()
                    .with_min_len(64)
                    .map_init(Builder::default, |scratch, (f, u)| match loaded.get(*f) {
                        Some(l) => l.eval_records(*u, parse, scratch, &|at, record| {
                            let mut outcome = evaluate(engine, record, &at, opts);
                            if let (true, RecordOutcome::Evaluated { outputs, .. }) =
                                (opts.render_lines, &mut outcome)
                            {
                                outputs.iter_mut().for_each(Output::render_line);
                            }
                            outcome
                        }),
                        None => UnitResult {
                            items: Vec::new(),
                            errors: Vec::new(),
                            rejected: 0,
                        },
                    })
                    .collect::<Vec<_>>()
            };
            // The writer's callback need not be `Send`: it stays on this
            // thread while the pool evaluates.
            let mut results = Vec::new();
            rayon::in_place_scope(|s| {
                s.spawn(|_| results = evaluate_window());
                self.take(queued);
            });
            self.pending.push(Pending::Window(results));
        }
    }

    /// Takes everything still pending.
    fn flush(&mut self) {
        let queued = std::mem::take(&mut self.pending);
        self.take(queued);
    }

    fn take(&mut self, queued: Vec<Pending>) {
        for p in queued {
            match p {
                Pending::Input {
                    bytes,
                    rejected,
                    errors,
                } => {
                    self.summary.bytes += bytes;
                    self.summary.rejected += rejected;
                    self.summary.read += rejected;
                    self.summary.errors.extend(errors);
                }
                Pending::Window(results) => {
                    for r in results {
                        self.summary.rejected += r.rejected;
                        self.summary.read += r.rejected + r.items.len();
                        self.summary.errors.extend(r.errors);
                        for outcome in r.items {
                            take_outcome(
                                outcome,
                                self.summary,
                                self.statuses,
                                self.seq,
                                self.on_output,
                            );
                        }
                    }
                    self.sequence_outputs.extend(self.seq.correlator.release());
                }
            }
        }
    }
}

/// Evaluates records already in memory, in order, on one core (a test's
/// records): the same outputs, in the same order, as a run over them.
pub fn evaluate_records(
    engine: &Engine,
    opts: &RunOptions,
    records: Vec<(super::run::RecordRef, serde_json::Value)>,
    seq: &mut Sequencing<'_>,
    on_output: &mut dyn FnMut(&Output),
) -> RunSummary {
    let start = Instant::now();
    let mut summary = RunSummary {
        inputs: 1,
        ..RunSummary::default()
    };
    let mut statuses = BTreeMap::new();
    for (at, record) in records {
        summary.read += 1;
        let outcome = super::run::evaluate_json(engine, &record, &at, opts);
        take_outcome(outcome, &mut summary, &mut statuses, seq, on_output);
    }
    finish_run(Vec::new(), summary, statuses, seq, on_output, start)
}

/// The end of a batch run: the correlator decides what is left, the
/// sequence findings are written in order, the summary is completed.
pub(super) fn finish_run(
    mut sequence_outputs: Vec<Output>,
    mut summary: RunSummary,
    statuses: Statuses,
    seq: &mut Sequencing<'_>,
    on_output: &mut dyn FnMut(&Output),
    start: Instant,
) -> RunSummary {
    sequence_outputs.extend(seq.correlator.finish(seq.flush));
    sort_sequence_outputs(&mut sequence_outputs);
    for out in &sequence_outputs {
        *summary.counts.entry(out.kind).or_default() += 1;
        on_output(out);
    }
    finish_summary(&mut summary, statuses, seq, start);
    summary
}

/// Sequence findings in order of last seen, rule, key and revision: the
/// same bytes whatever the windows the run happened to release them in.
fn sort_sequence_outputs(outs: &mut [Output]) {
    // Compared as the JSON text they write, as they always were.
    fn text<T: serde::Serialize + ?Sized>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    let key = |o: &Output| match o.as_sequence() {
        Some(f) => (
            text(&f.last_seen),
            text(&*f.rule),
            format!("{{{}:{}}}", text(&f.key.0), text(&f.key.1)),
            f.revision,
        ),
        None => Default::default(),
    };
    outs.sort_by_cached_key(key);
}

/// One record's outcome into the summary, the outputs and the correlator.
pub(super) fn take_outcome(
    outcome: RecordOutcome,
    summary: &mut RunSummary,
    statuses: &mut Statuses,
    seq: &mut Sequencing<'_>,
    on_output: &mut dyn FnMut(&Output),
) {
    match outcome {
        RecordOutcome::Unclaimed => summary.unclaimed += 1,
        RecordOutcome::Evaluated {
            outputs,
            allowed,
            hits,
            untimed,
            time,
            ..
        } => {
            summary.evaluated += 1;
            summary.untimed += untimed;
            match seq.take(time, hits) {
                Some(n) => summary.hits += n,
                None => summary.future += 1,
            }
            if !seq.records {
                return;
            }
            if allowed > 0 {
                *summary.counts.entry(OutputKind::Allow).or_default() += allowed;
            }
            for out in &outputs {
                *summary.counts.entry(out.kind).or_default() += 1;
                record_status(statuses, out);
                on_output(out);
            }
        }
    }
}

fn finish_summary(
    summary: &mut RunSummary,
    statuses: Statuses,
    seq: &Sequencing<'_>,
    start: Instant,
) {
    summary.sequences = seq.correlator.stats();
    for (key, resources) in statuses {
        let mut cells = [0usize; 3];
        for column in resources.values() {
            if let Some(c) = cells.get_mut(*column) {
                *c += 1;
            }
        }
        summary.status.insert(key, cells);
    }
    summary.elapsed = start.elapsed();
}

fn input_size(input: &Input) -> usize {
    match input {
        Input::File(p) => std::fs::metadata(p).map(|m| m.len() as usize).unwrap_or(0),
        Input::Stdin => GROUP_BYTES,
    }
}

/// Baseline status counts resources, not configuration items: the last item
/// seen for a resource (in input order) decides its status.
fn record_status(statuses: &mut Statuses, out: &Output) {
    let Some(d) = out.as_decision() else {
        return;
    };
    let column = match out.kind {
        OutputKind::Compliant => 0,
        OutputKind::NonCompliant => 1,
        OutputKind::Unknown if d.scope == GuardScope::Baseline => 2,
        _ => return,
    };
    let text = |v: &Option<String>| v.as_deref().unwrap_or("-").to_string();
    let key = (d.guardrail.to_string(), text(&d.account), text(&d.region));
    let resource = d.resource.clone().unwrap_or_else(|| d.id.to_string());
    statuses.entry(key).or_default().insert(resource, column);
}
