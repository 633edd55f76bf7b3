#!/usr/bin/env bash
# Benchmarks, with ratios measured in one run. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== criterion: parse-only baseline, check, prelude alone"
cargo bench --bench check 2>&1 | grep -E '^(parse|check)|time:'

echo
echo "== end to end: tensen check on a generated 10,000-line ruleset"
cargo build --release --quiet
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/big.tsn" <<'PY'
import sys
out, i = [], 0
while sum(s.count("\n") for s in out) < 10_000:
    out.append(f'''signal discovery_{i} on cloudtrail {{
    severity low
    tactic discovery
    when eventName matches ["List*", "Describe*"] and errorCode == null
    entity principal = userIdentity.arn
}}

sequence chain_{i} {{
    severity critical
    by principal
    within 24h
    steps {{
        first: discovery_{i}
        recon: discovery_{i} count >= 20 within 10m
    }}
    summary "{{principal}} made {{recon.count}} calls"
}}

''')
    i += 1
open(sys.argv[1], "w").write("".join(out))
PY
wc -l "$dir/big.tsn"
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 "target/release/tensen check $dir/big.tsn"
else
    time (for _ in 1 2 3 4 5 6 7 8 9 10; do target/release/tensen check "$dir/big.tsn" 2>/dev/null; done)
    echo "(ten runs; install hyperfine for statistics)"
fi
