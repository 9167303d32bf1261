"""``Client``: the Slack Web API client (an owned ``xoxe_client*``), and the argument
checks every call makes before anything reaches C (the library checks meaning)."""

from __future__ import annotations

import ctypes
import math
import os
from _collections_abc import Mapping  # collections.abc's, without importing collections

from ._ffi import lib
from ._install import Install, _InstallHandle
from ._managed import Managed
from ._secret import Secret
from ._types import ApiResponse, AuthTestResponse, ConfigToken, OAuthToken

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, Union

    from ._enums import Preset
    from ._types import _FromInfo

    TokenLike = Union[str, Secret]
    R = TypeVar("R", bound=_FromInfo)

_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF


class _LibraryDefault:
    def __repr__(self) -> str:
        return "<the library's default>"


#: The default of a :class:`Client` option: the library's own (see ``xoxe_client_options_new``).
LIBRARY_DEFAULT: Any = _LibraryDefault()


def _given(value: object, convert: Callable[[object, str], int], name: str) -> int | None:
    """``convert(value, name)``, or ``None`` for an option left at the library's default."""
    return None if value is LIBRARY_DEFAULT else convert(value, name)


# ---- argument checks (error messages name the argument, never its value) ----------


def _cstr(value: object, name: str, *, secret: bool = False) -> bytes:
    """A str (or, where ``secret``, a Secret) as NUL-terminated UTF-8 for C."""
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


def _opt_cstr(value: object, name: str, *, secret: bool = False) -> bytes | None:
    return None if value is None else _cstr(value, name, secret=secret)


def _path(value: object, name: str) -> bytes:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or path, not {type(value).__name__}")
    return _cstr(os.fspath(value), name)


def _uint(value: object, name: str, maximum: int = _U32_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum}")
    return value


def _time(value: object, name: str, per_second: int = 1000, *, zero: bool = False) -> int:
    """Seconds (int or float) as whole milliseconds (or seconds) for a ``uint32_t``,
    rounded up; greater than zero unless ``zero``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if math.isnan(value) or value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be {'zero or more' if zero else 'more than zero'} seconds")
    units = math.ceil(value * per_second)
    if units > _U32_MAX:
        raise ValueError(f"{name} is too large (at most {_U32_MAX // per_second} seconds)")
    return units


def _opt_time(value: float | None, name: str, per_second: int = 1000) -> int:
    """Like :func:`_time`, but ``None`` is 0, which the library reads as its default."""
    return 0 if value is None else _time(value, name, per_second)


class Client(Managed):
    """A Slack Web API client: one connection pool, safe to share between threads.

    Blocking calls release the GIL. Close it with :meth:`close` or a ``with`` block;
    a call in flight on another thread keeps the library's client until it returns.

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
        max_response_bytes: the largest response body accepted.

    An option left out has the library's default (``xoxe_client_options_new`` in
    ``include/xoxe.h``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        preset: Preset | int | None = None,
        timeout: float = LIBRARY_DEFAULT,
        connect_timeout: float = LIBRARY_DEFAULT,
        max_ratelimit_retries: int = LIBRARY_DEFAULT,
        max_retry_wait: float = LIBRARY_DEFAULT,
        ca_bundle: str | os.PathLike[str] | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        if base_url is not None and preset is not None:
            raise ValueError("give base_url or preset, not both")
        # (setter, *arguments) for what the caller gave: the rest keeps the library's default.
        settings: list[tuple[Any, ...]] = []
        if base_url is not None:
            settings.append((lib.xoxe_client_options_set_base_url, _cstr(base_url, "base_url")))
        if preset is not None:
            settings.append((lib.xoxe_client_options_set_preset, _uint(preset, "preset")))
        if ca_bundle is not None:
            settings.append((lib.xoxe_client_options_set_ca_bundle, _path(ca_bundle, "ca_bundle")))
        if max_response_bytes is not None:
            limit = _uint(max_response_bytes, "max_response_bytes", _U64_MAX)
            settings.append((lib.xoxe_client_options_set_max_response_bytes, limit))
        # The C API sets two pairs together: a half left out keeps what the options
        # hold (the library's default until set).
        pairs = [
            (
                lib.xoxe_client_options_get_timeouts,
                lib.xoxe_client_options_set_timeouts,
                _given(connect_timeout, _time, "connect_timeout"),
                _given(timeout, _time, "timeout"),
            ),
            (
                lib.xoxe_client_options_get_ratelimit_retries,
                lib.xoxe_client_options_set_ratelimit_retries,
                _given(max_ratelimit_retries, _uint, "max_ratelimit_retries"),
                _given(max_retry_wait, lambda v, n: _time(v, n, 1, zero=True), "max_retry_wait"),
            ),
        ]
        with Managed._made_by(lib.xoxe_client_options_new) as options:
            for setter, *args in settings:
                options._call(setter, *args)
            for getter, setter, first, second in pairs:
                if first is None and second is None:
                    continue
                held = (ctypes.c_uint32(), ctypes.c_uint32())
                options._call(getter, ctypes.byref(held[0]), ctypes.byref(held[1]))
                options._call(
                    setter,
                    held[0].value if first is None else first,
                    held[1].value if second is None else second,
                )
            opts = options._handle()
            self._make(lib.xoxe_client_new, opts.ptr)
        raw: bytes | None = lib.xoxe_client_base_url(self._handle().ptr)
        self._base_url = raw.decode("utf-8", "replace") if raw else ""

    @property
    def base_url(self) -> str:
        """The base URL this client talks to (ends in ``/``)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"<xoxe.Client base_url={getattr(self, '_base_url', '')!r}{' closed' if self.closed else ''}>"

    def _result(self, cls: type[R], fn: Any, *args: Any) -> R:
        """Calls ``fn(client, *args, out, error_out)`` and copies the result out of ``*out``."""
        h = self._handle()
        with Managed._made_by(fn, h.ptr, *args) as result:
            return cls._from_info(result._info())

    def tooling_tokens_rotate(self, refresh_token: TokenLike, *, timeout: float | None = None) -> ConfigToken:
        """``tooling.tokens.rotate``: spends ``refresh_token``, returns a new config token
        pair. Persist the pair before using it. Never retried once the request may have
        reached Slack; such failures raise :class:`OutcomeUnknownError`."""
        rt = _cstr(refresh_token, "refresh_token", secret=True)
        return self._result(ConfigToken, lib.xoxe_tooling_tokens_rotate, rt, _opt_time(timeout, "timeout"))

    def oauth_v2_exchange(
        self, client_id: str, client_secret: TokenLike, token: TokenLike, *, timeout: float | None = None
    ) -> OAuthToken:
        """``oauth.v2.exchange``: trades a legacy ``xoxb-``/``xoxp-`` token for an expiring
        pair. Each legacy token can be exchanged once."""
        args = _oauth_args(client_id, client_secret, token, "token", timeout)
        return self._result(OAuthToken, lib.xoxe_oauth_v2_exchange, *args)

    def oauth_v2_refresh(
        self, client_id: str, client_secret: TokenLike, refresh_token: TokenLike, *, timeout: float | None = None
    ) -> OAuthToken:
        """``oauth.v2.access`` with ``grant_type=refresh_token``: spends ``refresh_token``,
        returns a new pair. Never retried once the request may have reached Slack."""
        args = _oauth_args(client_id, client_secret, refresh_token, "refresh_token", timeout)
        return self._result(OAuthToken, lib.xoxe_oauth_v2_refresh, *args)

    def oauth_v2_access(
        self,
        client_id: str,
        client_secret: TokenLike,
        code: TokenLike,
        redirect_uri: str | None = None,
        *,
        timeout: float | None = None,
    ) -> Install:
        """``oauth.v2.access`` with an authorization code: finishes an installation
        (the OAuth redirect brought ``code``; ``redirect_uri`` must be the one the
        authorize URL named, if it named one). Returns the :class:`Install` with its
        tokens; save them at once (:meth:`Pool.install`): the code is spent.

        Raises:
            SlackApiError: e.g. ``invalid_code``, ``code_already_used``,
                ``bad_redirect_uri`` (``e.code`` says which).
        """
        args = (
            _cstr(client_id, "client_id"),
            _cstr(client_secret, "client_secret", secret=True),
            _cstr(code, "code", secret=True),
            _opt_cstr(redirect_uri, "redirect_uri"),
            _opt_time(timeout, "timeout"),
        )
        h = self._handle()
        return Install._adopt(_InstallHandle._made_by(lib.xoxe_oauth_v2_access, h.ptr, *args))

    def auth_revoke(self, token: TokenLike, test: bool = False, *, timeout: float | None = None) -> bool:
        """``auth.revoke``: revokes ``token`` (and, for a rotating token, its whole
        chain). With ``test=True`` nothing is revoked (Slack checks the call only).
        Returns Slack's ``revoked``: whether the token was revoked."""
        tok = _cstr(token, "token", secret=True)
        if not isinstance(test, bool):
            raise TypeError(f"test must be a bool, not {type(test).__name__}")
        revoked = ctypes.c_bool(False)
        self._call(lib.xoxe_auth_revoke, tok, test, _opt_time(timeout, "timeout"), ctypes.byref(revoked))
        return bool(revoked.value)

    def auth_test(self, token: TokenLike, *, timeout: float | None = None) -> AuthTestResponse:
        """``auth.test``: says whom ``token`` belongs to."""
        tok = _cstr(token, "token", secret=True)
        return self._result(AuthTestResponse, lib.xoxe_auth_test, tok, _opt_time(timeout, "timeout"))

    def call(
        self,
        method: str,
        token: TokenLike | None = None,
        params: Mapping[str, str | int | Secret] | None = None,
        *,
        timeout: float | None = None,
    ) -> ApiResponse:
        """Calls any Web API method with form arguments; ``token`` (optional) is sent as
        Bearer. Returns the parsed JSON answer; an ``ok: false`` answer raises.

        ``params`` values must be ``str`` (or ``int``, or :class:`Secret`); pass JSON
        arguments such as ``manifest`` as a JSON string.
        """
        m = _cstr(method, "method")
        tok = _opt_cstr(token, "token", secret=True)
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, not {type(params).__name__}")
        names, values = [], []
        for key, value in params.items():
            if not isinstance(key, str):
                raise TypeError(f"params keys must be str, not {type(key).__name__}")
            label = f"params[{key!r}]" if len(key) <= 64 else "a params key"
            names.append(_cstr(key, label))
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            values.append(_cstr(value, label, secret=True))
        n = len(names)
        arrays = [(ctypes.c_char_p * n)(*names), (ctypes.c_char_p * n)(*values)] if n else [None, None]
        return self._result(ApiResponse, lib.xoxe_call, m, tok, *arrays, n, _opt_time(timeout, "timeout"))


def _oauth_args(client_id: str, client_secret: TokenLike, token: TokenLike, name: str, timeout: float | None) -> Any:
    return (
        _cstr(client_id, "client_id"),
        _cstr(client_secret, "client_secret", secret=True),
        _cstr(token, name, secret=True),
        _opt_time(timeout, "timeout"),
    )


def __getattr__(name: str) -> Any:
    if name == "TokenLike":  # a str or a Secret (typing.Union: made on use, not at import)
        from typing import Union

        return Union[str, Secret]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
