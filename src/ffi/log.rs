//! `xoxe_set_logger`: where log lines go. Wraps the host's C callback in the
//! core's log sink.

use super::args::guard;
use super::error::xoxe_error;
use crate::log::LogLevel;
use crate::status::Status;
use std::ffi::{c_char, c_void, CString};

/// The host's log function: `level` is a `xoxe_log_level`; `message` is valid only
/// during the call.
type LogCallback = unsafe extern "C" fn(user_data: *mut c_void, level: u32, message: *const c_char);

/// The host's callback and its `user_data`, as the core's log sink.
struct HostLogger {
    callback: LogCallback,
    user_data: *mut c_void,
}

// SAFETY: the host promises (xoxe_set_logger's contract) that the callback and its
// user_data may be used from any thread.
unsafe impl Send for HostLogger {}
unsafe impl Sync for HostLogger {}

impl HostLogger {
    fn log(&self, level: LogLevel, line: &str) {
        // The core hands over lines without NUL; a line that had one is dropped.
        if let Ok(text) = CString::new(line) {
            // SAFETY: the host's callback per its contract; `text` outlives the call.
            unsafe { (self.callback)(self.user_data, level as u32, text.as_ptr()) }
        }
    }
}

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
        let sink = callback.map(|callback| {
            let host = HostLogger { callback, user_data };
            Box::new(move |level: LogLevel, line: &str| host.log(level, line)) as crate::log::LogSink
        });
        crate::log::set_logger(sink, LogLevel::from_number(max_level));
        Ok(())
    })
}
