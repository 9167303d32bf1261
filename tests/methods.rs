//! The typed methods against the fake Slack: success paths and Slack's errors.

mod common;

use common::{client, requests, server};
use fake_slack::{Fault, FaultKind, TokenKind};
use xoxe::{Status, StatusFamily};

#[test]
fn rotate_returns_a_new_pair_and_spends_the_old_refresh_token() {
    let slack = server();
    let xoxe = client(&slack);
    let seed = slack.new_config_token(None);
    let pair = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    assert!(pair.token.expose().starts_with("xoxe.xoxp-"));
    assert!(pair.refresh_token.expose().starts_with("xoxe-"));
    assert_ne!(pair.refresh_token.expose(), seed.refresh_token);
    assert_eq!(pair.exp - pair.iat, 43200);
    assert_eq!(pair.team_id, seed.team_id);
    assert!(
        pair.warnings.is_empty(),
        "xoxe sends no charset on form bodies, so Slack warns of nothing"
    );

    let again = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    assert_eq!(again.status, Status::InvalidRefreshToken);
    assert_eq!(again.slack_error.as_deref(), Some("invalid_refresh_token"));
    assert_eq!(slack.stats().refresh_token_reuses, 1);

    // The new pair works: its token passes auth.test and its refresh token rotates.
    xoxe.auth_test(pair.token.expose(), None).unwrap();
    xoxe.tooling_tokens_rotate(pair.refresh_token.expose(), None).unwrap();
    assert_eq!(slack.stats().rotations, 2);
}

#[test]
fn exchange_then_refresh_chain_then_auth_test() {
    let slack = server();
    let xoxe = client(&slack);
    let app = slack.new_app(true);
    for kind in [TokenKind::Bot, TokenKind::User] {
        let legacy = slack.new_legacy_token(&app.client_id, kind);
        let mut pair = xoxe
            .oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
            .unwrap();
        match kind {
            TokenKind::Bot => {
                assert_eq!(pair.token_type, "bot");
                assert!(pair.access_token.expose().starts_with("xoxe.xoxb-"));
                assert!(pair.bot_user_id.is_some());
            }
            TokenKind::User => {
                assert_eq!(pair.token_type, "user");
                assert!(pair.access_token.expose().starts_with("xoxe.xoxp-"));
                assert!(pair.user_id.is_some());
            }
        }
        assert_eq!(pair.app_id, app.app_id);
        assert!(pair.team_id.is_some() && pair.expires_in > 0);
        for _ in 0..3 {
            let next = xoxe
                .oauth_v2_refresh(&app.client_id, &app.client_secret, pair.refresh_token.expose(), None)
                .unwrap();
            assert_ne!(next.refresh_token, pair.refresh_token);
            pair = next;
        }
        let who = xoxe.auth_test(pair.access_token.expose(), None).unwrap();
        assert!(!who.team_id.is_empty());

        let twice = xoxe
            .oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
            .unwrap_err();
        assert_eq!(twice.status, Status::TokenAlreadyExchanged);
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

#[test]
fn a_user_token_nested_in_authed_user_is_decoded() {
    let slack = server();
    let xoxe = client(&slack);
    let app = slack.new_app(true);
    let legacy = slack.new_legacy_token(&app.client_id, TokenKind::User);
    // oauth.v2.exchange answers {ok, app_id, authed_user: {id, scope, access_token,
    // token_type, refresh_token, expires_in}, team, enterprise, …}.
    slack.inject(Fault::new("oauth.v2.exchange", FaultKind::NestedUserToken));
    let pair = xoxe
        .oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
        .unwrap();
    let issued = slack.issued_secrets();
    assert_eq!(
        issued[issued.len() - 2..],
        [pair.access_token.expose(), pair.refresh_token.expose()]
    );
    assert!(pair.access_token.expose().starts_with("xoxe.xoxp-"));
    assert_eq!((pair.token_type.as_str(), pair.expires_in), ("user", 43200));
    assert!(pair.scope.contains("identify"), "{}", pair.scope);
    assert!(pair.user_id.as_deref().is_some_and(|u| u.starts_with('U')));
    assert_eq!(pair.bot_user_id, None);
    assert_eq!(pair.app_id, app.app_id);
    assert!(pair.team_id.is_some());
    assert_eq!(slack.faults(), [], "the fault fired");
    let who = xoxe.auth_test(pair.access_token.expose(), None).unwrap();
    assert_eq!(Some(who.user_id), pair.user_id);
    // The refresh grant in the same shape, then a flat one: the nested refresh token
    // was the real one.
    slack.inject(Fault::new("oauth.v2.access", FaultKind::NestedUserToken));
    let next = xoxe
        .oauth_v2_refresh(&app.client_id, &app.client_secret, pair.refresh_token.expose(), None)
        .unwrap();
    assert_ne!(next.refresh_token, pair.refresh_token);
    assert_eq!(
        (next.token_type.as_str(), next.user_id.clone()),
        ("user", pair.user_id.clone())
    );
    let flat = xoxe
        .oauth_v2_refresh(&app.client_id, &app.client_secret, next.refresh_token.expose(), None)
        .unwrap();
    assert_eq!(flat.token_type, "user");
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

#[test]
fn oauth_errors_map_to_their_statuses() {
    let slack = server();
    let xoxe = client(&slack);
    let app = slack.new_app(true);
    let legacy = slack.new_legacy_token(&app.client_id, TokenKind::Bot);
    let cases = [
        (
            ("A0UNKNOWN.1", app.client_secret.as_str(), legacy.as_str()),
            Status::InvalidClientId,
        ),
        (
            (app.client_id.as_str(), "wrong-secret", legacy.as_str()),
            Status::BadClientSecret,
        ),
        (
            (app.client_id.as_str(), app.client_secret.as_str(), "xoxb-not-issued"),
            Status::InvalidToken,
        ),
    ];
    for ((id, secret, token), want) in cases {
        let err = xoxe.oauth_v2_exchange(id, secret, token, None).unwrap_err();
        assert_eq!(err.status, want);
        assert_eq!(err.status.family(), StatusFamily::SlackApi);
    }
    let no_rotation = slack.new_app(false);
    let legacy2 = slack.new_legacy_token(&no_rotation.client_id, TokenKind::Bot);
    let err = xoxe
        .oauth_v2_exchange(&no_rotation.client_id, &no_rotation.client_secret, &legacy2, None)
        .unwrap_err();
    assert_eq!(err.status, Status::TokenRotationNotEnabled);

    let err = xoxe
        .oauth_v2_refresh(&app.client_id, &app.client_secret, "xoxe-1-never-issued", None)
        .unwrap_err();
    assert_eq!(err.status, Status::InvalidRefreshToken);
}

#[test]
fn auth_test_distinguishes_expired_invalid_and_valid_tokens() {
    let slack = server();
    let xoxe = client(&slack);
    let expired = slack.new_config_token(Some(0));
    assert_eq!(
        xoxe.auth_test(&expired.token, None).unwrap_err().status,
        Status::TokenExpired
    );
    assert_eq!(
        xoxe.auth_test("xoxb-made-up", None).unwrap_err().status,
        Status::InvalidAuth
    );
    let live = slack.new_config_token(None);
    let who = xoxe.auth_test(&live.token, None).unwrap();
    assert_eq!(who.user_id, live.user_id);
}

#[test]
fn generic_call_returns_raw_json_and_slack_error_bodies() {
    let slack = server();
    let xoxe = client(&slack);
    let config = slack.new_config_token(None);
    let ok = xoxe
        .call(
            "apps.manifest.validate",
            Some(&config.token),
            &[("manifest", r#"{"display_information":{"name":"x"}}"#)],
            None,
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok.json).unwrap();
    assert_eq!(v["ok"], true);

    let bad = xoxe
        .call(
            "apps.manifest.validate",
            Some(&config.token),
            &[("manifest", "[]")],
            None,
        )
        .unwrap_err();
    assert_eq!(bad.status, Status::InvalidManifest);
    let body: serde_json::Value = serde_json::from_str(bad.response_json.as_deref().unwrap()).unwrap();
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));

    let unknown = xoxe.call("no.such.method", None, &[], None).unwrap_err();
    assert_eq!(unknown.status, Status::UnknownMethod);
    assert_eq!(unknown.http_status, Some(404));

    let novel = xoxe.call("auth.test", None, &[], None).unwrap_err();
    assert_eq!(novel.status, Status::NotAuthed);
    assert_eq!(requests(&slack, "auth.test"), 1);
}

#[test]
fn bad_arguments_fail_before_anything_is_sent() {
    let slack = server();
    let xoxe = client(&slack);
    let huge = "x".repeat(1 << 20);
    for bad in ["", "has space", "tab\t", "é-token", huge.as_str()] {
        assert_eq!(
            xoxe.tooling_tokens_rotate(bad, None).unwrap_err().status,
            Status::InvalidArgument
        );
        assert_eq!(xoxe.auth_test(bad, None).unwrap_err().status, Status::InvalidArgument);
        assert_eq!(
            xoxe.oauth_v2_refresh("1.2", "s", bad, None).unwrap_err().status,
            Status::InvalidArgument
        );
    }
    for bad in ["", "../admin", "a/b", "x?y"] {
        let err = xoxe.call(bad, None, &[], None).unwrap_err();
        assert_eq!(err.status, Status::InvalidArgument);
        assert!(
            err.message.contains(&format!("{bad:?}")),
            "the message names it: {}",
            err.message
        );
    }
    // A long bad name is named by its first 64 characters only.
    let long = format!("{}/{}", "a".repeat(70), "b".repeat(70));
    let err = xoxe.call(&long, None, &[], None).unwrap_err();
    assert!(err.message.contains(&format!("{:?}", &long[..64])) && !err.message.contains(&long[..65]));
    assert_eq!(
        xoxe.call("auth.test", None, &[("", "v")], None).unwrap_err().status,
        Status::InvalidArgument
    );
    assert_eq!(
        xoxe.tooling_tokens_rotate("xoxe-1-x", Some(std::time::Duration::ZERO))
            .unwrap_err()
            .status,
        Status::InvalidArgument
    );
    assert!(slack.stats().requests.is_empty(), "nothing may reach Slack");
}

#[test]
fn one_client_serves_many_threads_over_kept_alive_connections() {
    let slack = server();
    let xoxe = client(&slack);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let mut refresh = slack.new_config_token(None).refresh_token;
                for _ in 0..25 {
                    let pair = xoxe.tooling_tokens_rotate(&refresh, None).unwrap();
                    xoxe.auth_test(pair.token.expose(), None).unwrap();
                    refresh = pair.refresh_token.expose().to_string();
                }
            });
        }
    });
    let stats = slack.stats();
    assert_eq!(stats.rotations, 200);
    assert_eq!(stats.refresh_token_reuses, 0);
    assert!(
        stats.connections <= 16,
        "connections are reused ({} for 400 calls)",
        stats.connections
    );
}

#[test]
fn no_secret_in_debug_or_display_output() {
    let slack = server();
    let xoxe = client(&slack);
    let seed = slack.new_config_token(None);
    let pair = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    let printed = format!("{pair:?} {err:?} {err} {xoxe:?}");
    assert_eq!(
        format!("{xoxe:?}"),
        format!("Client {{ base_url: {:?}, .. }}", slack.base_url())
    );
    assert_eq!(
        xoxe.options().base_url,
        slack.base_url(),
        "the options it was built with"
    );
    assert_eq!(xoxe.options().timeout, common::options(&slack).timeout);
    for secret in [
        pair.token.expose(),
        pair.refresh_token.expose(),
        seed.refresh_token.as_str(),
    ] {
        assert!(!printed.contains(secret), "a secret was printed");
    }
}
