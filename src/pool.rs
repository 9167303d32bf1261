//! Many chains in one process: a [`Pool`] over one client and one store keeps a
//! rotator per chain (created on first use, dropped least-recently-used beyond a
//! bound), saves new installations durably (from an OAuth install's code, its
//! answer, or ready chains), removes uninstalled ones, and can rotate chains in
//! the background as they enter their window so that no request waits on Slack.
//! Across processes and machines the store's lease serialises each chain, as it
//! does for single rotators.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::log::xlog;
use crate::methods::Install;
use crate::rotator::{is_revocation, unix_now, AccessToken, AppCredentials, Renewal, Rotator, RotatorOptions};
use crate::status::Status;
use crate::store::fleet::check_chain_name;
use crate::store::{ChainKind, LeaseTerms, Saved, Store, StoredPair};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::Duration;

/// Rotators a pool keeps in memory unless told otherwise (`max_chains_in_memory`
/// 0); a binding that keeps tokens sizes its map by it.
pub const DEFAULT_MAX_CHAINS_IN_MEMORY: usize = 10_000;

/// How a [`Pool`] runs.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Options for every chain's rotator.
    pub rotator: RotatorOptions,
    /// Most rotators held in memory; beyond it the least recently used are
    /// dropped (and read from the store again when next asked for). At least 1.
    pub max_chains_in_memory: usize,
    /// Rotate the chains held in memory from a background thread as they enter
    /// their refresh window (each at its own jittered time), so that `get` finds
    /// them fresh.
    pub background_refresh: bool,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            rotator: RotatorOptions::default(),
            max_chains_in_memory: DEFAULT_MAX_CHAINS_IN_MEMORY,
            background_refresh: false,
        }
    }
}

/// What a pool has done, for operators and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Rotators held in memory now.
    pub chains_in_memory: usize,
    /// Rotations the background refresher made.
    pub background_rotations: u64,
    /// Background refreshes that failed (each is logged).
    pub background_failures: u64,
}

/// A chain as its store holds it, for `xoxe status --all` (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainStatus {
    /// The chain's name.
    pub chain: String,
    /// What the store holds, or why it could not be read (e.g. `StoreSealed`).
    pub state: Result<ChainState>,
}

/// The public facts of a stored pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainState {
    /// How the chain is renewed.
    pub kind: ChainKind,
    /// The stored generation.
    pub generation: u64,
    /// When the access token expires (Unix seconds; 0: unknown).
    pub expires_at: i64,
    /// When it was last rotated (Unix seconds; 0: never, e.g. just installed).
    pub rotated_at: i64,
    /// Who rotated it last (`host/pid`).
    pub rotated_by: Option<String>,
    /// Slack's code if the chain was revoked.
    pub revoked: Option<String>,
    /// Workspace id, when known.
    pub team_id: Option<String>,
    /// User (or bot user) id, when known.
    pub user_id: Option<String>,
}

/// Every chain kept in `store`'s place, sorted by name, each with its state or
/// the error reading it gave.
pub fn chain_statuses(store: &dyn Store) -> Result<Vec<ChainStatus>> {
    let names = store.list_chains()?;
    Ok(names
        .into_iter()
        .map(|chain| {
            let state = with_chain(store, &chain, |s| {
                s.load()?
                    .ok_or_else(|| no_such_chain(s, &chain))
                    .map(|pair| ChainState {
                        kind: pair.kind,
                        generation: pair.generation,
                        expires_at: pair.expires_at,
                        rotated_at: pair.rotated_at,
                        rotated_by: pair.rotated_by.clone(),
                        revoked: pair.revoked.clone(),
                        team_id: pair.team_id.clone(),
                        user_id: pair.user_id.clone(),
                    })
            });
            ChainStatus { chain, state }
        })
        .collect())
}

/// Runs `f` on chain `name` of `store`'s place: `store` itself when it is that
/// chain (a single-file store lists only its own chain and opens no other).
fn with_chain<T>(store: &dyn Store, name: &str, f: impl FnOnce(&dyn Store) -> Result<T>) -> Result<T> {
    if name == store.chain() {
        return f(store);
    }
    let opened = store.open_chain(name)?;
    f(&*opened)
}

/// The error for a chain that holds nothing; `store` is the chain's own store.
fn no_such_chain(store: &dyn Store, chain: &str) -> Error {
    Error::new(
        Status::StoreEmpty,
        format!("no chain named {chain} is stored ({} holds nothing)", store.describe()),
    )
}

/// `err` (a failed save of `install`'s chains) with the install's raw answer in
/// `response_json`, so the caller can save it again with [`Pool::install_json`].
fn with_install_body(mut err: Error, install: &Install) -> Error {
    err.response_json = Some(install.raw_json.expose().to_string());
    err.message.push_str(
        "; the install's answer is kept in response_json (it holds the new tokens: treat it as a \
         secret): save it with install_json, or the installation is lost",
    );
    xlog!(
        Error,
        "an install was answered but its chains were not saved; its raw answer ({} bytes, a secret) is on the error",
        install.raw_json.expose().len()
    );
    err
}

/// Many chains over one client and one store (see the module docs). `Send +
/// Sync`: share it among threads. Dropping it stops its background refresher.
pub struct Pool {
    inner: Arc<Inner>,
    refresher: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Inner {
    client: Arc<Client>,
    store: Arc<dyn Store>,
    app: Option<Arc<AppCredentials>>,
    options: PoolOptions,
    chains: RwLock<HashMap<String, Held>>,
    /// A use counter: each `get` stamps its chain with the next value (see
    /// `touch`), the oldest stamps go first.
    clock: AtomicU64,
    stopping: Mutex<bool>,
    wake: Condvar,
    background_rotations: AtomicU64,
    background_failures: AtomicU64,
}

struct Held {
    rotator: Arc<Rotator>,
    last_used: AtomicU64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("store", &self.inner.store.describe())
            .field("chains_in_memory", &self.stats().chains_in_memory)
            .finish()
    }
}

impl Pool {
    /// A pool over `store`'s place (a directory, database or memory store: one
    /// that opens chains by name; a single-file store is `Unsupported`). `app`
    /// renews OAuth chains (bot and user tokens); a pool of config-token chains
    /// needs none.
    pub fn new(
        client: Arc<Client>,
        store: Arc<dyn Store>,
        app: Option<AppCredentials>,
        options: PoolOptions,
    ) -> Result<Pool> {
        if let Some(app) = &app {
            crate::methods::check_credential("client_id", &app.client_id)?;
            crate::methods::check_credential("client_secret", app.client_secret.expose())?;
        }
        if options.max_chains_in_memory == 0 {
            return Err(Error::new(
                Status::InvalidArgument,
                "max_chains_in_memory must be at least 1",
            ));
        }
        // Refuses a store that keeps one chain now rather than on first use.
        store.open_chain(crate::store::fleet::DEFAULT_CHAIN)?;
        let background = options.background_refresh;
        let inner = Arc::new(Inner {
            client,
            store,
            app: app.map(Arc::new),
            options,
            chains: RwLock::new(HashMap::new()),
            clock: AtomicU64::new(0),
            stopping: Mutex::new(false),
            wake: Condvar::new(),
            background_rotations: AtomicU64::new(0),
            background_failures: AtomicU64::new(0),
        });
        let refresher = if background {
            let weak = Arc::downgrade(&inner);
            Some(
                std::thread::Builder::new()
                    .name("xoxe-refresher".into())
                    .spawn(move || refresh_in_background(weak))
                    .map_err(|e| Error::new(Status::StoreIo, format!("starting the background refresher: {e}")))?,
            )
        } else {
            None
        };
        Ok(Pool {
            inner,
            refresher: Mutex::new(refresher),
        })
    }

    /// A valid access token of chain `chain`, rotating first when it is due (one
    /// rotation per chain at a time, however many threads ask). Fails with
    /// `StoreEmpty` for a chain the store does not hold and `ChainRevoked` for a
    /// revoked one (which the pool then forgets).
    pub fn get(&self, chain: &str) -> Result<AccessToken> {
        let rotator = self.inner.rotator(chain)?;
        self.inner.forget_on_end(chain, rotator.get())
    }

    /// Like [`get`](Self::get), lending the token to `f` (no copy when fresh).
    pub fn get_with<R>(&self, chain: &str, f: impl FnOnce(&str, i64) -> R) -> Result<R> {
        let rotator = self.inner.rotator(chain)?;
        self.inner.forget_on_end(chain, rotator.get_with(f))
    }

    /// Like [`get_with`](Self::get_with), with the deadline of
    /// [`Rotator::get_reusable_with`]: until when the caller may hand chain
    /// `chain`'s token out again without asking (0: ask every time).
    pub fn get_reusable_with<R>(&self, chain: &str, f: impl FnOnce(&str, i64, i64) -> R) -> Result<R> {
        let rotator = self.inner.rotator(chain)?;
        self.inner.forget_on_end(chain, rotator.get_reusable_with(f))
    }

    /// [`get_reusable_with`](Self::get_reusable_with)'s fresh-token half, which
    /// never blocks (as [`try_get_with`](Self::try_get_with)): `None` means "call
    /// `get_reusable_with`".
    pub fn try_get_reusable_with<R>(&self, chain: &str, f: impl FnOnce(&str, i64, i64) -> R) -> Option<R> {
        let chains = self.inner.chains.try_read().ok()?;
        let held = chains.get(chain)?;
        self.inner.touch(held);
        held.rotator.try_get_reusable_with(f)
    }

    /// Chain `chain`'s token, lent to `f`, only if it can be had without
    /// blocking (its rotator in memory, the token fresh): see
    /// [`Rotator::try_get_with`]. `None` means "call [`get`](Self::get)".
    pub fn try_get_with<R>(&self, chain: &str, f: impl FnOnce(&str, i64) -> R) -> Option<R> {
        // The map's read guard is held through the (non-blocking) token copy.
        let chains = self.inner.chains.try_read().ok()?;
        let held = chains.get(chain)?;
        self.inner.touch(held);
        held.rotator.try_get_with(f)
    }

    /// The rotator of chain `chain` (created on first use).
    pub fn rotator(&self, chain: &str) -> Result<Arc<Rotator>> {
        self.inner.rotator(chain)
    }

    /// Saves the chains of a new installation — each `(name, pair)`, replacing
    /// what the store held under that name (a reinstall) — durably, before
    /// returning. On failure some may be saved and the error says which is not.
    pub fn install_chains(&self, chains: &[(String, StoredPair)]) -> Result<()> {
        for (name, pair) in chains {
            self.inner.save_new(name, pair)?;
        }
        Ok(())
    }

    /// Saves every chain of an OAuth install ([`Install::chains`]: the bot
    /// token's, the installing user's) durably, replacing what the store held
    /// under those names (a reinstall), and returns their names. Use the tokens
    /// only after this returned: until then a crash loses them.
    pub fn install(&self, install: &Install) -> Result<Vec<String>> {
        let chains = install.chains()?;
        self.install_chains(&chains)?;
        Ok(chains.into_iter().map(|(name, _)| name).collect())
    }

    /// Completes an OAuth install: trades `code` (with the `redirect_uri` the
    /// authorization began with, if it named one) for the installation's tokens
    /// with `oauth.v2.access`, as the pool's app, and saves its chains as
    /// [`install`](Self::install) does. A pool made without the app's client id
    /// and secret is `InvalidArgument`.
    ///
    /// The code is spent once Slack answered. If saving then fails, the error
    /// carries the answer's raw JSON in `response_json` — it holds the new
    /// tokens: a secret — and [`install_json`](Self::install_json) with it saves
    /// the chains later; nothing else can recover them.
    pub fn install_code(&self, code: &str, redirect_uri: Option<&str>) -> Result<Install> {
        let app = self.inner.app.as_ref().ok_or_else(|| {
            Error::new(
                Status::InvalidArgument,
                "installing needs the app's client id and secret: this pool was made without them",
            )
        })?;
        let install = self.inner.client.oauth_v2_access(
            &app.client_id,
            app.client_secret.expose(),
            code,
            redirect_uri,
            self.inner.options.rotator.call_timeout,
        )?;
        match self.install(&install) {
            Ok(_) => Ok(install),
            Err(err) => Err(with_install_body(err, &install)),
        }
    }

    /// Saves the chains of an install from its raw `oauth.v2.access` answer — the
    /// `response_json` of a failed [`install_code`](Self::install_code), or
    /// [`Install::raw_json`] kept by the caller — and returns the install saved
    /// (its [`Install::bot_chain`] and [`Install::user_chain`] name the chains).
    ///
    /// When the answer arrived is not known, so the access tokens are taken as
    /// expired: the first `get` of each chain rotates it (its refresh token is
    /// still unspent), and an old body can never yield a token past its expiry.
    pub fn install_json(&self, raw: &str) -> Result<Install> {
        let install = Install::from_json(raw.as_bytes(), unix_now())?;
        let mut chains = install.chains()?;
        for (_, pair) in &mut chains {
            pair.expires_at = 0;
        }
        self.install_chains(&chains)?;
        Ok(install)
    }

    /// Deletes chain `chain` from the store (its secrets with it) and forgets its
    /// rotator. Returns whether the store held it.
    pub fn remove(&self, chain: &str) -> Result<bool> {
        check_chain_name(chain)?;
        self.inner.forget(chain);
        let removed = self.inner.store.open_chain(chain)?.remove_chain()?;
        self.inner.forget(chain);
        if removed {
            xlog!(Info, "{}: removed chain {chain}", self.inner.store.describe());
        }
        Ok(removed)
    }

    /// Uninstalls chain `chain`: revokes its token at Slack (`auth.revoke`), then
    /// removes it. A chain already revoked is just removed; if the revocation
    /// fails otherwise, nothing is removed and the error says why.
    pub fn uninstall(&self, chain: &str) -> Result<bool> {
        match self.get(chain) {
            Ok(token) => match self.inner.client.auth_revoke(token.token.expose(), false, None) {
                Ok(_) => {}
                Err(e) if is_revocation(e.status) => {}
                Err(e) => return Err(e),
            },
            Err(e) if e.status == Status::ChainRevoked => {}
            Err(e) if e.status == Status::StoreEmpty => return Ok(false),
            Err(e) => return Err(e),
        }
        self.remove(chain)
    }

    /// Marks chain `chain` revoked because an API call with its token got
    /// `slack_code` (`token_revoked`, `account_inactive`, `invalid_auth`), and
    /// forgets it: every holder then gets `ChainRevoked` without calling Slack.
    pub fn mark_revoked(&self, chain: &str, slack_code: &str) -> Result<()> {
        let rotator = self.inner.rotator(chain)?;
        let marked = rotator.mark_revoked(slack_code);
        self.inner.forget(chain);
        marked
    }

    /// Every chain in the store, with its state (no secret).
    pub fn chains(&self) -> Result<Vec<ChainStatus>> {
        chain_statuses(&*self.inner.store)
    }

    /// Counters of this pool.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            chains_in_memory: self.inner.chains.read().unwrap_or_else(|e| e.into_inner()).len(),
            background_rotations: self.inner.background_rotations.load(Ordering::Relaxed),
            background_failures: self.inner.background_failures.load(Ordering::Relaxed),
        }
    }

    /// The store the pool keeps its chains in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The client the pool rotates with.
    pub fn client(&self) -> &Arc<Client> {
        &self.inner.client
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        *self.inner.stopping.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.inner.wake.notify_all();
        let handle = self.refresher.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Inner {
    fn rotator(&self, chain: &str) -> Result<Arc<Rotator>> {
        if let Some(held) = self.chains.read().unwrap_or_else(|e| e.into_inner()).get(chain) {
            self.touch(held);
            return Ok(Arc::clone(&held.rotator));
        }
        check_chain_name(chain)?;
        let store = self.store.open_chain(chain)?;
        let pair = store.load()?.ok_or_else(|| no_such_chain(&*store, chain))?;
        let renewal = match pair.kind {
            ChainKind::Config => Renewal::Config,
            ChainKind::Oauth => Renewal::Oauth(self.app.clone().ok_or_else(|| {
                Error::new(
                    Status::InvalidArgument,
                    format!("chain {chain} is an OAuth chain: the pool needs the app's client id and secret"),
                )
            })?),
        };
        let rotator = Arc::new(Rotator::new(
            Arc::clone(&self.client),
            store,
            renewal,
            self.options.rotator.clone(),
        )?);
        rotator.prime(pair);
        let mut chains = self.chains.write().unwrap_or_else(|e| e.into_inner());
        let held = chains.entry(chain.to_string()).or_insert_with(|| Held {
            rotator,
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed) + 1),
        });
        self.touch(held); // another thread's, if it loaded the chain meanwhile
        let rotator = Arc::clone(&held.rotator);
        if chains.len() > self.options.max_chains_in_memory {
            evict_least_recently_used(&mut chains, self.options.max_chains_in_memory, chain);
        }
        Ok(rotator)
    }

    /// Marks `held` as the most recently used: the next stamp of the use
    /// counter, unless it holds the latest already (then nothing is written, so
    /// a chain got over and over, on any number of threads, costs no shared write).
    fn touch(&self, held: &Held) {
        if held.last_used.load(Ordering::Relaxed) != self.clock.load(Ordering::Relaxed) {
            held.last_used
                .store(self.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    fn forget(&self, chain: &str) {
        self.chains.write().unwrap_or_else(|e| e.into_inner()).remove(chain);
    }

    /// Forgets a chain that turned out revoked or gone.
    fn forget_on_end<T>(&self, chain: &str, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            if matches!(e.status, Status::ChainRevoked | Status::StoreEmpty) {
                self.forget(chain);
            }
        }
        result
    }

    /// Saves `pair` as chain `name`, over whatever it held (compare-and-swap on
    /// what was read, so a concurrent rotation of an old installation is not
    /// silently lost to a half-write: the save is retried on the new state).
    fn save_new(&self, name: &str, pair: &StoredPair) -> Result<()> {
        check_chain_name(name)?;
        crate::methods::check_credential("refresh_token", pair.refresh_token.expose())?;
        let store = self.store.open_chain(name)?;
        for _ in 0..5 {
            let expected = store.load()?.map(|p| p.generation);
            let new = StoredPair {
                generation: expected.map_or(0, |g| g.saturating_add(1)),
                ..pair.clone()
            };
            if let Saved::Stored = store.compare_and_swap(expected, &new)? {
                self.forget(name);
                xlog!(Info, "{}: saved a new installation's chain", store.describe());
                return Ok(());
            }
        }
        Err(Error::new(
            Status::StoreConflict,
            format!("{} kept changing while an installation was saved", store.describe()),
        ))
    }
}

/// Drops the least recently used rotators (a tenth of the bound at once, so the
/// scan is paid rarely), never `keep`.
fn evict_least_recently_used(chains: &mut HashMap<String, Held>, bound: usize, keep: &str) {
    let target = bound - bound / 10;
    let excess = chains.len().saturating_sub(target);
    if excess == 0 {
        return;
    }
    let mut stamps: Vec<(u64, &String)> = chains
        .iter()
        .filter(|(name, _)| name.as_str() != keep)
        .map(|(name, held)| (held.last_used.load(Ordering::Relaxed), name))
        .collect();
    let excess = excess.min(stamps.len());
    if excess == 0 {
        return;
    }
    stamps.select_nth_unstable(excess - 1);
    let oldest: Vec<String> = stamps[..excess].iter().map(|(_, name)| (*name).clone()).collect();
    for name in oldest {
        chains.remove(&name);
    }
}

/// Shortest and longest sleep of the refresher between looks.
const REFRESH_POLL: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(1));

/// How long a rewrite of one chain may hold its lease (and the margin after).
const REWRITE_LEASE: Duration = Duration::from_secs(30);

/// The background refresher: rotates the chains in memory whose time has come
/// (each rotator's time already carries its jitter), until the pool is dropped.
fn refresh_in_background(pool: Weak<Inner>) {
    loop {
        let Some(inner) = pool.upgrade() else { return };
        let now = unix_now();
        let due: Vec<(String, Arc<Rotator>)> = inner
            .chains
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, held)| held.rotator.next_rotation().is_some_and(|at| at <= now))
            .map(|(name, held)| (name.clone(), Arc::clone(&held.rotator)))
            .collect();
        for (name, rotator) in due {
            if *inner.stopping.lock().unwrap_or_else(|e| e.into_inner()) {
                return;
            }
            let before = rotator.generation();
            match rotator.get() {
                Ok(_) if rotator.generation() != before => {
                    inner.background_rotations.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => {
                    inner.background_failures.fetch_add(1, Ordering::Relaxed);
                    xlog!(Warn, "background refresh of chain {name} failed: {}", e.message);
                    if matches!(e.status, Status::ChainRevoked | Status::StoreEmpty | Status::ChainDead) {
                        inner.forget(&name);
                    }
                }
            }
        }
        let next = inner
            .chains
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|held| held.rotator.next_rotation())
            .min();
        let pause = next.map_or(REFRESH_POLL.1, |at| {
            Duration::from_secs(u64::try_from(at.saturating_sub(unix_now())).unwrap_or(0))
        });
        let pause = pause.clamp(REFRESH_POLL.0, REFRESH_POLL.1);
        let stopping = inner.stopping.lock().unwrap_or_else(|e| e.into_inner());
        if *stopping {
            return;
        }
        let (stopping, _) = inner
            .wake
            .wait_timeout(stopping, pause)
            .unwrap_or_else(|e| e.into_inner());
        if *stopping {
            return;
        }
    }
}

/// Rewrites every chain kept where `store` is through `store` — sealed under its
/// keyring's first key when `store` is a sealed handle, plain otherwise — with the
/// pairs parked beside each chain. Each chain is rewritten holding its lease and
/// keeps its generation, so a rotation running meanwhile is waited for, never
/// undone, and recovery still finds a parked pair where it looks. Returns how many
/// chains were rewritten; a chain that cannot be read (e.g. sealed under a key not
/// given) stops the run with its error, leaving it as it was.
pub fn rewrite_chains(store: &dyn Store) -> Result<usize> {
    let terms = LeaseTerms {
        call: REWRITE_LEASE,
        wait: RotatorOptions::default().wait_timeout,
        margin: REWRITE_LEASE,
    };
    let mut rewritten = 0;
    for name in store.list_chains()? {
        let saved = with_chain(store, &name, |chain| {
            let acquired = chain.acquire_and_load(&terms)?;
            let saved = match acquired.pair {
                Some(pair) => matches!(chain.rewrite(&pair)?, Saved::Stored),
                None => false,
            };
            drop(acquired.lease);
            Ok(saved)
        })?;
        rewritten += usize::from(saved);
    }
    Ok(rewritten)
}
