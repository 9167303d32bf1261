//! A host's clock in the simulation: the simulated time plus the host's skew.
//! Every reading is a yield point; sleeping parks the host until then; the
//! jitter's randomness comes from the run's seed.

use super::world::World;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xoxe::clock::Clock;

/// Host `host`'s clock.
pub struct SimClock {
    world: Arc<World>,
    host: usize,
}

impl SimClock {
    /// The clock of `host`.
    pub fn new(world: Arc<World>, host: usize) -> SimClock {
        SimClock { world, host }
    }
}

impl Clock for SimClock {
    fn unix_now_ms(&self) -> i64 {
        self.world.host_step(self.host, 0);
        self.world.host_now_ms(self.host)
    }

    fn monotonic(&self) -> Instant {
        self.world.host_step(self.host, 0);
        self.world.instant()
    }

    fn sleep(&self, wait: Duration) {
        let ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 4).max(1);
        self.world.host_step(self.host, ms);
    }

    fn random_u64(&self) -> u64 {
        self.world.random_u64()
    }
}
