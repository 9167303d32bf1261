//! The checker: xoxe's promise, rule by rule, over a [`History`].
//!
//! **No refresh token is ever spent twice by xoxe, and no pair Slack issued is
//! ever lost once any caller saw it.** Each rule below is one function; each
//! finds [`Violation`]s and never stops at the first.
//!
//! Times: Slack's events carry Slack's clock, the client's the test's; in a test
//! both are this machine's clock (a simulation: one simulated clock), so the
//! rules that compare the two sides (a, d) compare them directly.

use crate::lineage::Lineage;
use crate::{fingerprint, Answer, Event, History};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

/// One way a history breaks the promise. Tokens are named by [`fingerprint`]
/// only: a violation never holds a whole token, so printing one is safe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// Rule a: a refresh token was presented again after an earlier presentation
    /// spent it, and the pair that spend issued had already been saved or handed
    /// out (so this was no orphan recovery).
    DoubleSpend {
        /// Fingerprint of the refresh token presented again.
        refresh: String,
        /// When it was presented again (Slack's clock).
        at_ms: i64,
        /// Who presented it again, when known.
        by: String,
        /// Fingerprint of the access token (else the refresh token) of the pair
        /// the earlier spend issued.
        earlier_pair: String,
        /// How that pair had been seen: `"saved"`, `"seeded"` or `"handed out"`.
        seen: &'static str,
        /// When it was first seen so (the test's clock; `i64::MIN` when seeded).
        seen_at_ms: i64,
    },
    /// Rule b: a caller got this access token, and its pair is neither the pair
    /// the chain's store holds at the end nor an ancestor of it.
    LostPair {
        /// The chain.
        chain: String,
        /// Fingerprint of the access token handed out.
        access: String,
        /// When it was handed out.
        at_ms: i64,
        /// Fingerprint of the refresh token the store holds at the end.
        final_refresh: String,
    },
    /// Rule b: a caller got an access token no event ties to a pair (Slack never
    /// issued it in this history and no store saved or was seeded with it).
    UnknownToken {
        /// The chain.
        chain: String,
        /// Fingerprint of the access token handed out.
        access: String,
        /// When it was handed out.
        at_ms: i64,
    },
    /// Rule c: a caller got an access token before any store reported its pair
    /// saved.
    UnsavedHandout {
        /// The chain.
        chain: String,
        /// Fingerprint of the access token handed out.
        access: String,
        /// When it was handed out.
        at_ms: i64,
    },
    /// Rule d: a caller got an access token after it expired.
    ExpiredHandout {
        /// The chain.
        chain: String,
        /// Fingerprint of the access token handed out.
        access: String,
        /// When it was handed out.
        at_ms: i64,
        /// When Slack said it expires (Slack's clock).
        expires_at_ms: i64,
    },
    /// Rule e: the refresh token the chain's store holds at the end was spent at
    /// Slack, and nothing in the history says the chain was revoked: the chain is
    /// dead.
    DeadChain {
        /// The chain.
        chain: String,
        /// Fingerprint of the stored, spent refresh token.
        refresh: String,
        /// When Slack first spent it.
        spent_at_ms: i64,
    },
}

impl Violation {
    /// The rule's short name (`double_spend`, `lost_pair`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::DoubleSpend { .. } => "double_spend",
            Violation::LostPair { .. } => "lost_pair",
            Violation::UnknownToken { .. } => "unknown_token",
            Violation::UnsavedHandout { .. } => "unsaved_handout",
            Violation::ExpiredHandout { .. } => "expired_handout",
            Violation::DeadChain { .. } => "dead_chain",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.kind())?;
        match self {
            Violation::DoubleSpend {
                refresh,
                at_ms,
                by,
                earlier_pair,
                seen,
                seen_at_ms,
            } => write!(
                f,
                "refresh token {refresh} presented again at {at_ms}{}, but the pair {earlier_pair} its earlier spend \
                 issued was already {seen}{}",
                by_whom(by),
                if *seen_at_ms == i64::MIN {
                    String::new()
                } else {
                    format!(" at {seen_at_ms}")
                }
            ),
            Violation::LostPair {
                chain,
                access,
                at_ms,
                final_refresh,
            } => write!(
                f,
                "chain {chain}: access token {access} handed out at {at_ms} belongs to a pair that is neither the \
                 stored pair (refresh token {final_refresh}) nor an ancestor of it"
            ),
            Violation::UnknownToken { chain, access, at_ms } => write!(
                f,
                "chain {chain}: access token {access} handed out at {at_ms} was never issued, seeded or saved in \
                 this history"
            ),
            Violation::UnsavedHandout { chain, access, at_ms } => write!(
                f,
                "chain {chain}: access token {access} handed out at {at_ms} before any store saved its pair"
            ),
            Violation::ExpiredHandout {
                chain,
                access,
                at_ms,
                expires_at_ms,
            } => write!(
                f,
                "chain {chain}: access token {access} handed out at {at_ms}, after it expired at {expires_at_ms}"
            ),
            Violation::DeadChain {
                chain,
                refresh,
                spent_at_ms,
            } => write!(
                f,
                "chain {chain}: the stored refresh token {refresh} was spent at Slack at {spent_at_ms} and the \
                 history shows no revocation"
            ),
        }
    }
}

fn by_whom(by: &str) -> String {
    if by.is_empty() {
        String::new()
    } else {
        format!(" by {by}")
    }
}

/// What a history holds, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Refresh tokens presented to Slack.
    pub presentations: u64,
    /// Presentations answered with a new pair (first spends).
    pub issued: u64,
    /// Presentations of a spent token answered with a pair again (Slack's grace).
    pub grace_reissues: u64,
    /// Presentations refused without spending.
    pub rejections: u64,
    /// Presentations whose answer was lost.
    pub unknowns: u64,
    /// Revocations Slack recorded.
    pub revocations: u64,
    /// Chains seeded.
    pub seeds: u64,
    /// Pairs a store reported saved.
    pub saves: u64,
    /// Access tokens handed to callers.
    pub handouts: u64,
    /// Stored pairs recorded at the end.
    pub finals: u64,
    /// Distinct chain names in the client's events.
    pub chains: u64,
}

impl Summary {
    /// Counts `history`'s events.
    pub fn of(history: &History) -> Summary {
        let mut s = Summary::default();
        let mut chains = BTreeSet::new();
        for event in &history.events {
            match event {
                Event::Presented { answer, .. } => {
                    s.presentations += 1;
                    match answer {
                        Answer::Issued { .. } => s.issued += 1,
                        Answer::GraceReissue { .. } => s.grace_reissues += 1,
                        Answer::Rejected { .. } => s.rejections += 1,
                        Answer::Unknown => s.unknowns += 1,
                    }
                }
                Event::Revoked { .. } => s.revocations += 1,
                Event::Seeded { chain, .. } => {
                    s.seeds += 1;
                    chains.insert(chain);
                }
                Event::Saved { chain, .. } => {
                    s.saves += 1;
                    chains.insert(chain);
                }
                Event::HandedOut { chain, .. } => {
                    s.handouts += 1;
                    chains.insert(chain);
                }
                Event::Final { chain, .. } => {
                    s.finals += 1;
                    chains.insert(chain);
                }
            }
        }
        s.chains = chains.len() as u64;
        s
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} presentations ({} issued, {} grace reissues, {} rejected, {} unknown), {} revocations, {} chains \
             ({} seeded), {} saves, {} handouts, {} final pairs",
            self.presentations,
            self.issued,
            self.grace_reissues,
            self.rejections,
            self.unknowns,
            self.revocations,
            self.chains,
            self.seeds,
            self.saves,
            self.handouts,
            self.finals
        )
    }
}

/// The checker's verdict on a history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every violation found, rule by rule.
    pub violations: Vec<Violation>,
    /// What the history holds.
    pub summary: Summary,
}

impl Report {
    /// Whether the history keeps the promise.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Panics, listing every violation, unless the history keeps the promise.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "the history breaks xoxe's promise:\n{self}");
    }

    /// The violations of one kind ([`Violation::kind`]).
    pub fn of_kind(&self, kind: &str) -> Vec<&Violation> {
        self.violations.iter().filter(|v| v.kind() == kind).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        if self.is_ok() {
            return write!(f, "no violations");
        }
        write!(f, "{} violations:", self.violations.len())?;
        for v in &self.violations {
            write!(f, "\n  {v}")?;
        }
        Ok(())
    }
}

/// Checks `history` against every rule of xoxe's promise:
///
/// - **a, double spend**: a refresh token is presented again only as the
///   documented orphan recovery — the pair its earlier spend issued had been
///   neither saved nor handed out when it was presented again (a presentation
///   Slack refused spent nothing and may be retried);
/// - **b, lost pair**: every access token handed out belongs to a pair the
///   history knows, and, where the test recorded the chain's [`Event::Final`]
///   pair, to that pair or an ancestor of it (or to a pair Slack revoked);
/// - **c, unsaved handout**: in a chain whose saves are recorded, a token is
///   handed out only once its pair was saved (or seeded);
/// - **d, expired handout**: never after the expiry Slack stated;
/// - **e, dead chain**: the final pair's refresh token is unspent at Slack,
///   unless the chain was revoked.
pub fn check(history: &History) -> Report {
    let facts = Facts::of(history);
    let mut violations = double_spends(&facts);
    violations.extend(lost_pairs(&facts));
    violations.extend(unsaved_handouts(&facts));
    violations.extend(expired_handouts(&facts));
    violations.extend(dead_chains(&facts));
    Report {
        violations,
        summary: Summary::of(history),
    }
}

/// One presentation of a refresh token.
struct Presentation<'a> {
    at_ms: i64,
    by: &'a str,
    answer: &'a Answer,
}

impl Presentation<'_> {
    /// The refresh token of the pair this presentation's answer issued, if any.
    fn issued(&self) -> Option<&str> {
        match self.answer {
            Answer::Issued { refresh, .. } | Answer::GraceReissue { refresh, .. } => Some(refresh.as_str()),
            Answer::Rejected { .. } | Answer::Unknown => None,
        }
    }

    /// Whether the answer spent (or may have spent) the token.
    fn spends(&self) -> bool {
        !matches!(self.answer, Answer::Rejected { .. })
    }
}

/// One access token handed out.
struct Handout<'a> {
    at_ms: i64,
    chain: &'a str,
    access: &'a str,
}

/// The end of one chain.
struct Final<'a> {
    refresh: &'a str,
    revoked: bool,
}

/// What the rules look up, indexed once.
struct Facts<'a> {
    lineage: Lineage,
    /// Presentations per refresh token, in recorded order; `order` keeps the
    /// tokens in order of first presentation so reports are stable.
    presentations: HashMap<&'a str, Vec<Presentation<'a>>>,
    order: Vec<&'a str>,
    /// Earliest save of each pair (by refresh token); seeded pairs at `i64::MIN`.
    saved_at: HashMap<&'a str, i64>,
    /// Chains some store reported a save for.
    chains_with_saves: HashSet<&'a str>,
    handouts: Vec<Handout<'a>>,
    /// The last `Final` of each chain.
    finals: BTreeMap<&'a str, Final<'a>>,
    /// Every token named by a `Revoked` event.
    revoked: HashSet<&'a str>,
}

impl<'a> Facts<'a> {
    fn of(history: &'a History) -> Facts<'a> {
        let mut facts = Facts {
            lineage: Lineage::of(history),
            presentations: HashMap::new(),
            order: Vec::new(),
            saved_at: HashMap::new(),
            chains_with_saves: HashSet::new(),
            handouts: Vec::new(),
            finals: BTreeMap::new(),
            revoked: HashSet::new(),
        };
        for event in &history.events {
            match event {
                Event::Presented {
                    at_ms,
                    refresh,
                    by,
                    answer,
                } => {
                    let list = facts.presentations.entry(refresh.as_str()).or_default();
                    if list.is_empty() {
                        facts.order.push(refresh.as_str());
                    }
                    list.push(Presentation {
                        at_ms: *at_ms,
                        by: by.as_str(),
                        answer,
                    });
                }
                Event::Revoked { token, .. } => {
                    facts.revoked.insert(token.as_str());
                }
                Event::Seeded { refresh, .. } => {
                    facts.saved_at.insert(refresh.as_str(), i64::MIN);
                }
                Event::Saved {
                    at_ms, chain, refresh, ..
                } => {
                    facts.chains_with_saves.insert(chain.as_str());
                    let at = facts.saved_at.entry(refresh.as_str()).or_insert(*at_ms);
                    *at = (*at).min(*at_ms);
                }
                Event::HandedOut {
                    at_ms, chain, access, ..
                } => facts.handouts.push(Handout {
                    at_ms: *at_ms,
                    chain: chain.as_str(),
                    access: access.as_str(),
                }),
                Event::Final {
                    chain,
                    refresh,
                    revoked,
                    ..
                } => {
                    facts.finals.insert(
                        chain.as_str(),
                        Final {
                            refresh: refresh.as_str(),
                            revoked: *revoked,
                        },
                    );
                }
            }
        }
        facts
    }

    /// The pair (refresh token) an access token handed out belongs to.
    fn pair_of(&self, access: &str) -> Option<&str> {
        self.lineage.pair_of_access(access)
    }

    /// The earliest handout of each pair.
    fn handed_out_at(&self) -> HashMap<&str, i64> {
        let mut first: HashMap<&str, i64> = HashMap::new();
        for h in &self.handouts {
            if let Some(pair) = self.pair_of(h.access) {
                let at = first.entry(pair).or_insert(h.at_ms);
                *at = (*at).min(h.at_ms);
            }
        }
        first
    }

    /// A name for a pair in messages: its access token's fingerprint, else its
    /// refresh token's.
    fn name_of(&self, refresh: &str) -> String {
        let access = self.lineage.pair(refresh).and_then(|p| p.access.as_deref());
        fingerprint(access.unwrap_or(refresh))
    }
}

/// **Rule a, double spend.** A refresh token may be presented again only while
/// nothing of what its earlier spends issued is in use. A presentation `p` of
/// refresh token `r` is a violation when an earlier presentation of `r` was
/// answered [`Answer::Issued`] or [`Answer::GraceReissue`] and that answer's pair
/// had been saved or handed out at or before `p` (Slack's clock and the test's
/// are this machine's).
///
/// Allowed: re-presenting after a [`Answer::Rejected`] (nothing was spent), and
/// the documented **orphan recovery** — a holder spent `r` and died, paused or
/// lost the answer before saving; the next holder, finding `r` still stored and
/// the first holder's in-flight marker expired, presents `r` again. The first
/// answer's pair was then neither saved nor handed out when `r` was presented
/// again. After an [`Answer::Unknown`] the client never learnt a pair, so it can
/// have saved or handed out none: re-presenting is that same recovery.
fn double_spends(facts: &Facts) -> Vec<Violation> {
    let handed_out_at = facts.handed_out_at();
    let seen_by = |pair: &str, t: i64| -> Option<(&'static str, i64)> {
        let saved = facts.saved_at.get(pair).filter(|&&at| at <= t).map(|&at| match at {
            i64::MIN => ("seeded", at),
            _ => ("saved", at),
        });
        let handed = handed_out_at
            .get(pair)
            .filter(|&&at| at <= t)
            .map(|&at| ("handed out", at));
        saved.or(handed)
    };
    let mut found = Vec::new();
    for refresh in &facts.order {
        let mut spent: Vec<&str> = Vec::new(); // pairs the earlier spends issued
        for p in &facts.presentations[refresh] {
            let earlier = spent
                .iter()
                .find_map(|pair| seen_by(pair, p.at_ms).map(|seen| (*pair, seen)));
            if let Some((pair, (seen, seen_at_ms))) = earlier {
                found.push(Violation::DoubleSpend {
                    refresh: fingerprint(refresh),
                    at_ms: p.at_ms,
                    by: p.by.to_string(),
                    earlier_pair: facts.name_of(pair),
                    seen,
                    seen_at_ms,
                });
            }
            if p.spends() {
                spent.extend(p.issued());
            }
        }
    }
    found
}

/// **Rule b, lost pair.** Every access token handed out must belong to a pair
/// the history knows (issued by Slack, seeded, or saved), and — when the test
/// recorded what the chain's store holds at the end ([`Event::Final`]) — to that
/// pair or an ancestor of it. A pair a caller saw that is off that line was lost,
/// unless Slack itself revoked it (a [`Event::Revoked`] names it or an ancestor:
/// a grace reissue's losing pair, an `auth.revoke`).
fn lost_pairs(facts: &Facts) -> Vec<Violation> {
    let ancestries: HashMap<&str, HashSet<&str>> = facts
        .finals
        .iter()
        .map(|(chain, fin)| (*chain, facts.lineage.ancestry(fin.refresh)))
        .collect();
    let revoked_by_slack = |pair: &str| {
        facts
            .lineage
            .ancestry(pair)
            .into_iter()
            .any(|p| facts.lineage.tokens_of(p).any(|t| facts.revoked.contains(t)))
    };
    let mut found = Vec::new();
    for h in &facts.handouts {
        let Some(pair) = facts.pair_of(h.access) else {
            found.push(Violation::UnknownToken {
                chain: h.chain.to_string(),
                access: fingerprint(h.access),
                at_ms: h.at_ms,
            });
            continue;
        };
        let (Some(fin), Some(line)) = (facts.finals.get(h.chain), ancestries.get(h.chain)) else {
            continue;
        };
        if !line.contains(pair) && !revoked_by_slack(pair) {
            found.push(Violation::LostPair {
                chain: h.chain.to_string(),
                access: fingerprint(h.access),
                at_ms: h.at_ms,
                final_refresh: fingerprint(fin.refresh),
            });
        }
    }
    found
}

/// **Rule c, unsaved token handed out.** In a chain whose saves the history
/// records (it has at least one [`Event::Saved`]), every access token handed out
/// must belong to a pair saved at or before the handout, or seeded. A store
/// reports a save once it is durable, so a token handed out earlier could have
/// died with its holder.
fn unsaved_handouts(facts: &Facts) -> Vec<Violation> {
    facts
        .handouts
        .iter()
        .filter(|h| facts.chains_with_saves.contains(h.chain))
        .filter_map(|h| {
            let pair = facts.pair_of(h.access)?; // unknown: rule b reports it
            let saved = facts.saved_at.get(pair).is_some_and(|&at| at <= h.at_ms);
            (!saved).then(|| Violation::UnsavedHandout {
                chain: h.chain.to_string(),
                access: fingerprint(h.access),
                at_ms: h.at_ms,
            })
        })
        .collect()
}

/// **Rule d, expired token handed out.** No access token may be handed out after
/// the expiry Slack stated when it issued it.
fn expired_handouts(facts: &Facts) -> Vec<Violation> {
    facts
        .handouts
        .iter()
        .filter_map(|h| {
            let pair = facts.lineage.pair(facts.pair_of(h.access)?)?;
            let expires_at_ms = pair.expires_at_ms?;
            (h.at_ms > expires_at_ms).then(|| Violation::ExpiredHandout {
                chain: h.chain.to_string(),
                access: fingerprint(h.access),
                at_ms: h.at_ms,
                expires_at_ms,
            })
        })
        .collect()
}

/// **Rule e, dead chain unexplained.** The refresh token a chain's store holds at
/// the end must still be unspent at Slack (no presentation of it answered with a
/// pair). If it was spent, the chain must have been revoked: the store marks it
/// ([`Event::Final::revoked`](Event::Final)) or Slack revoked a token of the
/// stored pair, of an ancestor or of a descendant. Otherwise the chain is dead.
fn dead_chains(facts: &Facts) -> Vec<Violation> {
    let mut found = Vec::new();
    for (chain, fin) in &facts.finals {
        let spent_at = facts
            .presentations
            .get(fin.refresh)
            .into_iter()
            .flatten()
            .find(|p| p.issued().is_some())
            .map(|p| p.at_ms);
        let Some(spent_at_ms) = spent_at else {
            continue;
        };
        if fin.revoked {
            continue;
        }
        let family = facts
            .lineage
            .ancestry(fin.refresh)
            .into_iter()
            .chain(facts.lineage.descendants(fin.refresh));
        let revoked = family
            .flat_map(|p| facts.lineage.tokens_of(p).collect::<Vec<_>>())
            .any(|t| facts.revoked.contains(t));
        if !revoked {
            found.push(Violation::DeadChain {
                chain: chain.to_string(),
                refresh: fingerprint(fin.refresh),
                spent_at_ms,
            });
        }
    }
    found
}
