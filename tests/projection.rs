//! A run parses only the parts of each record that the rules read
//! (`engine/project.rs`) and evaluates only the rules a record can match
//! (`engine/dispatch.rs`). Its outputs must be exactly those of the
//! reference path (`--whole-records`: whole records, every rule): checked
//! over every record of the bundled data (`examples/data`) and of the example fixtures, with
//! the whole example ruleset, `allow` decisions written and only counted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::{Path, PathBuf};

use tensen::check::{analyze, load};
use tensen::engine::pipeline::{run_inputs, Sequencing};
use tensen::engine::read::list_inputs;
use tensen::engine::rules::Engine;
use tensen::engine::run::RunOptions;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every output line and the summary's counts of one run.
fn run(engine: &Engine, paths: &[PathBuf], whole: bool) -> (Vec<String>, String) {
    run_with(engine, paths, whole, true)
}

/// The same, with `allow` decisions built or only counted.
fn run_with(
    engine: &Engine,
    paths: &[PathBuf],
    whole: bool,
    keep_allow: bool,
) -> (Vec<String>, String) {
    let (inputs, errors) = list_inputs(paths);
    assert!(errors.is_empty(), "{errors:?}");
    let opts = RunOptions {
        keep_allow,
        whole_records: whole,
        ..RunOptions::default()
    };
    let mut seq = Sequencing::batch(engine);
    let mut out = Vec::new();
    let summary = run_inputs(
        engine,
        &inputs,
        &opts,
        &mut seq,
        &mut |o| out.push(o.to_line().into_owned()),
        &|_| {},
    );
    let counts = format!(
        "read {} rejected {} unclaimed {} errors {:?} outputs {:?}",
        summary.read, summary.rejected, summary.unclaimed, summary.errors, summary.counts
    );
    (out, counts)
}

#[test]
fn reading_only_what_the_rules_read_changes_no_output() {
    let (sources, diags) = load::load_paths(&[root().join("examples")]);
    assert!(diags.is_empty());
    let analysis = analyze(&sources);
    let engine = Engine::from_analysis(&analysis);
    let data = root().join("examples/data");
    let mut paths: Vec<PathBuf> = [
        "invictus-aws-cloudtrail",
        "stratus-detonation-logs",
        "panther-tests",
    ]
    .iter()
    .map(|d| data.join(d))
    .collect();
    for dir in ["guardrails", "rules", "sequences"] {
        let fixtures = root().join("examples").join(dir).join("fixtures");
        if Path::new(&fixtures).is_dir() {
            paths.push(fixtures);
        }
    }
    // `allow` decisions built (every guardrail decides), then only counted
    // (guardrails the record rules out are not evaluated at all).
    for keep_allow in [true, false] {
        let (projected, projected_counts) = run_with(&engine, &paths, false, keep_allow);
        let (whole, whole_counts) = run_with(&engine, &paths, true, keep_allow);
        assert_eq!(projected_counts, whole_counts);
        assert!(whole.len() > 1_000, "{}", whole.len());
        let first_difference = projected.iter().zip(&whole).position(|(a, b)| a != b);
        if let Some(i) = first_difference {
            panic!(
                "output {i} differs:\nprojected: {}\nwhole:     {}",
                projected[i], whole[i]
            );
        }
        assert_eq!(projected.len(), whole.len());
    }
}

#[test]
fn bad_records_are_rejected_the_same_way() {
    let (sources, _) = load::load_paths(&[root().join("examples")]);
    let engine = Engine::from_analysis(&analyze(&sources));
    let dir = tempfile::tempdir().unwrap();
    let login = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"arn":"a"}}"#;
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let deep_in_record = |n: usize| {
        format!(
            r#"{{"eventVersion":"1.08","eventSource":"x","eventName":"X","skipped":{}}}"#,
            deep(n)
        )
    };
    let text = [
        login.to_string(),
        "{not json".into(),
        "42".into(),
        deep(1000),
        deep(127),
        deep_in_record(200),
        deep_in_record(100),
        r#"{"eventVersion":"1.08","eventSource":"x","eventName":"X","a":"é"\"}"#.into(),
        r#"{"unclaimed": true}"#.into(),
        login.to_string(),
    ]
    .join("\n");
    let input = dir.path().join("mixed.jsonl");
    std::fs::write(&input, text).unwrap();
    let (projected, projected_counts) = run(&engine, std::slice::from_ref(&input), false);
    let (whole, whole_counts) = run(&engine, &[input], true);
    assert_eq!(projected_counts, whole_counts);
    assert!(whole_counts.contains("nested deeper"), "{whole_counts}");
    assert_eq!(projected, whole);
}

#[test]
fn a_projection_keeps_the_paths_read_and_the_envelopes_around_them() {
    use tensen::engine::compile::PathSeg;
    use tensen::engine::project::Projection;
    use tensen::engine::record::{Key, Names, NO_KEY};
    let name = |n: &str| {
        PathSeg::Name(Key {
            id: NO_KEY,
            name: n.into(),
        })
    };
    let paths = [
        vec![name("requestParameters"), name("bucketName")],
        vec![name("resources")],
        vec![name("tags"), PathSeg::Each, name("key")],
    ];
    let p = Projection::new(paths.iter().map(Vec::as_slice), Names::default());
    let record = r#"{"eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k","big":[1,2,3]},
        "resources":[{"type":"t","ARN":"a"}],"tags":[{"key":"x","value":"y"}],"responseElements":{"x":1},
        "userIdentity":{"arn":"arn:aws:iam::1:user/a","userName":"a"}}"#;
    let v = p.parse(record.as_bytes()).unwrap().root().to_json();
    assert_eq!(
        v,
        serde_json::json!({"eventName": "GetObject", "requestParameters": {"bucketName": "b"},
            "resources": [{"type": "t", "ARN": "a"}], "tags": [{"key": "x"}],
            "userIdentity": {"arn": "arn:aws:iam::1:user/a"}})
    );
    // Inside a `Records` envelope, the same.
    let envelope = format!(r#"{{"Records":[{record}]}}"#);
    let v = p.parse(envelope.as_bytes()).unwrap().root().to_json();
    assert_eq!(
        v["Records"][0]["requestParameters"],
        serde_json::json!({"bucketName": "b"})
    );
    // Broken JSON fails as serde_json fails, at the same place.
    for broken in [
        r#"{"eventName": }"#,
        r#"{"a": [1, 2}"#,
        r#"{"x": 1} trailing"#,
    ] {
        let ours = p.parse(broken.as_bytes()).unwrap_err().to_string();
        let theirs = serde_json::from_str::<serde_json::Value>(broken)
            .unwrap_err()
            .to_string();
        assert_eq!(ours, theirs, "{broken}");
    }
}

/// A field the rules do not read is skipped, but checked as strictly as
/// `serde_json` checks it when it builds a value: the texts a run accepts
/// are exactly those `serde_json::from_slice` accepts, with its message.
#[test]
fn what_is_skipped_is_checked_as_serde_json_checks_it() {
    use tensen::engine::project::Projection;
    use tensen::engine::record::Names;
    let p = Projection::new(std::iter::empty(), Names::default());
    let deep = |n: usize| {
        format!(
            r#"{{"skipped":{}1{},"eventName":"x"}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let mut texts: Vec<Vec<u8>> = [
        r#"{"skipped":"\ud800","eventName":"x"}"#,
        r#"{"skipped":"\udc00\ud800"}"#,
        r#"{"skipped":"\u12x4"}"#,
        r#"{"skipped":1e400}"#,
        r#"{"skipped":-0,"eventName":"x"}"#,
        r#"{"skipped":18446744073709551616}"#,
        r#"{"skipped":"x\u0000y"}"#,
        "{\"skipped\":\"a\tb\"}",
        r#"{"skipped":[1,2,],"eventName":"x"}"#,
        r#"{"eventName":"a","eventName":"b"}"#,
        r#"{"eventName":"x"} trailing"#,
    ]
    .iter()
    .map(|t| t.as_bytes().to_vec())
    .collect();
    texts.push(b"{\"skipped\":\"\xff\",\"eventName\":\"x\"}".to_vec());
    texts.push(b"{\"skipped\":\"\xed\xa0\x80\",\"eventName\":\"x\"}".to_vec());
    for n in [100, 126, 127, 128, 200, 2000] {
        texts.push(deep(n).into_bytes());
    }
    for text in &texts {
        let ours = p.parse(text).map(|d| d.root().to_json());
        let theirs = serde_json::from_slice::<serde_json::Value>(text);
        let shown = String::from_utf8_lossy(text);
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => {}
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{shown}"),
            _ => panic!("{shown}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }
    // Duplicate keys: the last value, as serde_json keeps it.
    let doc = p.parse(br#"{"eventName":"a","eventName":"b"}"#).unwrap();
    assert_eq!(doc.root().to_json(), serde_json::json!({"eventName": "b"}));
}

/// What is kept is the value `serde_json` reads into a `Value`, number
/// for number and escape for escape.
#[test]
fn what_is_kept_is_the_value_serde_json_reads() {
    use tensen::engine::compile::PathSeg;
    use tensen::engine::project::Projection;
    use tensen::engine::record::{Key, Names, NO_KEY};
    let kept = [vec![PathSeg::Name(Key {
        id: NO_KEY,
        name: "kept".into(),
    })]];
    let p = Projection::new(kept.iter().map(Vec::as_slice), Names::default());
    let values = [
        "0.1",
        "0.30000000000000004",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "1e-400",
        "-1e-400",
        "1.7976931348623157e308",
        "9007199254740993",
        "9007199254740993.0",
        "123456789012345678901234567890",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "1E5",
        "1e+5",
        "-0.0",
        "-0",
        "-0e0",
        "-0.0E5",
        "[1,-0.0]",
        "[1, -0.0]",
        "0e0",
        "3.141592653589793238462643383279",
        "1.00000000000000011102230246251565404236316680908203125",
        "[1, -2, 3.5, 7e-3]",
        r#""\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\""#,
        r#""plain""#,
        r#""\u0000x""#,
        r#"{"a": {"b": [null, true, false]}, "": "", "a": 2}"#,
        "\r\n\t {\"x\" :\t[ ] }",
    ];
    for v in values {
        let text = format!(r#"{{"kept": {v}, "eventName": "x"}}"#);
        let ours = p.parse(text.as_bytes()).unwrap().root().to_json();
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ours["kept"], theirs["kept"], "{v}");
        // As written too: `-0.0` equals `0.0` but is not written so.
        assert_eq!(
            serde_json::to_string(&ours["kept"]).unwrap(),
            serde_json::to_string(&theirs["kept"]).unwrap(),
            "{v}"
        );
    }
    // Keys are matched after their escapes are read.
    let text = r#"{"k\u0065pt": "escaped", "eventN\u0061me": "x"}"#;
    let ours = p.parse(text.as_bytes()).unwrap().root().to_json();
    assert_eq!(
        ours,
        serde_json::json!({"kept": "escaped", "eventName": "x"})
    );
}

/// The projected reader and `serde_json` agree on every text, not only on
/// the cases above: real records, mutated at random in the bytes where
/// JSON readers differ (escapes, numbers, whitespace, nesting, quotes,
/// values put in place of others), are accepted or refused alike, with
/// the same message, and read to the same value, kept whole or skipped.
mod differential {
    use proptest::prelude::*;
    use tensen::engine::compile::PathSeg;
    use tensen::engine::project::Projection;
    use tensen::engine::record::Names;

    fn records() -> &'static [String] {
        static RECORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        RECORDS.get_or_init(read_records)
    }

    fn read_records() -> Vec<String> {
        let dir = super::root().join("examples");
        let mut out = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "jsonl") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    out.extend(text.lines().filter(|l| !l.is_empty()).map(String::from));
                }
            }
        }
        out.sort();
        out
    }

    const PIECES: &[&str] = &[
        "\\",
        "\\u",
        "\\ud800",
        "\\udc00",
        "\\u00e9",
        "\"",
        "-0.0",
        "-0",
        "1e400",
        "1e-400",
        "0.1e",
        "01",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        " ",
        "\u{0b}",
        "\u{0c}",
        "\u{a0}",
        "\t",
        "\u{1}",
        "null",
        "nul",
        "tru",
        "é",
        "\u{2028}",
        "18446744073709551616",
        ".5",
        "+1",
        "[[[[[[[[[[",
        "]]]]]]]]]]",
    ];

    /// Values put in place of a field's value.
    const VALUES: &[&str] = &[
        "-0.0",
        "-0",
        "0.0",
        "-0e5",
        "1e400",
        "-1e-400",
        "[1,-0.0]",
        "{\"a\":-0.0}",
        "\"\\ud800\"",
        "\"\\ud83d\\ude00\"",
        "\"\\u00e9\"",
        "\"\\/\"",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "2.2250738585072011e-308",
        "0.30000000000000004",
        "[]",
        "{}",
        "[[[]]]",
        "\"\"",
        "true",
        "null",
        "\"a\\\"b\"",
        "1E5",
        "\"\u{7f}\"",
    ];

    /// Both accept `text`, or both refuse it with the same message.
    fn check(p: &Projection, text: &str) {
        let ours = p.parse(text.as_bytes()).map(|d| d.root().to_json());
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => {}
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
            _ => panic!("{text}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn the_projected_reader_and_serde_json_agree(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec(
                (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..5),
                1..4,
            ),
        ) {
            let records = records();
            let mut text = records[pick.index(records.len())].clone();
            for (at, piece, how) in edits {
                let mut at = at.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if how >= 3 {
                    // A field's value replaced by another value.
                    let colons: Vec<usize> = text.match_indices("\":").map(|(i, _)| i + 2).collect();
                    if colons.is_empty() {
                        continue;
                    }
                    let start = colons[at % colons.len()];
                    let end = text[start..].find([',', '}']).map_or(text.len(), |e| start + e);
                    text.replace_range(start..end, VALUES[piece.index(VALUES.len())]);
                    continue;
                }
                let piece = PIECES[piece.index(PIECES.len())];
                match how {
                    0 => text.insert_str(at, piece),
                    1 => {
                        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                        text.replace_range(at..end, piece);
                    }
                    _ => {
                        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                        text.replace_range(at..end, "");
                    }
                }
            }
            let whole = Projection::new([&[][..] as &[PathSeg]], Names::default());
            let skipped = Projection::new(std::iter::empty(), Names::default());
            check(&whole, &text);
            check(&skipped, &text);
            if let (Ok(a), Ok(b)) = (whole.parse(text.as_bytes()), serde_json::from_str::<serde_json::Value>(&text)) {
                prop_assert_eq!(
                    serde_json::to_string(&a.root().to_json()).unwrap(),
                    serde_json::to_string(&b).unwrap()
                );
            }
        }
    }
}
