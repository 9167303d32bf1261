//! `xoxe_keyring`: the keys that seal stored documents at rest.

use super::args::{free_handle, give, guard, out_arg, str_arg};
use super::error::xoxe_error;
use crate::status::Status;
use crate::store::seal::Keyring;
use std::ffi::c_char;
use std::sync::Arc;

/// Keys for sealing stored documents with AES-256-GCM: the first seals, every one
/// opens (so keys can be rotated). Immutable and thread-safe; stores keep their own
/// reference, so it may be freed after `xoxe_store_sealed`.
pub struct xoxe_keyring {
    pub(crate) inner: Arc<Keyring>,
}

/// Reads a keyring file: one key per line, `KEY_ID BASE64` (32 bytes decoded;
/// ids of 1 to 64 characters `A-Za-z0-9._-`), blank lines and `#` comments
/// ignored, the first key sealing. The file must not be readable by group or
/// others (`XOXE_STATUS_STORE_PERMISSIONS`); a missing one is
/// `XOXE_STATUS_FILE_UNREADABLE`. `xoxe seal-key new ID` prints a fresh line.
/// No key material ever appears in an error.
///
/// # Safety
/// `path` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_keyring_from_file(
    path: *const c_char,
    out: *mut *mut xoxe_keyring,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let path = str_arg(path, "path")?;
        let out = out_arg(out, "out")?;
        let inner = Arc::new(Keyring::from_file(std::path::Path::new(path))?);
        give(out, xoxe_keyring { inner });
        Ok(())
    })
}

/// Reads a keyring from the environment variable `name` (the file's format, lines
/// separated by newlines or `;`). A missing or empty variable is
/// `XOXE_STATUS_INVALID_ARGUMENT` naming it.
///
/// # Safety
/// `name` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_keyring_from_env(
    name: *const c_char,
    out: *mut *mut xoxe_keyring,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let name = str_arg(name, "name")?;
        let out = out_arg(out, "out")?;
        let inner = Arc::new(Keyring::from_env(name)?);
        give(out, xoxe_keyring { inner });
        Ok(())
    })
}

/// Frees a keyring (stores sealed with it keep their own reference); its key
/// bytes are zeroed. NULL is ignored.
///
/// # Safety
/// `keyring` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_keyring_free(keyring: *mut xoxe_keyring) {
    free_handle(keyring)
}
