//! OAuth installs: authorization codes minted by tests (standing in for a user who
//! clicked "Allow"), and their redemption by `oauth.v2.access`
//! (`grant_type=authorization_code`), which starts the installation's chains.

use super::{
    rand_digits, rand_hex40, rand_id, AccessFamily, AccessRec, ChainRec, State, TokenKind, BOT_SCOPES, TEAM_NAME,
    USER_SCOPES,
};
use serde::{Deserialize, Serialize};

/// What an authorization code installs (`POST /_control/authorization_code`,
/// [`FakeSlack::mint_code`](crate::FakeSlack::mint_code)). Every field may be left
/// out: the default is a workspace install of the seeded app with a bot token and
/// the installing user's token, in a new random workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodeSpec {
    /// The app being installed (its client id); default the seeded app. The code
    /// is only good with this app's credentials.
    pub client_id: Option<String>,
    /// Install a bot token (bot scopes). Default true.
    pub bot: bool,
    /// Install the installing user's token (user scopes). Default true.
    pub user: bool,
    /// The workspace (`T…`); default a new random one. Ignored (no `team` in the
    /// answer) for an org-wide install.
    pub team_id: Option<String>,
    /// The workspace's name; default `Fake Team`.
    pub team_name: Option<String>,
    /// The Enterprise Grid org (`E…`); default none, or a new random one for an
    /// org-wide install.
    pub enterprise_id: Option<String>,
    /// The org's name; default `Fake Org` when there is an org.
    pub enterprise_name: Option<String>,
    /// An org-wide install: one token for every workspace of the org.
    pub is_enterprise_install: bool,
    /// The installing user (`U…`); default a new random one.
    pub user_id: Option<String>,
    /// The bot token's scopes (comma-separated).
    pub scopes: Option<String>,
    /// The user token's scopes (comma-separated).
    pub user_scopes: Option<String>,
    /// The redirect URI the authorization began with: the grant must send the same
    /// one (`bad_redirect_uri` otherwise). Default none (any or none is accepted).
    pub redirect_uri: Option<String>,
    /// Seconds the code stays good (Slack: 600, the default). 0: already expired.
    pub ttl_secs: Option<u64>,
    /// Also create an incoming webhook (`incoming_webhook` in the answer).
    pub incoming_webhook: bool,
}

impl Default for CodeSpec {
    fn default() -> CodeSpec {
        CodeSpec {
            client_id: None,
            bot: true,
            user: true,
            team_id: None,
            team_name: None,
            enterprise_id: None,
            enterprise_name: None,
            is_enterprise_install: false,
            user_id: None,
            scopes: None,
            user_scopes: None,
            redirect_uri: None,
            ttl_secs: None,
            incoming_webhook: false,
        }
    }
}

/// How long a code stays good unless its spec says (Slack's codes: 10 minutes).
const CODE_TTL_SECS: u64 = 600;

/// A minted code.
#[derive(Debug)]
pub(crate) struct CodeRec {
    spec: CodeSpec,
    client_id: String,
    /// Server-clock second from which it is expired.
    expires_at: u64,
    used: bool,
}

/// One token of an install. `refresh_token` and `expires_in` are `None` when the
/// app has token rotation off (the token is a non-expiring `xoxb-`/`xoxp-` one).
#[derive(Debug)]
pub(crate) struct InstalledToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    pub scope: String,
}

/// An incoming webhook an install created.
#[derive(Debug)]
pub(crate) struct Webhook {
    pub channel: String,
    pub channel_id: String,
    pub configuration_url: String,
    pub url: String,
}

/// What a redeemed code installed: the answer of `oauth.v2.access`.
#[derive(Debug)]
pub(crate) struct InstallGrant {
    pub app_id: String,
    /// `(id, name)`; `None` for an org-wide install.
    pub team: Option<(String, String)>,
    pub enterprise: Option<(String, String)>,
    pub is_enterprise_install: bool,
    pub bot_user_id: Option<String>,
    pub bot: Option<InstalledToken>,
    pub user_id: String,
    pub user: Option<InstalledToken>,
    pub webhook: Option<Webhook>,
}

/// A value from a spec, or a default.
fn or(value: &Option<String>, default: impl FnOnce() -> String) -> String {
    value.clone().unwrap_or_else(default)
}

impl State {
    /// Mints an authorization code for `spec` (a secret: recorded).
    pub fn mint_code(&mut self, spec: CodeSpec) -> Result<String, String> {
        let client_id = match spec.client_id.clone().or_else(|| self.seed_client_id.clone()) {
            Some(id) if self.apps.contains_key(&id) => id,
            Some(_) => return Err("unknown client_id".into()),
            None => return Err("no client_id, and no seeded app".into()),
        };
        if !spec.bot && !spec.user {
            return Err("a code must install a bot token, a user token, or both".into());
        }
        let code = self.record(format!("{}.{}.{}", rand_digits(10), rand_digits(13), rand_hex40()));
        let expires_at = self.now().saturating_add(spec.ttl_secs.unwrap_or(CODE_TTL_SECS));
        self.codes.insert(
            code.clone(),
            CodeRec {
                spec,
                client_id,
                expires_at,
                used: false,
            },
        );
        self.stats.codes_minted += 1;
        Ok(code)
    }

    /// `oauth.v2.access` with `grant_type=authorization_code` (client already
    /// checked): spends `code` and starts the installation's chains.
    pub fn redeem_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<InstallGrant, &'static str> {
        let now = self.now();
        let rec = self.codes.get_mut(code).ok_or("invalid_code")?;
        if rec.client_id != client_id {
            return Err("invalid_code");
        }
        if rec.used {
            self.stats.code_reuses += 1;
            return Err("code_already_used");
        }
        if now >= rec.expires_at {
            return Err("invalid_code");
        }
        if rec.spec.redirect_uri.is_some() && rec.spec.redirect_uri.as_deref() != redirect_uri {
            return Err("bad_redirect_uri");
        }
        rec.used = true;
        let spec = rec.spec.clone();
        self.stats.installs += 1;
        Ok(self.install(client_id, &spec))
    }

    /// The tokens (and chains) of an install of `client_id` as `spec` says.
    fn install(&mut self, client_id: &str, spec: &CodeSpec) -> InstallGrant {
        let app = &self.apps[client_id];
        let (app_id, rotation_enabled) = (app.app.app_id.clone(), app.rotation_enabled);
        let org_wide = spec.is_enterprise_install;
        let enterprise_id = spec.enterprise_id.clone().or_else(|| org_wide.then(|| rand_id('E')));
        let enterprise = enterprise_id.map(|id| (id, or(&spec.enterprise_name, || "Fake Org".into())));
        let team = (!org_wide).then(|| {
            (
                or(&spec.team_id, || rand_id('T')),
                or(&spec.team_name, || TEAM_NAME.into()),
            )
        });
        let user_id = or(&spec.user_id, || rand_id(if enterprise.is_some() { 'W' } else { 'U' }));
        let (bot_user_id, bot_id) = (rand_id('U'), rand_id('B'));
        let owner = |subject_id: &str, bot_id: Option<&str>, scope: &str| ChainRec {
            team_id: team.as_ref().map(|t| t.0.clone()),
            team_name: team.as_ref().map(|t| t.1.clone()),
            enterprise_id: enterprise.as_ref().map(|e| e.0.clone()),
            enterprise_name: enterprise.as_ref().map(|e| e.1.clone()),
            is_enterprise_install: org_wide,
            subject_id: subject_id.to_string(),
            bot_id: bot_id.map(str::to_string),
            scope: scope.to_string(),
            revoked: false,
        };
        let bot = spec.bot.then(|| {
            let scope = or(&spec.scopes, || BOT_SCOPES.into());
            let owner = owner(&bot_user_id, Some(&bot_id), &scope);
            self.installed_token(client_id, TokenKind::Bot, rotation_enabled, owner)
        });
        let user = spec.user.then(|| {
            let scope = or(&spec.user_scopes, || USER_SCOPES.into());
            let owner = owner(&user_id, None, &scope);
            self.installed_token(client_id, TokenKind::User, rotation_enabled, owner)
        });
        let webhook = spec.incoming_webhook.then(|| {
            let team_or_org = team
                .as_ref()
                .map(|t| t.0.clone())
                .or_else(|| enterprise.as_ref().map(|e| e.0.clone()))
                .unwrap_or_default();
            let hook = rand_id('B');
            Webhook {
                channel: "#general".into(),
                channel_id: rand_id('C'),
                configuration_url: format!("https://fake-slack.example/services/{hook}"),
                url: self.record(format!(
                    "https://hooks.fake-slack.example/services/{team_or_org}/{hook}/{}",
                    rand_hex40()
                )),
            }
        });
        InstallGrant {
            app_id,
            team,
            enterprise,
            is_enterprise_install: org_wide,
            bot_user_id: spec.bot.then_some(bot_user_id),
            bot,
            user_id,
            user,
            webhook,
        }
    }

    /// One token of an install: the first pair of a new chain owned by `owner`,
    /// or (rotation off) a non-expiring token.
    fn installed_token(
        &mut self,
        client_id: &str,
        kind: TokenKind,
        rotation_enabled: bool,
        owner: ChainRec,
    ) -> InstalledToken {
        let scope = owner.scope.clone();
        if !rotation_enabled {
            let prefix = match kind {
                TokenKind::Bot => "xoxb",
                TokenKind::User => "xoxp",
            };
            let token = self.record(format!(
                "{prefix}-{}-{}-{}",
                rand_digits(12),
                rand_digits(13),
                rand_hex40()
            ));
            self.access.insert(
                token.clone(),
                AccessRec {
                    family: AccessFamily::Legacy {
                        client_id: client_id.to_string(),
                        kind,
                    },
                    exp: None,
                    revoked: false,
                },
            );
            return InstalledToken {
                access_token: token,
                refresh_token: None,
                expires_in: None,
                scope,
            };
        }
        let chain = self.new_chain(owner);
        let grant = self.new_rotated_pair(client_id, kind, chain);
        InstalledToken {
            access_token: grant.access_token,
            refresh_token: Some(grant.refresh_token),
            expires_in: Some(grant.expires_in),
            scope,
        }
    }
}
