#!/usr/bin/env python3
"""`make bench`: xoxe against the floor (wrk) and the usual Slack SDKs, on two local servers.

Starts `fake-slack --bench-refresh-token T` on loopback and nginx (Debian's, config from
bench/nginx/nginx.conf.in, prefix under BUILD/nginx) answering every request with a static copy
of the fake Slack's answer to tooling.tokens.rotate: a server that costs next to nothing, so
that a client's figure against it is the client's own cost. Every client makes one call
against each server first (that also checks that each accepts nginx's answer, and measures
its start-up CPU). Then REPS rounds; each round measures, against each server, the floor
(wrk, one connection, one thread) and then every client once, so every figure has a floor
from the same round and machine noise hits all of them alike. Reports the median over rounds
and the spread (min-max), every figure also as a ratio to its server's floor, each client's
own CPU per call (its rusage from os.wait4, less a one-call run's, over the calls) beside
wrk's, and checks issue 17's targets. Prints the tables and writes BENCHMARKS.md (plus
build/bench/results.json). Everything it runs was built or installed by bench/bench.mk;
paths come from the command line.

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

"Scaling: threads and chains" (`--only scaling`, BUILD/scaling.json): `bench_xoxe
scale-get` (get(chain) at each of --scale-threads with each of --scale-chains chains, CPU
and wall ns per call) and `bench_xoxe scale-rotate` (threads sharing one client, against
nginx and the fake Slack); draws bench/scaling.png with the bench venv's matplotlib.

Extra sections: standalone programs that print one JSON document of rows, each wired in
by one `Extra(...)` in EXTRA_SECTIONS (see there for the format); a full run includes
them, `--only KEY` runs one alone.

Only stdlib: it runs on the system python3.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

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
    metavar="SECTION",
    help="run one section alone (stores, pool, scaling, or an extra section's key: see EXTRA_SECTIONS): "
    "print it and write its JSON in BUILD; BENCHMARKS.md only with --write",
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
ap.add_argument("--scale-threads", default="1,2,8,32", help="thread counts of the scaling curve")
ap.add_argument("--scale-chains", default="10,1000,100000", help="chain counts of the scaling curve (get)")
ap.add_argument(
    "--scale-get-calls", type=int, default=400_000, help="get(chain) calls per point of the scaling curve, all threads"
)
ap.add_argument(
    "--scale-rotate-calls", type=int, help="rotations per point of the scaling curve, all threads (default: --calls)"
)
ap.add_argument("--nginx", help="the nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
args = ap.parse_args()
if args.write and not args.only:
    ap.error("--write goes with --only (a full run always writes BENCHMARKS.md)")
if args.command is None:
    if not args.only:
        args.command = "make bench"
    elif args.only in ("stores", "pool", "scaling"):
        args.command = f"make bench-{args.only}"
    else:
        args.command = f"make bench-section BENCH_SECTION={args.only}"

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


def run_ru(
    cmd: list[str],
    timeout: float = 600,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: dict | None = None,
    discard: bool = False,
) -> tuple[str, float]:
    """Run cmd (with stdin as its input, if given); its stdout ("" with discard: sent to
    /dev/null), and the CPU seconds (user + sys) it took, from its rusage (os.wait4: the
    child and whatever it reaped)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if discard else out,
            stderr=err,
            env=ENV if env is None else env,
            cwd=cwd,
            text=True,
        )
        if stdin is not None:
            assert p.stdin is not None
            try:
                p.stdin.write(stdin)
                p.stdin.close()
            except BrokenPipeError:
                pass
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0:
        raise RuntimeError(
            f"{Path(cmd[0]).name} {cmd[1] if len(cmd) > 1 else ''} failed ({p.returncode}): {stderr.strip()[-400:]}"
        )
    return stdout, ru.ru_utime + ru.ru_stime


def last_json(cmd: list[str], stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{cmd[0]} printed no JSON: {stdout[-300:]!r}")


def run_json(
    cmd: list[str], timeout: float = 600, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None
) -> dict:
    """Run cmd (with stdin as its input, if given); return the last JSON line it printed on stdout."""
    return last_json(cmd, run_ru(cmd, timeout, cwd, stdin, env)[0])


def run_json_cpu(cmd: list[str], timeout: float = 600) -> tuple[dict, float]:
    """run_json, and the CPU seconds the program took (its rusage)."""
    out, cpu = run_ru(cmd, timeout)
    return last_json(cmd, out), cpu


# What `import xoxe` costs in a fresh interpreter, timed around the import alone
# (nothing imported before it but `time`), with bytecode as an installed wheel has
# it: compiled once into a cache of the bench's own, then read.
PY_LOAD = """import time
t0 = time.perf_counter()
import xoxe
t1 = time.perf_counter()
xoxe.Client(BASE).close()
t2 = time.perf_counter()
print('{"load_ms": %.4f, "create_ms": %.4f}' % ((t1 - t0) * 1e3, (t2 - t1) * 1e3))
"""


def python_loads(base: str, n: int) -> list[dict]:
    env = {k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(BB / "pycache")
    cmd = [str(PY), "-c", PY_LOAD.replace("BASE", repr(base))]
    run_json(cmd, env=env)  # compiles the package into the cache
    return [run_json(cmd, env=env) for _ in range(n)]


# ---------------------------------------------------------------------------- fake Slack


class Server:
    """The fake Slack (`fake-slack --bench-refresh-token T`)."""

    key, label = "fake", "fake Slack"

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
        return proc_cpu_secs(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def proc_cpu_secs(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


class Nginx:
    """nginx from Debian answering every request with the fake Slack's JSON for
    tooling.tokens.rotate (bench/nginx/nginx.conf.in), its prefix a temp directory under
    BUILD/nginx: a server that costs next to nothing, the floor of a client's own cost."""

    key, label = "nginx", "nginx (static answer)"

    def __init__(self, body: bytes) -> None:
        exe = args.nginx or shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(exe).exists():
            raise SystemExit("nginx not found: make bench-apt installs it (Debian's nginx)")
        text = body.decode()
        if any(c in text for c in "'$\\\n"):
            raise SystemExit("the fake Slack's answer has a character nginx's return string would change")
        (BB / "nginx").mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="run-", dir=BB / "nginx")).resolve()
        self.dir.chmod(0o755)  # the worker (nobody, when started as root) reads nothing, but may look
        self.port = free_port()
        conf = (ROOT / "bench/nginx/nginx.conf.in").read_text()
        for k, v in (("@PREFIX@", str(self.dir)), ("@PORT@", str(self.port)), ("@BODY@", text)):
            conf = conf.replace(k, v)
        (self.dir / "nginx.conf").write_text(conf)
        self.log = open(self.dir / "stderr.log", "w")
        self.proc = subprocess.Popen(
            [exe, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}/api/"
        self.rotate_url = self.base + "tooling.tokens.rotate"
        self.status_url = f"http://127.0.0.1:{self.port}/_nginx/status"
        self.status_requests = 0
        for _ in range(200):
            if self.proc.poll() is not None:
                self.stop()
                raise SystemExit(f"nginx exited: {self.why}")
            try:
                self.stats()
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise SystemExit(f"nginx did not answer: {self.why}")
        self.version = cmd_out([exe, "-v"], r"nginx/(\S+)")

    def stats(self) -> dict:
        """stub_status: connections accepted, and requests other than these status reads."""
        with urllib.request.urlopen(self.status_url, timeout=10) as r:
            lines = r.read().decode().splitlines()
        self.status_requests += 1
        accepts, _handled, requests = (int(x) for x in lines[2].split())
        return {"connections": accepts, "rotations": requests - self.status_requests}

    def workers(self) -> list[int]:
        try:
            return [int(x) for x in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu_secs(self) -> float:
        return sum(proc_cpu_secs(p) for p in [self.proc.pid, *self.workers()])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        logs = [self.dir / "stderr.log", self.dir / "error.log"]
        self.why = " ".join(p.read_text()[-300:] for p in logs if p.exists()).strip()
        shutil.rmtree(self.dir, ignore_errors=True)


def rotate_answer(srv: Server) -> bytes:
    """One answer of the fake Slack to tooling.tokens.rotate for the bench token (its
    exact body: a new fake pair valid for the fake's token lifetime), for nginx to repeat.
    Never printed."""
    req = urllib.request.Request(
        srv.rotate_url,
        data=urllib.parse.urlencode({"refresh_token": RT}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    doc = json.loads(body)
    if not doc.get("ok") or not {"token", "refresh_token", "exp"} <= doc.keys():
        raise SystemExit(f"the fake Slack's rotate answer is not a rotation (keys {sorted(doc)})")
    return body


def counted(srv: Server, fn):
    """Run fn(); also return how many connections and rotations it made at the server.
    Each stats request is one connection of its own, counted by the second one."""
    s0 = srv.stats()
    r = fn()
    s1 = srv.stats()
    return r, s1["connections"] - s0["connections"] - 1, s1["rotations"] - s0["rotations"]


# ---------------------------------------------------------------------------- per-call clients


def wrk_run(srv, threads: int, conns: int, secs: int) -> dict:
    """wrk's JSON line (bench/wrk/rotate.lua), plus its own CPU seconds ("cpu_s")."""
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs}s", "-s", str(ROOT / "bench/wrk/rotate.lua"), srv.rotate_url]
    r, cpu = run_json_cpu(cmd)
    if r["socket_errors"] or r["status_errors"]:
        raise RuntimeError(f"wrk saw errors: {r}")
    r["cpu_s"] = cpu
    return r


def floor_once(srv) -> tuple[float, float]:
    """The floor: wrk, one thread, one connection. (wall µs per request, wrk's CPU µs per request)."""
    r = wrk_run(srv, 1, 1, args.floor_secs)
    return r["duration_us"] / r["requests"], r["cpu_s"] * 1e6 / r["requests"]


def curl_timed(srv, n: int) -> tuple[float, float]:
    """Seconds for one curl process POSTing to n URLs (one connection, reused), and its CPU seconds."""
    cfg = srv_tmp / f"curl-{srv.key}-{n}.cfg"
    cfg.write_text(f'url = "{srv.rotate_url}"\n' * n)
    t0 = time.perf_counter()
    _, cpu = run_ru(["curl", "-sS", "--fail", "-K", str(cfg), "-d", f"refresh_token={RT}"], discard=True)
    return time.perf_counter() - t0, cpu


CURL = "curl (one process, one connection)"


def client_cmds(srv, calls: int = 0, warmup: int = -1) -> dict[str, list[str]]:
    """Every client's command line against srv: CALLS timed calls after WARMUP warm-up
    calls (1 and 0: the start-up run whose CPU time is subtracted)."""
    b, c, w = srv.base, str(calls or CALLS), str(WARMUP if warmup < 0 else warmup)
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


def startup_cpu(srv) -> dict[str, float]:
    """Each client's CPU seconds for a run of one call and no warm-up (median of 3):
    its start-up, taken off its CPU per call."""
    out = {}
    for name, cmd in client_cmds(srv, 1, 0).items():
        out[name] = med([run_json_cpu(cmd)[1] for _ in range(3)])
    out[CURL] = med([curl_timed(srv, 1)[1] for _ in range(3)])
    return out


def client_once(srv, name: str, start: dict[str, float], curl_wall1: float) -> tuple[float, float, dict]:
    """One client's run against srv: (wall µs per call, its own CPU µs per call, its JSON).
    CPU per call is (CPU of the run − CPU of a one-call run) ÷ (calls + warm-up − 1), so
    that start-up is not counted; curl's wall time likewise (t(N URLs) − t(1 URL)) ÷ (N − 1)."""
    if name == CURL:
        wall, cpu = curl_timed(srv, CALLS)
        return (wall - curl_wall1) * 1e6 / (CALLS - 1), (cpu - start[CURL]) * 1e6 / (CALLS - 1), {}
    r, cpu = run_json_cpu(client_cmds(srv)[name])
    return us_of(r), (cpu - start[name]) * 1e6 / (CALLS + WARMUP - 1), r


# slack_sdk's TokenRotator check on one installation, fresh (what a Bolt app does per
# request before it uses a token), run by the bench venv's python beside bench_xoxe.py's
# `get`: SDK_CHECK BASE CALLS prints {"ns_per_call", "version"}. The same Installation as
# bench_xoxe.py's pool mode builds (bot-only, expiring in 6 hours; fake-shaped tokens).
SDK_CHECK = r"""
import json, secrets, sys, time
import slack_sdk
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator
base, calls = sys.argv[1], int(sys.argv[2])
now = time.time()
inst = Installation(
    app_id="A0123456789", team_id="T0000001", user_id="U0123456789",
    bot_token="xoxe.xoxb-1-" + secrets.token_hex(20), bot_id="B0123456789", bot_user_id="U0BOT000001",
    bot_scopes="chat:write,commands", bot_refresh_token="xoxe-1-" + secrets.token_hex(20),
    bot_token_expires_at=int(now) + 6 * 3600, installed_at=now,
)
check = TokenRotator(client_id="111.222", client_secret="s", client=WebClient(base_url=base)).perform_token_rotation
for _ in range(calls // 10):
    check(installation=inst, minutes_before_expiration=120)
t0 = time.perf_counter()
for _ in range(calls):
    if check(installation=inst, minutes_before_expiration=120) is not None:
        sys.exit("slack_sdk rotated a fresh installation")
ns = (time.perf_counter() - t0) * 1e9 / calls
print(json.dumps({"ns_per_call": ns, "version": slack_sdk.version.__version__}))
"""


# ---------------------------------------------------------------------------- stores

STORES = [  # (key in store_rotation's JSON, row label, what the store does per rotation)
    ("client", "no store (`Client::tooling_tokens_rotate`)", "the call alone: the floor of this table"),
    ("memory", "memory store", "in-process lock; the pair saved in memory"),
    ("file", "file store", "`flock`; temp file reserved (fallocate), written, fsynced, renamed; directory fsynced"),
    (
        "postgres",
        "PostgreSQL (TCP)",
        "3 prepared statements, each committed: lease taken with the pair and marker read; lease renewed with"
        " the in-flight marker written; compare-and-swap save with the marker cleared and the lease released",
    ),
    (
        "redis-tcp",
        "Redis (TCP)",
        "3 Lua scripts, each a write: lease taken with the pair and marker read; lease renewed with the"
        " in-flight marker written; compare-and-swap save with the marker cleared and the lease released",
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


@contextlib.contextmanager
def throwaway_dbs(what: str):
    """Throwaway PostgreSQL and Redis under BUILD/db (scripts/test-db.sh), stopped on
    leaving; yields (ENV plus their URLs — passwords in them: never printed —, BUILD/db)."""
    db = BB / "db"
    test_db = str(ROOT / "scripts/test-db.sh")
    log(f"{what}: starting throwaway PostgreSQL and Redis under {db}")
    try:
        p = subprocess.run([test_db, "start", str(db)], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"scripts/test-db.sh start failed: {p.stderr.strip()[-400:]}")
        env = dict(ENV)
        env.update(db_env(db / "env"))
        yield env, db
    finally:
        subprocess.run([test_db, "stop", str(db)], capture_output=True, timeout=120)


def store_rotation() -> dict:
    """Starts throwaway databases under BUILD/db, runs store_rotation, stops them."""
    with throwaway_dbs("store rotation") as (env, db):
        n, w = args.store_rotations, args.store_warmup
        cmd = [str(ROOT / "target/bench/release/store_rotation"), str(n), str(REPS), str(w), str(BB)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"store_rotation failed ({p.returncode}): {p.stderr.strip()[-400:]}")
        r = json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])
        r["db_versions"] = db_versions(db)
        return r


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
    # Not resolved: the venv's python is a symlink out of the tree, but its path is in it.
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(ROOT)))
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
(median over rounds of the difference, same round). What a fleet store adds is mostly durable writes: three
per rotation (lease with the pair read; lease renewed with the in-flight marker; compare-and-swap save with the
lease released), each a commit or an AOF fsync.

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
    # What one cache miss costs here: the unit the random get(chain) figures are made of.
    out["mem_latency"] = [run_json([str(BB / "mem_latency"), str(128 << 20)])["ns_per_load"] for _ in range(3)]
    log(f"one load from a random address in 128 MiB: {med(out['mem_latency']):.0f} ns")
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
    if r.get("mem_latency"):
        v = r["mem_latency"]
        gets.insert(
            2,
            (
                "this machine: one load from a random address in 128 MiB",
                f"{med(v):.0f}",
                spread(v, "{:.0f}"),
                "ns/load",
                "`bench/c/mem_latency`: a pointer chase over a random cycle (each load waits for the one "
                "before): one cache and TLB miss, the unit a random get(chain) pays several of",
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


# ---------------------------------------------------------------------------- scaling


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def scaling_section(servers: list) -> dict:
    """The scaling curve (`bench_xoxe scale-get` / `scale-rotate`): get(chain) at each
    thread count with each number of chains; rotations from threads sharing one client,
    against each server."""
    threads = args.scale_threads
    out: dict = {
        "started": dt.datetime.now(dt.timezone.utc).isoformat(),
        "load_at_start": os.getloadavg(),
        "threads": int_list(threads),
        "get": {},
        "rotate": {},
        "get_calls": args.scale_get_calls,
        "rotate_calls": args.scale_rotate_calls or CALLS,
        "reps": REPS,
    }
    for n in int_list(args.scale_chains):
        cmd = [str(BB / "bench_xoxe"), "scale-get", servers[0].base, str(n), str(args.scale_get_calls), threads]
        r = run_json([*cmd, str(REPS)], timeout=1800)
        out["get"][str(n)] = r
        log(
            f"scaling get(), {n} chains: "
            + ", ".join(f"{p['threads']}t {med(p['cpu_ns_per_call']):.0f}" for p in r["points"])
            + " CPU ns/call"
        )
    # Rotation: one round per process, the servers alternating, as the per-call rounds do.
    for rnd in range(REPS):
        for srv in servers if rnd % 2 == 0 else servers[::-1]:
            cmd = [str(BB / "bench_xoxe"), "scale-rotate", srv.base, RT, str(out["rotate_calls"]), threads, "1"]
            r = run_json(cmd, timeout=1800)
            if srv.key not in out["rotate"]:
                out["rotate"][srv.key] = {"label": srv.label, "calls": r["calls"], "points": r["points"]}
                continue
            for have, p in zip(out["rotate"][srv.key]["points"], r["points"]):
                have["wall_ns_per_call"] += p["wall_ns_per_call"]
                have["cpu_ns_per_call"] += p["cpu_ns_per_call"]
    for x in out["rotate"].values():
        log(
            f"scaling rotate, {x['label']}: "
            + ", ".join(f"{p['threads']}t {1e9 / med(p['wall_ns_per_call']):.0f}/s" for p in x["points"])
        )
    out["png"] = draw_scaling(out)
    return out


PLOT = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
d = json.load(sys.stdin)
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 5), dpi=100)
for i, (label, s) in enumerate(d["get"].items()):
    c = f"C{i}"
    a.plot(s["threads"], s["cpu"], "o-", color=c, label=f"{label}: CPU per call")
    a.plot(s["threads"], s["wall"], "s--", color=c, alpha=0.6, label=f"{label}: wall ÷ calls")
a.set(xscale="log", yscale="log", xlabel="threads", ylabel="ns per call")
a.set_title("get(chain), fresh token, from C (log scales)")
a.set_xticks(d["threads"], [str(t) for t in d["threads"]])
a.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
for i, (label, s) in enumerate(d["rotate"].items()):
    b.plot(s["threads"], s["calls_per_sec"], "o-", color=f"C{i}", label=label)
b.set(xscale="log", xlabel="threads (one client)", ylabel="rotations per second", title="tooling.tokens.rotate from C")
b.set_xticks(d["threads"], [str(t) for t in d["threads"]])
b.set_ylim(bottom=0)
b.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
fig.text(0.01, 0.01, d["note"], fontsize=7, color="0.4")
fig.tight_layout(rect=(0, 0.04, 1, 1))
fig.savefig(d["out"])
"""


def draw_scaling(r: dict) -> str | None:
    """bench/scaling.png (matplotlib, in the bench venv); None when it could not be drawn."""
    png = ROOT / "bench" / "scaling.png"
    data = {
        "out": str(png),
        "threads": r["threads"],
        "note": f"bench/run.py, {r['started'][:16].replace('T', ' ')} UTC, {NCPU} cores; medians of {r['reps']} rounds",
        "get": {
            f"{thousands(int(n))} chains": {
                "threads": [p["threads"] for p in g["points"]],
                "cpu": [med(p["cpu_ns_per_call"]) for p in g["points"]],
                "wall": [med(p["wall_ns_per_call"]) for p in g["points"]],
            }
            for n, g in r["get"].items()
        },
        "rotate": {
            x["label"]: {
                "threads": [p["threads"] for p in x["points"]],
                "calls_per_sec": [1e9 / med(p["wall_ns_per_call"]) for p in x["points"]],
            }
            for x in r["rotate"].values()
        },
    }
    try:
        run_ru([str(PY), "-c", PLOT], timeout=300, stdin=json.dumps(data))
    except Exception as e:
        log(f"scaling.png: {e}")
        return None
    return str(png)


def scaling_rows(r: dict) -> list[tuple]:
    """One row per curve and measure, one column per thread count."""
    rows = []
    for n, g in r["get"].items():
        for key, what in (("cpu_ns_per_call", "CPU per call"), ("wall_ns_per_call", "wall time ÷ calls")):
            rows.append(
                (f"get(chain), {thousands(int(n))} chains: {what}", "ns", *(f"{med(p[key]):.0f}" for p in g["points"]))
            )
    for x in r["rotate"].values():
        pts = x["points"]
        rows.append(
            (f"rotate, {x['label']}: rotations/s", "1/s", *(f"{1e9 / med(p['wall_ns_per_call']):.0f}" for p in pts))
        )
        rows.append(
            (
                f"rotate, {x['label']}: wall time ÷ calls",
                "µs",
                *(f"{med(p['wall_ns_per_call']) / 1e3:.1f}" for p in pts),
            )
        )
        rows.append(
            (
                f"rotate, {x['label']}: CPU per call (all threads)",
                "µs",
                *(f"{med(p['cpu_ns_per_call']) / 1e3:.1f}" for p in pts),
            )
        )
    return rows


def scaling_header(r: dict) -> tuple:
    return ("what", "unit", *(f"{t} thread{'s' if t > 1 else ''}" for t in r["threads"]))


def scaling_text(r: dict | None, err: str | None) -> str:
    if r is None:
        return f"## Scaling: threads and chains\n\nNot measured this run: {err}\n"
    when = dt.datetime.fromisoformat(r["started"]).strftime("%Y-%m-%d %H:%M UTC")
    la = r["load_at_start"]
    tl = ",".join(map(str, r["threads"]))
    fig = ""
    if r.get("png"):
        fig = f"![get() and rotation cost against threads]({os.path.relpath(r['png'], OUT.parent)})\n\n"
    return f"""## Scaling: threads and chains

Measured by `{args.command}` (bench/run.py) on {when}; load average at start {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f};
{NCPU} cores, nothing pinned.

**get(chain)** (`bench_xoxe scale-get BASE CHAINS {r["get_calls"]} {tl} {r["reps"]}`): a pool over a
memory store of CHAINS fresh chains (as in "Pool: many chains": valid for 6 hours, no rotation, no network),
each got once; then {r["reps"]} rounds, each running every thread count in turn: T threads sharing the pool,
{thousands(r["get_calls"])} gets in all ({thousands(r["get_calls"])} ÷ T each) on chains drawn at random (a
xorshift per thread). "CPU per call" is the process's CPU time ÷ calls (what a call costs, contention
included); "wall time ÷ calls" is the elapsed time ÷ calls (with more threads than cores it cannot fall
below CPU per call ÷ {NCPU}).
**Rotation** (`bench_xoxe scale-rotate BASE RT {r["rotate_calls"]} {tl} 1`, {r["reps"]} times): T threads
sharing one client, {thousands(r["rotate_calls"])} `tooling.tokens.rotate` calls in all, against nginx's static
answer and against the fake Slack (both on this machine's cores, so the server's CPU competes with the
client's), one process per round, the two servers in turn. "CPU per call" is the client process's CPU
time ÷ calls. Medians over rounds.

{fig}{md_table(scaling_header(r), scaling_rows(r))}
"""


# ---------------------------------------------------------------------------- extra sections
#
# A section made by a standalone program that prints one JSON document on stdout:
#
#   {"rows": [{"name": "…", "median": 1.5, "min": 1.2, "max": 2.0, "unit": "µs", "notes": "…",
#              "group": "…"}, …],                 group (optional): a bold header row where it changes
#    "about": "Markdown: what was measured and how",          (optional)
#    "targets": [{"target": "…", "measured": "…", "pass": true}, …]}   (optional; pass null: n/a)
#
# median/min/max may be numbers or strings. A program with a JSON shape of its own gets an
# `adapt` function that turns its document into that one. Wiring one in is one Extra(...) in
# EXTRA_SECTIONS: a full run then includes it (or says it was not built; a failure is
# reported in its section, not fatal), `--only KEY` (`make bench-section BENCH_SECTION=KEY`)
# runs it alone (printed, written to BUILD/KEY.json; `--write` merges it into BENCHMARKS.md),
# and its targets join the main targets table.


@dataclasses.dataclass
class Extra:
    key: str  # --only KEY; BUILD/KEY.json
    heading: str  # "## …": its section in BENCHMARKS.md
    cmd: Callable[[dict], list[str]]  # ctx -> argv; ctx: fake, nginx (base URLs or None), rt, reps, calls, build, root
    about: str = ""  # Markdown before the table (the program's own "about" follows it)
    servers: bool = False  # start the fake Slack and nginx for it (their base URLs in ctx and in its environment)
    dbs: bool = False  # throwaway PostgreSQL and Redis (scripts/test-db.sh): XOXE_TEST_*_URL in its environment
    timeout: float = 1800
    adapt: Callable[[dict], dict] | None = None  # the program's JSON -> {"rows": …, "about": …, "targets": …}


def fleet_rows(doc: dict) -> dict:
    """bench/rust/src/bin/fleet.rs's document ({"stores": {NAME: …}}) as rows and targets."""
    rows, targets = [], []
    label = {"postgres": "PostgreSQL", "redis": "Redis (TCP)", "redis-tcp": "Redis (TCP)"}
    for name, st in doc.get("stores", {}).items():
        who = label.get(name, name)
        seq, conc, rt, fol = st["sequential"], st["concurrent"], st["round_trips"], st["follower_notice_ms"]
        rows += [
            {
                "name": f"{who}: rotations/s, one rotator",
                "median": round(seq["rotations_per_s"]),
                "unit": "rotations/s",
                "notes": f"{seq['rotations']} sequential force_rotate of one chain",
            },
            {
                "name": f"{who}: rotations/s, {conc['threads']} threads × {conc['chains']} chains",
                "median": round(conc["rotations_per_s"]),
                "unit": "rotations/s",
                "notes": "chains opened from one store connection, as a Pool does",
            },
            {
                "name": f"{who}: store round trips per rotation",
                "median": rt["per_rotation"],
                "unit": "round trips",
                "notes": f"counted by the server ({rt.get('counted', '')})",
            },
            {
                "name": f"{who}: round trips when the pair is already fresh",
                "median": rt["per_fresh_pair"],
                "unit": "round trips",
                "notes": "lease taken with the pair read, then released",
            },
            {
                "name": f"{who}: follower learns of the rotation",
                "median": fol["median"],
                "min": fol["min"],
                "max": fol["max"],
                "unit": "ms",
                "notes": f"after the leader's save; p90 {fol['p90']:.2f} ms, {fol['trials']} trials",
            },
        ]
        targets += [
            {
                "target": f"{who}: store round trips per rotation ≤ 3",
                "measured": f"{rt['per_rotation']:.2f}",
                "pass": rt["per_rotation"] <= 3.0,
            },
            {
                "target": f"{who}: followers learn of a rotation ≤ 50 ms after the save (p90)",
                "measured": f"{fol['p90']:.1f} ms",
                "pass": fol["p90"] <= 50.0,
            },
        ]
    skipped = doc.get("skipped") or []
    about = f"Skipped (no database): {', '.join(skipped)}." if skipped else ""
    return {"rows": rows, "targets": targets, "about": about}


EXTRA_SECTIONS: list[Extra] = [
    Extra(
        "bolt",
        "## Bolt for Python: what authorize costs a request",
        lambda c: [str(PY), f"{c['root']}/bench/python/bench_bolt.py", "--reps", str(c["reps"])],
        about="Bolt calls `authorize` before every request it handles. Bolt's own rows use its "
        "`InstallationStoreAuthorize` with token rotation on (`token_rotation_expiration_minutes`) and "
        "`cache_enabled`; xoxe's row is `xoxe.bolt.XoxeAuthorize` over a `Pool`, for the same workspace, "
        "bot and user, tokens fresh (no network: `bench/python/bench_bolt.py` fails if a timed call reaches "
        "Slack). The difference is what xoxe adds to, or saves from, each request.",
    ),
    Extra(
        "fleet",
        "## Fleet stores: rotations per second, round trips, followers",
        lambda c: [f"{c['root']}/target/bench/release/fleet", "200", "16", "4", "30", "300"],
        about="`target/bench/release/fleet 200 16 4 30 300` against `scripts/test-db.sh`'s throwaway "
        "PostgreSQL and Redis (TCP) on this machine and a fake Slack doing real rotations in the same "
        "process. Rotations per second: one rotator force-rotating one chain 200 times, and 4 threads "
        "force-rotating 16 chains opened from one store connection (as a `Pool` opens them). Round trips "
        "are counted by the server (PostgreSQL: `xact_commit + xact_rollback` of a database of their own; "
        "Redis: `total_reads_processed`), the difference of a long and a short run. Follower notice: a "
        "follower in a child process, on its own connection, waits for the lease while the leader rotates "
        "(Slack answers the leader after 300 ms); the time from the leader's save returning to the "
        "follower's `get` returning, 30 trials.",
        dbs=True,
        adapt=fleet_rows,
    ),
    Extra(
        "slackgo",
        "## slack-go: what xoxe.Transport adds to a request",
        lambda c: [f"{c['build']}/slackgo-xoxe", c["fake"], "2000", str(c["reps"])],
        about="`bench/go-slackgo-xoxe`: the same slack-go call (`auth.test`) against the fake Slack, made "
        "with a static token and through `xoxe.Transport` (from a `Rotator`, and from a `Pool` with "
        "`xoxe.WithChain`), in the same process and rounds, in blocks of 50 calls that take turns; the "
        "per-round difference with the static-token call bounded the same way is what xoxe adds. Over "
        'loopback the round trip\'s own spread (the "static token again" control row) is larger than '
        'the cost added, so the "no network" rows (a `RoundTripper` that answers in process) are the '
        "ones that resolve it.",
        servers=True,
    ),
]
SECTIONS = ["stores", "pool", "scaling", *(x.key for x in EXTRA_SECTIONS)]
if args.only and args.only not in SECTIONS:
    ap.error(f"--only: one of {', '.join(SECTIONS)}")


def run_extra(x: Extra, servers: list) -> dict:
    """Runs an extra section's program; its JSON document, with when and how it ran."""
    by_key = {s.key: s.base for s in servers}
    ctx = {
        "fake": by_key.get("fake"),
        "nginx": by_key.get("nginx"),
        "rt": RT,
        "reps": REPS,
        "calls": CALLS,
        "build": str(BB),
        "root": str(ROOT),
    }
    cmd = x.cmd(ctx)
    missing = [c for c in cmd[:2] if c.startswith("/") and not Path(c).exists()]
    if missing:
        raise RuntimeError(f"{rel(Path(missing[0]))} is not built")
    started = dt.datetime.now(dt.timezone.utc)
    with contextlib.ExitStack() as stack:
        env = dict(ENV)
        if x.dbs:
            env = stack.enter_context(throwaway_dbs(x.key))[0]
        env.update(XOXE_BENCH_BASE=ctx["fake"] or "", XOXE_BENCH_STATIC_BASE=ctx["nginx"] or "")
        out, _ = run_ru(cmd, timeout=x.timeout, env=env)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        doc = last_json(cmd, out)
    if x.adapt:
        doc = x.adapt(doc)
    if not isinstance(doc.get("rows"), list):
        raise RuntimeError(f"{Path(cmd[0]).name} printed no rows")
    shown = {ctx["fake"]: "FAKE_BASE", ctx["nginx"]: "NGINX_BASE", RT: "T"}  # no ports, no token
    doc["_ran"] = {
        "started": started.isoformat(),
        "load_at_start": os.getloadavg(),
        "cmd": " ".join(shown.get(c) or (rel(Path(c)) if c.startswith("/") else c) for c in cmd),
    }
    return doc


def fmt_num(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"
    return "" if v is None else str(v)


HX = ("what", "median", "spread (min–max)", "unit", "notes")


def extra_rows(doc: dict) -> list[tuple]:
    rows, group = [], None
    for r in doc["rows"]:
        if r.get("group") and r["group"] != group:
            group = r["group"]
            rows.append((f"**{group}**", "", "", "", ""))
        lo, hi = r.get("min"), r.get("max")
        sp = f"{fmt_num(lo)}–{fmt_num(hi)}" if lo is not None and hi is not None else ""
        rows.append((r.get("name", "?"), fmt_num(r.get("median")), sp, r.get("unit", ""), r.get("notes", "")))
    return rows


def extra_targets(x: Extra, doc: dict | None) -> list[tuple]:
    if not doc:
        return []
    return [
        (f"{t.get('target', '?')} ({x.key})", str(t.get("measured", "")), pf(t.get("pass")))
        for t in doc.get("targets", [])
    ]


def extra_text(x: Extra, doc: dict | None, err: str | None) -> str:
    if doc is None:
        return f"{x.heading}\n\nNot measured this run: {err}\n"
    ran = doc["_ran"]
    when = dt.datetime.fromisoformat(ran["started"]).strftime("%Y-%m-%d %H:%M UTC")
    la = ran["load_at_start"]
    parts = [
        x.heading,
        f"Measured by `{args.command}` (bench/run.py: `{ran['cmd']}`) on {when}; load average at start "
        f"{la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f}.",
    ]
    parts += [t for t in (x.about, doc.get("about", "")) if t]
    parts.append(md_table(HX, extra_rows(doc)))
    if doc.get("targets"):
        parts.append(md_table(H2, extra_targets(x, doc)))
    return "\n\n".join(parts) + "\n"


def pf(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "**MISS**")


H2 = ("target (issue 17)", "measured", "result")


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


def start_servers() -> list:
    """[nginx, fake Slack]: the fake first (nginx repeats one of its answers)."""
    fake = Server()
    try:
        return [Nginx(rotate_answer(fake)), fake]
    except BaseException:
        fake.stop()
        raise


def stop_servers(servers: list) -> None:
    for s in servers:
        s.stop()


def only_section(key: str, heading: str, fn, text_fn, tables_fn) -> None:
    """--only KEY: run a section alone, print it, write BUILD/KEY.json; with --write,
    merge it into BENCHMARKS.md."""
    t0 = time.time()
    try:
        r = fn()
    except RuntimeError as e:
        raise SystemExit(f"{key}: {e}") from None
    print()
    for h, rows in tables_fn(r):
        print(term_table(h, rows))
        print()
    text = text_fn(r)
    print(text)
    BB.mkdir(parents=True, exist_ok=True)
    (BB / f"{key}.json").write_text(json.dumps(r, indent=1))
    if args.write:
        merge_section(heading, text)
    written = f"and that section of {OUT}" if args.write else "; BENCHMARKS.md left alone (--write merges it)"
    print(f"wrote {BB / (key + '.json')} {written} ({time.time() - t0:.0f} s)")
    sys.exit(0)


def with_servers(fn):
    def run():
        servers = start_servers()
        try:
            return fn(servers)
        finally:
            stop_servers(servers)

    return run


if args.only == "scaling":
    only_section(
        "scaling",
        "## Scaling: threads and chains",
        with_servers(scaling_section),
        lambda r: scaling_text(r, None),
        lambda r: [(scaling_header(r), scaling_rows(r))],
    )

for _x in EXTRA_SECTIONS:
    if args.only == _x.key:
        only_section(
            _x.key,
            _x.heading,
            with_servers(lambda s, x=_x: run_extra(x, s)) if _x.servers else (lambda x=_x: run_extra(x, [])),
            lambda r, x=_x: extra_text(x, r, None),
            lambda r, x=_x: [(HX, extra_rows(r))] + ([(H2, extra_targets(x, r))] if r.get("targets") else []),
        )

# ---------------------------------------------------------------------------- main

FLOOR = "floor (wrk -t1 -c1)"
srv_tmp = Path(tempfile.mkdtemp(prefix="xoxe-bench-cfg-"))
started = dt.datetime.now(dt.timezone.utc)
load_at_start = os.getloadavg()
servers = start_servers()
nginx, srv = servers
log(f"{nginx.label} at {nginx.base}, {srv.label} at {srv.base}; {REPS} rounds of {CALLS} calls (+{WARMUP} warm-up)")
results: dict = {"versions": {}}
# per_call[server key][row] = {"wall": [µs], "cpu": [µs], "ratio": [× floor], "conns": n}
per_call: dict[str, dict[str, dict]] = {s.key: {} for s in servers}
t_begin = time.time()
sdk_get: list[dict] = []
scale_result, scale_err = None, None
extra_results: dict[str, tuple[dict | None, str | None]] = {}
try:
    # Start-up: each client once (one call) against each server, three times: its CPU is
    # taken off the per-call figures, and it checks that every client accepts nginx's answer.
    start: dict[str, dict[str, float]] = {}
    curl_wall1: dict[str, float] = {}
    for s in servers:
        start[s.key] = startup_cpu(s)
        curl_wall1[s.key] = med([curl_timed(s, 1)[0] for _ in range(5)])
    log(f"every client accepted {nginx.label}'s answer; start-up CPU measured")
    names = [*list(client_cmds(srv)), CURL]
    for rnd in range(REPS):
        for s in servers if rnd % 2 == 0 else servers[::-1]:
            pc = per_call[s.key]
            (fw, fcpu), fc, _ = counted(s, lambda s=s: floor_once(s))
            pc.setdefault(FLOOR, {"wall": [], "cpu": [], "ratio": []})
            pc[FLOOR]["wall"].append(fw)
            pc[FLOOR]["cpu"].append(fcpu)
            pc[FLOOR]["ratio"].append(1.0)
            pc[FLOOR]["conns"] = fc
            line = [f"round {rnd + 1}/{REPS}, {s.key}: floor {fw:.1f} us"]
            for name in names:
                (us, cpu, r), nc, _ = counted(
                    s, lambda s=s, name=name: client_once(s, name, start[s.key], curl_wall1[s.key])
                )
                if "version" in r:
                    results["versions"][name] = r["version"]
                e = pc.setdefault(name, {"wall": [], "cpu": [], "ratio": []})
                e["wall"].append(us)
                e["cpu"].append(cpu)
                e["ratio"].append(us / fw)
                e["conns"] = nc
                line.append(f"{name.split(' ')[0]} {us:.1f}")
            log("; ".join(line))

    # Is the server the bottleneck? Its CPU time per request during a floor run, and
    # what two connections get compared with one.
    results["server"] = {}
    for s in servers:
        c0 = s.cpu_secs()
        r1 = wrk_run(s, 1, 1, 3)
        server_cpu_us = (s.cpu_secs() - c0) * 1e6 / r1["requests"]
        r2 = wrk_run(s, 2, 2, 3)
        results["server"][s.key] = {
            "wrk_c1_rps": r1["requests"] / (r1["duration_us"] / 1e6),
            "wrk_c2_rps": r2["requests"] / (r2["duration_us"] / 1e6),
            "wrk_c1_p50_us": r1["p50_us"],
            "server_cpu_us_per_req": server_cpu_us,
            "wrk_cpu_us_per_req": r1["cpu_s"] * 1e6 / r1["requests"],
            "wall_us_per_req": r1["duration_us"] / r1["requests"],
        }
        log(f"server check, {s.key}: {results['server'][s.key]}")
    floor_med = med(per_call["fake"][FLOOR]["wall"])

    # Fresh-token get(): C, Python, Go; 1 and 8 threads. Python's runs alternate with
    # slack_sdk's TokenRotator check on one installation (SDK_CHECK), for the ratio.
    # Long enough (~0.3 s a run) that starting and handing over threads is not what is timed.
    get_calls = {"C": 4_000_000, "Python": 2_000_000, "Go": 2_000_000}
    get_cmd = {
        "C": [str(BB / "bench_xoxe"), "get", srv.base, RT],
        "Python": [str(PY), str(ROOT / "bench/python/bench_xoxe.py"), "get", srv.base, RT],
        "Go": [str(BB / "goxoxe"), "get", srv.base, RT],
    }
    gets: dict = {}
    interp: dict[int, list[float]] = {}
    for lang, cmd in get_cmd.items():
        for threads in (1, 8):
            n = max(get_calls[lang] // threads, 1000)
            runs = []
            for _ in range(3):
                runs.append(run_json([*cmd, str(n), str(threads)]))
                if lang == "Python" and threads == 1 and "skipped" not in runs[-1]:
                    sdk_get.append(run_json([str(PY), "-c", SDK_CHECK, srv.base, str(n)]))
            if lang == "Python":  # the interpreter's own thread cost, in the same rounds
                interp[threads] = [
                    run_json(
                        [
                            str(PY),
                            str(ROOT / "bench/python/bench_xoxe.py"),
                            "get-interp",
                            srv.base,
                            RT,
                            str(n),
                            str(threads),
                        ]
                    )["cpu_ns_per_call"]
                    for _ in range(3)
                ]
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
    if sdk_get:
        log(f"slack_sdk TokenRotator check, one installation: {med([x['ns_per_call'] for x in sdk_get]):.0f} ns")

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
        "Python (import xoxe + Client)": python_loads(srv.base, 7),
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

    # Scaling curve; reported, not fatal.
    try:
        scale_result = scaling_section(servers)
    except Exception as e:
        scale_err = str(e)
        log(f"scaling: {e}")

    # Extra sections (standalone programs); reported, not fatal.
    for x in EXTRA_SECTIONS:
        try:
            extra_results[x.key] = (run_extra(x, servers if x.servers else []), None)
        except Exception as e:
            extra_results[x.key] = (None, str(e))
            log(f"{x.key}: {e}")
finally:
    stop_servers(servers)
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
    "nginx": nginx.version,
}
machine = machine_desc()

# ---------------------------------------------------------------------------- table


H1 = ("what", "median", "spread (min–max)", "unit", "× floor", "own CPU per call", "notes")
rows = []  # H1's columns
blocks = {
    "nginx": "**tooling.tokens.rotate against nginx's static answer (a client's own cost), one connection**",
    "fake": "**tooling.tokens.rotate against the fake Slack, one connection**",
}
for s in servers:
    rows.append((blocks[s.key], "", "", "", "", "", ""))
    for name, e in per_call[s.key].items():
        c = e["conns"]
        note = f"{c} connection{'s' if c != 1 else ''}"
        if name == FLOOR:
            note += " (one is wrk's start-up probe); CPU: wrk's"
        elif name.startswith("slack_sdk"):
            note += " (urllib: a new one per call)"
        rows.append(
            (
                name,
                f"{med(e['wall']):.1f}",
                spread(e["wall"]),
                "µs/call",
                f"{med(e['ratio']):.2f}×",
                f"{med(e['cpu']):.1f} µs",
                note,
            )
        )

rows.append(("**Rotator get() on a fresh token (no network)**", "", "", "", "", "", ""))
for (lang, threads), g in gets.items():
    label = f"{lang}, {threads} thread{'s' if threads > 1 else ''}"
    if g is None:
        rows.append((label, "n/a", "", "ns/call", "", "", "binding has no Rotator"))
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
            label,
            f"{med(v):.0f}",
            spread(v, "{:.0f}"),
            "ns/call",
            f"{med(v) / 1000 / floor_med:.4f}×",
            f"{med(g['cpu_ns_per_call']):.0f} ns",
            note,
        )
    )
interp_ratio = med(interp[8]) / med(interp[1]) if interp.get(1) and interp.get(8) else None
if interp_ratio is not None:
    at = 1 + max(i for i, r in enumerate(rows) if r[0].startswith("Python, "))
    rows.insert(
        at,
        (
            "Python interpreter alone (control): 8 threads ÷ 1 thread, CPU per call",
            f"{interp_ratio:.2f}×",
            f"{med(interp[1]):.0f} → {med(interp[8]):.0f} ns",
            "",
            "",
            "",
            "a pure-Python function shaped like get's fresh path, no xoxe: what the GIL's hand-overs cost",
        ),
    )
sdk_speedup = None
if sdk_get and gets.get(("Python", 1)):
    sdk_ratios = [x["ns_per_call"] / y for x, y in zip(sdk_get, gets[("Python", 1)]["ns_per_call"])]
    sdk_speedup = med(sdk_ratios)
    sv = [x["ns_per_call"] for x in sdk_get]
    at = 1 + max(i for i, r in enumerate(rows) if r[0].startswith("Python, "))
    rows[at:at] = [
        (
            f"slack_sdk {sdk_get[0]['version']}: TokenRotator check, one installation, 1 thread",
            f"{med(sv):.0f}",
            spread(sv, "{:.0f}"),
            "ns/call",
            f"{med(sv) / 1000 / floor_med:.4f}×",
            "",
            "`perform_token_rotation` on a fresh bot installation (answers None); runs alternate with Python's",
        ),
        (
            "Python: slack_sdk's check ÷ Rotator.get()",
            f"{sdk_speedup:.2f}×",
            spread(sdk_ratios, "{:.2f}×"),
            "",
            "",
            "",
            "per pair of runs (Python, 1 thread); above 1: xoxe is faster",
        ),
    ]

rows.append(("**8 threads sharing one client (rotate, fake Slack)**", "", "", "", "", "", ""))
for lang, v in mts.items():
    rows.append(
        (
            lang,
            f"{med(v):.0f}",
            spread(v, "{:.0f}"),
            "calls/s",
            f"{med(v) * floor_med / 1e6:.2f}×",
            "",
            "ratio: throughput ÷ floor's (1 connection)",
        )
    )

rows.append(("**Library load + client creation (fresh process)**", "", "", "", "", "", ""))
for name, v in loads.items():
    tot = [r["load_ms"] + r["create_ms"] for r in v]
    rows.append(
        (
            name,
            f"{med(tot):.2f}",
            spread(tot, "{:.2f}"),
            "ms",
            f"{med(tot) * 1000 / floor_med:.0f}×",
            "",
            f"load {med([r['load_ms'] for r in v]):.2f} ms + create {med([r['create_ms'] for r in v]):.3f} ms",
        )
    )

rows.append(("**Memory (C)**", "", "", "", "", "", ""))
rows.append(
    (
        "peak RSS of examples/c (with-fake-slack.sh)",
        f"{peak}" if peak else "n/a",
        "",
        "KiB",
        "—",
        "",
        "/usr/bin/time -f %M",
    )
)
growth = rss["rss_kib_end"] - rss["rss_kib_10k"]
rows.append(
    (
        "RSS growth, 10 000 → 100 000 rotations",
        f"{growth:+d}",
        "",
        "KiB",
        "—",
        "",
        f"{rss['rss_kib_10k']} → {rss['rss_kib_end']} KiB",
    )
)


def getv(lang, key="ns_per_call", threads=1):
    g = gets.get((lang, threads))
    return med(g[key]) if g else None


# Issue 17's targets, every one measured in this run.
pn = per_call["nginx"]
targets = [
    (
        "Python Rotator.get() (fresh) ≥ 5× faster than slack_sdk's TokenRotator check",
        "n/a" if sdk_speedup is None else f"{sdk_speedup:.2f}× faster",
        pf(None if sdk_speedup is None else sdk_speedup >= 5),
    )
]
if pool_result:
    targets += pool_rows(pool_result)[3]
else:
    targets.append(("Pool targets (section Pool: many chains)", f"not measured: {pool_err}", pf(None)))
for lang, limit in (("Go", 100), ("C", 50)):
    v = getv(lang)
    targets.append(
        (
            f"get() fresh from {lang} ≤ {limit} ns (1 thread, wall)",
            "n/a" if v is None else f"{v:.0f} ns",
            pf(None if v is None else v <= limit),
        )
    )
MT_SLACK = 1.10  # "no worse": within the noise of these runs
for lang in ("C", "Python", "Go"):
    one, eight = getv(lang, "cpu_ns_per_call"), getv(lang, "cpu_ns_per_call", 8)
    ok = None if one is None or eight is None else eight <= MT_SLACK * one
    measured = "n/a" if ok is None else f"{eight:.0f} ns vs {one:.0f} ns ({eight / one:.2f}×)"
    if lang == "Python" and ok is not None and interp_ratio is not None:
        measured += f"; the interpreter alone: {interp_ratio:.2f}×"
    targets.append(
        (
            f"get() from {lang}, 8 threads on {NCPU} cores: CPU per call no worse than 1 thread's "
            f"(≤ {MT_SLACK:.2f}×, for noise)",
            measured,
            pf(ok),
        )
    )
for name, limit in (("xoxe C", 1.15), ("xoxe Python", 1.3), ("xoxe Go", 1.2)):
    v = med(pn[name]["ratio"])
    targets.append((f"{name} per call ≤ {limit}× the static floor (nginx, wall)", f"{v:.2f}×", pf(v <= limit)))
gox_vs = med([a / b for a, b in zip(pn["slack-go (Go)"]["wall"], pn["xoxe Go"]["wall"])])
gox_vs_fake = med(
    [a / b for a, b in zip(per_call["fake"]["slack-go (Go)"]["wall"], per_call["fake"]["xoxe Go"]["wall"])]
)
targets.append(
    (
        "xoxe Go ≥ 1.3× faster than slack-go (against nginx, same rounds)",
        f"{gox_vs:.2f}× faster ({gox_vs_fake:.2f}× against the fake Slack)",
        pf(gox_vs >= 1.3),
    )
)
py_import = med([r["load_ms"] for r in loads["Python (import xoxe + Client)"]])
c_load = med([r["load_ms"] + r["create_ms"] for r in loads["C (dlopen + client)"]])
targets.append(("Python `import xoxe` ≤ 30 ms", f"{py_import:.1f} ms", pf(py_import <= 30)))
targets.append(("C library load + client ≤ 0.5 ms", f"{c_load:.2f} ms", pf(c_load <= 0.5)))
for x in EXTRA_SECTIONS:
    targets += extra_targets(x, extra_results.get(x.key, (None, None))[0])
targets.append(
    (
        "no RSS growth over 100 000 calls, ≤ 64 KiB from 10k to 100k (earlier target)",
        f"{growth:+d} KiB",
        pf(growth <= 64),
    )
)

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
if scale_result:
    print(term_table(scaling_header(scale_result), scaling_rows(scale_result)))
    print()
for x in EXTRA_SECTIONS:
    doc = extra_results.get(x.key, (None, None))[0]
    if doc:
        print(term_table(HX, extra_rows(doc)))
        print()


def server_text(s) -> str:
    r = results["server"][s.key]
    head = (
        f"**{s.label}.** With one connection wrk did {r['wrk_c1_rps']:.0f} requests/s ({r['wall_us_per_req']:.1f} µs "
        f"each, p50 {r['wrk_c1_p50_us']} µs); the server spent {r['server_cpu_us_per_req']:.1f} µs of CPU per request, "
        f"{100 * r['server_cpu_us_per_req'] / r['wall_us_per_req']:.0f}% of the round trip, and wrk "
        f"{r['wrk_cpu_us_per_req']:.1f} µs. With two connections (two wrk threads) it did {r['wrk_c2_rps']:.0f} "
        f"requests/s ({r['wrk_c2_rps'] / r['wrk_c1_rps']:.2f}× one connection) on the same {NCPU} cores. "
    )
    ok = r["server_cpu_us_per_req"] < 0.6 * r["wall_us_per_req"] and r["wrk_c2_rps"] > 1.1 * r["wrk_c1_rps"]
    return head + (
        "It is not the bottleneck of the sequential figures: it idles most of each round trip, and more "
        "connections get more throughput."
        if ok
        else "**It may be limiting these figures: read them with care.**"
    )


servers_md = "\n\n".join(server_text(s) for s in servers)
findings = ROOT / "bench" / "FINDINGS.md"
extras_md = "".join("\n" + extra_text(x, *extra_results.get(x.key, (None, "not run"))) for x in EXTRA_SECTIONS)
md = f"""# Benchmarks

Generated by `{args.command}` (bench/run.py) on {started.strftime("%Y-%m-%d %H:%M UTC")}; do not edit by hand
(the findings at the end come from `bench/FINDINGS.md`).

- Machine: {machine}; load average at start {load_at_start[0]:.2f}, {load_at_start[1]:.2f}, {load_at_start[2]:.2f}
  (the servers and the clients share the cores; nothing is pinned).
- Versions: {", ".join(f"{k} {v}" for k, v in versions.items())}.
- Servers, both on 127.0.0.1: **nginx** (Debian's, one worker, `bench/nginx/nginx.conf.in`, its own prefix under
  `{rel(BB)}/nginx`) answering every request with a static copy of the fake Slack's answer to
  `tooling.tokens.rotate` (captured from it at start-up: the same JSON body and Content-Type), a server that costs
  next to nothing, so its floor is what the network stack and the client cost; and the **fake Slack**
  (`fake-slack --bench-refresh-token T`, which answers `tooling.tokens.rotate` for `T` forever without storing
  the pairs). Every client made one call against each before the rounds: all accept nginx's answer.
- Method: {REPS} rounds; each round measures, against each server in turn (nginx first in odd rounds, the fake
  Slack first in even ones), the floor (wrk, one thread, one kept-alive connection, {args.floor_secs} s, POSTing the
  same form body from `bench/wrk/rotate.lua`) and then each client once: {CALLS} sequential calls after {WARMUP}
  warm-up calls, over one client object. A client's ratio is taken against the floor of the same server in its
  own round; the table shows the median over rounds of the figure, its spread (min–max) and the median ratio.
  "connections" is what the server counted during that client's run (the fake Slack's `connections` in
  `GET /_control/stats`, nginx's `accepts` in `stub_status`): 1 means one kept-alive connection for all calls.
  curl is one process with {CALLS} URLs (`-K` config); its figure is (t({CALLS} URLs) − t(1 URL)) / {CALLS - 1},
  so process start-up is not counted.
- Own CPU per call: the client process's user + system time from its rusage (`os.wait4`), less that of a run of
  the same program with one call and no warm-up (median of 3, measured once per server before the rounds:
  start-up and imports), divided by the {CALLS + WARMUP - 1} calls left ({CALLS} − 1 for curl); wrk's is its
  rusage ÷ its requests. It is what the client spends, whatever the server's speed.
- `get()`: a memory store seeded with `T`, one rotation, then `get()` in a loop (fresh token, no I/O).
  1 thread: wall time per call. 8 threads on {NCPU} cores: process CPU time per call (the cost of a call
  under contention; wall time per call would just divide by the core count).
- Whole run: {elapsed:.0f} s.

{md_table(H1, rows)}

## Targets

Issue 17's targets, each measured in this run (its comparison in the same run and rounds).

{md_table(H2, targets)}

## Is the server the bottleneck?

{servers_md}

{store_text(store_result, store_err)}
{pool_text(pool_result, pool_err)}
{scaling_text(scale_result, scale_err)}{extras_md}"""
if findings.exists():
    md += "\n" + findings.read_text()
OUT.write_text(md)
results.update(
    per_call=per_call,
    gets={f"{k[0]}/{k[1]}": v for k, v in gets.items()},
    slack_sdk_get=sdk_get,
    mt=mts,
    loads=loads,
    rss=rss,
    peak_rss_kib=peak,
    store_rotation=store_result or {"error": store_err},
    pool=pool_result or {"error": pool_err},
    scaling=scale_result or {"error": scale_err},
    extra={k: (d if d else {"error": e}) for k, (d, e) in extra_results.items()},
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
