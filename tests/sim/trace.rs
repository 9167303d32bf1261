//! The run's trace: one line per thing that happened, tokens named only by
//! their fingerprint. Two runs of one seed give equal traces.

use std::fmt;

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Yield points passed before it.
    pub step: u64,
    /// Simulated ms since the start.
    pub at_ms: i64,
    /// The host it happened on (`None`: the world itself).
    pub host: Option<usize>,
    /// What happened.
    pub text: String,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = self.host.map_or_else(|| "world".to_string(), |h| format!("host{h}"));
        write!(
            f,
            "[{:>7}] {:>11.3}s {:<5} {}",
            self.step,
            self.at_ms as f64 / 1000.0,
            who,
            self.text
        )
    }
}

/// A token as the trace shows it.
pub fn tok(token: &str) -> String {
    xoxe_history::fingerprint(token)
}

/// The last `n` entries of `trace`, one per line.
pub fn tail(trace: &[Entry], n: usize) -> String {
    let start = trace.len().saturating_sub(n);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("  … {start} earlier entries\n"));
    }
    for entry in &trace[start..] {
        out.push_str(&format!("  {entry}\n"));
    }
    out
}
