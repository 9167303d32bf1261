"""xoxe.enable_logging / disable_logging: the library's log lines in Python's logging.

The lines themselves (what is logged, the redaction) come from the Rust core; these
tests check that each kind arrives at the right level, that no token ever does, that
the callback copes with many threads, and that turning it off and on again works.
``make test`` runs with ``XOXE_LOG=debug``: conftest routes xoxe's lines to standard error
for the whole session, and every test here that swaps or disables the logger puts that one
back when it is done (``restore_logging``), so the tests after this module still log.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import xoxe
from conftest import App, FakeSlack, restore_logging

LOGGER = "xoxe"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """xoxe's lines at DEBUG into caplog; the session's logging afterwards."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    xoxe.enable_logging()
    try:
        yield caplog
    finally:
        restore_logging()


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def _auth_ok(caplog: pytest.LogCaptureFixture) -> int:
    """How many `auth.test` requests were logged as answered."""
    return sum("auth.test: HTTP 200 ok" in line for line in _lines(caplog, logging.DEBUG))


def _has(caplog: pytest.LogCaptureFixture, level: int, needle: str) -> bool:
    return any(needle in line for line in _lines(caplog, level))


def _issued_secrets() -> set[str]:
    path = os.environ.get("XOXE_ISSUED_TOKENS")
    if not path or not Path(path).is_file():
        return set()
    return {line.strip() for line in Path(path).read_text().splitlines() if line.strip()}


def _assert_no_secret(caplog: pytest.LogCaptureFixture, *known: xoxe.Secret) -> None:
    secrets = _issued_secrets() | {s.get_secret_value() for s in known}
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, f"{len(leaked)} token(s) appear in a log record"


def test_request_rate_limit_rotation_unknown_outcome_dead_chain(
    logs: pytest.LogCaptureFixture, slack: FakeSlack
) -> None:
    refresh = slack.new_config_refresh_token()
    with xoxe.Client(slack.base_url, timeout=30, max_ratelimit_retries=2) as client:
        with xoxe.MemoryStore() as store:
            store.init(refresh)
            rotator = xoxe.Rotator.config(client, store)
            # A rotation (info), its request (debug), after one rate-limited answer (info).
            slack.fault("tooling.tokens.rotate", "ratelimited", retry_after=0)
            token = rotator.get()
            assert _has(logs, logging.DEBUG, "tooling.tokens.rotate: HTTP 200 ok")
            assert _has(logs, logging.INFO, "tooling.tokens.rotate: rate limited; waiting 0 s (retry 1 of 2)")
            assert _has(logs, logging.INFO, "rotating the Config chain")
            assert _has(logs, logging.INFO, "saved generation 1")
            client.auth_test(token.token)
            assert _has(logs, logging.DEBUG, "auth.test: HTTP 200 ok")
            # Rotation applied, answer lost: an unknown outcome (warn).
            slack.fault("tooling.tokens.rotate", "drop_after_apply")
            with pytest.raises(xoxe.OutcomeUnknownError):
                rotator.force_rotate()
            assert _has(logs, logging.WARNING, "outcome unknown")
            # The stored refresh token was spent: the chain is dead (error).
            with pytest.raises(xoxe.ChainDeadError):
                rotator.force_rotate()
            assert _has(logs, logging.ERROR, "is dead")
            rotator.close()
    assert {r.levelno for r in logs.records if r.name == LOGGER} == {
        logging.DEBUG,
        logging.INFO,
        logging.WARNING,
        logging.ERROR,
    }
    _assert_no_secret(logs, refresh, token.token)


def test_exchange_and_refresh_lines_hold_no_secret(logs: pytest.LogCaptureFixture, slack: FakeSlack, app: App) -> None:
    legacy = slack.new_legacy_token(app)
    with xoxe.Client(slack.base_url, timeout=30) as client:
        pair = client.oauth_v2_exchange(app.client_id, app.client_secret, legacy)
        fresh = client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token)
        with pytest.raises(xoxe.InvalidRefreshTokenError):
            client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token)
        client.call("auth.test", fresh.access_token)
    assert _has(logs, logging.DEBUG, "oauth.v2.exchange: HTTP 200 ok")
    assert _has(logs, logging.DEBUG, "oauth.v2.access: HTTP 200 ok")
    assert _has(logs, logging.DEBUG, "invalid_refresh_token")
    _assert_no_secret(
        logs,
        legacy,
        app.client_secret,
        pair.access_token,
        pair.refresh_token,
        fresh.access_token,
        fresh.refresh_token,
    )


def test_eight_threads_log_at_once(logs: pytest.LogCaptureFixture, slack: FakeSlack) -> None:
    pair = slack.new_config_pair()
    calls, threads_n = 25, 8
    start = threading.Barrier(threads_n)
    failures: list[BaseException] = []

    with xoxe.Client(slack.base_url, timeout=30) as client:

        def work() -> None:
            try:
                start.wait()
                for _ in range(calls):
                    client.auth_test(pair["token"])
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=work) for _ in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not failures
    records = [r for r in logs.records if r.name == LOGGER and "auth.test: HTTP 200 ok" in r.getMessage()]
    assert len(records) == calls * threads_n
    # Each line was logged on the thread that made the call.
    assert {r.thread for r in records} == {t.ident for t in threads}
    _assert_no_secret(logs, pair["token"], pair["refresh_token"])


def test_disable_stops_the_lines_and_enable_again_works(caplog: pytest.LogCaptureFixture, slack: FakeSlack) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    pair = slack.new_config_pair()
    with xoxe.Client(slack.base_url, timeout=30) as client:
        xoxe.enable_logging()
        client.auth_test(pair["token"])
        assert _auth_ok(caplog) == 1
        xoxe.disable_logging()
        client.auth_test(pair["token"])
        assert _auth_ok(caplog) == 1, "a line arrived after disable_logging()"
        xoxe.disable_logging()  # twice is fine
        try:
            xoxe.enable_logging()
            client.auth_test(pair["token"])
            assert _auth_ok(caplog) == 2
        finally:
            restore_logging()


def test_another_logger_replaces_the_first(slack: FakeSlack) -> None:
    pair = slack.new_config_pair()
    seen = {"first": [], "second": []}  # type: dict

    class Collect(logging.Handler):
        def __init__(self, into: list) -> None:
            super().__init__(logging.DEBUG)
            self.into = into

        def emit(self, record: logging.LogRecord) -> None:
            self.into.append(record.getMessage())

    loggers = []
    for name in ("first", "second"):
        lg = logging.getLogger(f"xoxe-test-{name}")
        lg.propagate = False
        lg.setLevel(logging.DEBUG)
        lg.addHandler(Collect(seen[name]))
        loggers.append(lg)
    with xoxe.Client(slack.base_url, timeout=30) as client:
        try:
            assert xoxe.enable_logging(loggers[0]) is loggers[0]
            client.auth_test(pair["token"])
            xoxe.enable_logging(loggers[1])
            client.auth_test(pair["token"])
        finally:
            restore_logging()
    assert len(seen["first"]) == 1 and len(seen["second"]) == 1


def test_levels_the_logger_drops_are_not_sent(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    """max_level follows the logger's threshold and `level`: Rust does not even build
    the lines nobody would see (the callback is never called for them)."""
    pair = slack.new_config_pair()
    calls: list[int] = []

    lg = logging.getLogger("xoxe-test-counting")
    lg.propagate = False
    monkeypatch.setattr(lg, "log", lambda level, msg, *a, **k: calls.append(level))
    lg.setLevel(logging.INFO)
    with xoxe.Client(slack.base_url, timeout=30) as client:
        try:
            xoxe.enable_logging(lg)
            client.auth_test(pair["token"])  # a debug line: filtered in Rust
            assert calls == []
            lg.setLevel(logging.DEBUG)
            xoxe.enable_logging(lg, level=logging.WARNING)  # `level` limits too
            client.auth_test(pair["token"])
            assert calls == []
            xoxe.enable_logging(lg)
            client.auth_test(pair["token"])
            assert calls == [logging.DEBUG]
        finally:
            restore_logging()


def test_an_exception_in_a_handler_stays_in_python(caplog: pytest.LogCaptureFixture, slack: FakeSlack) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    pair = slack.new_config_pair()
    logger = logging.getLogger(LOGGER)
    raised = []

    def explode(record: logging.LogRecord) -> bool:
        raised.append(record.getMessage())
        raise RuntimeError("a broken filter")

    logger.addFilter(explode)
    with xoxe.Client(slack.base_url, timeout=30) as client:
        try:
            xoxe.enable_logging()
            ident = client.auth_test(pair["token"])  # the call itself is unaffected
            assert ident.user_id
            assert len(raised) == 1
            logger.removeFilter(explode)
            client.auth_test(pair["token"])
            assert _auth_ok(caplog) == 1  # and logging goes on
        finally:
            logger.removeFilter(explode)
            restore_logging()


def test_a_handler_may_not_change_the_logger(caplog: pytest.LogCaptureFixture, slack: FakeSlack) -> None:
    """Calling xoxe_set_logger from inside the callback would deadlock: refused."""
    pair = slack.new_config_pair()
    errors: list[BaseException] = []

    class Reconfigure(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                xoxe.disable_logging()
            except RuntimeError as exc:
                errors.append(exc)

    lg = logging.getLogger("xoxe-test-reconfigure")
    lg.propagate = False
    lg.setLevel(logging.DEBUG)
    lg.addHandler(Reconfigure())
    with xoxe.Client(slack.base_url, timeout=30) as client:
        try:
            xoxe.enable_logging(lg)
            client.auth_test(pair["token"])
        finally:
            restore_logging()
    assert len(errors) == 1 and "inside a xoxe log handler" in str(errors[0])


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        xoxe.enable_logging("xoxe")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.enable_logging(level="DEBUG")  # type: ignore[arg-type]


def test_the_session_logger_comes_back_after_a_logger_test(
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What every test after a logger test relies on (audit 1.1): restore_logging()
    re-installs XOXE_LOG's stderr logger, lines in the library's own format."""
    import conftest

    monkeypatch.setattr(conftest, "_SESSION_LEVEL", logging.DEBUG)  # as under `make test`
    pair = slack.new_config_pair()
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    with xoxe.Client(slack.base_url, timeout=30) as client:
        xoxe.disable_logging()  # what a logger test leaves behind
        client.auth_test(pair["token"])
        assert _auth_ok(caplog) == 0
        restore_logging()
        client.auth_test(pair["token"])
    assert _auth_ok(caplog) == 1, "the session's logger is back"
    err = capfd.readouterr().err
    assert err.count("[xoxe debug] auth.test: HTTP 200 ok") == 1, "one line on stderr, the library's format"
    _assert_no_secret(caplog, pair["token"], pair["refresh_token"])
