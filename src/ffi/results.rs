//! Result handles: each owns its strings (secrets are zeroed on free) and exposes
//! a read-only `*_info` view valid until the handle is freed. Reading one handle
//! from several threads is fine.

use super::args::free_handle;
use super::strings::CStrings;
use crate::methods::{ApiResponse, AuthIdentity, ConfigToken, OAuthToken};
use std::ffi::c_char;

/// A rotated app configuration token pair (`tooling.tokens.rotate`).
#[repr(C)]
pub struct xoxe_config_token_info {
    /// The new config access token (`xoxe.xoxp-…`). Secret.
    pub token: *const c_char,
    /// The new refresh token (`xoxe-…`). Secret. The one you sent is spent.
    pub refresh_token: *const c_char,
    /// Workspace id.
    pub team_id: *const c_char,
    /// User id.
    pub user_id: *const c_char,
    /// Issued at, Unix seconds (Slack's clock).
    pub iat: i64,
    /// Expires at, Unix seconds (Slack's clock).
    pub exp: i64,
    /// Warnings Slack attached (NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
}

/// An expiring bot/user token pair (`oauth.v2.exchange`, `oauth.v2.access` refresh).
#[repr(C)]
pub struct xoxe_oauth_token_info {
    /// The access token (`xoxe.xoxb-…` / `xoxe.xoxp-…`). Secret.
    pub access_token: *const c_char,
    /// The refresh token for the next rotation. Secret, single-use.
    pub refresh_token: *const c_char,
    /// Seconds until `access_token` expires, from when the response arrived.
    pub expires_in: i64,
    /// `"bot"` or `"user"`.
    pub token_type: *const c_char,
    /// Comma-separated scopes.
    pub scope: *const c_char,
    /// App id.
    pub app_id: *const c_char,
    /// Bot user id, or NULL.
    pub bot_user_id: *const c_char,
    /// User id, or NULL.
    pub user_id: *const c_char,
    /// Workspace id, or NULL.
    pub team_id: *const c_char,
    /// Workspace name, or NULL.
    pub team_name: *const c_char,
    /// Enterprise org id, or NULL.
    pub enterprise_id: *const c_char,
    /// Enterprise org name, or NULL.
    pub enterprise_name: *const c_char,
    /// Whether this is an org-wide install.
    pub is_enterprise_install: bool,
    /// Warnings Slack attached (NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
}

/// What `auth.test` said about a token.
#[repr(C)]
pub struct xoxe_auth_identity_info {
    /// Workspace URL.
    pub url: *const c_char,
    /// Workspace name.
    pub team: *const c_char,
    /// User name.
    pub user: *const c_char,
    /// Workspace id.
    pub team_id: *const c_char,
    /// User id.
    pub user_id: *const c_char,
    /// Bot id, or NULL.
    pub bot_id: *const c_char,
    /// Enterprise org id, or NULL.
    pub enterprise_id: *const c_char,
    /// Whether this is an org-wide install.
    pub is_enterprise_install: bool,
    /// Warnings Slack attached (NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
}

/// The raw answer of `xoxe_call`.
#[repr(C)]
pub struct xoxe_api_response_info {
    /// The response body: JSON text, NUL-terminated.
    pub json: *const c_char,
    /// Length of `json` in bytes, without the NUL.
    pub json_len: usize,
    /// Warnings Slack attached (NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
}

/// Owns a `xoxe_config_token_info`; free with `xoxe_config_token_free`.
pub struct xoxe_config_token {
    info: xoxe_config_token_info,
    _strings: CStrings,
}

/// Owns a `xoxe_oauth_token_info`; free with `xoxe_oauth_token_free`.
pub struct xoxe_oauth_token {
    info: xoxe_oauth_token_info,
    _strings: CStrings,
}

/// Owns a `xoxe_auth_identity_info`; free with `xoxe_auth_identity_free`.
pub struct xoxe_auth_identity {
    info: xoxe_auth_identity_info,
    _strings: CStrings,
}

/// Owns a `xoxe_api_response_info`; free with `xoxe_api_response_free`.
pub struct xoxe_api_response {
    info: xoxe_api_response_info,
    _strings: CStrings,
}

impl From<ConfigToken> for xoxe_config_token {
    fn from(t: ConfigToken) -> Self {
        let mut s = CStrings::default();
        let (warnings, warnings_len) = s.add_list(&t.warnings);
        let info = xoxe_config_token_info {
            token: s.add(t.token.expose()),
            refresh_token: s.add(t.refresh_token.expose()),
            team_id: s.add(&t.team_id),
            user_id: s.add(&t.user_id),
            iat: t.iat,
            exp: t.exp,
            warnings,
            warnings_len,
        };
        xoxe_config_token { info, _strings: s }
    }
}

impl From<OAuthToken> for xoxe_oauth_token {
    fn from(t: OAuthToken) -> Self {
        let mut s = CStrings::default();
        let (warnings, warnings_len) = s.add_list(&t.warnings);
        let info = xoxe_oauth_token_info {
            access_token: s.add(t.access_token.expose()),
            refresh_token: s.add(t.refresh_token.expose()),
            expires_in: t.expires_in,
            token_type: s.add(&t.token_type),
            scope: s.add(&t.scope),
            app_id: s.add(&t.app_id),
            bot_user_id: s.add_opt(t.bot_user_id.as_deref()),
            user_id: s.add_opt(t.user_id.as_deref()),
            team_id: s.add_opt(t.team_id.as_deref()),
            team_name: s.add_opt(t.team_name.as_deref()),
            enterprise_id: s.add_opt(t.enterprise_id.as_deref()),
            enterprise_name: s.add_opt(t.enterprise_name.as_deref()),
            is_enterprise_install: t.is_enterprise_install,
            warnings,
            warnings_len,
        };
        xoxe_oauth_token { info, _strings: s }
    }
}

impl From<AuthIdentity> for xoxe_auth_identity {
    fn from(a: AuthIdentity) -> Self {
        let mut s = CStrings::default();
        let (warnings, warnings_len) = s.add_list(&a.warnings);
        let info = xoxe_auth_identity_info {
            url: s.add(&a.url),
            team: s.add(&a.team),
            user: s.add(&a.user),
            team_id: s.add(&a.team_id),
            user_id: s.add(&a.user_id),
            bot_id: s.add_opt(a.bot_id.as_deref()),
            enterprise_id: s.add_opt(a.enterprise_id.as_deref()),
            is_enterprise_install: a.is_enterprise_install,
            warnings,
            warnings_len,
        };
        xoxe_auth_identity { info, _strings: s }
    }
}

impl From<ApiResponse> for xoxe_api_response {
    fn from(r: ApiResponse) -> Self {
        let mut s = CStrings::default();
        let (warnings, warnings_len) = s.add_list(&r.warnings);
        let info = xoxe_api_response_info {
            json: s.add(&r.json),
            json_len: r.json.len(),
            warnings,
            warnings_len,
        };
        xoxe_api_response { info, _strings: s }
    }
}

/// The fields of a config token pair, valid until the handle is freed; NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_config_token_get_info(token: *const xoxe_config_token) -> *const xoxe_config_token_info {
    token.as_ref().map_or(std::ptr::null(), |t| &t.info)
}

/// Frees a config token pair and zeroes its secrets. NULL is ignored.
///
/// # Safety
/// `token` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_config_token_free(token: *mut xoxe_config_token) {
    free_handle(token)
}

/// The fields of an OAuth token pair, valid until the handle is freed; NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_oauth_token_get_info(token: *const xoxe_oauth_token) -> *const xoxe_oauth_token_info {
    token.as_ref().map_or(std::ptr::null(), |t| &t.info)
}

/// Frees an OAuth token pair and zeroes its secrets. NULL is ignored.
///
/// # Safety
/// `token` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_oauth_token_free(token: *mut xoxe_oauth_token) {
    free_handle(token)
}

/// The fields of an `auth.test` answer, valid until the handle is freed; NULL if `identity` is NULL.
///
/// # Safety
/// `identity` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_auth_identity_get_info(
    identity: *const xoxe_auth_identity,
) -> *const xoxe_auth_identity_info {
    identity.as_ref().map_or(std::ptr::null(), |t| &t.info)
}

/// Frees an `auth.test` answer. NULL is ignored.
///
/// # Safety
/// `identity` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_auth_identity_free(identity: *mut xoxe_auth_identity) {
    free_handle(identity)
}

/// The raw answer of `xoxe_call`, valid until the handle is freed; NULL if `response` is NULL.
///
/// # Safety
/// `response` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_api_response_get_info(
    response: *const xoxe_api_response,
) -> *const xoxe_api_response_info {
    response.as_ref().map_or(std::ptr::null(), |t| &t.info)
}

/// Frees a raw answer (its text is zeroed: it may hold tokens). NULL is ignored.
///
/// # Safety
/// `response` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_api_response_free(response: *mut xoxe_api_response) {
    free_handle(response)
}
