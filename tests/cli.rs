//! The `xoxe` command line against the fake Slack: the workflow, exit codes per
//! failure family, and no secret on the command line or in its output.

mod common;

use common::{client, requests, server};
use fake_slack::{Fault, FaultKind};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn xoxe(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    run(args, stdin.unwrap_or("").as_bytes(), env, Stdio::piped())
}

/// Runs the command with `stdin` as its input and standard output on `stdout`.
fn run(args: &[&str], stdin: &[u8], env: &[(&str, &str)], stdout: Stdio) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xoxe"));
    cmd.args(args)
        .env_remove("XOXE_REFRESH_TOKEN")
        .env_remove("XOXE_ACCESS_TOKEN")
        .env_remove("XOXE_EXPIRES_AT")
        .env_remove("XOXE_LOG")
        .envs(env.iter().copied());
    cmd.stdin(Stdio::piped()).stdout(stdout).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // A command that fails before reading its input (a usage error, a store that
    // cannot be opened) may have exited already: that is its answer, not ours.
    if let Err(e) = input.write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    capture(args.first().copied().unwrap_or(""), &out);
    out
}

/// Standard output that fails every write (`ENOSPC`), like a full disk.
fn dev_full() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
        .into()
}

/// Writes a store by hand, in the shape `xoxe init` writes (mode 0600).
fn write_store(path: &Path, fields: serde_json::Value) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut pair = serde_json::json!({
        "format": 1,
        "kind": "config",
        "access_token": "",
        "refresh_token": NOT_ISSUED_REFRESH_TOKEN,
        "expires_at": 0,
        "generation": 0,
        "lifetime": 0,
    });
    for (key, value) in fields.as_object().unwrap() {
        pair[key] = value.clone();
    }
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(&serde_json::to_vec_pretty(&pair).unwrap()).unwrap();
}

/// A well-formed refresh token the fake Slack never issued (for stores no test rotates).
const NOT_ISSUED_REFRESH_TOKEN: &str = "xoxe-1-0123456789abcdef0123456789abcdef01234567";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
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
    let stdout = if subcommand == "token" && !stdout.trim().is_empty() {
        format!("{}\n", xoxe::redact(stdout.trim()))
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
    // Private whatever the umask: the file store refuses a directory others may write.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
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

#[test]
fn output_that_cannot_be_written_is_a_failure() {
    let slack = server();
    let url = slack.base_url();
    let (path, store) = store_in("full");
    let seed = slack.new_config_token(None);
    let out = xoxe(
        &["init", "--store", &store],
        Some(&format!("{}\n", seed.refresh_token)),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));

    let out = run(&["token", "--store", &store, "--base-url", &url], b"", &[], dev_full());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot write the token"), "{}", text(&out));
    assert!(text(&out).contains("the token is saved in the store"), "{}", text(&out));
    assert_no_secret(&slack, &out);
    assert_eq!(slack.stats().rotations, 1);
    // The token nobody received is in the store: the next run prints it, no rotation.
    let again = xoxe(&["token", "--store", &store, "--base-url", &url], None, &[]);
    assert!(again.status.success(), "{}", text(&again));
    let token = String::from_utf8(again.stdout.clone()).unwrap().trim().to_string();
    client(&slack).auth_test(&token, None).unwrap();
    assert_eq!(slack.stats().rotations, 1);

    for (args, what) in [
        (vec!["status", "--store", &store], "cannot write the status"),
        (vec!["--version"], "cannot write the version"),
        (vec!["--help"], "cannot write the help"),
    ] {
        let out = run(&args, b"", &[], dev_full());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(what), "{}", text(&out));
    }
    cleanup(&path);
}

#[test]
fn init_refuses_what_is_not_a_refresh_token_and_never_echoes_it() {
    let slack = server();
    let pair = slack.new_config_token(None);
    let (refresh, access) = (pair.refresh_token.as_str(), pair.token.as_str());
    let (path, store) = store_in("init-input");
    let refused = |stdin: &[u8], env: &[(&str, &str)], why: &str| {
        let out = run(&["init", "--store", &store], stdin, env, Stdio::piped());
        assert_eq!(out.status.code(), Some(2), "{why}: {}", text(&out));
        assert!(text(&out).contains(why), "expected {why:?}: {}", text(&out));
        assert!(!path.exists(), "{why}: nothing is stored");
        assert_no_secret(&slack, &out);
    };
    let lines = |lines: &[&[u8]]| lines.concat();
    // The two lines swapped: an access token where the refresh token belongs.
    refused(
        &lines(&[access.as_bytes(), b"\n", refresh.as_bytes(), b"\n"]),
        &[],
        "line 1 of stdin holds an access token",
    );
    refused(
        &lines(&[refresh.as_bytes(), b"\n", refresh.as_bytes(), b"\n"]),
        &[],
        "line 2 of stdin holds a refresh token",
    );
    refused(b"hunter2hunter2\n", &[], "line 1 of stdin is not a refresh token");
    refused(
        b"",
        &[("XOXE_REFRESH_TOKEN", access)],
        "XOXE_REFRESH_TOKEN holds an access token",
    );
    refused(
        &lines(&[
            refresh.as_bytes(),
            b"\n",
            access.as_bytes(),
            b"\n",
            refresh.as_bytes(),
            b"\n",
        ]),
        &[],
        "more than two lines",
    );
    // Invalid UTF-8 is an error, not an access token silently dropped.
    refused(
        &lines(&[refresh.as_bytes(), b"\n", access.as_bytes(), b"\xff\n"]),
        &[],
        "line 2 of stdin is not valid UTF-8",
    );
    refused(
        &lines(&[b"\xfe", refresh.as_bytes(), b"\n"]),
        &[],
        "line 1 of stdin is not valid UTF-8",
    );
    let line = lines(&[refresh.as_bytes(), b"\n"]);
    for garbage in ["tomorrow", "-5", "1.5", "99999999999999999999"] {
        refused(
            &line,
            &[("XOXE_EXPIRES_AT", garbage)],
            "XOXE_EXPIRES_AT must be Unix seconds",
        );
    }
    let millis = (now() * 1000).to_string();
    refused(
        &line,
        &[("XOXE_EXPIRES_AT", &millis)],
        "XOXE_EXPIRES_AT is more than 30 days ahead",
    );

    // Today's trimming stays: a byte-order mark, CRLF, spaces, tabs, NBSP, blank lines.
    let expires = (now() + 3 * 3600 - 60).to_string();
    let out = run(
        &["init", "--store", &store],
        format!("\u{feff}\r\n  {refresh}\t\r\n\r\n\u{a0}{access} \r\n\n").as_bytes(),
        &[("XOXE_EXPIRES_AT", &expires)],
        Stdio::piped(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&xoxe(&["status", "--store", &store], None, &[]));
    assert!(
        shown.contains(&format!("access token:  {}\n", xoxe::redact(access))),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("refresh token: {}\n", xoxe::redact(refresh))),
        "{shown}"
    );
    assert!(shown.contains(&format!("expires:       {expires} (in 2h5")), "{shown}");
    // The given access token is fresh (3 h left, 2 h window): handed out, no rotation.
    let out = xoxe(
        &["token", "--store", &store, "--base-url", &slack.base_url()],
        None,
        &[],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), access);
    assert_eq!(slack.stats().rotations, 0);
    cleanup(&path);
}

#[test]
fn a_store_holding_an_oauth_chain_is_a_store_error() {
    let slack = server();
    let (path, store) = store_in("oauth");
    write_store(&path, serde_json::json!({ "kind": "oauth", "generation": 3 }));
    let out = xoxe(
        &["token", "--store", &store, "--base-url", &slack.base_url()],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("holds an oauth chain"), "{}", text(&out));
    assert!(!text(&out).contains(NOT_ISSUED_REFRESH_TOKEN));
    assert_eq!(requests(&slack, "tooling.tokens.rotate"), 0, "nothing was sent");
    // `status` shows any chain.
    let out = xoxe(&["status", "--store", &store], None, &[]);
    assert!(
        out.status.success() && text(&out).contains("kind:          Oauth"),
        "{}",
        text(&out)
    );
    cleanup(&path);
}

#[test]
fn huge_durations_are_usage_errors_not_panics() {
    let slack = server();
    let url = slack.base_url();
    let (path, store) = store_in("durations");
    let seed = slack.new_config_token(None);
    let out = xoxe(&["init", "--store", &store], Some(&seed.refresh_token), &[]);
    assert!(out.status.success(), "{}", text(&out));
    for flag in ["--timeout", "--window"] {
        for secs in [
            "18446744073709551615",
            "9223372036854775807",
            "86401",
            "0",
            "-1",
            "1e3",
            "",
        ] {
            let out = xoxe(&["token", "--store", &store, "--base-url", &url, flag, secs], None, &[]);
            assert_eq!(out.status.code(), Some(2), "{flag} {secs}: {}", text(&out));
            assert!(
                text(&out).contains(&format!("{flag} takes a number of seconds from 1 to 86400")),
                "{}",
                text(&out)
            );
            assert!(!text(&out).contains("panicked"), "{}", text(&out));
        }
    }
    assert_eq!(requests(&slack, "tooling.tokens.rotate"), 0, "nothing was sent");
    let out = xoxe(
        &[
            "token",
            "--store",
            &store,
            "--base-url",
            &url,
            "--timeout",
            "86400",
            "--window",
            "86400",
        ],
        None,
        &[],
    );
    assert!(out.status.success(), "the bound itself is allowed: {}", text(&out));
    assert_eq!(slack.stats().rotations, 1);
    cleanup(&path);
}

#[test]
fn status_survives_absurd_stored_values() {
    let (path, store) = store_in("absurd");
    for (expires_at, lifetime, generation) in [
        (i64::MIN, -1, u64::MAX - 1),
        (i64::MAX, i64::MIN, 0),
        (-5, -43_200, 1),
        (now() + 20 * 366 * 86_400, 43_200, 2),
    ] {
        write_store(
            &path,
            serde_json::json!({
                "access_token": "xoxe.xoxp-1-0123456789abcdef0123456789abcdef01234567",
                "expires_at": expires_at,
                "lifetime": lifetime,
                "generation": generation,
            }),
        );
        let out = xoxe(&["status", "--store", &store], None, &[]);
        let shown = text(&out);
        assert!(out.status.success(), "{shown}");
        assert!(
            shown.contains(&format!(
                "expires:       {expires_at} (expiry unknown: not a plausible time)\n"
            )),
            "{shown}"
        );
        assert!(shown.contains(&format!("generation:    {generation}\n")), "{shown}");
        assert!(!shown.contains("ago") && !shown.contains("(in "), "{shown}");
    }
    cleanup(&path);
}

#[test]
fn strings_from_slack_or_the_store_cannot_drive_the_terminal() {
    let (path, store) = store_in("escape");
    write_store(
        &path,
        serde_json::json!({
            // Written to the file as JSON escapes: "T1\u001b[2J…\n…".
            "team_id": "T1\u{1b}[2J\u{1b}[31mINJECTED\nrefresh token: xoxe-1-fake",
            "user_id": "U1\r\u{9b}31m\u{202e}evil\u{7}",
        }),
    );
    let out = xoxe(&["status", "--store", &store], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8(out.stdout.clone()).unwrap();
    for raw in ['\u{1b}', '\r', '\u{9b}', '\u{202e}', '\u{7}'] {
        assert!(!shown.contains(raw), "{raw:?} printed raw: {shown:?}");
    }
    assert_eq!(shown.lines().count(), 8, "no injected line: {shown}");
    assert_eq!(shown.lines().filter(|l| l.starts_with("refresh token:")).count(), 1);
    assert!(
        shown.contains("team:          T1\\x1b[2J\\x1b[31mINJECTED\\nrefresh token: xoxe-1-fake\n"),
        "{shown}"
    );
    assert!(
        shown.contains("user:          U1\\r\\u{9b}31m\\u{202e}evil\\x07\n"),
        "{shown}"
    );

    // A Slack error code, in the error and in the log lines.
    let slack = server();
    let seed = slack.new_config_token(None);
    let out = xoxe(&["init", "--store", &store, "--force"], Some(&seed.refresh_token), &[]);
    assert!(out.status.success(), "{}", text(&out));
    slack.inject(Fault::new(
        "tooling.tokens.rotate",
        FaultKind::SlackError {
            error: "\u{1b}]0;PWNED\u{7}\u{1b}[2J\nxoxe: all is well".into(),
            apply: false,
        },
    ));
    let out = xoxe(
        &["token", "--store", &store, "--base-url", &slack.base_url()],
        None,
        &[("XOXE_LOG", "debug")],
    );
    assert!(!out.status.success());
    let shown = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown:?}");
    // The library never repeats a code outside Slack's alphabet; the CLI escapes
    // whatever else it prints.
    assert!(shown.contains("Slack said an unrecognised error code"), "{shown}");
    assert!(
        !shown.lines().any(|l| l == "xoxe: all is well"),
        "no injected line: {shown}"
    );
    assert!(shown.contains("[xoxe debug] "), "log lines still go to stderr: {shown}");
    cleanup(&path);
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"xoxe-1-\xff");
    let out = Command::new(env!("CARGO_BIN_EXE_xoxe"))
        .arg("status")
        .arg(bad)
        .output()
        .unwrap();
    capture("status", &out);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not valid UTF-8"), "{}", text(&out));
    // A store path need not be UTF-8: this one just does not exist.
    let missing = std::ffi::OsStr::from_bytes(b"/nonexistent/\xff.json");
    let out = Command::new(env!("CARGO_BIN_EXE_xoxe"))
        .args(["status".as_ref(), "--store".as_ref(), missing])
        .output()
        .unwrap();
    capture("status", &out);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn a_store_that_cannot_take_the_next_pair_spends_nothing() {
    use std::os::unix::process::CommandExt;
    let (path, store) = store_in("full");
    let slack = server();
    let seed = slack.new_config_token(None);
    let out = xoxe(&["init", "--store", &store], Some(&seed.refresh_token), &[]);
    assert!(out.status.success(), "{}", text(&out));
    // Files of this process may not grow past 512 bytes: like a full disk, the
    // next pair cannot be written. The save is prepared first, so the refresh
    // token is never sent.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xoxe"));
    cmd.args(["token", "--store", &store, "--base-url", &slack.base_url()])
        .env_remove("XOXE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 512,
                rlim_max: 512,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    capture("token", &out);
    assert_eq!(out.status.code(), Some(3), "a store failure: {}", text(&out));
    assert!(text(&out).contains("(store_io)"), "an I/O failure: {}", text(&out));
    assert_eq!(slack.stats().rotations, 0, "no refresh token was spent");
    // With room again, the same chain rotates.
    let out = xoxe(
        &["token", "--store", &store, "--base-url", &slack.base_url()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(slack.stats().rotations, 1);
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    cleanup(&path);
}

/// What the command printed, after checking it never shows the database's
/// password (checked first, so no failure message below can print it).
fn shown_without_password(db: &common::db::Database, out: &Output) -> String {
    let password = db.password();
    assert!(
        !password.is_empty(),
        "{}: the test server's URL has a password",
        db.name
    );
    let shown = text(out);
    assert!(
        !shown.contains(&password),
        "{}: the output shows the database password",
        db.name
    );
    shown
}

#[test]
fn init_token_status_on_each_database() {
    for db in common::db::databases() {
        let slack = server();
        let seed = slack.new_config_token(None);
        let chain = common::db::unique_chain("cli");
        let base = slack.base_url();
        let describe = db.store(&chain).describe();
        let on_chain = |command: &'static str| vec![command, "--store", db.url.as_str(), "--chain", chain.as_str()];

        let out = xoxe(&on_chain("status"), None, &[]);
        let shown = shown_without_password(&db, &out);
        assert_eq!(out.status.code(), Some(3), "{}: an empty chain: {shown}", db.name);
        assert!(shown.contains(&format!("{describe} holds no chain")), "{shown}");

        let out = xoxe(&on_chain("init"), Some(&format!("{}\n", seed.refresh_token)), &[]);
        let shown = shown_without_password(&db, &out);
        assert!(out.status.success(), "{}: {shown}", db.name);
        assert!(shown.contains(&format!("initialised {describe}")), "{shown}");
        assert_no_secret(&slack, &out);
        let again = xoxe(&on_chain("init"), Some(&format!("{}\n", seed.refresh_token)), &[]);
        let shown = shown_without_password(&db, &again);
        assert_eq!(
            again.status.code(),
            Some(3),
            "{}: no overwrite without --force: {shown}",
            db.name
        );

        let mut args = on_chain("token");
        args.extend(["--base-url", base.as_str()]);
        let out = xoxe(&args, None, &[]);
        let shown = shown_without_password(&db, &out);
        assert!(out.status.success(), "{}: {shown}", db.name);
        let token = String::from_utf8(out.stdout.clone()).unwrap().trim().to_string();
        client(&slack).auth_test(&token, None).unwrap();
        // The URL from the environment instead (out of `ps`): the same chain.
        let from_env = xoxe(
            &["token", "--chain", chain.as_str(), "--base-url", base.as_str()],
            None,
            &[("XOXE_STORE", db.url.as_str())],
        );
        shown_without_password(&db, &from_env);
        assert_eq!(
            String::from_utf8(from_env.stdout).unwrap().trim(),
            token,
            "{}: XOXE_STORE",
            db.name
        );
        let again = xoxe(&args, None, &[]);
        assert_eq!(
            String::from_utf8(again.stdout).unwrap().trim(),
            token,
            "{}: fresh",
            db.name
        );
        assert_eq!(slack.stats().rotations, 1, "{}", db.name);

        let out = xoxe(&on_chain("status"), None, &[]);
        let shown = shown_without_password(&db, &out);
        assert!(out.status.success(), "{}: {shown}", db.name);
        assert!(shown.contains(&format!("store:         {describe}\n")), "{shown}");
        assert!(
            describe.contains(":***@") || describe.contains("pass=***"),
            "{describe}"
        );
        assert!(describe.contains(&chain), "{describe}");
        assert!(
            shown.contains("generation:    1\n") && shown.contains(&seed.team_id),
            "{shown}"
        );
        assert!(!shown.contains(&token), "status shows tokens redacted");
        assert_no_secret(&slack, &out);

        // The chain is the database's: the default chain there is another one.
        let out = xoxe(&["status", "--store", &db.url], None, &[]);
        let shown = shown_without_password(&db, &out);
        assert!(
            out.status.code() == Some(3) || shown.contains("(chain default)"),
            "{}: {shown}",
            db.name
        );
        assert!(!shown.contains(&chain), "{}: another chain: {shown}", db.name);
    }
}

/// Starts `xoxe token` on a database chain, its output piped.
fn spawn_token(db: &common::db::Database, chain: &str, base_url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_xoxe"))
        .args(["token", "--store", &db.url, "--chain", chain, "--base-url", base_url])
        .env_remove("XOXE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn waves_of_concurrent_token_commands_on_a_database_rotate_each_token_once() {
    const PER_WAVE: usize = 12;
    let run_for = std::time::Duration::from_secs(8);
    for db in common::db::databases().into_iter().filter(|d| d.name != "redis-unix") {
        let slack = server();
        slack.set_token_ttl(3);
        let seed = slack.new_config_token(None);
        let chain = common::db::unique_chain("cli-waves");
        let init = xoxe(
            &["init", "--store", &db.url, "--chain", &chain],
            Some(&format!("{}\n", seed.refresh_token)),
            &[],
        );
        let shown = shown_without_password(&db, &init);
        assert!(init.status.success(), "{}: {shown}", db.name);
        let base = slack.base_url();
        let check = client(&slack);
        let started = std::time::Instant::now();
        let (mut waves, mut tokens) = (0u64, 0u64);
        while started.elapsed() < run_for {
            // Each token is checked as soon as its command exits: one that waited
            // out another's lease must not leave the others' tokens to expire unchecked.
            std::thread::scope(|scope| {
                let checks: Vec<_> = (0..PER_WAVE)
                    .map(|_| {
                        let child = spawn_token(&db, &chain, &base);
                        let (db, check) = (&db, &check);
                        scope.spawn(move || {
                            let out = child.wait_with_output().unwrap();
                            capture("token", &out);
                            let shown = shown_without_password(db, &out);
                            assert!(
                                out.status.success(),
                                "{}: wave {waves}: {}",
                                db.name,
                                xoxe::redact(&shown)
                            );
                            let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
                            if let Err(e) = check.auth_test(&token, None) {
                                panic!("{}: wave {waves}: a printed token failed auth.test: {e}", db.name);
                            }
                        })
                    })
                    .collect();
                for check in checks {
                    check.join().unwrap();
                    tokens += 1;
                }
            });
            waves += 1;
        }
        let elapsed = started.elapsed();
        let stats = slack.stats();
        let stored = db.store(&chain).load().unwrap().unwrap();
        println!(
            "cli waves on {}: {waves} waves of {PER_WAVE} xoxe token, {:.1} s, 3 s tokens: {tokens} tokens \
             verified, {} rotations, generation {}, {} reused refresh tokens",
            db.name,
            elapsed.as_secs_f64(),
            stats.rotations,
            stored.generation,
            stats.refresh_token_reuses
        );
        assert_eq!(stats.refresh_token_reuses, 0, "{}", db.name);
        assert_eq!(
            stats.rotations, stored.generation,
            "{}: every rotation was saved",
            db.name
        );
        assert!(
            stats.rotations >= 3,
            "{}: 3 s tokens for 8 s rotate several times",
            db.name
        );
        // Each expiring token was rotated once, not once per process that found it
        // due. A 3 s token is due 2 s before it expires (half its life, rounded up,
        // in whole seconds on the rotator's clock): it is fresh only until the end of
        // the second it was issued in, so the next rotation is at least a second
        // later. (Not "one per wave": a wave lasts as long as its last process's
        // polls for the lease, which back off up to 1 s each — several seconds.)
        let most = elapsed.as_secs() + 2;
        assert!(
            stats.rotations <= most,
            "{}: {} rotations in {:.1} s: at most one per second",
            db.name,
            stats.rotations,
            elapsed.as_secs_f64()
        );
    }
}

#[test]
fn bad_chains_and_unreachable_databases_are_reported_without_the_password() {
    let (path, store) = store_in("chains");
    let long = "c".repeat(201);
    for db in common::db::databases() {
        for chain in ["bad name", "x{y}", "", long.as_str()] {
            let out = xoxe(&["token", "--store", &db.url, "--chain", chain], None, &[]);
            let shown = shown_without_password(&db, &out);
            assert_eq!(out.status.code(), Some(2), "{}: {chain:?}: {shown}", db.name);
            assert!(shown.contains("--chain: chain names are 1 to 200"), "{shown}");
            assert!(
                chain.is_empty() || !shown.contains(chain),
                "the chain is not echoed: {shown}"
            );
        }
    }
    // A file holds one chain: only the default names it.
    let out = xoxe(&["status", "--store", &store, "--chain", "other"], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("a file store holds one chain"), "{}", text(&out));
    let out = xoxe(&["status", "--store", &store, "--chain", "default"], None, &[]);
    assert_eq!(out.status.code(), Some(3), "an empty file store: {}", text(&out));
    assert!(text(&out).contains("holds no chain") || text(&out).contains("does not exist"));
    assert_eq!(
        xoxe(&["status", "--store", &store, "--chain"], None, &[]).status.code(),
        Some(2)
    );

    // Nothing listens on port 9: a store failure naming the redacted URL.
    let password = "SECRETPW";
    let slack = server();
    let seed = slack.new_config_token(None);
    for (url, redacted) in [
        (
            "postgresql://xoxe:SECRETPW@127.0.0.1:9/db",
            "PostgreSQL store postgresql://xoxe:***@127.0.0.1:9/db (chain c1)",
        ),
        (
            "redis://:SECRETPW@127.0.0.1:9/0",
            "Redis store redis://:***@127.0.0.1:9/0 (chain c1)",
        ),
    ] {
        for command in ["init", "token", "status"] {
            let stdin = (command == "init").then_some(seed.refresh_token.as_str());
            let out = xoxe(
                &[
                    command,
                    "--store",
                    url,
                    "--chain",
                    "c1",
                    "--base-url",
                    &slack.base_url(),
                ],
                stdin,
                &[],
            );
            let shown = text(&out);
            assert!(!shown.contains(password), "{command}: the output shows the password");
            assert_eq!(out.status.code(), Some(3), "{command} {redacted}: {shown}");
            assert!(shown.contains(redacted) && shown.contains("(store_io)"), "{shown}");
            assert_no_secret(&slack, &out);
        }
    }
    // URLs that would be taken for a file path, or split inside the password:
    // refused, never echoed.
    for url in [
        "POSTGRESQL://xoxe:SECRETPW@127.0.0.1:9/db",
        "postgresql:/xoxe:SECRETPW@127.0.0.1:9/db",
        "mysql://xoxe:SECRETPW@127.0.0.1:9/db",
        "postgresql://xoxe:SECRET/PW@127.0.0.1:9/db",
        "redis://:SECRET?PW@127.0.0.1:9/0",
    ] {
        let out = xoxe(&["status", "--store", url], None, &[]);
        let shown = text(&out);
        assert!(!shown.contains("SECRET"), "the output shows the password");
        assert_eq!(out.status.code(), Some(2), "{shown}");
        assert!(shown.contains("URL"), "{shown}");
    }
    assert_eq!(slack.stats().rotations, 0);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
