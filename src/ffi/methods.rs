//! The Web API methods. Each blocks until Slack answers, the timeout passes, or the
//! connection fails. `timeout_ms` = 0 uses the client's call timeout.

use super::args::{give, guard, non_null, opt_str_arg, out_arg, str_arg};
use super::client::xoxe_client;
use super::error::xoxe_error;
use super::results::{xoxe_api_response, xoxe_auth_identity, xoxe_config_token, xoxe_oauth_token};
use crate::error::{Error, Result};
use crate::status::Status;
use std::ffi::c_char;
use std::time::Duration;

/// `timeout_ms` as a call timeout (0: the client's).
pub(super) fn timeout(ms: u32) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms.into()))
}

/// The client behind a required `client` argument.
///
/// # Safety
/// `client` is NULL or a live client.
pub(super) unsafe fn client_arg<'a>(client: *const xoxe_client) -> Result<&'a crate::Client> {
    non_null(client, "client")?;
    Ok(&(*client).inner)
}

/// `tooling.tokens.rotate`: spends `refresh_token` and returns a new config token
/// pair in `*out` (free with `xoxe_config_token_free`). Persist the new pair
/// before using it. Never retried once the request may have reached Slack; such
/// failures are `XOXE_STATUS_OUTCOME_UNKNOWN`.
///
/// # Safety
/// `client` is a live client; strings are NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_tooling_tokens_rotate(
    client: *const xoxe_client,
    refresh_token: *const c_char,
    timeout_ms: u32,
    out: *mut *mut xoxe_config_token,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let refresh_token = str_arg(refresh_token, "refresh_token")?;
        let out = out_arg(out, "out")?;
        let pair = client.tooling_tokens_rotate(refresh_token, timeout(timeout_ms))?;
        give(out, xoxe_config_token::from(pair));
        Ok(())
    })
}

/// The shape shared by exchange and refresh: client id, client secret, one token.
#[allow(clippy::too_many_arguments)]
unsafe fn oauth_call(
    client: *const xoxe_client,
    client_id: *const c_char,
    client_secret: *const c_char,
    token: *const c_char,
    token_name: &str,
    timeout_ms: u32,
    out: *mut *mut xoxe_oauth_token,
    error_out: *mut *mut xoxe_error,
    method: impl FnOnce(&crate::Client, &str, &str, &str, Option<Duration>) -> Result<crate::OAuthToken>,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let client_id = str_arg(client_id, "client_id")?;
        let client_secret = str_arg(client_secret, "client_secret")?;
        let token = str_arg(token, token_name)?;
        let out = out_arg(out, "out")?;
        let pair = method(client, client_id, client_secret, token, timeout(timeout_ms))?;
        give(out, xoxe_oauth_token::from(pair));
        Ok(())
    })
}

/// `oauth.v2.exchange`: trades a legacy `xoxb-`/`xoxp-` token for an expiring pair
/// in `*out` (free with `xoxe_oauth_token_free`). Each legacy token can be
/// exchanged once. Never retried once the request may have reached Slack.
///
/// # Safety
/// `client` is a live client; strings are NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_oauth_v2_exchange(
    client: *const xoxe_client,
    client_id: *const c_char,
    client_secret: *const c_char,
    token: *const c_char,
    timeout_ms: u32,
    out: *mut *mut xoxe_oauth_token,
    error_out: *mut *mut xoxe_error,
) -> Status {
    oauth_call(
        client,
        client_id,
        client_secret,
        token,
        "token",
        timeout_ms,
        out,
        error_out,
        |c, id, secret, t, to| c.oauth_v2_exchange(id, secret, t, to),
    )
}

/// `oauth.v2.access` with `grant_type=refresh_token`: spends `refresh_token` and
/// returns a new pair in `*out` (free with `xoxe_oauth_token_free`). Never
/// retried once the request may have reached Slack.
///
/// # Safety
/// `client` is a live client; strings are NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_oauth_v2_refresh(
    client: *const xoxe_client,
    client_id: *const c_char,
    client_secret: *const c_char,
    refresh_token: *const c_char,
    timeout_ms: u32,
    out: *mut *mut xoxe_oauth_token,
    error_out: *mut *mut xoxe_error,
) -> Status {
    oauth_call(
        client,
        client_id,
        client_secret,
        refresh_token,
        "refresh_token",
        timeout_ms,
        out,
        error_out,
        |c, id, secret, t, to| c.oauth_v2_refresh(id, secret, t, to),
    )
}

/// `auth.test`: says whom `token` belongs to; `*out` is freed with
/// `xoxe_auth_identity_free`.
///
/// # Safety
/// `client` is a live client; `token` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_auth_test(
    client: *const xoxe_client,
    token: *const c_char,
    timeout_ms: u32,
    out: *mut *mut xoxe_auth_identity,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let token = str_arg(token, "token")?;
        let out = out_arg(out, "out")?;
        let identity = client.auth_test(token, timeout(timeout_ms))?;
        give(out, xoxe_auth_identity::from(identity));
        Ok(())
    })
}

/// Calls any Web API method with form arguments (`param_names[i]` =
/// `param_values[i]`, `params_len` pairs; the arrays may be NULL when
/// `params_len` is 0). `token` may be NULL; otherwise it is sent as Bearer. The
/// raw JSON answer goes to `*out` (free with `xoxe_api_response_free`); an
/// `ok: false` answer is an error whose info carries Slack's code and body.
///
/// # Safety
/// `client` is a live client; strings are NUL-terminated; the arrays hold
/// `params_len` valid pointers; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_call(
    client: *const xoxe_client,
    method: *const c_char,
    token: *const c_char,
    param_names: *const *const c_char,
    param_values: *const *const c_char,
    params_len: usize,
    timeout_ms: u32,
    out: *mut *mut xoxe_api_response,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let client = client_arg(client)?;
        let method = str_arg(method, "method")?;
        let token = opt_str_arg(token, "token")?;
        let out = out_arg(out, "out")?;
        let mut params = Vec::with_capacity(params_len.min(1024));
        if params_len > 0 {
            non_null(param_names, "param_names")?;
            non_null(param_values, "param_values")?;
            if params_len > 10_000 {
                return Err(Error::new(Status::InvalidArgument, "params_len is larger than 10000"));
            }
            for i in 0..params_len {
                let name = str_arg(*param_names.add(i), &format!("param_names[{i}]"))?;
                let value = str_arg(*param_values.add(i), &format!("param_values[{i}]"))?;
                params.push((name, value));
            }
        }
        let response = client.call(method, token, &params, timeout(timeout_ms))?;
        give(out, xoxe_api_response::from(response));
        Ok(())
    })
}
