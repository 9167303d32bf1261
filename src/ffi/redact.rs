//! Redaction for bindings, so every language prints tokens the same safe way.

use super::args::guard_plain;
use std::ffi::{c_char, CStr};

/// Writes the printable stand-in for a token (its type prefix, `…`, and at most the
/// last four characters, e.g. `xoxe.xoxp-1-…a1b2`) into `buf` as a NUL-terminated
/// string, truncated to fit `buf_len`, like `snprintf`. Returns the length the
/// full stand-in needs (without the NUL). A NULL or non-UTF-8 `token` writes an
/// empty string and returns 0. `buf` may be NULL when `buf_len` is 0 (to ask for
/// the length).
///
/// # Safety
/// `token` is NULL or NUL-terminated; `buf` has room for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn xoxe_redact(token: *const c_char, buf: *mut c_char, buf_len: usize) -> usize {
    guard_plain(0, || {
        let token = if token.is_null() {
            None
        } else {
            CStr::from_ptr(token).to_str().ok()
        };
        let redacted = token.map(crate::secret::redact).unwrap_or_default();
        if !buf.is_null() && buf_len > 0 {
            let mut n = redacted.len().min(buf_len - 1);
            while !redacted.is_char_boundary(n) {
                n -= 1;
            }
            std::ptr::copy_nonoverlapping(redacted.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        redacted.len()
    })
}
