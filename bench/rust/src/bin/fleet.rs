//! What a fleet store (PostgreSQL, Redis over TCP) costs a rotation, against a fake
//! Slack run in this process with real rotations:
//!   - rotations per second one process sustains: sequential `force_rotate` of one
//!     chain, and THREADS threads force-rotating CHAINS chains opened from one
//!     store connection (as a `Pool` opens its chains);
//!   - store round trips per rotation and per pair found fresh, counted by the
//!     server (see "notes" in the output);
//!   - follower notice latency: a follower in a child process, on a connection of
//!     its own, waits for the lease while the leader rotates (Slack answers the
//!     leader after DELAY_MS); the time from the leader's `force_rotate` returning
//!     (its save done) to the follower's returning, over TRIALS trials.
//!
//! Usage: fleet ROTATIONS CHAINS THREADS TRIALS DELAY_MS
//!   XOXE_TEST_POSTGRES_URL, XOXE_TEST_REDIS_URL
//!                  the databases (scripts/test-db.sh); each store whose variable is
//!                  unset is skipped. PostgreSQL counting connects without TLS.
//!
//! Prints one JSON document on stdout:
//! {"stores":{NAME:{"sequential":{"rotations","seconds","rotations_per_s"},
//!   "concurrent":{"chains","threads","rotations","seconds","rotations_per_s"},
//!   "round_trips":{"per_rotation","per_fresh_pair","counted","database"},
//!   "follower_notice_ms":{"median","p90","min","max","trials"}}},
//!  "skipped":[NAME...], "notes":{...}}
//! Never prints a token or a database URL.
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xoxe::store::{ChainKind, StoredPair};
use xoxe::{Client, ClientOptions, Rotator, RotatorOptions, Secret, Store};

fn die(what: &str, e: &dyn std::fmt::Display) -> ! {
    // xoxe's errors never hold a secret (database URLs are redacted in them);
    // the database drivers' errors here are about connecting and counting.
    eprintln!("fleet: {what}: {e}");
    std::process::exit(1);
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn unique(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "bench-{name}-{}-{}-{}",
        std::process::id(),
        now_us(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn open(kind: &str, url: &str, chain: &str) -> Arc<dyn Store> {
    if kind == "postgres" {
        xoxe::store::fleet::postgres(url, chain)
    } else {
        xoxe::store::fleet::redis(url, chain)
    }
    .unwrap_or_else(|e| die(kind, &e))
}

fn client(base_url: &str) -> Arc<Client> {
    Arc::new(
        Client::new(ClientOptions {
            base_url: base_url.to_string(),
            ..Default::default()
        })
        .unwrap_or_else(|e| die("client", &e)),
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgresql", url));
    let (before, query) = match rest.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = before.split_once('/').map_or(before, |(a, _)| a);
    format!("{scheme}://{authority}/{database}{query}")
}

/// A server-side count of what clients asked of one database.
enum Counter {
    /// `xact_commit + xact_rollback` of `database`, read from another database.
    Postgres { admin: postgres::Client, database: String },
    /// `total_reads_processed`.
    Redis { connection: redis::Connection },
}

impl Counter {
    fn read(&mut self) -> u64 {
        match self {
            Counter::Postgres { admin, database } => {
                // Backends report their counts when they exit: wait for the
                // measured connections to end and the count to settle.
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut last = None;
                loop {
                    if Instant::now() > deadline {
                        die("counting", &"the PostgreSQL statistics never settled");
                    }
                    let row = admin
                        .query_one(
                            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = $1), \
                             (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1)",
                            &[&*database],
                        )
                        .unwrap_or_else(|e| die("counting", &e));
                    let (backends, transactions): (i64, i64) = (row.get(0), row.get(1));
                    if backends == 0 && last == Some(transactions) {
                        return transactions as u64;
                    }
                    last = (backends == 0).then_some(transactions);
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
            Counter::Redis { connection } => {
                let info: String = redis::cmd("INFO")
                    .arg("stats")
                    .query(connection)
                    .unwrap_or_else(|e| die("counting", &e));
                info.lines()
                    .find_map(|l| l.strip_prefix("total_reads_processed:"))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or_else(|| die("counting", &"no total_reads_processed in INFO stats"))
            }
        }
    }

    fn count(&mut self, work: impl FnOnce()) -> u64 {
        let before = self.read();
        work();
        self.read().saturating_sub(before)
    }
}

struct Bench<'a> {
    server: &'a fake_slack::FakeSlack,
    kind: &'static str,
}

impl Bench<'_> {
    fn seeded(&self, url: &str, chain: &str) -> Arc<dyn Store> {
        let store = open(self.kind, url, chain);
        self.seed(&*store);
        store
    }

    fn seed(&self, store: &dyn Store) {
        let refresh = self.server.new_config_token(None).refresh_token;
        let pair = StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0);
        xoxe::store::init(store, pair, true).unwrap_or_else(|e| die("seed", &e));
    }

    fn rotator(&self, store: Arc<dyn Store>) -> Rotator {
        Rotator::config(client(&self.server.base_url()), store, RotatorOptions::default())
    }

    /// `n` forced rotations of one chain on a connection of their own.
    fn forced(&self, url: &str, n: usize) -> Duration {
        let rotator = self.rotator(self.seeded(url, &unique("seq")));
        rotator.force_rotate().unwrap_or_else(|e| die("force_rotate", &e));
        let t0 = Instant::now();
        for _ in 0..n {
            rotator.force_rotate().unwrap_or_else(|e| die("force_rotate", &e));
        }
        t0.elapsed()
    }

    /// A rotation, then `n` new rotators finding the pair fresh under the lease.
    fn fresh(&self, url: &str, n: usize) {
        let store = self.seeded(url, &unique("fresh"));
        self.rotator(store.clone()).get().unwrap_or_else(|e| die("get", &e));
        for _ in 0..n {
            self.rotator(store.clone()).get().unwrap_or_else(|e| die("get", &e));
        }
    }

    /// `threads` threads force-rotating `chains` chains of one connection,
    /// `per_chain` times each; returns (rotations, elapsed).
    fn concurrent(&self, url: &str, chains: usize, threads: usize, per_chain: usize) -> (usize, Duration) {
        let base = open(self.kind, url, &unique("pool"));
        let rotators: Vec<Rotator> = (0..chains)
            .map(|_| {
                let store = base
                    .open_chain(&unique("pool"))
                    .unwrap_or_else(|e| die("open_chain", &e));
                self.seed(&*store);
                let r = self.rotator(store);
                r.force_rotate().unwrap_or_else(|e| die("force_rotate", &e));
                r
            })
            .collect();
        let next = AtomicUsize::new(0);
        let total = chains * per_chain;
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    rotators[i % chains]
                        .force_rotate()
                        .unwrap_or_else(|e| die("force_rotate", &e));
                });
            }
        });
        (total, t0.elapsed())
    }

    /// Follower notice latency over `trials` trials, in milliseconds.
    fn follower(&self, url: &str, trials: usize, delay_ms: u64) -> Vec<f64> {
        let chain = unique("follow");
        let observer = self.seeded(url, &chain);
        let leader = self.rotator(open(self.kind, url, &chain));
        leader.get().unwrap_or_else(|e| die("get", &e));
        let mut child = Command::new(std::env::current_exe().unwrap_or_else(|e| die("current_exe", &e)))
            .args(["--follower", self.kind, &chain, &self.server.base_url()])
            .env("XOXE_BENCH_FOLLOWER_URL", url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| die("start the follower", &e));
        let mut to_child = child.stdin.take().unwrap();
        let mut from_child = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut expect = |prefix: &str| -> String {
            line.clear();
            from_child.read_line(&mut line).unwrap_or_else(|e| die("follower", &e));
            line.trim()
                .strip_prefix(prefix)
                .unwrap_or_else(|| die("follower", &format!("expected {prefix:?}")))
                .to_string()
        };
        expect("ready");
        let mut out = Vec::with_capacity(trials);
        for _ in 0..trials {
            self.server.inject(fake_slack::Fault::new(
                "tooling.tokens.rotate",
                fake_slack::FaultKind::SlowHeaders { delay_ms, apply: true },
            ));
            let saved_us = std::thread::scope(|s| {
                let leading = s.spawn(|| {
                    leader.force_rotate().unwrap_or_else(|e| die("force_rotate", &e));
                    now_us()
                });
                // The leader holds the lease and is at Slack: start the follower.
                while observer.in_flight().unwrap_or_else(|e| die("in_flight", &e)).is_none() {
                    std::thread::sleep(Duration::from_millis(2));
                }
                writeln!(to_child, "go").unwrap_or_else(|e| die("follower", &e));
                leading.join().unwrap()
            });
            let returned_us: u128 = expect("done ")
                .parse()
                .unwrap_or_else(|_| die("follower", &"a bad time"));
            out.push(returned_us.saturating_sub(saved_us) as f64 / 1000.0);
        }
        let _ = writeln!(to_child, "quit");
        let _ = child.wait();
        out
    }
}

/// The follower process: `--follower KIND CHAIN BASE_URL`, the URL in the
/// environment; force-rotates on each `go` (finding the leader's pair, it uses
/// it) and prints when it returned.
fn follower(kind: &str, chain: &str, base_url: &str) {
    let url = std::env::var("XOXE_BENCH_FOLLOWER_URL").unwrap_or_else(|e| die("follower", &e));
    let kind: &'static str = if kind == "postgres" { "postgres" } else { "redis" };
    let rotator = Rotator::config(client(base_url), open(kind, &url, chain), RotatorOptions::default());
    rotator.get().unwrap_or_else(|e| die("follower get", &e));
    let stdout = std::io::stdout();
    println!("ready");
    let _ = stdout.lock().flush();
    for line in std::io::stdin().lock().lines() {
        match line.as_deref() {
            Ok("go") => {
                rotator
                    .force_rotate()
                    .unwrap_or_else(|e| die("follower force_rotate", &e));
                println!("done {}", now_us());
                let _ = stdout.lock().flush();
            }
            _ => break,
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() == 5 && a[1] == "--follower" {
        follower(&a[2], &a[3], &a[4]);
        return;
    }
    if a.len() != 6 {
        eprintln!("usage: fleet ROTATIONS CHAINS THREADS TRIALS DELAY_MS");
        std::process::exit(2);
    }
    let number = |i: usize, what: &str| -> usize {
        a[i].parse()
            .unwrap_or_else(|_| die("arguments", &format!("{what} must be a number")))
    };
    let rotations = number(1, "ROTATIONS").max(10);
    let chains = number(2, "CHAINS").max(1);
    let threads = number(3, "THREADS").max(1);
    let trials = number(4, "TRIALS").max(1);
    let delay_ms = number(5, "DELAY_MS") as u64;

    let server =
        fake_slack::FakeSlack::start(fake_slack::Config::default()).unwrap_or_else(|e| die("start the fake Slack", &e));
    let mut stores = serde_json::Map::new();
    let mut skipped = Vec::new();
    for (kind, name, var) in [
        ("postgres", "postgres", "XOXE_TEST_POSTGRES_URL"),
        ("redis", "redis-tcp", "XOXE_TEST_REDIS_URL"),
    ] {
        let Some(url) = std::env::var(var).ok().filter(|u| !u.is_empty()) else {
            skipped.push(name);
            continue;
        };
        let bench = Bench { server: &server, kind };

        // Round trips, in a database of their own when the server allows it.
        let (mut counter, count_url, database) = if kind == "postgres" {
            let mut admin =
                postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| die("postgres (counting)", &e));
            let own = format!("xoxe_bench_fleet_{}", std::process::id());
            let created = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {own}"))
                .and_then(|()| admin.batch_execute(&format!("CREATE DATABASE {own}")))
                .is_ok();
            let database = if created {
                own
            } else {
                admin
                    .query_one("SELECT current_database()", &[])
                    .map(|r| r.get::<_, String>(0))
                    .unwrap_or_else(|e| die("postgres (counting)", &e))
            };
            let count_url = if created {
                with_database(&url, &database)
            } else {
                url.clone()
            };
            (
                Counter::Postgres {
                    admin,
                    database: database.clone(),
                },
                count_url,
                if created { "own" } else { "shared" },
            )
        } else {
            let connection = redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .unwrap_or_else(|e| die("redis (counting)", &e));
            (Counter::Redis { connection }, url.clone(), "shared server")
        };
        // Once first (Redis learns the scripts), then two runs of different
        // lengths: what both pay (connecting, seeding, preparing, counting) cancels.
        bench.forced(&count_url, 2);
        bench.fresh(&count_url, 2);
        let (short, long) = (5usize, 5 + rotations.min(200));
        let forced_short = counter.count(|| {
            bench.forced(&count_url, short);
        });
        let forced_long = counter.count(|| {
            bench.forced(&count_url, long);
        });
        let fresh_short = counter.count(|| bench.fresh(&count_url, short));
        let fresh_long = counter.count(|| bench.fresh(&count_url, long));
        let per = |a: u64, b: u64| (b as f64 - a as f64) / (long - short) as f64;
        let round_trips = serde_json::json!({
            "per_rotation": (per(forced_short, forced_long) * 100.0).round() / 100.0,
            "per_fresh_pair": (per(fresh_short, fresh_long) * 100.0).round() / 100.0,
            "counted": if kind == "postgres" { "pg_stat_database xact_commit+xact_rollback" } else { "INFO stats total_reads_processed" },
            "database": database,
        });
        if let Counter::Postgres { admin, database } = &mut counter {
            if database.starts_with("xoxe_bench_fleet_") {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database}"));
            }
        }
        drop(counter);

        let seconds = bench.forced(&url, rotations).as_secs_f64();
        let sequential = serde_json::json!({
            "rotations": rotations,
            "seconds": seconds,
            "rotations_per_s": (rotations as f64 / seconds).round(),
        });
        let (total, elapsed) = bench.concurrent(&url, chains, threads, rotations.div_ceil(chains).max(2));
        let concurrent = serde_json::json!({
            "chains": chains,
            "threads": threads,
            "rotations": total,
            "seconds": elapsed.as_secs_f64(),
            "rotations_per_s": (total as f64 / elapsed.as_secs_f64()).round(),
        });
        let mut latency = bench.follower(&url, trials, delay_ms);
        latency.sort_by(f64::total_cmp);
        let round = |x: f64| (x * 100.0).round() / 100.0;
        stores.insert(
            name.to_string(),
            serde_json::json!({
                "sequential": sequential,
                "concurrent": concurrent,
                "round_trips": round_trips,
                "follower_notice_ms": {
                    "median": round(percentile(&latency, 0.5)),
                    "p90": round(percentile(&latency, 0.9)),
                    "min": round(latency[0]),
                    "max": round(latency[latency.len() - 1]),
                    "trials": trials,
                },
            }),
        );
    }
    println!(
        "{}",
        serde_json::json!({
            "stores": stores,
            "skipped": skipped,
            "args": {"rotations": rotations, "chains": chains, "threads": threads, "trials": trials, "delay_ms": delay_ms},
            "notes": {
                "rotations": "sequential: one Rotator force-rotating one chain; concurrent: THREADS threads \
                    force-rotating CHAINS chains opened (open_chain) from one store connection, as a Pool does; \
                    Slack is a fake in this process",
                "round_trips": "counted by the server. PostgreSQL: xact_commit + xact_rollback of a database \
                    created for the count (\"own\"; \"shared\" when it could not be created), read from another \
                    database after the measured connections closed (a backend reports at exit), so the \
                    counting queries add nothing. Redis: INFO stats total_reads_processed (socket reads, one \
                    per request sent and waited for; commands run inside a script are not reads). Each figure \
                    is (long run - short run) / (difference in rotations), so connecting, seeding, preparing \
                    statements and the counting INFO itself cancel. per_fresh_pair: a new rotator's get() \
                    that finds the pair fresh under the lease",
                "follower_notice_ms": "a follower in a child process on its own connection calls \
                    force_rotate while the leader (this process) holds the lease and waits DELAY_MS for Slack; \
                    from the leader's force_rotate returning (its save done) to the follower's returning \
                    (wall clocks of one machine)",
            },
        })
    );
}
