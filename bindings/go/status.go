package xoxe

// #include "xoxe.h"
import "C"

// Status is the outcome code of an xoxe call: [StatusOK] (0) or an error.
// Numbers are stable and never reused; they are the xoxe_status values of
// include/xoxe.h. [Status.String] gives the snake_case name the library
// assigns (for Slack codes, the code Slack sends).
type Status uint32

// Every status code of include/xoxe.h (TestStatusConstantsMatchHeader fails when
// the header gains one this list lacks).
const (
	// StatusOK: the call succeeded.
	StatusOK Status = 0
	// StatusNullArgument: a required pointer argument was NULL.
	StatusNullArgument Status = 1
	// StatusInvalidUTF8: a string argument was not valid UTF-8.
	StatusInvalidUTF8 Status = 2
	// StatusInvalidArgument: an argument was empty, too long, or malformed (see the message).
	StatusInvalidArgument Status = 3
	// StatusInsecureURL: the base URL uses plain `http://` to a host that is not loopback.
	StatusInsecureURL Status = 4
	// StatusPanic: a Rust panic was caught at the C boundary (a bug in xoxe; please report it).
	StatusPanic Status = 5
	// StatusFileUnreadable: a file the caller named (e.g. a CA bundle) could not be read or parsed.
	StatusFileUnreadable Status = 6
	// StatusNetwork: the connection failed before a complete answer arrived (DNS,
	// refused, reset, closed mid-body). The request may have been sent: for
	// token-spending calls that case is StatusOutcomeUnknown; for others, resend
	// only what is idempotent.
	StatusNetwork Status = 100
	// StatusTimeout: the call did not finish within its timeout.
	StatusTimeout Status = 101
	// StatusTLS: TLS handshake or certificate verification failed.
	StatusTLS Status = 102
	// StatusHTTPStatus: the server answered with an HTTP status that carries no Slack error.
	StatusHTTPStatus Status = 103
	// StatusBadResponse: a complete 2xx response that is not the JSON the method
	// promises (empty, not JSON, cut short, wrong types). Non-2xx pages are
	// StatusHTTPStatus.
	StatusBadResponse Status = 104
	// StatusResponseTooLarge: the response body exceeded the client's size limit.
	StatusResponseTooLarge Status = 105
	// StatusOutcomeUnknown: a token-spending call (rotate, exchange, refresh) may or may not have been applied by Slack: the request may have arrived but no definite answer came back. The old refresh token may already be spent. Never retried automatically; Error.Cause says what happened.
	StatusOutcomeUnknown Status = 106
	// StatusStoreIO: a store could not be read or written (see the message for the path and why).
	StatusStoreIO Status = 200
	// StatusStoreCorrupt: a store holds something that is not a token pair (empty, truncated, wrong JSON).
	StatusStoreCorrupt Status = 201
	// StatusStorePermissions: a store file is not a regular file, or others than its owner may read it.
	StatusStorePermissions Status = 202
	// StatusStoreEmpty: the store holds no token pair yet: initialise it with a refresh token.
	StatusStoreEmpty Status = 203
	// StatusLockTimeout: the lock that serialises rotations could not be taken in time.
	StatusLockTimeout Status = 204
	// StatusChainDead: the refresh token was rejected and the store holds nothing newer: the chain is dead and a human must issue a new token.
	StatusChainDead Status = 205
	// StatusStoreConflict: the store refused a save and kept refusing (compare-and-swap lost twice).
	StatusStoreConflict Status = 206
	// StatusSlackOther: Slack returned an error code xoxe does not know; see Error.SlackError for it.
	StatusSlackOther Status = 1000
	// StatusAccessDenied: Slack: `access_denied`.
	StatusAccessDenied Status = 1001
	// StatusAccesslimited: Slack: `accesslimited`.
	StatusAccesslimited Status = 1002
	// StatusAccountInactive: Slack: `account_inactive`.
	StatusAccountInactive Status = 1003
	// StatusAuthorizationNotFound: Slack: `authorization_not_found`.
	StatusAuthorizationNotFound Status = 1004
	// StatusBadClientSecret: Slack: `bad_client_secret`.
	StatusBadClientSecret Status = 1005
	// StatusDeprecatedEndpoint: Slack: `deprecated_endpoint`.
	StatusDeprecatedEndpoint Status = 1006
	// StatusEkmAccessDenied: Slack: `ekm_access_denied`.
	StatusEkmAccessDenied Status = 1007
	// StatusEnterpriseIsRestricted: Slack: `enterprise_is_restricted`.
	StatusEnterpriseIsRestricted Status = 1008
	// StatusFatalError: Slack: `fatal_error` (the operation may have partly succeeded).
	StatusFatalError Status = 1009
	// StatusInternalError: Slack: `internal_error` (the operation may have partly succeeded).
	StatusInternalError Status = 1010
	// StatusInvalidArgName: Slack: `invalid_arg_name`.
	StatusInvalidArgName Status = 1011
	// StatusInvalidArguments: Slack: `invalid_arguments`.
	StatusInvalidArguments Status = 1012
	// StatusInvalidArrayArg: Slack: `invalid_array_arg`.
	StatusInvalidArrayArg Status = 1013
	// StatusInvalidAuth: Slack: `invalid_auth`.
	StatusInvalidAuth Status = 1014
	// StatusInvalidCharset: Slack: `invalid_charset`.
	StatusInvalidCharset Status = 1015
	// StatusInvalidClientID: Slack: `invalid_client_id`.
	StatusInvalidClientID Status = 1016
	// StatusInvalidFormData: Slack: `invalid_form_data`.
	StatusInvalidFormData Status = 1017
	// StatusInvalidGrantType: Slack: `invalid_grant_type`.
	StatusInvalidGrantType Status = 1018
	// StatusInvalidPostType: Slack: `invalid_post_type`.
	StatusInvalidPostType Status = 1019
	// StatusInvalidRefreshToken: Slack: `invalid_refresh_token` (unknown, or already spent).
	StatusInvalidRefreshToken Status = 1020
	// StatusInvalidToken: Slack: `invalid_token` (a legacy token that cannot be exchanged).
	StatusInvalidToken Status = 1021
	// StatusMethodDeprecated: Slack: `method_deprecated`.
	StatusMethodDeprecated Status = 1022
	// StatusMissingPostType: Slack: `missing_post_type`.
	StatusMissingPostType Status = 1023
	// StatusMissingScope: Slack: `missing_scope`.
	StatusMissingScope Status = 1024
	// StatusNoPermission: Slack: `no_permission`.
	StatusNoPermission Status = 1025
	// StatusNotAllowedTokenType: Slack: `not_allowed_token_type`.
	StatusNotAllowedTokenType Status = 1026
	// StatusNotAuthed: Slack: `not_authed`.
	StatusNotAuthed Status = 1027
	// StatusOrgLoginRequired: Slack: `org_login_required`.
	StatusOrgLoginRequired Status = 1028
	// StatusRatelimited: Slack: `ratelimited` (HTTP 429; see Error.RetryAfter).
	StatusRatelimited Status = 1029
	// StatusRefreshTokenExpired: Slack: `refresh_token_expired`.
	StatusRefreshTokenExpired Status = 1030
	// StatusRequestTimeout: Slack: `request_timeout` (POST data missing or truncated).
	StatusRequestTimeout Status = 1031
	// StatusServiceUnavailable: Slack: `service_unavailable`.
	StatusServiceUnavailable Status = 1032
	// StatusTeamAccessNotGranted: Slack: `team_access_not_granted`.
	StatusTeamAccessNotGranted Status = 1033
	// StatusTeamAddedToOrg: Slack: `team_added_to_org`.
	StatusTeamAddedToOrg Status = 1034
	// StatusTokenAlreadyExchanged: Slack: `token_already_exchanged`.
	StatusTokenAlreadyExchanged Status = 1035
	// StatusTokenExpired: Slack: `token_expired`.
	StatusTokenExpired Status = 1036
	// StatusTokenRevoked: Slack: `token_revoked`.
	StatusTokenRevoked Status = 1037
	// StatusTokenRotationNotEnabled: Slack: `token_rotation_not_enabled`.
	StatusTokenRotationNotEnabled Status = 1038
	// StatusTwoFactorSetupRequired: Slack: `two_factor_setup_required`.
	StatusTwoFactorSetupRequired Status = 1039
	// StatusUnknownError: Slack: `unknown_error`.
	StatusUnknownError Status = 1040
	// StatusInvalidManifest: Slack: `invalid_manifest` (see the response JSON's `errors`).
	StatusInvalidManifest Status = 1041
	// StatusInvalidJSON: Slack: `invalid_json`.
	StatusInvalidJSON Status = 1042
	// StatusUnknownMethod: Slack: `unknown_method`.
	StatusUnknownMethod Status = 1043
)

// String returns the status's snake_case name from the library (for Slack
// codes, the code Slack sends, e.g. "invalid_refresh_token"), or
// "unknown_status" for a number that names none.
func (s Status) String() string {
	return C.GoString(C.xoxe_status_name(C.uint32_t(s)))
}

// Family returns the coarse class of the status, as the library defines it.
// A number that names no status belongs to [FamilyInternal].
func (s Status) Family() Family {
	return Family(C.xoxe_status_family_of(C.uint32_t(s)))
}

// Family is the coarse class of a [Status] (xoxe_status_family in the C API).
type Family uint32

// The status families.
const (
	// FamilyOK: success.
	FamilyOK Family = 0
	// FamilyUsage: the caller passed something unusable; nothing was sent.
	FamilyUsage Family = 1
	// FamilyTransport: the network, TLS, or the response itself failed.
	FamilyTransport Family = 2
	// FamilySlackAPI: Slack answered ok: false with an error code.
	FamilySlackAPI Family = 3
	// FamilyRateLimited: Slack rate-limited the call (ratelimited, HTTP 429).
	FamilyRateLimited Family = 4
	// FamilyOutcomeUnknown: a token-spending call may or may not have been applied.
	FamilyOutcomeUnknown Family = 5
	// FamilyStore: a token store or rotator failed (including a dead chain).
	FamilyStore Family = 6
	// FamilyInternal: a bug inside xoxe (a caught panic).
	FamilyInternal Family = 7
)

// String returns the family's name, e.g. "slack_api".
func (f Family) String() string {
	switch f {
	case FamilyOK:
		return "ok"
	case FamilyUsage:
		return "usage"
	case FamilyTransport:
		return "transport"
	case FamilySlackAPI:
		return "slack_api"
	case FamilyRateLimited:
		return "rate_limited"
	case FamilyOutcomeUnknown:
		return "outcome_unknown"
	case FamilyStore:
		return "store"
	case FamilyInternal:
		return "internal"
	}
	return "unknown_family"
}
