//! `xoxe_error`: the owned detail of a failed call.

use super::args::free_handle;
use super::strings::CStrings;
use crate::error::Error;
use crate::status::Status;
use std::ffi::c_char;

/// Everything known about a failure. Read through `xoxe_error_get_info`.
#[repr(C)]
pub struct xoxe_error_info {
    /// What went wrong.
    pub status: Status,
    /// The underlying reason: for `XOXE_STATUS_OUTCOME_UNKNOWN` what happened (e.g.
    /// `XOXE_STATUS_TIMEOUT`, `XOXE_STATUS_INTERNAL_ERROR`), for
    /// `XOXE_STATUS_CHAIN_DEAD` Slack's rejection (`XOXE_STATUS_INVALID_REFRESH_TOKEN`),
    /// for `XOXE_STATUS_CHAIN_REVOKED` Slack's code that revoked it (e.g.
    /// `XOXE_STATUS_TOKEN_REVOKED`); otherwise equal to `status`.
    pub cause: Status,
    /// Human-readable detail; never NULL, never contains a secret or a control
    /// character: safe to print.
    pub message: *const c_char,
    /// The raw `error` string the server sent, or NULL. Server-controlled: it may
    /// hold anything (a proxy may echo a secret); do not print it unfiltered.
    pub slack_error: *const c_char,
    /// Seconds Slack asked to wait before retrying (`Retry-After`), or -1.
    pub retry_after_secs: i64,
    /// HTTP status of the response, or 0 when none arrived.
    pub http_status: u16,
    /// Warnings Slack attached (array of `warnings_len` strings; NULL when empty).
    pub warnings: *const *const c_char,
    /// Number of entries in `warnings`.
    pub warnings_len: usize,
    /// The raw body of the response, or NULL:
    /// - for a Slack error (`ok: false`), its JSON (e.g. `invalid_manifest` details);
    ///   server-controlled, like `slack_error`;
    /// - for `XOXE_STATUS_OUTCOME_UNKNOWN` from a token-spending call
    ///   (`tooling.tokens.rotate`, `oauth.v2.exchange`, `oauth.v2.access`) whose answer
    ///   arrived but could not be decoded (malformed, truncated or wrong-shaped JSON,
    ///   even with `ok: true`), the raw body: it may hold the new tokens Slack issued, so
    ///   it is a SECRET — never log or print it (it is zeroed by `xoxe_error_free`);
    /// - for an OAuth install Slack answered but that could not be kept —
    ///   `XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED` from `xoxe_oauth_v2_access`, or a
    ///   failed save in `xoxe_pool_install_code` — the raw answer, holding the
    ///   installation's tokens: a SECRET (`xoxe_pool_install_json` saves it later).
    ///
    /// Invalid UTF-8 and NUL bytes are replaced by U+FFFD; at most the client's
    /// response-size limit.
    pub response_json: *const c_char,
}

/// An owned error handle. Not thread-safe to free while another thread reads it;
/// reading from several threads is fine. Free with `xoxe_error_free`.
pub struct xoxe_error {
    info: xoxe_error_info,
    _strings: CStrings,
}

impl xoxe_error {
    pub(crate) fn new(mut err: Error) -> xoxe_error {
        let mut strings = CStrings::default();
        let (warnings, warnings_len) = strings.add_list(&err.warnings);
        let info = xoxe_error_info {
            status: err.status,
            cause: err.cause,
            message: strings.add(&err.message),
            slack_error: strings.add_opt(err.slack_error.as_deref()),
            retry_after_secs: err.retry_after.map_or(-1, |s| s.min(i64::MAX as u64) as i64),
            http_status: err.http_status.unwrap_or(0),
            warnings,
            warnings_len,
            response_json: strings.add_opt(err.response_json.as_deref()),
        };
        // The copy above is zeroed when the handle is freed; wipe this one now (an
        // undecoded answer may hold new tokens).
        if let Some(json) = err.response_json.as_mut() {
            zeroize::Zeroize::zeroize(json);
        }
        xoxe_error {
            info,
            _strings: strings,
        }
    }
}

/// The details of `error`, valid until `xoxe_error_free(error)`. NULL if `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn xoxe_error_get_info(error: *const xoxe_error) -> *const xoxe_error_info {
    match error.as_ref() {
        Some(e) => &e.info,
        None => std::ptr::null(),
    }
}

/// Frees an error handle and zeroes its strings. NULL is ignored.
///
/// # Safety
/// `error` is NULL or a live handle from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_error_free(error: *mut xoxe_error) {
    free_handle(error)
}
