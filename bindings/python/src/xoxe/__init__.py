"""xoxe: Slack token rotation (config tokens, bot/user token exchange and refresh).

A thin ctypes binding over the ``libxoxe`` C ABI; all logic lives in the Rust core.
To keep a token fresh, put its chain in a store and ask a :class:`Rotator`:

    >>> store = xoxe.FileStore("/var/lib/myapp/slack-config.json")   # doctest: +SKIP
    >>> store.init(refresh_token)            # once                   # doctest: +SKIP
    >>> rotator = xoxe.Rotator.config(xoxe.Client(), store)            # doctest: +SKIP
    >>> token = rotator.get().token          # valid, rotated when due  # doctest: +SKIP

    >>> import xoxe
    >>> with xoxe.Client() as client:                         # doctest: +SKIP
    ...     pair = client.tooling_tokens_rotate(refresh_token)
    ...     save(pair.token.get_secret_value(), pair.refresh_token.get_secret_value())
"""

from __future__ import annotations

from typing import Optional

from ._ffi import ABI_VERSION, LIBRARY_PATH, LibraryLoadError, lib
from ._status import Preset, Status, StatusFamily
from ._secret import Secret, redact
from ._errors import (
    BadClientSecretError,
    BadResponseError,
    FileUnreadableError,
    HttpStatusError,
    InsecureUrlError,
    InternalError,
    InvalidAuthError,
    InvalidClientIdError,
    InvalidManifestError,
    InvalidRefreshTokenError,
    InvalidTokenError,
    NetworkError,
    NotAuthedError,
    OutcomeUnknownError,
    RateLimitedError,
    RefreshTokenExpiredError,
    ResponseTooLargeError,
    SlackApiError,
    StoreError,
    StoreIoError,
    StoreCorruptError,
    StorePermissionsError,
    StoreEmptyError,
    LockTimeoutError,
    ChainDeadError,
    StoreConflictError,
    TlsError,
    TokenAlreadyExchangedError,
    TokenExpiredError,
    TokenRevokedError,
    TokenRotationNotEnabledError,
    TransportError,
    UsageError,
    XoxeError,
    XoxeTimeoutError,
    exception_class_for,
    status_family,
    status_name,
)
from ._types import ApiResponse, AuthTestResponse, ConfigToken, OAuthToken
from ._client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RATELIMIT_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    GOV_SLACK_BASE_URL,
    SLACK_BASE_URL,
    Client,
)
from ._logging import disable_logging, enable_logging
from ._rotator import (
    MAX_TOKEN_LEN,
    AccessToken,
    ChainKind,
    FileStore,
    ForeignStore,
    LockingStoreBackend,
    MemoryStore,
    Rotator,
    Store,
    StoreBackend,
)


def library_version() -> str:
    """The version of the loaded ``libxoxe`` (``xoxe_version()``)."""
    raw: Optional[bytes] = lib.xoxe_version()
    return raw.decode("utf-8") if raw else ""


__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION",
    "LIBRARY_PATH",
    "LibraryLoadError",
    "library_version",
    "Client",
    "Preset",
    "SLACK_BASE_URL",
    "GOV_SLACK_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RATELIMIT_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "Secret",
    "redact",
    "ConfigToken",
    "OAuthToken",
    "AuthTestResponse",
    "ApiResponse",
    "Status",
    "StatusFamily",
    "status_name",
    "status_family",
    "exception_class_for",
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
    "Rotator",
    "AccessToken",
    "ChainKind",
    "Store",
    "MemoryStore",
    "FileStore",
    "ForeignStore",
    "StoreBackend",
    "LockingStoreBackend",
    "MAX_TOKEN_LEN",
    "enable_logging",
    "disable_logging",
]
