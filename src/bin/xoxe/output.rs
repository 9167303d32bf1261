//! Everything the command prints goes through here: text that may come from Slack
//! or a store (team and user ids, error messages, Slack's error codes, log lines)
//! is escaped so it can neither drive the terminal nor fake a line, and a failed
//! write to standard output is an error, never silently dropped.

use std::fmt::Write as _;
use std::io::Write as _;

/// `text` with every control character escaped: `\n`, `\r`, `\t`, `\x1b` for the
/// other C0 controls and DEL, `\u{9b}` for C1 controls, and likewise for invisible
/// characters that reorder or hide text (bidi overrides, zero-width characters,
/// the Unicode line and paragraph separators). A backslash becomes `\\`, so the
/// escaped form is unambiguous. Printable text, including non-ASCII, is unchanged.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || hides_or_reorders(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Format characters that make the printed text differ from what it says.
fn hides_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Writes `text` to standard output and flushes it. The error is the caller's to
/// report: a token nobody received must not look like success.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Writes `line` to standard error; a failure there has nowhere to be reported.
pub(crate) fn complain(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn controls_are_escaped_and_printable_text_is_not() {
        assert_eq!(escape("T1\u{1b}[2J\nx\r\t\\"), "T1\\x1b[2J\\nx\\r\\t\\\\");
        assert_eq!(escape("\u{7f}\u{9b}\u{202e}\u{2028}"), "\\x7f\\u{9b}\\u{202e}\\u{2028}");
        assert_eq!(escape("T0123 é ü — xoxe.xoxp-1-…"), "T0123 é ü — xoxe.xoxp-1-…");
    }
}
