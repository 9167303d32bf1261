"""PostgresStore and RedisStore against the throwaway servers (conftest ``databases``):
rotators on separate connections sharing one chain, what a down server, a wrong password
or a bad chain name raise (never showing the password), repr/close/with as for
FileStore, and what CHAIN_DEAD and OUTCOME_UNKNOWN mean on a shared chain (README "A
fleet"). Each test has a chain of its own (conftest.unique_chain), so runs never collide.

The URLs hold the servers' password: they stay ``Secret`` and no assertion prints a
text that might hold one (``_leaks`` reports indexes only).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import xoxe
from conftest import FLEET_KINDS, Database, FakeSlack, restore_logging, unique_chain
from xoxe import Secret, Status

ROTATE = "tooling.tokens.rotate"
LOGGER = "xoxe"


@pytest.fixture(params=FLEET_KINDS)
def db(request: pytest.FixtureRequest, databases: dict[str, Database]) -> Database:
    """Each database in turn: PostgreSQL, Redis over TCP, Redis over a unix socket."""
    return databases[str(request.param)]


@pytest.fixture
def xoxe_lines(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The library's log lines at every level, into caplog; the session's logging after."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    xoxe.enable_logging()
    try:
        yield caplog
    finally:
        restore_logging()


def _cls(db: Database) -> type[xoxe.PostgresStore] | type[xoxe.RedisStore]:
    return xoxe.PostgresStore if db.name == "postgres" else xoxe.RedisStore


def _renderings(obj: Any) -> list[str]:
    out = [repr(obj), str(obj), f"{obj}"]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out.append(repr(dataclasses.asdict(obj)))
    if isinstance(obj, BaseException):
        out += [repr(obj.args), "".join(traceback.format_exception(type(obj), obj, obj.__traceback__))]
        out += [str(v) for k, v in vars(obj).items() if k != "response_json"]  # that one may hold tokens
    return out


def _leaks(texts: Iterable[str], secrets: Iterable[Secret]) -> list[str]:
    """Which texts contain a secret: by index only, never by content."""
    values = [s.get_secret_value() for s in secrets]
    assert all(len(v) >= 8 for v in values), "a short secret would make this check vacuous"
    return [f"text #{i} holds secret #{j}" for i, t in enumerate(texts) for j, v in enumerate(values) if v in t]


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [caplog.text] + [r.getMessage() for r in caplog.records]


def _seeded(db: Database, slack: FakeSlack) -> tuple[str, xoxe.Store]:
    chain = unique_chain("fleet")
    store = db.store(chain)
    store.init(slack.new_config_refresh_token())
    return chain, store


# ---- two rotators, two connections, one chain ---------------------------------------


def test_two_rotators_on_separate_connections_rotate_once_and_hand_out_one_token(
    db: Database, slack: FakeSlack
) -> None:
    """Two replicas: each its own client, store object (connection) and rotator, asking
    at the same moment for a token of a chain that was never rotated. One rotation at
    Slack, one token for both, and a third replica reads it from the database."""
    chain, seed = _seeded(db, slack)
    seed.close()
    before = slack.stats()
    clients = [xoxe.Client(slack.base_url, timeout=60) for _ in range(2)]
    rotators = [xoxe.Rotator.config(c, db.store(chain), wait_timeout=60) for c in clients]
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def work(i: int) -> None:
        try:
            start.wait(timeout=60)
            results[i] = rotators[i].get()
        except BaseException as exc:  # xoxe errors hold no secret
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not any(t.is_alive() for t in threads)
        errors = [repr(r) for r in results if not isinstance(r, xoxe.AccessToken)]
        assert not errors, errors
        a, b = results
        assert a == b, "both replicas hand out the one token"
        after = slack.stats()
        assert after["rotations"] - before["rotations"] == 1, "one rotation for the fleet"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
        assert clients[0].auth_test(a.token).user_id
        with xoxe.Rotator.config(clients[1], db.store(chain)) as third:
            requests = sum(slack.stats()["requests"].values())
            assert third.current() == a, "saved in the database before it was handed out"
            assert third.get() == a
            assert sum(slack.stats()["requests"].values()) == requests, "a fresh token costs no request"
        # A forced rotation on one replica is seen by the other through the database.
        forced = rotators[0].force_rotate()
        assert forced.token != a.token
        assert rotators[1].force_rotate() == forced, "the other replica adopted it instead of rotating again"
        assert slack.stats()["rotations"] - before["rotations"] == 2
        assert clients[1].auth_test(forced.token).user_id
    finally:
        for r in rotators:
            r.close()
        for c in clients:
            c.close()


def test_two_fleet_chains_in_one_database_are_independent(db: Database, slack: FakeSlack) -> None:
    chain_a, store_a = _seeded(db, slack)
    chain_b, store_b = _seeded(db, slack)
    with xoxe.Client(slack.base_url, timeout=60) as client:
        a = xoxe.Rotator.config(client, store_a).get()
        b = xoxe.Rotator.config(client, store_b).get()
        assert a.token != b.token
        assert xoxe.Rotator.config(client, db.store(chain_a)).current() == a
        assert xoxe.Rotator.config(client, db.store(chain_b)).current() == b
        with pytest.raises(xoxe.StoreEmptyError) as empty:
            xoxe.Rotator.config(client, db.store(unique_chain("empty"))).get()
    assert "chain empty-" in empty.value.message, "the message names the chain"


# ---- failures that never show the password ------------------------------------------


def _down_url(db: Database, password: str) -> str:
    """A URL of this kind where nothing listens (port 9, discard; a missing socket)."""
    if db.name == "postgres":
        return f"postgresql://xoxe:{password}@127.0.0.1:9/xoxe_test"
    if db.name == "redis":
        return f"redis://:{password}@127.0.0.1:9/0"
    return f"redis+unix:///nonexistent/xoxe-test/redis.sock?db=0&pass={password}"


def test_a_wrong_password_or_a_down_server_is_store_io_without_the_password(
    db: Database, xoxe_lines: pytest.LogCaptureFixture
) -> None:
    real = db.password
    wrong = Secret(f"wrong{uuid.uuid4().hex}")
    made_up = Secret(f"s3cret{uuid.uuid4().hex}")
    texts: list[str] = []
    cases = [
        db.url.get_secret_value().replace(real.get_secret_value(), wrong.get_secret_value()),
        _down_url(db, made_up.get_secret_value()),
    ]
    for i, url in enumerate(cases):
        for given in (url, Secret(url)):
            started = time.monotonic()
            with pytest.raises(xoxe.StoreIoError) as info:
                _cls(db)(given, chain=unique_chain("refused"))
            assert time.monotonic() - started < 30, f"case {i}: the failure took too long"
            e = info.value
            assert e.code is Status.STORE_IO and e.family is xoxe.StatusFamily.STORE, (i, e.code)
            assert isinstance(e, xoxe.StoreError) and e.__cause__ is None
            assert "***" in e.message, f"case {i}: the message names the redacted URL"
            assert ("PostgreSQL store" if db.name == "postgres" else "Redis store") in e.message
            texts += _renderings(e)
    texts += _logged(xoxe_lines)
    leaks = _leaks(texts, [real, wrong, made_up])
    assert not leaks, leaks


def test_a_bad_chain_name_is_a_usage_error(db: Database) -> None:
    # The name is checked before anything connects: the same with a server that is down.
    for url in (db.url, Secret(_down_url(db, f"s3cret{uuid.uuid4().hex}"))):
        for bad in ["", "a b", "x{y}", "tab\there", "é", "a" * 201, "slash/no"]:
            with pytest.raises(xoxe.UsageError) as info:
                _cls(db)(url, chain=bad)
            assert info.value.code is Status.INVALID_ARGUMENT, (bad, info.value.code)
            assert "chain names are 1 to 200 characters" in info.value.message
        with pytest.raises(ValueError):
            _cls(db)(url, chain="nul\0byte")  # refused by the binding: C strings cannot carry it
    # The longest name and every punctuation allowed.
    for good in ["a" * 200, f"E1:T2:B3.x-y_z@{uuid.uuid4().hex}"]:
        with _cls(db)(db.url, chain=good) as store:
            assert store.chain == good
    with pytest.raises(TypeError):
        _cls(db)(db.url, chain=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _cls(db)(42)  # type: ignore[arg-type]


def test_a_url_of_another_kind_is_a_usage_error_without_the_password(db: Database) -> None:
    other = "redis://:{}@127.0.0.1:9/0" if db.name == "postgres" else "postgresql://xoxe:{}@127.0.0.1:9/db"
    password = Secret(f"s3cret{uuid.uuid4().hex}")
    texts: list[str] = []
    for url in (other.format(password.get_secret_value()), "not a url", f"{password.get_secret_value()}"):
        with pytest.raises(xoxe.UsageError) as info:
            _cls(db)(Secret(url))
        assert info.value.code is Status.INVALID_ARGUMENT
        texts += _renderings(info.value)
    assert not _leaks(texts, [password])


# ---- repr, close, with: as FileStore -------------------------------------------------


def test_repr_close_and_with_behave_like_file_store(db: Database, slack: FakeSlack) -> None:
    cls = _cls(db)
    chain = unique_chain("repr")
    store = cls(db.url, chain=chain)
    assert isinstance(store, xoxe.Store) and store.chain == chain
    assert repr(store) == f"<xoxe.{cls.__name__} chain={chain!r}>"
    default = cls(db.url)  # connects; stores nothing until init
    assert default.chain == "default"
    assert repr(default) == f"<xoxe.{cls.__name__} chain='default'>"
    default.close()
    texts = [*_renderings(store), repr(vars(store))]
    assert not _leaks(texts, [db.password]), "repr shows the chain, never the URL's password"
    assert "127.0.0.1" not in repr(store) and "sock" not in repr(store), "nor the URL at all"

    store.init(slack.new_config_refresh_token())
    with xoxe.Client(slack.base_url, timeout=60) as client:
        rotator = xoxe.Rotator.config(client, store)
        store.close()
        assert store.closed and repr(store) == f"<xoxe.{cls.__name__} chain={chain!r} closed>"
        store.close()  # idempotent
        with pytest.raises(ValueError):
            store.init(slack.new_config_refresh_token(), overwrite=True)
        with pytest.raises(ValueError):
            xoxe.Rotator.config(client, store)
        # A rotator keeps the library's store (and its connection) alive.
        token = rotator.get()
        assert client.auth_test(token.token).user_id
        rotator.close()

        with cls(Secret(db.url.get_secret_value()), chain) as again:
            assert not again.closed
            assert xoxe.Rotator.config(client, again).current() == token
        assert again.closed
        with pytest.raises(ValueError):
            xoxe.Rotator.config(client, again)


# ---- CHAIN_DEAD and OUTCOME_UNKNOWN on a shared chain --------------------------------


def test_an_unknown_outcome_leaves_a_marker_the_next_holder_waits_out_then_reports_the_chain_dead(
    db: Database, slack: FakeSlack, xoxe_lines: pytest.LogCaptureFixture
) -> None:
    """README "A fleet": a rotation whose answer was lost (drop_after_apply: Slack applied
    it) is OUTCOME_UNKNOWN and leaves its in-flight marker in the database for the
    rotator's call timeout; the next holder waits that out, then tries the stored refresh
    token once: it was spent, so the chain is dead, and the message says when and by
    whom it was last rotated and which rotation never saved. The operator issues a new
    token and initialises the chain again."""
    chain, store = _seeded(db, slack)
    holder = f"/{os.getpid()}"  # host/pid of this process
    with xoxe.Client(slack.base_url, timeout=60) as client:
        a = xoxe.Rotator.config(client, store, call_timeout=2)
        first = a.get()  # saved with rotated_at / rotated_by
        before = slack.stats()
        slack.fault(ROTATE, "drop_after_apply")
        with pytest.raises(xoxe.OutcomeUnknownError) as unknown:
            a.force_rotate()
        assert slack.requests(ROTATE) == before["requests"][ROTATE] + 1, "never retried"
        assert unknown.value.cause in (Status.NETWORK, Status.BAD_RESPONSE)
        assert a.current() == first, "the old pair is kept"

        b = xoxe.Rotator.config(client, db.store(chain), call_timeout=2)
        started = time.monotonic()
        with pytest.raises(xoxe.ChainDeadError) as dead:
            b.force_rotate()
        waited = time.monotonic() - started
        assert waited >= 1.0, f"the marker was not waited out ({waited:.2f} s)"
        e = dead.value
        assert e.code is Status.CHAIN_DEAD and e.cause is Status.INVALID_REFRESH_TOKEN
        assert "issue a new token" in e.message
        assert "it was last rotated at " in e.message
        assert e.message.count(holder) >= 2, "names the last rotation's and the lost one's host/pid"
        assert "never saved" in e.message
        assert f"chain {chain}" in e.message
        after = slack.stats()
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"] + 1, "one attempt, not a loop"
        assert after["rotations"] == before["rotations"] + 1
        # The operator's way out: a new token, initialised over the dead chain (what
        # `xoxe init --force` does). The replicas need no restart: each takes the new
        # chain from the database at its next rotation.
        store.init(slack.new_config_refresh_token(), overwrite=True)
        renewed = b.force_rotate()
        assert client.auth_test(renewed.token).user_id
        assert a.force_rotate() == renewed, "the other replica adopted the new chain's pair"
        assert slack.stats()["refresh_token_reuses"] == after["refresh_token_reuses"]
        a.close()
        b.close()
    texts = _renderings(unknown.value) + _renderings(e) + _logged(xoxe_lines)
    assert any("is dead" in r.getMessage() for r in xoxe_lines.records)
    assert any("has not saved; waiting" in r.getMessage() for r in xoxe_lines.records)
    assert not _leaks(texts, [db.password])


def test_an_undecodable_answer_is_outcome_unknown_and_response_json_holds_the_new_pair(
    db: Database, slack: FakeSlack
) -> None:
    """Slack applied the rotation and answered ok:true with a body that does not decode
    (wrong_shape: its numbers mistyped, its tokens intact). OUTCOME_UNKNOWN, and the
    error's response_json is that body: the only copy of the new refresh token, from
    which an operator can start the chain again without issuing a new token."""
    chain, store = _seeded(db, slack)
    with xoxe.Client(slack.base_url, timeout=60) as client:
        with xoxe.Rotator.config(client, store, call_timeout=2) as rotator:
            slack.fault(ROTATE, "wrong_shape", apply=True)
            with pytest.raises(xoxe.OutcomeUnknownError) as info:
                rotator.get()
        e = info.value
        assert e.cause is Status.BAD_RESPONSE
        assert e.response_json is not None, "the undecodable answer is kept"
        body = json.loads(e.response_json)
        rescued = Secret(body["refresh_token"])
        assert body["ok"] is True and rescued.get_secret_value().startswith("xoxe-1-")
        assert not _leaks(_renderings(e), [rescued, Secret(body["token"])]), "str/repr never show it"
        before = slack.stats()
        store.init(rescued, overwrite=True)
        with xoxe.Rotator.config(client, db.store(chain)) as again:
            token = again.get()
        assert client.auth_test(token.token).user_id
        after = slack.stats()
        assert after["rotations"] == before["rotations"] + 1, "the rescued refresh token was live"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
