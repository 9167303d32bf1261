//! The one rule for calls that spend a token: if Slack could have applied the
//! call, the outcome is unknown (`OutcomeUnknown`) and the call is never retried.
//! Every failure path of a call goes through [`settle`].

use crate::client::Call;
use crate::error::Error;
use crate::log::xlog;
use crate::status::Status;

/// How far a failed call got: the evidence for "could Slack have applied it?".
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reach {
    /// Certainly never reached Slack (no connection, TLS handshake refused, a bad
    /// argument found before sending).
    NotSent,
    /// Sent, but no complete answer came back (timeout after sending, reset,
    /// broken body).
    NoAnswer,
    /// A complete answer that carries no Slack verdict: not Slack JSON, `ok` with
    /// a non-2xx status, or a 2xx payload that makes no sense.
    Unexplained {
        /// The answer's HTTP status.
        http_status: u16,
    },
    /// `ok: false` with an error code. Slack's internal errors say "it's possible
    /// some aspect of the operation succeeded"; and behind a 5xx, a code xoxe does
    /// not know may come from a gateway that never heard Slack's answer.
    Refused {
        /// The status of the error code (`SlackOther` for a code xoxe does not know).
        status: Status,
        /// The answer's HTTP status.
        http_status: u16,
    },
}

impl Reach {
    /// Whether Slack may have carried the call out.
    fn could_have_applied(self) -> bool {
        match self {
            Reach::NotSent => false,
            Reach::NoAnswer => true,
            // A 2xx means Slack processed the request; a 5xx may come after it did.
            Reach::Unexplained { http_status } => (200..300).contains(&http_status) || http_status >= 500,
            Reach::Refused { status, http_status } => {
                matches!(
                    status,
                    Status::InternalError | Status::FatalError | Status::ServiceUnavailable
                ) || (http_status >= 500 && status == Status::SlackOther)
            }
        }
    }
}

/// The error a failed call reports: `err` itself, or — for a call that spends a
/// token and that Slack could have applied — `err` as `OutcomeUnknown`. The
/// request's own secrets are redacted from its message, whatever put them there.
pub(crate) fn settle(call: &Call<'_>, mut err: Error, reach: Reach) -> Error {
    for secret in call.secrets() {
        // The whole secret, and its random part without the `xoxe-1-` prefix (a
        // server may echo either; the bare part even looks like a Slack code).
        let body = crate::secret::redaction_prefix(secret).map_or(secret, |end| &secret[end..]);
        let last = secret.rsplit('-').next().unwrap_or(secret);
        for shown in [secret, body, last] {
            if shown.len() >= 8 && err.message.contains(shown) {
                err.message = err.message.replace(shown, &crate::secret::redact(secret));
            }
        }
    }
    if call.spends_token && reach.could_have_applied() {
        err.into_outcome_unknown()
    } else {
        err
    }
}

/// Never lose a token Slack sent: when a token-spending call got an answer that
/// could not be decoded (broken, truncated or wrong-shaped JSON, even with `ok:
/// true`) and its outcome is unknown, the raw body is kept on the error in
/// `response_json` — it may hold the new tokens, so it is a secret. Bodies longer than
/// `limit` bytes are cut; an empty body keeps nothing. Logged at Warn with its size
/// only, never its content.
pub(crate) fn keep_raw_body(call: &Call<'_>, mut err: Error, body: &[u8], limit: u64) -> Error {
    if !call.spends_token || err.status != Status::OutcomeUnknown || body.is_empty() {
        return err;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    err.response_json = Some(crate::response::raw_text(body, limit));
    err.message.push_str(
        "; the undecoded answer is kept in response_json (it may hold the new tokens: \
         treat it as a secret)",
    );
    xlog!(
        Warn,
        "{}: the answer could not be decoded; its raw body ({} bytes, may hold the new tokens) \
         is on the error (response_json)",
        call.method,
        body.len()
    );
    err
}
