//! Parsing Slack's JSON envelope and typed payloads, with error messages that
//! never quote response content (it may hold tokens).

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The part of every Web API response that says how the call went.
pub(crate) struct Envelope {
    pub ok: bool,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Head {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warning: Option<serde_json::Value>,
    #[serde(default)]
    response_metadata: Option<serde_json::Value>,
}

/// Reads `ok`, `error` and the warnings (`warning` as a comma-separated list,
/// `response_metadata.warnings` as an array; merged, without duplicates).
pub(crate) fn envelope(body: &[u8]) -> Result<Envelope, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".into());
    }
    let head: Head = parse(body)?;
    let mut warnings: Vec<String> = Vec::new();
    let mut add = |w: &str| {
        let w = w.trim();
        if !w.is_empty() && !warnings.iter().any(|x| x == w) {
            warnings.push(w.to_string());
        }
    };
    if let Some(serde_json::Value::String(list)) = &head.warning {
        list.split(',').for_each(&mut add);
    }
    if let Some(list) = head
        .response_metadata
        .as_ref()
        .and_then(|m| m.get("warnings"))
        .and_then(|w| w.as_array())
    {
        list.iter().filter_map(|w| w.as_str()).for_each(&mut add);
    }
    Ok(Envelope {
        ok: head.ok,
        error: head.error,
        warnings,
    })
}

/// Deserializes `T`, describing failures by position and kind only.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| describe(&e))
}

fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let text = e.to_string();
    let what = match e.classify() {
        // "missing field `x`" names only our own field: safe and useful.
        Category::Data if text.starts_with("missing field") => text.split(" at line").next().unwrap_or("").to_string(),
        Category::Data => "a field has the wrong type or value".to_string(),
        Category::Eof => "the JSON is truncated".to_string(),
        Category::Syntax => "the body is not valid JSON".to_string(),
        Category::Io => "the body could not be read".to_string(),
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

/// A response body as text for `Error::response_json`: bytes that are not UTF-8 are
/// replaced (lossy), so are NUL characters (no C string can hold them), and the text is
/// cut, on a character boundary, to at most `limit` bytes (the client's response limit).
pub(crate) fn raw_text(body: &[u8], limit: usize) -> String {
    let mut text = String::from_utf8_lossy(body).replace('\0', "\u{FFFD}");
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Whether a body carries a NUL character (`\u0000`), which no C string can hold.
pub(crate) fn has_nul_escape(body: &[u8]) -> bool {
    body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_is_lossy_nul_free_and_capped_on_a_character_boundary() {
        assert_eq!(raw_text(b"{\"ok\":true}", 100), "{\"ok\":true}");
        assert_eq!(raw_text(b"a\xffb\0c", 100), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(raw_text("é".repeat(4).as_bytes(), 5), "éé");
        assert_eq!(raw_text(b"abcdef", 3), "abc");
        assert_eq!(raw_text(b"", 3), "");
    }

    #[test]
    fn warnings_from_both_places_are_merged() {
        let e = envelope(br#"{"ok":true,"warning":"missing_charset,superfluous_charset","response_metadata":{"warnings":["superfluous_charset","x"]}}"#).unwrap();
        assert!(e.ok);
        assert_eq!(e.warnings, ["missing_charset", "superfluous_charset", "x"]);
    }

    #[test]
    fn failures_never_quote_the_body() {
        for body in [
            &b""[..],
            b"<html>500</html>",
            b"{\"ok\":tr",
            b"{\"ok\":\"xoxe-1-secret\"}",
            b"[1,2]",
        ] {
            let why = envelope(body).err().unwrap();
            assert!(!why.contains("secret") && !why.contains("html"), "{why}");
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            token: String,
        }
        assert!(parse::<T>(br#"{"token":5}"#).unwrap_err().contains("wrong type"));
        assert!(parse::<T>(br#"{}"#).unwrap_err().starts_with("missing field `token`"));
    }
}
