//! The fleet stores (PostgreSQL, Redis over TCP and a unix socket) against real,
//! throwaway servers: the store contract, rotators in one process sharing a chain
//! through separate connections, a database that vanishes mid-rotation, and
//! processes that race, pause (SIGSTOP) and die (SIGKILL) while holding a chain.
//! Workers are this test binary re-run with `--ignored --exact worker`; they
//! record their saves and the tokens they were handed in history files, which
//! the tests merge with the fake Slack's side and check against xoxe's promise.

mod common;

use common::db::{databases, unique_chain, Database};
use common::history::{Recorder, HISTORY_FILE};
use common::server;
use fake_slack::{Fault, FaultKind};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xoxe::store::{LeaseTerms, Saved};
use xoxe::{ChainKind, Client, ClientOptions, Rotator, RotatorOptions, Secret, Status, Store, StoredPair};

const ROTATE: &str = "tooling.tokens.rotate";

fn seed(refresh: &str) -> StoredPair {
    StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0)
}

fn pair(generation: u64, refresh: &str) -> StoredPair {
    StoredPair {
        generation,
        ..seed(refresh)
    }
}

fn terms(call_ms: u64, margin_ms: u64, wait_ms: u64) -> LeaseTerms {
    LeaseTerms {
        call: Duration::from_millis(call_ms),
        margin: Duration::from_millis(margin_ms),
        wait: Duration::from_millis(wait_ms),
    }
}

/// Short leases for tests: a 2 s call deadline and a 2 s margin (a 4 s lease).
fn short_lease_options() -> RotatorOptions {
    RotatorOptions {
        call_timeout: Some(Duration::from_secs(2)),
        lease_margin: Duration::from_secs(2),
        wait_timeout: Duration::from_secs(60),
        ..RotatorOptions::default()
    }
}

fn client_for(base_url: &str) -> Arc<Client> {
    Arc::new(
        Client::new(ClientOptions {
            base_url: base_url.to_string(),
            ..ClientOptions::default()
        })
        .unwrap(),
    )
}

#[test]
fn every_fleet_store_keeps_the_store_contract() {
    for db in databases() {
        let chain = unique_chain("contract");
        let store = db.store(&chain);
        let other = db.store(&chain); // a second connection: another holder
        let name = db.name;
        assert!(store.load().unwrap().is_none(), "{name}: a new chain is empty");
        assert!(store.has_lease());
        // Compare-and-swap on the generation.
        assert_eq!(
            store.compare_and_swap(None, &pair(0, "xoxe-1-aaaaaaaaaaaa")).unwrap(),
            Saved::Stored
        );
        match other.compare_and_swap(None, &pair(0, "xoxe-1-bbbbbbbbbbbb")).unwrap() {
            Saved::Conflict(Some(p)) => assert_eq!(p.refresh_token.expose(), "xoxe-1-aaaaaaaaaaaa", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            other
                .compare_and_swap(Some(0), &pair(1, "xoxe-1-cccccccccccc"))
                .unwrap(),
            Saved::Stored
        );
        match store
            .compare_and_swap(Some(0), &pair(1, "xoxe-1-dddddddddddd"))
            .unwrap()
        {
            Saved::Conflict(Some(p)) => assert_eq!(p.generation, 1, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        let loaded = store.load().unwrap().unwrap();
        assert_eq!(
            (loaded.generation, loaded.refresh_token.expose()),
            (1, "xoxe-1-cccccccccccc")
        );

        // The lease excludes other holders, and expires on the store's clock. It
        // lasts 3.3 s: marking it below needs 0.8 s left (the call and a sixth of
        // the margin), so a loaded machine has 2.4 s for the steps in between.
        let held = terms(300, 3_000, 100);
        let lease = store.acquire_lease(&held).unwrap();
        let epoch = lease.epoch().expect("fleet leases are numbered");
        let refused = other.acquire_lease(&held).err().expect("held");
        assert_eq!(refused.status, Status::LockTimeout, "{name}");
        assert!(
            refused.message.contains(xoxe::store::fleet::holder_id()),
            "{name}: names the holder"
        );
        // Enough left to send: marked. Too little: refused, nothing recorded.
        store.mark_in_flight(&lease, 1, &held).unwrap();
        let marker = other.in_flight().unwrap().expect("the marker is durable");
        assert_eq!(marker.generation, 1);
        assert!(marker.left <= Duration::from_millis(300), "{name}: {marker:?}");
        assert_eq!(marker.holder.as_deref(), Some(xoxe::store::fleet::holder_id()));
        let late = store.mark_in_flight(&lease, 1, &terms(10_000, 300, 100)).unwrap_err();
        assert_eq!(late.status, Status::LockTimeout, "{name}: {}", late.message);
        // The lease lapses: another holder takes it with a higher epoch, and the
        // first holder can no longer renew it or mark a rotation.
        let second = other.acquire_lease(&terms(60_000, 1_000, 10_000)).unwrap();
        assert!(second.epoch().unwrap() > epoch, "{name}");
        let mut lease = lease;
        assert_eq!(lease.renew().unwrap_err().status, Status::LockTimeout, "{name}");
        assert_eq!(
            store.mark_in_flight(&lease, 1, &terms(10, 10, 10)).unwrap_err().status,
            Status::LockTimeout
        );
        drop(lease); // releasing a lost lease leaves the new holder's alone
        assert_eq!(
            store.acquire_lease(&terms(300, 300, 50)).err().map(|e| e.status),
            Some(Status::LockTimeout),
            "{name}: still the second holder's"
        );
        // A save clears the marker; clearing needs the marker's generation.
        other.mark_in_flight(&second, 1, &terms(1_000, 1_000, 10)).unwrap();
        other.clear_in_flight(&second, 7).unwrap();
        assert!(
            other.in_flight().unwrap().is_some(),
            "{name}: another generation's clear is a no-op"
        );
        assert_eq!(
            other
                .compare_and_swap(Some(1), &pair(2, "xoxe-1-eeeeeeeeeeee"))
                .unwrap(),
            Saved::Stored
        );
        assert!(store.in_flight().unwrap().is_none(), "{name}: saved, so not in flight");
        second.release().unwrap();
        drop(store.acquire_lease(&terms(300, 300, 100)).unwrap());

        // Orphans: kept per source generation, newest first, bounded.
        assert!(store.orphans(2).unwrap().is_empty());
        for i in 0..20 {
            assert!(store.park_orphan(2, &pair(3, &format!("xoxe-1-orphan{i:08}"))).unwrap());
        }
        assert!(store.park_orphan(1, &pair(2, "xoxe-1-otherfromone")).unwrap());
        let orphans = other.orphans(2).unwrap();
        assert_eq!(
            orphans[0].refresh_token.expose(),
            "xoxe-1-orphan00000019",
            "{name}: newest first"
        );
        assert!((10..=16).contains(&orphans.len()), "{name}: bounded: {}", orphans.len());
        assert_eq!(other.orphans(1).unwrap().len(), 1);

        // Never the password: not in describe, Debug-free errors, or messages.
        let password = db.password();
        assert!(password.len() >= 8, "the test servers use real passwords");
        assert!(!store.describe().contains(&password), "{name}");
        assert!(store.describe().contains(&chain), "{name}");
    }
}

#[test]
fn a_database_that_is_down_or_refuses_the_password_gives_store_io_without_the_password() {
    for db in databases() {
        let password = db.password();
        let wrong = db.url.replace(&password, "wrongwrongwrong");
        let e = match db.name {
            "postgres" => xoxe::store::fleet::postgres(&wrong, "default"),
            _ => xoxe::store::fleet::redis(&wrong, "default"),
        }
        .err()
        .expect("a wrong password is refused");
        assert_eq!(e.status, Status::StoreIo, "{}: {}", db.name, e.message);
        assert!(!e.message.contains("wrongwrongwrong"), "{}: {}", db.name, e.message);
    }
    // Nothing listens on port 9 (discard) here.
    let password = "s3cretpassw0rd";
    for url in [
        format!("postgresql://xoxe:{password}@127.0.0.1:9/db"),
        format!("redis://:{password}@127.0.0.1:9/0"),
        format!("redis+unix:///nonexistent/redis.sock?pass={password}"),
    ] {
        let e = if url.starts_with("postgresql") {
            xoxe::store::fleet::postgres(&url, "default")
        } else {
            xoxe::store::fleet::redis(&url, "default")
        }
        .err()
        .expect("down");
        assert_eq!(e.status, Status::StoreIo, "{}", e.message);
        assert!(!e.message.contains(password), "{}", e.message);
        assert!(e.message.contains("***"), "names the redacted URL: {}", e.message);
    }
    for bad in ["postgresql://h/db?frobnicate=1", "redis://h:99999999/"] {
        let e = if bad.starts_with("postgresql") {
            xoxe::store::fleet::postgres(bad, "default")
        } else {
            xoxe::store::fleet::redis(bad, "default")
        }
        .err()
        .unwrap();
        assert_eq!(e.status, Status::InvalidArgument, "{bad}: {}", e.message);
    }
    assert_eq!(
        xoxe::store::fleet::postgres("postgresql://h/db", "bad chain")
            .err()
            .unwrap()
            .status,
        Status::InvalidArgument
    );
}

#[test]
fn rotators_on_separate_connections_share_one_chain_and_rotate_it_once() {
    let slack = server();
    let history = Recorder::new();
    for db in databases() {
        let chain = unique_chain("share");
        let first = history.store(db.store(&chain));
        xoxe::store::init(first.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let before = slack.stats().rotations;
        let a = Rotator::config(client_for(&slack.base_url()), first, RotatorOptions::default());
        let b = Rotator::config(
            client_for(&slack.base_url()),
            history.store(db.store(&chain)),
            RotatorOptions::default(),
        );
        let (ta, tb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.get().inspect(|t| history.handed_out(&chain, t)).unwrap());
            let tb = s.spawn(|| b.get().inspect(|t| history.handed_out(&chain, t)).unwrap());
            (ta.join().unwrap(), tb.join().unwrap())
        });
        assert_eq!(ta.token, tb.token, "{}: one rotation, one token", db.name);
        assert_eq!(slack.stats().rotations - before, 1, "{}", db.name);
        let stored = db.store(&chain).load().unwrap().unwrap();
        assert_eq!(stored.generation, 1);
        assert_eq!(stored.rotated_by.as_deref(), Some(xoxe::store::fleet::holder_id()));
        assert!(db.store(&chain).in_flight().unwrap().is_none(), "saved: marker cleared");
        client_for(&slack.base_url())
            .auth_test(ta.token.expose(), None)
            .unwrap();
        // A forced rotation on one is seen by the other through the store.
        let forced = a.force_rotate().unwrap();
        history.handed_out(&chain, &forced);
        let seen = b.force_rotate().unwrap();
        history.handed_out(&chain, &seen);
        assert_eq!(seen.token, forced.token.clone());
        assert_ne!(forced.token, ta.token);
        history.final_of(db.store(&chain).as_ref());
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    history.slack(&slack);
    history.assert_ok("rotators on separate connections");
}

/// What a [`Hooked`] store runs once, at its first save or reservation.
type Hook = Box<dyn FnOnce(&dyn Store, Option<u64>, &StoredPair) -> xoxe::Result<()> + Send>;

/// A store that delegates everything, except that it runs `before_save` before
/// its first save and `at_reserve` at its first reservation (under the lease,
/// before anything is sent); with `lease: false` it is a writer that takes no
/// lease (a store whose lock never expires can only be raced by one) and still
/// saves with compare-and-swap.
struct Hooked {
    inner: Arc<dyn Store>,
    lease: bool,
    before_save: std::sync::Mutex<Option<Hook>>,
    at_reserve: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Hooked {
    fn new(inner: Arc<dyn Store>) -> Hooked {
        Hooked {
            inner,
            lease: true,
            before_save: std::sync::Mutex::new(None),
            at_reserve: std::sync::Mutex::new(None),
        }
    }

    /// Runs `f` before the first save.
    fn before_save(self, f: impl FnOnce() + Send + 'static) -> Hooked {
        self.before_save_with(move |_, _, _| {
            f();
            Ok(())
        })
    }

    /// Runs `f` (given the store and the save's arguments) before the first save.
    fn before_save_with(
        self,
        f: impl FnOnce(&dyn Store, Option<u64>, &StoredPair) -> xoxe::Result<()> + Send + 'static,
    ) -> Hooked {
        *self.before_save.lock().unwrap() = Some(Box::new(f));
        self
    }

    /// Runs `f` at the first reservation.
    fn at_reserve(self, f: impl FnOnce() + Send + 'static) -> Hooked {
        *self.at_reserve.lock().unwrap() = Some(Box::new(f));
        self
    }

    fn without_lease(self) -> Hooked {
        Hooked { lease: false, ..self }
    }
}

impl Store for Hooked {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        let hook = self.before_save.lock().unwrap().take();
        if let Some(f) = hook {
            f(self.inner.as_ref(), expected, new)?;
        }
        self.inner.compare_and_swap(expected, new)
    }
    fn reserve(&self) -> xoxe::Result<xoxe::store::Reservation> {
        let hook = self.at_reserve.lock().unwrap().take();
        if let Some(f) = hook {
            f();
        }
        self.inner.reserve()
    }
    fn acquire_lease(&self, terms: &LeaseTerms) -> xoxe::Result<xoxe::Lease> {
        if !self.lease {
            return Ok(xoxe::Lease::none());
        }
        self.inner.acquire_lease(terms)
    }
    fn has_lease(&self) -> bool {
        self.lease
    }
    fn mark_in_flight(&self, lease: &xoxe::Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        if !self.lease {
            return Ok(());
        }
        self.inner.mark_in_flight(lease, generation, terms)
    }
    fn clear_in_flight(&self, lease: &xoxe::Lease, generation: u64) -> xoxe::Result<()> {
        if !self.lease {
            return Ok(());
        }
        self.inner.clear_in_flight(lease, generation)
    }
    fn in_flight(&self) -> xoxe::Result<Option<xoxe::store::InFlight>> {
        if !self.lease {
            return Ok(None);
        }
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
}

/// Stops this process (SIGSTOP); the test continues it (SIGCONT).
fn stop_myself(point: &str) {
    println!("stopping at {point}");
    // SAFETY: raise has no memory-safety preconditions.
    unsafe { libc::raise(libc::SIGSTOP) };
    println!("continued");
}

#[test]
fn a_connection_killed_between_rotation_and_save_is_replaced_and_the_pair_saved() {
    let slack = server();
    let history = Recorder::new();
    let dir = common::db::shared_dir();
    for db in databases() {
        let chain = unique_chain("cut");
        let inner = db.store(&chain);
        xoxe::store::init(inner.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let (dir, name) = (dir.clone(), db.name);
        let cut: Box<dyn FnOnce() + Send> = Box::new(move || {
            if name == "postgres" {
                let killed = common::db::control(
                    &dir,
                    &[
                        "psql",
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                         WHERE application_name LIKE 'xoxe %' AND pid <> pg_backend_pid()",
                    ],
                );
                assert_ne!(killed.trim(), "0", "some xoxe backend was terminated");
            } else {
                let tcp = if name == "redis" { "--tcp" } else { "" };
                let args: Vec<&str> = ["redis-cli", tcp, "CLIENT", "KILL", "TYPE", "normal"]
                    .into_iter()
                    .filter(|a| !a.is_empty())
                    .collect();
                let killed = common::db::control(&dir, &args);
                assert_ne!(killed.trim(), "0", "some connection was killed");
            }
        });
        history.seeded(&chain, &inner.load().unwrap().unwrap());
        let store = Arc::new(Hooked::new(history.store(inner)).before_save(cut));
        let rotator = Rotator::config(client_for(&slack.base_url()), store.clone(), RotatorOptions::default());
        let token = rotator.get().unwrap_or_else(|e| panic!("{name}: {e}"));
        history.handed_out(&chain, &token);
        let stored = db.store(&chain).load().unwrap().unwrap();
        assert_eq!(stored.access_token, token.token, "{name}: saved on a new connection");
        assert_eq!(stored.generation, 1);
        history.final_pair(&chain, &stored);
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    history.slack(&slack);
    history.assert_ok("connections killed between rotation and save");
}

#[test]
fn a_database_stopped_mid_rotation_keeps_the_pair_unsaved_and_saves_it_first_when_back() {
    let slack = server();
    // Own servers: this test stops them.
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("build/db-outage-{}", std::process::id()));
    common::db::start(&dir);
    struct Stop(std::path::PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            // Kept (logs, and the passwords the secret scan looks for).
            common::db::control(&self.0, &["stop"]);
        }
    }
    let _stop = Stop(dir.clone());
    let history = Recorder::new();
    for db in common::db::databases_in(&dir) {
        let name = db.name;
        let server_name = if name == "postgres" {
            "postgres"
        } else if name == "redis" {
            "redis-tcp"
        } else {
            "redis-unix"
        };
        let chain = unique_chain("outage");
        let inner = history.store(db.store(&chain));
        xoxe::store::init(inner.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let rotator = Rotator::config(client_for(&slack.base_url()), inner.clone(), RotatorOptions::default());
        let first = rotator.get().unwrap();
        history.handed_out(&chain, &first);
        let stop_dir = dir.clone();
        let store = Arc::new(Hooked::new(inner.clone()).before_save(move || {
            common::db::control(&stop_dir, &["stop-server", server_name]);
        }));
        let rotator = Rotator::config(client_for(&slack.base_url()), store, RotatorOptions::default());
        assert_eq!(rotator.get().unwrap().token, first.token);
        let rotations = slack.stats().rotations;
        let e = rotator.force_rotate().unwrap_err();
        assert_eq!(e.status, Status::StoreIo, "{name}: {}", e.message);
        assert!(!e.message.contains(&db.password()), "{name}: {}", e.message);
        assert!(
            e.message.contains("***"),
            "{name}: names the redacted URL: {}",
            e.message
        );
        assert_eq!(slack.stats().rotations, rotations + 1, "Slack rotated");
        // Never handed out unsaved: every call fails while the database is down.
        assert_eq!(rotator.get().unwrap_err().status, Status::StoreIo);
        assert_eq!(
            rotator.current().unwrap().token,
            first.token,
            "current() keeps the old token"
        );
        common::db::control(&dir, &["start-server", server_name]);
        let saved = rotator.get().unwrap_or_else(|e| panic!("{name}: {e}"));
        history.handed_out(&chain, &saved);
        assert_ne!(saved.token, first.token);
        assert_eq!(
            slack.stats().rotations,
            rotations + 1,
            "{name}: saved, not rotated again"
        );
        let stored = db.store(&chain).load().unwrap().unwrap();
        assert_eq!(stored.access_token, saved.token, "{name}");
        assert_eq!(stored.generation, 2);
        client_for(&slack.base_url())
            .auth_test(saved.token.expose(), None)
            .unwrap();
        history.final_pair(&chain, &stored);
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    // Rotated while the database was down, handed out only once saved.
    history.slack(&slack);
    history.assert_ok("databases stopped mid-rotation");
}

// ---------------------------------------------------------------------------
// Processes

fn worker_command(mode: &str, db: &Database, chain: &str, base_url: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "worker",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env("XOXE_WORKER_MODE", mode)
    .env("XOXE_WORKER_DB", db.name)
    .env("XOXE_WORKER_URL", &db.url)
    .env("XOXE_WORKER_CHAIN", chain)
    .env("XOXE_WORKER_BASE_URL", base_url)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    cmd
}

/// The worker process (run by the tests below, not on its own).
#[test]
#[ignore = "worker process for the multi-process tests; they start it"]
fn worker() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("run by the fleet tests ({k})"));
    let mode = var("XOXE_WORKER_MODE");
    let db = Database {
        name: if var("XOXE_WORKER_DB") == "postgres" {
            "postgres"
        } else {
            "redis"
        },
        url: var("XOXE_WORKER_URL"),
    };
    let chain = var("XOXE_WORKER_CHAIN");
    let client = client_for(&var("XOXE_WORKER_BASE_URL"));
    let history = Recorder::from_env();
    match mode.as_str() {
        "race" => {
            let store = history.store(db.store(&chain)); // this process's own connection
            let rotator = Rotator::config(client.clone(), store, RotatorOptions::default());
            let deadline = Instant::now() + Duration::from_secs(var("XOXE_WORKER_SECONDS").parse().unwrap());
            let (gets, failures) = (
                std::sync::atomic::AtomicU64::new(0),
                std::sync::atomic::AtomicU64::new(0),
            );
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| {
                        while Instant::now() < deadline {
                            let handed = rotator.get().inspect(|t| history.handed_out(&chain, t));
                            match handed.and_then(|t| client.auth_test(t.token.expose(), None)) {
                                Ok(_) => gets.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                                Err(e) => {
                                    eprintln!("worker: {e}");
                                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                                }
                            };
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    });
                }
            });
            println!("result gets={} failures={}", gets.into_inner(), failures.into_inner());
        }
        "stop-at-reserve" | "stop-at-save" => {
            // The hook runs before the recording store: a save is recorded when
            // the woken holder really asks for it.
            let store = Hooked::new(history.store(db.store(&chain)));
            let store = Arc::new(if mode == "stop-at-reserve" {
                store.at_reserve(|| stop_myself("reserve"))
            } else {
                store.before_save(|| stop_myself("save"))
            });
            let rotator = Rotator::config(client, store, short_lease_options());
            match rotator.force_rotate() {
                Ok(token) => {
                    history.handed_out(&chain, &token);
                    println!("outcome ok")
                }
                Err(e) => println!("outcome {}", e.status),
            }
        }
        "once" => {
            let rotator = Rotator::config(client, history.store(db.store(&chain)), short_lease_options());
            match rotator.get() {
                Ok(token) => {
                    history.handed_out(&chain, &token);
                    println!("outcome ok")
                }
                Err(e) => println!("outcome {}", e.status),
            }
            std::thread::sleep(Duration::from_secs(3600)); // killed here
        }
        other => panic!("unknown worker mode {other}"),
    }
}

fn outcome_of(child: std::process::Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "worker failed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("outcome "))
        .unwrap_or_else(|| panic!("no outcome in {text:?}"))
        .to_string()
}

/// Waits until `pid` is stopped (state `T` in /proc).
fn wait_stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('T')) {
            return;
        }
        assert!(Instant::now() < deadline, "the worker never stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
}

#[test]
fn eight_processes_of_four_threads_share_a_chain_on_each_database_without_reusing_a_refresh_token() {
    // Both databases at once, each with its own fake Slack: 16 processes in all.
    let databases: Vec<Database> = databases().into_iter().filter(|d| d.name != "redis-unix").collect();
    std::thread::scope(|s| {
        for db in &databases {
            s.spawn(move || fleet_race(db, 20));
        }
    });
}

fn fleet_race(db: &Database, seconds: u64) {
    let slack = server();
    slack.set_token_ttl(3);
    let chain = unique_chain("race");
    let history = Recorder::new();
    let files = tempfile::tempdir().unwrap();
    let history_file = |i: usize| files.path().join(format!("history-{i}.jsonl"));
    let store = history.store(db.store(&chain));
    xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            worker_command("race", db, &chain, &slack.base_url())
                .env("XOXE_WORKER_SECONDS", seconds.to_string())
                .env(HISTORY_FILE, history_file(i))
                .spawn()
                .unwrap()
        })
        .collect();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}: a worker failed", db.name);
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.starts_with("result ")).expect("worker result");
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
            "{}: every token handed out passed auth.test",
            db.name
        );
        total += field("gets=");
    }
    let stats = slack.stats();
    let stored = store.load().unwrap().unwrap();
    let orphans = store.orphans(stored.generation.saturating_sub(1)).unwrap().len();
    println!(
        "fleet race on {}: 8 processes x 4 threads, {seconds} s, 3 s tokens: {total} tokens handed out and \
         verified, {} rotations, {} saved generations, {} reused refresh tokens, {orphans} orphans",
        db.name, stats.rotations, stored.generation, stats.refresh_token_reuses
    );
    assert_eq!(stats.refresh_token_reuses, 0, "{}", db.name);
    assert_eq!(
        stats.rotations, stored.generation,
        "{}: every rotation was saved",
        db.name
    );
    assert!(stats.rotations >= seconds / 4, "{}: rotated many times", db.name);
    for i in 0..8 {
        history.merge_file(&history_file(i));
    }
    history.final_of(store.as_ref());
    history.slack(&slack);
    history.assert_ok(&format!("the fleet race on {}", db.name));
    assert_eq!(
        history.check().summary.handouts,
        total,
        "{}: every token handed out",
        db.name
    );
}

#[test]
fn a_holder_paused_past_its_lease_before_sending_sends_nothing_when_it_wakes() {
    for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
        let slack = server();
        let chain = unique_chain("paused");
        let (history, files) = (Recorder::new(), tempfile::tempdir().unwrap());
        let history_file = files.path().join("history.jsonl");
        let store = history.store(db.store(&chain));
        xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let mut paused = worker_command("stop-at-reserve", &db, &chain, &slack.base_url())
            .env(HISTORY_FILE, &history_file)
            .spawn()
            .unwrap();
        wait_stopped(paused.id());
        // Another holder waits out the paused one's 4 s lease, then rotates.
        let rotator = Rotator::config(
            client_for(&slack.base_url()),
            history.store(db.store(&chain)),
            short_lease_options(),
        );
        let token = rotator.get().unwrap();
        history.handed_out(&chain, &token);
        assert_eq!(slack.stats().rotations, 1);
        signal(paused.id(), libc::SIGCONT);
        let outcome = {
            let _ = paused.stdout.as_mut();
            outcome_of(paused)
        };
        assert_eq!(outcome, "lock_timeout", "{}: the woken holder's lease is gone", db.name);
        assert_eq!(slack.stats().refresh_token_reuses, 0, "{}", db.name);
        assert_eq!(slack.stats().rotations, 1, "{}: it sent nothing", db.name);
        assert_eq!(store.load().unwrap().unwrap().access_token, token.token);
        history.merge_file(&history_file);
        history.final_of(store.as_ref());
        history.slack(&slack);
        history.assert_ok(&format!("a holder paused before sending, on {}", db.name));
    }
}

#[test]
fn a_holder_paused_after_slack_answered_loses_its_save_and_its_pair_becomes_an_orphan() {
    for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
        let slack = server();
        let chain = unique_chain("paused-save");
        let (history, files) = (Recorder::new(), tempfile::tempdir().unwrap());
        let history_file = files.path().join("history.jsonl");
        let store = history.store(db.store(&chain));
        xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let mut paused = worker_command("stop-at-save", &db, &chain, &slack.base_url())
            .env(HISTORY_FILE, &history_file)
            .spawn()
            .unwrap();
        wait_stopped(paused.id());
        assert_eq!(slack.stats().rotations, 1, "the paused holder's rotation was applied");
        // The next holder waits out the lease and the marker, rotates anyway, and
        // (no grace period here) finds the refresh token spent: a dead chain,
        // reported with who rotated last — never a loop.
        let rotator = Rotator::config(
            client_for(&slack.base_url()),
            history.store(db.store(&chain)),
            short_lease_options(),
        );
        let dead = rotator.get().unwrap_err();
        assert_eq!(dead.status, Status::ChainDead, "{}: {}", db.name, dead.message);
        assert!(dead.message.contains("never saved"), "{}: {}", db.name, dead.message);
        assert_eq!(slack.stats().refresh_token_reuses, 1, "one attempt, not a loop");
        // The paused holder wakes: nobody saved meanwhile, so its save wins and the
        // chain lives on with its pair (generation decides, not the lease).
        signal(paused.id(), libc::SIGCONT);
        let _ = paused.stdout.as_mut();
        assert_eq!(outcome_of(paused), "ok", "{}", db.name);
        let token = rotator.get().unwrap();
        history.handed_out(&chain, &token);
        client_for(&slack.base_url())
            .auth_test(token.token.expose(), None)
            .unwrap();
        assert_eq!(store.load().unwrap().unwrap().generation, 1);
        // The refresh token was presented twice, but the second time while the
        // first holder's pair was neither saved nor handed out: the recovery.
        history.merge_file(&history_file);
        history.final_of(store.as_ref());
        history.slack(&slack);
        history.assert_ok(&format!("a holder paused before saving, on {}", db.name));
    }
}

#[test]
fn a_holder_killed_after_slack_applied_leaves_a_marker_the_next_holder_waits_out_and_reports() {
    for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
        let slack = server();
        let chain = unique_chain("killed");
        let (history, files) = (Recorder::new(), tempfile::tempdir().unwrap());
        let history_file = files.path().join("history.jsonl");
        let store = history.store(db.store(&chain));
        xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        slack.inject(Fault::new(ROTATE, FaultKind::DropAfterApply));
        let mut child = worker_command("once", &db, &chain, &slack.base_url())
            .env(HISTORY_FILE, &history_file)
            .spawn()
            .unwrap();
        let line = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.as_mut().unwrap()))
            .map_while(Result::ok)
            .find(|l| l.starts_with("outcome "));
        assert_eq!(line.as_deref(), Some("outcome outcome_unknown"), "{}", db.name);
        let marker = store
            .in_flight()
            .unwrap()
            .expect("the marker stays after an unknown outcome");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let started = Instant::now();
        let rotator = Rotator::config(
            client_for(&slack.base_url()),
            history.store(db.store(&chain)),
            short_lease_options(),
        );
        let dead = rotator.get().unwrap_err();
        assert!(
            started.elapsed() + Duration::from_millis(100) >= marker.left,
            "{}: waited out the marker",
            db.name
        );
        assert_eq!(dead.status, Status::ChainDead, "{}: {}", db.name, dead.message);
        let holder = marker.holder.unwrap();
        assert!(
            dead.message.contains(&holder),
            "{}: names the holder: {}",
            db.name,
            dead.message
        );
        assert!(!dead.message.contains(&db.password()));
        assert_eq!(slack.stats().refresh_token_reuses, 1, "{}: one attempt", db.name);
        // The history: the second presentation is the recovery (the lost pair was
        // never saved or seen), and the chain is dead — this test kills it.
        history.merge_file(&history_file);
        history.final_of(store.as_ref());
        history.slack(&slack);
        let report = history.check();
        let kinds: Vec<&str> = report.violations.iter().map(|v| v.kind()).collect();
        assert_eq!(kinds, ["dead_chain"], "{}: {report}", db.name);
    }
}

// ---------------------------------------------------------------------------
// Slack's grace period: one refresh token spent twice gives two pairs

/// Two holders spend one refresh token within Slack's grace period: Slack answers
/// both, and keeps only one pair valid (`keep`). Whichever pair is stored, the
/// other is parked as an orphan, and the chain survives the next rotations.
fn grace_double_pair(kind: &str, make: &dyn Fn() -> Arc<dyn Store>, expiring_lease: bool, keep: fake_slack::GraceKeep) {
    let slack = server();
    slack.set_refresh_grace(600_000, keep);
    let history = Recorder::new();
    let chain = make().chain().to_string();
    let seeded = seed(&slack.new_config_token(None).refresh_token);
    history.seeded(&chain, &seeded);
    xoxe::store::init(make().as_ref(), seeded, true).unwrap();
    let (entered_tx, entered) = std::sync::mpsc::sync_channel(1);
    let (release, release_rx) = std::sync::mpsc::sync_channel(1);
    // The first holder's save waits for the test's go-ahead: it is then between
    // Slack's answer and its save.
    // The hook runs before the recording store: the first holder's save is
    // recorded when it really asks for it.
    let first = Arc::new(Hooked::new(history.store(make())).before_save(move || {
        entered_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    }));
    let second: Arc<dyn Store> = if expiring_lease {
        history.store(make())
    } else {
        Arc::new(Hooked::new(history.store(make())).without_lease())
    };
    let url = slack.base_url();
    std::thread::scope(|s| {
        let one = s.spawn(|| Rotator::config(client_for(&url), first.clone(), short_lease_options()).force_rotate());
        entered.recv().unwrap(); // Slack answered the first holder; its save waits
                                 // The second holder outlasts the first one's lease and marker (fleet
                                 // stores) or takes no lease (file, memory), and spends the same token.
        let two = s.spawn(|| Rotator::config(client_for(&url), second.clone(), short_lease_options()).force_rotate());
        let deadline = Instant::now() + Duration::from_secs(120);
        while slack.stats().grace_reissues == 0 {
            assert!(
                Instant::now() < deadline,
                "{kind}: the second holder never spent the token"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        release.send(()).unwrap();
        let (one, two) = (one.join().unwrap(), two.join().unwrap());
        for token in [&one, &two].into_iter().flatten() {
            history.handed_out(&chain, token);
        }
        assert!(one.is_ok() || two.is_ok(), "{kind}: {one:?} {two:?}");
    });
    let stored = make().load().unwrap().unwrap();
    assert_eq!(stored.generation, 1, "{kind}: one save won");
    assert_eq!(make().orphans(0).unwrap().len(), 1, "{kind}: the other pair is parked");
    // A new holder rotates on: through the orphan if Slack kept the parked pair.
    let next = Rotator::config(client_for(&url), history.store(make()), short_lease_options());
    for round in 0..2 {
        let token = next
            .force_rotate()
            .unwrap_or_else(|e| panic!("{kind} {keep:?} round {round}: {e}"));
        history.handed_out(&chain, &token);
        client_for(&url).auth_test(token.token.expose(), None).unwrap();
    }
    let stats = slack.stats();
    println!(
        "grace double pair on {kind}, Slack keeps the {keep:?} pair: {} grace reissue, {} uses of the revoked \
         refresh token, chain alive at generation {}",
        stats.grace_reissues,
        stats.revoked_refresh_token_uses,
        make().load().unwrap().unwrap().generation
    );
    assert!(
        stats.revoked_refresh_token_uses <= 1,
        "{kind}: at most one try of the losing pair"
    );
    assert_eq!(stats.refresh_token_reuses, 0, "{kind}");
    // Spent twice, but the second time before the first pair was saved or seen:
    // the recovery; a pair handed out and then lost is one Slack revoked.
    history.final_of(make().as_ref());
    history.slack(&slack);
    history.assert_ok(&format!(
        "a grace double pair on {kind}, Slack keeping the {keep:?} pair"
    ));
}

#[test]
fn a_refresh_token_spent_twice_in_the_grace_period_never_kills_the_chain_in_any_store() {
    let dir = std::env::temp_dir().join(format!("xoxe-fleet-grace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
    for keep in [fake_slack::GraceKeep::First, fake_slack::GraceKeep::Second] {
        let memory: Arc<dyn Store> = Arc::new(xoxe::MemoryStore::new(None));
        grace_double_pair("memory", &|| memory.clone(), false, keep);
        let path = dir.join(format!("{keep:?}.json"));
        grace_double_pair(
            "file",
            &|| Arc::new(xoxe::FileStore::new(&path, Duration::from_secs(60)).unwrap()),
            false,
            keep,
        );
        for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
            let chain = unique_chain("grace");
            grace_double_pair(db.name, &|| db.store(&chain), true, keep);
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------------------------
// TLS

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA (`ca.pem`) and a certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let ssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=xoxe test database CA",
    ]);
    ssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    ssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
}

#[test]
fn tls_to_postgres_and_redis_is_rustls_trusting_the_extra_ca_bundle_only_when_given() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("build/db-tls-{}", std::process::id()));
    common::db::start(&dir);
    struct Stop(std::path::PathBuf, Option<std::process::Child>);
    impl Drop for Stop {
        fn drop(&mut self) {
            if let Some(mut redis) = self.1.take() {
                let _ = redis.kill();
                let _ = redis.wait();
            }
            common::db::control(&self.0, &["stop"]);
        }
    }
    let mut stop = Stop(dir.clone(), None);
    let certs = dir.join("certs");
    make_certificates(&certs);
    let ca = certs.join("ca.pem");

    // PostgreSQL: its own copy of the key, owned by the server's user.
    let postgres_uid: u32 = String::from_utf8(Command::new("id").args(["-u", "postgres"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pg_certs = std::path::PathBuf::from(format!("/tmp/xoxe-pg-tls-{}", std::process::id()));
    std::fs::create_dir_all(&pg_certs).unwrap();
    for file in ["server.crt", "server.key"] {
        std::fs::copy(certs.join(file), pg_certs.join(file)).unwrap();
        std::os::unix::fs::chown(pg_certs.join(file), Some(postgres_uid), None).unwrap();
        std::fs::set_permissions(pg_certs.join(file), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    let cert = pg_certs.join("server.crt").display().to_string();
    let key = pg_certs.join("server.key").display().to_string();
    common::db::control(
        &dir,
        &[
            "psql",
            &format!("ALTER SYSTEM SET ssl_cert_file = '{cert}'"),
            &format!("ALTER SYSTEM SET ssl_key_file = '{key}'"),
            "ALTER SYSTEM SET ssl = on",
            "SELECT pg_reload_conf()",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while common::db::control(&dir, &["psql", "SHOW ssl"]).trim() != "on" {
        assert!(Instant::now() < deadline, "PostgreSQL never turned TLS on");
        std::thread::sleep(Duration::from_millis(50));
    }
    let databases = common::db::databases_in(&dir);
    let postgres = databases.iter().find(|d| d.name == "postgres").unwrap();
    let chain = unique_chain("tls");
    let trusted = format!("{}?sslmode=require&sslrootcert={}", postgres.url, ca.display());
    let store = xoxe::store::fleet::postgres(&trusted, &chain).unwrap();
    assert_eq!(
        store.compare_and_swap(None, &pair(0, "xoxe-1-tlstlstlstls")).unwrap(),
        Saved::Stored
    );
    let encrypted = common::db::control(
        &dir,
        &[
            "psql",
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
                   WHERE ssl AND application_name LIKE 'xoxe %'",
        ],
    );
    assert_ne!(encrypted.trim(), "0", "the store's connection is encrypted");
    assert!(store.describe().contains("sslrootcert="), "{}", store.describe());
    let untrusted = xoxe::store::fleet::postgres(&format!("{}?sslmode=require", postgres.url), &chain)
        .err()
        .expect("an unknown CA is refused");
    assert_eq!(untrusted.status, Status::StoreIo, "{}", untrusted.message);
    assert!(
        untrusted.message.to_lowercase().contains("certificate"),
        "{}",
        untrusted.message
    );
    assert!(!untrusted.message.contains(&postgres.password()));
    let _ = std::fs::remove_dir_all(&pg_certs);

    // Redis with TLS only (no plain port), the same password as the test servers.
    let password = databases.iter().find(|d| d.name == "redis").unwrap().password();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("redis-tls.conf");
    std::fs::write(
        &config,
        format!(
            "port 0\ntls-port {port}\nbind 127.0.0.1\ntls-cert-file {c}/server.crt\ntls-key-file {c}/server.key\n\
             tls-ca-cert-file {c}/ca.pem\ntls-auth-clients no\nrequirepass {password}\nsave \"\"\nappendonly no\n\
             dir {d}\n",
            c = certs.display(),
            d = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    stop.1 = Some(
        Command::new("redis-server")
            .arg(&config)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("rediss://:{password}@127.0.0.1:{port}/0");
    let deadline = Instant::now() + Duration::from_secs(60);
    let store = loop {
        match xoxe::store::fleet::redis(&format!("{url}?sslrootcert={}", ca.display()), &chain) {
            Ok(store) => break store,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.status, Status::StoreIo, "{}", e.message);
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("Redis over TLS: {e}"),
        }
    };
    assert_eq!(
        store.compare_and_swap(None, &pair(0, "xoxe-1-tlstlstlstls")).unwrap(),
        Saved::Stored
    );
    assert_eq!(store.load().unwrap().unwrap().generation, 0);
    let untrusted = xoxe::store::fleet::redis(&url, &chain)
        .err()
        .expect("an unknown CA is refused");
    assert_eq!(untrusted.status, Status::StoreIo, "{}", untrusted.message);
    assert!(!untrusted.message.contains(&password), "{}", untrusted.message);
    assert!(
        untrusted.message.to_lowercase().contains("certificate"),
        "{}",
        untrusted.message
    );
}

#[test]
fn a_refused_rotation_clears_its_marker_and_an_unknown_outcome_keeps_it() {
    let slack = server();
    for db in databases() {
        let chain = unique_chain("marker");
        let store = db.store(&chain);
        xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        let rotator = Rotator::config(client_for(&slack.base_url()), db.store(&chain), short_lease_options());
        // Slack refused: the refresh token is unspent, so the next holder need not wait.
        slack.inject(Fault::new(
            ROTATE,
            FaultKind::SlackError {
                error: "invalid_arguments".into(),
                apply: false,
            },
        ));
        assert_eq!(
            rotator.get().unwrap_err().status,
            Status::InvalidArguments,
            "{}",
            db.name
        );
        assert_eq!(
            store.in_flight().unwrap(),
            None,
            "{}: a refusal clears the marker",
            db.name
        );
        // Slack may have applied it: the marker stays for the next holder.
        slack.inject(Fault::new(
            ROTATE,
            FaultKind::SlackError {
                error: "internal_error".into(),
                apply: false,
            },
        ));
        assert_eq!(rotator.get().unwrap_err().status, Status::OutcomeUnknown, "{}", db.name);
        let marker = store.in_flight().unwrap().expect("an unknown outcome keeps the marker");
        assert_eq!(marker.generation, 0, "{}", db.name);
        // The next try waits the marker out (the 2 s call deadline), then rotates.
        let started = Instant::now();
        let token = rotator.get().unwrap();
        assert!(
            started.elapsed() + Duration::from_millis(100) >= marker.left,
            "{}",
            db.name
        );
        client_for(&slack.base_url())
            .auth_test(token.token.expose(), None)
            .unwrap();
        assert_eq!(store.in_flight().unwrap(), None, "{}: saved, cleared", db.name);
    }
}

#[test]
fn a_save_repeated_after_its_answer_was_lost_is_recognised_as_ours() {
    let slack = server();
    for db in databases() {
        let chain = unique_chain("lost-answer");
        let store = db.store(&chain);
        xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
        // The first save commits, loses its answer and is repeated (as a fleet
        // store does on a new connection): the repeat reports a conflict holding
        // the very pair just saved.
        let wrapped = Arc::new(Hooked::new(db.store(&chain)).before_save_with(|inner, expected, new| {
            assert_eq!(inner.compare_and_swap(expected, new)?, Saved::Stored);
            Ok(())
        }));
        let rotator = Rotator::config(client_for(&slack.base_url()), wrapped, RotatorOptions::default());
        let token = rotator.get().unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert_eq!(store.load().unwrap().unwrap().access_token, token.token, "{}", db.name);
        assert!(store.orphans(0).unwrap().is_empty(), "{}: nothing parked", db.name);
    }
}
