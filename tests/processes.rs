//! Several processes sharing one store file, and processes killed mid-rotation.
//! Workers are this test binary re-run with `--ignored --exact worker`; each
//! records its saves and the tokens it was handed in a history file, which the
//! test merges with the fake Slack's side and checks against xoxe's promise.

mod common;

use common::history::{Recorder, HISTORY_FILE};
use common::server;
use fake_slack::{Fault, FaultKind};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xoxe::{ChainKind, Client, ClientOptions, FileStore, Rotator, RotatorOptions, Secret, Store, StoredPair};

fn worker_command(mode: &str, store: &Path, base_url: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "worker",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env("XOXE_WORKER_MODE", mode)
    .env("XOXE_WORKER_STORE", store)
    .env("XOXE_WORKER_BASE_URL", base_url)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    cmd
}

fn seed(store: &FileStore, refresh_token: &str) {
    let pair = StoredPair::seed(ChainKind::Config, Secret::new(refresh_token), None, 0);
    xoxe::store::init(store, pair, true).unwrap();
}

/// The worker process (run by the tests below, not on its own).
#[test]
#[ignore = "worker process for the multi-process tests; they start it"]
fn worker() {
    let mode = std::env::var("XOXE_WORKER_MODE").expect("run by the multi-process tests");
    let file: Arc<dyn Store> =
        Arc::new(FileStore::new(std::env::var("XOXE_WORKER_STORE").unwrap(), Duration::from_secs(60)).unwrap());
    // The chain's name in the history: the test's label for it, if it gave one.
    let history = Recorder::from_env();
    let (store, chain) = match std::env::var("XOXE_WORKER_LABEL") {
        Ok(label) => (history.store_as(file, &label), label),
        Err(_) => {
            let chain = file.chain().to_string();
            (history.store(file), chain)
        }
    };
    let options = ClientOptions {
        base_url: std::env::var("XOXE_WORKER_BASE_URL").unwrap(),
        ..Default::default()
    };
    let client = Arc::new(Client::new(options).unwrap());
    let rotator = Rotator::config(client.clone(), store.clone(), RotatorOptions::default());
    match mode.as_str() {
        "stress" => {
            let deadline =
                Instant::now() + Duration::from_secs(std::env::var("XOXE_WORKER_SECONDS").unwrap().parse().unwrap());
            let (gets, failures) = (AtomicU64::new(0), AtomicU64::new(0));
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| {
                        while Instant::now() < deadline {
                            let handed = rotator.get().inspect(|t| history.handed_out(&chain, t));
                            match handed.and_then(|t| client.auth_test(t.token.expose(), None)) {
                                Ok(_) => gets.fetch_add(1, Ordering::Relaxed),
                                Err(e) => {
                                    eprintln!("worker: {e}");
                                    failures.fetch_add(1, Ordering::Relaxed)
                                }
                            };
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    });
                }
            });
            println!("result gets={} failures={}", gets.into_inner(), failures.into_inner());
        }
        "crash" => loop {
            // Every pair acknowledged here was saved before force_rotate returned.
            history.handed_out(&chain, &rotator.force_rotate().unwrap());
            let generation = store.load().unwrap().unwrap().generation;
            println!("acked {generation}");
        },
        other => panic!("unknown worker mode {other}"),
    }
}

#[test]
fn four_processes_of_four_threads_share_one_chain_without_reusing_a_refresh_token() {
    let slack = server();
    slack.set_token_ttl(3);
    let dir = tempdir("stress");
    let path = dir.join("pair.json");
    let store = FileStore::new(&path, Duration::from_secs(60)).unwrap();
    seed(&store, &slack.new_config_token(None).refresh_token);
    let history = Recorder::new();
    history.seeded(store.chain(), &store.load().unwrap().unwrap());
    let history_file = |i: usize| dir.join(format!("history-{i}.jsonl"));

    let seconds = 20;
    let stop = AtomicBool::new(false);
    let (reads, bad_reads) = (AtomicU64::new(0), AtomicU64::new(0));
    let outputs = std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                match store.load() {
                    Ok(Some(_)) => reads.fetch_add(1, Ordering::Relaxed),
                    _ => bad_reads.fetch_add(1, Ordering::Relaxed),
                };
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let children: Vec<_> = (0..4)
            .map(|i| {
                worker_command("stress", &path, &slack.base_url())
                    .env("XOXE_WORKER_SECONDS", seconds.to_string())
                    .env(HISTORY_FILE, history_file(i))
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        stop.store(true, Ordering::Relaxed);
        outputs
    });
    let mut total = 0;
    for out in &outputs {
        assert!(out.status.success(), "a worker failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.starts_with("result ")).expect("worker result");
        let field = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(field("failures="), 0, "every token handed out passed auth.test");
        total += field("gets=");
    }
    let stats = slack.stats();
    println!(
        "cross-process: {total} tokens handed out and verified, {} rotations, {} reused refresh tokens, {} store reads ({} unparsable)",
        stats.rotations,
        stats.refresh_token_reuses,
        reads.load(Ordering::Relaxed),
        bad_reads.load(Ordering::Relaxed)
    );
    assert_eq!(stats.refresh_token_reuses, 0);
    assert_eq!(bad_reads.load(Ordering::Relaxed), 0, "the store file always parses");
    assert!(
        stats.rotations >= seconds / 4,
        "a 3 s token was rotated many times in {seconds} s"
    );
    for i in 0..4 {
        history.merge_file(&history_file(i));
    }
    history.final_of(&store);
    history.slack(&slack);
    history.assert_ok("four processes of four threads on one file");
    assert_eq!(
        history.check().summary.handouts,
        total,
        "every token handed out is in the history"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_process_killed_mid_rotation_leaves_a_readable_store_at_most_one_rotation_behind() {
    let slack = server();
    // Rotations apply, then the answer waits `delay_ms`: kills land between the two.
    let hold = |delay_ms| {
        slack.clear_faults();
        slack.inject(
            Fault::new(
                "tooling.tokens.rotate",
                FaultKind::SlowHeaders { delay_ms, apply: true },
            )
            .times(u32::MAX),
        );
    };
    let dir = tempdir("crash");
    let path = dir.join("pair.json");
    let store = FileStore::new(&path, Duration::from_secs(60)).unwrap();
    seed(&store, &slack.new_config_token(None).refresh_token);
    // Each chain seeded here has its own name in the history: a run that kills
    // the chain starts the next one in the same store.
    let history = Recorder::new();
    let label = |lineage: usize| format!("crash-{lineage}");
    let (mut lineage, mut dead) = (0, Vec::new());
    history.seeded(&label(lineage), &store.load().unwrap().unwrap());
    let (mut newest, mut one_behind, mut aimed_one_behind) = (0, 0, 0);
    let mut random = std::collections::hash_map::RandomState::new();
    let runs = 100;
    for run in 0..runs {
        // Every 20th kill is aimed: it waits until Slack has applied a rotation
        // whose answer is held for 2 s, so some kills surely land mid-rotation.
        let aimed = run % 20 == 10;
        hold(if aimed { 2000 } else { 15 });
        let applied_before = slack.stats().rotations;
        let history_file = dir.join(format!("history-{run}.jsonl"));
        let mut child = worker_command("crash", &path, &slack.base_url())
            .env("XOXE_WORKER_LABEL", label(lineage))
            .env(HISTORY_FILE, &history_file)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("acked ").and_then(|g| g.parse::<u64>().ok()))
                .last()
        });
        if aimed {
            let deadline = Instant::now() + Duration::from_secs(60);
            while slack.stats().rotations == applied_before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
        } else {
            std::thread::sleep(Duration::from_millis(20 + random_below(&mut random, 180)));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let last_acked = reader.join().unwrap();
        // A request the process sent just before dying may still be in the server's
        // socket buffer; it is applied once read. Judge the store only after that.
        let drained = Instant::now() + Duration::from_secs(60);
        while slack.open_connections() > 0 && Instant::now() < drained {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(
            slack.open_connections(),
            0,
            "run {run}: the server never saw the dead process's connection close"
        );
        history.merge_file(&history_file);
        let stored = store
            .load()
            .unwrap_or_else(|e| panic!("run {run}: store unreadable after a kill: {e}"))
            .unwrap();
        if let Some(acked) = last_acked {
            assert!(
                stored.generation >= acked,
                "run {run}: the store went back before an acknowledged pair"
            );
        }
        match slack.refresh_token_age(stored.refresh_token.expose()) {
            Some(0) => newest += 1,
            Some(1) => {
                // Killed after Slack rotated, before the answer arrived: the one lost
                // pair. The chain is dead; start the next run from a new token.
                one_behind += 1;
                aimed_one_behind += u32::from(aimed);
                history.final_as(&store, &label(lineage));
                dead.push(label(lineage));
                lineage += 1;
                seed(&store, &slack.new_config_token(None).refresh_token);
                history.seeded(&label(lineage), &store.load().unwrap().unwrap());
            }
            other => panic!("run {run}: the store's refresh token is {other:?} rotations behind"),
        }
    }
    eprintln!(
        "crash: {runs} SIGKILLs — store held the newest refresh token {newest} times, the one before \
         {one_behind} times ({aimed_one_behind} of {} aimed kills landed mid-rotation)",
        runs / 20
    );
    assert_eq!(newest + one_behind, runs);
    assert!(
        aimed_one_behind > 0,
        "no kill landed between Slack's rotation and its answer"
    );
    // The history: the chains killed with their answer in flight are dead (and
    // nothing else is wrong); the last one lives.
    history.final_as(&store, &label(lineage));
    history.slack(&slack);
    let report = history.check();
    eprintln!("crash history: {}", report.summary);
    let unexpected: Vec<String> = report
        .violations
        .iter()
        .filter(|v| !matches!(v, xoxe_history::Violation::DeadChain { chain, .. } if dead.contains(chain)))
        .map(ToString::to_string)
        .collect();
    assert!(unexpected.is_empty(), "{report}");
    assert_eq!(report.of_kind("dead_chain").len(), dead.len(), "{report}");
    slack.clear_faults();
    std::fs::remove_dir_all(dir).unwrap();
}

fn random_below(state: &mut std::collections::hash_map::RandomState, n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    *state = std::collections::hash_map::RandomState::new();
    let mut h = state.build_hasher();
    h.write_u64(n);
    h.finish() % n
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xoxe-proc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Private whatever the umask: the file store refuses a directory others may write.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
    dir
}
