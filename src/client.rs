//! The blocking HTTP client: one shared `ureq` agent, timeouts, rate-limit retries,
//! and the classification of every way a call can fail.
//!
//! Requests are `POST application/x-www-form-urlencoded` (no charset, as Slack
//! wants). Tokens travel in `Authorization: Bearer`, client credentials in HTTP
//! Basic; nothing secret is ever put in a URL.

use crate::base_url::BaseUrl;
use crate::error::{Error, Result};
use crate::log::xlog;
use crate::outcome::{keep_raw_body, settle, Reach};
use crate::response::{self, Envelope};
use crate::status::Status;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("xoxe/", env!("CARGO_PKG_VERSION"), " (+ureq)");

/// Largest request body xoxe will send (form-encoded arguments).
pub(crate) const MAX_REQUEST_BYTES: usize = 4 << 20;

/// How a [`Client`] talks to Slack. `Default` gives Slack's production API.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Web API base URL; see [`BaseUrl::parse`] for what is accepted.
    pub base_url: String,
    /// Limit for establishing a connection (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Limit for a whole call, including any rate-limit waits.
    pub timeout: Duration,
    /// How many times a `ratelimited` answer is retried after its `Retry-After`;
    /// 0 hands the error straight back with `retry_after` set.
    pub max_ratelimit_retries: u32,
    /// A `Retry-After` longer than this is not waited for: the error is returned.
    pub max_retry_after: Duration,
    /// Extra PEM CA certificates to trust besides the built-in Mozilla roots
    /// (for a TLS-intercepting corporate proxy). Verification can't be turned off.
    pub ca_bundle_path: Option<PathBuf>,
    /// Responses larger than this fail with `ResponseTooLarge`.
    pub max_response_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            base_url: crate::base_url::SLACK_BASE_URL.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_ratelimit_retries: 2,
            max_retry_after: Duration::from_secs(60),
            ca_bundle_path: None,
            max_response_bytes: 4 << 20,
        }
    }
}

/// A Slack Web API client. Cheap to share: `Send + Sync`, one connection pool.
pub struct Client {
    agent: ureq::Agent,
    base: BaseUrl,
    options: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// No credentials (e.g. `tooling.tokens.rotate`, whose refresh token is an argument).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `Authorization: Basic base64(id:secret)`.
    Basic { id: &'a str, secret: &'a str },
}

/// One Web API request.
pub(crate) struct Call<'a> {
    pub method: &'a str,
    pub auth: Auth<'a>,
    pub params: &'a [(&'a str, &'a str)],
    /// True when the request spends a refresh or legacy token: such a request is
    /// never sent twice once it may have reached Slack.
    pub spends_token: bool,
    /// Overrides the client's whole-call timeout.
    pub timeout: Option<Duration>,
}

impl Call<'_> {
    /// The secrets this request carries: its credentials and every argument whose
    /// name says it is one (`*token*`, `*secret*`, `code`).
    pub(crate) fn secrets(&self) -> impl Iterator<Item = &str> {
        let auth = match self.auth {
            Auth::None => None,
            Auth::Bearer(token) => Some(token),
            Auth::Basic { secret, .. } => Some(secret),
        };
        let params = self
            .params
            .iter()
            .filter(|(name, _)| name.contains("token") || name.contains("secret") || *name == "code")
            .map(|(_, value)| *value);
        auth.into_iter().chain(params)
    }
}

/// A successful (`ok: true`) response.
pub(crate) struct Reply {
    /// The raw body (zeroed on drop: it may hold tokens).
    pub body: Zeroizing<Vec<u8>>,
    pub warnings: Vec<String>,
    pub http_status: u16,
}

impl Client {
    /// Builds a client. Fails on a bad base URL or an unreadable CA bundle.
    pub fn new(options: ClientOptions) -> Result<Client> {
        crate::log::init_from_env();
        let base = BaseUrl::parse(&options.base_url)?;
        if options.timeout.is_zero() || options.connect_timeout.is_zero() {
            return Err(Error::new(
                Status::InvalidArgument,
                "timeouts must be greater than zero",
            ));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(options.connect_timeout))
            .max_idle_age(Duration::from_secs(30))
            // A client is shared by many threads: keep a connection for each of them.
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .tls_config(crate::tls::tls_config(options.ca_bundle_path.as_deref())?);
        if base.is_loopback() {
            // A proxy from the environment must not see traffic meant for this machine.
            config = config.proxy(None);
        }
        let agent = ureq::Agent::with_parts(
            config.build(),
            ureq::unversioned::transport::Connector::chain(
                ureq::unversioned::transport::DefaultConnector::default(),
                crate::lean_transport::LeanConnector,
            ),
            LookupResolver::default(),
        );
        Ok(Client { agent, base, options })
    }

    /// The base URL in use (always ends in `/`).
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Sends a call, waiting out rate limits as configured, and returns the `ok: true`
    /// response or the classified error.
    pub(crate) fn send(&self, call: &Call<'_>) -> Result<Reply> {
        check_method_name(call.method)?;
        let body = form_body(call.params)?;
        let timeout = call.timeout.unwrap_or(self.options.timeout);
        if timeout.is_zero() {
            return Err(Error::new(Status::InvalidArgument, "timeout must be greater than zero"));
        }
        let deadline = Instant::now()
            .checked_add(timeout)
            .ok_or_else(|| Error::new(Status::InvalidArgument, "timeout is too long"))?;
        let mut retries_left = self.options.max_ratelimit_retries;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::new(Status::Timeout, format!("{}: timed out", call.method)));
            }
            let started = Instant::now();
            let outcome = self.attempt(call, &body, remaining);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match &outcome {
                Ok(reply) => xlog!(Debug, "{}: HTTP {} ok in {ms:.1} ms", call.method, reply.http_status),
                Err(e) if e.status == Status::OutcomeUnknown => {
                    xlog!(
                        Warn,
                        "{}: outcome unknown after {ms:.1} ms (cause {}): {}",
                        call.method,
                        e.cause,
                        e.message
                    )
                }
                Err(e) => xlog!(Debug, "{}: {} after {ms:.1} ms: {}", call.method, e.status, e.message),
            }
            match outcome {
                Err(e) if e.status == Status::Ratelimited && retries_left > 0 => {
                    let wait = Duration::from_secs(e.retry_after.unwrap_or(1));
                    // Retry-After is the server's number: an absurd one must not overflow.
                    let fits = Instant::now().checked_add(wait).is_some_and(|t| t < deadline);
                    if wait > self.options.max_retry_after || !fits {
                        return Err(e);
                    }
                    retries_left -= 1;
                    xlog!(
                        Info,
                        "{}: rate limited; waiting {} s (retry {} of {})",
                        call.method,
                        wait.as_secs(),
                        self.options.max_ratelimit_retries - retries_left,
                        self.options.max_ratelimit_retries
                    );
                    std::thread::sleep(wait);
                }
                other => return other,
            }
        }
    }

    fn attempt(&self, call: &Call<'_>, body: &[u8], timeout: Duration) -> Result<Reply> {
        let url = format!("{}{}", self.base.as_str(), call.method);
        let mut request = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(timeout))
            // Connecting must end before the call's own deadline, so a call timeout
            // that runs out while connecting is reported as a connect timeout
            // (nothing was sent), never as an unknown outcome. A tenth of the time
            // left is kept for the request itself.
            .timeout_connect(Some(self.options.connect_timeout.min(timeout - timeout / 10)))
            .build()
            .content_type("application/x-www-form-urlencoded");
        let auth_header = authorization(call.auth);
        if let Some(value) = &auth_header {
            request = request.header("Authorization", value.as_str());
        }
        let mut response = request.send(body).map_err(|e| classify_transport(e, call))?;
        let http_status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(self.options.max_response_bytes)
            .read_to_vec()
            .map(Zeroizing::new)
            // The status line arrived, so the request was sent: for a token-spending
            // call, classify_transport makes a broken body an unknown outcome.
            .map_err(|e| classify_transport(e, call).with_http_status(http_status))?;
        let envelope = match response::envelope(&body) {
            Ok(envelope) => envelope,
            Err(why) => {
                let err = self.unparsable(call, http_status, retry_after, why);
                return Err(keep_raw_body(call, err, &body, self.options.max_response_bytes));
            }
        };
        let Envelope { ok, error, warnings } = envelope;
        if ok && (200..300).contains(&http_status) {
            return Ok(Reply {
                body,
                warnings,
                http_status,
            });
        }
        let code = error.unwrap_or_else(|| {
            if ok {
                "http_status".into()
            } else {
                "unknown_error_missing_code".into()
            }
        });
        let status = if ok {
            Status::HttpStatus
        } else {
            Status::from_slack_code(&code)
        };
        // `error` is server-controlled (a proxy may echo what it was sent): only a
        // word in Slack's code alphabet goes into the message; the raw value stays
        // in `slack_error`.
        let said = if is_slack_code(&code) {
            code.clone()
        } else {
            format!("an unrecognised error code ({} bytes)", code.len())
        };
        let mut err = Error::new(
            status,
            format!("{} failed: Slack said {said} (HTTP {http_status})", call.method),
        );
        err.http_status = Some(http_status);
        err.warnings = warnings;
        err.retry_after = retry_after;
        if ok {
            // `ok: true` behind a non-2xx status: if Slack may have acted, the body may
            // hold what it issued.
            let err = settle(call, err, Reach::Unexplained { http_status });
            return Err(keep_raw_body(call, err, &body, self.options.max_response_bytes));
        }
        err.slack_error = Some(code);
        err.response_json = Some(response::raw_text(&body, limit_of(self.options.max_response_bytes)));
        Err(settle(call, err, Reach::Refused { status, http_status }))
    }

    /// A body that is not a Slack JSON envelope (HTML error page, garbage, truncated).
    fn unparsable(&self, call: &Call<'_>, http_status: u16, retry_after: Option<u64>, why: String) -> Error {
        let (status, what) = match http_status {
            200..=299 => (Status::BadResponse, format!("response is not Slack JSON: {why}")),
            429 => (Status::Ratelimited, "rate limited (HTTP 429)".to_string()),
            _ => (
                Status::HttpStatus,
                format!("HTTP {http_status} without a Slack error body"),
            ),
        };
        let mut err = Error::new(status, format!("{}: {what}", call.method)).with_http_status(http_status);
        err.retry_after = retry_after;
        if status == Status::Ratelimited {
            err.slack_error = Some("ratelimited".into());
        }
        settle(call, err, Reach::Unexplained { http_status })
    }
}

/// A response-size limit as a length.
fn limit_of(max_response_bytes: u64) -> usize {
    usize::try_from(max_response_bytes).unwrap_or(usize::MAX)
}

/// Whether `code` looks like a Slack error code (`invalid_refresh_token`): lower-case
/// letters, digits and `_`, at most 64 bytes. Anything else is not repeated in messages.
pub(crate) fn is_slack_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Method names go into the URL path: allow only what Slack method names use.
fn check_method_name(method: &str) -> Result<()> {
    let valid = !method.is_empty()
        && method.len() <= 100
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        && !method.starts_with('.');
    if valid {
        Ok(())
    } else {
        Err(Error::new(
            Status::InvalidArgument,
            format!(
                "method name {:?} is not a Slack method name (letters, digits, '.', '_')",
                truncate(method, 64)
            ),
        ))
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `application/x-www-form-urlencoded` body, in memory that is zeroed on drop.
fn form_body(params: &[(&str, &str)]) -> Result<Zeroizing<Vec<u8>>> {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');
    let mut body = Zeroizing::new(Vec::with_capacity(
        64 + params.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>(),
    ));
    for (i, (name, value)) in params.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::new(Status::InvalidArgument, "argument names must not be empty"));
        }
        if i > 0 {
            body.push(b'&');
        }
        for chunk in utf8_percent_encode(name, FORM)
            .chain(std::iter::once("="))
            .chain(utf8_percent_encode(value, FORM))
        {
            body.extend_from_slice(chunk.as_bytes());
        }
        if body.len() > MAX_REQUEST_BYTES {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("arguments exceed {} bytes once encoded", MAX_REQUEST_BYTES),
            ));
        }
    }
    Ok(body)
}

fn authorization(auth: Auth<'_>) -> Option<Zeroizing<String>> {
    use base64::Engine;
    match auth {
        Auth::None => None,
        Auth::Bearer(token) => Some(Zeroizing::new(format!("Bearer {token}"))),
        Auth::Basic { id, secret } => {
            let pair = Zeroizing::new(format!("{id}:{secret}"));
            Some(Zeroizing::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
            )))
        }
    }
}

/// Maps a ureq failure to a status, and to how far the request got (see
/// [`settle`]: anything after it left this machine may have been applied).
fn classify_transport(e: ureq::Error, call: &Call<'_>) -> Error {
    use ureq::Timeout as T;
    let method = call.method;
    // `before_send` is true only when the request certainly never reached the server.
    let (status, before_send, message) = match &e {
        ureq::Error::Timeout(phase @ (T::Resolve | T::Connect)) => (
            Status::Timeout,
            true,
            format!("{method}: timed out while connecting ({phase:?})"),
        ),
        ureq::Error::Timeout(phase) => (Status::Timeout, false, format!("{method}: timed out ({phase:?})")),
        ureq::Error::HostNotFound => (Status::Network, true, format!("{method}: host not found")),
        ureq::Error::ConnectionFailed => (Status::Network, true, format!("{method}: connection failed")),
        ureq::Error::Io(io) if tls_failure(io).is_some() => {
            let (why, handshake) = tls_failure(io).unwrap_or_default();
            // A certificate or handshake failure happens before the request is sent.
            (Status::Tls, handshake, format!("{method}: TLS failed: {why}"))
        }
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::AddrNotAvailable
            ) =>
        {
            // These only arise while connecting: nothing was sent.
            (Status::Network, true, format!("{method}: cannot connect: {io}"))
        }
        ureq::Error::Io(io) if matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
            (Status::Timeout, false, format!("{method}: timed out ({io})"))
        }
        ureq::Error::Io(io) => (Status::Network, false, format!("{method}: connection error: {io}")),
        ureq::Error::Tls(why) => (Status::Tls, true, format!("{method}: TLS failed: {why}")),
        ureq::Error::Rustls(why) => (Status::Tls, true, format!("{method}: TLS failed: {why}")),
        ureq::Error::BodyExceedsLimit(limit) => (
            Status::ResponseTooLarge,
            false,
            format!("{method}: response body exceeds the {limit}-byte limit"),
        ),
        ureq::Error::Protocol(why) => (
            Status::BadResponse,
            false,
            format!("{method}: malformed HTTP response: {why}"),
        ),
        ureq::Error::ConnectProxyFailed(why) => (
            Status::Network,
            true,
            format!("{method}: the proxy refused the tunnel: {why}"),
        ),
        ureq::Error::InvalidProxyUrl => (
            Status::InvalidArgument,
            true,
            format!("{method}: invalid proxy URL in the environment"),
        ),
        other => (Status::Network, false, format!("{method}: {other}")),
    };
    let reach = if before_send { Reach::NotSent } else { Reach::NoAnswer };
    settle(call, Error::new(status, message), reach)
}

/// How long a looked-up address list is reused.
const LOOKUP_TTL: Duration = Duration::from_secs(30);

/// ureq's resolver, made cheap and explicit. ureq resolves before every request,
/// even on a pooled connection, and with a timeout set its resolver starts a
/// thread per lookup; so an IP literal is used as it is, and a host name's
/// addresses are reused for `LOOKUP_TTL`. A failed lookup is `HostNotFound`
/// rather than a bare I/O error, so the classifier knows nothing was sent.
#[derive(Debug, Default)]
struct LookupResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    cache: std::sync::Mutex<Option<(String, Instant, ureq::unversioned::resolver::ResolvedSocketAddrs)>>,
}

impl ureq::unversioned::resolver::Resolver for LookupResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> std::result::Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;
        let port = authority
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            let mut addrs = self.inner.empty();
            addrs.push(std::net::SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        if host.eq_ignore_ascii_case("localhost") {
            // Trusted as loopback for plain http, so it must be loopback (RFC 6761):
            // never what /etc/hosts or DNS says.
            let mut addrs = self.inner.empty();
            addrs.push(std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), port));
            addrs.push(std::net::SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), port));
            return Ok(addrs);
        }
        let key = format!("{}://{}:{port}", uri.scheme_str().unwrap_or(""), host);
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((k, at, addrs)) = cache.as_ref() {
                if *k == key && at.elapsed() < LOOKUP_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout).map_err(|e| match e {
            ureq::Error::Io(_) => ureq::Error::HostNotFound,
            other => other,
        })?;
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// A TLS error that ureq wraps in an I/O error: its text, and whether it belongs to
/// the handshake (so the request was certainly not sent yet).
fn tls_failure(io: &std::io::Error) -> Option<(String, bool)> {
    let tls = io.get_ref()?.downcast_ref::<rustls::Error>()?;
    let handshake = matches!(
        tls,
        rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType
            | rustls::Error::PeerIncompatible(_)
            | rustls::Error::InappropriateHandshakeMessage { .. }
            | rustls::Error::InvalidCertRevocationList(_)
    );
    Some((tls.to_string(), handshake))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_encodes_like_a_browser() {
        let body = form_body(&[("refresh_token", "xoxe-1-a b&c=d"), ("manifest", "{\"é\":1}")]).unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "refresh_token=xoxe-1-a%20b%26c%3Dd&manifest=%7B%22%C3%A9%22%3A1%7D"
        );
        assert_eq!(form_body(&[("", "x")]).unwrap_err().status, Status::InvalidArgument);
        let huge = "x".repeat(MAX_REQUEST_BYTES + 1);
        assert_eq!(form_body(&[("a", &huge)]).unwrap_err().status, Status::InvalidArgument);
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_accepted() {
        let value = "v".repeat(MAX_REQUEST_BYTES - 2);
        assert_eq!(form_body(&[("a", &value)]).unwrap().len(), MAX_REQUEST_BYTES);
    }

    #[test]
    fn lookups_use_the_schemes_default_port_and_are_cached_per_scheme_host_and_port() {
        use ureq::unversioned::resolver::Resolver;
        let resolver = LookupResolver::default();
        let config = ureq::config::Config::default();
        let ports = |url: &str| -> Vec<u16> {
            let uri = url.parse().unwrap();
            let addrs = resolver
                .resolve(&uri, &config, ureq::unversioned::transport::NextTimeout::default())
                .unwrap();
            addrs.iter().map(|a| a.port()).collect()
        };
        assert!(ports("http://localhost/api/").iter().all(|&p| p == 80));
        // Each differs from the cached entry in one part of its key.
        assert!(ports("https://localhost/api/").iter().all(|&p| p == 443));
        assert!(ports("https://localhost:8443/api/").iter().all(|&p| p == 8443));
        assert_eq!(ports("http://127.0.0.1/api/"), [80]);
        assert_eq!(ports("https://[::1]:9/api/"), [9]);
    }

    #[test]
    fn localhost_is_loopback_whatever_the_resolver_says() {
        use ureq::unversioned::resolver::Resolver;
        let resolver = LookupResolver::default();
        let uri = "http://LocalHost:8080/api/".parse().unwrap();
        let addrs = resolver
            .resolve(&uri, &ureq::config::Config::default(), Default::default())
            .unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
        let cache = resolver.cache.lock().unwrap();
        assert!(cache.is_none(), "the system resolver (and /etc/hosts) was not asked");
    }

    #[test]
    fn a_requests_own_secrets_are_redacted_from_any_failure_message() {
        let call = Call {
            method: "oauth.v2.access",
            auth: Auth::Basic {
                id: "123.456",
                secret: "f00dfacecafebeef0123456789abcdef",
            },
            params: &[("refresh_token", "xoxe-1-SECRETSECRETSECRET0123")],
            spends_token: true,
            timeout: None,
        };
        // Error::new already scrubs token shapes; a server may echo a token's
        // random part alone, and a client secret has no shape at all.
        let err = Error::new(
            Status::Network,
            "proxy said f00dfacecafebeef0123456789abcdef and SECRETSECRETSECRET0123",
        );
        let err = crate::outcome::settle(&call, err, crate::outcome::Reach::NotSent);
        assert!(!err.message.contains("f00dface"), "{}", err.message);
        assert!(!err.message.contains("SECRETSECRET"), "{}", err.message);
        assert_eq!(err.status, Status::Network);
    }

    #[test]
    fn short_parts_of_a_secret_are_not_redacted_from_ordinary_words() {
        // The last segment `ta` also occurs in "rotate": a message is not mangled
        // for a fragment too short to be a secret.
        let call = Call {
            method: "tooling.tokens.rotate",
            auth: Auth::Bearer("xoxb-1-ta"),
            params: &[],
            spends_token: true,
            timeout: None,
        };
        let message = "tooling.tokens.rotate: connection failed";
        let err = crate::outcome::settle(
            &call,
            Error::new(Status::Network, message),
            crate::outcome::Reach::NotSent,
        );
        assert_eq!(err.message, message);
    }

    #[test]
    fn method_names_cannot_escape_the_api_path() {
        assert!(check_method_name("apps.manifest.validate").is_ok());
        for bad in ["", "../admin", "a/b", "a?b", ".hidden", "a b", "é"] {
            assert_eq!(
                check_method_name(bad).unwrap_err().status,
                Status::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn basic_auth_is_base64_of_id_colon_secret() {
        let h = authorization(Auth::Basic {
            id: "123.456",
            secret: "s3cr3t",
        })
        .unwrap();
        assert_eq!(h.as_str(), "Basic MTIzLjQ1NjpzM2NyM3Q=");
    }
}
