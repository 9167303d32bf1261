//! The rotator and its stores against the fake Slack: single flight, persist first,
//! re-read before declaring a chain dead, never retry an unknown outcome.

mod common;

/// Lease terms for calling a store's lease directly.
const TERMS: xoxe::store::LeaseTerms = xoxe::store::LeaseTerms {
    call: Duration::from_secs(30),
    wait: Duration::from_secs(120),
    margin: Duration::from_secs(30),
};

use common::{client, requests, server};
use fake_slack::{Fault, FaultKind, TokenKind};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;
use xoxe::store::Saved;
use xoxe::{
    AppCredentials, ChainKind, FileStore, MemoryStore, Rotator, RotatorOptions, Secret, Status, Store, StoredPair,
};

const ROTATE: &str = "tooling.tokens.rotate";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xoxe-rot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Private whatever the umask: the file store refuses a directory others may write.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
    dir
}

fn seed_config(refresh: &str) -> StoredPair {
    StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0)
}

/// Runs `call` on `n` threads released together; returns what each returned.
fn all_at_once<T: Send>(n: usize, call: impl Fn() -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    let results = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                barrier.wait();
                let result = call();
                results.lock().unwrap().push(result);
            });
        }
    });
    results.into_inner().unwrap()
}

fn file_store(path: &std::path::Path) -> Arc<FileStore> {
    Arc::new(FileStore::new(path, Duration::from_secs(60)).unwrap())
}

#[test]
fn thirty_two_threads_cause_exactly_one_rotation_per_expiry() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("single-flight");
    let store = file_store(&dir.join("pair.json"));
    store
        .compare_and_swap(None, &seed_config(&slack.new_config_token(None).refresh_token))
        .unwrap();

    for round in 1..=3u64 {
        let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
        let tokens = all_at_once(32, || rotator.get().unwrap().token.expose().to_string());
        assert!(
            tokens.windows(2).all(|w| w[0] == w[1]),
            "every thread got the same token"
        );
        assert_eq!(slack.stats().rotations, round, "one rotation for 32 callers");
        let stored = store.load().unwrap().unwrap();
        assert_eq!(
            stored.access_token.expose(),
            tokens[0],
            "persisted before it was handed out"
        );
        xoxe.auth_test(&tokens[0], None).unwrap();
        // Age the stored pair so the next round's rotator finds it due.
        let aged = StoredPair {
            expires_at: 1,
            ..stored.clone()
        };
        assert_eq!(
            store
                .compare_and_swap(
                    Some(stored.generation),
                    &StoredPair {
                        generation: stored.generation + 1,
                        ..aged
                    }
                )
                .unwrap(),
            Saved::Stored
        );
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    let mode = std::fs::metadata(dir.join("pair.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "only the store and its lock file: {leftovers:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fresh_token_is_served_from_memory_and_short_lifetimes_scale_the_window() {
    let slack = server();
    slack.set_token_ttl(40);
    let store = Arc::new(MemoryStore::new(Some(seed_config(
        &slack.new_config_token(None).refresh_token,
    ))));
    let rotator = Rotator::config(Arc::new(client(&slack)), store, RotatorOptions::default());
    let first = rotator.get().unwrap();
    for _ in 0..1000 {
        assert_eq!(rotator.get().unwrap().token, first.token);
    }
    assert_eq!(
        requests(&slack, ROTATE),
        1,
        "a 40 s token is not rotated on every call (the exact window: src/rotator.rs's unit tests)"
    );
    let forced = rotator.force_rotate().unwrap();
    assert_ne!(forced.token, first.token);
    assert_eq!(rotator.current().unwrap().token, forced.token);
    assert!(forced.expires_at > 0);
    // Forced again: a new rotation each time.
    let again = rotator.force_rotate().unwrap();
    assert_ne!(again.token, forced.token);
    assert_eq!(requests(&slack, ROTATE), 3);
}

#[test]
fn another_processes_rotation_is_picked_up_from_the_store() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("reread");
    let path = dir.join("pair.json");
    file_store(&path)
        .compare_and_swap(None, &seed_config(&slack.new_config_token(None).refresh_token))
        .unwrap();
    // Two rotators with their own store objects stand for two processes.
    let a = Rotator::config(xoxe.clone(), file_store(&path), RotatorOptions::default());
    let b = Rotator::config(xoxe.clone(), file_store(&path), RotatorOptions::default());
    assert_eq!(b.current().unwrap().expires_at, 0, "b has the unrotated seed in memory");
    let from_a = a.get().unwrap();
    let from_b = b.get().unwrap();
    assert_eq!(
        from_a.token, from_b.token,
        "b re-read the store under the lock instead of rotating"
    );
    assert_eq!(slack.stats().rotations, 1);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A store whose content changes behind the rotator's back, right after its first
/// load. With `claims_lock` it says it has a lock (one that another writer ignored):
/// then the rotator must still re-read at once after a rejection, not only in the
/// bounded wait it gives lockless stores.
struct Racing {
    inner: MemoryStore,
    after_first_load: Mutex<Option<StoredPair>>,
    claims_lock: bool,
}

impl Store for Racing {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        let current = self.inner.load()?;
        if let Some(newer) = self.after_first_load.lock().unwrap().take() {
            let generation = current.as_ref().map(|p| p.generation);
            self.inner.compare_and_swap(generation, &newer)?;
        }
        Ok(current)
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.compare_and_swap(expected, new)
    }
    fn has_lease(&self) -> bool {
        self.claims_lock
    }
    fn describe(&self) -> String {
        "racing test store".into()
    }
}

#[test]
fn a_rejected_refresh_token_rereads_the_store_before_declaring_the_chain_dead() {
    rejected_refresh_token_rereads(false);
}

#[test]
fn a_rejected_refresh_token_rereads_a_locked_store_at_once() {
    rejected_refresh_token_rereads(true);
}

fn rejected_refresh_token_rereads(claims_lock: bool) {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let seed = slack.new_config_token(None);
    // Someone else rotates the seed and saves the result right after our load.
    let theirs = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    let their_pair = StoredPair {
        generation: 1,
        expires_at: i64::MAX / 2,
        lifetime: 43200,
        ..StoredPair::seed(
            ChainKind::Config,
            theirs.refresh_token.clone(),
            Some(theirs.token.clone()),
            0,
        )
    };
    let store = Arc::new(Racing {
        inner: MemoryStore::new(Some(seed_config(&seed.refresh_token))),
        after_first_load: Mutex::new(Some(their_pair)),
        claims_lock,
    });
    let rotator = Rotator::config(xoxe.clone(), store, RotatorOptions::default());
    let got = rotator.get().unwrap();
    assert_eq!(got.token, theirs.token, "recovered the other writer's pair");
    assert_eq!(
        slack.stats().refresh_token_reuses,
        1,
        "our one try with the spent token"
    );

    // With nothing newer in the store, the same rejection means the chain is dead.
    let dead_store = Arc::new(MemoryStore::new(Some(seed_config(&seed.refresh_token))));
    let dead = Rotator::config(xoxe, dead_store, RotatorOptions::default())
        .get()
        .unwrap_err();
    assert_eq!(dead.status, Status::ChainDead);
    assert_eq!(dead.cause, Status::InvalidRefreshToken);
    assert!(dead.message.contains("issue a new token"));
}

#[test]
fn an_unknown_outcome_keeps_the_old_pair_and_is_not_retried() {
    let slack = server();
    let dir = temp_dir("unknown");
    let store = file_store(&dir.join("pair.json"));
    let seed = seed_config(&slack.new_config_token(None).refresh_token);
    store.compare_and_swap(None, &seed).unwrap();
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    slack.inject(Fault::new(ROTATE, FaultKind::DropAfterApply));
    let err = rotator.get().unwrap_err();
    assert_eq!(err.status, Status::OutcomeUnknown);
    assert_eq!(requests(&slack, ROTATE), 1);
    assert_eq!(
        store.load().unwrap().unwrap(),
        seed,
        "the store still holds the old pair"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_oauth_chain_is_kept_fresh_with_the_refresh_grant() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let app = slack.new_app(true);
    let legacy = slack.new_legacy_token(&app.client_id, TokenKind::Bot);
    let exchanged = xoxe
        .oauth_v2_exchange(&app.client_id, &app.client_secret, &legacy, None)
        .unwrap();
    let store = Arc::new(MemoryStore::new(Some(StoredPair::seed(
        ChainKind::Oauth,
        exchanged.refresh_token,
        None,
        0,
    ))));
    let creds = AppCredentials {
        client_id: app.client_id.clone(),
        client_secret: Secret::new(app.client_secret.clone()),
    };
    let rotator = Rotator::oauth(xoxe.clone(), store.clone(), creds, RotatorOptions::default()).unwrap();
    let before = now();
    let token = rotator.get().unwrap();
    assert!(token.token.expose().starts_with("xoxe.xoxb-"));
    let identity = xoxe.auth_test(token.token.expose(), None).unwrap();
    assert_eq!(slack.stats().refreshes, 1);
    assert_eq!(
        token.team_id.as_deref(),
        Some(identity.team_id.as_str()),
        "the workspace is kept"
    );
    assert_eq!(
        token.user_id.as_deref(),
        Some(identity.user_id.as_str()),
        "and the bot user"
    );
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.lifetime, 43200, "Slack's expires_in is kept as the lifetime");
    assert!((before + 43200..=now() + 43200).contains(&token.expires_at));
    // A config rotator refuses an oauth store.
    let wrong = Rotator::config(
        xoxe,
        Arc::new(MemoryStore::new(Some(StoredPair::seed(
            ChainKind::Oauth,
            Secret::new("xoxe-1-x"),
            None,
            0,
        )))),
        RotatorOptions::default(),
    );
    assert_eq!(wrong.get().unwrap_err().status, Status::InvalidArgument);
}

#[test]
fn bad_store_files_are_clear_errors_naming_the_path() {
    let dir = temp_dir("bad-files");
    let path = dir.join("pair.json");
    let store = file_store(&path);
    assert!(store.load().unwrap().is_none(), "a missing file is an empty store");
    let cases: &[(&[u8], u32, Status)] = &[
        (b"", 0o600, Status::StoreCorrupt),
        (b"{\"kind\":\"config\",\"refresh_tok", 0o600, Status::StoreCorrupt),
        (b"[1,2,3]", 0o600, Status::StoreCorrupt),
        (
            b"{\"kind\":\"config\",\"refresh_token\":\"\"}",
            0o600,
            Status::StoreCorrupt,
        ),
        (
            b"{\"kind\":\"config\",\"refresh_token\":\"xoxe-1-abc\"}",
            0o644,
            Status::StorePermissions,
        ),
    ];
    for (content, mode, want) in cases {
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
        let err = store.load().unwrap_err();
        assert_eq!(err.status, *want, "{:?}", String::from_utf8_lossy(content));
        assert!(err.message.contains(&path.display().to_string()), "{}", err.message);
    }
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = store.load().unwrap_err();
    assert_eq!(err.status, Status::StorePermissions);
    assert!(err.message.contains("not a regular file"));
    // An empty store is its own error for a rotator.
    let empty = Rotator::config(
        Arc::new(xoxe::Client::new(Default::default()).unwrap()),
        file_store(&dir.join("none.json")),
        RotatorOptions::default(),
    );
    assert_eq!(empty.get().unwrap_err().status, Status::StoreEmpty);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn compare_and_swap_refuses_a_stale_writer() {
    let dir = temp_dir("cas");
    let store = file_store(&dir.join("pair.json"));
    let first = seed_config("xoxe-1-first");
    assert_eq!(store.compare_and_swap(None, &first).unwrap(), Saved::Stored);
    assert!(matches!(
        store.compare_and_swap(None, &first).unwrap(),
        Saved::Conflict(Some(_))
    ));
    let second = StoredPair {
        generation: 1,
        ..seed_config("xoxe-1-second")
    };
    assert_eq!(store.compare_and_swap(Some(0), &second).unwrap(), Saved::Stored);
    assert!(matches!(store.compare_and_swap(Some(0), &second).unwrap(), Saved::Conflict(Some(p)) if p.generation == 1));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A store with compare-and-swap and no lock at all (like many host-kept stores).
struct Lockless(MemoryStore);

impl Store for Lockless {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.0.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.0.compare_and_swap(expected, new)
    }
    fn describe(&self) -> String {
        "lockless test store".into()
    }
}

#[test]
fn single_flight_holds_without_any_store_lock() {
    let slack = server();
    let store = Arc::new(Lockless(MemoryStore::new(Some(seed_config(
        &slack.new_config_token(None).refresh_token,
    )))));
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    // The rotation takes a while, so every thread arrives while it is in flight.
    slack.inject(Fault::new(ROTATE, FaultKind::Delay { delay_ms: 300 }));
    let tokens = all_at_once(16, || rotator.get().unwrap().token.expose().to_string());
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every thread got the same token"
    );
    assert_eq!(requests(&slack, ROTATE), 1, "one rotation request for 16 callers");
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    assert_eq!(store.load().unwrap().unwrap().access_token.expose(), tokens[0]);
}

/// A memory store whose next save fails when armed.
struct FailingSave {
    inner: MemoryStore,
    fail_next: std::sync::atomic::AtomicBool,
}

impl Store for FailingSave {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        if self.fail_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(xoxe::Error::new(Status::StoreIo, "test store: disk full"));
        }
        self.inner.compare_and_swap(expected, new)
    }
    fn acquire_lease(&self, terms: &xoxe::store::LeaseTerms) -> xoxe::Result<xoxe::Lease> {
        self.inner.acquire_lease(terms)
    }
    fn has_lease(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        "failing test store".into()
    }
}

#[test]
fn a_rotated_pair_whose_save_failed_is_never_handed_out_and_is_saved_first() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let store = Arc::new(FailingSave {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        fail_next: false.into(),
    });
    let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
    let first = rotator.get().unwrap();
    assert_eq!(store.load().unwrap().unwrap().generation, 1);

    store.fail_next.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = rotator.force_rotate().unwrap_err();
    assert_eq!(err.status, Status::StoreIo);
    assert_eq!(
        slack.stats().rotations,
        2,
        "Slack rotated: the new pair exists only in memory"
    );
    assert_eq!(
        rotator.current().unwrap().token,
        first.token,
        "current() keeps the old, valid token"
    );
    assert_eq!(store.load().unwrap().unwrap().access_token, first.token);
    let second = rotator.get().unwrap();
    assert_ne!(second.token, first.token, "the pending pair, not the old one");
    assert_eq!(slack.stats().rotations, 2, "saved, not rotated again");
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.access_token, second.token, "saved before handed out");
    assert_eq!(saved.generation, 2, "on top of the generation it was rotated from");
    xoxe.auth_test(second.token.expose(), None).unwrap();
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

#[test]
fn a_pending_pair_whose_generation_was_taken_meanwhile_is_kept_aside_not_written_over() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let store = Arc::new(FailingSave {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        fail_next: false.into(),
    });
    let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
    let first = rotator.get().unwrap();
    store.fail_next.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(rotator.force_rotate().unwrap_err().status, Status::StoreIo);
    // Meanwhile another writer saves generation 2 (here: the old pair again, whose
    // refresh token is spent).
    let current = store.load().unwrap().unwrap();
    let theirs = StoredPair {
        generation: 2,
        ..current
    };
    assert_eq!(store.inner.compare_and_swap(Some(1), &theirs).unwrap(), Saved::Stored);

    // The stored pair wins and is used; the pending pair is not written over it.
    assert_eq!(rotator.get().unwrap().token, first.token);
    assert_eq!(store.load().unwrap().unwrap().generation, 2);
    // When Slack rejects the stored pair's refresh token, the pair kept aside is tried.
    let recovered = rotator.force_rotate().unwrap();
    assert_ne!(recovered.token, first.token);
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.access_token, recovered.token, "saved before handed out");
    assert_eq!(saved.generation, 3);
    xoxe.auth_test(recovered.token.expose(), None).unwrap();
    assert_eq!(slack.stats().rotations, 2, "the kept pair was fresh: no rotation");
    assert_eq!(slack.stats().refresh_token_reuses, 1, "only the stored, spent token");
}

#[test]
fn expiry_comes_from_this_machines_clock_not_slacks() {
    for offset in [3 * 3600, -3 * 3600] {
        let slack = server();
        slack.set_clock_offset(offset);
        let store = Arc::new(MemoryStore::new(Some(seed_config(
            &slack.new_config_token(None).refresh_token,
        ))));
        let rotator = Rotator::config(Arc::new(client(&slack)), store, RotatorOptions::default());
        let before = now();
        let token = rotator.get().unwrap();
        let after = now();
        assert!(
            (before + 43200..=after + 43200).contains(&token.expires_at),
            "Slack's clock {offset:+} s off: expires_at is {} s from the local send time",
            token.expires_at - before
        );
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_file_store_waits_for_another_processes_flock() {
    let dir = temp_dir("flock");
    let path = dir.join("pair.json");
    let store = FileStore::new(&path, Duration::from_millis(300)).unwrap();
    store.compare_and_swap(None, &seed_config("xoxe-1-seed")).unwrap();
    // flock belongs to the open file: a second open of the lock file in this
    // process stands for another process holding the lock.
    let other = std::fs::File::create(dir.join("pair.json.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&other), libc::LOCK_EX) },
        0
    );
    let err = store.acquire_lease(&TERMS).err().expect("the lock is held elsewhere");
    assert_eq!(err.status, Status::LockTimeout);
    let err = store
        .compare_and_swap(Some(0), &seed_config("xoxe-1-next"))
        .unwrap_err();
    assert_eq!(err.status, Status::LockTimeout, "a save takes the lock too");
    // A patient store waits for the holder to let go (60 s allowed).
    let patient = FileStore::new(&path, Duration::from_secs(60)).unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| patient.acquire_lease(&TERMS).map(drop).map_err(|e| e.status));
        std::thread::sleep(Duration::from_millis(100)); // the holder keeps it a while
        drop(other);
        assert_eq!(waiter.join().unwrap(), Ok(()));
    });
    drop(
        store
            .acquire_lease(&TERMS)
            .expect("free once the other holder closed it"),
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn concurrent_forced_rotations_never_reuse_a_refresh_token() {
    let slack = server();
    let store = Arc::new(MemoryStore::new(Some(seed_config(
        &slack.new_config_token(None).refresh_token,
    ))));
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    let first = rotator.get().unwrap();
    let identity = client(&slack).auth_test(first.token.expose(), None).unwrap();
    assert_eq!(
        first.team_id.as_deref(),
        Some(identity.team_id.as_str()),
        "a config chain's workspace"
    );
    assert_eq!(
        first.user_id.as_deref(),
        Some(identity.user_id.as_str()),
        "and its user"
    );
    // Eight callers force a rotation at once, one of them slow at Slack. Each gets
    // a token newer than the one it replaced (callers that waited for another's
    // rotation take that one), rotations are one at a time, nothing is reused.
    slack.inject(Fault::new(ROTATE, FaultKind::Delay { delay_ms: 300 }));
    let tokens = all_at_once(8, || rotator.force_rotate().unwrap().token);
    assert!(
        tokens.iter().all(|t| *t != first.token),
        "every forced call got a new token"
    );
    let rotations = requests(&slack, ROTATE) - 1;
    assert!((1..=8).contains(&rotations), "{rotations} rotations for 8 forced calls");
    assert_eq!(slack.stats().refresh_token_reuses, 0);
    assert_eq!(store.load().unwrap().unwrap().generation, 1 + rotations);
    client(&slack)
        .auth_test(rotator.get().unwrap().token.expose(), None)
        .unwrap();
}

/// A store without a lock whose first save finds another writer's newer generation.
struct ConflictOnce {
    inner: MemoryStore,
    conflicted: std::sync::atomic::AtomicBool,
}

impl Store for ConflictOnce {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        if !self.conflicted.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let current = self.inner.load()?.unwrap();
            let bumped = StoredPair {
                generation: current.generation + 1,
                ..current.clone()
            };
            self.inner.compare_and_swap(Some(current.generation), &bumped)?;
        }
        self.inner.compare_and_swap(expected, new)
    }
    fn describe(&self) -> String {
        "conflicting test store".into()
    }
}

#[test]
fn a_rotated_pair_that_loses_the_compare_and_swap_is_kept_aside_and_tried_when_the_stored_one_fails() {
    let slack = server();
    let store = Arc::new(ConflictOnce {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        conflicted: false.into(),
    });
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    // The other writer's generation 1 is kept (never written over); it has no
    // access token yet, so there is nothing to hand out.
    assert_eq!(rotator.get().unwrap_err().status, Status::StoreConflict);
    assert_eq!(store.load().unwrap().unwrap().generation, 1);
    // Its refresh token is spent: Slack rejects it, and our pair kept aside wins.
    let token = rotator.get().unwrap();
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.access_token, token.token, "the only valid pair is not lost");
    assert_eq!(saved.generation, 2);
    assert_eq!(slack.stats().rotations, 1);
    client(&slack).auth_test(token.token.expose(), None).unwrap();
}

/// A memory store whose saves wait for the test's go-ahead once `hold` is set.
struct HeldSave {
    inner: MemoryStore,
    hold: std::sync::atomic::AtomicBool,
    entered: std::sync::mpsc::SyncSender<()>,
    release: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Store for HeldSave {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        if self.hold.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.entered.send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
        self.inner.compare_and_swap(expected, new)
    }
    fn describe(&self) -> String {
        "held test store".into()
    }
}

/// Whether thread `tid` of this process is asleep (blocked), per /proc.
fn asleep(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    // "tid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'))
}

#[test]
fn forced_rotations_that_wait_for_one_in_flight_take_its_token() {
    let slack = server();
    let (entered_tx, entered) = std::sync::mpsc::sync_channel(1);
    let (release, release_rx) = std::sync::mpsc::sync_channel(1);
    let store = Arc::new(HeldSave {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        hold: false.into(),
        entered: entered_tx,
        release: Mutex::new(release_rx),
    });
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    let first = rotator.get().unwrap();
    store.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let tids: Vec<std::sync::atomic::AtomicI32> = (0..7).map(|_| 0.into()).collect();
    let tokens = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        // One forced rotation reaches its save and is held there, holding the gate.
        s.spawn(|| tokens.lock().unwrap().push(rotator.force_rotate().unwrap().token));
        entered.recv().unwrap();
        // Seven more forced calls start and block on the gate.
        for slot in &tids {
            let (rotator, tokens) = (&rotator, &tokens);
            s.spawn(move || {
                // SAFETY: gettid has no preconditions.
                slot.store(unsafe { libc::gettid() }, std::sync::atomic::Ordering::SeqCst);
                let token = rotator.force_rotate().unwrap().token;
                tokens.lock().unwrap().push(token);
            });
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while !tids.iter().all(|t| {
            let tid = t.load(std::sync::atomic::Ordering::SeqCst);
            tid != 0 && asleep(tid)
        }) {
            assert!(std::time::Instant::now() < deadline, "the waiting calls never blocked");
            std::thread::yield_now();
        }
        release.send(()).unwrap();
    });
    let tokens = tokens.into_inner().unwrap();
    assert_eq!(tokens.len(), 8);
    assert!(
        tokens.iter().all(|t| *t == tokens[0] && *t != first.token),
        "all took the one new token"
    );
    assert_eq!(
        requests(&slack, ROTATE),
        2,
        "the first get, then one forced rotation for eight calls"
    );
}

#[test]
fn a_due_pair_read_by_current_is_rotated_by_get() {
    // Due this very second (expires in exactly the window, no jitter): rotated,
    // never served. Judged only when the clock did not tick during the attempt.
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let options = RotatorOptions {
        refresh_window: Duration::from_secs(400),
        jitter: Duration::ZERO,
        ..RotatorOptions::default()
    };
    for attempt in 0.. {
        assert!(attempt < 50, "the clock ticked during every attempt");
        let started = now();
        let seed = StoredPair {
            lifetime: 43200,
            ..StoredPair::seed(
                ChainKind::Config,
                Secret::new(slack.new_config_token(None).refresh_token),
                Some(Secret::new("xoxe.xoxp-1-cached-and-due")),
                started + 400,
            )
        };
        let rotator = Rotator::config(xoxe.clone(), Arc::new(MemoryStore::new(Some(seed))), options.clone());
        assert_eq!(rotator.current().unwrap().token.expose(), "xoxe.xoxp-1-cached-and-due");
        let got = rotator.get().unwrap();
        assert_ne!(
            got.token.expose(),
            "xoxe.xoxp-1-cached-and-due",
            "a due token is rotated"
        );
        if now() == started {
            break;
        }
    }
}

/// A store without a lock whose other writer saves a little late: after our
/// rejected rotation and our first re-read.
struct LateWriter {
    inner: MemoryStore,
    loads: std::sync::atomic::AtomicUsize,
    theirs: Mutex<Option<StoredPair>>,
}

impl Store for LateWriter {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        if self.loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 {
            if let Some(theirs) = self.theirs.lock().unwrap().take() {
                self.inner.compare_and_swap(Some(0), &theirs)?;
            }
        }
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.compare_and_swap(expected, new)
    }
    fn describe(&self) -> String {
        "late-writer test store".into()
    }
}

#[test]
fn without_a_lock_a_rejection_waits_for_a_writer_that_saves_late() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let seed = slack.new_config_token(None);
    let theirs = xoxe.tooling_tokens_rotate(&seed.refresh_token, None).unwrap();
    let store = Arc::new(LateWriter {
        inner: MemoryStore::new(Some(seed_config(&seed.refresh_token))),
        loads: 0.into(),
        theirs: Mutex::new(Some(StoredPair {
            generation: 1,
            expires_at: i64::MAX / 2,
            lifetime: 43200,
            ..StoredPair::seed(
                ChainKind::Config,
                theirs.refresh_token.clone(),
                Some(theirs.token.clone()),
                0,
            )
        })),
    });
    let rotator = Rotator::config(xoxe, store.clone(), RotatorOptions::default());
    assert_eq!(rotator.get().unwrap().token, theirs.token, "waited for the late save");
    assert!(store.loads.load(std::sync::atomic::Ordering::SeqCst) >= 3);
}

#[test]
fn initialising_over_a_chain_moves_its_generation_on() {
    let store = MemoryStore::new(None);
    xoxe::store::init(&store, seed_config("xoxe-1-first"), false).unwrap();
    assert_eq!(store.load().unwrap().unwrap().generation, 0);
    let err = xoxe::store::init(&store, seed_config("xoxe-1-second"), false).unwrap_err();
    assert_eq!(err.status, Status::StoreConflict);
    for expected in 1..=3 {
        xoxe::store::init(&store, seed_config("xoxe-1-again"), true).unwrap();
        assert_eq!(store.load().unwrap().unwrap().generation, expected);
    }
}

#[test]
fn a_store_document_without_a_format_is_format_1_and_big_ones_are_refused() {
    let dir = temp_dir("format");
    let path = dir.join("pair.json");
    let write = |text: &str| {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    let doc = r#"{"kind":"config","refresh_token":"xoxe-1-abc","generation":4}"#;
    write(doc);
    let pair = file_store(&path).load().unwrap().unwrap();
    assert_eq!((pair.format, pair.generation), (1, 4));
    // Padding is fine up to 128 KiB (room for a sealed pair); past that it is not a token store.
    write(&format!("{doc}{}", " ".repeat(120 * 1024)));
    assert_eq!(file_store(&path).load().unwrap().unwrap().generation, 4);
    write(&format!("{doc}{}", " ".repeat(128 * 1024 - doc.len())));
    assert_eq!(
        file_store(&path).load().unwrap().unwrap().generation,
        4,
        "exactly 128 KiB"
    );
    write(&format!("{doc}{}", " ".repeat(128 * 1024)));
    assert_eq!(file_store(&path).load().unwrap_err().status, Status::StoreCorrupt);
    // A path through a regular file cannot be a store: an I/O error, not an empty store.
    let through_file = path.join("pair.json");
    let err = FileStore::new(&through_file, Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.status, Status::StoreIo, "{}", err.message);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_store_lock_waits_for_a_holder_in_this_process() {
    let dir = temp_dir("lock-wait");
    let store = Arc::new(FileStore::new(dir.join("pair.json"), Duration::from_secs(60)).unwrap());
    let held = store.acquire_lease(&TERMS).unwrap();
    let waiter = {
        let store = store.clone();
        std::thread::spawn(move || store.acquire_lease(&TERMS).map(drop).map_err(|e| e.status))
    };
    // The holder keeps the lock a while; the waiter waits (60 s allowed), then gets it.
    std::thread::sleep(Duration::from_millis(100));
    drop(held);
    assert_eq!(waiter.join().unwrap(), Ok(()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_oauth_rotator_refuses_app_credentials_it_could_not_send() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(None));
    for (id, secret) in [
        ("", "s3cr3t"),
        ("123.456", ""),
        ("123 456", "s3cr3t"),
        ("123.456", "s3cr\u{e9}t"),
    ] {
        let app = AppCredentials {
            client_id: id.into(),
            client_secret: Secret::new(secret),
        };
        let err = Rotator::oauth(xoxe.clone(), store.clone(), app, RotatorOptions::default()).unwrap_err();
        assert_eq!(err.status, Status::InvalidArgument, "{id:?}");
        assert!(!err.message.contains("s3cr"), "the message never holds the secret");
    }
    assert_eq!(slack.stats().refreshes, 0);
}

/// A memory store with an in-flight marker: records, per mark, the generation and
/// how many rotation requests Slack had seen; refuses to mark when armed.
struct MarkingStore {
    inner: MemoryStore,
    slack: Arc<fake_slack::FakeSlack>,
    marks: Mutex<Vec<(u64, u64)>>,
    refuse: std::sync::atomic::AtomicBool,
}

impl Store for MarkingStore {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.compare_and_swap(expected, new)
    }
    fn acquire_lease(&self, terms: &xoxe::store::LeaseTerms) -> xoxe::Result<xoxe::Lease> {
        self.inner.acquire_lease(terms)
    }
    fn has_lease(&self) -> bool {
        true
    }
    fn mark_in_flight(
        &self,
        _lease: &xoxe::Lease,
        generation: u64,
        _terms: &xoxe::store::LeaseTerms,
    ) -> xoxe::Result<()> {
        if self.refuse.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(xoxe::Error::new(
                Status::StoreIo,
                "test store: the marker was not written",
            ));
        }
        self.marks
            .lock()
            .unwrap()
            .push((generation, requests(&self.slack, ROTATE)));
        Ok(())
    }
    fn describe(&self) -> String {
        "marking test store".into()
    }
}

#[test]
fn the_in_flight_marker_is_written_before_the_refresh_token_is_sent_and_guards_it() {
    let slack = Arc::new(server());
    let xoxe = Arc::new(client(&slack));
    let store = Arc::new(MarkingStore {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        slack: slack.clone(),
        marks: Mutex::default(),
        refuse: false.into(),
    });
    let rotator = Rotator::config(xoxe, store.clone(), RotatorOptions::default());
    rotator.get().unwrap();
    rotator.force_rotate().unwrap();
    assert_eq!(
        *store.marks.lock().unwrap(),
        [(0, 0), (1, 1)],
        "each rotation marks the generation it spends before Slack sees the request"
    );

    // A marker that cannot be written: nothing is sent, nothing is spent.
    store.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = rotator.force_rotate().unwrap_err();
    assert_eq!(err.status, Status::StoreIo);
    assert_eq!(requests(&slack, ROTATE), 2);
    store.refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    rotator.force_rotate().unwrap();
    assert_eq!(store.load().unwrap().unwrap().generation, 3);
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

#[test]
fn a_pair_a_crashed_save_left_beside_the_store_is_recovered_not_declared_dead() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("orphan");
    let path = dir.join("pair.json");
    let store = file_store(&path);
    xoxe::store::init(
        store.as_ref(),
        seed_config(&slack.new_config_token(None).refresh_token),
        false,
    )
    .unwrap();
    // A save that died between writing its temp file and renaming it: Slack rotated,
    // the new pair sits in `.xoxe-store-…`, the store still holds the spent token.
    let stored = store.load().unwrap().unwrap();
    let t = xoxe.tooling_tokens_rotate(stored.refresh_token.expose(), None).unwrap();
    let orphan = StoredPair {
        generation: stored.generation + 1,
        lifetime: t.exp - t.iat,
        ..StoredPair::seed(
            ChainKind::Config,
            t.refresh_token,
            Some(t.token.clone()),
            now() + t.exp - t.iat,
        )
    };
    let left = dir.join(".xoxe-store-crashed");
    std::fs::write(&left, orphan.to_json(true).unwrap().as_slice()).unwrap();
    std::fs::set_permissions(&left, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Not ours to take: another user's or a world-readable file is never adopted.
    let decoy = dir.join(".xoxe-store-decoy");
    std::fs::write(&decoy, orphan.to_json(true).unwrap().as_slice()).unwrap();
    std::fs::set_permissions(&decoy, std::fs::Permissions::from_mode(0o644)).unwrap();

    // Nor is a newer-looking file holding an older generation (already spent).
    let stale = dir.join(".xoxe-store-stale");
    let older = StoredPair {
        generation: stored.generation,
        ..seed_config("xoxe-1-stalestalestale0123456789")
    };
    std::fs::write(&stale, older.to_json(true).unwrap().as_slice()).unwrap();
    std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o600)).unwrap();

    let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
    let token = rotator.get().expect("the orphan is recovered");
    assert_eq!(token.token.expose(), t.token.expose());
    let now_stored = store.load().unwrap().unwrap();
    assert_eq!(now_stored.generation, stored.generation + 1);
    // The next rotation spends the recovered refresh token, and cleans up after it.
    rotator.force_rotate().unwrap();
    assert_eq!(
        slack.stats().refresh_token_reuses,
        1,
        "only the crashed save's spent token"
    );
    assert!(!left.exists(), "a used orphan is removed after the next save");
    assert!(!stale.exists(), "so is an older one");
    assert!(decoy.exists(), "a file that is not ours is left alone");
}

#[test]
fn nothing_is_spent_that_the_file_store_could_not_save() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("reserve");
    let path = dir.join("pair.json");
    let store = file_store(&path);
    xoxe::store::init(
        store.as_ref(),
        seed_config(&slack.new_config_token(None).refresh_token),
        false,
    )
    .unwrap();
    // The store's directory disappears under it (as a full disk or a read-only
    // directory would stop a save): preparing the save fails before anything is sent.
    let moved = dir.with_extension("moved");
    std::fs::rename(&dir, &moved).unwrap();
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(moved.join("pair.json"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
    let err = rotator.get().unwrap_err();
    assert_eq!(err.status, Status::StorePermissions, "{}", err.message);
    assert_eq!(requests(&slack, ROTATE), 0, "no refresh token was spent");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    rotator
        .get()
        .expect("the same chain rotates once the directory is fixed");
    let _ = std::fs::remove_dir_all(&moved);
}

#[test]
fn a_symlinked_name_and_the_real_name_share_one_file_and_one_lock() {
    let dir = temp_dir("symlink");
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(dir.join("real"))
        .unwrap();
    let real = dir.join("real").join("pair.json");
    let link = dir.join("pair.json");
    let a = FileStore::new(&real, Duration::from_secs(5)).unwrap();
    xoxe::store::init(&a, seed_config("xoxe-1-0123456789abcdef"), false).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let b = FileStore::new(&link, Duration::from_secs(5)).unwrap();
    assert_eq!(a.path(), b.path(), "one resolved path, so one lock");
    assert!(format!("{b:?}").contains("real/pair.json"), "{b:?}");
    // A directory others may write into is refused (they could swap the store).
    let shared = dir.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let err = FileStore::new(shared.join("pair.json"), Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.status, Status::StorePermissions, "{}", err.message);
    assert!(err.message.contains("chmod go-w"), "{}", err.message);
}

#[test]
fn absurd_timeouts_and_exhausted_generations_are_errors_not_panics() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let store = Arc::new(MemoryStore::new(Some(seed_config(
        &slack.new_config_token(None).refresh_token,
    ))));
    let options = RotatorOptions {
        call_timeout: Some(Duration::MAX),
        wait_timeout: Duration::MAX,
        ..RotatorOptions::default()
    };
    let rotator = Rotator::config(xoxe.clone(), store.clone(), options);
    for _ in 0..2 {
        // The second call proves the first left the rotator usable.
        assert_eq!(rotator.get().unwrap_err().status, Status::InvalidArgument);
    }
    assert_eq!(requests(&slack, ROTATE), 0);

    let spent = StoredPair {
        generation: u64::MAX,
        ..seed_config(&slack.new_config_token(None).refresh_token)
    };
    let store = Arc::new(MemoryStore::new(Some(spent)));
    let rotator = Rotator::config(xoxe, store, RotatorOptions::default());
    assert_eq!(rotator.get().unwrap_err().status, Status::StoreCorrupt);
    assert_eq!(requests(&slack, ROTATE), 0);
}

#[test]
fn a_newer_store_format_is_refused_and_unknown_fields_survive_a_rotation() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("newer-format");
    let path = dir.join("pair.json");
    let refresh = slack.new_config_token(None).refresh_token;
    let write = |doc: serde_json::Value| {
        std::fs::write(&path, doc.to_string()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write(serde_json::json!({"format": 2, "kind": "config", "refresh_token": refresh}));
    let store = file_store(&path);
    let err = store.load().unwrap_err();
    assert_eq!(err.status, Status::StoreCorrupt);
    assert!(err.message.contains("newer xoxe"), "{}", err.message);

    write(serde_json::json!({"format": 1, "kind": "config", "refresh_token": refresh, "note": {"owner": "ops"}}));
    Rotator::config(xoxe, store.clone(), RotatorOptions::default())
        .get()
        .unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["note"]["owner"], "ops");
    assert_eq!(saved["generation"], 1);
}

/// A memory store whose next load panics when armed (a bug anywhere under the slow path).
struct PanickyStore {
    inner: MemoryStore,
    panic_next: std::sync::atomic::AtomicBool,
}

impl Store for PanickyStore {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        if self.panic_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
            panic!("test store: a bug");
        }
        self.inner.load()
    }
    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.compare_and_swap(expected, new)
    }
    fn describe(&self) -> String {
        "panicky test store".into()
    }
}

#[test]
fn a_panic_in_the_slow_path_does_not_wedge_the_rotator() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let store = Arc::new(PanickyStore {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        panic_next: true.into(),
    });
    let options = RotatorOptions {
        wait_timeout: Duration::from_secs(2),
        ..RotatorOptions::default()
    };
    let rotator = Rotator::config(xoxe, store, options);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rotator.get()));
    assert!(caught.is_err(), "the store's panic came through");
    rotator.get().expect("the next call rotates: the gate was left open");
}

#[test]
fn a_store_too_full_to_rewrite_after_a_rotation_is_refused_before_one() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("too-full");
    let path = dir.join("pair.json");
    let refresh = slack.new_config_token(None).refresh_token;
    let write = |note: usize| {
        let doc = serde_json::json!({"kind": "config", "refresh_token": refresh, "note": "n".repeat(note)});
        std::fs::write(&path, doc.to_string()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    let store = file_store(&path);
    write(50 * 1024);
    let err = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default())
        .get()
        .unwrap_err();
    assert_eq!(err.status, Status::StoreCorrupt, "{}", err.message);
    assert_eq!(requests(&slack, ROTATE), 0, "refused before anything was spent");
    write(40 * 1024);
    Rotator::config(xoxe, store.clone(), RotatorOptions::default())
        .get()
        .unwrap();
    assert_eq!(store.load().unwrap().unwrap().generation, 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// Now, Unix milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// `(token, reuse_until_ms)` from `get_reusable_with`.
fn reusable(rotator: &Rotator) -> (String, i64) {
    rotator
        .get_reusable_with(|token, _, until| (token.to_string(), until))
        .unwrap()
}

#[test]
fn a_reusable_token_carries_the_rotators_deadline_never_past_its_rotation() {
    let slack = server();
    slack.set_token_ttl(40);
    let store = Arc::new(MemoryStore::new(Some(seed_config(
        &slack.new_config_token(None).refresh_token,
    ))));
    let rotator = Rotator::config(Arc::new(client(&slack)), store, RotatorOptions::default());
    let (first, until) = reusable(&rotator);
    assert_eq!(until, 0, "a token that just came from a rotation: ask again");
    let before = now_ms();
    let (again, until) = reusable(&rotator);
    assert_eq!(again, first);
    let rotate_at_ms = rotator.next_rotation().unwrap() * 1000;
    assert!(
        until > before && until <= now_ms() + xoxe::rotator::REUSE_HORIZON_MS && until <= rotate_at_ms,
        "at most the horizon ahead, never past the rotation: {until} (now {before}, rotation {rotate_at_ms})"
    );

    // Two-second tokens are due a second after they are issued: the deadline is
    // the rotation itself, not the horizon.
    slack.set_token_ttl(2);
    rotator.force_rotate().unwrap();
    let until = loop {
        let (_, until) = reusable(&rotator);
        if until != 0 {
            break until;
        }
    };
    let rotate_at_ms = rotator.next_rotation().unwrap() * 1000;
    assert!(until <= rotate_at_ms, "{until} is past the rotation at {rotate_at_ms}");
}

#[test]
fn a_pending_unsaved_pair_makes_the_caller_ask_every_time() {
    let slack = server();
    let store = Arc::new(FailingSave {
        inner: MemoryStore::new(Some(seed_config(&slack.new_config_token(None).refresh_token))),
        fail_next: false.into(),
    });
    let rotator = Rotator::config(Arc::new(client(&slack)), store.clone(), RotatorOptions::default());
    let (first, _) = reusable(&rotator);
    assert_ne!(reusable(&rotator).1, 0, "fresh: reusable");
    store.fail_next.store(true, std::sync::atomic::Ordering::SeqCst);
    rotator.force_rotate().unwrap_err();
    let (second, until) = reusable(&rotator);
    assert_ne!(second, first, "the pending pair, saved first");
    assert_eq!(until, 0, "the save happened in this call: no deadline to reuse");
    assert_eq!(store.load().unwrap().unwrap().access_token.expose(), second);
}
