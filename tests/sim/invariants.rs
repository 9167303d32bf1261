//! The promise, checked over one run's history with everything the simulation
//! knows about Slack: **no refresh token is ever spent twice by xoxe, and no
//! pair Slack issued is ever lost once any caller saw it.**
//!
//! 1. A refresh token is presented again after it was spent only while no pair
//!    issued for it had been saved or handed out (recovering a lost answer).
//! 2. Every token handed out was saved first (or seeded) and had not expired.
//! 3. Every token handed out is the final pair's or one of its ancestors',
//!    unless Slack revoked it (the losing pair of a grace reissue: never valid
//!    after its issue, so nothing a caller could keep using was lost), or the
//!    chain was lost to an unseen answer and it is an ancestor of Slack's live
//!    pair (which dead pair the store ends on then loses nothing more).
//! 4. The store ends on Slack's live pair, unless Slack's live pair was issued
//!    in an answer no store ever saved or parked as an orphan, nor any caller
//!    got (a lost answer killed the chain).
//!
//! One known race is set apart from rule 1 (and counted): a holder decides,
//! under a lease it took, to present again a refresh token whose spend's
//! answer nobody has seen, and while that request is on its way the holder
//! that did receive the answer, paused past its lease, saves it late. See
//! RELIABILITY.md ("Deterministic simulation": the known race).

use super::slack::SlackState;
use super::trace::tok;
use super::world::{Record, World};
use std::collections::{HashMap, HashSet};
use xoxe_history::{Answer, Event, History};

/// What the checks found: every broken rule, in words (tokens by fingerprint),
/// and whether the chain ended dead for a reason the history shows.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Broken rules.
    pub violations: Vec<String>,
    /// The chain ended dead (explained: a lost answer).
    pub chain_lost: bool,
    /// Refresh tokens presented again after a lost answer (allowed).
    pub recoveries: u64,
    /// Tokens handed out.
    pub handed_out: u64,
    /// Tokens handed out whose pair Slack had revoked by then (a grace
    /// reissue's losing pair, which the store kept because the pair Slack
    /// kept was in an answer nobody saw).
    pub revoked_handouts: u64,
    /// Presentations set apart as the known race: `(host, Slack's time)`,
    /// with the rule-1 finding they would otherwise be.
    pub known_races: Vec<(String, i64, String)>,
    /// Fingerprints of the access tokens on Slack's live pair's line, when
    /// the chain was lost to an unseen answer.
    pub live_line: HashSet<String>,
    /// The run ended with Slack's live pair parked as an orphan of the stored
    /// generation or the one before: the next rotation tries it.
    pub pending_recovery: bool,
    /// The second known issue: the chain was marked revoked (a grace
    /// reissue's losing pair answered `token_revoked`) while Slack's live pair
    /// was, or was later, parked as an orphan, which is then never tried.
    pub revoked_over_orphan: Option<String>,
}

/// Checks the run's `record` against Slack's own state at the end.
pub fn check(record: &Record, slack: &SlackState) -> Verdict {
    let history: &History = &record.history;
    let mut verdict = Verdict::default();
    let late_saves: HashSet<(&str, i64)> = record.late_saves.iter().map(|(r, at)| (r.as_str(), *at)).collect();
    // When the holder named `by` last took the lease, at or before `at`.
    let last_lease = |by: &str, at: i64| -> Option<i64> {
        record
            .acquisitions
            .iter()
            .filter(|(host, t)| World::host_name(*host) == by && *t <= at)
            .map(|(_, t)| *t)
            .max()
    };
    // When each token was first saved (by access and by refresh token).
    let mut saved_access: HashMap<&str, i64> = HashMap::new();
    let mut saved_refresh: HashMap<&str, i64> = HashMap::new();
    let mut handed: HashMap<&str, i64> = HashMap::new();
    let mut seeded: Vec<&str> = Vec::new();
    let mut last: Option<(&str, &str, bool, u64)> = None;
    for event in &history.events {
        match event {
            Event::Saved {
                at_ms, access, refresh, ..
            } => {
                saved_access.entry(access.as_str()).or_insert(*at_ms);
                saved_refresh.entry(refresh.as_str()).or_insert(*at_ms);
            }
            Event::HandedOut { at_ms, access, .. } => {
                handed.entry(access.as_str()).or_insert(*at_ms);
            }
            Event::Seeded { access, .. } => seeded.push(access.as_str()),
            Event::Final {
                access,
                refresh,
                revoked,
                generation,
                ..
            } => last = Some((access.as_str(), refresh.as_str(), *revoked, *generation)),
            _ => {}
        }
    }
    // The refresh token each access token was issued with.
    let refresh_of: HashMap<&str, &str> = slack
        .refresh
        .iter()
        .map(|(refresh, rec)| (rec.access.as_str(), refresh.as_str()))
        .collect();
    // Whether a caller had seen the pair of `refresh` by `at` (saved or handed out).
    let seen_by = |refresh: &str, at: i64| -> bool {
        let access = slack.refresh.get(refresh).map(|r| r.access.as_str()).unwrap_or("");
        saved_refresh.get(refresh).is_some_and(|&t| t <= at) || handed.get(access).is_some_and(|&t| t <= at)
    };

    // 1. Presentations after a spend.
    let mut spent: HashMap<&str, Vec<&str>> = HashMap::new();
    for event in &history.events {
        let Event::Presented {
            at_ms,
            refresh,
            by,
            answer,
        } = event
        else {
            continue;
        };
        if let Some(children) = spent.get(refresh.as_str()) {
            let seen: Vec<&str> = children
                .iter()
                .copied()
                .filter(|child| seen_by(child, *at_ms))
                .collect();
            if let Some(child) = seen.first() {
                let finding = format!(
                    "{} presented again by {by} at {at_ms} ms, after its pair {} was saved or handed out",
                    tok(refresh),
                    tok(child)
                );
                // The known race: first seen through a late save, which came
                // after this holder took the lease it decided under.
                let saved_at = saved_refresh.get(child).copied();
                let known = saved_at.is_some_and(|ts| {
                    late_saves.contains(&(*child, ts)) && last_lease(by, *at_ms).is_some_and(|taken| taken < ts)
                });
                if known {
                    verdict.known_races.push((by.clone(), *at_ms, finding));
                } else {
                    verdict.violations.push(finding);
                }
            } else {
                verdict.recoveries += 1;
            }
        }
        if let Answer::Issued { refresh: child, .. } | Answer::GraceReissue { refresh: child, .. } = answer {
            spent.entry(refresh.as_str()).or_default().push(child.as_str());
        }
    }

    // 2. Every hand-out: saved (or seeded) first, not expired.
    for event in &history.events {
        let Event::HandedOut { at_ms, access, by, .. } = event else {
            continue;
        };
        verdict.handed_out += 1;
        let Some(rec) = slack.access.get(access.as_str()) else {
            verdict
                .violations
                .push(format!("{by} handed out {}, which Slack never issued", tok(access)));
            continue;
        };
        let saved =
            seeded.contains(&access.as_str()) || saved_access.get(access.as_str()).is_some_and(|&t| t <= *at_ms);
        if !saved {
            verdict.violations.push(format!(
                "{by} handed out {} at {at_ms} ms before any store saved it",
                tok(access)
            ));
        }
        if rec.revoked {
            verdict.revoked_handouts += 1;
        }
        if rec.expires_at_ms <= *at_ms {
            verdict.violations.push(format!(
                "{by} handed out {} at {at_ms} ms, expired at {} ms",
                tok(access),
                rec.expires_at_ms
            ));
        }
    }

    // 4. The store ends on Slack's live pair, unless a lost answer explains why not.
    let Some((final_access, final_refresh, final_revoked, final_generation)) = last else {
        verdict.violations.push("the history has no final state".into());
        return verdict;
    };
    let live = slack.live_end();
    if live != Some(final_refresh) || final_revoked {
        match live {
            Some(live) if !seen_by(live, i64::MAX) && record.parked.iter().any(|p| p == live) => {
                let tried_next = record.final_orphans.iter().any(|(from, refresh)| {
                    refresh == live && (*from == final_generation || from + 1 == final_generation)
                });
                let kept = record.final_orphans.iter().any(|(_, refresh)| refresh == live);
                let final_lost_grace = kept && slack.refresh.get(final_refresh).is_some_and(|r| r.revoked);
                if !final_revoked && tried_next {
                    verdict.pending_recovery = true;
                } else if final_revoked && final_lost_grace {
                    verdict.chain_lost = true;
                    verdict.revoked_over_orphan = Some(format!(
                        "the store ends marked revoked on {} / {} (a grace reissue's losing pair), while Slack's \
                         live pair {} was parked as an orphan",
                        tok(final_access),
                        tok(final_refresh),
                        tok(live)
                    ));
                } else {
                    verdict.violations.push(format!(
                        "the store ends on {} / {}{}, and Slack's live pair {}, parked as an orphan, is not where \
                         the next rotation looks",
                        tok(final_access),
                        tok(final_refresh),
                        if final_revoked { " (marked revoked)" } else { "" },
                        tok(live)
                    ));
                }
            }
            Some(live) if seen_by(live, i64::MAX) => verdict.violations.push(format!(
                "the store ends on {} / {}{}, but Slack's live pair {} was saved or handed out: it was lost",
                tok(final_access),
                tok(final_refresh),
                if final_revoked { " (marked revoked)" } else { "" },
                tok(live)
            )),
            Some(_) => verdict.chain_lost = true,
            None => verdict.violations.push("Slack's chain has no live end".into()),
        }
    }

    // 3. Every hand-out is on the final pair's ancestry (or, when the chain was
    // lost to an unseen answer, on Slack's live pair's).
    let line_of = |end: Option<&str>| -> Vec<String> {
        let mut line = Vec::new();
        let mut at = end;
        while let Some(refresh) = at {
            line.push(refresh.to_string());
            at = slack.refresh.get(refresh).and_then(|r| r.parent.as_deref());
        }
        line
    };
    let ancestry = line_of(Some(final_refresh));
    let live_line = if verdict.chain_lost { line_of(live) } else { Vec::new() };
    verdict.live_line = live_line
        .iter()
        .filter_map(|r| slack.refresh.get(r).map(|rec| tok(&rec.access)))
        .collect();
    for (&access, &at_ms) in &handed {
        let refresh = refresh_of.get(access).map(|r| r.to_string());
        let on_chain = refresh
            .as_ref()
            .is_some_and(|r| ancestry.contains(r) || live_line.contains(r));
        let revoked = slack.access.get(access).is_some_and(|a| a.revoked);
        if !on_chain && !revoked {
            verdict.violations.push(format!(
                "{} (handed out at {at_ms} ms) is not on the final pair's chain ({} / {})",
                tok(access),
                tok(final_access),
                tok(final_refresh)
            ));
        }
    }
    verdict
}
