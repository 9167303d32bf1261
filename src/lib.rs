//! xoxe: a Slack token-rotation client.
//!
//! A blocking core (`ureq` + `serde`) for the Web API methods that rotate tokens —
//! `tooling.tokens.rotate`, `oauth.v2.exchange`, `oauth.v2.access` (refresh grant and
//! the OAuth install) — plus `auth.test`, `auth.revoke` and a generic [`Client::call`].
//! The C ABI lives in [`ffi`]; Python and Go bindings sit on top of it.
//!
//! ```no_run
//! let client = xoxe::Client::new(xoxe::ClientOptions::default())?;
//! let pair = client.tooling_tokens_rotate("xoxe-1-…", None)?;
//! // Persist pair.token and pair.refresh_token durably *before* using them:
//! // the refresh token you sent is spent.
//! # Ok::<(), xoxe::Error>(())
//! ```

#![deny(missing_docs)]

pub mod base_url;
pub mod chain_name;
pub mod client;
/// Time and chance as a rotator sees them (public with the `simulation` feature).
#[cfg(feature = "simulation")]
pub mod clock;
#[cfg(not(feature = "simulation"))]
mod clock;
pub mod error;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
mod installation;
mod lean_transport;
pub mod log;
pub mod methods;
mod outcome;
pub mod pool;
mod response;
pub mod rotator;
pub mod secret;
pub mod status;
pub mod store;
pub(crate) mod tls;
pub mod utc;

pub use base_url::{BaseUrl, GOV_SLACK_BASE_URL, SLACK_BASE_URL};
pub use chain_name::{installation_chain, TokenOwner};
pub use client::{Client, ClientOptions};
pub use error::{Error, Result};
pub use log::{set_logger, LogLevel, LogSink};
pub use methods::{
    ApiResponse, AuthIdentity, AuthedUser, ConfigToken, IncomingWebhook, Install, InstalledToken, Named, OAuthToken,
    MAX_TOKEN_LEN, MAX_TOKEN_LIFETIME_SECS,
};
pub use pool::{chain_statuses, rewrite_chains, ChainState, ChainStatus, Pool, PoolOptions, PoolStats};
pub use rotator::{AccessToken, AppCredentials, Renewal, Rotator, RotatorOptions};
pub use secret::{redact, Secret};
pub use status::{Status, StatusFamily};
pub use store::{ChainKind, FileStore, Lease, MemoryStore, Saved, Store, StoredPair};
