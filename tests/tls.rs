//! HTTPS against the fake Slack's test CA: trusted only through the CA-bundle
//! option, refused without it, and faults behave as over plain HTTP.

use fake_slack::{Config, FakeSlack, Fault, FaultKind};
use xoxe::{Client, ClientOptions, Status};

fn tls_server() -> (FakeSlack, std::path::PathBuf) {
    let slack = FakeSlack::start(Config {
        tls: true,
        issued_tokens_file: std::env::var_os("XOXE_ISSUED_TOKENS").map(Into::into),
        ..Config::default()
    })
    .unwrap();
    let ca = std::env::temp_dir().join(format!("xoxe-test-ca-{}-{}.pem", std::process::id(), slack.port()));
    std::fs::write(&ca, slack.tls_ca_pem().unwrap()).unwrap();
    (slack, ca)
}

fn options(slack: &FakeSlack, ca: Option<&std::path::Path>) -> ClientOptions {
    ClientOptions {
        base_url: slack.tls_base_url().unwrap(),
        ca_bundle_path: ca.map(Into::into),
        ..ClientOptions::default()
    }
}

#[test]
fn the_extra_ca_bundle_makes_the_test_server_trusted() {
    let (slack, ca) = tls_server();
    let xoxe = Client::new(options(&slack, Some(&ca))).unwrap();
    let seed = slack.new_config_token(None);
    let pair = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    xoxe.auth_test(pair.token.expose(), None).unwrap();
    // Connections are kept alive over TLS too: five more calls, no new connection.
    let connections = slack.stats().connections;
    for _ in 0..5 {
        xoxe.auth_test(pair.token.expose(), None).unwrap();
    }
    assert_eq!(slack.stats().connections, connections, "a TLS connection was reused");
    slack.inject(Fault::new("tooling.tokens.rotate", FaultKind::DropAfterApply));
    let err = xoxe
        .tooling_tokens_rotate(pair.refresh_token.expose(), None)
        .unwrap_err();
    assert_eq!(err.status, Status::OutcomeUnknown, "{err}");
    std::fs::remove_file(ca).unwrap();
}

#[test]
fn without_the_ca_the_server_is_refused_before_anything_is_sent() {
    let (slack, ca) = tls_server();
    let xoxe = Client::new(options(&slack, None)).unwrap();
    let seed = slack.new_config_token(None);
    let err = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap_err();
    assert_eq!(
        err.status,
        Status::Tls,
        "a handshake failure is not an unknown outcome: {err}"
    );
    assert!(slack.stats().requests.is_empty(), "no request reached the server");
    // The refresh token is intact: the trusted client can still use it.
    let trusted = Client::new(options(&slack, Some(&ca))).unwrap();
    trusted.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    std::fs::remove_file(ca).unwrap();
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_before_any_connection() {
    for url in [
        "http://slack.com/api/",
        "http://10.1.2.3/api/",
        "http://[2001:db8::1]/api/",
    ] {
        let err = Client::new(ClientOptions {
            base_url: url.into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.status, Status::InsecureUrl, "{url}");
    }
}
