//! A store in this process's memory (lost at exit: for tests and short-lived tools).

use super::{Lease, LeaseTerms, Saved, Store, StoredPair};
use crate::error::Result;
use std::sync::{Arc, Condvar, Mutex};

/// Keeps the pair in memory. Its lease serialises rotations of several rotators
/// sharing it within this process.
#[derive(Default)]
pub struct MemoryStore {
    pair: Mutex<Option<StoredPair>>,
    /// Parked pairs, `(from_generation, pair)`, oldest first.
    orphans: Mutex<Vec<(u64, StoredPair)>>,
    locked: Arc<(Mutex<bool>, Condvar)>,
}

impl MemoryStore {
    /// A store holding `initial` (or nothing).
    pub fn new(initial: Option<StoredPair>) -> MemoryStore {
        MemoryStore {
            pair: Mutex::new(initial),
            orphans: Mutex::default(),
            locked: Arc::default(),
        }
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        Ok(self.pair.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let mut pair = self.pair.lock().unwrap_or_else(|e| e.into_inner());
        if pair.as_ref().map(|p| p.generation) != expected {
            return Ok(Saved::Conflict(pair.clone()));
        }
        *pair = Some(new.clone());
        Ok(Saved::Stored)
    }

    fn acquire_lease(&self, _terms: &LeaseTerms) -> Result<Lease> {
        let (flag, freed) = &*self.locked;
        let mut held = flag.lock().unwrap_or_else(|e| e.into_inner());
        while *held {
            held = freed.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held = true;
        let locked = Arc::clone(&self.locked);
        Ok(Lease::on_release(move || {
            *locked.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
            locked.1.notify_one();
        }))
    }

    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> Result<bool> {
        let mut orphans = self.orphans.lock().unwrap_or_else(|e| e.into_inner());
        orphans.push((from_generation, pair.clone()));
        let excess = orphans.len().saturating_sub(16);
        orphans.drain(..excess);
        Ok(true)
    }

    fn orphans(&self, from_generation: u64) -> Result<Vec<StoredPair>> {
        let orphans = self.orphans.lock().unwrap_or_else(|e| e.into_inner());
        Ok(orphans
            .iter()
            .rev()
            .filter(|(from, _)| *from == from_generation)
            .map(|(_, pair)| pair.clone())
            .collect())
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        "memory store".into()
    }
}
