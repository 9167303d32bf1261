//! Shared set-up for the integration tests: a fake Slack per test and clients for it.

#![allow(dead_code)]

pub mod db;
pub mod history;
pub mod netns;

use fake_slack::{Config, FakeSlack};
use std::time::Duration;
use xoxe::{Client, ClientOptions};

/// A fresh fake Slack; secrets it issues are recorded where `make test` scans logs.
pub fn server() -> FakeSlack {
    let config = Config {
        issued_tokens_file: std::env::var_os("XOXE_ISSUED_TOKENS").map(Into::into),
        ..Config::default()
    };
    FakeSlack::start(config).expect("start fake slack")
}

/// Options pointing at `server`, with timeouts generous enough for a loaded machine.
pub fn options(server: &FakeSlack) -> ClientOptions {
    ClientOptions {
        base_url: server.base_url(),
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
        ..ClientOptions::default()
    }
}

/// A client for `server`.
pub fn client(server: &FakeSlack) -> Client {
    Client::new(options(server)).expect("client")
}

/// How many requests `method` has received.
pub fn requests(server: &FakeSlack, method: &str) -> u64 {
    server.stats().requests.get(method).copied().unwrap_or(0)
}
