//! The Web API methods framework tests call besides token rotation: `chat.postMessage`
//! and `conversations.list`, and the board of posted messages
//! (`GET`/`DELETE /_control/messages`).
//!
//! Both methods check the token as `auth.test` does (`Authorization: Bearer`, else the
//! `token` argument; `not_authed`, `invalid_auth`, `token_expired`, `token_revoked`,
//! counted in `api_calls`/`token_errors`); a config token gets
//! `not_allowed_token_type`. Scopes are not checked.
//!
//! - `chat.postMessage`: `channel` (an id, or a listed channel's name with or without
//!   `#`; missing or an unknown name: `channel_not_found`) and one of `text`, `blocks`,
//!   `attachments` (none: `no_text`; `blocks`/`attachments` must be JSON arrays, else
//!   `invalid_blocks_format`/`invalid_attachments`). Answers `{"ok":true,"channel",
//!   "ts","message":{"type":"message","text","user","bot_id"?,"team","ts",
//!   "blocks"?,"attachments"?,"thread_ts"?}}` with a `ts` unique and increasing across
//!   the server, and records the message (never the token).
//! - `conversations.list`: the fixed [`CHANNELS`], all public, `limit` (default 100,
//!   an integer 1..=1000, else `invalid_limit`), `cursor` (from
//!   `response_metadata.next_cursor`, `""` on the last page; anything else:
//!   `invalid_cursor`), `types` (default `public_channel`; a list of `public_channel`,
//!   `private_channel`, `mpim`, `im`, else `invalid_types`; without `public_channel`
//!   nothing is listed).

use crate::args::{self, Args};
use crate::http::Request;
use crate::server::Shared;
use crate::state::AccessFamily;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::VecDeque;

/// How many posted messages the board keeps (the oldest go first).
pub(crate) const MAX_MESSAGES: usize = 200_000;

/// The workspace's channels, as `conversations.list` lists them: `(id, name)`.
pub const CHANNELS: &[(&str, &str)] = &[
    ("C0000000001", "general"),
    ("C0000000002", "random"),
    ("C0000000003", "engineering"),
    ("C0000000004", "announcements"),
    ("C0000000005", "support"),
    ("C0000000006", "alerts"),
    ("C0000000007", "testing"),
];

/// When the listed channels were made (Unix seconds, fixed).
const CREATED: u64 = 1_600_000_000;

/// A message posted with `chat.postMessage`, as `GET /_control/messages` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedMessage {
    /// The channel id it went to (a name is resolved to the id).
    pub channel: String,
    /// Its `text` (`""` when only `blocks` or `attachments` were sent).
    pub text: String,
    /// Its `ts`, `"1700000000.000100"`-style: unique and increasing on this server.
    pub ts: String,
    /// The poster's workspace (`null` for an org-wide token).
    pub team_id: Option<String>,
    /// The poster: the bot user of a bot token, the user of a user token.
    pub user: String,
    /// The bot of a bot token, else `null`.
    pub bot_id: Option<String>,
    /// The thread it replied to, when `thread_ts` was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
}

/// Posted messages (the last [`MAX_MESSAGES`]) and the clock of message and event `ts`.
#[derive(Debug, Default)]
pub(crate) struct Board {
    messages: VecDeque<PostedMessage>,
    /// The last `ts` handed out, in microseconds.
    last_micros: u64,
}

impl Board {
    /// A new `ts` (`secs.micros`): `now_micros`, or one past the last if that is not later.
    pub fn next_ts(&mut self, now_micros: u64) -> String {
        self.last_micros = now_micros.max(self.last_micros.saturating_add(1));
        format!("{}.{:06}", self.last_micros / 1_000_000, self.last_micros % 1_000_000)
    }

    fn push(&mut self, m: PostedMessage) {
        if self.messages.len() >= MAX_MESSAGES {
            self.messages.pop_front();
        }
        self.messages.push_back(m);
    }

    /// Posted messages, oldest first.
    pub fn messages(&self) -> Vec<PostedMessage> {
        self.messages.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.messages.clear();
    }
}

fn err(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

/// Where `channel` points: a listed channel (by id, or by name with or without `#`), a
/// conversation id of another kind (`C…`/`D…`/`G…`, taken as is), or a user (`U…`/`W…`:
/// their direct-message channel, `D…`). `None`: `channel_not_found`.
fn resolve_channel(channel: &str) -> Option<String> {
    let name = channel.strip_prefix('#').unwrap_or(channel);
    if let Some((id, _)) = CHANNELS.iter().find(|(id, n)| *n == name || *id == channel) {
        return Some((*id).to_string());
    }
    let mut chars = channel.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    if rest.len() < 2 || !rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return None;
    }
    match first {
        'C' | 'D' | 'G' => Some(channel.to_string()),
        'U' | 'W' => Some(format!("D{rest}")),
        _ => None,
    }
}

/// A JSON array argument (a form field carries it as a string), `Ok(None)` when absent
/// or empty, `Err(code)` when it is not an array.
fn json_array(args: &Args, name: &str, code: &'static str) -> Result<Option<Value>, &'static str> {
    let Some(raw) = args.get(name) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(a)) if a.is_empty() => Ok(None),
        Ok(v @ Value::Array(_)) => Ok(Some(v)),
        _ => Err(code),
    }
}

/// `chat.postMessage`.
pub(crate) fn post_message(shared: &Shared, req: &Request, args: &Args) -> Value {
    let mut st = shared.lock();
    let info = match st.check_token("chat.postMessage", args::token(req, args)) {
        Ok(info) if info.family == AccessFamily::Config => return err("not_allowed_token_type"),
        Ok(info) => info,
        Err(e) => return err(e),
    };
    let Some(channel) = args.get("channel").and_then(resolve_channel) else {
        return err("channel_not_found");
    };
    let blocks = match json_array(args, "blocks", "invalid_blocks_format") {
        Ok(b) => b,
        Err(e) => return err(e),
    };
    let attachments = match json_array(args, "attachments", "invalid_attachments") {
        Ok(a) => a,
        Err(e) => return err(e),
    };
    let text = args.get("text");
    if text.is_none() && blocks.is_none() && attachments.is_none() {
        return err("no_text");
    }
    let now = st.now_micros();
    let ts = st.board.next_ts(now);
    let posted = PostedMessage {
        channel,
        text: text.unwrap_or_default().to_string(),
        ts,
        team_id: Some(info.team_id).filter(|t| !t.is_empty()),
        user: info.user_id,
        bot_id: info.bot_id,
        thread_ts: args.get("thread_ts").map(str::to_string),
    };
    st.board.push(posted.clone());
    drop(st);
    let mut message = json!({
        "type": "message",
        "text": posted.text,
        "user": posted.user,
        "team": posted.team_id,
        "ts": posted.ts,
    });
    if let Some(b) = &posted.bot_id {
        message["bot_id"] = Value::String(b.clone());
    }
    if let Some(b) = blocks {
        message["blocks"] = b;
    }
    if let Some(a) = attachments {
        message["attachments"] = a;
    }
    if let Some(t) = &posted.thread_ts {
        message["thread_ts"] = Value::String(t.clone());
    }
    json!({"ok": true, "channel": posted.channel, "ts": posted.ts, "message": message})
}

/// The cursor that starts a page at `CHANNELS[index]` (Slack's are base64 too).
fn cursor_for(index: usize) -> String {
    args::base64_encode(format!("team:{}", CHANNELS[index].0).as_bytes(), false)
}

/// Where a page starts, from a `cursor` this server handed out.
fn cursor_index(cursor: &str) -> Option<usize> {
    let raw = args::base64_decode(cursor)?;
    let id = std::str::from_utf8(&raw).ok()?.strip_prefix("team:")?;
    CHANNELS.iter().position(|(c, _)| *c == id)
}

fn channel_json(index: usize, team_id: &str) -> Value {
    let (id, name) = CHANNELS[index];
    let created = CREATED + index as u64 * 3600;
    json!({
        "id": id,
        "name": name,
        "name_normalized": name,
        "is_channel": true,
        "is_group": false,
        "is_im": false,
        "is_mpim": false,
        "is_private": false,
        "is_archived": false,
        "is_general": name == "general",
        "is_shared": false,
        "is_org_shared": false,
        "is_ext_shared": false,
        "is_pending_ext_shared": false,
        "is_member": true,
        "created": created,
        "updated": created * 1000,
        "creator": "U0000000001",
        "unlinked": 0,
        "context_team_id": team_id,
        "shared_team_ids": [team_id],
        "pending_shared": [],
        "pending_connected_team_ids": [],
        "parent_conversation": null,
        "previous_names": [],
        "num_members": 3 + index,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": format!("The #{name} channel"), "creator": "U0000000001", "last_set": created},
    })
}

/// `conversations.list`.
pub(crate) fn list_conversations(shared: &Shared, req: &Request, args: &Args) -> Value {
    let info = match shared.lock().check_token("conversations.list", args::token(req, args)) {
        Ok(info) if info.family == AccessFamily::Config => return err("not_allowed_token_type"),
        Ok(info) => info,
        Err(e) => return err(e),
    };
    let limit = match args.get("limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return err("invalid_limit"),
    };
    let types = args.get("types").unwrap_or("public_channel");
    let mut public = false;
    for t in types.split(',').map(str::trim) {
        match t {
            "public_channel" => public = true,
            "private_channel" | "mpim" | "im" => {}
            _ => return err("invalid_types"),
        }
    }
    let start = match args.get("cursor") {
        None => 0,
        Some(c) => match cursor_index(c) {
            Some(i) => i,
            None => return err("invalid_cursor"),
        },
    };
    let (channels, next) = if public {
        let end = (start + limit).min(CHANNELS.len());
        let page: Vec<Value> = (start..end).map(|i| channel_json(i, &info.team_id)).collect();
        let next = if end < CHANNELS.len() {
            cursor_for(end)
        } else {
            String::new()
        };
        (page, next)
    } else {
        (Vec::new(), String::new())
    };
    json!({"ok": true, "channels": channels, "response_metadata": {"next_cursor": next}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_is_unique_and_increasing_even_when_the_clock_stalls_or_steps_back() {
        let mut b = Board::default();
        assert_eq!(b.next_ts(1_700_000_000_000_100), "1700000000.000100");
        assert_eq!(b.next_ts(1_700_000_000_000_100), "1700000000.000101");
        assert_eq!(b.next_ts(1_600_000_000_000_000), "1700000000.000102");
        assert_eq!(b.next_ts(1_700_000_001_000_000), "1700000001.000000");
    }

    #[test]
    fn the_board_keeps_the_last_max_messages() {
        let mut b = Board::default();
        for i in 0..MAX_MESSAGES + 2 {
            b.push(PostedMessage {
                channel: "C0000000001".into(),
                text: i.to_string(),
                ts: String::new(),
                team_id: None,
                user: "U1".into(),
                bot_id: None,
                thread_ts: None,
            });
        }
        let m = b.messages();
        assert_eq!(m.len(), MAX_MESSAGES);
        assert_eq!(m[0].text, "2");
        assert_eq!(m[MAX_MESSAGES - 1].text, (MAX_MESSAGES + 1).to_string());
    }

    #[test]
    fn channels_resolve_by_id_name_or_id_shape() {
        assert_eq!(resolve_channel("general").as_deref(), Some("C0000000001"));
        assert_eq!(resolve_channel("#random").as_deref(), Some("C0000000002"));
        assert_eq!(resolve_channel("C0000000007").as_deref(), Some("C0000000007"));
        assert_eq!(resolve_channel("C12345ABC").as_deref(), Some("C12345ABC"));
        assert_eq!(resolve_channel("U0ABCDEF").as_deref(), Some("D0ABCDEF"));
        assert_eq!(resolve_channel("#nope"), None);
        assert_eq!(resolve_channel("nope"), None);
        assert_eq!(resolve_channel("C"), None);
        assert_eq!(resolve_channel("Cabc123"), None);
    }

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        for i in 0..CHANNELS.len() {
            assert_eq!(cursor_index(&cursor_for(i)), Some(i));
        }
        assert_eq!(cursor_index("garbage!"), None);
        assert_eq!(cursor_index(&args::base64_encode(b"team:C9999999999", false)), None);
        assert_eq!(cursor_index(&args::base64_encode(b"C0000000001", false)), None);
    }
}
