//! `tensen run`: rules over records, findings and decisions out.
//!
//! Exit codes: 0 ok; 1 a finding or denial at or above `--fail-on`; 2 the
//! rules have errors (or bad usage); 3 input errors under `--strict`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use super::{use_color, ColorChoice};
use crate::check;
use crate::engine::follow::{follow, Follow};
use crate::engine::pipeline::Sequencing;
use crate::engine::pipeline::{run_inputs, RunSummary};
use crate::engine::read::list_inputs;
use crate::engine::rules::Engine;
use crate::engine::run::{Output, OutputKind, RunOptions};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// One JSON object per line.
    Json,
    /// One line per output, for people.
    Pretty,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, clap::ValueEnum)]
pub enum Only {
    Signals,
    Sequences,
    Deny,
    Unknown,
    Allow,
    Compliant,
    #[value(alias = "non_compliant")]
    NonCompliant,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Rule files or folders (given after `--input`, they are taken back
    /// from it: see `take_rule_paths`).
    pub rules: Vec<PathBuf>,
    /// Record files or folders (JSON lines, JSON arrays, CloudTrail
    /// `Records` files, `.gz`); `-` reads standard input.
    #[arg(long, short, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Treat every record as this source instead of recognising it.
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: RunFormat,
    /// Show only these outputs (default: all but `allow`).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Only>,
    /// Exit 1 if a signal, denial or non-compliance has at least this
    /// severity (`low`, `medium`, `high`, `critical` or 1.0–10.0).
    #[arg(long, value_parser = parse_severity)]
    pub fail_on: Option<f64>,
    /// Exit 3 if any input could not be read completely.
    #[arg(long)]
    pub strict: bool,
    /// The organization's management account: exempt from guardrails.
    #[arg(long)]
    pub management_account: Option<String>,
    /// The organization (JSON: `management_account` and `accounts`, or
    /// AWS's `list-accounts` / `describe-organization` output): principal
    /// guardrails judge only its principals, resource guardrails only its
    /// resources.
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,
    /// The reference path: parse every record whole and evaluate every rule
    /// of its source, instead of only the fields the rules read and the
    /// rules a record can match (the outputs are the same; for checking
    /// and measuring the difference).
    #[arg(long)]
    pub whole_records: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[command(flatten)]
    pub sequences: super::stream::SequenceArgs,
}

/// Parses a severity level or number for `--fail-on`.
fn parse_severity(text: &str) -> Result<f64, String> {
    if let Some(v) = crate::check::attack::level(text) {
        return Ok(v);
    }
    match text.parse::<f64>() {
        Ok(v) if (1.0..=10.0).contains(&v) => Ok(v),
        _ => Err(
            "expected `low`, `medium`, `high`, `critical` or a number from 1.0 to 10.0".to_string(),
        ),
    }
}

fn shown(only: &[Only], kind: OutputKind) -> bool {
    let wanted = match kind {
        OutputKind::Signal => Only::Signals,
        OutputKind::Sequence => Only::Sequences,
        OutputKind::Deny => Only::Deny,
        OutputKind::Unknown => Only::Unknown,
        OutputKind::Allow => Only::Allow,
        OutputKind::Compliant => Only::Compliant,
        OutputKind::NonCompliant => Only::NonCompliant,
    };
    if only.is_empty() {
        return wanted != Only::Allow;
    }
    only.contains(&wanted)
}

pub fn run(args: RunArgs) -> ExitCode {
    let color = use_color(args.color);
    let Some(analysis) = super::load_rules(
        &args.rules,
        color,
        true,
        "the rules have errors; nothing was run",
    ) else {
        return ExitCode::from(2);
    };
    let engine = Engine::from_analysis(&analysis);
    let mut opts = RunOptions {
        source: None,
        management_account: args.management_account.clone(),
        organization: match read_org(args.org.as_deref()) {
            Ok(org) => org,
            Err(code) => return code,
        },
        keep_allow: args.only.contains(&Only::Allow),
        render_lines: matches!(args.format, RunFormat::Json),
        whole_records: args.whole_records,
    };
    if let Some(name) = &args.source {
        match engine.source_index(name) {
            Some(i) => opts.source = Some(i),
            None => {
                eprintln!("error: unknown source `{name}`");
                let names = engine.sources.iter().map(|s| &*s.name);
                if let Some(h) = check::suggest::did_you_mean(name, names) {
                    eprintln!("  help: {h}");
                }
                return ExitCode::from(2);
            }
        }
    }
    let (inputs, list_errors) = list_inputs(&args.input);
    if inputs.is_empty() {
        for e in &list_errors {
            eprintln!("error: {e}");
        }
        eprintln!("error: no input to read");
        return ExitCode::from(3);
    }
    if args.sequences.follow && inputs.len() != 1 {
        eprintln!("error: --follow reads exactly one input (a file or `-`)");
        return ExitCode::from(2);
    }
    let mut seq = match super::stream::start(&engine, &args.sequences) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = progress_bar(inputs.len());
    // Buffered: one write per 64 KB, not per line (`--follow` flushes
    // after every output).
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut write_failed = false;
    let mut worst: Option<f64> = None;
    let pretty_color = color && std::io::stdout().is_terminal();
    let mut on_output = |out: &Output| {
        if let Some(s) = failing_severity(out) {
            worst = Some(worst.map_or(s, |w: f64| w.max(s)));
        }
        if !shown(&args.only, out.kind) {
            return;
        }
        let written = match args.format {
            RunFormat::Json => out.write_line(&mut stdout),
            RunFormat::Pretty => writeln!(stdout, "{}", super::pretty::line(out, pretty_color)),
        };
        match written {
            // The reader went away (`| head`): nothing more can be shown.
            Err(e) if super::closed_pipe(&e) => std::process::exit(0),
            Err(_) => write_failed = true,
            Ok(()) => {}
        }
        if args.sequences.follow {
            let _ = stdout.flush();
        }
    };
    let on_progress = |done: usize| {
        if let Some(p) = &progress {
            p.set_position(done as u64);
        }
    };
    let mut summary = match inputs.first() {
        Some(input) if args.sequences.follow => {
            let stop = interrupted();
            let every = std::time::Duration::from_millis(
                u64::try_from(args.sequences.checkpoint).unwrap_or(0),
            );
            let mut save = |seq: &Sequencing<'_>| {
                if let Err(e) = super::stream::finish(&engine, &args.sequences, seq) {
                    eprintln!("warning: checkpoint not saved: {e}");
                }
            };
            follow(
                &engine,
                input,
                &opts,
                &mut seq,
                &mut Follow {
                    on_output: &mut on_output,
                    on_error: &mut |e| eprintln!("warning: {e}"),
                    stop: &|| stop.load(std::sync::atomic::Ordering::SeqCst),
                    checkpoint: args
                        .sequences
                        .state
                        .is_some()
                        .then_some((every, &mut save as &mut dyn FnMut(&Sequencing<'_>))),
                },
            )
        }
        _ => run_inputs(
            &engine,
            &inputs,
            &opts,
            &mut seq,
            &mut on_output,
            &on_progress,
        ),
    };
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    summary.errors.splice(0..0, list_errors.iter().cloned());
    let baselines_shown = args.only.is_empty()
        || args
            .only
            .iter()
            .any(|o| matches!(o, Only::Compliant | Only::NonCompliant | Only::Unknown));
    if baselines_shown {
        write_status(&mut stdout, &summary, args.format);
    }
    match stdout.flush() {
        Err(e) if super::closed_pipe(&e) => return ExitCode::SUCCESS,
        Err(_) => write_failed = true,
        Ok(()) => {}
    }
    drop(stdout);
    print_summary(&summary, &engine, args.sequences.state.is_some());
    if let Err(e) = super::stream::finish(&engine, &args.sequences, &seq) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if write_failed {
        return ExitCode::from(2);
    }
    if args.strict && (!summary.errors.is_empty() || summary.rejected > 0) {
        return ExitCode::from(3);
    }
    match (args.fail_on, worst) {
        (Some(threshold), Some(w)) if w >= threshold => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// The severity that `--fail-on` compares: signals and denials.
fn failing_severity(out: &Output) -> Option<f64> {
    match out.kind {
        OutputKind::Signal | OutputKind::Sequence | OutputKind::Deny | OutputKind::NonCompliant => {
            Some(out.severity().filter(|s| !s.is_nan()).unwrap_or(5.0))
        }
        _ => None,
    }
}

fn progress_bar(inputs: usize) -> Option<ProgressBar> {
    if inputs < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(inputs as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} files {wide_bar} {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn write_status(out: &mut dyn Write, summary: &RunSummary, format: RunFormat) {
    for ((guardrail, account, region), [ok, bad, unknown]) in &summary.status {
        let line = match format {
            RunFormat::Json => serde_json::json!({
                "kind": "status",
                "guardrail": guardrail,
                "account": account,
                "region": region,
                "compliant": ok,
                "non_compliant": bad,
                "unknown": unknown,
            })
            .to_string(),
            RunFormat::Pretty => format!(
                "STATUS  {guardrail}  account {account}  region {region}: {ok} compliant, {bad} non-compliant, {unknown} unknown"
            ),
        };
        let _ = writeln!(out, "{line}");
    }
}

fn print_summary(s: &RunSummary, engine: &Engine, stateful: bool) {
    let mut err = std::io::stderr().lock();
    let shown_errors = 20;
    for e in s.errors.iter().take(shown_errors) {
        let _ = writeln!(err, "warning: {e}");
    }
    if s.errors.len() > shown_errors {
        let _ = writeln!(
            err,
            "warning: … and {} more input problems",
            s.errors.len() - shown_errors
        );
    }
    let _ = writeln!(
        err,
        "read {} records from {} input{} ({:.1} MB) in {:.2} s: {} evaluated, {} rejected, {} unclaimed ({:.0} records/s)",
        s.read,
        s.inputs,
        if s.inputs == 1 { "" } else { "s" },
        s.bytes as f64 / 1_000_000.0,
        s.elapsed.as_secs_f64(),
        s.evaluated,
        s.rejected,
        s.unclaimed,
        s.records_per_second(),
    );
    let counts: Vec<String> = s
        .counts
        .iter()
        .map(|(k, n)| format!("{} {}", k.word(), n))
        .collect();
    let _ = writeln!(
        err,
        "outputs: {}",
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
    let q = &s.sequences;
    if q.redone {
        let _ = writeln!(
            err,
            "note: signal instances came more than {} out of event-time order, so the sequences were matched again over all of them, sorted on disk",
            crate::engine::value::format_duration(
                u64::try_from(crate::engine::correlate::BATCH_HOLD_MS).unwrap_or(0)
            )
        );
    }
    if q.late > 0 {
        let _ = writeln!(
            err,
            "warning: {} signal instance{} came later than --max-lateness and took no part in sequences",
            q.late,
            if q.late == 1 { "" } else { "s" }
        );
        for e in &q.late_examples {
            let _ = writeln!(err, "  late: {e}");
        }
    }
    if s.untimed > 0 {
        let _ = writeln!(
            err,
            "warning: {} signal instance{} took no part in sequences: the record's time is missing or unreadable",
            s.untimed,
            if s.untimed == 1 { "" } else { "s" }
        );
    }
    if q.duplicates > 0 {
        let _ = writeln!(
            err,
            "warning: {} signal instance{} already in the sequence state (records read before, by id) not counted again",
            q.duplicates,
            if q.duplicates == 1 { " was" } else { "s were" }
        );
    }
    if s.future > 0 {
        let _ = writeln!(
            err,
            "warning: {} record{} dated more than a day past the clock took no part in sequences (nor moved their time forward)",
            s.future,
            if s.future == 1 { "" } else { "s" }
        );
    }
    if q.evicted > 0 {
        let _ = writeln!(
            err,
            "warning: {} partial sequence match{} evicted by --max-open",
            q.evicted,
            if q.evicted == 1 { " was" } else { "es were" }
        );
    }
    if stateful && (q.open_keys > 0 || q.buffered > 0) {
        let _ = writeln!(
            err,
            "sequences: saved {} key{} with open matches and {} instance{} waiting for later records",
            q.open_keys,
            if q.open_keys == 1 { "" } else { "s" },
            q.buffered,
            if q.buffered == 1 { "" } else { "s" },
        );
    }
    for seq in engine.sequences.iter().filter(|s| s.pattern.is_none()) {
        let _ = writeln!(
            err,
            "note: sequence `{}` was not evaluated: it has no key",
            seq.name
        );
    }
}

/// A flag set by Ctrl-C (a followed file ends there, and the state is
/// still saved); without a handler, Ctrl-C ends the process at once.
fn interrupted() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = flag.clone();
    let _ = ctrlc::set_handler(move || set.store(true, std::sync::atomic::Ordering::SeqCst));
    flag
}

/// The organization of `--org FILE`, or an error printed (exit 2).
pub fn read_org(
    path: Option<&std::path::Path>,
) -> Result<Option<std::sync::Arc<crate::engine::org::Organization>>, ExitCode> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!(
            "error: --org {}: {}",
            path.display(),
            crate::files::io_reason(&e)
        );
        ExitCode::from(2)
    })?;
    match crate::engine::org::Organization::from_json(&text) {
        Ok(org) => Ok(Some(std::sync::Arc::new(org))),
        Err(e) => {
            eprintln!("error: --org {}: {e}", path.display());
            Err(ExitCode::from(2))
        }
    }
}
