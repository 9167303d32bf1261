//! Time and chance as a rotator sees them: Unix wall-clock time, a monotonic
//! reading for deadlines, sleeping, and the random numbers of its jitter.
//!
//! The machine's clock ([`SystemClock`]) is the one every rotator uses. With the
//! cargo feature `simulation`, a test can put its own [`Clock`] in its place
//! (`Rotator::with_seams`), so rotators run in simulated time and a whole run
//! replays from one seed. Without the feature, [`ClockSeam`] holds nothing and
//! every reading is a direct call to the system clock.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where a rotator reads the time, sleeps and draws its jitter.
pub trait Clock: Send + Sync {
    /// Now, in Unix milliseconds on this host's wall clock.
    fn unix_now_ms(&self) -> i64;

    /// A monotonic reading for deadlines: only the difference between two
    /// readings of the same clock means anything.
    fn monotonic(&self) -> Instant;

    /// Blocks the calling thread for `wait`.
    fn sleep(&self, wait: Duration);

    /// A random number, for the jitter that keeps a fleet from rotating in step
    /// (on the clock so that one seam makes a run replayable).
    fn random_u64(&self) -> u64;
}

/// The machine's own clock, sleep and randomness: what every rotator uses
/// unless a simulation put another [`Clock`] in its place.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn unix_now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    #[inline]
    fn monotonic(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, wait: Duration) {
        std::thread::sleep(wait);
    }

    /// A random number from this process's hash keys (no extra crate needed).
    fn random_u64(&self) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        h.finish()
    }
}

/// Now, in Unix milliseconds on this machine's clock.
#[inline]
pub(crate) fn unix_now_ms() -> i64 {
    SystemClock.unix_now_ms()
}

/// Now, in Unix seconds on this machine's clock.
#[inline]
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, in Unix milliseconds, from the coarse clock where there is one (Linux's
/// `CLOCK_REALTIME_COARSE`: the time at the last tick, for a fraction of a
/// precise read's cost). It lags the precise clock by up to a tick (longer if
/// the tick itself is late, e.g. a paused virtual CPU), so it only decides that
/// a rotation is far away.
#[inline]
pub(crate) fn coarse_unix_now_ms() -> i64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0 {
            // `time_t` and `c_long` are narrower than i64 on 32-bit targets.
            #[allow(clippy::useless_conversion)]
            return i64::from(ts.tv_sec).saturating_mul(1000) + i64::from(ts.tv_nsec) / 1_000_000;
        }
    }
    unix_now_ms()
}

/// The clock a rotator reads: the system's, unless a simulation replaced it.
/// Without the `simulation` feature it holds nothing, and each reading compiles
/// to the system clock's own call (the fresh-token path pays nothing for it);
/// with the feature, one `Option` check.
#[derive(Clone, Default)]
pub(crate) struct ClockSeam {
    #[cfg(feature = "simulation")]
    replaced: Option<std::sync::Arc<dyn Clock>>,
}

impl ClockSeam {
    /// A seam reading `clock` instead of the system's.
    #[cfg(feature = "simulation")]
    pub(crate) fn replaced_by(clock: std::sync::Arc<dyn Clock>) -> ClockSeam {
        ClockSeam { replaced: Some(clock) }
    }

    /// The replacing clock, if any.
    #[inline]
    fn replaced(&self) -> Option<&dyn Clock> {
        #[cfg(feature = "simulation")]
        {
            self.replaced.as_deref()
        }
        #[cfg(not(feature = "simulation"))]
        {
            None
        }
    }

    /// Now, in Unix seconds.
    #[inline]
    pub(crate) fn unix_now(&self) -> i64 {
        match self.replaced() {
            None => unix_now(),
            Some(clock) => clock.unix_now_ms().div_euclid(1000),
        }
    }

    /// Now, in Unix milliseconds.
    #[inline]
    pub(crate) fn unix_now_ms(&self) -> i64 {
        match self.replaced() {
            None => unix_now_ms(),
            Some(clock) => clock.unix_now_ms(),
        }
    }

    /// Now, in Unix milliseconds, from the coarse clock (see
    /// [`coarse_unix_now_ms`]); a replacing clock has only one reading.
    #[inline]
    pub(crate) fn coarse_unix_now_ms(&self) -> i64 {
        match self.replaced() {
            None => coarse_unix_now_ms(),
            Some(clock) => clock.unix_now_ms(),
        }
    }

    /// A monotonic reading for deadlines.
    pub(crate) fn monotonic(&self) -> Instant {
        self.replaced().map_or_else(Instant::now, |clock| clock.monotonic())
    }

    /// `now + wait` on the monotonic clock, or a century from now for a wait too
    /// long to add.
    pub(crate) fn deadline_after(&self, wait: Duration) -> Instant {
        let now = self.monotonic();
        now.checked_add(wait)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400))
    }

    /// Blocks the calling thread for `wait`.
    pub(crate) fn sleep(&self, wait: Duration) {
        match self.replaced() {
            None => SystemClock.sleep(wait),
            Some(clock) => clock.sleep(wait),
        }
    }

    /// A random number for jitter.
    pub(crate) fn random_u64(&self) -> u64 {
        match self.replaced() {
            None => SystemClock.random_u64(),
            Some(clock) => clock.random_u64(),
        }
    }
}
