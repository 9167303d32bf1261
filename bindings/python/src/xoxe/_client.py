"""``Client``: the Slack Web API client (a thin owner of an ``xoxe_client*``)."""

from __future__ import annotations

import ctypes
import json
import math
import os
import threading
from typing import Any, Callable, Mapping, Optional, Tuple, TypeVar, Union

from . import _ffi
from ._errors import take_error
from ._ffi import lib
from ._secret import Secret
from ._status import Preset
from ._types import ApiResponse, AuthTestResponse, ConfigToken, OAuthToken

__all__ = [
    "Client",
    "SLACK_BASE_URL",
    "GOV_SLACK_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RATELIMIT_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
]

#: Base URL of Slack's Web API (``Preset.SLACK``, the default).
SLACK_BASE_URL = "https://slack.com/api/"
#: Base URL of GovSlack's Web API (``Preset.GOV_SLACK``).
GOV_SLACK_BASE_URL = "https://slack-gov.com/api/"

#: Whole-call timeout in seconds, including rate-limit waits (the library's default).
DEFAULT_TIMEOUT = 30.0
#: Connect timeout in seconds (the library's default).
DEFAULT_CONNECT_TIMEOUT = 10.0
#: How many ``ratelimited`` answers are retried after their ``Retry-After`` (the library's default).
DEFAULT_MAX_RATELIMIT_RETRIES = 2
#: The longest ``Retry-After`` (seconds) waited for (the library's default).
DEFAULT_MAX_RETRY_WAIT = 60

_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF

TokenLike = Union[str, Secret]
T = TypeVar("T")


# ---- argument conversion (checks only; the library validates meaning) ------------


def _cstr(value: object, name: str, *, secret: bool = False) -> bytes:
    """A str (or Secret, where ``secret``) as NUL-terminated UTF-8 bytes for C.

    Error messages name the argument, never its value.
    """
    if secret and isinstance(value, Secret):
        value = value.get_secret_value()
    if not isinstance(value, str):
        wanted = "a str or Secret" if secret else "a str"
        raise TypeError(f"{name} must be {wanted}, not {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid Unicode text (it contains a lone surrogate)") from None
    if b"\0" in data:
        raise ValueError(f"{name} contains a NUL character, which C strings cannot carry")
    return data


def _opt_cstr(value: object, name: str, *, secret: bool = False) -> Optional[bytes]:
    return None if value is None else _cstr(value, name, secret=secret)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


def _ms(seconds: object, name: str) -> int:
    """Seconds (int or float, > 0) as whole milliseconds for a ``uint32_t``."""
    value = _number(seconds, name)
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero seconds")
    ms = math.ceil(value * 1000)
    if ms > _U32_MAX:
        raise ValueError(f"{name} is too large (at most {_U32_MAX // 1000} seconds)")
    return int(ms)


def _call_ms(timeout: object) -> int:
    """A per-call timeout: ``None`` (the client's default) is 0 for the library."""
    return 0 if timeout is None else _ms(timeout, "timeout")


def _uint(value: object, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0 or value > maximum:
        raise ValueError(f"{name} must be between 0 and {maximum}")
    return value


def _strings(array: Any, n: int) -> Tuple[str, ...]:
    if not array or n == 0:
        return ()
    return tuple(array[i].decode("utf-8", errors="replace") for i in range(n))


def _s(raw: Optional[bytes]) -> str:
    return "" if raw is None else raw.decode("utf-8", errors="replace")


def _os(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _check(status: int, err: Any) -> None:
    """Raises the exception for a failed call (freeing its error handle)."""
    if status != 0:
        raise take_error(status, err)


class Client:
    """A Slack Web API client: one connection pool, safe to share between threads.

    Blocking calls release the GIL. Close it with :meth:`close` or a ``with`` block;
    closing waits for calls in flight on other threads to finish.

    Args:
        base_url: the Web API base URL (``https://``, or ``http://`` to a loopback host,
            e.g. a test server). Mutually exclusive with ``preset``.
        preset: :class:`Preset` ``SLACK`` (default) or ``GOV_SLACK``.
        timeout: whole-call timeout in seconds, including rate-limit waits.
        connect_timeout: connect timeout in seconds.
        max_ratelimit_retries: how many ``ratelimited`` answers are retried after waiting
            their ``Retry-After`` (0: raise :class:`RateLimitedError` at once).
        max_retry_wait: the longest ``Retry-After`` (seconds) waited for.
        ca_bundle: a PEM file of extra CA certificates to trust (TLS verification cannot
            be turned off).
        max_response_bytes: the largest response body accepted (default 4 MiB).
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        preset: Optional[Union[Preset, int]] = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_ratelimit_retries: int = DEFAULT_MAX_RATELIMIT_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        ca_bundle: Optional[Union[str, "os.PathLike[str]"]] = None,
        max_response_bytes: Optional[int] = None,
    ) -> None:
        self._handle: Any = None  # set last; __del__ copes with a failed __init__
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._closed = False

        if base_url is not None and preset is not None:
            raise ValueError("give base_url or preset, not both")
        url = _opt_cstr(base_url, "base_url")
        preset_n: Optional[int] = None
        if preset is not None:
            preset_n = _uint(preset, "preset", _U32_MAX)
        connect_ms = _ms(connect_timeout, "connect_timeout")
        call_ms = _ms(timeout, "timeout")
        retries = _uint(max_ratelimit_retries, "max_ratelimit_retries", _U32_MAX)
        wait = _number(max_retry_wait, "max_retry_wait")
        if wait < 0:
            raise ValueError("max_retry_wait must not be negative")
        wait_s = int(math.ceil(wait))
        if wait_s > _U32_MAX:
            raise ValueError("max_retry_wait is too large")
        ca: Optional[bytes] = None
        if ca_bundle is not None:
            if not isinstance(ca_bundle, (str, os.PathLike)):
                raise TypeError(f"ca_bundle must be a str or path, not {type(ca_bundle).__name__}")
            ca = _cstr(os.fspath(ca_bundle), "ca_bundle")
        max_bytes: Optional[int] = None
        if max_response_bytes is not None:
            max_bytes = _uint(max_response_bytes, "max_response_bytes", _U64_MAX)

        options = _ffi.ClientOptionsP()
        err = _ffi.ErrorP()
        _check(lib.xoxe_client_options_new(ctypes.byref(options), ctypes.byref(err)), err)
        try:
            if url is not None:
                err = _ffi.ErrorP()
                _check(lib.xoxe_client_options_set_base_url(options, url, ctypes.byref(err)), err)
            if preset_n is not None:
                err = _ffi.ErrorP()
                _check(lib.xoxe_client_options_set_preset(options, preset_n, ctypes.byref(err)), err)
            err = _ffi.ErrorP()
            _check(
                lib.xoxe_client_options_set_timeouts(options, connect_ms, call_ms, ctypes.byref(err)),
                err,
            )
            err = _ffi.ErrorP()
            _check(
                lib.xoxe_client_options_set_ratelimit_retries(
                    options, retries, wait_s, ctypes.byref(err)
                ),
                err,
            )
            if ca is not None:
                err = _ffi.ErrorP()
                _check(lib.xoxe_client_options_set_ca_bundle(options, ca, ctypes.byref(err)), err)
            if max_bytes is not None:
                err = _ffi.ErrorP()
                _check(
                    lib.xoxe_client_options_set_max_response_bytes(
                        options, max_bytes, ctypes.byref(err)
                    ),
                    err,
                )
            handle = _ffi.ClientP()
            err = _ffi.ErrorP()
            _check(lib.xoxe_client_new(options, ctypes.byref(handle), ctypes.byref(err)), err)
        finally:
            lib.xoxe_client_options_free(options)
        self._handle = handle
        raw = lib.xoxe_client_base_url(handle)
        self._base_url = _s(raw)

    # ---- lifetime ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL this client talks to (ends in ``/``)."""
        return self._base_url

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Frees the client. Waits for calls in flight on other threads; idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            while self._in_flight:
                self._cond.wait()
            handle, self._handle = self._handle, None
        if handle:
            lib.xoxe_client_free(handle)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Safety net only; calls hold a reference, so none is in flight here.
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            try:
                lib.xoxe_client_free(handle)
            except Exception:  # interpreter shutdown
                pass

    def __repr__(self) -> str:
        url = getattr(self, "_base_url", "")
        return f"<xoxe.Client base_url={url!r}{' closed' if self._closed else ''}>"

    def _run(self, body: Callable[[Any], T]) -> T:
        with self._cond:
            if self._closed or not self._handle:
                raise ValueError("this xoxe.Client is closed")
            self._in_flight += 1
            handle = self._handle
        try:
            return body(handle)
        finally:
            with self._cond:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._cond.notify_all()

    # ---- methods -------------------------------------------------------------------

    def tooling_tokens_rotate(
        self, refresh_token: TokenLike, *, timeout: Optional[float] = None
    ) -> ConfigToken:
        """``tooling.tokens.rotate``: spends ``refresh_token``, returns a new config token
        pair. Persist the pair before using it. Never retried once the request may have
        reached Slack; such failures raise :class:`OutcomeUnknownError`."""
        rt = _cstr(refresh_token, "refresh_token", secret=True)
        ms = _call_ms(timeout)

        def body(h: Any) -> ConfigToken:
            out = _ffi.ConfigTokenP()
            err = _ffi.ErrorP()
            _check(lib.xoxe_tooling_tokens_rotate(h, rt, ms, ctypes.byref(out), ctypes.byref(err)), err)
            try:
                i = lib.xoxe_config_token_get_info(out).contents
                return ConfigToken(
                    token=Secret(_s(i.token)),
                    refresh_token=Secret(_s(i.refresh_token)),
                    team_id=_s(i.team_id),
                    user_id=_s(i.user_id),
                    iat=int(i.iat),
                    exp=int(i.exp),
                    warnings=_strings(i.warnings, int(i.warnings_len)),
                )
            finally:
                lib.xoxe_config_token_free(out)

        return self._run(body)

    def oauth_v2_exchange(
        self,
        client_id: str,
        client_secret: TokenLike,
        token: TokenLike,
        *,
        timeout: Optional[float] = None,
    ) -> OAuthToken:
        """``oauth.v2.exchange``: trades a legacy ``xoxb-``/``xoxp-`` token for an expiring
        pair. Each legacy token can be exchanged once."""
        cid = _cstr(client_id, "client_id")
        cs = _cstr(client_secret, "client_secret", secret=True)
        tok = _cstr(token, "token", secret=True)
        ms = _call_ms(timeout)

        def body(h: Any) -> OAuthToken:
            out = _ffi.OAuthTokenP()
            err = _ffi.ErrorP()
            _check(
                lib.xoxe_oauth_v2_exchange(h, cid, cs, tok, ms, ctypes.byref(out), ctypes.byref(err)),
                err,
            )
            return _take_oauth(out)

        return self._run(body)

    def oauth_v2_refresh(
        self,
        client_id: str,
        client_secret: TokenLike,
        refresh_token: TokenLike,
        *,
        timeout: Optional[float] = None,
    ) -> OAuthToken:
        """``oauth.v2.access`` with ``grant_type=refresh_token``: spends ``refresh_token``,
        returns a new pair. Never retried once the request may have reached Slack."""
        cid = _cstr(client_id, "client_id")
        cs = _cstr(client_secret, "client_secret", secret=True)
        rt = _cstr(refresh_token, "refresh_token", secret=True)
        ms = _call_ms(timeout)

        def body(h: Any) -> OAuthToken:
            out = _ffi.OAuthTokenP()
            err = _ffi.ErrorP()
            _check(
                lib.xoxe_oauth_v2_refresh(h, cid, cs, rt, ms, ctypes.byref(out), ctypes.byref(err)),
                err,
            )
            return _take_oauth(out)

        return self._run(body)

    def auth_test(self, token: TokenLike, *, timeout: Optional[float] = None) -> AuthTestResponse:
        """``auth.test``: says whom ``token`` belongs to."""
        tok = _cstr(token, "token", secret=True)
        ms = _call_ms(timeout)

        def body(h: Any) -> AuthTestResponse:
            out = _ffi.AuthIdentityP()
            err = _ffi.ErrorP()
            _check(lib.xoxe_auth_test(h, tok, ms, ctypes.byref(out), ctypes.byref(err)), err)
            try:
                i = lib.xoxe_auth_identity_get_info(out).contents
                return AuthTestResponse(
                    url=_s(i.url),
                    team=_s(i.team),
                    user=_s(i.user),
                    team_id=_s(i.team_id),
                    user_id=_s(i.user_id),
                    bot_id=_os(i.bot_id),
                    enterprise_id=_os(i.enterprise_id),
                    is_enterprise_install=bool(i.is_enterprise_install),
                    warnings=_strings(i.warnings, int(i.warnings_len)),
                )
            finally:
                lib.xoxe_auth_identity_free(out)

        return self._run(body)

    def call(
        self,
        method: str,
        token: Optional[TokenLike] = None,
        params: Optional[Mapping[str, Union[str, int, Secret]]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> ApiResponse:
        """Calls any Web API method with form arguments; ``token`` (optional) is sent as
        Bearer. Returns the parsed JSON answer; an ``ok: false`` answer raises.

        ``params`` values must be ``str`` (or ``int``, or :class:`Secret`); pass JSON arguments such as
        ``manifest`` as a JSON string.
        """
        m = _cstr(method, "method")
        tok = _opt_cstr(token, "token", secret=True)
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, not {type(params).__name__}")
        names = []
        values = []
        for key, value in params.items():
            if not isinstance(key, str):
                raise TypeError(f"params keys must be str, not {type(key).__name__}")
            label = f"params[{key!r}]" if len(key) <= 64 else "a params key"
            names.append(_cstr(key, label))
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            elif isinstance(value, Secret):
                value = value.get_secret_value()
            values.append(_cstr(value, label))
        n = len(names)
        name_arr: Any = (ctypes.c_char_p * n)(*names) if n else None
        value_arr: Any = (ctypes.c_char_p * n)(*values) if n else None
        ms = _call_ms(timeout)

        def body(h: Any) -> ApiResponse:
            out = _ffi.ApiResponseP()
            err = _ffi.ErrorP()
            status = lib.xoxe_call(
                h,
                m,
                tok,
                ctypes.cast(name_arr, _ffi.c_char_p_p) if n else None,
                ctypes.cast(value_arr, _ffi.c_char_p_p) if n else None,
                n,
                ms,
                ctypes.byref(out),
                ctypes.byref(err),
            )
            _check(status, err)
            try:
                i = lib.xoxe_api_response_get_info(out).contents
                raw = ctypes.string_at(i.json, int(i.json_len)) if i.json else b"{}"
                warnings = _strings(i.warnings, int(i.warnings_len))
            finally:
                lib.xoxe_api_response_free(out)
            data = json.loads(raw.decode("utf-8", errors="replace"))
            if not isinstance(data, dict):
                data = {"value": data}
            return ApiResponse(data=data, warnings=warnings)

        return self._run(body)


def _take_oauth(out: Any) -> OAuthToken:
    try:
        i = lib.xoxe_oauth_token_get_info(out).contents
        return OAuthToken(
            access_token=Secret(_s(i.access_token)),
            refresh_token=Secret(_s(i.refresh_token)),
            expires_in=int(i.expires_in),
            token_type=_s(i.token_type),
            scope=_s(i.scope),
            app_id=_s(i.app_id),
            bot_user_id=_os(i.bot_user_id),
            user_id=_os(i.user_id),
            team_id=_os(i.team_id),
            team_name=_os(i.team_name),
            enterprise_id=_os(i.enterprise_id),
            enterprise_name=_os(i.enterprise_name),
            is_enterprise_install=bool(i.is_enterprise_install),
            warnings=_strings(i.warnings, int(i.warnings_len)),
        )
    finally:
        lib.xoxe_oauth_token_free(out)
