//! The Slack Web API methods xoxe calls, and how faults bend their answers.
//!
//! `chat.postMessage` and `conversations.list` (for framework integration tests) live
//! in `messaging.rs`; every method that takes an access token checks it through
//! `State::check_token`, which counts `api_calls` and `token_errors`.

use crate::args::{self, Args, Parsed};
use crate::faults::{Echo, FaultKind};
use crate::http::{html_page, Reply, Request, JSON};
use crate::server::Shared;
use crate::state::{AccessFamily, Grant, InstallGrant, InstalledToken, TokenKind, TEAM_NAME};
use serde_json::{json, Value};
use std::cell::Cell;
use std::net::TcpStream;
use std::time::Duration;

/// Methods this server implements.
pub const METHODS: &[&str] = &[
    "tooling.tokens.rotate",
    "oauth.v2.exchange",
    "oauth.v2.access",
    "auth.test",
    "auth.revoke",
    "apps.manifest.validate",
    "chat.postMessage",
    "conversations.list",
];

fn err(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

fn add_warnings(v: &mut Value, warnings: &[&'static str]) {
    if warnings.is_empty() {
        return;
    }
    if let Value::Object(m) = v {
        m.insert("warning".into(), Value::String(warnings.join(",")));
        m.insert("response_metadata".into(), json!({ "warnings": warnings }));
    }
}

/// Serialise with `"ok"` first, as Slack does (serde_json's map is sorted otherwise).
fn to_body(mut v: Value, warnings: &[&'static str]) -> Vec<u8> {
    add_warnings(&mut v, warnings);
    let Value::Object(map) = &v else {
        return serde_json::to_vec(&v).unwrap_or_default();
    };
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    let ok = map.get("ok").into_iter().map(|x| ("ok", x));
    let rest = map.iter().filter(|(k, _)| *k != "ok").map(|(k, x)| (k.as_str(), x));
    for (i, (k, x)) in ok.chain(rest).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, x);
    }
    out.push(b'}');
    out
}

/// Handle `/api/<name>`: counters, rate limits, faults, then the method.
pub(crate) fn handle(shared: &Shared, req: &Request, name: &str, stream: &TcpStream) -> Reply {
    let fault = {
        let mut st = shared.lock();
        st.count_request(name);
        if !METHODS.contains(&name) {
            drop(st);
            return Reply::json(404, to_body(err("unknown_method"), &[]));
        }
        if let Some(ra) = st.rate_limited(name) {
            if let Some(rt) = presented_refresh(name, &args::parse(req)) {
                st.refuse_presentation(rt, "ratelimited");
            }
            drop(st);
            return ratelimited(Some(ra));
        }
        st.take_fault(name)
    };
    let parsed = args::parse(req);
    let ran = Cell::new(false);
    let exec = || {
        ran.set(true);
        execute(shared, name, req, &parsed)
    };
    let Some(kind) = fault else {
        return Reply::json(200, exec());
    };
    let code = fault_code(&kind);
    let reply = faulted(kind, exec, req, &parsed, stream);
    if !ran.get() {
        // The method never ran: a refresh token it carried was refused unspent.
        if let Some(rt) = presented_refresh(name, &parsed) {
            shared.lock().refuse_presentation(rt, &code);
        }
    }
    reply
}

/// The refresh token a request presents for spending, if it is a rotation
/// (`tooling.tokens.rotate`, or `oauth.v2.access` with a refresh grant).
fn presented_refresh<'a>(name: &str, parsed: &'a Parsed) -> Option<&'a str> {
    let args = parsed.args.as_ref().ok()?;
    let grant = match name {
        "tooling.tokens.rotate" => true,
        "oauth.v2.access" => match args.get("grant_type") {
            Some(grant_type) => grant_type == "refresh_token",
            None => args.get("code").is_none(),
        },
        _ => false,
    };
    if grant {
        args.get("refresh_token")
    } else {
        None
    }
}

/// What the history records as the refusal of a request a fault answered
/// without running its method (never a credential: `echo_error` is named, not
/// echoed).
fn fault_code(kind: &FaultKind) -> String {
    match kind {
        FaultKind::SlackError { error, .. } => error.clone(),
        FaultKind::Ratelimited { .. } => "ratelimited".into(),
        FaultKind::HttpStatus { status, .. } => format!("http_{status}"),
        FaultKind::JsonStatus { status, error, .. } => error.clone().unwrap_or_else(|| format!("http_{status}")),
        FaultKind::EchoError { .. } => "echo_error".into(),
        FaultKind::EmptyBody { .. } => "empty_body".into(),
        FaultKind::MalformedJson { .. } => "malformed_json".into(),
        FaultKind::TruncatedJson { .. } => "truncated_json".into(),
        FaultKind::TruncatedBody { .. } => "truncated_body".into(),
        FaultKind::WrongShape { .. } => "wrong_shape".into(),
        FaultKind::HugeBody { .. } => "huge_body".into(),
        FaultKind::SlowHeaders { .. } => "slow_headers".into(),
        FaultKind::SlowBody { .. } => "slow_body".into(),
        FaultKind::DropBeforeApply => "drop_before_apply".into(),
        FaultKind::DropAfterApply => "drop_after_apply".into(),
        FaultKind::Delay { .. } => "delay".into(),
        FaultKind::NestedUserToken => "nested_user_token".into(),
    }
}

/// The reply of a request a fault hit; `exec` runs the method when the fault
/// applies it.
fn faulted(kind: FaultKind, exec: impl Fn() -> Vec<u8>, req: &Request, parsed: &Parsed, stream: &TcpStream) -> Reply {
    let sleep = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
    match kind {
        FaultKind::SlackError { error, apply } => {
            if apply {
                exec();
            }
            Reply::json(200, to_body(err(&error), &parsed.warnings))
        }
        FaultKind::Ratelimited { retry_after } => ratelimited(retry_after),
        FaultKind::HttpStatus { status, apply } => {
            if apply {
                exec();
            }
            Reply::Full {
                status,
                ctype: crate::http::HTML,
                body: html_page(status),
                retry_after: None,
            }
        }
        FaultKind::JsonStatus { status, error, apply } => {
            if apply {
                exec();
            }
            let body = error.as_deref().map_or_else(|| json!({"ok": true}), err);
            Reply::json(status, to_body(body, &parsed.warnings))
        }
        FaultKind::EchoError { echo, status, apply } => {
            if apply {
                exec();
            }
            let value = echo_value(echo, req, parsed);
            Reply::json(status, to_body(err(&value), &parsed.warnings))
        }
        FaultKind::EmptyBody { apply } => {
            if apply {
                exec();
            }
            Reply::json(200, Vec::new())
        }
        FaultKind::MalformedJson { apply } => {
            let body = if apply {
                break_syntax(exec())
            } else {
                b"{\"ok\":true,,\"token\":\"xoxe.xoxp-1-\"refresh_token\":}".to_vec()
            };
            Reply::json(200, body)
        }
        FaultKind::TruncatedJson { apply } => {
            let mut body = if apply { exec() } else { placeholder() };
            body.truncate(body.len() / 2);
            Reply::json(200, body)
        }
        FaultKind::TruncatedBody { apply } => Reply::TruncatedBody(if apply { exec() } else { placeholder() }),
        FaultKind::WrongShape { apply } => {
            const FIXED: &[u8] = b"{\"ok\":true,\"token\":123,\"refresh_token\":null,\"exp\":\"soon\"}";
            let body = if apply {
                mistype_numbers(exec()).unwrap_or_else(|| FIXED.to_vec())
            } else {
                FIXED.to_vec()
            };
            Reply::json(200, body)
        }
        FaultKind::HugeBody { bytes } => Reply::Huge(bytes),
        FaultKind::SlowHeaders { delay_ms, apply } => {
            if apply {
                let body = exec();
                sleep(delay_ms);
                Reply::json(200, body)
            } else {
                sleep(delay_ms);
                if crate::http::peer_gone(stream) {
                    Reply::Close
                } else {
                    Reply::json(200, exec())
                }
            }
        }
        FaultKind::SlowBody { delay_ms } => Reply::SlowBody(exec(), Duration::from_millis(delay_ms)),
        FaultKind::DropBeforeApply => Reply::Reset,
        FaultKind::DropAfterApply => {
            exec();
            Reply::Reset
        }
        FaultKind::Delay { delay_ms } => {
            sleep(delay_ms);
            Reply::json(200, exec())
        }
        FaultKind::NestedUserToken => Reply::json(200, nest_user_token(exec())),
    }
}

/// The real answer with its first `,` doubled (`{"ok":true,,…`), or a `,` before its
/// closing brace when it has none: broken JSON that still holds what was issued.
fn break_syntax(mut body: Vec<u8>) -> Vec<u8> {
    let at = body
        .iter()
        .position(|&b| b == b',')
        .unwrap_or(body.len().saturating_sub(1));
    body.insert(at, b',');
    body
}

/// The real answer with its `iat`, `exp` and `expires_in` as strings (`"soon"`): valid
/// JSON of the wrong shape, its tokens intact. `None` when it has none of those fields
/// (an error, `auth.test`, …).
fn mistype_numbers(body: Vec<u8>) -> Option<Vec<u8>> {
    let Ok(Value::Object(mut top)) = serde_json::from_slice::<Value>(&body) else {
        return None;
    };
    let mut changed = false;
    for key in ["iat", "exp", "expires_in"] {
        if let Some(v) = top.get_mut(key) {
            *v = Value::String("soon".into());
            changed = true;
        }
    }
    changed.then(|| to_body(Value::Object(top), &[]))
}

/// A successful user-token grant with its token fields moved into `authed_user` (see
/// [`FaultKind::NestedUserToken`]); any other body unchanged.
fn nest_user_token(body: Vec<u8>) -> Vec<u8> {
    let Ok(Value::Object(mut top)) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let user_grant = top.get("ok") == Some(&Value::Bool(true))
        && top.get("token_type").and_then(Value::as_str) == Some("user")
        && top.contains_key("access_token");
    if !user_grant {
        return body;
    }
    let mut authed_user = serde_json::Map::new();
    if let Some(id) = top.remove("user_id") {
        authed_user.insert("id".into(), id);
    }
    for key in ["scope", "access_token", "token_type", "refresh_token", "expires_in"] {
        if let Some(v) = top.remove(key) {
            authed_user.insert(key.into(), v);
        }
    }
    top.insert("authed_user".into(), Value::Object(authed_user));
    to_body(Value::Object(top), &[])
}

/// The `error` of an `echo_error` fault, built from what `req` carried.
fn echo_value(echo: Echo, req: &Request, parsed: &Parsed) -> String {
    let empty = Args::default();
    let args = parsed.args.as_ref().unwrap_or(&empty);
    let credential = args
        .get("refresh_token")
        .or_else(|| args::token(req, args))
        .unwrap_or("");
    let (_, secret) = args::client_credentials(req, args);
    echo.value(credential, secret.as_deref())
}

/// A success-shaped body for truncation faults that do not apply: it names no real token.
fn placeholder() -> Vec<u8> {
    br#"{"ok":true,"token":"xoxe.xoxp-1-0000000000000000000000000000000000000000","refresh_token":"xoxe-1-0000000000000000000000000000000000000000","team_id":"T0000000000","user_id":"U0000000000","iat":0,"exp":0}"#.to_vec()
}

fn ratelimited(retry_after: Option<u64>) -> Reply {
    Reply::Full {
        status: 429,
        ctype: JSON,
        body: br#"{"ok":false,"error":"ratelimited"}"#.to_vec(),
        retry_after,
    }
}

/// Run the method for real and serialise its answer (warnings included).
fn execute(shared: &Shared, name: &str, req: &Request, parsed: &Parsed) -> Vec<u8> {
    let v = match &parsed.args {
        Err(code) => err(code),
        Ok(args) => match name {
            "tooling.tokens.rotate" => rotate(shared, args),
            "oauth.v2.exchange" => exchange(shared, req, args),
            "oauth.v2.access" => access(shared, req, args),
            "auth.test" => auth_test(shared, req, args),
            "auth.revoke" => auth_revoke(shared, req, args),
            "apps.manifest.validate" => manifest_validate(shared, req, args),
            "chat.postMessage" => crate::messaging::post_message(shared, req, args),
            "conversations.list" => crate::messaging::list_conversations(shared, req, args),
            _ => err("unknown_method"),
        },
    };
    to_body(v, &parsed.warnings)
}

fn rotate(shared: &Shared, args: &Args) -> Value {
    let Some(rt) = args.get("refresh_token") else {
        return err("invalid_arguments");
    };
    match shared.lock().rotate_config(rt) {
        Ok(p) => json!({
            "ok": true,
            "token": p.token,
            "refresh_token": p.refresh_token,
            "team_id": p.team_id,
            "user_id": p.user_id,
            "iat": p.iat,
            "exp": p.exp,
        }),
        Err(e) => err(e),
    }
}

/// `{"id","name"}`, or `null`.
fn named(id: Option<String>, name: Option<String>) -> Value {
    match id {
        Some(id) => json!({"id": id, "name": name}),
        None => Value::Null,
    }
}

fn grant_json(g: Grant) -> Value {
    let o = g.owner;
    let mut v = json!({
        "ok": true,
        "app_id": g.app_id,
        "scope": o.scope,
        "token_type": match g.kind { TokenKind::Bot => "bot", TokenKind::User => "user" },
        "access_token": g.access_token,
        "expires_in": g.expires_in,
        "refresh_token": g.refresh_token,
        "team": named(o.team_id, o.team_name),
        "enterprise": named(o.enterprise_id, o.enterprise_name),
        "is_enterprise_install": o.is_enterprise_install,
    });
    let key = match g.kind {
        TokenKind::Bot => "bot_user_id",
        TokenKind::User => "user_id",
    };
    v[key] = Value::String(o.subject_id);
    v
}

/// An install's token fields (`access_token`, `token_type`, `scope`, and with
/// rotation on `refresh_token` and `expires_in`) into `into`.
fn put_token(into: &mut Value, t: InstalledToken, token_type: &str) {
    into["access_token"] = Value::String(t.access_token);
    into["token_type"] = Value::String(token_type.into());
    into["scope"] = Value::String(t.scope);
    if let (Some(refresh), Some(expires_in)) = (t.refresh_token, t.expires_in) {
        into["refresh_token"] = Value::String(refresh);
        into["expires_in"] = json!(expires_in);
    }
}

/// The answer of an install, shaped as Slack's: the bot token at the top level,
/// the user's in `authed_user`.
fn install_json(g: InstallGrant) -> Value {
    let mut v = json!({
        "ok": true,
        "app_id": g.app_id,
        "team": g.team.map_or(Value::Null, |(id, name)| json!({"id": id, "name": name})),
        "enterprise": g.enterprise.map_or(Value::Null, |(id, name)| json!({"id": id, "name": name})),
        "is_enterprise_install": g.is_enterprise_install,
    });
    if let Some(bot) = g.bot {
        put_token(&mut v, bot, "bot");
    }
    if let Some(id) = g.bot_user_id {
        v["bot_user_id"] = Value::String(id);
    }
    let mut user = json!({"id": g.user_id});
    if let Some(token) = g.user {
        put_token(&mut user, token, "user");
    }
    v["authed_user"] = user;
    if let Some(w) = g.webhook {
        v["incoming_webhook"] = json!({
            "channel": w.channel,
            "channel_id": w.channel_id,
            "configuration_url": w.configuration_url,
            "url": w.url,
        });
    }
    v
}

fn exchange(shared: &Shared, req: &Request, args: &Args) -> Value {
    let (id, secret) = args::client_credentials(req, args);
    let token = args::token(req, args);
    let (Some(id), Some(secret), Some(token)) = (id, secret, token) else {
        return err("invalid_arguments");
    };
    match shared.lock().exchange(&id, &secret, token) {
        Ok(g) => grant_json(g),
        Err(e) => err(e),
    }
}

fn access(shared: &Shared, req: &Request, args: &Args) -> Value {
    let (id, secret) = args::client_credentials(req, args);
    let (Some(id), Some(secret)) = (id, secret) else {
        return err("invalid_arguments");
    };
    let mut st = shared.lock();
    if let Err(e) = st.check_client(&id, &secret) {
        let refresh_grant = matches!(args.get("grant_type"), Some("refresh_token"))
            || (args.get("grant_type").is_none() && args.get("code").is_none());
        if let Some(rt) = args.get("refresh_token").filter(|_| refresh_grant) {
            st.refuse_presentation(rt, e);
        }
        return err(e);
    }
    match args.get("grant_type") {
        Some("refresh_token") => {}
        // Slack takes a code without grant_type too.
        Some("authorization_code") | None if args.get("code").is_some() => {
            let code = args.get("code").unwrap_or_default();
            return match st.redeem_code(&id, code, args.get("redirect_uri")) {
                Ok(g) => install_json(g),
                Err(e) => err(e),
            };
        }
        Some("authorization_code") => return err("invalid_arguments"),
        None if args.get("refresh_token").is_none() => return err("invalid_arguments"),
        _ => return err("invalid_grant_type"),
    }
    let Some(rt) = args.get("refresh_token") else {
        return err("invalid_arguments");
    };
    match st.refresh_grant(&id, rt) {
        Ok(g) => grant_json(g),
        Err(e) => err(e),
    }
}

fn auth_test(shared: &Shared, req: &Request, args: &Args) -> Value {
    match shared.lock().check_token("auth.test", args::token(req, args)) {
        Ok(info) => {
            let is_bot = info.bot_id.is_some();
            let mut v = json!({
                "ok": true,
                "url": "https://fake-slack.example/",
                "team": TEAM_NAME,
                "user": if is_bot { "fake-bot" } else { "fake-user" },
                "team_id": info.team_id,
                "user_id": info.user_id,
                "is_enterprise_install": info.is_enterprise_install,
            });
            if let Some(b) = info.bot_id {
                v["bot_id"] = Value::String(b);
            }
            if let Some(e) = info.enterprise_id {
                v["enterprise_id"] = Value::String(e);
            }
            v
        }
        Err(e) => err(e),
    }
}

/// `auth.revoke`: the Bearer (or `token` argument) token; `test=1`/`true` revokes nothing.
fn auth_revoke(shared: &Shared, req: &Request, args: &Args) -> Value {
    let token = args::token(req, args);
    let test = matches!(args.get("test"), Some("1" | "true"));
    let mut st = shared.lock();
    if let Err(e) = st.check_token("auth.revoke", token) {
        return err(e);
    }
    match st.revoke(token.unwrap_or_default(), test) {
        Ok(revoked) => json!({"ok": true, "revoked": revoked}),
        Err(e) => err(e),
    }
}

fn manifest_validate(shared: &Shared, req: &Request, args: &Args) -> Value {
    match shared
        .lock()
        .check_token("apps.manifest.validate", args::token(req, args))
    {
        Ok(info) if info.family == AccessFamily::Config => {}
        Ok(_) => return err("not_allowed_token_type"),
        Err(e) => return err(e),
    }
    let Some(manifest) = args.get("manifest") else {
        return err("invalid_arguments");
    };
    let invalid = |message: &str, pointer: &str| {
        json!({"ok": false, "error": "invalid_manifest",
               "errors": [{"message": message, "pointer": pointer}]})
    };
    let m: Value = match serde_json::from_str(manifest) {
        Ok(v @ Value::Object(_)) => v,
        _ => return invalid("manifest must be a JSON object", "/"),
    };
    match m.pointer("/display_information/name") {
        Some(Value::String(s)) if !s.is_empty() => json!({"ok": true}),
        _ => invalid(
            "must provide a non-empty string for display_information.name",
            "/display_information/name",
        ),
    }
}
