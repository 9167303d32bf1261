"""The cross-language fault matrix, Python side.

Reads ``tests/matrix/matrix.json`` and runs every (fault, method) cell against the fake
Slack with fresh credentials: the exception must be the class mapped to the expected
status, with the expected ``cause``, ``http_status``, ``retry_after`` and ``slack_error``;
nothing may be returned on failure; and the client must still work afterwards. In every
cell, ``str(e)``, ``repr(e)`` and the library's log lines (captured at DEBUG) must hold no
secret of the request (its tokens, the client secret) and no control character; for the
echo rows, ``e.slack_error`` must be exactly what the hostile server echoed (it is
server-controlled, and never recorded raw). Results go to ``$XOXE_MATRIX_DIR`` (default
``<repo>/build/matrix``) as ``python.jsonl``.

TLS rows use a second fake Slack started here with ``--tls-ca-file``. Nothing here
prints a token: credentials are wrapped in ``xoxe.Secret`` as they arrive.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import conftest
import pytest
import xoxe
from conftest import ROOT, FakeSlack, restore_logging

MATRIX_PATH = ROOT / "tests" / "matrix" / "matrix.json"
MATRIX: dict[str, Any] = json.loads(MATRIX_PATH.read_text())
METHODS: list[dict[str, Any]] = MATRIX["methods"]
FAULTS: list[dict[str, Any]] = MATRIX["faults"]
ROWS = {f["id"]: f for f in FAULTS}
SLACK_METHOD = {m["id"]: m["slack_method"] for m in METHODS}
CELLS = [(f["id"], m["id"]) for f in FAULTS for m in METHODS]
MANIFEST = {"manifest": json.dumps({"display_information": {"name": "matrix"}})}


def _out_path() -> Path:
    base = os.environ.get("XOXE_MATRIX_DIR")
    return Path(base) if base else ROOT / "build" / "matrix"


@pytest.fixture(scope="module")
def results() -> Iterator[Any]:
    out = _out_path()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "python.jsonl", "w", encoding="utf-8") as f:
        yield f


@pytest.fixture(scope="module")
def tls_slack() -> Iterator[tuple[FakeSlack, str, Path]]:
    """A second fake Slack that also serves HTTPS; yields it, its https base URL and its CA."""
    binary = os.environ.get("XOXE_FAKE_SLACK") or str(ROOT / "target" / "release" / "fake-slack")
    with tempfile.TemporaryDirectory(prefix="xoxe-py-matrix-") as tmp:
        ready = Path(tmp) / "ready.json"
        ca = Path(tmp) / "ca.pem"
        args = [binary, "--ready-file", str(ready), "--tls-ca-file", str(ca)]
        issued = os.environ.get("XOXE_ISSUED_TOKENS")
        if issued:
            args += ["--issued-tokens-file", issued]
        log = open(Path(tmp) / "server.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not (ready.exists() and ready.stat().st_size > 0):
                if proc.poll() is not None:
                    pytest.fail(f"the TLS fake Slack exited with {proc.returncode} before it was ready")
                if time.monotonic() > deadline:
                    pytest.fail("the TLS fake Slack did not become ready within 60 s")
                time.sleep(0.05)
            info = json.loads(ready.read_text())  # holds seeded secrets: never printed
            ready.unlink()
            yield FakeSlack(info, proc), info["tls_base_url"], ca
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _client(base_url: str, row: dict[str, Any] | None = None, ca: Path | None = None) -> xoxe.Client:
    opts = dict(MATRIX["client"])
    if row is not None:
        opts.update(row.get("client", {}))
    kwargs: dict[str, Any] = dict(
        timeout=opts["timeout_ms"] / 1000,
        connect_timeout=opts["connect_timeout_ms"] / 1000,
        max_ratelimit_retries=opts["max_ratelimit_retries"],
    )
    if "max_retry_wait_secs" in opts:  # otherwise the library's default
        kwargs["max_retry_wait"] = opts["max_retry_wait_secs"]
    if "max_response_bytes" in opts:
        kwargs["max_response_bytes"] = opts["max_response_bytes"]
    if ca is not None:
        kwargs["ca_bundle"] = ca
    return xoxe.Client(base_url, **kwargs)


class Clients:
    """Row clients (one per fault row) and set-up clients (one per server), closed at the end."""

    def __init__(self) -> None:
        self._all: dict[str, xoxe.Client] = {}

    def get(self, key: str, make: Any) -> xoxe.Client:
        if key not in self._all:
            self._all[key] = make()
        return self._all[key]

    def close(self) -> None:
        for c in self._all.values():
            c.close()


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    c = Clients()
    yield c
    c.close()


def _credentials(srv: FakeSlack, setup: xoxe.Client, method: str) -> dict[str, Any]:
    """Fresh credentials for one cell (tokens are single-use)."""
    if method in ("rotate", "auth_test", "call"):
        return srv.new_config_pair()
    app = srv.new_app()
    legacy = srv.new_legacy_token(app)
    creds: dict[str, Any] = {"app": app, "legacy": legacy}
    if method == "refresh":
        creds["refresh_token"] = setup.oauth_v2_exchange(app.client_id, app.client_secret, legacy).refresh_token
    return creds


def _invoke(client: xoxe.Client, method: str, creds: dict[str, Any]) -> Any:
    if method == "rotate":
        return client.tooling_tokens_rotate(creds["refresh_token"])
    if method == "exchange":
        app = creds["app"]
        return client.oauth_v2_exchange(app.client_id, app.client_secret, creds["legacy"])
    if method == "refresh":
        app = creds["app"]
        return client.oauth_v2_refresh(app.client_id, app.client_secret, creds["refresh_token"])
    if method == "auth_test":
        return client.auth_test(creds["token"])
    return client.call(SLACK_METHOD["call"], creds["token"], MANIFEST)


def _result_ok(method: str, result: Any) -> bool:
    """A success returned the method's result type, filled in."""
    if method == "rotate":
        return isinstance(result, xoxe.ConfigToken) and bool(result.token.get_secret_value())
    if method in ("exchange", "refresh"):
        return isinstance(result, xoxe.OAuthToken) and bool(result.access_token.get_secret_value())
    if method == "auth_test":
        return isinstance(result, xoxe.AuthTestResponse) and bool(result.team_id)
    return isinstance(result, xoxe.ApiResponse) and result.get("ok") is True


def _secrets(creds: dict[str, Any]) -> list[str]:
    """Every secret of a cell: the request's credentials and the pair they came with."""
    values = [creds.get(k) for k in ("token", "refresh_token", "legacy")]
    if "app" in creds:
        values.append(creds["app"].client_secret)
    return [v.get_secret_value() for v in values if isinstance(v, xoxe.Secret) and v.get_secret_value()]


def _holds_secret(text: str, secret: str) -> bool:
    """The whole secret, or any 16 characters of its random part (after its last ``-``),
    which is what a prefix-stripping echo leaves."""
    tail = secret.rsplit("-", 1)[-1]
    return secret in text or any(tail[i : i + 16] in text for i in range(len(tail) - 15))


def _text_problems(what: str, text: str, secrets: list[str]) -> list[str]:
    """The one check of a text the library produced during a cell (``str(e)``, ``repr(e)``,
    a log line): no secret of the request, no control character (< 0x20, 0x7f)."""
    problems = []
    if any(_holds_secret(text, s) for s in secrets):
        problems.append(f"{what} holds a secret of the request")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        problems.append(f"{what} holds a control character")
    return problems


def _echo_value(kind: str, method: str, creds: dict[str, Any]) -> str:
    """The ``error`` an ``echo_error`` fault of ``kind`` builds from this cell's request
    (fake-slack's ``Echo::value``): the credential is the refresh token if the request
    carries one, else its token."""
    key = {"rotate": "refresh_token", "refresh": "refresh_token", "exchange": "legacy"}.get(method, "token")
    credential = creds[key].get_secret_value()
    if kind == "credential_bare":
        return credential.rsplit("-", 1)[-1]
    if kind == "credential_ellipsis":
        return credential + "\u2026"
    if kind == "client_secret":
        app = creds.get("app")
        return "invalid_client:" + (app.client_secret.get_secret_value() if app else "")
    return credential


def _recorded_slack_error(raw: str | None, want: dict[str, Any], method: str, creds: dict[str, Any]) -> Any:
    """``slack_error`` as written to the results: ``{"echo": kind}`` when it is exactly the
    expected echo, withheld when it holds a secret, else the raw value."""
    expected = want.get("slack_error")
    if raw is not None and isinstance(expected, dict) and raw == _echo_value(expected["echo"], method, creds):
        return {"echo": expected["echo"]}
    if raw is not None and any(_holds_secret(raw, s) for s in _secrets(creds)):
        return "[withheld: it holds a secret of the request]"
    return raw


class _CellLog(logging.Handler):
    """Keeps every library line of a cell; passes the lines at the session's ``XOXE_LOG``
    level on to the ``xoxe`` logger (standard error, for the secret scan) as usual."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        session = conftest._SESSION_LEVEL
        if session is not None and record.levelno >= session:
            logging.getLogger("xoxe").handle(record)


@pytest.fixture
def cell_log() -> Iterator[_CellLog]:
    """The library's lines at DEBUG, whatever ``XOXE_LOG`` says, for one cell."""
    handler = _CellLog()
    # Not from logging.getLogger: an unregistered logger with no parent, so pytest's log
    # capture (which prints it with a failure) sees only the lines the session logs
    # anyway, which the handler passes on to the ``xoxe`` logger.
    logger = logging.Logger("xoxe-matrix-cell", logging.DEBUG)
    logger.addHandler(handler)
    xoxe.enable_logging(logger, level=logging.DEBUG)
    try:
        yield handler
    finally:
        restore_logging()


def _compare(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    if got["status"] != want["status"]:
        problems.append(f"status {got['status']}, expected {want['status']}")
    if "requests" in want and got["requests"] != want["requests"]:
        problems.append(f"{got['requests']} requests reached the server, expected {want['requests']}")
    if want["status"] == "ok":
        return problems
    for key in ("cause", "http_status", "retry_after", "slack_error"):
        if key in want and got.get(key) != want[key]:
            problems.append(f"{key} {got.get(key)!r}, expected {want[key]!r}")
    return problems


@pytest.mark.parametrize("fault_id,method", CELLS, ids=[f"{f}-{m}" for f, m in CELLS])
def test_matrix_cell(
    fault_id: str,
    method: str,
    fake_slack: FakeSlack,
    results: Any,
    clients: Clients,
    cell_log: _CellLog,
    request: Any,
) -> None:
    row = ROWS[fault_id]
    want = row["expect"][method]
    tls = row.get("server") == "tls"
    if tls:
        srv, tls_url, ca = request.getfixturevalue("tls_slack")
        base = tls_url
        row_ca: Path | None = ca if row.get("ca_bundle") else None
    else:
        srv, base, row_ca = fake_slack, fake_slack.base_url, None
    setup = clients.get(f"setup:{srv.base_url}", lambda: _client(srv.base_url))
    client = clients.get(f"row:{fault_id}", lambda: _client(base, row, row_ca))

    creds = _credentials(srv, setup, method)
    srv.clear_faults()
    if "fault" in row:
        srv.control("POST", "faults", {"method": SLACK_METHOD[method], **row["fault"]})
    before = srv.requests(SLACK_METHOD[method])
    secrets = _secrets(creds)
    problems: list[str] = []
    checks: list[str] = []  # what the secret and control-character checks found
    message = ""
    cell_log.lines.clear()  # the lines of this call only
    try:
        try:
            result = _invoke(client, method, creds)
        except xoxe.XoxeError as e:
            got: dict[str, Any] = {
                "status": xoxe.status_name(e.code),
                "cause": xoxe.status_name(e.cause),
                "http_status": e.http_status,
                "retry_after": e.retry_after,
                "slack_error": _recorded_slack_error(e.slack_error, want, method, creds),
            }
            checks += _text_problems("str(e)", str(e), secrets) + _text_problems("repr(e)", repr(e), secrets)
            leaked = any("secret" in c for c in checks)
            message = "[withheld: it holds a secret of the request]" if leaked else e.message
            if type(e) is not xoxe.exception_class_for(int(e.code)):
                problems.append(
                    f"raised {type(e).__name__}, not the mapped {xoxe.exception_class_for(int(e.code)).__name__}"
                )
        except BaseException as e:  # anything else is a failed cell
            got = {"status": f"exception:{type(e).__name__}"}
            problems.append(f"raised {type(e).__name__} (not an xoxe.XoxeError)")
        else:
            got = {"status": "ok"}
            if not _result_ok(method, result):
                problems.append(f"returned {type(result).__name__} without the expected content")
            del result
    finally:
        srv.clear_faults()
    checks += sorted({p for line in cell_log.lines for p in _text_problems("a library log line", line, secrets)})
    got["requests"] = srv.requests(SLACK_METHOD[method]) - before
    problems = _compare(want, got) + problems + checks

    # The library survives: a successful auth.test right after, with fresh credentials.
    if row.get("survival") == "plain_client":
        srv_s = fake_slack
        survivor = clients.get(f"setup:{fake_slack.base_url}", lambda: _client(fake_slack.base_url))
    else:
        srv_s, survivor = srv, client
    try:
        survivor.auth_test(srv_s.new_config_pair()["token"])
    except xoxe.XoxeError as e:
        problems.append(f"the client failed afterwards: {e.name}: {e.message}")

    passed = not problems
    line: dict[str, Any] = {"lang": "python", "fault": fault_id, "method": method, "expected": want, "got": got}
    line["pass"] = passed
    if checks:
        line["checks"] = "; ".join(checks)
    results.write(json.dumps(line) + "\n")
    results.flush()
    if not passed:
        pytest.fail(f"matrix cell {fault_id} x {method}: {'; '.join(problems)} (message: {message})", pytrace=False)
