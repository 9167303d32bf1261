"""slack_sdk WebClient.tooling_tokens_rotate, for `make bench`.

bench_slack_sdk.py BASE RT CALLS WARMUP   prints {"us_per_call": …, "version": …}
"""

import json
import sys
import time

import slack_sdk
from slack_sdk import WebClient

base, rt, calls, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = WebClient(base_url=base)
rotate = client.tooling_tokens_rotate
for _ in range(warmup):
    rotate(refresh_token=rt)
t0 = time.perf_counter()
for _ in range(calls):
    r = rotate(refresh_token=rt)
    assert r["ok"]
print(json.dumps({"us_per_call": (time.perf_counter() - t0) * 1e6 / calls, "version": slack_sdk.version.__version__}))
