//! `oauth.v2.access` with `grant_type=authorization_code`: the OAuth install. Trades
//! the single-use code Slack sent to the app's redirect URL for the installation's
//! tokens — a bot token, the installing user's token, or both — each with its
//! refresh token when the app has token rotation on.

use super::oauth::{AuthedUserWire, Named};
use super::{check_credential, slack_id, typed, Decoded, MAX_TOKEN_LEN, MAX_TOKEN_LIFETIME_SECS};
use crate::client::{Auth, Call, Client};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::status::Status;
use serde::Deserialize;
use std::time::Duration;

/// One installed token: an expiring access token and its refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledToken {
    /// The access token (`xoxe.xoxb-…` or `xoxe.xoxp-…`).
    pub access_token: Secret,
    /// The refresh token for its first rotation (single-use).
    pub refresh_token: Secret,
    /// Seconds until `access_token` expires, counted from [`Install::received_at`]
    /// (at most [`MAX_TOKEN_LIFETIME_SECS`]).
    pub expires_in: i64,
    /// Comma-separated scopes.
    pub scope: String,
    /// `"bot"` or `"user"`.
    pub token_type: String,
    /// The bot user (bot tokens only).
    pub bot_user_id: Option<String>,
    /// The bot (bot tokens only, when Slack says).
    pub bot_id: Option<String>,
}

/// The user who installed the app (`authed_user`), and their token when the app
/// asked for user scopes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthedUser {
    /// The user's id (`U…` / `W…`).
    pub id: Option<String>,
    /// The user scopes granted, comma-separated.
    pub scope: Option<String>,
    /// The user token, when user scopes were granted.
    pub token: Option<InstalledToken>,
}

/// The incoming webhook an install created (`incoming-webhook` scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingWebhook {
    /// The channel's name.
    pub channel: Option<String>,
    /// The channel's id.
    pub channel_id: Option<String>,
    /// Where a human manages the webhook.
    pub configuration_url: Option<String>,
    /// The webhook URL: whoever has it can post, so it is a secret.
    pub url: Secret,
}

/// What an OAuth install answered: the workspace or org, and the tokens to keep.
/// `Debug` shows no secret (tokens, the webhook URL and `raw_json` are redacted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Install {
    /// The app installed (empty if Slack did not say).
    pub app_id: String,
    /// The workspace (`None` for an org-wide install).
    pub team: Option<Named>,
    /// The Enterprise Grid org, when there is one.
    pub enterprise: Option<Named>,
    /// Whether the app was installed on the whole org (one token for every
    /// workspace of the enterprise).
    pub is_enterprise_install: bool,
    /// The bot token, when the app asked for bot scopes.
    pub bot: Option<InstalledToken>,
    /// The installing user, with their token when user scopes were granted.
    pub authed_user: AuthedUser,
    /// The incoming webhook, when one was created.
    pub incoming_webhook: Option<IncomingWebhook>,
    /// When the answer arrived (Unix seconds on this machine's clock): expiries
    /// count from here.
    pub received_at: i64,
    /// The answer's raw JSON, as Slack sent it. It holds every token: a secret.
    /// Keep it (durably, like a token) if saving the installation may fail, and
    /// parse it again with [`Install::from_json`].
    pub raw_json: Secret,
    /// Warnings Slack attached to the answer.
    pub warnings: Vec<String>,
}

/// The answer of an authorization-code grant, as Slack sends it.
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    access_token: Option<Secret>,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    bot_user_id: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    team: Option<Named>,
    #[serde(default)]
    enterprise: Option<Named>,
    #[serde(default)]
    is_enterprise_install: bool,
    #[serde(default)]
    authed_user: Option<AuthedUserWire>,
    #[serde(default)]
    incoming_webhook: Option<WebhookWire>,
}

#[derive(Deserialize)]
struct WebhookWire {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    channel_id: Option<String>,
    #[serde(default)]
    configuration_url: Option<String>,
    #[serde(default)]
    url: Option<Secret>,
}

/// Why an answer cannot become an [`Install`].
enum Unusable {
    /// It makes no sense (a token without its refresh token's partner…).
    Malformed(&'static str),
    /// A token came without a refresh token: the app has token rotation off.
    RotationOff,
}

/// The message of an install whose app has token rotation off.
const ROTATION_OFF: &str = "the install answered tokens without refresh tokens: the app has token rotation \
     off, and xoxe keeps only rotating tokens; turn on token rotation in the app's settings (OAuth & \
     Permissions) and install again";

/// The fields of one token, however Slack placed them.
struct TokenFields {
    access_token: Option<Secret>,
    refresh_token: Option<Secret>,
    expires_in: Option<i64>,
    scope: Option<String>,
    token_type: String,
}

impl TokenFields {
    /// The token, `None` when there is none, or why it is unusable.
    fn into_token(self) -> std::result::Result<Option<InstalledToken>, Unusable> {
        let Some(access_token) = self.access_token else {
            return match self.refresh_token {
                Some(_) => Err(Unusable::Malformed("a refresh token came without its access token")),
                None => Ok(None),
            };
        };
        let Some(refresh_token) = self.refresh_token else {
            return Err(Unusable::RotationOff);
        };
        if check_credential("access_token", access_token.expose()).is_err()
            || check_credential("refresh_token", refresh_token.expose()).is_err()
        {
            return Err(Unusable::Malformed("an access or refresh token is empty or malformed"));
        }
        let expires_in = match self.expires_in {
            Some(secs) if secs > 0 => secs.min(MAX_TOKEN_LIFETIME_SECS),
            _ => return Err(Unusable::Malformed("expires_in is missing or not positive")),
        };
        Ok(Some(InstalledToken {
            access_token,
            refresh_token,
            expires_in,
            scope: self.scope.unwrap_or_default(),
            token_type: self.token_type,
            bot_user_id: None,
            bot_id: None,
        }))
    }
}

impl Wire {
    /// The install this answer describes. The top-level token is the bot's (as
    /// Slack sends it), unless it says it is a user token and `authed_user`
    /// carries none; the user token is `authed_user`'s.
    fn into_install(
        self,
        received_at: i64,
        raw_json: Secret,
        warnings: Vec<String>,
    ) -> std::result::Result<Install, Unusable> {
        let user = self.authed_user.unwrap_or(AuthedUserWire {
            id: None,
            scope: None,
            token_type: None,
            access_token: None,
            refresh_token: None,
            expires_in: None,
        });
        let top = TokenFields {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_in: self.expires_in,
            scope: self.scope,
            token_type: self.token_type.unwrap_or_else(|| "bot".to_string()),
        };
        let nested = TokenFields {
            access_token: user.access_token,
            refresh_token: user.refresh_token,
            expires_in: user.expires_in,
            scope: user.scope.clone(),
            token_type: user.token_type.unwrap_or_else(|| "user".to_string()),
        };
        let (bot_fields, user_fields) = if top.token_type == "user" && nested.access_token.is_none() {
            (None, top)
        } else {
            (Some(top), nested)
        };
        let bot = match bot_fields.map(TokenFields::into_token).transpose()?.flatten() {
            Some(token) => Some(InstalledToken {
                bot_user_id: slack_id("bot_user_id", self.bot_user_id),
                bot_id: slack_id("bot_id", self.bot_id),
                ..token
            }),
            None => None,
        };
        let user_token = user_fields.into_token()?;
        if bot.is_none() && user_token.is_none() {
            return Err(Unusable::Malformed("the answer holds no access token"));
        }
        let incoming_webhook = self.incoming_webhook.and_then(|w| match w.url {
            Some(url) if !url.expose().is_empty() => Some(IncomingWebhook {
                channel: w.channel,
                channel_id: slack_id("incoming_webhook.channel_id", w.channel_id),
                configuration_url: w.configuration_url,
                url,
            }),
            _ => None,
        });
        Ok(Install {
            app_id: slack_id("app_id", self.app_id).unwrap_or_default(),
            team: self.team.map(|t| t.checked("team.id")),
            enterprise: self.enterprise.map(|e| e.checked("enterprise.id")),
            is_enterprise_install: self.is_enterprise_install,
            bot,
            authed_user: AuthedUser {
                id: slack_id("authed_user.id", user.id),
                scope: user.scope,
                token: user_token,
            },
            incoming_webhook,
            received_at,
            raw_json,
            warnings,
        })
    }
}

impl Install {
    /// Parses a successful `oauth.v2.access` answer saved earlier (its
    /// [`raw_json`](Self::raw_json)); `received_at` is when it arrived (Unix
    /// seconds), which its expiries count from. A body that is not a successful
    /// answer is `InvalidArgument`; one whose tokens do not rotate is
    /// `TokenRotationNotEnabled`.
    pub fn from_json(raw: &[u8], received_at: i64) -> Result<Install> {
        let invalid = |why: &str| {
            Error::new(
                Status::InvalidArgument,
                format!("not a successful oauth.v2.access answer: {why}"),
            )
        };
        let text = std::str::from_utf8(raw).map_err(|_| invalid("it is not UTF-8"))?;
        if crate::response::has_nul_escape(raw) {
            return Err(invalid("a string contains a NUL character"));
        }
        let envelope = crate::response::envelope(raw).map_err(|why| invalid(&why))?;
        if !envelope.ok {
            return Err(invalid("its ok is false"));
        }
        let wire: Wire = crate::response::parse(raw).map_err(|why| invalid(&why))?;
        wire.into_install(received_at, Secret::new(text), envelope.warnings)
            .map_err(|unusable| match unusable {
                Unusable::Malformed(why) => invalid(why),
                Unusable::RotationOff => Error::new(Status::TokenRotationNotEnabled, ROTATION_OFF),
            })
    }

    /// The workspace id (`None` for an org-wide install or when Slack did not say).
    pub fn team_id(&self) -> Option<&str> {
        self.team.as_ref().and_then(|t| t.id.as_deref())
    }

    /// The Enterprise Grid org id, when there is one.
    pub fn enterprise_id(&self) -> Option<&str> {
        self.enterprise.as_ref().and_then(|e| e.id.as_deref())
    }
}

/// Checks a `redirect_uri` argument: non-empty, not huge, no control characters.
fn check_redirect_uri(uri: &str) -> Result<()> {
    if uri.is_empty() || uri.len() > MAX_TOKEN_LEN || uri.chars().any(char::is_control) {
        return Err(Error::new(
            Status::InvalidArgument,
            "redirect_uri is empty, too long, or contains control characters",
        ));
    }
    Ok(())
}

impl Client {
    /// Calls `oauth.v2.access` with `grant_type=authorization_code`: trades the
    /// `code` Slack sent to the app's redirect URL for the installation's tokens.
    /// `redirect_uri` must be the one the authorization began with, if it named
    /// one. Client credentials go in HTTP Basic.
    ///
    /// A code is single use: the call is never retried once it may have reached
    /// Slack (`OutcomeUnknown`; an undecodable answer keeps its raw body, which
    /// holds the new tokens, in `response_json`). An app with token rotation off
    /// gets `TokenRotationNotEnabled` (its non-rotating tokens in `response_json`:
    /// a secret). Save the tokens durably before using them (see
    /// [`Pool::install`](crate::Pool::install)).
    pub fn oauth_v2_access(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<Install> {
        check_credential("client_id", client_id)?;
        check_credential("client_secret", client_secret)?;
        check_credential("code", code)?;
        let mut params = vec![("grant_type", "authorization_code"), ("code", code)];
        if let Some(uri) = redirect_uri {
            check_redirect_uri(uri)?;
            params.push(("redirect_uri", uri));
        }
        let call = Call {
            method: "oauth.v2.access",
            auth: Auth::Basic {
                id: client_id,
                secret: client_secret,
            },
            params: &params,
            spends_token: true,
            timeout,
        };
        let decoded = typed::<Wire>(self, &call)?;
        let received_at = crate::rotator::unix_now();
        let Decoded {
            value: wire,
            warnings,
            http_status,
            body,
            limit,
        } = decoded;
        let raw_json = match std::str::from_utf8(&body) {
            Ok(text) => Secret::new(text),
            Err(_) => {
                let why = "the body is not UTF-8";
                return Err(super::invalid_payload(&call, http_status, why, &body, limit));
            }
        };
        wire.into_install(received_at, raw_json, warnings)
            .map_err(|unusable| match unusable {
                Unusable::Malformed(why) => super::invalid_payload(&call, http_status, why, &body, limit),
                Unusable::RotationOff => {
                    let mut err = Error::new(
                        Status::TokenRotationNotEnabled,
                        format!(
                            "{}; the answer, with its non-rotating tokens, is in response_json (a secret)",
                            ROTATION_OFF
                        ),
                    )
                    .with_http_status(http_status);
                    err.response_json = Some(crate::response::raw_text(
                        &body,
                        usize::try_from(limit).unwrap_or(usize::MAX),
                    ));
                    err
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &str = r##"{"ok":true,"app_id":"A1","access_token":"xoxe.xoxb-1-bot","refresh_token":"xoxe-1-botr",
        "expires_in":43200,"token_type":"bot","scope":"chat:write","bot_user_id":"U0BOT",
        "team":{"id":"T1","name":"Team"},"enterprise":{"id":"E1","name":"Org"},"is_enterprise_install":false,
        "authed_user":{"id":"U1","scope":"identify","access_token":"xoxe.xoxp-1-user","refresh_token":"xoxe-1-userr",
        "expires_in":99999999,"token_type":"user"},
        "incoming_webhook":{"channel":"#general","channel_id":"C1","configuration_url":"https://x.example/c",
        "url":"https://hooks.example/services/T1/B1/secretpart"}}"##;

    #[test]
    fn a_full_answer_gives_both_tokens_and_the_webhook() {
        let install = Install::from_json(BOTH.as_bytes(), 1_000).unwrap();
        let bot = install.bot.as_ref().unwrap();
        assert_eq!(bot.access_token.expose(), "xoxe.xoxb-1-bot");
        assert_eq!((bot.expires_in, bot.bot_user_id.as_deref()), (43200, Some("U0BOT")));
        let user = install.authed_user.token.as_ref().unwrap();
        assert_eq!(user.refresh_token.expose(), "xoxe-1-userr");
        assert_eq!(user.expires_in, MAX_TOKEN_LIFETIME_SECS, "capped");
        assert_eq!((install.team_id(), install.enterprise_id()), (Some("T1"), Some("E1")));
        assert_eq!(install.authed_user.id.as_deref(), Some("U1"));
        assert_eq!(
            install.incoming_webhook.as_ref().unwrap().channel_id.as_deref(),
            Some("C1")
        );
        assert_eq!(install.raw_json.expose(), BOTH);
        let shown = format!("{install:?}");
        for secret in ["xoxb-1-bot", "botr", "userr", "secretpart", "xoxp-1-user"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn a_user_only_answer_has_no_bot() {
        let body = r#"{"ok":true,"app_id":"A1","team":{"id":"T1"},"authed_user":{"id":"U1","scope":"identify",
            "access_token":"xoxe.xoxp-1-user","refresh_token":"xoxe-1-userr","expires_in":60}}"#;
        let install = Install::from_json(body.as_bytes(), 0).unwrap();
        assert!(install.bot.is_none());
        assert_eq!(install.authed_user.token.unwrap().token_type, "user");
        // The flat shape, a user token at the top level, is read as the user's.
        let flat = r#"{"ok":true,"access_token":"xoxe.xoxp-1-user","refresh_token":"xoxe-1-r","expires_in":60,
            "token_type":"user","team":{"id":"T1"},"authed_user":{"id":"U1"}}"#;
        let install = Install::from_json(flat.as_bytes(), 0).unwrap();
        assert!(install.bot.is_none() && install.authed_user.token.is_some());
    }

    #[test]
    fn tokens_without_refresh_tokens_are_rotation_off() {
        let body = r#"{"ok":true,"access_token":"xoxb-1-2-3","token_type":"bot","team":{"id":"T1"},
            "authed_user":{"id":"U1","access_token":"xoxp-1-2-3"}}"#;
        let err = Install::from_json(body.as_bytes(), 0).unwrap_err();
        assert_eq!(err.status, Status::TokenRotationNotEnabled);
        assert!(err.message.contains("token rotation"), "{}", err.message);
    }

    #[test]
    fn what_is_not_an_install_is_refused() {
        for body in [
            r#"{"ok":false,"error":"invalid_code"}"#,
            r#"{"ok":true}"#,
            r#"{"ok":true,"authed_user":{"id":"U1"}}"#,
            r#"{"ok":true,"refresh_token":"xoxe-1-r"}"#,
            r#"{"ok":true,"access_token":"xoxe.xoxb-1-a","refresh_token":"xoxe-1-r","expires_in":0}"#,
            r#"{"ok":true,"access_token":"xoxe.xoxb-1-a","refresh_token":"xoxe-1 r","expires_in":5}"#,
            r#"{"ok":true,"access_token":"a\u0000b","refresh_token":"xoxe-1-r","expires_in":5}"#,
            "not json",
        ] {
            let err = Install::from_json(body.as_bytes(), 0).unwrap_err();
            assert_eq!(err.status, Status::InvalidArgument, "{body}");
        }
        assert_eq!(
            Install::from_json(b"\xff", 0).unwrap_err().status,
            Status::InvalidArgument
        );
    }
}
