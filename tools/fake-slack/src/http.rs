//! HTTP/1.1 on raw sockets: request heads, bodies, keep-alive, and response writing.
//!
//! No server framework on purpose (hyper, tiny_http, axum…): the fault injector needs raw
//! control of the socket — announce a `Content-Length` and send half the body, reset a
//! connection right after reading a request, stall before the first header byte, stream a
//! huge body — and frameworks hide or "fix" exactly those things. `httparse` parses request
//! heads; the rest is `std::net` with one thread per connection.

use crate::server::Shared;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// Largest accepted request body (larger: 413).
pub(crate) const MAX_BODY: u64 = 1 << 20;
/// Largest accepted request head (larger: 431).
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

/// Content type of every JSON response.
pub(crate) const JSON: &str = "application/json; charset=utf-8";
/// Content type of HTML error pages.
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// A parsed request, borrowing the connection's buffer.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// What to do with the connection after handling a request.
pub(crate) enum Reply {
    /// A complete response.
    Full {
        status: u16,
        ctype: &'static str,
        body: Vec<u8>,
        retry_after: Option<u64>,
    },
    /// Announce the full length, send half the body, close.
    TruncatedBody(Vec<u8>),
    /// Headers + half the body, sleep, the rest.
    SlowBody(Vec<u8>, Duration),
    /// A streamed `{"ok":true,"pad":"aaa…"}` of exactly this many bytes.
    Huge(u64),
    /// Close with a reset (SO_LINGER 0), no answer.
    Reset,
    /// Close quietly (FIN), no answer.
    Close,
    /// Send this JSON body with `Connection: close`, then stop the server.
    ShutdownAfter(Vec<u8>),
}

impl Reply {
    /// A JSON response.
    pub fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply::Full {
            status,
            ctype: JSON,
            body,
            retry_after: None,
        }
    }
}

struct Head {
    len: usize,
    content_length: u64,
    chunked: bool,
    expect_continue: bool,
    keep_alive: bool,
}

fn header_has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Partial) => return Ok(None),
        Ok(httparse::Status::Complete(len)) => len,
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(_) => return Err(400),
    };
    let http11 = req.version == Some(1);
    let (mut close, mut keep) = (false, false);
    let mut content_length: Option<u64> = None;
    let (mut chunked, mut expect_continue) = (false, false);
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n: u64 = std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or(400u16)?;
            if content_length.is_some_and(|c| c != n) {
                return Err(400);
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Any transfer coding on a request: we only take Content-Length bodies.
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            close |= header_has_token(h.value, "close");
            keep |= header_has_token(h.value, "keep-alive");
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = header_has_token(h.value, "100-continue");
        }
    }
    Ok(Some(Head {
        len,
        content_length: content_length.unwrap_or(0),
        chunked,
        expect_continue: expect_continue && http11,
        keep_alive: !close && (http11 || keep),
    }))
}

/// Parse the (complete) head again, borrowing from `buf`, and hand the request to `f`.
fn with_request<R>(buf: &[u8], head_len: usize, f: impl FnOnce(&Request) -> R) -> R {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let _ = req.parse(&buf[..head_len]);
    let target = req.path.unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut content_type = None;
    let mut authorization = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-type") {
            // A non-UTF-8 content type can never be valid: treat it as garbage.
            content_type = Some(std::str::from_utf8(h.value).unwrap_or("\u{fffd}"));
        } else if h.name.eq_ignore_ascii_case("authorization") {
            authorization = std::str::from_utf8(h.value).ok();
        }
    }
    let request = Request {
        method: req.method.unwrap_or("GET"),
        path,
        query,
        content_type,
        authorization,
        body: &buf[head_len..],
    };
    f(&request)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Read once from the socket, appending to `buf`.
fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut tmp = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut tmp) {
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn write_head(out: &mut Vec<u8>, status: u16, ctype: &str, len: u64, retry_after: Option<u64>, keep_alive: bool) {
    out.clear();
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\n",
        reason(status)
    );
    if let Some(ra) = retry_after {
        let _ = write!(out, "Retry-After: {ra}\r\n");
    }
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// An HTML page for HTTP-status faults (what a load balancer in front of Slack returns).
pub(crate) fn html_page(status: u16) -> Vec<u8> {
    format!(
        "<html><head><title>{status} {r}</title></head><body><h1>{status} {r}</h1></body></html>\n",
        r = reason(status)
    )
    .into_bytes()
}

fn simple_error(stream: &mut TcpStream, status: u16, error: &str) {
    let body = format!("{{\"ok\":false,\"error\":\"{error}\"}}");
    let mut out = Vec::with_capacity(128 + body.len());
    write_head(&mut out, status, JSON, body.len() as u64, None, false);
    out.extend_from_slice(body.as_bytes());
    let _ = stream.write_all(&out);
}

/// Make the next close of this socket send RST instead of FIN.
pub(crate) fn set_linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid fd owned by `stream`, pointer/size of a properly initialised linger.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Whether the peer has closed its side (EOF or error) — checked without blocking.
pub(crate) fn peer_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut b = [0u8; 1];
    let gone = match stream.peek(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

static PAD: [u8; 64 * 1024] = [b'a'; 64 * 1024];

fn write_huge(stream: &mut TcpStream, out: &mut Vec<u8>, bytes: u64, keep_alive: bool) -> io::Result<()> {
    const PREFIX: &[u8] = b"{\"ok\":true,\"pad\":\"";
    const SUFFIX: &[u8] = b"\"}";
    write_head(out, 200, JSON, bytes, None, keep_alive);
    let overhead = (PREFIX.len() + SUFFIX.len()) as u64;
    if bytes < overhead {
        // Too small for the padded form: `{"ok":true}` padded with spaces or cut.
        let mut small = b"{\"ok\":true}".to_vec();
        small.resize(bytes as usize, b' ');
        out.extend_from_slice(&small);
        return stream.write_all(out);
    }
    out.extend_from_slice(PREFIX);
    stream.write_all(out)?;
    let mut left = bytes - overhead;
    while left > 0 {
        let n = left.min(PAD.len() as u64) as usize;
        stream.write_all(&PAD[..n])?;
        left -= n as u64;
    }
    stream.write_all(SUFFIX)
}

/// Write `reply`; returns whether the connection may serve another request.
fn write_reply(shared: &Shared, stream: &mut TcpStream, out: &mut Vec<u8>, reply: Reply, keep_alive: bool) -> bool {
    match reply {
        Reply::Full {
            status,
            ctype,
            body,
            retry_after,
        } => {
            write_head(out, status, ctype, body.len() as u64, retry_after, keep_alive);
            out.extend_from_slice(&body);
            stream.write_all(out).is_ok() && keep_alive
        }
        Reply::TruncatedBody(body) => {
            write_head(out, 200, JSON, body.len() as u64, None, true);
            out.extend_from_slice(&body[..body.len() / 2]);
            let _ = stream.write_all(out);
            let _ = stream.shutdown(Shutdown::Write);
            false
        }
        Reply::SlowBody(body, delay) => {
            write_head(out, 200, JSON, body.len() as u64, None, keep_alive);
            let half = body.len() / 2;
            out.extend_from_slice(&body[..half]);
            if stream.write_all(out).is_err() {
                return false;
            }
            std::thread::sleep(delay);
            stream.write_all(&body[half..]).is_ok() && keep_alive
        }
        Reply::Huge(bytes) => write_huge(stream, out, bytes, keep_alive).is_ok() && keep_alive,
        Reply::Reset => {
            set_linger_zero(stream);
            false
        }
        Reply::Close => {
            let _ = stream.shutdown(Shutdown::Both);
            false
        }
        Reply::ShutdownAfter(body) => {
            write_head(out, 200, JSON, body.len() as u64, None, false);
            out.extend_from_slice(&body);
            let _ = stream.write_all(out);
            let _ = stream.flush();
            shared.request_stop();
            false
        }
    }
}

/// Serve requests on one connection until it closes, errs, or asks to close.
pub(crate) fn serve_connection(shared: &Shared, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(shared.request_timeout));
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    loop {
        // Head.
        let head = loop {
            if !buf.is_empty() {
                match parse_head(&buf) {
                    Ok(Some(h)) => break h,
                    Ok(None) if buf.len() >= MAX_HEAD => {
                        return simple_error(&mut stream, 431, "request_header_fields_too_large")
                    }
                    Ok(None) => {}
                    Err(431) => return simple_error(&mut stream, 431, "request_header_fields_too_large"),
                    Err(code) => return simple_error(&mut stream, code, "bad_request"),
                }
            }
            match fill(&mut stream, &mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                // An idle keep-alive connection may wait as long as it likes.
                Err(e) if is_timeout(&e) && buf.is_empty() && !shared.stopping() => {}
                Err(_) => return,
            }
        };
        if head.chunked {
            return simple_error(&mut stream, 411, "length_required");
        }
        if head.content_length > MAX_BODY {
            return simple_error(&mut stream, 413, "payload_too_large");
        }
        // Body.
        let total = head.len + head.content_length as usize;
        let mut sent_continue = false;
        while buf.len() < total {
            if head.expect_continue && !sent_continue {
                sent_continue = true;
                if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                    return;
                }
            }
            match fill(&mut stream, &mut buf) {
                Ok(n) if n > 0 => {}
                // EOF or timeout before the announced length: Slack's `request_timeout`.
                _ => return simple_error(&mut stream, 200, "request_timeout"),
            }
        }
        let reply = with_request(&buf[..total], head.len, |req| {
            crate::server::dispatch(shared, req, &stream)
        });
        let keep = write_reply(shared, &mut stream, &mut out, reply, head.keep_alive);
        if !keep {
            return;
        }
        buf.drain(..total);
    }
}
