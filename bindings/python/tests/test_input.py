"""Bad input from Python raises TypeError/ValueError or an XoxeError; it never crashes."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import xoxe
from conftest import FakeSlack
from xoxe import Secret

NOT_STRINGS = [None, b"xoxb-1-bytes", bytearray(b"x"), 42, 4.2, ["x"], {"x": 1}, object()]


def _calls(client: xoxe.Client) -> list[Callable[[Any], Any]]:
    return [
        lambda v: client.tooling_tokens_rotate(v),
        lambda v: client.auth_test(v),
        lambda v: client.oauth_v2_exchange(v, "secret", "xoxb-1-legacy"),
        lambda v: client.oauth_v2_exchange("1.2", v, "xoxb-1-legacy"),
        lambda v: client.oauth_v2_exchange("1.2", "secret", v),
        lambda v: client.oauth_v2_refresh(v, "secret", "xoxe-1-r"),
        lambda v: client.oauth_v2_refresh("1.2", v, "xoxe-1-r"),
        lambda v: client.oauth_v2_refresh("1.2", "secret", v),
        lambda v: client.call(v),
        lambda v: client.call("auth.test", "xoxb-1-x", {"k": v}),
    ]


def test_non_strings_raise_type_error(client: xoxe.Client) -> None:
    calls = _calls(client)
    for call in calls:
        for value in NOT_STRINGS:
            if call is calls[-1] and (value is None or isinstance(value, int)):
                continue  # None means "no token"; int params are sent as text
            with pytest.raises(TypeError):
                call(value)


def test_call_token_may_be_none_but_not_bytes(client: xoxe.Client) -> None:
    with pytest.raises(TypeError):
        client.call("auth.test", b"xoxb-1-x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call("auth.test", None, [("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call("auth.test", None, {1: "b"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        client.call("auth.test", None, {"flag": True})  # type: ignore[dict-item]


def test_embedded_nul_is_refused_before_c(client: xoxe.Client, slack: FakeSlack) -> None:
    before = slack.stats()["requests"]
    for call in _calls(client):
        with pytest.raises(ValueError, match="NUL") as info:
            call("xoxb-1-abc\0def")
        assert not isinstance(info.value, xoxe.XoxeError)
        assert "def" not in str(info.value)
    with pytest.raises(ValueError, match="NUL"):
        client.call("auth.test", None, {"a\0b": "c"})
    with pytest.raises(ValueError, match="NUL"):
        xoxe.Client(slack.base_url + "\0evil")
    assert slack.stats()["requests"] == before


def test_lone_surrogates_are_refused(client: xoxe.Client) -> None:
    with pytest.raises(ValueError, match="surrogate"):
        client.auth_test("xoxb-1-\udcff")


def test_empty_and_huge_strings(client: xoxe.Client) -> None:
    for call in _calls(client)[:8]:
        with pytest.raises(xoxe.UsageError) as info:
            call("")
        assert info.value.code in (xoxe.Status.INVALID_ARGUMENT, xoxe.Status.NULL_ARGUMENT)
    huge = "x" * (10 << 20)
    for call in _calls(client):
        with pytest.raises(xoxe.UsageError) as info:
            call(huge)
        assert info.value.code is xoxe.Status.INVALID_ARGUMENT


def test_bad_method_names(client: xoxe.Client) -> None:
    for bad in ["", "../auth.test", "auth test", "a/b", "x" * 10_000]:
        with pytest.raises(xoxe.UsageError):
            client.call(bad)


def test_bad_client_options(slack: FakeSlack) -> None:
    url = slack.base_url
    for kwargs in [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"timeout": 10**12},
        {"connect_timeout": 0},
        {"max_ratelimit_retries": -1},
        {"max_ratelimit_retries": 2**40},
        {"max_retry_wait": -5},
        {"max_response_bytes": -1},
        {"max_response_bytes": 2**70},
    ]:
        with pytest.raises(ValueError):
            xoxe.Client(url, **kwargs)
    for kwargs in [
        {"timeout": "30"},
        {"timeout": None},
        {"connect_timeout": True},
        {"max_ratelimit_retries": 2.5},
        {"max_response_bytes": "1"},
        {"ca_bundle": 5},
    ]:
        with pytest.raises(TypeError):
            xoxe.Client(url, **kwargs)
    with pytest.raises(TypeError):
        xoxe.Client(preset="gov")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Client(b"http://127.0.0.1/api/")  # type: ignore[arg-type]
    with pytest.raises(xoxe.UsageError):
        xoxe.Client(url, max_response_bytes=0)


def test_bad_per_call_timeouts(client: xoxe.Client) -> None:
    for bad in [0, -1, float("nan")]:
        with pytest.raises(ValueError):
            client.auth_test("xoxb-1-x", timeout=bad)
    with pytest.raises(TypeError):
        client.auth_test("xoxb-1-x", timeout="1")  # type: ignore[arg-type]


def test_secret_inputs_are_accepted_everywhere(client: xoxe.Client) -> None:
    with pytest.raises(xoxe.InvalidRefreshTokenError):
        client.tooling_tokens_rotate(Secret("xoxe-1-" + "N" * 40))
    with pytest.raises(TypeError):
        client.oauth_v2_exchange(Secret("client-id"), "s", "t")  # type: ignore[arg-type]
