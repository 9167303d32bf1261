"""Loading ``libxoxe`` and declaring every function of ``include/xoxe.h`` for ctypes.

The library is loaded by absolute path only: ``$XOXE_LIBRARY`` when set (it must be an
absolute path), otherwise the copy installed inside this package. Nothing searches the
current directory or the system's library path.

Every declaration here mirrors the header one to one; ``tests/test_abi.py`` parses the
header and fails when a function, a struct field or an argument count is missing here.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

#: The ABI version this binding was written for (``XOXE_ABI_VERSION`` in the header).
ABI_VERSION = 1

#: Longest access token a rotator hands out (``XOXE_MAX_TOKEN_LEN``); a buffer of this
#: size plus one always fits.
MAX_TOKEN_LEN = 8192

#: ``xoxe_chain_kind`` values.
CHAIN_KIND_CONFIG = 0
CHAIN_KIND_OAUTH = 1

#: Environment variable naming the shared library to load instead of the packaged one.
LIBRARY_ENV = "XOXE_LIBRARY"

#: Stem of the shared library that ``pip install`` places inside the package.
PACKAGED_STEM = "_libxoxe"


# ---- opaque handles --------------------------------------------------------------


class xoxe_client(Structure):
    """Opaque."""


class xoxe_client_options(Structure):
    """Opaque."""


class xoxe_error(Structure):
    """Opaque."""


class xoxe_config_token(Structure):
    """Opaque."""


class xoxe_oauth_token(Structure):
    """Opaque."""


class xoxe_auth_identity(Structure):
    """Opaque."""


class xoxe_api_response(Structure):
    """Opaque."""


class xoxe_rotator(Structure):
    """Opaque."""


class xoxe_store(Structure):
    """Opaque."""


class xoxe_store_value(Structure):
    """Opaque."""


ClientP = POINTER(xoxe_client)
ClientOptionsP = POINTER(xoxe_client_options)
ErrorP = POINTER(xoxe_error)
ConfigTokenP = POINTER(xoxe_config_token)
OAuthTokenP = POINTER(xoxe_oauth_token)
AuthIdentityP = POINTER(xoxe_auth_identity)
ApiResponseP = POINTER(xoxe_api_response)
RotatorP = POINTER(xoxe_rotator)
StoreP = POINTER(xoxe_store)
StoreValueP = POINTER(xoxe_store_value)

c_char_p_p = POINTER(c_char_p)
xoxe_status = c_uint32
xoxe_status_family = c_uint32


# ---- read-only info structs (#[repr(C)]) -----------------------------------------


class xoxe_error_info(Structure):
    _fields_ = [
        ("status", xoxe_status),
        ("cause", xoxe_status),
        ("message", c_char_p),
        ("slack_error", c_char_p),
        ("retry_after_secs", c_int64),
        ("http_status", c_uint16),
        ("warnings", c_char_p_p),
        ("warnings_len", c_size_t),
        ("response_json", c_char_p),
    ]


class xoxe_config_token_info(Structure):
    _fields_ = [
        ("token", c_char_p),
        ("refresh_token", c_char_p),
        ("team_id", c_char_p),
        ("user_id", c_char_p),
        ("iat", c_int64),
        ("exp", c_int64),
        ("warnings", c_char_p_p),
        ("warnings_len", c_size_t),
    ]


class xoxe_oauth_token_info(Structure):
    _fields_ = [
        ("access_token", c_char_p),
        ("refresh_token", c_char_p),
        ("expires_in", c_int64),
        ("token_type", c_char_p),
        ("scope", c_char_p),
        ("app_id", c_char_p),
        ("bot_user_id", c_char_p),
        ("user_id", c_char_p),
        ("team_id", c_char_p),
        ("team_name", c_char_p),
        ("enterprise_id", c_char_p),
        ("enterprise_name", c_char_p),
        ("is_enterprise_install", c_bool),
        ("warnings", c_char_p_p),
        ("warnings_len", c_size_t),
    ]


class xoxe_auth_identity_info(Structure):
    _fields_ = [
        ("url", c_char_p),
        ("team", c_char_p),
        ("user", c_char_p),
        ("team_id", c_char_p),
        ("user_id", c_char_p),
        ("bot_id", c_char_p),
        ("enterprise_id", c_char_p),
        ("is_enterprise_install", c_bool),
        ("warnings", c_char_p_p),
        ("warnings_len", c_size_t),
    ]


class xoxe_api_response_info(Structure):
    _fields_ = [
        # Read with ctypes.string_at(json, json_len): c_void_p, not c_char_p, so that the
        # length the library gives is used rather than a search for the NUL.
        ("json", c_void_p),
        ("json_len", c_size_t),
        ("warnings", c_char_p_p),
        ("warnings_len", c_size_t),
    ]


# ---- rotator and token stores (used by _rotator.py) --------------------------------


class xoxe_rotator_options(Structure):
    _fields_ = [
        ("refresh_window_secs", c_uint32),
        ("jitter_secs", c_uint32),
        ("wait_timeout_ms", c_uint32),
        ("call_timeout_ms", c_uint32),
    ]


StoreLoadFn = CFUNCTYPE(c_int32, c_void_p, StoreValueP)
StoreSaveFn = CFUNCTYPE(c_int32, c_void_p, c_bool, c_uint64, c_uint64, c_char_p)
StoreLockFn = CFUNCTYPE(c_int32, c_void_p)
StoreUnlockFn = CFUNCTYPE(None, c_void_p)
StoreReleaseFn = CFUNCTYPE(None, c_void_p)


class xoxe_store_callbacks(Structure):
    _fields_ = [
        ("user_data", c_void_p),
        ("load", StoreLoadFn),
        ("save", StoreSaveFn),
        ("lock", StoreLockFn),
        ("unlock", StoreUnlockFn),
        ("release", StoreReleaseFn),
    ]


#: Every ``typedef struct {...}`` of the header, by name.
INFO_STRUCTS: Dict[str, Any] = {
    "xoxe_rotator_options": xoxe_rotator_options,
    "xoxe_store_callbacks": xoxe_store_callbacks,
    "xoxe_error_info": xoxe_error_info,
    "xoxe_config_token_info": xoxe_config_token_info,
    "xoxe_oauth_token_info": xoxe_oauth_token_info,
    "xoxe_auth_identity_info": xoxe_auth_identity_info,
    "xoxe_api_response_info": xoxe_api_response_info,
}

E = POINTER(ErrorP)  # xoxe_error **error_out

#: name -> (restype, argtypes), in header order. One entry per function in xoxe.h.
SIGNATURES: Dict[str, Tuple[Any, List[Any]]] = {
    "xoxe_client_options_new": (xoxe_status, [POINTER(ClientOptionsP), E]),
    "xoxe_client_options_free": (None, [ClientOptionsP]),
    "xoxe_client_options_set_base_url": (xoxe_status, [ClientOptionsP, c_char_p, E]),
    "xoxe_client_options_set_preset": (xoxe_status, [ClientOptionsP, c_uint32, E]),
    "xoxe_client_options_set_timeouts": (xoxe_status, [ClientOptionsP, c_uint32, c_uint32, E]),
    "xoxe_client_options_set_ratelimit_retries": (
        xoxe_status,
        [ClientOptionsP, c_uint32, c_uint32, E],
    ),
    "xoxe_client_options_set_ca_bundle": (xoxe_status, [ClientOptionsP, c_char_p, E]),
    "xoxe_client_options_set_max_response_bytes": (xoxe_status, [ClientOptionsP, c_uint64, E]),
    "xoxe_client_new": (xoxe_status, [ClientOptionsP, POINTER(ClientP), E]),
    "xoxe_client_base_url": (c_char_p, [ClientP]),
    "xoxe_client_free": (None, [ClientP]),
    "xoxe_error_get_info": (POINTER(xoxe_error_info), [ErrorP]),
    "xoxe_error_free": (None, [ErrorP]),
    "xoxe_tooling_tokens_rotate": (
        xoxe_status,
        [ClientP, c_char_p, c_uint32, POINTER(ConfigTokenP), E],
    ),
    "xoxe_oauth_v2_exchange": (
        xoxe_status,
        [ClientP, c_char_p, c_char_p, c_char_p, c_uint32, POINTER(OAuthTokenP), E],
    ),
    "xoxe_oauth_v2_refresh": (
        xoxe_status,
        [ClientP, c_char_p, c_char_p, c_char_p, c_uint32, POINTER(OAuthTokenP), E],
    ),
    "xoxe_auth_test": (xoxe_status, [ClientP, c_char_p, c_uint32, POINTER(AuthIdentityP), E]),
    "xoxe_call": (
        xoxe_status,
        [
            ClientP,
            c_char_p,
            c_char_p,
            c_char_p_p,
            c_char_p_p,
            c_size_t,
            c_uint32,
            POINTER(ApiResponseP),
            E,
        ],
    ),
    "xoxe_redact": (c_size_t, [c_char_p, c_void_p, c_size_t]),
    "xoxe_config_token_get_info": (POINTER(xoxe_config_token_info), [ConfigTokenP]),
    "xoxe_config_token_free": (None, [ConfigTokenP]),
    "xoxe_oauth_token_get_info": (POINTER(xoxe_oauth_token_info), [OAuthTokenP]),
    "xoxe_oauth_token_free": (None, [OAuthTokenP]),
    "xoxe_auth_identity_get_info": (POINTER(xoxe_auth_identity_info), [AuthIdentityP]),
    "xoxe_auth_identity_free": (None, [AuthIdentityP]),
    "xoxe_api_response_get_info": (POINTER(xoxe_api_response_info), [ApiResponseP]),
    "xoxe_api_response_free": (None, [ApiResponseP]),
    "xoxe_rotator_new_config": (
        xoxe_status,
        [ClientP, StoreP, POINTER(xoxe_rotator_options), POINTER(RotatorP), E],
    ),
    "xoxe_rotator_new_oauth": (
        xoxe_status,
        [ClientP, StoreP, c_char_p, c_char_p, POINTER(xoxe_rotator_options), POINTER(RotatorP), E],
    ),
    "xoxe_rotator_get": (xoxe_status, [RotatorP, c_void_p, c_size_t, POINTER(c_int64), E]),
    "xoxe_rotator_force_rotate": (xoxe_status, [RotatorP, c_void_p, c_size_t, POINTER(c_int64), E]),
    "xoxe_rotator_current": (xoxe_status, [RotatorP, c_void_p, c_size_t, POINTER(c_int64), E]),
    "xoxe_rotator_free": (None, [RotatorP]),
    "xoxe_store_memory_new": (xoxe_status, [POINTER(StoreP), E]),
    "xoxe_store_file_new": (xoxe_status, [c_char_p, c_uint32, POINTER(StoreP), E]),
    "xoxe_store_foreign_new": (
        xoxe_status,
        [POINTER(xoxe_store_callbacks), c_char_p, POINTER(StoreP), E],
    ),
    "xoxe_store_value_set": (None, [StoreValueP, c_char_p]),
    "xoxe_store_init": (
        xoxe_status,
        [StoreP, c_uint32, c_char_p, c_char_p, c_int64, c_bool, E],
    ),
    "xoxe_store_free": (None, [StoreP]),
    "xoxe_version": (c_char_p, []),
    "xoxe_abi_version": (c_uint32, []),
    "xoxe_status_name": (c_char_p, [c_uint32]),
    "xoxe_status_family_of": (xoxe_status_family, [c_uint32]),
}


class LibraryLoadError(ImportError):
    """The shared library could not be found or loaded, or has the wrong ABI version."""


def _packaged_library() -> Optional[Path]:
    here = Path(__file__).resolve().parent
    suffixes = list(importlib.machinery.EXTENSION_SUFFIXES) + [".so", ".dylib", ".dll"]
    for suffix in suffixes:
        candidate = here / (PACKAGED_STEM + suffix)
        if candidate.is_file():
            return candidate
    return None


def library_path() -> Path:
    """The absolute path of the library this package loads (``$XOXE_LIBRARY`` first)."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        path = Path(override)
        if not path.is_absolute():
            raise LibraryLoadError(
                f"{LIBRARY_ENV} must be an absolute path to libxoxe (got a relative path); "
                "xoxe never searches the current directory"
            )
        if not path.is_file():
            raise LibraryLoadError(f"{LIBRARY_ENV} names {str(path)!r}, which is not a file")
        return path
    packaged = _packaged_library()
    if packaged is None:
        raise LibraryLoadError(
            "the xoxe shared library is not installed in the package and "
            f"{LIBRARY_ENV} is not set: install with `pip install ./bindings/python` "
            f"(which builds it with cargo) or set {LIBRARY_ENV} to the absolute path "
            "of libxoxe.so (`cargo build --release` puts it in target/release/)"
        )
    return packaged


def load(path: Path, expected_abi: int = ABI_VERSION) -> Any:
    """Loads the library at ``path``, checks its ABI version, and declares every function."""
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise LibraryLoadError(f"cannot load the xoxe library at {str(path)!r}: {exc}") from None
    try:
        abi = lib.xoxe_abi_version
    except AttributeError:
        raise LibraryLoadError(f"{str(path)!r} is not an xoxe library (no xoxe_abi_version)") from None
    abi.restype = c_uint32
    abi.argtypes = []
    found = int(abi())
    if found != expected_abi:
        raise LibraryLoadError(
            f"the xoxe library at {str(path)!r} has ABI version {found}, but this Python "
            f"binding was written for ABI version {expected_abi}: install matching versions"
        )
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryLoadError(f"the xoxe library at {str(path)!r} lacks {name}") from None
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


#: The absolute path of the loaded library.
LIBRARY_PATH: Path = library_path()
lib: Any = load(LIBRARY_PATH)
