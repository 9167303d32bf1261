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
