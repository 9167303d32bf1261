//! Keeps one token chain fresh: rotates before expiry, one rotation at a time,
//! and stores the new pair durably before anyone may use it.
//!
//! The fast path (a fresh token in memory) takes a read lock and reads the clock.
//! The slow path is single-flight: one thread rotates while the others wait for
//! its result. Across processes and machines the store's lease serialises
//! rotations, and the store is re-read after taking it — another holder may
//! already have rotated. Safety does not rest on the lease: every save is a
//! compare-and-swap on the generation, a pair whose save lost is parked as an
//! orphan (never written over the winner), a holder's in-flight marker is waited
//! out, and orphans are tried before a chain is declared dead.

use crate::client::Client;
pub(crate) use crate::clock::unix_now;
use crate::clock::ClockSeam;
use crate::error::{Error, Result};
use crate::log::xlog;
use crate::secret::Secret;
use crate::status::Status;
use crate::store::{ChainKind, InFlight, Lease, LeaseTerms, Reservation, Saved, Store, StoredPair};
use arc_swap::ArcSwapOption;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How a [`Rotator`] decides when to rotate.
#[derive(Clone, Debug)]
pub struct RotatorOptions {
    /// Rotate when the token expires within this window (default 2 h). For tokens
    /// whose whole lifetime is shorter than twice the window, half the lifetime is
    /// used instead, so short-lived tokens are not rotated on every call.
    pub refresh_window: Duration,
    /// Up to this much extra, chosen at random per token, is added to the window so
    /// a fleet sharing a schedule does not rotate in step (default 5 min; capped
    /// at a quarter of the effective window).
    pub jitter: Duration,
    /// Longest wait for another thread's or process's rotation (default 120 s).
    pub wait_timeout: Duration,
    /// Timeout for the rotation call itself (default: the client's).
    pub call_timeout: Option<Duration>,
    /// How much longer than the call's whole deadline a fleet store's lease lasts
    /// (default 30 s); a rotation is sent only while the call's deadline plus a
    /// sixth of this remains of the lease, on the store's clock.
    pub lease_margin: Duration,
}

impl Default for RotatorOptions {
    fn default() -> RotatorOptions {
        RotatorOptions {
            refresh_window: Duration::from_secs(2 * 3600),
            jitter: Duration::from_secs(300),
            wait_timeout: Duration::from_secs(120),
            call_timeout: None,
            lease_margin: Duration::from_secs(30),
        }
    }
}

/// Credentials for a bot/user chain (`oauth.v2.access` refresh grant).
#[derive(Clone, Debug)]
pub struct AppCredentials {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: Secret,
}

/// How a chain is renewed: the chain kind, with the app credentials an OAuth chain
/// needs (so an OAuth chain without them cannot be expressed).
#[derive(Clone, Debug)]
pub enum Renewal {
    /// `tooling.tokens.rotate` (app configuration tokens).
    Config,
    /// `oauth.v2.access` with `grant_type=refresh_token`, as this app (shared by
    /// every chain of a pool).
    Oauth(Arc<AppCredentials>),
}

impl Renewal {
    /// The chain kind this renews.
    pub fn kind(&self) -> ChainKind {
        match self {
            Renewal::Config => ChainKind::Config,
            Renewal::Oauth(_) => ChainKind::Oauth,
        }
    }
}

/// A valid access token, as handed out by [`Rotator::get`].
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The access token.
    pub token: Secret,
    /// When it expires, Unix seconds on this machine's clock (0: unknown).
    pub expires_at: i64,
    /// Workspace id, when known.
    pub team_id: Option<String>,
    /// User id, when known.
    pub user_id: Option<String>,
}

/// The pair in memory, with the moment to rotate it.
struct Cached {
    pair: StoredPair,
    token: AccessToken,
    rotate_at: i64,
}

impl Cached {
    /// Whether the token may be handed out at `now` without rotating.
    fn is_fresh(&self, now: i64) -> bool {
        now < self.rotate_at
    }
}

/// Keeps one chain fresh. `Send + Sync`: share it among threads.
pub struct Rotator {
    client: Arc<Client>,
    store: Arc<dyn Store>,
    renewal: Renewal,
    options: RotatorOptions,
    /// Read without a lock: a get on many threads writes no shared cache line.
    cache: ArcSwapOption<Cached>,
    /// A rotated pair whose save failed: the only valid one at Slack, kept here
    /// (never handed out) until a save succeeds. Boxed: it is almost always empty,
    /// and a pool holds a rotator per chain.
    unsaved: Mutex<Option<Box<StoredPair>>>,
    /// Mirrors `unsaved.is_some()` for the lock-free fast path.
    has_unsaved: AtomicBool,
    /// Rotated pairs whose save lost and that the store had no orphan slot for
    /// (`(from_generation, pair)`): tried, like the store's orphans, before the
    /// chain is declared dead.
    strays: Mutex<Vec<(u64, StoredPair)>>,
    /// Single-flight gate: `true` while a thread is in the slow path.
    busy: Mutex<bool>,
    idle: Condvar,
    /// The time, sleep and jitter this rotator reads: the system's, unless a
    /// simulation replaced them (nothing at all without the `simulation` feature).
    clock: ClockSeam,
    /// A simulation's Slack, in place of `client`'s calls.
    #[cfg(feature = "simulation")]
    renewer: Option<Arc<dyn Renewer>>,
}

impl std::fmt::Debug for Rotator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotator")
            .field("kind", &self.renewal.kind())
            .field("store", &self.store.describe())
            .finish()
    }
}

/// Slack's answers meaning the token was revoked (uninstalled, deactivated).
pub fn is_revocation(status: Status) -> bool {
    matches!(
        status,
        Status::TokenRevoked | Status::AccountInactive | Status::InvalidAuth
    )
}

/// How long a caller may hand out a token [`Rotator::get_reusable_with`] lent it
/// without asking again, at most. The deadline is never past the token's
/// rotation, and the bindings drop a kept token on every change they make
/// (a forced rotation, a revocation, a failed call, closing); the horizon bounds
/// how late a change made through another handle to the same rotator or pool
/// (C code beside a binding, a second binding object) is noticed. 30 s keeps a
/// pool of 100 000 chains answering from the binding's memory while costing a
/// call into the library per chain only twice a minute.
pub const REUSE_HORIZON_MS: i64 = 30_000;

/// How far from a token's rotation the coarse clock may decide it is fresh;
/// nearer, the precise clock decides (far more than a tick's lag, so the coarse
/// clock never hands out a token at or after its rotation).
const COARSE_CLOCK_SLACK_MS: i64 = 1_000;

/// The time to check a token due at `rotate_at` (Unix seconds) against: the
/// coarse clock's `coarse_ms` when the rotation is far, else `precise()`.
fn now_for_fresh_check(rotate_at: i64, coarse_ms: i64, precise: impl FnOnce() -> i64) -> i64 {
    if rotate_at.saturating_mul(1000).saturating_sub(coarse_ms) > COARSE_CLOCK_SLACK_MS {
        coarse_ms
    } else {
        precise()
    }
}

/// Who left an in-flight marker, for messages.
fn holder_name(marker: &InFlight) -> String {
    crate::log::printable(marker.holder.as_deref().unwrap_or("another holder"))
}

impl Rotator {
    /// A rotator for a config-token chain (`tooling.tokens.rotate`).
    pub fn config(client: Arc<Client>, store: Arc<dyn Store>, options: RotatorOptions) -> Rotator {
        Rotator::build(client, store, Renewal::Config, options)
    }

    /// A rotator for a bot/user chain (`oauth.v2.access` refresh grant). Fails with
    /// `InvalidArgument` when the client id or secret could not be sent.
    pub fn oauth(
        client: Arc<Client>,
        store: Arc<dyn Store>,
        app: AppCredentials,
        options: RotatorOptions,
    ) -> Result<Rotator> {
        Rotator::new(client, store, Renewal::Oauth(Arc::new(app)), options)
    }

    /// A rotator renewing its chain as `renewal` says, after checking the app
    /// credentials an OAuth chain carries.
    pub fn new(
        client: Arc<Client>,
        store: Arc<dyn Store>,
        renewal: Renewal,
        options: RotatorOptions,
    ) -> Result<Rotator> {
        if let Renewal::Oauth(app) = &renewal {
            crate::methods::check_credential("client_id", &app.client_id)?;
            crate::methods::check_credential("client_secret", app.client_secret.expose())?;
        }
        Ok(Rotator::build(client, store, renewal, options))
    }

    fn build(client: Arc<Client>, store: Arc<dyn Store>, renewal: Renewal, options: RotatorOptions) -> Rotator {
        Rotator {
            client,
            store,
            renewal,
            options,
            cache: ArcSwapOption::empty(),
            unsaved: Mutex::new(None),
            has_unsaved: AtomicBool::new(false),
            strays: Mutex::new(Vec::new()),
            busy: Mutex::new(false),
            idle: Condvar::new(),
            clock: ClockSeam::default(),
            #[cfg(feature = "simulation")]
            renewer: None,
        }
    }

    /// Where this rotator's rotation requests go: the client, or a simulation's Slack.
    fn renewer(&self) -> &dyn Renewer {
        #[cfg(feature = "simulation")]
        if let Some(renewer) = &self.renewer {
            return renewer.as_ref();
        }
        self.client.as_ref()
    }

    /// A valid access token, rotating first when it expires within the window.
    ///
    /// If a rotation succeeded but its save failed, every call retries the save
    /// first and fails until it succeeds (the new pair is never handed out unsaved);
    /// [`current`](Self::current) still gives the previous, still valid, token.
    pub fn get(&self) -> Result<AccessToken> {
        if let Some(token) = self.fresh_cached(self.clock.unix_now()) {
            return Ok(token);
        }
        self.slow_path(false)
    }

    /// Like [`get`](Self::get), lending the token to `f` instead of copying it: the
    /// fresh-token path then allocates nothing (the C ABI's hot path).
    pub fn get_with<R>(&self, f: impl FnOnce(&str, i64) -> R) -> Result<R> {
        match self.lend_fresh(|token, expires_at, _| f(token, expires_at)) {
            Ok(r) => Ok(r),
            Err(f) => {
                let token = self.slow_path(false)?;
                Ok(f(token.token.expose(), token.expires_at, 0))
            }
        }
    }

    /// Like [`get_with`](Self::get_with), also telling `f` until when the caller
    /// may hand the same token out again without asking this rotator: Unix
    /// milliseconds on this machine's clock, the earlier of the moment the token
    /// is due for rotation and [`REUSE_HORIZON_MS`] from now; 0 when it must ask
    /// every time (the token came from a rotation or the store just now, or a
    /// rotated pair awaits its save). The decision stays here: a binding that
    /// keeps the token only compares its clock with the deadline.
    pub fn get_reusable_with<R>(&self, f: impl FnOnce(&str, i64, i64) -> R) -> Result<R> {
        match self.lend_fresh(f) {
            Ok(r) => Ok(r),
            Err(f) => {
                let token = self.slow_path(false)?;
                Ok(f(token.token.expose(), token.expires_at, 0))
            }
        }
    }

    /// The token, lent to `f`, only if it can be had without blocking: fresh in
    /// memory (reading it never waits). `None` means "call
    /// [`get`](Self::get)" (from a thread that may block): nothing is read from
    /// the store, no lock is waited for, nothing rotates. For event loops, which
    /// must not block, and bindings that want to skip a thread hop.
    pub fn try_get_with<R>(&self, f: impl FnOnce(&str, i64) -> R) -> Option<R> {
        self.lend_fresh(|token, expires_at, _| f(token, expires_at)).ok()
    }

    /// [`get_reusable_with`](Self::get_reusable_with)'s fresh-token half, which
    /// never blocks: `None` means "call `get_reusable_with`".
    pub fn try_get_reusable_with<R>(&self, f: impl FnOnce(&str, i64, i64) -> R) -> Option<R> {
        self.lend_fresh(f).ok()
    }

    /// Lends a fresh token in memory to `f` (token, expiry, reuse deadline), or
    /// gives `f` back: every get's first step, with no lock, and no precise clock
    /// read unless the rotation is near.
    fn lend_fresh<R, F: FnOnce(&str, i64, i64) -> R>(&self, f: F) -> std::result::Result<R, F> {
        let cache = self.cache.load();
        let rotate_at = cache.as_deref().map_or(i64::MIN, |c| c.rotate_at);
        let now_ms = now_for_fresh_check(rotate_at, self.clock.coarse_unix_now_ms(), || self.clock.unix_now_ms());
        let Some(c) = self.fresh(cache.as_deref(), now_ms.div_euclid(1000)) else {
            return Err(f);
        };
        let until = c
            .rotate_at
            .saturating_mul(1000)
            .min(now_ms.saturating_add(REUSE_HORIZON_MS));
        Ok(f(c.token.token.expose(), c.token.expires_at, until))
    }

    /// The chain kind this rotator renews.
    pub fn kind(&self) -> ChainKind {
        self.renewal.kind()
    }

    /// Rotates now, whatever the expiry (unless another rotation finished while
    /// this call waited for it: then that one's token is returned).
    pub fn force_rotate(&self) -> Result<AccessToken> {
        self.slow_path(true)
    }

    /// The current token without any network call (read from the store if this
    /// rotator has none in memory); it may be expired — check `expires_at`.
    pub fn current(&self) -> Result<AccessToken> {
        if let Some(c) = self.cache.load().as_deref() {
            return Ok(c.token.clone());
        }
        let pair = self.load_pair()?;
        Ok(self.adopt(pair))
    }

    /// When this rotator will next rotate (Unix seconds; the expiry minus the
    /// window and jitter), or `None` before it has read its chain.
    pub fn next_rotation(&self) -> Option<i64> {
        self.cache.load().as_deref().map(|c| c.rotate_at)
    }

    /// The generation of the pair in memory, if any.
    pub(crate) fn generation(&self) -> Option<u64> {
        self.cached_generation()
    }

    /// Starts from `pair`, just read from the store (saves the first read).
    pub(crate) fn prime(&self, pair: StoredPair) {
        if pair.revoked.is_none() && pair.kind == self.kind() {
            self.adopt(pair);
        }
    }

    /// The store this rotator keeps its chain in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The cached pair, if its token may be handed out at `now`: fresh, and no
    /// rotated pair waiting to be saved (the slow path must retry saving first).
    fn fresh<'a>(&self, cache: Option<&'a Cached>, now: i64) -> Option<&'a Cached> {
        if self.has_unsaved.load(Ordering::Acquire) {
            return None;
        }
        cache.filter(|c| c.is_fresh(now))
    }

    fn fresh_cached(&self, now: i64) -> Option<AccessToken> {
        let cache = self.cache.load();
        self.fresh(cache.as_deref(), now).map(|c| c.token.clone())
    }

    fn cached_generation(&self) -> Option<u64> {
        self.cache.load().as_deref().map(|c| c.pair.generation)
    }

    /// Makes `pair` the one in memory; returns its token.
    fn adopt(&self, pair: StoredPair) -> AccessToken {
        let token = AccessToken {
            token: pair.access_token.clone(),
            expires_at: pair.expires_at,
            team_id: pair.team_id.clone(),
            user_id: pair.user_id.clone(),
        };
        let rotate_at = self.rotate_at(&pair);
        self.cache.store(Some(Arc::new(Cached {
            pair,
            token: token.clone(),
            rotate_at,
        })));
        token
    }

    /// When to rotate `pair`: its expiry minus the window and a random jitter.
    fn rotate_at(&self, pair: &StoredPair) -> i64 {
        if pair.expires_at <= 0 || pair.access_token.expose().is_empty() {
            return i64::MIN; // never rotated yet: rotate before first use
        }
        let lifetime = pair.lifetime.max(0);
        let mut window = self.options.refresh_window.as_secs() as i64;
        if lifetime > 0 && lifetime < 2 * window {
            window = (lifetime + 1) / 2; // rounded up: more margin for short tokens
        }
        let jitter_cap = (self.options.jitter.as_secs() as i64).min(window / 4);
        let jitter = if jitter_cap > 0 {
            (self.clock.random_u64() % (jitter_cap as u64 + 1)) as i64
        } else {
            0
        };
        pair.expires_at - window - jitter
    }

    fn load_pair(&self) -> Result<StoredPair> {
        self.check_pair(self.store.load()?)
    }

    /// The pair a store read, checked: present, not revoked, of this chain's kind.
    fn check_pair(&self, pair: Option<StoredPair>) -> Result<StoredPair> {
        let pair = pair.ok_or_else(|| {
            Error::new(
                Status::StoreEmpty,
                format!(
                    "{} holds no token pair: initialise it with a refresh token",
                    self.store.describe()
                ),
            )
        })?;
        if pair.generation == u64::MAX {
            return Err(Error::new(
                Status::StoreCorrupt,
                format!("{}: the generation counter is exhausted", self.store.describe()),
            ));
        }
        if let Some(code) = &pair.revoked {
            return Err(self.revoked_error(code, None));
        }
        if pair.kind != self.kind() {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "{} holds a {:?} chain, not a {:?} chain",
                    self.store.describe(),
                    pair.kind,
                    self.kind()
                ),
            ));
        }
        Ok(pair)
    }

    /// Waits for the single-flight gate; `Ok(true)` if another thread held it
    /// meanwhile (its result may make a rotation unnecessary).
    fn enter(&self) -> Result<bool> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let mut waited = false;
        let deadline = self.clock.deadline_after(self.options.wait_timeout);
        while *busy {
            waited = true;
            let left = deadline.saturating_duration_since(self.clock.monotonic());
            if left.is_zero() {
                return Err(Error::new(
                    Status::LockTimeout,
                    "another thread's rotation did not finish in time",
                ));
            }
            busy = self.idle.wait_timeout(busy, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        *busy = true;
        Ok(waited)
    }

    fn leave(&self) {
        *self.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.idle.notify_all();
    }

    fn slow_path(&self, force: bool) -> Result<AccessToken> {
        let seen = self.cached_generation();
        let waited = self.enter()?;
        // Leaves the gate even if what follows panics, so one panic (caught at
        // the C boundary) cannot wedge the rotator.
        struct Leave<'a>(&'a Rotator);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.leave();
            }
        }
        let _leave = Leave(self);
        (|| {
            if waited {
                // Another thread just finished the slow path: use its result.
                if let Some(token) = self
                    .fresh_cached(self.clock.unix_now())
                    .filter(|_| !force || self.cached_generation() != seen)
                {
                    return Ok(token);
                }
            }
            self.rotate_under_lease(force, seen)
        })()
    }

    /// What this rotator asks of a store's lease.
    fn terms(&self) -> LeaseTerms {
        LeaseTerms {
            call: self.options.call_timeout.unwrap_or(self.client.options().timeout),
            wait: self.options.wait_timeout,
            margin: self.options.lease_margin,
        }
    }

    fn rotate_under_lease(&self, force: bool, seen: Option<u64>) -> Result<AccessToken> {
        if let Some(pending) = self.take_unsaved() {
            // A previous rotation succeeded at Slack but its save failed: save it
            // first (compare-and-swap needs no lease).
            return self.save_pending(pending);
        }
        let terms = self.terms();
        // Re-read under the lease (one round trip where the store can): another
        // process may have rotated while we waited for it.
        let acquired = self.store.acquire_and_load(&terms)?;
        let mut lease = acquired.lease;
        let mut stored = self.check_pair(acquired.pair)?;
        let someone_rotated = seen.is_some_and(|g| stored.generation != g);
        let token = self.adopt(stored.clone());
        if (!force || someone_rotated) && self.fresh_cached(self.clock.unix_now()).is_some() {
            if someone_rotated {
                xlog!(
                    Info,
                    "{} holds a newer pair (generation {}): using it",
                    self.store.describe(),
                    stored.generation
                );
            }
            return Ok(token);
        }
        let marker = match acquired.in_flight {
            Some(marker) => marker,
            None => self.store.in_flight()?,
        };
        let abandoned = marker.filter(|m| m.generation == stored.generation);
        if let Some(marker) = &abandoned {
            // A holder that paused or died mid-rotation may have spent this refresh
            // token: wait out its deadline, then use what it saved or left aside.
            if !marker.left.is_zero() {
                xlog!(
                    Warn,
                    "{}: {} started rotating generation {} and has not saved; waiting {} ms for its deadline",
                    self.store.describe(),
                    holder_name(marker),
                    marker.generation,
                    marker.left.as_millis()
                );
                self.clock.sleep(marker.left);
                lease.renew()?;
                stored = self.load_pair()?;
                if stored.generation != marker.generation {
                    xlog!(
                        Info,
                        "{} saved generation {} meanwhile: using it",
                        holder_name(marker),
                        stored.generation
                    );
                    return Ok(self.adopt(stored));
                }
            }
            xlog!(
                Warn,
                "{}: the rotation {} started at {} never saved; rotating generation {} anyway",
                self.store.describe(),
                holder_name(marker),
                crate::utc::utc(marker.since),
                stored.generation
            );
        }
        xlog!(
            Info,
            "rotating the {:?} chain in {} (generation {})",
            self.kind(),
            self.store.describe(),
            stored.generation
        );
        self.rotate_from(&mut lease, &terms, &stored, abandoned.as_ref(), &mut Vec::new())
    }

    /// Spends `stored`'s refresh token and saves the result; `abandoned` is the
    /// marker of a rotation another holder started and never saved; `tried` lists
    /// the refresh tokens already rejected in this attempt (orphans are tried once).
    fn rotate_from(
        &self,
        lease: &mut Lease,
        terms: &LeaseTerms,
        stored: &StoredPair,
        abandoned: Option<&InFlight>,
        tried: &mut Vec<crate::secret::Secret>,
    ) -> Result<AccessToken> {
        // Nothing is spent that could not be saved: the save is prepared first,
        // and the intent is recorded with enough of the lease left for the call.
        let mut reservation = self.store.reserve()?;
        // The marker tells the other holders that this request is over within
        // `terms.call` of being marked; after that, they may spend the token
        // themselves. So the call gets only what is left of that time: a holder
        // frozen between marking and sending (the simulation found it: seed 1)
        // must not send a refresh token another holder has spent meanwhile.
        let marking = self.clock.monotonic();
        self.store.renew_and_mark(lease, stored.generation, terms)?;
        xlog!(Debug, "spending refresh token {}", stored.refresh_token.redacted());
        let sent_at = self.clock.unix_now();
        let elapsed = self.clock.monotonic().saturating_duration_since(marking);
        let call_time = terms.call.saturating_sub(elapsed);
        if call_time.is_zero() {
            self.clear_in_flight(lease, stored.generation);
            return Err(Error::new(
                Status::LockTimeout,
                format!(
                    "{}: the rotation's deadline passed between marking it in flight and sending it \
                     ({} ms; was the process paused?): nothing was sent",
                    self.store.describe(),
                    elapsed.as_millis()
                ),
            ));
        }
        let next = match self.rotate_once(stored, call_time) {
            Ok(next) => next,
            Err(e) if e.status == Status::InvalidRefreshToken => {
                self.clear_in_flight(lease, stored.generation);
                tried.push(stored.refresh_token.clone());
                return self.after_rejection(lease, terms, stored, e, abandoned, tried);
            }
            Err(e) if is_revocation(e.status) => {
                self.clear_in_flight(lease, stored.generation);
                return Err(self.record_revocation(stored, e));
            }
            // OutcomeUnknown and everything else: keep the old pair, report, never retry.
            Err(e) => {
                if e.status != Status::OutcomeUnknown {
                    // Slack answered, or nothing left: the refresh token is unspent.
                    self.clear_in_flight(lease, stored.generation);
                }
                xlog!(
                    Warn,
                    "rotation failed ({}); {} keeps generation {}",
                    e.status,
                    self.store.describe(),
                    stored.generation
                );
                return Err(e);
            }
        };
        let pair = StoredPair {
            generation: stored.generation + 1,
            expires_at: sent_at.saturating_add(next.lifetime),
            rotated_at: sent_at,
            rotated_by: Some(crate::store::fleet::holder_id().to_string()),
            extra: stored.extra.clone(),
            ..next
        };
        match self.persist(&mut reservation, lease, stored.generation, &pair) {
            Ok(None) => {}
            Ok(Some(theirs)) => return self.adopt_fresh(theirs),
            Err(e) => {
                xlog!(
                    Error,
                    "rotated, but saving to {} failed ({}): this process holds the new pair in memory and \
                     saves it before its next token; if it exits first, only what the message above says survives",
                    self.store.describe(),
                    e.message
                );
                self.keep_unsaved(pair);
                return Err(e);
            }
        }
        xlog!(
            Info,
            "rotated: {} saved generation {}; the token lives {} s",
            self.store.describe(),
            pair.generation,
            pair.lifetime
        );
        xlog!(Debug, "saved access token {}", pair.access_token.redacted());
        Ok(self.adopt(pair))
    }

    fn clear_in_flight(&self, lease: &Lease, generation: u64) {
        if let Err(e) = self.store.clear_in_flight(lease, generation) {
            xlog!(Warn, "clearing the in-flight marker failed: {}", e.message);
        }
    }

    /// Saves a rotated pair whose earlier save failed, on top of the generation it
    /// was rotated from.
    fn save_pending(&self, pending: StoredPair) -> Result<AccessToken> {
        let base = pending.generation.saturating_sub(1);
        match self.persist(&mut Reservation::none(), &mut Lease::none(), base, &pending) {
            Ok(None) => {
                xlog!(
                    Info,
                    "saved the pending rotated pair: {} holds generation {}",
                    self.store.describe(),
                    pending.generation
                );
                Ok(self.adopt(pending))
            }
            Ok(Some(theirs)) => self.adopt_fresh(theirs),
            Err(e) => {
                self.keep_unsaved(pending);
                Err(e)
            }
        }
    }

    /// Makes the stored pair another holder saved the one in memory; its token, if
    /// it may be handed out.
    fn adopt_fresh(&self, theirs: StoredPair) -> Result<AccessToken> {
        let generation = theirs.generation;
        let token = self.adopt(theirs);
        if self.fresh_cached(self.clock.unix_now()).is_some() {
            return Ok(token);
        }
        Err(Error::new(
            Status::StoreConflict,
            format!(
                "{} holds generation {generation} from another holder, and it is already due for rotation",
                self.store.describe()
            ),
        ))
    }

    fn take_unsaved(&self) -> Option<StoredPair> {
        let pair = self.unsaved.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.has_unsaved.store(false, Ordering::Release);
        pair.map(|boxed| *boxed)
    }

    fn keep_unsaved(&self, pair: StoredPair) {
        *self.unsaved.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(pair));
        self.has_unsaved.store(true, Ordering::Release);
    }

    /// Saves a freshly rotated pair with compare-and-swap on `expected`, the
    /// generation it was rotated from. `Ok(None)`: saved. A lost swap never
    /// overwrites: the pair that won stays (a refresh token spent twice within
    /// Slack's grace period yields two pairs, and either may be the valid one), ours
    /// is parked as an orphan, and `Ok(Some(theirs))` is what the store holds.
    /// `lease` is given up by the first save (with it, where the store can), and
    /// is none afterwards.
    fn persist(
        &self,
        reservation: &mut Reservation,
        lease: &mut Lease,
        expected: u64,
        pair: &StoredPair,
    ) -> Result<Option<StoredPair>> {
        let held = std::mem::replace(lease, Lease::none());
        let mut current = match self.store.save_and_release(reservation, held, expected, pair)? {
            Saved::Stored => return Ok(None),
            Saved::Conflict(current) => current,
        };
        let unchanged = |c: &Option<StoredPair>| c.as_ref().is_some_and(|c| c.generation == expected);
        if unchanged(&current) {
            // A refusal that left the store as it was (a host store's spurious
            // conflict): nobody else saved, so try once more, then keep the pair
            // in memory (the caller does) and report.
            current = match self.store.save_reserved(reservation, Some(expected), pair)? {
                Saved::Stored => return Ok(None),
                Saved::Conflict(current) => current,
            };
            if unchanged(&current) {
                return Err(Error::new(
                    Status::StoreConflict,
                    format!(
                        "{} refused the save twice although it still holds generation {expected}",
                        self.store.describe()
                    ),
                ));
            }
        }
        if current.as_ref().is_some_and(|c| c.refresh_token == pair.refresh_token) {
            return Ok(None); // our own save, whose answer was lost before a retry
        }
        let parked = match self.store.park_orphan(expected, pair) {
            Ok(parked) => parked,
            Err(e) => {
                xlog!(Warn, "parking the pair whose save lost failed: {}", e.message);
                false
            }
        };
        if !parked {
            self.strays
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((expected, pair.clone()));
        }
        let Some(current) = current else {
            return Err(Error::new(
                Status::StoreConflict,
                format!(
                    "{} was emptied while a rotated pair was being saved",
                    self.store.describe()
                ),
            ));
        };
        xlog!(
            Warn,
            "{}: another holder saved generation {} first; this rotation's pair is kept aside as an orphan{} \
             and the stored pair is used",
            self.store.describe(),
            current.generation,
            if parked { " in the store" } else { " in this process" }
        );
        Ok(Some(current))
    }

    /// Pairs that may continue the chain when `latest` is rejected: successors a
    /// crashed save left, then siblings whose save lost (either of two pairs
    /// rotated from one refresh token may be the valid one), newest first.
    fn candidates(&self, latest: &StoredPair) -> Result<Vec<StoredPair>> {
        let mut found = self.store.orphans(latest.generation)?;
        if let Some(parent) = latest.generation.checked_sub(1) {
            found.extend(self.store.orphans(parent)?);
        }
        let strays = self.strays.lock().unwrap_or_else(|e| e.into_inner());
        for (from, pair) in strays.iter().rev() {
            if *from == latest.generation || Some(*from) == latest.generation.checked_sub(1) {
                found.push(pair.clone());
            }
        }
        Ok(found)
    }

    /// `invalid_refresh_token`: if the store now holds a newer pair (another process
    /// rotated), use it; else try the orphans; otherwise the chain is dead.
    fn after_rejection(
        &self,
        lease: &mut Lease,
        terms: &LeaseTerms,
        used: &StoredPair,
        rejection: Error,
        abandoned: Option<&InFlight>,
        tried: &mut Vec<crate::secret::Secret>,
    ) -> Result<AccessToken> {
        let mut latest = self.load_pair()?;
        if !self.store.has_lease() {
            // Without a lock another writer may have rotated and not saved yet: give
            // it a bounded while before calling the chain dead.
            let deadline = self
                .clock
                .deadline_after(self.options.wait_timeout.min(Duration::from_secs(10)));
            let mut pause = Duration::from_millis(10);
            while latest.refresh_token == used.refresh_token && self.clock.monotonic() < deadline {
                self.clock.sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
                latest = self.load_pair()?;
            }
        }
        if latest.refresh_token != used.refresh_token && !tried.contains(&latest.refresh_token) {
            xlog!(
                Info,
                "refresh token rejected, but {} holds a newer pair (generation {}): using it",
                self.store.describe(),
                latest.generation
            );
            return Ok(self.adopt(latest));
        }
        for candidate in self.candidates(&latest)? {
            if candidate.kind != self.kind() || tried.contains(&candidate.refresh_token) {
                continue;
            }
            let candidate = StoredPair {
                generation: latest.generation + 1,
                ..candidate
            };
            match self.store.compare_and_swap(Some(latest.generation), &candidate)? {
                Saved::Stored => {}
                Saved::Conflict(Some(theirs)) => return self.adopt_fresh(theirs),
                Saved::Conflict(None) => break,
            }
            xlog!(
                Warn,
                "refresh token rejected, but a pair set aside beside {} (generation {}) may be the one Slack kept: \
                 trying it",
                self.store.describe(),
                candidate.generation
            );
            let token = self.adopt(candidate.clone());
            if self.fresh_cached(self.clock.unix_now()).is_some() {
                return Ok(token);
            }
            return self.rotate_from(lease, terms, &candidate, abandoned, tried);
        }
        if let Some(revocation) = self.revocation_of(&latest) {
            return Err(self.record_revocation(&latest, revocation));
        }
        self.chain_dead(&latest, rejection, abandoned)
    }

    /// Whether Slack says `pair`'s access token was revoked (an uninstall revokes
    /// it along with the refresh token): a rejected refresh token is then not a
    /// dead chain. Asked only while the access token has not expired.
    fn revocation_of(&self, pair: &StoredPair) -> Option<Error> {
        if pair.access_token.expose().is_empty() || pair.expires_at <= self.clock.unix_now() {
            return None;
        }
        // Not `invalid_auth` here: it also answers a token Slack never issued.
        match self
            .renewer()
            .auth_test(pair.access_token.expose(), self.options.call_timeout)
        {
            Err(e) if matches!(e.status, Status::TokenRevoked | Status::AccountInactive) => Some(e),
            _ => None,
        }
    }

    /// Marks the chain revoked in the store (so no holder retries it) and returns
    /// the `ChainRevoked` error for Slack's `reason`.
    fn record_revocation(&self, stored: &StoredPair, reason: Error) -> Error {
        let code = reason.status.name();
        if let Err(e) = self.save_revocation(stored, code) {
            xlog!(
                Warn,
                "{}: marking the chain revoked failed: {}",
                self.store.describe(),
                e.message
            );
        }
        self.revoked_error(code, Some(reason))
    }

    fn save_revocation(&self, stored: &StoredPair, code: &str) -> Result<()> {
        self.cache.store(None);
        let mut current = Some(stored.clone());
        for _ in 0..3 {
            let Some(pair) = current.filter(|p| p.revoked.is_none()) else {
                return Ok(()); // already marked, or removed
            };
            let marked = StoredPair {
                generation: pair.generation.saturating_add(1),
                revoked: Some(code.to_string()),
                ..pair.clone()
            };
            match self.store.compare_and_swap(Some(pair.generation), &marked)? {
                Saved::Stored => {
                    xlog!(
                        Error,
                        "{}: Slack reports the chain's token revoked ({code}); it is marked revoked and not retried",
                        self.store.describe()
                    );
                    return Ok(());
                }
                Saved::Conflict(now) => current = now,
            }
        }
        Err(Error::new(
            Status::StoreConflict,
            format!(
                "{} kept changing while the chain was being marked revoked",
                self.store.describe()
            ),
        ))
    }

    fn revoked_error(&self, code: &str, reason: Option<Error>) -> Error {
        let mut e = Error::new(
            Status::ChainRevoked,
            format!(
                "the chain in {} is revoked (Slack: {}): it is not retried; reinstall the app to go on",
                self.store.describe(),
                crate::log::printable(code)
            ),
        );
        match reason {
            Some(reason) => {
                e.cause = reason.status;
                e.slack_error = reason.slack_error;
                e.http_status = reason.http_status;
                e.warnings = reason.warnings;
            }
            None => e.cause = Status::from_slack_code(code),
        }
        e
    }

    /// Marks the chain revoked because Slack answered an API call made with its
    /// token with `slack_code` (`token_revoked`, `account_inactive` or
    /// `invalid_auth`); other codes are refused with `InvalidArgument`. Every
    /// rotator of the chain then fails with `ChainRevoked` without calling Slack.
    pub fn mark_revoked(&self, slack_code: &str) -> Result<()> {
        let status = Status::from_slack_code(slack_code);
        if !is_revocation(status) {
            return Err(Error::new(
                Status::InvalidArgument,
                "only token_revoked, account_inactive and invalid_auth mark a chain revoked",
            ));
        }
        match self.store.load()? {
            Some(pair) => self.save_revocation(&pair, status.name()),
            None => Ok(()),
        }
    }

    fn chain_dead(&self, latest: &StoredPair, rejection: Error, abandoned: Option<&InFlight>) -> Result<AccessToken> {
        let last = match (&latest.rotated_by, latest.rotated_at) {
            (Some(by), at) if at > 0 => {
                format!(
                    "; it was last rotated at {} by {}",
                    crate::utc::utc(at),
                    crate::log::printable(by)
                )
            }
            (None, at) if at > 0 => format!("; it was last rotated at {}", crate::utc::utc(at)),
            _ => String::new(),
        };
        let marker = abandoned.map_or(String::new(), |m| {
            format!(
                "; a rotation by {} started at {} never saved its result",
                holder_name(m),
                crate::utc::utc(m.since)
            )
        });
        xlog!(
            Error,
            "the chain in {} is dead: Slack rejected its refresh token (generation {}) and nothing newer is stored{last}{marker}",
            self.store.describe(),
            latest.generation
        );
        let mut dead = Error::new(
            Status::ChainDead,
            format!(
                "Slack rejected the refresh token in {} (invalid_refresh_token, generation {}) and the store holds \
                 nothing newer{last}{marker}: the chain is dead; issue a new token and initialise the store again",
                self.store.describe(),
                latest.generation
            ),
        );
        dead.cause = rejection.status;
        dead.slack_error = rejection.slack_error;
        dead.http_status = rejection.http_status;
        dead.warnings = rejection.warnings;
        Err(dead)
    }

    /// One rotation request for `pair`'s refresh token, over within `timeout`;
    /// the result's `expires_at` is left for the caller to set from the send time.
    fn rotate_once(&self, pair: &StoredPair, timeout: Duration) -> Result<StoredPair> {
        self.renewer()
            .renew(&self.renewal, pair.refresh_token.expose(), Some(timeout))
    }
}

#[cfg(feature = "simulation")]
impl Rotator {
    /// This rotator reading the time, sleeping and drawing its jitter from
    /// `clock`, and spending refresh tokens through `renewer`, instead of the
    /// system clock and its client (feature `simulation`: a deterministic
    /// simulation runs real rotators against a simulated world). The client
    /// still supplies the default call timeout.
    pub fn with_seams(mut self, clock: Arc<dyn crate::clock::Clock>, renewer: Arc<dyn Renewer>) -> Rotator {
        self.clock = ClockSeam::replaced_by(clock);
        self.renewer = Some(renewer);
        self
    }
}

#[cfg(feature = "simulation")]
pub use renewer::Renewer;
#[cfg(not(feature = "simulation"))]
use renewer::Renewer;

/// The rotator's one seam to Slack, public only with the `simulation` feature.
mod renewer {
    use super::Renewal;
    use crate::client::Client;
    use crate::error::Result;
    use crate::store::{ChainKind, StoredPair};
    use std::time::Duration;

    /// What a rotator asks of Slack: spend a refresh token for a new pair, and
    /// check an access token. The [`Client`] is the real one; a simulation puts
    /// its own Slack in its place (`Rotator::with_seams`).
    pub trait Renewer: Send + Sync {
        /// Spends `refresh_token` as `renewal` says (`tooling.tokens.rotate`, or
        /// the `oauth.v2.access` refresh grant) within `timeout` (`None`: the
        /// client's), and returns the new pair: its tokens, `lifetime`, team and
        /// user; generation 0 and no expiry (the rotator sets them). Fails with
        /// the client's statuses: `OutcomeUnknown` whenever Slack may have spent
        /// the token without an answer coming back, `Ratelimited`,
        /// `InvalidRefreshToken`, a revocation, a network error when nothing
        /// was sent.
        fn renew(&self, renewal: &Renewal, refresh_token: &str, timeout: Option<Duration>) -> Result<StoredPair>;

        /// Asks Slack about `access_token` (`auth.test`): `Ok` if it is valid,
        /// else Slack's refusal (`token_revoked`, `account_inactive`, …).
        fn auth_test(&self, access_token: &str, timeout: Option<Duration>) -> Result<()>;
    }

    impl Renewer for Client {
        fn renew(&self, renewal: &Renewal, refresh_token: &str, timeout: Option<Duration>) -> Result<StoredPair> {
            match renewal {
                Renewal::Config => {
                    let t = self.tooling_tokens_rotate(refresh_token, timeout)?;
                    Ok(StoredPair {
                        lifetime: t.lifetime(),
                        team_id: Some(t.team_id).filter(|s| !s.is_empty()),
                        user_id: Some(t.user_id).filter(|s| !s.is_empty()),
                        ..StoredPair::seed(ChainKind::Config, t.refresh_token, Some(t.token), 0)
                    })
                }
                Renewal::Oauth(app) => {
                    let t =
                        self.oauth_v2_refresh(&app.client_id, app.client_secret.expose(), refresh_token, timeout)?;
                    Ok(StoredPair {
                        lifetime: t.expires_in,
                        team_id: t.team_id,
                        user_id: t.user_id.or(t.bot_user_id),
                        ..StoredPair::seed(ChainKind::Oauth, t.refresh_token, Some(t.access_token), 0)
                    })
                }
            }
        }

        fn auth_test(&self, access_token: &str, timeout: Option<Duration>) -> Result<()> {
            Client::auth_test(self, access_token, timeout).map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn the_coarse_clock_decides_only_far_from_the_rotation() {
        let rotate_at = 1_800_000_000;
        let at_ms = rotate_at * 1000;
        // The precise clock says: due now.
        let precise = || at_ms;
        // A coarse clock a tick behind must not make the token fresh.
        assert_eq!(now_for_fresh_check(rotate_at, at_ms - 4, precise), at_ms);
        assert_eq!(
            now_for_fresh_check(rotate_at, at_ms - COARSE_CLOCK_SLACK_MS, precise),
            at_ms
        );
        // Far from it, no precise read.
        let far = at_ms - COARSE_CLOCK_SLACK_MS - 1;
        assert_eq!(
            now_for_fresh_check(rotate_at, far, || unreachable!("read the precise clock")),
            far
        );
        // Never rotated yet, or already past: the precise clock.
        assert_eq!(now_for_fresh_check(i64::MIN, far, precise), at_ms);
    }

    fn rotator(window_secs: u64) -> Rotator {
        let client = Client::new(crate::ClientOptions {
            base_url: "http://127.0.0.1:9/api/".into(),
            ..Default::default()
        })
        .unwrap();
        let options = RotatorOptions {
            refresh_window: Duration::from_secs(window_secs),
            jitter: Duration::ZERO,
            ..RotatorOptions::default()
        };
        Rotator::config(Arc::new(client), Arc::new(MemoryStore::new(None)), options)
    }

    fn pair(expires_at: i64, lifetime: i64) -> StoredPair {
        StoredPair {
            lifetime,
            ..StoredPair::seed(
                ChainKind::Config,
                Secret::new("xoxe-1-refresh"),
                Some(Secret::new("xoxe.xoxp-1-access")),
                expires_at,
            )
        }
    }

    #[test]
    fn short_lifetimes_rotate_at_half_their_life_rounded_up() {
        let r = rotator(3600);
        let expires_at = 1_000_000;
        // lifetime -> seconds before expiry that the rotation is due.
        for (lifetime, margin) in [
            (1, 1),
            (2, 1),
            (5, 3),
            (40, 20),
            (41, 21),
            (5000, 2500),
            (7199, 3600),
            (7201, 3600),
        ] {
            assert_eq!(
                expires_at - r.rotate_at(&pair(expires_at, lifetime)),
                margin,
                "a {lifetime} s token"
            );
        }
        // Unknown lifetime: the whole window.
        assert_eq!(expires_at - r.rotate_at(&pair(expires_at, 0)), 3600);
        // Never rotated: due before first use.
        assert_eq!(r.rotate_at(&pair(0, 41)), i64::MIN);
    }

    #[test]
    fn jitter_stays_within_a_quarter_of_the_window_and_varies() {
        let mut r = rotator(400);
        r.options.jitter = Duration::from_secs(1000);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let margin = 10_000 - r.rotate_at(&pair(10_000, 43_200));
            assert!((400..=500).contains(&margin), "{margin}");
            seen.insert(margin);
        }
        assert!(seen.len() > 10, "jitter spreads rotations: {seen:?}");
        // A window of 8 s: jitter of 0, 1 or 2 s, every one of them in 300 draws.
        let mut r = rotator(8);
        r.options.jitter = Duration::from_secs(1000);
        let margins: std::collections::BTreeSet<i64> =
            (0..300).map(|_| 10_000 - r.rotate_at(&pair(10_000, 0))).collect();
        assert_eq!(margins.into_iter().collect::<Vec<_>>(), [8, 9, 10]);
    }

    #[test]
    fn debug_output_names_the_kind_and_store() {
        let r = rotator(400);
        assert_eq!(format!("{r:?}"), "Rotator { kind: Config, store: \"memory store\" }");
    }
}
