"""No token appears in any repr, str, exception text or log record.

The log half is only worth something if records arrive: the tests turn xoxe's logging on
(into caplog), and check that the lines they provoke are there before scanning them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import App, FakeSlack, restore_logging
from xoxe import Secret

LOGGER = "xoxe"


@pytest.fixture
def xoxe_records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything any logger emits, at every level, into caplog, with xoxe's lines on
    (whatever XOXE_LOG says); the session's logging afterwards."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    xoxe.enable_logging()
    try:
        yield caplog
    finally:
        restore_logging()


def _log_texts(caplog: pytest.LogCaptureFixture, expected: list[str]) -> list[str]:
    """caplog's text and messages, once every expected line is known to be among them."""
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert messages, "no xoxe log record arrived: the log half of this test would be vacuous"
    missing = [e for e in expected if not any(e in m for m in messages)]
    assert not missing, f"expected xoxe log lines missing: {missing}"
    return [caplog.text] + [r.getMessage() for r in caplog.records]


def _leaks(texts: Iterable[str], secrets: list[str]) -> list[str]:
    """Which texts contain a secret; reported by index only, never by content."""
    bad = []
    for i, text in enumerate(texts):
        for j, s in enumerate(secrets):
            if s and s in text:
                bad.append(f"text #{i} contains secret #{j}")
    return bad


def _renderings(obj: Any) -> list[str]:
    out = [repr(obj), str(obj), f"{obj}", format(obj, "")]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out.append(repr(dataclasses.asdict(obj)))
        out.append(str(dataclasses.astuple(obj)))
    if isinstance(obj, BaseException):
        out += [repr(obj.args), "".join(traceback.format_exception(type(obj), obj, obj.__traceback__))]
        out += [str(v) for v in vars(obj).values()]
    return out


def test_results_errors_and_logs_hide_every_secret(
    slack: FakeSlack, app: App, xoxe_records: pytest.LogCaptureFixture
) -> None:
    secrets: list[str] = [app.client_secret.get_secret_value()]
    texts: list[str] = []

    with xoxe.Client(slack.base_url, timeout=60, max_ratelimit_retries=0) as client:
        texts.append(repr(client))
        refresh = slack.new_config_refresh_token()
        legacy = slack.new_legacy_token(app)
        secrets += [refresh.get_secret_value(), legacy.get_secret_value()]
        for s in (refresh, legacy, app.client_secret):
            texts += _renderings(s)

        config = client.tooling_tokens_rotate(refresh)
        secrets += [config.token.get_secret_value(), config.refresh_token.get_secret_value()]
        texts += _renderings(config)

        pair = client.oauth_v2_exchange(app.client_id, app.client_secret, legacy)
        refreshed = client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token)
        for p in (pair, refreshed):
            secrets += [p.access_token.get_secret_value(), p.refresh_token.get_secret_value()]
            texts += _renderings(p)
        texts += _renderings(client.auth_test(refreshed.access_token))
        answer = client.call(
            "apps.manifest.validate", config.token, {"manifest": '{"display_information":{"name":"demo"}}'}
        )
        texts += [repr(answer), str(answer)]

        # Failures that involve every kind of secret as an argument.
        failing = [
            lambda: client.tooling_tokens_rotate(refresh),  # spent
            lambda: client.oauth_v2_exchange(app.client_id, app.client_secret, legacy),  # used
            lambda: client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token),
            lambda: client.oauth_v2_exchange(app.client_id, config.token, legacy),  # wrong secret
            lambda: client.auth_test(config.refresh_token.get_secret_value() + "x"),
            lambda: client.auth_test(refreshed.access_token.get_secret_value() + "\0"),
            lambda: client.auth_test(refreshed.access_token.get_secret_value() * 2000),
            lambda: client.tooling_tokens_rotate(config.refresh_token.get_secret_value() + "\udc80"),
            lambda: client.call("apps.manifest.validate", config.token, {"manifest": "{}"}),
            lambda: client.call("apps.manifest.validate", config.token, {"k\0": "v"}),
            lambda: xoxe.Client(slack.base_url, ca_bundle="/nonexistent/" + "x"),
        ]
        for i, attempt in enumerate(failing):
            try:
                attempt()
            except (xoxe.XoxeError, ValueError, TypeError) as exc:
                texts += _renderings(exc)
            else:
                pytest.fail(f"attempt #{i} did not fail")

        # Faults around token-spending calls.
        slack.fault("tooling.tokens.rotate", "drop_after_apply")
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            client.tooling_tokens_rotate(config.refresh_token)
        texts += _renderings(info.value)
        slack.fault("oauth.v2.access", "truncated_json", apply=True)
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            client.oauth_v2_refresh(app.client_id, app.client_secret, refreshed.refresh_token)
        texts += _renderings(info.value)

    # Every call above was logged (client secrets are not token-shaped: only the
    # library's care keeps them out of these lines, scrub() would not).
    texts += _log_texts(
        xoxe_records,
        [
            "tooling.tokens.rotate: HTTP 200 ok",
            "oauth.v2.exchange: HTTP 200 ok",
            "oauth.v2.access: HTTP 200 ok",
            "auth.test: HTTP 200 ok",
            "apps.manifest.validate: HTTP 200 ok",
            "tooling.tokens.rotate: invalid_refresh_token",
            "oauth.v2.exchange: token_already_exchanged",
            "oauth.v2.exchange: bad_client_secret",
            "auth.test: invalid_auth",
            "tooling.tokens.rotate: outcome unknown",
            "oauth.v2.access: outcome unknown",
        ],
    )
    assert len(secrets) >= 9
    leaks = _leaks(texts, secrets)
    assert not leaks, leaks


def test_installs_and_their_errors_hide_every_secret(
    slack: FakeSlack, app: App, xoxe_records: pytest.LogCaptureFixture
) -> None:
    """An OAuth install (code, tokens, webhook URL, raw answer), its refusals, a failed
    save and auth.revoke: no rendering and no log line shows a secret."""
    secrets: list[str] = [app.client_secret.get_secret_value()]
    texts: list[str] = []

    class Broken:
        def open(self, chain: str) -> Any:
            return self

        def load(self) -> Any:
            return None

        def save(self, expected: Any, new: int, document: str) -> bool:
            raise RuntimeError("cannot save right now")

    def mint(**spec: Any) -> str:
        code = str(slack.control("POST", "authorization_code", {"client_id": app.client_id, **spec})["code"])
        secrets.append(code)
        return code

    with xoxe.Client(slack.base_url, timeout=60, max_ratelimit_retries=0) as client:
        code = mint(incoming_webhook=True, redirect_uri="https://app.example/oauth")
        install = client.oauth_v2_access(app.client_id, app.client_secret, code, "https://app.example/oauth")
        assert install.bot and install.authed_user and install.authed_user.token and install.incoming_webhook
        for token in (install.bot, install.authed_user.token):
            secrets += [token.access_token.get_secret_value(), token.refresh_token.get_secret_value()]
        secrets += [install.incoming_webhook.url.get_secret_value(), install.raw_json.get_secret_value()]
        for obj in (install, install.bot, install.authed_user, install.authed_user.token, install.incoming_webhook):
            texts += _renderings(obj)
        with xoxe.Pool(client, xoxe.ForeignChainsStore(Broken()), app.client_id, app.client_secret) as pool:
            failing = [
                lambda: client.oauth_v2_access(app.client_id, app.client_secret, code, "https://app.example/oauth"),
                lambda: client.oauth_v2_access(
                    app.client_id, app.client_secret, mint(redirect_uri="https://a.example/")
                ),
                lambda: client.oauth_v2_access(app.client_id, app.client_secret, code + "x"),
                lambda: client.oauth_v2_access(app.client_id, install.raw_json, mint()),
                lambda: client.oauth_v2_access(app.client_id, app.client_secret, code + "\0"),
                lambda: client.auth_revoke(install.bot.access_token.get_secret_value() + "x"),  # type: ignore[union-attr]
                lambda: pool.install_code(mint()),  # the save fails: the answer is in the error
                lambda: pool.install(install),
                lambda: pool.install_json(install.raw_json.get_secret_value()[:-2]),
            ]
            for i, attempt in enumerate(failing):
                try:
                    attempt()
                except (xoxe.XoxeError, ValueError, TypeError) as exc:
                    texts += _renderings(exc)
                else:
                    pytest.fail(f"attempt #{i} did not fail")
        assert client.auth_revoke(install.bot.access_token, test=True) is False
        assert client.auth_revoke(install.bot.access_token) is True

    texts += _log_texts(
        xoxe_records,
        [
            "oauth.v2.access: HTTP 200 ok",
            "oauth.v2.access: code_already_used",
            "oauth.v2.access: bad_redirect_uri",
            "oauth.v2.access: invalid_code",
            "auth.revoke: HTTP 200 ok",
        ],
    )
    leaks = _leaks(texts, secrets)
    assert not leaks, leaks


def test_base_url_errors_do_not_echo_a_token(slack: FakeSlack) -> None:
    token = slack.new_config_pair()["token"].get_secret_value()
    with pytest.raises(xoxe.UsageError) as info:
        xoxe.Client(token)  # e.g. environment variables swapped
    assert not _leaks(_renderings(info.value), [token])


def test_secret_repr_shows_only_the_redacted_form() -> None:
    value = "xoxe.xoxp-1-" + "S" * 60 + "tail"
    s = Secret(value)
    for text in (repr(s), str(s), f"{s}", f"{s!r}", f"{s}", repr([s]), repr({"k": s})):
        assert value not in text and "S" * 8 not in text
    assert repr(s) == "Secret('xoxe.xoxp-1-…tail')"
    assert s.get_secret_value() == value


def test_rotators_stores_and_their_errors_hide_every_secret(
    slack: FakeSlack, app: App, tmp_path: Path, xoxe_records: pytest.LogCaptureFixture
) -> None:
    secrets: list[str] = [app.client_secret.get_secret_value()]
    texts: list[str] = []

    class Dict:
        def __init__(self) -> None:
            self.doc: Any = None

        def load(self) -> Any:
            return self.doc

        def save(self, expected: Any, new: int, document: str) -> bool:
            self.doc = document
            return True

    class Broken(Dict):
        def save(self, expected: Any, new: int, document: str) -> bool:
            raise RuntimeError("cannot save right now")

    with xoxe.Client(slack.base_url, timeout=60, max_ratelimit_retries=0) as client:
        refresh = slack.new_config_refresh_token()
        secrets.append(refresh.get_secret_value())
        # The stores have token-shaped names (not secrets: error texts show them), so
        # the rotator's lines naming them show scrub() at work on both token shapes.
        shaped = "xoxe-1-" + "d1r" * 13 + "0a9f"
        shaped_name = "xoxe.xoxp-1-" + "n4me" * 10 + "b7c2"
        (tmp_path / shaped).mkdir()
        file_store = xoxe.FileStore(tmp_path / shaped / "pair.json")
        file_store.init(refresh)
        backend = Dict()
        foreign = xoxe.ForeignStore(backend, name=shaped_name)
        rotator = xoxe.Rotator.config(client, file_store)
        token = rotator.get()
        forced = rotator.force_rotate()
        secrets += [token.token.get_secret_value(), forced.token.get_secret_value()]
        stored = json.loads((tmp_path / shaped / "pair.json").read_text())
        secrets.append(stored["refresh_token"])
        for obj in (token, forced, rotator.current(), rotator, file_store, foreign):
            texts += _renderings(obj)

        # oauth chain through a foreign store.
        pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
        secrets += [pair.access_token.get_secret_value(), pair.refresh_token.get_secret_value()]
        foreign.init(pair.refresh_token, kind="oauth")
        oauth = xoxe.Rotator.oauth(client, foreign, app.client_id, app.client_secret)
        got = oauth.get()
        secrets += [got.token.get_secret_value(), json.loads(backend.doc)["refresh_token"]]
        texts += _renderings(got) + _renderings(oauth)

        failing = [
            lambda: xoxe.Rotator.config(client, foreign).get(),  # wrong kind
            lambda: file_store.init(refresh),  # already holds a chain
            lambda: xoxe.ForeignStore(Broken()).init(refresh),  # the backend raises
            lambda: xoxe.Rotator.oauth(client, foreign, app.client_id, refresh).force_rotate(),
            lambda: xoxe.FileStore(tmp_path / "nodir" / "x.json").init(forced.token),
        ]
        spent = xoxe.MemoryStore()
        spent.init(refresh)  # spent by the first rotation above
        failing.append(lambda: xoxe.Rotator.config(client, spent).get())  # chain dead
        for i, attempt in enumerate(failing):
            try:
                attempt()
            except (xoxe.XoxeError, ValueError, TypeError) as exc:
                texts += _renderings(exc)
            else:
                pytest.fail(f"attempt #{i} did not fail")
        slack.fault("tooling.tokens.rotate", "drop_after_apply")
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            rotator.force_rotate()
        texts += _renderings(info.value)

    logged = _log_texts(
        xoxe_records,
        [
            "rotating the Config chain",
            "saved generation 1",
            "saved generation 2",
            "rotating the Oauth chain",
            "oauth.v2.access: HTTP 200 ok",
            "is dead",
            "outcome unknown",
            # The stores named in their redacted forms, never in full.
            xoxe.redact(shaped) + "/pair.json",
            f'foreign store "{xoxe.redact(shaped_name)}"',
        ],
    )
    assert not _leaks(logged, [shaped, shaped_name]), "a token-shaped name reached a log line unscrubbed"
    texts += logged
    assert len(secrets) >= 9
    leaks = _leaks(texts, secrets)
    assert not leaks, leaks
