//! `xoxe_store`: where a rotator keeps its chain.

use super::args::{free_handle, give, guard, non_null, opt_str_arg, out_arg, str_arg};
use super::error::xoxe_error;
use crate::error::Error;
use crate::secret::Secret;
use crate::status::Status;
use crate::store::{fleet, ChainKind, FileStore, MemoryStore, Store, StoredPair, DEFAULT_LOCK_TIMEOUT};
use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

/// Which Slack method renews a chain (`xoxe_store_init`'s `kind`).
#[repr(u32)]
pub enum xoxe_chain_kind {
    /// App configuration token: `tooling.tokens.rotate`.
    Config = 0,
    /// Bot or user token: `oauth.v2.access` with `grant_type=refresh_token`.
    Oauth = 1,
}

/// A token store: memory, a file, or host callbacks. Thread-safe; may be shared by
/// several rotators (each keeps its own reference: free the store whenever).
pub struct xoxe_store {
    pub(crate) inner: Arc<dyn Store>,
}

/// Creates a store in memory (lost when freed; for tests and short-lived tools).
///
/// # Safety
/// `out` is writable; on success it receives a store freed with `xoxe_store_free`.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_memory_new(out: *mut *mut xoxe_store, error_out: *mut *mut xoxe_error) -> Status {
    guard(error_out, || {
        let out = out_arg(out, "out")?;
        give(
            out,
            xoxe_store {
                inner: Arc::new(MemoryStore::new(None)),
            },
        );
        Ok(())
    })
}

/// Creates a store for chain `chain` (NULL: `"default"`) in a PostgreSQL database,
/// shared by every process and machine that uses it: `url` is
/// `postgresql://user:password@host:port/database` (or `postgres://`), with
/// libpq's `sslmode=disable|prefer|require` and `sslrootcert=PATH` (PEM
/// certificates trusted besides the built-in roots; TLS is rustls). The tables
/// (`xoxe_schema`, `xoxe_chain`, `xoxe_orphan`) are created if missing. Every save
/// is a compare-and-swap on the chain's generation; rotations are serialised by a
/// lease timed by the database's clock, with a durable in-flight marker and an
/// orphan table (see the README's fleet section). Chain names are 1 to 200
/// characters of letters, digits and `. _ - : @`. The URL's password never appears
/// in messages. Fails with `XOXE_STATUS_STORE_IO` (naming the redacted URL) when
/// the database cannot be reached, and with `XOXE_STATUS_UNSUPPORTED` in a build
/// without the `postgres` feature.
///
/// # Safety
/// `url` is NUL-terminated; `chain` is NUL-terminated or NULL; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_postgres_new(
    url: *const c_char,
    chain: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    fleet_store_new(url, chain, out, error_out, fleet::postgres)
}

/// Creates a store for chain `chain` (NULL: `"default"`) in Redis, shared by every
/// process and machine that uses it: `url` is `redis://[user]:password@host:port/db`,
/// `rediss://…` (TLS, rustls, with `sslrootcert=PATH` as for PostgreSQL) or
/// `redis+unix:///path/to/socket?pass=password`. One chain's keys share one Cluster
/// hash slot (`xoxe:{CHAIN}:…`). The server must be a single primary with
/// `appendonly yes` and `appendfsync always` (a warning is logged otherwise).
/// Otherwise as `xoxe_store_postgres_new` (`XOXE_STATUS_UNSUPPORTED` without the
/// `redis` feature).
///
/// # Safety
/// `url` is NUL-terminated; `chain` is NUL-terminated or NULL; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_redis_new(
    url: *const c_char,
    chain: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    fleet_store_new(url, chain, out, error_out, fleet::redis)
}

/// The shared body of the fleet stores' constructors.
unsafe fn fleet_store_new(
    url: *const c_char,
    chain: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
    open: fn(&str, &str) -> crate::Result<Arc<dyn Store>>,
) -> Status {
    guard(error_out, || {
        let url = str_arg(url, "url")?;
        let chain = opt_str_arg(chain, "chain")?.unwrap_or(fleet::DEFAULT_CHAIN);
        let out = out_arg(out, "out")?;
        give(
            out,
            xoxe_store {
                inner: open(url, chain)?,
            },
        );
        Ok(())
    })
}

/// Creates a store in a JSON file at `path` (the file is created by
/// `xoxe_store_init`). Its directory must exist and be private: owned by this user
/// or root, not writable by group or others unless sticky
/// (`XOXE_STATUS_STORE_PERMISSIONS` otherwise). The path is resolved once, so a
/// symlinked name shares the real file and its lock; the file itself must be a
/// regular 0600 file of this user with one link. Writes are atomic (temp file,
/// fsync, rename, fsync dir); the temp file and its disk space are set aside before
/// a refresh token is spent, so a full disk or a read-only directory stops a
/// rotation before it happens. Rotations take an exclusive `flock` on
/// `<path>.lock`, waiting at most `lock_timeout_ms` (0: 120 s) for another process.
///
/// # Safety
/// `path` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_file_new(
    path: *const c_char,
    lock_timeout_ms: u32,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let path = str_arg(path, "path")?;
        let out = out_arg(out, "out")?;
        give(
            out,
            xoxe_store {
                inner: Arc::new(FileStore::new(path, lock_timeout(lock_timeout_ms))?),
            },
        );
        Ok(())
    })
}

fn lock_timeout(ms: u32) -> Duration {
    if ms == 0 {
        DEFAULT_LOCK_TIMEOUT
    } else {
        Duration::from_millis(ms.into())
    }
}

/// Creates a store for chain `chain` (NULL: `"default"`) in directory `path`,
/// which keeps many chains: each in its own file `path/CHAIN.json` with its own
/// lock `path/CHAIN.json.lock`, and otherwise as `xoxe_store_file_new` (atomic
/// writes, private files, the directory must exist and be private). Use
/// `xoxe_store_open_chain` or a pool for the other chains.
///
/// # Safety
/// `path` is NUL-terminated; `chain` is NUL-terminated or NULL; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_dir_new(
    path: *const c_char,
    chain: *const c_char,
    lock_timeout_ms: u32,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        let path = str_arg(path, "path")?;
        let chain = opt_str_arg(chain, "chain")?.unwrap_or(fleet::DEFAULT_CHAIN);
        let out = out_arg(out, "out")?;
        let inner = Arc::new(FileStore::directory(path, chain, lock_timeout(lock_timeout_ms))?);
        give(out, xoxe_store { inner });
        Ok(())
    })
}

/// Opens chain `chain` kept in the same place as `store` (the same database
/// connection, directory or memory, sealed the same way) as a new store handle.
/// `XOXE_STATUS_UNSUPPORTED` for a single-file store; a bad name (empty, over
/// `XOXE_MAX_CHAIN_NAME_LEN`, a character outside `A-Za-z0-9._-:@`, a leading
/// `.`) is `XOXE_STATUS_INVALID_ARGUMENT`. The chain need not exist yet.
///
/// # Safety
/// `store` is live; `chain` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_open_chain(
    store: *const xoxe_store,
    chain: *const c_char,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        let chain = str_arg(chain, "chain")?;
        let out = out_arg(out, "out")?;
        let inner = (*store).inner.open_chain(chain)?;
        give(out, xoxe_store { inner });
        Ok(())
    })
}

/// Deletes `store`'s chain — its pair, in-flight marker, lease and orphans, so
/// none of its secrets remain in the store — and sets `*removed_out` (may be NULL)
/// to whether a pair was stored. Rotators of the chain then fail with
/// `XOXE_STATUS_STORE_EMPTY`.
///
/// # Safety
/// `store` is live; `removed_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_remove_chain(
    store: *const xoxe_store,
    removed_out: *mut bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        let removed = (*store).inner.remove_chain()?;
        if !removed_out.is_null() {
            *removed_out = removed;
        }
        Ok(())
    })
}

/// Creates a handle to `store` whose documents are sealed at rest with
/// AES-256-GCM under `keyring`'s first key (the key id is stored beside the
/// ciphertext, the chain name authenticated with it). Documents sealed under any
/// of the keyring's keys, and plain ones, are read, so an unsealed store keeps
/// working and is sealed by its next save (`xoxe seal` rewrites every chain now).
/// A document sealed under a key the keyring lacks, or tampered with, is
/// `XOXE_STATUS_STORE_SEALED` naming the key id; nothing is overwritten. Chains
/// opened from the new handle are sealed too (a host store receives sealed
/// documents). `XOXE_STATUS_UNSUPPORTED` for the memory store.
///
/// # Safety
/// `store` and `keyring` are live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_sealed(
    store: *const xoxe_store,
    keyring: *const super::keyring::xoxe_keyring,
    out: *mut *mut xoxe_store,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        non_null(keyring, "keyring")?;
        let out = out_arg(out, "out")?;
        let inner = (*store).inner.sealed((*keyring).inner.clone())?;
        give(out, xoxe_store { inner });
        Ok(())
    })
}

/// Starts a chain in an empty store: `refresh_token` (required) and, if known, the
/// access token in use (`access_token`, may be NULL) with its expiry
/// (`expires_at`, Unix seconds; 0 = unknown: rotate before first use). `kind` is a
/// `xoxe_chain_kind`. Fails with `XOXE_STATUS_STORE_CONFLICT` if the store already
/// holds a pair, unless `overwrite` is true (then the stored chain is replaced). A
/// store that cannot be read (e.g. `XOXE_STATUS_STORE_CORRUPT`) is never replaced,
/// even with `overwrite`: inspect it and remove it by hand.
///
/// # Safety
/// `store` is a live store; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_init(
    store: *const xoxe_store,
    kind: u32,
    refresh_token: *const c_char,
    access_token: *const c_char,
    expires_at: i64,
    overwrite: bool,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        let store = &(*store).inner;
        let kind = match kind {
            k if k == xoxe_chain_kind::Config as u32 => ChainKind::Config,
            k if k == xoxe_chain_kind::Oauth as u32 => ChainKind::Oauth,
            _ => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("unknown chain kind {kind}"),
                ))
            }
        };
        let refresh_token = str_arg(refresh_token, "refresh_token")?;
        let access_token = opt_str_arg(access_token, "access_token")?;
        let seed = StoredPair::seed(
            kind,
            Secret::new(refresh_token),
            access_token.map(Secret::new),
            expires_at,
        );
        crate::store::init(store.as_ref(), seed, overwrite)
    })
}

/// Frees a store handle (rotators using it keep it alive). NULL is ignored.
///
/// # Safety
/// `store` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_free(store: *mut xoxe_store) {
    free_handle(store)
}

/// Rewrites every chain kept where `store` is through `store`: after
/// `xoxe_store_sealed`, every document is sealed under the keyring's first key
/// (seal a plain store, or move every chain to a new key); through a plain handle,
/// every document is written plain, with the pairs parked beside it. Each chain
/// is rewritten holding its lease, at the same generation, so a concurrent
/// rotation is waited for and never undone. `*rewritten_out` (may
/// be NULL) receives the number of chains rewritten. A chain that cannot be read
/// (e.g. `XOXE_STATUS_STORE_SEALED`) stops the run, left as it was.
///
/// # Safety
/// `store` is live; `rewritten_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_rewrite_chains(
    store: *const xoxe_store,
    rewritten_out: *mut usize,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        let n = crate::pool::rewrite_chains(&*(*store).inner)?;
        if !rewritten_out.is_null() {
            *rewritten_out = n;
        }
        Ok(())
    })
}
