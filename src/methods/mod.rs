//! One typed function per Web API method, as methods on [`Client`](crate::Client).

mod api;
mod auth;
mod oauth;
mod tooling;

pub use api::ApiResponse;
pub use auth::AuthIdentity;
pub use oauth::OAuthToken;
pub use tooling::ConfigToken;

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::status::Status;
use serde::de::DeserializeOwned;

/// Longest token, id or secret xoxe accepts as an argument.
const MAX_CREDENTIAL_BYTES: usize = 8192;

/// Checks a credential argument before anything is sent: non-empty, not huge,
/// printable ASCII only (it goes into a header or form field verbatim).
pub(crate) fn check_credential(name: &str, value: &str) -> Result<()> {
    let why = if value.is_empty() {
        "is empty"
    } else if value.len() > MAX_CREDENTIAL_BYTES {
        "is too long"
    } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
        "contains spaces, control or non-ASCII characters"
    } else {
        return Ok(());
    };
    Err(Error::new(Status::InvalidArgument, format!("{name} {why}")))
}

/// Sends a call and decodes an `ok: true` payload into `T`. A payload that does not
/// decode is `BadResponse` — or `OutcomeUnknown` for a token-spending call, since
/// Slack did act on it.
pub(crate) fn typed<T: DeserializeOwned>(client: &Client, call: &Call<'_>) -> Result<(T, Vec<String>)> {
    let reply = client.send(call)?;
    let bad = |why: String| {
        let err = Error::new(
            Status::BadResponse,
            format!("{}: unexpected response: {why}", call.method),
        );
        if call.spends_token {
            err.into_outcome_unknown()
        } else {
            err
        }
    };
    if crate::response::has_nul_escape(&reply.body) {
        return Err(bad("a string contains a NUL character".into()));
    }
    let value: T = crate::response::parse(&reply.body).map_err(bad)?;
    Ok((value, reply.warnings))
}

/// Same check as [`typed`]'s decode step, for post-decode validation failures.
pub(crate) fn invalid_payload(call: &Call<'_>, why: &str) -> Error {
    let err = Error::new(
        Status::BadResponse,
        format!("{}: unexpected response: {why}", call.method),
    );
    if call.spends_token {
        err.into_outcome_unknown()
    } else {
        err
    }
}
