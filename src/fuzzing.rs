//! Entry points for the fuzz targets in `fuzz/` (not part of the API). Each runs
//! untrusted input through the code that parses it, and checks that failures
//! describe the input without quoting it.

use crate::methods::{oauth::Wire, AuthIdentity, ConfigToken};
use crate::response;
use crate::store::StoredPair;

/// A response body as Slack might send it, decoded every way xoxe decodes one.
pub fn response_body(body: &[u8]) {
    let _ = response::envelope(body);
    let _ = response::has_nul_escape(body);
    check_no_echo(body, response::parse::<ConfigToken>(body).err());
    check_no_echo(body, response::parse::<Wire>(body).err());
    check_no_echo(body, response::parse::<AuthIdentity>(body).err());
    check_no_echo(body, response::parse::<StoredPair>(body).err());
}

/// Text from a caller: a base URL, a token to redact, a log line to scrub.
pub fn caller_text(text: &str) {
    if let Err(e) = crate::base_url::BaseUrl::parse(text) {
        assert!(
            text.len() < 12 || !e.message.contains(text),
            "a base-URL error quoted its input"
        );
    }
    let redacted = crate::secret::redact(text);
    assert!(
        text.len() < 24 || !redacted.contains(text),
        "redaction returned its input"
    );
    let _ = crate::log::scrub(text);
}

fn check_no_echo(body: &[u8], err: Option<String>) {
    if let (Some(why), Ok(text)) = (err, std::str::from_utf8(body)) {
        // A long input quoted verbatim would mean secrets could leak into messages.
        assert!(text.len() < 16 || !why.contains(text), "a parse error quoted the body");
    }
}
