//! `xoxe_client_options` and `xoxe_client`.

use super::args::{free_handle, give, guard, non_null, out_arg, str_arg};
use super::error::xoxe_error;
use crate::base_url::{BaseUrl, GOV_SLACK_BASE_URL, SLACK_BASE_URL};
use crate::client::{Client, ClientOptions};
use crate::error::Error;
use crate::status::Status;
use std::ffi::{c_char, CString};
use std::sync::Arc;
use std::time::Duration;

/// Which Slack to talk to, for `xoxe_client_options_set_preset`.
#[repr(u32)]
pub enum xoxe_preset {
    /// `https://slack.com/api/` (the default).
    Slack = 0,
    /// GovSlack: `https://slack-gov.com/api/`.
    GovSlack = 1,
}

/// Settings for a new client. Not thread-safe; free with `xoxe_client_options_free`
/// (the client copies what it needs, so the options may be freed right after
/// `xoxe_client_new`).
pub struct xoxe_client_options {
    inner: ClientOptions,
}

/// A Slack Web API client: one connection pool, shareable by any number of
/// threads at once. Free with `xoxe_client_free` once no call is using it.
pub struct xoxe_client {
    pub(crate) inner: Arc<Client>,
    base_url: CString,
}

/// Creates options with the defaults: Slack's API, 10 s connect timeout, 30 s call
/// timeout, 2 rate-limit retries, 60 s longest `Retry-After` waited for, 4 MiB
/// response limit.
///
/// # Safety
/// `out` is a writable pointer; on success it receives a handle the caller frees.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_new(
    out: *mut *mut xoxe_client_options,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let out = out_arg(out, "out")?;
        give(
            out,
            xoxe_client_options {
                inner: ClientOptions::default(),
            },
        );
        Ok(())
    })
}

/// Frees options. NULL is ignored.
///
/// # Safety
/// `options` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_free(options: *mut xoxe_client_options) {
    free_handle(options)
}

unsafe fn with_options(
    options: *mut xoxe_client_options,
    error_out: *mut *mut xoxe_error,
    f: impl FnOnce(&mut ClientOptions) -> crate::Result<()>,
) -> Status {
    guard(error_out, || {
        non_null(options, "options")?;
        f(&mut (*options).inner)
    })
}

/// Sets the Web API base URL (e.g. a proxy, or the fake Slack in tests). It must be
/// `https://`, or `http://` to a loopback host; checked here.
///
/// # Safety
/// `options` is a live handle; `base_url` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_base_url(
    options: *mut xoxe_client_options,
    base_url: *const c_char,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        let url = str_arg(base_url, "base_url")?;
        o.base_url = BaseUrl::parse(url)?.as_str().to_string();
        Ok(())
    })
}

/// Sets the base URL to a preset: `XOXE_PRESET_SLACK` or `XOXE_PRESET_GOV_SLACK`.
///
/// # Safety
/// `options` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_preset(
    options: *mut xoxe_client_options,
    preset: u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        o.base_url = match preset {
            p if p == xoxe_preset::Slack as u32 => SLACK_BASE_URL,
            p if p == xoxe_preset::GovSlack as u32 => GOV_SLACK_BASE_URL,
            _ => return Err(Error::new(Status::InvalidArgument, format!("unknown preset {preset}"))),
        }
        .to_string();
        Ok(())
    })
}

/// Sets the connect timeout and the whole-call timeout (which includes rate-limit
/// waits), in milliseconds; both must be greater than zero.
///
/// # Safety
/// `options` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_timeouts(
    options: *mut xoxe_client_options,
    connect_ms: u32,
    call_ms: u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        if connect_ms == 0 || call_ms == 0 {
            return Err(Error::new(
                Status::InvalidArgument,
                "timeouts must be greater than zero",
            ));
        }
        o.connect_timeout = Duration::from_millis(connect_ms.into());
        o.timeout = Duration::from_millis(call_ms.into());
        Ok(())
    })
}

/// Sets how many `ratelimited` answers are retried after waiting their
/// `Retry-After` (0: return the error at once), and the longest wait accepted.
///
/// # Safety
/// `options` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_ratelimit_retries(
    options: *mut xoxe_client_options,
    max_retries: u32,
    max_wait_secs: u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        o.max_ratelimit_retries = max_retries;
        o.max_retry_after = Duration::from_secs(max_wait_secs.into());
        Ok(())
    })
}

/// Reads the connect and whole-call timeouts the options hold, in milliseconds (the
/// library's defaults until set): a binding that sets one of the pair keeps the
/// other as it is.
///
/// # Safety
/// `options` is a live handle; the out pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_get_timeouts(
    options: *const xoxe_client_options,
    connect_ms_out: *mut u32,
    call_ms_out: *mut u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(options, "options")?;
        non_null(connect_ms_out, "connect_ms_out")?;
        non_null(call_ms_out, "call_ms_out")?;
        let o = &(*options).inner;
        *connect_ms_out = saturating_u32(o.connect_timeout.as_millis());
        *call_ms_out = saturating_u32(o.timeout.as_millis());
        Ok(())
    })
}

/// Reads the rate-limit retry count and the longest `Retry-After` waited for (in
/// seconds) that the options hold (the library's defaults until set).
///
/// # Safety
/// `options` is a live handle; the out pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_get_ratelimit_retries(
    options: *const xoxe_client_options,
    max_retries_out: *mut u32,
    max_wait_secs_out: *mut u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(options, "options")?;
        non_null(max_retries_out, "max_retries_out")?;
        non_null(max_wait_secs_out, "max_wait_secs_out")?;
        let o = &(*options).inner;
        *max_retries_out = o.max_ratelimit_retries;
        *max_wait_secs_out = saturating_u32(o.max_retry_after.as_secs().into());
        Ok(())
    })
}

fn saturating_u32(n: u128) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Trusts the PEM certificates in this file in addition to the built-in roots
/// (for a TLS-intercepting proxy). Read by `xoxe_client_new`. TLS verification
/// itself can never be turned off.
///
/// # Safety
/// `options` is a live handle; `path` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_ca_bundle(
    options: *mut xoxe_client_options,
    path: *const c_char,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        let path = str_arg(path, "path")?;
        if path.is_empty() {
            return Err(Error::new(Status::InvalidArgument, "path is empty"));
        }
        o.ca_bundle_path = Some(path.into());
        Ok(())
    })
}

/// Sets the largest response body accepted (bytes, > 0); larger ones fail with
/// `XOXE_STATUS_RESPONSE_TOO_LARGE`.
///
/// # Safety
/// `options` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_options_set_max_response_bytes(
    options: *mut xoxe_client_options,
    max_bytes: u64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_options(options, error_out, |o| {
        if max_bytes == 0 {
            return Err(Error::new(
                Status::InvalidArgument,
                "max_bytes must be greater than zero",
            ));
        }
        o.max_response_bytes = max_bytes;
        Ok(())
    })
}

/// Creates a client. `options` may be NULL for the defaults; it is only read.
///
/// # Safety
/// `options` is NULL or a live handle; `out` is writable; on success it receives a
/// client the caller frees with `xoxe_client_free`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_new(
    options: *const xoxe_client_options,
    out: *mut *mut xoxe_client,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let out = out_arg(out, "out")?;
        let options = options.as_ref().map(|o| o.inner.clone()).unwrap_or_default();
        let client = Client::new(options)?;
        let base_url = CString::new(client.base_url())
            .map_err(|_| Error::new(Status::InvalidArgument, "base URL contains NUL"))?;
        give(
            out,
            xoxe_client {
                inner: Arc::new(client),
                base_url,
            },
        );
        Ok(())
    })
}

/// The client's base URL (ends in `/`), valid until the client is freed; NULL if
/// `client` is NULL.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_base_url(client: *const xoxe_client) -> *const c_char {
    client.as_ref().map_or(std::ptr::null(), |c| c.base_url.as_ptr())
}

/// Frees a client. NULL is ignored. No call may be using it.
///
/// # Safety
/// `client` is NULL or a live handle, freed at most once, with no call in flight.
#[no_mangle]
pub unsafe extern "C" fn xoxe_client_free(client: *mut xoxe_client) {
    free_handle(client)
}
