//! A simulated host: one OS thread running a workload against its own real
//! `Rotator` (its own store handle, clock and Slack client). A crash unwinds
//! the thread to the host loop, which drops the rotator and builds a fresh one,
//! as a restarted process would.

use super::clock::SimClock;
use super::slack::SimSlack;
use super::store::SimStore;
use super::trace::tok;
use super::world::{Crash, World, CALL_TIMEOUT, CHAIN};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use xoxe::{Client, ClientOptions, Rotator, RotatorOptions};
use xoxe_history::Event;

thread_local! {
    /// The world and host this thread simulates, for the log sink.
    static CURRENT: RefCell<Option<(Arc<World>, usize)>> = const { RefCell::new(None) };
}

/// Sends the library's log lines to the trace of the host that wrote them
/// (installed once per process, before any client exists).
pub fn install_logger() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        xoxe::set_logger(
            Some(Box::new(|level: xoxe::LogLevel, line: &str| {
                CURRENT.with(|current| {
                    if let Some((world, host)) = current.borrow().as_ref() {
                        world.note(Some(*host), format!("log {level:?}: {line}"));
                    }
                });
            })),
            Some(xoxe::LogLevel::Debug),
        );
    });
}

/// The client every rotator is built with: never called (the simulated Slack
/// answers), it only supplies the call timeout.
fn client() -> Arc<Client> {
    static CLIENT: OnceLock<Arc<Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Arc::new(
                Client::new(ClientOptions {
                    base_url: "http://127.0.0.1:9/api/".into(),
                    timeout: CALL_TIMEOUT,
                    ..ClientOptions::default()
                })
                .expect("a client for the simulation"),
            )
        })
        .clone()
}

/// A fresh rotator for `host`, as a (re)started process builds it.
fn rotator(world: &Arc<World>, host: usize) -> Rotator {
    let options = RotatorOptions {
        jitter: world.config.jitter,
        ..RotatorOptions::default()
    };
    Rotator::config(client(), Arc::new(SimStore::new(world.clone(), host)), options).with_seams(
        Arc::new(SimClock::new(world.clone(), host)),
        Arc::new(SimSlack::new(world.clone(), host)),
    )
}

/// Host `host`'s thread: waits for its first turn, runs its workload (again
/// after each crash), and finishes.
pub fn host_main(world: Arc<World>, host: usize) {
    CURRENT.with(|current| *current.borrow_mut() = Some((world.clone(), host)));
    world.sched.wait_turn(host);
    loop {
        let rotator = rotator(&world, host);
        let outcome = catch_unwind(AssertUnwindSafe(|| workload(&world, host, &rotator)));
        drop(rotator);
        match outcome {
            Ok(()) => break,
            Err(payload) if payload.is::<Crash>() => {
                if world.aborted() {
                    break;
                }
                world.note(Some(host), "CRASHED: the process restarts".into());
                let restart = world.between(1_000, 60_000);
                world.net_sleep(host, restart);
            }
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic".into());
                world.note(Some(host), format!("PANICKED: {message}"));
                world.fail(format!("{} panicked: {message}", World::host_name(host)));
                break;
            }
        }
    }
    CURRENT.with(|current| *current.borrow_mut() = None);
    world.sched.finish(host);
}

/// What a caller asks of the rotator.
#[derive(Clone, Copy, Debug)]
enum Call {
    Get,
    GetWith,
    ForceRotate,
}

/// Calls at random simulated intervals until the run's end: mostly bursts and
/// long idle stretches, and often just after the host's next rotation is due,
/// where hosts race.
fn workload(world: &Arc<World>, host: usize, rotator: &Rotator) {
    while world.now_ms() < world.end_ms() && !world.aborted() {
        let gap = match world.between(0, 7) {
            0..=3 => world.between(0, 2_000),
            4 | 5 => world.between(60_000, world.config.lifetime_s * 250),
            _ => match rotator.next_rotation() {
                Some(at) if at > i64::MIN => {
                    let due = at * 1000 - world.config.skews_ms[host];
                    (due - world.now_ms()).max(0) + world.between(0, 3_000)
                }
                _ => world.between(0, 2_000),
            },
        };
        world.net_sleep(host, gap.max(1));
        if world.now_ms() >= world.end_ms() {
            break;
        }
        let call = match world.between(0, 99) {
            0..=3 => Call::ForceRotate,
            4..=19 => Call::GetWith,
            _ => Call::Get,
        };
        let result = match call {
            Call::Get => rotator.get().map(|t| t.token.expose().to_string()),
            Call::GetWith => rotator.get_with(|token, _| token.to_string()),
            Call::ForceRotate => rotator.force_rotate().map(|t| t.token.expose().to_string()),
        };
        match result {
            Ok(access) => {
                world.record(Event::HandedOut {
                    at_ms: world.now_ms(),
                    chain: CHAIN.into(),
                    access: access.clone(),
                    by: World::host_name(host),
                });
                world.note(Some(host), format!("{call:?} -> {}", tok(&access)));
            }
            Err(e) => world.note(Some(host), format!("{call:?} -> error {} ({})", e.status, e.cause)),
        }
    }
}
