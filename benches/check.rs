//! `check` on a generated 10,000-line ruleset (goal: < 100 ms), next to a
//! parse-only baseline of the same text and the built-in prelude alone; and
//! what the language server does on it: a change to published diagnostics
//! (goal: < 50 ms) and a completion (goal: < 10 ms).
//!
//! Run with `cargo bench --bench check` or `benches/run.sh`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use tensen::check::{analyze, Sources};
use tensen::syntax::parser::parse;

/// A realistic ruleset of about `lines` lines: signals, sequences,
/// guardrails and tests over the built-in sources.
pub fn ruleset(lines: usize) -> String {
    let mut out = String::new();
    let mut i = 0usize;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "/// Discovery call number {i}.
signal discovery_{i} on cloudtrail {{
    title \"Discovery {i}\"
    severity low
    tactic discovery
    technique \"T1087.004\"
    report false
    when eventName matches [\"List*\", \"Describe*\"]
        and errorCode == null
        and userIdentity.type != \"AWSService\"
        and sourceIPAddress not in [10.0.0.0/8, 192.168.0.0/16]
    entity principal = userIdentity.arn
    entity ip = sourceIPAddress
}}

signal login_{i} on cloudtrail {{
    severity medium
    tactic initial_access
    when eventName == \"ConsoleLogin\" and additionalEventData.MFAUsed == \"No\"
    entity principal = userIdentity.arn
    summary \"{{userIdentity.arn}} logged in from {{sourceIPAddress}}\"
}}

sequence chain_{i} {{
    severity from max(login.severity, recon.severity) + 2
    by principal
    within 24h
    steps {{
        login: login_{i}
        recon: discovery_{i} count >= 20 within 10m
    }}
    summary \"{{principal}} logged in and made {{recon.count}} calls from {{recon.ip}}\"
}}

guardrail no_trail_stop_{i} on cloudtrail {{
    scope principal
    deny when action in [\"cloudtrail:StopLogging\", \"cloudtrail:DeleteTrail\"]
    except userIdentity.arn ends_with \":role/BreakGlass\"
    message \"{{userIdentity.arn}} may not call {{eventName}}\"
}}

"
        ));
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = ruleset(10_000);
    let lines = text.lines().count();
    c.bench_function(&format!("parse only ({lines} lines)"), |b| {
        b.iter(|| parse(&text));
    });
    c.bench_function(&format!("check ({lines} lines + prelude)"), |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            sources.add("bench.tsn", text.clone());
            let analysis = analyze(&sources);
            assert!(analysis.diagnostics.is_empty());
            analysis
        });
    });
    c.bench_function("check (prelude only)", |b| {
        b.iter(|| analyze(&Sources::new()));
    });
    // The language server: after a change it rebuilds the snapshot and
    // computes the file's diagnostics; a completion reads a snapshot.
    let files = std::collections::BTreeMap::from([("bench.tsn".to_string(), text.clone())]);
    c.bench_function(
        &format!("lsp: change to diagnostics ({lines} lines)"),
        |b| {
            b.iter(|| {
                let snap = tensen::ide::Snapshot::new(None, &files);
                tensen::ide::diagnostics(&snap, "bench.tsn")
            });
        },
    );
    let snap = tensen::ide::Snapshot::new(None, &files);
    let at = text.rfind("userIdentity.").expect("a field path") + "userIdentity.".len();
    let pos = tensen::ide::LineIndex::new(&text).pos(at);
    c.bench_function(&format!("lsp: completion ({lines} lines)"), |b| {
        b.iter(|| {
            let items = tensen::ide::completion(&snap, "bench.tsn", pos);
            assert!(!items.is_empty());
            items
        });
    });
    c.bench_function(&format!("lsp: hover ({lines} lines)"), |b| {
        b.iter(|| tensen::ide::hover(&snap, "bench.tsn", pos));
    });
    c.bench_function(&format!("lsp: semantic tokens ({lines} lines)"), |b| {
        b.iter(|| tensen::ide::semantic_tokens(&snap, "bench.tsn"));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
