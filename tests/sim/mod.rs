//! A deterministic simulation of the real `Rotator` against a simulated Slack,
//! a simulated fleet store and simulated time, over N hosts with skewed clocks,
//! driven by one seeded scheduler: any run replays from its seed.
//!
//! One concern per module: [`rng`] (chance), [`scheduler`] (the baton and
//! time), [`world`] (a run's configuration and shared state, the yield points),
//! [`clock`], [`slack`] and [`store`] (the three seams a rotator calls),
//! [`hosts`] (workloads, crashes and restarts), [`trace`] and [`invariants`]
//! (what happened, and whether it kept the promise).

pub mod clock;
pub mod faults;
pub mod hosts;
pub mod invariants;
pub mod rng;
pub mod scheduler;
pub mod slack;
pub mod store;
pub mod trace;
pub mod world;

use faults::FaultCounts;
use rng::Rng;
use std::sync::Arc;
use trace::Entry;
use world::{PlantedBug, RunConfig, World, CHAIN};
use xoxe::store::{ChainKind, StoredPair};
use xoxe::Secret;
use xoxe_history::{Event, History};

/// What one run gave.
pub struct RunResult {
    /// Its seed.
    pub seed: u64,
    /// Its configuration, in words.
    pub config: String,
    /// Every broken rule (empty: the promise held).
    pub violations: Vec<String>,
    /// The whole trace.
    pub trace: Vec<Entry>,
    /// The history the checkers read.
    pub history: History,
    /// Faults injected.
    pub faults: FaultCounts,
    /// Yield points passed.
    pub steps: u64,
    /// The chain ended dead because a lost answer took Slack's live pair.
    pub chain_lost: bool,
    /// Refresh tokens presented again to recover a lost answer.
    pub recoveries: u64,
    /// Tokens handed out.
    pub handed_out: u64,
    /// Tokens handed out whose pair Slack had revoked (grace reissue losers).
    pub revoked_handouts: u64,
    /// Presentations set apart as the known race (a recovery racing a late
    /// save); violations instead with `XOXE_SIM_STRICT=1`.
    pub known_races: u64,
    /// Chains marked revoked over a grace reissue's losing pair while Slack's
    /// live pair was parked as an orphan (the second known issue).
    pub revoked_over_orphans: u64,
    /// Chains ending with Slack's live pair parked as an orphan that the
    /// next rotation tries (not yet recovered when the run ended).
    pub pending_recoveries: u64,
    /// Pairs Slack issued.
    pub issued: u64,
}

/// Runs seed `seed` (with `bug` planted in the world, if any).
pub fn run(seed: u64, bug: Option<PlantedBug>) -> RunResult {
    hosts::install_logger();
    let mut rng = Rng::new(seed);
    let config = RunConfig::draw(&mut rng, bug);
    let world = Arc::new(World::new(seed, config, rng));
    world.note(None, format!("seed {seed}: {}", world.config.describe()));
    seed_chain(&world);
    let threads: Vec<_> = (0..world.config.hosts())
        .map(|host| {
            let world = world.clone();
            std::thread::Builder::new()
                .name(format!("sim-{seed}-host{host}"))
                .spawn(move || hosts::host_main(world, host))
                .expect("a host thread")
        })
        .collect();
    world.sched.run();
    for thread in threads {
        if thread.join().is_err() {
            world.fail("a host thread died outside its loop".into());
        }
    }
    finish(&world)
}

/// Slack issues the chain's first pair (some time before the start) and the
/// store holds it, as `xoxe init` would leave it.
fn seed_chain(world: &World) {
    let issued_at = world.now_ms() - world.config.seed_age_ms;
    let (access, refresh, expires_at_ms) = world.slack.lock().unwrap_or_else(|e| e.into_inner()).seed(issued_at);
    let pair = StoredPair {
        lifetime: world.config.lifetime_s,
        ..StoredPair::seed(
            ChainKind::Config,
            Secret::new(refresh.clone()),
            Some(Secret::new(access.clone())),
            expires_at_ms.div_euclid(1000),
        )
    };
    world.store.lock().unwrap_or_else(|e| e.into_inner()).pair = Some(pair);
    world.note(
        None,
        format!("seeded {} / {}", trace::tok(&access), trace::tok(&refresh)),
    );
    world.record(Event::Seeded {
        chain: CHAIN.into(),
        access,
        refresh,
    });
}

/// Records what the store holds at the end and checks the promise.
fn finish(world: &World) -> RunResult {
    let final_pair = world.store.lock().unwrap_or_else(|e| e.into_inner()).pair.clone();
    if let Some(pair) = &final_pair {
        world.record(Event::Final {
            chain: CHAIN.into(),
            access: pair.access_token.expose().to_string(),
            refresh: pair.refresh_token.expose().to_string(),
            generation: pair.generation,
            revoked: pair.revoked.is_some(),
        });
    }
    let mut record = world.take_record();
    record.final_orphans = world.store.lock().unwrap_or_else(|e| e.into_inner()).orphans_kept();
    let slack = world.slack.lock().unwrap_or_else(|e| e.into_inner());
    let verdict = invariants::check(&record, &slack);
    let strict = std::env::var("XOXE_SIM_STRICT").is_ok_and(|v| v == "1");
    let mut violations = record.failures.clone();
    violations.extend(verdict.violations.iter().cloned());
    if strict {
        violations.extend(
            verdict
                .known_races
                .iter()
                .map(|(_, _, finding)| format!("known race: {finding}")),
        );
        violations.extend(verdict.revoked_over_orphan.iter().map(|f| format!("known issue: {f}")));
    }
    if let Some(finding) = &verdict.revoked_over_orphan {
        record.trace.push(Entry {
            step: world.sched.steps(),
            at_ms: world.now_ms() - world::START_MS,
            host: None,
            text: format!("known issue (set apart from the violations): {finding}"),
        });
    }
    violations.extend(history_check(&record.history, &verdict, strict));
    for (_, _, finding) in &verdict.known_races {
        record.trace.push(Entry {
            step: world.sched.steps(),
            at_ms: world.now_ms() - world::START_MS,
            host: None,
            text: format!("known race (set apart from the violations): {finding}"),
        });
    }
    RunResult {
        seed: world.seed,
        config: world.config.describe(),
        violations,
        trace: record.trace,
        history: record.history,
        faults: record.faults,
        steps: world.sched.steps(),
        chain_lost: verdict.chain_lost,
        recoveries: verdict.recoveries,
        handed_out: verdict.handed_out,
        revoked_handouts: verdict.revoked_handouts,
        known_races: verdict.known_races.len() as u64,
        revoked_over_orphans: u64::from(verdict.revoked_over_orphan.is_some()),
        pending_recoveries: u64::from(verdict.pending_recovery),
        issued: slack.access.len() as u64,
    }
}

/// The shared history checker's verdict (tools/history), as lines, less what
/// [`invariants::check`], which also knows Slack's state, explains:
/// - `dead_chain` and `lost_pair` (for pairs on Slack's live line) when the
///   chain was lost to an answer no caller ever saw (Slack's live pair was
///   never saved nor handed out): that is why the chain is dead, and which
///   dead pair the store ends on loses nothing more;
/// - `double_spend` for the presentations set apart as the known race
///   (unless `strict`).
fn history_check(history: &History, verdict: &invariants::Verdict, strict: bool) -> Vec<String> {
    use xoxe_history::Violation;
    let known = |by: &str, at: i64| {
        !strict
            && verdict
                .known_races
                .iter()
                .any(|(host, at_ms, _)| host == by && *at_ms == at)
    };
    xoxe_history::check(history)
        .violations
        .iter()
        .filter(|v| match v {
            Violation::DeadChain { .. } => !verdict.chain_lost || (strict && verdict.revoked_over_orphan.is_some()),
            Violation::LostPair { access, .. } => !(verdict.chain_lost && verdict.live_line.contains(access)),
            Violation::DoubleSpend { by, at_ms, .. } => !known(by, *at_ms),
            _ => true,
        })
        .map(|v| format!("history check: {v}"))
        .collect()
}
