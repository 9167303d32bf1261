//! Sealing at rest in the directory, PostgreSQL and Redis stores, read back raw:
//! the files, a `pg_dump` of the database and Redis's append-only log hold no
//! token of a sealed chain (while they do show an unsealed chain's tokens, so
//! the check can fail), a missing or wrong key is `StoreSealed` naming the key,
//! keys rotate, a tampered or moved envelope never opens and is never written
//! over, and an unsealed store is sealed by `rewrite_chains`.
//!
//! Each test has places of its own (a private directory, a PostgreSQL database
//! created for it, a Redis database index flushed for it): `rewrite_chains`
//! rewrites every chain of a place, and must not touch other tests' chains.

mod common;

use common::db::{control, environment, shared_dir};
use common::server;
use fake_slack::FakeSlack;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use xoxe::store::fleet::DEFAULT_CHAIN;
use xoxe::store::seal::{is_sealed, sealed_key_id, Keyring};
use xoxe::store::Saved;
use xoxe::{
    chain_statuses, rewrite_chains, ChainKind, Client, FileStore, Pool, PoolOptions, Rotator, RotatorOptions, Secret,
    Status, Store, StoredPair,
};

// ---------------------------------------------------------------------------
// Places of a test's own, read and written raw

/// A place of one test's own.
struct Site {
    name: &'static str,
    kind: Kind,
}

enum Kind {
    Directory(tempfile::TempDir),
    /// A database created for the test (dropped with the site).
    Postgres {
        url: String,
        database: String,
    },
    /// A database index of the TCP server, flushed for the test.
    Redis {
        url: String,
    },
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

fn env(key: &str) -> String {
    environment()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{key} missing from the test servers' environment"))
}

/// A private directory, a new PostgreSQL database and Redis database `index`
/// (emptied), for the test named `tag`.
fn sites(tag: &str, index: u32) -> Vec<Site> {
    let database = format!("xoxe_sealed_{tag}_{}", std::process::id());
    control(
        &shared_dir(),
        &["psql", &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")],
    );
    control(&shared_dir(), &["psql", &format!("CREATE DATABASE {database}")]);
    let postgres = env("XOXE_TEST_POSTGRES_URL");
    let (server, _) = postgres.rsplit_once('/').unwrap();
    let redis = env("XOXE_TEST_REDIS_URL");
    let (redis_server, _) = redis.rsplit_once('/').unwrap();
    let redis = format!("{redis_server}/{index}");
    let mut connection = redis::Client::open(redis.as_str()).unwrap().get_connection().unwrap();
    let () = redis::cmd("FLUSHDB").query(&mut connection).unwrap();
    vec![
        Site {
            name: "directory",
            kind: Kind::Directory(tempfile::tempdir().unwrap()),
        },
        Site {
            name: "postgres",
            kind: Kind::Postgres {
                url: format!("{server}/{database}"),
                database,
            },
        },
        Site {
            name: "redis",
            kind: Kind::Redis { url: redis },
        },
    ]
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Kind::Postgres { database, .. } = &self.kind {
            control(
                &shared_dir(),
                &["psql", &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")],
            );
        }
    }
}

fn postgres_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn redis_connection(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

fn pair_key(chain: &str) -> String {
    format!("xoxe:{{{chain}}}:pair")
}

impl Site {
    /// A new plain handle on chain `chain` (a new connection for a database).
    fn store(&self, chain: &str) -> Arc<dyn Store> {
        match &self.kind {
            Kind::Directory(dir) => {
                Arc::new(FileStore::directory(dir.path(), chain, std::time::Duration::from_secs(60)).unwrap())
            }
            Kind::Postgres { url, .. } => xoxe::store::fleet::postgres(url, chain).unwrap(),
            Kind::Redis { url } => xoxe::store::fleet::redis(url, chain).unwrap(),
        }
    }

    /// A new handle on chain `chain` sealed with `keyring`.
    fn sealed(&self, chain: &str, keyring: &Arc<Keyring>) -> Arc<dyn Store> {
        self.store(chain).sealed(keyring.clone()).unwrap()
    }

    fn file(&self, chain: &str) -> PathBuf {
        match &self.kind {
            Kind::Directory(dir) => dir.path().join(format!("{chain}.json")),
            _ => unreachable!(),
        }
    }

    /// Everything the place keeps, as bytes: every file of the directory, a
    /// `pg_dump` of the database, Redis's append-only files.
    fn dump(&self) -> Vec<u8> {
        let mut all = Vec::new();
        let mut read_dir = |dir: PathBuf| {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    all.extend(std::fs::read(&path).unwrap());
                }
            }
        };
        match &self.kind {
            Kind::Directory(dir) => read_dir(dir.path().to_path_buf()),
            Kind::Postgres { database, .. } => {
                let out = std::process::Command::new(format!("{}/pg_dump", env("XOXE_TEST_PG_BIN")))
                    .args(["-h", "127.0.0.1", "-p", &env("XOXE_TEST_PG_PORT"), "-U", "xoxe", "-w"])
                    .args(["--data-only", "-d", database])
                    .env("PGPASSFILE", shared_dir().join("pgpass"))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "pg_dump: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                all.extend(out.stdout);
            }
            Kind::Redis { .. } => read_dir(shared_dir().join("redis-tcp/appendonlydir")),
        }
        all
    }

    /// The document stored for `chain`, raw.
    fn document(&self, chain: &str) -> Vec<u8> {
        match &self.kind {
            Kind::Directory(_) => std::fs::read(self.file(chain)).unwrap(),
            Kind::Postgres { url, .. } => {
                let row = postgres_client(url)
                    .query_one("SELECT document FROM xoxe_chain WHERE chain = $1", &[&chain])
                    .unwrap();
                row.get::<_, String>(0).into_bytes()
            }
            Kind::Redis { url } => {
                let doc: Vec<u8> = redis::cmd("HGET")
                    .arg(pair_key(chain))
                    .arg("doc")
                    .query(&mut redis_connection(url))
                    .unwrap();
                doc
            }
        }
    }

    /// Writes `document` as `chain`'s stored document, raw (the chain exists).
    fn set_document(&self, chain: &str, document: &[u8]) {
        match &self.kind {
            Kind::Directory(_) => std::fs::write(self.file(chain), document).unwrap(),
            Kind::Postgres { url, .. } => {
                let text = std::str::from_utf8(document).unwrap();
                let n = postgres_client(url)
                    .execute("UPDATE xoxe_chain SET document = $2 WHERE chain = $1", &[&chain, &text])
                    .unwrap();
                assert_eq!(n, 1);
            }
            Kind::Redis { url } => {
                let _: i64 = redis::cmd("HSET")
                    .arg(pair_key(chain))
                    .arg("doc")
                    .arg(document)
                    .query(&mut redis_connection(url))
                    .unwrap();
            }
        }
    }

    /// Copies chain `from`'s stored document, raw, to a new chain `to`.
    fn copy_document(&self, from: &str, to: &str) {
        match &self.kind {
            Kind::Directory(_) => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(self.file(to))
                    .unwrap();
                std::io::Write::write_all(&mut file, &self.document(from)).unwrap();
            }
            Kind::Postgres { url, .. } => {
                let n = postgres_client(url)
                    .execute(
                        "INSERT INTO xoxe_chain (chain, generation, document) \
                         SELECT $2, generation, document FROM xoxe_chain WHERE chain = $1",
                        &[&from, &to],
                    )
                    .unwrap();
                assert_eq!(n, 1);
            }
            Kind::Redis { url } => {
                let mut c = redis_connection(url);
                let (generation, doc): (String, Vec<u8>) = redis::cmd("HMGET")
                    .arg(pair_key(from))
                    .arg("gen")
                    .arg("doc")
                    .query(&mut c)
                    .unwrap();
                let _: i64 = redis::cmd("HSET")
                    .arg(pair_key(to))
                    .arg("gen")
                    .arg(generation)
                    .arg("doc")
                    .arg(doc)
                    .query(&mut c)
                    .unwrap();
            }
        }
    }
}

/// Whether `haystack` holds `needle` (never printed: it is a token).
fn holds(haystack: &[u8], needle: &str) -> bool {
    String::from_utf8_lossy(haystack).contains(needle)
}

// ---------------------------------------------------------------------------
// Keys, Slack, chains

fn keyring(ids: &[&str]) -> (Arc<Keyring>, Vec<String>) {
    let lines: Vec<String> = ids
        .iter()
        .map(|id| Keyring::generate_line(id).unwrap().to_string())
        .collect();
    (
        Arc::new(Keyring::parse(&lines.join("\n"), "test keyring").unwrap()),
        lines,
    )
}

fn keyring_of(lines: &[&String]) -> Arc<Keyring> {
    let text: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
    Arc::new(Keyring::parse(&text.join("\n"), "test keyring").unwrap())
}

struct World {
    slack: FakeSlack,
    client: Arc<Client>,
}

impl World {
    fn new() -> World {
        let slack = server();
        let client = Arc::new(common::client(&slack));
        World { slack, client }
    }

    fn seed(&self) -> StoredPair {
        StoredPair::seed(
            ChainKind::Config,
            Secret::new(self.slack.new_config_token(None).refresh_token),
            None,
            0,
        )
    }

    fn rotator(&self, store: Arc<dyn Store>) -> Rotator {
        Rotator::config(self.client.clone(), store, RotatorOptions::default())
    }

    /// Starts chain `store` and rotates it once; returns its token.
    fn start(&self, store: Arc<dyn Store>) -> Secret {
        xoxe::store::init(store.as_ref(), self.seed(), false).unwrap();
        let token = self.rotator(store).get().unwrap().token;
        self.client.auth_test(token.expose(), None).unwrap();
        token
    }

    fn rotations(&self) -> u64 {
        self.slack.stats().rotations
    }
}

/// A rotated-looking pair holding a live token pair Slack issued.
fn live_pair(world: &World, generation: u64) -> StoredPair {
    let issued = world.slack.new_config_token(None);
    StoredPair {
        generation,
        ..StoredPair::seed(
            ChainKind::Config,
            Secret::new(issued.refresh_token),
            Some(Secret::new(issued.token)),
            0,
        )
    }
}

/// The secrets a pair holds.
fn secrets_of(pair: &StoredPair) -> Vec<String> {
    [&pair.access_token, &pair.refresh_token]
        .iter()
        .map(|s| s.expose().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn a_sealed_chain_and_its_orphans_round_trip_and_no_token_is_stored_in_the_clear() {
    for site in sites("roundtrip", 9) {
        let world = World::new();
        let (keys, _) = keyring(&["roundtrip-1"]);
        let sealed = site.sealed("sealed", &keys);
        let seed = world.seed();
        let seed_refresh = seed.refresh_token.expose().to_string();
        xoxe::store::init(sealed.as_ref(), seed, false).unwrap();
        let raw = site.document("sealed");
        assert!(is_sealed(&raw), "{site}: the seed is sealed");
        assert_eq!(sealed_key_id(&raw).as_deref(), Some("roundtrip-1"), "{site}");
        assert!(!holds(&raw, &seed_refresh), "{site}");
        let token = world.rotator(sealed.clone()).get().unwrap();
        world.client.auth_test(token.token.expose(), None).unwrap();
        let stored = sealed.load().unwrap().unwrap();
        assert_eq!(stored.access_token, token.token, "{site}: round trip");
        // Another handle (another connection) with the keyring reads it: no rotation.
        let rotations = world.rotations();
        assert_eq!(
            world.rotator(site.sealed("sealed", &keys)).get().unwrap().token,
            token.token,
            "{site}"
        );
        assert_eq!(world.rotations(), rotations, "{site}");
        // A parked pair is sealed too.
        let orphan = live_pair(&world, stored.generation + 1);
        assert!(sealed.park_orphan(stored.generation, &orphan).unwrap(), "{site}");
        assert_eq!(
            sealed.orphans(stored.generation).unwrap(),
            vec![orphan.clone()],
            "{site}"
        );
        assert!(
            site.store("sealed").orphans(stored.generation).unwrap().is_empty(),
            "{site}: without the key an orphan is skipped"
        );

        // The same in the clear, so that the check below can fail.
        let plain = site.store("plain");
        world.start(plain.clone());
        let plain_stored = plain.load().unwrap().unwrap();
        let plain_orphan = live_pair(&world, plain_stored.generation + 1);
        assert!(plain.park_orphan(plain_stored.generation, &plain_orphan).unwrap());

        let dump = site.dump();
        let mut sealed_secrets = secrets_of(&stored);
        sealed_secrets.extend(secrets_of(&orphan));
        sealed_secrets.push(seed_refresh);
        for (i, secret) in sealed_secrets.iter().enumerate() {
            assert!(
                !holds(&dump, secret),
                "{site}: secret {i} of the sealed chain is stored in the clear"
            );
        }
        let mut plain_secrets = secrets_of(&plain_stored);
        plain_secrets.extend(secrets_of(&plain_orphan));
        assert_eq!(plain_secrets.len(), 4);
        for (i, secret) in plain_secrets.iter().enumerate() {
            assert!(
                holds(&dump, secret),
                "{site}: the dump does not show secret {i} of the plain chain"
            );
        }
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{site}");
    }
}

#[test]
fn a_missing_or_wrong_key_is_store_sealed_naming_the_key_never_an_empty_chain() {
    let dir = tempfile::tempdir().unwrap();
    for site in sites("missingkey", 10) {
        let world = World::new();
        // The sealing keyring from a 0600 file.
        let path = dir.path().join(format!("{site}.keys"));
        let line = Keyring::generate_line("k-one").unwrap();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, format!("# test keys\n{}\n", line.as_str()).as_bytes()).unwrap();
        drop(file);
        let keys = Arc::new(Keyring::from_file(&path).unwrap());
        let chain = "locked";
        world.start(site.sealed(chain, &keys));
        let raw = site.document(chain);
        let rotations = world.rotations();

        let (other, _) = keyring(&["k-two"]);
        let (same_id, _) = keyring(&["k-one"]); // the same id, other key bytes
        let handles: [(&str, Arc<dyn Store>, &str); 3] = [
            (
                "no keyring",
                site.store(chain),
                "sealed with key k-one; give this store its keyring",
            ),
            (
                "another key",
                site.sealed(chain, &other),
                "sealed with key k-one, which this process was not given",
            ),
            (
                "other bytes under the same id",
                site.sealed(chain, &same_id),
                "fails authentication under key k-one",
            ),
        ];
        for (what, store, expected) in handles {
            let e = store.load().unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {what}: {}", e.message);
            assert!(e.message.contains(expected), "{site}: {what}: {}", e.message);
            let rotator = world.rotator(store.clone());
            for e in [
                rotator.get().unwrap_err(),
                rotator.force_rotate().unwrap_err(),
                rotator.current().unwrap_err(),
            ] {
                assert_eq!(e.status, Status::StoreSealed, "{site}: {what}: {}", e.message);
                assert!(e.message.contains("k-one"), "{site}: {what}: {}", e.message);
            }
            let place = store.open_chain(DEFAULT_CHAIN).unwrap();
            let pool = Pool::new(world.client.clone(), place.clone(), None, PoolOptions::default()).unwrap();
            let e = pool.get(chain).unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {what}: {}", e.message);
            let statuses = chain_statuses(place.as_ref()).unwrap();
            let status = statuses.iter().find(|s| s.chain == chain).expect("listed");
            assert_eq!(
                status.state.as_ref().map_err(|e| e.status).err(),
                Some(Status::StoreSealed),
                "{site}: {what}"
            );
            let e = rewrite_chains(place.as_ref()).unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {what}: {}", e.message);
        }
        assert_eq!(world.rotations(), rotations, "{site}: nothing sent to Slack");
        assert_eq!(site.document(chain), raw, "{site}: nothing written");
        assert!(site.sealed(chain, &keys).load().unwrap().is_some(), "{site}");
    }
}

#[test]
fn old_documents_open_with_new_and_old_keys_are_rewritten_under_the_new_one_which_then_suffices() {
    for site in sites("keyrotation", 11) {
        let world = World::new();
        let (_, lines) = keyring(&["new", "old"]);
        let (new, old) = (&lines[0], &lines[1]);
        let old_only = keyring_of(&[old]);
        let both = keyring_of(&[new, old]);
        let new_only = keyring_of(&[new]);
        let chains = ["one", "two"];
        let tokens: Vec<Secret> = chains.iter().map(|c| world.start(site.sealed(c, &old_only))).collect();
        let before: Vec<StoredPair> = chains
            .iter()
            .map(|c| site.sealed(c, &old_only).load().unwrap().unwrap())
            .collect();
        let rotations = world.rotations();
        for (i, chain) in chains.iter().enumerate() {
            assert_eq!(sealed_key_id(&site.document(chain)).as_deref(), Some("old"), "{site}");
            assert_eq!(
                site.sealed(chain, &both).load().unwrap().as_ref(),
                Some(&before[i]),
                "{site}"
            );
            assert_eq!(
                world.rotator(site.sealed(chain, &both)).get().unwrap().token,
                tokens[i],
                "{site}"
            );
            let e = site.sealed(chain, &new_only).load().unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {}", e.message);
            assert!(e.message.contains("old"), "{site}: {}", e.message);
        }
        assert_eq!(
            rewrite_chains(site.sealed(DEFAULT_CHAIN, &both).as_ref()).unwrap(),
            2,
            "{site}"
        );
        for (i, chain) in chains.iter().enumerate() {
            assert_eq!(sealed_key_id(&site.document(chain)).as_deref(), Some("new"), "{site}");
            let after = site.sealed(chain, &new_only).load().unwrap().unwrap();
            // Rewritten in place: the same pair at the same generation, so a pair
            // parked beside it stays where recovery looks.
            assert_eq!(after, before[i], "{site}: the same pair, same generation");
            assert_eq!(
                world.rotator(site.sealed(chain, &new_only)).get().unwrap().token,
                tokens[i],
                "{site}"
            );
            let e = site.sealed(chain, &old_only).load().unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {}", e.message);
            assert!(e.message.contains("key new"), "{site}: {}", e.message);
        }
        assert_eq!(world.rotations(), rotations, "{site}: no rotation needed");
        // The chains rotate on under the new key alone.
        let rotated = world.rotator(site.sealed("one", &new_only)).force_rotate().unwrap();
        world.client.auth_test(rotated.token.expose(), None).unwrap();
        assert_eq!(sealed_key_id(&site.document("one")).as_deref(), Some("new"), "{site}");
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{site}");
    }
}

/// `envelope` with one character of its `field` (nonce or ciphertext) changed.
fn tampered(envelope: &[u8], field: &str) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(envelope).unwrap();
    let text = value[field].as_str().unwrap().to_string();
    let at = text.len() / 2;
    let old = text.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    value[field] = serde_json::Value::from(format!("{}{new}{}", &text[..at], &text[at + 1..]));
    let mut bytes = serde_json::to_vec(&value).unwrap();
    if envelope.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes
}

#[test]
fn a_tampered_envelope_is_store_sealed_and_nothing_writes_over_it() {
    for site in sites("tamper", 12) {
        let world = World::new();
        let (keys, _) = keyring(&["tamper-1"]);
        for (chain, field) in [("ciphertext", "ciphertext"), ("nonce", "nonce")] {
            world.start(site.sealed(chain, &keys));
            let bad = tampered(&site.document(chain), field);
            site.set_document(chain, &bad);
            let rotations = world.rotations();
            let store = site.sealed(chain, &keys);
            let rotator = world.rotator(store.clone());
            let place = site.sealed(DEFAULT_CHAIN, &keys);
            let pool = Pool::new(world.client.clone(), place.clone(), None, PoolOptions::default()).unwrap();
            for (what, e) in [
                ("load", store.load().unwrap_err()),
                ("get", rotator.get().unwrap_err()),
                ("force_rotate", rotator.force_rotate().unwrap_err()),
                ("pool get", pool.get(chain).unwrap_err()),
                ("rewrite_chains", rewrite_chains(place.as_ref()).unwrap_err()),
                (
                    "init",
                    xoxe::store::init(store.as_ref(), world.seed(), false).unwrap_err(),
                ),
            ] {
                assert_eq!(e.status, Status::StoreSealed, "{site}: {chain}: {what}: {}", e.message);
                assert!(
                    e.message.contains("fails authentication under key tamper-1"),
                    "{site}: {what}: {}",
                    e.message
                );
            }
            // A save on top of it is refused by compare-and-swap as well (it
            // cannot read what it would replace).
            assert!(
                !matches!(store.compare_and_swap(None, &world.seed()), Ok(Saved::Stored)),
                "{site}: a save as if the chain were empty went through"
            );
            assert_eq!(world.rotations(), rotations, "{site}: nothing sent to Slack");
            assert_eq!(
                site.document(chain),
                bad,
                "{site}: {chain}: the stored document is unchanged"
            );
        }
    }
}

#[test]
fn an_envelope_copied_to_another_chain_does_not_open_there() {
    for site in sites("copied", 13) {
        let world = World::new();
        let (keys, _) = keyring(&["copy-1"]);
        let token = world.start(site.sealed("original", &keys));
        site.copy_document("original", "copy");
        assert_eq!(site.document("copy"), site.document("original"), "{site}");
        let rotations = world.rotations();
        let copy = site.sealed("copy", &keys);
        let e = copy.load().unwrap_err();
        assert_eq!(e.status, Status::StoreSealed, "{site}: {}", e.message);
        assert!(e.message.contains("sealed for another chain"), "{site}: {}", e.message);
        assert_eq!(
            world.rotator(copy).get().unwrap_err().status,
            Status::StoreSealed,
            "{site}"
        );
        assert_eq!(world.rotations(), rotations, "{site}");
        assert_eq!(
            world.rotator(site.sealed("original", &keys)).get().unwrap().token,
            token,
            "{site}: the original still opens"
        );
    }
}

#[test]
fn an_unsealed_store_keeps_working_under_a_sealed_handle_and_rewrite_chains_seals_it() {
    for site in sites("unsealed", 14) {
        let world = World::new();
        let (keys, _) = keyring(&["seal-later"]);
        let chains = ["first", "second"];
        let tokens: Vec<Secret> = chains.iter().map(|c| world.start(site.store(c))).collect();
        let dump = site.dump();
        for chain in chains {
            assert!(!is_sealed(&site.document(chain)), "{site}");
            let pair = site.store(chain).load().unwrap().unwrap();
            for secret in secrets_of(&pair) {
                assert!(holds(&dump, &secret), "{site}: the plain chain shows in the dump");
            }
        }
        // A sealed handle reads the plain documents and leaves them be.
        let rotations = world.rotations();
        for (i, chain) in chains.iter().enumerate() {
            let raw = site.document(chain);
            assert_eq!(
                world.rotator(site.sealed(chain, &keys)).get().unwrap().token,
                tokens[i],
                "{site}"
            );
            assert_eq!(site.document(chain), raw, "{site}: read, not rewritten");
        }
        assert_eq!(world.rotations(), rotations, "{site}");
        // rewrite_chains seals every chain.
        assert_eq!(
            rewrite_chains(site.sealed(DEFAULT_CHAIN, &keys).as_ref()).unwrap(),
            2,
            "{site}"
        );
        let dump = site.dump();
        for (i, chain) in chains.iter().enumerate() {
            let raw = site.document(chain);
            assert_eq!(sealed_key_id(&raw).as_deref(), Some("seal-later"), "{site}");
            let pair = site.sealed(chain, &keys).load().unwrap().unwrap();
            assert_eq!(pair.access_token, tokens[i], "{site}");
            for secret in secrets_of(&pair) {
                assert!(!holds(&raw, &secret), "{site}: a token in the sealed document");
                // Redis's append-only log keeps the history of the plain writes
                // (until the server rewrites it); files and a dump show only now.
                if site.name != "redis" {
                    assert!(!holds(&dump, &secret), "{site}: a token in the clear after sealing");
                }
            }
            let e = site.store(chain).load().unwrap_err();
            assert_eq!(e.status, Status::StoreSealed, "{site}: {}", e.message);
            assert_eq!(
                world.rotator(site.sealed(chain, &keys)).get().unwrap().token,
                tokens[i],
                "{site}"
            );
        }
        assert_eq!(world.rotations(), rotations, "{site}");
        // Rotated on, sealed: no new token reaches the disk in the clear.
        let fresh: Vec<StoredPair> = chains
            .iter()
            .map(|c| {
                world.rotator(site.sealed(c, &keys)).force_rotate().unwrap();
                site.sealed(c, &keys).load().unwrap().unwrap()
            })
            .collect();
        let dump = site.dump();
        for pair in &fresh {
            for secret in secrets_of(pair) {
                assert!(!holds(&dump, &secret), "{site}: a new token in the clear");
            }
        }
        assert_eq!(world.slack.stats().refresh_token_reuses, 0, "{site}");
    }
}

/// The raw documents of the pairs parked beside `chain`.
fn parked_documents(site: &Site, chain: &str) -> Vec<Vec<u8>> {
    match &site.kind {
        Kind::Directory(dir) => std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&format!(".xoxe-{chain}+")))
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect(),
        Kind::Postgres { url, .. } => postgres_client(url)
            .query("SELECT document FROM xoxe_orphan WHERE chain = $1", &[&chain])
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0).into_bytes())
            .collect(),
        Kind::Redis { url } => redis::cmd("LRANGE")
            .arg(format!("xoxe:{{{chain}}}:orphans"))
            .arg(0)
            .arg(-1)
            .query(&mut redis_connection(url))
            .unwrap(),
    }
}

#[test]
fn rewrite_chains_seals_the_pairs_parked_beside_a_chain_and_keeps_them_usable() {
    for site in sites("orphans", 15) {
        let world = World::new();
        let (keys, _) = keyring(&["orphan-key"]);
        world.start(site.store("parked"));
        let stored = site.store("parked").load().unwrap().unwrap();
        let orphan = live_pair(&world, stored.generation + 1);
        assert!(site.store("parked").park_orphan(stored.generation, &orphan).unwrap());
        assert_eq!(parked_documents(&site, "parked").len(), 1, "{site}");
        rewrite_chains(site.sealed(DEFAULT_CHAIN, &keys).as_ref()).unwrap();
        let parked = parked_documents(&site, "parked");
        for (i, document) in parked.iter().enumerate() {
            for secret in secrets_of(&orphan) {
                assert!(
                    !holds(document, &secret),
                    "{site}: parked pair {i} is still in the clear"
                );
            }
        }
        assert_eq!(
            site.sealed("parked", &keys).orphans(stored.generation).unwrap(),
            vec![orphan],
            "{site}: the parked pair is kept, readable with the keyring"
        );
    }
}

#[test]
fn a_chain_whose_valid_pair_is_parked_survives_rewrite_chains() {
    for site in sites("sibling", 8) {
        let world = World::new();
        for rewrite in [false, true] {
            let chain = if rewrite { "rewritten" } else { "left-alone" };
            let store = site.store(chain);
            // Two pairs were rotated from one refresh token (Slack's grace period):
            // the store kept one whose refresh token Slack has since spent, and the
            // valid one is parked beside it.
            let issued = world.slack.new_config_token(None);
            let valid = world.client.tooling_tokens_rotate(&issued.refresh_token, None).unwrap();
            let kept = StoredPair {
                generation: 1,
                ..StoredPair::seed(ChainKind::Config, Secret::new(issued.refresh_token), None, 0)
            };
            assert_eq!(
                store
                    .compare_and_swap(
                        None,
                        &StoredPair {
                            generation: 0,
                            ..kept.clone()
                        }
                    )
                    .unwrap(),
                Saved::Stored
            );
            assert_eq!(store.compare_and_swap(Some(0), &kept).unwrap(), Saved::Stored);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            let parked = StoredPair {
                generation: 1,
                expires_at: now + valid.lifetime(),
                lifetime: valid.lifetime(),
                ..StoredPair::seed(
                    ChainKind::Config,
                    valid.refresh_token.clone(),
                    Some(valid.token.clone()),
                    0,
                )
            };
            assert!(store.park_orphan(0, &parked).unwrap());
            if rewrite {
                assert!(
                    rewrite_chains(site.store(DEFAULT_CHAIN).as_ref()).unwrap() >= 1,
                    "{site}"
                );
            }
            let token = world
                .rotator(site.store(chain))
                .get()
                .unwrap_or_else(|e| panic!("{site}: {chain}: {}: {}", e.status, e.message));
            assert_eq!(
                token.token, valid.token,
                "{site}: {chain}: the parked pair continues the chain"
            );
            world.client.auth_test(token.token.expose(), None).unwrap();
        }
    }
}
