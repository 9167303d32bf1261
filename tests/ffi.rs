//! The C ABI called from Rust, as a C program would: argument checks and error
//! handles, per-call timeouts, result handles, rotator options and a host-kept
//! store through callbacks. (The C suite in tests/c covers every function in
//! depth; these keep `cargo test` — and so `make mutants` — looking at src/ffi.)

mod common;

use common::{requests, server};
use fake_slack::{FakeSlack, Fault, FaultKind, TokenKind};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Mutex;
use xoxe::ffi::*;
use xoxe::{Status, StatusFamily};

const ROTATE: &str = "tooling.tokens.rotate";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "a NULL string");
    CStr::from_ptr(p).to_str().unwrap().to_string()
}

/// Takes an error handle: its status and message.
unsafe fn take_error(e: *mut xoxe_error) -> (Status, String) {
    assert!(!e.is_null(), "a failing call gave no error handle");
    let info = &*xoxe_error_get_info(e);
    let out = (info.status, text(info.message));
    xoxe_error_free(e);
    out
}

unsafe fn new_client(slack: &FakeSlack) -> *mut xoxe_client {
    let mut options = ptr::null_mut();
    assert_eq!(xoxe_client_options_new(&mut options, ptr::null_mut()), Status::Ok);
    let url = c(&slack.base_url());
    assert_eq!(
        xoxe_client_options_set_base_url(options, url.as_ptr(), ptr::null_mut()),
        Status::Ok
    );
    let mut client = ptr::null_mut();
    assert_eq!(xoxe_client_new(options, &mut client, ptr::null_mut()), Status::Ok);
    xoxe_client_options_free(options);
    client
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn version_and_status_names() {
    unsafe {
        assert_eq!(text(xoxe_version()), env!("CARGO_PKG_VERSION"));
        assert_eq!(xoxe_abi_version(), XOXE_ABI_VERSION);
        assert_eq!(
            text(xoxe_status_name(Status::InvalidRefreshToken as u32)),
            "invalid_refresh_token"
        );
        assert_eq!(text(xoxe_status_name(Status::Ok as u32)), "ok");
        assert_eq!(text(xoxe_status_name(99_999)), "unknown_status");
        assert_eq!(
            xoxe_status_family_of(Status::InvalidRefreshToken as u32),
            StatusFamily::SlackApi
        );
        assert_eq!(xoxe_status_family_of(Status::NullArgument as u32), StatusFamily::Usage);
        assert_eq!(xoxe_status_family_of(99_999), StatusFamily::Internal);
    }
}

#[test]
fn null_arguments_are_errors_with_an_error_handle_and_nothing_else() {
    let slack = server();
    unsafe {
        let client = new_client(&slack);
        let refresh = c("xoxe-1-whatever");
        let mut out = ptr::null_mut();
        let mut e = ptr::null_mut();
        let st = xoxe_tooling_tokens_rotate(client, ptr::null(), 0, &mut out, &mut e);
        assert_eq!(st, Status::NullArgument);
        assert!(out.is_null(), "no result on failure");
        assert_eq!(take_error(e), (Status::NullArgument, "refresh_token is NULL".into()));
        // Without an error handle, the status alone.
        let st = xoxe_tooling_tokens_rotate(client, refresh.as_ptr(), 0, ptr::null_mut(), ptr::null_mut());
        assert_eq!(st, Status::NullArgument);
        let mut e = ptr::null_mut();
        let st = xoxe_tooling_tokens_rotate(ptr::null(), refresh.as_ptr(), 0, &mut out, &mut e);
        assert_eq!(take_error(e), (Status::NullArgument, "client is NULL".into()));
        assert_eq!(st, Status::NullArgument);
        assert_eq!(requests(&slack, ROTATE), 0, "nothing was sent");
        xoxe_client_free(client);
    }
}

#[test]
fn a_calls_timeout_applies_and_zero_means_the_clients() {
    let slack = server();
    unsafe {
        let client = new_client(&slack);
        let seed = slack.new_config_token(None);
        slack.inject(Fault::new(ROTATE, FaultKind::Delay { delay_ms: 3000 }));
        let refresh = c(&seed.refresh_token);
        let (mut out, mut e) = (ptr::null_mut(), ptr::null_mut());
        let st = xoxe_tooling_tokens_rotate(client, refresh.as_ptr(), 300, &mut out, &mut e);
        assert_eq!(st, Status::OutcomeUnknown, "a 300 ms timeout cut a 3 s answer short");
        xoxe_error_free(e);

        let seed = slack.new_config_token(None);
        slack.inject(Fault::new(ROTATE, FaultKind::Delay { delay_ms: 500 }));
        let refresh = c(&seed.refresh_token);
        let st = xoxe_tooling_tokens_rotate(client, refresh.as_ptr(), 0, &mut out, ptr::null_mut());
        assert_eq!(st, Status::Ok, "0: the client's 30 s timeout");
        let info = &*xoxe_config_token_get_info(out);
        assert!(text(info.token).starts_with("xoxe.xoxp-1-"));
        assert!(text(info.refresh_token).starts_with("xoxe-1-"));
        assert_eq!(text(info.team_id), seed.team_id);
        assert_eq!(info.exp - info.iat, 43200);
        xoxe_config_token_free(out);
        xoxe_client_free(client);
    }
}

#[test]
fn result_handles_carry_the_response() {
    let slack = server();
    let app = slack.new_app(true);
    let legacy = slack.new_legacy_token(&app.client_id, TokenKind::Bot);
    unsafe {
        let client = new_client(&slack);
        let (id, secret, token) = (c(&app.client_id), c(&app.client_secret), c(&legacy));
        let mut oauth = ptr::null_mut();
        let st = xoxe_oauth_v2_exchange(
            client,
            id.as_ptr(),
            secret.as_ptr(),
            token.as_ptr(),
            0,
            &mut oauth,
            ptr::null_mut(),
        );
        assert_eq!(st, Status::Ok);
        let o = &*xoxe_oauth_token_get_info(oauth);
        assert!(text(o.access_token).starts_with("xoxe.xoxb-1-"));
        assert!(text(o.refresh_token).starts_with("xoxe-1-"));
        assert_eq!(o.expires_in, 43200);
        let access = c(&text(o.access_token));

        let mut identity = ptr::null_mut();
        assert_eq!(
            xoxe_auth_test(client, access.as_ptr(), 0, &mut identity, ptr::null_mut()),
            Status::Ok
        );
        let i = &*xoxe_auth_identity_get_info(identity);
        assert_eq!(text(i.team_id), text(o.team_id));
        assert!(!i.bot_id.is_null());

        let method = c("auth.test");
        let mut response = ptr::null_mut();
        let st = xoxe_call(
            client,
            method.as_ptr(),
            access.as_ptr(),
            ptr::null(),
            ptr::null(),
            0,
            0,
            &mut response,
            ptr::null_mut(),
        );
        assert_eq!(st, Status::Ok);
        let r = &*xoxe_api_response_get_info(response);
        let json = CStr::from_ptr(r.json).to_str().unwrap();
        assert_eq!(json.len(), r.json_len);
        assert!(
            json.contains("\"ok\":true") && json.contains(&text(o.team_id)),
            "{}",
            json.len()
        );

        xoxe_api_response_free(response);
        xoxe_auth_identity_free(identity);
        xoxe_oauth_token_free(oauth);
        xoxe_client_free(client);
    }
}

/// A config chain in a memory store whose access token expires in `expires_in` s
/// (its lifetime unknown, so the whole refresh window applies).
unsafe fn chain(slack: &FakeSlack, expires_in: i64) -> *mut xoxe_store {
    let mut store = ptr::null_mut();
    assert_eq!(xoxe_store_memory_new(&mut store, ptr::null_mut()), Status::Ok);
    let refresh = c(&slack.new_config_token(None).refresh_token);
    let access = c("xoxe.xoxp-1-still-in-use");
    let st = xoxe_store_init(
        store,
        0,
        refresh.as_ptr(),
        access.as_ptr(),
        now() + expires_in,
        false,
        ptr::null_mut(),
    );
    assert_eq!(st, Status::Ok);
    store
}

/// `xoxe_rotator_get` on a new rotator over `store`: the status and the token.
unsafe fn get_once(
    client: *const xoxe_client,
    store: *const xoxe_store,
    options: &xoxe_rotator_options,
) -> (Status, String) {
    let mut rotator = ptr::null_mut();
    assert_eq!(
        xoxe_rotator_new_config(client, store, options, &mut rotator, ptr::null_mut()),
        Status::Ok
    );
    let got = call(xoxe_rotator_get, rotator);
    xoxe_rotator_free(rotator);
    got
}

#[test]
fn rotator_options_set_the_window_jitter_and_call_timeout() {
    let slack = server();
    let defaults = xoxe_rotator_options {
        refresh_window_secs: 0,
        jitter_secs: 0,
        wait_timeout_ms: 0,
        call_timeout_ms: 0,
    };
    unsafe {
        let client = new_client(&slack);
        // Expiring in 450 s: outside a 400 s window plus at most 1 s of jitter
        // (ten rotators, each with its own random jitter), inside the default 2 h.
        let narrow = xoxe_rotator_options {
            refresh_window_secs: 400,
            jitter_secs: 1,
            ..defaults
        };
        let store = chain(&slack, 450);
        for _ in 0..10 {
            assert_eq!(
                get_once(client, store, &narrow),
                (Status::Ok, "xoxe.xoxp-1-still-in-use".into())
            );
        }
        assert_eq!(requests(&slack, ROTATE), 0, "not due within a 400 s window");
        // All zero: the defaults (2 h window, the client's call timeout) apply.
        let (st, token) = get_once(client, store, &defaults);
        assert_eq!(st, Status::Ok);
        assert_ne!(
            token, "xoxe.xoxp-1-still-in-use",
            "due within the default window: rotated"
        );
        xoxe_store_free(store);

        let store = chain(&slack, 0);
        slack.inject(Fault::new(ROTATE, FaultKind::Delay { delay_ms: 3000 }));
        let short_call = xoxe_rotator_options {
            call_timeout_ms: 300,
            ..defaults
        };
        assert_eq!(
            get_once(client, store, &short_call).0,
            Status::OutcomeUnknown,
            "a 300 ms rotation call"
        );
        xoxe_store_free(store);
        xoxe_client_free(client);
    }
}

/// A host store written in Rust behind the C callbacks, counting every call.
#[derive(Default)]
struct Host {
    doc: Mutex<Option<(u64, String)>>,
    loads: AtomicUsize,
    locks: AtomicUsize,
    unlocks: AtomicUsize,
    released: AtomicUsize,
    /// Forced return codes (0: behave normally).
    load_code: AtomicI32,
    save_code: AtomicI32,
    lock_code: AtomicI32,
}

unsafe extern "C" fn host_load(user: *mut c_void, value: *mut xoxe_store_value) -> i32 {
    let host = &*(user as *const Host);
    host.loads.fetch_add(1, Ordering::SeqCst);
    let code = host.load_code.load(Ordering::SeqCst);
    if code != 0 {
        return code;
    }
    if let Some((_, doc)) = host.doc.lock().unwrap().as_ref() {
        let doc = c(doc);
        xoxe_store_value_set(value, doc.as_ptr());
    }
    0
}

unsafe extern "C" fn host_save(user: *mut c_void, present: bool, expected: u64, new: u64, doc: *const c_char) -> i32 {
    let host = &*(user as *const Host);
    let code = host.save_code.load(Ordering::SeqCst);
    if code != 0 {
        return code;
    }
    let mut slot = host.doc.lock().unwrap();
    if slot.as_ref().map(|(g, _)| *g) != present.then_some(expected) {
        return 1;
    }
    *slot = Some((new, text(doc)));
    0
}

unsafe extern "C" fn host_lock(user: *mut c_void) -> i32 {
    let host = &*(user as *const Host);
    host.locks.fetch_add(1, Ordering::SeqCst);
    host.lock_code.load(Ordering::SeqCst)
}

unsafe extern "C" fn host_unlock(user: *mut c_void) {
    (*(user as *const Host)).unlocks.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn host_release(user: *mut c_void) {
    (*(user as *const Host)).released.fetch_add(1, Ordering::SeqCst);
}

unsafe fn host_store(host: &Host, with_lock: bool) -> *mut xoxe_store {
    let callbacks = xoxe_store_callbacks {
        user_data: host as *const Host as *mut c_void,
        load: Some(host_load),
        save: Some(host_save),
        lock: if with_lock { Some(host_lock) } else { None },
        unlock: if with_lock { Some(host_unlock) } else { None },
        release: Some(host_release),
    };
    let name = c("test-host");
    let mut store = ptr::null_mut();
    assert_eq!(
        xoxe_store_foreign_new(&callbacks, name.as_ptr(), &mut store, ptr::null_mut()),
        Status::Ok
    );
    store
}

unsafe fn init(store: *const xoxe_store, refresh: &str) -> (Status, String) {
    let refresh = c(refresh);
    let mut e = ptr::null_mut();
    let st = xoxe_store_init(store, 0, refresh.as_ptr(), ptr::null(), 0, false, &mut e);
    if st == Status::Ok {
        (st, String::new())
    } else {
        take_error(e)
    }
}

#[test]
fn a_host_store_is_loaded_saved_locked_and_released_through_its_callbacks() {
    let slack = server();
    let host = Host::default();
    let options = xoxe_rotator_options {
        refresh_window_secs: 0,
        jitter_secs: 0,
        wait_timeout_ms: 300,
        call_timeout_ms: 0,
    };
    unsafe {
        let client = new_client(&slack);
        let store = host_store(&host, true);
        assert_eq!(init(store, &slack.new_config_token(None).refresh_token).0, Status::Ok);
        let (st, token) = get_once(client, store, &options);
        assert_eq!(st, Status::Ok);
        assert!(
            host.doc.lock().unwrap().as_ref().unwrap().1.contains(&token),
            "saved through the callback"
        );
        assert_eq!(
            host.doc.lock().unwrap().as_ref().unwrap().0,
            1,
            "generation 0 (init), then 1"
        );
        assert_eq!(
            (host.locks.load(Ordering::SeqCst), host.unlocks.load(Ordering::SeqCst)),
            (1, 1)
        );

        // A second init finds a chain: the store's compare-and-swap said so.
        let (st, msg) = init(store, "xoxe-1-another");
        assert_eq!(st, Status::StoreConflict);
        assert!(msg.contains("foreign store \"test-host\""), "{msg}");

        // Failing callbacks are errors that name the store.
        host.load_code.store(-5, Ordering::SeqCst);
        let (st, msg) = init(store, "xoxe-1-another");
        assert_eq!(
            (st, msg.contains("test-host") && msg.contains("load")),
            (Status::StoreIo, true),
            "{msg}"
        );
        host.load_code.store(0, Ordering::SeqCst);
        host.lock_code.store(-1, Ordering::SeqCst);
        assert_eq!(
            get_once(
                client,
                store,
                &xoxe_rotator_options {
                    refresh_window_secs: 50_000,
                    ..options
                }
            )
            .0,
            Status::LockTimeout
        );
        host.lock_code.store(0, Ordering::SeqCst);

        // A save conflict (1) and a save failure (negative) are told apart.
        let empty = Host::default();
        empty.save_code.store(1, Ordering::SeqCst);
        let conflicting = host_store(&empty, false);
        assert_eq!(init(conflicting, "xoxe-1-seed").0, Status::StoreConflict);
        empty.save_code.store(-2, Ordering::SeqCst);
        let (st, msg) = init(conflicting, "xoxe-1-seed");
        assert_eq!((st, msg.contains("save")), (Status::StoreIo, true), "{msg}");
        xoxe_store_free(conflicting);
        assert_eq!(
            empty.released.load(Ordering::SeqCst),
            1,
            "release ran when the store was freed"
        );

        xoxe_store_free(store);
        assert_eq!(host.released.load(Ordering::SeqCst), 1);
        xoxe_client_free(client);
    }
}

#[test]
fn a_rejected_token_is_rechecked_for_a_while_only_without_a_host_lock() {
    let slack = server();
    let options = xoxe_rotator_options {
        refresh_window_secs: 0,
        jitter_secs: 0,
        wait_timeout_ms: 300,
        call_timeout_ms: 0,
    };
    unsafe {
        let client = new_client(&slack);
        for with_lock in [true, false] {
            // A spent refresh token: Slack rejects it, and nothing newer is stored.
            let seed = slack.new_config_token(None);
            let mut spent = ptr::null_mut();
            let refresh = c(&seed.refresh_token);
            assert_eq!(
                xoxe_tooling_tokens_rotate(client, refresh.as_ptr(), 0, &mut spent, ptr::null_mut()),
                Status::Ok
            );
            xoxe_config_token_free(spent);
            let host = Host::default();
            let store = host_store(&host, with_lock);
            assert_eq!(init(store, &seed.refresh_token).0, Status::Ok);
            let loads_before = host.loads.load(Ordering::SeqCst);
            assert_eq!(get_once(client, store, &options).0, Status::ChainDead);
            let loads = host.loads.load(Ordering::SeqCst) - loads_before;
            if with_lock {
                assert_eq!(loads, 2, "locked: one read to rotate, one re-read after the rejection");
            } else {
                // 300 ms of re-reads with a growing pause (10, 20, 40… ms): a handful.
                assert!((3..40).contains(&loads), "no lock: re-read for a while ({loads} loads)");
            }
            xoxe_store_free(store);
        }
        xoxe_client_free(client);
    }
}

#[test]
fn a_host_document_that_is_not_utf8_is_a_corrupt_store() {
    unsafe extern "C" fn bad_load(_: *mut c_void, value: *mut xoxe_store_value) -> i32 {
        xoxe_store_value_set(value, c"{\"refresh_token\":\"\xff\"}".as_ptr());
        0
    }
    unsafe {
        let host = Host::default();
        let callbacks = xoxe_store_callbacks {
            user_data: &host as *const Host as *mut c_void,
            load: Some(bad_load),
            save: Some(host_save),
            lock: None,
            unlock: None,
            release: None,
        };
        let mut store = ptr::null_mut();
        assert_eq!(
            xoxe_store_foreign_new(&callbacks, ptr::null(), &mut store, ptr::null_mut()),
            Status::Ok
        );
        let (st, msg) = init(store, "xoxe-1-seed");
        assert_eq!(st, Status::StoreCorrupt);
        assert!(msg.contains("not UTF-8"), "{msg}");
        xoxe_store_free(store);
    }
}

/// `xoxe_rotator_get`/`_current`/`_force_rotate` on one rotator: the status and token.
unsafe fn call(
    f: unsafe extern "C" fn(*const xoxe_rotator, *mut c_char, usize, *mut i64, *mut *mut xoxe_error) -> Status,
    rotator: *const xoxe_rotator,
) -> (Status, String) {
    let mut buf = vec![0 as c_char; XOXE_MAX_TOKEN_LEN + 1];
    let mut e = ptr::null_mut();
    let st = f(rotator, buf.as_mut_ptr(), buf.len(), ptr::null_mut(), &mut e);
    if !e.is_null() {
        xoxe_error_free(e);
    }
    (st, CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned())
}

#[test]
fn the_hot_path_serves_only_a_fresh_saved_token() {
    let slack = server();
    let options = xoxe_rotator_options {
        refresh_window_secs: 400,
        jitter_secs: 1,
        wait_timeout_ms: 0,
        call_timeout_ms: 0,
    };
    unsafe {
        let client = new_client(&slack);
        // A pair already due (expires in 100 s, window 400 s), read by _current
        // into the rotator's memory: _get rotates it rather than serve it.
        let store = chain(&slack, 100);
        let mut rotator = ptr::null_mut();
        assert_eq!(
            xoxe_rotator_new_config(client, store, &options, &mut rotator, ptr::null_mut()),
            Status::Ok
        );
        assert_eq!(
            call(xoxe_rotator_current, rotator),
            (Status::Ok, "xoxe.xoxp-1-still-in-use".into())
        );
        let (st, rotated) = call(xoxe_rotator_get, rotator);
        assert_eq!(st, Status::Ok);
        assert_ne!(rotated, "xoxe.xoxp-1-still-in-use");
        assert_eq!(
            call(xoxe_rotator_get, rotator),
            (Status::Ok, rotated.clone()),
            "fresh: served from memory"
        );
        xoxe_rotator_free(rotator);
        xoxe_store_free(store);

        // Due this very second (a 3 s window has no jitter): rotated, not served.
        // Judged only when the clock did not tick during the attempt.
        let exact = xoxe_rotator_options {
            refresh_window_secs: 3,
            ..options
        };
        for attempt in 0.. {
            assert!(attempt < 50, "the clock ticked during every attempt");
            let started = now();
            let store = chain(&slack, 3);
            let mut rotator = ptr::null_mut();
            assert_eq!(
                xoxe_rotator_new_config(client, store, &exact, &mut rotator, ptr::null_mut()),
                Status::Ok
            );
            assert_eq!(call(xoxe_rotator_current, rotator).0, Status::Ok);
            let (st, token) = call(xoxe_rotator_get, rotator);
            xoxe_rotator_free(rotator);
            xoxe_store_free(store);
            assert_eq!(st, Status::Ok);
            assert_ne!(token, "xoxe.xoxp-1-still-in-use", "a token due this second is rotated");
            if now() == started {
                break;
            }
        }

        // A rotation whose save failed: while saves keep failing, _get fails too
        // (it retries the save) rather than serve the old token from memory.
        let host = Host::default();
        let store = host_store(&host, false);
        assert_eq!(init(store, &slack.new_config_token(None).refresh_token).0, Status::Ok);
        let mut rotator = ptr::null_mut();
        assert_eq!(
            xoxe_rotator_new_config(client, store, &options, &mut rotator, ptr::null_mut()),
            Status::Ok
        );
        let (st, first) = call(xoxe_rotator_get, rotator);
        assert_eq!(st, Status::Ok);
        host.save_code.store(-1, Ordering::SeqCst);
        assert_eq!(call(xoxe_rotator_force_rotate, rotator).0, Status::StoreIo);
        assert_eq!(
            call(xoxe_rotator_get, rotator).0,
            Status::StoreIo,
            "not the old token from memory"
        );
        assert_eq!(call(xoxe_rotator_current, rotator), (Status::Ok, first.clone()));
        host.save_code.store(0, Ordering::SeqCst);
        let (st, second) = call(xoxe_rotator_get, rotator);
        assert_eq!(st, Status::Ok);
        assert_ne!(second, first);
        assert!(
            host.doc.lock().unwrap().as_ref().unwrap().1.contains(&second),
            "saved before served"
        );
        xoxe_rotator_free(rotator);
        xoxe_store_free(store);
        xoxe_client_free(client);
    }
}

#[test]
fn client_options_read_back_the_librarys_defaults_and_what_was_set() {
    let defaults = xoxe::ClientOptions::default();
    unsafe {
        let mut options = ptr::null_mut();
        assert_eq!(xoxe_client_options_new(&mut options, ptr::null_mut()), Status::Ok);
        let (mut connect, mut call, mut retries, mut wait) = (0u32, 0u32, 0u32, 0u32);
        let read = |options, connect: &mut u32, call: &mut u32, retries: &mut u32, wait: &mut u32| {
            assert_eq!(
                xoxe_client_options_get_timeouts(options, connect, call, ptr::null_mut()),
                Status::Ok
            );
            assert_eq!(
                xoxe_client_options_get_ratelimit_retries(options, retries, wait, ptr::null_mut()),
                Status::Ok
            );
        };
        read(options, &mut connect, &mut call, &mut retries, &mut wait);
        assert_eq!(u128::from(connect), defaults.connect_timeout.as_millis());
        assert_eq!(u128::from(call), defaults.timeout.as_millis());
        assert_eq!(retries, defaults.max_ratelimit_retries);
        assert_eq!(u64::from(wait), defaults.max_retry_after.as_secs());

        assert_eq!(
            xoxe_client_options_set_timeouts(options, 1500, 45_000, ptr::null_mut()),
            Status::Ok
        );
        assert_eq!(
            xoxe_client_options_set_ratelimit_retries(options, 0, 7, ptr::null_mut()),
            Status::Ok
        );
        read(options, &mut connect, &mut call, &mut retries, &mut wait);
        assert_eq!((connect, call, retries, wait), (1500, 45_000, 0, 7));

        let mut err = ptr::null_mut();
        let st = xoxe_client_options_get_timeouts(options, ptr::null_mut(), &mut call, &mut err);
        assert_eq!(take_error(err).0, Status::NullArgument);
        assert_eq!(st, Status::NullArgument);
        let st = xoxe_client_options_get_ratelimit_retries(ptr::null(), &mut retries, &mut wait, ptr::null_mut());
        assert_eq!(st, Status::NullArgument);
        xoxe_client_options_free(options);
    }
}

/// The OAuth install through the C ABI: `xoxe_oauth_v2_access` and its info,
/// `xoxe_pool_install`, `xoxe_pool_install_code`, `xoxe_pool_install_json`,
/// `xoxe_auth_revoke`, and their argument checks.
#[test]
fn install_through_the_c_abi() {
    let slack = server();
    let app = slack.seeds().app.clone();
    let (id, secret) = (c(&app.client_id), c(&app.client_secret));
    let mint = |spec: fake_slack::CodeSpec| c(&slack.mint_code(&spec).unwrap());
    unsafe {
        let client = new_client(&slack);
        let mut store = ptr::null_mut();
        assert_eq!(xoxe_store_memory_new(&mut store, ptr::null_mut()), Status::Ok);
        let mut pool = ptr::null_mut();
        let st = xoxe_pool_new(
            client,
            store,
            id.as_ptr(),
            secret.as_ptr(),
            ptr::null(),
            &mut pool,
            ptr::null_mut(),
        );
        assert_eq!(st, Status::Ok);

        // oauth.v2.access: every field of an org-wide install with a webhook.
        let code = mint(fake_slack::CodeSpec {
            is_enterprise_install: true,
            enterprise_id: Some("E0FFI".into()),
            user_id: Some("W0FFI".into()),
            incoming_webhook: true,
            ..Default::default()
        });
        let mut install = ptr::null_mut();
        let st = xoxe_oauth_v2_access(
            client,
            id.as_ptr(),
            secret.as_ptr(),
            code.as_ptr(),
            ptr::null(),
            0,
            &mut install,
            ptr::null_mut(),
        );
        assert_eq!(st, Status::Ok);
        let info = &*xoxe_install_get_info(install);
        assert_eq!(text(info.app_id), app.app_id);
        assert!(info.team_id.is_null() && info.team_name.is_null());
        assert_eq!(
            (text(info.enterprise_id), info.is_enterprise_install),
            ("E0FFI".into(), true)
        );
        assert_eq!(text(info.bot_chain), "bot:E0FFI:-");
        assert_eq!(text(info.user_chain), "user:E0FFI:-:W0FFI");
        assert_eq!(text(info.user_id), "W0FFI");
        assert!(text(info.bot_access_token).starts_with("xoxe.xoxb-1-"));
        assert!(text(info.user_refresh_token).starts_with("xoxe-1-"));
        assert_eq!((info.bot_expires_in, info.user_expires_in), (43_200, 43_200));
        assert!(text(info.bot_user_id).starts_with('U') && info.bot_id.is_null());
        assert!(text(info.webhook_url).starts_with("https://hooks.") && !info.webhook_channel_id.is_null());
        assert_eq!(text(info.raw_json).len(), info.raw_json_len);
        assert!(info.received_at >= now() - 5 && info.warnings_len == 0);
        let raw = c(&text(info.raw_json));
        let user_token = c(&text(info.user_access_token));
        assert_eq!(xoxe_pool_install(pool, install, ptr::null_mut()), Status::Ok);
        xoxe_install_free(install);
        xoxe_install_free(ptr::null_mut());
        assert!(xoxe_install_get_info(ptr::null()).is_null());
        // install_json replaces what install saved.
        assert_eq!(
            xoxe_pool_install_json(pool, raw.as_ptr(), ptr::null_mut(), ptr::null_mut()),
            Status::Ok
        );

        // install_code, with and without the install handed back.
        let mut install = ptr::null_mut();
        let code = mint(Default::default());
        let st = xoxe_pool_install_code(pool, code.as_ptr(), ptr::null(), &mut install, ptr::null_mut());
        assert_eq!(st, Status::Ok);
        assert!(!(*xoxe_install_get_info(install)).team_id.is_null());
        xoxe_install_free(install);
        let code = mint(Default::default());
        let st = xoxe_pool_install_code(pool, code.as_ptr(), ptr::null(), ptr::null_mut(), ptr::null_mut());
        assert_eq!(st, Status::Ok);
        let mut e = ptr::null_mut();
        let st = xoxe_pool_install_code(pool, code.as_ptr(), ptr::null(), ptr::null_mut(), &mut e);
        assert_eq!(
            (st, take_error(e).0),
            (Status::CodeAlreadyUsed, Status::CodeAlreadyUsed)
        );

        // auth.revoke: a test, then for real.
        let mut revoked = true;
        let st = xoxe_auth_revoke(client, user_token.as_ptr(), true, 0, &mut revoked, ptr::null_mut());
        assert_eq!((st, revoked), (Status::Ok, false));
        let st = xoxe_auth_revoke(client, user_token.as_ptr(), false, 0, &mut revoked, ptr::null_mut());
        assert_eq!((st, revoked), (Status::Ok, true));
        let mut e = ptr::null_mut();
        let st = xoxe_auth_revoke(client, user_token.as_ptr(), false, 0, ptr::null_mut(), &mut e);
        assert_eq!((st, take_error(e).0), (Status::TokenRevoked, Status::TokenRevoked));
        assert_eq!(slack.stats().revocations, 1);

        // Argument checks.
        let bad = c"x\xff".as_ptr();
        let mut out = ptr::null_mut();
        let cases: [(Status, Status); 9] = [
            (
                xoxe_oauth_v2_access(
                    ptr::null(),
                    id.as_ptr(),
                    secret.as_ptr(),
                    code.as_ptr(),
                    ptr::null(),
                    0,
                    &mut out,
                    ptr::null_mut(),
                ),
                Status::NullArgument,
            ),
            (
                xoxe_oauth_v2_access(
                    client,
                    id.as_ptr(),
                    secret.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    &mut out,
                    ptr::null_mut(),
                ),
                Status::NullArgument,
            ),
            (
                xoxe_oauth_v2_access(
                    client,
                    id.as_ptr(),
                    secret.as_ptr(),
                    code.as_ptr(),
                    bad,
                    0,
                    &mut out,
                    ptr::null_mut(),
                ),
                Status::InvalidUtf8,
            ),
            (
                xoxe_oauth_v2_access(
                    client,
                    id.as_ptr(),
                    secret.as_ptr(),
                    code.as_ptr(),
                    ptr::null(),
                    0,
                    ptr::null_mut(),
                    ptr::null_mut(),
                ),
                Status::NullArgument,
            ),
            (
                xoxe_auth_revoke(client, bad, false, 0, ptr::null_mut(), ptr::null_mut()),
                Status::InvalidUtf8,
            ),
            (
                xoxe_pool_install(pool, ptr::null(), ptr::null_mut()),
                Status::NullArgument,
            ),
            (
                xoxe_pool_install_code(pool, bad, ptr::null(), ptr::null_mut(), ptr::null_mut()),
                Status::InvalidUtf8,
            ),
            (
                xoxe_pool_install_json(ptr::null(), raw.as_ptr(), ptr::null_mut(), ptr::null_mut()),
                Status::NullArgument,
            ),
            (
                xoxe_pool_install_json(pool, c("{}").as_ptr(), ptr::null_mut(), ptr::null_mut()),
                Status::InvalidArgument,
            ),
        ];
        for (i, (got, want)) in cases.into_iter().enumerate() {
            assert_eq!(got, want, "case {i}");
        }
        assert!(out.is_null(), "nothing written on failure");
        xoxe_pool_free(pool);
        xoxe_store_free(store);
        xoxe_client_free(client);
    }
}
