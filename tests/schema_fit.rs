//! The built-in schemas must fit real data: every record in `examples/data`
//! is routed to its source by the source's `recognize` rule, and every field
//! path in it must be declared by that source or lie under an `open` field.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tensen::check::{analyze, Sources};
use tensen::engine::rules::Engine;
use tensen::syntax::ast::{Path as AstPath, Segment, SegmentKind};
use tensen::syntax::Span;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data")
}

/// (where, record) for every record of the three data sets.
fn records() -> Vec<(String, Value)> {
    let dir = data_dir();
    assert!(
        dir.is_dir(),
        "the bundled data set is missing at {}",
        dir.display()
    );
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in [
        "invictus-aws-cloudtrail",
        "stratus-detonation-logs",
        "panther-tests",
    ] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    for file in files {
        // Every file is gzipped: `x.json.gz` is read as `x.json`.
        let Some(plain) = file.to_str().and_then(|f| f.strip_suffix(".gz")) else {
            continue;
        };
        let name = plain.to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap()),
            &mut text,
        )
        .unwrap();
        match Path::new(plain).extension().and_then(|e| e.to_str()) {
            Some("json") => match serde_json::from_str::<Value>(&text).unwrap() {
                Value::Object(mut map) => {
                    if let Some(Value::Array(recs)) = map.remove("Records") {
                        out.extend(
                            recs.into_iter()
                                .enumerate()
                                .map(|(i, r)| (format!("{name}#{i}"), r)),
                        );
                    }
                }
                Value::Array(recs) => out.extend(
                    recs.into_iter()
                        .enumerate()
                        .map(|(i, r)| (format!("{name}#{i}"), r)),
                ),
                _ => panic!("unexpected shape in {name}"),
            },
            Some("jsonl") => {
                for (i, line) in text.lines().enumerate() {
                    let case: Value = serde_json::from_str(line).unwrap();
                    if let Some(Value::Object(log)) = case.get("log") {
                        // Panther adds its own `p_*` fields to every record.
                        let log: serde_json::Map<String, Value> = log
                            .iter()
                            .filter(|(k, _)| !k.starts_with("p_"))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        out.push((format!("{name}:{}", i + 1), Value::Object(log)));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn seg(kind: SegmentKind) -> Segment {
    Segment {
        kind,
        span: Span::default(),
    }
}

/// Every leaf path of a record; empty objects and lists are leaves too.
fn leaf_paths(v: &Value, prefix: &mut Vec<Segment>, out: &mut Vec<Vec<Segment>>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                prefix.push(seg(SegmentKind::Name {
                    name: k.clone(),
                    quoted: false,
                }));
                leaf_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            prefix.push(seg(SegmentKind::Wildcard));
            for child in items {
                leaf_paths(child, prefix, out);
            }
            prefix.pop();
        }
        _ => out.push(prefix.clone()),
    }
}

fn show(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match &seg.kind {
            SegmentKind::Name { name, .. } => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(name);
            }
            SegmentKind::Wildcard => s.push_str("[*]"),
            SegmentKind::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[test]
fn built_in_schemas_fit_the_bundled_data() {
    let sources = Sources::new();
    let analysis = analyze(&sources);
    assert!(analysis.diagnostics.is_empty());
    let engine = Engine::from_analysis(&analysis);
    let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unfit: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut claimed_twice = Vec::new();
    let mut unclaimed = 0usize;
    for (place, record) in records() {
        let doc = tensen::engine::record::Doc::from_value(&record, None);
        let claims: Vec<&str> = engine
            .recognize(doc.root())
            .into_iter()
            .map(|i| &*engine.sources[i].name)
            .collect();
        let source = match claims.as_slice() {
            [] => {
                unclaimed += 1;
                continue;
            }
            [one] => *one,
            many => {
                claimed_twice.push(format!("{place}: {many:?}"));
                continue;
            }
        };
        *per_source.entry(source).or_default() += 1;
        let schema = &analysis.schemas[source];
        let mut paths = Vec::new();
        leaf_paths(&record, &mut Vec::new(), &mut paths);
        for segments in paths {
            if segments.is_empty() {
                continue;
            }
            let path = AstPath {
                segments,
                span: Span::default(),
            };
            if schema.lookup(&path).is_err() {
                let entry = unfit
                    .entry((source.to_string(), show(&path.segments)))
                    .or_insert((0, place.clone()));
                entry.0 += 1;
            }
        }
    }
    let report: Vec<String> = unfit
        .iter()
        .map(|((s, p), (n, at))| format!("{s}: {p} ({n}x, e.g. {at})"))
        .collect();
    assert!(
        report.is_empty(),
        "paths the schemas do not declare:\n{}",
        report.join("\n")
    );
    assert!(
        claimed_twice.is_empty(),
        "records claimed by two sources:\n{}",
        claimed_twice.join("\n")
    );
    // Every data set's formats are recognised; S3 access logs are not a source.
    assert!(per_source["cloudtrail"] > 3000, "{per_source:?}");
    assert!(per_source["guardduty"] >= 8, "{per_source:?}");
    assert!(per_source["securityhub"] >= 10, "{per_source:?}");
    assert!(unclaimed < 40, "{unclaimed} records unclaimed");
}
