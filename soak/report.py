"""Reads the soak's CSVs and result files, prints and writes the summary, fails on a problem.

Usage: python3 report.py OUT_DIR SUMMARY_FILE c=RC python=RC go=RC
Fails when a driver crashed (non-zero exit, a signal) or left no result, reported an
unexpected status (panic, an unknown number, a non-xoxe error), or its RSS grew by
more than 10 % + SOAK_RSS_SLACK_MB (default 4) between warm-up and the end. Warm-up is
the first sample at or after SOAK_SECONDS / 2 (see warm_at below for why).
"""

import json
import os
import sys
import time

out, summary_path = sys.argv[1], sys.argv[2]
rcs = dict(a.split("=", 1) for a in sys.argv[3:])
seconds = float(os.environ.get("SOAK_SECONDS", "600"))
# Warm-up is the first half of the run: a process that makes blocking C calls
# from many OS threads (Go moves cgo calls between threads) fills glibc's
# per-thread malloc arenas for minutes before its RSS levels off; flat means flat
# over the second half. (The 10-minute Go run rose until ~260 s, then held at
# 73-75 MB with its Go heap at ~2.5 MB; MALLOC_ARENA_MAX=2 kept it at 32-41 MB.)
warm_at = seconds / 2
slack_kb = float(os.environ.get("SOAK_RSS_SLACK_MB", "4")) * 1024
lines = []
failed = []


def say(s=""):
    print(s)
    lines.append(s)


try:
    stats = json.load(open(os.path.join(out, "stats.json")))
except (OSError, ValueError):
    stats = {}
say(
    f"xoxe soak, {time.strftime('%Y-%m-%d %H:%M:%S')}: {seconds:.0f} s, "
    "C + Python + Go against one fake Slack (HTTP + HTTPS) with random faults"
)
if stats:
    reqs = sum(stats.get("requests", {}).values())
    say(
        f"fake Slack: {reqs} API requests, {stats.get('rotations')} rotations, {stats.get('exchanges')} exchanges, "
        f"{stats.get('refreshes')} refreshes, {stats.get('faults_fired')} faults fired, "
        f"{stats.get('refresh_token_reuses')} refresh-token reuses, {stats.get('connections')} connections"
    )
for lang in ("c", "python", "go"):
    say()
    rc = rcs.get(lang, "?")
    try:
        res = json.load(open(os.path.join(out, f"soak-{lang}.json")))
    except (OSError, ValueError):
        res = None
    samples = []
    try:
        with open(os.path.join(out, f"soak-{lang}.csv")) as f:
            next(f)
            for row in f:
                t, rss, c = row.strip().split(",")[:3]
                samples.append((float(t), int(rss), int(c)))
    except (OSError, ValueError, StopIteration):
        pass
    if rc != "0":
        failed.append(f"{lang}: exit status {rc}" + (" (killed by a signal)" if rc.isdigit() and int(rc) > 128 else ""))
    if res is None:
        failed.append(f"{lang}: no result file")
        say(f"[{lang}] exit {rc}, no result")
        continue
    errs = res.get("errors", {})
    say(
        f"[{lang}] exit {rc}: {res['calls']} calls, {res['ok']} ok, {sum(errs.values())} errors, "
        f"{res.get('log_lines', 0)} log lines through the host logger"
    )
    for name, n in sorted(errs.items(), key=lambda kv: -kv[1]):
        say(f"    {name:32s} {n}")
    if res.get("unexpected"):
        failed.append(f"{lang}: unexpected statuses {res['unexpected']}")
    if len(samples) < 2:
        failed.append(f"{lang}: fewer than two RSS samples")
        continue
    warm = next((s for s in samples if s[0] >= warm_at), samples[-1])
    end = samples[-1]
    peak = max(s[1] for s in samples)
    limit = warm[1] * 1.10 + slack_kb
    say(
        f"    RSS: start {samples[0][1] / 1024:.1f} MB, warm-up ({warm[0]:.0f} s) {warm[1] / 1024:.1f} MB, "
        f"end ({end[0]:.0f} s) {end[1] / 1024:.1f} MB, peak {peak / 1024:.1f} MB, limit {limit / 1024:.1f} MB "
        f"({(end[1] - warm[1]) / warm[1] * 100:+.1f} %)"
    )
    say("    RSS MB every sample: " + " ".join(f"{s[1] / 1024:.1f}" for s in samples))
    if end[1] > limit:
        failed.append(f"{lang}: RSS grew from {warm[1] / 1024:.1f} MB to {end[1] / 1024:.1f} MB after warm-up")
say()
if failed:
    say("SOAK FAILED:")
    for f in failed:
        say("  " + f)
else:
    say("soak passed: no crash, only documented statuses, RSS flat after warm-up")
os.makedirs(os.path.dirname(os.path.abspath(summary_path)), exist_ok=True)
with open(summary_path, "w") as f:
    f.write("\n".join(lines) + "\n")
sys.exit(1 if failed else 0)
