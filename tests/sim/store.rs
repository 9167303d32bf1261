//! The simulated fleet store: one chain, with the PostgreSQL store's semantics
//! (src/store/postgres.rs): compare-and-swap on the generation, a lease timed
//! by the store's clock that lapses, fenced by its epoch, the in-flight marker
//! and the orphan table. Each host has its own handle ([`SimStore`]); every
//! statement is a yield point and may lose its connection (nothing applied) or
//! its acknowledgement (applied, the host sees an error).

use super::faults::Fault;
use super::trace::tok;
use super::world::{PlantedBug, World, CHAIN};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;
use xoxe::store::{Acquired, HeldLease, InFlight, Lease, LeaseTerms, Reservation, Saved, Store, StoredPair};
use xoxe::{Error, Status};
use xoxe_history::Event;

/// Orphans kept (the newest), as the PostgreSQL store keeps.
const ORPHANS_KEPT: usize = 16;

/// A rotation marked in flight.
#[derive(Clone, Debug)]
struct Mark {
    generation: u64,
    holder: usize,
    at_ms: i64,
    until_ms: i64,
}

/// The store's side of the world: the row and the orphan table.
pub struct StoreState {
    /// The stored pair (its `generation` is the row's).
    pub pair: Option<StoredPair>,
    epoch: u64,
    lease_holder: Option<usize>,
    lease_until: Option<i64>,
    /// Who took the newest lease (kept after its release).
    epoch_holder: Option<usize>,
    mark: Option<Mark>,
    /// `(id, from_generation, pair)`, oldest first.
    orphans: Vec<(u64, u64, StoredPair)>,
    next_orphan: u64,
    bug: Option<PlantedBug>,
}

impl StoreState {
    /// An empty store (with `bug` planted, if any).
    pub fn new(bug: Option<PlantedBug>) -> StoreState {
        StoreState {
            pair: None,
            epoch: 0,
            lease_holder: None,
            lease_until: None,
            epoch_holder: None,
            mark: None,
            orphans: Vec::new(),
            next_orphan: 0,
            bug,
        }
    }

    /// The orphans kept: `(from_generation, refresh token)`.
    pub fn orphans_kept(&self) -> Vec<(u64, String)> {
        self.orphans
            .iter()
            .map(|(_, from, pair)| (*from, pair.refresh_token.expose().to_string()))
            .collect()
    }

    /// Whether a save expecting `expected` goes ahead.
    fn matches(&self, expected: Option<u64>) -> bool {
        if self.bug == Some(PlantedBug::CasIgnoresGeneration) && self.pair.is_some() && expected.is_some() {
            return true;
        }
        self.pair.as_ref().map(|p| p.generation) == expected
    }

    /// Whether the lease of `epoch` is held and has not lapsed at `now`.
    fn holds(&self, epoch: u64, now: i64) -> bool {
        self.epoch == epoch && self.lease_until.is_some_and(|until| until > now)
    }

    fn marker(&self, now: i64) -> Option<InFlight> {
        self.mark.as_ref().map(|m| InFlight {
            generation: m.generation,
            since: m.at_ms.div_euclid(1000),
            left: Duration::from_millis(u64::try_from(m.until_ms - now).unwrap_or(0)),
            holder: Some(World::host_name(m.holder)),
        })
    }
}

/// What one try for the lease found.
enum Try {
    Empty,
    Taken(u64, Box<StoredPair>, Option<InFlight>),
    Held(i64),
}

/// Host `host`'s connection to the store.
pub struct SimStore {
    world: Arc<World>,
    host: usize,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn store_error(status: Status, message: String) -> Error {
    Error::new(status, message)
}

impl SimStore {
    /// Host `host`'s handle.
    pub fn new(world: Arc<World>, host: usize) -> SimStore {
        SimStore { world, host }
    }

    fn state(&self) -> MutexGuard<'_, StoreState> {
        self.world.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One statement: a yield point, maybe a lost connection, the round trip,
    /// the statement applied atomically at the store's time, maybe a lost
    /// acknowledgement, and a yield point again.
    fn statement<T>(&self, name: &str, apply: impl FnOnce(&mut StoreState, i64) -> (T, String)) -> xoxe::Result<T> {
        let w = &self.world;
        let h = self.host;
        if std::thread::panicking() {
            return Err(store_error(Status::StoreIo, "sim store: the process is gone".into()));
        }
        w.host_step(h, 0);
        if w.inject(h, Fault::StoreConnectionLost) {
            return Err(store_error(
                Status::StoreIo,
                format!("sim store: {name}: connection lost"),
            ));
        }
        let latency = w.between(1, 20);
        w.net_sleep(h, latency);
        let now = w.now_ms();
        let (out, what) = apply(&mut self.state(), now);
        w.note(Some(h), format!("store: {name}: {what}"));
        w.net_sleep(h, latency);
        if w.inject(h, Fault::StoreAckLost) {
            return Err(store_error(
                Status::StoreIo,
                format!("sim store: {name}: connection lost before the answer"),
            ));
        }
        w.host_step(h, 0);
        Ok(out)
    }

    /// Records a pair the store now holds durably (`late`: saved by a host
    /// whose lease another host has taken since).
    fn saved(&self, now: i64, pair: &StoredPair, late: bool) {
        if late {
            self.world.late_save(pair.refresh_token.expose(), now);
        }
        self.world.record(Event::Saved {
            at_ms: now,
            chain: CHAIN.into(),
            generation: pair.generation,
            access: pair.access_token.expose().to_string(),
            refresh: pair.refresh_token.expose().to_string(),
            by: World::host_name(self.host),
        });
    }

    fn describe_pair(pair: &StoredPair) -> String {
        format!(
            "g{} {} / {}{}",
            pair.generation,
            tok(pair.access_token.expose()),
            tok(pair.refresh_token.expose()),
            if pair.revoked.is_some() { " (revoked)" } else { "" }
        )
    }

    fn no_lease(&self) -> Error {
        store_error(
            Status::LockTimeout,
            "sim store: no lease is held: nothing was sent".into(),
        )
    }
}

/// A lease this host took, fenced by its epoch.
struct SimLease {
    store: SimStore,
    epoch: u64,
    length: i64,
}

impl HeldLease for SimLease {
    fn renew(&mut self) -> xoxe::Result<()> {
        let (epoch, length) = (self.epoch, self.length);
        let renewed = self.store.statement("renew lease", |st, now| {
            if st.holds(epoch, now) {
                st.lease_until = Some(now + length);
                (true, format!("lease e{epoch} renewed"))
            } else {
                (false, format!("lease e{epoch} lapsed: not renewed"))
            }
        })?;
        if !renewed {
            return Err(store_error(
                Status::LockTimeout,
                "sim store: the lease lapsed and may be another holder's now".into(),
            ));
        }
        Ok(())
    }

    fn epoch(&self) -> Option<u64> {
        Some(self.epoch)
    }

    fn release(self: Box<Self>) -> xoxe::Result<()> {
        if std::thread::panicking() {
            return Ok(()); // a crashed process releases nothing: its lease lapses
        }
        let epoch = self.epoch;
        self.store.statement("release lease", |st, _| {
            if st.epoch == epoch {
                st.lease_until = None;
                st.lease_holder = None;
                ((), format!("lease e{epoch} released"))
            } else {
                ((), format!("lease e{epoch} is no longer ours: nothing released"))
            }
        })
    }
}

impl Store for SimStore {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.statement("load", |st, _| {
            let what = st.pair.as_ref().map_or("empty".into(), SimStore::describe_pair);
            (st.pair.clone(), what)
        })
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        let stored = self.statement("compare-and-swap", |st, now| {
            if st.matches(expected) {
                st.pair = Some(new.clone());
                st.mark = None;
                self.saved(now, new, st.epoch_holder != Some(self.host));
                (
                    true,
                    format!("expected g{expected:?}: stored {}", SimStore::describe_pair(new)),
                )
            } else {
                (false, format!("expected g{expected:?}: conflict"))
            }
        })?;
        if stored {
            return Ok(Saved::Stored);
        }
        Ok(Saved::Conflict(self.load()?))
    }

    fn acquire_lease(&self, terms: &LeaseTerms) -> xoxe::Result<Lease> {
        Ok(self.acquire_and_load(terms)?.lease)
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn acquire_and_load(&self, terms: &LeaseTerms) -> xoxe::Result<Acquired> {
        let length = ms(terms.lease());
        let wait = ms(terms.wait);
        let started = self.world.now_ms();
        let mut pause = 50;
        let me = self.host;
        loop {
            let tried = self.statement("acquire lease and load", |st, now| {
                let Some(pair) = st.pair.clone() else {
                    return (Try::Empty, "empty".into());
                };
                if st.lease_until.is_some_and(|until| until >= now) {
                    let left = st.lease_until.unwrap_or(now) - now;
                    let holder = st.lease_holder.map_or("?".into(), World::host_name);
                    return (Try::Held(left), format!("lease held by {holder} for {left} ms more"));
                }
                st.epoch += 1;
                st.lease_holder = Some(me);
                st.epoch_holder = Some(me);
                self.world.acquired(me, now);
                st.lease_until = Some(now + length);
                let marker = st.marker(now);
                let what = format!(
                    "lease e{} taken; {}; marker {:?}",
                    st.epoch,
                    SimStore::describe_pair(&pair),
                    marker.as_ref().map(|m| (m.generation, m.left.as_millis()))
                );
                (Try::Taken(st.epoch, Box::new(pair), marker), what)
            })?;
            match tried {
                Try::Empty => {
                    return Ok(Acquired {
                        lease: Lease::none(),
                        pair: None,
                        in_flight: Some(None),
                    })
                }
                Try::Taken(epoch, pair, marker) => {
                    let lease = Lease::held(SimLease {
                        store: SimStore::new(self.world.clone(), me),
                        epoch,
                        length,
                    });
                    self.world.pause_point(me, "holding the lease");
                    return Ok(Acquired {
                        lease,
                        pair: Some(*pair),
                        in_flight: Some(marker),
                    });
                }
                Try::Held(left) => {
                    let waited = self.world.now_ms() - started;
                    if waited >= wait {
                        return Err(store_error(
                            Status::LockTimeout,
                            format!("sim store: the lease was not free within {wait} ms"),
                        ));
                    }
                    let jittered = pause / 2 + self.world.between(0, pause);
                    let sleep = jittered.min(left + 5).min(wait - waited).max(1);
                    pause = (pause * 2).min(1000);
                    self.world.host_step(me, sleep);
                }
            }
        }
    }

    fn renew_and_mark(&self, lease: &mut Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        let Some(epoch) = lease.epoch() else {
            return Err(self.no_lease());
        };
        let (length, call, send_margin) = (ms(terms.lease()), ms(terms.call), ms(terms.send_margin()));
        let me = self.host;
        let marked = self.statement("renew lease and mark in flight", |st, now| {
            let ok = st.holds(epoch, now)
                && st.pair.as_ref().is_some_and(|p| p.generation == generation)
                && length > send_margin;
            if !ok {
                return (
                    false,
                    format!("lease e{epoch} lapsed or the chain moved on: not marked"),
                );
            }
            st.lease_until = Some(now + length);
            st.mark = Some(Mark {
                generation,
                holder: me,
                at_ms: now,
                until_ms: now + call,
            });
            (
                true,
                format!("lease e{epoch} renewed; g{generation} marked in flight for {call} ms"),
            )
        })?;
        if !marked {
            return Err(store_error(
                Status::LockTimeout,
                "sim store: the lease lapsed and may be another holder's now (or the chain moved on): nothing was sent"
                    .into(),
            ));
        }
        self.world
            .pause_point(me, "with the rotation marked in flight, before sending");
        Ok(())
    }

    fn save_and_release(
        &self,
        _reservation: &mut Reservation,
        lease: Lease,
        expected: u64,
        new: &StoredPair,
    ) -> xoxe::Result<Saved> {
        let Some(epoch) = lease.epoch() else {
            let saved = self.compare_and_swap(Some(expected), new);
            drop(lease);
            return saved;
        };
        let stored = self.statement("save and release", |st, now| {
            if !st.matches(Some(expected)) {
                return (false, format!("expected g{expected}: conflict"));
            }
            st.pair = Some(new.clone());
            st.mark = None;
            let late = st.epoch != epoch;
            if !late {
                st.lease_until = None;
                st.lease_holder = None;
            }
            self.saved(now, new, late);
            (
                true,
                format!(
                    "expected g{expected}: stored {}; lease e{epoch} released",
                    SimStore::describe_pair(new)
                ),
            )
        });
        match stored {
            Ok(true) => {
                lease.forget();
                Ok(Saved::Stored)
            }
            Ok(false) => {
                let current = self.load();
                drop(lease);
                Ok(Saved::Conflict(current?))
            }
            Err(e) => Err(e),
        }
    }

    fn mark_in_flight(&self, lease: &Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        let Some(epoch) = lease.epoch() else {
            return Err(self.no_lease());
        };
        let (call, send_margin) = (ms(terms.call), ms(terms.send_margin()));
        let me = self.host;
        let marked = self.statement("mark in flight", |st, now| {
            let ok = st.epoch == epoch
                && st.lease_until.is_some_and(|until| until > now + send_margin)
                && st.pair.as_ref().is_some_and(|p| p.generation == generation);
            if !ok {
                return (false, format!("lease e{epoch} too short or lost: not marked"));
            }
            st.mark = Some(Mark {
                generation,
                holder: me,
                at_ms: now,
                until_ms: now + call,
            });
            (true, format!("g{generation} marked in flight"))
        })?;
        if !marked {
            return Err(store_error(
                Status::LockTimeout,
                "sim store: the lease has too little left (or was lost): nothing was sent".into(),
            ));
        }
        Ok(())
    }

    fn clear_in_flight(&self, lease: &Lease, generation: u64) -> xoxe::Result<()> {
        let Some(epoch) = lease.epoch() else {
            return Ok(());
        };
        self.statement("clear in flight", |st, _| {
            if st.epoch == epoch && st.mark.as_ref().is_some_and(|m| m.generation == generation) {
                st.mark = None;
                ((), format!("g{generation} no longer in flight"))
            } else {
                ((), "no marker of ours to clear".into())
            }
        })
    }

    fn in_flight(&self) -> xoxe::Result<Option<InFlight>> {
        self.statement("read marker", |st, now| {
            let marker = st.marker(now);
            let what = format!("{:?}", marker.as_ref().map(|m| (m.generation, m.left.as_millis())));
            (marker, what)
        })
    }

    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> xoxe::Result<bool> {
        self.statement("park orphan", |st, _| {
            let what = format!("from g{from_generation}: {}", SimStore::describe_pair(pair));
            self.world.parked(pair.refresh_token.expose());
            if st.bug == Some(PlantedBug::OrphansForgotten) {
                return (true, format!("{what} (forgotten: planted bug)"));
            }
            st.next_orphan += 1;
            st.orphans.push((st.next_orphan, from_generation, pair.clone()));
            let excess = st.orphans.len().saturating_sub(ORPHANS_KEPT);
            st.orphans.drain(..excess);
            (true, what)
        })
    }

    fn orphans(&self, from_generation: u64) -> xoxe::Result<Vec<StoredPair>> {
        self.statement("read orphans", |st, _| {
            let found: Vec<StoredPair> = st
                .orphans
                .iter()
                .rev()
                .filter(|(_, from, _)| *from == from_generation)
                .map(|(_, _, pair)| pair.clone())
                .collect();
            let what = format!("from g{from_generation}: {} found", found.len());
            (found, what)
        })
    }

    fn describe(&self) -> String {
        format!("sim store ({})", World::host_name(self.host))
    }
}
