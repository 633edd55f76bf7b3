#!/usr/bin/env bash
# Benchmarks, with ratios measured in one run. See docs/benchmarks.md.
#   benches/run.sh            everything
#   benches/run.sh check      the front end only
#   benches/run.sh run [N]    the engine, over N generated records (default 1000000):
#                             baselines, one core and both, rules that cannot match, jq
#   benches/run.sh memory [N] peak memory of examples/ over N records (default 10000000;
#                             needs ~11 GB of disk in $TMPDIR)
#   benches/run.sh lsp [LINES] the language server over stdio: an edit to its diagnostics
#   benches/run.sh sequences [N] [CHAINS]
#                             one sequence over N records with CHAINS injected attack
#                             chains (default 1000000, 100), next to Python eql
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
records="${2:-}"
chains="${3:-100}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet

if [[ "$what" == all || "$what" == check ]]; then
    echo "== check: criterion (parse-only baseline, check, prelude alone)"
    cargo bench --bench check 2>&1 | grep -E '^(parse|check)|time:'
fi

if [[ "$what" == all || "$what" == run ]]; then
    records="${records:-1000000}"
    echo
    echo "== run: $records CloudTrail-like records (JSON lines, ~1.1 KB each), one run"
    python3 benches/gen_cloudtrail.py "$records" "$work/trail.jsonl"
    ls -l "$work/trail.jsonl" | awk '{printf "input: %.0f MB\n", $5 / 1e6}'
    cat > "$work/one.tsn" <<'TSN'
signal console_login_no_mfa on cloudtrail {
    when eventName == "ConsoleLogin" and additionalEventData.MFAUsed == "No"
    entity user = userIdentity.userName
}
TSN
    # Rules that cannot match any record (another eventName): they must cost
    # a record nothing measurable.
    for n in 10 1000; do
        cp "$work/one.tsn" "$work/miss$n.tsn"
        for i in $(seq 1 "$n"); do
            printf 'signal miss%d on cloudtrail {\n    when eventName == "NoSuchCall%d" and userIdentity.type == "Root"\n}\n' "$i" "$i" >> "$work/miss$n.tsn"
        done
    done
    one_core="taskset -c 0"
    command -v taskset > /dev/null || one_core=""
    measure() { # label command... → records/s and peak memory
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null 2> "$work/err" || { cat "$work/err"; exit 1; }
        read -r secs kb < "$work/time"
        python3 -c "print(f'{$records / $secs:>12,.0f} records/s  {$secs:7.2f} s  peak {$kb / 1024:6.0f} MB')"
    }
    echo "baselines, one thread:"
    TENSEN_BENCH_INPUT="$work/trail.jsonl" $one_core cargo bench --quiet --bench parse_only 2>/dev/null | grep records
    echo "one core ($one_core):"
    echo "  tensen run, 1 signal:               $(measure $one_core target/release/tensen run "$work/one.tsn" --input "$work/trail.jsonl")"
    echo "  tensen run, 1 signal + 10 misses:   $(measure $one_core target/release/tensen run "$work/miss10.tsn" --input "$work/trail.jsonl")"
    echo "  tensen run, 1 signal + 1000 misses: $(measure $one_core target/release/tensen run "$work/miss1000.tsn" --input "$work/trail.jsonl")"
    echo "  tensen run, examples/:              $(measure $one_core target/release/tensen run examples --input "$work/trail.jsonl")"
    echo "  the same, --whole-records:          $(measure $one_core target/release/tensen run examples --input "$work/trail.jsonl" --whole-records)"
    echo "  jq, the 1-signal filter:            $(measure $one_core jq -c 'select(.eventName == "ConsoleLogin" and .additionalEventData.MFAUsed == "No")' "$work/trail.jsonl")"
    echo "both cores:"
    echo "  tensen run, 1 signal:               $(measure target/release/tensen run "$work/one.tsn" --input "$work/trail.jsonl")"
    echo "  tensen run, examples/:              $(measure target/release/tensen run examples --input "$work/trail.jsonl")"
    echo "rules in examples/: $(grep -rhoE '^(signal|guardrail|sequence) ' examples | sort | uniq -c | tr '\n' ' ')"
fi

if [[ "$what" == memory ]]; then
    records="${records:-10000000}"
    echo
    echo "== memory: examples/ over $records records (peak RSS; the input is ~1.1 KB a record on disk)"
    python3 benches/gen_cloudtrail.py "$records" "$work/trail.jsonl"
    /usr/bin/time -f '%e s, peak %M KB' target/release/tensen run examples --input "$work/trail.jsonl" > /dev/null 2> "$work/err"
    tail -3 "$work/err"
fi

if [[ "$what" == all || "$what" == lsp ]]; then
    echo
    echo "== lsp: one-word edits to publishDiagnostics, over stdio"
    python3 benches/lsp_latency.py target/release/tensen "${records:-10000}" 40
fi

if [[ "$what" == all || "$what" == sequences ]]; then
    records="${2:-1000000}"
    echo
    echo "== sequences: $records records, $chains injected chains, benches/sequence.tsn vs Python eql"
    python3 benches/gen_cloudtrail.py "$records" "$work/seq.jsonl" "$chains"
    ls -l "$work/seq.jsonl" | awk '{printf "input: %.0f MB\n", $5 / 1e6}'
    venv=target/eql-venv
    if ! "$venv/bin/python" -c 'import eql' 2>/dev/null; then
        python3 -m venv "$venv" && "$venv/bin/pip" install --quiet eql==1.0.1
    fi
    measure() { # label command... → records/s, peak memory; output in $work/out
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || { cat "$work/err"; exit 1; }
        read -r secs kb < "$work/time"
        python3 -c "print(f'{$records / $secs:>12,.0f} records/s  {$secs:7.2f} s  peak {$kb / 1024:6.0f} MB')"
    }
    TENSEN_BENCH_INPUT="$work/seq.jsonl" cargo bench --quiet --bench parse_only 2>/dev/null | grep baseline
    echo "tensen run (1 sequence, 3 signals): $(measure target/release/tensen run benches/sequence.tsn --input "$work/seq.jsonl" --only sequences)"
    python3 -c "import json,sys; print(json.dumps(sorted(json.loads(l)['key']['user'] for l in open(sys.argv[1]))))" "$work/out" > "$work/tensen.keys"
    echo "Python eql (same sequence):         $(measure "$venv/bin/python" benches/eql_sequence.py "$work/seq.jsonl")"
    cp "$work/out" "$work/eql.keys"
    python3 - "$work/tensen.keys" "$work/eql.keys" "$chains" <<'PY'
import json, sys
tensen, eql, chains = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
injected = {f"attacker{c:04d}" for c in range(chains)}
print(f"injected chains found: tensen {len(injected & set(tensen))}/{chains}, eql {len(injected & set(eql))}/{chains}")
print(f"keys detected: tensen {len(tensen)}, eql {len(eql)}, the same: {set(tensen) == set(eql)}")
sys.exit(0 if injected <= set(tensen) and set(tensen) == set(eql) else 1)
PY
fi
