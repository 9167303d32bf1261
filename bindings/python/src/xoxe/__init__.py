"""xoxe: Slack token rotation (config tokens, bot/user token exchange and refresh).

A thin ctypes binding over the ``libxoxe`` C ABI; all logic lives in the Rust core.
To keep a token fresh, put its chain in a store and ask a :class:`Rotator`:

    >>> store = xoxe.FileStore("/var/lib/myapp/slack-config.json")   # doctest: +SKIP
    >>> store.init(refresh_token)            # once                   # doctest: +SKIP
    >>> rotator = xoxe.Rotator.config(xoxe.Client(), store)            # doctest: +SKIP
    >>> token = rotator.get().token          # valid, rotated when due  # doctest: +SKIP

Many chains (one per installation) live in a :class:`DirectoryStore` or a database
store, served by name by a :class:`Pool`:

    >>> store = xoxe.DirectoryStore("/var/lib/myapp/chains")                # doctest: +SKIP
    >>> pool = xoxe.Pool(xoxe.Client(), store, client_id, client_secret)      # doctest: +SKIP
    >>> token = pool.get(xoxe.installation_chain(None, "T0123")).token      # doctest: +SKIP

An OAuth install (the redirect brought ``code``) saves the installation's chains, and
an uninstall revokes them:

    >>> install = pool.install_code(code, redirect_uri)                      # doctest: +SKIP
    >>> token = pool.get(install.bot.chain).token                             # doctest: +SKIP
    >>> pool.uninstall(install.bot.chain)                                     # doctest: +SKIP

    >>> import xoxe
    >>> with xoxe.Client() as client:                         # doctest: +SKIP
    ...     pair = client.tooling_tokens_rotate(refresh_token)
    ...     save(pair.token.get_secret_value(), pair.refresh_token.get_secret_value())
"""

from __future__ import annotations

from ._client import Client
from ._errors import (
    BadClientSecretError,
    BadRedirectUriError,
    BadResponseError,
    ChainDeadError,
    ChainRevokedError,
    CodeAlreadyUsedError,
    FileUnreadableError,
    HttpStatusError,
    InsecureUrlError,
    InternalError,
    InvalidAuthError,
    InvalidClientIdError,
    InvalidCodeError,
    InvalidManifestError,
    InvalidRefreshTokenError,
    InvalidTokenError,
    LockTimeoutError,
    NetworkError,
    NotAuthedError,
    OutcomeUnknownError,
    RateLimitedError,
    RefreshTokenExpiredError,
    ResponseTooLargeError,
    SlackApiError,
    StoreConflictError,
    StoreCorruptError,
    StoreEmptyError,
    StoreError,
    StoreIoError,
    StorePermissionsError,
    StoreSealedError,
    TlsError,
    TokenAlreadyExchangedError,
    TokenExpiredError,
    TokenRevokedError,
    TokenRotationNotEnabledError,
    TransportError,
    UnsupportedError,
    UsageError,
    XoxeError,
    XoxeTimeoutError,
    exception_class_for,
    status_family,
    status_name,
)
from ._ffi import LibraryLoadError, lib
from ._install import AuthedUser, IncomingWebhook, Install, InstalledToken
from ._logging import disable_logging, enable_logging
from ._pool import MAX_CHAIN_NAME_LEN, Pool, PoolStats, installation_chain
from ._rotator import MAX_TOKEN_LEN, AccessToken, Rotator
from ._secret import Secret, redact
from ._status import ABI_VERSION, GOV_SLACK_BASE_URL, SLACK_BASE_URL
from ._store import (
    ChainStatus,
    DirectoryStore,
    FileStore,
    ForeignChainsStore,
    ForeignStore,
    Keyring,
    MemoryStore,
    PostgresStore,
    RedisStore,
    Store,
)
from ._types import ApiResponse, AuthTestResponse, ConfigToken, OAuthToken

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path

    from ._enums import Preset, Status, StatusFamily
    from ._kinds import ChainKind
    from ._protocols import ChainBackend, LockingStoreBackend, StoreBackend

    #: The absolute path of the loaded library.
    LIBRARY_PATH: Path

# Made on first use (``import xoxe`` imports neither typing, pathlib nor enum): the backend
# protocols (typing.Protocol), LIBRARY_PATH (a pathlib.Path) and the enums.
_LAZY = {"StoreBackend": "_protocols", "LockingStoreBackend": "_protocols", "ChainBackend": "_protocols"}
_LAZY.update(LIBRARY_PATH="_ffi", Status="_enums", StatusFamily="_enums", Preset="_enums", ChainKind="_kinds")


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def library_version() -> str:
    """The version of the loaded ``libxoxe`` (``xoxe_version()``)."""
    raw: bytes | None = lib.xoxe_version()
    return raw.decode("utf-8") if raw else ""


#: The package is the library it carries: one version, kept in the crate's Cargo.toml.
__version__ = library_version()

__all__ = ["ABI_VERSION", "LIBRARY_PATH", "MAX_TOKEN_LEN", "LibraryLoadError", "library_version"]
__all__ += ["GOV_SLACK_BASE_URL", "SLACK_BASE_URL", "ApiResponse", "AuthTestResponse", "Client", "ConfigToken"]
__all__ += ["OAuthToken", "Preset", "Secret", "disable_logging", "enable_logging", "redact"]
__all__ += ["AccessToken", "ChainKind", "FileStore", "ForeignStore", "LockingStoreBackend", "MemoryStore"]
__all__ += ["PostgresStore", "RedisStore", "Rotator", "Store", "StoreBackend"]
__all__ += ["ChainBackend", "ForeignChainsStore"]
__all__ += ["MAX_CHAIN_NAME_LEN", "ChainStatus", "DirectoryStore", "Keyring", "Pool", "PoolStats", "installation_chain"]
__all__ += ["Status", "StatusFamily", "XoxeError", "exception_class_for", "status_family", "status_name"]
__all__ += ["FileUnreadableError", "InsecureUrlError", "InternalError", "UnsupportedError", "UsageError"]
__all__ += ["BadResponseError", "HttpStatusError", "NetworkError", "TlsError", "TransportError", "XoxeTimeoutError"]
__all__ += ["OutcomeUnknownError", "RateLimitedError", "ResponseTooLargeError"]
__all__ += ["InvalidAuthError", "InvalidRefreshTokenError", "InvalidTokenError", "NotAuthedError", "SlackApiError"]
__all__ += ["RefreshTokenExpiredError", "TokenAlreadyExchangedError", "TokenExpiredError", "TokenRevokedError"]
__all__ += ["BadClientSecretError", "InvalidClientIdError", "InvalidManifestError", "TokenRotationNotEnabledError"]
__all__ += ["StoreCorruptError", "StoreEmptyError", "StoreError", "StoreIoError", "StorePermissionsError"]
__all__ += ["ChainDeadError", "ChainRevokedError", "LockTimeoutError", "StoreConflictError", "StoreSealedError"]
__all__ += ["AuthedUser", "IncomingWebhook", "Install", "InstalledToken"]
__all__ += ["BadRedirectUriError", "CodeAlreadyUsedError", "InvalidCodeError"]
