"""OAuth installs against the fake Slack: an authorization code the fake mints is traded
for an installation's tokens (``Client.oauth_v2_access``, ``Pool.install_code``), whose
chains a pool saves, serves, rotates across expiry and uninstalls (``auth.revoke``), for
a workspace install with bot and user tokens, an org-wide install and a user-token-only
install; Slack's refusals of a code; ``auth_revoke``; saving from the raw answer after a
failed save; nothing printing a secret; and misuse.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import App, FakeSlack
from xoxe import Secret, Status

#: The fake Slack's default token lifetime (tools/fake-slack): restored after a test
#: that shortens it.
DEFAULT_TTL = 43200
#: The token lifetime of the rotation tests: short enough to wait out.
SHORT_TTL = 4


def mint_code(slack: FakeSlack, app: App, **spec: Any) -> Secret:
    """An authorization code for ``app`` (the fake's ``CodeSpec``: ``bot``, ``user``,
    ``team_id``, ``enterprise_id``, ``is_enterprise_install``, ``redirect_uri``…)."""
    return Secret(slack.control("POST", "authorization_code", {"client_id": app.client_id, **spec})["code"])


@pytest.fixture
def short_ttl(slack: FakeSlack) -> Iterator[int]:
    """Tokens the fake issues from now on live SHORT_TTL seconds."""
    slack.control("POST", "ttl", {"ttl": SHORT_TTL})
    try:
        yield SHORT_TTL
    finally:
        slack.control("POST", "ttl", {"ttl": DEFAULT_TTL})


def _store(kind: str, tmp_path: Path) -> xoxe.Store:
    if kind == "memory":
        return xoxe.MemoryStore()
    directory = tmp_path / "chains"
    directory.mkdir(mode=0o700)
    return xoxe.DirectoryStore(directory)


def _secrets_of(install: xoxe.Install) -> list[str]:
    found = [install.raw_json.get_secret_value()]
    tokens = [install.bot, install.authed_user.token if install.authed_user else None]
    for token in tokens:
        if token is not None:
            found += [token.access_token.get_secret_value(), token.refresh_token.get_secret_value()]
    if install.incoming_webhook is not None:
        found.append(install.incoming_webhook.url.get_secret_value())
    return found


def _starts(secret: Secret, prefix: str) -> bool:
    """Whether ``secret`` starts with ``prefix`` (a failing assert shows the Secret,
    which prints redacted, never the value)."""
    return secret.get_secret_value().startswith(prefix)


def _holds(secret: Secret | str | None, part: str) -> bool:
    """Whether ``secret`` (a str is wrapped at once) holds ``part``."""
    return secret is not None and part in Secret(secret).get_secret_value()


def _printed_in(secret: Secret | str | None, *objects: object) -> bool:
    """Whether ``str`` or ``repr`` of any of ``objects`` shows ``secret``."""
    value = Secret(secret or "").get_secret_value()
    return bool(value) and any(value in text for obj in objects for text in (str(obj), repr(obj)))


def _renderings(obj: Any) -> list[str]:
    out = [repr(obj), str(obj), f"{obj}", f"{obj!r}"]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out += [repr(dataclasses.asdict(obj)), str(dataclasses.astuple(obj))]
    return out


def _assert_hidden(objects: list[Any], secrets: list[str]) -> None:
    """No rendering of ``objects`` shows a secret (reported by index, never by value)."""
    leaks = [
        f"object #{i} prints secret #{j}"
        for i, obj in enumerate(objects)
        for text in _renderings(obj)
        for j, secret in enumerate(secrets)
        if secret and secret in text
    ]
    assert not leaks, leaks


# ---- install -> get -> rotate -> uninstall ------------------------------------------

KINDS = {
    # id: (code spec, has a bot token, has a user token)
    "workspace-bot-and-user": ({"team_id": "T0WS1", "team_name": "Workspace One", "user_id": "U0WS1"}, True, True),
    "org-wide": ({"enterprise_id": "E0ORG1", "is_enterprise_install": True, "user_id": "W0ORG1"}, True, True),
    "user-only": ({"bot": False, "team_id": "T0USR1", "user_id": "U0USR1"}, False, True),
}


def _unique(spec: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``spec`` with ids of this run's own (the fake remembers every team)."""
    out = dict(spec)
    for key in ("team_id", "enterprise_id", "user_id"):
        if key in out:
            out[key] = out[key] + suffix
    return out


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    ("via", "store_kind"), [("client", "memory"), ("pool", "directory")], ids=["client+memory", "pool+directory"]
)
def test_install_get_rotate_uninstall(
    kind: str, via: str, store_kind: str, tmp_path: Path, slack: FakeSlack, app: App, short_ttl: int
) -> None:
    """Install (``Client.oauth_v2_access`` then ``Pool.install``, or
    ``Pool.install_code``), get each chain, rotate it across expiry, uninstall it."""
    store = _store(store_kind, tmp_path)
    spec, has_bot, has_user = KINDS[kind]
    spec = _unique(spec, str(time.monotonic_ns() % 10**9))
    org_wide = bool(spec.get("is_enterprise_install"))
    code = mint_code(slack, app, scopes="chat:write", user_scopes="search:read", **spec)
    with (
        xoxe.Client(slack.base_url, timeout=60, max_ratelimit_retries=0) as client,
        xoxe.Pool(client, store, app.client_id, app.client_secret) as pool,
    ):
        before = slack.stats()
        if via == "client":
            install = client.oauth_v2_access(app.client_id, app.client_secret, code)
            names = pool.install(install)
        else:
            install = pool.install_code(code)
            names = list(install.chains)
        assert slack.stats()["installs"] == before["installs"] + 1

        # What Slack said, copied out.
        assert install.app_id and install.is_enterprise_install is org_wide
        assert install.team_id == (None if org_wide else spec["team_id"])
        assert install.enterprise_id == spec.get("enterprise_id")
        assert install.received_at <= time.time() + 1
        assert install.authed_user is not None and install.authed_user.id == spec["user_id"]
        assert install.incoming_webhook is None
        assert _starts(install.raw_json, "{")
        bot_chain = xoxe.installation_chain(install.enterprise_id, install.team_id, org_wide)
        user_chain = xoxe.installation_chain(install.enterprise_id, install.team_id, org_wide, spec["user_id"])
        expected = ([bot_chain] if has_bot else []) + ([user_chain] if has_user else [])
        assert names == expected == list(install.chains)
        if has_bot:
            bot = install.bot
            assert bot is not None and bot.chain == bot_chain and bot.bot_user_id
            assert _starts(bot.access_token, "xoxe.xoxb-")
            assert bot.refresh_token and bot.expires_in == short_ttl and "chat:write" in bot.scope
            assert bot.expires_at == install.received_at + short_ttl
        else:
            assert install.bot is None
        user = install.authed_user.token
        assert user is not None and user.chain == user_chain == install.authed_user.chain
        assert _starts(user.access_token, "xoxe.xoxp-") and user.bot_user_id is None
        assert install.authed_user.scope and "search:read" in install.authed_user.scope
        _assert_hidden([install, install.bot, install.authed_user, user], _secrets_of(install))

        # Saved: every chain is served as installed, and its token works.
        listed = {c.chain: c for c in store.chains()}
        assert sorted(listed) == sorted(names)
        installed = {bot_chain: install.bot, user_chain: user}
        for name in names:
            assert listed[name].kind is xoxe.ChainKind.OAUTH and listed[name].revoked is None
            got = pool.get(name)
            token = installed[name]
            assert token is not None and got.token == token.access_token
            who = client.auth_test(got.token)
            assert who.team_id == (install.team_id or who.team_id)

        # Across expiry: each chain rotates once, and its new token works.
        time.sleep(short_ttl + 0.5)
        fresh = {}
        for name in names:
            got = pool.get(name)
            token = installed[name]
            assert token is not None and got.token != token.access_token, f"{name} was not rotated"
            assert client.auth_test(got.token)
            fresh[name] = got
        assert slack.stats()["refreshes"] == before["refreshes"] + len(names)
        assert slack.stats()["refresh_token_reuses"] == before["refresh_token_reuses"]

        # Uninstall: revoked at Slack, gone from the store.
        for name in names:
            assert pool.uninstall(name) is True
            with pytest.raises(xoxe.TokenRevokedError):
                client.auth_test(fresh[name].token)
            with pytest.raises(xoxe.StoreEmptyError):
                pool.get(name)
        assert [c.chain for c in store.chains()] == []
        assert slack.stats()["revocations"] == before["revocations"] + len(names)


def test_reinstall_replaces_the_chain_and_revives_a_revoked_one(
    slack: FakeSlack, client: xoxe.Client, app: App
) -> None:
    spec = _unique({"team_id": "T0RE", "user_id": "U0RE"}, str(time.monotonic_ns() % 10**9))
    store = xoxe.MemoryStore()
    with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
        first = pool.install_code(mint_code(slack, app, **spec))
        (bot_chain, _) = first.chains
        pool.mark_revoked(bot_chain, "token_revoked")
        with pytest.raises(xoxe.ChainRevokedError):
            pool.get(bot_chain)
        second = pool.install_code(mint_code(slack, app, **spec))
        assert second.chains == first.chains
        assert second.bot is not None and pool.get(bot_chain).token == second.bot.access_token
        assert {c.chain: c.revoked for c in store.chains()} == {name: None for name in second.chains}


def test_an_incoming_webhook_is_copied_and_its_url_kept_secret(slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    install = client.oauth_v2_access(app.client_id, app.client_secret, mint_code(slack, app, incoming_webhook=True))
    hook = install.incoming_webhook
    assert hook is not None and _starts(hook.url, "https://")
    assert hook.channel and hook.channel_id and hook.configuration_url
    _assert_hidden([install, hook], _secrets_of(install))


# ---- Slack's refusals ------------------------------------------------------------


def test_slack_refusals_have_their_statuses(slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    store = xoxe.MemoryStore()
    with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
        with pytest.raises(xoxe.InvalidCodeError) as info:
            client.oauth_v2_access(app.client_id, app.client_secret, "not-a-code")
        assert info.value.code is Status.INVALID_CODE and isinstance(info.value, xoxe.SlackApiError)
        with pytest.raises(xoxe.InvalidCodeError):
            pool.install_code(mint_code(slack, app, ttl_secs=0))  # expired
        other = slack.new_app()
        with pytest.raises(xoxe.InvalidCodeError):
            pool.install_code(mint_code(slack, other))  # another app's

        code = mint_code(slack, app, redirect_uri="https://app.example/oauth")
        with pytest.raises(xoxe.BadRedirectUriError) as bad_uri:
            pool.install_code(code, "https://evil.example/oauth")
        assert bad_uri.value.code is Status.BAD_REDIRECT_URI
        with pytest.raises(xoxe.BadRedirectUriError):
            pool.install_code(code)  # the authorization named one: it must be sent
        install = pool.install_code(code, "https://app.example/oauth")  # the code stayed good
        with pytest.raises(xoxe.CodeAlreadyUsedError) as reused:
            pool.install_code(code, "https://app.example/oauth")
        assert reused.value.code is Status.CODE_ALREADY_USED
        with pytest.raises(xoxe.CodeAlreadyUsedError):
            client.oauth_v2_access(app.client_id, app.client_secret, code, "https://app.example/oauth")
        assert [c.chain for c in store.chains()] == sorted(install.chains), "refusals saved nothing"

    with pytest.raises(xoxe.BadClientSecretError):
        client.oauth_v2_access(app.client_id, "wrong", mint_code(slack, app))
    # An app whose tokens do not rotate cannot be installed; Slack's answer is kept.
    static = slack.new_app(rotation_enabled=False)
    with pytest.raises(xoxe.TokenRotationNotEnabledError) as off:
        client.oauth_v2_access(static.client_id, static.client_secret, mint_code(slack, static))
    # Booleans first: a failing assert shows what it evaluates, and this is a secret.
    kept, shown = _holds(off.value.response_json, '"access_token"'), _printed_in(off.value.response_json, off.value)
    assert kept and not shown


# ---- auth.revoke -----------------------------------------------------------------


def test_auth_revoke_and_its_test_mode(slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    install = client.oauth_v2_access(app.client_id, app.client_secret, mint_code(slack, app))
    assert install.bot is not None
    bot = install.bot.access_token
    assert client.auth_revoke(bot, test=True) is False
    assert client.auth_test(bot), "a test revokes nothing"
    assert client.auth_revoke(bot) is True
    with pytest.raises(xoxe.TokenRevokedError):
        client.auth_test(bot)
    with pytest.raises(xoxe.TokenRevokedError):
        client.auth_revoke(bot)
    # The bot's refresh token went with it (the whole chain); the user's token did not.
    with pytest.raises(xoxe.InvalidRefreshTokenError):
        client.oauth_v2_refresh(app.client_id, app.client_secret, install.bot.refresh_token)
    assert install.authed_user is not None and install.authed_user.token is not None
    assert client.auth_test(install.authed_user.token.access_token)
    with pytest.raises(TypeError):
        client.auth_revoke(bot, test=1)  # type: ignore[arg-type]
    with pytest.raises(xoxe.UsageError):
        client.auth_revoke("")


# ---- saving from the raw answer --------------------------------------------------


class _Chains:
    """A ForeignChainsStore backend in a dict, whose saves fail while ``broken``."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[int, str]] = {}
        self.mu = threading.Lock()
        self.broken = False

    def open(self, chain: str) -> Any:
        outer = self

        class One:
            def load(self) -> str | None:
                with outer.mu:
                    return outer.docs[chain][1] if chain in outer.docs else None

            def save(self, expected: int | None, new: int, document: str) -> bool:
                with outer.mu:
                    if outer.broken:
                        raise OSError("the database is down")
                    held = outer.docs.get(chain)
                    if (held[0] if held else None) != expected:
                        return False
                    outer.docs[chain] = (new, document)
                    return True

        return One()

    def list(self) -> list[str]:
        with self.mu:
            return sorted(self.docs)

    def remove(self, chain: str) -> bool:
        with self.mu:
            return self.docs.pop(chain, None) is not None


def test_a_failed_save_keeps_the_answer_for_install_json(slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    backend = _Chains()
    store = xoxe.ForeignChainsStore(backend, name="flaky chains")
    with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
        backend.broken = True
        with pytest.raises(xoxe.StoreError) as info:
            pool.install_code(mint_code(slack, app))
        e = info.value
        raw = Secret(e.response_json or "")
        kept, shown = _holds(raw, '"refresh_token"'), _printed_in(raw, e)
        assert kept, "the answer, for a retry"
        assert not shown, "never printed"
        assert isinstance(e.__cause__, OSError)
        assert backend.docs == {}
        backend.broken = False
        refreshes = slack.stats()["refreshes"]
        names = pool.install_json(raw)
        assert len(names) == 2 and sorted(backend.docs) == sorted(names)
        # When the answer arrived is not known: each chain rotates on its first get.
        for name in names:
            assert client.auth_test(pool.get(name).token)
        assert slack.stats()["refreshes"] == refreshes + 2


def test_install_json_and_copies_of_an_install(slack: FakeSlack, client: xoxe.Client, app: App) -> None:
    spec = _unique({"enterprise_id": "E0JS", "is_enterprise_install": True}, str(time.monotonic_ns() % 10**9))
    install = client.oauth_v2_access(app.client_id, app.client_secret, mint_code(slack, app, **spec))
    # A copy or a pickle leaves the library's handle behind: it is saved from raw_json.
    clone = pickle.loads(pickle.dumps(install))
    assert clone == install == copy.deepcopy(install) == copy.copy(install)
    store = xoxe.MemoryStore()
    with xoxe.Pool(client, store, app.client_id, app.client_secret) as pool:
        assert pool.install(clone) == list(install.chains)
        assert pool.install_json(install.raw_json) == list(install.chains)
        assert pool.install_json(install.raw_json.get_secret_value().encode()) == list(install.chains)
        assert sorted(c.chain for c in store.chains()) == sorted(install.chains)
        with pytest.raises(xoxe.UsageError):
            pool.install_json('{"ok": false, "error": "invalid_code"}')
        with pytest.raises(xoxe.UsageError):
            pool.install_json("not json")
        with pytest.raises(ValueError):
            pool.install_json(b"\xff")
        with pytest.raises(TypeError):
            pool.install_json(1)  # type: ignore[arg-type]


# ---- misuse ----------------------------------------------------------------------


def test_closed_handles_and_bad_arguments(slack: FakeSlack, app: App) -> None:
    client = xoxe.Client(slack.base_url, timeout=60)
    install = client.oauth_v2_access(app.client_id, app.client_secret, mint_code(slack, app))
    store = xoxe.MemoryStore()
    with xoxe.Pool(client, store) as no_credentials:
        with pytest.raises(xoxe.UsageError, match="client id and secret"):
            no_credentials.install_code(mint_code(slack, app))
        assert no_credentials.install(install) == list(install.chains), "saving needs no credentials"
    pool = xoxe.Pool(client, store, app.client_id, app.client_secret)
    with pytest.raises(TypeError):
        pool.install("install")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pool.install_code(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pool.install_code("a\0b")
    with pytest.raises(xoxe.UsageError):
        pool.install_code(mint_code(slack, app), "")
    with pytest.raises(TypeError):
        client.oauth_v2_access(app.client_id, app.client_secret, None)  # type: ignore[arg-type]
    with pytest.raises(xoxe.UsageError):
        client.oauth_v2_access(app.client_id, app.client_secret, "")
    pool.close()
    client.close()
    for call in (
        lambda: pool.install(install),
        lambda: pool.install_code("code"),
        lambda: pool.install_json(install.raw_json),
        lambda: client.oauth_v2_access(app.client_id, app.client_secret, "code"),
        lambda: client.auth_revoke("xoxb-1"),
    ):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert install.bot is not None and install.bot.access_token, "an install outlives its client"
