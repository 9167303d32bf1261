"""Generated from include/xoxe.h by tools/gen_status.py (do not edit): the header's
constants, its enums' values as plain ints (``_Status.OK``…; the ``IntEnum`` classes are in
_enums.py, imported on first use: ``Status`` here is that class), and the preset base URLs it
documents. tests/test_abi.py fails when this module and the header or the loaded library disagree."""

from __future__ import annotations

#: The ABI version this header describes. Bindings compare it with `xoxe_abi_version()` when they load the library and
#: refuse a mismatch.
ABI_VERSION = 1
#: Longest token, id or secret xoxe accepts or hands out: a buffer of this many bytes plus one holds any token with its
#: NUL.
MAX_TOKEN_LEN = 8192
#: Longest chain name, in bytes.
MAX_CHAIN_NAME_LEN = 200
#: Rotators a pool keeps in memory unless told otherwise (`max_chains_in_memory` 0); a binding that keeps tokens sizes
#: its map by it.
DEFAULT_MAX_CHAINS_IN_MEMORY = 10000
#: App configuration token: `tooling.tokens.rotate`.
CHAIN_KIND_CONFIG = 0
#: Bot or user token: `oauth.v2.access` with `grant_type=refresh_token`.
CHAIN_KIND_OAUTH = 1
#: A call or rotation failed in a way a human should look at (dead chain, store failure).
LOG_LEVEL_ERROR = 1
#: Something went wrong but was handled, or needs care (outcome unknown, retries).
LOG_LEVEL_WARN = 2
#: Rotations, store adoptions, rate-limit waits.
LOG_LEVEL_INFO = 3
#: Every request and its outcome, lock waits.
LOG_LEVEL_DEBUG = 4
#: The base URL of ``Preset.SLACK``.
SLACK_BASE_URL = "https://slack.com/api/"
#: The base URL of ``Preset.GOV_SLACK``.
GOV_SLACK_BASE_URL = "https://slack-gov.com/api/"


class _Status:
    """``Status``'s values, as plain ints."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_UTF8 = 2
    INVALID_ARGUMENT = 3
    INSECURE_URL = 4
    PANIC = 5
    FILE_UNREADABLE = 6
    UNSUPPORTED = 7
    NETWORK = 100
    TIMEOUT = 101
    TLS = 102
    HTTP_STATUS = 103
    BAD_RESPONSE = 104
    RESPONSE_TOO_LARGE = 105
    OUTCOME_UNKNOWN = 106
    STORE_IO = 200
    STORE_CORRUPT = 201
    STORE_PERMISSIONS = 202
    STORE_EMPTY = 203
    LOCK_TIMEOUT = 204
    CHAIN_DEAD = 205
    STORE_CONFLICT = 206
    STORE_SEALED = 207
    CHAIN_REVOKED = 208
    SLACK_OTHER = 1000
    ACCESS_DENIED = 1001
    ACCESSLIMITED = 1002
    ACCOUNT_INACTIVE = 1003
    AUTHORIZATION_NOT_FOUND = 1004
    BAD_CLIENT_SECRET = 1005
    DEPRECATED_ENDPOINT = 1006
    EKM_ACCESS_DENIED = 1007
    ENTERPRISE_IS_RESTRICTED = 1008
    FATAL_ERROR = 1009
    INTERNAL_ERROR = 1010
    INVALID_ARG_NAME = 1011
    INVALID_ARGUMENTS = 1012
    INVALID_ARRAY_ARG = 1013
    INVALID_AUTH = 1014
    INVALID_CHARSET = 1015
    INVALID_CLIENT_ID = 1016
    INVALID_FORM_DATA = 1017
    INVALID_GRANT_TYPE = 1018
    INVALID_POST_TYPE = 1019
    INVALID_REFRESH_TOKEN = 1020
    INVALID_TOKEN = 1021
    METHOD_DEPRECATED = 1022
    MISSING_POST_TYPE = 1023
    MISSING_SCOPE = 1024
    NO_PERMISSION = 1025
    NOT_ALLOWED_TOKEN_TYPE = 1026
    NOT_AUTHED = 1027
    ORG_LOGIN_REQUIRED = 1028
    RATELIMITED = 1029
    REFRESH_TOKEN_EXPIRED = 1030
    REQUEST_TIMEOUT = 1031
    SERVICE_UNAVAILABLE = 1032
    TEAM_ACCESS_NOT_GRANTED = 1033
    TEAM_ADDED_TO_ORG = 1034
    TOKEN_ALREADY_EXCHANGED = 1035
    TOKEN_EXPIRED = 1036
    TOKEN_REVOKED = 1037
    TOKEN_ROTATION_NOT_ENABLED = 1038
    TWO_FACTOR_SETUP_REQUIRED = 1039
    UNKNOWN_ERROR = 1040
    INVALID_MANIFEST = 1041
    INVALID_JSON = 1042
    UNKNOWN_METHOD = 1043
    BAD_REDIRECT_URI = 1044
    CANNOT_INSTALL_AN_ORG_INSTALLED_APP = 1045
    CODE_ALREADY_USED = 1046
    INVALID_CODE = 1047
    INVALID_CODE_VERIFIER = 1048
    INVALID_TEAM_FOR_NON_DISTRIBUTED_APP = 1049
    NO_SCOPES = 1050
    OAUTH_AUTHORIZATION_URL_MISMATCH = 1051
    PKCE_NOT_ALLOWED = 1052
    PREVIEW_FEATURE_NOT_AVAILABLE = 1053
    TEAM_NOT_FOUND = 1054
    USER_EMAIL_UNVERIFIED = 1055


class _StatusFamily:
    """``StatusFamily``'s values, as plain ints."""

    OK = 0
    USAGE = 1
    TRANSPORT = 2
    SLACK_API = 3
    RATE_LIMITED = 4
    OUTCOME_UNKNOWN = 5
    STORE = 6
    INTERNAL = 7


class _Preset:
    """``Preset``'s values, as plain ints."""

    SLACK = 0
    GOV_SLACK = 1


def __getattr__(name: str) -> object:
    if name in ("Status", "StatusFamily", "Preset"):  # the IntEnum classes, made on first use
        from . import _enums

        return getattr(_enums, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
