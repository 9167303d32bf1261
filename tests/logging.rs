//! The log sink: off by default, sees requests, retries, rotations and store
//! events, and never a secret. (Own test binary: the logger is process-wide.)

mod common;

use common::{client, server};
use fake_slack::{Fault, FaultKind};
use std::sync::{Arc, Mutex};
use xoxe::{ChainKind, FileStore, LogLevel, Rotator, RotatorOptions, Secret, StoredPair};

static LINES: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
/// Held by each test while it owns the process-wide logger.
static TURN: Mutex<()> = Mutex::new(());

fn collect() -> xoxe::LogSink {
    Box::new(|level, line| LINES.lock().unwrap().push((level as u32, line.to_string())))
}

#[test]
fn log_lines_cover_requests_retries_rotations_and_hold_no_secret() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let seed = slack.new_config_token(None);
    xoxe.auth_test(&seed.token, None).unwrap();
    assert!(LINES.lock().unwrap().is_empty(), "logging is off by default");

    xoxe::set_logger(Some(collect()), Some(LogLevel::Debug));
    let dir = std::env::temp_dir().join(format!("xoxe-log-{}", std::process::id()));
    // Private whatever the umask: the file store refuses a directory others may write.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
    let store = Arc::new(FileStore::new(dir.join("pair.json"), std::time::Duration::from_secs(10)).unwrap());
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
    xoxe::set_logger(None, None);
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
    assert!(
        has(LogLevel::Warn, "tooling.tokens.rotate: outcome unknown after"),
        "{lines:#?}"
    );
    // Only an unknown outcome is a warning; a refusal (here, rate limited) is debug.
    assert!(
        has(LogLevel::Debug, "tooling.tokens.rotate: ratelimited after"),
        "{lines:#?}"
    );
    assert!(!has(LogLevel::Warn, "tooling.tokens.rotate: ratelimited"), "{lines:#?}");
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

#[test]
fn a_requests_logged_duration_is_its_own_in_milliseconds() {
    static TIMED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    // This test binary's other test uses the process-wide logger too: take turns.
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let slack = server();
    let xoxe = client(&slack);
    let token = slack.new_config_token(None).token;
    slack.inject(Fault::new("auth.test", FaultKind::Delay { delay_ms: 300 }));
    xoxe::set_logger(
        Some(Box::new(|_, line| TIMED.lock().unwrap().push(line.to_string()))),
        Some(LogLevel::Debug),
    );
    let started = std::time::Instant::now();
    xoxe.auth_test(&token, None).unwrap();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    xoxe::set_logger(None, None);
    let lines = TIMED.lock().unwrap().clone();
    let line = lines
        .iter()
        .find(|l| l.starts_with("auth.test: HTTP 200 ok in "))
        .expect("the request line");
    let ms: f64 = line["auth.test: HTTP 200 ok in ".len()..]
        .trim_end_matches(" ms")
        .parse()
        .unwrap();
    assert!(
        (300.0..=elapsed_ms + 1.0).contains(&ms),
        "{ms} ms logged, {elapsed_ms} ms measured"
    );
}

#[test]
fn an_undecodable_answer_is_logged_by_size_never_by_content() {
    static KEPT: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let slack = server();
    let xoxe = client(&slack);
    xoxe::set_logger(
        Some(Box::new(|level, line| {
            KEPT.lock().unwrap().push((level as u32, line.to_string()))
        })),
        Some(LogLevel::Debug),
    );
    let mut bodies = Vec::new();
    for kind in [
        FaultKind::MalformedJson { apply: true },
        FaultKind::TruncatedJson { apply: true },
        FaultKind::WrongShape { apply: true },
    ] {
        let seed = slack.new_config_token(None);
        slack.inject(Fault::new("tooling.tokens.rotate", kind));
        let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
        bodies.push(err.response_json.expect("the raw body is kept"));
    }
    xoxe::set_logger(None, None);
    let lines = KEPT.lock().unwrap().clone();
    for body in &bodies {
        let line = format!(
            "tooling.tokens.rotate: the answer could not be decoded; its raw body ({} bytes, may hold the new tokens) is on the error",
            body.len()
        );
        assert!(
            lines
                .iter()
                .any(|(l, t)| *l == LogLevel::Warn as u32 && t.starts_with(&line)),
            "{lines:#?}"
        );
    }
    for secret in slack.issued_secrets() {
        assert!(
            !lines.iter().any(|(_, t)| t.contains(&secret)),
            "a log line holds a secret"
        );
    }
    assert!(
        !lines.iter().any(|(_, t)| t.contains("\"ok\":true")),
        "no line quotes a body: {lines:#?}"
    );
}
