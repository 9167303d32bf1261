//! A store kept by the host (its database, a secrets manager…) through C callbacks:
//! the callback table, the [`Store`] it implements, and its constructor.
//!
//! The host stores one document (JSON text) and its generation number, and
//! implements compare-and-swap on the generation. Optional lock/unlock callbacks
//! serialise whole rotations across a fleet.

use super::args::{give, guard, guard_plain, non_null, opt_str_arg, out_arg};
use super::error::xoxe_error;
use super::store::xoxe_store;
use crate::error::{Error, Result};
use crate::status::Status;
use crate::store::{Lease, LeaseTerms, Saved, Store, StoredPair};
use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Receives a document from a host `load` callback: the callback copies its text in
/// with `xoxe_store_value_set`. Valid only during that callback.
pub struct xoxe_store_value {
    document: Option<Zeroizing<String>>,
    invalid_utf8: bool,
}

/// Callbacks of a host-kept store. Return codes: 0 success; `save` returns 1 when
/// the stored generation is not the expected one (compare-and-swap lost); any
/// negative number is a failure. A `save` after a rotation carries the only valid
/// refresh token: the host must be able to store it whenever a rotation may run
/// (keep the backend writable with room to spare); if `save` fails anyway, the
/// rotator keeps the pair in memory, retries the save before handing out any
/// token, and the pair is lost if the process exits first. A rotated pair whose
/// `save` lost the compare-and-swap is never written over the winner: with no
/// orphan slot in these callbacks, the rotator keeps it in its own memory and
/// tries it if Slack later rejects the stored pair (a fleet store keeps it in
/// the database instead). Called from whichever thread runs the rotator;
/// `load` may run concurrently with any callback (e.g. from `xoxe_rotator_current`,
/// which takes no lock), so the callbacks must be thread-safe.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct xoxe_store_callbacks {
    /// Passed to every callback.
    pub user_data: *mut c_void,
    /// Copies the stored document into `value` with `xoxe_store_value_set`; leaves it
    /// untouched when nothing is stored yet. Required.
    pub load: Option<unsafe extern "C" fn(user_data: *mut c_void, value: *mut xoxe_store_value) -> i32>,
    /// Stores `document` (JSON, NUL-terminated, a secret: keep it safe) with
    /// generation `new_generation` if the stored generation equals
    /// `expected_generation` (or, when `expected_present` is false, if nothing is
    /// stored). Returns 0 stored, 1 conflict. Must be durable before returning. Required.
    pub save: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            expected_present: bool,
            expected_generation: u64,
            new_generation: u64,
            document: *const c_char,
        ) -> i32,
    >,
    /// Takes an exclusive lock spanning every process of the fleet. Optional (NULL).
    pub lock: Option<unsafe extern "C" fn(user_data: *mut c_void) -> i32>,
    /// Releases the lock taken by `lock`. Optional (NULL), required with `lock`.
    pub unlock: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
    /// Called once when the store is freed, to release `user_data`. Optional (NULL).
    pub release: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
}

/// A [`Store`] backed by host callbacks.
struct ForeignStore {
    callbacks: xoxe_store_callbacks,
    name: String,
}

// SAFETY: the callback contract requires the host's functions and user_data to be
// usable from any thread (documented on `xoxe_store_foreign_new`).
unsafe impl Send for ForeignStore {}
unsafe impl Sync for ForeignStore {}

impl ForeignStore {
    /// Wraps host callbacks; `load` and `save` are required, `unlock` with `lock`.
    fn new(callbacks: xoxe_store_callbacks, name: &str) -> Result<ForeignStore> {
        if callbacks.load.is_none() || callbacks.save.is_none() {
            return Err(Error::new(
                Status::NullArgument,
                "foreign store: load and save callbacks are required",
            ));
        }
        if callbacks.lock.is_some() != callbacks.unlock.is_some() {
            return Err(Error::new(
                Status::InvalidArgument,
                "foreign store: lock and unlock come together",
            ));
        }
        Ok(ForeignStore {
            callbacks,
            name: name.to_string(),
        })
    }

    fn failed(&self, what: &str, code: i32) -> Error {
        Error::new(
            Status::StoreIo,
            format!(
                "{}: the host's {what} callback failed (returned {code})",
                self.describe()
            ),
        )
    }
}

impl Drop for ForeignStore {
    fn drop(&mut self) {
        if let Some(release) = self.callbacks.release {
            // SAFETY: called once, with the user_data the host gave us.
            unsafe { release(self.callbacks.user_data) };
        }
    }
}

impl Store for ForeignStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let load = self.callbacks.load.expect("checked in new");
        let mut value = xoxe_store_value {
            document: None,
            invalid_utf8: false,
        };
        // SAFETY: host callback per the documented contract; `value` outlives the call.
        let code = unsafe { load(self.callbacks.user_data, &mut value) };
        if code < 0 {
            return Err(self.failed("load", code));
        }
        if value.invalid_utf8 {
            return Err(Error::new(
                Status::StoreCorrupt,
                format!("{}: the stored document is not UTF-8", self.describe()),
            ));
        }
        let Some(document) = value.document else {
            return Ok(None);
        };
        StoredPair::from_json(document.as_bytes(), &self.describe()).map(Some)
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let save = self.callbacks.save.expect("checked in new");
        let mut json = new.to_json(false)?;
        json.push(0);
        let document =
            CStr::from_bytes_with_nul(&json).map_err(|_| Error::new(Status::StoreIo, "document holds a NUL"))?;
        // SAFETY: host callback per the documented contract; `document` outlives the call.
        let code = unsafe {
            save(
                self.callbacks.user_data,
                expected.is_some(),
                expected.unwrap_or(0),
                new.generation,
                document.as_ptr(),
            )
        };
        match code {
            0 => Ok(Saved::Stored),
            1 => Ok(Saved::Conflict(self.load()?)),
            _ => Err(self.failed("save", code)),
        }
    }

    fn acquire_lease(&self, _terms: &LeaseTerms) -> Result<Lease> {
        let (Some(lock), Some(unlock)) = (self.callbacks.lock, self.callbacks.unlock) else {
            return Ok(Lease::none());
        };
        // SAFETY: host callback per the documented contract.
        let code = unsafe { lock(self.callbacks.user_data) };
        if code != 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!("{}: the host's lock callback failed ({code})", self.describe()),
            ));
        }
        let user_data = self.callbacks.user_data as usize; // moved into the guard as an integer
        Ok(Lease::on_release(move || unsafe { unlock(user_data as *mut c_void) }))
    }

    fn has_lease(&self) -> bool {
        self.callbacks.lock.is_some()
    }

    fn describe(&self) -> String {
        format!("foreign store {:?}", self.name)
    }
}

/// Creates a store kept by the host through `callbacks` (copied; see
/// `xoxe_store_callbacks`). `name` (may be NULL) appears in error messages. The
/// callbacks may be called from any thread that uses a rotator on this store,
/// until the store and every rotator using it are freed; then `release` runs once.
/// If this function fails, `release` is not called: `user_data` stays the caller's.
///
/// # Safety
/// `callbacks` points to a valid struct whose functions honour its contract.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_foreign_new(
    callbacks: *const xoxe_store_callbacks,
    name: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(callbacks, "callbacks")?;
        let name = opt_str_arg(name, "name")?.unwrap_or("host");
        let out = out_arg(out, "out")?;
        let store = ForeignStore::new(*callbacks, name)?;
        give(out, xoxe_store { inner: Arc::new(store) });
        Ok(())
    })
}

/// For a foreign store's `load` callback: copies `document` (NUL-terminated JSON)
/// into `value`. Does nothing if either is NULL.
///
/// # Safety
/// `value` is the pointer the callback received; `document` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_value_set(value: *mut xoxe_store_value, document: *const c_char) {
    guard_plain((), || {
        if value.is_null() || document.is_null() {
            return;
        }
        let value = &mut *value;
        match CStr::from_ptr(document).to_str() {
            Ok(text) => value.document = Some(Zeroizing::new(text.to_string())),
            Err(_) => value.invalid_utf8 = true,
        }
    })
}
