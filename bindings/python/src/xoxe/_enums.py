"""Generated from include/xoxe.h by tools/gen_status.py (do not edit): the header's enums
as ``IntEnum`` classes (``xoxe.Status``…), imported on first use (``import enum`` is not
part of ``import xoxe``). tests/test_abi.py fails when this module and the header disagree."""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """Every outcome of an xoxe call (``XOXE_STATUS_*``)."""

    OK = 0
    """The call succeeded."""
    NULL_ARGUMENT = 1
    """A required pointer argument was NULL."""
    INVALID_UTF8 = 2
    """A string argument was not valid UTF-8."""
    INVALID_ARGUMENT = 3
    """An argument was empty, too long, or malformed (see the message)."""
    INSECURE_URL = 4
    """The base URL uses plain `http://` to a host that is not loopback."""
    PANIC = 5
    """A Rust panic was caught at the C boundary (a bug in xoxe; please report it)."""
    FILE_UNREADABLE = 6
    """A file the caller named (e.g. a CA bundle) could not be read or parsed."""
    UNSUPPORTED = 7
    """This build of xoxe leaves the feature out (e.g. a PostgreSQL or Redis store in a build without the `postgres`
    or `redis` cargo feature)."""
    NETWORK = 100
    """The connection failed before a complete answer arrived (DNS, refused, reset, closed mid-body). The request
    may have been sent: for token-spending calls that case is `OutcomeUnknown`; for others, resend only what is
    idempotent."""
    TIMEOUT = 101
    """The call did not finish within its timeout."""
    TLS = 102
    """TLS handshake or certificate verification failed."""
    HTTP_STATUS = 103
    """The server answered with an HTTP status that carries no Slack error."""
    BAD_RESPONSE = 104
    """A complete 2xx response that is not the JSON the method promises (empty, not JSON, cut short, wrong types).
    Non-2xx pages are `HttpStatus`."""
    RESPONSE_TOO_LARGE = 105
    """The response body exceeded the client's size limit."""
    OUTCOME_UNKNOWN = 106
    """A token-spending call (rotate, exchange, refresh) may or may not have been applied by Slack: the request may
    have arrived but no definite answer came back. The old refresh token may already be spent. Never retried
    automatically; `cause` in the error says what happened."""
    STORE_IO = 200
    """A store could not be read or written (see the message for the path and why)."""
    STORE_CORRUPT = 201
    """A store holds something that is not a token pair (empty, truncated, wrong JSON)."""
    STORE_PERMISSIONS = 202
    """A store file is not a regular file, or others than its owner may read it."""
    STORE_EMPTY = 203
    """The store holds no token pair yet: initialise it with a refresh token."""
    LOCK_TIMEOUT = 204
    """The lock that serialises rotations could not be taken in time."""
    CHAIN_DEAD = 205
    """The refresh token was rejected and the store holds nothing newer: the chain is dead and a human must issue a
    new token."""
    STORE_CONFLICT = 206
    """The store refused a save and kept refusing (compare-and-swap lost twice)."""
    STORE_SEALED = 207
    """A stored document is sealed under a key this process was not given, or fails authentication (tampered, or
    sealed for another chain); the message names the key id. Nothing was overwritten."""
    CHAIN_REVOKED = 208
    """Slack reported the chain's token revoked (`token_revoked`, `account_inactive` or `invalid_auth`, e.g. after
    an uninstall). The chain is marked revoked in its store and never retried; `cause` holds Slack's code. Reinstall
    to go on."""
    SLACK_OTHER = 1000
    """Slack returned an error code xoxe does not know; see `slack_error` for it."""
    ACCESS_DENIED = 1001
    """Slack: `access_denied`."""
    ACCESSLIMITED = 1002
    """Slack: `accesslimited`."""
    ACCOUNT_INACTIVE = 1003
    """Slack: `account_inactive`."""
    AUTHORIZATION_NOT_FOUND = 1004
    """Slack: `authorization_not_found`."""
    BAD_CLIENT_SECRET = 1005
    """Slack: `bad_client_secret`."""
    DEPRECATED_ENDPOINT = 1006
    """Slack: `deprecated_endpoint`."""
    EKM_ACCESS_DENIED = 1007
    """Slack: `ekm_access_denied`."""
    ENTERPRISE_IS_RESTRICTED = 1008
    """Slack: `enterprise_is_restricted`."""
    FATAL_ERROR = 1009
    """Slack: `fatal_error` (the operation may have partly succeeded)."""
    INTERNAL_ERROR = 1010
    """Slack: `internal_error` (the operation may have partly succeeded)."""
    INVALID_ARG_NAME = 1011
    """Slack: `invalid_arg_name`."""
    INVALID_ARGUMENTS = 1012
    """Slack: `invalid_arguments`."""
    INVALID_ARRAY_ARG = 1013
    """Slack: `invalid_array_arg`."""
    INVALID_AUTH = 1014
    """Slack: `invalid_auth`."""
    INVALID_CHARSET = 1015
    """Slack: `invalid_charset`."""
    INVALID_CLIENT_ID = 1016
    """Slack: `invalid_client_id`."""
    INVALID_FORM_DATA = 1017
    """Slack: `invalid_form_data`."""
    INVALID_GRANT_TYPE = 1018
    """Slack: `invalid_grant_type`."""
    INVALID_POST_TYPE = 1019
    """Slack: `invalid_post_type`."""
    INVALID_REFRESH_TOKEN = 1020
    """Slack: `invalid_refresh_token` (unknown, or already spent)."""
    INVALID_TOKEN = 1021
    """Slack: `invalid_token` (a legacy token that cannot be exchanged)."""
    METHOD_DEPRECATED = 1022
    """Slack: `method_deprecated`."""
    MISSING_POST_TYPE = 1023
    """Slack: `missing_post_type`."""
    MISSING_SCOPE = 1024
    """Slack: `missing_scope`."""
    NO_PERMISSION = 1025
    """Slack: `no_permission`."""
    NOT_ALLOWED_TOKEN_TYPE = 1026
    """Slack: `not_allowed_token_type`."""
    NOT_AUTHED = 1027
    """Slack: `not_authed`."""
    ORG_LOGIN_REQUIRED = 1028
    """Slack: `org_login_required`."""
    RATELIMITED = 1029
    """Slack: `ratelimited` (HTTP 429; see `retry_after`)."""
    REFRESH_TOKEN_EXPIRED = 1030
    """Slack: `refresh_token_expired`."""
    REQUEST_TIMEOUT = 1031
    """Slack: `request_timeout` (POST data missing or truncated)."""
    SERVICE_UNAVAILABLE = 1032
    """Slack: `service_unavailable`."""
    TEAM_ACCESS_NOT_GRANTED = 1033
    """Slack: `team_access_not_granted`."""
    TEAM_ADDED_TO_ORG = 1034
    """Slack: `team_added_to_org`."""
    TOKEN_ALREADY_EXCHANGED = 1035
    """Slack: `token_already_exchanged`."""
    TOKEN_EXPIRED = 1036
    """Slack: `token_expired`."""
    TOKEN_REVOKED = 1037
    """Slack: `token_revoked`."""
    TOKEN_ROTATION_NOT_ENABLED = 1038
    """Slack: `token_rotation_not_enabled`."""
    TWO_FACTOR_SETUP_REQUIRED = 1039
    """Slack: `two_factor_setup_required`."""
    UNKNOWN_ERROR = 1040
    """Slack: `unknown_error`."""
    INVALID_MANIFEST = 1041
    """Slack: `invalid_manifest` (see the response JSON's `errors`)."""
    INVALID_JSON = 1042
    """Slack: `invalid_json`."""
    UNKNOWN_METHOD = 1043
    """Slack: `unknown_method`."""
    BAD_REDIRECT_URI = 1044
    """Slack: `bad_redirect_uri` (the `redirect_uri` differs from the one the authorization began with)."""
    CANNOT_INSTALL_AN_ORG_INSTALLED_APP = 1045
    """Slack: `cannot_install_an_org_installed_app`."""
    CODE_ALREADY_USED = 1046
    """Slack: `code_already_used` (an authorization code is single use)."""
    INVALID_CODE = 1047
    """Slack: `invalid_code` (unknown or expired authorization code)."""
    INVALID_CODE_VERIFIER = 1048
    """Slack: `invalid_code_verifier` (PKCE)."""
    INVALID_TEAM_FOR_NON_DISTRIBUTED_APP = 1049
    """Slack: `invalid_team_for_non_distributed_app`."""
    NO_SCOPES = 1050
    """Slack: `no_scopes`."""
    OAUTH_AUTHORIZATION_URL_MISMATCH = 1051
    """Slack: `oauth_authorization_url_mismatch` (the flow must begin at `/oauth/v2/authorize`)."""
    PKCE_NOT_ALLOWED = 1052
    """Slack: `pkce_not_allowed`."""
    PREVIEW_FEATURE_NOT_AVAILABLE = 1053
    """Slack: `preview_feature_not_available`."""
    TEAM_NOT_FOUND = 1054
    """Slack: `team_not_found`."""
    USER_EMAIL_UNVERIFIED = 1055
    """Slack: `user_email_unverified`."""


class StatusFamily(enum.IntEnum):
    """The coarse class of a status (``XOXE_STATUS_FAMILY_*``); one exception class each."""

    OK = 0
    """Success."""
    USAGE = 1
    """The caller passed something unusable; nothing was sent."""
    TRANSPORT = 2
    """The network, TLS, or the response itself failed."""
    SLACK_API = 3
    """Slack answered `ok: false` with an error code."""
    RATE_LIMITED = 4
    """Slack rate-limited the call (`ratelimited`, HTTP 429)."""
    OUTCOME_UNKNOWN = 5
    """A token-spending call may or may not have been applied."""
    STORE = 6
    """A token store or rotator failed (including a dead chain)."""
    INTERNAL = 7
    """A bug inside xoxe (a caught panic)."""


class Preset(enum.IntEnum):
    """Which Slack to talk to (``XOXE_PRESET_*``)."""

    SLACK = 0
    """`https://slack.com/api/` (the default)."""
    GOV_SLACK = 1
    """GovSlack: `https://slack-gov.com/api/`."""
