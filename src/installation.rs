//! An installation's chains: the canonical chain name of each token an OAuth
//! install gave ([`installation_chain`]) and the pair that starts it, ready for a
//! store ([`Pool::install`](crate::Pool::install) saves them).

use crate::chain_name::{installation_chain, TokenOwner};
use crate::error::{Error, Result};
use crate::methods::{Install, InstalledToken};
use crate::status::Status;
use crate::store::{ChainKind, StoredPair};
use serde_json::{Map, Value};

impl Install {
    /// The chain name of the bot token (`bot:ENTERPRISE:TEAM`); `None` when the
    /// install has no bot token, an error when the install lacks the ids the name
    /// needs.
    pub fn bot_chain(&self) -> Option<Result<String>> {
        self.bot.as_ref().map(|_| {
            installation_chain(
                self.enterprise_id(),
                self.team_id(),
                self.is_enterprise_install,
                TokenOwner::Bot,
            )
        })
    }

    /// The chain name of the installing user's token (`user:ENTERPRISE:TEAM:USER`);
    /// `None` when the install has no user token.
    pub fn user_chain(&self) -> Option<Result<String>> {
        self.authed_user.token.as_ref().map(|_| {
            let user = self.authed_user.id.as_deref().ok_or_else(|| {
                Error::new(
                    Status::InvalidArgument,
                    "the install has a user token but no authed_user.id to name its chain",
                )
            })?;
            installation_chain(
                self.enterprise_id(),
                self.team_id(),
                self.is_enterprise_install,
                TokenOwner::User(user),
            )
        })
    }

    /// Every chain this install starts — the bot token's and the user token's,
    /// whichever it has — each named and with its first pair: an OAuth chain whose
    /// access token expires `expires_in` seconds after [`received_at`](Self::received_at),
    /// with the install's facts (`app_id`, `enterprise_id`, `is_enterprise_install`,
    /// `token_type`, `scope`, `installed_at`) kept in the pair's `extra`. An install
    /// with no token is `TokenRotationNotEnabled`.
    pub fn chains(&self) -> Result<Vec<(String, StoredPair)>> {
        let mut chains = Vec::with_capacity(2);
        if let (Some(name), Some(bot)) = (self.bot_chain(), &self.bot) {
            chains.push((name?, self.first_pair(bot, bot.bot_user_id.as_deref())));
        }
        if let (Some(name), Some(user)) = (self.user_chain(), &self.authed_user.token) {
            chains.push((name?, self.first_pair(user, self.authed_user.id.as_deref())));
        }
        if chains.is_empty() {
            return Err(Error::new(
                Status::TokenRotationNotEnabled,
                "the install holds no rotating token (no bot or user token with a refresh token)",
            ));
        }
        Ok(chains)
    }

    /// The pair that starts `token`'s chain; `user_id` is its user (or bot user).
    fn first_pair(&self, token: &InstalledToken, user_id: Option<&str>) -> StoredPair {
        let mut extra = Map::new();
        if !self.app_id.is_empty() {
            extra.insert("app_id".into(), Value::String(self.app_id.clone()));
        }
        if let Some(enterprise) = self.enterprise_id() {
            extra.insert("enterprise_id".into(), Value::String(enterprise.to_string()));
        }
        extra.insert("is_enterprise_install".into(), Value::Bool(self.is_enterprise_install));
        extra.insert("token_type".into(), Value::String(token.token_type.clone()));
        extra.insert("scope".into(), Value::String(token.scope.clone()));
        extra.insert("installed_at".into(), Value::from(self.received_at));
        StoredPair {
            lifetime: token.expires_in,
            team_id: self.team_id().map(str::to_string),
            user_id: user_id.map(str::to_string),
            extra,
            ..StoredPair::seed(
                ChainKind::Oauth,
                token.refresh_token.clone(),
                Some(token.access_token.clone()),
                self.received_at.saturating_add(token.expires_in),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(body: &str) -> Install {
        Install::from_json(body.as_bytes(), 1_000).unwrap()
    }

    const TOKENS: &str = r#""access_token":"xoxe.xoxb-1-a","refresh_token":"xoxe-1-b","expires_in":60,
        "token_type":"bot","scope":"chat:write","bot_user_id":"UB""#;
    const USER: &str = r#""authed_user":{"id":"U1","scope":"identify","access_token":"xoxe.xoxp-1-c",
        "refresh_token":"xoxe-1-d","expires_in":70}"#;

    #[test]
    fn a_workspace_install_names_both_chains() {
        let i = install(&format!(
            r#"{{"ok":true,"app_id":"A1",{TOKENS},"team":{{"id":"T1"}},{USER}}}"#
        ));
        let chains = i.chains().unwrap();
        let names: Vec<&str> = chains.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["bot:-:T1", "user:-:T1:U1"]);
        let (_, bot) = &chains[0];
        assert_eq!((bot.kind, bot.expires_at, bot.lifetime), (ChainKind::Oauth, 1_060, 60));
        assert_eq!(
            (bot.team_id.as_deref(), bot.user_id.as_deref()),
            (Some("T1"), Some("UB"))
        );
        assert_eq!(bot.access_token.expose(), "xoxe.xoxb-1-a");
        assert_eq!(bot.extra["app_id"], "A1");
        assert_eq!(bot.extra["installed_at"], 1_000);
        assert_eq!(bot.extra["is_enterprise_install"], false);
        let (_, user) = &chains[1];
        assert_eq!((user.expires_at, user.user_id.as_deref()), (1_070, Some("U1")));
        assert_eq!(user.extra["token_type"], "user");
        // The pair reads back from its own document.
        let json = user.to_json(false).unwrap();
        assert_eq!(&StoredPair::from_json(&json, "test").unwrap(), user);
    }

    #[test]
    fn an_org_wide_install_has_no_team_in_its_names() {
        let i = install(&format!(
            r#"{{"ok":true,{TOKENS},"team":null,"enterprise":{{"id":"E1","name":"Org"}},
               "is_enterprise_install":true,{USER}}}"#
        ));
        assert_eq!(i.bot_chain().unwrap().unwrap(), "bot:E1:-");
        assert_eq!(i.user_chain().unwrap().unwrap(), "user:E1:-:U1");
        assert_eq!(i.chains().unwrap()[0].1.extra["enterprise_id"], "E1");
    }

    #[test]
    fn missing_ids_or_tokens_are_errors() {
        let i = install(&format!(r#"{{"ok":true,{TOKENS}}}"#));
        assert_eq!(i.chains().unwrap_err().status, Status::InvalidArgument, "no team id");
        assert!(i.user_chain().is_none());
        let mut i = install(&format!(r#"{{"ok":true,{TOKENS},"team":{{"id":"T1"}}}}"#));
        i.bot = None;
        assert_eq!(i.chains().unwrap_err().status, Status::TokenRotationNotEnabled);
    }
}
