//! Base URL parsing and the transport-security policy (https, or http to loopback only).

use crate::error::{Error, Result};
use crate::status::Status;
use std::net::IpAddr;

/// Slack's Web API.
pub const SLACK_BASE_URL: &str = "https://slack.com/api/";
/// GovSlack's Web API.
pub const GOV_SLACK_BASE_URL: &str = "https://slack-gov.com/api/";

/// A checked base URL, always ending in `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    url: String,
    loopback: bool,
}

impl BaseUrl {
    /// Parses and checks a base URL: `https://…`, or `http://` to a loopback host
    /// (`localhost`, `127.0.0.0/8`, `[::1]`). No user info, query or fragment.
    pub fn parse(input: &str) -> Result<BaseUrl> {
        // Never quote the input: a token pasted into the wrong field must not be echoed.
        let bad = |why: &str| Error::new(Status::InvalidArgument, format!("base URL: {why}"));
        if input.is_empty() {
            return Err(bad("is empty"));
        }
        if input.len() > 2048 || input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("contains whitespace or control characters, or is too long"));
        }
        let uri: ureq::http::Uri = input.parse().map_err(|_| bad("is not a valid URL"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| bad("has no scheme"))?
            .to_ascii_lowercase();
        let authority = uri.authority().ok_or_else(|| bad("has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("must not contain user info (credentials never go in a URL)"));
        }
        if uri.query().is_some() || input.contains('#') {
            return Err(bad("must not contain a query or fragment"));
        }
        let port_text = match authority.as_str().rsplit_once(':') {
            Some((_, port)) if !authority.as_str().ends_with(']') => Some(port),
            _ => None,
        };
        if port_text.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(bad("has a port that is not a number from 0 to 65535"));
        }
        let host = authority.host();
        let loopback = is_loopback(host);
        match scheme.as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(Error::new(
                    Status::InsecureUrl,
                    format!(
                        "base URL with host {:?}: plain http is allowed only to loopback hosts; use https",
                        crate::log::scrub(host)
                    ),
                ))
            }
            _ => return Err(bad("scheme must be https (or http to loopback)")),
        }
        let mut url = input.to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        Ok(BaseUrl { url, loopback })
    }

    /// The URL, ending in `/`.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Whether the host is a loopback address (then no proxy is used).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        assert_eq!(
            BaseUrl::parse("https://slack.com/api").unwrap().as_str(),
            "https://slack.com/api/"
        );
        assert!(BaseUrl::parse(SLACK_BASE_URL).is_ok());
        assert!(BaseUrl::parse(GOV_SLACK_BASE_URL).is_ok());
        for ok in [
            "http://127.0.0.1:8080/api/",
            "http://localhost/api/",
            "http://[::1]:9/api/",
            "http://127.9.9.9/",
        ] {
            let u = BaseUrl::parse(ok).unwrap();
            assert!(u.is_loopback(), "{ok}");
        }
    }

    #[test]
    fn a_port_out_of_range_is_refused_not_defaulted() {
        for url in ["http://127.0.0.1:65616/api/", "https://slack.com:99999/api/"] {
            assert_eq!(
                BaseUrl::parse(url).unwrap_err().status,
                Status::InvalidArgument,
                "{url}"
            );
        }
        assert!(BaseUrl::parse("http://127.0.0.1:65535/api/").is_ok());
    }

    #[test]
    fn refuses_insecure_and_malformed() {
        assert_eq!(
            BaseUrl::parse("http://slack.com/api/").unwrap_err().status,
            Status::InsecureUrl
        );
        assert_eq!(
            BaseUrl::parse("http://10.0.0.1/api/").unwrap_err().status,
            Status::InsecureUrl
        );
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1.evil.com/").unwrap_err().status,
            Status::InsecureUrl
        );
        for bad in [
            "",
            "slack.com/api",
            "ftp://slack.com/",
            "https://u:p@slack.com/api/",
            "https://slack.com/api/?token=x",
            "https://slack.com/a pi/",
            "https://",
        ] {
            assert_eq!(
                BaseUrl::parse(bad).unwrap_err().status,
                Status::InvalidArgument,
                "{bad}"
            );
        }
    }
}
