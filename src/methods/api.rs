//! Any Web API method, with its raw JSON answer.

use super::check_credential;
use crate::client::{Auth, Call, Client};
use crate::error::{Error, Result};
use crate::status::Status;
use std::time::Duration;

/// The raw `ok: true` answer of a Web API method.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    /// The response body, as Slack sent it (valid JSON).
    pub json: String,
    /// Warnings Slack attached to the response.
    pub warnings: Vec<String>,
}

impl Client {
    /// Calls any Web API method (e.g. `apps.manifest.validate`) with form arguments;
    /// `token`, when given, goes in `Authorization: Bearer`. `ok: false` answers
    /// become errors with Slack's code; the raw body is in `Error::response_json`.
    ///
    /// Treated as safe to resend after a rate limit; do not use it for token-spending
    /// methods (use the typed ones, which know never to retry).
    pub fn call(
        &self,
        method: &str,
        token: Option<&str>,
        params: &[(&str, &str)],
        timeout: Option<Duration>,
    ) -> Result<ApiResponse> {
        if let Some(token) = token {
            check_credential("token", token)?;
        }
        let auth = token.map(Auth::Bearer).unwrap_or(Auth::None);
        let spends_token = matches!(
            method,
            "tooling.tokens.rotate" | "oauth.v2.exchange" | "oauth.v2.access"
        );
        let call = Call {
            method,
            auth,
            params,
            spends_token,
            timeout,
        };
        let reply = self.send(&call)?;
        let json = String::from_utf8(reply.body.to_vec())
            .map_err(|_| Error::new(Status::BadResponse, format!("{method}: response is not UTF-8")))?;
        Ok(ApiResponse {
            json,
            warnings: reply.warnings,
        })
    }
}
