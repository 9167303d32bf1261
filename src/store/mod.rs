//! Where token pairs live between rotations: the [`Store`] contract, and the stores
//! of the core — memory, a file (atomic and locked), and the fleet stores on
//! PostgreSQL and Redis (cargo features `postgres` and `redis`). The host's own
//! storage plugs in through the C ABI (`src/ffi/foreign_store.rs`), which
//! implements the same trait, exchanging the pair as JSON ([`StoredPair::to_json`]).
//!
//! A store holds one [`StoredPair`]. Saving is compare-and-swap on the pair's
//! `generation`, so two writers can never both believe they saved the live pair;
//! an optional lease serialises whole rotations across processes and machines.

mod file;
mod file_open;
pub mod fleet;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
pub mod seal;

pub use file::{FileStore, DEFAULT_LOCK_TIMEOUT};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::status::Status;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Which Slack method renews a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainKind {
    /// An app configuration token, renewed with `tooling.tokens.rotate`.
    Config,
    /// A bot or user token, renewed with `oauth.v2.access` (`grant_type=refresh_token`).
    Oauth,
}

/// One link of a token chain: the access token in use and the refresh token that
/// will replace it. Serialised as the store's JSON document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPair {
    /// Format version of this document (currently 1).
    #[serde(default = "format_version")]
    pub format: u32,
    /// How the chain is renewed.
    pub kind: ChainKind,
    /// The current access token (may be empty before the first rotation).
    #[serde(serialize_with = "expose", default = "empty_secret")]
    pub access_token: Secret,
    /// The refresh token for the next rotation (single-use).
    #[serde(serialize_with = "expose")]
    pub refresh_token: Secret,
    /// When `access_token` expires, Unix seconds on this machine's clock (0 = unknown:
    /// rotate before first use).
    #[serde(default)]
    pub expires_at: i64,
    /// Incremented by every save; the compare-and-swap key.
    #[serde(default)]
    pub generation: u64,
    /// The access token's whole lifetime in seconds as Slack stated it (0 = unknown).
    #[serde(default)]
    pub lifetime: i64,
    /// Workspace id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// User id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When this pair was rotated, Unix seconds on the rotating machine's clock
    /// (0: not by a rotation, e.g. a seed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotated_at: i64,
    /// Who rotated it (`host/pid`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_by: Option<String>,
    /// Set when Slack reported the chain's token revoked: Slack's code
    /// (`token_revoked`, `account_inactive` or `invalid_auth`). A revoked chain is
    /// never rotated again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// Fields this version does not know (a later version's), kept as they are.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The store document format this version writes and reads.
const FORMAT: u32 = 1;

fn format_version() -> u32 {
    FORMAT
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn empty_secret() -> Secret {
    Secret::new("")
}

fn expose<S: serde::Serializer>(secret: &Secret, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

impl StoredPair {
    /// A pair to start a chain from: just a refresh token (and optionally the access
    /// token still in use and its expiry).
    pub fn seed(kind: ChainKind, refresh_token: Secret, access_token: Option<Secret>, expires_at: i64) -> StoredPair {
        StoredPair {
            format: FORMAT,
            kind,
            access_token: access_token.unwrap_or_else(empty_secret),
            refresh_token,
            expires_at: if expires_at > 0 { expires_at } else { 0 },
            generation: 0,
            lifetime: 0,
            team_id: None,
            user_id: None,
            rotated_at: 0,
            rotated_by: None,
            revoked: None,
            extra: serde_json::Map::new(),
        }
    }
}

impl StoredPair {
    /// Reads a pair from a store's JSON document and checks it: a usable refresh
    /// token, and an access token (if any) that a token buffer of
    /// [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN)` + 1` bytes can hold. Anything else is `StoreCorrupt`,
    /// described with `store` (never with the document's content).
    pub fn from_json(document: &[u8], store: &str) -> Result<StoredPair> {
        let corrupt = |why: &str| Error::new(Status::StoreCorrupt, format!("{store}: {why}"));
        let pair: StoredPair = crate::response::parse(document).map_err(|why| corrupt(&why))?;
        if pair.format > FORMAT {
            return Err(corrupt(&format!(
                "written by a newer xoxe (format {}; this one reads format {FORMAT})",
                pair.format
            )));
        }
        if pair.generation == u64::MAX {
            return Err(corrupt("the generation counter is exhausted"));
        }
        crate::methods::check_credential("refresh_token", pair.refresh_token.expose())
            .map_err(|e| corrupt(&format!("the stored {}", e.message)))?;
        if !pair.access_token.expose().is_empty() {
            crate::methods::check_credential("access_token", pair.access_token.expose())
                .map_err(|e| corrupt(&format!("the stored {}", e.message)))?;
        }
        Ok(pair)
    }

    /// The pair as a store's JSON document (a secret: zeroed on drop); `pretty`
    /// for a file a human may read.
    pub fn to_json(&self, pretty: bool) -> Result<Zeroizing<Vec<u8>>> {
        let mut json = Zeroizing::new(Vec::with_capacity(512));
        let written = if pretty {
            serde_json::to_writer_pretty(&mut *json, self)
        } else {
            serde_json::to_writer(&mut *json, self)
        };
        written.map_err(|e| Error::new(Status::StoreIo, format!("encoding the token pair: {e}")))?;
        Ok(json)
    }
}

/// What happened to a compare-and-swap save.
// Returned once per save, never stored: boxing the pair would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    /// The new pair is stored durably.
    Stored,
    /// Someone else saved first; this is what the store holds now.
    Conflict(Option<StoredPair>),
}

/// The contract every store keeps: the file, memory and host-callback stores, and
/// any store added later (one file implementing this trait, plus its FFI
/// constructor). Implementations must be safe to call from several threads.
///
/// Safety comes from [`compare_and_swap`](Self::compare_and_swap): the pair's
/// `generation` is the fencing token, so two writers can never both believe they
/// saved the live pair. A [lease](Self::acquire_lease) only prevents wasted or
/// double rotations. The in-flight marker and the orphan slot have defaults that
/// record nothing, for stores that have no room for them.
pub trait Store: Send + Sync {
    /// Reads the stored pair; `None` if nothing is stored yet.
    fn load(&self) -> Result<Option<StoredPair>>;

    /// Stores `new` durably if the store still holds generation `expected`
    /// (`None`: still empty); otherwise reports what it holds. Must not return
    /// `Stored` before the pair is durable. A successful save also clears the
    /// in-flight marker.
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved>;

    /// Sets aside what saving the next pair needs (for a file: a temp file with its
    /// disk space, in the store's directory), so that nothing is spent that could
    /// not be saved. Called under the lease, just before the refresh token is
    /// spent; a failure here sends nothing. Default: nothing to set aside.
    fn reserve(&self) -> Result<Reservation> {
        Ok(Reservation::none())
    }

    /// [`compare_and_swap`](Self::compare_and_swap) using what
    /// [`reserve`](Self::reserve) set aside; the reservation is used up only when
    /// the save goes ahead, so a `Conflict` leaves it for a retry. Default: a
    /// plain compare-and-swap.
    fn save_reserved(&self, _reservation: &mut Reservation, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        self.compare_and_swap(expected, new)
    }

    /// Takes the store's exclusive lease, held from re-read through rotation to
    /// save and released when the returned [`Lease`] is dropped, waiting at most
    /// `terms.wait` for another holder. A lease that expires lasts
    /// [`LeaseTerms::lease`] on the store's clock. Stores without one return
    /// [`Lease::none`]; compare-and-swap still keeps them correct, at the cost of a
    /// rare wasted rotation.
    fn acquire_lease(&self, _terms: &LeaseTerms) -> Result<Lease> {
        Ok(Lease::none())
    }

    /// Whether [`acquire_lease`](Self::acquire_lease) really excludes other
    /// writers. Without one, a rejected refresh token may mean another writer is
    /// between rotating and saving, so the rotator re-reads for a while before
    /// declaring the chain dead.
    fn has_lease(&self) -> bool {
        false
    }

    /// Takes the lease as [`acquire_lease`](Self::acquire_lease) does and reads the
    /// stored pair under it — and, where the store can, the in-flight marker — in
    /// as few round trips as the store allows (a fleet store: one statement or
    /// script). Default: `acquire_lease`, then [`load`](Self::load); the marker is
    /// left unread.
    fn acquire_and_load(&self, terms: &LeaseTerms) -> Result<Acquired> {
        let lease = self.acquire_lease(terms)?;
        let pair = self.load()?;
        Ok(Acquired {
            lease,
            pair,
            in_flight: None,
        })
    }

    /// Renews `lease` ([`Lease::renew`]) and records the intent to spend the
    /// refresh token of `generation` ([`mark_in_flight`](Self::mark_in_flight)),
    /// with the same checks, in one step where the store can. Default: the two
    /// calls in turn.
    fn renew_and_mark(&self, lease: &mut Lease, generation: u64, terms: &LeaseTerms) -> Result<()> {
        lease.renew()?;
        self.mark_in_flight(lease, generation, terms)
    }

    /// Saves a rotated pair as [`save_reserved`](Self::save_reserved) does with
    /// `Some(expected)` (so a stored pair also clears the in-flight marker), and
    /// gives `lease` up whatever the outcome, in one step where the store can; a
    /// store with waiters to wake wakes them. Default: the save, then the release
    /// (a failed release is logged: the save's outcome is what matters).
    fn save_and_release(
        &self,
        reservation: &mut Reservation,
        lease: Lease,
        expected: u64,
        new: &StoredPair,
    ) -> Result<Saved> {
        let saved = self.save_reserved(reservation, Some(expected), new);
        drop(lease);
        saved
    }

    /// Records durably, before the request is sent, that the holder of `lease` is
    /// about to spend the refresh token of generation `generation`: a holder that
    /// dies mid-rotation then leaves a trace for the next one. A store whose lease
    /// expires refuses (and nothing is sent) unless the lease is still its holder's
    /// with [`LeaseTerms::send_margin`] left on the store's clock. Default: no marker.
    fn mark_in_flight(&self, _lease: &Lease, _generation: u64, _terms: &LeaseTerms) -> Result<()> {
        Ok(())
    }

    /// Removes the marker the holder of `lease` wrote for `generation`, when its
    /// request was refused or never left (the refresh token is unspent). Default:
    /// no marker.
    fn clear_in_flight(&self, _lease: &Lease, _generation: u64) -> Result<()> {
        Ok(())
    }

    /// The marker a holder left and never cleared (it may have spent the stored
    /// refresh token without saving the result). Default: none.
    fn in_flight(&self) -> Result<Option<InFlight>> {
        Ok(None)
    }

    /// Parks a rotated pair whose compare-and-swap lost: it may be the pair Slack
    /// considers valid. Returns whether the store kept it. Default: no orphan slot.
    fn park_orphan(&self, _from_generation: u64, _pair: &StoredPair) -> Result<bool> {
        Ok(false)
    }

    /// Parked pairs rotated from generation `from_generation`, newest first.
    fn orphans(&self, _from_generation: u64) -> Result<Vec<StoredPair>> {
        Ok(Vec::new())
    }

    /// Writes `current` — the pair this chain holds, as read through this handle —
    /// again at the same generation, and the pairs parked beside it, through this
    /// handle (so sealing or a new key reaches every stored copy of a token). Does
    /// nothing but answer `Conflict` if the chain no longer holds `current`'s
    /// generation. In-flight marks are left as they are, and generations are kept,
    /// so a parked pair stays where recovery looks for it. Call it holding the
    /// chain's lease. Default: a compare-and-swap of the same pair (no orphan slot).
    fn rewrite(&self, current: &StoredPair) -> Result<Saved> {
        self.compare_and_swap(Some(current.generation), current)
    }

    /// Where the store is, for error messages (never a secret).
    fn describe(&self) -> String;

    /// The name of the chain this store holds ([`fleet::DEFAULT_CHAIN`] unless it
    /// was opened by name).
    fn chain(&self) -> &str {
        fleet::DEFAULT_CHAIN
    }

    /// Chain `name` kept in the same place (the same database connection,
    /// directory, memory or host), sealed the same way. Fails with
    /// `InvalidArgument` for a bad name ([`fleet::check_chain_name`]) and
    /// `Unsupported` for a store that keeps one chain (a single file).
    fn open_chain(&self, name: &str) -> Result<std::sync::Arc<dyn Store>> {
        let _ = name;
        Err(Error::new(
            Status::Unsupported,
            format!(
                "{} keeps one chain (open a directory or database store for many)",
                self.describe()
            ),
        ))
    }

    /// The names of every chain kept in this place, sorted.
    fn list_chains(&self) -> Result<Vec<String>> {
        Err(Error::new(
            Status::Unsupported,
            format!("{} cannot list its chains", self.describe()),
        ))
    }

    /// Deletes this chain from the store — its pair, in-flight marker, lease and
    /// orphans, so none of its secrets remain. Returns whether a pair was stored.
    fn remove_chain(&self) -> Result<bool> {
        Err(Error::new(
            Status::Unsupported,
            format!("{} cannot remove a chain", self.describe()),
        ))
    }

    /// This store (and every chain opened from it) with stored documents sealed
    /// by `keyring`'s first key; documents sealed by any of its keys, and plain
    /// ones, are read. Fails with `Unsupported` for a store that cannot seal.
    fn sealed(&self, keyring: std::sync::Arc<seal::Keyring>) -> Result<std::sync::Arc<dyn Store>> {
        let _ = keyring;
        Err(Error::new(
            Status::Unsupported,
            format!("{} cannot seal its documents", self.describe()),
        ))
    }
}

/// What a store set aside for a save ([`Store::reserve`]); released when dropped.
#[derive(Default)]
pub struct Reservation(Option<Box<dyn std::any::Any + Send>>);

impl Reservation {
    /// Nothing set aside.
    pub fn none() -> Reservation {
        Reservation(None)
    }

    /// Holds `what` for the store that made it.
    pub fn new(what: impl std::any::Any + Send) -> Reservation {
        Reservation(Some(Box::new(what)))
    }

    /// Takes the held value out, if it is a `T`.
    pub fn take<T: 'static>(&mut self) -> Option<T> {
        match self.0.take()?.downcast::<T>() {
            Ok(what) => Some(*what),
            Err(other) => {
                self.0 = Some(other);
                None
            }
        }
    }
}

/// What [`Store::acquire_and_load`] found: the lease (or none), the pair stored
/// under it, and the in-flight marker when the store read it in the same step.
pub struct Acquired {
    /// The lease taken ([`Lease::none`] for a store without one, or when nothing
    /// is stored).
    pub lease: Lease,
    /// The stored pair, read holding the lease; `None` when nothing is stored.
    pub pair: Option<StoredPair>,
    /// `Some(marker)`: the in-flight marker as read with the pair. `None`: not
    /// read ([`Store::in_flight`] tells).
    pub in_flight: Option<Option<InFlight>>,
}

/// A "rotation in flight" marker left in a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// The generation whose refresh token was about to be spent.
    pub generation: u64,
    /// When the marker was written, Unix seconds on the store's clock.
    pub since: i64,
    /// How long, on the store's clock, until the writer's call deadline has
    /// passed (zero once it has: its rotation can no longer be answered).
    pub left: std::time::Duration,
    /// Who wrote it (a host or process name), when the store records that.
    pub holder: Option<String>,
}

/// How long a rotation may take, which a store with an expiring lease turns into
/// the lease's length and the time that must remain before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTerms {
    /// The rotation call's whole deadline, rate-limit waits included.
    pub call: std::time::Duration,
    /// Longest wait for another holder's lease.
    pub wait: std::time::Duration,
    /// How much longer than `call` a lease lasts (default 30 s).
    pub margin: std::time::Duration,
}

impl LeaseTerms {
    /// How long the lease lasts: the call's deadline plus the margin.
    pub fn lease(&self) -> std::time::Duration {
        self.call.saturating_add(self.margin)
    }

    /// What must remain of the lease, on the store's clock, for a rotation to be
    /// sent: the call's whole deadline plus a sixth of the margin (5 s by default).
    pub fn send_margin(&self) -> std::time::Duration {
        self.call.saturating_add(self.margin / 6)
    }
}

/// What a store's lease does while it is held.
pub trait HeldLease: Send {
    /// Extends the lease; fails when it was lost meanwhile. Default: a lock that
    /// cannot expire needs no renewal.
    fn renew(&mut self) -> Result<()> {
        Ok(())
    }

    /// The lease's fencing epoch, when the store numbers its leases.
    fn epoch(&self) -> Option<u64> {
        None
    }

    /// Gives the lease up.
    fn release(self: Box<Self>) -> Result<()>;
}

/// A held store lease (or none); released on drop.
pub struct Lease {
    held: Option<Box<dyn HeldLease>>,
}

impl Lease {
    /// A lease that holds nothing.
    pub fn none() -> Lease {
        Lease { held: None }
    }

    /// A held lease.
    pub fn held(lease: impl HeldLease + 'static) -> Lease {
        Lease {
            held: Some(Box::new(lease)),
        }
    }

    /// A lock that never expires and is released by running `release`.
    pub fn on_release(release: impl FnOnce() + Send + 'static) -> Lease {
        struct Unlock<F>(F);
        impl<F: FnOnce() + Send> HeldLease for Unlock<F> {
            fn release(self: Box<Self>) -> Result<()> {
                (self.0)();
                Ok(())
            }
        }
        Lease::held(Unlock(release))
    }

    /// Extends the lease (nothing to do for none).
    pub fn renew(&mut self) -> Result<()> {
        self.held.as_mut().map_or(Ok(()), |held| held.renew())
    }

    /// The lease's fencing epoch, when the store numbers its leases.
    pub fn epoch(&self) -> Option<u64> {
        self.held.as_ref().and_then(|held| held.epoch())
    }

    /// Gives the lease up now, reporting a failure that dropping would ignore.
    pub fn release(mut self) -> Result<()> {
        self.held.take().map_or(Ok(()), |held| held.release())
    }

    /// Forgets the lease without releasing it: for a store that released it
    /// itself (in the statement that saved the pair).
    pub fn forget(mut self) {
        self.held.take();
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            if let Err(e) = held.release() {
                crate::log::xlog!(Warn, "releasing a store lease failed: {}", e.message);
            }
        }
    }
}

/// Starts a chain in `store` with `seed`. Fails with `StoreConflict` if the store
/// already holds a pair, unless `overwrite` (then the stored chain is replaced).
pub fn init(store: &dyn Store, seed: StoredPair, overwrite: bool) -> Result<()> {
    crate::methods::check_credential("refresh_token", seed.refresh_token.expose())?;
    if !seed.access_token.expose().is_empty() {
        crate::methods::check_credential("access_token", seed.access_token.expose())?;
    }
    let current = store.load()?;
    if current.is_some() && !overwrite {
        return Err(Error::new(
            Status::StoreConflict,
            format!(
                "{} already holds a chain (initialise with overwrite to replace it)",
                store.describe()
            ),
        ));
    }
    let expected = current.as_ref().map(|p| p.generation);
    let seed = StoredPair {
        generation: expected.map_or(0, |g| g.saturating_add(1)),
        ..seed
    };
    match store.compare_and_swap(expected, &seed)? {
        Saved::Stored => Ok(()),
        Saved::Conflict(_) => Err(Error::new(
            Status::StoreConflict,
            format!("{} changed while initialising", store.describe()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Counted {
        released: Arc<AtomicUsize>,
        fail: bool,
    }

    impl HeldLease for Counted {
        fn epoch(&self) -> Option<u64> {
            Some(7)
        }
        fn release(self: Box<Self>) -> Result<()> {
            self.released.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(Error::new(Status::StoreIo, "lost"));
            }
            Ok(())
        }
    }

    #[test]
    fn a_lease_is_released_exactly_once_by_drop_or_by_release() {
        let released = Arc::new(AtomicUsize::new(0));
        let lease = Lease::held(Counted {
            released: released.clone(),
            fail: false,
        });
        assert_eq!(lease.epoch(), Some(7));
        drop(lease);
        assert_eq!(released.load(Ordering::SeqCst), 1);

        let lease = Lease::held(Counted {
            released: released.clone(),
            fail: true,
        });
        assert_eq!(lease.release().unwrap_err().status, Status::StoreIo, "release reports");
        assert_eq!(released.load(Ordering::SeqCst), 2, "and is not released again on drop");

        let n = released.clone();
        let mut lock = Lease::on_release(move || {
            n.fetch_add(1, Ordering::SeqCst);
        });
        lock.renew().unwrap();
        assert_eq!(lock.epoch(), None);
        drop(lock);
        assert_eq!(released.load(Ordering::SeqCst), 3);

        let mut none = Lease::none();
        none.renew().unwrap();
        none.release().unwrap();
    }

    #[test]
    fn stores_without_a_marker_or_orphan_slot_record_nothing() {
        struct Bare(MemoryStore);
        impl Store for Bare {
            fn load(&self) -> Result<Option<StoredPair>> {
                self.0.load()
            }
            fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
                self.0.compare_and_swap(expected, new)
            }
            fn describe(&self) -> String {
                "bare".into()
            }
        }
        let store = Bare(MemoryStore::new(None));
        let pair = StoredPair::seed(ChainKind::Config, Secret::new("xoxe-1-r"), None, 0);
        store
            .mark_in_flight(
                &Lease::none(),
                0,
                &LeaseTerms {
                    call: std::time::Duration::from_secs(1),
                    wait: std::time::Duration::from_secs(1),
                    margin: std::time::Duration::from_secs(1),
                },
            )
            .unwrap();
        store.clear_in_flight(&Lease::none(), 0).unwrap();
        assert_eq!(store.in_flight().unwrap(), None);
        assert!(!store.park_orphan(0, &pair).unwrap());
        assert!(store.orphans(0).unwrap().is_empty());
    }
}
