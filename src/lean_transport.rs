//! A layer over ureq's transport (TCP, or TLS over TCP) that spends fewer
//! system calls per request. Measured with `strace -c` against a loopback
//! server, ureq 3.5 makes ~12 per pooled request where one send and one receive
//! would do: the request head and the body in two sends, each with its own
//! `setsockopt` for the timeout left (a new value every call, so it is set every
//! time), the read timeout likewise, and a three-call probe of the connection
//! (non-blocking on, a read that must fail, non-blocking off) both when the
//! connection goes back to the pool and when it is taken out again. This layer:
//!
//! - holds the request head until the body is written (then both go in one
//!   write) or the first read (a request without a body): the server gets the
//!   request in one segment, as curl and wrk send it;
//! - rounds the time left down to a whole [`TIMEOUT_STEP`] before passing it on,
//!   so consecutive operations ask for the same socket timeout and ureq's
//!   transport skips the `setsockopt` (a timeout may fire up to one step early,
//!   never late);
//! - answers the probe made as a connection goes back to the pool from what it
//!   just saw (the response was read to its end: ureq checks its buffer for
//!   stray bytes itself), leaving the real probe to the moment the connection
//!   is taken out again, when it matters.
//!
//! It only reorders and merges what ureq asks for; ureq still does all I/O,
//! TLS and timeouts.

use std::time::Duration;
use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// The granularity of the socket timeouts passed down.
pub const TIMEOUT_STEP: Duration = Duration::from_millis(10);

/// Longest request head held back to go out with the body (a larger one is
/// sent at once). xoxe's heads are a few hundred bytes.
const MAX_HELD_HEAD: usize = 4096;

/// Wraps the transport the connectors before it made (see the module docs).
#[derive(Debug, Default)]
pub struct LeanConnector;

impl<In: Transport> Connector<In> for LeanConnector {
    type Out = LeanTransport<In>;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| LeanTransport {
            inner,
            held: Vec::new(),
            just_read: false,
        }))
    }
}

/// The transport [`LeanConnector`] makes.
#[derive(Debug)]
pub struct LeanTransport<T> {
    inner: T,
    /// Output ureq transmitted that is not sent yet (the request head).
    held: Vec<u8>,
    /// Whether the last thing done was a read that got bytes: the connection
    /// is known to be open, and the next probe can be answered without I/O.
    just_read: bool,
}

impl<T: Transport> LeanTransport<T> {
    /// Sends what is held, if anything.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        let output = self.inner.buffers().output();
        output[..held.len()].copy_from_slice(&held);
        self.inner.transmit_output(held.len(), steady(timeout))
    }
}

impl<T: Transport> Transport for LeanTransport<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.just_read = false;
        let output = self.inner.buffers().output();
        if self.held.is_empty() {
            if amount <= MAX_HELD_HEAD {
                // Possibly a head: a body may follow (then both go at once).
                self.held.extend_from_slice(&output[..amount]);
                return Ok(());
            }
            return self.inner.transmit_output(amount, steady(timeout));
        }
        let held = self.held.len();
        if held + amount <= output.len() {
            output.copy_within(..amount, held);
            output[..held].copy_from_slice(&self.held);
            self.held.clear();
            return self.inner.transmit_output(held + amount, steady(timeout));
        }
        // Too big to send together: the held part first, then this one.
        let chunk = output[..amount].to_vec();
        self.flush(timeout)?;
        self.inner.buffers().output()[..amount].copy_from_slice(&chunk);
        self.inner.transmit_output(amount, steady(timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.just_read = false;
        self.flush(timeout)?;
        let progress = self.inner.await_input(steady(timeout))?;
        self.just_read = progress;
        Ok(progress)
    }

    fn is_open(&mut self) -> bool {
        if std::mem::take(&mut self.just_read) && self.held.is_empty() {
            // Called as the connection goes back to the pool, right after its
            // response was read: it is open, and taking it out probes again.
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// `timeout` with the time left rounded down to a whole [`TIMEOUT_STEP`]
/// (never to zero: that would be "expired").
fn steady(mut timeout: NextTimeout) -> NextTimeout {
    if let UreqDuration::Exact(left) = timeout.after {
        if left > TIMEOUT_STEP {
            let excess = left.as_nanos() % TIMEOUT_STEP.as_nanos();
            timeout.after = UreqDuration::Exact(left - Duration::from_nanos(excess as u64));
        }
    }
    timeout
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(t: NextTimeout) -> Duration {
        *t.after
    }

    #[test]
    fn timeouts_round_down_to_a_step_and_never_to_zero() {
        let t = |d: Duration| NextTimeout {
            after: UreqDuration::Exact(d),
            ..NextTimeout::default()
        };
        assert_eq!(
            left(steady(t(Duration::from_micros(29_999_917)))),
            Duration::from_millis(29_990)
        );
        assert_eq!(
            left(steady(t(Duration::from_millis(29_990)))),
            Duration::from_millis(29_990)
        );
        assert_eq!(
            left(steady(t(Duration::from_millis(7)))),
            Duration::from_millis(7),
            "under a step: kept"
        );
        assert!(steady(NextTimeout::default()).after.is_not_happening());
    }
}
