//! The parse-only baseline for `tensen run`: read a JSON lines file and parse
//! every line into a `serde_json::Value`, on all cores, as `tensen run` does,
//! and nothing else. `TENSEN_BENCH_INPUT=FILE cargo bench --bench parse_only`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use rayon::prelude::*;

fn main() {
    let Ok(path) = std::env::var("TENSEN_BENCH_INPUT") else {
        eprintln!("set TENSEN_BENCH_INPUT to a JSON lines file (benches/run.sh does)");
        return;
    };
    let start = std::time::Instant::now();
    let bytes = std::fs::read(&path).expect("input file");
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let parsed: usize = lines
        .par_iter()
        .map(|l| usize::from(serde_json::from_slice::<serde_json::Value>(l).is_ok()))
        .sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse-only baseline: {parsed} records in {secs:.2} s = {:.0} records/s",
        parsed as f64 / secs
    );
}
