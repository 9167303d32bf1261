//! Which pair came from which: the family tree of token pairs, derived from the
//! tokens themselves.
//!
//! A pair is named by its refresh token (Slack never issues one twice). A chain
//! starts at a pair nobody issued from another (a seeded refresh token, an
//! exchange, an install); each [`Answer::Issued`] or [`Answer::GraceReissue`] to
//! a presentation of refresh token `r` makes the answered pair a child of `r`'s.

use crate::{Answer, Event, History};
use std::collections::{HashMap, HashSet};

/// What the history says of one pair.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pair {
    /// Its access token, when any event named it.
    pub access: Option<String>,
    /// The refresh token it was issued for (`None`: a chain's first pair).
    pub parent: Option<String>,
    /// When its access token expires, Unix ms on Slack's clock (from Slack's answer).
    pub expires_at_ms: Option<i64>,
}

/// Every pair the history names, and how they descend from one another.
#[derive(Debug, Default)]
pub(crate) struct Lineage {
    /// Pairs by refresh token.
    pairs: HashMap<String, Pair>,
    /// Refresh token of the pair an access token belongs to.
    by_access: HashMap<String, String>,
    /// Pairs issued for each refresh token, in the order Slack issued them.
    children: HashMap<String, Vec<String>>,
}

impl Lineage {
    /// The family tree of every pair `history` names.
    pub fn of(history: &History) -> Lineage {
        let mut lineage = Lineage::default();
        for event in &history.events {
            match event {
                Event::Presented { refresh, answer, .. } => {
                    if let Answer::Issued {
                        access,
                        refresh: child,
                        expires_at_ms,
                    }
                    | Answer::GraceReissue {
                        access,
                        refresh: child,
                        expires_at_ms,
                    } = answer
                    {
                        lineage.issued(refresh, child, access, *expires_at_ms);
                    }
                }
                Event::Seeded { access, refresh, .. }
                | Event::Saved { access, refresh, .. }
                | Event::Final { access, refresh, .. } => lineage.named(refresh, access),
                Event::Revoked { .. } | Event::HandedOut { .. } => {}
            }
        }
        lineage
    }

    fn issued(&mut self, parent: &str, child: &str, access: &str, expires_at_ms: i64) {
        self.named(child, access);
        let pair = self.pairs.entry(child.to_string()).or_default();
        if pair.parent.is_none() && child != parent {
            pair.parent = Some(parent.to_string());
            self.children
                .entry(parent.to_string())
                .or_default()
                .push(child.to_string());
        }
        if pair.expires_at_ms.is_none() {
            pair.expires_at_ms = Some(expires_at_ms);
        }
    }

    /// Records that `refresh` and `access` (if not empty) are one pair.
    fn named(&mut self, refresh: &str, access: &str) {
        let pair = self.pairs.entry(refresh.to_string()).or_default();
        if !access.is_empty() && pair.access.is_none() {
            pair.access = Some(access.to_string());
            self.by_access
                .entry(access.to_string())
                .or_insert_with(|| refresh.to_string());
        }
    }

    /// The pair (its refresh token) `access` belongs to.
    pub fn pair_of_access(&self, access: &str) -> Option<&str> {
        self.by_access.get(access).map(String::as_str)
    }

    /// The pair named by refresh token `refresh`.
    pub fn pair(&self, refresh: &str) -> Option<&Pair> {
        self.pairs.get(refresh)
    }

    /// `refresh`'s pair and every pair it descends from.
    pub fn ancestry<'a>(&'a self, refresh: &'a str) -> HashSet<&'a str> {
        let mut seen = HashSet::new();
        let mut at = Some(refresh);
        while let Some(r) = at {
            if !seen.insert(r) {
                break; // a cycle only a hand-made history can have
            }
            at = self.pairs.get(r).and_then(|p| p.parent.as_deref());
        }
        seen
    }

    /// Every pair issued, directly or not, for `refresh`'s pair (not itself).
    pub fn descendants<'a>(&'a self, refresh: &'a str) -> HashSet<&'a str> {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = vec![refresh];
        while let Some(r) = todo.pop() {
            for child in self.children.get(r).into_iter().flatten() {
                if seen.insert(child.as_str()) {
                    todo.push(child);
                }
            }
        }
        seen.remove(refresh);
        seen
    }

    /// Both tokens of the pair named by `refresh` (the access token when known).
    pub fn tokens_of<'a>(&'a self, refresh: &'a str) -> impl Iterator<Item = &'a str> {
        let access = self.pairs.get(refresh).and_then(|p| p.access.as_deref());
        std::iter::once(refresh).chain(access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(refresh: &str, access: &str, child: &str) -> Event {
        Event::Presented {
            at_ms: 0,
            refresh: refresh.into(),
            by: String::new(),
            answer: Answer::Issued {
                access: access.into(),
                refresh: child.into(),
                expires_at_ms: 10,
            },
        }
    }

    #[test]
    fn pairs_descend_from_the_refresh_token_they_were_issued_for() {
        let history = History {
            events: vec![
                Event::Seeded {
                    chain: "c".into(),
                    access: String::new(),
                    refresh: "r0".into(),
                },
                issued("r0", "a1", "r1"),
                issued("r1", "a2", "r2"),
                issued("r1", "a2b", "r2b"),
            ],
        };
        let lineage = Lineage::of(&history);
        assert_eq!(lineage.pair_of_access("a2"), Some("r2"));
        assert_eq!(lineage.ancestry("r2"), ["r2", "r1", "r0"].into_iter().collect());
        assert_eq!(lineage.descendants("r1"), ["r2", "r2b"].into_iter().collect());
        assert_eq!(lineage.pair("r1").unwrap().expires_at_ms, Some(10));
        assert_eq!(lineage.tokens_of("r1").collect::<Vec<_>>(), ["r1", "a1"]);
    }
}
