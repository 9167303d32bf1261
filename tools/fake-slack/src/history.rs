//! Slack's side of a test's history: every refresh token presented and what was
//! answered, and every revocation, in the order this server decided them (see
//! the `xoxe-history` crate, whose checker reads them). Served at
//! `GET /_control/history`, kept in-process ([`FakeSlack::history`](crate::FakeSlack::history)),
//! cleared by `POST /_control/reset`.
//!
//! Times are Unix milliseconds on this server's clock, skew included
//! (`clock_offset_secs`): the clock its `iat`/`exp` answers use.

use serde::Serialize;
use xoxe_history::{Answer, Event, History};

/// At most this many events are kept; later ones are dropped and the history
/// is marked truncated (about 250 MB of tokens at the limit).
pub const MAX_HISTORY_EVENTS: usize = 1_000_000;

/// The recorded events (behind the state's lock).
#[derive(Debug)]
pub(crate) struct Recorder {
    events: Vec<Event>,
    truncated: bool,
    /// [`MAX_HISTORY_EVENTS`], or less in a unit test.
    limit: usize,
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder {
            events: Vec::new(),
            truncated: false,
            limit: MAX_HISTORY_EVENTS,
        }
    }
}

/// The `GET /_control/history` document.
#[derive(Serialize)]
struct Served<'a> {
    events: &'a [Event],
    truncated: bool,
}

impl Recorder {
    fn record(&mut self, event: Event) {
        if self.events.len() >= self.limit {
            self.truncated = true;
        } else {
            self.events.push(event);
        }
    }

    /// `refresh` was presented at `at_ms` and answered `answer`.
    pub fn presented(&mut self, at_ms: i64, refresh: &str, answer: Answer) {
        self.record(Event::Presented {
            at_ms,
            refresh: refresh.to_string(),
            by: String::new(),
            answer,
        });
    }

    /// The chain (or branch) `token` belongs to was revoked at `at_ms`.
    pub fn revoked(&mut self, at_ms: i64, token: &str) {
        self.record(Event::Revoked {
            at_ms,
            token: token.to_string(),
        });
    }

    /// A copy of the events.
    pub fn history(&self) -> History {
        History {
            events: self.events.clone(),
        }
    }

    /// Whether events were dropped at the limit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The `GET /_control/history` body: `{"events":[…],"truncated":bool}`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&Served {
            events: &self.events,
            truncated: self.truncated,
        })
        .unwrap_or_default()
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.events = Vec::new();
        self.truncated = false;
    }
}

/// What a successful grant answered, as the history records it.
pub(crate) fn issued(grace: bool, access: &str, refresh: &str, expires_at_ms: i64) -> Answer {
    let (access, refresh) = (access.to_string(), refresh.to_string());
    if grace {
        Answer::GraceReissue {
            access,
            refresh,
            expires_at_ms,
        }
    } else {
        Answer::Issued {
            access,
            refresh,
            expires_at_ms,
        }
    }
}

/// A refusal, as the history records it.
pub(crate) fn rejected(code: &str) -> Answer {
    Answer::Rejected { code: code.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_stops_at_its_limit_and_says_so() {
        assert_eq!(Recorder::default().limit, MAX_HISTORY_EVENTS);
        let mut r = Recorder {
            limit: 3,
            ..Recorder::default()
        };
        for _ in 0..3 {
            r.revoked(1, "t");
        }
        assert!(!r.truncated());
        r.presented(2, "xoxe-1-r", rejected("ratelimited"));
        assert!(r.truncated());
        assert_eq!(r.history().events.len(), 3);
        r.clear();
        assert!(!r.truncated());
        assert!(r.history().events.is_empty());
        assert_eq!(r.to_json(), br#"{"events":[],"truncated":false}"#);
    }
}
