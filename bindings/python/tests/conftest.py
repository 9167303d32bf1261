"""One fake Slack server per test session, plus helpers to make fresh credentials; the
throwaway PostgreSQL and Redis servers of the fleet stores; and ``make_store``, one
factory per store kind for the tests that hold for every store.

Every token the control interface hands out is wrapped in ``xoxe.Secret`` at once, so a
failing test can never print one (the CI secret scan greps the logs for them). So is
every database URL (it holds the servers' password, which the scan looks for too).

With ``XOXE_LOG`` set (``make test`` sets ``debug``), xoxe's lines go to standard error
as ``[xoxe <level>] <message>`` for the whole session, so the secret scan reads every
test's library lines: :func:`restore_logging` puts that logger back, and runs after
every test, whatever the test did with ``enable_logging``/``disable_logging``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEADER = ROOT / "include" / "xoxe.h"

# The dev layout: tests import the package from src/ and load $XOXE_LIBRARY (the
# Makefile exports it); default to the cargo build output when run by hand.
os.environ.setdefault("XOXE_LIBRARY", str(ROOT / "target" / "release" / "libxoxe.so"))

import xoxe  # noqa: E402
from xoxe import Secret  # noqa: E402

# ---- xoxe's log lines on standard error for the whole session ---------------------

#: XOXE_LOG's values, as the library reads them (src/log.rs).
_XOXE_LOG_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
_LEVEL_NAMES = {logging.ERROR: "error", logging.WARNING: "warn", logging.INFO: "info", logging.DEBUG: "debug"}


class _StderrLines(logging.Handler):
    """Writes a record to file descriptor 2 as ``[xoxe <level>] <message>``, the
    library's own XOXE_LOG format: one write per line (lines from several threads stay
    whole), past pytest's ``capsys`` (which swaps ``sys.stderr`` only), so the lines
    land in the suite's log whatever a test captures."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            name = _LEVEL_NAMES.get(record.levelno, record.levelname.lower())
            os.write(2, f"[xoxe {name}] {record.getMessage()}\n".encode("utf-8", "replace"))
        except Exception:  # a log line must never fail a test
            self.handleError(record)


_SESSION_LEVEL: int | None = _XOXE_LOG_LEVELS.get(os.environ.get("XOXE_LOG", ""))
_stderr_lines = _StderrLines()


def restore_logging() -> None:
    """The session's logging state: with ``XOXE_LOG``, xoxe's lines (at that level) to
    the ``xoxe`` logger and from there to standard error; without it, off (the
    library's default). Tests that change the logger call this when they are done."""
    logger = logging.getLogger("xoxe")
    if _SESSION_LEVEL is None:
        xoxe.disable_logging()
        logger.removeHandler(_stderr_lines)
        return
    if _stderr_lines not in logger.handlers:
        logger.addHandler(_stderr_lines)
    if logger.level == logging.NOTSET or logger.level > _SESSION_LEVEL:
        logger.setLevel(_SESSION_LEVEL)
    xoxe.enable_logging(logger, level=_SESSION_LEVEL)


@pytest.fixture(scope="session", autouse=True)
def xoxe_log_to_stderr() -> Iterator[None]:
    """XOXE_LOG's lines on standard error from the first test to the last."""
    restore_logging()
    yield
    xoxe.disable_logging()


@pytest.fixture(autouse=True)
def _logging_restored(xoxe_log_to_stderr: None) -> Iterator[None]:
    """Whatever a test did with the logger, the next one starts with the session's."""
    yield
    restore_logging()


#: The session fake Slack's token lifetime (fake-slack's default).
DEFAULT_TTL = 43200


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: Secret


class FakeSlack:
    """A running fake Slack and its control interface."""

    def __init__(self, ready: dict[str, Any], proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.port: int = ready["port"]
        self.base_url: str = ready["base_url"]
        self.control_url: str = ready["control_url"]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    # -- credentials (fresh for every test: tokens are single-use) --
    def new_app(self, rotation_enabled: bool = True) -> App:
        r = self.control("POST", "apps", {"rotation_enabled": rotation_enabled})
        return App(r["client_id"], Secret(r["client_secret"]))

    def new_legacy_token(self, app: App, kind: str = "bot") -> Secret:
        r = self.control("POST", "legacy_tokens", {"client_id": app.client_id, "kind": kind})
        return Secret(r["token"])

    def new_config_refresh_token(self, ttl: int | None = None) -> Secret:
        body: dict[str, Any] = {} if ttl is None else {"ttl": ttl}
        r = self.control("POST", "config_tokens", body)
        return Secret(r["refresh_token"])

    def new_config_pair(self) -> dict[str, Any]:
        r = self.control("POST", "config_tokens", {})
        return {k: Secret(v) if k in ("token", "refresh_token") else v for k, v in r.items()}

    @contextlib.contextmanager
    def token_ttl(self, seconds: int) -> Iterator[None]:
        """Tokens the fake issues inside the ``with`` live ``seconds`` (then its default,
        DEFAULT_TTL, again)."""
        self.control("POST", "ttl", {"ttl": seconds})
        try:
            yield
        finally:
            self.control("POST", "ttl", {"ttl": DEFAULT_TTL})

    # -- faults and counters --
    def fault(self, method: str, kind: str, count: int = 1, **extra: Any) -> None:
        self.control("POST", "faults", {"method": method, "kind": kind, "count": count, **extra})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def reset(self) -> None:
        self.control("POST", "reset", {})

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def requests(self, method: str) -> int:
        return int(self.stats()["requests"].get(method, 0))


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    binary = os.environ.get("XOXE_FAKE_SLACK") or str(ROOT / "target" / "release" / "fake-slack")
    if not Path(binary).is_file():
        pytest.fail(f"fake Slack not found at {binary}: run `cargo build --release --workspace`")
    with tempfile.TemporaryDirectory(prefix="xoxe-py-") as tmp:
        ready_file = Path(tmp) / "ready.json"
        args = [binary, "--ready-file", str(ready_file)]
        issued = os.environ.get("XOXE_ISSUED_TOKENS")
        if issued:
            args += ["--issued-tokens-file", issued]
        log = open(Path(tmp) / "server.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not (ready_file.exists() and ready_file.stat().st_size > 0):
                if proc.poll() is not None:
                    pytest.fail(f"fake Slack exited with {proc.returncode} before it was ready")
                if time.monotonic() > deadline:
                    pytest.fail("fake Slack did not become ready within 60 s")
                time.sleep(0.05)
            yield FakeSlack(json.loads(ready_file.read_text()), proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


@pytest.fixture
def slack(fake_slack: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack with faults cleared before and after the test."""
    fake_slack.clear_faults()
    yield fake_slack
    fake_slack.clear_faults()


@pytest.fixture
def client(slack: FakeSlack) -> Iterator[xoxe.Client]:
    with xoxe.Client(slack.base_url, timeout=60, max_ratelimit_retries=0) as c:
        yield c


@pytest.fixture
def app(slack: FakeSlack) -> App:
    return slack.new_app()


# ---- the fleet stores' databases (scripts/test-db.sh) ------------------------------

#: The databases a fleet store can live in, and the variables holding their URLs.
DB_URL_VARIABLES = {
    "postgres": "XOXE_TEST_POSTGRES_URL",
    "redis": "XOXE_TEST_REDIS_URL",
    "redis-unix": "XOXE_TEST_REDIS_UNIX_URL",
}
FLEET_KINDS = tuple(DB_URL_VARIABLES)
#: Every kind of store ``make_store`` makes; SHARED_KINDS: those two store objects can
#: share one chain through (two processes, or two machines).
STORE_KINDS = ("memory", "file", *FLEET_KINDS)
SHARED_KINDS = ("file", *FLEET_KINDS)


@dataclass(frozen=True)
class Database:
    """One throwaway database. ``url`` holds its password: never print it."""

    name: str  # postgres, redis or redis-unix
    url: Secret

    @property
    def password(self) -> Secret:
        """The password in the URL (``pass=`` for a unix socket, else the userinfo's)."""
        parts = urllib.parse.urlsplit(self.url.get_secret_value())
        query = urllib.parse.parse_qs(parts.query)
        return Secret(query["pass"][0] if "pass" in query else urllib.parse.unquote(parts.password or ""))

    def store(self, chain: str) -> xoxe.Store:
        """A new store object (its own connection) for ``chain`` in this database."""
        cls = xoxe.PostgresStore if self.name == "postgres" else xoxe.RedisStore
        return cls(self.url, chain=chain)


def _read_env(path: Path) -> dict[str, str]:
    """``export KEY='VALUE'`` lines (scripts/test-db.sh writes DIR/env)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            found[key] = value
    return found


def database_environment() -> dict[str, str]:
    """The servers' URLs: from the environment (``make test`` exports them), else from
    ``$XOXE_TEST_DB_DIR/env``, else from servers started (or found running) now under
    ``<repo>/build/db`` by ``scripts/test-db.sh start``."""
    if all(os.environ.get(v) for v in DB_URL_VARIABLES.values()):
        return {v: os.environ[v] for v in DB_URL_VARIABLES.values()}
    given = os.environ.get("XOXE_TEST_DB_DIR")
    directory = Path(given) if given else ROOT / "build" / "db"
    if not given:
        started = subprocess.run([str(ROOT / "scripts" / "test-db.sh"), "start", str(directory)])
        if started.returncode != 0:
            pytest.fail(f"scripts/test-db.sh start {directory} failed (exit {started.returncode}); see above")
    env_file = directory / "env"
    if not env_file.is_file():
        pytest.fail(f"{env_file} is missing: start the servers with scripts/test-db.sh start {directory}")
    return _read_env(env_file)


@pytest.fixture(scope="session")
def databases() -> dict[str, Database]:
    """The throwaway PostgreSQL, Redis (TCP) and Redis (unix socket), by name."""
    env = database_environment()
    missing = [v for v in DB_URL_VARIABLES.values() if not env.get(v)]
    if missing:
        pytest.fail(f"the test servers' environment lacks {missing}")
    return {name: Database(name, Secret(env[var])) for name, var in DB_URL_VARIABLES.items()}


def unique_chain(label: str = "py") -> str:
    """A chain name no other test, run or process uses."""
    return f"{label}-{uuid.uuid4().hex}"


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each kind of store in turn (a test narrows it with its own parametrize)."""
    return str(request.param)


@pytest.fixture
def make_store(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], xoxe.Store]:
    """Makes stores of ``store_kind``; every one it makes holds the same chain (one file,
    one chain name unique to the test), each a new object (for a database, with its own
    connection), except that a memory store can only be one object (``SHARED_KINDS``
    lists the others)."""
    if store_kind == "memory":
        memory = xoxe.MemoryStore()
        return lambda: memory
    if store_kind == "file":
        path = tmp_path / "pair.json"
        return lambda: xoxe.FileStore(path, lock_timeout=60)
    db: Database = request.getfixturevalue("databases")[store_kind]
    chain = unique_chain(request.node.name.split("[")[0][-80:])
    return lambda: db.store(chain)
