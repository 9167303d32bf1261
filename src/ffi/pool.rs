//! `xoxe_pool`: many chains (one per installation and user) over one client and
//! one store.

use super::args::{free_handle, give, guard, non_null, opt_str_arg, out_arg, str_arg, value_out};
use super::client::xoxe_client;
use super::error::xoxe_error;
use super::rotator::{lend, lend_if_fresh, lend_token_checked, xoxe_rotator_options};
use super::store::xoxe_store;
use crate::error::{Error, Result};
use crate::pool::{Pool, PoolOptions};
use crate::rotator::AppCredentials;
use crate::secret::Secret;
use crate::status::Status;
use std::ffi::c_char;

/// How a pool runs. Zero in any field means its default.
#[repr(C)]
pub struct xoxe_pool_options {
    /// Options of every chain's rotator.
    pub rotator: xoxe_rotator_options,
    /// Most rotators held in memory; beyond it the least recently used are dropped
    /// and read from the store again when next asked for (default
    /// `XOXE_DEFAULT_MAX_CHAINS_IN_MEMORY`).
    pub max_chains_in_memory: u32,
    /// Rotate the chains in memory from a background thread as they enter their
    /// window (each at its own jittered time), so requests find them fresh.
    pub background_refresh: bool,
}

/// Pool counters (`xoxe_pool_stats_info`).
#[repr(C)]
pub struct xoxe_pool_stats_info {
    /// Rotators held in memory now.
    pub chains_in_memory: usize,
    /// Rotations made by the background refresher.
    pub background_rotations: u64,
    /// Background refreshes that failed (each is logged).
    pub background_failures: u64,
}

/// Keeps many chains fresh: one rotator per chain, created on first use, with
/// one rotation per chain at a time across threads (and, through the store's
/// lease, across processes). Thread-safe. Holds its own references to the client
/// and store. Freeing it stops its background refresher (waiting for a rotation
/// in progress to finish).
pub struct xoxe_pool {
    pub(super) inner: Pool,
}

fn pool_options(given: *const xoxe_pool_options) -> Result<PoolOptions> {
    let mut options = PoolOptions::default();
    // SAFETY: the caller passes NULL or a valid struct.
    if let Some(given) = unsafe { given.as_ref() } {
        options.rotator = super::rotator::options(&given.rotator);
        if given.max_chains_in_memory > 0 {
            options.max_chains_in_memory = usize::try_from(given.max_chains_in_memory)
                .map_err(|_| Error::new(Status::InvalidArgument, "max_chains_in_memory is too large"))?;
        }
        options.background_refresh = given.background_refresh;
    }
    Ok(options)
}

/// Creates a pool over `store`'s place — a directory, PostgreSQL, Redis or memory
/// store (a single-file store is `XOXE_STATUS_UNSUPPORTED`). `client_id` and
/// `client_secret` (copied) renew bot and user chains; both NULL for a pool of
/// config-token chains only. `options` may be NULL for the defaults.
///
/// # Safety
/// Handles are live; strings NUL-terminated or NULL; `options` NULL or valid;
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_new(
    client: *const xoxe_client,
    store: *const xoxe_store,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const xoxe_pool_options,
    out: *mut *mut xoxe_pool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(client, "client")?;
        non_null(store, "store")?;
        let app = match (
            opt_str_arg(client_id, "client_id")?,
            opt_str_arg(client_secret, "client_secret")?,
        ) {
            (Some(id), Some(secret)) => Some(AppCredentials {
                client_id: id.to_string(),
                client_secret: Secret::new(secret),
            }),
            (None, None) => None,
            _ => {
                return Err(Error::new(
                    Status::NullArgument,
                    "client_id and client_secret come together (both NULL for config-token chains only)",
                ))
            }
        };
        let out = out_arg(out, "out")?;
        let pool = Pool::new(
            (*client).inner.clone(),
            (*store).inner.clone(),
            app,
            pool_options(options)?,
        )?;
        give(out, xoxe_pool { inner: pool });
        Ok(())
    })
}

/// Writes a valid access token of chain `chain` into `token_buf` (as
/// `xoxe_rotator_get`: `buf_len` at least `XOXE_MAX_TOKEN_LEN + 1`, checked
/// first) and its expiry into `*expires_at_out` (may be NULL), rotating first
/// when it is due. A fresh token costs no I/O and no allocation.
/// `XOXE_STATUS_STORE_EMPTY`: no such chain; `XOXE_STATUS_CHAIN_REVOKED`: the
/// chain was revoked (uninstalled) and the pool forgets it.
///
/// # Safety
/// `pool` is live; `chain` is NUL-terminated; `token_buf` has `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_get(
    pool: *const xoxe_pool,
    chain: *const c_char,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    if let Some(ok) = fresh_from(pool, chain, token_buf, buf_len, expires_at_out, std::ptr::null_mut()) {
        return ok;
    }
    guard(error_out, || {
        non_null(pool, "pool")?;
        let chain = str_arg(chain, "chain")?;
        lend_token_checked(token_buf, buf_len)?;
        (*pool).inner.get_with(chain, |token, expires_at| {
            lend(token, expires_at, token_buf, buf_len, expires_at_out)
        })?
    })
}

/// [`lend_if_fresh`] for a chain of a pool.
unsafe fn fresh_from(
    pool: *const xoxe_pool,
    chain: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    until_out: *mut i64,
) -> Option<Status> {
    let pool = pool.as_ref()?;
    if chain.is_null() {
        return None;
    }
    lend_if_fresh(buf, buf_len, expires_at_out, until_out, |lend| {
        let chain = std::ffi::CStr::from_ptr(chain).to_str().ok()?;
        pool.inner.try_get_reusable_with(chain, |t, e, u| lend(t, e, u))
    })
}

/// `xoxe_pool_get`, also writing into `*reuse_until_ms_out` until when the
/// caller may hand chain `chain`'s token out again without calling xoxe (as
/// `xoxe_rotator_get_reusable`: Unix milliseconds, at most 30 seconds ahead; 0:
/// call every time).
///
/// # Safety
/// As for `xoxe_pool_get`; `reuse_until_ms_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_get_reusable(
    pool: *const xoxe_pool,
    chain: *const c_char,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    reuse_until_ms_out: *mut i64,
    error_out: *mut *mut xoxe_error,
) -> Status {
    if !reuse_until_ms_out.is_null() {
        if let Some(ok) = fresh_from(pool, chain, token_buf, buf_len, expires_at_out, reuse_until_ms_out) {
            return ok;
        }
    }
    guard(error_out, || {
        non_null(pool, "pool")?;
        let chain = str_arg(chain, "chain")?;
        let until_out = value_out(reuse_until_ms_out, "reuse_until_ms_out")?;
        lend_token_checked(token_buf, buf_len)?;
        (*pool).inner.get_reusable_with(chain, |token, expires_at, until| {
            lend(token, expires_at, token_buf, buf_len, expires_at_out)?;
            *until_out = until;
            Ok(())
        })?
    })
}

/// The non-blocking half of `xoxe_pool_get` (as `xoxe_rotator_try_get` is of
/// `xoxe_rotator_get`): when chain `chain`'s rotator is in memory with a fresh
/// token, writes it and sets `*fresh_out` to true; otherwise sets it to false
/// and writes nothing — then call `xoxe_pool_get` from a thread that may block.
/// Never reads the store, waits for a lock or rotates.
///
/// # Safety
/// As for `xoxe_pool_get`; `fresh_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_try_get(
    pool: *const xoxe_pool,
    chain: *const c_char,
    token_buf: *mut c_char,
    buf_len: usize,
    expires_at_out: *mut i64,
    fresh_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let fresh_out = value_out(fresh_out, "fresh_out")?;
        let chain = str_arg(chain, "chain")?;
        lend_token_checked(token_buf, buf_len)?;
        *fresh_out = false;
        if let Some(lent) = (*pool).inner.try_get_with(chain, |token, expires_at| {
            lend(token, expires_at, token_buf, buf_len, expires_at_out)
        }) {
            lent?;
            *fresh_out = true;
        }
        Ok(())
    })
}

/// Deletes chain `chain` from the store (its secrets with it) and forgets its
/// rotator; `*removed_out` (may be NULL) says whether the store held it.
///
/// # Safety
/// `pool` is live; `chain` is NUL-terminated; `removed_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_remove(
    pool: *const xoxe_pool,
    chain: *const c_char,
    removed_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let chain = str_arg(chain, "chain")?;
        let removed = (*pool).inner.remove(chain)?;
        if !removed_out.is_null() {
            *removed_out = removed;
        }
        Ok(())
    })
}

/// Uninstalls chain `chain`: revokes its token at Slack (`auth.revoke`), then
/// removes it as `xoxe_pool_remove` does. A chain already revoked is just
/// removed; if the revocation fails otherwise, nothing is removed.
///
/// # Safety
/// As for `xoxe_pool_remove`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_uninstall(
    pool: *const xoxe_pool,
    chain: *const c_char,
    removed_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let chain = str_arg(chain, "chain")?;
        let removed = (*pool).inner.uninstall(chain)?;
        if !removed_out.is_null() {
            *removed_out = removed;
        }
        Ok(())
    })
}

/// Marks chain `chain` revoked because a Slack call made with its token answered
/// `slack_code` (`token_revoked`, `account_inactive` or `invalid_auth`; other codes
/// are `XOXE_STATUS_INVALID_ARGUMENT`). Every holder of the chain then gets
/// `XOXE_STATUS_CHAIN_REVOKED` without calling Slack.
///
/// # Safety
/// `pool` is live; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_mark_revoked(
    pool: *const xoxe_pool,
    chain: *const c_char,
    slack_code: *const c_char,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        let chain = str_arg(chain, "chain")?;
        let code = str_arg(slack_code, "slack_code")?;
        (*pool).inner.mark_revoked(chain, code)
    })
}

/// Writes the pool's counters into `*out`.
///
/// # Safety
/// `pool` is live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_stats(
    pool: *const xoxe_pool,
    out: *mut xoxe_pool_stats_info,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(pool, "pool")?;
        non_null(out, "out")?;
        let stats = (*pool).inner.stats();
        *out = xoxe_pool_stats_info {
            chains_in_memory: stats.chains_in_memory,
            background_rotations: stats.background_rotations,
            background_failures: stats.background_failures,
        };
        Ok(())
    })
}

/// Frees a pool, stopping its background refresher. NULL is ignored. No call may
/// be using it.
///
/// # Safety
/// `pool` is NULL or a live handle, freed at most once, with no call in flight.
#[no_mangle]
pub unsafe extern "C" fn xoxe_pool_free(pool: *mut xoxe_pool) {
    free_handle(pool)
}
