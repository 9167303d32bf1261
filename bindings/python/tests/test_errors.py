"""Every status family maps to its exception class; faults make the server misbehave."""

from __future__ import annotations

import socket

import pytest
import xoxe
from conftest import App, FakeSlack
from xoxe import Secret, Status, StatusFamily

ROTATE = "tooling.tokens.rotate"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- USAGE ---------------------------------------------------------------------


def test_usage_insecure_url() -> None:
    with pytest.raises(xoxe.InsecureUrlError) as info:
        xoxe.Client("http://example.com/api/")
    e = info.value
    assert e.code is Status.INSECURE_URL and e.family is StatusFamily.USAGE
    assert isinstance(e, xoxe.UsageError) and isinstance(e, ValueError)


def test_usage_invalid_argument(client: xoxe.Client) -> None:
    with pytest.raises(xoxe.UsageError) as info:
        client.tooling_tokens_rotate("")
    assert info.value.code is Status.INVALID_ARGUMENT
    with pytest.raises(xoxe.UsageError) as info:
        client.auth_test("x" * 100_000)
    assert info.value.code is Status.INVALID_ARGUMENT
    with pytest.raises(xoxe.UsageError):
        xoxe.Client("not a url")


# ---- TRANSPORT -----------------------------------------------------------------


def test_transport_network() -> None:
    with xoxe.Client(f"http://127.0.0.1:{_closed_port()}/api/", connect_timeout=30) as c:
        with pytest.raises(xoxe.NetworkError) as info:
            c.auth_test("xoxb-1-whatever")
    e = info.value
    assert e.code is Status.NETWORK and e.family is StatusFamily.TRANSPORT
    assert isinstance(e, ConnectionError) and e.http_status is None


def test_transport_tls(slack: FakeSlack) -> None:
    # TLS to a plain-HTTP server: the handshake cannot succeed.
    with xoxe.Client(f"https://127.0.0.1:{slack.port}/api/") as c:
        with pytest.raises(xoxe.TransportError) as info:
            c.auth_test("xoxb-1-whatever")
    assert info.value.family is StatusFamily.TRANSPORT


@pytest.mark.parametrize(
    "kind, extra, code, cls",
    [
        ("http_status", {"status": 502}, Status.HTTP_STATUS, xoxe.HttpStatusError),
        ("malformed_json", {}, Status.BAD_RESPONSE, xoxe.BadResponseError),
        ("empty_body", {}, Status.BAD_RESPONSE, xoxe.BadResponseError),
    ],
)
def test_transport_bad_answers(client: xoxe.Client, slack: FakeSlack, kind, extra, code, cls) -> None:
    slack.fault("auth.test", kind, **extra)
    with pytest.raises(cls) as info:
        client.auth_test("xoxb-1-whatever")
    assert info.value.code is code and info.value.family is StatusFamily.TRANSPORT
    if kind == "http_status":
        assert info.value.http_status == 502


def test_transport_response_too_large(slack: FakeSlack) -> None:
    with xoxe.Client(slack.base_url, max_response_bytes=4096) as c:
        slack.fault("auth.test", "huge_body", bytes=1 << 20)
        with pytest.raises(xoxe.ResponseTooLargeError) as info:
            c.call("auth.test", "xoxb-1-whatever")
    assert info.value.code is Status.RESPONSE_TOO_LARGE


def test_transport_timeout(slack: FakeSlack) -> None:
    with xoxe.Client(slack.base_url, timeout=0.5) as c:
        slack.fault("auth.test", "slow_headers", delay_ms=30_000)
        with pytest.raises(xoxe.XoxeTimeoutError) as info:
            c.auth_test("xoxb-1-whatever")
    assert info.value.code is Status.TIMEOUT and isinstance(info.value, TimeoutError)


# ---- SLACK_API -----------------------------------------------------------------


@pytest.mark.parametrize(
    "error, cls",
    [
        ("invalid_auth", xoxe.InvalidAuthError),
        ("not_authed", xoxe.NotAuthedError),
        ("token_expired", xoxe.TokenExpiredError),
        ("token_revoked", xoxe.TokenRevokedError),
        ("account_inactive", xoxe.SlackApiError),
        ("missing_scope", xoxe.SlackApiError),
    ],
)
def test_slack_api_codes(client: xoxe.Client, slack: FakeSlack, error: str, cls) -> None:
    slack.fault("auth.test", "slack_error", error=error)
    with pytest.raises(cls) as info:
        client.auth_test("xoxb-1-whatever")
    e = info.value
    assert isinstance(e, xoxe.SlackApiError) and e.family is StatusFamily.SLACK_API
    assert e.slack_error == error == e.name
    assert e.code == Status[error.upper()]


def test_slack_api_unknown_code_survives_as_string(client: xoxe.Client, slack: FakeSlack) -> None:
    slack.fault("auth.test", "slack_error", error="brand_new_error_2031")
    with pytest.raises(xoxe.SlackApiError) as info:
        client.auth_test("xoxb-1-whatever")
    e = info.value
    assert type(e) is xoxe.SlackApiError
    assert e.code is Status.SLACK_OTHER and e.slack_error == "brand_new_error_2031"


def test_slack_api_invalid_refresh_token(client: xoxe.Client) -> None:
    with pytest.raises(xoxe.InvalidRefreshTokenError) as info:
        client.tooling_tokens_rotate("xoxe-1-" + "Z" * 40)
    assert info.value.slack_error == "invalid_refresh_token"
    assert info.value.family is StatusFamily.SLACK_API


def test_slack_api_invalid_token_for_exchange(client: xoxe.Client, app: App) -> None:
    with pytest.raises(xoxe.SlackApiError) as info:
        client.oauth_v2_exchange(app.client_id, app.client_secret, "xoxb-1-" + "Q" * 40)
    assert info.value.code in (Status.INVALID_TOKEN, Status.INVALID_AUTH)


# ---- RATE_LIMITED --------------------------------------------------------------


def test_rate_limited_without_retries(client: xoxe.Client, slack: FakeSlack) -> None:
    slack.fault("auth.test", "ratelimited", retry_after=7)
    with pytest.raises(xoxe.RateLimitedError) as info:
        client.auth_test("xoxb-1-whatever")
    e = info.value
    assert e.code is Status.RATELIMITED and e.family is StatusFamily.RATE_LIMITED
    assert e.retry_after == 7 and e.http_status == 429 and e.slack_error == "ratelimited"


# ---- OUTCOME_UNKNOWN -----------------------------------------------------------


def test_lost_rotation_is_outcome_unknown_with_one_request(slack: FakeSlack) -> None:
    refresh = slack.new_config_refresh_token()
    with xoxe.Client(slack.base_url, max_ratelimit_retries=2, timeout=60) as c:
        slack.reset()
        slack.fault(ROTATE, "drop_after_apply")
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            c.tooling_tokens_rotate(refresh)
        stats = slack.stats()
        assert stats["requests"].get(ROTATE) == 1
        assert stats["rotations"] == 1
        e = info.value
        assert e.code is Status.OUTCOME_UNKNOWN and e.family is StatusFamily.OUTCOME_UNKNOWN
        assert e.cause is not Status.OUTCOME_UNKNOWN
        assert e.cause in (Status.NETWORK, Status.BAD_RESPONSE), e.cause
        # The server did apply it: the old refresh token is spent.
        with pytest.raises(xoxe.InvalidRefreshTokenError):
            c.tooling_tokens_rotate(refresh)


@pytest.mark.parametrize(
    "kind, extra, cause",
    [
        ("slack_error", {"error": "internal_error", "apply": True}, Status.INTERNAL_ERROR),
        ("http_status", {"status": 500, "apply": True}, Status.HTTP_STATUS),
        ("truncated_json", {"apply": True}, Status.BAD_RESPONSE),
        # Valid JSON, wrong types: the client cannot tell whether the rotation happened.
        ("wrong_shape", {}, Status.BAD_RESPONSE),
    ],
)
def test_outcome_unknown_causes(slack: FakeSlack, kind, extra, cause) -> None:
    refresh = slack.new_config_refresh_token()
    with xoxe.Client(slack.base_url, timeout=60) as c:
        slack.reset()
        slack.fault(ROTATE, kind, **extra)
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            c.tooling_tokens_rotate(refresh)
        assert slack.requests(ROTATE) == 1
    assert info.value.cause is cause, info.value.cause


def test_timeout_after_sending_a_rotation_is_outcome_unknown(slack: FakeSlack) -> None:
    refresh = slack.new_config_refresh_token()
    with xoxe.Client(slack.base_url, timeout=60) as c:
        slack.reset()
        slack.fault(ROTATE, "slow_headers", delay_ms=30_000, apply=True)
        with pytest.raises(xoxe.OutcomeUnknownError) as info:
            c.tooling_tokens_rotate(refresh, timeout=0.5)
        assert slack.requests(ROTATE) == 1
    assert info.value.cause is Status.TIMEOUT


def test_outcome_unknown_on_oauth_refresh(client: xoxe.Client, slack: FakeSlack, app: App) -> None:
    pair = client.oauth_v2_exchange(app.client_id, app.client_secret, slack.new_legacy_token(app))
    slack.fault("oauth.v2.access", "drop_after_apply")
    with pytest.raises(xoxe.OutcomeUnknownError):
        client.oauth_v2_refresh(app.client_id, app.client_secret, pair.refresh_token)


# ---- STORE and INTERNAL (not reachable through these calls: mapping only) -------


def test_every_family_has_its_class() -> None:
    expected = {
        StatusFamily.USAGE: xoxe.UsageError,
        StatusFamily.TRANSPORT: xoxe.TransportError,
        StatusFamily.SLACK_API: xoxe.SlackApiError,
        StatusFamily.RATE_LIMITED: xoxe.RateLimitedError,
        StatusFamily.OUTCOME_UNKNOWN: xoxe.OutcomeUnknownError,
        StatusFamily.STORE: xoxe.StoreError,
        StatusFamily.INTERNAL: xoxe.InternalError,
    }
    for fam, cls in expected.items():
        assert issubclass(cls, xoxe.XoxeError)
        assert xoxe.exception_class_for(-1, fam) is cls
    assert xoxe.exception_class_for(Status.PANIC) is xoxe.InternalError
    for status in Status:
        if status is Status.OK:
            continue
        fam = xoxe.status_family(status)
        assert issubclass(xoxe.exception_class_for(status), expected[fam]), status
    store = [s for s in Status if xoxe.status_family(s) is StatusFamily.STORE]
    for s in store:
        e = xoxe.exception_class_for(s)(s, "store failed")
        assert isinstance(e, xoxe.StoreError) and e.family is StatusFamily.STORE
    # A number the binding does not know still maps by the library's family.
    e = xoxe.exception_class_for(54321)(54321, "future")
    assert e.code == 54321 and isinstance(e, xoxe.InternalError) and e.name == "unknown_status"


def test_error_classes_by_code() -> None:
    pairs = {
        Status.INVALID_REFRESH_TOKEN: xoxe.InvalidRefreshTokenError,
        Status.REFRESH_TOKEN_EXPIRED: xoxe.RefreshTokenExpiredError,
        Status.TOKEN_EXPIRED: xoxe.TokenExpiredError,
        Status.INVALID_AUTH: xoxe.InvalidAuthError,
        Status.TOKEN_ALREADY_EXCHANGED: xoxe.TokenAlreadyExchangedError,
        Status.TIMEOUT: xoxe.XoxeTimeoutError,
        Status.OUTCOME_UNKNOWN: xoxe.OutcomeUnknownError,
        Status.RATELIMITED: xoxe.RateLimitedError,
        Status.FILE_UNREADABLE: xoxe.FileUnreadableError,
        Status.UNSUPPORTED: xoxe.UnsupportedError,
    }
    for code, cls in pairs.items():
        assert xoxe.exception_class_for(code) is cls


def test_unsupported_is_a_usage_error() -> None:
    # A build without the `postgres` or `redis` feature answers UNSUPPORTED (this one has
    # both: tests/test_fleet_store.py); the class is a UsageError, so also a ValueError.
    assert xoxe.status_name(Status.UNSUPPORTED) == "unsupported" and int(Status.UNSUPPORTED) == 7
    assert xoxe.status_family(Status.UNSUPPORTED) is StatusFamily.USAGE
    e = xoxe.exception_class_for(Status.UNSUPPORTED)(Status.UNSUPPORTED, "this build of xoxe has no PostgreSQL store")
    assert type(e) is xoxe.UnsupportedError and isinstance(e, xoxe.UsageError) and isinstance(e, ValueError)
    assert e.code is Status.UNSUPPORTED and e.family is StatusFamily.USAGE
    assert "UnsupportedError" in xoxe.__all__


def test_errors_pickle(client: xoxe.Client, slack: FakeSlack) -> None:
    import pickle

    slack.fault("auth.test", "ratelimited", retry_after=3)
    with pytest.raises(xoxe.RateLimitedError) as info:
        client.auth_test(Secret("xoxb-1-whatever"))
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is xoxe.RateLimitedError and again.retry_after == 3
    assert again.code is Status.RATELIMITED and str(again) == str(info.value)
