//! Where token pairs live between rotations: memory, a file (atomic and locked),
//! or the host's own storage through callbacks.
//!
//! A store holds one [`StoredPair`]. Saving is compare-and-swap on the pair's
//! `generation`, so two writers can never both believe they saved the live pair;
//! an optional lock serialises whole rotations across processes.

mod file;
mod foreign;
mod memory;

pub use file::FileStore;
pub use foreign::{xoxe_store_callbacks, xoxe_store_value, ForeignStore};
pub use memory::MemoryStore;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::status::Status;
use serde::{Deserialize, Serialize};

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
}

fn format_version() -> u32 {
    1
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
            format: 1,
            kind,
            access_token: access_token.unwrap_or_else(empty_secret),
            refresh_token,
            expires_at: if expires_at > 0 { expires_at } else { 0 },
            generation: 0,
            lifetime: 0,
            team_id: None,
            user_id: None,
        }
    }
}

impl StoredPair {
    /// Checks a pair read from a store: a usable refresh token, and an access token
    /// (if any) that a token buffer of `XOXE_MAX_TOKEN_LEN + 1` bytes can hold.
    pub(crate) fn check(&self, store: &str) -> Result<()> {
        let corrupt = |why: &str| Error::new(Status::StoreCorrupt, format!("{store}: {why}"));
        crate::methods::check_credential("refresh_token", self.refresh_token.expose())
            .map_err(|e| corrupt(&format!("the stored {}", e.message)))?;
        if !self.access_token.expose().is_empty() {
            crate::methods::check_credential("access_token", self.access_token.expose())
                .map_err(|e| corrupt(&format!("the stored {}", e.message)))?;
        }
        Ok(())
    }
}

/// What happened to a compare-and-swap save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    /// The new pair is stored durably.
    Stored,
    /// Someone else saved first; this is what the store holds now.
    Conflict(Option<StoredPair>),
}

/// A place to keep one token chain. Implementations must be safe to call from
/// several threads.
pub trait Store: Send + Sync {
    /// Reads the stored pair; `None` if nothing is stored yet.
    fn load(&self) -> Result<Option<StoredPair>>;

    /// Stores `new` durably if the store still holds generation `expected`
    /// (`None`: still empty). Must not return before the pair is durable.
    fn save(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved>;

    /// Takes an exclusive lock that spans processes (held from re-read through
    /// rotation to save). Stores without one return a no-op guard; compare-and-swap
    /// still keeps them correct, at the cost of a rare wasted rotation.
    fn lock(&self) -> Result<StoreLock> {
        Ok(StoreLock::none())
    }

    /// Whether [`lock`](Self::lock) really excludes other writers. Without one, a
    /// rejected refresh token may mean another writer is between rotating and
    /// saving, so the rotator re-reads for a while before declaring the chain dead.
    fn has_lock(&self) -> bool {
        false
    }

    /// Where the store is, for error messages (never a secret).
    fn describe(&self) -> String;
}

/// A held store lock; released on drop.
pub struct StoreLock {
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl StoreLock {
    /// A guard that holds nothing.
    pub fn none() -> StoreLock {
        StoreLock { release: None }
    }

    /// A guard that runs `release` when dropped.
    pub fn new(release: impl FnOnce() + Send + 'static) -> StoreLock {
        StoreLock {
            release: Some(Box::new(release)),
        }
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
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
        generation: expected.map_or(0, |g| g + 1),
        ..seed
    };
    match store.save(expected, &seed)? {
        Saved::Stored => Ok(()),
        Saved::Conflict(_) => Err(Error::new(
            Status::StoreConflict,
            format!("{} changed while initialising", store.describe()),
        )),
    }
}
