//! The OAuth install against the fake Slack: a code traded for a workspace's,
//! an org's or a user's tokens, their chains saved in every store that keeps many
//! chains, fetched, rotated and uninstalled (`auth.revoke`); Slack's refusals,
//! each with its own status; a save that fails keeping the answer for
//! `install_json`; and processes killed while installing.

mod common;

use common::db::databases;
use common::server;
use fake_slack::{CodeSpec, FakeSlack, Fault, FaultKind};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xoxe::store::fleet::DEFAULT_CHAIN;
use xoxe::{
    chain_statuses, AppCredentials, ChainKind, Client, FileStore, Install, MemoryStore, Pool, PoolOptions, Secret,
    Status, Store,
};

const ACCESS: &str = "oauth.v2.access";

/// The seeded app's credentials.
fn credentials(slack: &FakeSlack) -> AppCredentials {
    AppCredentials {
        client_id: slack.seeds().app.client_id.clone(),
        client_secret: Secret::new(slack.seeds().app.client_secret.clone()),
    }
}

fn pool(slack: &FakeSlack, store: Arc<dyn Store>) -> Pool {
    let client = Arc::new(common::client(slack));
    Pool::new(client, store, Some(credentials(slack)), PoolOptions::default()).unwrap()
}

fn mint(slack: &FakeSlack, spec: CodeSpec) -> String {
    slack.mint_code(&spec).unwrap()
}

/// A private directory (0700, removed on drop) and a directory store in it.
fn directory() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::directory(dir.path(), DEFAULT_CHAIN, Duration::from_secs(60)).unwrap();
    (dir, Arc::new(store))
}

/// Memory, a directory, PostgreSQL and Redis: every store that keeps many chains.
fn places() -> Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let (dir, store) = directory();
    let mut places = vec![
        ("memory", Arc::new(MemoryStore::new(None)) as Arc<dyn Store>, None),
        ("directory", store, Some(dir)),
    ];
    for db in databases().into_iter().filter(|d| d.name != "redis-unix") {
        places.push((db.name, db.store(DEFAULT_CHAIN), None));
    }
    places
}

/// Polls `done` every 50 ms for up to `limit`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The three shapes of an install.
fn kinds() -> Vec<(&'static str, CodeSpec)> {
    vec![
        ("workspace", CodeSpec::default()),
        (
            "org-wide",
            CodeSpec {
                is_enterprise_install: true,
                ..CodeSpec::default()
            },
        ),
        (
            "user-only",
            CodeSpec {
                bot: false,
                ..CodeSpec::default()
            },
        ),
    ]
}

// ---------------------------------------------------------------------------
// Install, get, rotate, uninstall

#[test]
fn each_kind_of_install_is_saved_fetched_rotated_and_uninstalled_in_every_store() {
    let slack = server();
    slack.set_token_ttl(4);
    for (place, store, _dir) in places() {
        let pool = pool(&slack, store.clone());
        for (kind, spec) in kinds() {
            let what = format!("{kind} install on {place}");
            install_and_live(&slack, &pool, &*store, spec, &what);
        }
    }
}

fn install_and_live(slack: &FakeSlack, pool: &Pool, store: &dyn Store, spec: CodeSpec, what: &str) {
    let client = pool.client().clone();
    let install = pool.install_code(&mint(slack, spec.clone()), None).unwrap();
    let names: Vec<String> = install.chains().unwrap().into_iter().map(|(n, _)| n).collect();
    match (spec.is_enterprise_install, spec.bot) {
        (false, true) => {
            let team = install.team_id().unwrap();
            let user = install.authed_user.id.as_deref().unwrap();
            assert_eq!(
                names,
                [format!("bot:-:{team}"), format!("user:-:{team}:{user}")],
                "{what}"
            );
        }
        (true, _) => {
            let org = install.enterprise_id().unwrap();
            assert!(install.team.is_none(), "{what}");
            assert_eq!(names[0], format!("bot:{org}:-"), "{what}");
        }
        (false, false) => {
            assert!(install.bot.is_none() && install.bot_chain().is_none(), "{what}");
            assert_eq!(names.len(), 1, "{what}");
            assert!(names[0].starts_with("user:-:T"), "{what}");
        }
    }
    let tokens: Vec<&xoxe::InstalledToken> = install.bot.iter().chain(install.authed_user.token.iter()).collect();
    for (name, token) in names.iter().zip(&tokens) {
        let stored = store.open_chain(name).unwrap().load().unwrap().unwrap();
        assert_eq!(stored.kind, ChainKind::Oauth, "{what}: {name}");
        assert_eq!(stored.refresh_token, token.refresh_token, "{what}: {name}");
        assert_eq!(stored.expires_at, install.received_at + 4, "{what}: {name}");
        assert_eq!(stored.extra["app_id"], slack.seeds().app.app_id.as_str(), "{what}");
        assert_eq!(stored.extra["installed_at"], install.received_at, "{what}");
        // The fresh token is the installed one, and it works.
        let got = pool.get(name).unwrap();
        assert_eq!(got.token, token.access_token, "{what}: {name}");
        let who = client.auth_test(got.token.expose(), None).unwrap();
        assert_eq!(who.is_enterprise_install, spec.is_enterprise_install, "{what}");
    }
    // Half the 4 s lifetime later, each chain rotates as the pool's app.
    let refreshes = slack.stats().refreshes;
    for name in &names {
        let chain = store.open_chain(name).unwrap();
        wait_until(Duration::from_secs(30), "the chain rotated", || {
            pool.get(name).unwrap();
            chain.load().unwrap().unwrap().generation >= 1
        });
        let token = pool.get(name).unwrap();
        client
            .auth_test(token.token.expose(), None)
            .unwrap_or_else(|e| panic!("{what}: {name}: {e}"));
    }
    assert_eq!(slack.stats().refreshes, refreshes + names.len() as u64, "{what}");
    assert_eq!(slack.stats().refresh_token_reuses, 0, "{what}");
    // Uninstalled: revoked at Slack, gone from the store.
    for name in &names {
        let token = pool.get(name).unwrap();
        let revocations = slack.stats().revocations;
        assert!(pool.uninstall(name).unwrap(), "{what}: {name}");
        assert_eq!(slack.stats().revocations, revocations + 1, "{what}: {name}");
        assert!(store.open_chain(name).unwrap().load().unwrap().is_none(), "{what}");
        assert_eq!(pool.get(name).unwrap_err().status, Status::StoreEmpty, "{what}");
        let old = client.auth_test(token.token.expose(), None).unwrap_err();
        assert_eq!(old.status, Status::TokenRevoked, "{what}: {name}");
        assert!(
            !pool.uninstall(name).unwrap(),
            "{what}: a second uninstall finds nothing"
        );
    }
}

// ---------------------------------------------------------------------------
// Refusals

#[test]
fn each_refusal_has_its_status_and_saves_nothing() {
    let slack = server();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(None));
    let pool = pool(&slack, store.clone());
    let refused = |code: &str, redirect_uri: Option<&str>| pool.install_code(code, redirect_uri).unwrap_err();
    assert_eq!(refused("1.2.nope", None).status, Status::InvalidCode);
    let expired = mint(
        &slack,
        CodeSpec {
            ttl_secs: Some(0),
            ..CodeSpec::default()
        },
    );
    assert_eq!(refused(&expired, None).status, Status::InvalidCode);
    let code = mint(
        &slack,
        CodeSpec {
            redirect_uri: Some("https://app.example/oauth".into()),
            ..CodeSpec::default()
        },
    );
    assert_eq!(refused(&code, None).status, Status::BadRedirectUri);
    let wrong = refused(&code, Some("https://app.example/other"));
    assert_eq!(
        (wrong.status, wrong.status.family()),
        (Status::BadRedirectUri, xoxe::StatusFamily::SlackApi)
    );
    pool.install_code(&code, Some("https://app.example/oauth")).unwrap();
    let again = refused(&code, Some("https://app.example/oauth"));
    assert_eq!(again.status, Status::CodeAlreadyUsed);
    assert!(!again.message.contains(&code), "the code is redacted from messages");
    assert_eq!(slack.stats().code_reuses, 1);
    // Bad app credentials.
    let bad = AppCredentials {
        client_secret: Secret::new("not-the-secret"),
        ..credentials(&slack)
    };
    let stranger = Pool::new(pool.client().clone(), store.clone(), Some(bad), PoolOptions::default()).unwrap();
    let fresh = mint(&slack, CodeSpec::default());
    assert_eq!(
        stranger.install_code(&fresh, None).unwrap_err().status,
        Status::BadClientSecret
    );
    // Every code Slack documents for oauth.v2.access has its own status.
    let before = store.list_chains().unwrap();
    for status in [
        Status::BadRedirectUri,
        Status::CannotInstallAnOrgInstalledApp,
        Status::CodeAlreadyUsed,
        Status::InvalidCode,
        Status::InvalidCodeVerifier,
        Status::InvalidTeamForNonDistributedApp,
        Status::NoScopes,
        Status::OauthAuthorizationUrlMismatch,
        Status::PkceNotAllowed,
        Status::PreviewFeatureNotAvailable,
        Status::TeamNotFound,
        Status::UserEmailUnverified,
        Status::InvalidClientId,
        Status::InvalidGrantType,
    ] {
        slack.inject(Fault::new(
            ACCESS,
            FaultKind::SlackError {
                error: status.name().into(),
                apply: false,
            },
        ));
        let err = pool.install_code(&fresh, None).unwrap_err();
        assert_eq!((err.status, err.slack_error.as_deref()), (status, Some(status.name())));
        assert_eq!(Status::from_u32(status as u32), Some(status));
    }
    assert_eq!(store.list_chains().unwrap(), before, "nothing was saved");
    // The code was never spent: it still installs.
    assert!(pool.install_code(&fresh, None).unwrap().authed_user.token.is_some());
}

#[test]
fn an_app_without_rotation_and_a_pool_without_credentials_are_refused() {
    let slack = server();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(None));
    let client = Arc::new(common::client(&slack));
    let plain = slack.new_app(false);
    let code = mint(
        &slack,
        CodeSpec {
            client_id: Some(plain.client_id.clone()),
            ..CodeSpec::default()
        },
    );
    let err = client
        .oauth_v2_access(&plain.client_id, &plain.client_secret, &code, None, None)
        .unwrap_err();
    assert_eq!(err.status, Status::TokenRotationNotEnabled);
    assert!(err.message.contains("token rotation"), "{}", err.message);
    let body = err.response_json.as_deref().expect("the answer is kept");
    assert!(
        body.contains("\"access_token\":\"xoxb-"),
        "the non-rotating tokens are in it"
    );
    for secret in slack.issued_secrets() {
        assert!(!err.message.contains(&secret) && !format!("{err:?}").contains(&secret));
    }
    let bare = Pool::new(client, store.clone(), None, PoolOptions::default()).unwrap();
    let err = bare.install_code(&mint(&slack, CodeSpec::default()), None).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains("client id and secret"), "{}", err.message);
    assert!(store.list_chains().unwrap().iter().all(|n| n == DEFAULT_CHAIN));
}

#[test]
fn an_install_whose_answer_is_lost_is_never_retried() {
    let slack = server();
    let pool = pool(&slack, Arc::new(MemoryStore::new(None)));
    let code = mint(&slack, CodeSpec::default());
    slack.inject(Fault::new(ACCESS, FaultKind::DropAfterApply));
    let err = pool.install_code(&code, None).unwrap_err();
    assert_eq!(err.status, Status::OutcomeUnknown, "{err}");
    assert_eq!(common::requests(&slack, ACCESS), 1, "sent once");
    assert_eq!(
        pool.install_code(&code, None).unwrap_err().status,
        Status::CodeAlreadyUsed
    );
    // An answer that arrives broken keeps its raw body (the new tokens) on the error.
    let code = mint(&slack, CodeSpec::default());
    slack.inject(Fault::new(ACCESS, FaultKind::TruncatedJson { apply: true }));
    let err = pool.install_code(&code, None).unwrap_err();
    assert_eq!(err.status, Status::OutcomeUnknown);
    assert!(err.response_json.as_deref().unwrap().contains("xoxe.xoxb-1-"));
}

// ---------------------------------------------------------------------------
// What an install shows, and its answer saved later

#[test]
fn an_install_prints_no_secret() {
    let slack = server();
    let client = common::client(&slack);
    let app = &slack.seeds().app;
    let spec = CodeSpec {
        incoming_webhook: true,
        ..CodeSpec::default()
    };
    let install = client
        .oauth_v2_access(&app.client_id, &app.client_secret, &mint(&slack, spec), None, None)
        .unwrap();
    assert!(install.incoming_webhook.is_some());
    let shown = format!("{install:?} {:?}", install.chains().unwrap());
    let secrets = slack.issued_secrets();
    assert!(secrets.len() > 6);
    for secret in &secrets {
        let tail = &secret[secret.len() - 12..];
        assert!(!shown.contains(tail), "a secret's tail is in the Debug output");
    }
    assert!(!shown.contains("hooks.fake-slack"), "the webhook URL is a secret");
}

#[test]
fn install_json_saves_an_answer_again_and_its_first_get_rotates() {
    let slack = server();
    let (_dir, store) = directory();
    let pool = pool(&slack, store.clone());
    let app = &slack.seeds().app;
    let code = mint(&slack, CodeSpec::default());
    let install = pool
        .client()
        .oauth_v2_access(&app.client_id, &app.client_secret, &code, None, None)
        .unwrap();
    let again = Install::from_json(install.raw_json.expose().as_bytes(), install.received_at).unwrap();
    assert_eq!(again, install, "the raw answer parses back to the same install");
    let saved = pool.install_json(install.raw_json.expose()).unwrap();
    let names: Vec<String> = saved.chains().unwrap().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 2);
    assert_eq!(Some(&names[0]), saved.bot_chain().transpose().unwrap().as_ref());
    let refreshes = slack.stats().refreshes;
    for name in &names {
        let stored = store.open_chain(name).unwrap().load().unwrap().unwrap();
        assert_eq!(stored.expires_at, 0, "an answer of unknown age counts as expired");
        let token = pool.get(name).unwrap();
        pool.client().auth_test(token.token.expose(), None).unwrap();
    }
    assert_eq!(
        slack.stats().refreshes,
        refreshes + 2,
        "each chain's first get rotated it"
    );
    for bad in ["", "{}", "{\"ok\":false,\"error\":\"invalid_code\"}", "[1]"] {
        assert_eq!(
            pool.install_json(bad).unwrap_err().status,
            Status::InvalidArgument,
            "{bad}"
        );
    }
}

#[test]
fn a_failed_save_keeps_the_answer_and_install_json_saves_it_later() {
    let slack = server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chains");
    let mkdir = || {
        std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
            .create(&path)
            .unwrap()
    };
    mkdir();
    let store: Arc<dyn Store> = Arc::new(FileStore::directory(&path, DEFAULT_CHAIN, Duration::from_secs(60)).unwrap());
    let pool = pool(&slack, store.clone());
    // The directory vanishes (a lost mount, a full disk): every save fails.
    std::fs::remove_dir_all(&path).unwrap();
    let err = pool.install_code(&mint(&slack, CodeSpec::default()), None).unwrap_err();
    assert_eq!(err.status.family(), xoxe::StatusFamily::Store, "{err}");
    assert!(err.message.contains("install_json"), "{}", err.message);
    let raw = err.response_json.clone().expect("the answer is on the error");
    for secret in slack.issued_secrets() {
        assert!(!err.message.contains(&secret) && !format!("{err:?}").contains(&secret));
    }
    assert_eq!(slack.stats().installs, 1);
    mkdir();
    let saved = pool.install_json(&raw).unwrap();
    let names: Vec<String> = saved.chains().unwrap().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 2);
    for name in &names {
        let token = pool.get(name).unwrap();
        pool.client().auth_test(token.token.expose(), None).unwrap();
    }
    assert_eq!(slack.stats().refresh_token_reuses, 0);
}

// ---------------------------------------------------------------------------
// Killed while installing

/// The worker process (run by the crash test below, not on its own): installs one
/// code into a directory store and says so.
#[test]
#[ignore = "worker process for the crash test; it starts it"]
fn install_worker() {
    let var = |name: &str| std::env::var(name).expect("run by the crash test");
    let store = FileStore::directory(var("XOXE_WORKER_DIR"), DEFAULT_CHAIN, Duration::from_secs(60)).unwrap();
    let client = Client::new(xoxe::ClientOptions {
        base_url: var("XOXE_WORKER_BASE_URL"),
        ..Default::default()
    })
    .unwrap();
    let app = AppCredentials {
        client_id: var("XOXE_WORKER_CLIENT_ID"),
        client_secret: Secret::new(var("XOXE_WORKER_CLIENT_SECRET")),
    };
    let pool = Pool::new(Arc::new(client), Arc::new(store), Some(app), PoolOptions::default()).unwrap();
    let install = pool.install_code(&var("XOXE_WORKER_CODE"), None).unwrap();
    let names: Vec<String> = install.chains().unwrap().into_iter().map(|(n, _)| n).collect();
    println!("installed {}", names.join(" "));
}

fn install_worker_command(slack: &FakeSlack, dir: &Path, code: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "install_worker",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env("XOXE_WORKER_DIR", dir)
    .env("XOXE_WORKER_BASE_URL", slack.base_url())
    .env("XOXE_WORKER_CLIENT_ID", &slack.seeds().app.client_id)
    .env("XOXE_WORKER_CLIENT_SECRET", &slack.seeds().app.client_secret)
    .env("XOXE_WORKER_CODE", code)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    cmd
}

#[test]
fn a_process_killed_while_installing_leaves_only_whole_chains() {
    let slack = server();
    let (dir, store) = directory();
    let (mut reported, mut torn_free) = (0, 0);
    let runs = 20;
    for run in 0..runs {
        let installs = slack.stats().installs;
        let mut child = install_worker_command(&slack, dir.path(), &mint(&slack, CodeSpec::default()))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find_map(|l| l.strip_prefix("installed ").map(str::to_string))
        });
        // Kill as soon as Slack answered the install (every other run a few ms
        // later, so kills land before, during and after the saves).
        let deadline = Instant::now() + Duration::from_secs(60);
        while slack.stats().installs == installs && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        if run % 2 == 1 {
            std::thread::sleep(Duration::from_millis((run % 7) as u64));
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let installed = reader.join().unwrap();
        assert_eq!(
            slack.stats().installs,
            installs + 1,
            "run {run}: the install was answered"
        );
        if let Some(names) = installed {
            reported += 1;
            for name in names.split_whitespace() {
                let pair = store.open_chain(name).unwrap().load().unwrap();
                assert!(pair.is_some(), "run {run}: {name} was reported saved but is not stored");
            }
        }
        // Whatever the store holds loads: no torn document.
        for status in chain_statuses(&*store).unwrap() {
            if let Err(e) = &status.state {
                panic!("run {run}: chain {} does not load: {e}", status.chain);
            }
        }
        torn_free += 1;
    }
    eprintln!(
        "install crash: {runs} SIGKILLs, {reported} installs reported done before the kill, {torn_free} stores whole"
    );
    assert_eq!(torn_free, runs);
}
