//! A proxy that refuses the tunnel: nothing reached Slack, so a token-spending call
//! is a network error, not an unknown outcome. (Own test binary: the proxy comes
//! from the environment, which is process-wide.)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use xoxe::{Client, ClientOptions, Status};

#[test]
fn a_refused_connect_tunnel_is_a_network_error_not_an_unknown_outcome() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    let answered = std::thread::spawn(move || {
        let (stream, _) = proxy.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            request.push_str(&line);
        }
        (&stream)
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        request
    });
    std::env::set_var("HTTPS_PROXY", format!("http://127.0.0.1:{port}"));
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let client = Client::new(ClientOptions {
        base_url: "https://slack.invalid/api/".into(),
        ..ClientOptions::default()
    })
    .unwrap();
    let err = client
        .tooling_tokens_rotate("xoxe-1-0123456789abcdef0123456789", None)
        .unwrap_err();
    assert_eq!(
        (err.status, err.cause),
        (Status::Network, Status::Network),
        "{}",
        err.message
    );
    let request = answered.join().unwrap();
    assert!(request.starts_with("CONNECT slack.invalid:443"), "{request}");
    assert!(!request.contains("xoxe-1-"), "the proxy saw no token");
}
