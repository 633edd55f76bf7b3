#!/usr/bin/env python3
"""Writes N CloudTrail-like records (about 1 KB each, many principals) as
JSON lines, deterministically: `gen_cloudtrail.py N OUT [CHAINS]`.

Time moves one second per record (in input order, as CloudTrail delivers
nearly in order). With CHAINS, CHAINS attack chains are injected at random places: user `attacker<i>` logs in
without MFA, creates an access key 5 minutes later and stops CloudTrail 5
minutes after that (the sequence `benches/sequence.tsn` looks for)."""
from datetime import datetime, timedelta, timezone
import json
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
chains = int(sys.argv[3]) if len(sys.argv) > 3 else 0
rng = random.Random(42)
BASE = datetime(2024, 5, 1, tzinfo=timezone.utc)
# Record index -> (attacker, step) for the injected chains.
injected = {}
for c in range(chains):
    at = rng.randrange(n - 700) if n > 700 else 0
    for step in range(3):
        while at + 300 * step in injected:
            at += 1
        injected[at + 300 * step] = (f"attacker{c:04d}", step)
events = [
    ("s3.amazonaws.com", "GetObject", 30), ("s3.amazonaws.com", "PutObject", 8),
    ("ec2.amazonaws.com", "DescribeInstances", 12), ("iam.amazonaws.com", "ListUsers", 6),
    ("iam.amazonaws.com", "ListRoles", 5), ("sts.amazonaws.com", "AssumeRole", 10),
    ("kms.amazonaws.com", "Decrypt", 10), ("signin.amazonaws.com", "ConsoleLogin", 3),
    ("iam.amazonaws.com", "CreateAccessKey", 1), ("cloudtrail.amazonaws.com", "StopLogging", 1),
    ("guardduty.amazonaws.com", "ListDetectors", 4), ("lambda.amazonaws.com", "ListFunctions20150331", 5),
    ("secretsmanager.amazonaws.com", "GetSecretValue", 5),
]
weights = [w for _, _, w in events]
with open(out, "w") as f:
    for i in range(n):
        source, name, _ = rng.choices(events, weights)[0]
        user = f"user{rng.randrange(10_000):05d}"
        if i in injected:
            user, step = injected[i]
            source, name = [("signin.amazonaws.com", "ConsoleLogin"), ("iam.amazonaws.com", "CreateAccessKey"),
                            ("cloudtrail.amazonaws.com", "StopLogging")][step]
        account = f"{rng.randrange(1, 50):012d}"
        rec = {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": f"AIDA{rng.randrange(10**12):012d}",
                "arn": f"arn:aws:iam::{account}:user/{user}",
                "accountId": account,
                "accessKeyId": f"AKIA{rng.randrange(10**12):012d}",
                "userName": user,
                "sessionContext": {"attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": rng.choice(["true", "false"])}},
            },
            "eventTime": (BASE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": rng.choice(["us-east-1", "eu-west-1", "ap-northeast-1"]),
            "sourceIPAddress": f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 prompt/off command/s3.cp",
            "requestParameters": {"bucketName": f"bucket-{rng.randrange(100)}", "key": f"data/{rng.randrange(10**6)}.csv", "Host": "s3.amazonaws.com"},
            "responseElements": None,
            "additionalEventData": {"MFAUsed": "No" if i in injected else rng.choice(["Yes", "No"])} if name == "ConsoleLogin" else {"bytesTransferredIn": 0, "bytesTransferredOut": rng.randrange(10**6)},
            "requestID": f"{rng.getrandbits(64):016X}",
            "eventID": f"{rng.getrandbits(128):032x}",
            "readOnly": name.startswith(("Get", "List", "Describe")),
            "eventType": "AwsApiCall",
            "managementEvent": source != "s3.amazonaws.com",
            "recipientAccountId": account,
            "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
            "tlsDetails": {"tlsVersion": rng.choice(["TLSv1.2", "TLSv1.3", "TLSv1.3", "TLSv1"]), "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": f"{source}"},
        }
        if rng.random() < 0.05 and i not in injected:
            rec["errorCode"] = "AccessDenied"
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
