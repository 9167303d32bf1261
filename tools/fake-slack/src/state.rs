//! The server's world: apps, tokens, faults, rate limits and counters.
//!
//! Everything lives in one `State` behind one `Mutex`; every operation is a few hash-map
//! look-ups, so the lock is never held for long.

use crate::faults::{Fault, FaultKind, RateLimit, RateLimitState};
use crate::history;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod install;

pub use install::CodeSpec;
pub(crate) use install::{InstallGrant, InstalledToken};

/// Team name reported by `auth.test` and OAuth responses.
pub const TEAM_NAME: &str = "Fake Team";

/// Scopes of a bot token, unless an install asked for others.
pub(crate) const BOT_SCOPES: &str = "chat:write,channels:read,users:read";

/// Scopes of a user token, unless an install asked for others.
pub(crate) const USER_SCOPES: &str = "chat:write,users:read,identify";

/// Kind of a legacy (and of the rotated) bot/user token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `xoxb-` / `xoxe.xoxb-` tokens.
    Bot,
    /// `xoxp-` / `xoxe.xoxp-` tokens.
    User,
}

/// Which of two successor pairs survives when a spent refresh token is presented again
/// within the refresh grace window (see [`Config::refresh_grace_ms`](crate::Config)).
/// JSON and flag values: `"first"`, `"second"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraceKeep {
    /// The pair issued when the token was first spent stays valid; every reissued pair
    /// is revoked as it is issued.
    #[default]
    First,
    /// The newest reissued pair stays valid; the pair it replaces (and anything already
    /// rotated from it) is revoked.
    Second,
}

impl GraceKeep {
    /// `"first"` or `"second"`.
    pub fn parse(s: &str) -> Option<GraceKeep> {
        match s {
            "first" => Some(GraceKeep::First),
            "second" => Some(GraceKeep::Second),
            _ => None,
        }
    }
}

/// An app's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// `A…`
    pub app_id: String,
    /// `1234567890.1234567890`-style client id.
    pub client_id: String,
    /// Client secret (a secret: recorded in the issued-secrets list).
    pub client_secret: String,
}

/// An app configuration token pair, as `tooling.tokens.rotate` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigTokenPair {
    /// Access token, `xoxe.xoxp-1-…`.
    pub token: String,
    /// Refresh token, `xoxe-1-…` (single use).
    pub refresh_token: String,
    /// `T…`
    pub team_id: String,
    /// `U…`
    pub user_id: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds); the token is dead once `now >= exp`.
    pub exp: u64,
}

/// What the server was seeded with at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeds {
    /// An app with token rotation enabled.
    pub app: App,
    /// A live config token pair.
    pub config_token: ConfigTokenPair,
    /// A legacy bot token (`xoxb-…`) of the seeded app, never exchanged.
    pub legacy_bot_token: String,
    /// A legacy user token (`xoxp-…`) of the seeded app, never exchanged.
    pub legacy_user_token: String,
}

/// Counters. JSON: `{"requests":{"auth.test":3},"rotations":1,…}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests per method name that reached method dispatch (faulted, rate-limited and
    /// unknown methods included; control requests not).
    pub requests: BTreeMap<String, u64>,
    /// Successful `tooling.tokens.rotate` state changes (including fault-applied ones;
    /// grace reissues are counted in `grace_reissues` only).
    pub rotations: u64,
    /// Successful `oauth.v2.exchange` state changes.
    pub exchanges: u64,
    /// Successful `oauth.v2.access` refresh grants (grace reissues: `grace_reissues` only).
    pub refreshes: u64,
    /// Attempts to use an already spent refresh token, answered `invalid_refresh_token`
    /// (outside the grace window). Grace reissues are not counted here.
    pub refresh_token_reuses: u64,
    /// Spent refresh tokens presented again *within* the refresh grace window and
    /// answered with a new pair (a double spend Slack tolerates; see
    /// `--refresh-grace-ms`). Counted here only: not in `refresh_token_reuses`, nor in
    /// `rotations`/`refreshes` (which count first spends).
    #[serde(default)]
    pub grace_reissues: u64,
    /// Refresh tokens presented after a grace reissue revoked them (the pair that lost,
    /// see `--grace-keep`) or `auth.revoke` revoked their chain, answered
    /// `invalid_refresh_token`. Not in `refresh_token_reuses`.
    #[serde(default)]
    pub revoked_refresh_token_uses: u64,
    /// Accepted TCP connections (control connections included).
    pub connections: u64,
    /// Faults that fired.
    pub faults_fired: u64,
    /// Requests refused by a configured rate limit (not by a `ratelimited` fault).
    pub ratelimited: u64,
    /// Authorization codes minted (`POST /_control/authorization_code`,
    /// [`FakeSlack::mint_code`](crate::FakeSlack::mint_code)).
    #[serde(default)]
    pub codes_minted: u64,
    /// Codes redeemed by `oauth.v2.access` (`grant_type=authorization_code`): installs
    /// answered (counted before the answer is written).
    #[serde(default)]
    pub installs: u64,
    /// Codes presented again after their install, answered `code_already_used`.
    #[serde(default)]
    pub code_reuses: u64,
    /// Tokens revoked by `auth.revoke` (not counting `test` calls).
    #[serde(default)]
    pub revocations: u64,
    /// Calls per Web API method that reached the access-token check (`auth.test`,
    /// `auth.revoke`, `apps.manifest.validate`, `chat.postMessage`,
    /// `conversations.list`), whether the token passed or not. Calls refused before it
    /// (rate limits, faults that do not apply, unparseable arguments) are not counted.
    #[serde(default)]
    pub api_calls: BTreeMap<String, u64>,
    /// Errors of those same checks, per code: `not_authed`, `invalid_auth`,
    /// `token_expired`, `token_revoked`.
    #[serde(default)]
    pub token_errors: BTreeMap<String, u64>,
    /// Signed events (`POST /_control/events`) the app answered, whatever its HTTP status.
    #[serde(default)]
    pub events_delivered: u64,
    /// Signed events that got no answer: connection refused or broken, or no complete
    /// answer within 10 s (`delivery_failed`). Refused requests (a bad body, a URL off
    /// loopback) are counted in neither.
    #[serde(default)]
    pub events_failed: u64,
}

/// Unix seconds (Slack's `exp`) as the history's milliseconds.
fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
}

/// Unix time in seconds.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("getrandom failed");
    b
}

/// 20 random bytes as 40 lowercase hex chars.
pub(crate) fn rand_hex40() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b: [u8; 20] = random_bytes();
    let mut s = String::with_capacity(40);
    for x in b {
        s.push(HEX[(x >> 4) as usize] as char);
        s.push(HEX[(x & 15) as usize] as char);
    }
    s
}

/// `prefix` + 10 random uppercase alphanumerics (Slack-style ids: `T…`, `U…`, `A…`, `B…`).
pub(crate) fn rand_id(prefix: char) -> String {
    const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let b: [u8; 10] = random_bytes();
    let mut s = String::with_capacity(11);
    s.push(prefix);
    for x in b {
        s.push(ALNUM[(x % 36) as usize] as char);
    }
    s
}

fn rand_digits(n: usize) -> String {
    let b: [u8; 16] = random_bytes();
    b.iter().take(n).map(|x| (b'0' + x % 10) as char).collect()
}

/// Who an access token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccessFamily {
    /// An app configuration token.
    Config,
    /// A legacy, non-expiring `xoxb-`/`xoxp-` token.
    Legacy { client_id: String, kind: TokenKind },
    /// An expiring token from `oauth.v2.exchange`/`oauth.v2.access`, of chain `chain`.
    Rotated {
        client_id: String,
        kind: TokenKind,
        chain: ChainId,
    },
}

#[derive(Debug)]
pub(crate) struct AccessRec {
    pub family: AccessFamily,
    /// `None`: never expires.
    pub exp: Option<u64>,
    /// Revoked by a grace reissue: `auth.test` answers `token_revoked`.
    pub revoked: bool,
}

/// Who a refresh token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefreshFamily {
    Config,
    App {
        client_id: String,
        kind: TokenKind,
        chain: ChainId,
    },
}

/// The number of a rotating chain: every pair rotated from one exchange or install.
pub(crate) type ChainId = u64;

/// Whose a rotating chain is: what the exchange or install that started it said.
/// Every refresh of the chain answers with the same.
#[derive(Debug, Clone)]
pub(crate) struct ChainRec {
    /// The workspace (`None` for an org-wide install).
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub is_enterprise_install: bool,
    /// The bot user (bot chains) or the user (user chains).
    pub subject_id: String,
    /// The bot (bot chains).
    pub bot_id: Option<String>,
    pub scope: String,
    /// Revoked by `auth.revoke`: its access tokens answer `token_revoked`, its
    /// refresh tokens `invalid_refresh_token`.
    pub revoked: bool,
}

#[derive(Debug)]
struct RefreshRec {
    family: RefreshFamily,
    used: bool,
    /// When it was first spent (the grace window runs from here).
    spent_at: Option<Instant>,
    /// Revoked by a grace reissue: answers `invalid_refresh_token`.
    revoked: bool,
    /// The access token issued with it (revoked with it).
    access: Option<String>,
    /// The live refresh token issued when this one was spent.
    successor: Option<String>,
    /// Successors issued when this one was spent again within the grace window, and
    /// revoked (the pairs that lost).
    revoked_successors: Vec<String>,
}

impl RefreshRec {
    fn new(family: RefreshFamily, access: &str) -> RefreshRec {
        RefreshRec {
            family,
            used: false,
            spent_at: None,
            revoked: false,
            access: Some(access.to_string()),
            successor: None,
            revoked_successors: Vec::new(),
        }
    }
}

/// How a refresh token was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spend {
    /// Its first (and normally only) use.
    First,
    /// Already spent, presented again within the grace window.
    Grace,
}

#[derive(Debug)]
struct LegacyRec {
    client_id: String,
    kind: TokenKind,
    exchanged: bool,
}

#[derive(Debug)]
pub(crate) struct AppRec {
    pub app: App,
    pub rotation_enabled: bool,
    pub bot_user_id: String,
    pub bot_id: String,
}

/// A successful `oauth.v2.exchange` / `oauth.v2.access` grant.
#[derive(Debug)]
pub(crate) struct Grant {
    pub app_id: String,
    pub kind: TokenKind,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    /// The chain's owner: `subject_id` is `bot_user_id` for bot tokens, `user_id`
    /// for user tokens.
    pub owner: ChainRec,
}

/// What `auth.test` learns about a live token.
#[derive(Debug)]
pub(crate) struct AuthInfo {
    pub family: AccessFamily,
    pub team_id: String,
    pub user_id: String,
    pub bot_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub is_enterprise_install: bool,
}

/// The whole mutable world.
#[derive(Debug)]
pub(crate) struct State {
    pub team_id: String,
    pub user_id: String,
    pub ttl: u64,
    /// Seconds this server's clock runs ahead of the machine's (negative: behind).
    /// Slack's clock is not the client's: `iat`, `exp` and expiry checks use this one.
    pub clock_offset: i64,
    /// How long after its first spend a refresh token is answered with a new pair
    /// again (zero: never, every reuse is `invalid_refresh_token`).
    pub refresh_grace: Duration,
    /// Which pair survives a grace reissue.
    pub grace_keep: GraceKeep,
    /// The grace settings the server started with (`POST /_control/reset` restores them).
    pub grace_at_start: (Duration, GraceKeep),
    apps: HashMap<String, AppRec>,
    access: HashMap<String, AccessRec>,
    refresh: HashMap<String, RefreshRec>,
    legacy: HashMap<String, LegacyRec>,
    chains: HashMap<ChainId, ChainRec>,
    /// Authorization codes minted for installs (`install.rs`).
    codes: HashMap<String, install::CodeRec>,
    /// The seeded app's client id: whose codes are minted when a spec names none.
    pub seed_client_id: Option<String>,
    issued: Vec<String>,
    issued_file: Option<File>,
    faults: Vec<Fault>,
    rate_limits: Vec<RateLimitState>,
    requests: HashMap<String, u64>,
    pub stats: Stats,
    /// Messages posted with `chat.postMessage`, and the `ts` clock.
    pub board: crate::messaging::Board,
    /// A refresh token that rotates without being spent (benchmarks only).
    pub bench_refresh_token: Option<String>,
    /// Slack's side of the test's history: presentations and revocations.
    pub history: crate::history::Recorder,
}

impl State {
    pub fn new(ttl: u64, issued_file: Option<File>) -> State {
        State {
            team_id: rand_id('T'),
            user_id: rand_id('U'),
            ttl,
            clock_offset: 0,
            refresh_grace: Duration::ZERO,
            grace_keep: GraceKeep::First,
            grace_at_start: (Duration::ZERO, GraceKeep::First),
            apps: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            legacy: HashMap::new(),
            chains: HashMap::new(),
            codes: HashMap::new(),
            seed_client_id: None,
            issued: Vec::new(),
            issued_file,
            faults: Vec::new(),
            rate_limits: Vec::new(),
            requests: HashMap::new(),
            stats: Stats::default(),
            board: crate::messaging::Board::default(),
            bench_refresh_token: None,
            history: crate::history::Recorder::default(),
        }
    }

    /// Unix time in seconds on this server's (possibly skewed) clock.
    pub fn now(&self) -> u64 {
        now_secs().saturating_add_signed(self.clock_offset)
    }

    /// Unix time in milliseconds on this server's clock (the history's times).
    pub fn now_ms(&self) -> i64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        ms.saturating_add(self.clock_offset.saturating_mul(1000))
    }

    /// Unix time in microseconds on this server's clock (message and event `ts`).
    pub fn now_micros(&self) -> u64 {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        micros.saturating_add_signed(self.clock_offset.saturating_mul(1_000_000))
    }

    /// Record a secret (issued-secrets list and file) and hand it back.
    fn record(&mut self, secret: String) -> String {
        if let Some(f) = self.issued_file.as_mut() {
            let mut line = Vec::with_capacity(secret.len() + 1);
            line.extend_from_slice(secret.as_bytes());
            line.push(b'\n');
            // One write per line so concurrent readers never see half a token.
            let _ = f.write_all(&line);
            let _ = f.flush();
        }
        self.issued.push(secret.clone());
        secret
    }

    pub fn issued(&self) -> Vec<String> {
        self.issued.clone()
    }

    // ----- creation -------------------------------------------------------------------

    pub fn new_app(&mut self, rotation_enabled: bool, client_id: Option<String>, client_secret: Option<String>) -> App {
        let client_id = client_id.unwrap_or_else(|| format!("{}.{}", rand_digits(10), rand_digits(13)));
        let client_secret = client_secret.unwrap_or_else(|| rand_hex40()[..32].to_string());
        let client_secret = self.record(client_secret);
        let app = App {
            app_id: rand_id('A'),
            client_id: client_id.clone(),
            client_secret,
        };
        self.apps.insert(
            client_id,
            AppRec {
                app: app.clone(),
                rotation_enabled,
                bot_user_id: rand_id('U'),
                bot_id: rand_id('B'),
            },
        );
        app
    }

    pub fn new_legacy(&mut self, client_id: &str, kind: TokenKind, token: Option<String>) -> String {
        let token = token.unwrap_or_else(|| match kind {
            TokenKind::Bot => format!("xoxb-{}-{}-{}", rand_digits(12), rand_digits(13), rand_hex40()),
            TokenKind::User => format!("xoxp-{}-{}-{}", rand_digits(12), rand_digits(13), rand_hex40()),
        });
        let token = self.record(token);
        self.legacy.insert(
            token.clone(),
            LegacyRec {
                client_id: client_id.to_string(),
                kind,
                exchanged: false,
            },
        );
        self.access.insert(
            token.clone(),
            AccessRec {
                family: AccessFamily::Legacy {
                    client_id: client_id.to_string(),
                    kind,
                },
                exp: None,
                revoked: false,
            },
        );
        token
    }

    pub fn new_config_pair(&mut self, ttl: Option<u64>, refresh: Option<String>) -> ConfigTokenPair {
        let ttl = ttl.unwrap_or(self.ttl);
        let iat = self.now();
        let exp = iat.saturating_add(ttl);
        let token = self.record(format!("xoxe.xoxp-1-{}", rand_hex40()));
        let refresh_token = self.record(refresh.unwrap_or_else(|| format!("xoxe-1-{}", rand_hex40())));
        self.access.insert(
            token.clone(),
            AccessRec {
                family: AccessFamily::Config,
                exp: Some(exp),
                revoked: false,
            },
        );
        self.refresh
            .insert(refresh_token.clone(), RefreshRec::new(RefreshFamily::Config, &token));
        ConfigTokenPair {
            token,
            refresh_token,
            team_id: self.team_id.clone(),
            user_id: self.user_id.clone(),
            iat,
            exp,
        }
    }

    /// Benchmark fast path: a well-formed pair that is neither stored nor recorded,
    /// so millions of rotations of the one bench token cost no memory.
    fn bench_pair(&mut self) -> ConfigTokenPair {
        self.stats.rotations += 1;
        let iat = self.now();
        ConfigTokenPair {
            token: format!("xoxe.xoxp-1-{}", rand_hex40()),
            refresh_token: format!("xoxe-1-{}", rand_hex40()),
            team_id: self.team_id.clone(),
            user_id: self.user_id.clone(),
            iat,
            exp: iat.saturating_add(self.ttl),
        }
    }

    /// Starts a rotating chain owned by `owner`.
    fn new_chain(&mut self, owner: ChainRec) -> ChainId {
        let id = self.chains.len() as ChainId + 1;
        self.chains.insert(id, owner);
        id
    }

    /// The owner of a chain started by exchanging a legacy token of `client_id`:
    /// the app's bot user, or the server's user, in the server's team.
    fn exchange_owner(&self, client_id: &str, kind: TokenKind) -> ChainRec {
        let rec = &self.apps[client_id];
        let (subject_id, bot_id, scope) = match kind {
            TokenKind::Bot => (rec.bot_user_id.clone(), Some(rec.bot_id.clone()), BOT_SCOPES),
            TokenKind::User => (self.user_id.clone(), None, USER_SCOPES),
        };
        ChainRec {
            team_id: Some(self.team_id.clone()),
            team_name: Some(TEAM_NAME.to_string()),
            enterprise_id: None,
            enterprise_name: None,
            is_enterprise_install: false,
            subject_id,
            bot_id,
            scope: scope.to_string(),
            revoked: false,
        }
    }

    /// A new pair of chain `chain`, an app's `kind` token.
    fn new_rotated_pair(&mut self, client_id: &str, kind: TokenKind, chain: ChainId) -> Grant {
        let app_id = self.apps[client_id].app.app_id.clone();
        let owner = self.chains[&chain].clone();
        let prefix = match kind {
            TokenKind::Bot => "xoxe.xoxb-1-",
            TokenKind::User => "xoxe.xoxp-1-",
        };
        let ttl = self.ttl;
        let access_token = self.record(format!("{prefix}{}", rand_hex40()));
        let refresh_token = self.record(format!("xoxe-1-{}", rand_hex40()));
        self.access.insert(
            access_token.clone(),
            AccessRec {
                family: AccessFamily::Rotated {
                    client_id: client_id.to_string(),
                    kind,
                    chain,
                },
                exp: Some(self.now().saturating_add(ttl)),
                revoked: false,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshRec::new(
                RefreshFamily::App {
                    client_id: client_id.to_string(),
                    kind,
                    chain,
                },
                &access_token,
            ),
        );
        Grant {
            app_id,
            kind,
            access_token,
            refresh_token,
            expires_in: ttl,
            owner,
        }
    }

    // ----- Slack operations -----------------------------------------------------------

    /// `tooling.tokens.rotate`, recorded in the history.
    pub fn rotate_config(&mut self, refresh_token: &str) -> Result<ConfigTokenPair, &'static str> {
        if self.bench_refresh_token.as_deref() == Some(refresh_token) {
            return Ok(self.bench_pair());
        }
        let at_ms = self.now_ms();
        let answer = self.spend_config(refresh_token);
        let recorded = match &answer {
            Ok((pair, spend)) => history::issued(
                *spend == Spend::Grace,
                &pair.token,
                &pair.refresh_token,
                secs_to_ms(pair.exp),
            ),
            Err(code) => history::rejected(code),
        };
        self.history.presented(at_ms, refresh_token, recorded);
        let (pair, spend) = answer?;
        self.link(refresh_token, &pair.refresh_token, spend);
        Ok(pair)
    }

    /// Spends a config refresh token for a new config pair (not linked yet).
    fn spend_config(&mut self, refresh_token: &str) -> Result<(ConfigTokenPair, Spend), &'static str> {
        match self.refresh.get(refresh_token) {
            Some(r) if r.family == RefreshFamily::Config => {}
            _ => return Err("invalid_refresh_token"),
        }
        let spend = self.spend(refresh_token)?;
        if spend == Spend::First {
            self.stats.rotations += 1;
        }
        Ok((self.new_config_pair(None, None), spend))
    }

    /// Records in the history a refresh token presented and refused before its
    /// method ran (a rate limit, a fault that does not apply, bad client
    /// credentials): nothing was spent. The benchmark token is not recorded.
    pub fn refuse_presentation(&mut self, refresh_token: &str, code: &str) {
        if self.bench_refresh_token.as_deref() != Some(refresh_token) {
            let at_ms = self.now_ms();
            self.history.presented(at_ms, refresh_token, history::rejected(code));
        }
    }

    /// Spend a known refresh token of the right family: its first use, a reuse within
    /// the grace window (answered with a new pair), or `invalid_refresh_token`.
    fn spend(&mut self, refresh_token: &str) -> Result<Spend, &'static str> {
        let grace = self.refresh_grace;
        let r = self.refresh.get_mut(refresh_token).ok_or("invalid_refresh_token")?;
        if r.revoked {
            self.stats.revoked_refresh_token_uses += 1;
            return Err("invalid_refresh_token");
        }
        if !r.used {
            r.used = true;
            r.spent_at = Some(Instant::now());
            return Ok(Spend::First);
        }
        if r.spent_at.is_some_and(|at| at.elapsed() < grace) {
            self.stats.grace_reissues += 1;
            return Ok(Spend::Grace);
        }
        self.stats.refresh_token_reuses += 1;
        Err("invalid_refresh_token")
    }

    /// Record `successor` as issued for `spent`. After a grace reissue only one of the
    /// two successors stays valid (`grace_keep`); the other pair is revoked.
    fn link(&mut self, spent: &str, successor: &str, spend: Spend) {
        let keep = self.grace_keep;
        let Some(r) = self.refresh.get_mut(spent) else {
            return;
        };
        let loser = match (spend, keep) {
            (Spend::First, _) => {
                r.successor = Some(successor.to_string());
                None
            }
            (Spend::Grace, GraceKeep::First) => Some(successor.to_string()),
            (Spend::Grace, GraceKeep::Second) => r.successor.replace(successor.to_string()),
        };
        if let Some(loser) = loser {
            r.revoked_successors.push(loser.clone());
            self.revoke_branch(&loser);
            let at_ms = self.now_ms();
            self.history.revoked(at_ms, &loser);
        }
    }

    /// Revoke a refresh token, its access token, and everything rotated from it.
    fn revoke_branch(&mut self, refresh_token: &str) {
        let mut todo = vec![refresh_token.to_string()];
        while let Some(rt) = todo.pop() {
            let Some(r) = self.refresh.get_mut(&rt) else {
                continue;
            };
            if r.revoked {
                continue;
            }
            r.revoked = true;
            todo.extend(r.successor.iter().cloned());
            todo.extend(r.revoked_successors.iter().cloned());
            if let Some(a) = r.access.as_deref().and_then(|a| self.access.get_mut(a)) {
                a.revoked = true;
            }
        }
    }

    /// How many rotations behind the live end of its chain `refresh_token` is:
    /// `Some(0)` live (unspent), `Some(n)` spent n rotations ago, `None` unknown.
    pub fn refresh_token_age(&self, refresh_token: &str) -> Option<u32> {
        let mut age = 0;
        let mut rec = self.refresh.get(refresh_token)?;
        while let Some(next) = rec.successor.as_deref() {
            age += 1;
            rec = self.refresh.get(next)?;
        }
        if rec.used || rec.revoked {
            None
        } else {
            Some(age)
        }
    }

    /// Client credential check shared by the OAuth methods.
    pub fn check_client(&self, client_id: &str, client_secret: &str) -> Result<&AppRec, &'static str> {
        let rec = self.apps.get(client_id).ok_or("invalid_client_id")?;
        if rec.app.client_secret != client_secret {
            return Err("bad_client_secret");
        }
        Ok(rec)
    }

    /// `oauth.v2.exchange`.
    pub fn exchange(&mut self, client_id: &str, client_secret: &str, token: &str) -> Result<Grant, &'static str> {
        let rotation_enabled = self.check_client(client_id, client_secret)?.rotation_enabled;
        let leg = self.legacy.get_mut(token).ok_or("invalid_token")?;
        if leg.client_id != client_id {
            return Err("invalid_token");
        }
        if !rotation_enabled {
            return Err("token_rotation_not_enabled");
        }
        if leg.exchanged {
            return Err("token_already_exchanged");
        }
        leg.exchanged = true;
        let kind = leg.kind;
        self.stats.exchanges += 1;
        let chain = self.new_chain(self.exchange_owner(client_id, kind));
        Ok(self.new_rotated_pair(client_id, kind, chain))
    }

    /// `oauth.v2.access` with `grant_type=refresh_token` (client already checked),
    /// recorded in the history.
    pub fn refresh_grant(&mut self, client_id: &str, refresh_token: &str) -> Result<Grant, &'static str> {
        let at_ms = self.now_ms();
        let answer = self.spend_oauth(client_id, refresh_token);
        let recorded = match &answer {
            Ok((grant, spend)) => {
                let exp = self.access.get(&grant.access_token).and_then(|a| a.exp);
                history::issued(
                    *spend == Spend::Grace,
                    &grant.access_token,
                    &grant.refresh_token,
                    exp.map_or(i64::MAX, secs_to_ms),
                )
            }
            Err(code) => history::rejected(code),
        };
        self.history.presented(at_ms, refresh_token, recorded);
        let (grant, spend) = answer?;
        self.link(refresh_token, &grant.refresh_token, spend);
        Ok(grant)
    }

    /// Spends an app's refresh token for a new pair of its chain (not linked yet).
    fn spend_oauth(&mut self, client_id: &str, refresh_token: &str) -> Result<(Grant, Spend), &'static str> {
        let r = self.refresh.get(refresh_token).ok_or("invalid_refresh_token")?;
        let (kind, chain) = match &r.family {
            RefreshFamily::App {
                client_id: c,
                kind,
                chain,
            } if c == client_id => (*kind, *chain),
            _ => return Err("invalid_refresh_token"),
        };
        if self.chains[&chain].revoked {
            self.stats.revoked_refresh_token_uses += 1;
            return Err("invalid_refresh_token");
        }
        let spend = self.spend(refresh_token)?;
        if spend == Spend::First {
            self.stats.refreshes += 1;
        }
        Ok((self.new_rotated_pair(client_id, kind, chain), spend))
    }

    /// Authenticate an access token (`not_authed` is the caller's job).
    pub fn auth(&self, token: &str) -> Result<AuthInfo, &'static str> {
        let rec = self.access.get(token).ok_or("invalid_auth")?;
        let chain_revoked = match &rec.family {
            AccessFamily::Rotated { chain, .. } => self.chains[chain].revoked,
            _ => false,
        };
        if rec.revoked || chain_revoked {
            return Err("token_revoked");
        }
        if let Some(exp) = rec.exp {
            if self.now() >= exp {
                return Err("token_expired");
            }
        }
        let mut info = AuthInfo {
            family: rec.family.clone(),
            team_id: self.team_id.clone(),
            user_id: self.user_id.clone(),
            bot_id: None,
            enterprise_id: None,
            is_enterprise_install: false,
        };
        match &rec.family {
            AccessFamily::Config => {}
            AccessFamily::Legacy { client_id, kind } => match (kind, self.apps.get(client_id)) {
                (TokenKind::Bot, Some(app)) => {
                    (info.user_id, info.bot_id) = (app.bot_user_id.clone(), Some(app.bot_id.clone()))
                }
                (TokenKind::Bot, None) => (info.user_id, info.bot_id) = (rand_id('U'), Some(rand_id('B'))),
                (TokenKind::User, _) => {}
            },
            AccessFamily::Rotated { chain, .. } => {
                let owner = &self.chains[chain];
                info.team_id = owner.team_id.clone().unwrap_or_default();
                info.user_id = owner.subject_id.clone();
                info.bot_id = owner.bot_id.clone();
                info.enterprise_id = owner.enterprise_id.clone();
                info.is_enterprise_install = owner.is_enterprise_install;
            }
        }
        Ok(info)
    }

    /// The access-token check of a Web API method (`token` from `Authorization: Bearer`
    /// or the `token` argument; `None`: `not_authed`), counted in `api_calls` and, when
    /// it fails, in `token_errors`.
    pub fn check_token(&mut self, method: &str, token: Option<&str>) -> Result<AuthInfo, &'static str> {
        bump(&mut self.stats.api_calls, method);
        let checked = token.ok_or("not_authed").and_then(|t| self.auth(t));
        if let Err(code) = checked {
            bump(&mut self.stats.token_errors, code);
        }
        checked
    }

    /// Who an app's events come from: the app id (`api_app_id`, default the seeded
    /// app's) and its bot user (the seeded app's for an app id this server never made).
    pub fn event_identity(&self, api_app_id: Option<&str>) -> (String, String) {
        let seeded = self.seed_client_id.as_deref().and_then(|c| self.apps.get(c));
        let app = match api_app_id {
            Some(id) => self.apps.values().find(|a| a.app.app_id == id).or(seeded),
            None => seeded,
        };
        let app_id = api_app_id
            .map(str::to_string)
            .or_else(|| app.map(|a| a.app.app_id.clone()))
            .unwrap_or_else(|| rand_id('A'));
        let bot_user = app.map_or_else(|| rand_id('U'), |a| a.bot_user_id.clone());
        (app_id, bot_user)
    }

    /// `auth.revoke`: revokes a live token — a rotating token's whole chain (every
    /// access token of it then answers `token_revoked`, every refresh token
    /// `invalid_refresh_token`), or a legacy or config access token itself. With
    /// `test`, checks the token and revokes nothing. Returns whether it revoked.
    pub fn revoke(&mut self, token: &str, test: bool) -> Result<bool, &'static str> {
        let family = self.auth(token)?.family;
        if test {
            return Ok(false);
        }
        match family {
            AccessFamily::Rotated { chain, .. } => {
                if let Some(owner) = self.chains.get_mut(&chain) {
                    owner.revoked = true;
                }
                let at_ms = self.now_ms();
                self.history.revoked(at_ms, token);
            }
            AccessFamily::Config | AccessFamily::Legacy { .. } => {
                if let Some(rec) = self.access.get_mut(token) {
                    rec.revoked = true;
                }
            }
        }
        self.stats.revocations += 1;
        Ok(true)
    }

    // ----- faults, rate limits, counters ----------------------------------------------

    pub fn push_fault(&mut self, fault: Fault) {
        if fault.count > 0 {
            self.faults.push(fault);
        }
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Consume the first fault matching `method`.
    pub fn take_fault(&mut self, method: &str) -> Option<FaultKind> {
        if self.faults.is_empty() {
            return None;
        }
        let i = self.faults.iter().position(|f| f.matches(method))?;
        let f = &mut self.faults[i];
        f.count -= 1;
        let kind = if f.count == 0 {
            self.faults.remove(i).kind
        } else {
            f.kind.clone()
        };
        self.stats.faults_fired += 1;
        Some(kind)
    }

    pub fn add_rate_limit(&mut self, rl: RateLimit) {
        self.rate_limits.retain(|r| r.limit.method != rl.method);
        self.rate_limits.push(RateLimitState::new(rl));
    }

    pub fn clear_rate_limits(&mut self) {
        self.rate_limits.clear();
    }

    /// Count a call against the rate limits; `Some(retry_after)` if it must be refused.
    pub fn rate_limited(&mut self, method: &str) -> Option<u64> {
        if self.rate_limits.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut refused = None;
        for rl in &mut self.rate_limits {
            if let Some(ra) = rl.hit(method, now) {
                refused = Some(refused.map_or(ra, |r: u64| r.max(ra)));
            }
        }
        if refused.is_some() {
            self.stats.ratelimited += 1;
        }
        refused
    }

    pub fn count_request(&mut self, method: &str) {
        if let Some(n) = self.requests.get_mut(method) {
            *n += 1;
        } else {
            self.requests.insert(method.to_string(), 1);
        }
    }

    pub fn snapshot_stats(&self) -> Stats {
        let mut s = self.stats.clone();
        s.requests = self.requests.iter().map(|(k, v)| (k.clone(), *v)).collect();
        s
    }

    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        self.requests.clear();
    }
}

/// Add one to `map[key]` (allocating the key only the first time).
fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else {
        map.insert(key.to_string(), 1);
    }
}
