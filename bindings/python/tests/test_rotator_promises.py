"""The rotator's promises (README "Keeping tokens fresh"), each in a setting where nothing
else can make up for a broken one:

- single flight inside one process, on a store WITHOUT a lock (a lock plus the re-read
  under it would hide a missing in-process gate);
- a pair whose save failed is never handed out, and is saved first next time;
- on invalid_refresh_token a store WITH a lock is re-read at once (no wait loop runs for
  locked stores) before the chain is called dead;
- short tokens rotate at half their lifetime, rounded up;
- expiry comes from the local send time plus the lifetime Slack states, never from
  Slack's own clock (the fake Slack's clock is moved 3 h either way).

Stores here are Python objects (ForeignStore backends), so each step is visible.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import xoxe
from conftest import FakeSlack
from xoxe import Secret

ROTATE = "tooling.tokens.rotate"


def _doc(access: Secret, refresh: Secret, *, expires_at: int, lifetime: int, generation: int) -> str:
    """A store document (src/store/mod.rs StoredPair) for a config chain. It holds both
    tokens in clear: it stays in the backend and is never printed."""
    return json.dumps(
        {
            "format": 1,
            "kind": "config",
            "access_token": access.get_secret_value(),
            "refresh_token": refresh.get_secret_value(),
            "expires_at": expires_at,
            "generation": generation,
            "lifetime": lifetime,
        }
    )


class CasBackend:
    """Compare-and-swap on one document, no lock (a database row without an advisory
    lock). Saves can be made to fail (a read-only replica, a full disk)."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self.generation: int | None = None
        self.document: str | None = None
        self.saves = 0
        self.conflicts = 0
        self.failing = False
        self.failed = 0

    def load(self) -> str | None:
        with self._mu:
            return self.document

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        with self._mu:
            if self.failing:
                self.failed += 1
                raise OSError("the database is read-only right now")
            if self.generation != expected_generation:
                self.conflicts += 1
                return False
            self.generation, self.document = new_generation, document
            self.saves += 1
            return True

    def put(self, document: str, generation: int) -> None:
        """Another writer's save (or an operator's), outside the rotator."""
        with self._mu:
            self.generation, self.document = generation, document

    def stored(self) -> Any:
        with self._mu:
            return None if self.document is None else json.loads(self.document)


class LockingCasBackend(CasBackend):
    """The same with a fleet-wide lock. `then_store` is saved by "another writer" right
    after the next load made under the lock: the rotator holds the lock and has read
    the pair, yet its refresh token is spent by the time it sends it."""

    def __init__(self) -> None:
        super().__init__()
        self._fleet = threading.Lock()
        self.held = False
        self.then_store: str | None = None

    def lock(self) -> bool:
        if not self._fleet.acquire(timeout=60):
            return False
        self.held = True
        return True

    def unlock(self) -> None:
        self.held = False
        self._fleet.release()

    def load(self) -> str | None:
        document = super().load()
        if self.held and self.then_store is not None:
            self.put(self.then_store, 1)
            self.then_store = None
        return document


# ---- single flight: the in-process gate, not the store lock -----------------------


def test_sixteen_threads_on_an_expired_chain_cause_one_rotation_without_a_store_lock(slack: FakeSlack) -> None:
    """README: "any number of threads calling get() during a rotation cause exactly one
    request". The store has no lock, so only the rotator's own gate keeps the 15 other
    threads from sending the same refresh token (the rotate call is slowed down to give
    them every chance). Fails without the gate in src/rotator.rs (audit M10)."""
    threads_n = 16
    backend = CasBackend()
    pair = slack.new_config_pair()
    store = xoxe.ForeignStore(backend, name="lockless db")
    store.init(pair["refresh_token"], access_token=pair["token"], expires_at=int(time.time()) - 60)  # expired
    before = slack.stats()
    slack.fault(ROTATE, "delay", delay_ms=500, count=threads_n)  # every rotate call would be slow
    results: list[Any] = []
    start = threading.Barrier(threads_n)
    with xoxe.Client(slack.base_url, timeout=60) as client:
        with xoxe.Rotator.config(client, store, wait_timeout=120) as rotator:

            def work() -> None:
                try:
                    start.wait(timeout=60)
                    results.append(rotator.get())
                except BaseException as exc:  # xoxe errors hold no secret
                    results.append(exc)

            threads = [threading.Thread(target=work) for _ in range(threads_n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            assert not any(t.is_alive() for t in threads)
            errors = [repr(r) for r in results if isinstance(r, BaseException)]
            assert not errors, errors
            after = slack.stats()
            sent = after["requests"].get(ROTATE, 0) - before["requests"].get(ROTATE, 0)
            assert sent == 1, f"{sent} rotate requests for {threads_n} callers of one rotator"
            assert after["rotations"] - before["rotations"] == 1, "one rotation for 16 callers"
            assert after["refresh_token_reuses"] == before["refresh_token_reuses"], "no refresh token sent twice"
            assert len(results) == threads_n and all(r == results[0] for r in results), "all got its token"
            assert results[0].token != pair["token"]
            assert backend.saves == 2 and backend.conflicts == 0, "the seed, then the one rotation"
            assert client.auth_test(results[0].token).user_id


# ---- persist first: a pair whose save failed ---------------------------------------


def test_a_rotated_pair_whose_save_failed_is_never_handed_out_and_is_saved_first_next_time(
    client: xoxe.Client, slack: FakeSlack
) -> None:
    """README: "A pair whose save failed is kept in memory, never handed out, and saved
    first next time". Fails when the unsaved pair is handed out (audit M11)."""
    backend = CasBackend()
    store = xoxe.ForeignStore(backend, name="flaky db")
    store.init(slack.new_config_refresh_token())
    rotator = xoxe.Rotator.config(client, store)
    first = rotator.get()  # rotated and saved: generation 1
    before = slack.stats()

    backend.failing = True
    with pytest.raises(xoxe.StoreIoError) as info:
        rotator.force_rotate()  # applied at Slack (the old refresh token is spent); the save fails
    assert isinstance(info.value.__cause__, OSError)
    assert slack.stats()["rotations"] == before["rotations"] + 1
    # Until the store takes it, the new pair is not handed out: every get() retries
    # the save (not the rotation) and fails.
    for _ in range(3):
        with pytest.raises(xoxe.StoreIoError):
            rotator.get()
    assert backend.failed == 4, "each call tried to save the pending pair first"
    assert slack.stats()["rotations"] == before["rotations"] + 1, "no second rotation while saving failed"
    # The previous token is still there, still valid, and the store still holds it.
    assert rotator.current() == first
    assert client.auth_test(first.token).user_id
    assert Secret(backend.stored()["access_token"]) == first.token and backend.stored()["generation"] == 1

    backend.failing = False
    second = rotator.get()  # saves the pending pair, then hands it out
    assert second.token != first.token
    stored = backend.stored()
    assert Secret(stored["access_token"]) == second.token and stored["generation"] == 2
    assert client.auth_test(second.token).user_id
    # The saved refresh token is the live one: the chain goes on, nothing was spent twice.
    third = rotator.force_rotate()
    assert client.auth_test(third.token).user_id
    after = slack.stats()
    assert after["rotations"] == before["rotations"] + 2
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
    rotator.close()


# ---- re-read before CHAIN_DEAD, on a store with a lock ------------------------------


def test_a_rejected_refresh_token_rereads_a_locked_store_before_calling_the_chain_dead(
    client: xoxe.Client, slack: FakeSlack
) -> None:
    """README: "On invalid_refresh_token the store is re-read before the chain is
    declared dead". With a lock the rotator does not wait for another writer, so only
    the immediate re-read finds the newer pair. Fails without it (audit M13)."""
    backend = LockingCasBackend()
    store = xoxe.ForeignStore(backend, name="locked db")
    seed = slack.new_config_refresh_token()
    store.init(seed)
    rotator = xoxe.Rotator.config(client, store)
    # Another writer rotates the chain, and its save lands right after our rotator has
    # read the store (under the lock): we send a refresh token that is already spent.
    theirs = client.tooling_tokens_rotate(seed)
    lifetime = theirs.exp - theirs.iat
    backend.then_store = _doc(
        theirs.token, theirs.refresh_token, expires_at=int(time.time()) + lifetime, lifetime=lifetime, generation=1
    )
    before = slack.stats()
    token = rotator.get()  # not ChainDeadError: the store holds a newer pair
    assert backend.then_store is None, "the other writer's save happened under the lock"
    assert token.token == theirs.token, "the newer pair from the store was adopted"
    after = slack.stats()
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"] + 1, "our one attempt with the spent token"
    assert after["rotations"] == before["rotations"]
    assert backend.saves == 1 and backend.generation == 1, "nothing saved over the other writer's pair"
    assert client.auth_test(token.token).user_id
    assert client.auth_test(rotator.force_rotate().token).user_id, "the chain is alive"
    rotator.close()


# ---- when to rotate: half the lifetime, rounded up ----------------------------------


LIFETIME = 5  # odd: its half, rounded up, is 3 s (rounded down it would be 2 s)
WINDOW = 3


def test_short_tokens_rotate_at_half_their_lifetime_rounded_up(client: xoxe.Client, slack: FakeSlack) -> None:
    """README: "tokens living less than twice the window rotate at half their lifetime";
    src/rotator.rs rounds that half up (more margin). A 5-second token is rotated once
    3 s or less are left (no jitter: a quarter of a 3-s window is 0 s), and not a
    second earlier. Fails on a window rounded down (audit M8) or a second too large.

    The rotator reads whole seconds: one attempt judges both edges within one wall-clock
    second, and is repeated when the second ticked meanwhile (never judged across it)."""
    for _ in range(50):
        now = int(time.time())
        stores = {}
        for name, expires_at in (("early", now + WINDOW + 1), ("due", now + WINDOW)):
            pair = slack.new_config_pair()
            backend = CasBackend()
            backend.put(
                _doc(pair["token"], pair["refresh_token"], expires_at=expires_at, lifetime=LIFETIME, generation=1), 1
            )
            stores[name] = (pair, xoxe.ForeignStore(backend, name=name))
        early = xoxe.Rotator.config(client, stores["early"][1])
        due = xoxe.Rotator.config(client, stores["due"][1])
        r0 = slack.requests(ROTATE)
        got_early = early.get()
        r1 = slack.requests(ROTATE)
        got_due = due.get()
        r2 = slack.requests(ROTATE)
        same_second = int(time.time()) == now
        # Time only moves on: a pair due at `now` is due whenever it is looked at.
        assert r2 - r1 == 1 and got_due.token != stores["due"][0]["token"], (
            "a 5-s token with 3 s left was not rotated: the window is less than half the lifetime, rounded up"
        )
        early.close()
        due.close()
        if not same_second:
            continue  # the early pair may have become due: not judged
        assert r1 == r0 and got_early.token == stores["early"][0]["token"], (
            "a 5-s token with 4 s left was rotated: the window is more than half the lifetime, rounded up"
        )
        return
    pytest.fail("50 attempts each straddled a wall-clock second; the machine is too slow to judge")


# ---- expiry from the local clock, whatever Slack's says ----------------------------


@pytest.mark.parametrize("offset", [3 * 3600, -3 * 3600], ids=["slack 3 h ahead", "slack 3 h behind"])
def test_expiry_is_the_local_send_time_plus_the_lifetime_whatever_slack_s_clock(
    client: xoxe.Client, slack: FakeSlack, offset: int
) -> None:
    """README: "Expiry is computed from the lifetime Slack states (exp - iat) and the
    local send time, so a skewed clock does not matter". Slack's clock is moved 3 h;
    expires_at must still be local: within [before + lifetime, after + lifetime]. Fails
    when expiry is taken from Slack's exp (audit M14)."""
    backend = CasBackend()
    store = xoxe.ForeignStore(backend, name="skew")
    store.init(slack.new_config_refresh_token())
    slack.control("POST", "clock", {"offset_secs": offset})
    try:
        # The skew is real: Slack's own exp is off by the offset.
        probe = client.tooling_tokens_rotate(slack.new_config_refresh_token())
        assert abs(probe.iat - (time.time() + offset)) < 600
        with xoxe.Rotator.config(client, store) as rotator:
            sent = int(time.time())
            token = rotator.get()
            answered = int(time.time())
            lifetime = backend.stored()["lifetime"]
            assert lifetime == probe.exp - probe.iat > 0
            assert sent + lifetime <= token.expires_at <= answered + lifetime, (
                f"expires_at is {token.expires_at - (sent + lifetime)} s off the local clock "
                f"(Slack's is {offset} s off)"
            )
            assert backend.stored()["expires_at"] == token.expires_at
            # Fresh by the local clock: no second rotation; and Slack accepts it.
            requests = slack.requests(ROTATE)
            assert rotator.get() == token
            assert slack.requests(ROTATE) == requests
            assert client.auth_test(token.token).user_id
    finally:
        slack.control("POST", "clock", {"offset_secs": 0})
