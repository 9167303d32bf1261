"""Loading ``libxoxe`` and declaring every function of ``include/xoxe.h`` for ctypes.

The library is loaded by absolute path only: ``$XOXE_LIBRARY`` when set (it must be an
absolute path), otherwise the copy installed inside this package. Nothing searches the
current directory or the system's library path. ``tests/test_abi.py`` checks every
declaration here (functions, structs, callback types) against the header.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import CFUNCTYPE, POINTER, Structure

from ._status import ABI_VERSION

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Environment variable naming the shared library to load instead of the packaged one.
LIBRARY_ENV = "XOXE_LIBRARY"
#: Stem of the shared library that ``pip install`` places inside the package.
PACKAGED_STEM = "_libxoxe"

# The header's C types, by their C names (char_p: const char *; void_p: void *).
bool_, int32_t, int64_t, size_t = ctypes.c_bool, ctypes.c_int32, ctypes.c_int64, ctypes.c_size_t
uint16_t, uint32_t, uint64_t = ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64
char_p, void_p, char_pp = ctypes.c_char_p, ctypes.c_void_p, POINTER(ctypes.c_char_p)
xoxe_status = xoxe_status_family = uint32_t


def _opaque(name: str) -> Any:
    """A pointer to an opaque ``typedef struct name name``."""
    return POINTER(type(name, (Structure,), {}))


ClientP, ClientOptionsP, ErrorP, ConfigTokenP, OAuthTokenP = map(
    _opaque, ["xoxe_client", "xoxe_client_options", "xoxe_error", "xoxe_config_token", "xoxe_oauth_token"]
)
AuthIdentityP, ApiResponseP, RotatorP, StoreP, StoreValueP = map(
    _opaque, ["xoxe_auth_identity", "xoxe_api_response", "xoxe_rotator", "xoxe_store", "xoxe_store_value"]
)
ChainListP, KeyringP, PoolP = map(_opaque, ["xoxe_chain_list", "xoxe_keyring", "xoxe_pool"])
ChainNamesP, InstallP = map(_opaque, ["xoxe_chain_names", "xoxe_install"])


def _strs(*names: str) -> list[tuple[str, Any]]:
    return [(name, char_p) for name in names]


_WARNINGS: list[tuple[str, Any]] = [("warnings", char_pp), ("warnings_len", size_t)]


class xoxe_error_info(Structure):
    _fields_ = [
        ("status", xoxe_status),
        ("cause", xoxe_status),
        *_strs("message", "slack_error"),
        ("retry_after_secs", int64_t),
        ("http_status", uint16_t),
        *_WARNINGS,
        ("response_json", char_p),
    ]


class xoxe_config_token_info(Structure):
    _fields_ = [*_strs("token", "refresh_token", "team_id", "user_id"), ("iat", int64_t), ("exp", int64_t), *_WARNINGS]


class xoxe_oauth_token_info(Structure):
    _fields_ = [
        *_strs("access_token", "refresh_token"),
        ("expires_in", int64_t),
        *_strs("token_type", "scope", "app_id", "bot_user_id", "user_id", "team_id", "team_name"),
        *_strs("enterprise_id", "enterprise_name"),
        ("is_enterprise_install", bool_),
        *_WARNINGS,
    ]


class xoxe_auth_identity_info(Structure):
    _fields_ = [*_strs("url", "team", "user", "team_id", "user_id", "bot_id", "enterprise_id")]
    _fields_ += [("is_enterprise_install", bool_), *_WARNINGS]


class xoxe_api_response_info(Structure):
    # json is read with ctypes.string_at(json, json_len): the length the library gives.
    _fields_ = [("json", void_p), ("json_len", size_t), *_WARNINGS]


class xoxe_install_info(Structure):
    _fields_ = [
        *_strs("app_id", "team_id", "team_name", "enterprise_id", "enterprise_name"),
        ("is_enterprise_install", bool_),
        *_strs("bot_chain", "bot_user_id", "bot_id", "bot_access_token", "bot_refresh_token"),
        ("bot_expires_in", int64_t),
        *_strs("bot_scope", "user_id", "user_scope", "user_chain", "user_access_token", "user_refresh_token"),
        ("user_expires_in", int64_t),
        *_strs("webhook_channel", "webhook_channel_id", "webhook_configuration_url", "webhook_url"),
        ("received_at", int64_t),
        *_strs("raw_json"),
        ("raw_json_len", size_t),
        *_WARNINGS,
    ]


class xoxe_rotator_options(Structure):
    _fields_ = [(n, uint32_t) for n in ("refresh_window_secs", "jitter_secs", "wait_timeout_ms", "call_timeout_ms")]


class xoxe_pool_options(Structure):
    _fields_ = [("rotator", xoxe_rotator_options), ("max_chains_in_memory", uint32_t), ("background_refresh", bool_)]


class xoxe_pool_stats_info(Structure):
    _fields_ = [("chains_in_memory", size_t), ("background_rotations", uint64_t), ("background_failures", uint64_t)]


class xoxe_chain_info(Structure):
    _fields_ = [*_strs("chain"), ("status", xoxe_status), *_strs("error_message"), ("kind", uint32_t)]
    _fields_ += [("generation", uint64_t), ("expires_at", int64_t), ("rotated_at", int64_t)]
    _fields_ += _strs("rotated_by", "revoked", "team_id", "user_id")


LogCallback = CFUNCTYPE(None, void_p, uint32_t, char_p)
StoreLoadFn = CFUNCTYPE(int32_t, void_p, StoreValueP)
StoreSaveFn = CFUNCTYPE(int32_t, void_p, bool_, uint64_t, uint64_t, char_p)
StoreLockFn = CFUNCTYPE(int32_t, void_p)
StoreUnlockFn = StoreReleaseFn = CFUNCTYPE(None, void_p)


class xoxe_store_callbacks(Structure):
    _fields_ = [("user_data", void_p), ("load", StoreLoadFn), ("save", StoreSaveFn), ("lock", StoreLockFn)]
    _fields_ += [("unlock", StoreUnlockFn), ("release", StoreReleaseFn)]


ChainOpenFn = CFUNCTYPE(int32_t, void_p, char_p, POINTER(xoxe_store_callbacks))
ChainListFn = CFUNCTYPE(int32_t, void_p, ChainNamesP)
ChainRemoveFn = CFUNCTYPE(int32_t, void_p, char_p)


class xoxe_chain_callbacks(Structure):
    _fields_ = [("user_data", void_p), ("open", ChainOpenFn), ("list", ChainListFn), ("remove", ChainRemoveFn)]
    _fields_ += [("release", StoreReleaseFn)]


#: Every ``typedef struct {...}`` of the header, by name (the opaque ones have no fields).
STRUCTS: dict[str, Any] = {
    c.__name__: c for c in Structure.__subclasses__() if c.__module__ == __name__ and "_fields_" in vars(c)
}

P = POINTER
E = P(ErrorP)  # xoxe_error **error_out
S = xoxe_status
_TOKEN_OUT = [RotatorP, void_p, size_t, P(int64_t), E]  # char *token_buf: a writable buffer
_REMOVED = [PoolP, char_p, P(bool_), E]

#: name -> (restype, argtypes): one entry per function in xoxe.h.
SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "xoxe_client_options_new": (S, [P(ClientOptionsP), E]),
    "xoxe_client_options_free": (None, [ClientOptionsP]),
    "xoxe_client_options_set_base_url": (S, [ClientOptionsP, char_p, E]),
    "xoxe_client_options_set_preset": (S, [ClientOptionsP, uint32_t, E]),
    "xoxe_client_options_set_timeouts": (S, [ClientOptionsP, uint32_t, uint32_t, E]),
    "xoxe_client_options_set_ratelimit_retries": (S, [ClientOptionsP, uint32_t, uint32_t, E]),
    "xoxe_client_options_get_timeouts": (S, [ClientOptionsP, P(uint32_t), P(uint32_t), E]),
    "xoxe_client_options_get_ratelimit_retries": (S, [ClientOptionsP, P(uint32_t), P(uint32_t), E]),
    "xoxe_client_options_set_ca_bundle": (S, [ClientOptionsP, char_p, E]),
    "xoxe_client_options_set_max_response_bytes": (S, [ClientOptionsP, uint64_t, E]),
    "xoxe_client_new": (S, [ClientOptionsP, P(ClientP), E]),
    "xoxe_client_base_url": (char_p, [ClientP]),
    "xoxe_client_free": (None, [ClientP]),
    "xoxe_error_get_info": (P(xoxe_error_info), [ErrorP]),
    "xoxe_error_free": (None, [ErrorP]),
    "xoxe_set_logger": (S, [LogCallback, void_p, uint32_t, E]),
    "xoxe_tooling_tokens_rotate": (S, [ClientP, char_p, uint32_t, P(ConfigTokenP), E]),
    "xoxe_oauth_v2_exchange": (S, [ClientP, char_p, char_p, char_p, uint32_t, P(OAuthTokenP), E]),
    "xoxe_oauth_v2_refresh": (S, [ClientP, char_p, char_p, char_p, uint32_t, P(OAuthTokenP), E]),
    "xoxe_auth_test": (S, [ClientP, char_p, uint32_t, P(AuthIdentityP), E]),
    "xoxe_oauth_v2_access": (S, [ClientP, char_p, char_p, char_p, char_p, uint32_t, P(InstallP), E]),
    "xoxe_install_get_info": (P(xoxe_install_info), [InstallP]),
    "xoxe_install_free": (None, [InstallP]),
    "xoxe_auth_revoke": (S, [ClientP, char_p, bool_, uint32_t, P(bool_), E]),
    "xoxe_call": (S, [ClientP, char_p, char_p, char_pp, char_pp, size_t, uint32_t, P(ApiResponseP), E]),
    "xoxe_redact": (size_t, [char_p, void_p, size_t]),
    "xoxe_config_token_get_info": (P(xoxe_config_token_info), [ConfigTokenP]),
    "xoxe_config_token_free": (None, [ConfigTokenP]),
    "xoxe_oauth_token_get_info": (P(xoxe_oauth_token_info), [OAuthTokenP]),
    "xoxe_oauth_token_free": (None, [OAuthTokenP]),
    "xoxe_auth_identity_get_info": (P(xoxe_auth_identity_info), [AuthIdentityP]),
    "xoxe_auth_identity_free": (None, [AuthIdentityP]),
    "xoxe_api_response_get_info": (P(xoxe_api_response_info), [ApiResponseP]),
    "xoxe_api_response_free": (None, [ApiResponseP]),
    "xoxe_rotator_new_config": (S, [ClientP, StoreP, P(xoxe_rotator_options), P(RotatorP), E]),
    "xoxe_rotator_new_oauth": (S, [ClientP, StoreP, char_p, char_p, P(xoxe_rotator_options), P(RotatorP), E]),
    "xoxe_rotator_get": (S, _TOKEN_OUT),
    "xoxe_rotator_force_rotate": (S, _TOKEN_OUT),
    "xoxe_rotator_current": (S, _TOKEN_OUT),
    "xoxe_rotator_try_get": (S, [RotatorP, void_p, size_t, P(int64_t), P(bool_), E]),
    "xoxe_rotator_get_reusable": (S, [RotatorP, void_p, size_t, P(int64_t), P(int64_t), E]),
    "xoxe_rotator_free": (None, [RotatorP]),
    "xoxe_store_memory_new": (S, [P(StoreP), E]),
    "xoxe_store_postgres_new": (S, [char_p, char_p, P(StoreP), E]),
    "xoxe_store_redis_new": (S, [char_p, char_p, P(StoreP), E]),
    "xoxe_store_file_new": (S, [char_p, uint32_t, P(StoreP), E]),
    "xoxe_store_foreign_new": (S, [P(xoxe_store_callbacks), char_p, P(StoreP), E]),
    "xoxe_store_value_set": (None, [StoreValueP, char_p]),
    "xoxe_store_foreign_chains_new": (S, [P(xoxe_chain_callbacks), char_p, char_p, P(StoreP), E]),
    "xoxe_chain_names_add": (None, [ChainNamesP, char_p]),
    "xoxe_store_init": (S, [StoreP, uint32_t, char_p, char_p, int64_t, bool_, E]),
    "xoxe_store_free": (None, [StoreP]),
    "xoxe_store_dir_new": (S, [char_p, char_p, uint32_t, P(StoreP), E]),
    "xoxe_store_open_chain": (S, [StoreP, char_p, P(StoreP), E]),
    "xoxe_store_remove_chain": (S, [StoreP, P(bool_), E]),
    "xoxe_store_sealed": (S, [StoreP, KeyringP, P(StoreP), E]),
    "xoxe_store_rewrite_chains": (S, [StoreP, P(size_t), E]),
    "xoxe_store_chains": (S, [StoreP, P(ChainListP), E]),
    "xoxe_chain_list_len": (size_t, [ChainListP]),
    "xoxe_chain_list_get": (P(xoxe_chain_info), [ChainListP, size_t]),
    "xoxe_chain_list_free": (None, [ChainListP]),
    "xoxe_installation_chain": (S, [char_p, char_p, bool_, char_p, void_p, size_t, E]),
    "xoxe_keyring_from_file": (S, [char_p, P(KeyringP), E]),
    "xoxe_keyring_from_env": (S, [char_p, P(KeyringP), E]),
    "xoxe_keyring_free": (None, [KeyringP]),
    "xoxe_pool_new": (S, [ClientP, StoreP, char_p, char_p, P(xoxe_pool_options), P(PoolP), E]),
    "xoxe_pool_get": (S, [PoolP, char_p, void_p, size_t, P(int64_t), E]),
    "xoxe_pool_try_get": (S, [PoolP, char_p, void_p, size_t, P(int64_t), P(bool_), E]),
    "xoxe_pool_get_reusable": (S, [PoolP, char_p, void_p, size_t, P(int64_t), P(int64_t), E]),
    "xoxe_pool_remove": (S, _REMOVED),
    "xoxe_pool_uninstall": (S, _REMOVED),
    "xoxe_pool_mark_revoked": (S, [PoolP, char_p, char_p, E]),
    "xoxe_pool_stats": (S, [PoolP, P(xoxe_pool_stats_info), E]),
    "xoxe_pool_install": (S, [PoolP, InstallP, E]),
    "xoxe_pool_install_code": (S, [PoolP, char_p, char_p, P(InstallP), E]),
    "xoxe_pool_install_json": (S, [PoolP, char_p, P(InstallP), E]),
    "xoxe_pool_free": (None, [PoolP]),
    "xoxe_version": (char_p, []),
    "xoxe_abi_version": (uint32_t, []),
    "xoxe_status_name": (char_p, [uint32_t]),
    "xoxe_status_family_of": (xoxe_status_family, [uint32_t]),
}

#: Functions that also get a second prototype whose pointer arguments are all ``void *``:
#: ctypes converts a plain int address and a buffer about 3x faster than typed pointers
#: (the rotator's and the pool's hot path). Same symbol, same C signature.
FAST: tuple[str, ...] = ("xoxe_rotator_get", "xoxe_rotator_force_rotate", "xoxe_rotator_current")
FAST += ("xoxe_rotator_try_get", "xoxe_pool_get", "xoxe_pool_try_get")
FAST += ("xoxe_rotator_get_reusable", "xoxe_pool_get_reusable")

#: Functions that also get a prototype without argument conversion (:func:`raw`): the
#: pool's per-request calls, where converting seven arguments cost ~4x the call itself.
RAW: tuple[str, ...] = ("xoxe_pool_get_reusable", "xoxe_pool_try_get")


class LibraryLoadError(ImportError):
    """The shared library could not be found or loaded, or has the wrong ABI version."""


def _packaged_library() -> str | None:
    import _imp  # importlib.machinery.EXTENSION_SUFFIXES, without importing importlib

    here = os.path.dirname(os.path.realpath(__file__))
    for suffix in [*_imp.extension_suffixes(), ".so", ".dylib", ".dll"]:
        candidate = os.path.join(here, PACKAGED_STEM + suffix)
        if os.path.isfile(candidate):
            return candidate
    return None


def _library_file() -> str:
    """The library's absolute path as a string (what :func:`library_path` gives, without
    importing :mod:`pathlib`)."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        if not os.path.isabs(override):
            raise LibraryLoadError(
                f"{LIBRARY_ENV} must be an absolute path to libxoxe (got a relative path); "
                "xoxe never searches the current directory"
            )
        if not os.path.isfile(override):
            from pathlib import Path

            raise LibraryLoadError(f"{LIBRARY_ENV} names {str(Path(override))!r}, which is not a file")
        return override
    packaged = _packaged_library()
    if packaged is None:
        raise LibraryLoadError(
            "the xoxe shared library is not installed in the package and "
            f"{LIBRARY_ENV} is not set: install with `pip install ./bindings/python` "
            f"(which builds it with cargo) or set {LIBRARY_ENV} to the absolute path "
            "of libxoxe.so (`cargo build --release` puts it in target/release/)"
        )
    return packaged


def library_path() -> Path:
    """The absolute path of the library this package loads (``$XOXE_LIBRARY`` first)."""
    from pathlib import Path

    return Path(_library_file())


def _shown(path: Path | str) -> str:
    """``path`` as error messages show it (as a ``pathlib.Path`` prints)."""
    from pathlib import Path

    return repr(str(Path(path)))


def load(path: Path | str, expected_abi: int = ABI_VERSION) -> Any:
    """Loads the library at ``path``, checks its ABI version, and declares every function."""
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise LibraryLoadError(f"cannot load the xoxe library at {_shown(path)}: {exc}") from None
    try:
        abi = lib.xoxe_abi_version
    except AttributeError:
        raise LibraryLoadError(f"{_shown(path)} is not an xoxe library (no xoxe_abi_version)") from None
    abi.restype, abi.argtypes = SIGNATURES["xoxe_abi_version"]
    found = int(abi())
    if found != expected_abi:
        raise LibraryLoadError(
            f"the xoxe library at {_shown(path)} has ABI version {found}, but this Python "
            f"binding was written for ABI version {expected_abi}: install matching versions"
        )
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryLoadError(f"the xoxe library at {_shown(path)} lacks {name}") from None
        fn.restype, fn.argtypes = restype, argtypes
    return lib


_LIBRARY_FILE = _library_file()
lib: Any = load(_LIBRARY_FILE)


def fast(name: str) -> Any:
    """The :data:`FAST` prototype of ``name``: every data pointer a ``void *`` (a new
    function object; ``lib.<name>`` keeps its typed one)."""
    fn = lib[name]
    fn.restype, argtypes = SIGNATURES[name]
    fn.argtypes = [void_p if issubclass(t, (ctypes._Pointer, char_p, void_p)) else t for t in argtypes]
    return fn


def raw(name: str) -> Any:
    """The :data:`RAW` prototype of ``name``: its return type, and no ``argtypes``, so
    ctypes passes each argument as it is, without calling a converter for it. Every
    argument must then be of its C type already: a typed pointer instance (``h.ptr``)
    for a handle, ``bytes`` or ``None`` for a ``const char *``, a ``c_char`` array for a
    buffer, ``byref(...)`` for an out-parameter, a ``c_size_t`` instance for a
    ``size_t`` (a plain ``int`` would go as a C ``int``). A new function object;
    ``lib.<name>`` keeps its typed one."""
    fn = lib[name]
    fn.restype = SIGNATURES[name][0]
    fn.argtypes = None
    return fn


def __getattr__(name: str) -> Any:
    if name == "LIBRARY_PATH":  # the absolute path of the loaded library (a pathlib.Path, made on use)
        from pathlib import Path

        global LIBRARY_PATH
        LIBRARY_PATH = Path(_LIBRARY_FILE)
        return LIBRARY_PATH
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    #: The absolute path of the loaded library.
    LIBRARY_PATH: Path
