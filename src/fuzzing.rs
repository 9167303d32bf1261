//! Entry points for the fuzz targets in `fuzz/` (not part of the API). Each runs
//! untrusted input through the code that parses it, and checks that every error
//! message has one of the fixed forms xoxe writes — so no message can carry input
//! (and with it a secret) verbatim.

use crate::methods::{oauth::Wire, AuthIdentity, ConfigToken};
use crate::response;
use crate::store::StoredPair;

/// A response body as Slack might send it, decoded every way xoxe decodes one.
pub fn response_body(body: &[u8]) {
    let _ = response::envelope(body).map_err(|why| check_parse_message(&why));
    let _ = response::has_nul_escape(body);
    let _ = response::parse::<ConfigToken>(body).map_err(|why| check_parse_message(&why));
    let _ = response::parse::<Wire>(body).map_err(|why| check_parse_message(&why));
    let _ = response::parse::<AuthIdentity>(body).map_err(|why| check_parse_message(&why));
    let _ = response::parse::<StoredPair>(body).map_err(|why| check_parse_message(&why));
}

/// Text from a caller: a base URL, a token to redact, a log line to scrub.
pub fn caller_text(text: &str) {
    if let Err(e) = crate::base_url::BaseUrl::parse(text) {
        check_base_url_message(&e.message);
    }
    let redacted = crate::secret::redact(text);
    assert!(
        text.len() < 24 || !redacted.contains(text),
        "redaction returned its input"
    );
    let scrubbed = crate::log::scrub(text);
    assert_eq!(crate::log::scrub(&scrubbed), scrubbed, "scrubbing is not idempotent");
}

/// A parse failure is one of `response`'s fixed texts, then `(line N, column M)`.
fn check_parse_message(why: &str) {
    const FIXED: &[&str] = &[
        "the body is empty",
        "a field has the wrong type or value",
        "the JSON is truncated",
        "the body is not valid JSON",
        "the body could not be read",
    ];
    let (head, position) = match why.rfind(" (line ") {
        Some(at) => (&why[..at], &why[at..]),
        None => (why, ""),
    };
    let known = FIXED.contains(&head)
        || head
            .strip_prefix("missing field `")
            .and_then(|f| f.strip_suffix('`'))
            .is_some_and(|f| f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    assert!(known, "unexpected parse message form: {why:?}");
    let numbers_only = position
        .bytes()
        .all(|b| b.is_ascii_digit() || b" (line,column)".contains(&b));
    assert!(numbers_only, "unexpected position form: {why:?}");
}

/// A base-URL error is `base URL: <fixed reason>`, or names a host with anything
/// token-shaped scrubbed out.
fn check_base_url_message(message: &str) {
    const REASONS: &[&str] = &[
        "is empty",
        "contains whitespace or control characters, or is too long",
        "is not a valid URL",
        "has no scheme",
        "has no host",
        "must not contain user info (credentials never go in a URL)",
        "must not contain a query or fragment",
        "scheme must be https (or http to loopback)",
        "has a port that is not a number from 0 to 65535",
    ];
    if let Some(reason) = message.strip_prefix("base URL: ") {
        assert!(REASONS.contains(&reason), "unexpected base-URL message: {message:?}");
    } else {
        assert!(
            message.starts_with("base URL with host "),
            "unexpected base-URL message: {message:?}"
        );
        assert_eq!(
            crate::log::scrub(message),
            message,
            "a token-shaped host was not scrubbed"
        );
    }
}
