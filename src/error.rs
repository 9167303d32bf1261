//! The error type every fallible xoxe call returns.

use crate::status::Status;
use std::fmt;

/// Why a call failed: the status, plus everything Slack or the transport said.
/// `message` never contains a secret: messages are built from redacted values only.
/// `slack_error` and `response_json` are the server's own words, kept raw: see their
/// docs (`response_json` of an `OutcomeUnknown` may hold new tokens). `Debug` shows
/// only the size of `response_json`, never its text.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub status: Status,
    /// The underlying reason: for `OutcomeUnknown` what happened (e.g. `Timeout`,
    /// `InternalError`), for `ChainDead` Slack's rejection; otherwise `status`.
    pub cause: Status,
    /// Human-readable detail (English, may change between versions: match on `status`).
    /// Safe to print: the library's own words, Slack codes, redacted values; no
    /// control characters.
    pub message: String,
    /// The raw `error` string the server sent, if any (also for codes xoxe does not
    /// know). Server-controlled: it may hold anything, even an echoed secret.
    pub slack_error: Option<String>,
    /// Seconds Slack asked us to wait (`Retry-After`), if it said.
    pub retry_after: Option<u64>,
    /// The HTTP status of the response, if one arrived.
    pub http_status: Option<u16>,
    /// Warnings Slack attached to the response (`warning` and `response_metadata.warnings`).
    pub warnings: Vec<String>,
    /// The raw body of the response, when it matters:
    /// - a Slack error response (`ok: false`): its JSON (e.g. `invalid_manifest`
    ///   details). Server-controlled, like `slack_error`.
    /// - `OutcomeUnknown` from a token-spending call (`tooling.tokens.rotate`,
    ///   `oauth.v2.exchange`, `oauth.v2.access`) whose answer arrived but could not be
    ///   decoded — malformed, truncated or wrong-shaped JSON, even with `ok: true`: the
    ///   raw body, which **may hold the new tokens Slack issued: treat it as a secret**
    ///   (never log or print it; a caller may salvage the new pair from it).
    /// - an OAuth install (`oauth.v2.access` with a code) that Slack answered but
    ///   that could not be kept — `TokenRotationNotEnabled` (the app's tokens do not
    ///   rotate), or a failed save of its chains (`Pool::install_code`): the raw
    ///   answer, which **holds the installation's tokens: a secret**
    ///   (`Pool::install_json` saves it later).
    ///
    /// Bytes that are not UTF-8 and NUL characters are replaced by U+FFFD; the text is
    /// at most the client's `max_response_bytes`. `None` otherwise (or when the body
    /// was empty).
    pub response_json: Option<String>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The size of a withheld text, never the text (it may hold tokens).
        struct Withheld(usize);
        impl fmt::Debug for Withheld {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<{} bytes withheld>", self.0)
            }
        }
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("cause", &self.cause)
            .field("message", &self.message)
            .field("slack_error", &self.slack_error)
            .field("retry_after", &self.retry_after)
            .field("http_status", &self.http_status)
            .field("warnings", &self.warnings)
            .field("response_json", &self.response_json.as_ref().map(|j| Withheld(j.len())))
            .finish()
    }
}

impl Error {
    /// An error with just a status and a message (made printable: tokens scrubbed,
    /// control characters escaped).
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            cause: status,
            message: crate::log::printable(&message.into()),
            slack_error: None,
            retry_after: None,
            http_status: None,
            warnings: Vec::new(),
            response_json: None,
        }
    }

    /// Re-labels this error as "outcome unknown", keeping the original status as `cause`.
    pub fn into_outcome_unknown(mut self) -> Error {
        if self.status != Status::OutcomeUnknown {
            self.cause = self.status;
            self.status = Status::OutcomeUnknown;
            self.message = format!(
                "outcome unknown: the request may have reached Slack and spent the refresh \
                 token, but no definite answer came back ({}); do not retry with the same \
                 refresh token blindly — re-read your store or re-check with Slack",
                self.message
            );
        }
        self
    }

    /// Attaches the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results in xoxe.
pub type Result<T> = std::result::Result<T, Error>;
