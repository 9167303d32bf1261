//! `tooling.tokens.rotate`: renew an app configuration token.

use super::{check_credential, typed};
use crate::client::{Auth, Call, Client};
use crate::error::Result;
use crate::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

/// A fresh app configuration token pair, from `tooling.tokens.rotate`.
#[derive(Clone, Debug, Deserialize)]
pub struct ConfigToken {
    /// The new config access token (`xoxe.xoxp-…`), valid until `exp`.
    pub token: Secret,
    /// The new refresh token (`xoxe-…`); the one you sent is now spent.
    pub refresh_token: Secret,
    /// Workspace the token belongs to.
    #[serde(default)]
    pub team_id: String,
    /// User the token belongs to.
    #[serde(default)]
    pub user_id: String,
    /// Issued at (Unix seconds, Slack's clock).
    pub iat: i64,
    /// Expires at (Unix seconds, Slack's clock); see [`lifetime`](Self::lifetime).
    pub exp: i64,
    /// Warnings Slack attached to the response.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl ConfigToken {
    /// How long the token lives, `exp - iat` in seconds, at most
    /// [`MAX_TOKEN_LIFETIME_SECS`](super::MAX_TOKEN_LIFETIME_SECS).
    pub fn lifetime(&self) -> i64 {
        self.exp
            .checked_sub(self.iat)
            .map_or(super::MAX_TOKEN_LIFETIME_SECS, |l| {
                l.min(super::MAX_TOKEN_LIFETIME_SECS)
            })
    }
}

impl Client {
    /// Calls `tooling.tokens.rotate`: spends `refresh_token` and returns the new pair.
    ///
    /// Never retried once the request may have reached Slack: failures after that
    /// point are `OutcomeUnknown`. Persist the new pair before using it.
    pub fn tooling_tokens_rotate(&self, refresh_token: &str, timeout: Option<Duration>) -> Result<ConfigToken> {
        check_credential("refresh_token", refresh_token)?;
        let call = Call {
            method: "tooling.tokens.rotate",
            auth: Auth::None,
            params: &[("refresh_token", refresh_token)],
            spends_token: true,
            timeout,
        };
        let decoded = typed::<ConfigToken>(self, &call)?;
        let token = &decoded.value;
        if check_credential("token", token.token.expose()).is_err()
            || check_credential("refresh_token", token.refresh_token.expose()).is_err()
        {
            return Err(decoded.reject(&call, "token or refresh_token is empty or malformed"));
        }
        if token.exp <= token.iat {
            return Err(decoded.reject(&call, "exp is not after iat"));
        }
        let mut token = decoded.value;
        token.warnings = decoded.warnings;
        token.team_id = super::slack_id("team_id", Some(token.team_id)).unwrap_or_default();
        token.user_id = super::slack_id("user_id", Some(token.user_id)).unwrap_or_default();
        Ok(token)
    }
}
