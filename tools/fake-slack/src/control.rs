//! The control interface (`/_control/…`, JSON in and out) for tests in C, Python and Go.
//!
//! Besides faults, rate limits, apps, tokens and codes (see the crate README's table):
//!
//! - `GET stats` / `POST reset_stats`: the counters ([`Stats`](crate::Stats)) / zero them
//!   (`POST reset` zeroes them too, and more).
//! - `GET messages`: `{"ok":true,"messages":[{"channel","text","ts","team_id","user",
//!   "bot_id","thread_ts"?}]}`, what `chat.postMessage` posted, oldest first (the last
//!   200,000); `DELETE messages` empties the list. `POST reset` leaves it alone.
//! - `GET history`: `{"events":[…],"truncated":bool}`, Slack's side of the test's
//!   history (see `history.rs`); `POST reset` empties it.
//! - `POST events`: deliver a signed Events API request to an app under test and
//!   answer with what the app answered; see `events.rs`.

use crate::faults::{Fault, RateLimit};
use crate::http::{Reply, Request};
use crate::server::Shared;
use crate::state::{CodeSpec, GraceKeep, TokenKind};
use serde::Deserialize;
use serde_json::json;

fn ok() -> Reply {
    Reply::json(200, br#"{"ok":true}"#.to_vec())
}

fn bad(status: u16, msg: &str) -> Reply {
    Reply::json(
        status,
        serde_json::to_vec(&json!({"ok": false, "error": msg})).unwrap_or_default(),
    )
}

fn body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Reply> {
    let data: &[u8] = if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        b"{}"
    } else {
        req.body
    };
    serde_json::from_slice(data).map_err(|e| bad(400, &format!("bad_request: {e}")))
}

fn to_reply<T: serde::Serialize>(v: &T) -> Reply {
    Reply::json(200, serde_json::to_vec(v).unwrap_or_default())
}

#[derive(Deserialize)]
struct NewApp {
    #[serde(default = "yes")]
    rotation_enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct NewLegacy {
    client_id: String,
    #[serde(default = "bot")]
    kind: TokenKind,
}

fn bot() -> TokenKind {
    TokenKind::Bot
}

#[derive(Deserialize)]
struct Ttl {
    ttl: Option<u64>,
}

#[derive(Deserialize)]
struct Clock {
    offset_secs: i64,
}

/// `POST refresh_grace`: either field may be left out (it keeps its value).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshGrace {
    grace_ms: Option<u64>,
    keep: Option<GraceKeep>,
}

/// Handle `/_control/<rest>`.
pub(crate) fn handle(shared: &Shared, req: &Request, rest: &str) -> Reply {
    let m = req.method.to_ascii_uppercase();
    let r = match (m.as_str(), rest.trim_end_matches('/')) {
        ("POST", "apps") => {
            body::<NewApp>(req).map(|a| to_reply(&shared.lock().new_app(a.rotation_enabled, None, None)))
        }
        ("POST", "legacy_tokens") => body::<NewLegacy>(req).map(|l| {
            let token = shared.lock().new_legacy(&l.client_id, l.kind, None);
            to_reply(&json!({ "token": token }))
        }),
        ("POST", "authorization_code") => body::<CodeSpec>(req).and_then(|spec| {
            let minted = shared.lock().mint_code(spec);
            minted
                .map(|code| to_reply(&json!({ "code": code })))
                .map_err(|why| bad(400, &format!("bad_request: {why}")))
        }),
        ("POST", "config_tokens") => body::<Ttl>(req).map(|t| to_reply(&shared.lock().new_config_pair(t.ttl, None))),
        ("POST", "ttl") => body::<Ttl>(req).and_then(|t| match t.ttl {
            Some(ttl) => {
                shared.lock().ttl = ttl;
                Ok(ok())
            }
            None => Err(bad(400, "bad_request: missing field `ttl`")),
        }),
        ("POST", "clock") => body::<Clock>(req).map(|c| {
            shared.lock().clock_offset = c.offset_secs;
            ok()
        }),
        ("POST", "refresh_grace") => body::<RefreshGrace>(req).map(|g| {
            let mut st = shared.lock();
            if let Some(ms) = g.grace_ms {
                st.refresh_grace = std::time::Duration::from_millis(ms);
            }
            if let Some(keep) = g.keep {
                st.grace_keep = keep;
            }
            ok()
        }),
        ("GET", "refresh_grace") => {
            let st = shared.lock();
            let ms = u64::try_from(st.refresh_grace.as_millis()).unwrap_or(u64::MAX);
            Ok(to_reply(&json!({"grace_ms": ms, "keep": st.grace_keep})))
        }
        ("POST", "faults") => body::<Fault>(req).map(|f| {
            shared.lock().push_fault(f);
            ok()
        }),
        ("GET", "faults") => Ok(to_reply(&shared.lock().faults())),
        ("DELETE", "faults") => {
            shared.lock().clear_faults();
            Ok(ok())
        }
        ("POST", "rate_limits") => body::<RateLimit>(req).map(|r| {
            shared.lock().add_rate_limit(r);
            ok()
        }),
        ("DELETE", "rate_limits") => {
            shared.lock().clear_rate_limits();
            Ok(ok())
        }
        ("GET", "stats") => Ok(to_reply(&shared.lock().snapshot_stats())),
        ("POST", "reset_stats") => {
            shared.lock().reset_stats();
            Ok(ok())
        }
        ("GET", "messages") => {
            let messages = shared.lock().board.messages();
            Ok(to_reply(&json!({"ok": true, "messages": messages})))
        }
        ("DELETE", "messages") => {
            shared.lock().board.clear();
            Ok(ok())
        }
        ("GET", "history") => Ok(Reply::json(200, shared.lock().history.to_json())),
        ("POST", "events") => Ok(crate::events::deliver(shared, req)),
        ("POST", "reset") => {
            let mut st = shared.lock();
            st.clear_faults();
            st.clear_rate_limits();
            st.reset_stats();
            st.clock_offset = 0;
            (st.refresh_grace, st.grace_keep) = st.grace_at_start;
            st.history.clear();
            Ok(ok())
        }
        ("GET", "seeds") => Ok(Reply::json(200, shared.seeds_json.clone())),
        ("POST", "shutdown") => Ok(Reply::ShutdownAfter(br#"{"ok":true}"#.to_vec())),
        (
            _,
            "apps" | "legacy_tokens" | "authorization_code" | "config_tokens" | "ttl" | "clock" | "refresh_grace"
            | "faults" | "rate_limits" | "stats" | "reset_stats" | "messages" | "history" | "events" | "reset"
            | "seeds" | "shutdown",
        ) => Err(bad(405, "method_not_allowed")),
        _ => Err(bad(404, "unknown_control_endpoint")),
    };
    r.unwrap_or_else(|e| e)
}
