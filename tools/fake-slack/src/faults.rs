//! Fault injection and rate limits.
//!
//! Faults form a FIFO list. A request to method `m` consumes the first fault whose `method`
//! is `m` or `"*"`; each fault affects `count` matching requests, then disappears.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

fn star() -> String {
    "*".to_string()
}

fn one() -> u32 {
    1
}

fn one_u64() -> u64 {
    1
}

fn http_ok() -> u16 {
    200
}

/// What an [`FaultKind::EchoError`] puts in `error`. "The credential" is the request's
/// `refresh_token` argument if it has one, else its token (`Authorization: Bearer`, else
/// the `token` argument), else `""`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Echo {
    /// The credential itself (`xoxe-1-<hex>`).
    Credential,
    /// The credential's random part: what follows its last `-` (`xoxe-1-<hex>` → `<hex>`),
    /// a word that passes for a Slack error code.
    CredentialBare,
    /// The credential followed by `…` (U+2026), as if it were already redacted.
    CredentialEllipsis,
    /// `invalid_client:<client secret>`, the secret from the `client_secret` argument or
    /// the `Authorization: Basic` header (`invalid_client:` alone when there is none).
    ClientSecret,
}

impl Echo {
    /// The `error` value for a request carrying `credential` and `client_secret`.
    pub fn value(self, credential: &str, client_secret: Option<&str>) -> String {
        match self {
            Echo::Credential => credential.to_string(),
            Echo::CredentialBare => credential.rsplit('-').next().unwrap_or("").to_string(),
            Echo::CredentialEllipsis => format!("{credential}\u{2026}"),
            Echo::ClientSecret => format!("invalid_client:{}", client_secret.unwrap_or("")),
        }
    }
}

/// One injected fault: which method it hits, what it does, and how many requests it affects.
///
/// JSON form (control interface): `{"method":"tooling.tokens.rotate","kind":"drop_after_apply","count":1}`;
/// `method` defaults to `"*"`, `count` to 1, every `apply` to `false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Exact Slack method name (`"auth.test"`) or `"*"` for every method.
    #[serde(default = "star")]
    pub method: String,
    /// What happens to the request.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it affects (0 is treated as "none": the fault is dropped).
    #[serde(default = "one")]
    pub count: u32,
}

impl Fault {
    /// A fault hitting `method` (or `"*"`) once.
    pub fn new(method: &str, kind: FaultKind) -> Fault {
        Fault {
            method: method.to_string(),
            kind,
            count: 1,
        }
    }

    /// The same fault, affecting `count` requests.
    pub fn times(mut self, count: u32) -> Fault {
        self.count = count;
        self
    }

    /// Whether this fault matches a request to `method`.
    pub(crate) fn matches(&self, method: &str) -> bool {
        self.method == "*" || self.method == method
    }
}

/// What a fault does. Serialized with an internal tag `"kind"` in snake_case.
///
/// "apply" means: perform the method's state change (the rotation, exchange, refresh) as
/// if the request had succeeded, then answer with the fault. Without `apply`, nothing changes
/// on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// `{"ok":false,"error":<error>}` with HTTP 200 (plus any request warnings).
    SlackError {
        /// The Slack error code, e.g. `internal_error`, `fatal_error`, `service_unavailable`.
        error: String,
        /// Apply the method first ("some aspect of the operation may have succeeded").
        #[serde(default)]
        apply: bool,
    },
    /// HTTP 429 `{"ok":false,"error":"ratelimited"}`; `Retry-After` only when `Some`. Never applies.
    Ratelimited {
        /// Seconds for the `Retry-After` header.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// That HTTP status with an HTML error page (`text/html`).
    HttpStatus {
        /// The HTTP status code, e.g. 502.
        status: u16,
        /// Apply the method first.
        #[serde(default)]
        apply: bool,
    },
    /// That HTTP status with a Slack JSON body: `{"ok":false,"error":<error>}`, or
    /// `{"ok":true}` when `error` is absent (an edge or proxy answering JSON with a
    /// 4xx/5xx status).
    JsonStatus {
        /// The HTTP status code, e.g. 500.
        status: u16,
        /// The Slack error code; `None` for `{"ok":true}`.
        #[serde(default)]
        error: Option<String>,
        /// Apply the method first.
        #[serde(default)]
        apply: bool,
    },
    /// A hostile server (or TLS-intercepting proxy) that echoes what the request carried:
    /// `{"ok":false,"error":<value>}` with HTTP `status` (default 200), where the value is
    /// built from the request's own credentials (see [`Echo`]). Without `apply` nothing
    /// changes on the server: the refresh token stays valid. This deliberately sends a
    /// secret back to the client that sent it (it is never printed or logged here).
    EchoError {
        /// What the `error` string is made of.
        echo: Echo,
        /// The HTTP status code (default 200).
        #[serde(default = "http_ok")]
        status: u16,
        /// Apply the method first.
        #[serde(default)]
        apply: bool,
    },
    /// HTTP 200 with `Content-Length: 0`.
    EmptyBody {
        /// Apply the method first.
        #[serde(default)]
        apply: bool,
    },
    /// HTTP 200 with syntactically broken JSON (`{"ok":true,,…`). Without `apply` a fixed
    /// text that names no real token; with `apply` the real answer with its first `,`
    /// doubled, so the new tokens are in it (a mangled answer a client could still read).
    MalformedJson {
        /// Apply the method first (the broken text is then made from the real response).
        #[serde(default)]
        apply: bool,
    },
    /// The response JSON cut in half, `Content-Length` matching the cut text.
    /// Without `apply` the cut text is a placeholder success body (nothing was issued).
    TruncatedJson {
        /// Apply the method first (the cut text is then the real response).
        #[serde(default)]
        apply: bool,
    },
    /// Headers announce the full length, half the body is sent, then the connection closes.
    TruncatedBody {
        /// Apply the method first (the body is then the real response).
        #[serde(default)]
        apply: bool,
    },
    /// Valid JSON, wrong types. Without `apply`:
    /// `{"ok":true,"token":123,"refresh_token":null,"exp":"soon"}`. With `apply`: the real
    /// answer with its `iat`, `exp` and `expires_in` set to `"soon"` (its tokens intact),
    /// or that fixed text when the answer has none of those fields.
    WrongShape {
        /// Apply the method first (the text is then made from the real response).
        #[serde(default)]
        apply: bool,
    },
    /// A 200 JSON response of exactly `bytes` bytes (`{"ok":true,"pad":"aaaa…"}`), streamed.
    /// Never applies.
    HugeBody {
        /// Total body size in bytes.
        bytes: u64,
    },
    /// Sleep before writing anything, then the normal response.
    /// `apply: true`: the method runs first, then the sleep (server did the work, answer is late).
    /// `apply: false`: sleep first; the method runs afterwards only if the client is still
    /// connected (a client that timed out and closed changed nothing).
    SlowHeaders {
        /// Delay in milliseconds.
        delay_ms: u64,
        /// Run the method before the delay (see above).
        #[serde(default)]
        apply: bool,
    },
    /// The normal (applied) response: headers and half the body, a sleep, then the rest.
    SlowBody {
        /// Delay in milliseconds between the two halves.
        delay_ms: u64,
    },
    /// Read the request, then reset the connection (SO_LINGER 0) without answering. Nothing applied.
    DropBeforeApply,
    /// Apply the method, then reset the connection without answering:
    /// "rotation applied but response lost".
    DropAfterApply,
    /// Sleep, then run the method (even if the client has gone) and answer normally.
    Delay {
        /// Delay in milliseconds.
        delay_ms: u64,
    },
    /// Run the method and answer normally, except that a successful `oauth.v2.exchange`
    /// or `oauth.v2.access` answer for a *user* token carries the token the way Slack
    /// answers a user-scope install (and Java's and Node's SDKs model it): `access_token`,
    /// `refresh_token`, `expires_in`, `token_type` and `scope` move from the top level
    /// into `authed_user`, with `user_id` as `authed_user.id`. Every other answer (bot
    /// tokens, errors, other methods) is unchanged. Always applies.
    NestedUserToken,
}

/// A fixed-window rate limit: after `limit` calls to `method` within `window_secs`, further
/// calls answer HTTP 429 `ratelimited` with `Retry-After: retry_after` until the window ends.
/// `method` may be `"*"` (one shared window for all methods). Adding a limit for a method
/// that already has one replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Exact method name or `"*"`.
    #[serde(default = "star")]
    pub method: String,
    /// Calls allowed per window.
    pub limit: u32,
    /// Window length in seconds.
    pub window_secs: u64,
    /// Value of the `Retry-After` header (default 1).
    #[serde(default = "one_u64")]
    pub retry_after: u64,
}

/// A rate limit plus its current window.
#[derive(Debug)]
pub(crate) struct RateLimitState {
    pub limit: RateLimit,
    window_start: Instant,
    used: u32,
}

impl RateLimitState {
    pub fn new(limit: RateLimit) -> Self {
        RateLimitState {
            limit,
            window_start: Instant::now(),
            used: 0,
        }
    }

    /// Count a call; `Some(retry_after)` when it must be refused.
    pub fn hit(&mut self, method: &str, now: Instant) -> Option<u64> {
        if self.limit.method != "*" && self.limit.method != method {
            return None;
        }
        if now.duration_since(self.window_start) >= Duration::from_secs(self.limit.window_secs) {
            self.window_start = now;
            self.used = 0;
        }
        if self.used >= self.limit.limit {
            Some(self.limit.retry_after)
        } else {
            self.used += 1;
            None
        }
    }
}
