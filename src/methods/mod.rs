//! One typed function per Web API method, as methods on [`Client`](crate::Client).

mod api;
mod auth;
mod install;
pub(crate) mod oauth;
mod tooling;

pub use api::ApiResponse;
pub use auth::AuthIdentity;
pub use install::{AuthedUser, IncomingWebhook, Install, InstalledToken};
pub use oauth::{Named, OAuthToken};
pub use tooling::ConfigToken;

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::outcome::keep_raw_body;
use crate::status::Status;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// Longest token, id or secret xoxe accepts or hands out: a buffer of this many
/// bytes plus one holds any token with its NUL.
pub const MAX_TOKEN_LEN: usize = 8192;

/// Checks a credential argument before anything is sent: non-empty, not huge,
/// printable ASCII only (it goes into a header or form field verbatim).
pub(crate) fn check_credential(name: &str, value: &str) -> Result<()> {
    let why = if value.is_empty() {
        "is empty"
    } else if value.len() > MAX_TOKEN_LEN {
        "is too long"
    } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
        "contains spaces, control or non-ASCII characters"
    } else {
        return Ok(());
    };
    Err(Error::new(Status::InvalidArgument, format!("{name} {why}")))
}

/// The longest token lifetime xoxe believes (30 days; Slack's are 12 hours). A
/// longer stated lifetime is cut to this, so a wild server value can neither
/// overflow an expiry nor keep a token from ever being rotated.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 30 * 86_400;

/// Whether `id` has the shape of a Slack id (`T0123ABCD`): upper-case letters and
/// digits, at most 32. Others (server-controlled text that will be printed) are dropped.
pub(crate) fn is_slack_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `id` if it has the shape of a Slack id; otherwise `None`, logged.
pub(crate) fn slack_id(what: &str, id: Option<String>) -> Option<String> {
    match id {
        Some(id) if is_slack_id(&id) => Some(id),
        Some(_) => {
            crate::log::xlog!(Warn, "ignoring a {what} that is not a Slack id");
            None
        }
        None => None,
    }
}

/// A decoded `ok: true` payload and what came with it.
pub(crate) struct Decoded<T> {
    pub value: T,
    pub warnings: Vec<String>,
    http_status: u16,
    /// The raw body (zeroed on drop), for an error that rejects the payload.
    body: Zeroizing<Vec<u8>>,
    /// The client's response-size limit.
    limit: u64,
}

impl<T> Decoded<T> {
    /// The error for a payload that decoded but makes no sense (empty token…); for a
    /// token-spending call it carries the raw body (see [`keep_raw_body`]).
    pub fn reject(&self, call: &Call<'_>, why: &str) -> Error {
        invalid_payload(call, self.http_status, why, &self.body, self.limit)
    }
}

/// Sends a call and decodes an `ok: true` payload into `T`. A payload that does not
/// decode is `BadResponse` (settled like every failure: `OutcomeUnknown` for a
/// token-spending call, since Slack did act on it, with the raw body kept in
/// `response_json`).
pub(crate) fn typed<T: DeserializeOwned>(client: &Client, call: &Call<'_>) -> Result<Decoded<T>> {
    let reply = client.send(call)?;
    let limit = client.options().max_response_bytes;
    if crate::response::has_nul_escape(&reply.body) {
        return Err(invalid_payload(
            call,
            reply.http_status,
            "a string contains a NUL character",
            &reply.body,
            limit,
        ));
    }
    let value: T = crate::response::parse(&reply.body)
        .map_err(|why| invalid_payload(call, reply.http_status, &why, &reply.body, limit))?;
    Ok(Decoded {
        value,
        warnings: reply.warnings,
        http_status: reply.http_status,
        body: reply.body,
        limit,
    })
}

fn invalid_payload(call: &Call<'_>, http_status: u16, why: &str, body: &[u8], limit: u64) -> Error {
    let err = Error::new(
        Status::BadResponse,
        format!("{}: unexpected response: {why}", call.method),
    )
    .with_http_status(http_status);
    // The payload came with `ok: true`: Slack did act on the call.
    let err = crate::outcome::settle(call, err, crate::outcome::Reach::Unexplained { http_status });
    keep_raw_body(call, err, body, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wild_lifetime_is_cut_not_wrapped() {
        let token = |iat, exp| ConfigToken {
            token: crate::Secret::new("xoxe.xoxp-1-a"),
            refresh_token: crate::Secret::new("xoxe-1-a"),
            team_id: String::new(),
            user_id: String::new(),
            iat,
            exp,
            warnings: Vec::new(),
        };
        assert_eq!(token(1_000, 44_200).lifetime(), 43_200);
        assert_eq!(token(-i64::MAX, i64::MAX).lifetime(), MAX_TOKEN_LIFETIME_SECS);
        assert_eq!(token(0, 365 * 86_400).lifetime(), MAX_TOKEN_LIFETIME_SECS);
    }

    #[test]
    fn only_slack_shaped_ids_are_kept() {
        assert_eq!(
            slack_id("team_id", Some("T0123ABCD".into())).as_deref(),
            Some("T0123ABCD")
        );
        for bad in ["", "t0123", "T1\u{1b}[2J", "T1\nrefresh token: x", &"T".repeat(33)] {
            assert_eq!(slack_id("team_id", Some(bad.into())), None, "{bad:?}");
        }
    }
}
