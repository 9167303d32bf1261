"""slack_sdk's WebClient and AsyncWebClient with xoxe tokens, against the fake Slack:
calls from many threads (tasks) across several expiries of 2-second tokens never see
``token_expired`` (nor any other token error), a refresh token is never spent twice,
a pool chain is chosen per client, a call naming its own token keeps it, and paging
works.

No timing bounds: loops run for a few token lifetimes and every check is on counts.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import slack_sdk
import xoxe
import xoxe.aio
from conftest import App, FakeSlack, unique_chain
from slack_sdk.errors import SlackApiError
from xoxe.slack_sdk import WebClient
from xoxe.slack_sdk.async_client import AsyncWebClient

TOKEN_TTL = 2
RUN_FOR = 3 * TOKEN_TTL + 1.0  # seconds: across three expiries


def _bot_chain(slack: FakeSlack, client: xoxe.Client, app: App, store: xoxe.Store) -> str:
    """A bot token chain in ``store`` (a legacy token exchanged); returns its team."""
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
    store.init(pair.refresh_token, kind="oauth")
    return pair.team_id or ""


@pytest.fixture
def short_tokens(slack: FakeSlack) -> Iterator[None]:
    with slack.token_ttl(TOKEN_TTL):
        yield


def _token_errors(slack: FakeSlack, before: dict[str, Any]) -> dict[str, int]:
    after = slack.stats()["token_errors"]
    return {k: v - before["token_errors"].get(k, 0) for k, v in after.items() if v != before["token_errors"].get(k, 0)}


def test_web_client_calls_from_eight_threads_across_expiry_never_see_a_bad_token(
    slack: FakeSlack, client: xoxe.Client, app: App, short_tokens: None
) -> None:
    store = xoxe.MemoryStore()
    team = _bot_chain(slack, client, app, store)
    rotator = xoxe.Rotator.oauth(client, store, app.client_id, app.client_secret)
    web = WebClient(rotator, base_url=slack.base_url, timeout=60)
    assert web.token is None, "the client itself holds no token"
    before = slack.stats()
    failures: list[BaseException] = []
    calls = [0]
    deadline = time.monotonic() + RUN_FOR

    def work() -> None:
        try:
            while time.monotonic() < deadline:
                assert web.auth_test()["team_id"] == team
                assert web.chat_postMessage(channel="C0000000001", text="hello")["ok"]
                assert len(web.conversations_list(limit=3)["channels"]) == 3
                calls[0] += 3
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rotator.close()
    assert not failures, f"{len(failures)} threads failed: {[type(f).__name__ for f in failures]}"
    assert _token_errors(slack, before) == {}
    after = slack.stats()
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
    assert after["refreshes"] - before["refreshes"] >= 3, "the token never rotated"
    assert after["api_calls"]["chat.postMessage"] - before["api_calls"].get("chat.postMessage", 0) == calls[0] // 3


def test_a_pool_chain_per_client_own_tokens_kept_and_paging(
    slack: FakeSlack, client: xoxe.Client, app: App, short_tokens: None
) -> None:
    store = xoxe.MemoryStore()
    names = [unique_chain("sdk") for _ in range(2)]
    teams = [_bot_chain(slack, client, app, store.open_chain(n)) for n in names]
    with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
        webs = [WebClient(pool, chain=n, base_url=slack.base_url) for n in names]
        assert [w.chain for w in webs] == names
        deadline = time.monotonic() + RUN_FOR
        while time.monotonic() < deadline:
            for web, team in zip(webs, teams):
                assert web.auth_test()["team_id"] == team
        # A call naming its own token is sent with it.
        other = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
        assert webs[0].auth_test(token=other.access_token.get_secret_value())["team_id"] == other.team_id
        # Paging: 7 channels, 3 a page.
        # (slack_sdk's response is its own iterator: each page replaces the last.)
        sizes = [len(page["channels"]) for page in webs[0].conversations_list(limit=3)]
        assert sizes == [3, 3, 1]
        # slack_sdk's errors still come through.
        with pytest.raises(SlackApiError) as caught:
            webs[0].chat_postMessage(channel="C0000000001")
        assert caught.value.response["error"] == "no_text"
    with pytest.raises(TypeError):
        WebClient(pool)  # a pool needs a chain
    with pytest.raises(TypeError):
        WebClient(xoxe.Rotator.config(client, xoxe.MemoryStore()), chain="x")
    with pytest.raises(TypeError):
        WebClient(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        WebClient(xoxe.Rotator.config(client, xoxe.MemoryStore()), token="xoxb-1")
    assert isinstance(webs[0], slack_sdk.WebClient)


def test_async_web_client_tasks_across_expiry_never_see_a_bad_token(
    slack: FakeSlack, client: xoxe.Client, app: App, short_tokens: None
) -> None:
    store = xoxe.MemoryStore()
    team = _bot_chain(slack, client, app, store)
    before = slack.stats()

    async def main() -> int:
        rotator = xoxe.aio.AsyncRotator.oauth(client, store, app.client_id, app.client_secret)
        web = AsyncWebClient(rotator, base_url=slack.base_url, timeout=60)
        deadline = time.monotonic() + RUN_FOR
        calls = 0

        async def work() -> None:
            nonlocal calls
            while time.monotonic() < deadline:
                assert (await web.auth_test())["team_id"] == team
                assert (await web.chat_postMessage(channel="C0000000001", text="hi"))["ok"]
                calls += 2

        await asyncio.gather(*(work() for _ in range(32)))
        sizes = [len(page["channels"]) async for page in await web.conversations_list(limit=3)]
        assert sizes == [3, 3, 1]
        rotator.close()
        # A sync pool is wrapped for the async client.
        with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
            on_pool = AsyncWebClient(pool, chain="default", base_url=slack.base_url)
            assert (await on_pool.auth_test())["team_id"] == team
        return calls

    calls = asyncio.run(main())
    assert calls > 0
    assert _token_errors(slack, before) == {}
    after = slack.stats()
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
    assert after["refreshes"] - before["refreshes"] >= 3
