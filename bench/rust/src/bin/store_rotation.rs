//! What each store adds to a rotation: `Rotator::force_rotate` through the memory,
//! file, PostgreSQL and Redis (TCP and unix socket) stores, against a fake Slack
//! run in this process with real rotations (each refresh token is spent once, and
//! the store then holds the new one; the `--bench-refresh-token` mode cannot be
//! used here, as it hands back a new refresh token it never accepts).
//!
//! Usage: store_rotation ROTATIONS ROUNDS WARMUP DIR
//!   DIR            where the file store's directory is made (removed afterwards)
//!   XOXE_TEST_POSTGRES_URL, XOXE_TEST_REDIS_URL, XOXE_TEST_REDIS_UNIX_URL
//!                  the fleet stores' databases (scripts/test-db.sh); each store
//!                  whose variable is unset is skipped
//!
//! Every store is seeded with a fresh config token and warmed up with WARMUP
//! rotations; then, ROUNDS times, each store in turn does ROTATIONS rotations, each
//! timed on its own. The baseline "client" spends the same chain of refresh tokens
//! with `Client::tooling_tokens_rotate` and no store at all. Prints one JSON line:
//! {"stores":{NAME:{"median_us":[one per round],"p90_us":[...],"min_us":[...]}},
//!  "skipped":[NAME...], "rotations":N, "rounds":R, "warmup":W}
//! Never prints a token or a database URL.
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xoxe::store::{ChainKind, StoredPair};
use xoxe::{Client, ClientOptions, Rotator, RotatorOptions, Secret, Store};

/// One way of rotating: a rotator over a store, or the bare client call.
enum Subject {
    Rotator(Box<Rotator>),
    Client { client: Arc<Client>, refresh: Secret },
}

impl Subject {
    fn rotate(&mut self) {
        match self {
            Subject::Rotator(r) => {
                let t = r.force_rotate().unwrap_or_else(|e| die("force_rotate", &e));
                std::hint::black_box(&t);
            }
            Subject::Client { client, refresh } => {
                let pair = client
                    .tooling_tokens_rotate(refresh.expose(), None)
                    .unwrap_or_else(|e| die("tooling.tokens.rotate", &e));
                *refresh = pair.refresh_token;
            }
        }
    }
}

fn die(what: &str, e: &xoxe::Error) -> ! {
    // xoxe's errors never hold a secret (database URLs are redacted in them).
    eprintln!("store_rotation: {what}: {e}");
    std::process::exit(1);
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 5 {
        eprintln!("usage: store_rotation ROTATIONS ROUNDS WARMUP DIR");
        std::process::exit(2);
    }
    let rotations: usize = a[1].parse().expect("ROTATIONS");
    let rounds: usize = a[2].parse().expect("ROUNDS");
    let warmup: usize = a[3].parse().expect("WARMUP");
    assert!(rotations > 0 && rounds > 0, "ROTATIONS and ROUNDS must be positive");

    let server = fake_slack::FakeSlack::start(fake_slack::Config::default()).expect("start the fake Slack");
    let client = Arc::new(
        Client::new(ClientOptions {
            base_url: server.base_url(),
            ..Default::default()
        })
        .unwrap_or_else(|e| die("client", &e)),
    );
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let chain = format!("bench-{}-{nanos}", std::process::id());

    // The file store's directory must be private (0700).
    let dir = std::path::Path::new(&a[4]).join(format!("store-rotation-{}", std::process::id()));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .expect("make the file store's directory");
    }

    let mut subjects: Vec<(&str, Subject)> = Vec::new();
    let mut skipped: Vec<&str> = Vec::new();
    let seed = |store: Arc<dyn Store>| -> Subject {
        let refresh = server.new_config_token(None).refresh_token;
        let pair = StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0);
        xoxe::store::init(&*store, pair, true).unwrap_or_else(|e| die("seed the store", &e));
        Subject::Rotator(Box::new(Rotator::config(
            client.clone(),
            store,
            RotatorOptions::default(),
        )))
    };

    subjects.push((
        "client",
        Subject::Client {
            client: client.clone(),
            refresh: Secret::new(server.new_config_token(None).refresh_token),
        },
    ));
    {
        let refresh = server.new_config_token(None).refresh_token;
        let pair = StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0);
        let store: Arc<dyn Store> = Arc::new(xoxe::MemoryStore::new(Some(pair)));
        subjects.push((
            "memory",
            Subject::Rotator(Box::new(Rotator::config(
                client.clone(),
                store,
                RotatorOptions::default(),
            ))),
        ));
    }
    let file = xoxe::FileStore::new(dir.join("tokens.json"), Duration::from_secs(30))
        .unwrap_or_else(|e| die("file store", &e));
    subjects.push(("file", seed(Arc::new(file))));
    for (name, var) in [
        ("postgres", "XOXE_TEST_POSTGRES_URL"),
        ("redis-tcp", "XOXE_TEST_REDIS_URL"),
        ("redis-unix", "XOXE_TEST_REDIS_UNIX_URL"),
    ] {
        let Some(url) = std::env::var(var).ok().filter(|u| !u.is_empty()) else {
            skipped.push(name);
            continue;
        };
        let store = if name == "postgres" {
            xoxe::store::fleet::postgres(&url, &chain)
        } else {
            xoxe::store::fleet::redis(&url, &chain)
        }
        .unwrap_or_else(|e| die(name, &e));
        subjects.push((name, seed(store)));
    }

    for (_, s) in subjects.iter_mut() {
        for _ in 0..warmup {
            s.rotate();
        }
    }
    let mut out: Vec<(&str, [Vec<f64>; 3])> = subjects.iter().map(|(n, _)| (*n, Default::default())).collect();
    let mut times = vec![0f64; rotations];
    for _ in 0..rounds {
        for (i, (_, s)) in subjects.iter_mut().enumerate() {
            for t in times.iter_mut() {
                let t0 = Instant::now();
                s.rotate();
                *t = t0.elapsed().as_secs_f64() * 1e6;
            }
            times.sort_by(f64::total_cmp);
            let [med, p90, min] = &mut out[i].1;
            med.push(percentile(&times, 0.5));
            p90.push(percentile(&times, 0.9));
            min.push(times[0]);
        }
    }
    drop(subjects);
    let _ = std::fs::remove_dir_all(&dir);

    let stores: serde_json::Map<String, serde_json::Value> = out
        .into_iter()
        .map(|(n, [med, p90, min])| {
            (
                n.to_string(),
                serde_json::json!({ "median_us": med, "p90_us": p90, "min_us": min }),
            )
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "stores": stores,
            "skipped": skipped,
            "rotations": rotations,
            "rounds": rounds,
            "warmup": warmup,
        })
    );
}
