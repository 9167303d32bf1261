//! A store in this process's memory (lost at exit: for tests and short-lived tools).
//! One memory store holds any number of chains; [`Store::open_chain`] reaches the
//! others.

use super::fleet::{check_chain_name, DEFAULT_CHAIN};
use super::{Lease, LeaseTerms, Saved, Store, StoredPair};
use crate::error::Result;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Parked pairs kept per chain (the newest).
const ORPHANS_KEPT: usize = 16;

/// Keeps pairs in memory. Its lease serialises rotations of several rotators
/// sharing a chain within this process.
pub struct MemoryStore {
    shelf: Arc<Shelf>,
    chain: String,
}

#[derive(Default)]
struct Shelf {
    chains: Mutex<BTreeMap<String, Slot>>,
    freed: Condvar,
}

#[derive(Default)]
struct Slot {
    pair: Option<StoredPair>,
    /// Parked pairs, `(from_generation, pair)`, oldest first.
    orphans: Vec<(u64, StoredPair)>,
    locked: bool,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new(None)
    }
}

impl MemoryStore {
    /// A store holding `initial` (or nothing) as its default chain.
    pub fn new(initial: Option<StoredPair>) -> MemoryStore {
        let shelf = Arc::new(Shelf::default());
        if let Some(pair) = initial {
            shelf.chains.lock().unwrap_or_else(|e| e.into_inner()).insert(
                DEFAULT_CHAIN.to_string(),
                Slot {
                    pair: Some(pair),
                    ..Slot::default()
                },
            );
        }
        MemoryStore {
            shelf,
            chain: DEFAULT_CHAIN.to_string(),
        }
    }

    fn chains(&self) -> MutexGuard<'_, BTreeMap<String, Slot>> {
        self.shelf.chains.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_slot<R>(&self, f: impl FnOnce(&mut Slot) -> R) -> R {
        f(self.chains().entry(self.chain.clone()).or_default())
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        Ok(self.chains().get(&self.chain).and_then(|slot| slot.pair.clone()))
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        Ok(self.with_slot(|slot| {
            if slot.pair.as_ref().map(|p| p.generation) != expected {
                return Saved::Conflict(slot.pair.clone());
            }
            slot.pair = Some(new.clone());
            Saved::Stored
        }))
    }

    fn acquire_lease(&self, _terms: &LeaseTerms) -> Result<Lease> {
        let mut chains = self.chains();
        while chains.get(&self.chain).is_some_and(|slot| slot.locked) {
            chains = self.shelf.freed.wait(chains).unwrap_or_else(|e| e.into_inner());
        }
        chains.entry(self.chain.clone()).or_default().locked = true;
        let shelf = Arc::clone(&self.shelf);
        let chain = self.chain.clone();
        Ok(Lease::on_release(move || {
            if let Some(slot) = shelf.chains.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&chain) {
                slot.locked = false;
            }
            shelf.freed.notify_all();
        }))
    }

    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> Result<bool> {
        self.with_slot(|slot| {
            slot.orphans.push((from_generation, pair.clone()));
            let excess = slot.orphans.len().saturating_sub(ORPHANS_KEPT);
            slot.orphans.drain(..excess);
        });
        Ok(true)
    }

    fn orphans(&self, from_generation: u64) -> Result<Vec<StoredPair>> {
        Ok(self.chains().get(&self.chain).map_or_else(Vec::new, |slot| {
            slot.orphans
                .iter()
                .rev()
                .filter(|(from, _)| *from == from_generation)
                .map(|(_, pair)| pair.clone())
                .collect()
        }))
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        if self.chain == DEFAULT_CHAIN {
            "memory store".into()
        } else {
            format!("memory store (chain {})", self.chain)
        }
    }

    fn chain(&self) -> &str {
        &self.chain
    }

    fn open_chain(&self, name: &str) -> Result<Arc<dyn Store>> {
        check_chain_name(name)?;
        Ok(Arc::new(MemoryStore {
            shelf: Arc::clone(&self.shelf),
            chain: name.to_string(),
        }))
    }

    fn list_chains(&self) -> Result<Vec<String>> {
        Ok(self
            .chains()
            .iter()
            .filter(|(_, slot)| slot.pair.is_some())
            .map(|(name, _)| name.clone())
            .collect())
    }

    fn remove_chain(&self) -> Result<bool> {
        Ok(self.with_slot(|slot| {
            slot.orphans.clear();
            slot.pair.take().is_some()
        }))
    }
}
