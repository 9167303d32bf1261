"""xoxe soak driver (Python): a mix of calls in a loop for SOAK_SECONDS, RSS sampled.

Environment (set by soak/run.sh):
  SOAK_READY    the fake Slack's ready file (base_url, tls_base_url, control_url)
  SOAK_CA       the fake Slack's test CA (PEM), for the HTTPS half of the calls
  SOAK_SECONDS  how long to run (default 600)
  SOAK_OUT      where soak-python.csv and soak-python.json go
  SOAK_THREADS  worker threads (default 4)

Every error is recorded by its status name; anything that is not a documented xoxe
status (a panic, an unknown number, a non-xoxe exception) is "unexpected". Never prints
a token: only counts and status names.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from typing import Any, Callable

import xoxe
from xoxe import Secret

READY = json.load(open(os.environ["SOAK_READY"]))
CA = os.environ.get("SOAK_CA") or None
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
OUT = os.environ.get("SOAK_OUT", ".")
THREADS = int(os.environ.get("SOAK_THREADS", "4"))
PAGE = os.sysconf("SC_PAGE_SIZE")

lock = threading.Lock()
errors: Counter = Counter()
unexpected: Counter = Counter()
calls = 0
oks = 0
log_lines = 0
deadline = time.monotonic() + SECONDS


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE // 1024


def control(path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body if body is not None else {}).encode()
    req = urllib.request.Request(READY["control_url"] + path, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def record(ok: bool, exc: BaseException | None = None, *, expect_usage: bool = False) -> None:
    global calls, oks
    with lock:
        calls += 1
        if ok:
            oks += 1
            return
        if isinstance(exc, xoxe.XoxeError):
            name = exc.name
            if name == "panic" or name == "unknown_status" or exc.family == xoxe.StatusFamily.INTERNAL:
                unexpected[name] += 1
            errors[name] += 1
        elif expect_usage and isinstance(exc, (ValueError, TypeError)):
            errors["python_" + type(exc).__name__] += 1
        else:
            unexpected["python_" + type(exc).__name__] += 1
            errors["python_" + type(exc).__name__] += 1


def attempt(fn: Callable[[], Any], *, expect_usage: bool = False) -> Any:
    try:
        r = fn()
    except Exception as exc:
        record(False, exc, expect_usage=expect_usage)
        return None
    record(True)
    return r


class CountingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        global log_lines
        with lock:
            log_lines += 1


class Worker:
    def __init__(self, n: int) -> None:
        self.n = n
        self.rng = random.Random(n)
        https = n % 2 == 1 and CA is not None and READY.get("tls_base_url")
        url = READY["tls_base_url"] if https else READY["base_url"]
        kw: dict[str, Any] = {"ca_bundle": CA} if https else {}
        self.client = xoxe.Client(url, timeout=5, connect_timeout=2, max_ratelimit_retries=1, max_retry_wait=1, **kw)
        # A second client with a small response limit (huge_body answers are refused).
        self.small = xoxe.Client(url, timeout=5, max_response_bytes=1 << 20, max_ratelimit_retries=0, **kw)
        self.refresh: Secret | None = None
        self.access: Secret | None = None
        self.app: dict[str, Any] | None = None
        self.rotator: xoxe.Rotator | None = None
        self.store: xoxe.Store | None = None
        self.tmp = tempfile.mkdtemp(prefix="xoxe-soak-py-")
        self.rotator_uses = 0

    def new_chain(self) -> None:
        r = control("config_tokens", {})
        self.refresh = Secret(r["refresh_token"])
        self.access = Secret(r["token"])

    def op_rotate(self) -> None:
        if self.refresh is None:
            self.new_chain()
        for _ in range(3):
            cl = self.small if self.rng.random() < 0.2 else self.client
            pair = attempt(lambda cl=cl: cl.tooling_tokens_rotate(self.refresh))
            if pair is None:
                self.refresh = None  # maybe spent: start a new chain next time
                return
            self.refresh, self.access = pair.refresh_token, pair.token

    def op_exchange_refresh(self) -> None:
        if self.app is None:
            self.app = control("apps", {"rotation_enabled": True})
        legacy = Secret(
            control("legacy_tokens", {"client_id": self.app["client_id"], "kind": self.rng.choice(["bot", "user"])})[
                "token"
            ]
        )
        cid, secret = self.app["client_id"], Secret(self.app["client_secret"])
        tok = attempt(lambda: self.client.oauth_v2_exchange(cid, secret, legacy))
        if tok is None:
            return
        tok2 = attempt(lambda: self.client.oauth_v2_refresh(cid, secret, tok.refresh_token))
        if tok2 is not None:
            attempt(lambda: self.client.auth_test(tok2.access_token))
        # Exchanging the same legacy token twice is an error Slack reports.
        attempt(lambda: self.client.oauth_v2_exchange(cid, secret, legacy))

    def op_auth_and_call(self) -> None:
        tok = self.access if self.access is not None else Secret("xoxe.xoxp-1-notatoken")
        attempt(lambda: self.client.auth_test(tok))
        attempt(lambda: self.client.call("auth.test", tok))
        attempt(
            lambda: self.small.call(
                "apps.manifest.validate", tok, {"manifest": json.dumps({"display_information": {"name": "soak"}})}
            )
        )
        attempt(lambda: self.client.call("no.such.method", tok, {"a": "b"}))

    def op_rotator(self) -> None:
        if self.rotator is None or self.rotator_uses > 50:
            self.close_rotator()
            r = control("config_tokens", {})
            if self.rng.random() < 0.5:
                self.store = xoxe.MemoryStore()
            else:
                self.store = xoxe.FileStore(os.path.join(self.tmp, f"pair-{self.rng.random()}.json"))
            self.store.init(Secret(r["refresh_token"]))
            self.rotator = xoxe.Rotator.config(self.client, self.store, wait_timeout=10)
            self.rotator_uses = 0
        self.rotator_uses += 1
        get = self.rotator.get
        for _ in range(500):
            try:
                get()
            except Exception as exc:
                record(False, exc)
                if isinstance(exc, xoxe.ChainDeadError) or self.rng.random() < 0.3:
                    self.close_rotator()
                return
            record(True)

    def close_rotator(self) -> None:
        if self.rotator is not None:
            self.rotator.close()
        if self.store is not None:
            self.store.close()
        self.rotator = self.store = None
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))

    def op_errors(self) -> None:
        attempt(lambda: self.client.tooling_tokens_rotate("xoxe-1-not-a-real-refresh-token"))
        attempt(lambda: self.client.auth_test("xoxb-not-a-real-token"))
        attempt(lambda: self.client.tooling_tokens_rotate(""), expect_usage=True)
        attempt(lambda: self.client.auth_test("nul\x00inside"), expect_usage=True)
        attempt(lambda: xoxe.Client("http://example.com/api/"), expect_usage=True)  # insecure
        attempt(lambda: xoxe.Client(READY["base_url"], ca_bundle="/nonexistent/ca.pem"), expect_usage=True)
        attempt(lambda: self.client.call("", None), expect_usage=True)
        attempt(
            lambda: xoxe.FileStore(os.path.join(self.tmp, "empty.json")).init("", overwrite=True), expect_usage=True
        )

    def run(self) -> None:
        ops = [self.op_rotate, self.op_exchange_refresh, self.op_auth_and_call, self.op_rotator, self.op_errors]
        i = 0
        while time.monotonic() < deadline:
            try:
                ops[i % len(ops)]()
            except Exception as exc:
                record(False, exc)
            i += 1
        self.close_rotator()
        self.client.close()
        self.small.close()
        os.rmdir(self.tmp)


def main() -> int:
    if hasattr(xoxe, "enable_logging"):
        logger = logging.getLogger("xoxe.soak")
        logger.propagate = False
        logger.addHandler(CountingHandler())
        logger.setLevel(logging.INFO)
        xoxe.enable_logging(logger)
    start = time.monotonic()
    csv_path = os.path.join(OUT, "soak-python.csv")
    threads = [threading.Thread(target=Worker(n).run, name=f"soak-{n}") for n in range(THREADS)]
    for t in threads:
        t.start()
    with open(csv_path, "w") as csv:
        csv.write("elapsed_s,rss_kb,calls\n")
        next_sample = 0.0
        while any(t.is_alive() for t in threads):
            now = time.monotonic() - start
            if now >= next_sample:
                with lock:
                    c = calls
                csv.write(f"{now:.0f},{rss_kb()},{c}\n")
                csv.flush()
                next_sample += 10
            time.sleep(0.2)
        csv.write(f"{time.monotonic() - start:.0f},{rss_kb()},{calls}\n")
    for t in threads:
        t.join()
    if hasattr(xoxe, "disable_logging"):
        xoxe.disable_logging()
    result = {
        "lang": "python",
        "calls": calls,
        "ok": oks,
        "errors": dict(errors),
        "unexpected": dict(unexpected),
        "log_lines": log_lines,
    }
    with open(os.path.join(OUT, "soak-python.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(f"python: {calls} calls, {sum(errors.values())} errors, {sum(unexpected.values())} unexpected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
