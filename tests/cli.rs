//! The `xoxe` command line against the fake Slack: the workflow, exit codes per
//! failure family, many chains (`status --all`, `remove`) in directories and
//! databases, sealing at rest (`seal`, `seal-key`, keyrings), and no secret on
//! the command line or in its output.

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
        .env_remove("XOXE_STORE")
        .env_remove("XOXE_KEYRING_FILE")
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
    // `xoxe seal-key` prints a key: never logged at all.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stdout = if subcommand == "token" && !stdout.trim().is_empty() {
        format!("{}\n", xoxe::redact(stdout.trim()))
    } else if subcommand == "seal-key" && !stdout.trim().is_empty() {
        "(a keyring line: key material, not logged)\n".to_string()
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

    // A directory whose name is not UTF-8 is a directory store, as any other.
    let (base, _) = dir_in("non-utf8");
    let mut name = base.clone().into_os_string();
    name.push(std::ffi::OsStr::from_bytes(b"/chains-\xff"));
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(&name)
        .unwrap();
    let command = |args: &[&std::ffi::OsStr], refresh: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xoxe"));
        cmd.args(args).env_remove("XOXE_LOG").env_remove("XOXE_KEYRING_FILE");
        match refresh {
            Some(refresh) => cmd.env("XOXE_REFRESH_TOKEN", refresh),
            None => cmd.env_remove("XOXE_REFRESH_TOKEN"),
        };
        let out = cmd.output().unwrap();
        capture(args[0].to_str().unwrap(), &out);
        out
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let out = command(
        &[os("init"), os("--store"), &name, os("--chain"), os("c1")],
        Some(NOT_ISSUED_REFRESH_TOKEN),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = command(&[os("status"), os("--all"), os("--store"), &name], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).starts_with("c1: config, generation 0, "), "{}", text(&out));
    assert!(!text(&out).contains(NOT_ISSUED_REFRESH_TOKEN));
    // A file whose name is not UTF-8 keeps one chain: the core refuses another.
    let mut file = base.clone().into_os_string();
    file.push(std::ffi::OsStr::from_bytes(b"/pair-\xff.json"));
    let out = command(&[os("status"), os("--store"), &file, os("--chain"), os("c1")], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("keeps one chain"), "{}", text(&out));
    std::fs::remove_dir_all(&base).unwrap();
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

/// A new private directory for a directory store (`DIR/CHAIN.json`).
fn dir_in(name: &str) -> (PathBuf, String) {
    let (path, _) = store_in(name);
    let dir = path.parent().unwrap().to_path_buf();
    let s = dir.to_str().unwrap().to_string();
    (dir, s)
}

/// A keyring line made by `xoxe seal-key new ID` (checked to parse).
fn new_key(id: &str) -> String {
    let out = xoxe(&["seal-key", "new", id], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let line = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_string();
    xoxe::store::seal::Keyring::parse(&line, "seal-key output").unwrap();
    line
}

/// Writes keyring `lines` to `path`, mode 0600.
fn write_keyring(path: &Path, lines: &[&str]) {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(format!("# test keys\n{}\n", lines.join("\n")).as_bytes())
        .unwrap();
}

/// No key of `lines` (their base64, or a good part of it) appears in the output.
fn assert_no_key(lines: &[&str], out: &Output) {
    let shown = text(out);
    for line in lines {
        let key = line.split_whitespace().nth(1).unwrap();
        assert!(!shown.contains(&key[..16]), "the output shows key material");
    }
}

/// The stored documents of a directory store, by chain.
fn documents(dir: &Path) -> Vec<(String, String)> {
    let mut docs: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
            Some((name, std::fs::read_to_string(e.path()).unwrap()))
        })
        .collect();
    docs.sort();
    docs
}

#[test]
fn status_all_over_a_directory_shows_every_chain_and_no_secret() {
    let slack = server();
    let url = slack.base_url();
    let (dir, store) = dir_in("all");
    let keys = dir.join("keyring");
    let absent = new_key("absent-key");
    write_keyring(&keys, &[&absent]);
    let init = |chain: &str, extra: &[&str]| {
        let seed = slack.new_config_token(None);
        let mut args = vec!["init", "--store", store.as_str(), "--chain", chain];
        args.extend(extra);
        let out = xoxe(&args, Some(&format!("{}\n", seed.refresh_token)), &[]);
        assert!(out.status.success(), "{chain}: {}", text(&out));
        assert_no_secret(&slack, &out);
    };
    init("c1", &[]);
    init("c2", &[]);
    init("c3", &["--keyring-file", keys.to_str().unwrap()]);
    // A chain a pool marked revoked.
    write_store(
        &dir.join("c4.json"),
        serde_json::json!({ "generation": 7, "revoked": "token_revoked", "team_id": "T4" }),
    );
    let out = xoxe(
        &["token", "--store", &store, "--chain", "c1", "--base-url", &url],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8(out.stdout.clone()).unwrap().trim().to_string();

    let out = xoxe(&["status", "--all", "--store", &store], None, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a chain that cannot be read is shown: {}",
        text(&out)
    );
    assert_no_secret(&slack, &out);
    assert_no_key(&[&absent], &out);
    let shown = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        !shown.contains(&token) && !shown.contains(NOT_ISSUED_REFRESH_TOKEN),
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 4, "one line per chain, sorted: {shown}");
    let host = xoxe::store::fleet::holder_id().split('/').next().unwrap().to_string();
    assert!(
        lines[0].starts_with("c1: config, generation 1, expires 20") && lines[0].contains(" (in 1"),
        "{shown}"
    );
    assert!(
        lines[0].contains(", rotated 20") && lines[0].contains(&format!(" by {host}/")),
        "{shown}"
    );
    assert_eq!(
        lines[1],
        "c2: config, generation 0, expiry unknown (rotates on first use), never rotated"
    );
    assert!(lines[2].starts_with("c3: error: token store "), "{shown}");
    assert!(
        lines[2].contains("sealed with key absent-key") && lines[2].ends_with("(store_sealed)"),
        "the sealed chain names its key: {shown}"
    );
    assert_eq!(
        lines[3],
        "c4: config, generation 7, revoked (token_revoked), never rotated"
    );
    // With the keyring, the sealed chain reads too.
    let out = xoxe(
        &[
            "status",
            "--all",
            "--store",
            &store,
            "--keyring-file",
            keys.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("c3: config, generation 0, expiry unknown"),
        "{}",
        text(&out)
    );
    assert_no_key(&[&absent], &out);

    // A revoked chain: its own exit code, without calling Slack.
    let out = xoxe(
        &["token", "--store", &store, "--chain", "c4", "--base-url", &url],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(9), "{}", text(&out));
    assert!(text(&out).contains("(chain_revoked)"), "{}", text(&out));
    let out = xoxe(&["status", "--store", &store, "--chain", "c4"], None, &[]);
    assert!(
        text(&out).contains("revoked:       token_revoked (reinstall the app to go on)\n"),
        "{}",
        text(&out)
    );
    assert_eq!(slack.stats().rotations, 1);

    // remove: says whether the chain was there; its file is gone; the rest stay.
    let remove = |chain: &str| xoxe(&["remove", "--store", &store, "--chain", chain], None, &[]);
    let out = remove("c2");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "removed token store {}/c2.json\n",
            dir.canonicalize().unwrap().display()
        )
    );
    assert!(!dir.join("c2.json").exists());
    let out = remove("c2");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("c2.json holds no chain: nothing removed"),
        "{}",
        text(&out)
    );
    let out = xoxe(&["status", "--store", &store, "--chain", "c2"], None, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = xoxe(&["status", "--all", "--store", &store], None, &[]);
    let chains: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(chains, ["c1", "c3", "c4"]);
    // A sealed chain is removed without its key (nothing is read).
    assert!(remove("c3").status.success());
    // remove names its chain: never the default by accident.
    let out = xoxe(&["remove", "--store", &store], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("remove needs --chain NAME"), "{}", text(&out));

    // An empty directory lists nothing, successfully; a place that cannot be
    // listed is a store error.
    let (empty, empty_store) = dir_in("all-empty");
    let out = xoxe(&["status", "--all", "--store", &empty_store], None, &[]);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out));
    assert!(text(&out).contains("no chain is stored there"), "{}", text(&out));
    std::fs::remove_dir_all(&empty).unwrap();
    let out = xoxe(&["status", "--all", "--store", "/nonexistent/xoxe-dir"], None, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // --all covers every chain: --chain with it is a mistake.
    let out = xoxe(&["status", "--all", "--store", &store, "--chain", "c1"], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn status_all_and_remove_on_each_database() {
    let key = new_key("kdb");
    let (dir, _) = dir_in("db-keys");
    let keys = dir.join("keyring");
    write_keyring(&keys, &[&key]);
    for db in common::db::databases() {
        let slack = server();
        let url = slack.base_url();
        let prefix = common::db::unique_chain("cli-all");
        let (plain, rotated, sealed) = (format!("{prefix}-a"), format!("{prefix}-b"), format!("{prefix}-c"));
        for (chain, extra) in [
            (&plain, &[][..]),
            (&rotated, &[][..]),
            (&sealed, &["--keyring-file", keys.to_str().unwrap()][..]),
        ] {
            let seed = slack.new_config_token(None);
            let mut args = vec!["init", "--store", db.url.as_str(), "--chain", chain.as_str()];
            args.extend(extra);
            let out = xoxe(&args, Some(&seed.refresh_token), &[]);
            let shown = shown_without_password(&db, &out);
            assert!(out.status.success(), "{}: {shown}", db.name);
        }
        let out = xoxe(
            &["token", "--store", &db.url, "--chain", &rotated, "--base-url", &url],
            None,
            &[],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            db.name,
            shown_without_password(&db, &out)
        );

        let out = xoxe(&["status", "--all", "--store", &db.url], None, &[]);
        let shown = shown_without_password(&db, &out);
        assert!(out.status.success(), "{}: {shown}", db.name);
        assert_no_secret(&slack, &out);
        assert_no_key(&[&key], &out);
        let line = |chain: &str| {
            let start = format!("{chain}: ");
            shown
                .lines()
                .find(|l| l.starts_with(&start))
                .unwrap_or_else(|| panic!("{}: no line for {chain}: {shown}", db.name))
                .to_string()
        };
        assert_eq!(
            line(&plain),
            format!("{plain}: config, generation 0, expiry unknown (rotates on first use), never rotated"),
            "{}",
            db.name
        );
        let b = line(&rotated);
        assert!(
            b.starts_with(&format!("{rotated}: config, generation 1, expires 20")) && b.contains(" by "),
            "{}: {b}",
            db.name
        );
        let c = line(&sealed);
        assert!(
            c.contains("sealed with key kdb") && c.ends_with("(store_sealed)"),
            "{}: {c}",
            db.name
        );
        assert!(
            c.contains(":***@") || c.contains("pass=***"),
            "{}: the URL is shown redacted: {c}",
            db.name
        );

        // remove, twice, then the chain is gone from the listing and empty.
        let remove = xoxe(&["remove", "--store", &db.url, "--chain", &sealed], None, &[]);
        let shown = shown_without_password(&db, &remove);
        assert!(remove.status.success(), "{}: {shown}", db.name);
        assert!(
            shown.starts_with("removed ") && shown.contains(&sealed),
            "{}: {shown}",
            db.name
        );
        let again = xoxe(&["remove", "--store", &db.url, "--chain", &sealed], None, &[]);
        let shown = shown_without_password(&db, &again);
        assert!(again.status.success(), "{}: {shown}", db.name);
        assert!(
            shown.contains("holds no chain: nothing removed"),
            "{}: {shown}",
            db.name
        );
        let out = xoxe(&["status", "--all", "--store", &db.url], None, &[]);
        let shown = shown_without_password(&db, &out);
        assert!(!shown.contains(&format!("{sealed}: ")), "{}: {shown}", db.name);
        let out = xoxe(&["status", "--store", &db.url, "--chain", &sealed], None, &[]);
        assert_eq!(out.status.code(), Some(3), "{}", shown_without_password(&db, &out));
        for chain in [&plain, &rotated] {
            let out = xoxe(&["remove", "--store", &db.url, "--chain", chain], None, &[]);
            assert!(out.status.success(), "{}", shown_without_password(&db, &out));
        }
    }
    // A database that cannot be reached: the listing fails, a store error.
    let out = xoxe(
        &[
            "status",
            "--all",
            "--store",
            "postgresql://xoxe:SECRETPW@127.0.0.1:9/db",
        ],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(!text(&out).contains("SECRETPW"), "the output shows the password");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seal_a_plain_directory_then_tokens_need_the_keyring() {
    let slack = server();
    let url = slack.base_url();
    let (dir, store) = dir_in("seal");
    for chain in ["c1", "c2"] {
        let seed = slack.new_config_token(None);
        let out = xoxe(
            &["init", "--store", &store, "--chain", chain],
            Some(&seed.refresh_token),
            &[],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let token_on = |chain: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "token",
            "--store",
            store.as_str(),
            "--chain",
            chain,
            "--base-url",
            url.as_str(),
        ];
        args.extend(extra);
        xoxe(&args, None, env)
    };
    let out = token_on("c1", &[], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let plain = documents(&dir);
    assert!(
        plain
            .iter()
            .all(|(_, doc)| doc.contains("\"refresh_token\": \"xoxe-1-")),
        "the documents start plain"
    );

    // seal without a keyring: a usage error, nothing written.
    let out = xoxe(&["seal", "--store", &store], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("seal needs a keyring"), "{}", text(&out));
    assert_eq!(documents(&dir), plain);

    let k1 = new_key("k1");
    let keys = dir.join("keyring");
    write_keyring(&keys, &[&k1]);
    let keyring_file = keys.to_str().unwrap();
    let out = xoxe(&["seal", "--store", &store, "--keyring-file", keyring_file], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sealed 2 chains under key k1\n");
    assert_no_key(&[&k1], &out);
    let sealed = documents(&dir);
    assert_eq!(sealed.len(), 2, "{sealed:?}");
    for (chain, doc) in &sealed {
        assert!(
            doc.contains("\"xoxe_sealed\":1") && doc.contains("\"kid\":\"k1\""),
            "{chain}"
        );
        for secret in slack.issued_secrets() {
            assert!(!doc.contains(&secret), "{chain}: a token in clear in the sealed file");
        }
        assert!(
            !doc.contains("xoxe-1-") && !doc.contains("xoxe.xoxp-"),
            "{chain}: a token in clear"
        );
        assert!(!doc.contains(&k1.split(' ').nth(1).unwrap()[..16]), "{chain}: the key");
    }

    // Without the keyring: a store error naming the key id, nothing sent.
    let out = token_on("c1", &[], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sealed with key k1"), "{}", text(&out));
    assert!(out.stdout.is_empty());
    let out = xoxe(&["status", "--store", &store, "--chain", "c2"], None, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("k1") && text(&out).contains("(store_sealed)"),
        "{}",
        text(&out)
    );
    // With it — by flag, by XOXE_KEYRING_FILE, or from a variable — the same token.
    let env_keys = format!("XOXE_CLI_TEST_KEYS_{}", std::process::id());
    for (extra, env) in [
        (vec!["--keyring-file", keyring_file], vec![]),
        (vec![], vec![("XOXE_KEYRING_FILE", keyring_file)]),
        (
            vec!["--keyring-env", env_keys.as_str()],
            vec![(env_keys.as_str(), k1.as_str())],
        ),
    ] {
        let out = token_on("c1", &extra, &env);
        assert!(out.status.success(), "{extra:?}: {}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), token, "{extra:?}");
        assert_no_key(&[&k1], &out);
    }
    assert_eq!(slack.stats().rotations, 1, "no rotation: the sealed pair was read");
    // The other chain rotates under the keyring and stays sealed.
    let out = token_on("c2", &["--keyring-file", keyring_file], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(slack.stats().rotations, 2);
    let doc = std::fs::read_to_string(dir.join("c2.json")).unwrap();
    assert!(
        doc.contains("\"kid\":\"k1\"") && !doc.contains("xoxe-1-"),
        "sealed after a rotation"
    );

    // Re-keying: k2 first, k1 kept to open; every chain moves to k2.
    let k2 = new_key("k2");
    write_keyring(&keys, &[&k2, &k1]);
    let out = xoxe(&["seal", "--store", &store, "--keyring-file", keyring_file], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sealed 2 chains under key k2\n");
    assert!(documents(&dir).iter().all(|(_, d)| d.contains("\"kid\":\"k2\"")));
    write_keyring(&keys, &[&k1]);
    let out = token_on("c1", &["--keyring-file", keyring_file], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sealed with key k2"), "{}", text(&out));

    // A tampered document is refused, and left as it is.
    write_keyring(&keys, &[&k2]);
    let path = dir.join("c1.json");
    let doc = std::fs::read_to_string(&path).unwrap();
    let at = doc.find("\"ciphertext\":\"").unwrap() + "\"ciphertext\":\"".len();
    let flipped = if &doc[at..at + 1] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &doc[..at], &doc[at + 1..]);
    std::fs::write(&path, &tampered).unwrap();
    let out = token_on("c1", &["--keyring-file", keyring_file], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("(store_sealed)"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), tampered, "not overwritten");
    assert_eq!(slack.stats().rotations, 2);

    // A keyring others may read is refused (a store error), and its keys never shown.
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = token_on("c2", &["--keyring-file", keyring_file], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("run chmod 600"), "{}", text(&out));
    assert_no_key(&[&k2], &out);
    // A key pasted where the variable's name belongs is refused, never echoed.
    let out = token_on("c2", &["--keyring-env", &k2], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--keyring-env takes the name"), "{}", text(&out));
    assert_no_key(&[&k2], &out);
    let out = token_on("c2", &["--keyring-env", "XOXE_CLI_TEST_UNSET_KEYS"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("XOXE_CLI_TEST_UNSET_KEYS: is not set"),
        "{}",
        text(&out)
    );
    let out = token_on("c2", &["--keyring-env", "K", "--keyring-file", keyring_file], &[]);
    assert_eq!(out.status.code(), Some(2), "one keyring: {}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seal_key_new_prints_a_fresh_keyring_line_and_nothing_else() {
    let out = xoxe(&["seal-key", "new", "prod-2025.a_b"], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stderr.is_empty(), "nothing on stderr when stdout is not a terminal");
    let line = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(line.ends_with('\n') && line.lines().count() == 1, "one line");
    let keys = xoxe::store::seal::Keyring::parse(&line, "seal-key output").unwrap();
    assert_eq!(keys.key_ids(), ["prod-2025.a_b"]);
    let (id, key) = line.trim().split_once(' ').unwrap();
    assert_eq!(id, "prod-2025.a_b");
    assert_eq!(key.len(), 44, "32 bytes in standard base64");
    assert_ne!(new_key("prod-2025.a_b"), line.trim(), "a fresh key each time");

    // Bad ids and forms: usage errors that never echo the argument.
    let long = "k".repeat(10_000);
    for args in [
        vec!["seal-key", "new", "bad id"],
        vec!["seal-key", "new", "a/b"],
        vec!["seal-key", "new", long.as_str()],
        vec!["seal-key", "new", ""],
        vec!["seal-key", "new"],
        vec!["seal-key"],
        vec!["seal-key", "old", "k1"],
        vec!["seal-key", "new", "k1", "k2"],
        vec!["seal-key", "new", "k1", "--store", "/tmp/x"],
    ] {
        let out = xoxe(&args, None, &[]);
        assert_eq!(out.status.code(), Some(2), "{:?}: {}", &args[..2], text(&out));
        assert!(out.stdout.is_empty(), "no key printed");
        assert!(!text(&out).contains(&long[..100]), "the id is not echoed");
    }
    // A failed write is an error, and the key is not printed elsewhere.
    let out = run(&["seal-key", "new", "k1"], b"", &[], dev_full());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot write the key"), "{}", text(&out));
}

#[test]
fn bad_chain_names_are_usage_errors_that_never_echo_a_long_name() {
    let (dir, store) = dir_in("names");
    let huge = "c".repeat(10 * 1024);
    for command in ["init", "token", "status", "remove"] {
        for chain in ["..", "a/b", ".hidden", "a b", "", huge.as_str()] {
            let out = xoxe(&[command, "--store", &store, "--chain", chain], Some("xoxe-1-x"), &[]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command} {:?}: {}",
                &chain[..chain.len().min(8)],
                text(&out)
            );
            assert!(
                text(&out).contains("--chain: chain names are 1 to 200"),
                "{}",
                text(&out)
            );
            assert!(!text(&out).contains(&huge[..201]), "the name is echoed");
        }
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing was written");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_single_file_store_lists_and_seals_its_one_chain() {
    let (path, store) = store_in("one-file");
    write_store(&path, serde_json::json!({ "generation": 2, "team_id": "T1" }));
    let out = xoxe(&["status", "--all", "--store", &store], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "default: config, generation 2, expiry unknown (rotates on first use), never rotated\n"
    );
    let keys = path.parent().unwrap().join("keyring");
    let key = new_key("file-key");
    write_keyring(&keys, &[&key]);
    let out = xoxe(
        &["seal", "--store", &store, "--keyring-file", keys.to_str().unwrap()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sealed 1 chain under key file-key\n"
    );
    let doc = std::fs::read_to_string(&path).unwrap();
    assert!(doc.contains("\"kid\":\"file-key\"") && !doc.contains(NOT_ISSUED_REFRESH_TOKEN));
    let out = xoxe(&["status", "--all", "--store", &store], None, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with("default: error: ") && text(&out).contains("sealed with key file-key"),
        "{}",
        text(&out)
    );
    cleanup(&path);
}
