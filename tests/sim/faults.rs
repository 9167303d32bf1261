//! The faults a run may inject, how often (chosen by the seed), and how many
//! of each it did.

use super::rng::Rng;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Slack: the connection is refused; nothing was sent.
    SlackRefused,
    /// Slack: the request is lost on the way; the client times out (outcome unknown, nothing spent).
    SlackRequestLost,
    /// Slack: `429` before spending; the client waits `Retry-After` and retries while its deadline allows.
    SlackRateLimited,
    /// Slack: an HTML `503` before spending (the client: outcome unknown).
    SlackServerError,
    /// Slack: `internal_error` after the token was spent (the client: outcome unknown).
    SlackErrorAfterSpend,
    /// Slack: the token was spent and the answer dropped (the client times out: outcome unknown).
    SlackAnswerDropped,
    /// Store: the connection breaks before the statement applies.
    StoreConnectionLost,
    /// Store: the statement applies, but its acknowledgement is lost (the host sees an error).
    StoreAckLost,
    /// Host: frozen by the scheduler (past its lease's expiry), then resumed.
    HostPaused,
    /// Host: the process dies at a yield point and restarts with a fresh rotator.
    HostCrashed,
}

impl Fault {
    /// Every kind, in report order.
    pub const ALL: [Fault; 10] = [
        Fault::SlackRefused,
        Fault::SlackRequestLost,
        Fault::SlackRateLimited,
        Fault::SlackServerError,
        Fault::SlackErrorAfterSpend,
        Fault::SlackAnswerDropped,
        Fault::StoreConnectionLost,
        Fault::StoreAckLost,
        Fault::HostPaused,
        Fault::HostCrashed,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::SlackRefused => "slack_refused",
            Fault::SlackRequestLost => "slack_request_lost",
            Fault::SlackRateLimited => "slack_429",
            Fault::SlackServerError => "slack_5xx",
            Fault::SlackErrorAfterSpend => "slack_error_after_spend",
            Fault::SlackAnswerDropped => "slack_answer_dropped",
            Fault::StoreConnectionLost => "store_connection_lost",
            Fault::StoreAckLost => "store_ack_lost",
            Fault::HostPaused => "host_paused",
            Fault::HostCrashed => "host_crashed",
        }
    }

    fn index(self) -> usize {
        Fault::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }
}

/// How often each fault strikes in one run, per opportunity, in parts per
/// million: every kind is off, rare or frequent by the seed, so some runs are
/// calm and others stormy.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    rates: [u32; Fault::ALL.len()],
}

impl FaultPlan {
    /// No faults at all.
    pub fn calm() -> FaultPlan {
        FaultPlan {
            rates: [0; Fault::ALL.len()],
        }
    }

    /// A plan drawn from `rng`.
    pub fn draw(rng: &mut Rng) -> FaultPlan {
        let mut plan = FaultPlan::calm();
        for fault in Fault::ALL {
            // (rare, frequent): Slack faults per request, store faults per
            // statement, host faults per yield point (pauses also at the three
            // moments that matter most, see `World::pause_point`).
            let (rare, frequent) = match fault {
                Fault::StoreConnectionLost | Fault::StoreAckLost => (5_000, 30_000),
                Fault::HostPaused => (300, 2_000),
                Fault::HostCrashed => (300, 2_000),
                _ => (20_000, 100_000),
            };
            plan.rates[fault.index()] = match rng.below(3) {
                0 => 0,
                1 => rare,
                _ => frequent,
            };
        }
        plan
    }

    /// The rate of `fault`, parts per million.
    pub fn rate(&self, fault: Fault) -> u32 {
        self.rates[fault.index()]
    }
}

/// How many faults of each kind a run (or many runs) injected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    counts: [u64; Fault::ALL.len()],
}

impl FaultCounts {
    /// Counts one `fault`.
    pub fn add(&mut self, fault: Fault) {
        self.counts[fault.index()] += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &FaultCounts) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    /// How many `fault`s.
    pub fn get(&self, fault: Fault) -> u64 {
        self.counts[fault.index()]
    }

    /// All of them.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `name=count` for every kind, for the summary line.
    pub fn summary(&self) -> String {
        Fault::ALL
            .iter()
            .map(|&f| format!("{}={}", f.name(), self.get(f)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
