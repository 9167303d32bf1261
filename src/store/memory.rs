//! A store in this process's memory (lost at exit: for tests and short-lived tools).

use super::{Saved, Store, StoredPair};
use crate::error::Result;
use std::sync::Mutex;

/// Keeps the pair in memory.
#[derive(Default)]
pub struct MemoryStore {
    pair: Mutex<Option<StoredPair>>,
}

impl MemoryStore {
    /// A store holding `initial` (or nothing).
    pub fn new(initial: Option<StoredPair>) -> MemoryStore {
        MemoryStore {
            pair: Mutex::new(initial),
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

    fn describe(&self) -> String {
        "memory store".into()
    }
}
