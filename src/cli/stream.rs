//! The sequence options of `tensen run`: streaming (`--follow`,
//! `--max-lateness`), saved state (`--state`), partitions and revisions,
//! turned into the engine's [`Sequencing`], and the state saved at the end.

use std::path::PathBuf;

use crate::engine::correlate::{
    load_state, lock_state, rules_hash, save_state, state_folder, Revisions,
};
use crate::engine::pipeline::{SequenceSetup, Sequencing};
use crate::engine::rules::Engine;

/// CloudTrail delivers most events within 15 minutes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RevisionsArg {
    /// Each sequence finding once: when its window has closed, or at the
    /// end of the run with what it has so far.
    Last,
    /// When found and again at every update (revision 2, 3, …).
    All,
}

#[derive(clap::Args)]
pub struct SequenceArgs {
    /// Keep reading one input as it grows (standard input until it ends,
    /// or a file until interrupted); findings are written as they are
    /// decided.
    #[arg(long)]
    pub follow: bool,
    /// How far behind the newest record (in event time) a signal may arrive
    /// and still take part in sequences, e.g. `30s`, `15m`. Later ones are
    /// reported and counted. Default: 15m with `--follow` or `--state`;
    /// otherwise a run orders its whole input.
    #[arg(long, value_parser = parse_duration)]
    pub max_lateness: Option<i64>,
    /// Continue the open sequences saved in FILE, and save them there at
    /// the end (written atomically), so batches continue each other.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// With `--follow FILE --state`: how often the state is saved while the
    /// file is followed (it always is at the end); a restart resumes where
    /// the last save left the file.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "30s")]
    pub checkpoint: i64,
    /// Evaluate only the sequence keys of partition I of N (`0/4` … `3/4`);
    /// the records' own outputs are written by partition 0 only.
    #[arg(long, value_name = "I/N", value_parser = parse_partition)]
    pub partition: Option<(u64, u64)>,
    /// Which revisions of a sequence finding to write.
    #[arg(long, value_enum, default_value = "last")]
    pub revisions: RevisionsArg,
    /// Most keys with open state per sequence; beyond it the least recently
    /// active key is evicted (and counted in the summary).
    #[arg(long, default_value_t = 1_000_000, value_name = "N", value_parser = parse_max_open)]
    pub max_open: usize,
}

fn parse_duration(text: &str) -> Result<i64, String> {
    crate::syntax::literal::parse_duration_ms(text)
        .and_then(|ms| i64::try_from(ms).ok())
        .ok_or_else(|| format!("`{text}` is not a duration (write e.g. `90s`, `15m`, `1h`)"))
}

fn parse_max_open(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a number of keys: write 1 or more")),
    }
}

fn parse_partition(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("`{text}` is not a partition: write I/N with 0 <= I < N, e.g. `0/4`");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u64, u64) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The rules hash a state file must carry.
pub fn hash(engine: &Engine) -> String {
    let names: Vec<&str> = engine.signals.iter().map(|s| &*s.name).collect();
    rules_hash(&engine.sequences, &names)
}

/// Builds the sequence side of a run, restoring `--state` if given.
pub fn start<'e>(engine: &'e Engine, args: &SequenceArgs) -> Result<Sequencing<'e>, String> {
    let mut seq = Sequencing::new(
        engine,
        &SequenceSetup {
            follow: args.follow,
            stateful: args.state.is_some(),
            max_lateness: args.max_lateness,
            revisions: match args.revisions {
                RevisionsArg::Last => Revisions::Last,
                RevisionsArg::All => Revisions::All,
            },
            max_open: args.max_open,
            partition: args.partition,
            now: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_millis()).ok()),
        },
    );
    if let Some(path) = &args.state {
        // Refused before any work, not after the whole run when saving.
        let folder = state_folder(path);
        if !folder.is_dir() {
            return Err(format!(
                "--state {}: the folder {} does not exist",
                path.display(),
                folder.display()
            ));
        }
        // Held until the run ends, its state saved.
        seq.state_lock = Some(lock_state(path).map_err(|e| e.to_string())?);
        if let Some(saved) = load_state(path, &hash(engine)).map_err(|e| e.to_string())? {
            seq.position = saved.position;
            seq.input = saved.input.clone();
            seq.correlator.restore(saved);
        }
    }
    Ok(seq)
}

/// Saves the state at the end of a run, if asked.
pub fn finish(engine: &Engine, args: &SequenceArgs, seq: &Sequencing<'_>) -> Result<(), String> {
    let Some(path) = &args.state else {
        return Ok(());
    };
    let mut saved = seq.correlator.save(&hash(engine), seq.position);
    saved.input = seq.input.clone();
    save_state(path, &saved).map_err(|e| e.to_string())
}
