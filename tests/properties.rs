//! Laws of the front end, over generated input:
//! - the parser, checker and formatter never panic, on random bytes or on
//!   random token soup;
//! - formatting is idempotent and keeps every comment;
//! - parse → format → parse gives the same tree (spans aside);
//! - formatting keeps a file's meaning: `check` finds the same problems
//!   before and after (doc comments stay attached to their items).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use proptest::prelude::*;
use tensen::check::{analyze, load, Sources};
use tensen::syntax::format::format_source;
use tensen::syntax::parser::parse;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The tree of a file as text, with spans removed.
fn shape(src: &str) -> String {
    let parsed = parse(src);
    assert!(parsed.errors.is_empty(), "{:?}\n{src}", parsed.errors);
    let debug = format!("{:#?}", parsed.file);
    let span =
        regex::Regex::new(r"(?m)^\s*(keyword_)?span: Span \{\s*start: \d+,\s*end: \d+,?\s*\},?\n")
            .unwrap();
    span.replace_all(&debug, "").into_owned()
}

fn comments(src: &str) -> Vec<String> {
    let mut c: Vec<String> = parse(src).comments.into_iter().map(|c| c.text).collect();
    c.sort();
    c
}

// ------------------------------------------------------------ generators

const KEYWORDS: &[&str] = &[
    "let",
    "source",
    "signal",
    "sequence",
    "guardrail",
    "test",
    "on",
    "recognize",
    "time",
    "field",
    "derive",
    "title",
    "severity",
    "from",
    "tactic",
    "technique",
    "report",
    "when",
    "entity",
    "summary",
    "by",
    "within",
    "steps",
    "until",
    "count",
    "distinct",
    "optional",
    "absent",
    "unordered",
    "scope",
    "deny",
    "except",
    "applies",
    "require",
    "message",
    "input",
    "event",
    "expect",
    "and",
    "or",
    "not",
    "in",
    "matches",
    "contains",
    "starts_with",
    "ends_with",
    "exists",
    "true",
    "false",
    "null",
];

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(" "), 1 => Just("\n    "), 1 => Just("  "), 1 => Just(" /* in */ "), 1 => Just(" // line\n ")]
}

fn path() -> impl Strategy<Value = String> {
    (
        ident(),
        prop::collection::vec(
            prop_oneof![
                ident().prop_map(|i| format!(".{i}")),
                Just("[*]".to_string()),
                Just("[0]".to_string()),
                Just(".\"a-b\"".to_string())
            ],
            0..3,
        ),
    )
        .prop_map(|(root, rest)| format!("{root}{}", rest.concat()))
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        "\"[a-zA-Z0-9 *:]{0,8}\"",
        "[0-9]{1,5}",
        "[0-9]{1,3}\\.[0-9]{1,2}",
        "[1-9][0-9]{0,2}(ms|s|m|h|d)",
        Just("10.0.0.0/8".to_string()),
        Just("192.168.1.1".to_string()),
        Just("2001:db8::/32".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![path(), literal()];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let op = prop_oneof![
            Just("=="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("in"),
            Just("not in"),
            Just("matches"),
            Just("=~"),
            Just("contains"),
            Just("starts_with"),
            Just("+"),
            Just("*"),
        ];
        prop_oneof![
            (inner.clone(), op, inner.clone(), ws())
                .prop_map(|(a, op, b, w)| format!("({a}){w}{op} ({b})")),
            (
                prop::collection::vec(inner.clone(), 2..4),
                prop_oneof![Just("and"), Just("or")],
                ws()
            )
                .prop_map(|(xs, op, w)| xs
                    .iter()
                    .map(|x| format!("({x})"))
                    .collect::<Vec<_>>()
                    .join(&format!("{w}{op} "))),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.clone().prop_map(|a| format!("({a}) exists")),
            (ident(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            prop::collection::vec(inner, 0..4).prop_map(|xs| format!("[{}]", xs.join(", "))),
        ]
    })
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![
        "// [a-z ]{0,10}".prop_map(|c| format!("{c}\n")),
        "/// [a-z ]{0,10}".prop_map(|c| format!("{c}\n")),
        "/// [a-z ]{0,10}\n// [a-z ]{0,10}".prop_map(|c| format!("{c}\n")),
        "// [a-z ]{0,10}\n/// [a-z ]{0,10}".prop_map(|c| format!("{c}\n")),
        "/// [a-z ]{0,10}\n\n".prop_map(|c| c.to_string()),
        "/\\* [a-z ]{0,10} \\*/".prop_map(|c| format!("{c} ")),
        Just(String::new()),
        Just(String::new()),
    ]
}

fn clause() -> impl Strategy<Value = String> {
    prop_oneof![
        expr().prop_map(|e| format!("when {e}")),
        (ident(), expr()).prop_map(|(n, e)| format!("entity {n} = {e}")),
        Just("title \"A {b.c} d\"".to_string()),
        Just("severity low".to_string()),
        Just("severity from 2 + 3".to_string()),
        Just("tactic discovery, exfiltration".to_string()),
        Just("technique \"T1078.004\"".to_string()),
        Just("report false".to_string()),
        ident().prop_map(|n| format!("by {n}")),
        Just("within 24h".to_string()),
        (ident(), ident()).prop_map(|(a, b)| format!("steps {{ {a}: {b} | x count >= 3 within 10m by k\n absent z: y within 5m unordered {{ p: q\n r: s }} }}")),
        (ident(), ident()).prop_map(|(a, b)| format!("until {a} | {b}")),
        Just("scope principal".to_string()),
        (path(), prop_oneof![Just("string"), Just("list<string>"), Just("open"), Just("time")]).prop_map(|(p, t)| format!("field {p}: {t}")),
        Just("input \"fixtures/a.jsonl\"".to_string()),
        Just("event +5m { \"eventName\": \"X\", \"n\": [1, 2] }".to_string()),
        ident().prop_map(|n| format!("expect {n} count >= 1")),
    ]
}

fn item() -> impl Strategy<Value = String> {
    fn clauses() -> impl Strategy<Value = String> {
        prop::collection::vec((comment(), clause(), ws()), 0..5).prop_map(|cs| {
            cs.into_iter()
                .map(|(c, cl, w)| format!("{c}{cl}{w}\n"))
                .collect::<String>()
        })
    }
    prop_oneof![
        (ident(), expr()).prop_map(|(n, e)| format!("let {n} = {e}\n")),
        (
            prop_oneof![
                Just("signal"),
                Just("guardrail"),
                Just("source"),
                Just("sequence")
            ],
            ident(),
            ident(),
            clauses()
        )
            .prop_map(|(k, n, s, cs)| format!("{k} {n} on {s} {{\n{cs}}}\n")),
        ("[a-z ]{1,8}", clauses()).prop_map(|(n, cs)| format!("test \"{n}\" {{ {cs} }}\n")),
    ]
}

fn rule_file() -> impl Strategy<Value = String> {
    prop::collection::vec((comment(), item()), 0..5).prop_map(|items| {
        items
            .into_iter()
            .map(|(c, i)| format!("{c}{i}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        prop::sample::select(KEYWORDS.to_vec()).prop_map(str::to_string),
        prop::sample::select(vec![
            "{", "}", "(", ")", "[", "]", ",", ":", ".", "|", "==", "=", "!=", "<", ">=", "=~",
            "+", "-", "*", "/", "\"", "//", "/*", "*/", "\\"
        ])
        .prop_map(str::to_string),
        ident(),
        literal(),
    ];
    prop::collection::vec((token, prop_oneof![Just(" "), Just("\n"), Just("")]), 0..60)
        .prop_map(|ts| ts.into_iter().map(|(t, w)| format!("{t}{w}")).collect())
}

/// What `check` finds in a file, positions aside.
fn problems(src: &str) -> Vec<String> {
    let mut sources = Sources::new();
    sources.add("f.tsn", src);
    let mut found: Vec<String> = analyze(&sources)
        .diagnostics
        .iter()
        .map(|d| format!("{:?} {}", d.code, d.message))
        .collect();
    found.sort();
    found
}

fn run_everything(src: &str) {
    let mut sources = Sources::new();
    sources.add("soup.tsn", src);
    let analysis = analyze(&sources);
    let _ = tensen::check::render::terminal(&analysis.diagnostics, &sources, false);
    let _ = tensen::check::render::sarif(&analysis.diagnostics, &sources);
    let _ = format_source(src);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut sources = Sources::new();
        let mut diags = Vec::new();
        load::add_bytes(&mut sources, "random.tsn", bytes.clone(), &mut diags);
        let _ = analyze(&sources);
        run_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        run_everything(&src);
    }

    #[test]
    fn format_is_idempotent_and_keeps_the_tree(src in rule_file()) {
        let once = format_source(&src).unwrap();
        let twice = format_source(&once).unwrap();
        prop_assert_eq!(&twice, &once, "not idempotent for:\n{}", src);
        prop_assert_eq!(shape(&src), shape(&once));
        prop_assert_eq!(comments(&src), comments(&once));
        prop_assert_eq!(problems(&src), problems(&once), "meaning changed for:\n{}\nformatted:\n{}", src, once);
        run_everything(&src);
    }
}
