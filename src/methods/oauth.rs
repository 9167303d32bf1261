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

/// The answer of `oauth.v2.exchange` / `oauth.v2.access`. A bot token (and Slack's
/// documented flat answer) has the token at the top level; a user token may come
/// nested in `authed_user` instead, as Slack answers a user-scope install and as
/// Java's and Node's SDKs model it (`authed_user.{id, scope, token_type, access_token,
/// refresh_token, expires_in}`).
#[derive(Deserialize)]
pub(crate) struct Wire {
    #[serde(default)]
    access_token: Option<Secret>,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    expires_in: Option<i64>,
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
    #[serde(default)]
    authed_user: Option<AuthedUserWire>,
}

/// `authed_user` as Slack sends it: the installing user, and their token when it
/// is a user token (also read by the install, `super::install`).
#[derive(Deserialize)]
pub(super) struct AuthedUserWire {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

impl Wire {
    /// When the top level carries no `access_token` but `authed_user` does, the token
    /// is a user token nested there: lift its fields (and `authed_user.id` as
    /// `user_id`) to the top level, where the rest of the decoding reads them.
    fn lift_authed_user(mut self) -> Wire {
        if self.access_token.is_some() {
            return self;
        }
        let Some(user) = self.authed_user.take() else {
            return self;
        };
        if user.access_token.is_none() {
            self.authed_user = Some(user);
            return self;
        }
        self.access_token = user.access_token;
        self.refresh_token = user.refresh_token;
        self.expires_in = user.expires_in;
        self.token_type = user.token_type.unwrap_or_else(|| "user".to_string());
        if let Some(scope) = user.scope {
            self.scope = scope;
        }
        if user.id.is_some() {
            self.user_id = user.id;
        }
        self
    }
}

/// A workspace or Enterprise Grid org as Slack names it in an OAuth answer
/// (`team`, `enterprise`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Named {
    /// Its id (`T…` / `E…`); `None` when absent or not shaped like a Slack id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name, as Slack sent it.
    #[serde(default)]
    pub name: Option<String>,
}

impl Named {
    /// The same, with an id that is not shaped like a Slack id dropped (logged).
    pub(super) fn checked(self, what: &str) -> Named {
        Named {
            id: super::slack_id(what, self.id),
            name: self.name,
        }
    }
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
    let Decoded {
        value: wire,
        warnings,
        http_status,
        body,
        limit,
    } = typed::<Wire>(client, call)?;
    let reject = |why: &str| super::invalid_payload(call, http_status, why, &body, limit);
    let wire = wire.lift_authed_user();
    let (Some(access_token), Some(refresh_token), Some(expires_in)) =
        (wire.access_token, wire.refresh_token, wire.expires_in)
    else {
        return Err(reject("access_token, refresh_token or expires_in is missing"));
    };
    if check_credential("access_token", access_token.expose()).is_err()
        || check_credential("refresh_token", refresh_token.expose()).is_err()
    {
        return Err(reject("access_token or refresh_token is empty or malformed"));
    }
    if expires_in <= 0 {
        return Err(reject("expires_in is not positive"));
    }
    let (team_id, team_name) = wire.team.map(|t| (t.id, t.name)).unwrap_or_default();
    let (enterprise_id, enterprise_name) = wire.enterprise.map(|e| (e.id, e.name)).unwrap_or_default();
    Ok(OAuthToken {
        access_token,
        refresh_token,
        expires_in: expires_in.min(super::MAX_TOKEN_LIFETIME_SECS),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lifted(body: &str) -> Wire {
        crate::response::parse::<Wire>(body.as_bytes())
            .unwrap()
            .lift_authed_user()
    }

    #[test]
    fn a_top_level_token_wins_over_authed_user() {
        let w = lifted(
            r#"{"ok":true,"access_token":"xoxe.xoxb-1-a","refresh_token":"xoxe-1-b","expires_in":5,
                "token_type":"bot","authed_user":{"id":"U1","access_token":"xoxe.xoxp-1-c",
                "refresh_token":"xoxe-1-d","expires_in":7}}"#,
        );
        assert_eq!(w.access_token.unwrap().expose(), "xoxe.xoxb-1-a");
        assert_eq!((w.expires_in, w.token_type.as_str(), w.user_id), (Some(5), "bot", None));
    }

    #[test]
    fn a_nested_user_token_is_lifted_with_its_user() {
        let w = lifted(
            r#"{"ok":true,"app_id":"A1","scope":"","authed_user":{"id":"U1","scope":"identify",
                "access_token":"xoxe.xoxp-1-c","refresh_token":"xoxe-1-d","expires_in":7}}"#,
        );
        assert_eq!(w.access_token.unwrap().expose(), "xoxe.xoxp-1-c");
        assert_eq!(w.refresh_token.unwrap().expose(), "xoxe-1-d");
        assert_eq!((w.expires_in, w.token_type.as_str()), (Some(7), "user"));
        assert_eq!((w.scope.as_str(), w.user_id.as_deref()), ("identify", Some("U1")));
    }

    #[test]
    fn an_authed_user_without_a_token_lifts_nothing() {
        let w = lifted(r#"{"ok":true,"authed_user":{"id":"U1"}}"#);
        assert!(w.access_token.is_none() && w.refresh_token.is_none() && w.user_id.is_none());
        // Missing fields are rejected after lifting, not by serde: `null` is absent too.
        let w = lifted(r#"{"ok":true,"access_token":null,"authed_user":{"access_token":"xoxe.xoxp-1-c"}}"#);
        assert!(w.access_token.is_some() && w.refresh_token.is_none() && w.expires_in.is_none());
    }
}
