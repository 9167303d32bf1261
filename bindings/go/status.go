package xoxe

// #include "xoxe.h"
import "C"

// Status is the outcome code of an xoxe call: [StatusOK] or an error. The
// values are the xoxe_status codes of include/xoxe.h (documented there);
// [Status.String] gives the library's snake_case name (for Slack codes, the
// code Slack sends).
type Status uint32

// Every xoxe_status of include/xoxe.h.
const (
	StatusOK               Status = C.XOXE_STATUS_OK                 // the call succeeded
	StatusNullArgument     Status = C.XOXE_STATUS_NULL_ARGUMENT      // a required pointer argument was NULL
	StatusInvalidUTF8      Status = C.XOXE_STATUS_INVALID_UTF8       // a string argument was not valid UTF-8
	StatusInvalidArgument  Status = C.XOXE_STATUS_INVALID_ARGUMENT   // an argument was empty, too long, or malformed (see the message)
	StatusInsecureURL      Status = C.XOXE_STATUS_INSECURE_URL       // the base URL uses plain http:// to a host that is not loopback
	StatusPanic            Status = C.XOXE_STATUS_PANIC              // a Rust panic was caught at the C boundary (a bug in xoxe)
	StatusFileUnreadable   Status = C.XOXE_STATUS_FILE_UNREADABLE    // a file the caller named (e.g. a CA bundle) could not be read or parsed
	StatusUnsupported      Status = C.XOXE_STATUS_UNSUPPORTED        // this build of xoxe leaves the feature out (e.g. a PostgreSQL or Redis store)
	StatusNetwork          Status = C.XOXE_STATUS_NETWORK            // the connection failed before a complete answer arrived (it may have been sent)
	StatusTimeout          Status = C.XOXE_STATUS_TIMEOUT            // the call did not finish within its timeout
	StatusTLS              Status = C.XOXE_STATUS_TLS                // TLS handshake or certificate verification failed
	StatusHTTPStatus       Status = C.XOXE_STATUS_HTTP_STATUS        // the server answered with an HTTP status that carries no Slack error
	StatusBadResponse      Status = C.XOXE_STATUS_BAD_RESPONSE       // a complete 2xx response that is not the JSON the method promises
	StatusResponseTooLarge Status = C.XOXE_STATUS_RESPONSE_TOO_LARGE // the response body exceeded the client's size limit
	StatusOutcomeUnknown   Status = C.XOXE_STATUS_OUTCOME_UNKNOWN    // a token-spending call may or may not have been applied; see Error.Cause
	StatusStoreIO          Status = C.XOXE_STATUS_STORE_IO           // a store could not be read or written (see the message for the path and why)
	StatusStoreCorrupt     Status = C.XOXE_STATUS_STORE_CORRUPT      // a store holds something that is not a token pair (empty, truncated, wrong JSON)
	StatusStorePermissions Status = C.XOXE_STATUS_STORE_PERMISSIONS  // a store file is not a regular file, or others than its owner may read it
	StatusStoreEmpty       Status = C.XOXE_STATUS_STORE_EMPTY        // the store holds no token pair yet: initialise it with a refresh token
	StatusLockTimeout      Status = C.XOXE_STATUS_LOCK_TIMEOUT       // the lock that serialises rotations could not be taken in time
	StatusChainDead        Status = C.XOXE_STATUS_CHAIN_DEAD         // the refresh token was rejected and the store holds nothing newer
	StatusStoreConflict    Status = C.XOXE_STATUS_STORE_CONFLICT     // the store refused a save and kept refusing (compare-and-swap lost twice)
	StatusStoreSealed      Status = C.XOXE_STATUS_STORE_SEALED       // a stored document is sealed under a key not given, or fails authentication
	StatusChainRevoked     Status = C.XOXE_STATUS_CHAIN_REVOKED      // Slack reported the chain's token revoked; never retried, reinstall

	// Slack's error codes: String gives the code Slack sends.
	StatusSlackOther                      Status = C.XOXE_STATUS_SLACK_OTHER                          // Slack returned an error code xoxe does not know; see Error.SlackError for it
	StatusAccessDenied                    Status = C.XOXE_STATUS_ACCESS_DENIED                        // access_denied
	StatusAccesslimited                   Status = C.XOXE_STATUS_ACCESSLIMITED                        // accesslimited
	StatusAccountInactive                 Status = C.XOXE_STATUS_ACCOUNT_INACTIVE                     // account_inactive
	StatusAuthorizationNotFound           Status = C.XOXE_STATUS_AUTHORIZATION_NOT_FOUND              // authorization_not_found
	StatusBadClientSecret                 Status = C.XOXE_STATUS_BAD_CLIENT_SECRET                    // bad_client_secret
	StatusDeprecatedEndpoint              Status = C.XOXE_STATUS_DEPRECATED_ENDPOINT                  // deprecated_endpoint
	StatusEkmAccessDenied                 Status = C.XOXE_STATUS_EKM_ACCESS_DENIED                    // ekm_access_denied
	StatusEnterpriseIsRestricted          Status = C.XOXE_STATUS_ENTERPRISE_IS_RESTRICTED             // enterprise_is_restricted
	StatusFatalError                      Status = C.XOXE_STATUS_FATAL_ERROR                          // fatal_error (the operation may have partly succeeded)
	StatusInternalError                   Status = C.XOXE_STATUS_INTERNAL_ERROR                       // internal_error (the operation may have partly succeeded)
	StatusInvalidArgName                  Status = C.XOXE_STATUS_INVALID_ARG_NAME                     // invalid_arg_name
	StatusInvalidArguments                Status = C.XOXE_STATUS_INVALID_ARGUMENTS                    // invalid_arguments
	StatusInvalidArrayArg                 Status = C.XOXE_STATUS_INVALID_ARRAY_ARG                    // invalid_array_arg
	StatusInvalidAuth                     Status = C.XOXE_STATUS_INVALID_AUTH                         // invalid_auth
	StatusInvalidCharset                  Status = C.XOXE_STATUS_INVALID_CHARSET                      // invalid_charset
	StatusInvalidClientID                 Status = C.XOXE_STATUS_INVALID_CLIENT_ID                    // invalid_client_id
	StatusInvalidFormData                 Status = C.XOXE_STATUS_INVALID_FORM_DATA                    // invalid_form_data
	StatusInvalidGrantType                Status = C.XOXE_STATUS_INVALID_GRANT_TYPE                   // invalid_grant_type
	StatusInvalidPostType                 Status = C.XOXE_STATUS_INVALID_POST_TYPE                    // invalid_post_type
	StatusInvalidRefreshToken             Status = C.XOXE_STATUS_INVALID_REFRESH_TOKEN                // invalid_refresh_token (unknown, or already spent)
	StatusInvalidToken                    Status = C.XOXE_STATUS_INVALID_TOKEN                        // invalid_token (a legacy token that cannot be exchanged)
	StatusMethodDeprecated                Status = C.XOXE_STATUS_METHOD_DEPRECATED                    // method_deprecated
	StatusMissingPostType                 Status = C.XOXE_STATUS_MISSING_POST_TYPE                    // missing_post_type
	StatusMissingScope                    Status = C.XOXE_STATUS_MISSING_SCOPE                        // missing_scope
	StatusNoPermission                    Status = C.XOXE_STATUS_NO_PERMISSION                        // no_permission
	StatusNotAllowedTokenType             Status = C.XOXE_STATUS_NOT_ALLOWED_TOKEN_TYPE               // not_allowed_token_type
	StatusNotAuthed                       Status = C.XOXE_STATUS_NOT_AUTHED                           // not_authed
	StatusOrgLoginRequired                Status = C.XOXE_STATUS_ORG_LOGIN_REQUIRED                   // org_login_required
	StatusRatelimited                     Status = C.XOXE_STATUS_RATELIMITED                          // ratelimited (HTTP 429; see Error.RetryAfter)
	StatusRefreshTokenExpired             Status = C.XOXE_STATUS_REFRESH_TOKEN_EXPIRED                // refresh_token_expired
	StatusRequestTimeout                  Status = C.XOXE_STATUS_REQUEST_TIMEOUT                      // request_timeout (POST data missing or truncated)
	StatusServiceUnavailable              Status = C.XOXE_STATUS_SERVICE_UNAVAILABLE                  // service_unavailable
	StatusTeamAccessNotGranted            Status = C.XOXE_STATUS_TEAM_ACCESS_NOT_GRANTED              // team_access_not_granted
	StatusTeamAddedToOrg                  Status = C.XOXE_STATUS_TEAM_ADDED_TO_ORG                    // team_added_to_org
	StatusTokenAlreadyExchanged           Status = C.XOXE_STATUS_TOKEN_ALREADY_EXCHANGED              // token_already_exchanged
	StatusTokenExpired                    Status = C.XOXE_STATUS_TOKEN_EXPIRED                        // token_expired
	StatusTokenRevoked                    Status = C.XOXE_STATUS_TOKEN_REVOKED                        // token_revoked
	StatusTokenRotationNotEnabled         Status = C.XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED           // token_rotation_not_enabled
	StatusTwoFactorSetupRequired          Status = C.XOXE_STATUS_TWO_FACTOR_SETUP_REQUIRED            // two_factor_setup_required
	StatusUnknownError                    Status = C.XOXE_STATUS_UNKNOWN_ERROR                        // unknown_error
	StatusInvalidManifest                 Status = C.XOXE_STATUS_INVALID_MANIFEST                     // invalid_manifest (see the response JSON's errors)
	StatusInvalidJSON                     Status = C.XOXE_STATUS_INVALID_JSON                         // invalid_json
	StatusUnknownMethod                   Status = C.XOXE_STATUS_UNKNOWN_METHOD                       // unknown_method
	StatusBadRedirectURI                  Status = C.XOXE_STATUS_BAD_REDIRECT_URI                     // bad_redirect_uri (redirect_uri differs from the authorization's)
	StatusCannotInstallAnOrgInstalledApp  Status = C.XOXE_STATUS_CANNOT_INSTALL_AN_ORG_INSTALLED_APP  // cannot_install_an_org_installed_app
	StatusCodeAlreadyUsed                 Status = C.XOXE_STATUS_CODE_ALREADY_USED                    // code_already_used (an authorization code is single use)
	StatusInvalidCode                     Status = C.XOXE_STATUS_INVALID_CODE                         // invalid_code (unknown or expired authorization code)
	StatusInvalidCodeVerifier             Status = C.XOXE_STATUS_INVALID_CODE_VERIFIER                // invalid_code_verifier (PKCE)
	StatusInvalidTeamForNonDistributedApp Status = C.XOXE_STATUS_INVALID_TEAM_FOR_NON_DISTRIBUTED_APP // invalid_team_for_non_distributed_app
	StatusNoScopes                        Status = C.XOXE_STATUS_NO_SCOPES                            // no_scopes
	StatusOAuthAuthorizationURLMismatch   Status = C.XOXE_STATUS_OAUTH_AUTHORIZATION_URL_MISMATCH     // oauth_authorization_url_mismatch (begin at /oauth/v2/authorize)
	StatusPKCENotAllowed                  Status = C.XOXE_STATUS_PKCE_NOT_ALLOWED                     // pkce_not_allowed
	StatusPreviewFeatureNotAvailable      Status = C.XOXE_STATUS_PREVIEW_FEATURE_NOT_AVAILABLE        // preview_feature_not_available
	StatusTeamNotFound                    Status = C.XOXE_STATUS_TEAM_NOT_FOUND                       // team_not_found
	StatusUserEmailUnverified             Status = C.XOXE_STATUS_USER_EMAIL_UNVERIFIED                // user_email_unverified
)

// String returns the status's snake_case name from the library (for Slack
// codes, the code Slack sends, e.g. "invalid_refresh_token"), or
// "unknown_status" for a number that names none.
func (s Status) String() string { return C.GoString(C.xoxe_status_name(C.uint32_t(s))) }

// Family returns the coarse class of the status, as the library defines it.
// A number that names no status belongs to [FamilyInternal].
func (s Status) Family() Family { return Family(C.xoxe_status_family_of(C.uint32_t(s))) }

// Family is the coarse class of a [Status] (xoxe_status_family in the C API).
type Family uint32

// The status families.
const (
	FamilyOK             Family = C.XOXE_STATUS_FAMILY_OK              // success
	FamilyUsage          Family = C.XOXE_STATUS_FAMILY_USAGE           // the caller passed something unusable; nothing was sent
	FamilyTransport      Family = C.XOXE_STATUS_FAMILY_TRANSPORT       // the network, TLS, or the response itself failed
	FamilySlackAPI       Family = C.XOXE_STATUS_FAMILY_SLACK_API       // Slack answered ok: false with an error code
	FamilyRateLimited    Family = C.XOXE_STATUS_FAMILY_RATE_LIMITED    // Slack rate-limited the call (ratelimited, HTTP 429)
	FamilyOutcomeUnknown Family = C.XOXE_STATUS_FAMILY_OUTCOME_UNKNOWN // a token-spending call may or may not have been applied
	FamilyStore          Family = C.XOXE_STATUS_FAMILY_STORE           // a token store or rotator failed (including a dead chain)
	FamilyInternal       Family = C.XOXE_STATUS_FAMILY_INTERNAL        // a bug inside xoxe (a caught panic)
)

var familyNames = [...]string{
	FamilyOK: "ok", FamilyUsage: "usage", FamilyTransport: "transport", FamilySlackAPI: "slack_api",
	FamilyRateLimited: "rate_limited", FamilyOutcomeUnknown: "outcome_unknown", FamilyStore: "store", FamilyInternal: "internal",
}

// String returns the family's name, e.g. "slack_api".
func (f Family) String() string {
	if int(f) < len(familyNames) {
		return familyNames[f]
	}
	return "unknown_family"
}
