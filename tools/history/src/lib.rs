//! A test's history of token chains, and the checker of xoxe's promise over it:
//! **no refresh token is ever spent twice by xoxe, and no pair Slack issued is
//! ever lost once any caller saw it.**
//!
//! A history is a list of [`Event`]s from two sides:
//! - Slack's (the fake Slack records them; `GET /_control/history`): every
//!   refresh token presented and what Slack answered ([`Event::Presented`]);
//! - the client's (the test records them): chains seeded, pairs saved by a
//!   store, access tokens handed to callers, and what each store holds at the
//!   end.
//!
//! Tokens are test tokens, but the checker's messages never print one whole:
//! [`fingerprint`] names a token by a short hash.
//!
//! Chain lineage is derived from the tokens themselves: a chain starts at a
//! seeded refresh token, and each [`Answer::Issued`] to a presentation of a
//! refresh token `r` makes the issued pair the child of the pair `r` came with.
//!
//! [`check`] verifies the promise over a history, rule by rule (its
//! documentation lists them), and returns a [`Report`]; the `xoxe-history-check` binary does
//! the same for history documents in files (the C, Python and Go tests' own).

use serde::{Deserialize, Serialize};

mod check;
mod lineage;

pub use check::{check, Report, Summary, Violation};

/// What Slack answered to one presentation of a refresh token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// A new pair: the presented refresh token is now spent.
    Issued {
        /// The new access token.
        access: String,
        /// The new refresh token.
        refresh: String,
        /// When the new access token expires, Unix milliseconds on Slack's clock.
        expires_at_ms: i64,
    },
    /// The presented refresh token was already spent, but within Slack's grace
    /// window: a pair was issued again (see the fake Slack's `--refresh-grace-ms`).
    GraceReissue {
        /// The reissued access token.
        access: String,
        /// The reissued refresh token.
        refresh: String,
        /// When the reissued access token expires, Unix milliseconds on Slack's clock.
        expires_at_ms: i64,
    },
    /// Refused without spending anything that was not spent already (e.g.
    /// `invalid_refresh_token`, `ratelimited`, a 5xx before the token was spent).
    Rejected {
        /// Slack's error code, or `http_<status>`.
        code: String,
    },
    /// The request may or may not have spent the token (the answer was lost:
    /// a cut connection, a timeout). Only a client-side recorder can say this;
    /// Slack itself always knows.
    Unknown,
}

/// One thing that happened, from Slack's side or the client's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Slack's side: a refresh token was presented (`tooling.tokens.rotate` or
    /// `oauth.v2.access` with `grant_type=refresh_token`).
    Presented {
        /// When Slack received it, Unix milliseconds on Slack's clock.
        at_ms: i64,
        /// The refresh token presented.
        refresh: String,
        /// Who presented it, when known (a holder name, a host in a simulation;
        /// "" when Slack cannot tell).
        #[serde(default)]
        by: String,
        /// What Slack answered.
        answer: Answer,
    },
    /// Slack's side: Slack revoked the chain a token belongs to (`auth.revoke`,
    /// an uninstall): a dead chain at the end is then explained.
    Revoked {
        /// When, Unix milliseconds on Slack's clock.
        at_ms: i64,
        /// A token of the revoked chain (access or refresh).
        token: String,
    },
    /// Client side: a chain started from this pair (a store seeded, an
    /// installation saved, a legacy token exchanged).
    Seeded {
        /// The chain's name in its store.
        chain: String,
        /// The access token it started with ("" if none).
        #[serde(default)]
        access: String,
        /// The refresh token it started with.
        refresh: String,
    },
    /// Client side: a store reported a pair saved (a compare-and-swap that
    /// stored; durable when reported).
    Saved {
        /// When the save was asked for, Unix milliseconds on the test's clock:
        /// no one can have read the pair from the store earlier (a recorder that
        /// noted when the save returned could note it after another thread had
        /// already read the pair and handed its token out).
        at_ms: i64,
        /// The chain's name in its store.
        chain: String,
        /// The stored generation.
        generation: u64,
        /// The saved access token.
        access: String,
        /// The saved refresh token.
        refresh: String,
        /// Who saved it (a host, a thread, a process), when known.
        #[serde(default)]
        by: String,
    },
    /// Client side: a caller was handed this access token (`get`, `force_rotate`,
    /// `Pool::get`, …).
    HandedOut {
        /// When the call returned, Unix milliseconds on the test's clock.
        at_ms: i64,
        /// The chain's name in its store.
        chain: String,
        /// The access token handed out.
        access: String,
        /// Who got it, when known.
        #[serde(default)]
        by: String,
    },
    /// Client side: what the chain's store holds at the end of the test.
    Final {
        /// The chain's name in its store.
        chain: String,
        /// The stored access token.
        access: String,
        /// The stored refresh token.
        refresh: String,
        /// The stored generation.
        generation: u64,
        /// Whether the store marks the chain revoked.
        #[serde(default)]
        revoked: bool,
    },
}

/// A test's events, in the order they were recorded (each side in its own
/// order; the checker orders by `at_ms` only where it compares times, and the
/// two sides' clocks are the same machine's or, in a simulation, the same
/// simulated clock).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The events.
    pub events: Vec<Event>,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Adds one event.
    pub fn record(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Adds every event of `other` (e.g. Slack's side fetched at the end).
    pub fn extend(&mut self, other: impl IntoIterator<Item = Event>) {
        self.events.extend(other);
    }
}

/// A short, stable name for a token in messages: never the token itself.
pub fn fingerprint(token: &str) -> String {
    // FNV-1a: stable across runs and platforms, no dependency; not a secret hash
    // (test tokens only), just a handle a human can match between lines.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("tok#{:08x}", h >> 32)
}
