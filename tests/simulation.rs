//! Deterministic simulation of the rotation protocol (issue 18): the real
//! `Rotator` against a simulated Slack, a simulated fleet store and simulated
//! time, over 2 to 5 hosts with skewed clocks, each seed one run that replays
//! exactly. See tests/sim/ and RELIABILITY.md ("Deterministic simulation").
//!
//! - `XOXE_SIM_SEEDS=N`: how many seeds `seeds_keep_the_promise` runs (default
//!   [`DEFAULT_SEEDS`]), from `XOXE_SIM_FIRST_SEED` (default 0);
//!   `XOXE_SIM_SUMMARY=FILE` appends its summary line to FILE;
//!   `XOXE_SIM_KEEP_GOING=1` runs every seed and lists each that failed.
//! - `XOXE_SIM_SEED=N cargo test --features simulation --test simulation -- replay --nocapture`
//!   replays one seed and prints its trace (`XOXE_SIM_TRACE=all` or a line
//!   count; `XOXE_SIM_BUG=cas_ignores_generation` plants a bug).
//!
//! Needs the `simulation` cargo feature (the seams in the core).

mod sim;

use sim::faults::{Fault, FaultCounts};
use sim::world::PlantedBug;
use sim::RunResult;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Seeds `make test` runs.
const DEFAULT_SEEDS: u64 = 3_000;

/// Trace lines a failure prints.
const TRACE_TAIL: usize = 50;

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
    )
}

fn planted_bug() -> Option<PlantedBug> {
    let name = std::env::var("XOXE_SIM_BUG").ok()?;
    Some(PlantedBug::parse(&name).unwrap_or_else(|| panic!("XOXE_SIM_BUG: no planted bug named {name:?}")))
}

/// The command that replays `seed`.
fn replay_command(seed: u64, bug: Option<PlantedBug>) -> String {
    let bug = bug.map_or(String::new(), |b| format!("XOXE_SIM_BUG={} ", b.name()));
    format!("{bug}XOXE_SIM_SEED={seed} cargo test --features simulation --test simulation -- replay --nocapture")
}

/// A failed run, for a human: what broke, the configuration, the last trace
/// lines (tokens by fingerprint) and the replay command.
fn failure_report(run: &RunResult, bug: Option<PlantedBug>) -> String {
    let mut out = format!("seed {} broke the promise ({})\n", run.seed, run.config);
    for violation in &run.violations {
        out.push_str(&format!("  VIOLATION: {violation}\n"));
    }
    out.push_str(&format!("last {TRACE_TAIL} of {} trace entries:\n", run.trace.len()));
    out.push_str(&sim::trace::tail(&run.trace, TRACE_TAIL));
    out.push_str(&format!("replay: {}\n", replay_command(run.seed, bug)));
    out
}

/// What many runs added up to.
#[derive(Default)]
struct Summary {
    seeds: u64,
    faults: FaultCounts,
    steps: u64,
    chains_lost: u64,
    recoveries: u64,
    handed_out: u64,
    revoked_handouts: u64,
    known_races: u64,
    revoked_over_orphans: u64,
    pending_recoveries: u64,
    issued: u64,
    failures: Vec<RunResult>,
}

impl Summary {
    fn add(&mut self, run: RunResult) {
        self.seeds += 1;
        self.faults.merge(&run.faults);
        self.steps += run.steps;
        self.chains_lost += u64::from(run.chain_lost);
        self.recoveries += run.recoveries;
        self.handed_out += run.handed_out;
        self.revoked_handouts += run.revoked_handouts;
        self.known_races += run.known_races;
        self.revoked_over_orphans += run.revoked_over_orphans;
        self.pending_recoveries += run.pending_recoveries;
        self.issued += run.issued;
        if !run.violations.is_empty() {
            self.failures.push(run);
        }
    }

    fn line(&self, seconds: f64) -> String {
        format!(
            "simulation: {} seeds in {seconds:.1} s ({:.0} seeds/s), {} yield points, {} pairs issued, {} tokens \
             handed out ({} of a pair Slack revoked in a grace reissue), {} presentations of a spent token whose \
             pair nobody saw, {} chains lost to an unseen answer, {} ending on a parked live pair the next rotation \
             tries, known issues: {} races of a recovery with a late save, {} chains marked revoked over a parked \
             live pair; {} violations; faults injected: {} ({} in all)",
            self.seeds,
            self.seeds as f64 / seconds.max(1e-9),
            self.steps,
            self.issued,
            self.handed_out,
            self.revoked_handouts,
            self.recoveries,
            self.chains_lost,
            self.pending_recoveries,
            self.known_races,
            self.revoked_over_orphans,
            self.failures.len(),
            self.faults.summary(),
            self.faults.total()
        )
    }
}

/// Runs `count` seeds from `first` on as many threads as the machine has
/// (each run uses one core at a time), stopping early after a failure when
/// `stop_at_failure`.
fn run_seeds(first: u64, count: u64, bug: Option<PlantedBug>, stop_at_failure: bool) -> Summary {
    let next = AtomicU64::new(first);
    let stop = AtomicBool::new(false);
    let summary = Mutex::new(Summary::default());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(count.max(1) as usize);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= first + count || stop.load(Ordering::Relaxed) {
                    break;
                }
                let run = sim::run(seed, bug);
                if !run.violations.is_empty() && stop_at_failure {
                    stop.store(true, Ordering::Relaxed);
                }
                summary.lock().unwrap_or_else(|e| e.into_inner()).add(run);
            });
        }
    });
    let mut summary = summary.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.failures.sort_by_key(|run| run.seed);
    summary
}

/// Prints past the test harness's capture, so `make test` shows it.
fn announce(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    if let Ok(path) = std::env::var("XOXE_SIM_SUMMARY") {
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{line}");
        }
    }
}

#[test]
fn seeds_keep_the_promise() {
    let count = env_u64("XOXE_SIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let first = env_u64("XOXE_SIM_FIRST_SEED").unwrap_or(0);
    let keep_going = std::env::var("XOXE_SIM_KEEP_GOING").is_ok_and(|v| v == "1");
    let started = Instant::now();
    let summary = run_seeds(first, count, None, !keep_going);
    announce(&summary.line(started.elapsed().as_secs_f64()));
    for failed in &summary.failures {
        announce(&format!(
            "simulation: seed {} failed: {} — replay: {}",
            failed.seed,
            failed.violations[0],
            replay_command(failed.seed, None)
        ));
    }
    if let Some(failed) = summary.failures.first() {
        panic!("{}", failure_report(failed, None));
    }
    if count >= 1_000 {
        for fault in Fault::ALL {
            assert!(summary.faults.get(fault) > 0, "no {} fault was injected", fault.name());
        }
    }
}

#[test]
fn replay() {
    let seed = env_u64("XOXE_SIM_SEED").unwrap_or(1);
    let bug = planted_bug();
    let run = sim::run(seed, bug);
    let lines = match std::env::var("XOXE_SIM_TRACE").as_deref() {
        Ok("all") => usize::MAX,
        Ok(n) => n.parse().unwrap_or(TRACE_TAIL),
        Err(_) => TRACE_TAIL,
    };
    println!("seed {seed}: {}", run.config);
    print!("{}", sim::trace::tail(&run.trace, lines));
    println!(
        "faults: {}; {} pairs issued, {} tokens handed out",
        run.faults.summary(),
        run.issued,
        run.handed_out
    );
    for violation in &run.violations {
        println!("VIOLATION: {violation}");
    }
    if bug.is_none() {
        assert!(run.violations.is_empty(), "{}", failure_report(&run, bug));
    }
}

#[test]
fn a_seed_replays_the_same_trace() {
    for seed in [2, 17, 40] {
        let first = sim::run(seed, None);
        let again = sim::run(seed, None);
        assert!(first.trace.len() > 20, "seed {seed} did something");
        assert_eq!(first.trace, again.trace, "seed {seed} replays its trace");
        assert_eq!(first.history, again.history, "seed {seed} replays its history");
        assert_eq!(first.faults, again.faults, "seed {seed} replays its faults");
    }
    let other = sim::run(3, None);
    assert_ne!(sim::run(2, None).trace, other.trace, "another seed, another run");
}

/// Runs seeds with `bug` planted until one breaks the promise.
fn finds(bug: PlantedBug, within: u64) -> u64 {
    let summary = run_seeds(0, within, Some(bug), true);
    let Some(found) = summary.failures.first() else {
        panic!("{within} seeds with the planted bug {} broke no rule", bug.name());
    };
    announce(&format!(
        "simulation: planted bug {} found by seed {} (of {} run): {}",
        bug.name(),
        found.seed,
        summary.seeds,
        found.violations[0]
    ));
    found.seed
}

#[test]
fn a_store_whose_compare_and_swap_ignores_the_generation_is_caught() {
    finds(PlantedBug::CasIgnoresGeneration, 2_000);
}

#[test]
fn the_simulated_slack_spends_a_token_once_and_reissues_only_within_grace() {
    use sim::slack::SlackState;
    use xoxe_history::Answer;
    for keeps_first in [true, false] {
        let mut slack = SlackState::new(3_600, 10_000, keeps_first);
        let (access, r0, expires_at_ms) = slack.seed(0);
        assert_eq!(expires_at_ms, 3_600_000);
        assert_eq!(slack.auth_test(1, &access), Ok(()));
        assert_eq!(slack.auth_test(3_600_000, &access), Err("token_expired"));
        let (first, revoked) = slack.present(1_000, &r0);
        let Answer::Issued { refresh: r1, .. } = first else {
            panic!("a first spend issues a pair: {first:?}")
        };
        assert_eq!(revoked, None);
        assert_eq!(slack.live_end(), Some(r1.as_str()));
        let (again, revoked) = slack.present(10_999, &r0);
        let Answer::GraceReissue { refresh: r2, .. } = again else {
            panic!("within grace, a pair again: {again:?}")
        };
        let (kept, lost) = if keeps_first { (&r1, &r2) } else { (&r2, &r1) };
        assert_eq!(revoked.as_ref(), Some(lost), "the losing pair is revoked");
        assert_eq!(slack.live_end(), Some(kept.as_str()));
        let (late, _) = slack.present(11_000, &r0);
        assert!(matches!(late, Answer::Rejected { .. }), "after grace: {late:?}");
        let (lost_again, _) = slack.present(11_000, lost);
        assert!(
            matches!(lost_again, Answer::Rejected { .. }),
            "a revoked token: {lost_again:?}"
        );
        let (next, _) = slack.present(12_000, kept);
        assert!(matches!(next, Answer::Issued { .. }), "the kept pair rotates: {next:?}");
    }
}

#[test]
fn a_store_that_forgets_its_orphans_is_caught() {
    finds(PlantedBug::OrphansForgotten, 3_000);
}
