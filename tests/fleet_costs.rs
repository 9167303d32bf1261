//! What the fleet stores cost: store round trips per rotation, counted by the
//! servers themselves (PostgreSQL's committed and rolled-back transactions of a
//! database of its own, Redis's socket reads), and followers woken by the
//! release notice (LISTEN/NOTIFY, pub/sub) rather than by their polling.

mod common;

use common::db::{databases, databases_in, unique_chain, Database};
use common::server;
use fake_slack::{Fault, FaultKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xoxe::{ChainKind, Client, ClientOptions, Rotator, RotatorOptions, Secret, Store, StoredPair};

const ROTATE: &str = "tooling.tokens.rotate";

fn client_for(base_url: &str) -> Arc<Client> {
    Arc::new(
        Client::new(ClientOptions {
            base_url: base_url.to_string(),
            ..ClientOptions::default()
        })
        .unwrap(),
    )
}

fn seed(refresh: &str) -> StoredPair {
    StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0)
}

/// Servers of this test alone: their counters see no other test's traffic.
struct Own(PathBuf);

impl Drop for Own {
    fn drop(&mut self) {
        common::db::control(&self.0, &["stop"]);
    }
}

/// A server-side count of what clients asked of one database.
enum Counter {
    /// Transactions (`xact_commit + xact_rollback`) of a database only the store
    /// uses, read from another database (so reading adds nothing).
    Postgres {
        admin: postgres::Client,
        database: String,
        url: String,
    },
    /// `total_reads_processed`: socket reads, one per request a client sends and
    /// waits for (the counting `INFO` adds one per reading, the same every time).
    Redis { connection: redis::Connection, url: String },
}

impl Counter {
    fn new(db: &Database) -> Counter {
        if db.name == "postgres" {
            let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
            let database = format!("xoxe_costs_{}", std::process::id());
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))
                .unwrap();
            admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
            let (base, _) = db.url.rsplit_once('/').unwrap();
            let url = format!("{base}/{database}");
            Counter::Postgres { admin, database, url }
        } else {
            let connection = redis::Client::open(db.url.as_str()).unwrap().get_connection().unwrap();
            Counter::Redis {
                connection,
                url: db.url.clone(),
            }
        }
    }

    /// The URL of the database counted (holds a password: never printed).
    fn url(&self) -> &str {
        match self {
            Counter::Postgres { url, .. } | Counter::Redis { url, .. } => url,
        }
    }

    fn store(&self, chain: &str) -> Arc<dyn Store> {
        match self {
            Counter::Postgres { url, .. } => xoxe::store::fleet::postgres(url, chain),
            Counter::Redis { url, .. } => xoxe::store::fleet::redis(url, chain),
        }
        .unwrap()
    }

    fn read(&mut self) -> u64 {
        match self {
            Counter::Postgres { admin, database, .. } => {
                // A backend's counts reach the statistics when it exits: wait for
                // the store's connections to end, then for the count to settle.
                let deadline = Instant::now() + Duration::from_secs(60);
                let count = |admin: &mut postgres::Client| -> (i64, i64) {
                    let row = admin
                        .query_one(
                            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = $1), \
                             (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1)",
                            &[&*database],
                        )
                        .unwrap();
                    (row.get(0), row.get(1))
                };
                let mut last = None;
                loop {
                    assert!(Instant::now() < deadline, "the counts never settled");
                    let (backends, transactions) = count(admin);
                    if backends == 0 && last == Some(transactions) {
                        return u64::try_from(transactions).unwrap();
                    }
                    last = (backends == 0).then_some(transactions);
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
            Counter::Redis { connection, .. } => {
                let info: String = redis::cmd("INFO").arg("stats").query(connection).unwrap();
                info.lines()
                    .find_map(|l| l.strip_prefix("total_reads_processed:"))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            }
        }
    }

    /// What `work` (on a connection of its own, closed when it returns) costs.
    fn count(&mut self, work: impl FnOnce(&Counter)) -> u64 {
        let before = self.read();
        work(self);
        self.read() - before
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        if let Counter::Postgres { admin, database, .. } = self {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database}"));
        }
    }
}

/// `n` forced rotations of a new chain through a store connection of their own.
fn forced(counter: &Counter, base_url: &str, seed_token: String, n: usize) {
    let store = counter.store(&unique_chain("forced"));
    xoxe::store::init(store.as_ref(), seed(&seed_token), false).unwrap();
    let rotator = Rotator::config(client_for(base_url), store, RotatorOptions::default());
    for _ in 0..n {
        rotator.force_rotate().unwrap();
    }
}

/// One rotation of a new chain, then `n` new rotators that each find the pair
/// fresh under the lease (a rotator starts with nothing cached).
fn fresh(counter: &Counter, base_url: &str, seed_token: String, n: usize) {
    let store = counter.store(&unique_chain("fresh"));
    xoxe::store::init(store.as_ref(), seed(&seed_token), false).unwrap();
    let client = client_for(base_url);
    let first = Rotator::config(client.clone(), store.clone(), RotatorOptions::default())
        .get()
        .unwrap();
    for _ in 0..n {
        let token = Rotator::config(client.clone(), store.clone(), RotatorOptions::default())
            .get()
            .unwrap();
        assert_eq!(token.token, first.token);
    }
}

#[test]
fn a_forced_rotation_costs_at_most_three_round_trips_and_finding_the_pair_fresh_two() {
    let slack = server();
    let url = slack.base_url();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("build/db-costs-{}", std::process::id()));
    common::db::start(&dir);
    let _own = Own(dir.clone());
    for db in databases_in(&dir) {
        let name = db.name;
        let mut counter = Counter::new(&db);
        assert!(!counter.url().is_empty());
        // Once first: Redis keeps the scripts it learns (a first call costs two).
        forced(&counter, &url, slack.new_config_token(None).refresh_token, 2);
        fresh(&counter, &url, slack.new_config_token(None).refresh_token, 2);
        // Two runs of different lengths: what both pay (connecting, seeding,
        // preparing statements, counting) cancels out.
        let per = |counter: &mut Counter, run: &dyn Fn(&Counter, &str, String, usize)| -> f64 {
            let short = counter.count(|c| run(c, &url, slack.new_config_token(None).refresh_token, 5));
            let long = counter.count(|c| run(c, &url, slack.new_config_token(None).refresh_token, 25));
            (long as f64 - short as f64) / 20.0
        };
        let rotation = per(&mut counter, &forced);
        let fresh = per(&mut counter, &fresh);
        println!("{name}: {rotation:.2} round trips per forced rotation, {fresh:.2} per pair found fresh");
        // A little room for the server's own work (autovacuum, say), none for one
        // more statement per rotation.
        assert!(rotation <= 3.25, "{name}: {rotation:.2} round trips per rotation");
        assert!(rotation >= 2.75, "{name}: counted nothing? {rotation:.2}");
        assert!(fresh <= 2.25, "{name}: {fresh:.2} round trips per pair found fresh");
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

/// Whether a waiter is subscribed to `chain`'s release notices, asked of the server.
fn subscribed(dir: &Path, db: &Database, chain: &str) -> bool {
    match db.name {
        "postgres" => {
            let sql = format!(
                "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN {}'",
                xoxe::store::fleet::wake_channel(chain)
            );
            common::db::control(dir, &["psql", &sql]).trim() != "0"
        }
        name => {
            let channel = format!("xoxe:{{{chain}}}:wake");
            let mut args = vec!["redis-cli"];
            if name == "redis" {
                args.push("--tcp");
            }
            args.extend(["PUBSUB", "NUMSUB", &channel]);
            let out = common::db::control(dir, &args);
            out.lines().nth(1).is_some_and(|n| n.trim() != "0")
        }
    }
}

#[test]
fn a_waiting_follower_is_woken_by_the_release_not_by_its_polling() {
    let slack = server();
    let dir = common::db::shared_dir();
    for db in databases() {
        let name = db.name;
        let chain = unique_chain("wake");
        xoxe::store::init(
            db.store(&chain).as_ref(),
            seed(&slack.new_config_token(None).refresh_token),
            false,
        )
        .unwrap();
        // The follower polls every 10 minutes and gives up after 40 s: only the
        // notice can wake it sooner (the leader's lease lasts 60 s).
        let poll = Some(Duration::from_secs(600));
        let follower_store: Arc<dyn Store> = if name == "postgres" {
            let store = xoxe::store::PostgresStore::connect(&db.url, &chain).unwrap();
            store.set_lease_poll(poll);
            Arc::new(store)
        } else {
            let store = xoxe::store::RedisStore::connect(&db.url, &chain).unwrap();
            store.set_lease_poll(poll);
            Arc::new(store)
        };
        let leader = Rotator::config(
            client_for(&slack.base_url()),
            db.store(&chain),
            RotatorOptions::default(),
        );
        let follower = Rotator::config(
            client_for(&slack.base_url()),
            follower_store,
            RotatorOptions {
                wait_timeout: Duration::from_secs(40),
                ..RotatorOptions::default()
            },
        );
        let observer = db.store(&chain);
        let rotations = slack.stats().rotations;
        // Twice: the second wait reuses the listening connection of the first.
        for round in 0..2 {
            // Slack answers the leader after 3 s: the follower waits meanwhile.
            slack.inject(Fault::new(
                ROTATE,
                FaultKind::SlowHeaders {
                    delay_ms: 3_000,
                    apply: true,
                },
            ));
            std::thread::scope(|s| {
                let leading = s.spawn(|| {
                    let token = if round == 0 {
                        leader.get()
                    } else {
                        leader.force_rotate()
                    };
                    (token.unwrap(), Instant::now())
                });
                let deadline = Instant::now() + Duration::from_secs(60);
                while observer.in_flight().unwrap().is_none() {
                    assert!(Instant::now() < deadline, "{name}: the leader never started");
                    std::thread::sleep(Duration::from_millis(10));
                }
                // The follower's pair is stale (none yet, or the one the leader is
                // replacing): it waits for the lease, then uses the leader's pair.
                let following = s.spawn(|| {
                    let token = if round == 0 {
                        follower.get()
                    } else {
                        follower.force_rotate()
                    };
                    (token.unwrap(), Instant::now())
                });
                while !subscribed(&dir, &db, &chain) {
                    assert!(Instant::now() < deadline, "{name}: the follower never waited");
                    std::thread::sleep(Duration::from_millis(20));
                }
                assert!(
                    !leading.is_finished(),
                    "{name}: the follower should be waiting while the leader rotates (machine too slow?)"
                );
                let (led, saved) = leading.join().unwrap();
                let (followed, woken) = following.join().unwrap();
                assert_eq!(followed.token, led.token, "{name}: the follower uses the leader's pair");
                let late = woken.saturating_duration_since(saved);
                println!(
                    "{name}, round {round}: the follower returned {} ms after the leader's save",
                    late.as_millis()
                );
                assert!(
                    late < Duration::from_secs(20),
                    "{name}: the follower returned {late:?} after the save: woken by its poll, not the notice"
                );
            });
        }
        assert_eq!(
            slack.stats().rotations,
            rotations + 2,
            "{name}: only the leader rotated"
        );
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}
