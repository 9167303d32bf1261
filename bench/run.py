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
the table and the Markdown section and writes BUILD/store-rotation.json; BENCHMARKS.md
only with `--write`, which replaces that one section in it (and the findings at its end,
from bench/FINDINGS.md) and leaves the rest as the last full run wrote it.

"Pool: many chains" (`--only pool` runs it alone, written to BUILD/pool.json, merged
into BENCHMARKS.md with `--write` as above): `get(chain)` from C, Python and Go with
100 000 chains loaded in a pool (against slack_sdk's TokenRotator check, in the same
Python process), the memory each idle chain takes, and how many rotations per second
the pool's background refresher makes against the fake Slack.

Only stdlib: it runs on the system python3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
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
import urllib.parse
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
ap.add_argument("--command", help="what the report says generated it (default: make bench, make bench-SECTION)")
ap.add_argument(
    "--only",
    choices=["stores", "pool"],
    help="run one section alone: print it and write its JSON in BUILD; BENCHMARKS.md only with --write",
)
ap.add_argument(
    "--write",
    action="store_true",
    help="with --only: replace that section (and the findings) in BENCHMARKS.md, keeping the rest",
)
ap.add_argument("--store-rotations", type=int, default=200, help="timed forced rotations per store per round")
ap.add_argument("--store-warmup", type=int, default=20, help="warm-up rotations per store")
ap.add_argument("--pool-chains", type=int, default=100_000, help="chains loaded in the pool for get(chain)")
ap.add_argument(
    "--pool-calls", type=int, default=1_000_000, help="get(chain) calls per round from C (Go and Python: a fifth)"
)
ap.add_argument("--refresh-chains", type=int, default=1000, help="chains the background refresher rotates (memory)")
ap.add_argument("--refresh-dir-chains", type=int, default=300, help="the same, in a directory store")
args = ap.parse_args()
if args.write and not args.only:
    ap.error("--write goes with --only (a full run always writes BENCHMARKS.md)")
if args.command is None:
    args.command = f"make bench-{'stores' if args.only == 'stores' else 'pool'}" if args.only else "make bench"

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


def run_json(cmd: list[str], timeout: float = 600, cwd: Path | None = None, stdin: str | None = None) -> dict:
    """Run cmd (with stdin as its input, if given); return the last JSON line it printed on stdout."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout, cwd=cwd, input=stdin)
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


# ---------------------------------------------------------------------------- pool


def machine_desc() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {NCPU} cores, {mem_gib:.0f} GiB"


def config_tokens(srv: Server, n: int) -> str:
    """n fresh config-token pairs from the fake Slack (`POST /_control/config_tokens`, one
    kept-alive connection), as "ACCESS REFRESH" lines: real refresh tokens, each good for
    one rotation."""
    u = urllib.parse.urlsplit(srv.control)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    lines = []
    try:
        for _ in range(n):
            conn.request("POST", u.path + "config_tokens", body=b"{}", headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError(f"POST {u.path}config_tokens: HTTP {r.status}")
            pair = json.loads(body)
            lines.append(f"{pair['token']} {pair['refresh_token']}")
    finally:
        conn.close()
    return "\n".join(lines) + "\n"


def pool_section(srv: Server) -> dict:
    """get(chain) with --pool-chains chains from C, Python and Go (one process each, REPS
    rounds inside), the memory they take, and the background refresher's rate."""
    started = dt.datetime.now(dt.timezone.utc)
    out: dict = {"started": started.isoformat(), "load_at_start": os.getloadavg(), "machine": machine_desc()}
    n, calls, reps = args.pool_chains, args.pool_calls, REPS
    gets = {
        "C": [str(BB / "bench_xoxe"), "pool-get", srv.base, str(n), str(calls), str(reps)],
        "Go": [str(BB / "goxoxe"), "pool", srv.base, str(n), str(max(calls // 5, 1000)), str(reps)],
        "Python": [
            str(PY),
            str(ROOT / "bench/python/bench_xoxe.py"),
            "pool",
            srv.base,
            str(n),
            str(max(calls // 5, 1000)),
            str(reps),
        ],
    }
    out["get"] = {}
    for lang, cmd in gets.items():
        r = run_json(cmd, timeout=1200)
        out["get"][lang] = r
        log(f"pool get() {lang}, {n} chains: {med(r['ns_per_call']):.0f} ns/call")
    # The refresher (pool-refresh), and the same rotations by get() on the calling thread
    # (pool-rotate), in turn; fresh real tokens for every run (each is spent once).
    refresh: dict[str, list[dict]] = {"memory": [], "dir": []}
    rotate: dict[str, list[dict]] = {"memory": [], "dir": []}
    for kind, chains in (("memory", args.refresh_chains), ("dir", args.refresh_dir_chains)):
        for _ in range(min(reps, 3)):
            for mode, into in (("pool-refresh", refresh), ("pool-rotate", rotate)):
                cmd = [str(BB / "bench_xoxe"), mode, srv.base, str(chains), kind]
                tmp = None
                if kind == "dir":
                    tmp = Path(tempfile.mkdtemp(prefix="pool-dir-", dir=BB))  # 0700, as the store requires
                    cmd.append(str(tmp))
                try:
                    r = run_json(cmd, timeout=600, stdin=config_tokens(srv, chains))
                finally:
                    if tmp:
                        shutil.rmtree(tmp, ignore_errors=True)
                if r["failures"] or r["rotated"] != chains:
                    raise RuntimeError(f"{mode} left chains unrotated: {r}")
                into[kind].append(r)
        log(
            f"pool refresher, {kind} store: {[round(r['per_sec']) for r in refresh[kind]]} rotations/s; "
            f"get() rotating: {[round(r['per_sec']) for r in rotate[kind]]}"
        )
    out["refresh"], out["rotate"] = refresh, rotate
    out["slack_sdk"] = out["get"]["Python"].get("slack_sdk_version", "?")
    return out


def thousands(n: int) -> str:
    """100000 as "100 000", as the rest of the report writes it."""
    return f"{n:,}".replace(",", " ")


def per_chain(r: dict, before: str, after: str, scale: int) -> float:
    return (r[after] - r[before]) * scale / r["chains"]


def pool_rows(r: dict) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """(get rows, memory rows, refresher rows, targets) of the pool section."""
    g = r["get"]
    n = thousands(g["C"]["chains"])
    gets = []
    for lang in ("C", "Go", "Python"):
        v = g[lang]["ns_per_call"]
        gets.append(
            (
                f"{lang}: get(chain), a random one of {n}",
                f"{med(v):.0f}",
                spread(v, "{:.0f}"),
                "ns/call",
                f"{thousands(g[lang]['calls'])} calls a round, {len(v)} rounds",
            )
        )
    one = g["C"]["ns_one_chain"]
    gets.insert(
        1,
        (
            "C: get(chain), the same chain every call",
            f"{med(one):.0f}",
            spread(one, "{:.0f}"),
            "ns/call",
            "same pool and rounds: what the random figure adds is cache misses",
        ),
    )
    py = g["Python"]
    speed = None
    if "slack_sdk_ns_per_call" in py:
        v = py["slack_sdk_ns_per_call"]
        speed = med(py["speedup"])
        gets.append(
            (
                f"slack_sdk {r['slack_sdk']}: TokenRotator check, a random installation of {n}",
                f"{med(v):.0f}",
                spread(v, "{:.0f}"),
                "ns/call",
                f"{thousands(py['slack_sdk_calls'])} calls a round, same process and rounds as Python's",
            )
        )
        gets.append(
            (
                "Python: slack_sdk's check ÷ xoxe's get(chain)",
                f"{speed:.2f}×",
                spread(py["speedup"], "{:.2f}×"),
                "",
                "per round; above 1: xoxe is faster",
            )
        )
    mem = []
    c = g["C"]
    rss_b = per_chain(c, "rss_kib_before", "rss_kib_after", 1024)
    mem.append(
        (
            "C: RSS after loading − before, per chain",
            f"{rss_b:.0f}",
            "bytes",
            f"VmRSS {c['rss_kib_before']} → {c['rss_kib_after']} KiB",
        )
    )
    mem.append(
        (
            "C: bytes malloc'd after loading − before, per chain",
            f"{per_chain(c, 'heap_before', 'heap_after', 1):.0f}",
            "bytes",
            "glibc mallinfo2: in-use chunks, headers included",
        )
    )
    for lang in ("Go", "Python"):
        x = g[lang]
        mem.append(
            (
                f"{lang}: RSS after loading − before, per chain",
                f"{per_chain(x, 'rss_kib_before', 'rss_kib_after', 1024):.0f}",
                "bytes",
                f"VmRSS {x['rss_kib_before']} → {x['rss_kib_after']} KiB"
                + (" (after runtime.GC + FreeOSMemory)" if lang == "Go" else ""),
            )
        )
    ref = []
    labels = {"memory": "memory store", "dir": f"directory store (`{rel(BB)}`)"}
    for kind, runs in r["refresh"].items():
        if not runs:
            continue
        v = [x["per_sec"] for x in runs]
        ref.append(
            (
                f"background refresher, {labels[kind]}, {thousands(runs[0]['chains'])} chains due at once",
                f"{med(v):.0f}",
                spread(v, "{:.0f}"),
                "rotations/s",
                f"{1e6 / med(v):.0f} µs a rotation; first one {med([x['first_after_due_ms'] for x in runs]):.0f} ms "
                f"after the due second, all {med([x['all_after_due_ms'] for x in runs]):.0f} ms after",
            )
        )
        fg = r.get("rotate", {}).get(kind)
        if fg:
            v = [x["per_sec"] for x in fg]
            ref.append(
                (
                    f"for comparison: get() rotating them on the calling thread, {labels[kind]}",
                    f"{med(v):.0f}",
                    spread(v, "{:.0f}"),
                    "rotations/s",
                    f"{1e6 / med(v):.0f} µs a rotation; chains seeded without an access token, so each get rotates",
                )
            )

    def pf(ok: bool) -> str:
        return "PASS" if ok else "**MISS**"

    cg, gg = med(g["C"]["ns_per_call"]), med(g["Go"]["ns_per_call"])
    targets = [
        (f"get(chain) from C ≤ 100 ns, {n} chains", f"{cg:.0f} ns", pf(cg <= 100)),
        (f"get(chain) from Go ≤ 200 ns, {n} chains", f"{gg:.0f} ns", pf(gg <= 200)),
    ]
    if speed is not None:
        targets.append(
            ("Python get(chain) ≥ 5× faster than slack_sdk's TokenRotator check", f"{speed:.2f}×", pf(speed >= 5))
        )
    targets.append(("memory per idle chain ≤ 1 KiB (C, RSS)", f"{rss_b:.0f} bytes", pf(rss_b <= 1024)))
    return gets, mem, ref, targets


HP1 = ("what", "median", "spread (min–max)", "unit", "notes")
HP2 = ("what", "per chain", "unit", "notes")
HP4 = ("target (issue 17)", "measured", "result")


def pool_text(r: dict | None, err: str | None) -> str:
    if r is None:
        return f"## Pool: many chains\n\nNot measured this run: {err}\n"
    gets, mem, ref, targets = pool_rows(r)
    n = thousands(r["get"]["C"]["chains"])
    c, la = r["get"]["C"], r["load_at_start"]
    when = dt.datetime.fromisoformat(r["started"]).strftime("%Y-%m-%d %H:%M UTC")
    mem0 = next(iter(r["refresh"]["memory"]), None)
    return f"""## Pool: many chains

Measured by `{args.command}` (bench/run.py) on {when}; load average at start {la[0]:.2f}, {la[1]:.2f},
{la[2]:.2f}. Machine: {r["machine"]}.

**get(chain).** A memory store seeded with {n} config-token chains (`bot:-:T…` names; an access token
`xoxe.xoxp-1-` + 40 hex digits and a refresh token `xoxe-1-` + 40 hex digits each, the fake Slack's
shapes, valid for 6 hours: no rotation, no network), a pool over it with `max_chains_in_memory` {n},
and every chain got once, so that the pool holds a rotator for each. Then rounds of `get` on chains
picked at random (uniformly, the order drawn beforehand); each figure is wall time per call, the median
over rounds (`bench_xoxe pool-get`, `bench_xoxe.py pool`, `goxoxe pool`; one process per language).
slack_sdk's figure is what a Bolt app does per request for the same names, in the same Python process
and rounds: an `Installation` from a dict of {n} (bot token expiring in 6 hours) passed to
`TokenRotator.perform_token_rotation(minutes_before_expiration=120)`, which answers None (fresh).

{md_table(HP1, gets)}

**Memory per idle chain.** VmRSS (`/proc/self/status`) after getting every chain once minus VmRSS
before, with the store already seeded and the pool made, divided by {n}: what the pool's rotators
take beyond the store's own copy of each chain (seeding took {c["seed_s"]:.2f} s, loading
{c["load_s"]:.2f} s from C).

{md_table(HP2, mem)}

**Background refresher.** A pool with `background_refresh` over N config-token chains carrying real
refresh tokens of the fake Slack (`POST /_control/config_tokens`; every rotation is a real one: the
token is spent and a new pair issued), all falling due in the same second (`refresh_window_secs` 3,
below the 4 s under which the library adds no jitter, and an expiry set so that they are due
{mem0["lead_s"] if mem0 else "?"} s or more after seeding): each chain got once while still fresh (loaded, no
rotation), then `xoxe_pool_stats` read every millisecond until `background_rotations` reached N. The
rate is the rotations after the first sample that showed one, divided by the time from that sample
to the one that showed them all; {min(REPS, 3)} rounds, fresh chains each; every chain is then checked
to hold a new token (`bench_xoxe pool-refresh`). The refresher rotates one chain at a time on one
thread, so a rotation's cost is the inverse of its rate. For comparison, in the same rounds, the same
number of fresh chains seeded without an access token and rotated by `get` on the calling thread, one
after another (`bench_xoxe pool-rotate`). The delay before the first rotation is the refresher's
schedule (it looks at whole seconds and sleeps up to 1 s), not its speed.

{md_table(HP1, ref)}

{md_table(HP4, targets)}
"""


def merge_section(heading: str, text: str) -> None:
    """Replaces section `heading` (up to the next `## `) of BENCHMARKS.md with text, or
    adds it before the findings; the findings are refreshed from bench/FINDINGS.md."""
    md = OUT.read_text() if OUT.exists() else "# Benchmarks\n"
    findings_file = ROOT / "bench" / "FINDINGS.md"
    findings = findings_file.read_text() if findings_file.exists() else ""
    body = md
    first = findings.splitlines()[0] if findings else ""
    cut = md.find("\n" + first + "\n") if first else -1
    if cut < 0:
        cut = md.find("\n## Findings")
    if cut >= 0:
        body = md[: cut + 1]
    body = body.rstrip("\n") + "\n"
    start = body.find("\n" + heading + "\n")
    if start >= 0:
        end = body.find("\n## ", start + 1)
        end = len(body) if end < 0 else end + 1
        body = body[: start + 1] + text.rstrip("\n") + "\n" + ("\n" + body[end:] if end < len(body) else "")
    else:
        body += "\n" + text.rstrip("\n") + "\n"
    OUT.write_text(body + ("\n" + findings if findings else ""))


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
    if args.write:
        merge_section("## Rotation through each store", store_text(sr, None))
    written = f"and that section of {OUT}" if args.write else "; BENCHMARKS.md left alone (--write merges it)"
    print(f"wrote {BB / 'store-rotation.json'} {written} ({time.time() - t0:.0f} s)")
    sys.exit(0)

if args.only == "pool":
    t0 = time.time()
    srv = Server()
    try:
        pr = pool_section(srv)
    finally:
        srv.stop()
    gets, mem, ref, targets = pool_rows(pr)
    print()
    for h, rows in ((HP1, gets), (HP2, mem), (HP1, ref), (HP4, targets)):
        print(term_table(h, rows))
        print()
    text = pool_text(pr, None)
    print(text)
    BB.mkdir(parents=True, exist_ok=True)
    (BB / "pool.json").write_text(json.dumps(pr, indent=1))
    if args.write:
        merge_section("## Pool: many chains", text)
    written = f"and that section of {OUT}" if args.write else "; BENCHMARKS.md left alone (--write merges it)"
    print(f"wrote {BB / 'pool.json'} {written} ({time.time() - t0:.0f} s)")
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

    # Pool: many chains; reported, not fatal.
    pool_result, pool_err = None, None
    try:
        pool_result = pool_section(srv)
    except Exception as e:
        pool_err = str(e)
        log(f"pool: {e}")
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
machine = machine_desc()

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
if pool_result:
    for h, prows in zip((HP1, HP2, HP1, HP4), pool_rows(pool_result)):
        print(term_table(h, prows))
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

{store_text(store_result, store_err)}
{pool_text(pool_result, pool_err)}"""
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
    pool=pool_result or {"error": pool_err},
    versions=versions,
    machine=machine,
    targets=targets,
    started=started.isoformat(),
)
(BB / "results.json").write_text(json.dumps(results, indent=1))
print(f"wrote {OUT} and {BB / 'results.json'} ({elapsed:.0f} s)")
missed = [t for t in targets + (pool_rows(pool_result)[3] if pool_result else []) if "MISS" in t[2]]
if missed:
    print(f"{len(missed)} target(s) missed: see BENCHMARKS.md")
