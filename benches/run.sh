#!/usr/bin/env bash
# Benchmarks, with ratios measured in one run. See docs/benchmarks.md.
#   benches/run.sh            everything
#   benches/run.sh check      the front end only
#   benches/run.sh run [N]    the engine only, over N generated records (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
records="${2:-100000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet

if [[ "$what" == all || "$what" == check ]]; then
    echo "== check: criterion (parse-only baseline, check, prelude alone)"
    cargo bench --bench check 2>&1 | grep -E '^(parse|check)|time:'
fi

if [[ "$what" == all || "$what" == run ]]; then
    echo
    echo "== run: $records CloudTrail-like records (JSON lines, ~1 KB each, 10,000 principals)"
    python3 benches/gen_cloudtrail.py "$records" "$work/trail.jsonl"
    ls -l "$work/trail.jsonl" | awk '{printf "input: %.0f MB\n", $5 / 1e6}'
    cat > "$work/one.tsn" <<'TSN'
signal console_login_no_mfa on cloudtrail {
    when eventName == "ConsoleLogin" and additionalEventData.MFAUsed == "No"
    entity user = userIdentity.userName
}
TSN
    rate() { # command... → records/s from wall time
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1
        end=$(date +%s.%N)
        python3 -c "print(f'{$records / ($end - $start):,.0f} records/s ({$end - $start:.2f} s)')"
    }
    TENSEN_BENCH_INPUT="$work/trail.jsonl" cargo bench --quiet --bench parse_only 2>/dev/null | grep baseline
    echo "tensen run, 1 signal:            $(rate target/release/tensen run "$work/one.tsn" --input "$work/trail.jsonl")"
    echo "tensen run, examples/ ruleset:   $(rate target/release/tensen run examples --input "$work/trail.jsonl")"
    echo "jq, the same filter as 1 signal: $(rate jq -c 'select(.eventName == "ConsoleLogin" and .additionalEventData.MFAUsed == "No")' "$work/trail.jsonl")"
    echo "rules in examples/: $(grep -rhoE '^(signal|guardrail|sequence) ' examples | sort | uniq -c | tr '\n' ' ')"
fi
