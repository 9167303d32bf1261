//! A store in this process's memory (lost at exit: for tests and short-lived tools).

use super::{Saved, Store, StoreLock, StoredPair};
use crate::error::Result;
use std::sync::{Arc, Condvar, Mutex};

/// Keeps the pair in memory. Its lock serialises rotations of several rotators
/// sharing it within this process.
#[derive(Default)]
pub struct MemoryStore {
    pair: Mutex<Option<StoredPair>>,
    locked: Arc<(Mutex<bool>, Condvar)>,
}

impl MemoryStore {
    /// A store holding `initial` (or nothing).
    pub fn new(initial: Option<StoredPair>) -> MemoryStore {
        MemoryStore {
            pair: Mutex::new(initial),
            locked: Arc::default(),
        }
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        Ok(self.pair.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    fn save(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let mut pair = self.pair.lock().unwrap_or_else(|e| e.into_inner());
        if pair.as_ref().map(|p| p.generation) != expected {
            return Ok(Saved::Conflict(pair.clone()));
        }
        *pair = Some(new.clone());
        Ok(Saved::Stored)
    }

    fn lock(&self) -> Result<StoreLock> {
        let (flag, freed) = &*self.locked;
        let mut held = flag.lock().unwrap_or_else(|e| e.into_inner());
        while *held {
            held = freed.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held = true;
        let locked = Arc::clone(&self.locked);
        Ok(StoreLock::new(move || {
            *locked.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
            locked.1.notify_one();
        }))
    }

    fn has_lock(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        "memory store".into()
    }
}
