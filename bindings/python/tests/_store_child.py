"""A child process for test_file_store.py (not a test module: pytest does not collect it).

    python _store_child.py rotate BASE_URL STORE
        one rotation of the config chain in the file STORE (the strace test).
    python _store_child.py work BASE_URL STORE THREADS ROUNDS READY_FILE GO_FILE
        THREADS threads share one rotator on STORE; once GO_FILE exists, each does ROUNDS
        times: force_rotate(), auth.test of that token, get(), auth.test of that one.

STORE is a file's absolute path, or ``postgres:CHAIN`` / ``redis:CHAIN`` for a chain in
the database whose URL is in ``$XOXE_CHILD_STORE_URL`` (the environment, never the
command line: it holds a password).

Prints one JSON line on stdout: counts and the repr of any exception (xoxe errors hold no
secret), never a token. With XOXE_LOG set, the library's own lines go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

import xoxe


def _store(spec: str) -> xoxe.Store:
    kind, _, chain = spec.partition(":")
    if kind in ("postgres", "redis") and chain:
        url = xoxe.Secret(os.environ["XOXE_CHILD_STORE_URL"])
        return xoxe.PostgresStore(url, chain) if kind == "postgres" else xoxe.RedisStore(url, chain)
    return xoxe.FileStore(spec, lock_timeout=60)


def rotate(base_url: str, store: str) -> dict[str, Any]:
    with xoxe.Client(base_url, timeout=60) as client:
        with xoxe.Rotator.config(client, _store(store)) as rotator:
            token = rotator.get()
            return {"expires_at": token.expires_at}


def work(base_url: str, store: str, threads_n: int, rounds: int, ready: str, go: str) -> dict[str, Any]:
    checked = [0]
    failures: list[str] = []
    guard = threading.Lock()
    with xoxe.Client(base_url, timeout=60) as client:
        rotator = xoxe.Rotator.config(client, _store(store), wait_timeout=60)

        def one() -> None:
            try:
                for _ in range(rounds):
                    for token in (rotator.force_rotate(), rotator.get()):
                        client.auth_test(token.token)  # every token handed out is live
                        with guard:
                            checked[0] += 1
            except BaseException as exc:  # reported to the parent
                with guard:
                    failures.append(repr(exc))

        workers = [threading.Thread(target=one) for _ in range(threads_n)]
        with open(ready, "w"):
            pass
        deadline = time.monotonic() + 60
        while not os.path.exists(go):  # all processes start together
            if time.monotonic() > deadline:
                return {"checked": 0, "failures": ["no go signal within 60 s"]}
            time.sleep(0.005)
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        rotator.close()
    return {"checked": checked[0], "failures": failures}


def main(argv: list[str]) -> None:
    mode = argv[1]
    if mode == "rotate":
        out = rotate(argv[2], argv[3])
    elif mode == "work":
        out = work(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6], argv[7])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)
