//! The history checker end to end, against the fake Slack over loopback: it
//! passes a clean run of many threads rotating through shared stores, and it
//! catches a planted double spend and a planted lost pair — so a clean verdict in
//! the fleet, pool and crash tests means something.

mod common;

use common::history::Recorder;
use common::server;
use fake_slack::GraceKeep;
use std::sync::Arc;
use std::time::Duration;
use xoxe::{ChainKind, FileStore, Rotator, RotatorOptions, Secret, Store, StoredPair};

fn seed(refresh: &str) -> StoredPair {
    StoredPair::seed(ChainKind::Config, Secret::new(refresh), None, 0)
}

fn file_store(dir: &std::path::Path) -> Arc<dyn Store> {
    Arc::new(FileStore::new(dir.join("pair.json"), Duration::from_secs(60)).unwrap())
}

#[test]
fn many_threads_rotating_through_two_stores_on_one_chain_keep_the_promise() {
    let slack = server();
    let dir = tempfile::tempdir().unwrap();
    let history = Recorder::new();
    // Two handles on one file (each with its own lock), each with its own rotator.
    let stores = [
        history.store(file_store(dir.path())),
        history.store(file_store(dir.path())),
    ];
    xoxe::store::init(
        stores[0].as_ref(),
        seed(&slack.new_config_token(None).refresh_token),
        false,
    )
    .unwrap();
    let rotators: Vec<Rotator> = stores
        .iter()
        .map(|s| Rotator::config(Arc::new(common::client(&slack)), s.clone(), RotatorOptions::default()))
        .collect();
    std::thread::scope(|s| {
        for t in 0..8 {
            let (rotator, history) = (&rotators[t % 2], &history);
            std::thread::Builder::new()
                .name(format!("caller-{t}"))
                .spawn_scoped(s, move || {
                    for i in 0..12 {
                        let token = if i % 3 == 0 {
                            rotator.force_rotate()
                        } else {
                            rotator.get()
                        };
                        history.handed_out(rotator.store().chain(), &token.unwrap());
                    }
                })
                .unwrap();
        }
    });
    history.final_of(stores[0].as_ref());
    history.slack(&slack);
    history.assert_ok("eight threads, two rotators, one file");
    let summary = history.check().summary;
    assert_eq!(summary.handouts, 96);
    assert!(summary.issued >= 2, "rotated: {summary}");
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

#[test]
fn a_planted_double_spend_is_caught() {
    // Two clients, no rotator: each presents the same refresh token. Whether
    // Slack refuses the second (no grace period) or answers it (grace), the
    // first pair was already handed out: a double spend.
    for grace in [false, true] {
        let slack = server();
        if grace {
            slack.set_refresh_grace(600_000, GraceKeep::First);
        }
        let history = Recorder::new();
        let refresh = slack.new_config_token(None).refresh_token;
        history.seeded("planted", &seed(&refresh));
        let (one, two) = (common::client(&slack), common::client(&slack));
        let first = one.tooling_tokens_rotate(&refresh, None).unwrap();
        history.handed_out_access("planted", first.token.expose());
        let second = two.tooling_tokens_rotate(&refresh, None);
        assert_eq!(second.is_ok(), grace, "{:?}", second.as_ref().err());
        history.slack(&slack);
        let report = history.check();
        let spends = report.of_kind("double_spend");
        assert_eq!(spends.len(), 1, "grace {grace}: {report}");
        let text = spends[0].to_string();
        assert!(text.contains(&xoxe_history::fingerprint(&refresh)), "{text}");
        assert!(!text.contains(&refresh), "never a whole token: {text}");
        assert!(std::panic::catch_unwind(|| report.assert_ok()).is_err());
    }
}

#[test]
fn a_planted_lost_pair_is_caught() {
    // A rotator hands out generation 1, then generation 2; the store file is then
    // put back to generation 1 behind compare-and-swap's back.
    let slack = server();
    let dir = tempfile::tempdir().unwrap();
    let history = Recorder::new();
    let store = history.store(file_store(dir.path()));
    xoxe::store::init(store.as_ref(), seed(&slack.new_config_token(None).refresh_token), false).unwrap();
    let rotator = Rotator::config(
        Arc::new(common::client(&slack)),
        store.clone(),
        RotatorOptions::default(),
    );
    history.handed_out(store.chain(), &rotator.get().unwrap());
    let path = dir.path().join("pair.json");
    let generation_one = std::fs::read(&path).unwrap();
    let newer = rotator.force_rotate().unwrap();
    history.handed_out(store.chain(), &newer);
    history.slack(&slack);
    let before = history.check();
    assert!(before.is_ok(), "clean before the planted write: {before}");

    std::fs::write(&path, generation_one).unwrap();
    history.final_of(store.as_ref());
    let report = history.check();
    let lost = report.of_kind("lost_pair");
    assert_eq!(lost.len(), 1, "{report}");
    assert!(
        lost[0]
            .to_string()
            .contains(&xoxe_history::fingerprint(newer.token.expose())),
        "names the lost token: {report}"
    );
    // Generation 1's refresh token was spent making generation 2: dead as well.
    assert_eq!(report.of_kind("dead_chain").len(), 1, "{report}");
}
