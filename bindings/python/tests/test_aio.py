"""xoxe.aio against the fake Slack: a thousand tasks awaiting ``get()`` across a
rotation rotate once (and hop to the thread pool once), a fresh token is served on
the loop without a hop, single flight is shared with synchronous callers, cancelling
a task never cancels the rotation it started (it is saved), the pool's chains each
rotate once, and the client's methods are awaitable.

No timing bounds: waits poll with generous deadlines; every check is on counts and
state.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import xoxe
import xoxe.aio
from conftest import App, FakeSlack, unique_chain

ROTATE = "tooling.tokens.rotate"


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that counts the calls handed to it (each is a thread hop)."""

    def __init__(self) -> None:
        super().__init__(4, thread_name_prefix="test-aio")
        self.hops = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.hops += 1
        return super().submit(fn, *args, **kwargs)


def _rotations(slack: FakeSlack) -> int:
    return int(slack.stats()["rotations"])


def _config_chain(slack: FakeSlack) -> xoxe.MemoryStore:
    store = xoxe.MemoryStore()
    store.init(slack.new_config_refresh_token())
    return store


async def _wait_for(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def test_a_thousand_tasks_awaiting_get_across_a_rotation_rotate_once_with_one_thread_hop(
    slack: FakeSlack, client: xoxe.Client
) -> None:
    reuses = slack.stats()["refresh_token_reuses"]  # the session's fake Slack: counted by others too
    store = _config_chain(slack)
    executor = CountingExecutor()
    rotator = xoxe.aio.AsyncRotator.config(client, store, executor=executor)

    async def main() -> None:
        # A slow rotation, so that every task is waiting while it is in flight.
        slack.fault(ROTATE, "delay", delay_ms=300)
        before = _rotations(slack)
        tokens = await asyncio.gather(*(rotator.get() for _ in range(1000)))
        assert _rotations(slack) - before == 1, "one rotation for a thousand tasks"
        assert executor.hops == 1, f"{executor.hops} thread hops: the tasks of one loop share one"
        assert len({t.token for t in tokens}) == 1
        assert client.auth_test(tokens[0].token).user_id

        # Fresh (12-hour tokens here): served on the loop, no hop, no request.
        again = await asyncio.gather(*(rotator.get() for _ in range(1000)))
        assert executor.hops == 1, "a fresh token cost a thread hop"
        assert {t.token for t in again} == {tokens[0].token}

        # Across the next rotation: a 2-second token (rotated at half life) comes due,
        # and the thousand tasks, all started before the rotation answers, share it.
        with slack.token_ttl(2):
            short = await rotator.force_rotate()
        assert executor.hops == 2
        await _wait_for("the token to come due", lambda: rotator.sync.try_get() is None)
        before = _rotations(slack)
        renewed = await asyncio.gather(*(rotator.get() for _ in range(1000)))
        assert _rotations(slack) - before == 1
        assert executor.hops == 3
        assert len({t.token for t in renewed}) == 1 and renewed[0].token != short.token
        assert client.auth_test(renewed[0].token).user_id

    try:
        asyncio.run(main())
    finally:
        rotator.close()
        executor.shutdown()
    assert slack.stats()["refresh_token_reuses"] == reuses


def test_async_tasks_and_threads_share_one_rotation(slack: FakeSlack, client: xoxe.Client) -> None:
    """Synchronous callers of the same rotator, on other threads, and async tasks
    asking at once: one rotation between them all."""
    store = _config_chain(slack)
    rotator = xoxe.aio.AsyncRotator.config(client, store)
    slack.fault(ROTATE, "delay", delay_ms=500)
    before = _rotations(slack)
    start = threading.Barrier(9)
    got: list[xoxe.AccessToken] = []

    def sync_caller() -> None:
        start.wait()
        got.append(rotator.sync.get())

    async def main() -> list[xoxe.AccessToken]:
        threads = [threading.Thread(target=sync_caller) for _ in range(8)]
        for t in threads:
            t.start()
        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        tokens = await asyncio.gather(*(rotator.get() for _ in range(200)))
        for t in threads:
            await asyncio.get_running_loop().run_in_executor(None, t.join)
        return tokens

    tokens = asyncio.run(main())
    rotator.close()
    assert _rotations(slack) - before == 1
    assert {t.token for t in tokens + got} == {tokens[0].token}


def test_cancelling_the_awaiting_task_never_cancels_the_rotation_it_started(
    slack: FakeSlack, client: xoxe.Client
) -> None:
    reuses = slack.stats()["refresh_token_reuses"]  # the session's fake Slack: counted by others too
    store = _config_chain(slack)
    rotator = xoxe.aio.AsyncRotator.config(client, store)

    async def main() -> None:
        slack.fault(ROTATE, "delay", delay_ms=1500)
        before = _rotations(slack)
        fired = slack.stats()["faults_fired"]
        task = asyncio.create_task(rotator.get())
        await _wait_for("the rotation to reach Slack", lambda: slack.stats()["faults_fired"] > fired)
        waiting = asyncio.create_task(rotator.get())  # shares the rotation in flight
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The rotation goes on without its task, and is saved; the task still
        # waiting for it gets its token.
        token = await waiting
        await _wait_for("the rotation to be saved", lambda: store.chains() and store.chains()[0].generation > 0)
        assert _rotations(slack) - before == 1
        assert await rotator.get() == token
        assert _rotations(slack) - before == 1, "the saved rotation's token was not served"
        assert client.auth_test(token.token).user_id
        # Another rotator (another process) reads the same pair from the store.
        with xoxe.Rotator.config(client, store) as other:
            assert other.current() == token

    try:
        asyncio.run(main())
    finally:
        rotator.close()
    assert slack.stats()["refresh_token_reuses"] == reuses


def test_a_pool_rotates_each_chain_once_for_many_tasks_and_survives_cancellation(
    slack: FakeSlack, client: xoxe.Client, app: App
) -> None:
    store = xoxe.MemoryStore()
    names = [unique_chain("aio") for _ in range(3)]
    for name in names:
        store.open_chain(name).init(slack.new_config_refresh_token())
    executor = CountingExecutor()
    pool = xoxe.aio.AsyncPool.new(client, store, app.client_id, app.client_secret, executor=executor)

    async def main() -> None:
        slack.fault(ROTATE, "delay", delay_ms=300, count=2)
        before = _rotations(slack)
        tokens = await asyncio.gather(*(pool.get(names[i % 2]) for i in range(1000)))
        assert _rotations(slack) - before == 2, "one rotation per chain"
        assert executor.hops == 2, "one hop per chain"
        assert len({t.token for t in tokens}) == 2
        again = await asyncio.gather(*(pool.get(names[i % 2]) for i in range(1000)))
        assert executor.hops == 2 and {t.token for t in again} == {t.token for t in tokens}
        assert (await pool.stats()).chains_in_memory == 2

        # Cancelled while its chain rotates: the rotation is saved all the same.
        slack.fault(ROTATE, "delay", delay_ms=1500)
        fired = slack.stats()["faults_fired"]
        task = asyncio.create_task(pool.get(names[2]))
        await _wait_for("the rotation to reach Slack", lambda: slack.stats()["faults_fired"] > fired)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await _wait_for("the rotation to be saved", lambda: pool.sync.try_get(names[2]) is not None)
        assert _rotations(slack) - before == 3
        saved = store.open_chain(names[2])
        with xoxe.Rotator.config(client, saved) as other:
            assert other.current() == pool.sync.try_get(names[2])

        with pytest.raises(xoxe.StoreEmptyError):
            await pool.get(unique_chain("missing"))
        assert await pool.remove(names[0])
        await pool.aclose()
        with pytest.raises(ValueError):
            await pool.get(names[1])

    try:
        asyncio.run(main())
    finally:
        pool.close()
        executor.shutdown()


def test_the_async_client_awaits_each_slack_method(slack: FakeSlack, app: App) -> None:
    async def main() -> None:
        async with xoxe.aio.AsyncClient(base_url=slack.base_url, timeout=60) as client:
            assert client.base_url == slack.base_url.rstrip("/") + "/"
            pair = await client.tooling_tokens_rotate(slack.new_config_refresh_token())
            who = await client.auth_test(pair.token)
            assert who.user_id
            exchanged = await client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
            refreshed = await client.oauth_v2_refresh(app.client_id, app.client_secret, exchanged.refresh_token)
            assert (await client.auth_test(refreshed.access_token)).team_id
            raw = await client.call("auth.test", refreshed.access_token)
            assert raw["ok"] is True
            assert await client.auth_revoke(refreshed.access_token)
            with pytest.raises(xoxe.TokenRevokedError):
                await client.auth_test(refreshed.access_token)
            # Made from an existing client: closing the wrapper leaves it open.
            wrapped = xoxe.aio.AsyncClient(client.sync)
            wrapped.close()
            assert not client.sync.closed

    asyncio.run(main())


def test_arguments_are_checked(client: xoxe.Client) -> None:
    with pytest.raises(TypeError):
        xoxe.aio.AsyncRotator(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.aio.AsyncPool(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.aio.AsyncClient(client, timeout=3)
    with pytest.raises(TypeError):
        xoxe.aio.AsyncRotator.config(client, xoxe.MemoryStore(), executor=object())  # type: ignore[arg-type]
    assert xoxe.aio.default_executor() is xoxe.aio.default_executor()


def test_try_get_lends_only_a_fresh_token_and_never_rotates(slack: FakeSlack, client: xoxe.Client) -> None:
    store = _config_chain(slack)
    with xoxe.Rotator.config(client, store) as rotator:
        before = _rotations(slack)
        assert rotator.try_get() is None, "never rotated: call get"
        assert _rotations(slack) == before
        token = rotator.get()
        assert rotator.try_get() == token
    with pytest.raises(ValueError):
        rotator.try_get()
