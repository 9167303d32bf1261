//! Every fault the fake Slack can inject, against a token-spending method and a
//! harmless one: the status, and for rotations how many requests reached Slack.

mod common;

use common::{client, options, requests, server};
use fake_slack::{Fault, FaultKind};
use std::time::Duration;
use xoxe::{Client, ClientOptions, Status};

const ROTATE: &str = "tooling.tokens.rotate";

/// Rotates once under `kind`; returns the error and checks one request was made.
fn rotate_under(kind: FaultKind, timeout: Option<Duration>) -> (xoxe::Error, u64) {
    let slack = server();
    let xoxe = client(&slack);
    let seed = slack.new_config_token(None);
    slack.inject(Fault::new(ROTATE, kind));
    let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, timeout).unwrap_err();
    assert_eq!(
        requests(&slack, ROTATE),
        1,
        "a rotation is never sent twice ({:?})",
        err.cause
    );
    (err, slack.stats().rotations)
}

#[test]
fn lost_response_after_the_rotation_applied_is_outcome_unknown_after_one_request() {
    let (err, rotations) = rotate_under(FaultKind::DropAfterApply, None);
    assert_eq!(err.status, Status::OutcomeUnknown);
    assert_eq!(rotations, 1, "the server did rotate");
    assert!(err.message.contains("outcome unknown"));
}

#[test]
fn every_ambiguous_failure_of_a_rotation_is_outcome_unknown() {
    let cases: Vec<(FaultKind, Status)> = vec![
        (
            FaultKind::SlackError {
                error: "internal_error".into(),
                apply: true,
            },
            Status::InternalError,
        ),
        (
            FaultKind::SlackError {
                error: "fatal_error".into(),
                apply: false,
            },
            Status::FatalError,
        ),
        (
            FaultKind::SlackError {
                error: "service_unavailable".into(),
                apply: false,
            },
            Status::ServiceUnavailable,
        ),
        (
            FaultKind::HttpStatus {
                status: 500,
                apply: true,
            },
            Status::HttpStatus,
        ),
        (
            FaultKind::HttpStatus {
                status: 502,
                apply: false,
            },
            Status::HttpStatus,
        ),
        (
            FaultKind::HttpStatus {
                status: 503,
                apply: false,
            },
            Status::HttpStatus,
        ),
        (FaultKind::EmptyBody { apply: true }, Status::BadResponse),
        (FaultKind::MalformedJson { apply: true }, Status::BadResponse),
        (FaultKind::TruncatedJson { apply: true }, Status::BadResponse),
        (FaultKind::WrongShape { apply: true }, Status::BadResponse),
        (FaultKind::DropBeforeApply, Status::Network),
    ];
    for (kind, cause) in cases {
        let label = format!("{kind:?}");
        let (err, _) = rotate_under(kind, None);
        assert_eq!(err.status, Status::OutcomeUnknown, "{label}");
        assert_eq!(err.cause, cause, "{label}");
    }
    let (err, _) = rotate_under(FaultKind::TruncatedBody { apply: true }, None);
    assert_eq!(err.status, Status::OutcomeUnknown);
    let (err, rotations) = rotate_under(
        FaultKind::SlowHeaders {
            delay_ms: 3000,
            apply: true,
        },
        Some(Duration::from_millis(300)),
    );
    assert_eq!(
        (err.status, err.cause, rotations),
        (Status::OutcomeUnknown, Status::Timeout, 1)
    );
}

#[test]
fn definite_slack_errors_of_a_rotation_are_reported_as_themselves() {
    for code in [
        "invalid_refresh_token",
        "invalid_arguments",
        "team_added_to_org",
        "some_future_code",
    ] {
        let (err, rotations) = rotate_under(
            FaultKind::SlackError {
                error: code.into(),
                apply: false,
            },
            None,
        );
        assert_eq!(err.slack_error.as_deref(), Some(code));
        assert_eq!(err.status, Status::from_slack_code(code));
        assert_eq!(rotations, 0);
    }
}

#[test]
fn the_same_faults_on_auth_test_are_plain_errors() {
    let slack = server();
    let xoxe = client(&slack);
    let token = slack.new_config_token(None).token;
    let cases: Vec<(FaultKind, Status)> = vec![
        (
            FaultKind::HttpStatus {
                status: 502,
                apply: false,
            },
            Status::HttpStatus,
        ),
        (FaultKind::EmptyBody { apply: false }, Status::BadResponse),
        (FaultKind::MalformedJson { apply: false }, Status::BadResponse),
        (FaultKind::TruncatedJson { apply: false }, Status::BadResponse),
        (
            FaultKind::SlackError {
                error: "internal_error".into(),
                apply: false,
            },
            Status::InternalError,
        ),
        (FaultKind::DropBeforeApply, Status::Network),
        (FaultKind::DropAfterApply, Status::Network),
    ];
    for (kind, want) in cases {
        let label = format!("{kind:?}");
        slack.inject(Fault::new("auth.test", kind));
        let err = xoxe.auth_test(&token, None).unwrap_err();
        assert_eq!(err.status, want, "{label}");
    }
    slack.inject(Fault::new(
        "auth.test",
        FaultKind::HttpStatus {
            status: 503,
            apply: false,
        },
    ));
    assert_eq!(xoxe.auth_test(&token, None).unwrap_err().http_status, Some(503));
    slack.inject(Fault::new(
        "auth.test",
        FaultKind::SlowHeaders {
            delay_ms: 3000,
            apply: false,
        },
    ));
    let err = xoxe.auth_test(&token, Some(Duration::from_millis(200))).unwrap_err();
    assert_eq!(err.status, Status::Timeout);
    // A slow body still arrives whole within the timeout.
    slack.inject(Fault::new("auth.test", FaultKind::SlowBody { delay_ms: 200 }));
    xoxe.auth_test(&token, None).unwrap();
}

#[test]
fn oversized_responses_are_refused() {
    let slack = server();
    let mut opts = options(&slack);
    opts.max_response_bytes = 64 * 1024;
    let xoxe = Client::new(opts).unwrap();
    let token = slack.new_config_token(None).token;
    slack.inject(Fault::new("auth.test", FaultKind::HugeBody { bytes: 10_000_000 }));
    assert_eq!(
        xoxe.auth_test(&token, None).unwrap_err().status,
        Status::ResponseTooLarge
    );
    let seed = slack.new_config_token(None);
    slack.inject(Fault::new(ROTATE, FaultKind::HugeBody { bytes: 10_000_000 }));
    let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    assert_eq!(
        (err.status, err.cause),
        (Status::OutcomeUnknown, Status::ResponseTooLarge)
    );
    // The client still works afterwards.
    xoxe.auth_test(&token, None).unwrap();
}

#[test]
fn rate_limits_are_waited_out_within_bounds() {
    let slack = server();
    let seed = slack.new_config_token(None);
    // Retried after Retry-After: a ratelimited rotation was refused, so resending is safe.
    let xoxe = client(&slack);
    slack.inject(Fault::new(ROTATE, FaultKind::Ratelimited { retry_after: Some(1) }));
    xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    assert_eq!(requests(&slack, ROTATE), 2);

    // With no retries, the error comes back with Retry-After.
    let mut opts = options(&slack);
    opts.max_ratelimit_retries = 0;
    let impatient = Client::new(opts).unwrap();
    let seed = slack.new_config_token(None);
    slack.inject(Fault::new(ROTATE, FaultKind::Ratelimited { retry_after: Some(7) }));
    let err = impatient.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    assert_eq!(
        (err.status, err.retry_after, err.http_status),
        (Status::Ratelimited, Some(7), Some(429))
    );

    // A Retry-After longer than the cap, or than the call's time left, is not waited for.
    let slow = slack.new_config_token(None);
    slack.inject(Fault::new(
        ROTATE,
        FaultKind::Ratelimited {
            retry_after: Some(3600),
        },
    ));
    let err = xoxe.tooling_tokens_rotate(&slow.refresh_token, None).unwrap_err();
    assert_eq!((err.status, err.retry_after), (Status::Ratelimited, Some(3600)));

    // The retry budget is bounded.
    slack.reset_stats();
    slack.inject(Fault::new(ROTATE, FaultKind::Ratelimited { retry_after: Some(0) }).times(10));
    let err = xoxe.tooling_tokens_rotate(&slow.refresh_token, None).unwrap_err();
    assert_eq!(err.status, Status::Ratelimited);
    assert_eq!(requests(&slack, ROTATE), 3, "one try plus the two default retries");
    slack.clear_faults();
}

#[test]
fn unreachable_server_is_a_network_error_not_an_unknown_outcome() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let xoxe = Client::new(xoxe::ClientOptions {
        base_url: format!("http://127.0.0.1:{port}/api/"),
        ..Default::default()
    })
    .unwrap();
    let err = xoxe.tooling_tokens_rotate("xoxe-1-abc", None).unwrap_err();
    assert_eq!(
        err.status,
        Status::Network,
        "nothing was sent, so the refresh token is intact"
    );
    // A name that cannot resolve (RFC 6761 reserves .invalid): nothing was sent either.
    let nowhere = Client::new(xoxe::ClientOptions {
        base_url: "https://no-such-host.invalid/api/".into(),
        ..Default::default()
    })
    .unwrap();
    let err = nowhere.tooling_tokens_rotate("xoxe-1-abc", None).unwrap_err();
    assert_eq!((err.status, err.cause), (Status::Network, Status::Network), "{err}");
}

#[test]
fn configuration_is_checked() {
    let bad = |opts: xoxe::ClientOptions| Client::new(opts).unwrap_err().status;
    assert_eq!(
        bad(xoxe::ClientOptions {
            base_url: "http://slack.com/api/".into(),
            ..Default::default()
        }),
        Status::InsecureUrl
    );
    assert_eq!(
        bad(xoxe::ClientOptions {
            timeout: Duration::ZERO,
            ..Default::default()
        }),
        Status::InvalidArgument
    );
    assert_eq!(
        bad(xoxe::ClientOptions {
            ca_bundle_path: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        }),
        Status::FileUnreadable
    );
    let dir = std::env::temp_dir().join(format!("xoxe-ca-{}", std::process::id()));
    std::fs::write(&dir, "not a certificate").unwrap();
    assert_eq!(
        bad(xoxe::ClientOptions {
            ca_bundle_path: Some(dir.clone()),
            ..Default::default()
        }),
        Status::FileUnreadable
    );
    std::fs::remove_file(dir).unwrap();
    let gov = Client::new(xoxe::ClientOptions {
        base_url: xoxe::GOV_SLACK_BASE_URL.into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(gov.base_url(), "https://slack-gov.com/api/");
}

#[test]
fn json_answers_with_an_error_status_are_unknown_only_where_a_rotation_may_have_applied() {
    let json = |status, error: Option<&str>| FaultKind::JsonStatus {
        status,
        error: error.map(String::from),
        apply: false,
    };
    // A 5xx may come after the rotation applied, whatever the body says.
    let (err, _) = rotate_under(json(500, None), None);
    assert_eq!((err.status, err.cause), (Status::OutcomeUnknown, Status::HttpStatus));
    // A 4xx with `ok:true` and a definite Slack error on a 5xx were not applied.
    let (err, _) = rotate_under(json(404, None), None);
    assert_eq!(err.status, Status::HttpStatus);
    let (err, _) = rotate_under(json(500, Some("invalid_refresh_token")), None);
    assert_eq!(err.status, Status::InvalidRefreshToken);
    // A call that spends nothing is never an unknown outcome.
    let slack = server();
    let token = slack.new_config_token(None).token;
    slack.inject(Fault::new("auth.test", json(500, None)));
    assert_eq!(
        client(&slack).auth_test(&token, None).unwrap_err().status,
        Status::HttpStatus
    );
}

#[test]
fn an_html_429_is_a_rate_limit_and_a_cut_body_of_a_harmless_call_is_a_plain_error() {
    let slack = server();
    let mut opts = options(&slack);
    opts.max_ratelimit_retries = 0;
    let xoxe = Client::new(opts).unwrap();
    let token = slack.new_config_token(None).token;
    let html = |status| FaultKind::HttpStatus { status, apply: false };
    slack.inject(Fault::new("auth.test", html(429)));
    let err = xoxe.auth_test(&token, None).unwrap_err();
    assert_eq!(
        (err.status, err.slack_error.as_deref(), err.http_status),
        (Status::Ratelimited, Some("ratelimited"), Some(429))
    );
    slack.inject(Fault::new("auth.test", html(502)));
    let err = xoxe.auth_test(&token, None).unwrap_err();
    assert_eq!((err.status, err.slack_error), (Status::HttpStatus, None));
    // The status line of a 200 arrived, then the body broke off: for auth.test
    // nothing was spent, so it is a plain transport error.
    slack.inject(Fault::new("auth.test", FaultKind::TruncatedBody { apply: false }));
    let err = xoxe.auth_test(&token, None).unwrap_err();
    assert_ne!(err.status, Status::OutcomeUnknown, "{err}");
    assert_eq!(err.status.family(), xoxe::StatusFamily::Transport, "{err}");
}

#[test]
fn a_retry_after_is_waited_for_up_to_the_cap_and_not_beyond() {
    let slack = server();
    let mut opts = options(&slack);
    opts.max_retry_after = Duration::from_secs(1);
    let xoxe = Client::new(opts).unwrap();
    let token = slack.new_config_token(None).token;
    // Exactly the cap: waited out, then retried.
    slack.inject(Fault::new("auth.test", FaultKind::Ratelimited { retry_after: Some(1) }));
    xoxe.auth_test(&token, None).unwrap();
    assert_eq!(requests(&slack, "auth.test"), 2);
    // Over the cap, though well within the call's 30 s: not waited for.
    slack.inject(Fault::new("auth.test", FaultKind::Ratelimited { retry_after: Some(3) }));
    let err = xoxe.auth_test(&token, None).unwrap_err();
    assert_eq!((err.status, err.retry_after), (Status::Ratelimited, Some(3)));
    assert_eq!(requests(&slack, "auth.test"), 3, "no retry");
}

#[test]
fn a_server_that_echoes_a_secret_in_its_error_never_gets_it_into_a_message() {
    let slack = server();
    let xoxe = client(&slack);
    let seed = slack.new_config_token(None);
    let echo = |error: String| FaultKind::SlackError { error, apply: false };
    // The refresh token sent, bare, with `…` after it, and with a control sequence.
    let bare = seed.refresh_token.trim_start_matches("xoxe-1-").to_string();
    for error in [
        seed.refresh_token.clone(),
        format!("bad_token:{bare}"),
        format!("{}…", seed.refresh_token),
        "\u{1b}]0;PWNED\u{7}\nxoxe: all is well".to_string(),
    ] {
        slack.inject(Fault::new(ROTATE, echo(error.clone())));
        let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
        assert_eq!(err.status, Status::SlackOther);
        assert!(!err.message.contains(&bare[..20]), "{}", err.message);
        assert!(!err.message.chars().any(char::is_control), "{:?}", err.message);
        assert!(err.message.contains("unrecognised error code"), "{}", err.message);
        assert_eq!(
            err.slack_error.as_deref(),
            Some(error.as_str()),
            "the raw value is kept"
        );
    }
    // A client secret (never token-shaped) echoed by the refresh grant.
    let app = slack.new_app(true);
    slack.inject(Fault::new(
        "oauth.v2.access",
        echo(format!("invalid_client:{}", app.client_secret)),
    ));
    let err = xoxe
        .oauth_v2_refresh(&app.client_id, &app.client_secret, "xoxe-1-0123456789abcdef0123", None)
        .unwrap_err();
    assert!(!err.message.contains(&app.client_secret), "{}", err.message);
    assert!(!err.to_string().contains(&app.client_secret));
    // A code in Slack's alphabet is still named.
    slack.inject(Fault::new(ROTATE, echo("invalid_refresh_token".into())));
    let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    assert!(
        err.message.contains("Slack said invalid_refresh_token"),
        "{}",
        err.message
    );
}

#[test]
fn a_5xx_with_a_code_xoxe_does_not_know_may_have_rotated() {
    let json = |status, error: &str| FaultKind::JsonStatus {
        status,
        error: Some(error.into()),
        apply: false,
    };
    for status in [502, 503] {
        let (err, _) = rotate_under(json(status, "upstream_request_timeout"), None);
        assert_eq!(
            (err.status, err.cause, err.http_status),
            (Status::OutcomeUnknown, Status::SlackOther, Some(status))
        );
    }
    // Known rejections stay definite, and a 4xx with an unknown code is not a rotation.
    let (err, _) = rotate_under(json(503, "invalid_refresh_token"), None);
    assert_eq!(err.status, Status::InvalidRefreshToken);
    let (err, _) = rotate_under(json(400, "upstream_request_timeout"), None);
    assert_eq!(err.status, Status::SlackOther);
    // A call that spends nothing is a plain Slack error.
    let slack = server();
    let token = slack.new_config_token(None).token;
    slack.inject(Fault::new("auth.test", json(503, "upstream_request_timeout")));
    assert_eq!(
        client(&slack).auth_test(&token, None).unwrap_err().status,
        Status::SlackOther
    );
}

#[test]
fn a_call_timeout_that_fires_while_connecting_is_not_an_unknown_outcome() {
    // A listener whose accept queue is full: the connection never completes.
    // SAFETY: plain socket calls on descriptors this test owns.
    let (fd, port) = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&raw const addr).cast(), len), 0);
        assert_eq!(libc::listen(fd, 0), 0);
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut bound_len = len;
        assert_eq!(libc::getsockname(fd, (&raw mut bound).cast(), &mut bound_len), 0);
        (fd, u16::from_be(bound.sin_port))
    };
    let _queued = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let xoxe = Client::new(ClientOptions {
        base_url: format!("http://127.0.0.1:{port}/api/"),
        timeout: Duration::from_millis(1500),
        ..ClientOptions::default()
    })
    .unwrap();
    let err = xoxe
        .tooling_tokens_rotate("xoxe-1-0123456789abcdef0123456789", None)
        .unwrap_err();
    assert_eq!(err.status, Status::Timeout, "nothing was sent: {}", err.message);
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
}

/// The three token-spending calls, each with fresh credentials, under one fault.
/// Returns, per call, the error and the secrets the server issued while answering it.
fn spend_under(kind: &FaultKind) -> Vec<(&'static str, xoxe::Error, Vec<String>)> {
    let slack = server();
    let xoxe = client(&slack);
    let app = slack.new_app(true);
    let legacy = slack.new_legacy_token(&app.client_id, fake_slack::TokenKind::User);
    let to_refresh = slack.new_legacy_token(&app.client_id, fake_slack::TokenKind::Bot);
    let pair = xoxe
        .oauth_v2_exchange(&app.client_id, &app.client_secret, &to_refresh, None)
        .unwrap();
    let seed = slack.new_config_token(None);
    let mut out = Vec::new();
    let calls: [(&'static str, &dyn Fn() -> xoxe::Error); 3] = [
        (ROTATE, &|| {
            xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err()
        }),
        ("oauth.v2.exchange", &|| {
            xoxe.oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
                .unwrap_err()
        }),
        ("oauth.v2.access", &|| {
            xoxe.oauth_v2_refresh(&app.client_id, &app.client_secret, pair.refresh_token.expose(), None)
                .unwrap_err()
        }),
    ];
    for (method, call) in calls {
        let before = slack.issued_secrets().len();
        slack.inject(Fault::new(method, kind.clone()));
        let err = call();
        out.push((method, err, slack.issued_secrets()[before..].to_vec()));
    }
    out
}

#[test]
fn an_undecodable_answer_to_a_spending_call_keeps_its_raw_body_and_with_it_the_new_tokens() {
    // Each fault applies: Slack issued a new pair, then the answer came back broken.
    // The issued secrets are [access token, refresh token], in that order.
    for kind in [
        FaultKind::MalformedJson { apply: true },
        FaultKind::TruncatedJson { apply: true },
        FaultKind::WrongShape { apply: true },
    ] {
        for (method, err, issued) in spend_under(&kind) {
            let label = format!("{kind:?} on {method}");
            assert_eq!(
                (err.status, err.cause),
                (Status::OutcomeUnknown, Status::BadResponse),
                "{label}"
            );
            assert_eq!(issued.len(), 2, "{label}: the call applied");
            let (access, refresh) = (&issued[0], &issued[1]);
            let raw = err
                .response_json
                .as_deref()
                .unwrap_or_else(|| panic!("{label}: no raw body"));
            assert!(raw.starts_with("{\"ok\":true,"), "{label}");
            match kind {
                FaultKind::MalformedJson { .. } => {
                    assert!(serde_json::from_str::<serde_json::Value>(raw).is_err(), "{label}");
                    assert!(
                        raw.contains(refresh.as_str()) && raw.contains(access.as_str()),
                        "{label}"
                    );
                }
                FaultKind::WrongShape { .. } => {
                    let v: serde_json::Value = serde_json::from_str(raw).unwrap();
                    assert_eq!(v["refresh_token"].as_str(), Some(refresh.as_str()), "{label}");
                }
                _ => {
                    // Cut in half: the fake's keys are sorted, so a rotation's refresh
                    // token (`refresh_token` before `token`) and a grant's access token
                    // (`access_token` first) are in the half that came.
                    assert!(serde_json::from_str::<serde_json::Value>(raw).is_err(), "{label}");
                    let kept = if method == ROTATE { refresh } else { access };
                    assert!(raw.contains(kept.as_str()), "{label}");
                }
            }
            // The message says where the body is, and holds no secret; Debug and
            // Display show neither the body nor a token from it.
            assert!(
                err.message.contains("kept in response_json"),
                "{label}: {}",
                err.message
            );
            let printed = format!("{err:?} {err}");
            assert!(printed.contains("bytes withheld"), "{label}: {printed}");
            for secret in &issued {
                assert!(!printed.contains(secret.as_str()), "{label}: a new token was printed");
            }
        }
    }
}

#[test]
fn a_raw_body_is_kept_only_where_a_spent_token_may_hide_in_it() {
    // An empty answer has nothing to keep.
    for (method, err, _) in spend_under(&FaultKind::EmptyBody { apply: true }) {
        assert_eq!(err.status, Status::OutcomeUnknown, "{method}");
        assert_eq!(err.response_json, None, "{method}");
    }
    // An answer that applied nothing is kept all the same: xoxe cannot know.
    let (err, _) = rotate_under(FaultKind::MalformedJson { apply: false }, None);
    assert_eq!(err.status, Status::OutcomeUnknown);
    assert!(err.response_json.is_some());
    // A 5xx HTML page on a rotation: outcome unknown, the page is kept.
    let (err, _) = rotate_under(
        FaultKind::HttpStatus {
            status: 502,
            apply: true,
        },
        None,
    );
    assert_eq!(err.status, Status::OutcomeUnknown);
    assert!(err.response_json.as_deref().is_some_and(|b| b.contains("<html>")));
    // A call that spends nothing keeps nothing.
    let slack = server();
    let xoxe = client(&slack);
    let token = slack.new_config_token(None).token;
    for kind in [
        FaultKind::MalformedJson { apply: true },
        FaultKind::TruncatedJson { apply: true },
    ] {
        slack.inject(Fault::new("auth.test", kind));
        let err = xoxe.auth_test(&token, None).unwrap_err();
        assert_eq!((err.status, err.response_json), (Status::BadResponse, None));
    }
}

/// A server may close a kept-alive connection while it idles in the pool (Slack's
/// edge does). The next rotation must not be sent on it — that would end as an
/// unknown outcome — but on a new connection: the client probes a pooled
/// connection as it takes it out (src/lean_transport.rs skips only the probe
/// made as it goes back, right after a complete response).
#[test]
fn a_pooled_connection_the_server_closed_while_idle_is_not_used_for_the_next_rotation() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (closed_tx, closed_rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let body = r#"{"ok":true,"token":"xoxe.xoxp-1-new","refresh_token":"xoxe-1-new","team_id":"T1","user_id":"U1","iat":1,"exp":2}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut connections = 0;
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            connections += 1;
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Head and body (the form is short): read until the body's end.
            while !String::from_utf8_lossy(&request).contains("refresh_token=") {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0, "the client closed before sending a request");
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(answer.as_bytes()).unwrap();
            // Close while the client keeps the connection in its pool.
            stream.shutdown(std::net::Shutdown::Both).unwrap();
            drop(stream);
            if connections == 1 {
                closed_tx.send(()).unwrap();
            }
        }
        connections
    });
    let xoxe = Client::new(ClientOptions {
        base_url: format!("http://127.0.0.1:{port}/api/"),
        ..ClientOptions::default()
    })
    .unwrap();
    xoxe.tooling_tokens_rotate("xoxe-1-first", None).unwrap();
    closed_rx.recv().unwrap();
    // Let the FIN arrive before the next call takes the connection out.
    std::thread::sleep(Duration::from_millis(200));
    let second = xoxe.tooling_tokens_rotate("xoxe-1-new", None);
    assert!(
        second.is_ok(),
        "the second rotation failed: {:?}",
        second.err().map(|e| e.message)
    );
    assert_eq!(
        server.join().unwrap(),
        2,
        "the second rotation came on a new connection"
    );
}
