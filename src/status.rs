//! The status enum: one stable number for every outcome xoxe reports.
//!
//! Numbers are part of the C ABI. They are explicit, never reused, and grouped:
//! `0` success, `1..=99` caller mistakes, `100..=199` transport and response
//! problems, `200..=299` token stores and rotators, `1000..` error codes Slack
//! returns in `{"ok":false,"error":"…"}`. A Slack code xoxe does not know maps to
//! [`Status::SlackOther`] and keeps its raw string in the error.

use std::ffi::CStr;

/// Every outcome of an xoxe call: `XOXE_STATUS_OK` (0) or an error. Numbers are
/// stable and never reused; `xoxe_status_name` gives each one's snake_case name
/// and `xoxe_status_family_of` its family. (Rust: `xoxe::Status`.)
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The call succeeded.
    Ok = 0,

    // --- caller mistakes (1..=99) ---
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument was empty, too long, or malformed (see the message).
    InvalidArgument = 3,
    /// The base URL uses plain `http://` to a host that is not loopback.
    InsecureUrl = 4,
    /// A Rust panic was caught at the C boundary (a bug in xoxe; please report it).
    Panic = 5,
    /// A file the caller named (e.g. a CA bundle) could not be read or parsed.
    FileUnreadable = 6,
    /// This build of xoxe leaves the feature out (e.g. a PostgreSQL or Redis store
    /// in a build without the `postgres` or `redis` cargo feature).
    Unsupported = 7,

    // --- transport and response problems (100..=199) ---
    /// The connection failed before a complete answer arrived (DNS, refused, reset,
    /// closed mid-body). The request may have been sent: for token-spending calls
    /// that case is `OutcomeUnknown`; for others, resend only what is idempotent.
    Network = 100,
    /// The call did not finish within its timeout.
    Timeout = 101,
    /// TLS handshake or certificate verification failed.
    Tls = 102,
    /// The server answered with an HTTP status that carries no Slack error.
    HttpStatus = 103,
    /// A complete 2xx response that is not the JSON the method promises (empty,
    /// not JSON, cut short, wrong types). Non-2xx pages are `HttpStatus`.
    BadResponse = 104,
    /// The response body exceeded the client's size limit.
    ResponseTooLarge = 105,
    /// A token-spending call (rotate, exchange, refresh) may or may not have been
    /// applied by Slack: the request may have arrived but no definite answer came back.
    /// The old refresh token may already be spent. Never retried automatically;
    /// `cause` in the error says what happened.
    OutcomeUnknown = 106,

    // --- token stores and rotators (200..=299) ---
    /// A store could not be read or written (see the message for the path and why).
    StoreIo = 200,
    /// A store holds something that is not a token pair (empty, truncated, wrong JSON).
    StoreCorrupt = 201,
    /// A store file is not a regular file, or others than its owner may read it.
    StorePermissions = 202,
    /// The store holds no token pair yet: initialise it with a refresh token.
    StoreEmpty = 203,
    /// The lock that serialises rotations could not be taken in time.
    LockTimeout = 204,
    /// The refresh token was rejected and the store holds nothing newer: the chain
    /// is dead and a human must issue a new token.
    ChainDead = 205,
    /// The store refused a save and kept refusing (compare-and-swap lost twice).
    StoreConflict = 206,
    /// A stored document is sealed under a key this process was not given, or fails
    /// authentication (tampered, or sealed for another chain); the message names the
    /// key id. Nothing was overwritten.
    StoreSealed = 207,
    /// Slack reported the chain's token revoked (`token_revoked`, `account_inactive`
    /// or `invalid_auth`, e.g. after an uninstall). The chain is marked revoked in its
    /// store and never retried; `cause` holds Slack's code. Reinstall to go on.
    ChainRevoked = 208,

    // --- Slack's own error codes (1000..) ---
    /// Slack returned an error code xoxe does not know; see `slack_error` for it.
    SlackOther = 1000,
    /// Slack: `access_denied`.
    AccessDenied = 1001,
    /// Slack: `accesslimited`.
    Accesslimited = 1002,
    /// Slack: `account_inactive`.
    AccountInactive = 1003,
    /// Slack: `authorization_not_found`.
    AuthorizationNotFound = 1004,
    /// Slack: `bad_client_secret`.
    BadClientSecret = 1005,
    /// Slack: `deprecated_endpoint`.
    DeprecatedEndpoint = 1006,
    /// Slack: `ekm_access_denied`.
    EkmAccessDenied = 1007,
    /// Slack: `enterprise_is_restricted`.
    EnterpriseIsRestricted = 1008,
    /// Slack: `fatal_error` (the operation may have partly succeeded).
    FatalError = 1009,
    /// Slack: `internal_error` (the operation may have partly succeeded).
    InternalError = 1010,
    /// Slack: `invalid_arg_name`.
    InvalidArgName = 1011,
    /// Slack: `invalid_arguments`.
    InvalidArguments = 1012,
    /// Slack: `invalid_array_arg`.
    InvalidArrayArg = 1013,
    /// Slack: `invalid_auth`.
    InvalidAuth = 1014,
    /// Slack: `invalid_charset`.
    InvalidCharset = 1015,
    /// Slack: `invalid_client_id`.
    InvalidClientId = 1016,
    /// Slack: `invalid_form_data`.
    InvalidFormData = 1017,
    /// Slack: `invalid_grant_type`.
    InvalidGrantType = 1018,
    /// Slack: `invalid_post_type`.
    InvalidPostType = 1019,
    /// Slack: `invalid_refresh_token` (unknown, or already spent).
    InvalidRefreshToken = 1020,
    /// Slack: `invalid_token` (a legacy token that cannot be exchanged).
    InvalidToken = 1021,
    /// Slack: `method_deprecated`.
    MethodDeprecated = 1022,
    /// Slack: `missing_post_type`.
    MissingPostType = 1023,
    /// Slack: `missing_scope`.
    MissingScope = 1024,
    /// Slack: `no_permission`.
    NoPermission = 1025,
    /// Slack: `not_allowed_token_type`.
    NotAllowedTokenType = 1026,
    /// Slack: `not_authed`.
    NotAuthed = 1027,
    /// Slack: `org_login_required`.
    OrgLoginRequired = 1028,
    /// Slack: `ratelimited` (HTTP 429; see `retry_after`).
    Ratelimited = 1029,
    /// Slack: `refresh_token_expired`.
    RefreshTokenExpired = 1030,
    /// Slack: `request_timeout` (POST data missing or truncated).
    RequestTimeout = 1031,
    /// Slack: `service_unavailable`.
    ServiceUnavailable = 1032,
    /// Slack: `team_access_not_granted`.
    TeamAccessNotGranted = 1033,
    /// Slack: `team_added_to_org`.
    TeamAddedToOrg = 1034,
    /// Slack: `token_already_exchanged`.
    TokenAlreadyExchanged = 1035,
    /// Slack: `token_expired`.
    TokenExpired = 1036,
    /// Slack: `token_revoked`.
    TokenRevoked = 1037,
    /// Slack: `token_rotation_not_enabled`.
    TokenRotationNotEnabled = 1038,
    /// Slack: `two_factor_setup_required`.
    TwoFactorSetupRequired = 1039,
    /// Slack: `unknown_error`.
    UnknownError = 1040,
    /// Slack: `invalid_manifest` (see the response JSON's `errors`).
    InvalidManifest = 1041,
    /// Slack: `invalid_json`.
    InvalidJson = 1042,
    /// Slack: `unknown_method`.
    UnknownMethod = 1043,
    /// Slack: `bad_redirect_uri` (the `redirect_uri` differs from the one the authorization began with).
    BadRedirectUri = 1044,
    /// Slack: `cannot_install_an_org_installed_app`.
    CannotInstallAnOrgInstalledApp = 1045,
    /// Slack: `code_already_used` (an authorization code is single use).
    CodeAlreadyUsed = 1046,
    /// Slack: `invalid_code` (unknown or expired authorization code).
    InvalidCode = 1047,
    /// Slack: `invalid_code_verifier` (PKCE).
    InvalidCodeVerifier = 1048,
    /// Slack: `invalid_team_for_non_distributed_app`.
    InvalidTeamForNonDistributedApp = 1049,
    /// Slack: `no_scopes`.
    NoScopes = 1050,
    /// Slack: `oauth_authorization_url_mismatch` (the flow must begin at `/oauth/v2/authorize`).
    OauthAuthorizationUrlMismatch = 1051,
    /// Slack: `pkce_not_allowed`.
    PkceNotAllowed = 1052,
    /// Slack: `preview_feature_not_available`.
    PreviewFeatureNotAvailable = 1053,
    /// Slack: `team_not_found`.
    TeamNotFound = 1054,
    /// Slack: `user_email_unverified`.
    UserEmailUnverified = 1055,
}

/// The coarse class of a status, for mapping codes to exception/error families.
/// (Rust: `xoxe::StatusFamily`.)
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusFamily {
    /// Success.
    Ok = 0,
    /// The caller passed something unusable; nothing was sent.
    Usage = 1,
    /// The network, TLS, or the response itself failed.
    Transport = 2,
    /// Slack answered `ok: false` with an error code.
    SlackApi = 3,
    /// Slack rate-limited the call (`ratelimited`, HTTP 429).
    RateLimited = 4,
    /// A token-spending call may or may not have been applied.
    OutcomeUnknown = 5,
    /// A token store or rotator failed (including a dead chain).
    Store = 6,
    /// A bug inside xoxe (a caught panic).
    Internal = 7,
}

/// `(status, snake_case name)`; for Slack codes the name is the code Slack sends.
const NAMES: &[(Status, &CStr)] = &[
    (Status::Ok, c"ok"),
    (Status::NullArgument, c"null_argument"),
    (Status::InvalidUtf8, c"invalid_utf8"),
    (Status::InvalidArgument, c"invalid_argument"),
    (Status::InsecureUrl, c"insecure_url"),
    (Status::Panic, c"panic"),
    (Status::FileUnreadable, c"file_unreadable"),
    (Status::Unsupported, c"unsupported"),
    (Status::Network, c"network"),
    (Status::Timeout, c"timeout"),
    (Status::Tls, c"tls"),
    (Status::HttpStatus, c"http_status"),
    (Status::BadResponse, c"bad_response"),
    (Status::ResponseTooLarge, c"response_too_large"),
    (Status::OutcomeUnknown, c"outcome_unknown"),
    (Status::StoreIo, c"store_io"),
    (Status::StoreCorrupt, c"store_corrupt"),
    (Status::StorePermissions, c"store_permissions"),
    (Status::StoreEmpty, c"store_empty"),
    (Status::LockTimeout, c"lock_timeout"),
    (Status::ChainDead, c"chain_dead"),
    (Status::StoreConflict, c"store_conflict"),
    (Status::StoreSealed, c"store_sealed"),
    (Status::ChainRevoked, c"chain_revoked"),
    (Status::SlackOther, c"slack_other"),
    (Status::AccessDenied, c"access_denied"),
    (Status::Accesslimited, c"accesslimited"),
    (Status::AccountInactive, c"account_inactive"),
    (Status::AuthorizationNotFound, c"authorization_not_found"),
    (Status::BadClientSecret, c"bad_client_secret"),
    (Status::DeprecatedEndpoint, c"deprecated_endpoint"),
    (Status::EkmAccessDenied, c"ekm_access_denied"),
    (Status::EnterpriseIsRestricted, c"enterprise_is_restricted"),
    (Status::FatalError, c"fatal_error"),
    (Status::InternalError, c"internal_error"),
    (Status::InvalidArgName, c"invalid_arg_name"),
    (Status::InvalidArguments, c"invalid_arguments"),
    (Status::InvalidArrayArg, c"invalid_array_arg"),
    (Status::InvalidAuth, c"invalid_auth"),
    (Status::InvalidCharset, c"invalid_charset"),
    (Status::InvalidClientId, c"invalid_client_id"),
    (Status::InvalidFormData, c"invalid_form_data"),
    (Status::InvalidGrantType, c"invalid_grant_type"),
    (Status::InvalidPostType, c"invalid_post_type"),
    (Status::InvalidRefreshToken, c"invalid_refresh_token"),
    (Status::InvalidToken, c"invalid_token"),
    (Status::MethodDeprecated, c"method_deprecated"),
    (Status::MissingPostType, c"missing_post_type"),
    (Status::MissingScope, c"missing_scope"),
    (Status::NoPermission, c"no_permission"),
    (Status::NotAllowedTokenType, c"not_allowed_token_type"),
    (Status::NotAuthed, c"not_authed"),
    (Status::OrgLoginRequired, c"org_login_required"),
    (Status::Ratelimited, c"ratelimited"),
    (Status::RefreshTokenExpired, c"refresh_token_expired"),
    (Status::RequestTimeout, c"request_timeout"),
    (Status::ServiceUnavailable, c"service_unavailable"),
    (Status::TeamAccessNotGranted, c"team_access_not_granted"),
    (Status::TeamAddedToOrg, c"team_added_to_org"),
    (Status::TokenAlreadyExchanged, c"token_already_exchanged"),
    (Status::TokenExpired, c"token_expired"),
    (Status::TokenRevoked, c"token_revoked"),
    (Status::TokenRotationNotEnabled, c"token_rotation_not_enabled"),
    (Status::TwoFactorSetupRequired, c"two_factor_setup_required"),
    (Status::UnknownError, c"unknown_error"),
    (Status::InvalidManifest, c"invalid_manifest"),
    (Status::InvalidJson, c"invalid_json"),
    (Status::UnknownMethod, c"unknown_method"),
    (Status::BadRedirectUri, c"bad_redirect_uri"),
    (
        Status::CannotInstallAnOrgInstalledApp,
        c"cannot_install_an_org_installed_app",
    ),
    (Status::CodeAlreadyUsed, c"code_already_used"),
    (Status::InvalidCode, c"invalid_code"),
    (Status::InvalidCodeVerifier, c"invalid_code_verifier"),
    (
        Status::InvalidTeamForNonDistributedApp,
        c"invalid_team_for_non_distributed_app",
    ),
    (Status::NoScopes, c"no_scopes"),
    (
        Status::OauthAuthorizationUrlMismatch,
        c"oauth_authorization_url_mismatch",
    ),
    (Status::PkceNotAllowed, c"pkce_not_allowed"),
    (Status::PreviewFeatureNotAvailable, c"preview_feature_not_available"),
    (Status::TeamNotFound, c"team_not_found"),
    (Status::UserEmailUnverified, c"user_email_unverified"),
];

impl Status {
    /// Every status, in declaration order.
    pub fn all() -> impl Iterator<Item = Status> {
        NAMES.iter().map(|(s, _)| *s)
    }

    /// The status for a raw number, if it names one.
    pub fn from_u32(n: u32) -> Option<Status> {
        Status::all().find(|s| *s as u32 == n)
    }

    /// The status for an error code Slack sent; unknown codes give `SlackOther`.
    pub fn from_slack_code(code: &str) -> Status {
        NAMES
            .iter()
            .find(|(s, name)| (*s as u32) > Status::SlackOther as u32 && name.to_bytes() == code.as_bytes())
            .map(|(s, _)| *s)
            .unwrap_or(Status::SlackOther)
    }

    /// The snake_case name (for Slack codes, exactly the code Slack sends).
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or("?")
    }

    /// [`Status::name`] as a NUL-terminated static string.
    pub fn c_name(self) -> &'static CStr {
        NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map(|(_, n)| *n)
            .unwrap_or(c"unknown_status")
    }

    /// The family this status belongs to.
    pub fn family(self) -> StatusFamily {
        match self as u32 {
            0 => StatusFamily::Ok,
            5 => StatusFamily::Internal,
            1..=99 => StatusFamily::Usage,
            106 => StatusFamily::OutcomeUnknown,
            100..=199 => StatusFamily::Transport,
            200..=299 => StatusFamily::Store,
            _ if self == Status::Ratelimited => StatusFamily::RateLimited,
            _ => StatusFamily::SlackApi,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_and_names_are_unique() {
        let numbers: HashSet<u32> = Status::all().map(|s| s as u32).collect();
        let names: HashSet<&str> = Status::all().map(|s| s.name()).collect();
        assert_eq!(numbers.len(), NAMES.len());
        assert_eq!(names.len(), NAMES.len());
    }

    #[test]
    fn slack_codes_round_trip_and_unknown_codes_survive_as_other() {
        assert_eq!(
            Status::from_slack_code("invalid_refresh_token"),
            Status::InvalidRefreshToken
        );
        assert_eq!(
            Status::from_slack_code("ratelimited").family(),
            StatusFamily::RateLimited
        );
        assert_eq!(Status::from_slack_code("brand_new_code"), Status::SlackOther);
        // library names are not Slack codes
        assert_eq!(Status::from_slack_code("timeout"), Status::SlackOther);
        for s in Status::all().filter(|s| (*s as u32) > 1000) {
            assert_eq!(Status::from_slack_code(s.name()), s);
            assert_eq!(Status::from_u32(s as u32), Some(s));
        }
    }

    #[test]
    fn families() {
        assert_eq!(Status::Ok.family(), StatusFamily::Ok);
        assert_eq!(Status::NullArgument.family(), StatusFamily::Usage);
        assert_eq!(Status::Panic.family(), StatusFamily::Internal);
        assert_eq!(Status::Timeout.family(), StatusFamily::Transport);
        assert_eq!(Status::OutcomeUnknown.family(), StatusFamily::OutcomeUnknown);
        assert_eq!(Status::TokenExpired.family(), StatusFamily::SlackApi);
        assert_eq!(Status::SlackOther.family(), StatusFamily::SlackApi);
    }

    #[test]
    fn every_code_in_the_slack_pages_has_its_own_status() {
        // The union of the error codes in shared/slack-docs and slack-api-notes.md, and
        // oauth.v2.access's (docs.slack.dev/reference/methods/oauth.v2.access).
        let documented = "access_denied accesslimited account_inactive authorization_not_found \
            bad_client_secret deprecated_endpoint ekm_access_denied enterprise_is_restricted \
            fatal_error internal_error invalid_arg_name invalid_arguments invalid_array_arg \
            invalid_auth invalid_charset invalid_client_id invalid_form_data invalid_grant_type \
            invalid_post_type invalid_refresh_token invalid_token method_deprecated \
            missing_post_type missing_scope no_permission not_allowed_token_type not_authed \
            org_login_required ratelimited refresh_token_expired request_timeout \
            service_unavailable team_access_not_granted team_added_to_org \
            token_already_exchanged token_expired token_revoked token_rotation_not_enabled \
            two_factor_setup_required unknown_error invalid_manifest \
            bad_redirect_uri cannot_install_an_org_installed_app invalid_code invalid_code_verifier \
            no_scopes oauth_authorization_url_mismatch pkce_not_allowed preview_feature_not_available \
            user_email_unverified";
        for code in documented.split_whitespace() {
            assert_ne!(Status::from_slack_code(code), Status::SlackOther, "{code}");
        }
    }
}
