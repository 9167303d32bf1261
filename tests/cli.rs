//! The `xoxe` command line against the fake Slack: the workflow, exit codes per
//! failure family, and no secret on the command line or in its output.

mod common;

use common::{client, server};
use fake_slack::{Fault, FaultKind};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn xoxe(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xoxe"));
    cmd.args(args)
        .env_remove("XOXE_REFRESH_TOKEN")
        .env_remove("XOXE_ACCESS_TOKEN")
        .envs(env.iter().copied());
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    capture(args.first().copied().unwrap_or(""), &out);
    out
}

/// Appends what the command printed to `$XOXE_TEST_LOGS/cli-output.log`, which
/// `make test`'s secret scan reads with every other log (all but the token that
/// `xoxe token` exists to print).
fn capture(subcommand: &str, out: &Output) {
    let Some(dir) = std::env::var_os("XOXE_TEST_LOGS") else {
        return;
    };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::Path::new(&dir).join("cli-output.log"))
        .unwrap();
    // `xoxe token` prints the token on stdout: that is its job (TOKEN=$(xoxe token …)).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stdout = if subcommand == "token" {
        xoxe::redact(stdout.trim())
    } else {
        stdout.into_owned()
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    writeln!(
        log,
        "$ xoxe {subcommand} (exit {:?})\n{stdout}{stderr}",
        out.status.code()
    )
    .unwrap();
}

/// No secret the fake Slack ever issued appears in the output, in full.
fn assert_no_secret(slack: &fake_slack::FakeSlack, out: &Output) {
    let shown = text(out);
    for secret in slack.issued_secrets() {
        assert!(!shown.contains(&secret), "the output shows a secret in full");
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn store_in(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("xoxe-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    let s = path.to_str().unwrap().to_string();
    (path, s)
}

fn cleanup(path: &Path) {
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn init_token_status_workflow() {
    let slack = server();
    let seed = slack.new_config_token(None);
    let (path, store) = store_in("workflow");
    let url = slack.base_url();

    let out = xoxe(
        &["init", "--store", &store],
        Some(&format!("{}\n", seed.refresh_token)),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let again = xoxe(
        &["init", "--store", &store],
        Some(&format!("{}\n", seed.refresh_token)),
        &[],
    );
    assert_eq!(
        again.status.code(),
        Some(3),
        "an existing chain is not overwritten without --force"
    );

    let first = xoxe(&["token", "--store", &store, "--base-url", &url], None, &[]);
    assert!(first.status.success(), "{}", text(&first));
    let token = String::from_utf8(first.stdout.clone()).unwrap().trim().to_string();
    client(&slack).auth_test(&token, None).unwrap();
    let second = xoxe(&["token", "--store", &store, "--base-url", &url], None, &[]);
    assert_eq!(
        String::from_utf8(second.stdout).unwrap().trim(),
        token,
        "fresh: no second rotation"
    );
    assert_eq!(slack.stats().rotations, 1);

    let status = xoxe(&["status", "--store", &store], None, &[]);
    assert!(status.status.success());
    let shown = text(&status);
    assert!(
        shown.contains("generation:    1") && shown.contains(&seed.team_id),
        "{shown}"
    );
    assert!(!shown.contains(&token), "status shows tokens redacted");
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let stored_refresh = stored["refresh_token"].as_str().unwrap();
    assert!(
        !shown.contains(stored_refresh),
        "status shows the refresh token redacted"
    );
    assert!(shown.contains(&xoxe::redact(stored_refresh)), "{shown}");
    assert_no_secret(&slack, &status);

    // --force re-initialises, here from the environment instead of stdin.
    let fresh = slack.new_config_token(None);
    let out = xoxe(
        &["init", "--store", &store, "--force"],
        None,
        &[("XOXE_REFRESH_TOKEN", &fresh.refresh_token)],
    );
    assert!(out.status.success(), "{}", text(&out));
    cleanup(&path);
}

#[test]
fn exit_codes_say_which_family_failed() {
    let slack = server();
    let url = slack.base_url();
    let (path, store) = store_in("codes");
    let init = |refresh: &str| {
        let out = xoxe(&["init", "--store", &store, "--force"], Some(refresh), &[]);
        assert!(out.status.success(), "{}", text(&out));
    };
    let token = |base: &str| xoxe(&["token", "--store", &store, "--base-url", base], None, &[]);

    // usage
    assert_eq!(xoxe(&[], None, &[]).status.code(), Some(2));
    assert_eq!(
        xoxe(&["token"], None, &[]).status.code(),
        Some(2),
        "--store is required"
    );
    assert_eq!(xoxe(&["--help"], None, &[]).status.code(), Some(0));
    assert!(text(&xoxe(&["--version"], None, &[])).contains(env!("CARGO_PKG_VERSION")));
    init(&slack.new_config_token(None).refresh_token);
    assert_eq!(token("http://example.com/api/").status.code(), Some(2), "insecure URL");
    // store
    assert_eq!(
        xoxe(&["status", "--store", "/nonexistent/dir/s.json"], None, &[])
            .status
            .code(),
        Some(3)
    );
    // outcome unknown: the rotation happened, the answer was lost
    slack.inject(Fault::new("tooling.tokens.rotate", FaultKind::DropAfterApply));
    let out = token(&url);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(text(&out).contains("still holds the previous pair"));
    // chain dead: the stored refresh token was spent by that lost rotation
    assert_eq!(token(&url).status.code(), Some(4));
    // rate limited, with retries waited out first (Retry-After 0)
    init(&slack.new_config_token(None).refresh_token);
    slack.inject(Fault::new("tooling.tokens.rotate", FaultKind::Ratelimited { retry_after: Some(0) }).times(3));
    assert_eq!(token(&url).status.code(), Some(6));
    // transport: nothing listening
    assert_eq!(token("http://127.0.0.1:9/api/").status.code(), Some(7));
    // a definite Slack error
    slack.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::SlackError {
            error: "team_added_to_org".into(),
            apply: false,
        },
    ));
    assert_eq!(token(&url).status.code(), Some(8));
    cleanup(&path);
}

#[test]
fn a_token_on_the_command_line_is_refused_and_never_echoed() {
    let slack = server();
    let secret = slack.new_config_token(None).refresh_token;
    for args in [
        vec!["init", "--store", "/tmp/x.json", secret.as_str()],
        vec!["token", &format!("--refresh-token={secret}")],
    ] {
        let out = xoxe(&args, None, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(!text(&out).contains(&secret), "the argument was echoed");
    }
}

#[test]
fn a_store_named_without_a_directory_lives_in_the_working_directory() {
    let slack = server();
    let (path, _) = store_in("relative");
    let dir = path.parent().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xoxe"));
        cmd.args(args)
            .current_dir(dir)
            .env_remove("XOXE_REFRESH_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        capture(args[0], &out);
        out
    };
    let seed = slack.new_config_token(None);
    let out = run(
        &["init", "--store", "pair.json"],
        Some(&format!("{}\n", seed.refresh_token)),
    );
    assert!(out.status.success(), "{}", text(&out));
    let url = slack.base_url();
    let out = run(&["token", "--store", "pair.json", "--base-url", &url], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(slack.stats().rotations, 1);
    assert!(dir.join("pair.json").is_file(), "saved in the working directory");
    cleanup(&path);
}
