"""xoxe from Python, for `make bench` (bench/run.py drives it; prints one JSON line).

bench_xoxe.py rotate BASE RT CALLS WARMUP   sequential tooling_tokens_rotate calls
bench_xoxe.py get BASE RT CALLS THREADS      Rotator.get() on a fresh token
bench_xoxe.py mt BASE RT CALLS THREADS       THREADS threads sharing one Client
bench_xoxe.py load BASE                      import xoxe + Client() (fresh process)
"""

import json
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
    start.wait()
    w0, c0 = time.perf_counter(), time.process_time()
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
