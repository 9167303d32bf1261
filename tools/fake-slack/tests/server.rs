//! Real-socket tests of the fake Slack server, with a tiny raw HTTP/1.1 client.

use fake_slack::{Config, Echo, FakeSlack, Fault, FaultKind, GraceKeep, RateLimit, TokenKind};
use serde_json::{json, Value};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Resp> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut raw = req.into_bytes();
        raw.extend_from_slice(body);
        self.stream.write_all(&raw)?;
        self.read_response()
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 65536];
        let n = self.stream.read(&mut tmp)?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    fn read_response(&mut self) -> io::Result<Resp> {
        loop {
            let mut hs = [httparse::EMPTY_HEADER; 32];
            let mut r = httparse::Response::new(&mut hs);
            if let httparse::Status::Complete(len) = r.parse(&self.buf).map_err(io::Error::other)? {
                let status = r.code.unwrap();
                let headers: Vec<(String, String)> = r
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                let cl: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                self.buf.drain(..len);
                while self.buf.len() < cl {
                    if self.fill()? == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short body"));
                    }
                }
                let body = self.buf.drain(..cl).collect();
                return Ok(Resp { status, headers, body });
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof before headers"));
            }
        }
    }

    /// POST a form body without charset (what the SDKs send).
    fn form(&mut self, method: &str, args: &[(&str, &str)]) -> Resp {
        self.form_with(method, "application/x-www-form-urlencoded", &[], args)
    }

    fn form_with(&mut self, method: &str, ctype: &str, headers: &[(&str, &str)], args: &[(&str, &str)]) -> Resp {
        let body = encode(args);
        let mut hs = vec![("Content-Type", ctype)];
        hs.extend_from_slice(headers);
        self.request("POST", &format!("/api/{method}"), &hs, body.as_bytes())
            .unwrap()
    }

    fn control(&mut self, method: &str, path: &str, body: Value) -> Resp {
        let b = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        self.request(
            method,
            &format!("/_control/{path}"),
            &[("Content-Type", "application/json")],
            &b,
        )
        .unwrap()
    }
}

fn encode(args: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    args.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn basic(id: &str, secret: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let d = format!("{id}:{secret}").into_bytes();
    let mut s = String::new();
    for c in d.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    format!("Basic {s}")
}

fn start() -> FakeSlack {
    FakeSlack::start(Config::default()).unwrap()
}

fn auth_test(c: &mut Client, token: &str) -> Value {
    let bearer = format!("Bearer {token}");
    c.form_with(
        "auth.test",
        "application/x-www-form-urlencoded",
        &[("Authorization", &bearer)],
        &[],
    )
    .json()
}

#[test]
fn rotation_is_single_use_and_counts_reuse() {
    let s = start();
    let mut c = Client::connect(s.port());
    let rt = s.seeds().config_token.refresh_token.clone();
    let r = c.form("tooling.tokens.rotate", &[("refresh_token", &rt)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    let v = r.json();
    assert_eq!(v["ok"], true, "{v}");
    let tok = v["token"].as_str().unwrap();
    let new_rt = v["refresh_token"].as_str().unwrap();
    assert!(tok.starts_with("xoxe.xoxp-1-") && tok.len() == "xoxe.xoxp-1-".len() + 40);
    assert!(new_rt.starts_with("xoxe-1-") && new_rt != rt);
    assert_eq!(v["exp"].as_u64().unwrap() - v["iat"].as_u64().unwrap(), 43200);
    assert_eq!(v["team_id"], json!(s.seeds().config_token.team_id));
    assert!(v.get("warning").is_none());
    // The old refresh token is spent.
    let v = c.form("tooling.tokens.rotate", &[("refresh_token", &rt)]).json();
    assert_eq!(v, json!({"ok": false, "error": "invalid_refresh_token"}));
    // Unknown and missing refresh tokens.
    let v = c
        .form("tooling.tokens.rotate", &[("refresh_token", "xoxe-1-nope")])
        .json();
    assert_eq!(v["error"], "invalid_refresh_token");
    let v = c.form("tooling.tokens.rotate", &[]).json();
    assert_eq!(v["error"], "invalid_arguments");
    // Both the old and the new access tokens work until their own exp.
    assert_eq!(auth_test(&mut c, &s.seeds().config_token.token)["ok"], true);
    assert_eq!(auth_test(&mut c, tok)["ok"], true);
    // The new refresh token works once.
    assert_eq!(
        c.form("tooling.tokens.rotate", &[("refresh_token", new_rt)]).json()["ok"],
        true
    );
    let st = s.stats();
    assert_eq!(st.rotations, 2);
    assert_eq!(st.refresh_token_reuses, 1);
    assert_eq!(st.requests["tooling.tokens.rotate"], 5);
    assert_eq!(st.requests["auth.test"], 2);
    let issued = s.issued_secrets();
    assert!(issued.iter().any(|x| x == tok) && issued.iter().any(|x| x == new_rt));
}

#[test]
fn ttl_expiry_is_visible_in_auth_test() {
    let s = start();
    let mut c = Client::connect(s.port());
    let dead = s.new_config_token(Some(0));
    assert_eq!(auth_test(&mut c, &dead.token)["error"], "token_expired");
    let short = s.new_config_token(Some(1));
    assert_eq!(auth_test(&mut c, &short.token)["ok"], true);
    // Tokens issued after set_token_ttl carry the new TTL.
    s.set_token_ttl(0);
    let v = c
        .form("tooling.tokens.rotate", &[("refresh_token", &short.refresh_token)])
        .json();
    assert_eq!(v["exp"], v["iat"]);
    assert_eq!(
        auth_test(&mut c, v["token"].as_str().unwrap())["error"],
        "token_expired"
    );
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(auth_test(&mut c, &short.token)["error"], "token_expired");
    // Other auth errors.
    assert_eq!(auth_test(&mut c, "xoxb-unknown")["error"], "invalid_auth");
    assert_eq!(c.form("auth.test", &[]).json()["error"], "not_authed");
    // Token as an argument works too; a refresh token is no access token.
    let leg = &s.seeds().legacy_bot_token;
    let v = c.form("auth.test", &[("token", leg)]).json();
    assert_eq!(v["ok"], true);
    assert!(v["bot_id"].as_str().unwrap().starts_with('B'));
    let v = c.form("auth.test", &[("token", &s.seeds().legacy_user_token)]).json();
    assert_eq!(v["ok"], true);
    assert!(v.get("bot_id").is_none());
    assert_eq!(
        auth_test(&mut c, &s.seeds().config_token.refresh_token)["error"],
        "invalid_auth"
    );
}

#[test]
fn exchange_errors_and_success() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app = s.seeds().app.clone();
    let bot = s.seeds().legacy_bot_token.clone();
    let ex = |c: &mut Client, id: &str, secret: &str, tok: &str| {
        c.form(
            "oauth.v2.exchange",
            &[("client_id", id), ("client_secret", secret), ("token", tok)],
        )
        .json()
    };
    assert_eq!(
        ex(&mut c, "1.2", &app.client_secret, &bot)["error"],
        "invalid_client_id"
    );
    assert_eq!(ex(&mut c, &app.client_id, "wrong", &bot)["error"], "bad_client_secret");
    assert_eq!(
        ex(&mut c, &app.client_id, &app.client_secret, "xoxb-nope")["error"],
        "invalid_token"
    );
    let v = c
        .form(
            "oauth.v2.exchange",
            &[("client_id", &app.client_id), ("client_secret", &app.client_secret)],
        )
        .json();
    assert_eq!(v["error"], "invalid_arguments");
    // A legacy token of another app.
    let other = s.new_app(true);
    let other_tok = s.new_legacy_token(&other.client_id, TokenKind::Bot);
    assert_eq!(
        ex(&mut c, &app.client_id, &app.client_secret, &other_tok)["error"],
        "invalid_token"
    );
    // An app without rotation.
    let plain = s.new_app(false);
    let plain_tok = s.new_legacy_token(&plain.client_id, TokenKind::User);
    let v = ex(&mut c, &plain.client_id, &plain.client_secret, &plain_tok);
    assert_eq!(v["error"], "token_rotation_not_enabled");
    // Success (bot), then token_already_exchanged.
    let v = ex(&mut c, &app.client_id, &app.client_secret, &bot);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["token_type"], "bot");
    assert_eq!(v["app_id"], json!(app.app_id));
    assert!(v["access_token"].as_str().unwrap().starts_with("xoxe.xoxb-1-"));
    assert!(v["refresh_token"].as_str().unwrap().starts_with("xoxe-1-"));
    assert_eq!(v["expires_in"], 43200);
    assert!(v["bot_user_id"].as_str().unwrap().starts_with('U'));
    assert_eq!(v["team"]["name"], "Fake Team");
    assert_eq!(v["enterprise"], Value::Null);
    assert_eq!(v["is_enterprise_install"], false);
    assert_eq!(auth_test(&mut c, v["access_token"].as_str().unwrap())["ok"], true);
    assert_eq!(
        ex(&mut c, &app.client_id, &app.client_secret, &bot)["error"],
        "token_already_exchanged"
    );
    // The legacy token itself keeps working (as on Slack).
    assert_eq!(auth_test(&mut c, &bot)["ok"], true);
    // User token, sent as Bearer (as Python's SDK does) with client credentials as fields.
    let user = s.seeds().legacy_user_token.clone();
    let b = format!("Bearer {user}");
    let v = c
        .form_with(
            "oauth.v2.exchange",
            "application/x-www-form-urlencoded",
            &[("Authorization", &b)],
            &[("client_id", &app.client_id), ("client_secret", &app.client_secret)],
        )
        .json();
    assert_eq!(v["token_type"], "user", "{v}");
    assert!(v["access_token"].as_str().unwrap().starts_with("xoxe.xoxp-1-"));
    assert!(v["user_id"].as_str().unwrap().starts_with('U'));
    assert_eq!(s.stats().exchanges, 2);
}

#[test]
fn refresh_grant() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app = s.seeds().app.clone();
    let v = c
        .form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", &s.seeds().legacy_bot_token),
            ],
        )
        .json();
    let access1 = v["access_token"].as_str().unwrap().to_string();
    let rt1 = v["refresh_token"].as_str().unwrap().to_string();
    let auth = basic(&app.client_id, &app.client_secret);
    let refresh = |c: &mut Client, rt: &str, grant: Option<&str>| {
        let mut args = vec![("refresh_token", rt)];
        if let Some(g) = grant {
            args.push(("grant_type", g));
        }
        c.form_with(
            "oauth.v2.access",
            "application/x-www-form-urlencoded",
            &[("Authorization", &auth)],
            &args,
        )
        .json()
    };
    assert_eq!(refresh(&mut c, &rt1, None)["error"], "invalid_grant_type");
    assert_eq!(
        refresh(&mut c, &rt1, Some("client_credentials"))["error"],
        "invalid_grant_type"
    );
    let v = refresh(&mut c, &rt1, Some("refresh_token"));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["token_type"], "bot");
    let access2 = v["access_token"].as_str().unwrap().to_string();
    assert!(access2.starts_with("xoxe.xoxb-1-") && access2 != access1);
    // The previous access token stays valid until its exp.
    assert_eq!(auth_test(&mut c, &access1)["ok"], true);
    assert_eq!(auth_test(&mut c, &access2)["ok"], true);
    // Reuse.
    assert_eq!(
        refresh(&mut c, &rt1, Some("refresh_token"))["error"],
        "invalid_refresh_token"
    );
    assert_eq!(
        refresh(&mut c, "xoxe-1-unknown", Some("refresh_token"))["error"],
        "invalid_refresh_token"
    );
    // A config refresh token or another app's refresh token is not this app's.
    let cfg = &s.seeds().config_token.refresh_token;
    assert_eq!(
        refresh(&mut c, cfg, Some("refresh_token"))["error"],
        "invalid_refresh_token"
    );
    let other = s.new_app(true);
    let rt2 = v["refresh_token"].as_str().unwrap();
    let v = c
        .form(
            "oauth.v2.access",
            &[
                ("client_id", &other.client_id),
                ("client_secret", &other.client_secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", rt2),
            ],
        )
        .json();
    assert_eq!(v["error"], "invalid_refresh_token");
    let v = c
        .form(
            "oauth.v2.access",
            &[("client_id", &app.client_id), ("client_secret", "x")],
        )
        .json();
    assert_eq!(v["error"], "bad_client_secret");
    let v = c
        .form(
            "oauth.v2.access",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("code", "c"),
            ],
        )
        .json();
    assert_eq!(v["error"], "invalid_code");
    let st = s.stats();
    assert_eq!((st.refreshes, st.refresh_token_reuses), (1, 1));
}

#[test]
fn content_types_charsets_and_arguments() {
    let s = start();
    let mut c = Client::connect(s.port());
    let tok = s.seeds().config_token.token.clone();
    let bearer = format!("Bearer {tok}");
    let h = [("Authorization", bearer.as_str())];
    let v = c
        .form_with("auth.test", "application/x-www-form-urlencoded; charset=utf-8", &h, &[])
        .json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["warning"], "superfluous_charset");
    assert_eq!(v["response_metadata"]["warnings"], json!(["superfluous_charset"]));
    let v = c
        .form_with(
            "auth.test",
            "application/x-www-form-urlencoded; charset=koi8-r",
            &h,
            &[],
        )
        .json();
    assert_eq!(v["error"], "invalid_charset");
    // JSON without charset: a warning; the token must come as Bearer.
    let v = c
        .request(
            "POST",
            "/api/auth.test",
            &[("Content-Type", "application/json"), h[0]],
            b"{}",
        )
        .unwrap()
        .json();
    assert_eq!(
        (v["ok"].clone(), v["warning"].clone()),
        (json!(true), json!("missing_charset"))
    );
    let v = c
        .request(
            "POST",
            "/api/auth.test",
            &[("Content-Type", "application/json; charset=utf-8")],
            format!("{{\"token\":\"{tok}\"}}").as_bytes(),
        )
        .unwrap()
        .json();
    assert_eq!(v["error"], "not_authed");
    let v = c
        .request(
            "POST",
            "/api/auth.test",
            &[("Content-Type", "application/json; charset=utf-8"), h[0]],
            b"[1,",
        )
        .unwrap()
        .json();
    assert_eq!(v["error"], "invalid_json");
    // Error responses carry warnings too.
    let v = c
        .request(
            "POST",
            "/api/tooling.tokens.rotate",
            &[("Content-Type", "application/json")],
            b"{\"refresh_token\":\"x\"}",
        )
        .unwrap()
        .json();
    assert_eq!(v["error"], "invalid_refresh_token");
    assert_eq!(v["warning"], "missing_charset");
    // Post types.
    let v = c.request("POST", "/api/auth.test", &[], b"token=x").unwrap().json();
    assert_eq!(v["error"], "missing_post_type");
    let v = c
        .request("POST", "/api/auth.test", &[("Content-Type", "text/xml")], b"<x/>")
        .unwrap()
        .json();
    assert_eq!(v["error"], "invalid_post_type");
    // Form syntax and argument names.
    let raw = |c: &mut Client, body: &[u8]| {
        c.request(
            "POST",
            "/api/auth.test",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
        .unwrap()
        .json()["error"]
            .clone()
    };
    assert_eq!(raw(&mut c, b"token=%zz"), "invalid_form_data");
    assert_eq!(raw(&mut c, b"token=%C3%28"), "invalid_form_data");
    assert_eq!(raw(&mut c, b"to-ken=x"), "invalid_arg_name");
    assert_eq!(raw(&mut c, b"token[]=x"), "invalid_array_arg");
    assert_eq!(raw(&mut c, b"token=a&token=b"), "invalid_array_arg");
    // GET with query parameters, like Slack.
    let v = c
        .request("GET", &format!("/api/auth.test?token={tok}"), &[], b"")
        .unwrap()
        .json();
    assert_eq!(v["ok"], true);
    // Unknown method: 404 with a JSON body.
    let r = c.form("users.info", &[]);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "unknown_method");
    // Body larger than announced arrival: request_timeout (client half-closes).
    let mut c2 = Client::connect(s.port());
    c2.stream
        .write_all(b"POST /api/auth.test HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntoken=x")
        .unwrap();
    c2.stream.shutdown(Shutdown::Write).unwrap();
    let r = c2.read_response().unwrap();
    assert_eq!(r.json()["error"], "request_timeout");
    // Oversized and chunked bodies.
    let mut c3 = Client::connect(s.port());
    c3.stream
        .write_all(b"POST /api/auth.test HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000000\r\n\r\n")
        .unwrap();
    assert_eq!(c3.read_response().unwrap().status, 413);
    let mut c4 = Client::connect(s.port());
    c4.stream
        .write_all(b"POST /api/auth.test HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        .unwrap();
    assert_eq!(c4.read_response().unwrap().status, 411);
}

#[test]
fn manifest_validate() {
    let s = start();
    let mut c = Client::connect(s.port());
    let cfg = format!("Bearer {}", s.seeds().config_token.token);
    let bot = format!("Bearer {}", s.seeds().legacy_bot_token);
    let call = |c: &mut Client, auth: &str, manifest: Option<&str>| {
        let args: Vec<(&str, &str)> = manifest.map(|m| vec![("manifest", m)]).unwrap_or_default();
        c.form_with(
            "apps.manifest.validate",
            "application/x-www-form-urlencoded",
            &[("Authorization", auth)],
            &args,
        )
        .json()
    };
    assert_eq!(call(&mut c, &bot, Some("{}"))["error"], "not_allowed_token_type");
    assert_eq!(
        call(&mut c, "Bearer xoxe.xoxp-1-nope", Some("{}"))["error"],
        "invalid_auth"
    );
    assert_eq!(call(&mut c, &cfg, None)["error"], "invalid_arguments");
    let v = call(&mut c, &cfg, Some("[1]"));
    assert_eq!(v["error"], "invalid_manifest");
    assert_eq!(v["errors"][0]["pointer"], "/");
    let v = call(&mut c, &cfg, Some(r#"{"display_information":{}}"#));
    assert_eq!(v["errors"][0]["pointer"], "/display_information/name");
    assert_eq!(
        call(&mut c, &cfg, Some(r#"{"display_information":{"name":"x"}}"#)),
        json!({"ok": true})
    );
}

#[test]
fn rate_limits_and_ratelimited_fault() {
    let s = start();
    let mut c = Client::connect(s.port());
    s.add_rate_limit(RateLimit {
        method: "auth.test".into(),
        limit: 2,
        window_secs: 1,
        retry_after: 7,
    });
    let tok = s.seeds().legacy_bot_token.clone();
    assert_eq!(auth_test(&mut c, &tok)["ok"], true);
    assert_eq!(auth_test(&mut c, &tok)["ok"], true);
    let b = format!("Bearer {tok}");
    let r = c.form_with(
        "auth.test",
        "application/x-www-form-urlencoded",
        &[("Authorization", &b)],
        &[],
    );
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.json(), json!({"ok": false, "error": "ratelimited"}));
    // Other methods are not limited; the window ends.
    assert_eq!(c.form("tooling.tokens.rotate", &[]).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(auth_test(&mut c, &tok)["ok"], true);
    s.clear_rate_limits();
    // Fault: with and without Retry-After.
    s.inject(Fault::new("*", FaultKind::Ratelimited { retry_after: Some(1) }));
    s.inject(Fault::new("auth.test", FaultKind::Ratelimited { retry_after: None }));
    let r = c.form_with(
        "auth.test",
        "application/x-www-form-urlencoded",
        &[("Authorization", &b)],
        &[],
    );
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    let r = c.form_with(
        "auth.test",
        "application/x-www-form-urlencoded",
        &[("Authorization", &b)],
        &[],
    );
    assert_eq!((r.status, r.header("retry-after")), (429, None));
    assert_eq!(auth_test(&mut c, &tok)["ok"], true);
    let st = s.stats();
    assert_eq!((st.ratelimited, st.faults_fired), (1, 2));
}

#[test]
fn drop_faults_and_apply_semantics() {
    let s = start();
    let rt0 = s.seeds().config_token.refresh_token.clone();
    // drop_before_apply: connection dies, nothing happened.
    s.inject(Fault::new("tooling.tokens.rotate", FaultKind::DropBeforeApply));
    let mut c = Client::connect(s.port());
    let e = c.request(
        "POST",
        "/api/tooling.tokens.rotate",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        encode(&[("refresh_token", &rt0)]).as_bytes(),
    );
    assert!(e.is_err());
    assert_eq!(s.stats().rotations, 0);
    // drop_after_apply: connection dies, but the rotation happened — the token is spent.
    s.inject(Fault::new("tooling.tokens.rotate", FaultKind::DropAfterApply));
    let mut c = Client::connect(s.port());
    assert!(c
        .form_with_result("tooling.tokens.rotate", &[("refresh_token", &rt0)])
        .is_err());
    assert_eq!(s.stats().rotations, 1);
    let mut c = Client::connect(s.port());
    assert_eq!(
        c.form("tooling.tokens.rotate", &[("refresh_token", &rt0)]).json()["error"],
        "invalid_refresh_token"
    );
    assert_eq!(s.stats().refresh_token_reuses, 1);
    // slack_error with apply: the answer lies, the state changed.
    let pair = s.new_config_token(None);
    s.inject(Fault::new(
        "*",
        FaultKind::SlackError {
            error: "internal_error".into(),
            apply: true,
        },
    ));
    let v = c
        .form("tooling.tokens.rotate", &[("refresh_token", &pair.refresh_token)])
        .json();
    assert_eq!(v, json!({"ok": false, "error": "internal_error"}));
    assert_eq!(
        c.form("tooling.tokens.rotate", &[("refresh_token", &pair.refresh_token)])
            .json()["error"],
        "invalid_refresh_token"
    );
    // Without apply nothing changes.
    let pair = s.new_config_token(None);
    s.inject(
        Fault::new(
            "*",
            FaultKind::SlackError {
                error: "fatal_error".into(),
                apply: false,
            },
        )
        .times(2),
    );
    for _ in 0..2 {
        assert_eq!(
            c.form("tooling.tokens.rotate", &[("refresh_token", &pair.refresh_token)])
                .json()["error"],
            "fatal_error"
        );
    }
    assert_eq!(
        c.form("tooling.tokens.rotate", &[("refresh_token", &pair.refresh_token)])
            .json()["ok"],
        true
    );
    // Faults only hit their method.
    s.inject(Fault::new("oauth.v2.exchange", FaultKind::EmptyBody { apply: false }));
    assert_eq!(auth_test(&mut c, &pair.token)["ok"], true);
    assert_eq!(s.faults().len(), 1);
    s.clear_faults();
    assert!(s.faults().is_empty());
}

impl Client {
    fn form_with_result(&mut self, method: &str, args: &[(&str, &str)]) -> io::Result<Resp> {
        let body = encode(args);
        self.request(
            "POST",
            &format!("/api/{method}"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }
}

#[test]
fn body_faults() {
    let s = start();
    let mut c = Client::connect(s.port());
    let tok = s.seeds().legacy_bot_token.clone();
    let b = format!("Bearer {tok}");
    let h = [("Authorization", b.as_str())];
    let call = |c: &mut Client| c.form_with("auth.test", "application/x-www-form-urlencoded", &h, &[]);
    s.inject(Fault::new(
        "auth.test",
        FaultKind::HttpStatus {
            status: 502,
            apply: false,
        },
    ));
    let r = call(&mut c);
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("<html>"));
    s.inject(Fault::new("auth.test", FaultKind::EmptyBody { apply: false }));
    let r = call(&mut c);
    assert_eq!((r.status, r.body.len()), (200, 0));
    s.inject(Fault::new("auth.test", FaultKind::MalformedJson { apply: false }));
    assert!(serde_json::from_slice::<Value>(&call(&mut c).body).is_err());
    s.inject(Fault::new("auth.test", FaultKind::WrongShape { apply: false }));
    assert_eq!(call(&mut c).json()["token"], 123);
    s.inject(Fault::new("auth.test", FaultKind::TruncatedJson { apply: true }));
    let r = call(&mut c);
    assert!(r.body.starts_with(b"{\"ok\":true") && serde_json::from_slice::<Value>(&r.body).is_err());
    // Huge body: exact size, streamed, the connection stays usable.
    s.inject(Fault::new("auth.test", FaultKind::HugeBody { bytes: 8 << 20 }));
    let r = call(&mut c);
    assert_eq!(r.body.len(), 8 << 20);
    assert_eq!(r.json()["ok"], true);
    assert_eq!(call(&mut c).json()["ok"], true);
    // Slow body / slow headers / delay still deliver the real answer.
    s.inject(Fault::new("auth.test", FaultKind::SlowBody { delay_ms: 100 }));
    s.inject(Fault::new(
        "auth.test",
        FaultKind::SlowHeaders {
            delay_ms: 100,
            apply: false,
        },
    ));
    s.inject(Fault::new("auth.test", FaultKind::Delay { delay_ms: 100 }));
    let t = Instant::now();
    for _ in 0..3 {
        assert_eq!(call(&mut c).json()["ok"], true);
    }
    assert!(t.elapsed() >= Duration::from_millis(300));
    // Truncated body: full length announced, half sent, then EOF.
    s.inject(Fault::new("auth.test", FaultKind::TruncatedBody { apply: true }));
    let e = c
        .request(
            "POST",
            "/api/auth.test",
            &[("Content-Type", "application/x-www-form-urlencoded"), h[0]],
            b"",
        )
        .err()
        .unwrap();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    // slow_headers without apply: a client that gave up changed nothing.
    let pair = s.new_config_token(None);
    s.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::SlowHeaders {
            delay_ms: 300,
            apply: false,
        },
    ));
    let mut c2 = Client::connect(s.port());
    c2.stream
        .write_all(format!("POST /api/tooling.tokens.rotate HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\nrefresh_token={}", 14 + pair.refresh_token.len(), pair.refresh_token).as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(c2);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(s.stats().rotations, 0);
    let mut c3 = Client::connect(s.port());
    assert_eq!(
        c3.form("tooling.tokens.rotate", &[("refresh_token", &pair.refresh_token)])
            .json()["ok"],
        true
    );
}

#[test]
fn echo_error_faults() {
    let s = start();
    let mut c = Client::connect(s.port());
    let echo = |echo: Echo, status: u16, apply: bool| FaultKind::EchoError { echo, status, apply };
    let rotate = |c: &mut Client, rt: &str| c.form("tooling.tokens.rotate", &[("refresh_token", rt)]);
    let pair = s.new_config_token(None);
    let rt = pair.refresh_token.as_str();
    let hex = rt.rsplit('-').next().unwrap();
    assert_eq!(hex.len(), 40);

    // Each echo of the refresh token, HTTP 200; nothing is spent.
    for (kind, want) in [
        (Echo::Credential, rt.to_string()),
        (Echo::CredentialBare, hex.to_string()),
        (Echo::CredentialEllipsis, format!("{rt}\u{2026}")),
        (Echo::ClientSecret, "invalid_client:".to_string()),
    ] {
        s.inject(Fault::new("tooling.tokens.rotate", echo(kind, 200, false)));
        let r = rotate(&mut c, rt);
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({"ok": false, "error": want}), "{kind:?}");
    }
    assert_eq!(s.stats().rotations, 0);
    assert_eq!(
        s.refresh_token_age(rt),
        Some(0),
        "an echo fault does not spend the token"
    );

    // A Bearer token, under a 5xx.
    s.inject(Fault::new("auth.test", echo(Echo::Credential, 503, false)));
    let bearer = format!("Bearer {}", pair.token);
    let r = c.form_with(
        "auth.test",
        "application/x-www-form-urlencoded",
        &[("Authorization", &bearer)],
        &[],
    );
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"], pair.token.as_str());

    // The client secret: from the Basic header (refresh) and from the argument (exchange).
    let app = s.new_app(true);
    let legacy = s.new_legacy_token(&app.client_id, TokenKind::Bot);
    s.inject(Fault::new("oauth.v2.exchange", echo(Echo::ClientSecret, 200, false)));
    s.inject(Fault::new("oauth.v2.exchange", echo(Echo::Credential, 200, false)));
    let exchange = |c: &mut Client| {
        c.form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", &legacy),
            ],
        )
        .json()
    };
    assert_eq!(
        exchange(&mut c)["error"],
        format!("invalid_client:{}", app.client_secret)
    );
    assert_eq!(exchange(&mut c)["error"], legacy.as_str(), "the token argument");
    let v = exchange(&mut c);
    assert_eq!(v["ok"], true, "not exchanged by the echo faults: {v}");
    let rt1 = v["refresh_token"].as_str().unwrap().to_string();
    let auth = basic(&app.client_id, &app.client_secret);
    s.inject(Fault::new("oauth.v2.access", echo(Echo::ClientSecret, 200, false)));
    let v = c
        .form_with(
            "oauth.v2.access",
            "application/x-www-form-urlencoded",
            &[("Authorization", &auth)],
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
        )
        .json();
    assert_eq!(v["error"], format!("invalid_client:{}", app.client_secret));
    assert_eq!(s.refresh_token_age(&rt1), Some(0));

    // No credential at all: an empty echo.
    s.inject(Fault::new("auth.test", echo(Echo::Credential, 200, false)));
    assert_eq!(c.form("auth.test", &[]).json(), json!({"ok": false, "error": ""}));

    // apply: the rotation happens behind the echo.
    s.inject(Fault::new(
        "tooling.tokens.rotate",
        echo(Echo::CredentialBare, 502, true),
    ));
    let r = rotate(&mut c, rt);
    assert_eq!((r.status, r.json()["error"].as_str()), (502, Some(hex)));
    assert_eq!(s.stats().rotations, 1);
    assert_eq!(rotate(&mut c, rt).json()["error"], "invalid_refresh_token");

    // JSON form: status defaults to 200, apply to false.
    let f: Fault = serde_json::from_value(json!({"kind": "echo_error", "echo": "credential_ellipsis"})).unwrap();
    assert_eq!(f, Fault::new("*", echo(Echo::CredentialEllipsis, 200, false)));
    let v = serde_json::to_value(Fault::new("auth.test", echo(Echo::ClientSecret, 503, true))).unwrap();
    assert_eq!(
        v,
        json!({"method": "auth.test", "kind": "echo_error", "echo": "client_secret", "status": 503, "apply": true, "count": 1})
    );
    assert!(serde_json::from_value::<Fault>(json!({"kind": "echo_error", "echo": "password"})).is_err());
}

#[test]
fn json_status_carries_any_error_string() {
    // Terminal escapes and a newline go out JSON-escaped, and come back intact.
    let s = start();
    let mut c = Client::connect(s.port());
    let nasty = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31mfake\u{1b}[0m\nxoxe: chain ok\u{7f}";
    s.inject(Fault::new(
        "auth.test",
        FaultKind::JsonStatus {
            status: 503,
            error: Some(nasty.into()),
            apply: false,
        },
    ));
    let r = c.form("auth.test", &[]);
    assert_eq!(r.status, 503);
    assert!(
        !r.body.iter().any(|b| *b < 0x20),
        "control characters are escaped in the body"
    );
    assert_eq!(r.json()["error"], nasty);
}

#[test]
fn keep_alive_one_connection() {
    let s = start();
    let mut c = Client::connect(s.port());
    let tok = s.seeds().legacy_user_token.clone();
    for _ in 0..50 {
        assert_eq!(auth_test(&mut c, &tok)["ok"], true);
    }
    // Pipelined requests are answered in order.
    let b = format!("Bearer {tok}");
    let one = format!("POST /api/auth.test HTTP/1.1\r\nAuthorization: {b}\r\nContent-Length: 0\r\n\r\n");
    c.stream.write_all(format!("{one}{one}{one}").as_bytes()).unwrap();
    for _ in 0..3 {
        assert_eq!(c.read_response().unwrap().json()["ok"], true);
    }
    let st = s.stats();
    assert_eq!(st.connections, 1);
    assert_eq!(st.requests["auth.test"], 53);
    // Connection: close is honoured.
    let r = c
        .request(
            "POST",
            "/api/auth.test",
            &[("Connection", "close"), ("Authorization", &b)],
            b"",
        )
        .unwrap();
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(c.fill().unwrap(), 0);
    s.reset_stats();
    assert_eq!(s.stats().connections, 0);
}

#[test]
fn control_endpoints() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app: Value = c.control("POST", "apps", json!({"rotation_enabled": true})).json();
    assert!(app["app_id"].as_str().unwrap().starts_with('A'));
    let leg = c
        .control(
            "POST",
            "legacy_tokens",
            json!({"client_id": app["client_id"], "kind": "user"}),
        )
        .json();
    let leg = leg["token"].as_str().unwrap().to_string();
    assert!(leg.starts_with("xoxp-"));
    let v = c
        .form(
            "oauth.v2.exchange",
            &[
                ("client_id", app["client_id"].as_str().unwrap()),
                ("client_secret", app["client_secret"].as_str().unwrap()),
                ("token", &leg),
            ],
        )
        .json();
    assert_eq!(v["token_type"], "user", "{v}");
    let pair = c.control("POST", "config_tokens", json!({"ttl": 0})).json();
    assert_eq!(pair["iat"], pair["exp"]);
    assert_eq!(c.control("POST", "ttl", json!({"ttl": 5})).json()["ok"], true);
    let v = c
        .form(
            "tooling.tokens.rotate",
            &[("refresh_token", pair["refresh_token"].as_str().unwrap())],
        )
        .json();
    assert_eq!(v["exp"].as_u64().unwrap() - v["iat"].as_u64().unwrap(), 5);
    // Faults over HTTP.
    let r = c.control(
        "POST",
        "faults",
        json!({"method": "tooling.tokens.rotate", "kind": "drop_after_apply", "count": 1}),
    );
    assert_eq!(r.status, 200);
    let r = c.control(
        "POST",
        "faults",
        json!({"method": "*", "kind": "ratelimited", "retry_after": 1}),
    );
    assert_eq!(r.status, 200);
    let f = c.control("GET", "faults", Value::Null).json();
    assert_eq!(f.as_array().unwrap().len(), 2);
    assert_eq!(c.control("DELETE", "faults", Value::Null).json()["ok"], true);
    assert!(s.faults().is_empty());
    assert_eq!(c.control("POST", "faults", json!({"kind": "nonsense"})).status, 400);
    assert_eq!(c.control("POST", "faults", json!({"kind": "slack_error"})).status, 400);
    // Rate limits over HTTP.
    let r = c.control(
        "POST",
        "rate_limits",
        json!({"method": "auth.test", "limit": 0, "window_secs": 60, "retry_after": 3}),
    );
    assert_eq!(r.status, 200);
    let r = c.form("auth.test", &[("token", &leg)]);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    assert_eq!(c.control("DELETE", "rate_limits", Value::Null).status, 200);
    assert_eq!(c.form("auth.test", &[("token", &leg)]).status, 200);
    // Stats, reset, seeds.
    let st = c.control("GET", "stats", Value::Null).json();
    assert_eq!(st["requests"]["auth.test"], 2);
    assert_eq!(st["rotations"], 1);
    assert_eq!(st["connections"], 1);
    c.control("POST", "faults", json!({"kind": "delay", "delay_ms": 1}));
    assert_eq!(c.control("POST", "reset", Value::Null).json()["ok"], true);
    let st = c.control("GET", "stats", Value::Null).json();
    assert_eq!(st["rotations"], 0);
    assert!(s.faults().is_empty());
    let seeds = c.control("GET", "seeds", Value::Null).json();
    assert_eq!(seeds["port"], s.port());
    assert_eq!(seeds["base_url"], s.base_url());
    assert_eq!(seeds["control_url"], s.control_url());
    assert_eq!(seeds["app"]["client_secret"], json!(s.seeds().app.client_secret));
    assert_eq!(
        seeds["config_token"]["refresh_token"],
        json!(s.seeds().config_token.refresh_token)
    );
    assert_eq!(seeds["legacy_bot_token"], json!(s.seeds().legacy_bot_token));
    assert_eq!(c.control("GET", "nope", Value::Null).status, 404);
    assert_eq!(c.control("GET", "apps", Value::Null).status, 405);
    // Shutdown over HTTP stops accepting.
    assert_eq!(c.control("POST", "shutdown", Value::Null).json()["ok"], true);
    std::thread::sleep(Duration::from_millis(100));
    assert!(s.shutdown_requested());
    assert!(TcpStream::connect(("127.0.0.1", s.port())).is_err());
}

#[test]
fn many_servers_and_shutdown_closes_connections() {
    let servers: Vec<FakeSlack> = (0..8).map(|_| start()).collect();
    let mut ports: Vec<u16> = servers.iter().map(|s| s.port()).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 8);
    let mut c = Client::connect(servers[0].port());
    assert_eq!(auth_test(&mut c, &servers[0].seeds().legacy_bot_token)["ok"], true);
    // Seeds are per server.
    assert_eq!(
        auth_test(&mut c, &servers[1].seeds().legacy_bot_token)["error"],
        "invalid_auth"
    );
    let port = servers[0].port();
    drop(servers);
    assert_eq!(c.fill().unwrap_or(0), 0);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn fault_json_round_trip() {
    let f: Fault =
        serde_json::from_value(json!({"method": "tooling.tokens.rotate", "kind": "drop_after_apply"})).unwrap();
    assert_eq!(f, Fault::new("tooling.tokens.rotate", FaultKind::DropAfterApply));
    let f: Fault =
        serde_json::from_value(json!({"kind": "slack_error", "error": "internal_error", "apply": true, "count": 3}))
            .unwrap();
    assert_eq!(
        f,
        Fault::new(
            "*",
            FaultKind::SlackError {
                error: "internal_error".into(),
                apply: true
            }
        )
        .times(3)
    );
    let v = serde_json::to_value(Fault::new("*", FaultKind::HugeBody { bytes: 10 })).unwrap();
    assert_eq!(v, json!({"method": "*", "kind": "huge_body", "bytes": 10, "count": 1}));
}

#[test]
fn seeded_overrides_and_issued_tokens_file() {
    let dir = std::env::temp_dir().join(format!("fake-slack-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("issued.txt");
    let s = FakeSlack::start(Config {
        issued_tokens_file: Some(file.clone()),
        app_client_id: Some("111.222".into()),
        app_client_secret: Some("sekrit-client".into()),
        config_refresh_token: Some("xoxe-1-seeded".into()),
        legacy_bot_token: Some("xoxb-seeded".into()),
        legacy_user_token: Some("xoxp-seeded".into()),
        ..Config::default()
    })
    .unwrap();
    assert_eq!(s.seeds().app.client_id, "111.222");
    let mut c = Client::connect(s.port());
    let v = c
        .form("tooling.tokens.rotate", &[("refresh_token", "xoxe-1-seeded")])
        .json();
    assert_eq!(v["ok"], true);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for secret in [
        "sekrit-client",
        "xoxe-1-seeded",
        "xoxb-seeded",
        "xoxp-seeded",
        v["token"].as_str().unwrap(),
        v["refresh_token"].as_str().unwrap(),
    ] {
        assert!(lines.contains(&secret), "missing a secret in the issued file");
    }
    assert_eq!(lines, s.issued_secrets());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cargo test -p xoxe-fake-slack --release -- --ignored throughput --nocapture`
#[test]
#[ignore]
fn throughput() {
    let s = start();
    let mut c = Client::connect(s.port());
    let b = format!("Bearer {}", s.seeds().legacy_bot_token);
    let req = format!("POST /api/auth.test HTTP/1.1\r\nHost: x\r\nAuthorization: {b}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n");
    let n = 50_000;
    let t = Instant::now();
    for _ in 0..n {
        c.stream.write_all(req.as_bytes()).unwrap();
        let r = c.read_response().unwrap();
        assert_eq!(r.status, 200);
    }
    let el = t.elapsed();
    println!(
        "auth.test: {:.0} req/s on one keep-alive connection",
        n as f64 / el.as_secs_f64()
    );
    let mut rt = s.seeds().config_token.refresh_token.clone();
    let t = Instant::now();
    for _ in 0..20_000 {
        let v = c.form("tooling.tokens.rotate", &[("refresh_token", &rt)]).json();
        rt = v["refresh_token"].as_str().unwrap().to_string();
    }
    println!("rotate: {:.0} req/s", 20_000f64 / t.elapsed().as_secs_f64());
}

#[test]
fn the_bench_refresh_token_rotates_without_being_spent() {
    let slack = fake_slack::FakeSlack::start(fake_slack::Config {
        bench_refresh_token: Some("xoxe-1-bench".into()),
        ..Default::default()
    })
    .unwrap();
    let mut c = Client::connect(slack.port());
    for _ in 0..3 {
        let v = c
            .form("tooling.tokens.rotate", &[("refresh_token", "xoxe-1-bench")])
            .json();
        assert_eq!(v["ok"], true, "{v}");
    }
    assert_eq!(slack.stats().rotations, 3);
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

/// Rotate a config refresh token over HTTP: the whole answer.
fn rotate(c: &mut Client, rt: &str) -> Value {
    c.form("tooling.tokens.rotate", &[("refresh_token", rt)]).json()
}

/// `(access token, refresh token)` of a successful rotation or grant.
fn pair_of(v: &Value, access_key: &str) -> (String, String) {
    assert_eq!(v["ok"], true, "{v}");
    (
        v[access_key].as_str().unwrap().to_string(),
        v["refresh_token"].as_str().unwrap().to_string(),
    )
}

#[test]
fn refresh_grace_period_on_config_chains() {
    let s = FakeSlack::start(Config {
        refresh_grace_ms: 60_000,
        ..Config::default()
    })
    .unwrap();
    let mut c = Client::connect(s.port());
    assert_eq!(
        c.control("GET", "refresh_grace", Value::Null).json(),
        json!({"grace_ms": 60000, "keep": "first"})
    );

    // keep first: the second pair is revoked as it is issued.
    let rt = s.seeds().config_token.refresh_token.clone();
    let (t1, r1) = pair_of(&rotate(&mut c, &rt), "token");
    let (t2, r2) = pair_of(&rotate(&mut c, &rt), "token");
    assert!(t1 != t2 && r1 != r2, "a second, different pair");
    assert_eq!(auth_test(&mut c, &t2)["error"], "token_revoked");
    assert_eq!(auth_test(&mut c, &t1)["ok"], true);
    assert_eq!(s.refresh_token_age(&r2), None, "the second refresh token is dead");
    assert_eq!(s.refresh_token_age(&rt), Some(1), "the chain goes on through the first");
    assert_eq!(rotate(&mut c, &r2)["error"], "invalid_refresh_token");
    let (_, r1b) = pair_of(&rotate(&mut c, &r1), "token");
    let st = s.stats();
    assert_eq!(
        (
            st.rotations,
            st.grace_reissues,
            st.refresh_token_reuses,
            st.revoked_refresh_token_uses
        ),
        (2, 1, 0, 1)
    );
    let issued = s.issued_secrets();
    assert!(
        issued.contains(&t2) && issued.contains(&r2),
        "reissued secrets are recorded"
    );

    // keep second, set over the control interface: the first pair is revoked, and so
    // is everything already rotated from it.
    let r = c.control("POST", "refresh_grace", json!({"keep": "second"}));
    assert_eq!(r.json()["ok"], true);
    let (t3, r3) = pair_of(&rotate(&mut c, &r1b), "token");
    let (_, r3b) = pair_of(&rotate(&mut c, &r3), "token");
    let (t4, r4) = pair_of(&rotate(&mut c, &r1b), "token");
    assert_eq!(auth_test(&mut c, &t3)["error"], "token_revoked");
    assert_eq!(auth_test(&mut c, &t4)["ok"], true);
    assert_eq!(
        rotate(&mut c, &r3b)["error"],
        "invalid_refresh_token",
        "rotated from the loser"
    );
    assert_eq!(
        s.refresh_token_age(&r1b),
        Some(1),
        "the chain goes on through the second"
    );
    let (_, r5) = pair_of(&rotate(&mut c, &r4), "token");
    assert_eq!(rotate(&mut c, &r3)["error"], "invalid_refresh_token");
    let st = s.stats();
    assert_eq!(
        (
            st.rotations,
            st.grace_reissues,
            st.refresh_token_reuses,
            st.revoked_refresh_token_uses
        ),
        (5, 2, 0, 3)
    );

    // After the window: invalid_refresh_token, a reuse, as without a grace period.
    let r = c.control("POST", "refresh_grace", json!({"grace_ms": 50}));
    assert_eq!(r.json()["ok"], true);
    let (_, r6) = pair_of(&rotate(&mut c, &r5), "token");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(rotate(&mut c, &r5)["error"], "invalid_refresh_token");
    assert_eq!(s.refresh_token_age(&r6), Some(0));
    let st = s.stats();
    assert_eq!((st.grace_reissues, st.refresh_token_reuses), (2, 1));
    let stats = c.control("GET", "stats", Value::Null).json();
    assert_eq!(
        (
            &stats["grace_reissues"],
            &stats["refresh_token_reuses"],
            &stats["revoked_refresh_token_uses"]
        ),
        (&json!(2), &json!(1), &json!(3))
    );
    // Bad bodies are refused; reset restores the settings the server started with.
    assert_eq!(c.control("POST", "refresh_grace", json!({"keep": "third"})).status, 400);
    assert_eq!(c.control("POST", "refresh_grace", json!({"grace": 5})).status, 400);
    assert_eq!(c.control("DELETE", "refresh_grace", Value::Null).status, 405);
    assert_eq!(
        c.control("GET", "refresh_grace", Value::Null).json(),
        json!({"grace_ms": 50, "keep": "second"})
    );
    assert_eq!(c.control("POST", "reset", Value::Null).json()["ok"], true);
    assert_eq!(
        c.control("GET", "refresh_grace", Value::Null).json(),
        json!({"grace_ms": 60000, "keep": "first"})
    );
}

#[test]
fn refresh_grace_period_on_oauth_refresh_grants() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app = s.seeds().app.clone();
    let auth = basic(&app.client_id, &app.client_secret);
    let refresh = |c: &mut Client, rt: &str| {
        c.form_with(
            "oauth.v2.access",
            "application/x-www-form-urlencoded",
            &[("Authorization", &auth)],
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .json()
    };
    let v = c
        .form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", &s.seeds().legacy_bot_token),
            ],
        )
        .json();
    let (_, rt) = pair_of(&v, "access_token");
    // No grace period by default: a reuse is refused at once.
    let (_, rt) = pair_of(&refresh(&mut c, &rt), "access_token");
    let (_, rt_next) = pair_of(&refresh(&mut c, &rt), "access_token");
    assert_eq!(refresh(&mut c, &rt)["error"], "invalid_refresh_token");
    assert_eq!((s.stats().refresh_token_reuses, s.stats().grace_reissues), (1, 0));

    // keep first.
    s.set_refresh_grace(60_000, GraceKeep::First);
    let (a1, r1) = pair_of(&refresh(&mut c, &rt_next), "access_token");
    let (a2, r2) = pair_of(&refresh(&mut c, &rt_next), "access_token");
    assert!(a1 != a2 && r1 != r2);
    assert!(a2.starts_with("xoxe.xoxb-1-"));
    assert_eq!(auth_test(&mut c, &a2)["error"], "token_revoked");
    assert_eq!(auth_test(&mut c, &a1)["ok"], true);
    assert_eq!(refresh(&mut c, &r2)["error"], "invalid_refresh_token");
    let (_, r1b) = pair_of(&refresh(&mut c, &r1), "access_token");

    // keep second.
    s.set_refresh_grace(60_000, GraceKeep::Second);
    let (a3, r3) = pair_of(&refresh(&mut c, &r1b), "access_token");
    let (a4, r4) = pair_of(&refresh(&mut c, &r1b), "access_token");
    assert_eq!(auth_test(&mut c, &a3)["error"], "token_revoked");
    assert_eq!(auth_test(&mut c, &a4)["ok"], true);
    assert_eq!(refresh(&mut c, &r3)["error"], "invalid_refresh_token");
    let (_, r5) = pair_of(&refresh(&mut c, &r4), "access_token");

    // After the window.
    s.set_refresh_grace(50, GraceKeep::Second);
    pair_of(&refresh(&mut c, &r5), "access_token");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(refresh(&mut c, &r5)["error"], "invalid_refresh_token");
    let st = s.stats();
    assert_eq!(
        (
            st.refreshes,
            st.grace_reissues,
            st.refresh_token_reuses,
            st.revoked_refresh_token_uses
        ),
        (7, 2, 2, 2)
    );
}

#[test]
fn nested_user_token_moves_a_user_grant_into_authed_user() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app = s.seeds().app.clone();
    let exchange = |c: &mut Client, token: &str| {
        c.form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", token),
            ],
        )
    };
    s.inject(Fault::new("oauth.v2.exchange", FaultKind::NestedUserToken));
    let r = exchange(&mut c, &s.seeds().legacy_user_token);
    assert!(r.body.starts_with(b"{\"ok\":true,"));
    let v = r.json();
    for gone in [
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "scope",
        "user_id",
    ] {
        assert!(v.get(gone).is_none(), "{gone} left at the top level");
    }
    let user = &v["authed_user"];
    assert!(user["id"].as_str().unwrap().starts_with('U'));
    assert_eq!(
        (&user["token_type"], &user["expires_in"]),
        (&json!("user"), &json!(43200))
    );
    let access = user["access_token"].as_str().unwrap();
    assert!(access.starts_with("xoxe.xoxp-1-"));
    assert_eq!(auth_test(&mut c, access)["ok"], true);
    assert_eq!(v["app_id"], json!(app.app_id));
    assert_eq!(v["team"]["name"], "Fake Team");
    // The refresh grant too.
    s.inject(Fault::new("oauth.v2.access", FaultKind::NestedUserToken));
    let rt = user["refresh_token"].as_str().unwrap();
    let v = c
        .form(
            "oauth.v2.access",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
            ],
        )
        .json();
    assert!(v["authed_user"]["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe-1-"));
    assert!(v.get("refresh_token").is_none());
    // Bot grants and errors are answered as usual.
    s.inject(Fault::new("oauth.v2.exchange", FaultKind::NestedUserToken).times(2));
    let v = exchange(&mut c, &s.seeds().legacy_bot_token).json();
    assert!(v["access_token"].is_string() && v.get("authed_user").is_none(), "{v}");
    let v = exchange(&mut c, &s.seeds().legacy_bot_token).json();
    assert_eq!(v, json!({"ok": false, "error": "token_already_exchanged"}));
    let f: Fault = serde_json::from_value(json!({"kind": "nested_user_token"})).unwrap();
    assert_eq!(f, Fault::new("*", FaultKind::NestedUserToken));
}

#[test]
fn applied_body_faults_carry_the_real_answer() {
    let s = start();
    let mut c = Client::connect(s.port());
    let newest = |s: &FakeSlack| s.issued_secrets().last().cloned().unwrap();
    // malformed_json: broken, but the new refresh token is in it.
    let rt = s.new_config_token(None).refresh_token;
    s.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::MalformedJson { apply: true },
    ));
    let r = c.form("tooling.tokens.rotate", &[("refresh_token", &rt)]);
    assert!(r.body.starts_with(b"{\"ok\":true,,"));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert!(String::from_utf8_lossy(&r.body).contains(&newest(&s)));
    assert_eq!(s.refresh_token_age(&rt), Some(1), "applied");
    // wrong_shape: valid JSON, numbers as strings, tokens intact.
    let rt = s.new_config_token(None).refresh_token;
    s.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::WrongShape { apply: true },
    ));
    let v = c.form("tooling.tokens.rotate", &[("refresh_token", &rt)]).json();
    assert_eq!(
        (&v["ok"], &v["exp"], &v["iat"]),
        (&json!(true), &json!("soon"), &json!("soon"))
    );
    assert_eq!(v["refresh_token"], json!(newest(&s)));
    let app = s.seeds().app.clone();
    s.inject(Fault::new("oauth.v2.exchange", FaultKind::WrongShape { apply: true }));
    let v = c
        .form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", &s.seeds().legacy_bot_token),
            ],
        )
        .json();
    assert_eq!(v["expires_in"], "soon");
    assert_eq!(v["refresh_token"], json!(newest(&s)));
    // An answer without those numbers gets the fixed text.
    s.inject(Fault::new("auth.test", FaultKind::WrongShape { apply: true }));
    assert_eq!(auth_test(&mut c, &s.seeds().legacy_bot_token)["token"], 123);
}

// ---------------------------------------------------------------------------
// OAuth installs (authorization codes) and auth.revoke

/// `oauth.v2.access` with HTTP Basic credentials and `args`.
fn access_with(c: &mut Client, id: &str, secret: &str, args: &[(&str, &str)]) -> Value {
    let auth = basic(id, secret);
    c.form_with(
        "oauth.v2.access",
        "application/x-www-form-urlencoded",
        &[("Authorization", &auth)],
        args,
    )
    .json()
}

/// A code grant as the seeded app.
fn redeem(s: &FakeSlack, c: &mut Client, code: &str) -> Value {
    let app = s.seeds().app.clone();
    access_with(
        c,
        &app.client_id,
        &app.client_secret,
        &[("grant_type", "authorization_code"), ("code", code)],
    )
}

fn refresh_as(s: &FakeSlack, c: &mut Client, rt: &str) -> Value {
    let app = s.seeds().app.clone();
    access_with(
        c,
        &app.client_id,
        &app.client_secret,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
}

fn revoke(c: &mut Client, token: &str, test: bool) -> Value {
    let bearer = format!("Bearer {token}");
    let args: &[(&str, &str)] = if test { &[("test", "1")] } else { &[] };
    c.form_with(
        "auth.revoke",
        "application/x-www-form-urlencoded",
        &[("Authorization", &bearer)],
        args,
    )
    .json()
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} missing"))
}

#[test]
fn a_code_installs_a_bot_and_a_user_token_once() {
    let s = start();
    s.set_token_ttl(600);
    let mut c = Client::connect(s.port());
    let r = c.control(
        "POST",
        "authorization_code",
        json!({"team_id": "T0INSTALL", "team_name": "Install Co", "user_id": "U0ME",
               "scopes": "commands", "incoming_webhook": true}),
    );
    assert_eq!(r.status, 200);
    let code = r.json()["code"].as_str().unwrap().to_string();
    assert!(s.issued_secrets().contains(&code), "a code is a secret");
    let v = redeem(&s, &mut c, &code);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["app_id"], json!(s.seeds().app.app_id));
    assert_eq!(v["team"], json!({"id": "T0INSTALL", "name": "Install Co"}));
    assert_eq!(
        (v["enterprise"].clone(), v["is_enterprise_install"].clone()),
        (Value::Null, json!(false))
    );
    assert_eq!(
        (v["token_type"].as_str(), v["scope"].as_str()),
        (Some("bot"), Some("commands"))
    );
    assert_eq!(v["expires_in"], 600);
    assert!(text(&v, "/access_token").starts_with("xoxe.xoxb-1-"));
    let bot_user = text(&v, "/bot_user_id").to_string();
    assert_eq!(text(&v, "/authed_user/id"), "U0ME");
    assert_eq!(text(&v, "/authed_user/token_type"), "user");
    assert!(text(&v, "/authed_user/access_token").starts_with("xoxe.xoxp-1-"));
    assert_eq!(v["authed_user"]["expires_in"], 600);
    assert!(text(&v, "/incoming_webhook/url").starts_with("https://hooks.fake-slack.example/services/T0INSTALL/"));
    assert!(s
        .issued_secrets()
        .iter()
        .any(|x| x == text(&v, "/incoming_webhook/url")));
    // Used twice.
    assert_eq!(redeem(&s, &mut c, &code)["error"], "code_already_used");
    // The tokens belong to the install, and so do their rotations.
    let who = auth_test(&mut c, text(&v, "/access_token"));
    assert_eq!(
        (who["team_id"].as_str(), who["user_id"].as_str()),
        (Some("T0INSTALL"), Some(bot_user.as_str()))
    );
    let who = auth_test(&mut c, text(&v, "/authed_user/access_token"));
    assert_eq!(who["user_id"], "U0ME");
    let next = refresh_as(&s, &mut c, text(&v, "/refresh_token"));
    assert_eq!(next["ok"], true, "{next}");
    assert_eq!(
        (next["bot_user_id"].as_str(), next["scope"].as_str()),
        (Some(bot_user.as_str()), Some("commands"))
    );
    assert_eq!(next["team"]["id"], "T0INSTALL");
    let next = refresh_as(&s, &mut c, text(&v, "/authed_user/refresh_token"));
    assert_eq!(
        (next["user_id"].as_str(), next["token_type"].as_str()),
        (Some("U0ME"), Some("user"))
    );
    let st = s.stats();
    assert_eq!(
        (st.codes_minted, st.installs, st.code_reuses, st.refreshes),
        (1, 1, 1, 2)
    );
}

#[test]
fn code_grants_fail_as_slack_says() {
    let s = start();
    let mut c = Client::connect(s.port());
    let app = s.seeds().app.clone();
    let mint = |spec: Value| {
        let mut c = Client::connect(s.port());
        c.control("POST", "authorization_code", spec).json()["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(redeem(&s, &mut c, "1.2.nope")["error"], "invalid_code");
    assert_eq!(
        redeem(&s, &mut c, &mint(json!({"ttl_secs": 0})))["error"],
        "invalid_code"
    );
    let code = mint(json!({"redirect_uri": "https://app.example/oauth"}));
    assert_eq!(redeem(&s, &mut c, &code)["error"], "bad_redirect_uri");
    let wrong = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://evil.example/"),
    ];
    assert_eq!(
        access_with(&mut c, &app.client_id, &app.client_secret, &wrong)["error"],
        "bad_redirect_uri"
    );
    assert_eq!(
        access_with(&mut c, &app.client_id, "nope", &wrong)["error"],
        "bad_client_secret"
    );
    // The right redirect URI, and no grant_type (Slack takes a bare code too).
    let right = [("code", code.as_str()), ("redirect_uri", "https://app.example/oauth")];
    assert_eq!(
        access_with(&mut c, &app.client_id, &app.client_secret, &right)["ok"],
        true
    );
    // Another app's code.
    let other = s.new_app(true);
    let code = mint(json!({"client_id": other.client_id}));
    assert_eq!(redeem(&s, &mut c, &code)["error"], "invalid_code");
    let mine = [("grant_type", "authorization_code"), ("code", code.as_str())];
    assert_eq!(
        access_with(&mut c, &other.client_id, &other.client_secret, &mine)["ok"],
        true
    );
    // No code.
    let none = [("grant_type", "authorization_code")];
    assert_eq!(
        access_with(&mut c, &app.client_id, &app.client_secret, &none)["error"],
        "invalid_arguments"
    );
    // What cannot be minted.
    for bad in [
        json!({"client_id": "1.2"}),
        json!({"bot": false, "user": false}),
        json!({"colour": 1}),
    ] {
        let r = c.control("POST", "authorization_code", bad.clone());
        assert_eq!(r.status, 400, "{bad}");
    }
    assert_eq!(s.stats().installs, 2);
}

#[test]
fn org_wide_user_only_and_rotation_off_installs() {
    let s = start();
    let mut c = Client::connect(s.port());
    let spec = fake_slack::CodeSpec {
        is_enterprise_install: true,
        enterprise_id: Some("E0ORG".into()),
        ..fake_slack::CodeSpec::default()
    };
    let v = redeem(&s, &mut c, &s.mint_code(&spec).unwrap());
    assert_eq!(
        (v["team"].clone(), v["is_enterprise_install"].clone()),
        (Value::Null, json!(true))
    );
    assert_eq!(v["enterprise"], json!({"id": "E0ORG", "name": "Fake Org"}));
    let who = auth_test(&mut c, text(&v, "/access_token"));
    assert_eq!(
        (who["enterprise_id"].as_str(), who["is_enterprise_install"].as_bool()),
        (Some("E0ORG"), Some(true))
    );
    let next = refresh_as(&s, &mut c, text(&v, "/refresh_token"));
    assert_eq!(
        (next["team"].clone(), next["enterprise"]["id"].clone()),
        (Value::Null, json!("E0ORG"))
    );
    // User token only: nothing at the top level.
    let spec = fake_slack::CodeSpec {
        bot: false,
        ..fake_slack::CodeSpec::default()
    };
    let v = redeem(&s, &mut c, &s.mint_code(&spec).unwrap());
    assert!(v.get("access_token").is_none() && v.get("bot_user_id").is_none(), "{v}");
    assert!(text(&v, "/authed_user/refresh_token").starts_with("xoxe-1-"));
    // Rotation off: long-lived tokens, no refresh token.
    let plain = s.new_app(false);
    let spec = fake_slack::CodeSpec {
        client_id: Some(plain.client_id.clone()),
        ..fake_slack::CodeSpec::default()
    };
    let code = s.mint_code(&spec).unwrap();
    let v = access_with(
        &mut c,
        &plain.client_id,
        &plain.client_secret,
        &[("code", code.as_str())],
    );
    assert!(text(&v, "/access_token").starts_with("xoxb-"));
    assert!(
        v.get("refresh_token").is_none() && v["authed_user"].get("refresh_token").is_none(),
        "{v}"
    );
    assert_eq!(auth_test(&mut c, text(&v, "/authed_user/access_token"))["ok"], true);
    assert!(s
        .mint_code(&fake_slack::CodeSpec {
            client_id: Some("9.9".into()),
            ..Default::default()
        })
        .is_err());
}

#[test]
fn auth_revoke_kills_the_whole_chain() {
    let s = start();
    let mut c = Client::connect(s.port());
    let v = redeem(&s, &mut c, &s.mint_code(&fake_slack::CodeSpec::default()).unwrap());
    let first = text(&v, "/access_token").to_string();
    let next = refresh_as(&s, &mut c, text(&v, "/refresh_token"));
    let (access, refresh) = (
        text(&next, "/access_token").to_string(),
        text(&next, "/refresh_token").to_string(),
    );
    // test=1 checks and revokes nothing.
    assert_eq!(revoke(&mut c, &access, true), json!({"ok": true, "revoked": false}));
    assert_eq!(auth_test(&mut c, &access)["ok"], true);
    assert_eq!(s.stats().revocations, 0);
    assert_eq!(revoke(&mut c, &first, false), json!({"ok": true, "revoked": true}));
    for token in [&first, &access] {
        assert_eq!(auth_test(&mut c, token)["error"], "token_revoked");
    }
    assert_eq!(refresh_as(&s, &mut c, &refresh)["error"], "invalid_refresh_token");
    assert_eq!(revoke(&mut c, &access, false)["error"], "token_revoked");
    // The user's chain is another chain.
    assert_eq!(auth_test(&mut c, text(&v, "/authed_user/access_token"))["ok"], true);
    // A legacy token is revoked alone.
    let legacy = s.seeds().legacy_user_token.clone();
    assert_eq!(revoke(&mut c, &legacy, false)["revoked"], true);
    assert_eq!(auth_test(&mut c, &legacy)["error"], "token_revoked");
    assert_eq!(c.form("auth.revoke", &[]).json()["error"], "not_authed");
    assert_eq!(revoke(&mut c, "xoxb-unknown", false)["error"], "invalid_auth");
    let st = s.stats();
    assert_eq!((st.revocations, st.revoked_refresh_token_uses), (2, 1));
}

// ---------------------------------------------------------------------------
// Slack's side of the history (GET /_control/history)

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn the_history_records_every_presentation_and_revocation_and_reset_clears_it() {
    use xoxe_history::{Answer, Event, History};
    let s = FakeSlack::start(Config {
        refresh_grace_ms: 600_000,
        ..Config::default()
    })
    .unwrap();
    let mut c = Client::connect(s.port());
    let rt = s.seeds().config_token.refresh_token.clone();
    let before = now_ms();

    // A rotation, a grace reissue (its pair revoked at once: keep first), a
    // reuse of the revoked refresh token.
    let (t1, r1) = pair_of(&rotate(&mut c, &rt), "token");
    let (t2, r2) = pair_of(&rotate(&mut c, &rt), "token");
    assert_eq!(rotate(&mut c, &r2)["error"], "invalid_refresh_token");
    // Refused before the method ran: a fault that does not apply, a rate limit.
    s.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::SlackError {
            error: "internal_error".into(),
            apply: false,
        },
    ));
    assert_eq!(rotate(&mut c, &r1)["error"], "internal_error");
    s.add_rate_limit(RateLimit {
        method: "tooling.tokens.rotate".into(),
        limit: 0,
        window_secs: 600,
        retry_after: 1,
    });
    assert_eq!(rotate(&mut c, &r1)["error"], "ratelimited");
    s.clear_rate_limits();
    // Slack's clock an hour ahead: the history keeps Slack's time.
    assert_eq!(c.control("POST", "clock", json!({"offset_secs": 3600})).status, 200);
    let v = rotate(&mut c, &r1);
    let (t3, r3) = pair_of(&v, "token");
    let exp3 = v["exp"].as_i64().unwrap() * 1000;

    // An OAuth chain: a refresh grant, one with a bad secret, then auth.revoke.
    let app = s.seeds().app.clone();
    let ex = c
        .form(
            "oauth.v2.exchange",
            &[
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("token", &s.seeds().legacy_bot_token),
            ],
        )
        .json();
    let (_, ort) = pair_of(&ex, "access_token");
    let (oat, ort2) = pair_of(&refresh_as(&s, &mut c, &ort), "access_token");
    let refused = access_with(
        &mut c,
        &app.client_id,
        "wrong",
        &[("grant_type", "refresh_token"), ("refresh_token", &ort2)],
    );
    assert_eq!(refused["error"], "bad_client_secret");
    assert_eq!(revoke(&mut c, &oat, false)["revoked"], true);
    assert_eq!(refresh_as(&s, &mut c, &ort2)["error"], "invalid_refresh_token");

    let served = c.control("GET", "history", Value::Null);
    assert_eq!(served.status, 200);
    assert_eq!(served.json()["truncated"], false);
    let history: History = serde_json::from_slice(&served.body).unwrap();
    // (Compared without printing: a history is full of tokens.)
    assert!(history == s.history(), "the endpoint serves what the server holds");
    assert!(!s.history_truncated());

    let issued = |access: &str, refresh: &str| (access.to_string(), refresh.to_string());
    let mut seen = Vec::new();
    for event in &history.events {
        match event {
            Event::Presented {
                at_ms, refresh, answer, ..
            } => {
                assert!(*at_ms >= before - 1000, "Slack's time, in ms");
                let what = match answer {
                    Answer::Issued {
                        access,
                        refresh: next,
                        expires_at_ms,
                    } => {
                        if *next == r3 {
                            assert_eq!(*expires_at_ms, exp3, "the expiry Slack answered");
                            assert!(*at_ms >= before + 3_599_000, "the skewed clock: {at_ms}");
                        }
                        format!(
                            "issued {:?}",
                            (
                                refresh == &rt || refresh == &r1 || refresh == &ort,
                                issued(access, next)
                            )
                        )
                    }
                    Answer::GraceReissue {
                        access, refresh: next, ..
                    } => format!("grace {:?}", (refresh == &rt, issued(access, next))),
                    Answer::Rejected { code } => format!("rejected {code}"),
                    Answer::Unknown => "unknown".into(),
                };
                seen.push(what);
            }
            Event::Revoked { token, .. } => seen.push(format!(
                "revoked {}",
                if *token == r2 {
                    "r2"
                } else if *token == oat {
                    "oauth access"
                } else {
                    "?"
                }
            )),
            _ => panic!("Slack records no client events"),
        }
    }
    assert_eq!(
        seen,
        [
            format!("issued {:?}", (true, issued(&t1, &r1))),
            format!("grace {:?}", (true, issued(&t2, &r2))),
            "revoked r2".to_string(),
            "rejected invalid_refresh_token".into(),
            "rejected internal_error".into(),
            "rejected ratelimited".into(),
            format!("issued {:?}", (true, issued(&t3, &r3))),
            format!("issued {:?}", (true, issued(&oat, &ort2))),
            "rejected bad_client_secret".into(),
            "revoked oauth access".into(),
            "rejected invalid_refresh_token".into(),
        ]
    );
    let summary = xoxe_history::check(&history).summary;
    assert_eq!(
        (
            summary.presentations,
            summary.issued,
            summary.grace_reissues,
            summary.rejections,
            summary.revocations
        ),
        (9, 3, 1, 5, 2)
    );

    // Reset empties it; the benchmark token is never recorded.
    assert_eq!(c.control("POST", "reset", Value::Null).json()["ok"], true);
    assert_eq!(
        c.control("GET", "history", Value::Null).json(),
        json!({"events": [], "truncated": false})
    );
    assert_eq!(c.control("DELETE", "history", Value::Null).status, 405);
    let (_, r4) = pair_of(&rotate(&mut c, &r3), "token");
    assert_eq!(s.history().events.len(), 1);
    s.clear_history();
    assert!(s.history().events.is_empty());
    assert_eq!(s.refresh_token_age(&r4), Some(0));
}

#[test]
fn the_benchmark_token_is_not_recorded() {
    let s = FakeSlack::start(Config {
        bench_refresh_token: Some("xoxe-1-bench".into()),
        ..Config::default()
    })
    .unwrap();
    let mut c = Client::connect(s.port());
    for _ in 0..3 {
        assert_eq!(rotate(&mut c, "xoxe-1-bench")["ok"], true);
    }
    assert!(s.history().events.is_empty());
}
