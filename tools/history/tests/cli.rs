//! The `xoxe-history-check` binary: summary and exit 0 for a clean history,
//! every violation and exit 1 otherwise, exit 2 for a document it cannot read;
//! several files are merged, stdin is read when no file is given.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use xoxe_history::{fingerprint, Answer, Event, History};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xoxe-history-check"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Slack's side: r0 spent for (a1, r1), then r0 presented again.
fn slack_side(again: bool) -> History {
    let mut h = History::new();
    h.record(Event::Presented {
        at_ms: 10,
        refresh: "xoxe-1-r0".into(),
        by: String::new(),
        answer: Answer::Issued {
            access: "xoxe.xoxp-1-a1".into(),
            refresh: "xoxe-1-r1".into(),
            expires_at_ms: 100_000,
        },
    });
    if again {
        h.record(Event::Presented {
            at_ms: 50,
            refresh: "xoxe-1-r0".into(),
            by: String::new(),
            answer: Answer::Rejected {
                code: "invalid_refresh_token".into(),
            },
        });
    }
    h
}

/// The client's side: seeded r0, saved (a1, r1), handed a1 out, ends on it.
fn client_side() -> History {
    let mut h = History::new();
    h.record(Event::Seeded {
        chain: "c".into(),
        access: String::new(),
        refresh: "xoxe-1-r0".into(),
    });
    h.record(Event::Saved {
        at_ms: 20,
        chain: "c".into(),
        generation: 1,
        access: "xoxe.xoxp-1-a1".into(),
        refresh: "xoxe-1-r1".into(),
        by: String::new(),
    });
    h.record(Event::HandedOut {
        at_ms: 30,
        chain: "c".into(),
        access: "xoxe.xoxp-1-a1".into(),
        by: String::new(),
    });
    h.record(Event::Final {
        chain: "c".into(),
        access: "xoxe.xoxp-1-a1".into(),
        refresh: "xoxe-1-r1".into(),
        generation: 1,
        revoked: false,
    });
    h
}

fn write(dir: &std::path::Path, name: &str, history: &History) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(history).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xoxe-history-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_clean_history_from_two_files_prints_the_summary_and_exits_0() {
    let dir = tempdir();
    let slack = write(&dir, "slack.json", &slack_side(false));
    let client = write(&dir, "client.json", &client_side());
    let out = run(&[&slack, &client], b"");
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("1 presentations (1 issued"), "{stdout}");
    assert!(
        stdout.contains("1 handouts") && stdout.contains("no violations"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn violations_are_listed_by_fingerprint_and_exit_1() {
    let dir = tempdir();
    let slack = write(&dir, "slack.json", &slack_side(true));
    let client = write(&dir, "client.json", &client_side());
    let out = run(&[&slack, &client], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("double_spend"), "{stdout}");
    assert!(stdout.contains(&fingerprint("xoxe-1-r0")), "{stdout}");
    assert!(
        !stdout.contains("xoxe-1-r0") && !stdout.contains("xoxp-1-a1"),
        "no whole token: {stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stdin_is_read_with_no_file_or_dash_and_slack_s_document_is_accepted() {
    let mut events = slack_side(false).events;
    events.extend(client_side().events);
    let served = serde_json::json!({"events": events, "truncated": false}).to_string();
    for args in [&[][..], &["-"][..]] {
        let out = run(args, served.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn an_unreadable_document_exits_2_without_echoing_it() {
    let out = run(
        &[],
        br#"{"events": [{"event": "presented", "refresh": "xoxe-1-secret"}]}"#,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not a history document"), "{stderr}");
    assert!(!stderr.contains("xoxe-1-secret"), "{stderr}");
    let out = run(&["/nonexistent/history.json"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--bogus"], b"");
    assert_eq!(out.status.code(), Some(2));
}
