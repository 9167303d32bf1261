//! The OAuth install and revocation: `xoxe_oauth_v2_access` (the authorization-code
//! grant) and its `xoxe_install` result, `xoxe_auth_revoke`, and saving an install
//! into a pool (`xoxe_pool_install`, `xoxe_pool_install_code`,
//! `xoxe_pool_install_json`).

use super::args::{free_handle, give, guard, non_null, opt_str_arg, out_arg, str_arg};
use super::client::xoxe_client;
use super::error::xoxe_error;
use super::methods::{client_arg, timeout};
use super::pool::xoxe_pool;
use super::strings::CStrings;
use crate::methods::{Install, InstalledToken};
use crate::status::Status;
use std::ffi::c_char;

/// What an OAuth install answered (`xoxe_oauth_v2_access`,
/// `xoxe_pool_install_code`). Every string is NUL-terminated and NULL when
/// absent; all stay valid until the `xoxe_install` is freed. Fields marked
/// SECRET are zeroed by `xoxe_install_free`: never log or print them.
#[repr(C)]
pub struct xoxe_install_info {
    /// The app installed (empty if Slack did not say).
    pub app_id: *const c_char,
    /// Workspace id; NULL for an org-wide install.
    pub team_id: *const c_char,
    /// Workspace name.
    pub team_name: *const c_char,
    /// Enterprise Grid org id, when there is one.
    pub enterprise_id: *const c_char,
    /// Enterprise Grid org name.
    pub enterprise_name: *const c_char,
    /// Whether the app was installed on the whole org.
    pub is_enterprise_install: bool,
    /// The bot token's canonical chain name (`bot:ENTERPRISE:TEAM`, as
    /// `xoxe_installation_chain` makes it); NULL without a bot token (or when the
    /// answer lacks the ids to name it).
    pub bot_chain: *const c_char,
    /// The bot user's id (bot token only).
    pub bot_user_id: *const c_char,
    /// The bot's id, when Slack says.
    pub bot_id: *const c_char,
    /// The bot access token (`xoxe.xoxb-…`). SECRET.
    pub bot_access_token: *const c_char,
    /// The bot token's refresh token (single-use). SECRET.
    pub bot_refresh_token: *const c_char,
    /// Seconds until the bot access token expires, from `received_at`; 0 without a
    /// bot token.
    pub bot_expires_in: i64,
    /// The bot scopes, comma-separated.
    pub bot_scope: *const c_char,
    /// The installing user's id.
    pub user_id: *const c_char,
    /// The user scopes granted, comma-separated.
    pub user_scope: *const c_char,
    /// The user token's canonical chain name (`user:ENTERPRISE:TEAM:USER`); NULL
    /// without a user token.
    pub user_chain: *const c_char,
    /// The user access token (`xoxe.xoxp-…`). SECRET.
    pub user_access_token: *const c_char,
    /// The user token's refresh token (single-use). SECRET.
    pub user_refresh_token: *const c_char,
    /// Seconds until the user access token expires, from `received_at`; 0 without
    /// a user token.
    pub user_expires_in: i64,
    /// The incoming webhook's channel name.
    pub webhook_channel: *const c_char,
    /// The incoming webhook's channel id.
    pub webhook_channel_id: *const c_char,
    /// Where a human manages the incoming webhook.
    pub webhook_configuration_url: *const c_char,
    /// The incoming webhook URL (whoever has it can post). SECRET.
    pub webhook_url: *const c_char,
    /// When the answer arrived, Unix seconds on this machine's clock.
    pub received_at: i64,
    /// The answer's raw JSON, holding every token. SECRET. Keep it durably if
    /// saving the install may fail; `xoxe_pool_install_json` saves it later.
    pub raw_json: *const c_char,
    /// Length of `raw_json` in bytes, without the NUL.
    pub raw_json_len: usize,
    /// Warnings Slack attached (NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
}

/// Owns an install's answer and its `xoxe_install_info`. Reading it from several
/// threads is fine. Free with `xoxe_install_free`, which zeroes its secrets.
pub struct xoxe_install {
    install: Install,
    info: xoxe_install_info,
    _strings: CStrings,
}

/// A token's strings, or NULLs and 0 without one.
fn token_fields(
    s: &mut CStrings,
    token: Option<&InstalledToken>,
) -> (*const c_char, *const c_char, i64, *const c_char) {
    match token {
        Some(t) => (
            s.add(t.access_token.expose()),
            s.add(t.refresh_token.expose()),
            t.expires_in,
            s.add(&t.scope),
        ),
        None => (std::ptr::null(), std::ptr::null(), 0, std::ptr::null()),
    }
}

impl From<Install> for xoxe_install {
    fn from(install: Install) -> Self {
        let mut s = CStrings::default();
        let (warnings, warnings_len) = s.add_list(&install.warnings);
        let bot = install.bot.as_ref();
        let (bot_access_token, bot_refresh_token, bot_expires_in, bot_scope) = token_fields(&mut s, bot);
        let user = install.authed_user.token.as_ref();
        let (user_access_token, user_refresh_token, user_expires_in, _) = token_fields(&mut s, user);
        let bot_chain = install.bot_chain().and_then(Result::ok);
        let user_chain = install.user_chain().and_then(Result::ok);
        let webhook = install.incoming_webhook.as_ref();
        let raw = install.raw_json.expose();
        let info = xoxe_install_info {
            app_id: s.add(&install.app_id),
            team_id: s.add_opt(install.team_id()),
            team_name: s.add_opt(install.team.as_ref().and_then(|t| t.name.as_deref())),
            enterprise_id: s.add_opt(install.enterprise_id()),
            enterprise_name: s.add_opt(install.enterprise.as_ref().and_then(|e| e.name.as_deref())),
            is_enterprise_install: install.is_enterprise_install,
            bot_chain: s.add_opt(bot_chain.as_deref()),
            bot_user_id: s.add_opt(bot.and_then(|b| b.bot_user_id.as_deref())),
            bot_id: s.add_opt(bot.and_then(|b| b.bot_id.as_deref())),
            bot_access_token,
            bot_refresh_token,
            bot_expires_in,
            bot_scope,
            user_id: s.add_opt(install.authed_user.id.as_deref()),
            user_scope: s.add_opt(install.authed_user.scope.as_deref()),
            user_chain: s.add_opt(user_chain.as_deref()),
            user_access_token,
            user_refresh_token,
            user_expires_in,
            webhook_channel: s.add_opt(webhook.and_then(|w| w.channel.as_deref())),
            webhook_channel_id: s.add_opt(webhook.and_then(|w| w.channel_id.as_deref())),
            webhook_configuration_url: s.add_opt(webhook.and_then(|w| w.configuration_url.as_deref())),
            webhook_url: s.add_opt(webhook.map(|w| w.url.expose())),
            received_at: install.received_at,
            raw_json: s.add(raw),
            raw_json_len: raw.len(),
            warnings,
            warnings_len,
        };
        xoxe_install {
            install,
            info,
            _strings: s,
        }
    }
}

/// `oauth.v2.access` with `grant_type=authorization_code`: trades the `code` Slack
/// sent to the app's redirect URL for the installation's tokens, in `*out` (free
/// with `xoxe_install_free`). `redirect_uri` (NULL: none) must be the one the
/// authorization began with, if it named one. Save the tokens before using them
/// (`xoxe_pool_install`); `xoxe_pool_install_code` does both.
///
/// A code is single use: never retried once the request may have reached Slack
/// (`XOXE_STATUS_OUTCOME_UNKNOWN`; an answer that could not be decoded is in the
/// error's `response_json`, a SECRET). Slack's refusals have their own statuses
/// (`XOXE_STATUS_INVALID_CODE`, `XOXE_STATUS_CODE_ALREADY_USED`,
/// `XOXE_STATUS_BAD_REDIRECT_URI`, …). An app with token rotation off is
/// `XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED` (its non-rotating tokens in the error's
/// `response_json`, a SECRET).
///
/// # Safety
/// `client` is a live client; strings are NUL-terminated (`redirect_uri` may be
/// NULL); `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_oauth_v2_access(
    client: *const xoxe_client,
    client_id: *const c_char,
    client_secret: *const c_char,
    code: *const c_char,
    redirect_uri: *const c_char,
    timeout_ms: u32,
    out: *mut *mut xoxe_install,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let client_id = str_arg(client_id, "client_id")?;
        let client_secret = str_arg(client_secret, "client_secret")?;
        let code = str_arg(code, "code")?;
        let redirect_uri = opt_str_arg(redirect_uri, "redirect_uri")?;
        let out = out_arg(out, "out")?;
        let install = client.oauth_v2_access(client_id, client_secret, code, redirect_uri, timeout(timeout_ms))?;
        give(out, xoxe_install::from(install));
        Ok(())
    })
}

/// The fields of an install, valid until the handle is freed; NULL if `install`
/// is NULL.
///
/// # Safety
/// `install` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_install_get_info(install: *const xoxe_install) -> *const xoxe_install_info {
    install.as_ref().map_or(std::ptr::null(), |i| &i.info)
}

/// Frees an install and zeroes its secrets (tokens, webhook URL, raw JSON). NULL
/// is ignored.
///
/// # Safety
/// `install` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_install_free(install: *mut xoxe_install) {
    free_handle(install)
}

/// `auth.revoke`: revokes `token` at Slack (sent as Bearer; for a rotating token,
/// its whole chain). With `test`, Slack only checks the token and revokes
/// nothing. `*revoked_out` (may be NULL) receives Slack's `revoked`.
///
/// # Safety
/// `client` is a live client; `token` is NUL-terminated; `revoked_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_auth_revoke(
    client: *const xoxe_client,
    token: *const c_char,
    test: bool,
    timeout_ms: u32,
    revoked_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let token = str_arg(token, "token")?;
        let revoked = client.auth_revoke(token, test, timeout(timeout_ms))?;
        if !revoked_out.is_null() {
            *revoked_out = revoked;
        }
        Ok(())
    })
}

/// Saves every chain of `install` (its bot token's and its user token's; names in
/// its info's `bot_chain` / `user_chain`) into the pool's store, durably, replacing
/// what the store held under those names (a reinstall). Use the tokens only
/// after this succeeded.
///
/// # Safety
/// `pool` and `install` are live handles.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_install(
    pool: *const xoxe_pool,
    install: *const xoxe_install,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        non_null(install, "install")?;
        (*pool).inner.install(&(*install).install).map(drop)
    })
}

/// Completes an OAuth install: `xoxe_oauth_v2_access` as the pool's app (a pool
/// made without client id and secret is `XOXE_STATUS_INVALID_ARGUMENT`), then
/// `xoxe_pool_install`. `redirect_uri` may be NULL. `*out` (when `out` is not
/// NULL) receives the install (free with `xoxe_install_free`).
///
/// The code is spent once Slack answered. If saving then fails, the error's
/// `response_json` holds the answer's raw JSON — a SECRET with the new tokens —
/// and `xoxe_pool_install_json` with it saves the chains later.
///
/// # Safety
/// `pool` is live; strings are NUL-terminated (`redirect_uri` may be NULL); `out`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_install_code(
    pool: *const xoxe_pool,
    code: *const c_char,
    redirect_uri: *const c_char,
    out: *mut *mut xoxe_install,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let code = str_arg(code, "code")?;
        let redirect_uri = opt_str_arg(redirect_uri, "redirect_uri")?;
        let install = (*pool).inner.install_code(code, redirect_uri)?;
        if !out.is_null() {
            give(out, xoxe_install::from(install));
        }
        Ok(())
    })
}

/// Saves the chains of an install from its raw `oauth.v2.access` answer `json`
/// (the `response_json` of a failed `xoxe_pool_install_code`, or an install's
/// `raw_json`). When it arrived is not known, so its access tokens are taken as
/// expired: the first get of each chain rotates it. Not an install's answer:
/// `XOXE_STATUS_INVALID_ARGUMENT`; tokens that do not rotate:
/// `XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED`. `*out` (may be NULL) receives the
/// install saved — its `bot_chain` and `user_chain` name the chains; free it
/// with `xoxe_install_free`.
///
/// # Safety
/// `pool` is live; `json` is NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_install_json(
    pool: *const xoxe_pool,
    json: *const c_char,
    out: *mut *mut xoxe_install,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let json = str_arg(json, "json")?;
        let install = (*pool).inner.install_json(json)?;
        if !out.is_null() {
            give(out, xoxe_install::from(install));
        }
        Ok(())
    })
}
