//! `--follow`: one input read as it grows (standard input until it ends, or
//! a file polled for new lines until interrupted), each record evaluated as
//! it arrives and sequence findings written as soon as the reorder window
//! (`--max-lateness`) lets their instances go.
//!
//! A followed file is tracked by byte offset in [`Sequencing::input`]: with
//! `--state`, a checkpoint saves it every so often and a restart resumes
//! there, so a killed follower loses at most the outputs since its last
//! checkpoint, which it writes again (at least once, never skipped).

use std::io::{BufRead, Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use super::correlate::InputMark;
use super::pipeline::{finish_run, take_outcome, RunSummary, Sequencing, Statuses};
use super::read::{load_bytes, Input, InputError};
use super::rules::Engine;
use super::run::{evaluate, Output, RunOptions};

/// How often a followed file is polled for new data.
const POLL: Duration = Duration::from_millis(200);

pub struct Follow<'a> {
    pub on_output: &'a mut dyn FnMut(&Output),
    pub on_error: &'a mut dyn FnMut(&InputError),
    /// Polled between reads of a file: true ends the run.
    pub stop: &'a dyn Fn() -> bool,
    /// Called with the state to save, at most every `every` while a file
    /// is followed (after the outputs of the records it holds).
    pub checkpoint: Option<(Duration, &'a mut SaveState<'a>)>,
}

/// Saves the state of a run (`--state`).
pub type SaveState<'a> = dyn FnMut(&Sequencing<'_>) + 'a;

struct Reader<'a, 'e> {
    engine: &'a Engine,
    opts: &'a RunOptions,
    seq: &'a mut Sequencing<'e>,
    summary: RunSummary,
    /// Baseline status per resource, as a batch run keeps it.
    statuses: Statuses,
    name: String,
    /// Lines already read.
    lines: usize,
}

impl Reader<'_, '_> {
    /// Evaluates a chunk of whole lines.
    fn chunk(&mut self, bytes: Vec<u8>, f: &mut Follow<'_>) {
        let lines = bytes.iter().filter(|b| **b == b'\n').count();
        self.summary.bytes += bytes.len();
        let mut loaded = load_bytes(&self.name, bytes);
        loaded.shift_lines(self.lines);
        self.lines += lines;
        self.summary.rejected += loaded.rejected;
        self.summary.read += loaded.rejected;
        for e in &loaded.errors {
            (f.on_error)(e);
        }
        let mut scratch = super::record::Builder::default();
        for u in 0..loaded.unit_count() {
            let r = loaded.eval_records(
                u,
                self.opts.parse(self.engine),
                &mut scratch,
                &|at, record| evaluate(self.engine, record, &at, self.opts),
            );
            self.summary.rejected += r.rejected;
            self.summary.read += r.rejected + r.items.len();
            for e in &r.errors {
                (f.on_error)(e);
            }
            for outcome in r.items {
                take_outcome(
                    outcome,
                    &mut self.summary,
                    &mut self.statuses,
                    self.seq,
                    f.on_output,
                );
            }
        }
        for out in self.seq.correlator.release() {
            *self.summary.counts.entry(out.kind).or_default() += 1;
            (f.on_output)(&out);
        }
    }
}

/// Follows one input; returns when standard input ends or `stop` says so.
pub fn follow(
    engine: &Engine,
    input: &Input,
    opts: &RunOptions,
    seq: &mut Sequencing<'_>,
    f: &mut Follow<'_>,
) -> RunSummary {
    let start = Instant::now();
    let name = match input {
        Input::Stdin => "<stdin>".to_string(),
        Input::File(p) => p.display().to_string(),
    };
    if matches!(input, Input::Stdin) {
        seq.input = None;
    }
    let mut r = Reader {
        engine,
        opts,
        seq,
        summary: RunSummary {
            inputs: 1,
            ..RunSummary::default()
        },
        statuses: Statuses::new(),
        name: name.clone(),
        lines: 0,
    };
    match input {
        Input::Stdin => {
            let mut stdin = std::io::stdin().lock();
            loop {
                let mut line = Vec::new();
                match stdin.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => r.chunk(line, f),
                    Err(e) => {
                        (f.on_error)(&InputError {
                            file: name.clone(),
                            line: Some(r.lines + 1),
                            message: crate::files::io_reason(&e),
                        });
                        break;
                    }
                }
            }
        }
        Input::File(path) => follow_file(path, &mut r, f),
    }
    finish_run(Vec::new(), r.summary, r.statuses, r.seq, f.on_output, start)
}

fn follow_file(path: &std::path::Path, r: &mut Reader<'_, '_>, f: &mut Follow<'_>) {
    let name = path.display().to_string();
    let mut offset = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    let mut saved_at = Instant::now();
    let mut unsaved = false;
    // Resume where a saved state left this file.
    if let Some(mark) = r.seq.input.clone().filter(|m| m.file == name) {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len >= mark.offset {
            offset = mark.offset;
            r.lines = mark.lines;
        } else {
            (f.on_error)(&InputError {
                file: name.clone(),
                line: None,
                message: format!(
                    "shorter ({len} bytes) than where the saved state left it ({} bytes): read from the start",
                    mark.offset
                ),
            });
        }
    }
    let mark = |r: &mut Reader<'_, '_>, read_to: u64| {
        r.seq.input = Some(InputMark {
            file: name.clone(),
            offset: read_to,
            lines: r.lines,
        });
    };
    loop {
        let report = |e: std::io::Error, f: &mut Follow<'_>| {
            (f.on_error)(&InputError {
                file: path.display().to_string(),
                line: None,
                message: crate::files::io_reason(&e),
            })
        };
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => {
                report(e, f);
                return;
            }
        };
        // A file that shrank was truncated or replaced: start again.
        if file.metadata().map(|m| m.len()).unwrap_or(0) < offset {
            offset = 0;
            pending.clear();
            r.lines = 0;
        }
        let mut fresh = Vec::new();
        let read = file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_to_end(&mut fresh));
        if let Err(e) = read {
            report(e, f);
            return;
        }
        offset += fresh.len() as u64;
        pending.extend(fresh);
        if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
            let rest = pending.split_off(end + 1);
            let whole = std::mem::replace(&mut pending, rest);
            r.chunk(whole, f);
            mark(r, offset - pending.len() as u64);
            unsaved = true;
        } else if (f.stop)() {
            if !pending.is_empty() {
                r.chunk(std::mem::take(&mut pending), f);
            }
            mark(r, offset);
            return;
        } else {
            std::thread::sleep(POLL);
        }
        // Saved once the interval has passed, busy or idle.
        if let Some((every, save)) = &mut f.checkpoint {
            if unsaved && saved_at.elapsed() >= *every {
                save(r.seq);
                saved_at = Instant::now();
                unsaved = false;
            }
        }
    }
}
