//! One simulated run's world: its configuration (drawn from the seed), the
//! scheduler, Slack's and the store's state, and what was recorded. Every seam
//! the hosts call ends up here, in [`World::host_step`] (a yield point where a
//! host may also be paused or crash) or [`World::net_sleep`] (time on the wire,
//! where only the clock moves).

use super::faults::{Fault, FaultCounts, FaultPlan};
use super::rng::Rng;
use super::scheduler::Scheduler;
use super::slack::SlackState;
use super::store::StoreState;
use super::trace::Entry;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use xoxe_history::{Event, History};

/// Simulated time starts here (Unix ms: 2027-01-15).
pub const START_MS: i64 = 1_800_000_000_000;

/// The chain's name in the store and the history.
pub const CHAIN: &str = "default";

/// The client's call timeout (the rotator's lease is this plus its margin).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A bug planted in the simulated world, to prove the simulation finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlantedBug {
    /// The store's compare-and-swap ignores the generation: a paused holder's
    /// late save overwrites whatever another holder saved meanwhile.
    CasIgnoresGeneration,
    /// The store "parks" an orphan but keeps nothing.
    OrphansForgotten,
}

impl PlantedBug {
    /// The name `XOXE_SIM_BUG` takes.
    pub fn name(self) -> &'static str {
        match self {
            PlantedBug::CasIgnoresGeneration => "cas_ignores_generation",
            PlantedBug::OrphansForgotten => "orphans_forgotten",
        }
    }

    /// The bug named `name`.
    pub fn parse(name: &str) -> Option<PlantedBug> {
        [PlantedBug::CasIgnoresGeneration, PlantedBug::OrphansForgotten]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

/// What a run simulates, all drawn from its seed.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Each host's clock skew, ms (its length is the number of hosts, 2 to 5).
    pub skews_ms: Vec<i64>,
    /// Access token lifetime, seconds.
    pub lifetime_s: i64,
    /// How long Slack reissues a pair for a spent refresh token presented again, ms (0: never).
    pub grace_ms: i64,
    /// After a grace reissue, whether the first pair stays valid (else the newest).
    pub grace_keeps_first: bool,
    /// The rotators' jitter.
    pub jitter: Duration,
    /// How long the workload runs, simulated ms.
    pub duration_ms: i64,
    /// How old the seeded pair is at the start, ms.
    pub seed_age_ms: i64,
    /// How often each fault strikes.
    pub faults: FaultPlan,
    /// A bug planted in the simulated world, if any.
    pub bug: Option<PlantedBug>,
}

impl RunConfig {
    /// A configuration drawn from `rng`.
    pub fn draw(rng: &mut Rng, bug: Option<PlantedBug>) -> RunConfig {
        let hosts = rng.between(2, 5) as usize;
        // Skews stay well inside the shortest refresh window (30 min for a 1 h token).
        let max_skew = rng.pick(&[0, 30_000, 180_000]);
        let skews_ms = (0..hosts).map(|_| rng.between(-max_skew, max_skew)).collect();
        let lifetime_s = rng.pick(&[43_200, 3_600]);
        let grace_ms = rng.pick(&[0, 0, 10_000, 60_000, 300_000]);
        let grace_keeps_first = rng.below(2) == 0;
        let jitter = Duration::from_secs(rng.pick(&[0, 300]));
        let duration_ms = lifetime_s * 1000 * rng.between(2, 4);
        let seed_age_ms = rng.between(0, lifetime_s * 1000);
        let faults = FaultPlan::draw(rng);
        RunConfig {
            skews_ms,
            lifetime_s,
            grace_ms,
            grace_keeps_first,
            jitter,
            duration_ms,
            seed_age_ms,
            faults,
            bug,
        }
    }

    /// How many hosts.
    pub fn hosts(&self) -> usize {
        self.skews_ms.len()
    }

    /// One line for the trace.
    pub fn describe(&self) -> String {
        format!(
            "{} hosts, skews {:?} ms, tokens live {} s, grace {} ms (keeps {}), jitter {} s, {} h simulated{}",
            self.hosts(),
            self.skews_ms,
            self.lifetime_s,
            self.grace_ms,
            if self.grace_keeps_first { "first" } else { "newest" },
            self.jitter.as_secs(),
            self.duration_ms / 3_600_000,
            self.bug
                .map_or(String::new(), |b| format!(", planted bug {}", b.name()))
        )
    }
}

/// The payload a crashing host unwinds with (caught by its host loop).
pub struct Crash;

/// Longest run, in yield points: a run past it is stuck (a violation).
pub const STEP_LIMIT: u64 = 2_000_000;

/// What a run recorded.
#[derive(Default)]
pub struct Record {
    /// Everything that happened, in order.
    pub trace: Vec<Entry>,
    /// The history the checkers read: Slack's side and the client's.
    pub history: History,
    /// Faults injected.
    pub faults: FaultCounts,
    /// Problems seen while running (a host's panic, a stuck run).
    pub failures: Vec<String>,
    /// Every lease taken: `(host, when)`.
    pub acquisitions: Vec<(usize, i64)>,
    /// Saves by a host that no longer held the newest lease (another host took
    /// it since): `(refresh token saved, when)`.
    pub late_saves: Vec<(String, i64)>,
    /// Refresh tokens of the pairs a host asked the store to park as orphans.
    pub parked: Vec<String>,
    /// The orphans the store keeps at the end: `(from_generation, refresh token)`.
    pub final_orphans: Vec<(u64, String)>,
}

/// One run's world, shared by its hosts.
pub struct World {
    /// The run's seed.
    pub seed: u64,
    /// What it simulates.
    pub config: RunConfig,
    /// Baton, time, chance.
    pub sched: Scheduler,
    /// Slack.
    pub slack: Mutex<SlackState>,
    /// The store.
    pub store: Mutex<StoreState>,
    record: Mutex<Record>,
    /// The monotonic reading at the start (simulated instants count from it).
    origin: Instant,
    /// Set once the run is stuck: every host then unwinds.
    aborted: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl World {
    /// The world of `seed`, configured by `config`, choosing with `rng`.
    pub fn new(seed: u64, config: RunConfig, rng: Rng) -> World {
        let slack = SlackState::new(config.lifetime_s, config.grace_ms, config.grace_keeps_first);
        World {
            seed,
            sched: Scheduler::new(config.hosts(), START_MS, rng),
            slack: Mutex::new(slack),
            store: Mutex::new(StoreState::new(config.bug)),
            config,
            record: Mutex::new(Record::default()),
            origin: Instant::now(),
            aborted: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Simulated true time (Slack's and the store's clock), Unix ms.
    pub fn now_ms(&self) -> i64 {
        self.sched.now_ms()
    }

    /// Host `host`'s wall clock, Unix ms.
    pub fn host_now_ms(&self, host: usize) -> i64 {
        self.now_ms() + self.config.skews_ms[host]
    }

    /// The simulated monotonic clock (the same for every host: only differences count).
    pub fn instant(&self) -> Instant {
        self.origin + Duration::from_millis(u64::try_from(self.now_ms() - START_MS).unwrap_or(0))
    }

    /// When the workload ends, Unix ms.
    pub fn end_ms(&self) -> i64 {
        START_MS + self.config.duration_ms
    }

    /// Whether the run was stopped as stuck.
    pub fn aborted(&self) -> bool {
        self.aborted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A random number in `lo..=hi` from the run's generator.
    pub fn between(&self, lo: i64, hi: i64) -> i64 {
        self.sched.with_rng(|r| r.between(lo, hi))
    }

    /// 64 random bits from the run's generator.
    pub fn random_u64(&self) -> u64 {
        self.sched.with_rng(|r| r.next_u64())
    }

    /// Whether `fault` strikes now (counted and traced when it does).
    pub fn inject(&self, host: usize, fault: Fault) -> bool {
        let rate = self.config.faults.rate(fault);
        if rate == 0 || !self.sched.with_rng(|r| r.chance(rate)) {
            return false;
        }
        lock(&self.record).faults.add(fault);
        self.note(Some(host), format!("FAULT {}", fault.name()));
        true
    }

    /// A yield point of `host` inside a seam call: it may crash here (the
    /// thread unwinds with [`Crash`]) or be paused, then sleeps `sleep_ms`
    /// (0: just lets another host run first).
    pub fn host_step(&self, host: usize, sleep_ms: i64) {
        if std::thread::panicking() {
            return; // a crashing host runs its drops without the scheduler
        }
        if self.aborted() {
            std::panic::resume_unwind(Box::new(Crash));
        }
        if self.sched.steps() > STEP_LIMIT {
            self.aborted.store(true, std::sync::atomic::Ordering::Relaxed);
            lock(&self.record)
                .failures
                .push(format!("the run passed {STEP_LIMIT} yield points: stuck"));
            std::panic::resume_unwind(Box::new(Crash));
        }
        if self.inject(host, Fault::HostCrashed) {
            std::panic::resume_unwind(Box::new(Crash));
        }
        let mut sleep_ms = sleep_ms;
        if self.inject(host, Fault::HostPaused) {
            sleep_ms += self.pause_ms();
        }
        if sleep_ms > 0 {
            self.sched.sleep(host, sleep_ms);
        } else {
            self.sched.yield_now(host);
        }
    }

    /// A moment that matters (lease just taken, rotation just marked, Slack's
    /// answer just read): pauses strike here more often than elsewhere.
    pub fn pause_point(&self, host: usize, what: &str) {
        if std::thread::panicking() || self.aborted() {
            return;
        }
        let rate = self.config.faults.rate(Fault::HostPaused).saturating_mul(20);
        if rate > 0 && self.sched.with_rng(|r| r.chance(rate)) {
            lock(&self.record).faults.add(Fault::HostPaused);
            let ms = self.pause_ms();
            self.note(Some(host), format!("FAULT host_paused {what}, for {} s", ms / 1000));
            self.sched.sleep(host, ms);
        }
    }

    /// How long a pause lasts: past the lease (call timeout + 30 s margin), up
    /// to ten minutes more.
    fn pause_ms(&self) -> i64 {
        let lease = CALL_TIMEOUT.as_millis() as i64 + 30_000;
        lease + self.between(1, 600_000)
    }

    /// Time on the wire or in another process: the clock moves, the host cannot
    /// crash or pause meanwhile (the network does not stop with it).
    pub fn net_sleep(&self, host: usize, ms: i64) {
        if std::thread::panicking() {
            return;
        }
        self.sched.sleep(host, ms);
    }

    /// Adds a line to the trace.
    pub fn note(&self, host: Option<usize>, text: String) {
        let entry = Entry {
            step: self.sched.steps(),
            at_ms: self.now_ms() - START_MS,
            host,
            text,
        };
        lock(&self.record).trace.push(entry);
    }

    /// Adds an event to the history.
    pub fn record(&self, event: Event) {
        lock(&self.record).history.record(event);
    }

    /// Records that `host` took the lease at `at_ms`.
    pub fn acquired(&self, host: usize, at_ms: i64) {
        lock(&self.record).acquisitions.push((host, at_ms));
    }

    /// Records a save by a host whose lease another host has taken since.
    pub fn late_save(&self, refresh: &str, at_ms: i64) {
        lock(&self.record).late_saves.push((refresh.to_string(), at_ms));
    }

    /// Records that a host asked the store to park the pair of `refresh`.
    pub fn parked(&self, refresh: &str) {
        lock(&self.record).parked.push(refresh.to_string());
    }

    /// Records a problem seen while running.
    pub fn fail(&self, why: String) {
        lock(&self.record).failures.push(why);
    }

    /// What was recorded (taken out at the end of the run).
    pub fn take_record(&self) -> Record {
        std::mem::take(&mut *lock(&self.record))
    }

    /// A host's name, in the history.
    pub fn host_name(host: usize) -> String {
        format!("host{host}")
    }
}
