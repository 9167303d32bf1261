//! The one seeded scheduler: every simulated host is an OS thread, but only the
//! holder of the baton runs. At each yield point (a seam call: a clock read, a
//! sleep, a Slack or store call) the scheduler picks, with its seeded generator,
//! which runnable host goes next; a sleeping host waits for its simulated wake-up,
//! and when no host is runnable, simulated time jumps to the earliest one. The
//! OS decides nothing: the same seed gives the same run.

use super::rng::Rng;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Where a host stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    /// May run when picked.
    Runnable,
    /// Asleep until this simulated time (Unix ms).
    Sleeping(i64),
    /// Its workload ended.
    Finished,
}

struct State {
    /// Simulated true time, Unix milliseconds (Slack's and the store's clock).
    now_ms: i64,
    /// The host holding the baton.
    running: Option<usize>,
    hosts: Vec<Standing>,
    rng: Rng,
    /// Yield points passed so far.
    steps: u64,
}

/// The baton, simulated time and the run's random generator.
pub struct Scheduler {
    state: Mutex<State>,
    /// One per host: signalled when the baton is handed to it.
    turn: Vec<Condvar>,
    /// Signalled when every host has finished.
    all_done: Condvar,
}

impl Scheduler {
    /// A scheduler for `hosts` hosts, starting at `start_ms`, choosing with `rng`.
    pub fn new(hosts: usize, start_ms: i64, rng: Rng) -> Scheduler {
        Scheduler {
            state: Mutex::new(State {
                now_ms: start_ms,
                running: None,
                hosts: vec![Standing::Runnable; hosts],
                rng,
                steps: 0,
            }),
            turn: (0..hosts).map(|_| Condvar::new()).collect(),
            all_done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Simulated true time, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.lock().now_ms
    }

    /// Yield points passed so far.
    pub fn steps(&self) -> u64 {
        self.lock().steps
    }

    /// Draws from the run's generator (only the baton holder calls this, so the
    /// draws come in the same order every time).
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut Rng) -> T) -> T {
        f(&mut self.lock().rng)
    }

    /// Starts the run and waits until every host has finished.
    pub fn run(&self) {
        let mut st = self.lock();
        self.hand_on(&mut st);
        while st.running.is_some() {
            st = self.all_done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Blocks host `me`'s thread until it holds the baton (its first turn).
    pub fn wait_turn(&self, me: usize) {
        let st = self.lock();
        drop(self.wait_for(st, me));
    }

    /// A yield point of host `me`: another host may run before it goes on.
    pub fn yield_now(&self, me: usize) {
        let mut st = self.lock();
        st.steps += 1;
        if self.hand_on(&mut st) {
            drop(self.wait_for(st, me));
        }
    }

    /// Host `me` sleeps `ms` simulated milliseconds.
    pub fn sleep(&self, me: usize, ms: i64) {
        let mut st = self.lock();
        st.steps += 1;
        let until = st.now_ms.saturating_add(ms.max(0));
        st.hosts[me] = Standing::Sleeping(until);
        self.hand_on(&mut st);
        drop(self.wait_for(st, me));
    }

    /// Host `me`'s workload ended: it never runs again.
    pub fn finish(&self, me: usize) {
        let mut st = self.lock();
        st.hosts[me] = Standing::Finished;
        self.hand_on(&mut st);
    }

    /// Picks the next host to run and hands it the baton; whether that is not
    /// the caller (who must then wait for its turn). Time jumps to the earliest
    /// wake-up when nobody is runnable; with every host finished, the run ends.
    fn hand_on(&self, st: &mut State) -> bool {
        let before = st.running;
        let mut runnable: Vec<usize> = (0..st.hosts.len())
            .filter(|&h| st.hosts[h] == Standing::Runnable)
            .collect();
        if runnable.is_empty() {
            let earliest = st
                .hosts
                .iter()
                .filter_map(|s| match s {
                    Standing::Sleeping(until) => Some(*until),
                    _ => None,
                })
                .min();
            let Some(earliest) = earliest else {
                st.running = None;
                self.all_done.notify_all();
                return true;
            };
            st.now_ms = st.now_ms.max(earliest);
            let now = st.now_ms;
            for (h, standing) in st.hosts.iter_mut().enumerate() {
                if matches!(standing, Standing::Sleeping(until) if *until <= now) {
                    *standing = Standing::Runnable;
                    runnable.push(h);
                }
            }
        }
        let next = runnable[st.rng.below(runnable.len() as u64) as usize];
        st.running = Some(next);
        if before != Some(next) {
            self.turn[next].notify_one();
        }
        before != Some(next)
    }

    fn wait_for<'a>(&'a self, mut st: MutexGuard<'a, State>, me: usize) -> MutexGuard<'a, State> {
        while st.running != Some(me) {
            st = self.turn[me].wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st
    }
}
