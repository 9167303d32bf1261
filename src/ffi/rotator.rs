//! `xoxe_rotator`: keeps one token chain fresh.

use super::args::{free_handle, give, guard, guard_plain, non_null, out_arg, str_arg, value_out};
use super::client::xoxe_client;
use super::error::xoxe_error;
use super::store::xoxe_store;
use crate::error::{Error, Result};
use crate::rotator::{AppCredentials, Rotator, RotatorOptions};
use crate::secret::Secret;
use crate::status::Status;
use std::ffi::c_char;
use std::time::Duration;

/// The header's `XOXE_MAX_TOKEN_LEN`: the core's limit, which cbindgen.toml renames.
pub use crate::MAX_TOKEN_LEN as XOXE_MAX_TOKEN_LEN;

/// When a rotator rotates. Zero in any field means its default.
#[repr(C)]
pub struct xoxe_rotator_options {
    /// Rotate when the token expires within this many seconds (default 7200; for
    /// tokens living less than twice that, half their lifetime).
    pub refresh_window_secs: u32,
    /// Up to this many random extra seconds per token, so a fleet does not rotate
    /// in step (default 300; capped at a quarter of the window).
    pub jitter_secs: u32,
    /// Longest wait for another thread's or process's rotation (default 120000).
    pub wait_timeout_ms: u32,
    /// Timeout of the rotation call itself (default: the client's call timeout).
    pub call_timeout_ms: u32,
}

/// Keeps one chain fresh. Thread-safe: share one per chain and process. Holds its
/// own references to the client and store, which may be freed before it.
pub struct xoxe_rotator {
    inner: Rotator,
}

pub(crate) fn options(opts: *const xoxe_rotator_options) -> RotatorOptions {
    let mut o = RotatorOptions::default();
    // SAFETY: the caller passes NULL or a valid struct.
    if let Some(given) = unsafe { opts.as_ref() } {
        if given.refresh_window_secs > 0 {
            o.refresh_window = Duration::from_secs(given.refresh_window_secs.into());
        }
        if given.jitter_secs > 0 {
            o.jitter = Duration::from_secs(given.jitter_secs.into());
        }
        if given.wait_timeout_ms > 0 {
            o.wait_timeout = Duration::from_millis(given.wait_timeout_ms.into());
        }
        if given.call_timeout_ms > 0 {
            o.call_timeout = Some(Duration::from_millis(given.call_timeout_ms.into()));
        }
    }
    o
}

/// Creates a rotator for an app configuration token chain (`tooling.tokens.rotate`)
/// kept in `store`. `options` may be NULL for the defaults.
///
/// # Safety
/// `client` and `store` are live handles; `options` is NULL or valid; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_new_config(
    client: *const xoxe_client,
    store: *const xoxe_store,
    options: *const xoxe_rotator_options,
    out: *mut *mut xoxe_rotator,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(client, "client")?;
        non_null(store, "store")?;
        let out = out_arg(out, "out")?;
        let rotator = Rotator::config(
            (*client).inner.clone(),
            (*store).inner.clone(),
            super::rotator::options(options),
        );
        give(out, xoxe_rotator { inner: rotator });
        Ok(())
    })
}

/// Creates a rotator for a bot/user token chain (`oauth.v2.access` refresh grant)
/// kept in `store`, with the app's credentials (copied). `options` may be NULL.
///
/// # Safety
/// Handles are live; strings NUL-terminated; `options` NULL or valid; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_new_oauth(
    client: *const xoxe_client,
    store: *const xoxe_store,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const xoxe_rotator_options,
    out: *mut *mut xoxe_rotator,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(client, "client")?;
        non_null(store, "store")?;
        let client_id = str_arg(client_id, "client_id")?;
        let client_secret = str_arg(client_secret, "client_secret")?;
        let out = out_arg(out, "out")?;
        let app = AppCredentials {
            client_id: client_id.to_string(),
            client_secret: Secret::new(client_secret),
        };
        let rotator = Rotator::oauth(
            (*client).inner.clone(),
            (*store).inner.clone(),
            app,
            super::rotator::options(options),
        )?;
        give(out, xoxe_rotator { inner: rotator });
        Ok(())
    })
}

/// Copies `token` into the caller's buffer (NUL-terminated) and its expiry.
pub(crate) unsafe fn lend(
    token: &str,
    expires_at: i64,
    buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
) -> Result<()> {
    if token.len() >= buf_len {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "token_buf holds {buf_len} bytes; the token needs {} (XOXE_MAX_TOKEN_LEN + 1 always fits)",
                token.len() + 1
            ),
        ));
    }
    copy_token(token, expires_at, buf, expires_at_out);
    Ok(())
}

/// Writes `token` NUL-terminated into `buf` (which the caller checked holds
/// `token.len() + 1` bytes) and its expiry into `*expires_at_out` (if not NULL).
unsafe fn copy_token(token: &str, expires_at: i64, buf: *mut c_char, expires_at_out: *mut i64) {
    std::ptr::copy_nonoverlapping(token.as_ptr(), buf.cast::<u8>(), token.len());
    *buf.add(token.len()) = 0;
    if !expires_at_out.is_null() {
        *expires_at_out = expires_at;
    }
}

/// The fresh-token path of the get functions, without the error plumbing: a
/// `Result` carrying an [`Error`] is moved several times on its way out, which
/// cost a fresh `xoxe_rotator_get` a third of its time. `lend_fresh` is the
/// core's non-blocking get (`try_get_reusable_with`); `None` means "take the
/// full path", which also reports any bad argument (checked there, not here:
/// this only declines). `until_out` may be NULL.
pub(crate) unsafe fn lend_if_fresh(
    buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    until_out: *mut i64,
    lend_fresh: impl FnOnce(&mut dyn FnMut(&str, i64, i64) -> bool) -> Option<bool>,
) -> Option<Status> {
    if buf.is_null() || buf_len <= XOXE_MAX_TOKEN_LEN {
        return None;
    }
    let lent = guard_plain(None, || {
        lend_fresh(&mut |token, expires_at, until| {
            if token.len() >= buf_len {
                return false;
            }
            copy_token(token, expires_at, buf, expires_at_out);
            if !until_out.is_null() {
                *until_out = until;
            }
            true
        })
    });
    lent.filter(|&ok| ok).map(|_| Status::Ok)
}

pub(crate) unsafe fn lend_token_checked(buf: *mut c_char, buf_len: usize) -> Result<()> {
    non_null(buf, "token_buf")?;
    // Checked before any rotation, so a short buffer never costs a refresh token.
    if buf_len <= XOXE_MAX_TOKEN_LEN {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "token_buf holds {buf_len} bytes; it needs XOXE_MAX_TOKEN_LEN + 1 ({})",
                XOXE_MAX_TOKEN_LEN + 1
            ),
        ));
    }
    Ok(())
}

unsafe fn with_rotator(
    rotator: *const xoxe_rotator,
    buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    error_out: *mut *mut xoxe_error,
    fetch: impl FnOnce(&Rotator, &mut dyn FnMut(&str, i64) -> Result<()>) -> Result<()>,
) -> Status {
    guard(error_out, || {
        non_null(rotator, "rotator")?;
        lend_token_checked(buf, buf_len)?;
        fetch(&(*rotator).inner, &mut |token, expires_at| {
            lend(token, expires_at, buf, buf_len, expires_at_out)
        })
    })
}

/// Writes a valid access token into `token_buf` (NUL-terminated; `buf_len` must be
/// at least `XOXE_MAX_TOKEN_LEN + 1`, checked before anything else) and its expiry (Unix seconds, this
/// machine's clock) into `*expires_at_out` (may be NULL). Rotates first when the
/// token expires within the window: one rotation at a time, the new pair saved to
/// the store before it is returned. A fresh token costs no I/O and no allocation.
/// On `XOXE_STATUS_OUTCOME_UNKNOWN` the old pair is kept and nothing is retried;
/// `XOXE_STATUS_CHAIN_DEAD` means a human must issue a new token. The buffer is
/// written only on success; wipe it when done.
///
/// # Safety
/// `rotator` is live; `token_buf` has `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_get(
    rotator: *const xoxe_rotator,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    if let Some(ok) = fresh_from(rotator, token_buf, buf_len, expires_at_out, std::ptr::null_mut()) {
        return ok;
    }
    with_rotator(rotator, token_buf, buf_len, expires_at_out, error_out, |r, lend| {
        r.get_with(lend)?
    })
}

/// [`lend_if_fresh`] for a rotator.
unsafe fn fresh_from(
    rotator: *const xoxe_rotator,
    buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    until_out: *mut i64,
) -> Option<Status> {
    let rotator = rotator.as_ref()?;
    lend_if_fresh(buf, buf_len, expires_at_out, until_out, |lend| {
        rotator.inner.try_get_reusable_with(|t, e, u| lend(t, e, u))
    })
}

/// `xoxe_rotator_get`, also writing into `*reuse_until_ms_out` until when the
/// caller may hand the same token out again without calling xoxe: Unix
/// milliseconds on this machine's clock (`CLOCK_REALTIME`), the earlier of the
/// moment the token is due for rotation and 30 seconds from now; 0 when it must
/// call every time (the token came from a rotation or the store just now). The
/// rotator decides; a binding keeping the token only compares its clock with
/// the deadline, which makes a fresh token cost no call at all.
///
/// # Safety
/// As for `xoxe_rotator_get`; `reuse_until_ms_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_get_reusable(
    rotator: *const xoxe_rotator,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    reuse_until_ms_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    if !reuse_until_ms_out.is_null() {
        if let Some(ok) = fresh_from(rotator, token_buf, buf_len, expires_at_out, reuse_until_ms_out) {
            return ok;
        }
    }
    guard(error_out, || {
        non_null(rotator, "rotator")?;
        let until_out = value_out(reuse_until_ms_out, "reuse_until_ms_out")?;
        lend_token_checked(token_buf, buf_len)?;
        (*rotator).inner.get_reusable_with(|token, expires_at, until| {
            lend(token, expires_at, token_buf, buf_len, expires_at_out)?;
            *until_out = until;
            Ok(())
        })?
    })
}

/// The non-blocking half of `xoxe_rotator_get`, for event loops and bindings
/// that must not block: when a fresh token is in memory, writes it as
/// `xoxe_rotator_get` does and sets `*fresh_out` to true; otherwise sets it to
/// false and writes nothing — then call `xoxe_rotator_get` from a thread that
/// may block. Never reads the store, waits for a lock or rotates.
///
/// # Safety
/// As for `xoxe_rotator_get`; `fresh_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_try_get(
    rotator: *const xoxe_rotator,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    fresh_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(rotator, "rotator")?;
        let fresh_out = value_out(fresh_out, "fresh_out")?;
        lend_token_checked(token_buf, buf_len)?;
        *fresh_out = false;
        if let Some(lent) = (*rotator)
            .inner
            .try_get_with(|token, expires_at| lend(token, expires_at, token_buf, buf_len, expires_at_out))
        {
            lent?;
            *fresh_out = true;
        }
        Ok(())
    })
}

/// Like `xoxe_rotator_get`, but rotates now whatever the expiry (unless another
/// rotation finished while this call waited: then that one's token).
///
/// # Safety
/// As for `xoxe_rotator_get`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_force_rotate(
    rotator: *const xoxe_rotator,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_rotator(rotator, token_buf, buf_len, expires_at_out, error_out, |r, lend| {
        let t = r.force_rotate()?;
        lend(t.token.expose(), t.expires_at)
    })
}

/// Like `xoxe_rotator_get`, without any network call: the token in memory or in
/// the store, possibly expired (check `*expires_at_out`; 0 = never rotated, and
/// the token may then be empty).
///
/// # Safety
/// As for `xoxe_rotator_get`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_current(
    rotator: *const xoxe_rotator,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    with_rotator(rotator, token_buf, buf_len, expires_at_out, error_out, |r, lend| {
        let t = r.current()?;
        lend(t.token.expose(), t.expires_at)
    })
}

/// Frees a rotator. NULL is ignored. No call may be using it.
///
/// # Safety
/// `rotator` is NULL or a live handle, freed at most once, with no call in flight.
#[no_mangle]
pub unsafe extern "C" fn xoxe_rotator_free(rotator: *mut xoxe_rotator) {
    free_handle(rotator)
}
