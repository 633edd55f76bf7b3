//! A test's records: the records of its `input` files and its inline
//! `event`s, in clause order, numbered from 1. An inline event without its
//! own time gets the test's base time plus its offset, written into the
//! field its source reads time from.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{RecordPlace, TestCase};
use crate::engine::compile::PathSeg;
use crate::engine::read::load_bytes;
use crate::engine::rules::Engine;
use crate::engine::run::RecordRef;
use crate::syntax::ast::{ClauseKind, Expr, ExprKind, Lit, UnaryOp};
use crate::syntax::literal::parse_duration_ms;

/// The time an inline event's offset counts from.
pub const BASE_TIME_MS: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

pub(super) struct Built {
    pub records: Vec<(RecordRef, Value)>,
    /// Each record's number (from 1), by the place outputs name.
    pub ordinals: BTreeMap<RecordPlace, usize>,
    pub count: usize,
    pub problems: Vec<String>,
}

pub(super) fn build(engine: &Engine, case: &TestCase<'_>) -> Built {
    let mut built = Built {
        records: Vec::new(),
        ordinals: BTreeMap::new(),
        count: 0,
        problems: Vec::new(),
    };
    let file_name = case
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    for clause in case.clauses {
        match &clause.kind {
            ClauseKind::Input(path) => {
                match read_input(case, &path.value) {
                    Ok(bytes) => {
                        // Named as written, so outputs do not depend on
                        // where the tests run from.
                        let loaded = load_bytes(&path.value, bytes);
                        for e in &loaded.errors {
                            built.problems.push(format!("input {e}"));
                        }
                        for u in 0..loaded.unit_count() {
                            let r = loaded.eval_unit(u, &|at, v| (at, v));
                            for e in &r.errors {
                                built.problems.push(format!("input {e}"));
                            }
                            for (at, v) in r.items {
                                push(&mut built, at, v);
                            }
                        }
                    }
                    Err(why) => built
                        .problems
                        .push(format!("input `{}`: {why}", path.value)),
                }
            }
            ClauseKind::Event { offset, value } => {
                let line = clause_line(case, clause.span.start);
                let mut record = match json_of(value) {
                    Ok(v) => v,
                    Err(why) => {
                        built.problems.push(format!(
                            "{file_name}:{line}: event is not plain JSON: {why}"
                        ));
                        continue;
                    }
                };
                let ms = offset.as_ref().and_then(offset_ms).unwrap_or(0);
                set_time(engine, &mut record, BASE_TIME_MS + ms);
                let at = RecordRef {
                    file: std::sync::Arc::from(file_name.as_str()),
                    line,
                    index: None,
                    event: Some(built.count + 1),
                };
                push(&mut built, at, record);
            }
            _ => {}
        }
    }
    built
}

/// Most bytes a test input may have.
const MAX_INPUT: u64 = 64 << 20;

/// The bytes of a test input: a regular file inside the ruleset's folder
/// (after following links), of at most [`MAX_INPUT`] bytes. A link out of
/// the folder, a device, a FIFO or a huge file is refused, never read.
fn read_input(case: &TestCase<'_>, given: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let reason = |e: std::io::Error| crate::files::io_reason(&e);
    let real = std::fs::canonicalize(case.dir().join(given)).map_err(reason)?;
    let root = std::fs::canonicalize(&case.root).unwrap_or_else(|_| case.root.clone());
    if !real.starts_with(&root) {
        return Err(format!(
            "leads outside the ruleset's folder (to {}); not read",
            real.display()
        ));
    }
    let meta = std::fs::metadata(&real).map_err(reason)?;
    if !meta.is_file() {
        return Err("not a regular file (a device, a pipe or a folder); not read".into());
    }
    let too_big = || {
        format!(
            "larger than a test input may be ({} MB); not read",
            MAX_INPUT >> 20
        )
    };
    if meta.len() > MAX_INPUT {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
        .map_err(reason)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_big());
    }
    Ok(bytes)
}

fn push(built: &mut Built, at: RecordRef, record: Value) {
    built.count += 1;
    built.ordinals.insert(
        (
            at.file.to_string(),
            at.line as u64,
            at.index.map(|i| i as u64),
        ),
        built.count,
    );
    built.records.push((at, record));
}

/// The line of a clause in its rule file.
fn clause_line(case: &TestCase<'_>, offset: usize) -> usize {
    std::fs::read_to_string(&case.file)
        .ok()
        .and_then(|t| t.get(..offset).map(|p| p.matches('\n').count() + 1))
        .unwrap_or(case.line)
}

fn offset_ms(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Lit(Lit::Duration(d)) => parse_duration_ms(d).and_then(|v| i64::try_from(v).ok()),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr,
        } => offset_ms(expr).map(|v| -v),
        _ => None,
    }
}

/// The JSON an inline event spells.
pub(crate) fn json_of(e: &Expr) -> Result<Value, String> {
    Ok(match &e.kind {
        ExprKind::Lit(Lit::Str(s)) => Value::String(s.value.clone()),
        ExprKind::Lit(Lit::Int(n)) => n
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("`{n}` is out of range"))?,
        ExprKind::Lit(Lit::Float(f)) => f
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("`{f}` is not a JSON number"))?,
        ExprKind::Lit(Lit::Bool(b)) => Value::Bool(*b),
        ExprKind::Lit(Lit::Null) => Value::Null,
        ExprKind::Lit(Lit::Duration(t) | Lit::Ip(t) | Lit::Cidr(t)) => Value::String(t.clone()),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr,
        } => match json_of(expr)? {
            Value::Number(n) if n.is_i64() => Value::from(-n.as_i64().unwrap_or(0)),
            Value::Number(n) => Value::from(-n.as_f64().unwrap_or(0.0)),
            _ => return Err("`-` before something that is not a number".into()),
        },
        ExprKind::Paren(inner) => json_of(inner)?,
        ExprKind::List(items) => Value::Array(items.iter().map(json_of).collect::<Result<_, _>>()?),
        ExprKind::Object(fields) => {
            let mut map = Map::new();
            for (k, v) in fields {
                map.insert(k.value.clone(), json_of(v)?);
            }
            Value::Object(map)
        }
        _ => return Err("only strings, numbers, true, false, null, lists and objects".into()),
    })
}

/// Writes the time into the field the record's source reads it from,
/// unless the event has one. A record that no source recognises without
/// its time (AWS Config items need theirs) gets the time field of the
/// first source that recognises it with one.
fn set_time(engine: &Engine, record: &mut Value, ms: i64) {
    let when = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    if let Some(s) = engine.route_json(record) {
        if let Some(path) = engine.sources.get(s).and_then(|s| s.time.clone()) {
            write_at(record, &path.segments, &when);
        }
        return;
    }
    for source in &engine.sources {
        let Some(path) = &source.time else { continue };
        let mut trial = record.clone();
        write_at(&mut trial, &path.segments, &when);
        if engine.route_json(&trial).is_some() {
            *record = trial;
            return;
        }
    }
}

/// Sets a string at a path of names, creating objects on the way, unless a
/// value is there.
fn write_at(record: &mut Value, segments: &[PathSeg], text: &str) {
    let names: Option<Vec<&str>> = segments
        .iter()
        .map(|s| match s {
            PathSeg::Name(n) => Some(&*n.name),
            _ => None,
        })
        .collect();
    let Some((last, parents)) = names.as_deref().and_then(<[&str]>::split_last) else {
        return;
    };
    let mut cur = record;
    for p in parents {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        cur = obj
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(obj) = cur.as_object_mut() {
        obj.entry(last.to_string())
            .or_insert(Value::String(text.to_string()));
    }
}
