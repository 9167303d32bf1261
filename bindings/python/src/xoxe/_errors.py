"""Exceptions, chosen by status code and family (never by message text)."""

from __future__ import annotations

import builtins
import json
from typing import Any, Dict, Optional, Tuple, Type, Union

from ._ffi import lib
from ._status import Status, StatusFamily

__all__ = [
    "XoxeError",
    "UsageError",
    "InsecureUrlError",
    "FileUnreadableError",
    "TransportError",
    "NetworkError",
    "XoxeTimeoutError",
    "TlsError",
    "HttpStatusError",
    "BadResponseError",
    "ResponseTooLargeError",
    "SlackApiError",
    "InvalidAuthError",
    "NotAuthedError",
    "InvalidRefreshTokenError",
    "RefreshTokenExpiredError",
    "TokenExpiredError",
    "TokenRevokedError",
    "InvalidTokenError",
    "TokenAlreadyExchangedError",
    "TokenRotationNotEnabledError",
    "InvalidClientIdError",
    "BadClientSecretError",
    "InvalidManifestError",
    "RateLimitedError",
    "OutcomeUnknownError",
    "StoreError",
    "StoreIoError",
    "StoreCorruptError",
    "StorePermissionsError",
    "StoreEmptyError",
    "LockTimeoutError",
    "ChainDeadError",
    "StoreConflictError",
    "InternalError",
    "status_name",
    "status_family",
    "exception_class_for",
]


def _status_or_int(code: int) -> Union[Status, int]:
    try:
        return Status(code)
    except ValueError:
        return code


def status_name(code: int) -> str:
    """The library's snake_case name of a status (for Slack codes, Slack's own code)."""
    raw = lib.xoxe_status_name(int(code) & 0xFFFFFFFF)
    return raw.decode("utf-8") if raw else "unknown_status"


def status_family(code: int) -> StatusFamily:
    """The family of a status code, as the library defines it."""
    fam = int(lib.xoxe_status_family_of(int(code) & 0xFFFFFFFF))
    try:
        return StatusFamily(fam)
    except ValueError:
        return StatusFamily.INTERNAL


class XoxeError(Exception):
    """Base of every error the library reports.

    Attributes:
        code: the status (a :class:`Status`; a plain ``int`` for a number this binding
            does not know).
        name: the status's snake_case name (for Slack errors, Slack's code).
        family: the :class:`StatusFamily`.
        message: human-readable detail (never contains a secret).
        slack_error: the raw ``error`` string Slack sent, or ``None``.
        retry_after: seconds Slack asked to wait (``Retry-After``), or ``None``.
        http_status: HTTP status of the response, or ``None`` when none arrived.
        warnings: warnings Slack attached.
        cause: for ``OUTCOME_UNKNOWN``, the underlying reason; otherwise equal to ``code``.
        response_json: raw JSON body of a Slack error response, or ``None``.
    """

    code: Union[Status, int]
    name: str
    family: StatusFamily
    message: str
    slack_error: Optional[str]
    retry_after: Optional[int]
    http_status: Optional[int]
    warnings: Tuple[str, ...]
    cause: Union[Status, int]
    response_json: Optional[str]

    def __init__(
        self,
        code: int,
        message: str,
        *,
        slack_error: Optional[str] = None,
        retry_after: Optional[int] = None,
        http_status: Optional[int] = None,
        warnings: Tuple[str, ...] = (),
        cause: Optional[int] = None,
        response_json: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = _status_or_int(code)
        self.name = status_name(code)
        self.family = status_family(code)
        self.message = message
        self.slack_error = slack_error
        self.retry_after = retry_after
        self.http_status = http_status
        self.warnings = tuple(warnings)
        self.cause = _status_or_int(code if cause is None else cause)
        self.response_json = response_json

    @property
    def response(self) -> Optional[Dict[str, Any]]:
        """``response_json`` parsed, or ``None``."""
        if self.response_json is None:
            return None
        try:
            parsed = json.loads(self.response_json)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={int(self.code)}, name={self.name!r}, message={self.message!r})"

    def __reduce__(self) -> Any:
        kwargs = dict(
            slack_error=self.slack_error,
            retry_after=self.retry_after,
            http_status=self.http_status,
            warnings=self.warnings,
            cause=int(self.cause),
            response_json=self.response_json,
        )
        return (_rebuild, (type(self), int(self.code), self.message, kwargs))


def _rebuild(cls: Type[XoxeError], code: int, message: str, kwargs: Dict[str, Any]) -> XoxeError:
    return cls(code, message, **kwargs)


# ---- families --------------------------------------------------------------------


class UsageError(XoxeError, ValueError):
    """The caller passed something unusable; nothing was sent."""


class TransportError(XoxeError):
    """The network, TLS, or the response itself failed."""


class SlackApiError(XoxeError):
    """Slack answered ``ok: false``; ``slack_error`` has its code."""


class RateLimitedError(XoxeError):
    """Slack rate-limited the call (HTTP 429); see ``retry_after``."""


class OutcomeUnknownError(XoxeError):
    """A token-spending call may or may not have been applied; the old refresh token may
    be spent. Never retried automatically; ``cause`` says what happened."""


class StoreError(XoxeError):
    """A token store or a rotator's use of it failed; the message names the store (a
    file store's path, a foreign store's name) and never holds a token. When a
    :class:`ForeignStore` backend raised, that exception is ``__cause__``."""


class InternalError(XoxeError):
    """A bug inside xoxe (a caught panic)."""


# ---- codes users catch -----------------------------------------------------------


class InsecureUrlError(UsageError):
    """``http://`` to a host that is not loopback."""


class FileUnreadableError(UsageError):
    """A file the caller named (e.g. a CA bundle) could not be read or parsed."""


class NetworkError(TransportError, builtins.ConnectionError):
    """The connection failed before a complete answer arrived (the request may have been sent)."""


class XoxeTimeoutError(TransportError, builtins.TimeoutError):
    """The call did not finish within its timeout (also a built-in ``TimeoutError``)."""


class TlsError(TransportError):
    """TLS handshake or certificate verification failed."""


class HttpStatusError(TransportError):
    """An HTTP status that carries no Slack error; see ``http_status``."""


class BadResponseError(TransportError):
    """The response was not the JSON the method promises."""


class ResponseTooLargeError(TransportError):
    """The response body exceeded the client's size limit."""


class StoreIoError(StoreError):
    """``STORE_IO``: the store could not be read or written (a foreign backend failed)."""


class StoreCorruptError(StoreError):
    """``STORE_CORRUPT``: the store holds something that is not a token pair (empty,
    truncated, wrong JSON)."""


class StorePermissionsError(StoreError):
    """``STORE_PERMISSIONS``: a store file is not a regular file, or others than its
    owner may read it (``chmod 600``)."""


class StoreEmptyError(StoreError):
    """``STORE_EMPTY``: the store holds no token pair yet; call ``store.init(...)``."""


class LockTimeoutError(StoreError, builtins.TimeoutError):
    """``LOCK_TIMEOUT``: the lock that serialises rotations was not taken in time (also
    a built-in ``TimeoutError``)."""


class ChainDeadError(StoreError):
    """``CHAIN_DEAD``: Slack rejected the refresh token and the store holds nothing
    newer. A human must issue a new token and initialise the store again
    (``cause`` is ``INVALID_REFRESH_TOKEN``)."""


class StoreConflictError(StoreError):
    """``STORE_CONFLICT``: the store already holds a chain (``init`` without
    ``overwrite``), or kept refusing a compare-and-swap save."""


class InvalidAuthError(SlackApiError):
    """``invalid_auth``."""


class NotAuthedError(SlackApiError):
    """``not_authed``."""


class InvalidRefreshTokenError(SlackApiError):
    """``invalid_refresh_token``: unknown, or already spent."""


class RefreshTokenExpiredError(SlackApiError):
    """``refresh_token_expired``."""


class TokenExpiredError(SlackApiError):
    """``token_expired``."""


class TokenRevokedError(SlackApiError):
    """``token_revoked``."""


class InvalidTokenError(SlackApiError):
    """``invalid_token``: a legacy token that cannot be exchanged."""


class TokenAlreadyExchangedError(SlackApiError):
    """``token_already_exchanged``."""


class TokenRotationNotEnabledError(SlackApiError):
    """``token_rotation_not_enabled``."""


class InvalidClientIdError(SlackApiError):
    """``invalid_client_id``."""


class BadClientSecretError(SlackApiError):
    """``bad_client_secret``."""


class InvalidManifestError(SlackApiError):
    """``invalid_manifest``; ``response`` has Slack's ``errors``."""


_BY_FAMILY: Dict[StatusFamily, Type[XoxeError]] = {
    StatusFamily.USAGE: UsageError,
    StatusFamily.TRANSPORT: TransportError,
    StatusFamily.SLACK_API: SlackApiError,
    StatusFamily.RATE_LIMITED: RateLimitedError,
    StatusFamily.OUTCOME_UNKNOWN: OutcomeUnknownError,
    StatusFamily.STORE: StoreError,
    StatusFamily.INTERNAL: InternalError,
}

_BY_CODE: Dict[int, Type[XoxeError]] = {
    Status.INSECURE_URL: InsecureUrlError,
    Status.FILE_UNREADABLE: FileUnreadableError,
    Status.NETWORK: NetworkError,
    Status.TIMEOUT: XoxeTimeoutError,
    Status.TLS: TlsError,
    Status.HTTP_STATUS: HttpStatusError,
    Status.BAD_RESPONSE: BadResponseError,
    Status.RESPONSE_TOO_LARGE: ResponseTooLargeError,
    Status.STORE_IO: StoreIoError,
    Status.STORE_CORRUPT: StoreCorruptError,
    Status.STORE_PERMISSIONS: StorePermissionsError,
    Status.STORE_EMPTY: StoreEmptyError,
    Status.LOCK_TIMEOUT: LockTimeoutError,
    Status.CHAIN_DEAD: ChainDeadError,
    Status.STORE_CONFLICT: StoreConflictError,
    Status.INVALID_AUTH: InvalidAuthError,
    Status.NOT_AUTHED: NotAuthedError,
    Status.INVALID_REFRESH_TOKEN: InvalidRefreshTokenError,
    Status.REFRESH_TOKEN_EXPIRED: RefreshTokenExpiredError,
    Status.TOKEN_EXPIRED: TokenExpiredError,
    Status.TOKEN_REVOKED: TokenRevokedError,
    Status.INVALID_TOKEN: InvalidTokenError,
    Status.TOKEN_ALREADY_EXCHANGED: TokenAlreadyExchangedError,
    Status.TOKEN_ROTATION_NOT_ENABLED: TokenRotationNotEnabledError,
    Status.INVALID_CLIENT_ID: InvalidClientIdError,
    Status.BAD_CLIENT_SECRET: BadClientSecretError,
    Status.INVALID_MANIFEST: InvalidManifestError,
}


def exception_class_for(code: int, family: Optional[int] = None) -> Type[XoxeError]:
    """The exception class for a status: the code's own class if it has one, else its
    family's class. ``family`` defaults to what the library says for ``code``."""
    cls = _BY_CODE.get(int(code))
    if cls is not None:
        return cls
    fam = status_family(code) if family is None else family
    try:
        return _BY_FAMILY[StatusFamily(fam)]
    except (ValueError, KeyError):
        return InternalError


def _opt_str(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _strings(array: Any, n: int) -> Tuple[str, ...]:
    if not array or n == 0:
        return ()
    return tuple(array[i].decode("utf-8", errors="replace") for i in range(n))


def take_error(status: int, handle: Any) -> XoxeError:
    """Builds the exception for a failed call from its error handle, and frees the handle.

    ``handle`` is an ``xoxe_error*`` (possibly NULL, if the library could not allocate one).
    """
    try:
        if not handle:
            return exception_class_for(status)(status, "the library gave no error details")
        info_p = lib.xoxe_error_get_info(handle)
        if not info_p:
            return exception_class_for(status)(status, "the library gave no error details")
        info = info_p.contents
        code = int(info.status) or int(status)
        retry = int(info.retry_after_secs)
        http = int(info.http_status)
        return exception_class_for(code)(
            code,
            _opt_str(info.message) or "",
            slack_error=_opt_str(info.slack_error),
            retry_after=None if retry < 0 else retry,
            http_status=http or None,
            warnings=_strings(info.warnings, int(info.warnings_len)),
            cause=int(info.cause),
            response_json=_opt_str(info.response_json),
        )
    finally:
        if handle:
            lib.xoxe_error_free(handle)
