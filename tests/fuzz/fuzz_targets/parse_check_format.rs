//! Fuzz target: any bytes go through loading, parsing, checking, rendering
//! and formatting without a panic; formatting what parses is idempotent,
//! and keeps its meaning: `check` finds the same problems before and after.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tensen::check::{analyze, load, render, Sources};
use tensen::syntax::format::format_source;

/// What `check` finds in one file, positions aside.
fn problems(name: &str, text: &str) -> Vec<String> {
    let mut sources = Sources::new();
    sources.add(name, text);
    let mut found: Vec<String> = analyze(&sources)
        .diagnostics
        .iter()
        .map(|d| format!("{:?} {}", d.code, d.message))
        .collect();
    found.sort();
    found
}

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::new();
    let mut diags = Vec::new();
    load::add_bytes(&mut sources, "fuzz.tsn", data.to_vec(), &mut diags);
    let analysis = analyze(&sources);
    let _ = render::terminal(&analysis.diagnostics, &sources, false);
    let _ = render::sarif(&analysis.diagnostics, &sources);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(once) = format_source(text) {
            let twice = format_source(&once).expect("formatted output parses");
            assert_eq!(once, twice, "formatting is idempotent");
            assert_eq!(
                problems("fuzz.tsn", text),
                problems("fuzz.tsn", &once),
                "formatting keeps the meaning"
            );
        }
    }
});
