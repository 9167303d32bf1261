//! The error type every fallible xoxe call returns.

use crate::status::Status;
use std::fmt;

/// Why a call failed: the status, plus everything Slack or the transport said.
/// Never contains a secret: messages are built from redacted values only.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The raw JSON body of a Slack error response (e.g. `invalid_manifest` details).
    /// Server-controlled, like `slack_error`.
    pub response_json: Option<String>,
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
