"""Every public function against the fake Slack: the happy paths and the options."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import xoxe
from conftest import App, FakeSlack
from xoxe import Secret


def test_rotate_twice_spends_each_refresh_token(client: xoxe.Client, slack: FakeSlack) -> None:
    refresh = slack.new_config_refresh_token()
    first = client.tooling_tokens_rotate(refresh)
    assert isinstance(first, xoxe.ConfigToken)
    assert isinstance(first.token, Secret) and isinstance(first.refresh_token, Secret)
    assert first.token.get_secret_value().startswith("xoxe.xoxp-")
    assert first.refresh_token.get_secret_value().startswith("xoxe-")
    assert first.refresh_token != refresh
    assert first.team_id and first.user_id
    assert first.exp > first.iat > 0
    assert isinstance(first.warnings, tuple)

    second = client.tooling_tokens_rotate(first.refresh_token, timeout=30)
    assert second.refresh_token != first.refresh_token
    assert second.token != first.token
    # A plain str works as well as a Secret.
    third = client.tooling_tokens_rotate(second.refresh_token.get_secret_value())
    assert third.refresh_token != second.refresh_token

    with pytest.raises(xoxe.InvalidRefreshTokenError) as info:
        client.tooling_tokens_rotate(first.refresh_token)
    assert info.value.slack_error == "invalid_refresh_token"
    assert info.value.code is xoxe.Status.INVALID_REFRESH_TOKEN


def test_results_are_frozen(client: xoxe.Client, slack: FakeSlack) -> None:
    pair = client.tooling_tokens_rotate(slack.new_config_refresh_token())
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.team_id = "T0"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        pair.token._value = "x"  # type: ignore[misc]


def test_exchange_refresh_and_auth_test(client: xoxe.Client, slack: FakeSlack, app: App) -> None:
    legacy = slack.new_legacy_token(app)
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, legacy)
    assert isinstance(pair, xoxe.OAuthToken)
    assert pair.token_type == "bot"
    assert pair.access_token.get_secret_value().startswith("xoxe.xoxb-")
    assert pair.expires_in > 0
    assert pair.app_id and pair.scope and pair.bot_user_id
    assert pair.is_enterprise_install is False

    with pytest.raises(xoxe.TokenAlreadyExchangedError) as info:
        client.oauth_v2_exchange(app.client_id, app.client_secret, legacy)
    assert info.value.slack_error == "token_already_exchanged"

    refreshed = client.oauth_v2_refresh(
        app.client_id, app.client_secret.get_secret_value(), pair.refresh_token, timeout=20.5
    )
    assert refreshed.access_token != pair.access_token
    assert refreshed.refresh_token != pair.refresh_token
    assert refreshed.token_type == "bot"

    who = client.auth_test(refreshed.access_token)
    assert isinstance(who, xoxe.AuthTestResponse)
    assert who.team_id and who.user_id and who.url and who.team and who.user
    assert who.bot_id
    assert who.is_enterprise_install is False

    with pytest.raises(xoxe.InvalidRefreshTokenError):
        client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token)


def test_exchange_user_token(client: xoxe.Client, slack: FakeSlack, app: App) -> None:
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app, "user"))
    assert pair.token_type == "user"
    assert pair.access_token.get_secret_value().startswith("xoxe.xoxp-")
    assert pair.user_id


def test_wrong_client_secret(client: xoxe.Client, slack: FakeSlack, app: App) -> None:
    legacy = slack.new_legacy_token(app)
    with pytest.raises(xoxe.SlackApiError) as info:
        client.oauth_v2_exchange(app.client_id, Secret("not-the-secret"), legacy)
    assert info.value.code == xoxe.Status.BAD_CLIENT_SECRET
    assert isinstance(info.value, xoxe.BadClientSecretError)


def test_rotation_not_enabled(client: xoxe.Client, slack: FakeSlack) -> None:
    app = slack.new_app(rotation_enabled=False)
    with pytest.raises(xoxe.TokenRotationNotEnabledError):
        client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))


def test_call_manifest_validate(client: xoxe.Client, slack: FakeSlack) -> None:
    config = client.tooling_tokens_rotate(slack.new_config_refresh_token())
    manifest = json.dumps({"display_information": {"name": "demo"}})
    answer = client.call("apps.manifest.validate", config.token, {"manifest": manifest})
    assert isinstance(answer, xoxe.ApiResponse)
    assert answer["ok"] is True and answer.get("ok") is True and "ok" in answer
    assert answer.data["ok"] is True and len(answer) >= 1 and dict(answer)["ok"] is True
    assert isinstance(answer.warnings, tuple)
    assert "keys=" in repr(answer)

    with pytest.raises(xoxe.InvalidManifestError) as info:
        client.call("apps.manifest.validate", config.token, {"manifest": "{}"})
    err = info.value
    assert err.slack_error == "invalid_manifest"
    assert err.response_json is not None
    assert err.response is not None and err.response["ok"] is False
    assert isinstance(err.response.get("errors"), list)


def test_call_without_token_and_int_params(client: xoxe.Client) -> None:
    with pytest.raises(xoxe.SlackApiError) as info:
        client.call("auth.test", None, {"limit": 5})
    assert info.value.code in (xoxe.Status.NOT_AUTHED, xoxe.Status.INVALID_AUTH)


def test_client_options_and_presets(slack: FakeSlack) -> None:
    assert xoxe.Client().base_url == xoxe.SLACK_BASE_URL
    assert xoxe.Client(preset=xoxe.Preset.SLACK).base_url == xoxe.SLACK_BASE_URL
    assert xoxe.Client(preset=xoxe.Preset.GOV_SLACK).base_url == xoxe.GOV_SLACK_BASE_URL
    with pytest.raises(ValueError):
        xoxe.Client(slack.base_url, preset=xoxe.Preset.SLACK)
    with pytest.raises(xoxe.UsageError):
        xoxe.Client(preset=7)
    c = xoxe.Client(
        slack.base_url,
        timeout=12.5,
        connect_timeout=3,
        max_ratelimit_retries=0,
        max_retry_wait=5,
        max_response_bytes=1 << 20,
    )
    assert c.base_url == slack.base_url
    assert slack.base_url in repr(c)
    # A base URL without the trailing slash gets one.
    assert xoxe.Client(slack.base_url.rstrip("/")).base_url == slack.base_url
    c.close()


def test_ca_bundle(slack: FakeSlack, tmp_path: Path) -> None:
    with pytest.raises(xoxe.FileUnreadableError) as info:
        xoxe.Client(slack.base_url, ca_bundle=tmp_path / "missing.pem")
    assert info.value.family is xoxe.StatusFamily.USAGE
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(xoxe.UsageError):
        xoxe.Client(slack.base_url, ca_bundle=str(garbage))


def test_close_and_context_manager(slack: FakeSlack) -> None:
    with xoxe.Client(slack.base_url) as c:
        assert not c.closed
    assert c.closed
    c.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        c.auth_test("xoxb-1-whatever")
    assert "closed" in repr(c)


def test_per_call_timeout_overrides_the_client_default(slack: FakeSlack) -> None:
    with xoxe.Client(slack.base_url, timeout=120) as c:
        slack.fault("auth.test", "slow_headers", delay_ms=30_000)
        with pytest.raises(xoxe.XoxeTimeoutError) as info:
            c.auth_test("xoxb-1-whatever", timeout=0.3)
        assert isinstance(info.value, TimeoutError)
        assert info.value.family is xoxe.StatusFamily.TRANSPORT


def test_ratelimit_retry_waits_and_succeeds(slack: FakeSlack, app: App) -> None:
    with xoxe.Client(slack.base_url, max_ratelimit_retries=2, max_retry_wait=10, timeout=60) as c:
        token = c.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
        before = slack.requests("auth.test")
        slack.fault("auth.test", "ratelimited", retry_after=1)
        who = c.auth_test(token.access_token)
        assert who.user_id
        assert slack.requests("auth.test") - before == 2


def test_redact_and_library_version() -> None:
    token = "xoxe-1-" + "A" * 40 + "wxyz"
    assert xoxe.redact(token) == "xoxe-1-…wxyz"
    assert xoxe.redact(Secret(token)) == str(Secret(token))
    assert "A" * 10 not in xoxe.redact(token)
    assert xoxe.redact("hello") == "[redacted 5 chars]"
    assert xoxe.library_version()


def test_secret_type() -> None:
    s = Secret("xoxb-1-" + "B" * 40 + "abcd")
    assert s == Secret(s) and s == s.get_secret_value() and s != Secret("other")
    assert hash(s) == hash(Secret(s.get_secret_value()))
    assert len({s, Secret(s)}) == 1
    assert repr(s) == "Secret('xoxb-1-…abcd')" and str(s) == f"{s}" == s.redacted()
    assert f"{s:>20}".endswith("xoxb-1-…abcd")
    assert bool(s) and not bool(Secret(""))
    with pytest.raises(TypeError):
        Secret(b"xoxb-1-abc")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        s.foo = 1  # type: ignore[attr-defined]


def test_error_attributes(client: xoxe.Client, slack: FakeSlack) -> None:
    slack.fault("auth.test", "slack_error", error="token_revoked")
    with pytest.raises(xoxe.TokenRevokedError) as info:
        client.auth_test("xoxb-1-whatever")
    e = info.value
    assert e.code is xoxe.Status.TOKEN_REVOKED and e.cause is xoxe.Status.TOKEN_REVOKED
    assert e.name == "token_revoked" == e.slack_error
    assert e.family is xoxe.StatusFamily.SLACK_API
    assert e.retry_after is None and e.http_status == 200
    assert isinstance(e.message, str) and e.message
    assert isinstance(e.warnings, tuple)
    assert str(e).startswith("token_revoked: ")
    assert repr(e).startswith("TokenRevokedError(code=1037")
