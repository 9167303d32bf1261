//! The `fake-slack` binary: stdout line, ready file, issued-tokens file, shutdown paths.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "fake-slack did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn post(port: u16, path: &str, body: &str, ctype: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nConnection: close\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn run(dir: &std::path::Path, stop_with_signal: bool) {
    let ready = dir.join("ready.json");
    let issued = dir.join("issued.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--port", "0", "--token-ttl", "600", "--ready-file"])
        .arg(&ready)
        .arg("--issued-tokens-file")
        .arg(&issued)
        .args(["--legacy-bot-token", "xoxb-from-flag"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let info: Value = serde_json::from_slice(&std::fs::read(&ready).unwrap()).unwrap();
    let port = info["port"].as_u64().unwrap() as u16;
    assert_eq!(line, format!("fake-slack listening on http://127.0.0.1:{port}/api/\n"));
    assert_eq!(info["base_url"], format!("http://127.0.0.1:{port}/api/"));
    assert_eq!(info["control_url"], format!("http://127.0.0.1:{port}/_control/"));
    assert_eq!(info["legacy_bot_token"], "xoxb-from-flag");
    for k in ["app_id", "client_id", "client_secret"] {
        assert!(info["app"][k].is_string());
    }
    for k in ["token", "refresh_token", "team_id", "user_id"] {
        assert!(info["config_token"][k].is_string());
    }
    assert_eq!(
        info["config_token"]["exp"].as_u64().unwrap() - info["config_token"]["iat"].as_u64().unwrap(),
        600
    );
    let mode = std::fs::metadata(&ready).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A rotation through the process.
    let rt = info["config_token"]["refresh_token"].as_str().unwrap();
    let resp = post(
        port,
        "/api/tooling.tokens.rotate",
        &format!("refresh_token={rt}"),
        "application/x-www-form-urlencoded",
    );
    assert!(resp.contains("\"ok\":true"), "{resp}");
    // Seeds over HTTP equal the ready file.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /_control/seeds HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut seeds = String::new();
    s.read_to_string(&mut seeds).unwrap();
    let seeds: Value = serde_json::from_str(seeds.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(seeds, info);
    // Stop.
    if stop_with_signal {
        unsafe_kill(child.id());
    } else {
        let r = post(port, "/_control/shutdown", "", "application/json");
        assert!(r.contains("\"ok\":true"));
    }
    assert!(wait_exit(&mut child).success());
    // Logs never carry a secret.
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let logs = format!("{line}{rest}{err}");
    let issued = std::fs::read_to_string(&issued).unwrap();
    assert!(issued.lines().count() >= 7, "seeded + rotated secrets recorded");
    assert!(issued.contains(rt) && issued.contains("xoxb-from-flag"));
    for secret in issued.lines() {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

fn unsafe_kill(pid: u32) {
    let ok = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(ok.success());
}

#[test]
fn binary_ready_file_and_control_shutdown() {
    let dir = std::env::temp_dir().join(format!("fake-slack-bin-{}-a", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(&dir, false);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_exits_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("fake-slack-bin-{}-b", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(&dir, true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_rejects_bad_flags_without_echoing_values() {
    let out = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--bogus=xoxb-secret-value"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("xoxb-secret-value"));
}

#[test]
fn binary_takes_the_refresh_grace_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--grace-keep", "third"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--grace-keep needs first or second"));
    let out = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--refresh-grace-ms", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-slack"))
        .args(["--port", "0", "--refresh-grace-ms=2500", "--grace-keep", "second"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .trim_end_matches("/api/")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /_control/refresh_grace HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let v: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(v, serde_json::json!({"grace_ms": 2500, "keep": "second"}));
    assert!(post(port, "/_control/shutdown", "", "application/json").contains("\"ok\":true"));
    assert!(wait_exit(&mut child).success());
}
