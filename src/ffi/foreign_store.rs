//! A store kept by the host (its database, a secrets manager…) through C callbacks:
//! the callback table, the [`Store`] it implements, and its constructor.
//!
//! The host stores one document (JSON text) and its generation number, and
//! implements compare-and-swap on the generation. Optional lock/unlock callbacks
//! serialise whole rotations across a fleet. A host keeping many chains gives
//! `xoxe_chain_callbacks` instead: xoxe passes it a chain's name and receives that
//! chain's callbacks.

use super::args::{give, guard, guard_plain, non_null, opt_str_arg, out_arg};
use super::error::xoxe_error;
use super::store::xoxe_store;
use crate::error::{Error, Result};
use crate::status::Status;
use crate::store::fleet::{check_chain_name, DEFAULT_CHAIN};
use crate::store::seal::{Codec, Keyring};
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

/// Callbacks of a host keeping many chains (`xoxe_store_foreign_chains_new`).
/// Return codes: 0 success, any negative number a failure. Called from any thread,
/// so they must be thread-safe.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct xoxe_chain_callbacks {
    /// Passed to every callback.
    pub user_data: *mut c_void,
    /// Fills `*callbacks` with the store callbacks of chain `chain` (a valid chain
    /// name; the chain need not exist yet). Their `release` runs once when xoxe no
    /// longer uses that chain. Required.
    pub open: Option<
        unsafe extern "C" fn(user_data: *mut c_void, chain: *const c_char, callbacks: *mut xoxe_store_callbacks) -> i32,
    >,
    /// Adds the name of every chain the host holds to `names` with
    /// `xoxe_chain_names_add`. Optional (NULL: listing is unsupported).
    pub list: Option<unsafe extern "C" fn(user_data: *mut c_void, names: *mut xoxe_chain_names) -> i32>,
    /// Deletes chain `chain` and every secret of it; returns 0 when removed, 1
    /// when there was nothing to remove. Optional (NULL: removal is unsupported).
    pub remove: Option<unsafe extern "C" fn(user_data: *mut c_void, chain: *const c_char) -> i32>,
    /// Called once when the store and every chain opened from it are freed, to
    /// release `user_data`. Optional (NULL).
    pub release: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
}

/// Receives chain names from a host `list` callback (`xoxe_chain_names_add`).
/// Valid only during that callback.
pub struct xoxe_chain_names {
    names: Vec<String>,
    invalid: bool,
}

/// One chain's host callbacks; `release` runs when the last user drops them.
struct Callbacks(xoxe_store_callbacks);

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(release) = self.0.release {
            // SAFETY: called once, with the user_data the host gave us.
            unsafe { release(self.0.user_data) };
        }
    }
}

/// The host's many-chain callbacks; `release` runs when the last chain is dropped,
/// once the constructor has succeeded (`armed`).
struct ChainHost(xoxe_chain_callbacks, std::sync::atomic::AtomicBool);

impl Drop for ChainHost {
    fn drop(&mut self) {
        if !self.1.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        if let Some(release) = self.0.release {
            // SAFETY: called once, with the user_data the host gave us.
            unsafe { release(self.0.user_data) };
        }
    }
}

// SAFETY: the callback contract requires the host's functions and user_data to be
// usable from any thread (documented on the constructors).
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}
unsafe impl Send for ChainHost {}
unsafe impl Sync for ChainHost {}

/// A [`Store`] backed by host callbacks.
struct ForeignStore {
    callbacks: Arc<Callbacks>,
    name: String,
    chain: String,
    /// The host's many-chain callbacks, when it keeps many chains.
    host: Option<Arc<ChainHost>>,
    codec: Codec,
}

impl ChainHost {
    fn describe(&self, name: &str) -> String {
        format!("foreign store {name:?}")
    }

    /// The callbacks of chain `chain`, from the host's `open`.
    fn open(&self, name: &str, chain: &str) -> Result<xoxe_store_callbacks> {
        check_chain_name(chain)?;
        let open = self.0.open.expect("checked in the constructor");
        let chain_c =
            std::ffi::CString::new(chain).map_err(|_| Error::new(Status::InvalidArgument, "chain holds a NUL"))?;
        let mut callbacks = xoxe_store_callbacks {
            user_data: std::ptr::null_mut(),
            load: None,
            save: None,
            lock: None,
            unlock: None,
            release: None,
        };
        // SAFETY: host callback per the documented contract; both pointers outlive the call.
        let code = unsafe { open(self.0.user_data, chain_c.as_ptr(), &mut callbacks) };
        if code < 0 {
            return Err(Error::new(
                Status::StoreIo,
                format!(
                    "{} (chain {chain}): the host's open callback failed (returned {code})",
                    self.describe(name)
                ),
            ));
        }
        Ok(callbacks)
    }
}

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
            callbacks: Arc::new(Callbacks(callbacks)),
            name: name.to_string(),
            chain: DEFAULT_CHAIN.to_string(),
            host: None,
            codec: Codec::plain(),
        })
    }

    /// Chain `chain` of `host`, through the callbacks its `open` gives.
    fn of_host(host: &Arc<ChainHost>, name: &str, chain: &str, codec: Codec) -> Result<ForeignStore> {
        let callbacks = host.open(name, chain)?;
        // Checked here so that a failure releases what `open` handed over.
        let checked = ForeignStore::new(callbacks, name);
        let mut store = match checked {
            Ok(store) => store,
            Err(e) => {
                drop(Callbacks(callbacks));
                return Err(e);
            }
        };
        store.chain = chain.to_string();
        store.host = Some(Arc::clone(host));
        store.codec = codec;
        Ok(store)
    }

    fn with_codec(&self, codec: Codec) -> ForeignStore {
        ForeignStore {
            callbacks: Arc::clone(&self.callbacks),
            name: self.name.clone(),
            chain: self.chain.clone(),
            host: self.host.clone(),
            codec,
        }
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

impl Store for ForeignStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let load = self.callbacks.0.load.expect("checked in new");
        let mut value = xoxe_store_value {
            document: None,
            invalid_utf8: false,
        };
        // SAFETY: host callback per the documented contract; `value` outlives the call.
        let code = unsafe { load(self.callbacks.0.user_data, &mut value) };
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
        self.codec
            .decode(document.as_bytes(), &self.chain, &self.describe())
            .map(Some)
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let save = self.callbacks.0.save.expect("checked in new");
        let mut json = self.codec.encode(new, &self.chain, false)?;
        json.push(0);
        let document =
            CStr::from_bytes_with_nul(&json).map_err(|_| Error::new(Status::StoreIo, "document holds a NUL"))?;
        // SAFETY: host callback per the documented contract; `document` outlives the call.
        let code = unsafe {
            save(
                self.callbacks.0.user_data,
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
        let (Some(lock), Some(unlock)) = (self.callbacks.0.lock, self.callbacks.0.unlock) else {
            return Ok(Lease::none());
        };
        // SAFETY: host callback per the documented contract.
        let code = unsafe { lock(self.callbacks.0.user_data) };
        if code != 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!("{}: the host's lock callback failed ({code})", self.describe()),
            ));
        }
        let user_data = self.callbacks.0.user_data as usize; // moved into the guard as an integer
        Ok(Lease::on_release(move || unsafe { unlock(user_data as *mut c_void) }))
    }

    fn has_lease(&self) -> bool {
        self.callbacks.0.lock.is_some()
    }

    fn describe(&self) -> String {
        match &self.host {
            Some(_) => format!("foreign store {:?} (chain {})", self.name, self.chain),
            None => format!("foreign store {:?}", self.name),
        }
    }

    fn chain(&self) -> &str {
        &self.chain
    }

    fn open_chain(&self, chain: &str) -> Result<Arc<dyn Store>> {
        let Some(host) = &self.host else {
            return Err(Error::new(
                Status::Unsupported,
                format!(
                    "{} keeps one chain (give xoxe_chain_callbacks for many)",
                    self.describe()
                ),
            ));
        };
        Ok(Arc::new(ForeignStore::of_host(
            host,
            &self.name,
            chain,
            self.codec.clone(),
        )?))
    }

    fn list_chains(&self) -> Result<Vec<String>> {
        let Some(list) = self.host.as_ref().and_then(|h| h.0.list) else {
            return Err(Error::new(
                Status::Unsupported,
                format!("{} has no list callback", self.describe()),
            ));
        };
        let host = self.host.as_ref().expect("checked above");
        let mut names = xoxe_chain_names {
            names: Vec::new(),
            invalid: false,
        };
        // SAFETY: host callback per the documented contract; `names` outlives the call.
        let code = unsafe { list(host.0.user_data, &mut names) };
        if code < 0 {
            return Err(self.failed("list", code));
        }
        if names.invalid {
            return Err(Error::new(
                Status::StoreCorrupt,
                format!("{}: the host listed a chain name that is not valid", self.describe()),
            ));
        }
        names.names.sort();
        names.names.dedup();
        Ok(names.names)
    }

    fn remove_chain(&self) -> Result<bool> {
        let Some(remove) = self.host.as_ref().and_then(|h| h.0.remove) else {
            return Err(Error::new(
                Status::Unsupported,
                format!("{} has no remove callback", self.describe()),
            ));
        };
        let host = self.host.as_ref().expect("checked above");
        let chain = std::ffi::CString::new(self.chain.as_str())
            .map_err(|_| Error::new(Status::InvalidArgument, "chain holds a NUL"))?;
        // SAFETY: host callback per the documented contract.
        match unsafe { remove(host.0.user_data, chain.as_ptr()) } {
            0 => Ok(true),
            1 => Ok(false),
            code => Err(self.failed("remove", code)),
        }
    }

    fn sealed(&self, keyring: Arc<Keyring>) -> Result<Arc<dyn Store>> {
        Ok(Arc::new(self.with_codec(Codec::sealed(keyring))))
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

/// Creates a store for chain `chain` (NULL: `"default"`) kept by a host that keeps
/// many chains: xoxe calls `callbacks->open` with a chain's name whenever it needs
/// that chain (here, and for `xoxe_store_open_chain` and pools) and uses the
/// `xoxe_store_callbacks` it fills in, as for `xoxe_store_foreign_new`. `name`
/// (may be NULL) appears in error messages. `release` runs once, when this store
/// and every chain and rotator opened from it are freed; if this function fails,
/// it is not called.
///
/// # Safety
/// `callbacks` points to a valid struct whose functions honour its contract.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_foreign_chains_new(
    callbacks: *const xoxe_chain_callbacks,
    name: *const c_char,
    chain: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(callbacks, "callbacks")?;
        let name = opt_str_arg(name, "name")?.unwrap_or("host");
        let chain = opt_str_arg(chain, "chain")?.unwrap_or(DEFAULT_CHAIN);
        let out = out_arg(out, "out")?;
        if (*callbacks).open.is_none() {
            return Err(Error::new(
                Status::NullArgument,
                "foreign store: the open callback is required",
            ));
        }
        check_chain_name(chain)?;
        // Armed only on success: if this fails, user_data stays the caller's.
        let host = Arc::new(ChainHost(*callbacks, std::sync::atomic::AtomicBool::new(false)));
        let store = ForeignStore::of_host(&host, name, chain, Codec::plain())?;
        host.1.store(true, std::sync::atomic::Ordering::Release);
        give(out, xoxe_store { inner: Arc::new(store) });
        Ok(())
    })
}

/// For a host `list` callback: adds chain `chain` (NUL-terminated) to `names`.
/// Does nothing if either is NULL; a name that is not a valid chain name makes
/// the listing fail with `XOXE_STATUS_STORE_CORRUPT`.
///
/// # Safety
/// `names` is the pointer the callback received; `chain` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xoxe_chain_names_add(names: *mut xoxe_chain_names, chain: *const c_char) {
    guard_plain((), || {
        if names.is_null() || chain.is_null() {
            return;
        }
        let names = &mut *names;
        match CStr::from_ptr(chain).to_str() {
            Ok(text) if check_chain_name(text).is_ok() => names.names.push(text.to_string()),
            _ => names.invalid = true,
        }
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
