#!/usr/bin/env python3
"""Reference oracle: run an attack-sequence query through Elastic's EQL PythonEngine.

Usage:  python3 detect.py < cases.jsonl      (needs only `pip install eql==1.0.1`)

stdin, one JSON object per line, one or more cases, each:
  a query spec  {"steps": [["a"], ["b", "c"]], "until": ["u"] or [], "maxspan_ms": N}
                (maxspan_ms may be null or absent: no time limit)
  its events    {"sig": "a", "k": "alice", "t": <epoch ms int>}, sorted by t,
                ties broken by input order.
stdout: for each case, one line: the JSON list of the sorted distinct keys k for which
at least one sequence matched. `tests/eql.rs` compares these with tensen's matcher.

The query built is
  sequence by k with maxspan=<N>s [any where sig in ("a")] [any where sig in ("b", "c")]
    until [any where sig in ("u")]

Units: eql parses "ms", but PythonEngine.convert_time_range floors every maxspan to whole
seconds first (1500ms -> 1s) and then multiplies by the engine's `time_unit` (timestamp ticks
per second, default 10**7 = Windows FILETIME). So we feed t (ms) as the event timestamp, set
time_unit=1 and write maxspan as "<N>s": N "seconds" * 1 tick = exactly N ticks = N ms.

eql folds string case by default (sig "A" would match "a", keys "Alice"/"alice" would join);
we switch that off so sig and k are compared exactly.

Semantics of eql 1.0.1 (engine.py, _convert_sequence / _convert_sequence_term):
  * maxspan is inclusive: a partial sequence is dropped when first.t < now - N, so
    last.t - first.t == N still matches.
  * until drops every partial sequence of that key; it runs before the steps, so an event
    matching both until and a step closes first, then may start a fresh sequence at step 1.
  * steps are evaluated last-to-first, so one event never fills two steps of the same
    sequence, but it can advance one partial sequence and start another one.
  * one partial per (step, key): a newer step-1 event replaces the older one (latest start).
  * a completed sequence is consumed; further matches need new events.
  * eql refuses a 1-step sequence, so one step is run as the plain query `any where sig in (...)`.
"""
import json
import sys

import eql
import eql.utils


def eql_str(s):
    return json.dumps(s)  # EQL double-quoted strings use the same escapes as JSON


def build_query(spec):
    def term(sigs):
        return "[any where sig in (%s)]" % ", ".join(eql_str(s) for s in sigs)

    if len(spec["steps"]) == 1:  # eql rejects 1-step sequences; this is the same thing
        return term(spec["steps"][0])[1:-1]
    q = "sequence by k"
    if spec.get("maxspan_ms") is not None:
        q += " with maxspan=%ds" % int(spec["maxspan_ms"])  # "s" == 1 ms tick, see above
    q += " " + " ".join(term(step) for step in spec["steps"])
    if spec.get("until"):
        q += " until " + term(spec["until"])
    return q


def detect(spec, events):
    query = eql.parse_query(build_query(spec))
    hits = set()
    engine = eql.PythonEngine({"time_unit": 1})
    engine.add_output_hook(lambda out: hits.add(out.events[0].data["k"]))
    engine.add_query(query)
    engine.stream_events(eql.Event("generic", e["t"], dict(e, timestamp=e["t"])) for e in events)
    return sorted(hits)


def main():
    eql.utils.CASE_INSENSITIVE = False
    cases = []
    for line in sys.stdin.read().splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if "steps" in obj:
            cases.append((obj, []))
        else:
            cases[-1][1].append(obj)
    for spec, events in cases:
        print(json.dumps(detect(spec, events)))


if __name__ == "__main__":
    main()
