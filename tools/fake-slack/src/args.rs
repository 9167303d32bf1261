//! Slack-style argument parsing: query string, form and JSON bodies, charsets, warnings,
//! and the credentials carried in the `Authorization` header.

use crate::http::Request;

/// Parsed arguments in arrival order (query first, then body).
#[derive(Debug, Default)]
pub(crate) struct Args(Vec<(String, String)>);

impl Args {
    /// The value of `name`, treating an empty value as absent (as Slack does).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn push(&mut self, name: String, value: String) -> Result<(), &'static str> {
        if name.contains('[') {
            return Err("invalid_array_arg");
        }
        if name.is_empty() || name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err("invalid_arg_name");
        }
        if self.0.iter().any(|(k, _)| *k == name) {
            return Err("invalid_array_arg");
        }
        self.0.push((name, value));
        Ok(())
    }
}

/// Result of parsing: the args (or the Slack error code) and any warnings.
pub(crate) struct Parsed {
    pub args: Result<Args, &'static str>,
    pub warnings: Vec<&'static str>,
}

#[derive(Clone, Copy)]
enum Charset {
    Utf8,
    Latin1,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn form_decode(s: &[u8], cs: Charset) -> Result<String, &'static str> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1).copied().and_then(hex);
                let l = s.get(i + 2).copied().and_then(hex);
                match (h, l) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err("invalid_form_data"),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    match cs {
        Charset::Utf8 => String::from_utf8(out).map_err(|_| "invalid_form_data"),
        Charset::Latin1 => Ok(out.iter().map(|&b| b as char).collect()),
    }
}

fn parse_form(data: &[u8], cs: Charset, args: &mut Args) -> Result<(), &'static str> {
    for piece in data.split(|b| *b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (k, v) = match piece.iter().position(|b| *b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        let k = form_decode(k, cs)?;
        let v = form_decode(v, cs)?;
        args.push(k, v)?;
    }
    Ok(())
}

fn parse_json(data: &[u8], cs: Charset, args: &mut Args) -> Result<(), &'static str> {
    let owned;
    let data = match cs {
        Charset::Utf8 => data,
        Charset::Latin1 => {
            owned = data.iter().map(|&b| b as char).collect::<String>();
            owned.as_bytes()
        }
    };
    let v: serde_json::Value = serde_json::from_slice(data).map_err(|_| "invalid_json")?;
    let serde_json::Value::Object(map) = v else {
        return Err("invalid_json");
    };
    for (k, v) in map {
        // Slack ignores a token in a JSON body: it must come as `Authorization: Bearer`.
        if k == "token" {
            continue;
        }
        let v = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        args.push(k, v)?;
    }
    Ok(())
}

/// Split `type/subtype; charset=x` into the lowercased media type and the charset.
fn split_content_type(ct: &str) -> (String, Option<String>) {
    let mut parts = ct.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut charset = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("charset") {
                charset = Some(v.trim().trim_matches('"').to_ascii_lowercase());
            }
        }
    }
    (mime, charset)
}

fn known_charset(cs: &str) -> Option<Charset> {
    match cs {
        "utf-8" | "utf8" => Some(Charset::Utf8),
        "iso-8859-1" | "latin1" | "latin-1" => Some(Charset::Latin1),
        _ => None,
    }
}

/// Parse a request's arguments the way Slack does.
pub(crate) fn parse(req: &Request) -> Parsed {
    let mut warnings = Vec::new();
    let args = parse_inner(req, &mut warnings);
    Parsed { args, warnings }
}

fn parse_inner(req: &Request, warnings: &mut Vec<&'static str>) -> Result<Args, &'static str> {
    let mut args = Args::default();
    if let Some(q) = req.query {
        parse_form(q.as_bytes(), Charset::Utf8, &mut args)?;
    }
    if req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD") {
        return Ok(args);
    }
    let Some(ct) = req.content_type else {
        if req.body.is_empty() {
            return Ok(args);
        }
        return Err("missing_post_type");
    };
    let (mime, charset) = split_content_type(ct);
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let cs = match charset.as_deref() {
                None => Charset::Utf8,
                Some(c) => {
                    let cs = known_charset(c).ok_or("invalid_charset")?;
                    warnings.push("superfluous_charset");
                    cs
                }
            };
            parse_form(req.body, cs, &mut args)?;
        }
        "application/json" => {
            let cs = match charset.as_deref() {
                None => {
                    warnings.push("missing_charset");
                    Charset::Utf8
                }
                Some(c) => known_charset(c).ok_or("invalid_charset")?,
            };
            // An empty JSON body is taken as no arguments, like an empty form.
            if !req.body.iter().all(|b| b.is_ascii_whitespace()) {
                parse_json(req.body, cs, &mut args)?;
            }
        }
        _ => return Err("invalid_post_type"),
    }
    Ok(args)
}

/// Encode as base64: standard alphabet with `=` padding, or URL-safe without padding.
pub(crate) fn base64_encode(data: &[u8], url_safe: bool) -> String {
    let table: &[u8; 64] = if url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(table[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if !url_safe {
                out.push('=');
            }
        }
    }
    out
}

/// Decode standard base64 (padding optional; the URL-safe alphabet is taken too).
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn auth_scheme<'a>(req: &Request<'a>, scheme: &str) -> Option<&'a str> {
    let a = req.authorization?.trim();
    let (s, rest) = a.split_once(' ')?;
    if s.eq_ignore_ascii_case(scheme) {
        Some(rest.trim())
    } else {
        None
    }
}

/// The token from `Authorization: Bearer`, else the `token` argument.
pub(crate) fn token<'a>(req: &Request<'a>, args: &'a Args) -> Option<&'a str> {
    auth_scheme(req, "Bearer")
        .filter(|t| !t.is_empty())
        .or_else(|| args.get("token"))
}

/// Client credentials from the `client_id`/`client_secret` arguments, else HTTP Basic.
pub(crate) fn client_credentials(req: &Request, args: &Args) -> (Option<String>, Option<String>) {
    let basic = auth_scheme(req, "Basic")
        .and_then(base64_decode)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())));
    let (bid, bsecret) = match basic {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    let id = args
        .get("client_id")
        .map(str::to_string)
        .or(bid)
        .filter(|s| !s.is_empty());
    let secret = args
        .get("client_secret")
        .map(str::to_string)
        .or(bsecret)
        .filter(|s| !s.is_empty());
    (id, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b"abc:def", false), "YWJjOmRlZg==");
        assert_eq!(base64_encode(b"abc:de", false), "YWJjOmRl");
        assert_eq!(base64_encode(b"\xfb\xff", false), "+/8=");
        assert_eq!(base64_encode(b"\xfb\xff", true), "-_8");
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base64_decode(&base64_encode(&data, false)).unwrap(), data);
            assert_eq!(base64_decode(&base64_encode(&data, true)).unwrap(), data);
        }
        assert_eq!(base64_decode("YWJjOmRlZg==").unwrap(), b"abc:def");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn form() {
        let mut a = Args::default();
        parse_form(b"a=1&b=x+y%21&c", Charset::Utf8, &mut a).unwrap();
        assert_eq!(a.get("a"), Some("1"));
        assert_eq!(a.get("b"), Some("x y!"));
        assert_eq!(a.get("c"), None);
        let mut a = Args::default();
        assert_eq!(parse_form(b"a=%zz", Charset::Utf8, &mut a), Err("invalid_form_data"));
        assert_eq!(
            parse_form(b"a=%ff", Charset::Utf8, &mut Args::default()),
            Err("invalid_form_data")
        );
        assert_eq!(
            parse_form(b"a-b=1", Charset::Utf8, &mut Args::default()),
            Err("invalid_arg_name")
        );
        assert_eq!(
            parse_form(b"a[]=1", Charset::Utf8, &mut Args::default()),
            Err("invalid_array_arg")
        );
        assert_eq!(
            parse_form(b"a=1&a=2", Charset::Utf8, &mut Args::default()),
            Err("invalid_array_arg")
        );
        let long = format!("{}=1", "x".repeat(101));
        assert_eq!(
            parse_form(long.as_bytes(), Charset::Utf8, &mut Args::default()),
            Err("invalid_arg_name")
        );
    }
}
