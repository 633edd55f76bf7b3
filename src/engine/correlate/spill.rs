//! The instance log of a batch run: every signal instance, in the order it
//! arrived, in an anonymous temporary file.
//!
//! A batch run feeds the matchers behind a watermark instead of holding
//! its whole input, so its memory does not grow with the input. If an
//! instance then arrives later than the watermark let through (a file of
//! an earlier hour read after a later one), the findings are redone from
//! this log, sorted on disk, so they are exactly those of ordering the
//! whole input. Memory stays bounded either way: the log is sorted in runs
//! of [`RUN`] instances merged from their own files.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use crate::engine::sequence::Instance;

/// Instances sorted in memory at once.
const RUN: usize = 200_000;

pub struct Spill {
    file: BufWriter<File>,
    written: u64,
}

impl Spill {
    pub fn create() -> std::io::Result<Spill> {
        Ok(Spill {
            file: BufWriter::new(tempfile::tempfile()?),
            written: 0,
        })
    }

    pub fn write(&mut self, inst: &Instance) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.file, inst)?;
        self.file.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Every instance written, in event-time order (time, then position).
    pub fn sorted(self) -> std::io::Result<Sorted> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut runs = Vec::new();
        let mut lines = BufReader::new(file).lines();
        loop {
            let mut run: Vec<Instance> = Vec::new();
            for line in lines.by_ref().take(RUN) {
                run.push(serde_json::from_str(&line?)?);
            }
            if run.is_empty() {
                break;
            }
            run.sort_by_key(Instance::at);
            let mut out = BufWriter::new(tempfile::tempfile()?);
            for inst in &run {
                serde_json::to_writer(&mut out, inst)?;
                out.write_all(b"\n")?;
            }
            let mut f = out.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::Start(0))?;
            runs.push(BufReader::new(f).lines());
        }
        let mut sorted = Sorted {
            runs,
            heads: BinaryHeap::new(),
        };
        for i in 0..sorted.runs.len() {
            sorted.pull(i)?;
        }
        Ok(sorted)
    }
}

/// The next instance of each sorted run, smallest first.
struct Head {
    inst: Instance,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    /// Reversed: `BinaryHeap` is a max-heap.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.inst.at(), other.run).cmp(&(self.inst.at(), self.run))
    }
}

/// A k-way merge of sorted runs.
pub struct Sorted {
    runs: Vec<std::io::Lines<BufReader<File>>>,
    heads: BinaryHeap<Head>,
}

impl Sorted {
    fn pull(&mut self, run: usize) -> std::io::Result<()> {
        if let Some(line) = self.runs.get_mut(run).and_then(Iterator::next) {
            let inst = serde_json::from_str(&line?)?;
            self.heads.push(Head { inst, run });
        }
        Ok(())
    }

    /// The next instance, or an error reading the log back.
    pub fn next_instance(&mut self) -> std::io::Result<Option<Instance>> {
        let Some(head) = self.heads.pop() else {
            return Ok(None);
        };
        self.pull(head.run)?;
        Ok(Some(head.inst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(time: i64, pos: u64) -> Instance {
        Instance {
            signal: 0,
            time,
            pos,
            entities: Default::default(),
            severity: 5.0,
            rule: "r".into(),
            detail: crate::engine::sequence::Detail::new(&serde_json::json!({"pos": pos})),
            denied_by: Vec::new(),
        }
    }

    #[test]
    fn the_log_comes_back_in_event_time_order() {
        let mut spill = Spill::create().unwrap();
        let times = [5, 3, 9, 3, 1, 7, 5];
        for (pos, t) in times.iter().enumerate() {
            spill.write(&inst(*t, pos as u64)).unwrap();
        }
        let mut sorted = spill.sorted().unwrap();
        let mut got = Vec::new();
        while let Some(i) = sorted.next_instance().unwrap() {
            got.push(i.at());
        }
        let mut want: Vec<(i64, u64)> = times
            .iter()
            .enumerate()
            .map(|(p, t)| (*t, p as u64))
            .collect();
        want.sort();
        assert_eq!(got, want);
    }
}
