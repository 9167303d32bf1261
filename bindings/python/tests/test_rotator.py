"""Rotator and stores against the fake Slack: single flight, persist first, no network
for a fresh token, unknown outcomes never retried, dead chains reported, a store
written in Python (compare-and-swap + lock) keeping a chain alive under concurrency.

The tests taking ``make_store`` hold for every kind of store (conftest.STORE_KINDS:
memory, file, PostgreSQL, Redis over TCP and over a unix socket), each on a chain of its own.

No timing bounds: every wait is generous and every check is on counts and state (the
one check on a token's remaining life is exact, in the rotator's whole seconds).
"""

from __future__ import annotations

import json
import re
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import HEADER, SHARED_KINDS, App, FakeSlack
from xoxe import Secret, Status

ROTATE = "tooling.tokens.rotate"
REFRESH = "oauth.v2.access"
DEFAULT_TTL = 43200  # the session server's token lifetime (fake-slack's default)


def _total_requests(slack: FakeSlack) -> int:
    return sum(int(v) for v in slack.stats()["requests"].values())


def _config_file_store(tmp_path: Path, slack: FakeSlack, name: str = "pair.json") -> xoxe.FileStore:
    store = xoxe.FileStore(tmp_path / name, lock_timeout=60)
    store.init(slack.new_config_refresh_token())
    return store


class DictBackend:
    """A compare-and-swap store in a dict, with a fleet-wide lock: stands for a
    database shared by several processes."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._fleet = threading.Lock()
        self._generation: int | None = None
        self._document: str | None = None
        self.saves = 0
        self.conflicts = 0

    def load(self) -> str | None:
        with self._mu:
            return self._document

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        with self._mu:
            if self._generation != expected_generation:
                self.conflicts += 1
                return False
            self._generation, self._document = new_generation, document
            self.saves += 1
            return True

    def lock(self) -> bool:
        return self._fleet.acquire(timeout=120)

    def unlock(self) -> None:
        self._fleet.release()


# ---- the ABI constants this module relies on --------------------------------------


def test_constants_match_the_header() -> None:
    text = HEADER.read_text()
    m = re.search(r"#define XOXE_MAX_TOKEN_LEN (\d+)", text)
    assert m and int(m.group(1)) == xoxe.MAX_TOKEN_LEN
    assert re.search(r"XOXE_CHAIN_KIND_CONFIG = 0,", text)
    assert re.search(r"XOXE_CHAIN_KIND_OAUTH = 1,", text)
    for name in ("xoxe_rotator_get", "xoxe_rotator_force_rotate", "xoxe_rotator_current"):
        assert re.search(
            name + r"\(const xoxe_rotator \*rotator,\s*char \*token_buf,\s*size_t buf_len,\s*"
            r"int64_t \*expires_at_out,\s*xoxe_error \*\*error_out\);",
            text,
        ), name  # the pointer-sized fast prototypes in _rotator.py assume this shape


# ---- single flight, persist first, fresh tokens without I/O -----------------------


def test_32_threads_cause_exactly_one_rotation(
    client: xoxe.Client, slack: FakeSlack, tmp_path: Path, store_kind: str, make_store: Callable[[], xoxe.Store]
) -> None:
    store = make_store()
    store.init(slack.new_config_refresh_token())
    path = tmp_path / "pair.json"
    is_file = store_kind == "file"
    assert not is_file or stat.S_IMODE(path.stat().st_mode) == 0o600
    before = slack.stats()
    results: list[Any] = []
    start = threading.Barrier(32)
    with xoxe.Rotator.config(client, store) as rotator:

        def work() -> None:
            try:
                start.wait(timeout=60)
                results.append(rotator.get())
            except BaseException as exc:  # reported below (no secrets in xoxe errors)
                results.append(exc)

        threads = [threading.Thread(target=work) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        assert len(results) == 32
        first = results[0]
        assert all(r.token == first.token for r in results), "every thread got the same token"
        after = slack.stats()
        assert after["rotations"] - before["rotations"] == 1, "one rotation for 32 callers"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
        assert first.expires_at > time.time()
        if is_file:
            # The new pair was in the file before get() returned.
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            doc = json.loads(path.read_text())
            assert Secret(doc["access_token"]) == first.token
            assert Secret(doc["refresh_token"]) != Secret("")
            assert doc["kind"] == "config" and doc["expires_at"] == first.expires_at
        # The new pair was in the store before get() returned: a new store object
        # (another process's) reads it without a request.
        requests = _total_requests(slack)
        assert xoxe.Rotator.config(client, make_store()).current() == first
        assert _total_requests(slack) == requests
        assert client.auth_test(first.token).user_id
    if is_file:
        leftovers = sorted(p.name for p in tmp_path.iterdir())
        assert leftovers == ["pair.json", "pair.json.lock"], leftovers


def test_a_fresh_token_is_served_without_any_request(
    client: xoxe.Client, slack: FakeSlack, make_store: Callable[[], xoxe.Store]
) -> None:
    store = make_store()
    store.init(slack.new_config_refresh_token())
    rotator = xoxe.Rotator.config(client, store)
    first = rotator.get()  # the seed has no access token: rotates once
    before = _total_requests(slack)
    for _ in range(2000):
        assert rotator.get() == first
    assert _total_requests(slack) == before, "a fresh token costs no request"
    rotator.close()


def test_force_rotate_and_current(client: xoxe.Client, slack: FakeSlack, make_store: Callable[[], xoxe.Store]) -> None:
    store = make_store()
    store.init(slack.new_config_refresh_token())
    rotator = xoxe.Rotator.config(client, store)
    seed = rotator.current()
    assert seed.expires_at == 0 and seed.token == "", "never rotated: no token yet"
    first = rotator.get()
    before = slack.stats()["rotations"]
    forced = rotator.force_rotate()
    assert slack.stats()["rotations"] == before + 1
    assert forced.token != first.token and forced.expires_at >= first.expires_at
    requests = _total_requests(slack)
    assert rotator.current() == forced
    assert rotator.get() == forced
    assert _total_requests(slack) == requests
    assert client.auth_test(forced.token).user_id


def test_current_and_a_fresh_get_need_no_network(slack: FakeSlack, tmp_path: Path) -> None:
    # A client that cannot reach anything: port 9 on loopback (discard; nothing listens).
    with xoxe.Client("http://127.0.0.1:9/api/", timeout=5) as offline:
        store = xoxe.FileStore(tmp_path / "pair.json")
        access = Secret("xoxe.xoxp-1-notarealtokenjustfortheofflinetest")
        expires = int(time.time()) + 86400
        store.init(Secret("xoxe-1-notarealrefreshtoken"), access_token=access, expires_at=expires)
        rotator = xoxe.Rotator.config(offline, store)
        assert rotator.current() == xoxe.AccessToken(access, expires)
        assert rotator.get() == xoxe.AccessToken(access, expires)
        # A rotation does need the network; the pair in the store is untouched.
        with pytest.raises(xoxe.NetworkError):
            rotator.force_rotate()
        assert rotator.current().token == access


@pytest.mark.parametrize("store_kind", SHARED_KINDS)
def test_a_store_is_shared_by_two_rotators(
    client: xoxe.Client, slack: FakeSlack, make_store: Callable[[], xoxe.Store]
) -> None:
    # Two store objects on one file, or one chain in a database through two
    # connections, stand for two processes.
    with make_store() as seed:
        seed.init(slack.new_config_refresh_token())
    a = xoxe.Rotator.config(client, make_store())
    b = xoxe.Rotator.config(client, make_store())
    before = slack.stats()["rotations"]
    assert b.current().expires_at == 0
    ta = a.get()
    tb = b.get()
    assert ta.token == tb.token, "b re-read the store under the lock instead of rotating"
    assert slack.stats()["rotations"] == before + 1


# ---- failures ---------------------------------------------------------------------


BAD_FILES: list[tuple[str, bytes, int, type]] = [
    ("empty", b"", 0o600, xoxe.StoreCorruptError),
    ("truncated", b'{"kind":"config","refresh_tok', 0o600, xoxe.StoreCorruptError),
    ("wrong JSON", b"[1,2,3]", 0o600, xoxe.StoreCorruptError),
    ("no refresh token", b'{"kind":"config","refresh_token":""}', 0o600, xoxe.StoreCorruptError),
    ("mode 0644", b'{"kind":"config","refresh_token":"xoxe-1-abc"}', 0o644, xoxe.StorePermissionsError),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_store_files_name_the_path(client: xoxe.Client, tmp_path: Path, case: tuple[str, bytes, int, type]) -> None:
    _, content, mode, cls = case
    path = tmp_path / "pair.json"
    path.write_bytes(content)
    path.chmod(mode)
    store = xoxe.FileStore(path)
    rotator = xoxe.Rotator.config(client, store)
    for attempt in (rotator.current, rotator.get, lambda: store.init(Secret("xoxe-1-abc"))):
        with pytest.raises(cls) as info:
            attempt()
        assert isinstance(info.value, xoxe.StoreError)
        assert str(path) in info.value.message, info.value.message
    assert path.read_bytes() == content, "a bad store is never overwritten"


def test_a_directory_and_a_missing_file(client: xoxe.Client, tmp_path: Path) -> None:
    path = tmp_path / "pair.json"
    path.mkdir()
    with pytest.raises(xoxe.StorePermissionsError) as info:
        xoxe.Rotator.config(client, xoxe.FileStore(path)).current()
    assert str(path) in info.value.message and "not a regular file" in info.value.message
    missing = tmp_path / "none.json"
    with pytest.raises(xoxe.StoreEmptyError) as empty:
        xoxe.Rotator.config(client, xoxe.FileStore(missing)).get()
    assert str(missing) in empty.value.message
    with pytest.raises(xoxe.StoreIoError) as nodir:
        xoxe.FileStore(tmp_path / "no" / "such" / "dir.json").init(Secret("xoxe-1-abc"))
    assert "dir.json" in nodir.value.message


def test_drop_after_apply_is_an_unknown_outcome_and_keeps_the_store(
    client: xoxe.Client, slack: FakeSlack, tmp_path: Path
) -> None:
    store = _config_file_store(tmp_path, slack)
    path = tmp_path / "pair.json"
    stored = path.read_bytes()
    rotator = xoxe.Rotator.config(client, store)
    before = slack.requests(ROTATE)
    slack.fault(ROTATE, "drop_after_apply")
    with pytest.raises(xoxe.OutcomeUnknownError) as info:
        rotator.get()
    assert info.value.code is Status.OUTCOME_UNKNOWN
    assert slack.requests(ROTATE) == before + 1, "exactly one request: never retried"
    assert path.read_bytes() == stored, "the store still holds the old pair"
    # The rotation was applied at Slack and its answer lost: the stored refresh token is
    # spent and nothing newer exists, so the next attempt finds a dead chain.
    with pytest.raises(xoxe.ChainDeadError):
        rotator.get()
    assert slack.requests(ROTATE) == before + 2


def test_a_spent_refresh_token_with_nothing_newer_is_a_dead_chain(
    client: xoxe.Client, slack: FakeSlack, make_store: Callable[[], xoxe.Store]
) -> None:
    refresh = slack.new_config_refresh_token()
    client.tooling_tokens_rotate(refresh)  # spends it; the result is dropped
    store = make_store()
    store.init(refresh)
    rotator = xoxe.Rotator.config(client, store)
    with pytest.raises(xoxe.ChainDeadError) as info:
        rotator.get()
    err = info.value
    assert isinstance(err, xoxe.StoreError) and err.code is Status.CHAIN_DEAD
    assert err.cause is Status.INVALID_REFRESH_TOKEN
    assert err.slack_error == "invalid_refresh_token"
    assert "issue a new token" in err.message


def test_store_init_conflicts_and_overwrite(
    client: xoxe.Client, slack: FakeSlack, make_store: Callable[[], xoxe.Store]
) -> None:
    store = make_store()
    store.init(Secret("xoxe-1-first"))
    with pytest.raises(xoxe.StoreConflictError):
        store.init(Secret("xoxe-1-second"))
    store.init(slack.new_config_refresh_token(), overwrite=True)
    assert xoxe.Rotator.config(client, store).get().token
    with pytest.raises(ValueError):
        store.init(Secret("xoxe-1-x"), kind="legacy", overwrite=True)
    with pytest.raises(TypeError):
        store.init(Secret("xoxe-1-x"), expires_at="tomorrow", overwrite=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.init(Secret("xoxe-1-x"), overwrite=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.init(Secret("xoxe-1-x\0"), overwrite=True)
    with pytest.raises(xoxe.UsageError):
        store.init(Secret(""), overwrite=True)


# ---- oauth chains -----------------------------------------------------------------


def test_an_oauth_chain_stays_fresh(
    client: xoxe.Client, slack: FakeSlack, app: App, make_store: Callable[[], xoxe.Store]
) -> None:
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
    store = make_store()
    store.init(
        pair.refresh_token,
        kind="oauth",
        access_token=pair.access_token,
        expires_at=int(time.time()) + pair.expires_in,
    )
    before = slack.stats()["refreshes"]
    with xoxe.Rotator.oauth(client, store, app.client_id, app.client_secret) as rotator:
        assert rotator.kind is xoxe.ChainKind.OAUTH
        got = rotator.get()
        assert got.token == pair.access_token, "still fresh: no refresh"
        assert slack.stats()["refreshes"] == before
        renewed = rotator.force_rotate()
        assert renewed.token != pair.access_token
        assert renewed.token.get_secret_value().startswith("xoxe.xoxb-")
        assert slack.stats()["refreshes"] == before + 1
        assert client.auth_test(renewed.token).bot_id
        renewed2 = rotator.force_rotate()
        assert client.auth_test(renewed2.token).bot_id
        assert rotator.get() == renewed2
    # A config rotator refuses an oauth chain; bad credentials are refused up front.
    with pytest.raises(xoxe.UsageError):
        xoxe.Rotator.config(client, store).get()
    with pytest.raises(xoxe.UsageError):
        xoxe.Rotator.oauth(client, store, "", app.client_secret)


# ---- a store written in Python ----------------------------------------------------


def test_a_python_cas_store_keeps_a_chain_alive_under_concurrency(slack: FakeSlack) -> None:
    """Two rotators (two 'processes', each with its own client and store object) and
    four threads each share one Python backend while 3-second tokens expire."""
    backend = DictBackend()
    seed_store = xoxe.ForeignStore(backend, name="shared dict")
    seed_store.init(slack.new_config_refresh_token())
    seed_store.close()
    before = slack.stats()
    slack.control("POST", "ttl", {"ttl": 3})
    handed_out: list[Secret] = []
    problems: list[str] = []
    stale_checks = [0]
    guard = threading.Lock()
    try:
        clients = [xoxe.Client(slack.base_url, timeout=60) for _ in range(2)]
        rotators = [
            xoxe.Rotator.config(c, xoxe.ForeignStore(backend, name=f"process {i}"), wait_timeout=120)
            for i, c in enumerate(clients)
        ]
        deadline = time.monotonic() + 6

        def work(rotator: xoxe.Rotator, client: xoxe.Client) -> None:
            try:
                while time.monotonic() < deadline:
                    asked, asked_mono = time.time(), time.monotonic()
                    token = rotator.get()
                    # The promise itself, exactly: a 3-s token rotates at half its
                    # lifetime rounded up (2 s; no jitter below a 4-s window), so it is
                    # handed out with more than 2 s left after the call began (whole
                    # seconds: expires_at = floor(send time) + 3 > send time + 2).
                    left = token.expires_at - asked
                    if left <= 2.0:
                        raise AssertionError(f"a token was handed out with {left:.2f} s left (promised: > 2 s)")
                    try:
                        client.auth_test(token.token)
                    except xoxe.TokenExpiredError:
                        # Slack's expiry is at or after expires_at, more than 2 s after
                        # `asked`: an answer within 2 s of it proves a stale token. Only
                        # a check that itself took that long is too late to judge.
                        if time.monotonic() - asked_mono < 1.99:
                            raise
                        with guard:
                            stale_checks[0] += 1
                    with guard:
                        handed_out.append(token.token)
                    time.sleep(0.02)
            except BaseException as exc:  # xoxe errors hold no secret
                with guard:
                    problems.append(repr(exc))

        threads = [threading.Thread(target=work, args=(rotators[i % 2], clients[i % 2])) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
        assert not problems, problems
        # The chain is still alive: both 'processes' can still rotate it.
        assert client_ok(clients[0], rotators[0].force_rotate())
        assert client_ok(clients[1], rotators[1].get())
        after = slack.stats()
        for r in rotators:
            r.close()
        for c in clients:
            c.close()
    finally:
        slack.control("POST", "ttl", {"ttl": DEFAULT_TTL})
    rotations = after["rotations"] - before["rotations"]
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"], "no refresh token used twice"
    assert rotations >= 2, f"only {rotations} rotations in 6 s of 3-second tokens"
    assert backend.saves == rotations + 1, "every rotation saved once (plus the seed)"
    assert len(handed_out) >= 8
    assert len(set(handed_out)) <= rotations, "only rotated tokens were handed out"
    # Excused checks each stalled a thread for 2 s: most checks must have been judged.
    assert stale_checks[0] <= len(handed_out) // 2, (
        f"{stale_checks[0]} of {len(handed_out)} checks too late to judge: the test proved little"
    )
    print(
        f"{len(handed_out)} tokens handed out, {len(set(handed_out))} distinct, {rotations} rotations, "
        f"{backend.conflicts} CAS conflicts, {stale_checks[0]} checks too late to judge"
    )


def client_ok(client: xoxe.Client, token: xoxe.AccessToken) -> bool:
    return bool(client.auth_test(token.token).user_id)


class FailingBackend(DictBackend):
    def __init__(self, where: str, how: Any = None) -> None:
        super().__init__()
        self.where = where
        self.how = how

    def load(self) -> str | None:
        if self.where == "load":
            raise RuntimeError("the database is down")
        return super().load()

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> Any:
        if self.where == "save":
            if self.how is None:
                raise OSError("disk full")
            return self.how
        return super().save(expected_generation, new_generation, document)

    def lock(self) -> Any:
        if self.where == "lock":
            if self.how is None:
                raise RuntimeError("lock service unreachable")
            return self.how
        return super().lock()


def test_a_failing_backend_is_a_store_error_with_the_cause(client: xoxe.Client, slack: FakeSlack) -> None:
    # load raises: StoreIoError, the backend's exception as __cause__, no crash.
    store = xoxe.ForeignStore(FailingBackend("load"), name="flaky db")
    rotator = xoxe.Rotator.config(client, store)
    for attempt in (rotator.get, rotator.current, lambda: store.init(Secret("xoxe-1-abc"))):
        with pytest.raises(xoxe.StoreIoError) as info:
            attempt()
        assert isinstance(info.value.__cause__, RuntimeError)
        assert "flaky db" in info.value.message and "load" in info.value.message

    # save raises, or returns something that is not a bool.
    for how, cause in [(None, OSError), ("yes", TypeError), (1, TypeError)]:
        backend = FailingBackend("save", how)
        store = xoxe.ForeignStore(backend)
        with pytest.raises(xoxe.StoreIoError) as info:
            store.init(Secret("xoxe-1-abc"))
        assert isinstance(info.value.__cause__, cause)

    # lock refuses (False: no cause) or raises (the cause).
    for how, cause in [(False, None), (None, RuntimeError)]:
        backend = FailingBackend("lock", how)
        store = xoxe.ForeignStore(backend)
        store.init(slack.new_config_refresh_token())
        with pytest.raises(xoxe.LockTimeoutError) as lock_info:
            xoxe.Rotator.config(client, store).get()
        assert isinstance(lock_info.value, TimeoutError)
        assert (lock_info.value.__cause__ is None) if cause is None else isinstance(lock_info.value.__cause__, cause)

    # A corrupt document from load.
    class Garbage(DictBackend):
        def load(self) -> str | None:
            return "not json"

    with pytest.raises(xoxe.StoreCorruptError):
        xoxe.Rotator.config(client, xoxe.ForeignStore(Garbage())).current()

    class WrongType(DictBackend):
        def load(self) -> Any:
            return 42

    with pytest.raises(xoxe.StoreIoError) as wrong:
        xoxe.Rotator.config(client, xoxe.ForeignStore(WrongType())).current()
    assert isinstance(wrong.value.__cause__, TypeError)

    # A failure in one call leaves nothing behind for the next one on this thread.
    good = xoxe.MemoryStore()
    with pytest.raises(xoxe.StoreEmptyError) as empty:
        xoxe.Rotator.config(client, good).current()
    assert empty.value.__cause__ is None


def test_a_backend_may_return_bytes_and_a_conflicting_save_is_retried(client: xoxe.Client, slack: FakeSlack) -> None:
    class Bytes(DictBackend):
        def load(self) -> Any:
            doc = super().load()
            return None if doc is None else doc.encode()

    store = xoxe.ForeignStore(Bytes())
    store.init(slack.new_config_refresh_token())
    assert xoxe.Rotator.config(client, store).get().token


def test_foreign_store_validation() -> None:
    class NoSave:
        def load(self) -> None:
            return None

    class HalfLock(DictBackend):
        unlock = None  # type: ignore[assignment]

    with pytest.raises(TypeError):
        xoxe.ForeignStore(NoSave())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.ForeignStore(HalfLock())
    with pytest.raises(ValueError):
        xoxe.ForeignStore(DictBackend(), name="bad\0name")
    assert isinstance(DictBackend(), xoxe.LockingStoreBackend)
    assert isinstance(DictBackend(), xoxe.StoreBackend)


def test_the_backend_is_released_when_store_and_rotators_are_gone(client: xoxe.Client, slack: FakeSlack) -> None:
    import gc
    import weakref

    from xoxe import _store

    backend = DictBackend()
    ref = weakref.ref(backend)
    store = xoxe.ForeignStore(backend)
    store.init(slack.new_config_refresh_token())
    rotator = xoxe.Rotator.config(client, store)
    del backend
    store.close()
    assert store.closed
    with pytest.raises(ValueError):
        store.init(Secret("xoxe-1-abc"))
    # The rotator keeps the library's store (and so the backend) alive.
    assert rotator.get().token
    del store
    gc.collect()
    assert ref() is not None
    rotator.close()
    gc.collect()
    assert ref() is None, "release ran and the binding let go of the backend"
    assert all(b is not None for b in _store._BACKENDS.values())


# ---- lifetime, options, threads ---------------------------------------------------


def test_lifetime_and_options(client: xoxe.Client, slack: FakeSlack) -> None:
    store = xoxe.MemoryStore()
    store.init(slack.new_config_refresh_token())
    with xoxe.Rotator.config(
        client, store, refresh_window=600, jitter=10, wait_timeout=30.5, call_timeout=20
    ) as rotator:
        token = rotator.get()
        assert not rotator.closed
    assert rotator.closed
    rotator.close()  # idempotent
    for call in (rotator.get, rotator.current, rotator.force_rotate):
        with pytest.raises(ValueError):
            call()
    # A rotator outlives the store and client objects it was made from.
    other = xoxe.Client(slack.base_url, timeout=60)
    again = xoxe.Rotator.config(other, store)
    store.close()
    other.close()
    assert again.get() == token
    assert again.force_rotate().token != token.token
    again.close()

    with pytest.raises(TypeError):
        xoxe.Rotator(client, store)
    with pytest.raises(TypeError):
        xoxe.Rotator.config(store, client)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xoxe.Rotator.config(client, store)  # the store is closed
    fresh = xoxe.MemoryStore()
    for bad in (dict(refresh_window=0), dict(jitter=-1), dict(wait_timeout=0), dict(call_timeout=float("nan"))):
        with pytest.raises(ValueError):
            xoxe.Rotator.config(client, fresh, **bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Rotator.config(client, fresh, refresh_window="1h")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xoxe.Rotator.config(client, fresh, refresh_window=2**33)
    with pytest.raises(TypeError):
        xoxe.FileStore(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xoxe.FileStore("/tmp/x", lock_timeout=0)


def test_close_while_other_threads_call(client: xoxe.Client, slack: FakeSlack) -> None:
    """close() while four threads keep calling get(): each call either gets a token or
    raises ValueError (closed); nothing else, no crash, and every thread sees the close."""
    store = xoxe.MemoryStore()
    store.init(slack.new_config_refresh_token())
    rotator = xoxe.Rotator.config(client, store)
    rotator.get()
    outcomes: dict[str, int] = {"ok": 0, "closed": 0, "other": 0}
    lock = threading.Lock()
    calling = threading.Barrier(5)  # the four threads have each had a token, and the main one

    def work() -> None:
        key = "other"
        try:
            rotator.get()
            key = "ok"
        finally:
            with lock:
                outcomes[key] += 1
            calling.wait(timeout=60)
        while True:  # until this thread sees the close
            try:
                rotator.get()
                key = "ok"
            except ValueError:
                key = "closed"
            except BaseException:
                key = "other"
            with lock:
                outcomes[key] += 1
            if key != "ok":
                return

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    calling.wait(timeout=60)  # all four are in their get() loops now
    rotator.close()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread never saw the close"
    assert outcomes["other"] == 0 and outcomes["ok"] >= 4 and outcomes["closed"] == 4, outcomes


class SlowSaveBackend(DictBackend):
    """No lock; saves can be made slow (a remote database's durable write)."""

    lock = None  # type: ignore[assignment]
    unlock = None  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.slow = threading.Event()

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        if self.slow.is_set():
            time.sleep(1.0)
        return super().save(expected_generation, new_generation, document)


def test_a_lockless_store_never_reports_a_live_chain_dead(client: xoxe.Client, slack: FakeSlack) -> None:
    backend = SlowSaveBackend()
    xoxe.ForeignStore(backend).init(slack.new_config_refresh_token())
    a = xoxe.Rotator.config(client, xoxe.ForeignStore(backend, name="process A"))
    b = xoxe.Rotator.config(client, xoxe.ForeignStore(backend, name="process B"))
    backend.slow.set()
    base = slack.stats()["rotations"]
    errors: list[str] = []

    def rotate_a() -> None:
        try:
            a.get()
        except BaseException as exc:
            errors.append(repr(exc))

    thread = threading.Thread(target=rotate_a)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while slack.stats()["rotations"] == base and time.monotonic() < deadline:
            time.sleep(0.01)  # until A's rotation is applied at Slack (and A is saving it)
        # B spends the same refresh token and is rejected while A is still saving: the
        # core must wait for A's save (bounded) rather than call the chain dead.
        b.get()
    finally:
        thread.join(timeout=120)
        backend.slow.clear()
    assert not errors, errors
    assert b.get().token == a.get().token, "the chain was alive all along"
