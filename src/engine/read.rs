//! Reads records as AWS delivers them: JSON lines, JSON arrays, CloudTrail's
//! `{"Records": [...]}` files, AWS Config `configurationItems` files,
//! EventBridge envelopes, `.gz` of any of these, folders recursively, and
//! standard input.
//!
//! Nothing bad in the input stops a read or loses what came before it: a
//! malformed line is reported with `file:line` and skipped; a truncated file
//! keeps the records read before the break.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
            Ok(m) if m.is_dir() => walk(p, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input::File(p.clone())),
            Err(e) => errors.push(InputError {
                file: p.display().to_string(),
                line: None,
                message: io_message(&e),
            }),
        }
    }
    (inputs, errors)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string().to_lowercase(),
    }
}

fn walk(dir: &Path, out: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(InputError {
                file: dir.display().to_string(),
                line: None,
                message: io_message(&e),
            });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if child.is_dir() {
            walk(&child, out, errors);
        } else if [".json", ".jsonl", ".ndjson", ".gz"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            out.push(Input::File(child));
        }
    }
}

/// Reads and parses one input.
pub fn read(input: &Input) -> Batch {
    let (name, bytes) = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut buf) {
                Ok(_) => ("<stdin>".to_string(), buf),
                Err(e) => return failed("<stdin>", &io_message(&e)),
            }
        }
        Input::File(p) => match std::fs::read(p) {
            Ok(b) => (p.display().to_string(), b),
            Err(e) => return failed(&p.display().to_string(), &io_message(&e)),
        },
    };
    parse_bytes(&name, bytes)
}

fn failed(file: &str, message: &str) -> Batch {
    Batch {
        errors: vec![InputError {
            file: file.to_string(),
            line: None,
            message: message.to_string(),
        }],
        ..Batch::default()
    }
}

/// Parses the bytes of one input (decompressing gzip) into records.
pub fn parse_bytes(name: &str, bytes: Vec<u8>) -> Batch {
    let mut batch = Batch {
        bytes: bytes.len(),
        ..Batch::default()
    };
    let file: Arc<str> = Arc::from(name);
    let data = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(bytes.as_slice());
        if let Err(e) = decoder.read_to_end(&mut out) {
            batch.errors.push(InputError {
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
    let text = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&data);
    let mut reader = Reader {
        file,
        data: text,
        batch,
        lines: LineCounter::default(),
    };
    reader.parse();
    reader.batch
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

struct Reader<'d> {
    file: Arc<str>,
    data: &'d [u8],
    batch: Batch,
    lines: LineCounter,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "Records")]
    records: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "configurationItems")]
    configuration_items: Option<Vec<&'a RawValue>>,
}

impl<'d> Reader<'d> {
    fn error(&mut self, line: Option<usize>, message: String) {
        self.batch.errors.push(InputError {
            file: self.file.to_string(),
            line,
            message,
        });
    }

    fn offset_of(&self, raw: &RawValue) -> usize {
        (raw.get().as_ptr() as usize).saturating_sub(self.data.as_ptr() as usize)
    }

    fn parse(&mut self) {
        let Some(first) = self.data.iter().position(|b| !b.is_ascii_whitespace()) else {
            return;
        };
        match self.data.get(first) {
            Some(b'[') => self.document(),
            Some(b'{') => {
                let first_line_end = self
                    .data
                    .get(first..)
                    .and_then(|r| r.iter().position(|b| *b == b'\n'));
                let first_line = match first_line_end {
                    Some(end) => self.data.get(first..first + end),
                    None => None,
                };
                let is_lines = first_line
                    .is_some_and(|l| serde_json::from_slice::<&RawValue>(l).is_ok())
                    && self
                        .data
                        .get(first..)
                        .is_some_and(|rest| rest.iter().filter(|b| **b == b'\n').count() >= 1);
                if is_lines {
                    self.lines_mode();
                } else {
                    self.document();
                }
            }
            _ => {
                let line = self.lines.line_of(self.data, first);
                self.batch.rejected += 1;
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
        let mut start = 0usize;
        let mut line_no = 0usize;
        while start < data.len() {
            line_no += 1;
            let end = data
                .get(start..)
                .and_then(|r| r.iter().position(|b| *b == b'\n'))
                .map(|i| start + i)
                .unwrap_or(data.len());
            let line = data.get(start..end).unwrap_or(&[]);
            start = end + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v) => self.unwrap_record(v, line_no, None),
                Err(e) => {
                    self.batch.rejected += 1;
                    self.error(Some(line_no), json_error(&e));
                }
            }
        }
    }

    /// One JSON document: an array of records, an envelope, or one record.
    fn document(&mut self) {
        let data = self.data;
        match serde_json::from_slice::<&RawValue>(data) {
            Ok(raw) => self.raw_document(raw),
            Err(e) => {
                let line = e.line();
                self.error(
                    Some(line),
                    format!("{}; the records before it are kept", json_error(&e)),
                );
                self.salvage();
            }
        }
    }

    fn raw_document(&mut self, raw: &'d RawValue) {
        let text = raw.get();
        if text.starts_with('[') {
            match serde_json::from_str::<Vec<&RawValue>>(text) {
                Ok(items) => self.raw_list(items),
                Err(e) => self.error(Some(e.line()), json_error(&e)),
            }
            return;
        }
        if let Ok(env) = serde_json::from_str::<Envelope<'_>>(text) {
            if let Some(items) = env.records.or(env.configuration_items) {
                self.raw_list(items);
                return;
            }
        }
        let line = self.lines.line_of(self.data, self.offset_of(raw));
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.unwrap_record(v, line, None),
            Err(e) => {
                self.batch.rejected += 1;
                self.error(Some(line), json_error(&e));
            }
        }
    }

    fn raw_list(&mut self, items: Vec<&RawValue>) {
        for (i, raw) in items.into_iter().enumerate() {
            let line = self.lines.line_of(self.data, self.offset_of(raw));
            match serde_json::from_str::<Value>(raw.get()) {
                Ok(v) => self.unwrap_record(v, line, Some(i)),
                Err(e) => {
                    self.batch.rejected += 1;
                    self.error(Some(line), json_error(&e));
                }
            }
        }
    }

    /// After a broken document, keeps every complete element of its
    /// `Records` (or top-level) array that came before the break.
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
            self.batch.rejected += 1;
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
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
            match stream.next() {
                Some(Ok(v)) => {
                    let line = self.lines.line_of(data, pos);
                    pos += stream.byte_offset();
                    self.unwrap_record(v, line, Some(index));
                    index += 1;
                }
                _ => {
                    self.batch.rejected += 1;
                    break;
                }
            }
        }
    }

    /// Unwraps EventBridge and notification envelopes, then keeps objects.
    fn unwrap_record(&mut self, v: Value, line: usize, index: Option<usize>) {
        let at = RecordRef {
            file: self.file.clone(),
            line,
            index,
        };
        match v {
            Value::Object(mut map) => {
                for key in ["Records", "configurationItems"] {
                    if matches!(map.get(key), Some(Value::Array(_))) {
                        if let Some(Value::Array(items)) = map.remove(key) {
                            for (i, item) in items.into_iter().enumerate() {
                                self.unwrap_record(item, line, Some(i));
                            }
                        }
                        return;
                    }
                }
                if map.contains_key("detail-type") {
                    if let Some(detail) = map.remove("detail") {
                        return self.unwrap_detail(detail, at);
                    }
                }
                if map.contains_key("messageType") {
                    if let Some(item) = map.remove("configurationItem") {
                        return self.push(item, at);
                    }
                }
                self.batch.records.push((at, Value::Object(map)));
            }
            other => {
                self.batch.rejected += 1;
                let what = kind_of(&other);
                self.error(
                    Some(line),
                    format!("a record must be a JSON object, not {what}"),
                );
            }
        }
    }

    /// The `detail` of an EventBridge event: Security Hub puts a list of
    /// findings there, AWS Config a configuration item.
    fn unwrap_detail(&mut self, detail: Value, at: RecordRef) {
        match detail {
            Value::Object(mut d) => {
                if let Some(Value::Array(findings)) = d.remove("findings") {
                    for f in findings {
                        self.push(f, at.clone());
                    }
                } else if let Some(item) = d.remove("configurationItem") {
                    self.push(item, at);
                } else {
                    self.batch.records.push((at, Value::Object(d)));
                }
            }
            other => {
                self.batch.rejected += 1;
                let what = kind_of(&other);
                self.error(
                    Some(at.line),
                    format!("an EventBridge `detail` must be a JSON object, not {what}"),
                );
            }
        }
    }

    fn push(&mut self, v: Value, at: RecordRef) {
        if v.is_object() {
            self.batch.records.push((at, v));
        } else {
            self.batch.rejected += 1;
            let what = kind_of(&v);
            self.error(
                Some(at.line),
                format!("a record must be a JSON object, not {what}"),
            );
        }
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
fn json_error(e: &serde_json::Error) -> String {
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
