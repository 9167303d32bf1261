"""xoxe from Python, for `make bench` (bench/run.py drives it; prints one JSON line).

bench_xoxe.py rotate BASE RT CALLS WARMUP   sequential tooling_tokens_rotate calls
bench_xoxe.py get BASE RT CALLS THREADS      Rotator.get() on a fresh token
bench_xoxe.py mt BASE RT CALLS THREADS       THREADS threads sharing one Client
bench_xoxe.py load BASE                      import xoxe + Client() (fresh process)
bench_xoxe.py pool BASE CHAINS CALLS REPS    Pool.get(chain) on random chains of CHAINS fresh
                                             ones in a memory store, and slack_sdk's
                                             TokenRotator check over as many installations
"""

import json
import random
import sys
import threading
import time

t_start = time.perf_counter()
if sys.argv[1] == "load":
    import xoxe

    t_import = time.perf_counter()
    c = xoxe.Client(sys.argv[2])
    t_client = time.perf_counter()
    c.close()
    print(json.dumps({"load_ms": (t_import - t_start) * 1e3, "create_ms": (t_client - t_import) * 1e3}))
    sys.exit(0)

import xoxe  # noqa: E402


def rss_kib() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def hex40(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def timed(fns, reps):
    """ns per call of each (fn, order) in fns: fn(x) for x in order, after a warm-up
    tenth; each rep runs every fn in turn, so machine noise hits them alike."""
    for fn, order in fns:
        for x in order[: len(order) // 10]:
            fn(x)
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(reps):
        for (fn, order), v in zip(fns, out):
            t0 = time.perf_counter()
            for x in order:
                fn(x)
            v.append((time.perf_counter() - t0) * 1e9 / len(order))
    return out


def slack_sdk_check(base, names, expires_at, rng):
    """What a slack_sdk (Bolt) app does per request: find the installation, ask
    TokenRotator whether it must rotate (None: no, the token is fresh). The
    installations live in a dict (the cheapest installation store there is) and are
    bot-only, the cheaper of its two checks. None without slack_sdk."""
    try:
        import slack_sdk
        from slack_sdk import WebClient
        from slack_sdk.oauth.installation_store import Installation
        from slack_sdk.oauth.token_rotation import TokenRotator
    except ImportError:
        return None, None
    now = time.time()
    installs = {
        name: Installation(
            app_id="A0123456789",
            team_id=name.rsplit(":", 1)[1],
            user_id="U0123456789",
            bot_token="xoxe.xoxb-1-" + hex40(rng),
            bot_id="B0123456789",
            bot_user_id="U0BOT000001",
            bot_scopes="chat:write,commands",
            bot_refresh_token="xoxe-1-" + hex40(rng),
            bot_token_expires_at=expires_at,
            installed_at=now,
        )
        for name in names
    }
    check = TokenRotator(client_id="111.222", client_secret="s", client=WebClient(base_url=base)).perform_token_rotation

    def sdk(name):
        if check(installation=installs[name], minutes_before_expiration=120) is not None:
            sys.exit("slack_sdk rotated a fresh installation")

    return sdk, slack_sdk.version.__version__


def pool_mode(base, chains, calls, reps):
    """Pool.get(chain) over CHAINS chains and, in the same process and rounds,
    slack_sdk's check over as many installations (same names, same random order)."""
    rng = random.Random(17)
    names = [f"bot:-:T{i + 1:08X}" for i in range(chains)]
    expires_at = int(time.time()) + 6 * 3600  # far outside the 2 h refresh window
    client = xoxe.Client(base)
    store = xoxe.MemoryStore()
    t0 = time.perf_counter()
    for name in names:
        with store.open_chain(name) as chain:
            chain.init("xoxe-1-" + hex40(rng), access_token="xoxe.xoxp-1-" + hex40(rng), expires_at=expires_at)
    seed_s = time.perf_counter() - t0
    pool = xoxe.Pool(client, store, max_chains_in_memory=chains)
    get = pool.get
    rss0 = rss_kib()
    t0 = time.perf_counter()
    for name in names:  # every chain once: the pool makes its rotators (all fresh)
        if get(name).expires_at != expires_at:
            sys.exit(f"chain {name} rotated while loading")
    load_s = time.perf_counter() - t0
    rss1 = rss_kib()
    if pool.stats().chains_in_memory != chains:
        sys.exit(f"the pool holds {pool.stats().chains_in_memory} chains, not {chains}")
    order = [names[rng.randrange(chains)] for _ in range(calls)]
    sdk, sdk_version = slack_sdk_check(base, names, expires_at, rng)
    sdk_calls = max(calls // 2, 1)
    fns = [(get, order)] + ([(sdk, order[:sdk_calls])] if sdk else [])
    times = timed(fns, reps)
    result = {
        "chains": chains,
        "calls": calls,
        "ns_per_call": times[0],
        "rss_kib_before": rss0,
        "rss_kib_after": rss1,
        "seed_s": seed_s,
        "load_s": load_s,
    }
    if sdk:
        result.update(
            slack_sdk_ns_per_call=times[1],
            slack_sdk_calls=sdk_calls,
            slack_sdk_version=sdk_version,
            speedup=[a / b for a, b in zip(times[1], times[0])],
        )
    pool.close()
    store.close()
    client.close()
    print(json.dumps(result))


if sys.argv[1] == "pool":
    pool_mode(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    sys.exit(0)

mode, base, rt, calls, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
client = xoxe.Client(base)


def run_threads(fn, threads):
    start = threading.Barrier(threads + 1)

    def work():
        start.wait()
        fn()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    # The clocks start before the threads are let go: a worker that runs
    # first must not run before the clock does.
    w0, c0 = time.perf_counter(), time.process_time()
    start.wait()
    for t in ts:
        t.join()
    return time.perf_counter() - w0, time.process_time() - c0


if mode == "rotate":
    rotate = client.tooling_tokens_rotate
    for _ in range(n):
        rotate(rt)
    t0 = time.perf_counter()
    for _ in range(calls):
        rotate(rt)
    print(json.dumps({"us_per_call": (time.perf_counter() - t0) * 1e6 / calls}))
elif mode == "get":
    if not hasattr(xoxe, "Rotator") or not hasattr(xoxe, "MemoryStore"):
        print(json.dumps({"skipped": "the Python binding has no Rotator yet"}))
        sys.exit(0)
    store = xoxe.MemoryStore()
    store.init(rt)
    rotator = xoxe.Rotator.config(client, store)
    get = rotator.get
    get()  # rotates once; every later call is the fresh path

    def loop():
        for _ in range(calls):
            get()

    run_threads(loop, 1)  # warm-up
    wall, cpu = run_threads(loop, n)
    total = calls * n
    print(
        json.dumps(
            {"ns_per_call": wall * 1e9 / total, "cpu_ns_per_call": cpu * 1e9 / total, "calls_per_sec": total / wall}
        )
    )
elif mode == "get-interp":
    # The control for get's thread figures: a pure-Python function shaped like
    # Rotator.get's fresh path (a kept value, a clock, a comparison), no xoxe.
    # Its 8-thread ÷ 1-thread CPU ratio is what the interpreter itself (the GIL
    # handed between threads) costs, whatever the function.
    kept = (object(), time.time() + 3600.0)
    clock = time.time

    def interp():
        k = kept
        if clock() < k[1]:
            return k[0]
        return None

    def loop():
        for _ in range(calls):
            interp()

    run_threads(loop, 1)  # warm-up
    wall, cpu = run_threads(loop, n)
    total = calls * n
    print(json.dumps({"ns_per_call": wall * 1e9 / total, "cpu_ns_per_call": cpu * 1e9 / total}))
elif mode == "mt":
    rotate = client.tooling_tokens_rotate

    def loop():
        for _ in range(calls):
            rotate(rt)

    wall, _ = run_threads(loop, n)
    total = calls * n
    print(json.dumps({"calls_per_sec": total / wall, "us_per_call": wall * 1e6 / total}))
else:
    sys.exit(f"unknown mode {mode}")
client.close()
