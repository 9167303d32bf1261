//! A secret string (token, refresh token, client secret): never printed, zeroed on drop.

use serde::{Deserialize, Deserializer};
use std::fmt;
use zeroize::Zeroizing;

/// A token or client secret. `Debug` and `Display` show only a redacted form;
/// the memory is overwritten with zeros when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a string as a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call only where the value must leave xoxe (a request, a store).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe to print: see [`redact`].
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// A printable stand-in for a token: its type prefix (e.g. `xoxe.xoxp-1-`), then `…`,
/// then the last four characters when the token is long enough that they reveal
/// nothing useful (so two tokens can be told apart in a log). Anything that does
/// not look like a Slack token shows no characters at all.
pub fn redact(token: &str) -> String {
    let Some(end) = redaction_prefix(token) else {
        return format!("[redacted {} chars]", token.chars().count());
    };
    let rest = token.len() - end;
    if rest >= 20 && token.is_char_boundary(token.len() - 4) {
        format!("{}…{}", &token[..end], &token[token.len() - 4..])
    } else {
        format!("{}…", &token[..end])
    }
}

/// The length of the part of `token` a redaction keeps: the run of `[a-z.]` (at most
/// 12) then `-`, plus one numeric `N-` segment (`xoxe.xoxp-1-`); `None` when the
/// token has no such prefix.
pub(crate) fn redaction_prefix(token: &str) -> Option<usize> {
    let bytes = token.as_bytes();
    let mut end = 0;
    while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'.') {
        end += 1;
    }
    if end == 0 || end > 12 || bytes.get(end) != Some(&b'-') {
        return None;
    }
    end += 1;
    let digits = bytes[end..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits <= 3 && bytes.get(end + digits) == Some(&b'-') {
        end += digits + 1;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_prefix_and_tail() {
        let t = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi1hYmNkZWY";
        assert_eq!(
            redact(t),
            "xoxe.xoxp-1-…ZWY".replace("…ZWY", &format!("…{}", &t[t.len() - 4..]))
        );
        assert_eq!(redact("xoxe-1-short"), "xoxe-1-…");
        assert_eq!(redact("not a token at all"), "[redacted 18 chars]");
        assert_eq!(redact(""), "[redacted 0 chars]");
        // No letters before the first '-', or too many: not a token's type prefix.
        assert_eq!(redact("-1-abcdefghijklmnopqrstuvwxyz"), "[redacted 29 chars]");
        assert_eq!(
            redact("abcdefghijklm-1-abcdefghijklmnopqrstuvwxyz"),
            "[redacted 42 chars]"
        );
        assert_eq!(
            redact("abcdefghijkl-1-abcdefghijklmnopqrstuvwxyz"),
            "abcdefghijkl-1-…wxyz",
            "12 is the longest prefix"
        );
        // The numeric segment: one to three digits, then '-'.
        for t in [
            "xoxb--abcdefghijklmnopqrstuvwxyz",
            "xoxb-1234-abcdefghijklmnopqrstuvwxyz",
            "xoxb-12abcdefghijklmnopqrstuvwxyz",
            "xoxb-1abcdefghijklmnopqrstuvwxyz",
        ] {
            assert_eq!(redact(t), "xoxb-…wxyz", "{t}");
        }
        // Fewer than 20 characters after the prefix: no tail.
        assert_eq!(redact("xoxe-1-abcdefghijklmno"), "xoxe-1-…");
        assert_eq!(redact("xoxe-1-abcdefghijklmnopqrst"), "xoxe-1-…qrst");
        let s = Secret::new(t);
        assert!(!format!("{s:?} {s}").contains(&t[12..t.len() - 4]));
        assert_eq!(format!("{s:?}"), format!("Secret({})", redact(t)));
        assert_eq!(format!("{s}"), redact(t));
    }

    #[test]
    fn redaction_never_splits_multibyte_characters() {
        let t = "xoxb-1-ééééééééééééééééééééééé";
        assert_eq!(redact(t), "xoxb-1-…éé", "the 4-byte tail ends on a character boundary");
        // 26 two-byte characters: the tail (the last 4 bytes) is two whole ones.
        assert_eq!(redact(&format!("xoxb-1-{}", "é".repeat(26))), "xoxb-1-…éé");
        assert_eq!(redact("éééé"), "[redacted 4 chars]", "not a token: only its length");
    }
}
