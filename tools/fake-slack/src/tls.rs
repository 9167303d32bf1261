//! HTTPS in front of the plain server: a test CA made at start-up signs a
//! certificate for `localhost` and `127.0.0.1`; each TLS connection is decrypted
//! and forwarded to the plain port, so every behaviour and fault is the same over
//! both (a reset on the plain side becomes a reset on the TLS side).

use crate::server::Shared;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The test CA (PEM, to hand to clients) and the server's TLS configuration.
pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

/// Makes a CA and a server certificate signed by it.
pub(crate) fn material() -> io::Result<TlsMaterial> {
    let err = |e: rcgen::Error| io::Error::other(e.to_string());
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "xoxe fake Slack test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?).map_err(err)?;
    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).map_err(err)?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).map_err(err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(io::Error::other)?;
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        config: Arc::new(config),
    })
}

/// Accepts TLS connections until the server stops; one thread per connection.
pub(crate) fn accept_loop(shared: Arc<Shared>, listener: TcpListener, material: Arc<TlsMaterial>) {
    for conn in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let Ok(stream) = conn else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let config = Arc::clone(&material.config);
        let backend_port = shared.port;
        let _ = std::thread::Builder::new()
            .name("fake-slack-tls".into())
            .spawn(move || {
                let _ = forward(config, stream, backend_port);
            });
    }
}

fn idle(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

/// Decrypts one client connection onto a plain connection to the server, both ways.
fn forward(config: Arc<rustls::ServerConfig>, client: TcpStream, backend_port: u16) -> io::Result<()> {
    let poll = Some(Duration::from_millis(2));
    client.set_nodelay(true)?;
    client.set_read_timeout(poll)?;
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, client);
    let mut backend = TcpStream::connect(("127.0.0.1", backend_port))?;
    backend.set_nodelay(true)?;
    backend.set_read_timeout(poll)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => {
                let _ = backend.shutdown(Shutdown::Write);
                return Ok(()); // the client closed; the backend sees it too
            }
            Ok(n) => backend.write_all(&buf[..n])?,
            Err(e) if idle(&e) => {}
            Err(e) => {
                // A failed handshake (e.g. the client does not trust our CA) ends here.
                let _ = backend.shutdown(Shutdown::Both);
                return Err(e);
            }
        }
        match backend.read(&mut buf) {
            Ok(0) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                let _ = tls.sock.shutdown(Shutdown::Write);
                return Ok(());
            }
            Ok(n) => {
                tls.write_all(&buf[..n])?;
                tls.flush()?;
            }
            Err(e) if idle(&e) => {}
            Err(e) => {
                // The plain side reset the connection (a drop fault): reset ours too.
                crate::http::set_linger_zero(&tls.sock);
                return Err(e);
            }
        }
    }
}
