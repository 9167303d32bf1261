"""Bolt for Python with xoxe, against the fake Slack over real HTTP: a real Bolt ``App``
(gunicorn, 4 worker processes) and ``AsyncApp`` (uvicorn, 4 worker processes) on a
loopback port answer signed events for 20 s while their 3-second bot tokens rotate —
every event answered, every Slack call made with a valid token, no refresh token
spent twice; Bolt's OAuth flow installs through xoxe; the installation store finds,
saves and deletes chains; check_app flags Bolt rotating too.

No timing bounds: waits poll with generous deadlines; every check is on counts.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xoxe
import xoxe.aio
import xoxe.bolt
from conftest import App, FakeSlack
from slack_bolt import App as BoltApp
from slack_bolt import BoltRequest
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation
from xoxe import Secret
from xoxe.bolt.async_app import AsyncXoxeAuthorize, AsyncXoxeInstallationStore

FRAMEWORKS = Path(__file__).parent / "frameworks"
EVENTS_FOR = 20.0  # seconds of events
TOKEN_TTL = 3
SENDERS = 4


def _mint_code(slack: FakeSlack, app: App, **spec: Any) -> Secret:
    return Secret(slack.control("POST", "authorization_code", {"client_id": app.client_id, **spec})["code"])


def _chains_dir(tmp_path: Path) -> Path:
    """A private directory for a DirectoryStore."""
    path = tmp_path / "chains"
    path.mkdir(mode=0o700)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def installed(tmp_path: Path, slack: FakeSlack, client: xoxe.Client, app: App) -> Iterator[tuple[Path, xoxe.Install]]:
    """A directory store holding one workspace installation (bot and user chains) of
    ``app``, made with 3-second tokens (which stay in force for the test)."""
    store_dir = _chains_dir(tmp_path)
    with slack.token_ttl(TOKEN_TTL):
        with xoxe.Pool(client, xoxe.DirectoryStore(store_dir), app.client_id, app.client_secret) as pool:
            install = pool.install_code(_mint_code(slack, app))
        yield store_dir, install


def _serve(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, f"{cmd[0]} exited with {server.returncode}"
        assert time.monotonic() < deadline, f"{cmd[0]} did not listen on {port}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _events_for_a_while(slack: FakeSlack, url: str, team_id: str, signing_secret: str) -> dict[int, int]:
    """Signed app_mention events, sent through the fake Slack by SENDERS threads for
    EVENTS_FOR seconds: event number -> the app's HTTP status."""
    numbers = itertools.count()
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + EVENTS_FOR

    def send() -> None:
        while time.monotonic() < deadline:
            n = next(numbers)
            event = {"type": "app_mention", "user": "U0TESTER", "text": f"ping {n}", "channel": "C0000000001"}
            event["ts"] = f"{time.time():.6f}"
            answer = slack.control(
                "POST", "events", {"url": url, "signing_secret": signing_secret, "team_id": team_id, "event": event}
            )
            with lock:
                statuses[n] = int(answer["status"])

    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    return statuses


def _check_every_event_answered_with_valid_tokens(
    slack: FakeSlack, statuses: dict[int, int], before: dict[str, Any]
) -> None:
    assert len(statuses) > 20, f"only {len(statuses)} events in {EVENTS_FOR} s"
    assert set(statuses.values()) == {200}, f"the app answered {sorted(set(statuses.values()))}"
    wanted = {f"pong ping {n}" for n in statuses}
    deadline = time.monotonic() + 120
    while True:
        posted = [m["text"] for m in slack.control("GET", "messages")["messages"]]
        if wanted <= set(posted) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    missing = wanted - set(posted)
    assert not missing, f"{len(missing)} of {len(wanted)} events were never answered"
    assert len(posted) == len(wanted), "an event was answered twice"
    after = slack.stats()
    errors = {k: v - before["token_errors"].get(k, 0) for k, v in after["token_errors"].items()}
    assert not any(errors.values()), f"Slack calls with a bad token: {errors}"
    posts = after["api_calls"].get("chat.postMessage", 0) - before["api_calls"].get("chat.postMessage", 0)
    assert posts == len(wanted)
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"], "a refresh token was spent twice"
    refreshes = after["refreshes"] - before["refreshes"]
    assert refreshes >= EVENTS_FOR // TOKEN_TTL, f"{refreshes} rotations of 3-second tokens in {EVENTS_FOR} s"
    print(f"{len(wanted)} events answered in {EVENTS_FOR:.0f} s; {refreshes} token rotations; 0 bad tokens")


@pytest.mark.parametrize("server", ["gunicorn (App)", "uvicorn (AsyncApp)"])
def test_a_bolt_app_with_four_workers_answers_every_signed_event_with_fresh_tokens(
    server: str, installed: tuple[Path, xoxe.Install], slack: FakeSlack, app: App
) -> None:
    store_dir, install = installed
    assert install.team_id
    port = _free_port()
    signing_secret = secrets.token_hex(16)
    env = {
        **os.environ,
        "XOXE_BASE_URL": slack.base_url,
        "XOXE_TEST_STORE_DIR": str(store_dir),
        "XOXE_CLIENT_ID": app.client_id,
        "XOXE_CLIENT_SECRET": app.client_secret.get_secret_value(),
        "SLACK_SIGNING_SECRET": signing_secret,
    }
    bin_dir = Path(sys.executable).parent
    if server.startswith("gunicorn"):
        # No control socket: gunicorn would put it under $HOME, and one run's would clash with another's.
        cmd = [str(bin_dir / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{port}", "--no-control-socket"]
        cmd += ["--chdir", str(FRAMEWORKS), "bolt_wsgi:application"]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "--workers", "4", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--app-dir", str(FRAMEWORKS), "--no-access-log", "bolt_asgi:application"]
    slack.control("DELETE", "messages")
    before = slack.stats()
    process = _serve(cmd, env, port)
    try:
        statuses = _events_for_a_while(slack, f"http://127.0.0.1:{port}/slack/events", install.team_id, signing_secret)
        _check_every_event_answered_with_valid_tokens(slack, statuses, before)
        # A forged signature is refused by Bolt: the signing secret is really checked.
        forged = slack.control(
            "POST",
            "events",
            {
                "url": f"http://127.0.0.1:{port}/slack/events",
                "signing_secret": "not-the-secret",
                "team_id": install.team_id,
                "event": {"type": "app_mention", "user": "U0TESTER", "text": "forged", "channel": "C0000000001"},
            },
        )
        assert forged["status"] == 401
    finally:
        _stop(process)


# ---- in-process: authorize, the installation store, the OAuth flow ------------------


def _context(**fields: Any) -> BoltContext:
    return BoltContext(fields)


def test_authorize_gives_fresh_bot_and_user_tokens_and_none_for_an_unknown_workspace(
    installed: tuple[Path, xoxe.Install], client: xoxe.Client, app: App, slack: FakeSlack
) -> None:
    store_dir, install = installed
    assert install.authed_user is not None and install.bot is not None
    reuses = slack.stats()["refresh_token_reuses"]  # the session's fake Slack: earlier tests spend some twice
    with xoxe.Pool(client, xoxe.DirectoryStore(store_dir), app.client_id, app.client_secret) as pool:
        authorize = xoxe.bolt.XoxeAuthorize(pool)
        user = install.authed_user.id
        result = authorize(context=_context(), enterprise_id=None, team_id=install.team_id, user_id=user)
        assert result is not None and result.bot_token and result.user_token
        assert result.bot_user_id == install.bot.bot_user_id and result.bot_id
        assert client.auth_test(result.bot_token).bot_id == result.bot_id
        assert client.auth_test(result.user_token).user_id == user
        # Another user of the workspace: the bot token only.
        other = authorize(context=_context(), enterprise_id=None, team_id=install.team_id, user_id="U0OTHER")
        assert other is not None and other.bot_token and other.user_token is None
        assert client.auth_test(other.bot_token).bot_id == result.bot_id
        assert authorize(context=_context(), enterprise_id=None, team_id="T0NOWHERE", user_id=user) is None
        # Across expiry the tokens are rotated (3-second tokens): always valid.
        deadline = time.monotonic() + 2 * TOKEN_TTL + 1
        seen = set()
        while time.monotonic() < deadline:
            r = authorize(context=_context(), enterprise_id=None, team_id=install.team_id, user_id=user)
            assert r is not None and r.bot_token and client.auth_test(r.bot_token).team_id == install.team_id
            seen.add(r.bot_token)
            time.sleep(0.2)
        assert len(seen) >= 2, "the bot token never rotated"
        # Uninstalled: not authorized.
        pool.uninstall(install.bot.chain or "")
        assert authorize(context=_context(), enterprise_id=None, team_id=install.team_id, user_id="U0OTHER") is None
    assert slack.stats()["refresh_token_reuses"] == reuses


def test_bolts_oauth_flow_installs_through_xoxe_and_the_store_finds_and_deletes_it(
    tmp_path: Path, client: xoxe.Client, app: App, slack: FakeSlack
) -> None:
    reuses = slack.stats()["refresh_token_reuses"]  # the session's fake Slack: earlier tests spend some twice
    with xoxe.Pool(client, xoxe.DirectoryStore(_chains_dir(tmp_path)), app.client_id, app.client_secret) as pool:
        store = xoxe.bolt.XoxeInstallationStore(pool)
        settings = OAuthSettings(
            client_id=app.client_id,
            client_secret=app.client_secret.get_secret_value(),
            scopes=["chat:write"],
            user_scopes=["search:read"],
            installation_store=store,
            state_validation_enabled=False,
        )
        bolt = BoltApp(
            signing_secret="unused",
            oauth_flow=xoxe.bolt.XoxeOAuthFlow(pool, settings=settings),
            authorize=xoxe.bolt.XoxeAuthorize(pool),
        )
        assert xoxe.bolt.check_app(bolt) == []
        code = _mint_code(slack, app, user_id="U0INSTALLER")
        assert bolt.oauth_flow is not None
        response = bolt.oauth_flow.handle_callback(
            BoltRequest(body="", query={"code": code.get_secret_value()}, headers={})
        )
        assert response.status == 200, response.body
        found = store.find_installation(enterprise_id=None, team_id=slack_team(client, pool))
        assert found is not None and found.bot_token and found.bot_id and found.bot_user_id
        assert found.bot_refresh_token is None and found.bot_token_expires_at is None, "a refresh token reached Bolt"
        assert client.auth_test(found.bot_token).bot_id == found.bot_id
        with_user = store.find_installation(enterprise_id=None, team_id=found.team_id, user_id="U0INSTALLER")
        assert with_user is not None and with_user.user_token
        bot = store.find_bot(enterprise_id=None, team_id=found.team_id)
        assert bot is not None and bot.bot_token == found.bot_token
        # The code was spent once: Bolt's flow with the same code fails cleanly.
        again = bolt.oauth_flow.handle_callback(
            BoltRequest(body="", query={"code": code.get_secret_value()}, headers={})
        )
        assert again.status != 200
        # Deleting the installation's users, then the bot, removes the chains.
        store.delete_installation(enterprise_id=None, team_id=found.team_id)
        gone = store.find_installation(enterprise_id=None, team_id=found.team_id, user_id="U0INSTALLER")
        assert gone is not None and gone.user_token is None
        store.delete_bot(enterprise_id=None, team_id=found.team_id)
        assert store.find_bot(enterprise_id=None, team_id=found.team_id) is None
        assert [c.chain for c in pool.store.chains()] == [] if pool.store else False
    assert slack.stats()["refresh_token_reuses"] == reuses


def slack_team(client: xoxe.Client, pool: xoxe.Pool) -> str:
    """The team of the one bot chain in the pool's store."""
    assert pool.store is not None
    (bot,) = [c.chain for c in pool.store.chains() if c.chain.startswith("bot:")]
    return bot.split(":")[2]


def test_an_installation_from_bolts_own_flow_is_saved_from_its_refresh_tokens(
    tmp_path: Path, client: xoxe.Client, app: App, slack: FakeSlack
) -> None:
    """The store's save() of an Installation made elsewhere (slack_sdk's shape, with
    refresh tokens): the chains start from its refresh tokens, so the first get
    rotates, and the tokens are then fresh."""
    raw = xoxe.Client(slack.base_url).oauth_v2_access(app.client_id, app.client_secret, _mint_code(slack, app))
    assert raw.bot is not None and raw.authed_user is not None and raw.authed_user.token is not None
    installation = Installation(
        app_id=raw.app_id,
        team_id=raw.team_id,
        bot_token=raw.bot.access_token.get_secret_value(),
        bot_id="B0",
        bot_user_id=raw.bot.bot_user_id,
        bot_scopes=raw.bot.scope,
        bot_refresh_token=raw.bot.refresh_token.get_secret_value(),
        bot_token_expires_in=raw.bot.expires_in,
        user_id=raw.authed_user.id,
        user_token=raw.authed_user.token.access_token.get_secret_value(),
        user_refresh_token=raw.authed_user.token.refresh_token.get_secret_value(),
        user_token_expires_in=raw.authed_user.token.expires_in,
    )
    with xoxe.Pool(client, xoxe.DirectoryStore(_chains_dir(tmp_path)), app.client_id, app.client_secret) as pool:
        store = xoxe.bolt.XoxeInstallationStore(pool)
        before = slack.stats()["refreshes"]
        store.save(installation)
        found = store.find_installation(enterprise_id=None, team_id=raw.team_id, user_id=raw.authed_user.id)
        assert found is not None and found.bot_token and found.user_token
        assert slack.stats()["refreshes"] - before == 2, "each chain starts from its refresh token"
        assert client.auth_test(found.bot_token).team_id == raw.team_id
        assert client.auth_test(found.user_token).user_id == raw.authed_user.id


def test_check_app_warns_when_bolt_rotates_tokens_itself(tmp_path: Path) -> None:
    settings = OAuthSettings(
        client_id="111.222",
        client_secret="secret",
        scopes=["chat:write"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path)),
    )
    bolt = BoltApp(signing_secret="unused", oauth_settings=settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = xoxe.bolt.check_app(bolt)
    assert len(problems) == 1 and "rotates tokens itself" in problems[0]
    assert [w.category for w in caught] == [xoxe.bolt.BothRotateWarning]


def test_the_async_authorize_and_store_serve_fresh_tokens(
    installed: tuple[Path, xoxe.Install], client: xoxe.Client, app: App
) -> None:
    store_dir, install = installed
    assert install.authed_user is not None

    async def main() -> None:
        pool = xoxe.aio.AsyncPool.new(client, xoxe.DirectoryStore(store_dir), app.client_id, app.client_secret)
        authorize = AsyncXoxeAuthorize(pool)
        store = AsyncXoxeInstallationStore(pool)
        results = await asyncio.gather(
            *(
                authorize(
                    context=_context(), enterprise_id=None, team_id=install.team_id, user_id=install.authed_user.id
                )
                for _ in range(100)
            )
        )
        assert all(r is not None and r.bot_token and r.user_token for r in results)
        # 3-second tokens: a rotation may fall inside the burst, but every token works.
        tokens = {t for r in results if r for t in (r.bot_token, r.user_token) if t}
        assert len(tokens) <= 4
        assert all(client.auth_test(t).team_id == install.team_id for t in tokens)
        found = await store.async_find_bot(enterprise_id=None, team_id=install.team_id)
        assert found is not None and client.auth_test(found.bot_token).bot_id == results[0].bot_id  # type: ignore[union-attr]
        await store.async_delete_all(enterprise_id=None, team_id=install.team_id)
        assert await store.async_find_installation(enterprise_id=None, team_id=install.team_id) is None
        await pool.aclose()

    asyncio.run(main())


@pytest.mark.parametrize("org", [False, True])
@pytest.mark.parametrize("with_bot", [False, True])
@pytest.mark.parametrize("user_token", [None, "xoxe.xoxp-1-user"])
def test_authorize_result_skips_the_installation(org: bool, with_bot: bool, user_token: str | None) -> None:
    """XoxeAuthorize builds Bolt's AuthorizeResult directly (per request); it is the one
    made through the Installation the installation store hands out."""
    from xoxe.bolt._common import Identity, authorize_result, installation_for, result_for

    who = Identity("U0BOT", "B0BOT", "Team", "https://team.example/") if with_bot else None
    args: dict[str, Any] = {
        "enterprise_id": "E01" if org else None,
        "team_id": None if org else "T01",
        "is_enterprise_install": org,
        "bot_token": "xoxe.xoxb-1-bot" if with_bot else None,
        "bot": who,
        "user_token": user_token,
    }
    for user_id in ("U0REQ", None):
        expected = authorize_result(installation_for(user_id=user_id, **args), who, user_id)
        assert result_for(user_id=user_id, **args) == expected


def test_equal_authorize_results_are_made_once() -> None:
    from xoxe.bolt._common import Identity, Results, result_for

    who = Identity("U0BOT", "B0BOT", "Team", None)
    found: dict[str, Any] = {
        "enterprise_id": None,
        "team_id": "T01",
        "is_enterprise_install": False,
        "user_id": "U0REQ",
        "bot_token": "xoxe.xoxb-1-a",
        "bot": who,
        "user_token": None,
    }
    results = Results(most=2)
    first = results.get(dict(found))
    assert results.get(dict(found)) is first and first == result_for(**found)
    rotated = results.get({**found, "bot_token": "xoxe.xoxb-1-b"})
    assert rotated is not first and rotated["bot_token"] == "xoxe.xoxb-1-b"
    assert results.get({**found, "user_id": "U0OTHER"})["user_id"] == "U0OTHER"
    assert len(results._made) <= 2
