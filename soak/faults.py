"""Keeps injecting random faults into the soak's fake Slack until killed.

Usage: python3 faults.py CONTROL_URL [INTERVAL_SECONDS]
Every fault has method "*" (whatever request comes next) and a random kind from the
fake Slack's list, including drop_after_apply, huge_body (2 MB) and slow_headers.
Prints a count of faults added when it stops (SIGTERM).
"""

import json
import random
import signal
import sys
import time
import urllib.request

control = sys.argv[1]
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
rng = random.Random(7)
added = 0


def kinds():
    apply = rng.random() < 0.5
    return rng.choice(
        [
            {
                "kind": "slack_error",
                "error": rng.choice(
                    ["internal_error", "fatal_error", "service_unavailable", "invalid_auth", "team_added_to_org"]
                ),
                "apply": apply,
            },
            {"kind": "ratelimited", "retry_after": rng.choice([0, 1])},
            {"kind": "ratelimited"},
            {"kind": "http_status", "status": rng.choice([500, 502, 503, 504, 400, 404]), "apply": apply},
            {"kind": "empty_body", "apply": apply},
            {"kind": "malformed_json", "apply": apply},
            {"kind": "truncated_json", "apply": apply},
            {"kind": "truncated_body", "apply": apply},
            {"kind": "wrong_shape", "apply": apply},
            {"kind": "huge_body", "bytes": 2 << 20},
            {"kind": "slow_headers", "delay_ms": rng.choice([50, 300, 1500, 6000]), "apply": apply},
            {"kind": "slow_body", "delay_ms": rng.choice([50, 300, 1500, 6000])},
            {"kind": "drop_before_apply"},
            {"kind": "drop_after_apply"},
            {"kind": "delay", "delay_ms": rng.choice([10, 200, 1000])},
        ]
    )


def stop(*_):
    print(f"fault injector: {added} faults added")
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
while True:
    fault = {"method": "*", "count": rng.choice([1, 1, 2, 3]), **kinds()}
    req = urllib.request.Request(control + "faults", data=json.dumps(fault).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
        added += 1
    except Exception as exc:
        print(f"fault injector: {type(exc).__name__}", file=sys.stderr)
    time.sleep(interval)
