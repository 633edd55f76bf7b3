//! The baselines `tensen run` is measured against, on one thread, over a
//! JSON lines file read into memory first:
//!
//! - the lazy-read limit: `sonic-rs` finding one field per line without
//!   building anything (the physical limit of reading the bytes);
//! - parsing every line whole into a `serde_json::Value`.
//!
//! `TENSEN_BENCH_INPUT=FILE cargo bench --bench parse_only`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use std::time::Instant;

fn rate(label: &str, records: usize, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {records} records in {secs:.2} s = {:.0} records/s",
        records as f64 / secs
    );
}

fn main() {
    let Ok(path) = std::env::var("TENSEN_BENCH_INPUT") else {
        eprintln!("set TENSEN_BENCH_INPUT to a JSON lines file (benches/run.sh does)");
        return;
    };
    let bytes = std::fs::read(&path).expect("input file");
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();

    let start = Instant::now();
    let found = lines
        .iter()
        .filter(|l| sonic_rs::get(**l, &["eventName"]).is_ok())
        .count();
    rate("lazy-read limit (sonic-rs, one field)", found, start);

    let start = Instant::now();
    let parsed = lines
        .iter()
        .filter(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok())
        .count();
    rate("parse-only baseline (serde_json Value)", parsed, start);
}
