//! A test's history of its token chains, checked against xoxe's promise with the
//! `xoxe-history` checker: stores wrapped to record every pair they save, the
//! tokens the test was handed, what each store holds at the end, and the fake
//! Slack's side.
//!
//! ```ignore
//! let history = Recorder::new();
//! let store = history.store(inner);            // records every stored save
//! history.handed_out(store.chain(), &rotator.get()?);
//! history.final_of(store.as_ref());             // what the store holds now
//! history.slack(&slack);                        // Slack's side
//! history.assert_ok("my test");                 // panics listing every violation
//! ```
//!
//! A worker process records into a file its parent merges: the parent sets
//! [`HISTORY_FILE`] in the worker's environment, the worker records with
//! [`Recorder::from_env`] (each event one JSON line, written as it happens, so a
//! SIGKILL loses at most the line being written), and the parent reads it back
//! with [`Recorder::merge_file`].

use fake_slack::FakeSlack;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use xoxe::store::{seal, Acquired, InFlight, Lease, LeaseTerms, Reservation, Saved};
use xoxe::{AccessToken, Store, StoredPair};
use xoxe_history::{Event, History, Report};

/// Unix milliseconds on this machine's clock (the fake Slack's, when it runs in
/// this process without a skew).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The environment variable naming the file a worker process records into.
pub const HISTORY_FILE: &str = "XOXE_HISTORY_FILE";

/// A history shared by every store and thread of a test (and, in a worker
/// process, written to a file as it grows).
#[derive(Clone, Default)]
pub struct Recorder {
    history: Arc<Mutex<History>>,
    file: Option<Arc<Mutex<File>>>,
}

impl Recorder {
    /// An empty history.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// A worker's recorder: appends every event to the file [`HISTORY_FILE`]
    /// names, if the parent set it.
    pub fn from_env() -> Recorder {
        let Some(path) = std::env::var_os(HISTORY_FILE) else {
            return Recorder::new();
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600) // it holds tokens
            .open(&path)
            .unwrap_or_else(|e| panic!("opening the history file: {e}"));
        Recorder {
            history: Arc::default(),
            file: Some(Arc::new(Mutex::new(file))),
        }
    }

    /// Adds the events a worker recorded in `path` (a line torn by a kill is
    /// skipped; any other unreadable line fails the test). A missing file is a
    /// worker that recorded nothing.
    pub fn merge_file(&self, path: &Path) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut events = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str::<Event>(line) {
                Ok(event) => events.push(event),
                Err(_) if i + 1 == lines.len() => {} // the line being written when the worker died
                Err(_) => panic!("{}: line {} is not an event", path.display(), i + 1),
            }
        }
        self.lock().extend(events);
    }

    fn lock(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds one event.
    pub fn record(&self, event: Event) {
        if let Some(file) = &self.file {
            let mut line = serde_json::to_vec(&event).unwrap();
            line.push(b'\n');
            // One write per line: lines of concurrent threads never interleave.
            file.lock()
                .unwrap_or_else(|e| e.into_inner())
                .write_all(&line)
                .unwrap_or_else(|e| panic!("writing the history file: {e}"));
        }
        self.lock().record(event);
    }

    /// `inner`, recording every pair it reports stored (and every chain opened from it).
    pub fn store(&self, inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(RecordingStore {
            inner,
            history: self.clone(),
            label: None,
        })
    }

    /// [`store`](Self::store), naming the chain `label` in the history rather
    /// than by its name in the store (a test that starts the chain in one store
    /// afresh tells the chains apart).
    pub fn store_as(&self, inner: Arc<dyn Store>, label: &str) -> Arc<dyn Store> {
        Arc::new(RecordingStore {
            inner,
            history: self.clone(),
            label: Some(label.to_string()),
        })
    }

    /// Chain `chain` was started from `pair` (by a store this history does not wrap).
    pub fn seeded(&self, chain: &str, pair: &StoredPair) {
        self.record(Event::Seeded {
            chain: chain.to_string(),
            access: pair.access_token.expose().to_string(),
            refresh: pair.refresh_token.expose().to_string(),
        });
    }

    /// A caller of chain `chain` was handed `token` (now).
    pub fn handed_out(&self, chain: &str, token: &AccessToken) {
        self.handed_out_access(chain, token.token.expose());
    }

    /// A caller of chain `chain` was handed access token `access` (now).
    pub fn handed_out_access(&self, chain: &str, access: &str) {
        let by = std::thread::current().name().unwrap_or("").to_string();
        self.record(Event::HandedOut {
            at_ms: now_ms(),
            chain: chain.to_string(),
            access: access.to_string(),
            by,
        });
    }

    /// Records what `store`'s chain holds now (nothing if it holds nothing).
    pub fn final_of(&self, store: &dyn Store) {
        self.final_as(store, store.chain());
    }

    /// [`final_of`](Self::final_of), naming the chain `label` in the history.
    pub fn final_as(&self, store: &dyn Store, label: &str) {
        let pair = store
            .load()
            .unwrap_or_else(|e| panic!("{}: reading the final pair: {e}", store.describe()));
        if let Some(pair) = pair {
            self.final_pair(label, &pair);
        }
    }

    /// Records `pair` as what chain `chain` holds at the end (read by the test).
    pub fn final_pair(&self, chain: &str, pair: &StoredPair) {
        self.record(Event::Final {
            chain: chain.to_string(),
            access: pair.access_token.expose().to_string(),
            refresh: pair.refresh_token.expose().to_string(),
            generation: pair.generation,
            revoked: pair.revoked.is_some(),
        });
    }

    /// Records what chains `names` of the place `store` belongs to hold now.
    pub fn finals(&self, store: &dyn Store, names: &[String]) {
        for name in names {
            let chain = store
                .open_chain(name)
                .unwrap_or_else(|e| panic!("{}: opening {name}: {e}", store.describe()));
            self.final_as(chain.as_ref(), name);
        }
    }

    /// Adds the fake Slack's side (everything it recorded so far).
    pub fn slack(&self, slack: &FakeSlack) {
        assert!(!slack.history_truncated(), "the fake Slack's history was truncated");
        self.lock().extend(slack.history().events);
    }

    /// A copy of the history so far.
    pub fn history(&self) -> History {
        self.lock().clone()
    }

    /// The checker's report on the history so far.
    pub fn check(&self) -> Report {
        xoxe_history::check(&self.lock())
    }

    /// Checks the history so far, printing its summary; panics listing every
    /// violation unless xoxe kept its promise.
    #[track_caller]
    pub fn assert_ok(&self, what: &str) {
        let report = self.check();
        eprintln!("history of {what}: {}", report.summary);
        assert!(report.is_ok(), "{what}: {report}");
    }
}

/// A store that forwards every call to `inner` — each one, the defaulted ones
/// included, so it changes no behaviour — and records a `Saved` event for each
/// save that stored its pair (see `RecordingStore::saving`).
struct RecordingStore {
    inner: Arc<dyn Store>,
    history: Recorder,
    /// The chain's name in the history, when not its name in the store.
    label: Option<String>,
}

impl RecordingStore {
    /// Runs `save`, recording `new` as saved when it stored. The time is taken
    /// before the save: no one can have read the pair earlier.
    ///
    /// A `Conflict` showing `new` itself also stored it: a fleet store retries a
    /// statement once after a lost connection, and when the first try had
    /// committed before the connection went, the retry finds its own pair.
    fn saving(&self, new: &StoredPair, save: impl FnOnce() -> xoxe::Result<Saved>) -> xoxe::Result<Saved> {
        let at_ms = now_ms();
        let saved = save()?;
        let stored = match &saved {
            Saved::Stored => true,
            Saved::Conflict(Some(held)) => {
                held.generation == new.generation && held.refresh_token.expose() == new.refresh_token.expose()
            }
            Saved::Conflict(None) => false,
        };
        if stored {
            self.history.record(Event::Saved {
                at_ms,
                chain: self.label.as_deref().unwrap_or(self.inner.chain()).to_string(),
                generation: new.generation,
                access: new.access_token.expose().to_string(),
                refresh: new.refresh_token.expose().to_string(),
                by: xoxe::store::fleet::holder_id().to_string(),
            });
        }
        Ok(saved)
    }
}

impl Store for RecordingStore {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.saving(new, || self.inner.compare_and_swap(expected, new))
    }
    fn reserve(&self) -> xoxe::Result<Reservation> {
        self.inner.reserve()
    }
    fn save_reserved(
        &self,
        reservation: &mut Reservation,
        expected: Option<u64>,
        new: &StoredPair,
    ) -> xoxe::Result<Saved> {
        self.saving(new, || self.inner.save_reserved(reservation, expected, new))
    }
    fn acquire_lease(&self, terms: &LeaseTerms) -> xoxe::Result<Lease> {
        self.inner.acquire_lease(terms)
    }
    fn has_lease(&self) -> bool {
        self.inner.has_lease()
    }
    fn acquire_and_load(&self, terms: &LeaseTerms) -> xoxe::Result<Acquired> {
        self.inner.acquire_and_load(terms)
    }
    fn renew_and_mark(&self, lease: &mut Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        self.inner.renew_and_mark(lease, generation, terms)
    }
    fn save_and_release(
        &self,
        reservation: &mut Reservation,
        lease: Lease,
        expected: u64,
        new: &StoredPair,
    ) -> xoxe::Result<Saved> {
        self.saving(new, || self.inner.save_and_release(reservation, lease, expected, new))
    }
    fn mark_in_flight(&self, lease: &Lease, generation: u64, terms: &LeaseTerms) -> xoxe::Result<()> {
        self.inner.mark_in_flight(lease, generation, terms)
    }
    fn clear_in_flight(&self, lease: &Lease, generation: u64) -> xoxe::Result<()> {
        self.inner.clear_in_flight(lease, generation)
    }
    fn in_flight(&self) -> xoxe::Result<Option<InFlight>> {
        self.inner.in_flight()
    }
    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> xoxe::Result<bool> {
        self.inner.park_orphan(from_generation, pair)
    }
    fn orphans(&self, from_generation: u64) -> xoxe::Result<Vec<StoredPair>> {
        self.inner.orphans(from_generation)
    }
    fn rewrite(&self, current: &StoredPair) -> xoxe::Result<Saved> {
        self.saving(current, || self.inner.rewrite(current))
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn chain(&self) -> &str {
        self.inner.chain()
    }
    fn open_chain(&self, name: &str) -> xoxe::Result<Arc<dyn Store>> {
        Ok(self.history.store(self.inner.open_chain(name)?))
    }
    fn list_chains(&self) -> xoxe::Result<Vec<String>> {
        self.inner.list_chains()
    }
    fn remove_chain(&self) -> xoxe::Result<bool> {
        self.inner.remove_chain()
    }
    fn sealed(&self, keyring: Arc<seal::Keyring>) -> xoxe::Result<Arc<dyn Store>> {
        Ok(self.history.store(self.inner.sealed(keyring)?))
    }
}
