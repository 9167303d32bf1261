//! The pool (many chains over one client and one store) in every store that keeps
//! many chains — memory, a private directory, PostgreSQL and Redis — against the
//! fake Slack: many chains rotated by many threads without a refresh token spent
//! twice, chains kept apart, reinstalls, removal without a trace, the LRU bound,
//! the background refresher, revoked chains, and what a pool refuses.

mod common;

use common::db::{databases, shared_dir, unique_chain};
use common::history::Recorder;
use common::server;
use fake_slack::{App, FakeSlack, Fault, FaultKind, TokenKind};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xoxe::store::fleet::DEFAULT_CHAIN;
use xoxe::store::{LeaseTerms, Reservation, Saved};
use xoxe::{
    chain_statuses, installation_chain, AccessToken, AppCredentials, ChainKind, Client, FileStore, MemoryStore, Pool,
    PoolOptions, Secret, Status, Store, StoredPair, TokenOwner,
};

const ROTATE: &str = "tooling.tokens.rotate";
const REFRESH: &str = "oauth.v2.access";

// ---------------------------------------------------------------------------
// Places: every store that keeps many chains

/// Where a pool's chains live.
struct Place {
    name: &'static str,
    /// The place's handle (its default chain; the pool opens the others).
    store: Arc<dyn Store>,
    /// Another handle on the same place: the same shelf, another directory
    /// handle, another database connection.
    reopen: Box<dyn Fn() -> Arc<dyn Store> + Send + Sync>,
    /// The private directory of a directory store (removed on drop).
    dir: Option<tempfile::TempDir>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Place {
    /// Chain `name` of this place, through the place's own handle.
    fn chain(&self, name: &str) -> Arc<dyn Store> {
        self.store.open_chain(name).unwrap()
    }

    /// The stored pair of chain `name` (it must hold one).
    fn stored(&self, name: &str) -> StoredPair {
        self.chain(name)
            .load()
            .unwrap_or_else(|e| panic!("{self}: {name}: {e}"))
            .unwrap_or_else(|| panic!("{self}: {name} holds nothing"))
    }
}

fn memory_place() -> Place {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(None));
    let shelf = store.clone();
    Place {
        name: "memory",
        store,
        reopen: Box::new(move || shelf.open_chain(DEFAULT_CHAIN).unwrap()),
        dir: None,
    }
}

fn directory_place() -> Place {
    let dir = tempfile::tempdir().unwrap(); // 0700
    let path = dir.path().to_path_buf();
    let open = move || -> Arc<dyn Store> {
        Arc::new(FileStore::directory(&path, DEFAULT_CHAIN, Duration::from_secs(120)).unwrap())
    };
    Place {
        name: "directory",
        store: open(),
        reopen: Box::new(open),
        dir: Some(dir),
    }
}

/// Memory, a private directory, PostgreSQL and Redis (TCP).
fn places() -> Vec<Place> {
    let mut places = vec![memory_place(), directory_place()];
    for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
        let again = db.clone();
        places.push(Place {
            name: db.name,
            store: db.store(DEFAULT_CHAIN),
            reopen: Box::new(move || again.store(DEFAULT_CHAIN)),
            dir: None,
        });
    }
    places
}

// ---------------------------------------------------------------------------
// Slack, chains, tokens

/// A fake Slack with an app, and a client for it.
struct World {
    slack: FakeSlack,
    client: Arc<Client>,
    app: App,
}

impl World {
    fn new(token_ttl: Option<u64>) -> World {
        let slack = server();
        if let Some(ttl) = token_ttl {
            slack.set_token_ttl(ttl);
        }
        let client = Arc::new(common::client(&slack));
        let app = slack.new_app(true);
        World { slack, client, app }
    }

    fn credentials(&self) -> AppCredentials {
        AppCredentials {
            client_id: self.app.client_id.clone(),
            client_secret: Secret::new(self.app.client_secret.clone()),
        }
    }

    /// A pool over `store` that renews OAuth chains as this world's app.
    fn pool(&self, store: Arc<dyn Store>, options: PoolOptions) -> Pool {
        Pool::new(self.client.clone(), store, Some(self.credentials()), options).unwrap()
    }

    /// A new config-token chain's seed: a live refresh token, no access token.
    fn config_pair(&self) -> StoredPair {
        StoredPair::seed(
            ChainKind::Config,
            Secret::new(self.slack.new_config_token(None).refresh_token),
            None,
            0,
        )
    }

    /// A new bot-token chain's seed, from exchanging a legacy token of the app.
    fn oauth_pair(&self) -> StoredPair {
        let legacy = self.slack.new_legacy_token(&self.app.client_id, TokenKind::Bot);
        let exchanged = self
            .client
            .oauth_v2_exchange(&self.app.client_id, &self.app.client_secret, &legacy, None)
            .unwrap();
        StoredPair::seed(ChainKind::Oauth, exchanged.refresh_token, None, 0)
    }

    /// Every request the fake Slack has answered.
    fn requests(&self) -> u64 {
        self.slack.stats().requests.values().sum()
    }

    /// Refresh tokens spent at Slack: config rotations and OAuth refreshes.
    fn spent(&self) -> u64 {
        let stats = self.slack.stats();
        stats.rotations + stats.refreshes
    }
}

/// What `auth.test` says of a token handed out at `handed_out`.
enum Verdict {
    Valid,
    /// Expired, but only after the test itself held it for over a second (a
    /// token is handed out with at least one second left: see `check_token`).
    Late,
    Invalid(String),
}

/// Checks a token handed out at `handed_out` with `auth.test`. A token is handed
/// out only while at least half its lifetime remains (rounded to whole seconds:
/// one second or more for the 3 s tokens used here), so `token_expired` is a
/// failure unless the test held the token for a second or more first (a stalled
/// test thread on a loaded machine, not the pool's doing).
fn check_token(client: &Client, token: &AccessToken, handed_out: Instant) -> Verdict {
    match client.auth_test(token.token.expose(), None) {
        Ok(_) => Verdict::Valid,
        Err(e) if e.status == Status::TokenExpired && handed_out.elapsed() >= Duration::from_secs(1) => Verdict::Late,
        Err(e) => Verdict::Invalid(format!("{}: {}", e.status, e.message)),
    }
}

/// A small xorshift generator (no extra crate).
struct Random(u64);

impl Random {
    fn new(salt: u64) -> Random {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Random((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Polls `done` every 100 ms until it holds, failing after `limit` with `what`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up after {limit:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Counters of a hammering run.
#[derive(Default)]
struct Hammer {
    gets: AtomicU64,
    late: AtomicU64,
    failures: Mutex<Vec<String>>,
    /// Most rotators the pool held in memory, as seen after each `get`.
    most_in_memory: AtomicUsize,
}

/// `threads` threads each `get` random chains of `names` from `pool`, checking
/// every token with `auth.test` and recording it in `history`, until `stop` is set.
fn hammer(
    world: &World,
    pool: &Pool,
    history: &Recorder,
    names: &[String],
    threads: usize,
    stop: &AtomicBool,
) -> Hammer {
    let tally = Hammer::default();
    std::thread::scope(|s| {
        for t in 0..threads {
            let tally = &tally;
            s.spawn(move || {
                let mut random = Random::new(t as u64 + 1);
                while !stop.load(Ordering::Relaxed) {
                    let name = &names[random.below(names.len())];
                    let outcome = pool.get(name).map(|token| (token, Instant::now()));
                    if let Ok((token, _)) = &outcome {
                        history.handed_out(name, token);
                    }
                    tally
                        .most_in_memory
                        .fetch_max(pool.stats().chains_in_memory, Ordering::Relaxed);
                    tally.gets.fetch_add(1, Ordering::Relaxed);
                    match outcome.map(|(token, at)| check_token(&world.client, &token, at)) {
                        Ok(Verdict::Valid) => {}
                        Ok(Verdict::Late) => {
                            tally.late.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Verdict::Invalid(why)) => tally
                            .failures
                            .lock()
                            .unwrap()
                            .push(format!("{name}: the token handed out fails auth.test: {why}")),
                        Err(e) => tally.failures.lock().unwrap().push(format!("{name}: get: {e}")),
                    }
                }
            });
        }
    });
    tally
}

/// Seeds `n` chains named `prefix-…` through `pool`, alternately config and
/// OAuth (bot) chains.
fn seed_chains(world: &World, pool: &Pool, prefix: &str, n: usize) -> Vec<String> {
    let chains: Vec<(String, StoredPair)> = (0..n)
        .map(|i| {
            let pair = if i % 2 == 0 {
                world.config_pair()
            } else {
                world.oauth_pair()
            };
            (unique_chain(&format!("{prefix}{i}")), pair)
        })
        .collect();
    pool.install_chains(&chains).unwrap();
    chains.into_iter().map(|(name, _)| name).collect()
}

/// Every chain of `names` hands out a token that passes `auth.test`.
fn assert_all_alive(place: &Place, world: &World, pool: &Pool, names: &[String]) {
    for name in names {
        let token = pool
            .get(name)
            .unwrap_or_else(|e| panic!("{place}: chain {name} is not alive: {e}"));
        world
            .client
            .auth_test(token.token.expose(), None)
            .unwrap_or_else(|e| panic!("{place}: chain {name}'s token fails auth.test: {e}"));
    }
}

/// Sum of the stored generations of `names`.
fn saved_generations(place: &Place, names: &[String]) -> u64 {
    names.iter().map(|n| place.stored(n).generation).sum()
}

/// Removes chains `names` from `place` (the shared databases keep what tests
/// leave behind).
fn remove_all(place: &Place, names: &[String]) {
    for name in names {
        place.chain(name).remove_chain().unwrap();
    }
}

// ---------------------------------------------------------------------------
// Many chains, many threads

#[test]
fn twenty_chains_in_every_store_rotate_under_eight_threads_without_a_refresh_token_spent_twice() {
    std::thread::scope(|s| {
        for place in places() {
            s.spawn(move || twenty_chains(&place));
        }
    });
}

fn twenty_chains(place: &Place) {
    let world = World::new(Some(3));
    let history = Recorder::new();
    let pool = world.pool(history.store(place.store.clone()), PoolOptions::default());
    let names = seed_chains(&world, &pool, "twenty-", 20);
    for name in &names {
        let token = pool.get(name).unwrap_or_else(|e| panic!("{place}: {name}: {e}"));
        history.handed_out(name, &token);
        world
            .client
            .auth_test(token.token.expose(), None)
            .unwrap_or_else(|e| panic!("{place}: {name}: {e}"));
    }
    assert_eq!(world.spent(), 20, "{place}: one rotation per chain to start");
    // Eight threads on random chains of 3 s tokens, for at least 4 s and until
    // every chain has been rotated three times.
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let tally = std::thread::scope(|s| {
        let run = s.spawn(|| hammer(&world, &pool, &history, &names, 8, &stop));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_until(Duration::from_secs(180), "every chain rotated 3 times", || {
                started.elapsed() >= Duration::from_secs(4) && names.iter().all(|n| place.stored(n).generation >= 3)
            })
        }));
        stop.store(true, Ordering::Relaxed);
        let tally = run.join().unwrap();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        tally
    });
    let failures = tally.failures.into_inner().unwrap();
    let stats = world.slack.stats();
    let saved = saved_generations(place, &names);
    eprintln!(
        "pool of 20 chains on {place}: {} gets by 8 threads ({} checked late), {} rotations + {} refreshes, {saved} \
         saved generations, {} reused refresh tokens",
        tally.gets.into_inner(),
        tally.late.into_inner(),
        stats.rotations,
        stats.refreshes,
        stats.refresh_token_reuses
    );
    assert!(
        failures.is_empty(),
        "{place}: {} failures, first: {:?}",
        failures.len(),
        &failures[..1]
    );
    assert_eq!(stats.refresh_token_reuses, 0, "{place}");
    assert_eq!(
        stats.rotations + stats.refreshes,
        saved,
        "{place}: every rotation was saved"
    );
    assert_all_alive(place, &world, &pool, &names);
    history.finals(place.store.as_ref(), &names);
    history.slack(&world.slack);
    history.assert_ok(&format!("twenty chains on {place}"));
    remove_all(place, &names);
    assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{place}");
}

// ---------------------------------------------------------------------------
// Isolation

#[test]
fn chains_are_isolated_and_two_pools_over_one_place_share_each_chain() {
    for place in places() {
        let world = World::new(None);
        let history = Recorder::new();
        let pool = world.pool(history.store(place.store.clone()), PoolOptions::default());
        // `b`'s name starts with `a`'s: their files' names share a prefix too.
        let a = unique_chain("iso");
        let b = format!("{a}.b");
        pool.install_chains(&[(a.clone(), world.config_pair()), (b.clone(), world.config_pair())])
            .unwrap();
        history.handed_out(&a, &pool.get(&a).unwrap());
        history.handed_out(&b, &pool.get(&b).unwrap());
        let b_before = place.stored(&b);
        for _ in 0..2 {
            history.handed_out(&a, &pool.rotator(&a).unwrap().force_rotate().unwrap());
        }
        assert_eq!(place.stored(&a).generation, 3, "{place}");
        assert_eq!(
            place.stored(&b),
            b_before,
            "{place}: rotating a chain leaves another as it was"
        );

        // A pair parked beside one chain is that chain's alone.
        let orphan = StoredPair {
            generation: 4,
            ..StoredPair::seed(ChainKind::Config, Secret::new("xoxe-1-parkedbesidea0000"), None, 0)
        };
        assert!(place.chain(&a).park_orphan(3, &orphan).unwrap(), "{place}");
        for from in 0..6 {
            assert!(
                place.chain(&b).orphans(from).unwrap().is_empty(),
                "{place}: a's orphan shows up as b's (from generation {from})"
            );
        }
        for _ in 0..3 {
            history.handed_out(&b, &pool.rotator(&b).unwrap().force_rotate().unwrap());
        }
        assert_eq!(place.stored(&b).generation, 4, "{place}");
        history.final_pair(&b, &place.stored(&b));
        assert_eq!(
            place.chain(&a).orphans(3).unwrap(),
            vec![orphan.clone()],
            "{place}: b's saves keep a's orphan"
        );
        assert!(pool.remove(&b).unwrap());
        assert_eq!(
            place.chain(&a).orphans(3).unwrap(),
            vec![orphan],
            "{place}: removing b keeps a's orphan"
        );
        assert_eq!(place.stored(&a).generation, 3, "{place}: removing b keeps a");

        // Two pools over one place: one chain, whichever pool rotates it.
        let other = world.pool(history.store((place.reopen)()), PoolOptions::default());
        assert_eq!(
            other.store().open_chain(&a).unwrap().load().unwrap(),
            Some(place.stored(&a)),
            "{place}"
        );
        let mine = pool.get(&a).unwrap();
        history.handed_out(&a, &mine);
        let same = other.get(&a).unwrap();
        history.handed_out(&a, &same);
        assert_eq!(same.token, mine.token, "{place}: the same token");
        let theirs = other.rotator(&a).unwrap().force_rotate().unwrap();
        history.handed_out(&a, &theirs);
        assert_ne!(theirs.token, mine.token);
        assert_eq!(place.stored(&a).access_token, theirs.token, "{place}");
        // This pool's rotator finds the other pool's rotation and uses it.
        let spent = world.spent();
        let found = pool.rotator(&a).unwrap().force_rotate().unwrap();
        history.handed_out(&a, &found);
        assert_eq!(found.token, theirs.token, "{place}");
        assert_eq!(world.spent(), spent, "{place}: no second rotation");
        history.final_of(place.chain(&a).as_ref());
        history.slack(&world.slack);
        history.assert_ok(&format!("two chains and two pools on {place}"));
        remove_all(&place, &[a]);
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{place}");
    }
}

/// A store that counts the reads of every chain opened from it.
struct Counting {
    inner: Arc<dyn Store>,
    loads: Arc<AtomicU64>,
}

impl Store for Counting {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.compare_and_swap(expected, new)
    }
    fn reserve(&self) -> xoxe::Result<Reservation> {
        self.inner.reserve()
    }
    fn save_reserved(
        &self,
        reservation: &mut Reservation,
        expected: Option<u64>,
        new: &StoredPair,
    ) -> xoxe::Result<Saved> {
        self.inner.save_reserved(reservation, expected, new)
    }
    fn acquire_lease(&self, terms: &LeaseTerms) -> xoxe::Result<xoxe::Lease> {
        self.inner.acquire_lease(terms)
    }
    fn has_lease(&self) -> bool {
        self.inner.has_lease()
    }
    fn mark_in_flight(&self, lease: &xoxe::Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        self.inner.mark_in_flight(lease, generation, terms)
    }
    fn clear_in_flight(&self, lease: &xoxe::Lease, generation: u64) -> xoxe::Result<()> {
        self.inner.clear_in_flight(lease, generation)
    }
    fn in_flight(&self) -> xoxe::Result<Option<xoxe::store::InFlight>> {
        self.inner.in_flight()
    }
    fn park_orphan(&self, from: u64, pair: &StoredPair) -> xoxe::Result<bool> {
        self.inner.park_orphan(from, pair)
    }
    fn orphans(&self, from: u64) -> xoxe::Result<Vec<StoredPair>> {
        self.inner.orphans(from)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn chain(&self) -> &str {
        self.inner.chain()
    }
    fn open_chain(&self, name: &str) -> xoxe::Result<Arc<dyn Store>> {
        Ok(Arc::new(Counting {
            inner: self.inner.open_chain(name)?,
            loads: self.loads.clone(),
        }))
    }
    fn list_chains(&self) -> xoxe::Result<Vec<String>> {
        self.inner.list_chains()
    }
    fn remove_chain(&self) -> xoxe::Result<bool> {
        self.inner.remove_chain()
    }
}

#[test]
fn a_chain_in_memory_is_served_by_one_rotator_without_reading_the_store_again() {
    for place in places() {
        let world = World::new(None);
        let loads = Arc::new(AtomicU64::new(0));
        let counted: Arc<dyn Store> = Arc::new(Counting {
            inner: place.store.clone(),
            loads: loads.clone(),
        });
        let pool = world.pool(counted, PoolOptions::default());
        let names = seed_chains(&world, &pool, "cached-", 2);
        let first = pool.get(&names[0]).unwrap();
        let rotator = pool.rotator(&names[0]).unwrap();
        assert!(
            Arc::ptr_eq(&rotator, &pool.rotator(&names[0]).unwrap()),
            "{place}: one rotator per chain"
        );
        let reads = loads.load(Ordering::SeqCst);
        for _ in 0..100 {
            assert_eq!(pool.get(&names[0]).unwrap().token, first.token, "{place}");
        }
        assert_eq!(
            loads.load(Ordering::SeqCst),
            reads,
            "{place}: a fresh chain in memory is served without a store read"
        );
        assert_eq!(world.spent(), 1, "{place}");
        assert_eq!(pool.stats().chains_in_memory, 1, "{place}");
        pool.get(&names[1]).unwrap();
        assert_eq!(pool.stats().chains_in_memory, 2, "{place}");
        remove_all(&place, &names);
    }
}

#[test]
fn try_get_lends_only_a_fresh_token_in_memory_and_never_reads_the_store_or_rotates() {
    let place = memory_place();
    let world = World::new(Some(2));
    let loads = Arc::new(AtomicU64::new(0));
    let counted: Arc<dyn Store> = Arc::new(Counting {
        inner: place.store.clone(),
        loads: loads.clone(),
    });
    let pool = world.pool(counted, PoolOptions::default());
    let names = seed_chains(&world, &pool, "try-", 1);
    let try_get = |chain: &str| pool.try_get_with(chain, |t, exp| (t.to_owned(), exp));
    let reads = loads.load(Ordering::SeqCst);

    assert!(try_get(&names[0]).is_none(), "a chain not in memory: call get");
    assert!(try_get("no-such-chain").is_none());
    assert_eq!(loads.load(Ordering::SeqCst), reads, "try_get never reads the store");
    assert_eq!(world.spent(), 0, "try_get never rotates");

    let got = pool.get(&names[0]).unwrap();
    let (token, expires_at) = try_get(&names[0]).expect("fresh in memory");
    assert_eq!((token.as_str(), expires_at), (got.token.expose(), got.expires_at));
    let rotator = pool.rotator(&names[0]).unwrap();
    let lent = rotator
        .try_get_with(|t, _| t.to_owned())
        .expect("the rotator lends it too");
    assert_eq!(lent, token);

    // Once the token is due (2 s tokens rotate at half life), try_get declines
    // and still spends nothing: only get rotates.
    let reads = loads.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(2100));
    assert!(try_get(&names[0]).is_none(), "a due token is not lent");
    assert!(rotator.try_get_with(|_, _| ()).is_none());
    assert_eq!(world.spent(), 1, "try_get never rotates");
    assert_eq!(loads.load(Ordering::SeqCst), reads, "try_get never reads the store");
    let renewed = pool.get(&names[0]).unwrap();
    assert_ne!(renewed.token.expose(), token);
    assert_eq!(world.spent(), 2);
    assert_eq!(
        try_get(&names[0]).map(|(t, _)| t).as_deref(),
        Some(renewed.token.expose())
    );
}

// ---------------------------------------------------------------------------
// Install and remove

#[test]
fn install_replaces_an_existing_chain_by_compare_and_swap_and_drops_its_cached_rotator() {
    for place in places() {
        let world = World::new(None);
        let pool = world.pool(place.store.clone(), PoolOptions::default());
        let other = world.pool((place.reopen)(), PoolOptions::default());
        let chain = unique_chain("reinstall");
        pool.install_chains(&[(chain.clone(), world.config_pair())]).unwrap();
        let first = pool.get(&chain).unwrap();
        let cached = pool.rotator(&chain).unwrap();
        assert_eq!(other.get(&chain).unwrap().token, first.token, "{place}");
        assert_eq!(place.stored(&chain).generation, 1, "{place}");

        // Reinstalled: the stored chain is replaced on top of its generation.
        let second = world.config_pair();
        let second_refresh = second.refresh_token.expose().to_string();
        pool.install_chains(&[(chain.clone(), second)]).unwrap();
        let stored = place.stored(&chain);
        assert_eq!(
            stored.generation, 2,
            "{place}: saved over generation 1, not as a new chain"
        );
        assert_eq!(stored.refresh_token.expose(), second_refresh, "{place}");
        assert!(stored.access_token.expose().is_empty(), "{place}");
        assert!(
            !Arc::ptr_eq(&cached, &pool.rotator(&chain).unwrap()),
            "{place}: the cached rotator was dropped"
        );
        // The next get uses the new pair (the old token was still fresh).
        let renewed = pool.get(&chain).unwrap();
        assert_ne!(renewed.token, first.token, "{place}: the reinstalled pair is used");
        assert_eq!(
            world.slack.refresh_token_age(&second_refresh),
            Some(1),
            "{place}: the new pair's refresh token was spent"
        );
        assert_eq!(place.stored(&chain).access_token, renewed.token, "{place}");
        // The old rotator cannot bring the old chain back: it finds the new one.
        assert_eq!(cached.force_rotate().unwrap().token, renewed.token, "{place}");
        assert_eq!(place.stored(&chain).generation, 3, "{place}");

        // A pool that still holds the chain finds the reinstall in the store.
        let third = world.config_pair();
        let third_refresh = third.refresh_token.expose().to_string();
        let abandoned = place.stored(&chain).refresh_token.expose().to_string();
        pool.install_chains(&[(chain.clone(), third)]).unwrap();
        let theirs = other.rotator(&chain).unwrap().force_rotate().unwrap();
        assert_eq!(world.slack.refresh_token_age(&third_refresh), Some(1), "{place}");
        assert_eq!(
            world.slack.refresh_token_age(&abandoned),
            Some(0),
            "{place}: the replaced chain was not rotated on"
        );
        assert_eq!(place.stored(&chain).access_token, theirs.token, "{place}");
        assert_eq!(place.stored(&chain).generation, 5, "{place}");
        world.client.auth_test(theirs.token.expose(), None).unwrap();
        remove_all(&place, &[chain]);
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{place}");
    }
}

/// What of chain `chain` the place keeps outside the store's API: file names in
/// a directory, rows in PostgreSQL, keys in Redis (none for memory).
fn traces(place: &Place, chain: &str) -> Vec<String> {
    match place.name {
        "directory" => {
            let dir = place.dir.as_ref().unwrap().path();
            let mut found: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&format!("{chain}.")) || n.starts_with(&format!(".xoxe-{chain}+")))
                .filter(|n| {
                    // The empty lock file stays, by design (see FileStore::remove_chain).
                    let lock = format!("{chain}.json.lock");
                    n != &lock || std::fs::metadata(dir.join(n)).unwrap().len() != 0
                })
                .collect();
            found.sort();
            found
        }
        "postgres" => {
            let out = common::db::control(
                &shared_dir(),
                &[
                    "psql",
                    &format!("SELECT 'chain row' FROM xoxe_chain WHERE chain = '{chain}'"),
                    &format!("SELECT 'orphan row' FROM xoxe_orphan WHERE chain = '{chain}'"),
                ],
            );
            out.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        }
        "redis" => {
            let out = common::db::control(
                &shared_dir(),
                &["redis-cli", "--tcp", "KEYS", &format!("xoxe:{{{chain}}}:*")],
            );
            let mut keys: Vec<String> = out
                .lines()
                .filter(|l| l.contains("xoxe:"))
                .map(|l| l.trim().to_string())
                .collect();
            keys.sort();
            keys
        }
        _ => Vec::new(),
    }
}

#[test]
fn remove_deletes_a_chain_and_every_trace_of_it_and_lists_stay_sorted() {
    for place in places() {
        let world = World::new(None);
        let pool = world.pool(place.store.clone(), PoolOptions::default());
        let base = unique_chain("remove");
        let (gone, kept, after) = (format!("{base}-b"), format!("{base}-a"), format!("{base}-c"));
        pool.install_chains(&[
            (gone.clone(), world.config_pair()),
            (kept.clone(), world.config_pair()),
            (after.clone(), world.oauth_pair()),
        ])
        .unwrap();
        for name in [&gone, &kept, &after] {
            pool.get(name).unwrap();
        }
        // A rotated chain, with a parked pair beside it.
        pool.rotator(&gone).unwrap().force_rotate().unwrap();
        let parked = StoredPair {
            generation: 3,
            ..world.config_pair()
        };
        assert!(place.chain(&gone).park_orphan(2, &parked).unwrap());
        let listed = place.store.list_chains().unwrap();
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "{place}: sorted and unique");
        for name in [&gone, &kept, &after] {
            assert!(listed.contains(name), "{place}: {name} listed");
        }
        let before = traces(&place, &gone);
        if place.name != "memory" {
            assert!(
                before.len() >= 2,
                "{place}: the pair and its orphan are kept: {before:?}"
            );
        }

        assert!(pool.remove(&gone).unwrap(), "{place}: it held the chain");
        let e = pool.get(&gone).unwrap_err();
        assert_eq!(e.status, Status::StoreEmpty, "{place}: {}", e.message);
        assert!(e.message.contains(&gone), "{place}: names the chain: {}", e.message);
        let removed = place.chain(&gone);
        assert_eq!(removed.load().unwrap(), None, "{place}");
        for from in 0..4 {
            assert!(removed.orphans(from).unwrap().is_empty(), "{place}: no orphan left");
        }
        assert_eq!(
            traces(&place, &gone),
            Vec::<String>::new(),
            "{place}: nothing left of it"
        );
        let listed = place.store.list_chains().unwrap();
        assert!(!listed.contains(&gone), "{place}");
        assert!(listed.contains(&kept) && listed.contains(&after), "{place}");
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "{place}: sorted and unique");
        assert!(!pool.remove(&gone).unwrap(), "{place}: removed already");
        // The others live on.
        assert_all_alive(&place, &world, &pool, &[kept.clone(), after.clone()]);
        // A removed chain can be installed again.
        pool.install_chains(&[(gone.clone(), world.config_pair())]).unwrap();
        assert_eq!(place.stored(&gone).generation, 0, "{place}: a new chain");
        assert_all_alive(&place, &world, &pool, std::slice::from_ref(&gone));
        for name in [&gone, &kept, &after] {
            pool.remove(name).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// LRU

#[test]
fn three_rotators_in_memory_serve_ten_chains_with_one_rotation_at_a_time_per_chain() {
    std::thread::scope(|s| {
        for place in places() {
            s.spawn(move || lru(&place));
        }
    });
}

fn lru(place: &Place) {
    let world = World::new(Some(3));
    let options = PoolOptions {
        max_chains_in_memory: 3,
        ..PoolOptions::default()
    };
    let history = Recorder::new();
    let pool = world.pool(history.store(place.store.clone()), options);
    let names = seed_chains(&world, &pool, "lru-", 10);
    for name in &names {
        let token = pool.get(name).unwrap();
        history.handed_out(name, &token);
        world
            .client
            .auth_test(token.token.expose(), None)
            .unwrap_or_else(|e| panic!("{place}: {name}: {e}"));
        assert!(pool.stats().chains_in_memory <= 3, "{place}: {:?}", pool.stats());
    }
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let tally = std::thread::scope(|s| {
        let run = s.spawn(|| hammer(&world, &pool, &history, &names, 8, &stop));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_until(Duration::from_secs(180), "every chain rotated 3 times", || {
                started.elapsed() >= Duration::from_secs(4) && names.iter().all(|n| place.stored(n).generation >= 3)
            })
        }));
        stop.store(true, Ordering::Relaxed);
        let tally = run.join().unwrap();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        tally
    });
    let failures = tally.failures.into_inner().unwrap();
    let stats = world.slack.stats();
    let saved = saved_generations(place, &names);
    let most = tally.most_in_memory.into_inner();
    eprintln!(
        "pool of 10 chains, 3 in memory, on {place}: {} gets by 8 threads, at most {most} rotators in memory, {} \
         rotations + {} refreshes, {saved} saved generations, {} reused refresh tokens",
        tally.gets.into_inner(),
        stats.rotations,
        stats.refreshes,
        stats.refresh_token_reuses
    );
    assert!(
        failures.is_empty(),
        "{place}: {} failures, first: {:?}",
        failures.len(),
        &failures[..1]
    );
    assert!(most <= 3, "{place}: {most} rotators in memory");
    assert!(pool.stats().chains_in_memory <= 3, "{place}");
    assert_eq!(
        stats.refresh_token_reuses, 0,
        "{place}: one rotation at a time per chain"
    );
    assert_eq!(
        stats.rotations + stats.refreshes,
        saved,
        "{place}: every rotation was saved"
    );
    assert_all_alive(place, &world, &pool, &names);
    history.finals(place.store.as_ref(), &names);
    history.slack(&world.slack);
    history.assert_ok(&format!("ten chains, three in memory, on {place}"));
    remove_all(place, &names);
}

// ---------------------------------------------------------------------------
// The background refresher

#[test]
fn the_background_refresher_rotates_fetched_chains_before_expiry_and_stops_when_the_pool_is_dropped() {
    std::thread::scope(|s| {
        for place in places() {
            s.spawn(move || background(&place));
        }
    });
}

fn background(place: &Place) {
    let world = World::new(Some(6));
    let options = PoolOptions {
        background_refresh: true,
        ..PoolOptions::default()
    };
    let history = Recorder::new();
    let pool = world.pool(history.store(place.store.clone()), options.clone());
    let names = seed_chains(&world, &pool, "background-", 3);
    let idle = unique_chain("background-never-fetched");
    pool.install_chains(&[(idle.clone(), world.config_pair())]).unwrap();
    for name in &names {
        history.handed_out(name, &pool.get(name).unwrap());
    }
    // No more gets: the refresher alone rotates, each rotation before the
    // previous token expired.
    let mut seen: BTreeMap<String, StoredPair> = names.iter().map(|n| (n.clone(), place.stored(n))).collect();
    wait_until(
        Duration::from_secs(180),
        "the refresher rotated every chain 3 more times",
        || {
            for name in &names {
                let now = place.stored(name);
                let last = &seen[name];
                if now.generation == last.generation + 1 {
                    assert!(
                        now.rotated_at < last.expires_at,
                        "{place}: {name} rotated at {} after its token expired at {}",
                        now.rotated_at,
                        last.expires_at
                    );
                }
                seen.insert(name.clone(), now);
            }
            // The refresher counts a rotation just after saving it: wait for both.
            seen.values().all(|p| p.generation >= 4) && pool.stats().background_rotations >= 9
        },
    );
    assert!(pool.stats().background_rotations >= 9, "{place}: {:?}", pool.stats());
    assert_eq!(pool.stats().background_failures, 0, "{place}");
    assert_eq!(
        place.stored(&idle).generation,
        0,
        "{place}: a chain never fetched is left alone"
    );
    for name in &names {
        world
            .client
            .auth_test(place.stored(name).access_token.expose(), None)
            .unwrap();
    }
    // Dropped: nothing rotates any more. A second pool on another fake Slack
    // shows how long is long enough: three background rotations of its chain,
    // 3 s apart (longer than a whole token lifetime, and this pool's chains were
    // due within 3 s), while this pool's chains stay as they are.
    drop(pool);
    let spent = world.spent();
    let frozen: Vec<u64> = names.iter().map(|n| place.stored(n).generation).collect();
    let witness = World::new(Some(6));
    let witness_pool = witness.pool(place.store.clone(), options);
    let watched = seed_chains(&witness, &witness_pool, "background-witness-", 1);
    witness_pool.get(&watched[0]).unwrap();
    wait_until(Duration::from_secs(180), "the witness pool rotated 3 times", || {
        place.stored(&watched[0]).generation >= 4
    });
    drop(witness_pool);
    assert_eq!(
        world.spent(),
        spent,
        "{place}: a dropped pool's refresher rotates nothing"
    );
    let after: Vec<u64> = names.iter().map(|n| place.stored(n).generation).collect();
    assert_eq!(after, frozen, "{place}");
    // The refresher's rotations were all saved, and every chain lives.
    history.finals(place.store.as_ref(), &[names.clone(), vec![idle.clone()]].concat());
    history.slack(&world.slack);
    history.assert_ok(&format!("the background refresher on {place}"));
    assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{place}");
    assert_eq!(witness.slack.stats().refresh_token_reuses, 0, "{place}");
    remove_all(place, &[names, vec![idle], watched].concat());
}

// ---------------------------------------------------------------------------
// Revocation

#[test]
fn a_revoked_chain_is_marked_in_the_store_and_never_sent_to_slack_again() {
    for place in places() {
        let world = World::new(None);
        let history = Recorder::new();
        let pool = world.pool(history.store(place.store.clone()), PoolOptions::default());
        let base = unique_chain("revoked");
        let names: Vec<String> = ["config", "marked", "not-a-revocation", "inactive", "oauth"]
            .iter()
            .map(|s| format!("{base}-{s}"))
            .collect();
        let [config, marked, refused, inactive, oauth] = &names[..] else {
            unreachable!()
        };
        pool.install_chains(&[
            (config.clone(), world.config_pair()),
            (marked.clone(), world.config_pair()),
            (refused.clone(), world.config_pair()),
            (inactive.clone(), world.config_pair()),
            (oauth.clone(), world.oauth_pair()),
        ])
        .unwrap();

        // Slack answers the rotation with token_revoked (an uninstalled app).
        for (chain, method) in [(config, ROTATE), (oauth, REFRESH)] {
            world.slack.inject(Fault::new(
                method,
                FaultKind::SlackError {
                    error: "token_revoked".into(),
                    apply: false,
                },
            ));
            let e = pool.get(chain).unwrap_err();
            assert_eq!(e.status, Status::ChainRevoked, "{place}: {chain}: {}", e.message);
            assert_eq!(e.cause, Status::TokenRevoked, "{place}: {chain}");
            assert_ne!(e.status, Status::ChainDead, "{place}: revoked is not dead");
            assert_eq!(place.stored(chain).revoked.as_deref(), Some("token_revoked"), "{place}");
            // Every holder now fails without a call to Slack.
            let requests = world.requests();
            let again = pool.get(chain).unwrap_err();
            assert_eq!(
                (again.status, again.cause),
                (Status::ChainRevoked, Status::TokenRevoked),
                "{place}: {}",
                again.message
            );
            let another = world.pool((place.reopen)(), PoolOptions::default());
            assert_eq!(another.get(chain).unwrap_err().status, Status::ChainRevoked, "{place}");
            assert_eq!(
                another
                    .rotator(chain)
                    .and_then(|r| r.force_rotate())
                    .unwrap_err()
                    .status,
                Status::ChainRevoked,
                "{place}"
            );
            assert_eq!(world.requests(), requests, "{place}: {chain}: no call to Slack");
        }

        // An API call with the chain's token said token_revoked: the host marks it.
        history.handed_out(marked, &pool.get(marked).unwrap());
        pool.mark_revoked(marked, "token_revoked").unwrap();
        let requests = world.requests();
        let e = pool.get(marked).unwrap_err();
        assert_eq!(
            (e.status, e.cause),
            (Status::ChainRevoked, Status::TokenRevoked),
            "{place}"
        );
        assert_eq!(world.requests(), requests, "{place}: no call to Slack");
        assert_eq!(
            place.stored(marked).revoked.as_deref(),
            Some("token_revoked"),
            "{place}"
        );
        pool.mark_revoked(inactive, "account_inactive").unwrap();
        let e = pool.get(inactive).unwrap_err();
        assert_eq!(
            (e.status, e.cause),
            (Status::ChainRevoked, Status::AccountInactive),
            "{place}"
        );
        // Other codes are not revocations.
        let e = pool.mark_revoked(refused, "ratelimited").unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{place}: {}", e.message);
        assert_eq!(place.stored(refused).revoked, None, "{place}");
        let token = pool.get(refused).unwrap();
        history.handed_out(refused, &token);
        world.client.auth_test(token.token.expose(), None).unwrap();

        // The status of every chain shows which are revoked, and none as dead.
        let statuses = chain_statuses(place.store.as_ref()).unwrap();
        let of = |chain: &str| {
            statuses
                .iter()
                .find(|s| s.chain == chain)
                .unwrap_or_else(|| panic!("{place}: {chain} not listed"))
                .state
                .clone()
                .unwrap_or_else(|e| panic!("{place}: {chain}: {e}"))
        };
        for (chain, code) in [
            (config, Some("token_revoked")),
            (oauth, Some("token_revoked")),
            (marked, Some("token_revoked")),
            (inactive, Some("account_inactive")),
            (refused, None),
        ] {
            assert_eq!(of(chain).revoked.as_deref(), code, "{place}: {chain}");
        }
        assert_eq!(of(oauth).kind, ChainKind::Oauth);
        // A revoked chain installed again lives.
        pool.install_chains(&[(config.clone(), world.config_pair())]).unwrap();
        assert_all_alive(&place, &world, &pool, std::slice::from_ref(config));
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{place}");
        // Slack's refusals spent nothing; the chains marked revoked say so.
        history.finals(place.store.as_ref(), &names);
        history.slack(&world.slack);
        history.assert_ok(&format!("revoked chains on {place}"));
        let rejected = history.check().summary.rejections;
        assert_eq!(rejected, 2, "{place}: the two refused rotations are in Slack's history");
        for name in &names {
            pool.remove(name).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// What a pool refuses

#[test]
fn bad_chain_names_unknown_chains_single_file_stores_and_missing_app_credentials_are_refused() {
    let long = "x".repeat(10 * 1024);
    let bad = ["a\0b", "a/b", "..", ".x", "../escape", "a b", long.as_str(), ""];
    for place in places() {
        let world = World::new(None);
        let pool = world.pool(place.store.clone(), PoolOptions::default());
        for name in bad {
            let shown = &name[..name.len().min(20)];
            let results = [
                ("get", pool.get(name).map(|_| ())),
                ("rotator", pool.rotator(name).map(|_| ())),
                (
                    "install",
                    pool.install_chains(&[(name.to_string(), world.config_pair())]),
                ),
                ("remove", pool.remove(name).map(|_| ())),
                ("mark_revoked", pool.mark_revoked(name, "token_revoked")),
            ];
            for (call, result) in results {
                let e = result.expect_err("a bad name is refused");
                assert_eq!(
                    e.status,
                    Status::InvalidArgument,
                    "{place}: {call}({shown:?}): {}",
                    e.message
                );
                assert!(
                    e.message.len() < 1000 && !e.message.contains(&"x".repeat(64)),
                    "{place}: {call}: the message echoes the name ({} bytes)",
                    e.message.len()
                );
            }
        }
        assert_eq!(world.requests(), 0, "{place}");
        if let Some(dir) = &place.dir {
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert!(left.is_empty(), "{place}: a refused name made files: {left:?}");
        }
        // An unknown chain is StoreEmpty, naming it.
        let unknown = unique_chain("never-installed");
        for e in [
            pool.get(&unknown).unwrap_err(),
            pool.rotator(&unknown).unwrap_err(),
            pool.mark_revoked(&unknown, "token_revoked").unwrap_err(),
        ] {
            assert_eq!(e.status, Status::StoreEmpty, "{place}: {}", e.message);
            assert!(e.message.contains(&unknown), "{place}: {}", e.message);
        }
        assert!(!pool.remove(&unknown).unwrap(), "{place}");
        // An OAuth chain in a pool without the app's credentials.
        let bare = Pool::new(world.client.clone(), place.store.clone(), None, PoolOptions::default()).unwrap();
        let oauth = unique_chain("oauth-without-app");
        bare.install_chains(&[(oauth.clone(), world.oauth_pair())]).unwrap();
        let e = bare.get(&oauth).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{place}: {}", e.message);
        assert!(e.message.contains(&oauth), "{place}: {}", e.message);
        assert_eq!(world.slack.stats().refreshes, 0, "{place}");
        // The same chain in a pool with them.
        assert_all_alive(&place, &world, &pool, std::slice::from_ref(&oauth));
        // Options and credentials.
        let zero = PoolOptions {
            max_chains_in_memory: 0,
            ..PoolOptions::default()
        };
        let e = Pool::new(world.client.clone(), place.store.clone(), None, zero).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{place}");
        let broken = AppCredentials {
            client_id: "bad\nid".into(),
            client_secret: Secret::new("s3cr3t"),
        };
        let e = Pool::new(
            world.client.clone(),
            place.store.clone(),
            Some(broken),
            PoolOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{place}");
        pool.remove(&oauth).unwrap();
    }
    // A single-file store keeps one chain: no pool over it.
    let dir = tempfile::tempdir().unwrap();
    let single: Arc<dyn Store> =
        Arc::new(FileStore::new(dir.path().join("store.json"), Duration::from_secs(5)).unwrap());
    let world = World::new(None);
    let e = Pool::new(world.client.clone(), single, None, PoolOptions::default()).unwrap_err();
    assert_eq!(e.status, Status::Unsupported, "{}", e.message);
}

// ---------------------------------------------------------------------------
// Installation chain names

#[test]
fn installation_chain_names_take_every_documented_form_and_name_chains_in_every_store() {
    // A unique team per run, so the shared databases never mix runs.
    let team = format!("T{}", &unique_chain("x").replace(['-', 'x'], "")[..20]);
    let forms = [
        (
            installation_chain(None, Some(&team), false, TokenOwner::Bot),
            format!("bot:-:{team}"),
        ),
        (
            installation_chain(Some("E0456"), Some(&team), false, TokenOwner::User("U0789")),
            format!("user:E0456:{team}:U0789"),
        ),
        (
            installation_chain(Some(&format!("E{team}")), Some("T1"), true, TokenOwner::Bot),
            format!("bot:E{team}:-"),
        ),
        (
            installation_chain(Some(&format!("E{team}")), None, true, TokenOwner::User("W42")),
            format!("user:E{team}:-:W42"),
        ),
        (
            installation_chain(Some(""), Some(&team), false, TokenOwner::User("U1")),
            format!("user:-:{team}:U1"),
        ),
    ];
    let names: Vec<String> = forms
        .into_iter()
        .map(|(got, expected)| {
            assert_eq!(got.as_ref().ok(), Some(&expected));
            expected
        })
        .collect();
    for refused in [
        installation_chain(None, None, false, TokenOwner::Bot),
        installation_chain(None, Some("T1"), true, TokenOwner::Bot),
        installation_chain(Some("E/1"), Some("T1"), false, TokenOwner::Bot),
        installation_chain(None, Some("T:1"), false, TokenOwner::Bot),
        installation_chain(None, Some("T1"), false, TokenOwner::User("")),
        installation_chain(None, Some("T1"), false, TokenOwner::User("../U1")),
        installation_chain(None, Some(&"T".repeat(33)), false, TokenOwner::Bot),
        installation_chain(None, Some("T\u{e9}"), false, TokenOwner::Bot),
    ] {
        assert_eq!(refused.unwrap_err().status, Status::InvalidArgument);
    }
    for place in places() {
        let world = World::new(None);
        let pool = world.pool(place.store.clone(), PoolOptions::default());
        let chains: Vec<(String, StoredPair)> = names.iter().map(|n| (n.clone(), world.oauth_pair())).collect();
        pool.install_chains(&chains).unwrap();
        assert_all_alive(&place, &world, &pool, &names);
        let listed = place.store.list_chains().unwrap();
        for name in &names {
            assert!(listed.contains(name), "{place}: {name}");
            assert!(pool.remove(name).unwrap(), "{place}");
        }
    }
}
