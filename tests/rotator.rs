//! The rotator and its stores against the fake Slack: single flight, persist first,
//! re-read before declaring a chain dead, never retry an unknown outcome.

mod common;

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
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn seed_config(refresh: &str) -> StoredPair {
    StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0)
}

fn file_store(path: &std::path::Path) -> Arc<FileStore> {
    Arc::new(FileStore::new(path, Duration::from_secs(60)))
}

#[test]
fn thirty_two_threads_cause_exactly_one_rotation_per_expiry() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("single-flight");
    let store = file_store(&dir.join("pair.json"));
    store
        .save(None, &seed_config(&slack.new_config_token(None).refresh_token))
        .unwrap();

    for round in 1..=3u64 {
        let rotator = Rotator::config(xoxe.clone(), store.clone(), RotatorOptions::default());
        let barrier = Barrier::new(32);
        let tokens = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..32 {
                s.spawn(|| {
                    barrier.wait();
                    let t = rotator.get().unwrap();
                    tokens.lock().unwrap().push(t.token.expose().to_string());
                });
            }
        });
        let tokens = tokens.into_inner().unwrap();
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
                .save(
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
        "a 40 s token is rotated at ~20 s left, not on every call"
    );
    let forced = rotator.force_rotate().unwrap();
    assert_ne!(forced.token, first.token);
    assert_eq!(rotator.current().unwrap().token, forced.token);
    assert!(forced.expires_at > 0);
}

#[test]
fn another_processes_rotation_is_picked_up_from_the_store() {
    let slack = server();
    let xoxe = Arc::new(client(&slack));
    let dir = temp_dir("reread");
    let path = dir.join("pair.json");
    file_store(&path)
        .save(None, &seed_config(&slack.new_config_token(None).refresh_token))
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

/// A store without a lock whose content changes behind the rotator's back.
struct Racing {
    inner: MemoryStore,
    after_first_load: Mutex<Option<StoredPair>>,
}

impl Store for Racing {
    fn load(&self) -> xoxe::Result<Option<StoredPair>> {
        let current = self.inner.load()?;
        if let Some(newer) = self.after_first_load.lock().unwrap().take() {
            let generation = current.as_ref().map(|p| p.generation);
            self.inner.save(generation, &newer)?;
        }
        Ok(current)
    }
    fn save(&self, expected: Option<u64>, new: &StoredPair) -> xoxe::Result<Saved> {
        self.inner.save(expected, new)
    }
    fn describe(&self) -> String {
        "racing test store".into()
    }
}

#[test]
fn a_rejected_refresh_token_rereads_the_store_before_declaring_the_chain_dead() {
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
    });
    let rotator = Rotator::config(xoxe.clone(), store, RotatorOptions::default());
    let got = rotator.get().unwrap();
    assert_eq!(got.token, theirs.token, "recovered the other writer's pair");

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
    store.save(None, &seed).unwrap();
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
    let rotator = Rotator::oauth(xoxe.clone(), store, creds, RotatorOptions::default());
    let token = rotator.get().unwrap();
    assert!(token.token.expose().starts_with("xoxe.xoxb-"));
    xoxe.auth_test(token.token.expose(), None).unwrap();
    assert_eq!(slack.stats().refreshes, 1);
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
    assert_eq!(store.save(None, &first).unwrap(), Saved::Stored);
    assert!(matches!(store.save(None, &first).unwrap(), Saved::Conflict(Some(_))));
    let second = StoredPair {
        generation: 1,
        ..seed_config("xoxe-1-second")
    };
    assert_eq!(store.save(Some(0), &second).unwrap(), Saved::Stored);
    assert!(matches!(store.save(Some(0), &second).unwrap(), Saved::Conflict(Some(p)) if p.generation == 1));
    std::fs::remove_dir_all(dir).unwrap();
}
