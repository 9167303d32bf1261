//! The simulated Slack: issues pairs, spends refresh tokens exactly once, and
//! reissues within its grace window as the fake Slack does
//! (tools/fake-slack/src/state.rs: `spend`, `link`, `revoke_branch`); and the
//! client each host calls it through ([`SimSlack`], the rotator's `Renewer`),
//! which answers with the statuses the real client gives (src/client.rs,
//! src/outcome.rs), faults included.

use super::faults::Fault;
use super::trace::tok;
use super::world::{World, CALL_TIMEOUT, CHAIN};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use xoxe::rotator::{Renewal, Renewer};
use xoxe::store::{ChainKind, StoredPair};
use xoxe::{Error, Secret, Status};
use xoxe_history::{Answer, Event};

/// One refresh token, as Slack knows it.
#[derive(Clone, Debug)]
pub struct RefreshRec {
    /// The access token issued with it.
    pub access: String,
    /// The refresh token it was issued for (`None`: the seed).
    pub parent: Option<String>,
    /// When it was first spent (the grace window runs from here), Unix ms.
    pub spent_at: Option<i64>,
    /// Revoked by a grace reissue: answers `invalid_refresh_token`.
    pub revoked: bool,
    /// The successor that stays valid.
    pub successor: Option<String>,
    /// Successors reissued in the grace window and revoked.
    pub revoked_successors: Vec<String>,
}

/// One access token, as Slack knows it.
#[derive(Clone, Debug)]
pub struct AccessRec {
    /// When it expires, Unix ms.
    pub expires_at_ms: i64,
    /// Revoked with its refresh token.
    pub revoked: bool,
}

/// Slack's side of the world.
pub struct SlackState {
    /// Every refresh token issued.
    pub refresh: HashMap<String, RefreshRec>,
    /// Every access token issued.
    pub access: HashMap<String, AccessRec>,
    /// The refresh token the chain started from.
    pub root: Option<String>,
    lifetime_ms: i64,
    grace_ms: i64,
    keeps_first: bool,
    issued: u64,
}

/// What one presentation did.
enum Spend {
    First,
    Grace,
}

impl SlackState {
    /// Slack with tokens living `lifetime_s`, a grace window of `grace_ms`.
    pub fn new(lifetime_s: i64, grace_ms: i64, keeps_first: bool) -> SlackState {
        SlackState {
            refresh: HashMap::new(),
            access: HashMap::new(),
            root: None,
            lifetime_ms: lifetime_s * 1000,
            grace_ms,
            keeps_first,
            issued: 0,
        }
    }

    /// A new pair, issued at `now` for `parent`: (access, refresh, expiry ms).
    fn issue(&mut self, now: i64, parent: Option<&str>) -> (String, String, i64) {
        self.issued += 1;
        let access = format!("xoxe.xoxp-1-sim-a{}", self.issued);
        let refresh = format!("xoxe-1-sim-r{}", self.issued);
        let expires_at_ms = now + self.lifetime_ms;
        self.access.insert(
            access.clone(),
            AccessRec {
                expires_at_ms,
                revoked: false,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            RefreshRec {
                access: access.clone(),
                parent: parent.map(str::to_string),
                spent_at: None,
                revoked: false,
                successor: None,
                revoked_successors: Vec::new(),
            },
        );
        (access, refresh, expires_at_ms)
    }

    /// The pair a chain starts from, issued at `issued_at`.
    pub fn seed(&mut self, issued_at: i64) -> (String, String, i64) {
        let pair = self.issue(issued_at, None);
        self.root = Some(pair.1.clone());
        pair
    }

    /// `refresh` presented at `now`: Slack's answer, as the history records it,
    /// and the refresh token of the pair a grace reissue revoked, if any.
    pub fn present(&mut self, now: i64, refresh: &str) -> (Answer, Option<String>) {
        let rejected = || {
            let answer = Answer::Rejected {
                code: "invalid_refresh_token".into(),
            };
            (answer, None)
        };
        let spend = match self.refresh.get_mut(refresh) {
            None => return rejected(),
            Some(r) if r.revoked => return rejected(),
            Some(r) => match r.spent_at {
                None => {
                    r.spent_at = Some(now);
                    Spend::First
                }
                Some(at) if now - at < self.grace_ms => Spend::Grace,
                Some(_) => return rejected(),
            },
        };
        let (access, new_refresh, expires_at_ms) = self.issue(now, Some(refresh));
        let keeps_first = self.keeps_first;
        let r = self.refresh.get_mut(refresh).expect("present: just checked");
        let loser = match spend {
            Spend::First => {
                r.successor = Some(new_refresh.clone());
                None
            }
            Spend::Grace if keeps_first => Some(new_refresh.clone()),
            Spend::Grace => r.successor.replace(new_refresh.clone()),
        };
        if let Some(loser) = &loser {
            r.revoked_successors.push(loser.clone());
            self.revoke_branch(loser);
        }
        let answer = match spend {
            Spend::First => Answer::Issued {
                access,
                refresh: new_refresh,
                expires_at_ms,
            },
            Spend::Grace => Answer::GraceReissue {
                access,
                refresh: new_refresh,
                expires_at_ms,
            },
        };
        (answer, loser)
    }

    /// Revokes a refresh token, its access token and everything rotated from it.
    fn revoke_branch(&mut self, refresh: &str) {
        let mut todo = vec![refresh.to_string()];
        while let Some(rt) = todo.pop() {
            let Some(r) = self.refresh.get_mut(&rt) else {
                continue;
            };
            if r.revoked {
                continue;
            }
            r.revoked = true;
            todo.extend(r.successor.iter().cloned());
            todo.extend(r.revoked_successors.iter().cloned());
            let access = r.access.clone();
            if let Some(a) = self.access.get_mut(&access) {
                a.revoked = true;
            }
        }
    }

    /// `auth.test` at `now`: `Ok`, or Slack's error code.
    pub fn auth_test(&self, now: i64, access: &str) -> Result<(), &'static str> {
        match self.access.get(access) {
            None => Err("invalid_auth"),
            Some(a) if a.revoked => Err("token_revoked"),
            Some(a) if a.expires_at_ms <= now => Err("token_expired"),
            Some(_) => Ok(()),
        }
    }

    /// The chain's live end: the valid refresh token nobody has spent yet
    /// (`None` when every branch is spent or revoked).
    pub fn live_end(&self) -> Option<&str> {
        let mut at = self.root.as_deref()?;
        loop {
            let r = self.refresh.get(at)?;
            if r.revoked {
                return None;
            }
            match (&r.spent_at, &r.successor) {
                (None, _) => return Some(at),
                (Some(_), Some(next)) => at = next,
                (Some(_), None) => return None,
            }
        }
    }
}

/// The client as one host sees it: the rotator's [`Renewer`] in the simulation.
pub struct SimSlack {
    world: Arc<World>,
    host: usize,
}

/// A client error with an HTTP status.
fn error(status: Status, message: &str, http: Option<u16>) -> Error {
    let mut e = Error::new(status, message);
    e.http_status = http;
    e
}

/// The client's verdict on an answer that may have come after Slack spent the token.
fn outcome_unknown(cause: Status, message: &str, http: Option<u16>) -> Error {
    error(cause, message, http).into_outcome_unknown()
}

impl SimSlack {
    /// Host `host`'s client.
    pub fn new(world: Arc<World>, host: usize) -> SimSlack {
        SimSlack { world, host }
    }

    /// Records Slack's side of one presentation.
    fn presented(&self, refresh: &str, answer: &Answer) {
        let w = &self.world;
        let shown = match answer {
            Answer::Issued { access, refresh, .. } => format!("issued {} / {}", tok(access), tok(refresh)),
            Answer::GraceReissue { access, refresh, .. } => {
                format!("GRACE REISSUE {} / {}", tok(access), tok(refresh))
            }
            Answer::Rejected { code } => format!("rejected: {code}"),
            Answer::Unknown => "unknown".into(),
        };
        w.note(Some(self.host), format!("slack: {} presented: {shown}", tok(refresh)));
        w.record(Event::Presented {
            at_ms: w.now_ms(),
            refresh: refresh.to_string(),
            by: World::host_name(self.host),
            answer: answer.clone(),
        });
    }

    /// Network latency one way, ms.
    fn latency(&self) -> i64 {
        if self.world.between(0, 19) == 0 {
            self.world.between(1_000, 20_000) // a slow moment
        } else {
            self.world.between(20, 400)
        }
    }

    /// Waits on the wire until `deadline` (the client gave up there).
    fn wait_until(&self, deadline: i64) {
        let left = deadline - self.world.now_ms();
        if left > 0 {
            self.world.net_sleep(self.host, left);
        }
    }

    fn rotate(&self, refresh: &str, timeout: Duration) -> xoxe::Result<(String, String)> {
        let w = &self.world;
        let h = self.host;
        // The client takes its deadline first thing (`Client::send`).
        let deadline = w.now_ms() + timeout.as_millis() as i64;
        let timed_out = || outcome_unknown(Status::Timeout, "tooling.tokens.rotate: timed out", None);
        let mut retries_left = 2;
        loop {
            w.host_step(h, 0);
            if w.now_ms() >= deadline {
                return Err(error(Status::Timeout, "tooling.tokens.rotate: timed out", None));
            }
            if w.inject(h, Fault::SlackRefused) {
                return Err(error(
                    Status::Network,
                    "tooling.tokens.rotate: connection refused",
                    None,
                ));
            }
            if w.inject(h, Fault::SlackRequestLost) {
                self.wait_until(deadline);
                return Err(timed_out());
            }
            // Slack handles a request only if it arrives before the client gives up.
            let up = self.latency();
            if w.now_ms() + up >= deadline {
                self.wait_until(deadline);
                return Err(timed_out());
            }
            w.net_sleep(h, up);
            let answer = if w.inject(h, Fault::SlackRateLimited) {
                Answer::Rejected {
                    code: "ratelimited".into(),
                }
            } else if w.inject(h, Fault::SlackServerError) {
                Answer::Rejected {
                    code: "http_503".into(),
                }
            } else {
                let now = w.now_ms();
                let (answer, revoked) = lock_slack(w).present(now, refresh);
                if let Some(loser) = revoked {
                    w.note(Some(h), format!("slack: grace reissue revoked {}", tok(&loser)));
                    w.record(Event::Revoked {
                        at_ms: now,
                        token: loser,
                    });
                }
                answer
            };
            self.presented(refresh, &answer);
            let spent = matches!(answer, Answer::Issued { .. } | Answer::GraceReissue { .. });
            if spent && w.inject(h, Fault::SlackAnswerDropped) {
                self.wait_until(deadline);
                return Err(timed_out());
            }
            let error_after_spend = spent && w.inject(h, Fault::SlackErrorAfterSpend);
            let down = self.latency();
            if w.now_ms() + down >= deadline {
                self.wait_until(deadline);
                return Err(timed_out());
            }
            w.net_sleep(h, down);
            // The answer is read: a crash here loses it, a pause delays it.
            w.host_step(h, 0);
            if error_after_spend {
                return Err(outcome_unknown(
                    Status::InternalError,
                    "tooling.tokens.rotate failed: Slack said internal_error (HTTP 200)",
                    Some(200),
                ));
            }
            match answer {
                Answer::Issued { access, refresh, .. } | Answer::GraceReissue { access, refresh, .. } => {
                    w.pause_point(h, "with Slack's answer, before saving it");
                    return Ok((access, refresh));
                }
                Answer::Rejected { code } if code == "ratelimited" => {
                    let wait = w.between(1, 5) * 1000;
                    if retries_left > 0 && w.now_ms() + wait < deadline {
                        retries_left -= 1;
                        w.host_step(h, wait);
                        continue;
                    }
                    let mut e = error(
                        Status::Ratelimited,
                        "tooling.tokens.rotate: rate limited (HTTP 429)",
                        Some(429),
                    );
                    e.retry_after = Some((wait / 1000) as u64);
                    return Err(e);
                }
                Answer::Rejected { code } if code == "http_503" => {
                    return Err(outcome_unknown(
                        Status::HttpStatus,
                        "tooling.tokens.rotate: HTTP 503 without a Slack error body",
                        Some(503),
                    ));
                }
                Answer::Rejected { code } => {
                    let mut e = error(
                        Status::InvalidRefreshToken,
                        "tooling.tokens.rotate failed: Slack said invalid_refresh_token (HTTP 200)",
                        Some(200),
                    );
                    e.slack_error = Some(code);
                    return Err(e);
                }
                Answer::Unknown => return Err(timed_out()),
            }
        }
    }
}

fn lock_slack(w: &World) -> std::sync::MutexGuard<'_, SlackState> {
    w.slack.lock().unwrap_or_else(|e| e.into_inner())
}

impl Renewer for SimSlack {
    fn renew(&self, renewal: &Renewal, refresh_token: &str, timeout: Option<Duration>) -> xoxe::Result<StoredPair> {
        assert!(
            matches!(renewal, Renewal::Config),
            "the simulation renews config chains"
        );
        let timeout = timeout.unwrap_or(CALL_TIMEOUT);
        let (access, refresh) = self.rotate(refresh_token, timeout)?;
        let lifetime = lock_slack(&self.world).lifetime_ms / 1000;
        Ok(StoredPair {
            lifetime,
            ..StoredPair::seed(ChainKind::Config, Secret::new(refresh), Some(Secret::new(access)), 0)
        })
    }

    fn auth_test(&self, access_token: &str, _timeout: Option<Duration>) -> xoxe::Result<()> {
        let w = &self.world;
        w.host_step(self.host, 0);
        let latency = self.latency().min(CALL_TIMEOUT.as_millis() as i64 / 2);
        w.net_sleep(self.host, latency);
        let now = w.now_ms();
        let answer = lock_slack(w).auth_test(now, access_token);
        w.net_sleep(self.host, latency);
        w.host_step(self.host, 0);
        w.note(
            Some(self.host),
            format!("slack: auth.test {} on chain {CHAIN}: {answer:?}", tok(access_token)),
        );
        answer.map_err(|code| {
            let mut e = error(Status::from_slack_code(code), "auth.test failed", Some(200));
            e.slack_error = Some(code.to_string());
            e
        })
    }
}
