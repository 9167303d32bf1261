//! TLS settings: Mozilla's roots, plus an optional extra CA bundle. Verification
//! is always on; there is deliberately no way to turn it off.

use crate::error::{Error, Result};
use crate::status::Status;
use std::path::Path;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// TLS config trusting the built-in roots and, when given, every certificate in a PEM file.
pub(crate) fn tls_config(ca_bundle: Option<&Path>) -> Result<TlsConfig> {
    let Some(path) = ca_bundle else {
        return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
    };
    let unreadable = |why: String| Error::new(Status::FileUnreadable, format!("CA bundle {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    let builtin = roots.len();
    for item in ureq::tls::parse_pem(&pem) {
        // Keys and CRLs in a bundle are ignored.
        if let PemItem::Certificate(cert) = item.map_err(|e| unreadable(format!("not valid PEM: {e}")))? {
            roots.push(cert);
        }
    }
    if roots.len() == builtin {
        return Err(unreadable("contains no PEM certificates".into()));
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&roots))
        .build())
}

/// A rustls configuration for database connections, trusting the same roots as
/// [`tls_config`]: Mozilla's, plus every certificate in `ca_bundle`.
#[cfg(feature = "postgres")]
pub(crate) fn rustls_config(ca_bundle: Option<&Path>) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    for der in bundle_certificates(ca_bundle)? {
        roots
            .add(der)
            .map_err(|e| Error::new(Status::FileUnreadable, format!("CA bundle: {e}")))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Tls, format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The certificates of a PEM CA bundle, as DER (none without a bundle).
#[cfg(any(feature = "postgres", feature = "redis"))]
pub(crate) fn bundle_certificates(ca_bundle: Option<&Path>) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    let Some(path) = ca_bundle else {
        return Ok(Vec::new());
    };
    let unreadable = |why: String| Error::new(Status::FileUnreadable, format!("CA bundle {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let mut found = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(cert) = item.map_err(|e| unreadable(format!("not valid PEM: {e}")))? {
            found.push(rustls::pki_types::CertificateDer::from(cert.der().to_vec()));
        }
    }
    if found.is_empty() {
        return Err(unreadable("contains no PEM certificates".into()));
    }
    Ok(found)
}
