//! Fuzz target: any bytes go through loading, parsing, checking, rendering
//! and formatting without a panic; and formatting what parses is idempotent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tensen::check::{analyze, load, render, Sources};
use tensen::syntax::format::format_source;

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
        }
    }
});
