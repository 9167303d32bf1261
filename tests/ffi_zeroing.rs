//! "Secrets are zeroed on free": the strings of a C result handle are wiped before
//! their memory goes back to the allocator. This test binary's allocator looks at
//! each watched buffer at the moment it is freed.

mod common;

use common::server;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use xoxe::ffi::*;
use xoxe::Status;

/// Watch slots: 0-1 for the config token test, 2-7 for the install test (the two
/// tests may run at once).
const WATCHED: usize = 8;
const SNAPSHOT: usize = 128;

/// Passes everything to the system allocator; for a watched pointer it keeps a copy
/// of the buffer's first bytes as they are when freed.
struct Watching;

static WATCH: [AtomicUsize; WATCHED] = [const { AtomicUsize::new(0) }; WATCHED];
static FREED: [AtomicBool; WATCHED] = [const { AtomicBool::new(false) }; WATCHED];
static SNAPSHOTS: Mutex<[[u8; SNAPSHOT]; WATCHED]> = Mutex::new([[0xAA; SNAPSHOT]; WATCHED]);

unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        for i in 0..WATCHED {
            if p as usize != 0 && WATCH[i].load(Ordering::SeqCst) == p as usize {
                let n = layout.size().min(SNAPSHOT);
                let mut snaps = SNAPSHOTS.lock().unwrap_or_else(|e| e.into_inner());
                ptr::copy_nonoverlapping(p, snaps[i].as_mut_ptr(), n);
                snaps[i][n..].fill(0);
                FREED[i].store(true, Ordering::SeqCst);
            }
        }
        System.dealloc(p, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

#[test]
fn a_config_tokens_strings_are_zeroed_when_it_is_freed() {
    let slack = server();
    let seed = slack.new_config_token(None);
    unsafe {
        let mut options = ptr::null_mut();
        assert_eq!(xoxe_client_options_new(&mut options, ptr::null_mut()), Status::Ok);
        let url = CString::new(slack.base_url()).unwrap();
        assert_eq!(
            xoxe_client_options_set_base_url(options, url.as_ptr(), ptr::null_mut()),
            Status::Ok
        );
        let mut client = ptr::null_mut();
        assert_eq!(xoxe_client_new(options, &mut client, ptr::null_mut()), Status::Ok);
        xoxe_client_options_free(options);

        let refresh = CString::new(seed.refresh_token).unwrap();
        let mut token = ptr::null_mut();
        let status = xoxe_tooling_tokens_rotate(client, refresh.as_ptr(), 0, &mut token, ptr::null_mut());
        assert_eq!(status, Status::Ok);
        let info = &*xoxe_config_token_get_info(token);
        let strings = [info.token, info.refresh_token];
        let lengths = strings.map(|s| CStr::from_ptr(s).to_bytes().len());
        assert!(lengths.iter().all(|&n| n > 20 && n < SNAPSHOT));
        for (i, s) in strings.iter().enumerate() {
            WATCH[i].store(*s as usize, Ordering::SeqCst);
        }
        xoxe_config_token_free(token);
        for watched in &WATCH[..2] {
            watched.store(0, Ordering::SeqCst);
        }
        xoxe_client_free(client);

        let snaps = SNAPSHOTS.lock().unwrap();
        for (i, what) in ["access token", "refresh token"].iter().enumerate() {
            assert!(
                FREED[i].load(Ordering::SeqCst),
                "the {what}'s buffer was freed by xoxe_config_token_free"
            );
            assert!(
                snaps[i][..=lengths[i]].iter().all(|&b| b == 0),
                "the {what}'s bytes were not zeroed before free"
            );
        }
    }
}

#[test]
fn an_installs_secrets_are_zeroed_when_it_is_freed() {
    let slack = server();
    let code = slack
        .mint_code(&fake_slack::CodeSpec {
            incoming_webhook: true,
            ..Default::default()
        })
        .unwrap();
    let app = slack.seeds().app.clone();
    unsafe {
        let mut options = ptr::null_mut();
        assert_eq!(xoxe_client_options_new(&mut options, ptr::null_mut()), Status::Ok);
        let url = CString::new(slack.base_url()).unwrap();
        assert_eq!(
            xoxe_client_options_set_base_url(options, url.as_ptr(), ptr::null_mut()),
            Status::Ok
        );
        let mut client = ptr::null_mut();
        assert_eq!(xoxe_client_new(options, &mut client, ptr::null_mut()), Status::Ok);
        xoxe_client_options_free(options);

        let (id, secret, code) = (
            CString::new(app.client_id).unwrap(),
            CString::new(app.client_secret).unwrap(),
            CString::new(code).unwrap(),
        );
        let mut install = ptr::null_mut();
        let status = xoxe_oauth_v2_access(
            client,
            id.as_ptr(),
            secret.as_ptr(),
            code.as_ptr(),
            ptr::null(),
            0,
            &mut install,
            ptr::null_mut(),
        );
        assert_eq!(status, Status::Ok);
        let info = &*xoxe_install_get_info(install);
        let strings = [
            ("bot access token", info.bot_access_token),
            ("bot refresh token", info.bot_refresh_token),
            ("user access token", info.user_access_token),
            ("user refresh token", info.user_refresh_token),
            ("webhook URL", info.webhook_url),
            ("raw JSON", info.raw_json),
        ];
        // The bytes a snapshot can show: the string and its NUL, at most SNAPSHOT.
        let shown = strings.map(|(_, s)| (CStr::from_ptr(s).to_bytes().len() + 1).min(SNAPSHOT));
        assert!(shown.iter().all(|&n| n > 20));
        for (i, (_, s)) in strings.iter().enumerate() {
            WATCH[2 + i].store(*s as usize, Ordering::SeqCst);
        }
        xoxe_install_free(install);
        for watched in &WATCH[2..] {
            watched.store(0, Ordering::SeqCst);
        }
        xoxe_client_free(client);

        let snaps = SNAPSHOTS.lock().unwrap();
        for (i, (what, _)) in strings.iter().enumerate() {
            assert!(
                FREED[2 + i].load(Ordering::SeqCst),
                "the {what}'s buffer was freed by xoxe_install_free"
            );
            assert!(
                snaps[2 + i][..shown[i]].iter().all(|&b| b == 0),
                "the {what}'s bytes were not zeroed before free"
            );
        }
    }
}
