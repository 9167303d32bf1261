#!/usr/bin/env python3
"""`make bench`: xoxe against the floor (wrk) and the usual Slack SDKs, on a fake Slack.

Starts `fake-slack --bench-refresh-token T` on loopback, then runs REPS rounds; each
round measures the floor (wrk, one connection, one thread) and then every client once,
so every figure has a floor from the same round and machine noise hits all of them
alike. Reports the median over rounds and the spread (min-max), every figure also as a
ratio to the floor, and checks the benchmark targets. Prints the table and writes
BENCHMARKS.md (plus build/bench/results.json). Everything it runs was built or
installed by bench/bench.mk; paths come from the command line.

Then, with throwaway PostgreSQL and Redis servers (scripts/test-db.sh start BUILD/db,
stopped afterwards), it times a forced rotation through each store (memory, file,
PostgreSQL, Redis over TCP and a unix socket) against a fake Slack doing real rotations
(target/bench/release/store_rotation). `--only stores` runs just that section: it prints
the table and the Markdown section and writes BUILD/store-rotation.json, never
BENCHMARKS.md.

Only stdlib: it runs on the system python3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# ---------------------------------------------------------------------------- setup

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--release", required=True)
ap.add_argument("--build", required=True, help="build/bench: the binaries, venv and node_modules")
ap.add_argument("--out", help="BENCHMARKS.md to write (default ROOT/BENCHMARKS.md)")
ap.add_argument("--calls", type=int, default=3000, help="sequential calls per repetition")
ap.add_argument("--reps", type=int, default=5, help="repetitions (rounds)")
ap.add_argument("--warmup", type=int, default=200)
ap.add_argument("--floor-secs", type=int, default=2, help="wrk duration per round")
ap.add_argument("--command", default="make bench")
ap.add_argument(
    "--only",
    choices=["stores"],
    help="run one section alone: print it, write BUILD/store-rotation.json, leave BENCHMARKS.md alone",
)
ap.add_argument("--store-rotations", type=int, default=200, help="timed forced rotations per store per round")
ap.add_argument("--store-warmup", type=int, default=20, help="warm-up rotations per store")
args = ap.parse_args()

ROOT, RELEASE, BB = Path(args.root), Path(args.release), Path(args.build)
OUT = Path(args.out) if args.out else ROOT / "BENCHMARKS.md"
PY = BB / "venv" / "bin" / "python"
NODE_DIR = BB / "node"
CALLS, REPS, WARMUP = args.calls, args.reps, args.warmup
RT = "xoxe-1-bench" + secrets.token_hex(16)  # accepted forever by the fake Slack
ENV = dict(os.environ)
ENV.update(
    XOXE_LIBRARY=str(RELEASE / "libxoxe.so"),
    PYTHONPATH=str(ROOT / "bindings" / "python" / "src"),
    XOXE_BENCH_REFRESH_TOKEN=RT,
)
NCPU = os.cpu_count() or 1


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_json(cmd: list[str], timeout: float = 600, cwd: Path | None = None) -> dict:
    """Run cmd; return the last JSON line it printed on stdout."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout, cwd=cwd)
    if p.returncode != 0:
        raise RuntimeError(
            f"{Path(cmd[0]).name} {cmd[1] if len(cmd) > 1 else ''} failed ({p.returncode}): {p.stderr.strip()[-400:]}"
        )
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{cmd[0]} printed no JSON: {p.stdout[-300:]!r}")


# ---------------------------------------------------------------------------- fake Slack


class Server:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="xoxe-bench-"))
        ready = self.dir / "ready.json"
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(
            [str(RELEASE / "fake-slack"), "--bench-refresh-token", RT, "--ready-file", str(ready)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            if ready.exists() and ready.stat().st_size:
                break
            if self.proc.poll() is not None:
                raise SystemExit(
                    "fake-slack exited: "
                    + (self.dir / "server.log").read_text()[-500:]
                    + "\n(does this fake-slack accept --bench-refresh-token?)"
                )
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        self.base, self.control = info["base_url"], info["control_url"]
        self.rotate_url = self.base + "tooling.tokens.rotate"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.control + "stats", timeout=10) as r:
            return json.loads(r.read())

    def cpu_secs(self) -> float:
        f = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def counted(srv: Server, fn):
    """Run fn(); also return how many connections and rotations it made at the server.
    Each stats request is one connection of its own, counted by the second one."""
    s0 = srv.stats()
    r = fn()
    s1 = srv.stats()
    return r, s1["connections"] - s0["connections"] - 1, s1["rotations"] - s0["rotations"]


# ---------------------------------------------------------------------------- per-call clients


def wrk_run(srv: Server, threads: int, conns: int, secs: int) -> dict:
    r = run_json(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs}s", "-s", str(ROOT / "bench/wrk/rotate.lua"), srv.rotate_url]
    )
    if r["socket_errors"] or r["status_errors"]:
        raise RuntimeError(f"wrk saw errors: {r}")
    return r


def floor_once(srv: Server) -> float:
    r = wrk_run(srv, 1, 1, args.floor_secs)
    return r["duration_us"] / r["requests"]


def curl_timed(srv: Server, n: int) -> float:
    """Seconds for one curl process POSTing to n URLs (one connection, reused)."""
    cfg = srv_tmp / f"curl-{n}.cfg"
    cfg.write_text(f'url = "{srv.rotate_url}"\n' * n)
    t0 = time.perf_counter()
    subprocess.run(
        ["curl", "-sS", "--fail", "-K", str(cfg), "-d", f"refresh_token={RT}"],
        stdout=subprocess.DEVNULL,
        check=True,
        env=ENV,
    )
    return time.perf_counter() - t0


curl_startup: list[float] = []


def curl_once(srv: Server) -> float:
    """(t(N URLs) - t(1 URL)) / (N - 1), so that process start-up is not counted;
    t(1 URL) is measured once per run, outside the connection count."""
    return (curl_timed(srv, CALLS) - statistics.median(curl_startup)) * 1e6 / (CALLS - 1)


def client_cmds(srv: Server) -> dict[str, list[str]]:
    b, c, w = srv.base, str(CALLS), str(WARMUP)
    return {
        "xoxe Rust": [str(ROOT / "target/bench/release/rotate"), b, RT, c, "1", w],
        "xoxe C": [str(BB / "bench_xoxe"), "rotate", b, RT, c, w],
        "xoxe Python": [str(PY), str(ROOT / "bench/python/bench_xoxe.py"), "rotate", b, RT, c, w],
        "xoxe Go": [str(BB / "goxoxe"), "rotate", b, RT, c, w],
        "slack_sdk (Python)": [str(PY), str(ROOT / "bench/python/bench_slack_sdk.py"), b, RT, c, w],
        "@slack/web-api (Node)": ["node", str(NODE_DIR / "bench.js"), b, RT, c, w],
        "slack-go (Go)": [str(BB / "slackgo"), b, RT, c, w],
    }


def us_of(r: dict) -> float:
    v = r["us_per_call"]
    return v[0] if isinstance(v, list) else v


# ---------------------------------------------------------------------------- stores

STORES = [  # (key in store_rotation's JSON, row label, what the store does per rotation)
    ("client", "no store (`Client::tooling_tokens_rotate`)", "the call alone: the floor of this table"),
    ("memory", "memory store", "in-process lock; the pair saved in memory"),
    ("file", "file store", "`flock`; temp file reserved (fallocate), written, fsynced, renamed; directory fsynced"),
    (
        "postgres",
        "PostgreSQL (TCP)",
        "7 statements: 5 committed UPDATEs (lease acquire and renew, in-flight marker, CAS save, lease release)"
        " and 2 SELECTs (re-read, marker check)",
    ),
    (
        "redis-tcp",
        "Redis (TCP)",
        "7 commands: 5 writing scripts (lease acquire and renew, in-flight marker, CAS save, lease release)"
        " and 2 reads (re-read, marker check)",
    ),
    ("redis-unix", "Redis (unix socket)", "as Redis (TCP), over a unix socket (a server of its own)"),
]


def db_env(path: Path) -> dict[str, str]:
    """The `export KEY='VALUE'` lines of scripts/test-db.sh's env file (URLs with passwords:
    passed to the benchmark's environment, never printed)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            k, v = line[len("export ") :].split("=", 1)
            out[k] = v.strip("'")
    return out


def db_versions(db: Path) -> str:
    pg_bin = "?"
    state = db / "state"
    if state.exists():
        for line in state.read_text().splitlines():
            if line.startswith("PG_BIN="):
                pg_bin = line.split("=", 1)[1]
    pg = cmd_out([f"{pg_bin}/postgres", "--version"], r"(\d+(?:\.\d+)*)")
    rd = cmd_out(["redis-server", "--version"], r"v=(\S+)")
    return f"PostgreSQL {pg}, Redis {rd}"


def store_rotation() -> dict:
    """Starts throwaway databases under BUILD/db, runs store_rotation, stops them."""
    db = BB / "db"
    test_db = str(ROOT / "scripts/test-db.sh")
    log(f"store rotation: starting throwaway PostgreSQL and Redis under {db}")
    try:
        p = subprocess.run([test_db, "start", str(db)], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"scripts/test-db.sh start failed: {p.stderr.strip()[-400:]}")
        env = dict(ENV)
        env.update(db_env(db / "env"))
        n, w = args.store_rotations, args.store_warmup
        cmd = [str(ROOT / "target/bench/release/store_rotation"), str(n), str(REPS), str(w), str(BB)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"store_rotation failed ({p.returncode}): {p.stderr.strip()[-400:]}")
        r = json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])
        r["db_versions"] = db_versions(db)
        return r
    finally:
        subprocess.run([test_db, "stop", str(db)], capture_output=True, timeout=120)


def store_rows(r: dict) -> list[tuple]:
    st = r["stores"]
    mem = st["memory"]["median_us"]
    rows = []
    for key, label, note in STORES:
        if key not in st:
            rows.append((label, "n/a", "", "", "", "not measured: no database URL"))
            continue
        v = st[key]["median_us"]
        extra = "—" if key in ("client", "memory") else f"{med([a - b for a, b in zip(v, mem)]):+.0f}"
        rows.append((label, f"{med(v):.0f}", spread(v, "{:.0f}"), f"{med(st[key]['p90_us']):.0f}", extra, note))
    return rows


H3 = ("store", "median µs/rotation", "spread (min–max)", "p90 µs", "µs over memory", "per rotation")


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT.resolve()))
    except ValueError:
        return str(path)


def store_text(r: dict | None, err: str | None) -> str:
    if r is None:
        return f"## Rotation through each store\n\nNot measured this run: {err}\n"
    return f"""## Rotation through each store

A forced rotation (`Rotator::force_rotate`) through each store, against a fake Slack doing real
rotations (in the benchmark's process: each refresh token is spent once and the store then holds the new
one) on 127.0.0.1; the databases are `scripts/test-db.sh`'s throwaway servers on this machine
({r["db_versions"]}; PostgreSQL with `fsync` and `synchronous_commit` on, Redis with `appendfsync always`),
the file store is in `{rel(BB)}`. Each store is seeded with a fresh refresh token and warmed up with
{r["warmup"]} rotations; then, {r["rounds"]} rounds, each store in turn does {r["rotations"]} rotations, each
timed on its own (`target/bench/release/store_rotation`). The table gives the median over rounds of each
round's median and p90, the spread of the round medians, and what the store adds over the memory store
(median over rounds of the difference, same round). What a fleet store adds is mostly durable writes: five
per rotation (lease acquire and renew, in-flight marker, compare-and-swap save, lease release), each a commit
or an AOF fsync.

{md_table(H3, store_rows(r))}
"""


def md_table(header, body):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(out)


def term_table(header, body):
    widths = [max(len(str(x).replace("**", "")) for x in col) for col in zip(header, *body)]

    def fmt(row):
        return "  ".join(str(c).replace("**", "").ljust(w) for c, w in zip(row, widths))

    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in body])


def med(v):
    return statistics.median(v)


def spread(v, fmt="{:.1f}"):
    return f"{fmt.format(min(v))}–{fmt.format(max(v))}"


def cmd_out(cmd: list[str], pat: str = r"(.*)") -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=ENV)
        m = re.search(pat, (p.stdout + p.stderr).strip())
        return m.group(1).strip() if m else "?"
    except Exception:
        return "?"


if args.only == "stores":
    t0 = time.time()
    sr = store_rotation()
    print()
    print(term_table(H3, store_rows(sr)))
    print()
    print(store_text(sr, None))
    BB.mkdir(parents=True, exist_ok=True)
    (BB / "store-rotation.json").write_text(json.dumps(sr, indent=1))
    print(f"wrote {BB / 'store-rotation.json'} ({time.time() - t0:.0f} s); BENCHMARKS.md left alone")
    sys.exit(0)

# ---------------------------------------------------------------------------- main

srv_tmp = Path(tempfile.mkdtemp(prefix="xoxe-bench-cfg-"))
started = dt.datetime.now(dt.timezone.utc)
load_at_start = os.getloadavg()
srv = Server()
log(f"fake Slack at {srv.base}; {REPS} rounds of {CALLS} calls (+{WARMUP} warm-up) per client")
results: dict = {"per_call": {}, "conns": {}, "extra": {}, "versions": {}}
per_call: dict[str, list[float]] = {"floor (wrk -t1 -c1)": []}
ratios: dict[str, list[float]] = {}
conns: dict[str, int] = {}
t_begin = time.time()
try:
    curl_startup.extend(curl_timed(srv, 1) for _ in range(5))
    names = [*list(client_cmds(srv)), "curl (one process, one connection)"]
    for rnd in range(REPS):
        (floor_us, fc, _) = counted(srv, lambda: floor_once(srv))
        per_call["floor (wrk -t1 -c1)"].append(floor_us)
        conns["floor (wrk -t1 -c1)"] = fc
        line = [f"round {rnd + 1}/{REPS}: floor {floor_us:.1f} us"]
        for name in names:
            if name.startswith("curl"):
                us, nc, rot = counted(srv, lambda: curl_once(srv))
            else:
                cmd = client_cmds(srv)[name]
                r, nc, rot = counted(srv, lambda cmd=cmd: run_json(cmd))
                us = us_of(r)
                if "version" in r:
                    results["versions"][name] = r["version"]
            per_call.setdefault(name, []).append(us)
            ratios.setdefault(name, []).append(us / floor_us)
            conns[name] = nc
            line.append(f"{name.split(' ')[0]} {us:.1f}")
        log("; ".join(line))

    # Is the server the bottleneck? Its CPU time per request during a floor run, and
    # what two connections get compared with one.
    c0 = srv.cpu_secs()
    r1 = wrk_run(srv, 1, 1, 3)
    server_cpu_us = (srv.cpu_secs() - c0) * 1e6 / r1["requests"]
    r2 = wrk_run(srv, 2, 2, 3)
    results["server"] = {
        "wrk_c1_rps": r1["requests"] / (r1["duration_us"] / 1e6),
        "wrk_c2_rps": r2["requests"] / (r2["duration_us"] / 1e6),
        "wrk_c1_p50_us": r1["p50_us"],
        "server_cpu_us_per_req": server_cpu_us,
        "wall_us_per_req": r1["duration_us"] / r1["requests"],
    }
    floor_med = statistics.median(per_call["floor (wrk -t1 -c1)"])
    log(f"server check: {results['server']}")

    # Fresh-token get(): C, Python, Go; 1 and 8 threads.
    get_calls = {"C": 2_000_000, "Python": 200_000, "Go": 1_000_000}
    get_cmd = {
        "C": [str(BB / "bench_xoxe"), "get", srv.base, RT],
        "Python": [str(PY), str(ROOT / "bench/python/bench_xoxe.py"), "get", srv.base, RT],
        "Go": [str(BB / "goxoxe"), "get", srv.base, RT],
    }
    gets: dict = {}
    for lang, cmd in get_cmd.items():
        for threads in (1, 8):
            n = max(get_calls[lang] // threads, 1000)
            runs = [run_json([*cmd, str(n), str(threads)]) for _ in range(3)]
            if "skipped" in runs[0]:
                gets[(lang, threads)] = None
                continue
            gets[(lang, threads)] = {
                k: [r[k] for r in runs] for k in ("ns_per_call", "cpu_ns_per_call", "calls_per_sec")
            }
        log(
            f"get() {lang}: "
            f"{[(t, statistics.median(v['ns_per_call'])) for (lg, t), v in gets.items() if lg == lang and v]}"
        )

    # 8 threads sharing one client.
    mt_cmd = {
        "C": [str(BB / "bench_xoxe"), "mt", srv.base, RT, "500", "8"],
        "Python": [str(PY), str(ROOT / "bench/python/bench_xoxe.py"), "mt", srv.base, RT, "500", "8"],
        "Go": [str(BB / "goxoxe"), "mt", srv.base, RT, "500", "8"],
    }
    mts = {lang: [run_json(cmd)["calls_per_sec"] for _ in range(3)] for lang, cmd in mt_cmd.items()}
    log(f"8 threads, one client: {mts}")

    # Library load + client creation, each in a fresh process.
    loads = {
        "C (dlopen + client)": [
            run_json([str(BB / "bench_load"), str(RELEASE / "libxoxe.so"), srv.base]) for _ in range(15)
        ],
        "Python (import xoxe + Client)": [
            run_json([str(PY), str(ROOT / "bench/python/bench_xoxe.py"), "load", srv.base]) for _ in range(7)
        ],
        "Go (static; NewClient)": [run_json([str(BB / "goxoxe"), "load", srv.base]) for _ in range(7)],
    }
    log(
        "load: "
        + ", ".join(
            f"{k} {statistics.median(r['load_ms'] + r['create_ms'] for r in v):.2f} ms" for k, v in loads.items()
        )
    )

    # RSS over 100 000 calls from C.
    rss = run_json([str(BB / "bench_xoxe"), "rss", srv.base, RT, "100000"])
    log(f"rss: {rss}")
finally:
    srv.stop()
    shutil.rmtree(srv_tmp, ignore_errors=True)

# Peak RSS of the C example, through scripts/with-fake-slack.sh (its own fake Slack).
peak = None
tf = Path(tempfile.mktemp(prefix="xoxe-time-"))
try:
    subprocess.run(
        [
            str(ROOT / "scripts/with-fake-slack.sh"),
            "/usr/bin/time",
            "-f",
            "%M",
            "-o",
            str(tf),
            str(ROOT / "build/c/example"),
        ],
        check=True,
        env=ENV,
        capture_output=True,
        timeout=120,
    )
    peak = int(tf.read_text().strip().splitlines()[-1])
except Exception as e:  # reported, not fatal
    log(f"peak RSS of the C example: {e}")
finally:
    tf.unlink(missing_ok=True)

# Rotation through each store (throwaway databases); reported, not fatal.
store_result, store_err = None, None
try:
    store_result = store_rotation()
    log(f"store rotation: { {k: med(v['median_us']) for k, v in store_result['stores'].items()} }")
except Exception as e:
    store_err = str(e)
    log(f"store rotation: {e}")
elapsed = time.time() - t_begin

# ---------------------------------------------------------------------------- versions


slackgo = re.search(r"github.com/slack-go/slack (v\S+)", (ROOT / "bench/go-slackgo/go.mod").read_text())
versions = {
    "xoxe": cmd_out(["grep", "-m1", "^version", str(ROOT / "Cargo.toml")], r'"(.*)"'),
    "rustc": cmd_out(["rustc", "--version"], r"rustc (\S+)"),
    "go": cmd_out(["go", "version"], r"go version go(\S+)"),
    "python": cmd_out([str(PY), "--version"], r"Python (\S+)"),
    "node": cmd_out(["node", "--version"]),
    "slack_sdk": results["versions"].get("slack_sdk (Python)", "?"),
    "@slack/web-api": results["versions"].get("@slack/web-api (Node)", "?"),
    "slack-go": slackgo.group(1) if slackgo else "?",
    "wrk": cmd_out(["wrk", "-v"], r"^wrk (\S+)"),
    "curl": cmd_out(["curl", "--version"], r"^curl (\S+)"),
}
cpu = "?"
for line in Path("/proc/cpuinfo").read_text().splitlines():
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
machine = f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {NCPU} cores, {mem_gib:.0f} GiB"

# ---------------------------------------------------------------------------- table


rows = []  # (what, median, spread, unit, ratio, note)
fl = per_call["floor (wrk -t1 -c1)"]
rows.append(("**Sequential tooling.tokens.rotate, one connection**", "", "", "", "", ""))
for name, v in per_call.items():
    ratio = "1.00×" if name.startswith("floor") else f"{med(ratios[name]):.2f}×"
    c = conns.get(name)
    note = f"{c} connection{'s' if c != 1 else ''}" if c is not None else ""
    if name.startswith("floor"):
        note += " (one is wrk's start-up probe)"
    elif name.startswith("slack_sdk"):
        note += " (urllib: a new one per call)"
    rows.append((name, f"{med(v):.1f}", spread(v), "µs/call", ratio, note))

rows.append(("**Rotator get() on a fresh token (no network)**", "", "", "", "", ""))
for (lang, threads), g in gets.items():
    if g is None:
        rows.append(
            (
                f"{lang}, {threads} thread{'s' if threads > 1 else ''}",
                "n/a",
                "",
                "ns/call",
                "",
                "binding has no Rotator",
            )
        )
        continue
    key = "ns_per_call" if threads == 1 else "cpu_ns_per_call"
    v = g[key]
    note = (
        "wall time per call"
        if threads == 1
        else f"CPU time per call; {med(g['calls_per_sec']) / 1e6:.2f} M calls/s in all"
    )
    rows.append(
        (
            f"{lang}, {threads} thread{'s' if threads > 1 else ''}",
            f"{med(v):.0f}",
            spread(v, "{:.0f}"),
            "ns/call",
            f"{med(v) / 1000 / floor_med:.4f}×",
            note,
        )
    )

rows.append(("**8 threads sharing one client (rotate)**", "", "", "", "", ""))
for lang, v in mts.items():
    rows.append(
        (
            lang,
            f"{med(v):.0f}",
            spread(v, "{:.0f}"),
            "calls/s",
            f"{med(v) * floor_med / 1e6:.2f}×",
            "ratio: throughput ÷ floor's (1 connection)",
        )
    )

rows.append(("**Library load + client creation (fresh process)**", "", "", "", "", ""))
for name, v in loads.items():
    tot = [r["load_ms"] + r["create_ms"] for r in v]
    rows.append(
        (
            name,
            f"{med(tot):.2f}",
            spread(tot, "{:.2f}"),
            "ms",
            f"{med(tot) * 1000 / floor_med:.0f}×",
            f"load {med([r['load_ms'] for r in v]):.2f} ms + create {med([r['create_ms'] for r in v]):.3f} ms",
        )
    )

rows.append(("**Memory (C)**", "", "", "", "", ""))
rows.append(
    ("peak RSS of examples/c (with-fake-slack.sh)", f"{peak}" if peak else "n/a", "", "KiB", "—", "/usr/bin/time -f %M")
)
growth = rss["rss_kib_end"] - rss["rss_kib_10k"]
rows.append(
    (
        "RSS growth, 10 000 → 100 000 rotations",
        f"{growth:+d}",
        "",
        "KiB",
        "—",
        f"{rss['rss_kib_10k']} → {rss['rss_kib_end']} KiB",
    )
)


def pf(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "**MISS**")


def getv(lang):
    g = gets.get((lang, 1))
    return med(g["ns_per_call"]) if g else None


r = {k: med(v) for k, v in ratios.items()}
sdk_speedup = med([a / b for a, b in zip(per_call["slack_sdk (Python)"], per_call["xoxe Python"])])
gox_vs = med([a / b for a, b in zip(per_call["slack-go (Go)"], per_call["xoxe Go"])])
targets = [
    ("xoxe C per call ≤ 1.15× floor", f"{r['xoxe C']:.2f}×", pf(r["xoxe C"] <= 1.15)),
    ("xoxe Go per call ≤ 1.25× floor", f"{r['xoxe Go']:.2f}×", pf(r["xoxe Go"] <= 1.25)),
    ("xoxe Python per call ≤ 1.3× floor", f"{r['xoxe Python']:.2f}×", pf(r["xoxe Python"] <= 1.3)),
    ("xoxe Python ≥ 3× faster than slack_sdk", f"{sdk_speedup:.2f}× faster", pf(sdk_speedup >= 3)),
    ("xoxe Go faster than slack-go", f"{gox_vs:.2f}× faster", pf(gox_vs > 1)),
]
for lang, limit in (("C", 100), ("Go", 300), ("Python", 2000)):
    v = getv(lang)
    targets.append(
        (
            f"get() fresh from {lang} ≤ {limit} ns (1 thread)",
            "n/a" if v is None else f"{v:.0f} ns",
            pf(None if v is None else v <= limit),
        )
    )
targets.append(("no RSS growth over 100 000 calls (≤ 64 KiB from 10k to 100k)", f"{growth:+d} KiB", pf(growth <= 64)))


H1 = ("what", "median", "spread (min–max)", "unit", "× floor", "notes")
H2 = ("target", "measured", "result")
print()
print(term_table(H1, rows))
print()
print(term_table(H2, targets))
print()
if store_result:
    print(term_table(H3, store_rows(store_result)))
    print()

s = results["server"]
server_text = (
    f"With one connection wrk did {s['wrk_c1_rps']:.0f} requests/s ({s['wall_us_per_req']:.1f} µs each, p50 "
    f"{s['wrk_c1_p50_us']} µs); the server spent {s['server_cpu_us_per_req']:.1f} µs of CPU per request, "
    f"{100 * s['server_cpu_us_per_req'] / s['wall_us_per_req']:.0f}% of the round trip. With two connections "
    f"(two wrk threads) it did {s['wrk_c2_rps']:.0f} requests/s ({s['wrk_c2_rps'] / s['wrk_c1_rps']:.2f}× one "
    f"connection) on the same {NCPU} cores. "
    + (
        "The server is not the bottleneck of the sequential figures: it idles most of each round trip, and "
        "more connections get more throughput."
        if s["server_cpu_us_per_req"] < 0.6 * s["wall_us_per_req"] and s["wrk_c2_rps"] > 1.1 * s["wrk_c1_rps"]
        else "**The server may be limiting these figures: read them with care.**"
    )
)

findings = ROOT / "bench" / "FINDINGS.md"
md = f"""# Benchmarks

Generated by `{args.command}` (bench/run.py) on {started.strftime("%Y-%m-%d %H:%M UTC")}; do not edit by hand
(the findings at the end come from `bench/FINDINGS.md`).

- Machine: {machine}; load average at start {load_at_start[0]:.2f}, {load_at_start[1]:.2f}, {load_at_start[2]:.2f}
  (the fake server and the clients share the cores; nothing is pinned).
- Versions: {", ".join(f"{k} {v}" for k, v in versions.items())}.
- Method: the fake Slack (`fake-slack --bench-refresh-token T`, which answers `tooling.tokens.rotate` for `T`
  forever without storing the pairs) on 127.0.0.1. {REPS} rounds; each round measures the floor (wrk, one
  thread, one kept-alive connection, {args.floor_secs} s, POSTing the same form body from `bench/wrk/rotate.lua`)
  and then each client once: {CALLS} sequential calls after {WARMUP} warm-up calls, over one client object.
  A client's ratio is taken against the floor of its own round; the table shows the median over rounds of
  the figure, its spread (min–max) and the median ratio. "connections" is what the fake server's
  `connections` counter (`GET /_control/stats`) counted during that client's run: 1 means one kept-alive
  connection for all calls. curl is one process with {CALLS} URLs (`-K` config); its figure is
  (t({CALLS} URLs) − t(1 URL)) / {CALLS - 1}, so process start-up is not counted.
- `get()`: a memory store seeded with `T`, one rotation, then `get()` in a loop (fresh token, no I/O).
  1 thread: wall time per call. 8 threads on {NCPU} cores: process CPU time per call (the cost of a call
  under contention; wall time per call would just divide by the core count).
- Whole run: {elapsed:.0f} s.

{md_table(H1, rows)}

## Targets

{md_table(H2, targets)}

## Is the server the bottleneck?

{server_text}

{store_text(store_result, store_err)}"""
if findings.exists():
    md += "\n" + findings.read_text()
OUT.write_text(md)
results.update(
    per_call=per_call,
    ratios=ratios,
    conns=conns,
    gets={f"{k[0]}/{k[1]}": v for k, v in gets.items()},
    mt=mts,
    loads=loads,
    rss=rss,
    peak_rss_kib=peak,
    store_rotation=store_result or {"error": store_err},
    versions=versions,
    machine=machine,
    targets=targets,
    started=started.isoformat(),
)
(BB / "results.json").write_text(json.dumps(results, indent=1))
print(f"wrote {OUT} and {BB / 'results.json'} ({elapsed:.0f} s)")
missed = [t for t in targets if "MISS" in t[2]]
if missed:
    print(f"{len(missed)} target(s) missed: see BENCHMARKS.md")
