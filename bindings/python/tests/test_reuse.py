"""The hot path's reuse: ``Rotator.get`` and ``Pool.get`` hand a token out again without
calling the library until the deadline the library gave with it (its horizon, never
past the token's rotation: the binding does not restate it, and neither do these tests),
and never after anything that changes the answer.

The clock the binding compares with is replaced by a hand-moved one, so no test waits
or depends on timing; the library call is counted by wrapping it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xoxe
import xoxe._pool
import xoxe._rotator
from conftest import FakeSlack


class Clock:
    """The binding's clock, moved by hand (starts at the real time; moved past a
    deadline by setting it just past the deadline the binding keeps)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Counted:
    """Wraps a library function, counting calls."""

    def __init__(self, fn: Any) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.fn(*args)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(xoxe._rotator, "_clock", c)
    monkeypatch.setattr(xoxe._pool, "_clock", c)
    return c


@pytest.fixture
def rotator_calls(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted(xoxe._rotator._get_reusable)
    monkeypatch.setattr(xoxe._rotator, "_get_reusable", counted)
    return counted


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted(xoxe._pool._get_reusable)
    monkeypatch.setattr(xoxe._pool, "_get_reusable", counted)
    return counted


@pytest.fixture
def rotator(slack: FakeSlack, client: xoxe.Client) -> Iterator[xoxe.Rotator]:
    store = xoxe.MemoryStore()
    store.init(slack.new_config_refresh_token())
    with xoxe.Rotator.config(client, store) as r:
        yield r


def test_rotator_get_reuses_the_token_until_the_librarys_deadline_and_not_after(
    rotator: xoxe.Rotator, clock: Clock, rotator_calls: Counted
) -> None:
    first = rotator.get()  # rotates: the library gives no deadline for a new token
    second = rotator.get()  # fresh: the token with its deadline
    assert second == first and rotator_calls.calls == 2
    for _ in range(100):
        assert rotator.get() is second
    assert rotator_calls.calls == 2, "until the deadline, no library call"
    assert rotator._reuse is not None
    clock.now = rotator._reuse[0] + 0.001  # just past the library's deadline
    assert rotator.get() == first
    assert rotator_calls.calls == 3, "past the deadline, the library decides again"


def test_force_rotate_and_close_end_the_reuse(rotator: xoxe.Rotator, clock: Clock, rotator_calls: Counted) -> None:
    rotator.get()
    old = rotator.get()
    forced = rotator.force_rotate()
    assert forced != old
    assert rotator.get() == forced, "after force_rotate, get gives the new token at once"
    rotator.get()
    rotator.close()
    with pytest.raises(ValueError, match="closed"):
        rotator.get()


def test_a_failed_call_is_not_hidden_by_an_earlier_token(
    slack: FakeSlack, client: xoxe.Client, clock: Clock, rotator_calls: Counted
) -> None:
    store = xoxe.MemoryStore()
    store.init(slack.new_config_refresh_token())
    with xoxe.Rotator.config(client, store) as r:
        r.get()
        r.get()
        assert r._reuse is not None
        slack.fault("tooling.tokens.rotate", "drop_after_apply")
        with pytest.raises(xoxe.OutcomeUnknownError):
            r.force_rotate()
        assert r._reuse is None, "a failed rotation leaves nothing to reuse"


def test_pool_get_reuses_per_chain_and_forgets_a_removed_or_revoked_chain(
    slack: FakeSlack, client: xoxe.Client, tmp_path: Path, clock: Clock, pool_calls: Counted
) -> None:
    store = xoxe.MemoryStore()
    for name in ("a", "b", "c"):
        with store.open_chain(name) as chain:
            chain.init(slack.new_config_refresh_token())
    with xoxe.Pool(client, store) as pool:
        tokens = {name: pool.get(name) for name in ("a", "b", "c")}
        assert {name: pool.get(name) for name in tokens} == tokens
        calls = pool_calls.calls
        for _ in range(50):
            assert pool.get("a") is pool.get("a")
            assert pool.get("b") == tokens["b"]
        assert pool_calls.calls == calls, "each chain's token is reused until its deadline"
        clock.now = pool._reuse["a"][0] + 0.001  # just past the library's deadline for "a"
        assert pool.get("a") == tokens["a"]
        assert pool_calls.calls == calls + 1
        clock.now = time.time()  # back to now: tokens are reused again
        pool.get("b")
        pool.get("c")
        calls = pool_calls.calls
        assert pool.get("b") == tokens["b"] and pool.get("c") == tokens["c"] and pool_calls.calls == calls
        assert pool.remove("b")
        with pytest.raises(xoxe.StoreEmptyError):
            pool.get("b")
        pool.mark_revoked("c", "token_revoked")
        with pytest.raises(xoxe.ChainRevokedError):
            pool.get("c")
        pool.get("a")
    with pytest.raises(ValueError, match="closed"):
        pool.get("a")


def _seeded(slack: FakeSlack, names: list[str]) -> xoxe.MemoryStore:
    store = xoxe.MemoryStore()
    for name in names:
        with store.open_chain(name) as chain:
            chain.init(slack.new_config_refresh_token())
    return store


def _fresh_store(names: list[str]) -> xoxe.MemoryStore:
    """Chains whose tokens are fresh for hours: no rotation, no network."""
    store = xoxe.MemoryStore()
    later = int(time.time()) + 6 * 3600
    for i, name in enumerate(names):
        with store.open_chain(name) as chain:
            chain.init(f"xoxe-1-r{i}", access_token=f"xoxe.xoxp-1-a{i}", expires_at=later)
    return store


def test_pool_get_keeps_a_bounded_number_of_chains(slack: FakeSlack, client: xoxe.Client, clock: Clock) -> None:
    store = _seeded(slack, ["a", "b", "c"])
    with xoxe.Pool(client, store, max_chains_in_memory=2) as pool:
        for _ in range(2):
            for name in ("a", "b", "c"):
                pool.get(name)
            assert len(pool._reuse) <= 2, "no more kept tokens than the pool keeps chains"


def test_pool_keeps_as_many_tokens_as_it_keeps_chains(client: xoxe.Client, clock: Clock, pool_calls: Counted) -> None:
    """The bound is the pool's own size (here past the 4096 an earlier version fixed), so
    every chain of a pool that holds them all is answered from memory."""
    names = [f"bot:-:T{i:06d}" for i in range(5000)]
    with xoxe.Pool(client, _fresh_store(names), max_chains_in_memory=len(names)) as pool:
        for _ in range(2):  # loaded from the store, then (whatever the first gave) with a deadline
            for name in names:
                pool.get(name)
        assert len(pool._reuse) == len(names)
        calls = pool_calls.calls
        for name in reversed(names):
            pool.get(name)
        assert pool_calls.calls == calls, "every chain's token from memory, no library call"


def test_pool_bound_is_the_librarys_default_without_max_chains(client: xoxe.Client) -> None:
    with xoxe.Pool(client, xoxe.MemoryStore()) as pool:
        assert pool._reuse_max == xoxe._status.DEFAULT_MAX_CHAINS_IN_MEMORY
    with xoxe.Pool(client, xoxe.MemoryStore(), max_chains_in_memory=7) as pool:
        assert pool._reuse_max == 7


def test_a_get_overlapping_an_invalidation_keeps_nothing(
    client: xoxe.Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token a get() receives while remove/mark_revoked/close runs on another thread is
    returned but not kept: no kept token outlives what ended the reuse."""
    store = _fresh_store(["a", "b"])
    with xoxe.Pool(client, store) as pool:
        real = xoxe._pool._get_reusable
        during: list[Any] = []

        def overlapped(*args: Any) -> Any:
            status = real(*args)
            while during:
                during.pop()()  # what another thread did while the call ran
            return status

        for _ in range(2):  # "a" loaded and kept: what follows starts from a kept token
            pool.get("a")
        assert "a" in pool._reuse
        pool._reuse.clear()
        monkeypatch.setattr(xoxe._pool, "_get_reusable", overlapped)
        during.append(lambda: pool.remove("b"))
        token = pool.get("a")
        assert "a" not in pool._reuse, "the token of a get() that overlapped a remove is not kept"
        assert pool.get("a") == token and "a" in pool._reuse, "the next get() keeps it again"
        during.append(pool.close)
        pool._reuse.clear()  # so that the next get() calls the library
        assert pool.get("a") == token, "the call in flight when close() ran finishes"
        assert not pool._reuse, "and its token is not kept"
        with pytest.raises(ValueError, match="closed"):
            pool.get("a")
