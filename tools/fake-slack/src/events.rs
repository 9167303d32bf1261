//! Signed Events API delivery: `POST /_control/events` makes the fake Slack send an
//! `event_callback` to an app under test, signed as Slack signs it.
//!
//! Body (JSON; unknown fields refused): `url` (`http://` on a loopback host:
//! 127.0.0.0/8, `[::1]` or `localhost`; anything else 400 `bad_request: …`),
//! `signing_secret` (non-empty; never logged or echoed), `event` (the inner event
//! object), and optionally `team_id` (default the server's team), `enterprise_id`,
//! `is_enterprise_install` (default false), `api_app_id` (default the seeded app's) and
//! `timestamp` (Unix seconds for `X-Slack-Request-Timestamp`, to test replay windows;
//! default now on the server's clock).
//!
//! The envelope: `token` ([`VERIFICATION_TOKEN`]), `team_id`, `enterprise_id`,
//! `api_app_id`, `event` (with `event_ts` added if absent), `type: "event_callback"`,
//! `event_id` (`Ev…`, unique), `event_time`, `authorizations: [{enterprise_id, team_id,
//! user_id (the app's bot user), is_bot: true, is_enterprise_install}]`,
//! `is_ext_shared_channel: false`, `event_context`. It is POSTed with
//! `Content-Type: application/json`, `X-Slack-Request-Timestamp: <ts>` and
//! `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<ts>:<body>" keyed with the secret>`.
//!
//! The answer, once the app has answered (up to 10 s, end to end):
//! `{"ok":true,"status":<its HTTP status>,"body":<its body as text, at most 64 KiB>,
//! "event_id":"Ev…"}` (counted in `events_delivered`), or on a refused or broken
//! connection or a timeout HTTP 502 `{"ok":false,"error":"delivery_failed: <reason>"}`
//! (counted in `events_failed`). The delivery runs on the calling connection's thread
//! with no lock held, so deliveries run side by side and the app may call the fake
//! Slack while its event is in flight.

use crate::args;
use crate::http::{Reply, Request};
use crate::server::Shared;
use crate::state::rand_id;
use ring::hmac;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

/// The (deprecated) verification token every envelope carries in `token`.
pub const VERIFICATION_TOKEN: &str = "fakeslackverificationtoken01";

/// How long a delivery may take, from connecting to the end of the app's answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of the app's answer is handed back.
const MAX_ANSWER: u64 = 64 * 1024;

/// What Slack's deliveries say they are.
const USER_AGENT: &str = "Slackbot 1.0 (+https://api.slack.com/robots)";

/// The body of `POST /_control/events`. No `Debug`: it holds the signing secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRequest {
    url: String,
    signing_secret: String,
    event: Value,
    team_id: Option<String>,
    enterprise_id: Option<String>,
    #[serde(default)]
    is_enterprise_install: bool,
    api_app_id: Option<String>,
    timestamp: Option<i64>,
}

fn bad(status: u16, msg: &str) -> Reply {
    Reply::json(
        status,
        serde_json::to_vec(&json!({"ok": false, "error": msg})).unwrap_or_default(),
    )
}

/// Whether `url` is `http://` on a loopback host (parsed as the client will parse it).
fn loopback_http(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(authority) = uri.authority() else {
        return false;
    };
    if uri.scheme_str() != Some("http") || authority.as_str().contains('@') {
        return false;
    }
    let host = authority.host();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, keyed with the signing secret.
fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(format!("v0:{timestamp}:").as_bytes());
    ctx.update(body);
    let tag = ctx.sign();
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v0=");
    for b in tag.as_ref() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// Slack's opaque `event_context`: `4-` + base64url of a small JSON about the event.
fn event_context(event: &Map<String, Value>, team_id: &str, app_id: &str) -> String {
    let ctx = json!({
        "et": event.get("type").and_then(Value::as_str).unwrap_or(""),
        "tid": team_id,
        "aid": app_id,
        "cid": event.get("channel").and_then(Value::as_str).unwrap_or(""),
    });
    format!("4-{}", args::base64_encode(ctx.to_string().as_bytes(), true))
}

/// The signed request: envelope bytes, timestamp and event id. Takes the lock briefly.
fn envelope(shared: &Shared, r: EventRequest) -> Result<(Vec<u8>, i64, String), Reply> {
    let Value::Object(mut event) = r.event else {
        return Err(bad(400, "bad_request: `event` must be a JSON object"));
    };
    let (team_id, (app_id, bot_user), event_time, timestamp, event_ts) = {
        let mut st = shared.lock();
        let now = st.now();
        let now_micros = st.now_micros();
        let event_ts = st.board.next_ts(now_micros);
        let team = r.team_id.unwrap_or_else(|| st.team_id.clone());
        let ts = r.timestamp.unwrap_or(i64::try_from(now).unwrap_or(i64::MAX));
        (team, st.event_identity(r.api_app_id.as_deref()), now, ts, event_ts)
    };
    event.entry("event_ts").or_insert(Value::String(event_ts));
    let event_id = format!("Ev{}", &rand_id('E')[1..]);
    let context = event_context(&event, &team_id, &app_id);
    let body = json!({
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "enterprise_id": r.enterprise_id,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": r.enterprise_id,
            "team_id": team_id,
            "user_id": bot_user,
            "is_bot": true,
            "is_enterprise_install": r.is_enterprise_install,
        }],
        "is_ext_shared_channel": false,
        "event_context": context,
    });
    Ok((serde_json::to_vec(&body).unwrap_or_default(), timestamp, event_id))
}

/// POST the signed envelope; the app's status and (at most 64 KiB of) its body.
///
/// ureq (the main crate's client, already in the tree) rather than a hand-written
/// client: it does the HTTP/1.1 framing of the answer (chunked or not) and a deadline
/// over the whole exchange. It is told not to do what would make it less faithful or
/// less safe here: no proxy from the environment (a loopback delivery must not leave
/// the machine), no redirects (Slack does not follow them for events), and a 4xx/5xx
/// is an answer to report, not an error.
fn post(url: &str, body: &[u8], timestamp: i64, signature: &str) -> Result<(u16, String), String> {
    let config = ureq::Agent::config_builder()
        .proxy(None)
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(DELIVERY_TIMEOUT))
        .user_agent(USER_AGENT)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Slack-Request-Timestamp", timestamp.to_string())
        .header("X-Slack-Signature", signature)
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let mut answer = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}

/// Handle `POST /_control/events`.
pub(crate) fn deliver(shared: &Shared, req: &Request) -> Reply {
    // In two steps so that no error message can quote the secret: serde's type errors
    // quote the offending value.
    let v: Value = match serde_json::from_slice(req.body) {
        Ok(v) => v,
        Err(e) => return bad(400, &format!("bad_request: {e}")),
    };
    if !v.get("signing_secret").is_some_and(Value::is_string) {
        return bad(400, "bad_request: `signing_secret` must be a string");
    }
    let r: EventRequest = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => return bad(400, &format!("bad_request: {e}")),
    };
    if r.signing_secret.is_empty() {
        return bad(400, "bad_request: `signing_secret` must not be empty");
    }
    if !loopback_http(&r.url) {
        return bad(
            400,
            "bad_request: `url` must be http:// on a loopback host (127.0.0.0/8, [::1], localhost)",
        );
    }
    let url = r.url.clone();
    let secret = r.signing_secret.clone();
    let (body, timestamp, event_id) = match envelope(shared, r) {
        Ok(x) => x,
        Err(reply) => return reply,
    };
    let sig = signature(&secret, timestamp, &body);
    // No lock is held from here on: the app may call back into this server.
    let outcome = post(&url, &body, timestamp, &sig);
    let mut st = shared.lock();
    match outcome {
        Ok((status, answer)) => {
            st.stats.events_delivered += 1;
            drop(st);
            let v = json!({"ok": true, "status": status, "body": answer, "event_id": event_id});
            Reply::json(200, serde_json::to_vec(&v).unwrap_or_default())
        }
        Err(why) => {
            st.stats.events_failed += 1;
            drop(st);
            bad(502, &format!("delivery_failed: {why}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_loopback_is_allowed() {
        for ok in [
            "http://127.0.0.1:3000/slack/events",
            "http://127.1.2.3/x",
            "http://localhost:8080/",
            "http://LOCALHOST/",
            "http://[::1]:9/slack/events",
        ] {
            assert!(loopback_http(ok), "{ok}");
        }
        for no in [
            "https://127.0.0.1/",
            "http://10.0.0.1/",
            "http://example.com/",
            "http://127.0.0.1.example.com/",
            "http://127.0.0.1@example.com/",
            "http://user@127.0.0.1/",
            "http://[::2]/",
            "ftp://127.0.0.1/",
            "127.0.0.1:3000",
            "",
        ] {
            assert!(!loopback_http(no), "{no}");
        }
    }

    #[test]
    fn signature_matches_slacks_documented_example() {
        // Slack's "verifying requests" walkthrough: this secret, timestamp and body
        // give this signature.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            signature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }
}
