//! `oauth.v2.exchange` and `oauth.v2.access` (refresh grant): expiring bot/user tokens.

use super::{check_credential, typed, Decoded};
use crate::client::{Auth, Call, Client};
use crate::error::Result;
use crate::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

/// An expiring access token and its refresh token, from `oauth.v2.exchange` or a
/// `refresh_token` grant of `oauth.v2.access`.
#[derive(Clone, Debug)]
pub struct OAuthToken {
    /// The access token (`xoxe.xoxb-…` or `xoxe.xoxp-…`).
    pub access_token: Secret,
    /// The refresh token for the next rotation (single-use).
    pub refresh_token: Secret,
    /// Seconds until `access_token` expires, counted from when the response arrived.
    pub expires_in: i64,
    /// `"bot"` or `"user"`.
    pub token_type: String,
    /// Comma-separated scopes.
    pub scope: String,
    /// The app the token belongs to.
    pub app_id: String,
    /// The bot user (bot tokens only).
    pub bot_user_id: Option<String>,
    /// The user (user tokens only).
    pub user_id: Option<String>,
    /// Workspace id, when the install is in a workspace.
    pub team_id: Option<String>,
    /// Workspace name.
    pub team_name: Option<String>,
    /// Enterprise Grid org id, when there is one.
    pub enterprise_id: Option<String>,
    /// Enterprise Grid org name.
    pub enterprise_name: Option<String>,
    /// Whether this is an org-wide install.
    pub is_enterprise_install: bool,
    /// Warnings Slack attached to the response.
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct Wire {
    access_token: Secret,
    refresh_token: Secret,
    expires_in: i64,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    bot_user_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    team: Option<Named>,
    #[serde(default)]
    enterprise: Option<Named>,
    #[serde(default)]
    is_enterprise_install: bool,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl Client {
    /// Calls `oauth.v2.exchange`: trades a legacy long-lived token (`xoxb-`/`xoxp-`)
    /// for an expiring one. A legacy token can be exchanged once. Never retried once
    /// the request may have reached Slack.
    pub fn oauth_v2_exchange(
        &self,
        client_id: &str,
        client_secret: &str,
        token: &str,
        timeout: Option<Duration>,
    ) -> Result<OAuthToken> {
        check_credential("client_id", client_id)?;
        check_credential("client_secret", client_secret)?;
        check_credential("token", token)?;
        // Slack's own sample sends all three as form fields; the secret stays in the body.
        let call = Call {
            method: "oauth.v2.exchange",
            auth: Auth::None,
            params: &[
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("token", token),
            ],
            spends_token: true,
            timeout,
        };
        oauth_token(self, &call)
    }

    /// Calls `oauth.v2.access` with `grant_type=refresh_token`: spends `refresh_token`
    /// and returns a new access/refresh pair. Client credentials go in HTTP Basic.
    /// Never retried once the request may have reached Slack.
    pub fn oauth_v2_refresh(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
        timeout: Option<Duration>,
    ) -> Result<OAuthToken> {
        check_credential("client_id", client_id)?;
        check_credential("client_secret", client_secret)?;
        check_credential("refresh_token", refresh_token)?;
        let call = Call {
            method: "oauth.v2.access",
            auth: Auth::Basic {
                id: client_id,
                secret: client_secret,
            },
            params: &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
            spends_token: true,
            timeout,
        };
        oauth_token(self, &call)
    }
}

fn oauth_token(client: &Client, call: &Call<'_>) -> Result<OAuthToken> {
    let decoded = typed::<Wire>(client, call)?;
    let wire = &decoded.value;
    if check_credential("access_token", wire.access_token.expose()).is_err()
        || check_credential("refresh_token", wire.refresh_token.expose()).is_err()
    {
        return Err(decoded.reject(call, "access_token or refresh_token is empty or malformed"));
    }
    if wire.expires_in <= 0 {
        return Err(decoded.reject(call, "expires_in is not positive"));
    }
    let Decoded {
        value: wire, warnings, ..
    } = decoded;
    let (team_id, team_name) = wire.team.map(|t| (t.id, t.name)).unwrap_or_default();
    let (enterprise_id, enterprise_name) = wire.enterprise.map(|e| (e.id, e.name)).unwrap_or_default();
    Ok(OAuthToken {
        access_token: wire.access_token,
        refresh_token: wire.refresh_token,
        expires_in: wire.expires_in.min(super::MAX_TOKEN_LIFETIME_SECS),
        token_type: wire.token_type,
        scope: wire.scope,
        app_id: wire.app_id,
        bot_user_id: super::slack_id("bot_user_id", wire.bot_user_id),
        user_id: super::slack_id("user_id", wire.user_id),
        team_id: super::slack_id("team_id", team_id),
        team_name,
        enterprise_id: super::slack_id("enterprise_id", enterprise_id),
        enterprise_name,
        is_enterprise_install: wire.is_enterprise_install,
        warnings,
    })
}
