//! What framework integration tests (Bolt for Python, slack_sdk, slack-go) need from the
//! fake Slack: `chat.postMessage`, `conversations.list`, token accounting in the stats,
//! the posted-messages board, and signed Events API deliveries (`POST /_control/events`).

use fake_slack::{Config, FakeSlack, Stats, CHANNELS, VERIFICATION_TOKEN};
use ring::hmac;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5-test-signing-secret";

fn start() -> FakeSlack {
    FakeSlack::start(Config::default()).unwrap()
}

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .build();
    ureq::Agent::new_with_config(config)
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn encode(args: &[(&str, &str)]) -> String {
    args.iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn read_json(mut resp: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"));
    (status, v)
}

/// A form POST without charset, as slack-go and Bolt send it (token among the fields).
fn form(s: &FakeSlack, method: &str, args: &[(&str, &str)]) -> Value {
    let resp = agent()
        .post(format!("{}{method}", s.base_url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(encode(args).as_bytes())
        .unwrap();
    read_json(resp).1
}

/// A JSON POST with the token as Bearer, as slack_sdk sends `chat.postMessage`.
fn json_bearer(s: &FakeSlack, method: &str, token: &str, body: Value) -> Value {
    let resp = agent()
        .post(format!("{}{method}", s.base_url()))
        .header("Content-Type", "application/json;charset=utf-8")
        .header("Authorization", format!("Bearer {token}"))
        .send(serde_json::to_vec(&body).unwrap().as_slice())
        .unwrap();
    read_json(resp).1
}

fn control(s: &FakeSlack, verb: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", s.control_url());
    let a = agent();
    let resp = match (verb, body) {
        ("GET", None) => a.get(url).call(),
        ("DELETE", None) => a.delete(url).call(),
        ("POST", body) => a
            .post(url)
            .header("Content-Type", "application/json")
            .send(serde_json::to_vec(&body.unwrap_or(json!({}))).unwrap().as_slice()),
        _ => unreachable!(),
    };
    read_json(resp.unwrap())
}

/// A rotating bot token (`xoxe.xoxb-…`) from exchanging the seeded legacy bot token,
/// and its bot user.
fn bot_token(s: &FakeSlack) -> (String, String) {
    let app = &s.seeds().app;
    let v = form(
        s,
        "oauth.v2.exchange",
        &[
            ("client_id", &app.client_id),
            ("client_secret", &app.client_secret),
            ("token", &s.seeds().legacy_bot_token),
        ],
    );
    assert_eq!(v["ok"], true, "{v}");
    (
        v["access_token"].as_str().unwrap().to_string(),
        v["bot_user_id"].as_str().unwrap().to_string(),
    )
}

fn is_slack_ts(ts: &str) -> bool {
    let Some((secs, micros)) = ts.split_once('.') else {
        return false;
    };
    secs.len() == 10 && micros.len() == 6 && (secs.to_string() + micros).bytes().all(|b| b.is_ascii_digit())
}

fn ts_value(ts: &str) -> (u64, u64) {
    let (a, b) = ts.split_once('.').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn chat_post_message_with_bearer_json_and_with_a_form_token() {
    let s = start();
    let (token, bot_user) = bot_token(&s);
    let bot_id = form(&s, "auth.test", &[("token", &token)])["bot_id"]
        .as_str()
        .unwrap()
        .to_string();
    // slack_sdk: JSON body, Bearer header, blocks as a JSON array.
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]);
    let v = json_bearer(
        &s,
        "chat.postMessage",
        &token,
        json!({"channel": "C0000000002", "text": "hello from json", "blocks": blocks}),
    );
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["channel"], "C0000000002");
    let ts1 = v["ts"].as_str().unwrap().to_string();
    assert!(is_slack_ts(&ts1), "{ts1}");
    let m = &v["message"];
    assert_eq!(m["type"], "message");
    assert_eq!(m["text"], "hello from json");
    assert_eq!(m["user"], json!(bot_user));
    assert_eq!(m["bot_id"], json!(bot_id));
    assert_eq!(m["ts"], json!(ts1));
    assert_eq!(m["blocks"], blocks);
    assert!(v.get("warning").is_none(), "{v}");
    // slack-go: a form with the token as a field; a channel by name; a thread reply.
    let user_token = s.seeds().legacy_user_token.clone();
    let user_id = form(&s, "auth.test", &[("token", &user_token)])["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = form(
        &s,
        "chat.postMessage",
        &[
            ("token", &user_token),
            ("channel", "#general"),
            ("text", "hello from a form"),
            ("thread_ts", &ts1),
        ],
    );
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["channel"], "C0000000001");
    let ts2 = v["ts"].as_str().unwrap().to_string();
    assert!(is_slack_ts(&ts2) && ts_value(&ts2) > ts_value(&ts1), "{ts1} then {ts2}");
    assert_eq!(v["message"]["user"], json!(user_id));
    assert!(v["message"].get("bot_id").is_none(), "{v}");
    assert_eq!(v["message"]["thread_ts"], json!(ts1));
    // Blocks alone are enough (a form carries them as a string).
    let v = form(
        &s,
        "chat.postMessage",
        &[
            ("token", &token),
            ("channel", "C0000000003"),
            ("blocks", &blocks.to_string()),
        ],
    );
    assert_eq!(v["ok"], true, "{v}");
    let ts3 = v["ts"].as_str().unwrap().to_string();
    assert!(ts_value(&ts3) > ts_value(&ts2));
    // The board: every message, in order, and never a token.
    let (status, board) = control(&s, "GET", "messages", None);
    assert_eq!((status, &board["ok"]), (200, &json!(true)));
    let team = s.seeds().config_token.team_id.clone();
    assert_eq!(
        board["messages"],
        json!([
            {"channel": "C0000000002", "text": "hello from json", "ts": ts1, "team_id": team,
             "user": bot_user, "bot_id": bot_id},
            {"channel": "C0000000001", "text": "hello from a form", "ts": ts2, "team_id": team,
             "user": user_id, "bot_id": null, "thread_ts": ts1},
            {"channel": "C0000000003", "text": "", "ts": ts3, "team_id": team,
             "user": bot_user, "bot_id": bot_id},
        ])
    );
    let raw = board.to_string();
    assert!(!raw.contains(&token) && !raw.contains(&user_token));
    assert_eq!(s.messages().len(), 3);
    assert_eq!(s.messages()[1].thread_ts.as_deref(), Some(ts1.as_str()));
    assert_eq!(control(&s, "DELETE", "messages", None), (200, json!({"ok": true})));
    assert_eq!(control(&s, "GET", "messages", None).1["messages"], json!([]));
    let st = s.stats();
    assert_eq!(st.api_calls["chat.postMessage"], 3);
    assert_eq!(st.api_calls["auth.test"], 2);
    assert!(st.token_errors.is_empty(), "{:?}", st.token_errors);
}

#[test]
fn dead_tokens_are_refused_and_counted_in_token_errors() {
    let s = start();
    s.set_token_ttl(0);
    let (expired, _) = bot_token(&s);
    let post = |token: Option<&str>| {
        let mut args = vec![("channel", "C0000000001"), ("text", "x")];
        args.extend(token.map(|t| ("token", t)));
        form(&s, "chat.postMessage", &args)
    };
    assert_eq!(post(Some(&expired)), json!({"ok": false, "error": "token_expired"}));
    let v = json_bearer(
        &s,
        "chat.postMessage",
        &expired,
        json!({"channel": "C0000000001", "text": "x"}),
    );
    assert_eq!(v["error"], "token_expired");
    assert_eq!(
        form(&s, "conversations.list", &[("token", &expired)])["error"],
        "token_expired"
    );
    assert_eq!(post(Some("xoxb-not-a-token"))["error"], "invalid_auth");
    assert_eq!(post(None)["error"], "not_authed");
    // A token in a JSON body does not count (Slack wants it as Bearer).
    let resp = agent()
        .post(format!("{}chat.postMessage", s.base_url()))
        .header("Content-Type", "application/json; charset=utf-8")
        .send(
            serde_json::to_vec(&json!({"token": expired, "channel": "C1", "text": "x"}))
                .unwrap()
                .as_slice(),
        )
        .unwrap();
    assert_eq!(read_json(resp).1["error"], "not_authed");
    // A revoked token.
    let legacy = s.seeds().legacy_user_token.clone();
    assert_eq!(form(&s, "auth.revoke", &[("token", &legacy)])["revoked"], true);
    assert_eq!(post(Some(&legacy))["error"], "token_revoked");
    assert!(s.messages().is_empty());
    // Over HTTP, as Python and Go read them.
    let (_, st) = control(&s, "GET", "stats", None);
    assert_eq!(
        st["api_calls"],
        json!({"chat.postMessage": 6, "conversations.list": 1, "auth.revoke": 1})
    );
    assert_eq!(
        st["token_errors"],
        json!({"token_expired": 3, "invalid_auth": 1, "not_authed": 2, "token_revoked": 1})
    );
    // Both resets zero them.
    assert_eq!(control(&s, "POST", "reset_stats", None), (200, json!({"ok": true})));
    let st = s.stats();
    assert!(st.api_calls.is_empty() && st.token_errors.is_empty(), "{st:?}");
    post(None);
    assert_eq!(s.stats().token_errors["not_authed"], 1);
    assert_eq!(control(&s, "POST", "reset", None).0, 200);
    assert!(s.stats().token_errors.is_empty());
    // A reader built before these counters existed still parses; one from before still
    // parses what the server sends now.
    let old = json!({"requests": {}, "rotations": 1, "exchanges": 0, "refreshes": 0,
                     "refresh_token_reuses": 0, "connections": 2, "faults_fired": 0, "ratelimited": 0});
    let parsed: Stats = serde_json::from_value(old).unwrap();
    assert_eq!((parsed.rotations, parsed.events_delivered), (1, 0));
    assert!(parsed.api_calls.is_empty());
}

#[test]
fn post_message_argument_errors() {
    let s = start();
    let (token, _) = bot_token(&s);
    let post = |args: &[(&str, &str)]| {
        let mut a = vec![("token", token.as_str())];
        a.extend_from_slice(args);
        form(&s, "chat.postMessage", &a)
    };
    assert_eq!(
        post(&[("text", "x")]),
        json!({"ok": false, "error": "channel_not_found"})
    );
    assert_eq!(
        post(&[("channel", "#nope"), ("text", "x")])["error"],
        "channel_not_found"
    );
    assert_eq!(post(&[("channel", "C0000000001")])["error"], "no_text");
    assert_eq!(post(&[("channel", "C0000000001"), ("text", "")])["error"], "no_text");
    assert_eq!(
        post(&[("channel", "C0000000001"), ("blocks", "not json")])["error"],
        "invalid_blocks_format"
    );
    assert_eq!(
        post(&[("channel", "C0000000001"), ("blocks", "[]")])["error"],
        "no_text"
    );
    assert!(s.messages().is_empty());
    // Attachments alone are a message; an id of a channel not listed is taken as is.
    let v = post(&[("channel", "C0AB12CD34"), ("attachments", r#"[{"text":"att"}]"#)]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["channel"], "C0AB12CD34");
    assert_eq!(v["message"]["attachments"], json!([{"text": "att"}]));
    // A config token is no bot or user token.
    let cfg = s.seeds().config_token.token.clone();
    let v = form(
        &s,
        "chat.postMessage",
        &[("token", &cfg), ("channel", "C0000000001"), ("text", "x")],
    );
    assert_eq!(v["error"], "not_allowed_token_type");
    assert_eq!(s.messages().len(), 1);
}

#[test]
fn conversations_list_pages_with_cursors() {
    let s = start();
    let (token, _) = bot_token(&s);
    let list = |args: &[(&str, &str)]| {
        let mut a = vec![("token", token.as_str())];
        a.extend_from_slice(args);
        form(&s, "conversations.list", &a)
    };
    let ids = |v: &Value| -> Vec<String> {
        v["channels"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let p1 = list(&[("limit", "3")]);
    assert_eq!(p1["ok"], true, "{p1}");
    assert_eq!(ids(&p1), ["C0000000001", "C0000000002", "C0000000003"]);
    assert_eq!(p1["channels"][0]["name"], "general");
    assert_eq!(p1["channels"][0]["is_channel"], true);
    assert_eq!(p1["channels"][1]["name"], "random");
    let c1 = p1["response_metadata"]["next_cursor"].as_str().unwrap().to_string();
    assert!(!c1.is_empty());
    let p2 = list(&[("limit", "3"), ("cursor", &c1)]);
    assert_eq!(ids(&p2), ["C0000000004", "C0000000005", "C0000000006"]);
    let c2 = p2["response_metadata"]["next_cursor"].as_str().unwrap().to_string();
    assert!(!c2.is_empty() && c2 != c1);
    // slack-go pages with GET too.
    let resp = agent()
        .get(format!(
            "{}conversations.list?limit=3&cursor={}",
            s.base_url(),
            pct(&c2)
        ))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let p3 = read_json(resp).1;
    assert_eq!(ids(&p3), ["C0000000007"]);
    assert_eq!(p3["response_metadata"]["next_cursor"], "");
    // The default limit (100) lists all seven on one page.
    let all = list(&[]);
    assert_eq!(ids(&all).len(), 7);
    assert_eq!(all["response_metadata"]["next_cursor"], "");
    let names: Vec<&str> = CHANNELS.iter().map(|(_, n)| *n).collect();
    let listed: Vec<&str> = all["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);
    // Bad arguments.
    assert_eq!(
        list(&[("cursor", "bm90IGEgY3Vyc29y")]),
        json!({"ok": false, "error": "invalid_cursor"})
    );
    assert_eq!(list(&[("cursor", "%%%")])["error"], "invalid_cursor");
    for bad in ["0", "1001", "ten", "-1"] {
        assert_eq!(list(&[("limit", bad)])["error"], "invalid_limit", "limit={bad}");
    }
    assert_eq!(ids(&list(&[("limit", "1000")])).len(), 7);
    assert_eq!(list(&[("types", "bogus")])["error"], "invalid_types");
    let ims = list(&[("types", "im,mpim")]);
    assert_eq!(
        (ids(&ims).len(), &ims["response_metadata"]["next_cursor"]),
        (0, &json!(""))
    );
    assert_eq!(ids(&list(&[("types", "public_channel,private_channel")])).len(), 7);
    assert_eq!(s.stats().api_calls["conversations.list"], 14);
}

/// A request the test app received.
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn read_request(stream: &mut TcpStream) -> Received {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        let mut hs = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut hs);
        if let httparse::Status::Complete(len) = req.parse(&buf).unwrap() {
            assert_eq!(req.method, Some("POST"));
            let path = req.path.unwrap().to_string();
            let headers: Vec<(String, String)> = req
                .headers
                .iter()
                .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                .collect();
            let cl: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .expect("a Content-Length");
            while buf.len() < len + cl {
                let n = stream.read(&mut tmp).unwrap();
                assert!(n > 0, "short body");
                buf.extend_from_slice(&tmp[..n]);
            }
            return Received {
                path,
                headers,
                body: buf[len..len + cl].to_vec(),
            };
        }
        let n = stream.read(&mut tmp).unwrap();
        assert!(n > 0, "eof before headers");
        buf.extend_from_slice(&tmp[..n]);
    }
}

fn respond(stream: &mut TcpStream, status: u16, body: &[u8]) {
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
}

/// A tiny app on loopback that takes `n` requests, each on its own thread, and answers
/// each with `handler(request)`; joins to what it received.
fn app_server<F>(n: usize, handler: F) -> (u16, JoinHandle<Vec<Received>>)
where
    F: Fn(&Received) -> (u16, Vec<u8>) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Arc::new(handler);
    let h = std::thread::spawn(move || {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                let (mut stream, _) = listener.accept().unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let handler = Arc::clone(&handler);
                std::thread::spawn(move || {
                    let r = read_request(&mut stream);
                    let (status, body) = handler(&r);
                    respond(&mut stream, status, &body);
                    r
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    (port, h)
}

fn verify(r: &Received, secret: &str) -> bool {
    let ts = r.header("X-Slack-Request-Timestamp");
    let Some(hex) = r.header("X-Slack-Signature").strip_prefix("v0=") else {
        return false;
    };
    let Some(sig) = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("v0:{ts}:").into_bytes();
    signed.extend_from_slice(&r.body);
    hmac::verify(&key, &signed, &sig).is_ok()
}

#[test]
fn events_are_signed_as_slack_signs_them_and_delivered() {
    let s = Arc::new(start());
    let (token, _) = bot_token(&s);
    let (app_id, bot_user) = {
        let v = form(&s, "auth.test", &[("token", &token)]);
        (s.seeds().app.app_id.clone(), v["user_id"].as_str().unwrap().to_string())
    };
    // The app answers by posting into the channel, through the fake Slack, while its
    // own event is still being delivered.
    let s2 = Arc::clone(&s);
    let (port, app) = app_server(1, move |r| {
        let ev = r.json();
        let v = form(
            &s2,
            "chat.postMessage",
            &[
                ("token", &token),
                ("channel", ev["event"]["channel"].as_str().unwrap()),
                ("text", "pong"),
            ],
        );
        assert_eq!(v["ok"], true, "{v}");
        (200, b"handled".to_vec())
    });
    let url = format!("http://127.0.0.1:{port}/slack/events");
    let event = json!({"type": "app_mention", "user": "U0USER0001", "text": "<@U0BOT> ping",
                       "channel": "C0000000001", "ts": "1700000000.000001"});
    let before = now();
    let (status, v) = control(
        &s,
        "POST",
        "events",
        Some(json!({"url": url, "signing_secret": SECRET, "team_id": "T0TEAM0001", "event": event})),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (&v["ok"], &v["status"], &v["body"]),
        (&json!(true), &json!(200), &json!("handled"))
    );
    let event_id = v["event_id"].as_str().unwrap().to_string();
    assert!(event_id.starts_with("Ev") && event_id.len() > 4, "{event_id}");
    assert!(!v.to_string().contains(SECRET));
    let got = app.join().unwrap();
    let r = &got[0];
    assert_eq!(r.path, "/slack/events");
    assert_eq!(r.header("Content-Type"), "application/json");
    let ts: i64 = r.header("X-Slack-Request-Timestamp").parse().unwrap();
    assert!((before..=now()).contains(&ts), "{ts}");
    assert!(verify(r, SECRET), "the signature does not verify");
    assert!(!verify(r, "another-secret"), "a wrong secret verifies");
    let env = r.json();
    assert_eq!(env["type"], "event_callback");
    assert_eq!(env["token"], VERIFICATION_TOKEN);
    assert_eq!(env["team_id"], "T0TEAM0001");
    assert_eq!(env["enterprise_id"], Value::Null);
    assert_eq!(env["api_app_id"], json!(app_id));
    assert_eq!(env["event_id"], json!(event_id));
    assert!((before..=now()).contains(&env["event_time"].as_i64().unwrap()));
    assert_eq!(env["is_ext_shared_channel"], false);
    assert!(env["event_context"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(env["event"]["text"], "<@U0BOT> ping");
    assert!(is_slack_ts(env["event"]["event_ts"].as_str().unwrap()), "{env}");
    assert_eq!(
        env["authorizations"],
        json!([{"enterprise_id": null, "team_id": "T0TEAM0001", "user_id": bot_user,
                "is_bot": true, "is_enterprise_install": false}])
    );
    assert!(!String::from_utf8_lossy(&r.body).contains(SECRET));
    // The app's reply went through while the delivery was in flight.
    let m = s.messages();
    assert_eq!(
        (m.len(), m[0].text.as_str(), m[0].channel.as_str()),
        (1, "pong", "C0000000001")
    );

    // A replayed (old) timestamp, an org install, an app's error status and a long
    // answer: all as given, and the answer cut at 64 KiB.
    let (port, app) = app_server(1, |_| (401, vec![b'x'; 100_000]));
    let (status, v) = control(
        &s,
        "POST",
        "events",
        Some(json!({
            "url": format!("http://localhost:{port}/events"), "signing_secret": SECRET,
            "timestamp": 1531420618, "enterprise_id": "E0ORG00001", "is_enterprise_install": true,
            "api_app_id": "A0OTHER001",
            "event": {"type": "message", "event_ts": "1531420618.000100", "channel": "C0000000002"},
        })),
    );
    assert_eq!(
        (status, &v["ok"], &v["status"]),
        (200, &json!(true), &json!(401)),
        "{v}"
    );
    assert_eq!(v["body"].as_str().unwrap().len(), 64 * 1024);
    assert_ne!(v["event_id"], json!(event_id));
    let r = &app.join().unwrap()[0];
    assert_eq!(r.header("X-Slack-Request-Timestamp"), "1531420618");
    assert!(verify(r, SECRET));
    let env = r.json();
    assert_eq!(env["event"]["event_ts"], "1531420618.000100");
    assert_eq!(env["team_id"], json!(s.seeds().config_token.team_id));
    assert_eq!(env["enterprise_id"], "E0ORG00001");
    assert_eq!(env["api_app_id"], "A0OTHER001");
    assert_eq!(env["authorizations"][0]["is_enterprise_install"], true);
    assert_eq!(env["authorizations"][0]["enterprise_id"], "E0ORG00001");
    let st = s.stats();
    assert_eq!((st.events_delivered, st.events_failed), (2, 0));
}

#[test]
fn deliveries_run_side_by_side() {
    // The app holds each request until both have arrived: deliveries made one at a
    // time would never see the second, and time out.
    let s = Arc::new(start());
    let both = Arc::new(Barrier::new(2));
    let b = Arc::clone(&both);
    let (port, app) = app_server(2, move |r| {
        b.wait();
        (200, r.json()["event"]["n"].to_string().into_bytes())
    });
    let workers: Vec<_> = (0..2)
        .map(|n| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                control(
                    &s,
                    "POST",
                    "events",
                    Some(
                        json!({"url": format!("http://127.0.0.1:{port}/"), "signing_secret": SECRET,
                                "event": {"type": "message", "n": n}}),
                    ),
                )
            })
        })
        .collect();
    let mut answers: Vec<String> = workers
        .into_iter()
        .map(|w| {
            let (status, v) = w.join().unwrap();
            assert_eq!(status, 200, "{v}");
            v["body"].as_str().unwrap().to_string()
        })
        .collect();
    answers.sort();
    assert_eq!(answers, ["0", "1"]);
    assert_eq!(app.join().unwrap().len(), 2);
    assert_eq!(s.stats().events_delivered, 2);
}

#[test]
fn delivery_to_a_closed_port_fails_with_502() {
    let s = start();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (status, v) = control(
        &s,
        "POST",
        "events",
        Some(
            json!({"url": format!("http://127.0.0.1:{port}/slack/events"), "signing_secret": SECRET,
                    "event": {"type": "app_mention"}}),
        ),
    );
    assert_eq!((status, &v["ok"]), (502, &json!(false)), "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(error.starts_with("delivery_failed: "), "{error}");
    assert!(!v.to_string().contains(SECRET));
    let st = s.stats();
    assert_eq!((st.events_delivered, st.events_failed), (0, 1));
}

#[test]
fn event_requests_off_loopback_or_malformed_are_refused() {
    let s = start();
    let event = json!({"type": "app_mention"});
    for url in [
        "http://example.com/slack/events",
        "http://10.1.2.3:3000/slack/events",
        "https://127.0.0.1:3000/slack/events",
        "http://127.0.0.1@example.com/",
        "not a url",
    ] {
        let (status, v) = control(
            &s,
            "POST",
            "events",
            Some(json!({"url": url, "signing_secret": SECRET, "event": event})),
        );
        assert_eq!(status, 400, "{url}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("bad_request: "), "{v}");
        assert!(!v.to_string().contains(SECRET));
    }
    let url = "http://127.0.0.1:9/";
    for body in [
        json!({"url": url, "event": event}),
        json!({"url": url, "signing_secret": "", "event": event}),
        json!({"url": url, "signing_secret": 12345678, "event": event}),
        json!({"url": url, "signing_secret": SECRET}),
        json!({"url": url, "signing_secret": SECRET, "event": "text"}),
        json!({"url": url, "signing_secret": SECRET, "event": event, "surprise": 1}),
        json!({"signing_secret": SECRET, "event": event}),
    ] {
        let (status, v) = control(&s, "POST", "events", Some(body.clone()));
        assert_eq!(status, 400, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("bad_request: "), "{v}");
        assert!(
            !v.to_string().contains(SECRET) && !v.to_string().contains("12345678"),
            "{v}"
        );
    }
    assert_eq!(control(&s, "GET", "events", None).0, 405);
    let st = s.stats();
    assert_eq!((st.events_delivered, st.events_failed), (0, 0));
}
