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
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use crate::engine::place::Place;
use crate::engine::sequence::{Detail, Instance};

/// Instances sorted in memory at once.
const RUN: usize = 200_000;

/// Bytes encoded before they are written to the log's file at once.
const FLUSH: usize = 1 << 20;

pub struct Spill {
    file: File,
    /// Encoded, not yet written: a `Vec` takes the many small writes of an
    /// instance faster than a `BufWriter` does.
    buf: Vec<u8>,
    written: u64,
}

impl Spill {
    pub fn create() -> std::io::Result<Spill> {
        Ok(Spill {
            file: tempfile::tempfile()?,
            buf: Vec::with_capacity(FLUSH + 4096),
            written: 0,
        })
    }

    pub fn write(&mut self, inst: &Instance) -> std::io::Result<()> {
        encode(inst, &mut self.buf)?;
        self.written += 1;
        if self.buf.len() >= FLUSH {
            self.file.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Every instance written, in event-time order (time, then position).
    pub fn sorted(mut self) -> std::io::Result<Sorted> {
        self.file.write_all(&self.buf)?;
        let mut file = self.file;
        file.seek(SeekFrom::Start(0))?;
        let mut runs = Vec::new();
        let mut log = BufReader::new(file);
        loop {
            let mut run: Vec<Instance> = Vec::new();
            while run.len() < RUN {
                match decode(&mut log)? {
                    Some(inst) => run.push(inst),
                    None => break,
                }
            }
            if run.is_empty() {
                break;
            }
            run.sort_by_key(Instance::at);
            let mut out = BufWriter::new(tempfile::tempfile()?);
            for inst in &run {
                encode(inst, &mut out)?;
            }
            let mut f = out.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::Start(0))?;
            runs.push(BufReader::new(f));
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
    runs: Vec<BufReader<File>>,
    heads: BinaryHeap<Head>,
}

impl Sorted {
    fn pull(&mut self, run: usize) -> std::io::Result<()> {
        if let Some(inst) = self.runs.get_mut(run).map(decode).transpose()?.flatten() {
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

/// Writes an instance in the log's own form: numbers in 8 bytes, texts
/// and lists after their length. The log never leaves the run, so it is
/// not JSON: writing JSON was most of what logging cost.
fn encode(inst: &Instance, w: &mut impl Write) -> std::io::Result<()> {
    put_len(w, inst.signal)?;
    w.write_all(&inst.time.to_le_bytes())?;
    w.write_all(&inst.pos.to_le_bytes())?;
    w.write_all(&inst.severity.to_bits().to_le_bytes())?;
    put_len(w, inst.entities.len())?;
    for (name, value) in inst.entities.iter() {
        put_text(w, name)?;
        put_text(w, value)?;
    }
    put_text(w, &inst.rule)?;
    put_detail(w, &inst.detail)?;
    put_len(w, inst.denied_by.len())?;
    for g in &inst.denied_by {
        put_text(w, g)?;
    }
    Ok(())
}

/// Reads back what [`encode`] wrote; `None` at the end of the log.
fn decode(r: &mut impl BufRead) -> std::io::Result<Option<Instance>> {
    if r.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let signal = get_len(r)?;
    let time = get_u64(r)?.cast_signed();
    let pos = get_u64(r)?;
    let severity = f64::from_bits(get_u64(r)?);
    let mut entities = Vec::new();
    for _ in 0..get_len(r)? {
        let name = get_text(r)?;
        entities.push((Arc::from(name), Arc::from(get_text(r)?)));
    }
    let entities = entities.into_iter().collect();
    let rule = Arc::from(get_text(r)?);
    let detail = get_detail(r)?;
    let mut denied_by = Vec::new();
    for _ in 0..get_len(r)? {
        denied_by.push(Arc::from(get_text(r)?));
    }
    Ok(Some(Instance {
        signal,
        time,
        pos,
        entities,
        severity,
        rule,
        detail,
        denied_by,
    }))
}

/// A detail's form, then its fields.
fn put_detail(w: &mut impl Write, detail: &Detail) -> std::io::Result<()> {
    match detail {
        Detail::Record { record, title } => {
            w.write_all(&[0])?;
            put_text(w, &record.file)?;
            put_len(w, record.line)?;
            put_opt(w, record.index, put_len)?;
            put_opt(w, record.event, put_len)?;
            put_opt(w, record.id.as_deref(), put_text)?;
            put_opt(w, title.as_deref(), put_text)
        }
        Detail::Match {
            sequence,
            first_seen,
        } => {
            w.write_all(&[1])?;
            put_text(w, sequence)?;
            put_text(w, first_seen)
        }
        Detail::Json(raw) => {
            w.write_all(&[2])?;
            put_text(w, raw.as_deref().map_or("null", |r| r.get()))
        }
    }
}

fn get_detail(r: &mut impl Read) -> std::io::Result<Detail> {
    let mut form = [0u8];
    r.read_exact(&mut form)?;
    Ok(match form {
        [0] => Detail::Record {
            record: Place {
                file: get_text(r)?.into(),
                line: get_len(r)?,
                index: get_opt(r, get_len)?,
                event: get_opt(r, get_len)?,
                id: get_opt(r, get_text)?.map(Arc::from),
            },
            title: get_opt(r, get_text)?,
        },
        [1] => Detail::Match {
            sequence: get_text(r)?.into(),
            first_seen: get_text(r)?,
        },
        [2] => Detail::from_text(get_text(r)?),
        _ => return Err(std::io::ErrorKind::InvalidData.into()),
    })
}

/// An optional value: a byte saying whether it follows, then the value.
fn put_opt<W: Write, T>(
    w: &mut W,
    v: Option<T>,
    put: fn(&mut W, T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    match v {
        Some(v) => {
            w.write_all(&[1])?;
            put(w, v)
        }
        None => w.write_all(&[0]),
    }
}

fn get_opt<R: Read, T>(
    r: &mut R,
    get: fn(&mut R) -> std::io::Result<T>,
) -> std::io::Result<Option<T>> {
    let mut some = [0u8];
    r.read_exact(&mut some)?;
    (some != [0]).then(|| get(r)).transpose()
}

fn put_len(w: &mut impl Write, n: usize) -> std::io::Result<()> {
    w.write_all(&u64::try_from(n).unwrap_or(u64::MAX).to_le_bytes())
}

fn put_text(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    put_len(w, s.len())?;
    w.write_all(s.as_bytes())
}

fn get_u64(r: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn get_len(r: &mut impl Read) -> std::io::Result<usize> {
    Ok(usize::try_from(get_u64(r)?).unwrap_or(usize::MAX))
}

fn get_text(r: &mut impl Read) -> std::io::Result<String> {
    let n = get_len(r)?;
    let mut bytes = Vec::new();
    r.take(n as u64).read_to_end(&mut bytes)?;
    if bytes.len() != n {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(time: i64, pos: u64) -> Instance {
        Instance {
            signal: 0,
            time,
            pos,
            entities: std::collections::BTreeMap::from([(
                "principal".to_string(),
                format!("arn:…/ü{pos}"),
            )])
            .into(),
            severity: 5.5,
            rule: "r".into(),
            detail: match pos % 3 {
                0 => Detail::new(&serde_json::json!({"pos": pos, "t": "\"x\""})),
                1 => Detail::Record {
                    record: Place {
                        file: "logs/ü.json".into(),
                        line: 7,
                        index: (pos > 3).then_some(2),
                        event: None,
                        id: Some(format!("id{pos}").into()),
                    },
                    title: (pos > 3).then(|| "a \"title\"".to_string()),
                },
                _ => Detail::Match {
                    sequence: "seq".into(),
                    first_seen: format!("2024-05-01T00:00:0{pos}.000Z"),
                },
            },
            denied_by: (0..pos % 3).map(|g| format!("g{g}").into()).collect(),
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
            assert_eq!(i, inst(i.time, i.pos), "an instance comes back whole");
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
