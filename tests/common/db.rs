//! The throwaway PostgreSQL and Redis servers (`scripts/test-db.sh`): `make test`
//! starts them and exports their URLs; a bare `cargo test` starts them itself
//! under `build/db` (and leaves them running for the next run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use xoxe::Store;

/// One database a fleet store can live in.
#[derive(Clone, Debug)]
pub struct Database {
    /// `postgres`, `redis` (TCP) or `redis-unix`.
    pub name: &'static str,
    /// Its URL (holds a password: never print it).
    pub url: String,
}

impl Database {
    /// A store for `chain` in this database.
    pub fn store(&self, chain: &str) -> Arc<dyn Store> {
        match self.name {
            "postgres" => xoxe::store::fleet::postgres(&self.url, chain),
            _ => xoxe::store::fleet::redis(&self.url, chain),
        }
        .unwrap_or_else(|e| panic!("{} store: {e}", self.name))
    }

    /// The password in the URL, for checking messages never show it.
    pub fn password(&self) -> String {
        if let Some((_, pass)) = self.url.split_once("pass=") {
            return pass.split('&').next().unwrap_or("").to_string();
        }
        let authority = self.url.split_once("://").map_or("", |(_, r)| r);
        let userinfo = authority.rsplit_once('@').map_or("", |(u, _)| u);
        userinfo.split_once(':').map_or("", |(_, p)| p).to_string()
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads `export KEY='VALUE'` lines.
fn read_env(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// The servers' environment: from `make test`, or from servers started now.
pub fn environment() -> Vec<(String, String)> {
    static ENV: once_cell::sync::Lazy<Vec<(String, String)>> = once_cell::sync::Lazy::new(|| {
        if let Ok(dir) = std::env::var("XOXE_TEST_DB_DIR") {
            return read_env(&Path::new(&dir).join("env"));
        }
        let dir = repo().join("build/db");
        start(&dir);
        read_env(&dir.join("env"))
    });
    ENV.clone()
}

/// Starts (or finds running) throwaway servers under `dir`.
pub fn start(dir: &Path) {
    let status = Command::new(repo().join("scripts/test-db.sh"))
        .arg("start")
        .arg(dir)
        .status()
        .expect("run scripts/test-db.sh");
    assert!(status.success(), "scripts/test-db.sh start {} failed", dir.display());
}

/// Runs a `scripts/test-db.sh` subcommand on the servers under `dir`.
pub fn control(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(repo().join("scripts/test-db.sh"))
        .arg(args[0])
        .arg(dir)
        .args(&args[1..])
        .output()
        .expect("run scripts/test-db.sh");
    assert!(out.status.success(), "scripts/test-db.sh {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The directory of the shared servers.
pub fn shared_dir() -> PathBuf {
    let env = environment();
    let dir = env
        .iter()
        .find(|(k, _)| k == "XOXE_TEST_DB_DIR")
        .map(|(_, v)| v.clone());
    PathBuf::from(dir.expect("XOXE_TEST_DB_DIR in the servers' env file"))
}

fn from(env: &[(String, String)]) -> Vec<Database> {
    let get = |key: &str| {
        env.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{key} missing from the test servers' environment"))
    };
    vec![
        Database {
            name: "postgres",
            url: get("XOXE_TEST_POSTGRES_URL"),
        },
        Database {
            name: "redis",
            url: get("XOXE_TEST_REDIS_URL"),
        },
        Database {
            name: "redis-unix",
            url: get("XOXE_TEST_REDIS_UNIX_URL"),
        },
    ]
}

/// Every database the shared servers offer.
pub fn databases() -> Vec<Database> {
    from(&environment())
}

/// The databases of servers under `dir` (started with [`start`]).
pub fn databases_in(dir: &Path) -> Vec<Database> {
    from(&read_env(&dir.join("env")))
}

/// A chain name no other test (or earlier run) uses.
pub fn unique_chain(name: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
