//! Reads records as AWS delivers them: JSON lines, JSON arrays, CloudTrail's
//! `{"Records": [...]}` files, AWS Config `configurationItems` files,
//! EventBridge envelopes, `.gz` of any of these, folders recursively, and
//! standard input.
//!
//! Nothing bad in the input stops a read or loses what came before it: a
//! malformed line is reported with `file:line` and skipped; a truncated file
//! keeps the records read before the break.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::run::RecordRef;

/// A problem with the input, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

/// The records of one input, and what went wrong reading it.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<(RecordRef, Value)>,
    pub errors: Vec<InputError>,
    /// Records (or lines) that could not be read as records.
    pub rejected: usize,
    pub bytes: usize,
}

/// Expands paths into inputs: `-` is standard input, folders are walked
/// recursively for `.json`, `.jsonl`, `.ndjson` and `.gz` files, in order.
pub fn list_inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let (mut files, mut failed) = (Vec::new(), Vec::new());
                let hidden = |name: &str| name.starts_with('.');
                let records = |name: &str| {
                    [".json", ".jsonl", ".ndjson", ".gz"]
                        .iter()
                        .any(|ext| name.ends_with(ext))
                };
                crate::files::walk(p, &hidden, &records, &mut files, &mut failed);
                inputs.extend(files.into_iter().map(Input::File));
                errors.extend(failed.iter().map(|(dir, e)| InputError {
                    file: dir.display().to_string(),
                    line: None,
                    message: crate::files::io_reason(e),
                }));
            }
            Ok(_) => inputs.push(Input::File(p.clone())),
            Err(e) => errors.push(InputError {
                file: p.display().to_string(),
                line: None,
                message: crate::files::io_reason(&e),
            }),
        }
    }
    (inputs, errors)
}

/// The outcome of reading one input: one item per record (what `visit`
/// made of it), in input order, and what went wrong.
#[derive(Debug)]
pub struct ReadResult<T> {
    pub items: Vec<T>,
    pub errors: Vec<InputError>,
    /// Records (or lines) that could not be read as records.
    pub rejected: usize,
    pub bytes: usize,
}

/// Reads one input and calls `visit` on each record, in parallel, without
/// keeping the parsed records: only what `visit` returns is kept.
pub fn read_each<T: Send>(
    input: &Input,
    visit: &(dyn Fn(RecordRef, Value) -> T + Sync),
) -> ReadResult<T> {
    collect(load(input), visit)
}

/// Reads and parses one input, keeping every record.
pub fn read(input: &Input) -> Batch {
    into_batch(read_each(input, &|at, v| (at, v)))
}

/// Parses the bytes of one input (decompressing gzip), keeping every record.
pub fn parse_bytes(name: &str, bytes: Vec<u8>) -> Batch {
    into_batch(parse_each(name, bytes, &|at, v| (at, v)))
}

fn into_batch(r: ReadResult<(RecordRef, Value)>) -> Batch {
    Batch {
        records: r.items,
        errors: r.errors,
        rejected: r.rejected,
        bytes: r.bytes,
    }
}

/// A piece of the input that holds one JSON value: a line, or an element of
/// a `Records` list, with where it is.
struct Unit<'d> {
    text: &'d [u8],
    line: usize,
    index: Option<usize>,
}

/// An input in memory, split into units but not yet parsed: the records
/// are parsed (in parallel, in windows) only when they are evaluated.
pub struct Loaded {
    pub file: Arc<str>,
    pub(super) data: Vec<u8>,
    pub(super) units: Vec<UnitPos>,
    /// Problems found while loading and splitting.
    pub errors: Vec<InputError>,
    pub rejected: usize,
    pub bytes: usize,
}

pub(super) struct UnitPos {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: usize,
    pub(super) index: Option<usize>,
}

/// What one unit turned into.
pub struct UnitResult<T> {
    pub items: Vec<T>,
    pub errors: Vec<InputError>,
    pub rejected: usize,
}

impl Loaded {
    /// Its bytes, to be filled again.
    pub(super) fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Moves every line number on by `lines` (a chunk of a longer stream).
    pub fn shift_lines(&mut self, lines: usize) {
        for u in &mut self.units {
            u.line += lines;
        }
        for e in &mut self.errors {
            if let Some(l) = &mut e.line {
                *l += lines;
            }
        }
    }

    /// Parses unit `i` whole into `serde_json` values and visits its
    /// records (for callers that keep records as JSON).
    pub fn eval_unit<T>(
        &self,
        i: usize,
        visit: &(dyn Fn(RecordRef, Value) -> T + Sync),
    ) -> UnitResult<T> {
        match self.units.get(i) {
            Some(u) => {
                let text = self.data.get(u.start..u.end).unwrap_or(&[]);
                unit(
                    &self.file,
                    &Unit {
                        text,
                        line: u.line,
                        index: u.index,
                    },
                    visit,
                )
            }
            None => UnitResult {
                items: Vec::new(),
                errors: Vec::new(),
                rejected: 0,
            },
        }
    }
}

/// Reads one input into memory and splits it into units.
pub fn load(input: &Input) -> Loaded {
    let (name, bytes) = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut buf) {
                Ok(_) => ("<stdin>".to_string(), buf),
                Err(e) => return failed_load("<stdin>", &crate::files::io_reason(&e)),
            }
        }
        Input::File(p) => match std::fs::read(p) {
            Ok(b) => (p.display().to_string(), b),
            Err(e) => return failed_load(&p.display().to_string(), &crate::files::io_reason(&e)),
        },
    };
    load_bytes(&name, bytes)
}

pub(super) fn failed_load(file: &str, message: &str) -> Loaded {
    Loaded {
        file: Arc::from(file),
        data: Vec::new(),
        units: Vec::new(),
        errors: vec![InputError {
            file: file.to_string(),
            line: None,
            message: message.to_string(),
        }],
        rejected: 0,
        bytes: 0,
    }
}

/// Decompresses (gzip) and splits the bytes of one input.
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Loaded {
    let mut errors = Vec::new();
    let total = bytes.len();
    let mut data = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(bytes.as_slice());
        if let Err(e) = decoder.read_to_end(&mut out) {
            errors.push(InputError {
                file: name.to_string(),
                line: None,
                message: format!(
                    "gzip data is damaged or truncated after {} bytes ({}); the records before the break are kept",
                    out.len(),
                    e.to_string().to_lowercase()
                ),
            });
        }
        out
    } else {
        bytes
    };
    if data.starts_with(b"\xef\xbb\xbf") {
        data.drain(..3);
    }
    let file: Arc<str> = Arc::from(name);
    let (units, split_errors, rejected) = {
        let mut splitter = Splitter {
            file: file.clone(),
            data: &data,
            units: Vec::new(),
            errors: Vec::new(),
            rejected: 0,
            lines: LineCounter::default(),
        };
        splitter.split();
        let base = data.as_ptr() as usize;
        let units: Vec<UnitPos> = splitter
            .units
            .iter()
            .map(|u| {
                let start = (u.text.as_ptr() as usize).saturating_sub(base);
                UnitPos {
                    start,
                    end: start + u.text.len(),
                    line: u.line,
                    index: u.index,
                }
            })
            .collect();
        (units, splitter.errors, splitter.rejected)
    };
    errors.extend(split_errors);
    Loaded {
        file,
        data,
        units,
        errors,
        rejected,
        bytes: total,
    }
}

/// Parses the bytes of one input and visits each record.
pub fn parse_each<T: Send>(
    name: &str,
    bytes: Vec<u8>,
    visit: &(dyn Fn(RecordRef, Value) -> T + Sync),
) -> ReadResult<T> {
    collect(load_bytes(name, bytes), visit)
}

/// Visits every record of a loaded input, in parallel, in order.
fn collect<T: Send>(
    loaded: Loaded,
    visit: &(dyn Fn(RecordRef, Value) -> T + Sync),
) -> ReadResult<T> {
    let results: Vec<UnitResult<T>> = (0..loaded.unit_count())
        .into_par_iter()
        .with_min_len(256)
        .map(|i| loaded.eval_unit(i, visit))
        .collect();
    let mut out = ReadResult {
        items: Vec::new(),
        errors: loaded.errors,
        rejected: loaded.rejected,
        bytes: loaded.bytes,
    };
    for r in results {
        out.items.extend(r.items);
        out.errors.extend(r.errors);
        out.rejected += r.rejected;
    }
    out
}

/// Parses one unit, unwraps envelopes, and visits its records.
fn unit<T>(
    file: &Arc<str>,
    u: &Unit<'_>,
    visit: &(dyn Fn(RecordRef, Value) -> T + Sync),
) -> UnitResult<T> {
    let mut r = UnitResult {
        items: Vec::new(),
        errors: Vec::new(),
        rejected: 0,
    };
    let parsed = serde_json::from_slice::<Value>(u.text);
    match parsed {
        Ok(v) => {
            let mut records = Vec::new();
            unwrap_record(v, u.line, u.index, &mut records);
            for rec in records {
                let at = RecordRef {
                    file: file.clone(),
                    line: rec.line,
                    index: rec.index,
                    event: None,
                };
                match rec.value {
                    Ok(v) => r.items.push(visit(at, v)),
                    Err(message) => {
                        r.rejected += 1;
                        r.errors.push(InputError {
                            file: file.to_string(),
                            line: Some(rec.line),
                            message,
                        });
                    }
                }
            }
        }
        Err(e) => {
            r.rejected += 1;
            let line = u.line + e.line().saturating_sub(1);
            r.errors.push(InputError {
                file: file.to_string(),
                line: Some(line),
                message: json_error(&e),
            });
        }
    }
    r
}

/// Turns byte offsets into line numbers, for offsets that only grow.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, data: &[u8], offset: usize) -> usize {
        if offset < self.offset {
            *self = LineCounter::default();
        }
        let from = self.offset.min(data.len());
        let to = offset.min(data.len());
        self.line += data
            .get(from..to)
            .map(|s| s.iter().filter(|b| **b == b'\n').count())
            .unwrap_or(0);
        self.offset = to;
        self.line + 1
    }
}

/// Splits an input into units without parsing the records themselves.
struct Splitter<'d> {
    file: Arc<str>,
    data: &'d [u8],
    units: Vec<Unit<'d>>,
    errors: Vec<InputError>,
    rejected: usize,
    lines: LineCounter,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "Records")]
    records: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "configurationItems")]
    configuration_items: Option<Vec<&'a RawValue>>,
    /// `aws securityhub get-findings` output.
    #[serde(borrow, rename = "Findings")]
    findings: Option<Vec<&'a RawValue>>,
}

impl<'d> Splitter<'d> {
    fn error(&mut self, line: Option<usize>, message: String) {
        self.errors.push(InputError {
            file: self.file.to_string(),
            line,
            message,
        });
    }

    fn offset_of(&self, raw: &str) -> usize {
        (raw.as_ptr() as usize).saturating_sub(self.data.as_ptr() as usize)
    }

    fn raw_unit(&mut self, raw: &'d RawValue, index: Option<usize>) {
        let text = raw.get();
        let line = self.lines.line_of(self.data, self.offset_of(text));
        self.units.push(Unit {
            text: text.as_bytes(),
            line,
            index,
        });
    }

    fn split(&mut self) {
        let Some(first) = self.data.iter().position(|b| !b.is_ascii_whitespace()) else {
            return;
        };
        match self.data.get(first) {
            Some(b'[') => self.document(),
            Some(b'{') => {
                let rest = self.data.get(first..).unwrap_or(&[]);
                let first_line = rest
                    .iter()
                    .position(|b| *b == b'\n')
                    .and_then(|end| rest.get(..end));
                let is_lines =
                    first_line.is_some_and(|l| serde_json::from_slice::<&RawValue>(l).is_ok());
                if is_lines {
                    self.lines_mode();
                } else {
                    self.document();
                }
            }
            // JSON lines whose first line is not JSON (a file cut by
            // `tail -c`, a header line): only that line is lost.
            _ if self.some_lines_parse() => self.lines_mode(),
            _ => {
                let line = self.lines.line_of(self.data, first);
                self.rejected += 1;
                self.error(
                    Some(line),
                    "not JSON: a record file starts with `{` or `[`".into(),
                );
            }
        }
    }

    /// JSON lines: one record (or envelope) per line.
    fn lines_mode(&mut self) {
        let data = self.data;
        let ends = memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
        let mut start = 0;
        for (i, end) in ends.enumerate() {
            let line = data.get(start..end).unwrap_or(&[]);
            start = end + 1;
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.units.push(Unit {
                    text: line,
                    line: i + 1,
                    index: None,
                });
            }
        }
    }

    /// One JSON document: an array of records, an envelope, or one record.
    fn document(&mut self) {
        let data = self.data;
        // One or more JSON values one after another (a document, or pretty
        // objects as `jq` prints them).
        let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<&RawValue>();
        let mut values = 0usize;
        loop {
            match stream.next() {
                None => return,
                Some(Ok(raw)) => {
                    values += 1;
                    self.value_units(raw);
                }
                Some(Err(e)) => {
                    if values == 0 && self.some_lines_parse() {
                        // JSON lines whose first line is broken.
                        self.units.clear();
                        self.lines_mode();
                        return;
                    }
                    self.error(
                        Some(e.line()),
                        format!("{}; the records before it are kept", json_error(&e)),
                    );
                    if values == 0 {
                        self.salvage();
                    } else {
                        self.rejected += 1;
                    }
                    return;
                }
            }
        }
    }

    /// Whether at least one line after the first is a JSON value on its own.
    fn some_lines_parse(&self) -> bool {
        self.data
            .split(|b| *b == b'\n')
            .skip(1)
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .take(8)
            .any(|l| serde_json::from_slice::<&RawValue>(l).is_ok())
    }

    /// The units of one top-level value: the elements of a list or of a
    /// `Records`-like envelope, or the value itself.
    fn value_units(&mut self, raw: &'d RawValue) {
        let text = raw.get();
        let items = if text.starts_with('[') {
            serde_json::from_str::<Vec<&RawValue>>(text).ok()
        } else {
            serde_json::from_str::<Envelope<'_>>(text)
                .ok()
                .and_then(|env| env.records.or(env.configuration_items).or(env.findings))
        };
        match items {
            Some(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    self.raw_unit(item, Some(i));
                }
            }
            None => self.raw_unit(raw, None),
        }
    }

    /// After a broken document, keeps every complete element of its
    /// `Records` (or top-level) list that came before the break.
    fn salvage(&mut self) {
        let data = self.data;
        let text = String::from_utf8_lossy(data);
        let start = match text
            .find("\"Records\"")
            .or_else(|| text.find("\"configurationItems\""))
        {
            Some(k) => text.get(k..).and_then(|r| r.find('[')).map(|i| k + i + 1),
            None => text
                .find('[')
                .filter(|i| text.get(..*i).is_some_and(|p| p.trim().is_empty()))
                .map(|i| i + 1),
        };
        let Some(mut pos) = start else {
            self.rejected += 1;
            return;
        };
        let mut index = 0usize;
        loop {
            let rest = data.get(pos..).unwrap_or(&[]);
            let skip = rest
                .iter()
                .position(|b| !(b.is_ascii_whitespace() || *b == b','))
                .unwrap_or(rest.len());
            pos += skip;
            let rest = data.get(pos..).unwrap_or(&[]);
            if rest.is_empty() || rest.first() == Some(&b']') {
                break;
            }
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
            match stream.next() {
                Some(Ok(raw)) => {
                    pos += stream.byte_offset();
                    self.raw_unit(raw, Some(index));
                    index += 1;
                }
                _ => {
                    self.rejected += 1;
                    break;
                }
            }
        }
    }
}

/// A record found in a unit, or why a value there is not one.
struct Found {
    line: usize,
    index: Option<usize>,
    value: Result<Value, String>,
}

/// Unwraps `Records` lists, EventBridge and notification envelopes, and
/// keeps objects.
fn unwrap_record(v: Value, line: usize, index: Option<usize>, out: &mut Vec<Found>) {
    match v {
        Value::Object(mut map) => {
            for key in ["Records", "configurationItems", "Findings"] {
                if matches!(map.get(key), Some(Value::Array(_))) {
                    if let Some(Value::Array(items)) = map.remove(key) {
                        for (i, item) in items.into_iter().enumerate() {
                            unwrap_record(item, line, Some(i), out);
                        }
                    }
                    return;
                }
            }
            if map.contains_key("detail-type") {
                if let Some(detail) = map.remove("detail") {
                    return unwrap_detail(detail, line, index, out);
                }
            }
            if map.contains_key("messageType") {
                if let Some(item) = map.remove("configurationItem") {
                    return push(item, line, index, out);
                }
            }
            out.push(Found {
                line,
                index,
                value: Ok(Value::Object(map)),
            });
        }
        other => push(other, line, index, out),
    }
}

/// The `detail` of an EventBridge event: Security Hub puts a list of
/// findings there, AWS Config a configuration item.
fn unwrap_detail(detail: Value, line: usize, index: Option<usize>, out: &mut Vec<Found>) {
    match detail {
        Value::Object(mut d) => {
            if let Some(Value::Array(findings)) = d.remove("findings") {
                for (i, f) in findings.into_iter().enumerate() {
                    push(f, line, Some(i), out);
                }
            } else if let Some(item) = d.remove("configurationItem") {
                push(item, line, index, out);
            } else {
                out.push(Found {
                    line,
                    index,
                    value: Ok(Value::Object(d)),
                });
            }
        }
        other => {
            let what = kind_of(&other);
            out.push(Found {
                line,
                index,
                value: Err(format!(
                    "an EventBridge `detail` must be a JSON object, not {what}"
                )),
            });
        }
    }
}

fn push(v: Value, line: usize, index: Option<usize>, out: &mut Vec<Found>) {
    if v.is_object() {
        out.push(Found {
            line,
            index,
            value: Ok(v),
        });
    } else {
        let what = kind_of(&v);
        out.push(Found {
            line,
            index,
            value: Err(format!("a record must be a JSON object, not {what}")),
        });
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A serde_json error in words, without its own position (we add ours).
pub(super) fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let base = text.split(" at line ").next().unwrap_or(&text).to_string();
    if base.contains("recursion limit exceeded") {
        return "invalid JSON: nested deeper than 128 levels".to_string();
    }
    if e.is_eof() {
        return format!("invalid JSON: the text ends early ({base})");
    }
    format!("invalid JSON: {base} (column {})", e.column())
}
