#!/usr/bin/env python3
"""Runs the sequence of benches/sequence.tsn through Elastic's EQL engine
(`eql` 1.0.1) over CloudTrail JSON lines: `eql_sequence.py FILE`. Prints the
sorted user names detected as a JSON list, then the time taken on stderr.
Timestamps are fed in milliseconds with `time_unit=1`, so `maxspan=1800000s`
is exactly 30 minutes (EQL floors a maxspan in `ms` to whole seconds)."""
import json
import sys
import time
from datetime import datetime

import eql
import eql.utils

QUERY = """
sequence by userIdentity.userName with maxspan=1800000s
  [any where eventName == "ConsoleLogin" and additionalEventData.MFAUsed == "No"]
  [any where eventName == "CreateAccessKey"]
  [any where eventName == "StopLogging"]
"""


def events(path):
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            t = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            ms = int(t.timestamp() * 1000)
            yield eql.Event("generic", ms, rec)


def main():
    eql.utils.CASE_INSENSITIVE = False
    start = time.time()
    hits = set()
    engine = eql.PythonEngine({"time_unit": 1})
    engine.add_output_hook(lambda out: hits.add(out.events[0].data["userIdentity"]["userName"]))
    engine.add_query(eql.parse_query(QUERY))
    engine.stream_events(events(sys.argv[1]))
    print(json.dumps(sorted(hits)))
    print(f"{time.time() - start:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
