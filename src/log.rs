//! Optional logging to a sink the host installs (a closure; the C ABI wraps its
//! callback in one) or, with `XOXE_LOG=debug|info|warn|error` in the environment,
//! to standard error: off by default, one logger per process.
//!
//! Messages are built from redacted values only, and are scrubbed once more just
//! before they leave the core: anything shaped like a Slack token is replaced by
//! its redaction. Installing a new logger waits for calls into the old one to
//! finish, so once `set_logger` returns the old sink is never called again.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::RwLock;

/// How much a log line matters. In C: `xoxe_log_level`, `XOXE_LOG_LEVEL_*`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// A call or rotation failed in a way a human should look at (dead chain, store failure).
    Error = 1,
    /// Something went wrong but was handled, or needs care (outcome unknown, retries).
    Warn = 2,
    /// Rotations, store adoptions, rate-limit waits.
    Info = 3,
    /// Every request and its outcome, lock waits.
    Debug = 4,
}

impl LogLevel {
    /// The level numbered `n` (1 = error … 4 = debug); larger numbers are debug,
    /// 0 is none.
    pub fn from_number(n: u32) -> Option<LogLevel> {
        match n {
            0 => None,
            1 => Some(LogLevel::Error),
            2 => Some(LogLevel::Warn),
            3 => Some(LogLevel::Info),
            _ => Some(LogLevel::Debug),
        }
    }
}

/// Where log lines go: called with each line's level and its text (no NUL, no
/// secret), from any thread, possibly concurrently.
pub type LogSink = Box<dyn Fn(LogLevel, &str) + Send + Sync>;

enum Logger {
    /// The host's sink.
    Host(LogSink),
    /// Lines to standard error, installed by `XOXE_LOG`.
    Stderr,
}

/// 0 = off; otherwise the most verbose level passed to the logger. Checked before
/// any formatting so disabled logging costs one atomic load.
static MAX_LEVEL: AtomicU32 = AtomicU32::new(0);
static LOGGER: RwLock<Option<Logger>> = RwLock::new(None);

/// Installs (or, with `None`, removes) the process's logger, passing it every line
/// up to `max_level` (`None`: no line at all). When this returns, the previous
/// sink is no longer running and will not be called again.
pub fn set_logger(sink: Option<LogSink>, max_level: Option<LogLevel>) {
    let mut slot = LOGGER.write().unwrap_or_else(|e| e.into_inner());
    *slot = sink.map(Logger::Host);
    let level = match (&*slot, max_level) {
        (Some(_), Some(level)) => level as u32,
        _ => 0,
    };
    MAX_LEVEL.store(level, Ordering::Release);
}

/// Whether `level` would reach the logger.
pub fn enabled(level: LogLevel) -> bool {
    (level as u32) <= MAX_LEVEL.load(Ordering::Acquire)
}

/// Sends a message (already free of secrets; scrubbed again here) to the logger.
pub fn emit(level: LogLevel, message: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    // Tokens scrubbed, control characters escaped: no sink (the C callback, the
    // stderr logger) can be handed a secret, a NUL or a terminal escape.
    let text = printable(&message.to_string());
    let slot = LOGGER.read().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        Some(Logger::Host(sink)) => sink(level, &text),
        Some(Logger::Stderr) => {
            use std::io::Write;
            let name = ["", "error", "warn", "info", "debug"][level as usize];
            let _ = writeln!(std::io::stderr().lock(), "[xoxe {name}] {text}");
        }
        None => {}
    }
}

/// Installs a standard-error logger when `XOXE_LOG` is `error`, `warn`, `info` or
/// `debug` and no logger is set yet. Called once, when the first client is made.
pub(crate) fn init_from_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let level = match std::env::var("XOXE_LOG").as_deref() {
            Ok("error") => LogLevel::Error,
            Ok("warn") => LogLevel::Warn,
            Ok("info") => LogLevel::Info,
            Ok("debug") => LogLevel::Debug,
            _ => return,
        };
        let mut slot = LOGGER.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(Logger::Stderr);
            MAX_LEVEL.store(level as u32, Ordering::Release);
        }
    });
}

/// Logs at a level with `format!` arguments: `xlog!(Info, "rotated {}", x)`.
macro_rules! xlog {
    ($level:ident, $($arg:tt)*) => {
        if $crate::log::enabled($crate::log::LogLevel::$level) {
            $crate::log::emit($crate::log::LogLevel::$level, format_args!($($arg)*));
        }
    };
}
pub(crate) use xlog;

/// Text that may be printed: tokens scrubbed, and control characters (terminal
/// escapes, newlines that would fake a second line) escaped as `\u{..}`.
pub fn printable(text: &str) -> String {
    let clean = scrub(text);
    if !clean.chars().any(char::is_control) {
        return clean;
    }
    clean
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Replaces anything shaped like a Slack token (`xox…-N…`) by its redaction.
pub fn scrub(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("xox") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let end = candidate.find(|c: char| !is_token_char(c)).unwrap_or(candidate.len());
        let token = &candidate[..end];
        // A redaction prefix followed by '…' is already a redaction (scrubbing twice
        // changes nothing); a whole token followed by '…' is not.
        let redacted_already =
            candidate[end..].starts_with('…') && crate::secret::redaction_prefix(token) == Some(token.len());
        // Slack tokens continue with a number after their first '-' (`xoxe-1-…`,
        // `xoxb-123-…`); a name like `xoxe-store.json` is not one.
        let numbered = token
            .split_once('-')
            .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()));
        if numbered && token.len() > 8 && !redacted_already {
            out.push_str(&crate::secret::redact(token));
        } else {
            out.push_str(token);
        }
        rest = &candidate[end.max(3)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_token_followed_by_an_ellipsis_is_still_scrubbed() {
        let token = "xoxe-1-SECRETREFRESHTOKEN0123456789abcdef0123";
        let clean = scrub(&format!("Slack said {token}…"));
        assert!(!clean.contains("SECRETREFRESH"), "{clean}");
        // A redaction is left as it is.
        let redacted = crate::secret::redact(token);
        assert_eq!(scrub(&redacted), redacted);
        // Names that only start like a token are not tokens.
        assert_eq!(scrub("/tmp/xoxe-store.json"), "/tmp/xoxe-store.json");
    }

    #[test]
    fn printable_text_has_no_control_characters() {
        let text = printable("a\u{1b}[2J\nxoxe: fake line\u{7}");
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("\\u{1b}[2J\\u{a}xoxe: fake line"), "{text}");
    }

    #[test]
    fn scrub_redacts_every_token_shape() {
        let t1 = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi1hYmNkZWY";
        let t2 = "xoxe-1-abcdefabcdefabcdefabcdefabcdef0123456789";
        let line = format!("got {t1} and ({t2}), xoxo and xox- stay");
        let clean = scrub(&line);
        assert!(!clean.contains(&t1[12..30]) && !clean.contains(&t2[7..30]), "{clean}");
        assert!(
            clean.starts_with("got xoxe.xoxp-1-…") && clean.ends_with("xoxo and xox- stay"),
            "{clean}"
        );
        assert_eq!(scrub("no tokens here"), "no tokens here");
        assert_eq!(scrub("ends with xox"), "ends with xox");
        assert_eq!(scrub(&clean), clean, "idempotent");
        assert_eq!(
            scrub("xoxexoxp-"),
            scrub(&scrub("xoxexoxp-")),
            "idempotent on a bare prefix"
        );
    }
}
