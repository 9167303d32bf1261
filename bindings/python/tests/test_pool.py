"""Pool: many chains over one client and one store, against the fake Slack, over every
store that keeps many chains (memory, a directory, PostgreSQL, Redis): each chain
rotated once however many threads ask, removal, listing, the bound on rotators in
memory, the background refresher, revocation, close while calls are in flight; and
``installation_chain``.

Each test seeds chains of its own (``store.open_chain(name).init(...)``, names from
conftest.unique_chain), so runs sharing a database never collide. No timing bounds:
waits poll with generous deadlines and every check is on counts and state.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import HEADER, App, Database, FakeSlack, unique_chain
from xoxe import Secret, Status

ROTATE = "tooling.tokens.rotate"
POOL_KINDS = ("memory", "directory", "postgres", "redis")


@dataclass
class Place:
    """Where a test's chains live: ``store`` is the pool's store; ``fresh()`` another
    object on the same place (another process's: for a database a new connection)."""

    kind: str
    store: xoxe.Store
    prefix: str
    directory: Path | None = None
    db: Database | None = None

    def fresh(self) -> xoxe.Store:
        if self.kind == "memory":
            return self.store  # memory is one object
        if self.kind == "directory":
            assert self.directory is not None
            return xoxe.DirectoryStore(self.directory, lock_timeout=60)
        assert self.db is not None
        return self.db.store(self.prefix + "-base")

    def names(self, n: int) -> list[str]:
        return [f"{self.prefix}-{i}" for i in range(n)]

    def mine(self, store: xoxe.Store | None = None) -> dict[str, xoxe.ChainStatus]:
        """The test's chains as ``chains()`` lists them (a database lists every test's)."""
        listed = (store or self.store).chains()
        names = [c.chain for c in listed]
        assert names == sorted(names), "chains() is sorted by name"
        return {c.chain: c for c in listed if c.chain.startswith(self.prefix + "-")}


@pytest.fixture(params=POOL_KINDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    kind = str(request.param)
    prefix = unique_chain("pool")
    if kind == "memory":
        p = Place(kind, xoxe.MemoryStore(), prefix)
    elif kind == "directory":
        directory = tmp_path / "chains"
        directory.mkdir(mode=0o700)
        p = Place(kind, xoxe.DirectoryStore(directory, lock_timeout=60), prefix, directory=directory)
    else:
        db: Database = request.getfixturevalue("databases")[kind]
        p = Place(kind, db.store(prefix + "-base"), prefix, db=db)
    yield p
    p.store.close()


def _seed(place: Place, names: list[str], slack: FakeSlack) -> None:
    for name in names:
        with place.store.open_chain(name) as chain:
            chain.init(slack.new_config_refresh_token())


def _rotations(slack: FakeSlack) -> int:
    return int(slack.stats()["rotations"])


def _requests(slack: FakeSlack) -> int:
    return sum(int(v) for v in slack.stats()["requests"].values())


def _valid(client: xoxe.Client, token: xoxe.AccessToken) -> bool:
    return bool(client.auth_test(token.token).user_id)


# ---- one rotation per chain, however many ask ------------------------------------


def test_a_pool_rotates_each_seeded_chain_and_then_serves_it_without_requests(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    names = place.names(3)
    _seed(place, names, slack)
    before = slack.stats()
    with xoxe.Pool(client, place.store) as pool:
        assert pool.store is place.store and pool.client is client
        tokens = {name: pool.get(name) for name in names}
        after = slack.stats()
        assert after["rotations"] - before["rotations"] == 3, "one rotation per never-rotated chain"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
        assert len({t.token for t in tokens.values()}) == 3, "every chain has its own token"
        assert all(_valid(client, t) for t in tokens.values())
        assert all(t.expires_at > time.time() for t in tokens.values())
        requests = _requests(slack)
        assert all(pool.get(name) == tokens[name] for name in names)
        assert _requests(slack) == requests, "a fresh token costs no request"
    # Saved before it was handed out: another process's rotator reads it.
    with place.fresh() as other:
        for name in names:
            assert xoxe.Rotator.config(client, other.open_chain(name)).current() == tokens[name]


def test_threads_asking_for_several_chains_at_once_rotate_each_chain_once(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    n_threads, names = 8, place.names(4)
    _seed(place, names, slack)
    before = slack.stats()
    start = threading.Barrier(n_threads)
    results: list[dict[str, Any]] = [{} for _ in range(n_threads)]
    problems: list[str] = []

    with xoxe.Pool(client, place.store, wait_timeout=120) as pool:

        def work(i: int) -> None:
            order = names[:]
            random.Random(i).shuffle(order)
            try:
                start.wait(timeout=60)
                for name in order:
                    results[i][name] = pool.get(name)
            except BaseException as exc:  # xoxe errors hold no secret
                problems.append(repr(exc))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
        assert not problems, problems
        after = slack.stats()
        assert after["rotations"] - before["rotations"] == len(names), "one rotation per chain for all threads"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
        for name in names:
            got = {r[name].token for r in results}
            assert len(got) == 1, f"every thread got chain {name}'s one token"
        assert all(_valid(client, results[0][name]) for name in names)
        assert pool.stats().chains_in_memory == len(names)


# ---- removal, listing -----------------------------------------------------------


def test_remove_deletes_the_chain_from_the_store(place: Place, slack: FakeSlack, client: xoxe.Client) -> None:
    kept, removed = place.names(2)
    _seed(place, [kept, removed], slack)
    with xoxe.Pool(client, place.store) as pool:
        pool.get(kept)
        pool.get(removed)
        if place.directory is not None:
            assert (place.directory / f"{removed}.json").is_file()
        assert set(place.mine()) == {kept, removed}
        assert pool.remove(removed) is True
        with pytest.raises(xoxe.StoreEmptyError) as empty:
            pool.get(removed)
        assert empty.value.code is Status.STORE_EMPTY and removed in empty.value.message
        assert pool.remove(removed) is False, "nothing left to remove"
        assert pool.get(kept).token, "the other chain is untouched"
        assert pool.stats().chains_in_memory == 1
    assert set(place.mine()) == {kept}
    if place.directory is not None:
        assert not (place.directory / f"{removed}.json").exists(), "the chain's file is gone"
        assert (place.directory / f"{kept}.json").is_file()
    # Another process (a new connection) finds nothing either.
    with place.fresh() as other:
        assert set(place.mine(other)) == {kept}
        with pytest.raises(xoxe.StoreEmptyError):
            xoxe.Rotator.config(client, other.open_chain(removed)).current()


def test_store_remove_chain_and_open_chain(place: Place, slack: FakeSlack) -> None:
    (name,) = place.names(1)
    chain = place.store.open_chain(name)
    assert type(chain) is type(place.store)
    assert chain.chain == name  # type: ignore[attr-defined]
    assert f"chain={name!r}" in repr(chain)
    assert chain.remove_chain() is False, "not there yet"
    chain.init(slack.new_config_refresh_token())
    assert set(place.mine()) == {name}
    assert chain.remove_chain() is True
    assert place.mine() == {}
    for bad in ["", "a b", ".hidden", "a/b", "é", "x" * (xoxe.MAX_CHAIN_NAME_LEN + 1)]:
        with pytest.raises(xoxe.UsageError):
            place.store.open_chain(bad)
    with pytest.raises(ValueError):
        place.store.open_chain("nul\0")
    with pytest.raises(TypeError):
        place.store.open_chain(7)  # type: ignore[arg-type]
    assert place.store.open_chain("x" * xoxe.MAX_CHAIN_NAME_LEN).remove_chain() is False


def test_chains_lists_each_chain_with_its_kind_expiry_and_generation(
    place: Place, slack: FakeSlack, client: xoxe.Client, app: App
) -> None:
    config, oauth, seeded = place.names(3)
    _seed(place, [config, seeded], slack)
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
    with place.store.open_chain(oauth) as chain:
        chain.init(pair.refresh_token, kind="oauth")
    listed = place.mine()
    assert list(listed) == sorted([config, oauth, seeded])
    assert listed[seeded] == xoxe.ChainStatus(seeded, xoxe.ChainKind.CONFIG, 0, 0, 0)
    assert listed[oauth].kind is xoxe.ChainKind.OAUTH
    with xoxe.Pool(client, place.store, app.client_id, app.client_secret) as pool:
        c, o = pool.get(config), pool.get(oauth)
        assert o.token.get_secret_value().startswith("xoxe.xoxb-")
    listed = place.mine()
    holder = f"/{os.getpid()}"
    for name, token in [(config, c), (oauth, o)]:
        status = listed[name]
        assert status.error is None and status.revoked is None
        assert status.generation == 1, "the seed, then one rotation"
        assert status.expires_at == token.expires_at
        assert 0 < status.rotated_at <= time.time()
        assert status.rotated_by is not None and status.rotated_by.endswith(holder)
        assert status.team_id and status.user_id
    assert listed[config].kind is xoxe.ChainKind.CONFIG and listed[oauth].kind is xoxe.ChainKind.OAUTH
    assert listed[seeded].generation == 0 and listed[seeded].rotated_by is None
    assert all(secret not in repr(listed) for secret in ("xoxe.xox", "xoxe-1-")), "no token is read out"


# ---- the bound on rotators in memory, the background refresher -------------------


def test_max_chains_in_memory_bounds_the_rotators_and_still_serves_every_chain(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    names = place.names(5)
    _seed(place, names, slack)
    before = _rotations(slack)
    with xoxe.Pool(client, place.store, max_chains_in_memory=2) as pool:
        first = {}
        for name in names:
            first[name] = pool.get(name)
            assert pool.stats().chains_in_memory <= 2
        assert _rotations(slack) - before == 5
        for _ in range(2):
            for name in reversed(names):
                assert pool.get(name) == first[name], "an evicted chain is read from the store again"
                assert pool.stats().chains_in_memory <= 2
        assert _rotations(slack) - before == 5, "…not rotated again"
        assert pool.stats().chains_in_memory == 2


def test_background_refresh_rotates_a_chain_before_anyone_asks(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    """A chain whose token enters its window 3-4 s after the pool first serves it is
    rotated by the refresher: no `get` runs between that first one, which loads it
    (and hands out the seeded token), and the check of the result."""
    (name,) = place.names(1)
    seeded = slack.new_config_pair()
    with place.store.open_chain(name) as chain:
        chain.init(seeded["refresh_token"], access_token=seeded["token"], expires_at=int(time.time()) + 8)
    before = _rotations(slack)
    with xoxe.Pool(client, place.store, refresh_window=4, jitter=1, background_refresh=True) as pool:
        first = pool.get(name)
        assert first.token == seeded["token"], "fresh: handed out as seeded"
        assert _rotations(slack) == before
        deadline = time.monotonic() + 60
        while pool.stats().background_rotations == 0:
            assert time.monotonic() < deadline, "the refresher did not rotate the chain within 60 s"
            time.sleep(0.1)
        stats = pool.stats()
        assert stats.background_rotations == 1 and stats.background_failures == 0
        assert _rotations(slack) == before + 1
        listed = place.mine()[name]
        assert listed.generation == 1 and listed.rotated_at > 0
        requests = _requests(slack)
        renewed = pool.get(name)
        assert renewed.token != first.token and renewed.expires_at == listed.expires_at
        assert _requests(slack) == requests, "get found it fresh: no request"
        assert _valid(client, renewed)


# ---- revocation, uninstall --------------------------------------------------------


def test_mark_revoked_makes_every_holder_raise_chain_revoked_without_calling_slack(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    revoked, live = place.names(2)
    _seed(place, [revoked, live], slack)
    with xoxe.Pool(client, place.store) as pool:
        pool.get(revoked)
        pool.get(live)
        requests = _requests(slack)
        assert pool.mark_revoked(revoked, "token_revoked") is None
        with pytest.raises(xoxe.ChainRevokedError) as info:
            pool.get(revoked)
        e = info.value
        assert isinstance(e, xoxe.StoreError) and e.code is Status.CHAIN_REVOKED
        assert e.cause is Status.TOKEN_REVOKED, "cause: Slack's code"
        assert revoked in e.message
        assert _requests(slack) == requests, "no call to Slack"
        listed = place.mine()
        assert listed[revoked].revoked == "token_revoked" and listed[revoked].error is None
        assert listed[live].revoked is None
        assert pool.get(live).token
        with pytest.raises(xoxe.UsageError):
            pool.mark_revoked(live, "ratelimited")
        assert pool.get(live).token, "a code that is not a revocation marks nothing"
        with pytest.raises(xoxe.StoreEmptyError):
            pool.mark_revoked(place.names(3)[2], "invalid_auth")
    # Another pool (another process) sees the mark.
    with place.fresh() as other, xoxe.Pool(client, other) as pool2:
        with pytest.raises(xoxe.ChainRevokedError):
            pool2.get(revoked)
        assert pool2.get(live).token
    assert _requests(slack) == requests, "revoked or fresh: nothing asked Slack"


def test_uninstall_removes_a_revoked_chain_and_keeps_one_whose_revocation_failed(
    place: Place, slack: FakeSlack, client: xoxe.Client
) -> None:
    revoked, live, missing = place.names(3)
    _seed(place, [revoked, live], slack)
    with xoxe.Pool(client, place.store) as pool:
        token = pool.get(live)
        pool.get(revoked)
        pool.mark_revoked(revoked, "account_inactive")
        before = slack.stats()["requests"].get("auth.revoke", 0)
        assert pool.uninstall(revoked) is True, "already revoked: just removed"
        assert slack.stats()["requests"].get("auth.revoke", 0) == before, "no revocation sent"
        assert revoked not in place.mine()
        assert pool.uninstall(missing) is False
        # The revocation fails (Slack answers internal_error), so nothing is removed.
        slack.fault("auth.revoke", "slack_error", error="internal_error")
        with pytest.raises(xoxe.SlackApiError):
            pool.uninstall(live)
        assert slack.stats()["requests"].get("auth.revoke", 0) == before + 1
        assert live in place.mine()
        assert pool.get(live) == token


# ---- arguments, close, threads --------------------------------------------------


def test_pool_arguments_are_checked(tmp_path: Path, slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    store = xoxe.MemoryStore()
    with pytest.raises(TypeError):
        xoxe.Pool("client", store)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Pool(client, "store")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Pool(client, store, app.client_id)
    with pytest.raises(TypeError):
        xoxe.Pool(client, store, client_secret=app.client_secret)
    with pytest.raises(ValueError):
        xoxe.Pool(client, store, max_chains_in_memory=0)
    with pytest.raises(TypeError):
        xoxe.Pool(client, store, max_chains_in_memory=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Pool(client, store, background_refresh=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xoxe.Pool(client, store, refresh_window=-1)
    with pytest.raises(xoxe.UsageError):
        xoxe.Pool(client, store, "", app.client_secret)
    with pytest.raises(xoxe.UnsupportedError):
        xoxe.Pool(client, xoxe.FileStore(tmp_path / "one.json"))
    # An OAuth chain needs the app's credentials; a config chain does not.
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
    store.open_chain("oauth").init(pair.refresh_token, kind="oauth")
    with xoxe.Pool(client, store) as pool:
        with pytest.raises(xoxe.UsageError, match="client id and secret"):
            pool.get("oauth")
        for bad in ["", "a b", "x" * (xoxe.MAX_CHAIN_NAME_LEN + 1)]:
            with pytest.raises(xoxe.UsageError):
                pool.get(bad)
            with pytest.raises(xoxe.UsageError):
                pool.remove(bad)
        with pytest.raises(ValueError):
            pool.get("a\0b")
        with pytest.raises(TypeError):
            pool.get(b"oauth")  # type: ignore[arg-type]
        with pytest.raises(xoxe.UsageError):
            pool.get("ümlaut")
        with pytest.raises(xoxe.StoreEmptyError):
            pool.get("missing")
    with xoxe.Pool(client, store, app.client_id, Secret(app.client_secret.get_secret_value())) as pool:
        assert pool.get("oauth").token.get_secret_value().startswith("xoxe.xoxb-")


def test_close_with_and_repr(slack: FakeSlack, client: xoxe.Client) -> None:
    store = xoxe.MemoryStore()
    store.open_chain("a").init(slack.new_config_refresh_token())
    with xoxe.Pool(client, store, background_refresh=True) as pool:
        assert repr(pool) == "<xoxe.Pool store=<xoxe.MemoryStore>>"
        token = pool.get("a")
    assert pool.closed and pool.store is None and pool.client is None
    assert repr(pool) == "<xoxe.Pool store=None closed>"
    pool.close()  # idempotent
    for call in (lambda: pool.get("a"), lambda: pool.stats(), lambda: pool.remove("a")):
        with pytest.raises(ValueError, match="closed"):
            call()
    # Closing the store does not stop a pool using it.
    pool = xoxe.Pool(client, store)
    store.close()
    assert pool.get("a") == token
    pool.close()


def test_close_while_a_rotation_is_in_flight_lets_it_finish(slack: FakeSlack, client: xoxe.Client) -> None:
    """close() on one thread while another thread's get waits on a slow rotation: close
    returns at once, the call in flight finishes with a valid token (the library's pool
    is freed when it returns), and later calls raise ValueError."""
    store = xoxe.MemoryStore()
    store.open_chain("slow").init(slack.new_config_refresh_token())
    pool = xoxe.Pool(client, store, background_refresh=True)
    slack.fault(ROTATE, "delay", delay_ms=1500)
    result: list[Any] = []
    started = threading.Event()

    def work() -> None:
        started.set()
        try:
            result.append(pool.get("slow"))
        except BaseException as exc:
            result.append(exc)

    t = threading.Thread(target=work)
    t.start()
    started.wait(timeout=60)
    deadline = time.monotonic() + 60
    while slack.stats()["requests"].get(ROTATE, 0) == 0 or slack.stats()["faults_fired"] == 0:
        assert time.monotonic() < deadline, "the rotation never reached the fake Slack"
        time.sleep(0.01)
    pool.close()
    assert t.is_alive(), "close() did not wait for the call in flight"
    t.join(timeout=120)
    assert not t.is_alive()
    (got,) = result
    assert isinstance(got, xoxe.AccessToken), repr(got)
    assert _valid(client, got)
    with pytest.raises(ValueError):
        pool.get("slow")


# ---- installation_chain ---------------------------------------------------------


def test_installation_chain_gives_the_documented_names() -> None:
    assert xoxe.installation_chain(None, "T1") == "bot:-:T1"
    assert xoxe.installation_chain("", "T1") == "bot:-:T1", "an empty enterprise is an absent one"
    assert xoxe.installation_chain("E2", None, True) == "bot:E2:-"
    assert xoxe.installation_chain("E2", "T1", is_enterprise_install=True) == "bot:E2:-", "org-wide: no team"
    assert xoxe.installation_chain("E2", "T1") == "bot:E2:T1"
    assert xoxe.installation_chain("E2", "T1", user_id="U3") == "user:E2:T1:U3"
    assert xoxe.installation_chain(None, "T1", False, "W9") == "user:-:T1:W9"
    assert xoxe.installation_chain("E2", None, True, "U3") == "user:E2:-:U3"
    longest = xoxe.installation_chain("E" * 32, "T" * 32, user_id="U" * 32)
    assert len(longest) <= xoxe.MAX_CHAIN_NAME_LEN
    assert xoxe.MemoryStore().open_chain(longest).remove_chain() is False, "a valid chain name"


def test_installation_chain_refuses_what_is_not_a_slack_id() -> None:
    for args in [
        (None, "T:1"),
        (None, ""),
        (None, None),
        ("E:2", "T1"),
        (None, None, True),  # org-wide without an enterprise
        (None, "T1", False, "U 3"),
        (None, "T1", False, ""),
        (None, "T" * 33),
        (None, "T-1"),
    ]:
        with pytest.raises(xoxe.UsageError) as info:
            xoxe.installation_chain(*args)  # type: ignore[arg-type]
        assert info.value.code is Status.INVALID_ARGUMENT, args
    with pytest.raises(TypeError):
        xoxe.installation_chain(None, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.installation_chain(None, "T1", "yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xoxe.installation_chain(None, "T\x001")


def test_max_chain_name_len_matches_the_header() -> None:
    m = re.search(r"#define (?:XOXE_)?MAX_CHAIN_NAME_LEN (\d+)", HEADER.read_text())
    assert m and int(m.group(1)) == xoxe.MAX_CHAIN_NAME_LEN
