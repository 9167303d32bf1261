//! Reading arguments from C and writing results back, behind a panic guard.

use super::error::xoxe_error;
use crate::error::{Error, Result};
use crate::status::Status;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`, turning a panic into `Status::Panic` and an error into a status plus,
/// when `error_out` is not NULL, an owned error handle written to it.
pub(crate) fn guard(error_out: *mut *mut xoxe_error, body: impl FnOnce() -> Result<()>) -> Status {
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(Error::new(
            Status::Panic,
            "a panic was caught inside xoxe (a bug: please report it)",
        ))
    });
    match result {
        Ok(()) => Status::Ok,
        Err(err) => {
            let status = err.status;
            if !error_out.is_null() {
                let handle = catch_unwind(AssertUnwindSafe(|| xoxe_error::new(err))).ok();
                if let Some(handle) = handle {
                    // SAFETY: the caller passed a writable `xoxe_error**` (checked non-NULL).
                    unsafe { *error_out = Box::into_raw(Box::new(handle)) };
                }
            }
            status
        }
    }
}

/// Like [`guard`] for functions with no error handle to give.
pub(crate) fn guard_plain<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(Status::NullArgument, format!("{name} is NULL")));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::new(Status::InvalidUtf8, format!("{name} is not valid UTF-8")))
}

/// An optional string argument (NULL means absent).
///
/// # Safety
/// As for [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, name).map(Some)
    }
}

/// A required pointer argument.
pub(crate) fn non_null<T>(ptr: *const T, name: &str) -> Result<*const T> {
    if ptr.is_null() {
        Err(Error::new(Status::NullArgument, format!("{name} is NULL")))
    } else {
        Ok(ptr)
    }
}

/// A required out-parameter for a plain value (a flag, a number), checked like
/// any pointer argument.
pub(crate) fn value_out<T>(ptr: *mut T, name: &str) -> Result<*mut T> {
    non_null(ptr.cast_const(), name).map(<*const T>::cast_mut)
}

/// A required out-parameter; checked before any work so nothing is done for nothing.
pub(crate) fn out_arg<T>(ptr: *mut *mut T, name: &str) -> Result<*mut *mut T> {
    if ptr.is_null() {
        Err(Error::new(Status::NullArgument, format!("{name} is NULL")))
    } else {
        Ok(ptr)
    }
}

/// Hands `value` to C through a checked out-parameter.
///
/// # Safety
/// `out` came from [`out_arg`].
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T) {
    *out = Box::into_raw(Box::new(value));
}

/// Frees a handle made by [`give`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or a handle of this type not yet freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(ptr))));
    }
}
