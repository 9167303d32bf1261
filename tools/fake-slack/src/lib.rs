//! A fake Slack Web API server on 127.0.0.1 for xoxe's tests, demo and benchmarks.
//!
//! It behaves like Slack for the methods xoxe calls (`tooling.tokens.rotate`,
//! `oauth.v2.exchange`, `oauth.v2.access` with `grant_type=refresh_token` and the OAuth
//! install's `authorization_code` ([`FakeSlack::mint_code`]), `auth.test`, `auth.revoke`,
//! `apps.manifest.validate`) and is a faithful opponent: refresh tokens are single-use,
//! access tokens expire on time, content types and charsets are checked as Slack checks
//! them, rate limits answer 429 with `Retry-After`, and faults (errors, HTML 5xx, broken or
//! truncated JSON, slow and dropped responses, "rotation applied but response lost") can be
//! injected in-process ([`FakeSlack::inject`]) or over HTTP (`/_control/…`). Slack's
//! refresh-token grace period can be switched on ([`Config::refresh_grace_ms`]): a spent
//! refresh token presented again within it gets a second successor pair, of which only
//! one stays valid ([`GraceKeep`]).
//!
//! It records its side of a test's history — every refresh token presented and
//! what it answered, every revocation ([`FakeSlack::history`],
//! `GET /_control/history`) — for the `xoxe-history` checker of xoxe's promise.
//!
//! For framework integration tests (Bolt for Python, slack_sdk, slack-go) it also serves
//! `chat.postMessage` and `conversations.list` ([`CHANNELS`]), keeps what was posted
//! ([`FakeSlack::messages`], `GET /_control/messages`), and delivers signed Events API
//! requests to an app under test (`POST /_control/events`, signed with HMAC-SHA256 as
//! Slack signs them; the envelope's `token` is [`VERIFICATION_TOKEN`]).
//!
//! ```no_run
//! let server = fake_slack::FakeSlack::start(fake_slack::Config::default()).unwrap();
//! let url = server.base_url(); // "http://127.0.0.1:PORT/api/"
//! let refresh = server.seeds().config_token.refresh_token.clone();
//! # let _ = (url, refresh);
//! ```
//!
//! The server never prints or logs a secret.

#![warn(missing_docs)]

mod args;
mod control;
mod events;
mod faults;
mod history;
mod http;
mod messaging;
mod methods;
mod server;
mod state;
mod tls;

pub use events::VERIFICATION_TOKEN;
pub use faults::{Echo, Fault, FaultKind, RateLimit};
pub use history::MAX_HISTORY_EVENTS;
pub use messaging::{PostedMessage, CHANNELS};
pub use methods::METHODS;
pub use state::{App, CodeSpec, ConfigTokenPair, GraceKeep, Seeds, Stats, TokenKind};

use serde::{Deserialize, Serialize};
use server::Shared;
use state::State;
use std::fs::OpenOptions;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Server configuration. `Config::default()` is a random port and random seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Port on 127.0.0.1; 0 lets the OS pick.
    pub port: u16,
    /// Lifetime of issued access tokens in seconds (default 43200 = 12 h). A token is
    /// expired once `now >= exp`, so 0 issues tokens that are already expired.
    pub token_ttl_secs: u64,
    /// Seconds the server's clock runs ahead of the machine's (negative: behind), so
    /// tests can check that a client never trusts Slack's `iat`/`exp` for its expiry.
    pub clock_offset_secs: i64,
    /// Slack's refresh-token grace period, in milliseconds (default 0: none). A spent
    /// refresh token presented again within this long of its first spend
    /// (`tooling.tokens.rotate` or an `oauth.v2.access` refresh grant) is answered with a
    /// new pair instead of `invalid_refresh_token`; only one of the two successor pairs
    /// stays valid ([`Config::grace_keep`]). Counted in [`Stats::grace_reissues`].
    pub refresh_grace_ms: u64,
    /// Which successor pair survives a grace reissue (default [`GraceKeep::First`]). The
    /// other pair is revoked: its access token fails `auth.test` with `token_revoked`,
    /// its refresh token answers `invalid_refresh_token`.
    pub grace_keep: GraceKeep,
    /// Append every secret issued or seeded to this file, one per line (mode 0600).
    pub issued_tokens_file: Option<PathBuf>,
    /// Seeded app's client id (random if `None`).
    pub app_client_id: Option<String>,
    /// Seeded app's client secret (random if `None`).
    pub app_client_secret: Option<String>,
    /// Seeded config refresh token (random if `None`).
    pub config_refresh_token: Option<String>,
    /// Seeded legacy bot token (random `xoxb-…` if `None`).
    pub legacy_bot_token: Option<String>,
    /// Seeded legacy user token (random `xoxp-…` if `None`).
    pub legacy_user_token: Option<String>,
    /// How long a request head or body may stall before the server gives up on it
    /// (a short body then gets `request_timeout`). Default 5000 ms. Idle keep-alive
    /// connections are never timed out.
    pub request_timeout_ms: u64,
    /// Benchmarks only: a refresh token that `tooling.tokens.rotate` accepts again
    /// and again without spending it (so a load generator can repeat one request).
    pub bench_refresh_token: Option<String>,
    /// Also serve HTTPS on a second port (see [`FakeSlack::tls_base_url`]), with a
    /// certificate from a test CA made at start-up ([`FakeSlack::tls_ca_pem`]).
    pub tls: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            token_ttl_secs: 43200,
            clock_offset_secs: 0,
            refresh_grace_ms: 0,
            grace_keep: GraceKeep::First,
            issued_tokens_file: None,
            app_client_id: None,
            app_client_secret: None,
            config_refresh_token: None,
            legacy_bot_token: None,
            legacy_user_token: None,
            request_timeout_ms: 5000,
            bench_refresh_token: None,
            tls: false,
        }
    }
}

/// What the `--ready-file` and `GET /_control/seeds` contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyInfo {
    /// The bound port.
    pub port: u16,
    /// `http://127.0.0.1:PORT/api/`
    pub base_url: String,
    /// `http://127.0.0.1:PORT/_control/`
    pub control_url: String,
    /// The seeded app (rotation enabled).
    pub app: App,
    /// The seeded config token pair.
    pub config_token: ConfigTokenPair,
    /// The seeded legacy bot token of the seeded app.
    pub legacy_bot_token: String,
    /// The seeded legacy user token of the seeded app.
    pub legacy_user_token: String,
    /// `https://localhost:TLS_PORT/api/`, when HTTPS is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_base_url: Option<String>,
}

/// A running fake Slack server. Stops on [`FakeSlack::shutdown`] or drop.
pub struct FakeSlack {
    shared: Arc<Shared>,
    seeds: Seeds,
    acceptor: Option<JoinHandle<()>>,
    /// The HTTPS port and the test CA, when `Config::tls` was set.
    tls: Option<(u16, String)>,
}

impl std::fmt::Debug for FakeSlack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSlack")
            .field("port", &self.shared.port)
            .finish_non_exhaustive()
    }
}

impl FakeSlack {
    /// Bind 127.0.0.1 (`config.port`, 0 = any), seed the world, serve on background threads.
    pub fn start(config: Config) -> io::Result<FakeSlack> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let port = listener.local_addr()?.port();
        let issued_file = match &config.issued_tokens_file {
            Some(p) => Some(OpenOptions::new().create(true).append(true).mode(0o600).open(p)?),
            None => None,
        };
        let mut st = State::new(config.token_ttl_secs, issued_file);
        st.bench_refresh_token = config.bench_refresh_token.clone();
        st.clock_offset = config.clock_offset_secs;
        st.refresh_grace = Duration::from_millis(config.refresh_grace_ms);
        st.grace_keep = config.grace_keep;
        st.grace_at_start = (st.refresh_grace, st.grace_keep);
        let app = st.new_app(true, config.app_client_id.clone(), config.app_client_secret.clone());
        st.seed_client_id = Some(app.client_id.clone());
        let config_token = st.new_config_pair(None, config.config_refresh_token.clone());
        let legacy_bot_token = st.new_legacy(&app.client_id, TokenKind::Bot, config.legacy_bot_token.clone());
        let legacy_user_token = st.new_legacy(&app.client_id, TokenKind::User, config.legacy_user_token.clone());
        let seeds = Seeds {
            app,
            config_token,
            legacy_bot_token,
            legacy_user_token,
        };
        let tls_setup = if config.tls {
            let listener = TcpListener::bind(("127.0.0.1", 0))?;
            Some((Arc::new(tls::material()?), listener))
        } else {
            None
        };
        let tls = match &tls_setup {
            Some((material, listener)) => Some((listener.local_addr()?.port(), material.ca_pem.clone())),
            None => None,
        };
        let info = ready_info(port, &seeds, tls.as_ref().map(|t| t.0));
        let seeds_json = serde_json::to_vec(&info).map_err(io::Error::other)?;
        let shared = Arc::new(Shared::new(
            st,
            port,
            Duration::from_millis(config.request_timeout_ms.max(1)),
            seeds_json,
        ));
        let sh = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("fake-slack-accept".into())
            .spawn(move || server::accept_loop(sh, listener))?;
        if let Some((material, tls_listener)) = tls_setup {
            let sh = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fake-slack-tls-accept".into())
                .spawn(move || tls::accept_loop(sh, tls_listener, material))?;
        }
        Ok(FakeSlack {
            shared,
            seeds,
            acceptor: Some(acceptor),
            tls,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// `http://127.0.0.1:PORT/api/`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/", self.shared.port)
    }

    /// `https://localhost:TLS_PORT/api/` when started with `Config::tls`.
    pub fn tls_base_url(&self) -> Option<String> {
        self.tls
            .as_ref()
            .map(|(port, _)| format!("https://localhost:{port}/api/"))
    }

    /// The test CA that signed the HTTPS certificate (PEM), when started with `Config::tls`.
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// `http://127.0.0.1:PORT/_control/`
    pub fn control_url(&self) -> String {
        format!("http://127.0.0.1:{}/_control/", self.shared.port)
    }

    /// The seeded app, config token pair and legacy tokens.
    pub fn seeds(&self) -> &Seeds {
        &self.seeds
    }

    /// The ready-file / `/_control/seeds` document.
    pub fn ready_info(&self) -> ReadyInfo {
        ready_info(self.shared.port, &self.seeds, self.tls.as_ref().map(|t| t.0))
    }

    /// Create an app (random ids and secret).
    pub fn new_app(&self, rotation_enabled: bool) -> App {
        self.shared.lock().new_app(rotation_enabled, None, None)
    }

    /// Create a legacy (non-expiring, never exchanged) token for `client_id`. The client id
    /// is not checked: a token for an unknown client is valid for `auth.test` but fails
    /// every exchange.
    pub fn new_legacy_token(&self, client_id: &str, kind: TokenKind) -> String {
        self.shared.lock().new_legacy(client_id, kind, None)
    }

    /// Issue a fresh config token pair; `ttl_secs` overrides the current TTL for this pair.
    pub fn new_config_token(&self, ttl_secs: Option<u64>) -> ConfigTokenPair {
        self.shared.lock().new_config_pair(ttl_secs, None)
    }

    /// Mint an OAuth authorization code for `spec` (what a user's "Allow" would
    /// send to the app's redirect URL); `oauth.v2.access` redeems it once. Fails
    /// for an unknown `client_id` or a spec that installs nothing.
    pub fn mint_code(&self, spec: &CodeSpec) -> Result<String, String> {
        self.shared.lock().mint_code(spec.clone())
    }

    /// Set the TTL of tokens issued from now on.
    pub fn set_token_ttl(&self, secs: u64) {
        self.shared.lock().ttl = secs;
    }

    /// Skew the server's clock by `secs` from the machine's (negative: behind).
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.lock().clock_offset = secs;
    }

    /// Set the refresh-token grace period (milliseconds; 0 turns it off) and which
    /// successor pair survives a grace reissue. Applies to every spent token from now
    /// on, measured from its first spend (see [`Config::refresh_grace_ms`]).
    pub fn set_refresh_grace(&self, grace_ms: u64, keep: GraceKeep) {
        let mut st = self.shared.lock();
        st.refresh_grace = Duration::from_millis(grace_ms);
        st.grace_keep = keep;
    }

    /// Append a fault to the FIFO fault list (a fault with `count == 0` is ignored).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().push_fault(fault);
    }

    /// Remove all pending faults.
    pub fn clear_faults(&self) {
        self.shared.lock().clear_faults();
    }

    /// Pending faults, first to fire first.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.lock().faults()
    }

    /// Add (or replace, per method) a rate limit.
    pub fn add_rate_limit(&self, limit: RateLimit) {
        self.shared.lock().add_rate_limit(limit);
    }

    /// Remove all rate limits.
    pub fn clear_rate_limits(&self) {
        self.shared.lock().clear_rate_limits();
    }

    /// How many rotations behind the live end of its chain a refresh token is:
    /// `Some(0)` for the live (unspent) one, `Some(n)` if spent n rotations ago,
    /// `None` if unknown.
    pub fn refresh_token_age(&self, refresh_token: &str) -> Option<u32> {
        self.shared.lock().refresh_token_age(refresh_token)
    }

    /// How many connections are being served right now. Once a client process has
    /// died and this drops to zero, every request it sent has been handled.
    pub fn open_connections(&self) -> usize {
        self.shared.open_connections()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.lock().snapshot_stats()
    }

    /// Zero the counters.
    pub fn reset_stats(&self) {
        self.shared.lock().reset_stats();
    }

    /// The messages `chat.postMessage` posted (the last 200,000), oldest first.
    pub fn messages(&self) -> Vec<PostedMessage> {
        self.shared.lock().board.messages()
    }

    /// Forget the posted messages.
    pub fn clear_messages(&self) {
        self.shared.lock().board.clear();
    }

    /// Slack's side of the test's history so far (`GET /_control/history`): every
    /// refresh token presented to `tooling.tokens.rotate` or as an `oauth.v2.access`
    /// refresh grant and what was answered, and every revocation (`auth.revoke` of a
    /// rotating chain, the losing pair of a grace reissue), in the order decided.
    /// Times are Unix ms on this server's clock, skew included. Merge it with the
    /// client's side and check it with `xoxe_history::check`.
    pub fn history(&self) -> xoxe_history::History {
        self.shared.lock().history.history()
    }

    /// Whether the history reached [`MAX_HISTORY_EVENTS`] and later events were dropped.
    pub fn history_truncated(&self) -> bool {
        self.shared.lock().history.truncated()
    }

    /// Forget the history (`POST /_control/reset` does too).
    pub fn clear_history(&self) {
        self.shared.lock().history.clear();
    }

    /// Every secret this server ever issued or seeded (access, refresh and legacy tokens,
    /// client secrets), in issue order.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.shared.lock().issued()
    }

    /// Whether a stop was requested (`POST /_control/shutdown`, or [`FakeSlack::shutdown`]).
    pub fn shutdown_requested(&self) -> bool {
        self.shared.stopping()
    }

    /// Stop accepting, close the listener and every open connection. Also done on drop.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.request_stop();
        if let Some((port, _)) = &self.tls {
            // Wake the TLS acceptor so it sees the stop flag.
            let _ = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], *port).into(), Duration::from_secs(1));
        }
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        self.shared.close_connections();
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ready_info(port: u16, seeds: &Seeds, tls_port: Option<u16>) -> ReadyInfo {
    ReadyInfo {
        port,
        base_url: format!("http://127.0.0.1:{port}/api/"),
        control_url: format!("http://127.0.0.1:{port}/_control/"),
        app: seeds.app.clone(),
        config_token: seeds.config_token.clone(),
        legacy_bot_token: seeds.legacy_bot_token.clone(),
        legacy_user_token: seeds.legacy_user_token.clone(),
        tls_base_url: tls_port.map(|p| format!("https://localhost:{p}/api/")),
    }
}

/// `FakeSlack` may be shared across threads (e.g. in a `static`).
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeSlack>();
};
