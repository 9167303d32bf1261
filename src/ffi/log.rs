//! `xoxe_set_logger`: where log lines go.

use super::args::guard;
use super::error::xoxe_error;
use crate::status::Status;
use std::ffi::{c_char, c_void};

/// Sends xoxe's log lines (requests, retries, rotations, store events) to
/// `callback(user_data, level, message)` for every level up to `max_level` (a
/// `xoxe_log_level`; 4 = debug). NULL `callback` turns logging off (the default).
/// Messages never contain a secret: they are built from redacted values and
/// scrubbed again before the call. `message` is valid only during the call. The
/// callback may be called from any thread, concurrently; it must not call
/// `xoxe_set_logger`. When this function returns, the previous callback is no
/// longer running and will not be called again.
///
/// # Safety
/// `callback` is NULL or a function safe to call from any thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_set_logger(
    callback: Option<unsafe extern "C" fn(user_data: *mut c_void, level: u32, message: *const c_char)>,
    user_data: *mut c_void,
    max_level: u32,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        crate::log::set_logger(callback, user_data, max_level);
        Ok(())
    })
}
