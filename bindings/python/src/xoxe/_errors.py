"""Exceptions, chosen by status code and family (never by message text)."""

from __future__ import annotations

import builtins

from ._ffi import lib
from ._status import _Status as Status  # plain ints; the IntEnum classes are made on first use
from ._status import _StatusFamily as StatusFamily

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from ._enums import Status as StatusEnum
    from ._enums import StatusFamily as StatusFamilyEnum

_BY_CODE: dict[int, type[XoxeError]] = {}
_BY_FAMILY: dict[int, type[XoxeError]] = {}


def _status_or_int(code: int) -> StatusEnum | int:
    from ._enums import Status

    try:
        return Status(code)
    except ValueError:
        return code


def status_name(code: int) -> str:
    """The library's snake_case name of a status (for Slack codes, Slack's own code)."""
    raw = lib.xoxe_status_name(int(code) & 0xFFFFFFFF)
    return raw.decode("utf-8") if raw else "unknown_status"


def status_family(code: int) -> StatusFamilyEnum:
    """The family of a status code, as the library defines it."""
    from ._enums import StatusFamily

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
        slack_error: the raw ``error`` string the server sent, or ``None``. Server-controlled
            (a proxy may echo a secret): ``str(e)`` and ``repr(e)`` never show it.
        retry_after: seconds Slack asked to wait (``Retry-After``), or ``None``.
        http_status: HTTP status of the response, or ``None`` when none arrived.
        warnings: warnings Slack attached.
        cause: for ``OUTCOME_UNKNOWN``, the underlying reason; otherwise equal to ``code``.
        response_json: the raw body of the response, or ``None``: for a Slack error
            response, its JSON (server-controlled); for ``OUTCOME_UNKNOWN`` from a
            token-spending call whose answer could not be decoded (malformed, truncated or
            wrong-shaped JSON, even with ``ok: true``), the raw body, which may hold the new
            tokens: a secret. ``str(e)`` and ``repr(e)`` never show it; never log it.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        slack_error: str | None = None,
        retry_after: int | None = None,
        http_status: int | None = None,
        warnings: tuple[str, ...] = (),
        cause: int | None = None,
        response_json: str | None = None,
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
    def response(self) -> dict[str, Any] | None:
        """``response_json`` parsed, or ``None``."""
        if self.response_json is None:
            return None
        import json

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
        return type(self), (int(self.code), self.message), self.__dict__

    def __init_subclass__(cls, *, code: int | None = None, family: int | None = None) -> None:
        """Registers the class for :func:`exception_class_for` (a status's or a family's)."""
        super().__init_subclass__()
        if code is not None:
            _BY_CODE[code] = cls
        if family is not None:
            _BY_FAMILY[family] = cls


# ---- families (one class each) and the codes users catch (one class each) ----------


class UsageError(XoxeError, ValueError, family=StatusFamily.USAGE):
    """The caller passed something unusable; nothing was sent."""


class TransportError(XoxeError, family=StatusFamily.TRANSPORT):
    """The network, TLS, or the response itself failed."""


class SlackApiError(XoxeError, family=StatusFamily.SLACK_API):
    """Slack answered ``ok: false``; ``slack_error`` has its code."""


class RateLimitedError(XoxeError, family=StatusFamily.RATE_LIMITED):
    """Slack rate-limited the call (HTTP 429); see ``retry_after``."""


class OutcomeUnknownError(XoxeError, family=StatusFamily.OUTCOME_UNKNOWN):
    """A token-spending call may or may not have been applied; the old refresh token may
    be spent. Never retried automatically; ``cause`` says what happened."""


class StoreError(XoxeError, family=StatusFamily.STORE):
    """A token store or a rotator's use of it failed; the message names the store (a
    file store's path, a foreign store's name, a fleet store's URL with the password
    replaced by ``***`` and its chain) and never holds a token or a password. When a
    :class:`ForeignStore` backend raised, that exception is ``__cause__``."""


class InternalError(XoxeError, family=StatusFamily.INTERNAL):
    """A bug inside xoxe (a caught panic)."""


class InsecureUrlError(UsageError, code=Status.INSECURE_URL):
    """``http://`` to a host that is not loopback."""


class FileUnreadableError(UsageError, code=Status.FILE_UNREADABLE):
    """A file the caller named (e.g. a CA bundle) could not be read or parsed."""


class UnsupportedError(UsageError, code=Status.UNSUPPORTED):
    """This build of the library leaves the feature out (e.g. :class:`PostgresStore` or
    :class:`RedisStore` in a build without the ``postgres`` or ``redis`` cargo feature)."""


class NetworkError(TransportError, builtins.ConnectionError, code=Status.NETWORK):
    """The connection failed before a complete answer arrived (the request may have been sent)."""


class XoxeTimeoutError(TransportError, builtins.TimeoutError, code=Status.TIMEOUT):
    """The call did not finish within its timeout (also a built-in ``TimeoutError``)."""


class TlsError(TransportError, code=Status.TLS):
    """TLS handshake or certificate verification failed."""


class HttpStatusError(TransportError, code=Status.HTTP_STATUS):
    """An HTTP status that carries no Slack error; see ``http_status``."""


class BadResponseError(TransportError, code=Status.BAD_RESPONSE):
    """The response was not the JSON the method promises."""


class ResponseTooLargeError(TransportError, code=Status.RESPONSE_TOO_LARGE):
    """The response body exceeded the client's size limit."""


class StoreIoError(StoreError, code=Status.STORE_IO):
    """``STORE_IO``: the store could not be read or written (a foreign backend failed, a
    database could not be reached or refused the password)."""


class StoreCorruptError(StoreError, code=Status.STORE_CORRUPT):
    """``STORE_CORRUPT``: the store holds something that is not a token pair (empty,
    truncated, wrong JSON)."""


class StorePermissionsError(StoreError, code=Status.STORE_PERMISSIONS):
    """``STORE_PERMISSIONS``: a store file is not a regular file, or others than its
    owner may read it (``chmod 600``)."""


class StoreEmptyError(StoreError, code=Status.STORE_EMPTY):
    """``STORE_EMPTY``: the store holds no token pair yet; call ``store.init(...)``."""


class LockTimeoutError(StoreError, builtins.TimeoutError, code=Status.LOCK_TIMEOUT):
    """``LOCK_TIMEOUT``: the lock that serialises rotations was not taken in time (also
    a built-in ``TimeoutError``)."""


class ChainDeadError(StoreError, code=Status.CHAIN_DEAD):
    """``CHAIN_DEAD``: Slack rejected the refresh token and the store holds nothing
    newer. A human must issue a new token and initialise the store again
    (``cause`` is ``INVALID_REFRESH_TOKEN``)."""


class StoreConflictError(StoreError, code=Status.STORE_CONFLICT):
    """``STORE_CONFLICT``: the store already holds a chain (``init`` without
    ``overwrite``), or kept refusing a compare-and-swap save."""


class StoreSealedError(StoreError, code=Status.STORE_SEALED):
    """``STORE_SEALED``: a stored document is sealed under a key this process was not
    given, or fails authentication (tampered); the message names the key id."""


class ChainRevokedError(StoreError, code=Status.CHAIN_REVOKED):
    """``CHAIN_REVOKED``: Slack reported the chain's token revoked (``cause`` is
    ``TOKEN_REVOKED``, ``ACCOUNT_INACTIVE`` or ``INVALID_AUTH``). The chain is marked
    revoked and never retried; reinstall the app to go on."""


class InvalidAuthError(SlackApiError, code=Status.INVALID_AUTH):
    """``invalid_auth``."""


class NotAuthedError(SlackApiError, code=Status.NOT_AUTHED):
    """``not_authed``."""


class InvalidRefreshTokenError(SlackApiError, code=Status.INVALID_REFRESH_TOKEN):
    """``invalid_refresh_token``: unknown, or already spent."""


class RefreshTokenExpiredError(SlackApiError, code=Status.REFRESH_TOKEN_EXPIRED):
    """``refresh_token_expired``."""


class TokenExpiredError(SlackApiError, code=Status.TOKEN_EXPIRED):
    """``token_expired``."""


class TokenRevokedError(SlackApiError, code=Status.TOKEN_REVOKED):
    """``token_revoked``."""


class InvalidTokenError(SlackApiError, code=Status.INVALID_TOKEN):
    """``invalid_token``: a legacy token that cannot be exchanged."""


class TokenAlreadyExchangedError(SlackApiError, code=Status.TOKEN_ALREADY_EXCHANGED):
    """``token_already_exchanged``."""


class TokenRotationNotEnabledError(SlackApiError, code=Status.TOKEN_ROTATION_NOT_ENABLED):
    """``token_rotation_not_enabled``."""


class InvalidClientIdError(SlackApiError, code=Status.INVALID_CLIENT_ID):
    """``invalid_client_id``."""


class BadClientSecretError(SlackApiError, code=Status.BAD_CLIENT_SECRET):
    """``bad_client_secret``."""


class InvalidManifestError(SlackApiError, code=Status.INVALID_MANIFEST):
    """``invalid_manifest``; ``response`` has Slack's ``errors``."""


class InvalidCodeError(SlackApiError, code=Status.INVALID_CODE):
    """``invalid_code``: the authorization code is unknown, expired, or another app's."""


class CodeAlreadyUsedError(SlackApiError, code=Status.CODE_ALREADY_USED):
    """``code_already_used``: an authorization code is single use."""


class BadRedirectUriError(SlackApiError, code=Status.BAD_REDIRECT_URI):
    """``bad_redirect_uri``: ``redirect_uri`` differs from the one the authorization
    began with."""


def exception_class_for(code: int, family: int | None = None) -> type[XoxeError]:
    """The exception class for a status: the code's own class if it has one, else its
    family's class. ``family`` defaults to what the library says for ``code``."""
    cls = _BY_CODE.get(int(code))
    if cls is not None:
        return cls
    from ._enums import StatusFamily

    fam = status_family(code) if family is None else family
    try:
        return _BY_FAMILY[StatusFamily(fam)]
    except (ValueError, KeyError):
        return InternalError
