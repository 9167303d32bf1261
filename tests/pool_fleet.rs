//! The fleet test: 1,000 chains in one store, shared by 8 processes that each
//! run their own pool (and their own client) and ask for random chains for a
//! minute on 10-second tokens — in PostgreSQL, Redis and a directory store at
//! once, each with its own fake Slack. No refresh token may be spent twice, every
//! rotation must be saved, and every chain must be alive at the end.
//!
//! Workers are this test binary re-run with `--ignored --exact worker`; they
//! record every pair their pools save and every token they are handed in history
//! files, which the test merges with the fake Slack's side and checks against
//! xoxe's promise.

mod common;

use common::db::{databases, unique_chain};
use common::history::{Recorder, HISTORY_FILE};
use common::server;
use fake_slack::TokenKind;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xoxe::store::fleet::DEFAULT_CHAIN;
use xoxe::{
    AppCredentials, ChainKind, Client, ClientOptions, FileStore, Pool, PoolOptions, Secret, Status, Store, StoredPair,
};

/// Chains in each store.
const CHAINS: usize = 1000;
/// Worker processes per store, each with its own pool.
const WORKERS: usize = 8;
/// Threads asking for chains in each worker.
const THREADS: usize = 2;
/// How long the workers run.
const SECONDS: u64 = 60;
/// Lifetime of the tokens the fake Slack issues.
const TOKEN_TTL: u64 = 10;
/// A worker thread's pause between two gets (keeps 24 processes sane on 2 cores).
const THINK: Duration = Duration::from_millis(200);
/// Chains every process keeps asking for (a quarter of all gets), so that
/// processes often want to rotate the same chain at the same moment.
const HOT: usize = 4;
/// One get in this many has its token checked with `auth.test`.
const CHECK_EVERY: u64 = 4;

/// Seconds a handed-out token is sure to have left: the rotator hands a token
/// out only before its refresh window, half its lifetime (rounded up), and
/// compares whole seconds.
const LEFT_AT_HANDOUT: u64 = TOKEN_TTL.div_ceil(2) - 1;

/// The store's place, as a worker opens it: kind and location.
fn open_place(kind: &str, location: &str) -> Arc<dyn Store> {
    match kind {
        "postgres" => xoxe::store::fleet::postgres(location, DEFAULT_CHAIN).unwrap(),
        "redis" => xoxe::store::fleet::redis(location, DEFAULT_CHAIN).unwrap(),
        "directory" => Arc::new(FileStore::directory(location, DEFAULT_CHAIN, Duration::from_secs(120)).unwrap()),
        other => panic!("unknown store kind {other}"),
    }
}

fn chain_name(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i:04}")
}

/// A small xorshift generator (no extra crate).
struct Random(u64);

impl Random {
    fn new(salt: u64) -> Random {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Random((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(std::process::id())) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The worker process (run by the fleet test, not on its own).
#[test]
#[ignore = "worker process of the pool fleet test; it starts it"]
fn worker() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("run by the pool fleet test ({k})"));
    let client = Arc::new(
        Client::new(ClientOptions {
            base_url: var("XOXE_FLEET_BASE_URL"),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            ..ClientOptions::default()
        })
        .unwrap(),
    );
    let app = AppCredentials {
        client_id: var("XOXE_FLEET_CLIENT_ID"),
        client_secret: Secret::new(var("XOXE_FLEET_CLIENT_SECRET")),
    };
    let history = Recorder::from_env();
    let place = history.store(open_place(&var("XOXE_FLEET_KIND"), &var("XOXE_FLEET_LOCATION")));
    let pool = Pool::new(client.clone(), place, Some(app), PoolOptions::default()).unwrap();
    let prefix = var("XOXE_FLEET_PREFIX");
    let deadline = Instant::now() + Duration::from_secs(var("XOXE_FLEET_SECONDS").parse().unwrap());
    let (gets, checked, late, failures) = (
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    );
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, client, prefix, history) = (&pool, &client, &prefix, &history);
            let (gets, checked, late, failures) = (&gets, &checked, &late, &failures);
            s.spawn(move || {
                let mut random = Random::new(t as u64 + 1);
                while Instant::now() < deadline {
                    let chain = if random.below(4) == 0 {
                        chain_name(prefix, random.below(HOT))
                    } else {
                        chain_name(prefix, random.below(CHAINS))
                    };
                    let n = gets.fetch_add(1, Ordering::Relaxed);
                    match pool.get(&chain).inspect(|token| history.handed_out(&chain, token)) {
                        Ok(token) if n % CHECK_EVERY == 0 => {
                            let handed_out = Instant::now();
                            checked.fetch_add(1, Ordering::Relaxed);
                            match client.auth_test(token.token.expose(), None) {
                                Ok(_) => {}
                                // Held past the time it was sure to have (a stalled thread).
                                Err(e)
                                    if e.status == Status::TokenExpired
                                        && handed_out.elapsed() >= Duration::from_secs(LEFT_AT_HANDOUT) =>
                                {
                                    late.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => {
                                    eprintln!("worker: {chain}: the token handed out fails auth.test: {e}");
                                    failures.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            eprintln!("worker: {chain}: get: {e}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(THINK);
                }
            });
        }
    });
    println!(
        "result gets={} checked={} late={} failures={} in_memory={}",
        gets.into_inner(),
        checked.into_inner(),
        late.into_inner(),
        failures.into_inner(),
        pool.stats().chains_in_memory
    );
}

/// What one store's run came to.
struct Figures {
    gets: u64,
    checked: u64,
    late: u64,
    rotations: u64,
    refreshes: u64,
    saved: u64,
    reused: u64,
}

/// Runs `f` over `items` on 4 threads, each with what `setup` makes for it
/// (e.g. its own pool, so its own database connection); returns the results in
/// order.
fn in_parallel<T: Sync, S, R: Send>(
    items: &[T],
    setup: impl Fn() -> S + Sync,
    f: impl Fn(&S, &T) -> R + Sync,
) -> Vec<R> {
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let own = setup();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(item) = items.get(i) else { break };
                    let r = f(&own, item);
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn fleet(kind: &'static str, location: &str) -> Figures {
    let slack = server();
    slack.set_token_ttl(TOKEN_TTL);
    let client = Arc::new(common::client(&slack));
    let app = slack.new_app(true);
    let credentials = AppCredentials {
        client_id: app.client_id.clone(),
        client_secret: Secret::new(app.client_secret.clone()),
    };
    // The test's own pools (one per thread of `in_parallel`: one connection
    // each), recording what they save; the workers record into files.
    let history = Recorder::new();
    let files = tempfile::tempdir().unwrap();
    let history_file = |i: usize| files.path().join(format!("history-{i}.jsonl"));
    let pool = || {
        Pool::new(
            client.clone(),
            history.store(open_place(kind, location)),
            Some(credentials.clone()),
            PoolOptions::default(),
        )
        .unwrap()
    };
    let prefix = unique_chain("fleet");
    let names: Vec<String> = (0..CHAINS).map(|i| chain_name(&prefix, i)).collect();
    // A quarter of the chains are bot tokens (OAuth), the rest config tokens.
    let started = Instant::now();
    in_parallel(
        &names.iter().enumerate().collect::<Vec<_>>(),
        pool,
        |pool, (i, name)| {
            let pair = if i % 4 == 3 {
                let legacy = slack.new_legacy_token(&app.client_id, TokenKind::Bot);
                let exchanged = client
                    .oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
                    .unwrap();
                StoredPair::seed(ChainKind::Oauth, exchanged.refresh_token, None, 0)
            } else {
                StoredPair::seed(
                    ChainKind::Config,
                    Secret::new(slack.new_config_token(None).refresh_token),
                    None,
                    0,
                )
            };
            pool.install_chains(&[((*name).clone(), pair)]).unwrap();
        },
    );
    eprintln!(
        "pool fleet on {kind}: {CHAINS} chains installed in {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let children: Vec<_> = (0..WORKERS)
        .map(|i| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "worker",
                    "--nocapture",
                    "--test-threads=1",
                    "-q",
                ])
                .env("XOXE_FLEET_KIND", kind)
                .env("XOXE_FLEET_LOCATION", location)
                .env("XOXE_FLEET_PREFIX", &prefix)
                .env("XOXE_FLEET_BASE_URL", slack.base_url())
                .env("XOXE_FLEET_CLIENT_ID", &app.client_id)
                .env("XOXE_FLEET_CLIENT_SECRET", &app.client_secret)
                .env("XOXE_FLEET_SECONDS", SECONDS.to_string())
                .env(HISTORY_FILE, history_file(i))
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    // Every worker's result, before any is judged (none is left running).
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let (mut gets, mut checked, mut late) = (0, 0, 0);
    for out in outputs {
        assert!(out.status.success(), "{kind}: a worker failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("result "))
            .unwrap_or_else(|| panic!("{kind}: no worker result in {text:?}"));
        let field = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(
            field("failures="),
            0,
            "{kind}: every get succeeded and every token checked passed auth.test"
        );
        gets += field("gets=");
        checked += field("checked=");
        late += field("late=");
    }
    let ran = started.elapsed();

    // Every rotation Slack made is a saved generation (each chain was installed
    // at generation 0 and only rotations raise it), and no refresh token was
    // spent twice.
    let stats = slack.stats();
    let stored: Vec<StoredPair> = in_parallel(&names, pool, |pool, name| {
        pool.store()
            .open_chain(name)
            .unwrap()
            .load()
            .unwrap_or_else(|e| panic!("{kind}: {name}: {e}"))
            .unwrap_or_else(|| panic!("{kind}: {name} is empty"))
    });
    let saved: u64 = stored.iter().map(|p| p.generation).sum();
    // The history up to here (the checks below may rotate chains on).
    for i in 0..WORKERS {
        history.merge_file(&history_file(i));
    }
    for (name, pair) in names.iter().zip(&stored) {
        history.final_pair(name, pair);
    }
    history.slack(&slack);
    history.assert_ok(&format!("the pool fleet on {kind}"));
    assert_eq!(history.check().summary.handouts, gets, "{kind}: every token handed out");
    let figures = Figures {
        gets,
        checked,
        late,
        rotations: stats.rotations,
        refreshes: stats.refreshes,
        saved,
        reused: stats.refresh_token_reuses,
    };
    let rotated = stored.iter().filter(|p| p.generation > 0).count();
    let most = stored.iter().map(|p| p.generation).max().unwrap_or(0);
    eprintln!(
        "pool fleet on {kind}: {CHAINS} chains, {WORKERS} processes x {THREADS} threads with a pool each, {:.0?} on \
         {TOKEN_TTL} s tokens: {gets} tokens handed out, {checked} checked with auth.test ({late} checked late), \
         {} rotations + {} refreshes at Slack, {saved} saved generations ({rotated} chains rotated, up to {most} \
         times), {} refresh tokens reused",
        ran, figures.rotations, figures.refreshes, figures.reused
    );
    assert_eq!(stats.refresh_token_reuses, 0, "{kind}: no refresh token spent twice");
    assert_eq!(
        stats.rotations + stats.refreshes,
        saved,
        "{kind}: every rotation was saved"
    );
    assert!(rotated >= CHAINS / 2, "{kind}: many chains rotated ({rotated})");
    assert!(stats.refreshes > 0 && stats.rotations > 0, "{kind}: both kinds rotated");

    // Every chain is alive: its stored refresh token is the live end of its
    // chain at Slack, and its token (rotated now if due) passes auth.test.
    let dead: Vec<&String> = names
        .iter()
        .zip(&stored)
        .filter(|(_, p)| slack.refresh_token_age(p.refresh_token.expose()) != Some(0))
        .map(|(n, _)| n)
        .collect();
    assert!(
        dead.is_empty(),
        "{kind}: {} chains hold a spent refresh token: {:?}",
        dead.len(),
        &dead[..dead.len().min(5)]
    );
    let failed: Vec<String> = in_parallel(&names, pool, |pool, name| match pool.get(name) {
        Ok(token) => client
            .auth_test(token.token.expose(), None)
            .err()
            .map(|e| format!("{name}: auth.test: {e}")),
        Err(e) => Some(format!("{name}: get: {e}")),
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        failed.is_empty(),
        "{kind}: {} chains not alive, first: {}",
        failed.len(),
        failed[0]
    );
    assert_eq!(slack.stats().refresh_token_reuses, 0, "{kind}");

    // The shared databases keep what they are given: leave nothing behind.
    in_parallel(&names, pool, |pool, name| pool.remove(name).unwrap());
    figures
}

#[test]
fn a_thousand_chains_in_one_store_are_shared_by_eight_processes_each_with_its_own_pool() {
    let dir = tempfile::tempdir().unwrap(); // 0700: a private directory store
    let dir_location = dir.path().to_str().unwrap().to_string();
    let mut places: Vec<(&'static str, String)> = databases()
        .into_iter()
        .filter(|d| d.name == "postgres" || d.name == "redis")
        .map(|d| (d.name, d.url))
        .collect();
    places.push(("directory", dir_location));
    let started = Instant::now();
    let figures: Vec<(&'static str, Figures)> = std::thread::scope(|s| {
        let runs: Vec<_> = places
            .iter()
            .map(|(kind, location)| (*kind, s.spawn(move || fleet(kind, location))))
            .collect();
        runs.into_iter()
            .map(|(kind, run)| {
                (
                    kind,
                    run.join().unwrap_or_else(|_| panic!("{kind}: the fleet run failed")),
                )
            })
            .collect()
    });
    for (kind, f) in &figures {
        eprintln!(
            "pool fleet summary, {kind}: tokens {} (checked {}, late {}), rotations {} + refreshes {}, saved {}, \
             reused {}",
            f.gets, f.checked, f.late, f.rotations, f.refreshes, f.saved, f.reused
        );
    }
    eprintln!("pool fleet: all three stores in {:.0?}", started.elapsed());
}
