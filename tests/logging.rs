//! The log callback: off by default, sees requests, retries, rotations and store
//! events, and never a secret. (Own test binary: the logger is process-wide.)

mod common;

use common::{client, server};
use fake_slack::{Fault, FaultKind};
use std::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, Mutex};
use xoxe::{ChainKind, FileStore, LogLevel, Rotator, RotatorOptions, Secret, StoredPair};

static LINES: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn collect(_user_data: *mut c_void, level: u32, message: *const c_char) {
    let text = CStr::from_ptr(message).to_string_lossy().into_owned();
    LINES.lock().unwrap().push((level, text));
}

#[test]
fn log_lines_cover_requests_retries_rotations_and_hold_no_secret() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let seed = slack.new_config_token(None);
    xoxe.auth_test(&seed.token, None).unwrap();
    assert!(LINES.lock().unwrap().is_empty(), "logging is off by default");

    xoxe::set_logger(Some(collect), std::ptr::null_mut(), LogLevel::Debug as u32);
    let dir = std::env::temp_dir().join(format!("xoxe-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(FileStore::new(
        dir.join("pair.json"),
        std::time::Duration::from_secs(10),
    ));
    let seed_pair = StoredPair::seed(ChainKind::Config, Secret::new(seed.refresh_token.clone()), None, 0);
    xoxe::store::init(store.as_ref(), seed_pair, false).unwrap();
    let rotator = Rotator::config(xoxe.clone(), store, RotatorOptions::default());
    slack.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::Ratelimited { retry_after: Some(0) },
    ));
    let token = rotator.get().unwrap();
    slack.inject(Fault::new("tooling.tokens.rotate", FaultKind::DropAfterApply));
    let _ = rotator.force_rotate().unwrap_err();
    let _ = rotator.force_rotate().unwrap_err(); // the lost rotation spent the token: dead chain
    xoxe::set_logger(None, std::ptr::null_mut(), 0);
    let logged = LINES.lock().unwrap().len();
    xoxe.auth_test(token.token.expose(), None).unwrap();
    assert_eq!(
        LINES.lock().unwrap().len(),
        logged,
        "nothing is logged once the logger is removed"
    );

    let lines = LINES.lock().unwrap().clone();
    let has = |level: LogLevel, needle: &str| lines.iter().any(|(l, t)| *l == level as u32 && t.contains(needle));
    assert!(has(LogLevel::Debug, "tooling.tokens.rotate: HTTP 200 ok"), "{lines:#?}");
    assert!(
        has(LogLevel::Info, "rate limited; waiting 0 s (retry 1 of 2)"),
        "{lines:#?}"
    );
    assert!(has(LogLevel::Info, "rotating the Config chain"), "{lines:#?}");
    assert!(has(LogLevel::Info, "saved generation 1"), "{lines:#?}");
    assert!(has(LogLevel::Warn, "outcome unknown"), "{lines:#?}");
    assert!(has(LogLevel::Error, "is dead"), "{lines:#?}");
    assert!(has(LogLevel::Debug, "locked "), "{lines:#?}");
    for secret in slack.issued_secrets() {
        assert!(
            !lines.iter().any(|(_, t)| t.contains(&secret)),
            "a log line holds a secret"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
