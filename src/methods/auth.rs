//! `auth.test`: who a token belongs to (and proof that it works).

use super::{check_credential, typed};
use crate::client::{Auth, Call, Client};
use crate::error::Result;
use serde::Deserialize;
use std::time::Duration;

/// What `auth.test` says about a token.
#[derive(Clone, Debug, Deserialize)]
pub struct AuthIdentity {
    /// The workspace URL.
    #[serde(default)]
    pub url: String,
    /// Workspace name.
    #[serde(default)]
    pub team: String,
    /// User name.
    #[serde(default)]
    pub user: String,
    /// Workspace id (always present: an answer without it is a bad response).
    pub team_id: String,
    /// User id (always present).
    pub user_id: String,
    /// Bot id (bot tokens only).
    #[serde(default)]
    pub bot_id: Option<String>,
    /// Enterprise Grid org id, when there is one.
    #[serde(default)]
    pub enterprise_id: Option<String>,
    /// Whether this is an org-wide install.
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// Warnings Slack attached to the response.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Client {
    /// Calls `auth.test` with `token` as Bearer.
    pub fn auth_test(&self, token: &str, timeout: Option<Duration>) -> Result<AuthIdentity> {
        check_credential("token", token)?;
        let call = Call {
            method: "auth.test",
            auth: Auth::Bearer(token),
            params: &[],
            spends_token: false,
            timeout,
        };
        let decoded = typed::<AuthIdentity>(self, &call)?;
        Ok(AuthIdentity {
            warnings: decoded.warnings,
            ..decoded.value
        })
    }
}

/// What `auth.revoke` answers.
#[derive(Deserialize)]
struct Revoked {
    #[serde(default)]
    revoked: bool,
}

impl Client {
    /// Calls `auth.revoke` with `token` as Bearer: revokes the token at Slack (for
    /// a rotating token, its whole chain). With `test`, Slack only checks the token
    /// and revokes nothing. Returns Slack's `revoked`.
    pub fn auth_revoke(&self, token: &str, test: bool, timeout: Option<Duration>) -> Result<bool> {
        check_credential("token", token)?;
        let params: &[(&str, &str)] = if test { &[("test", "1")] } else { &[] };
        let call = Call {
            method: "auth.revoke",
            auth: Auth::Bearer(token),
            params,
            spends_token: false,
            timeout,
        };
        Ok(typed::<Revoked>(self, &call)?.value.revoked)
    }
}
