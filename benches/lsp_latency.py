#!/usr/bin/env python3
"""Language server latency as an editor feels it, over stdio.

Starts `tensen lsp`, opens a generated ruleset of about LINES lines with about
one warning per 50 lines, then makes EDITS one-word edits (incremental
`didChange`, as VS Code sends them) and times each from the moment the edit
is written to the moment the `publishDiagnostics` for its version is read:
debounce, analysis, serializing the diagnostics and both pipes included.

    benches/lsp_latency.py [TENSEN] [LINES] [EDITS]

Prints the median, the 90th percentile and the warning count. See
docs/benchmarks.md.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def ruleset(lines):
    """The shape of benches/check.rs's ruleset, with a misspelt field in
    every block: a warning per block of about 50 lines."""
    out = []
    i = 0
    count = 0
    while count < lines:
        block = f"""/// Discovery call number {i}.
signal discovery_{i} on cloudtrail {{
    title "Discovery {i}"
    severity low
    tactic discovery
    technique "T1087.004"
    report false
    when eventName matches ["List*", "Describe*"]
        and errorCode == null
        and userIdentity.type != "AWSService"
        and sourceIPAddress not in [10.0.0.0/8, 192.168.0.0/16]
    entity principal = userIdentity.arn
    entity ip = sourceIPAddress
}}

signal login_{i} on cloudtrail {{
    severity medium
    tactic initial_access
    when eventNmae == "ConsoleLogin" and additionalEventData.MFAUsed == "No"
    entity principal = userIdentity.arn
    summary "{{userIdentity.arn}} logged in from {{sourceIPAddress}}"
}}

sequence chain_{i} {{
    severity from max(login.severity, recon.severity) + 2
    by principal
    within 24h
    steps {{
        login: login_{i}
        recon: discovery_{i} count >= 20 within 10m
    }}
    summary "{{principal}} logged in and made {{recon.count}} calls from {{recon.ip}}"
}}

guardrail no_trail_stop_{i} on cloudtrail {{
    scope principal
    deny when action in ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]
    except userIdentity.arn ends_with ":role/BreakGlass"
    message "{{userIdentity.arn}} may not call {{eventName}}"
}}

"""
        out.append(block)
        count += block.count("\n")
        i += 1
    return "".join(out)


class Server:
    def __init__(self, binary, root):
        self.proc = subprocess.Popen(
            [binary, "lsp"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        want = self.next_id
        while True:
            m = self.read()
            if m.get("id") == want and "method" not in m:
                return m

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the server ended")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def diagnostics(self, uri, version):
        """Reads until the diagnostics of `uri` at `version` (answering the
        server's own requests on the way)."""
        while True:
            m = self.read()
            if "id" in m and "method" in m:
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})
                continue
            if m.get("method") != "textDocument/publishDiagnostics":
                continue
            p = m["params"]
            if p["uri"] == uri and p.get("version") == version:
                return p["diagnostics"]

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/tensen"
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    edits = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    binary = os.path.abspath(binary)
    text = ruleset(lines)
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "bench.tsn")
        with open(path, "w") as f:
            f.write(text)
        uri = "file://" + path
        server = Server(binary, root)
        server.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": "file://" + root, "capabilities": {}},
        )
        server.notify("initialized", {})
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "tensen", "version": 1, "text": text}},
        )
        warnings = len(server.diagnostics(uri, 1))
        # One word, changed back and forth: `Discovery 0` in the first title.
        line = text.split("\n").index('    title "Discovery 0"')
        start = len('    title "')
        words = ["Discovery", "Discovers"]
        times = []
        for n in range(edits):
            version = n + 2
            change = {
                "range": {
                    "start": {"line": line, "character": start},
                    "end": {"line": line, "character": start + len(words[0])},
                },
                "text": words[(n + 1) % 2],
            }
            began = time.perf_counter()
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            got = server.diagnostics(uri, version)
            times.append((time.perf_counter() - began) * 1000)
            assert len(got) == warnings, (len(got), warnings)
        server.close()
    times.sort()
    p90 = times[int(len(times) * 0.9) - 1]
    print(
        f"lsp over stdio, {text.count(chr(10))} lines, {warnings} warnings: "
        f"edit to publishDiagnostics median {statistics.median(times):.1f} ms, "
        f"p90 {p90:.1f} ms ({edits} edits)"
    )


if __name__ == "__main__":
    main()
