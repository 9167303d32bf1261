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

const WATCHED: usize = 2;
const SNAPSHOT: usize = 128;

/// Passes everything to the system allocator; for a watched pointer it keeps a copy
/// of the buffer's first bytes as they are when freed.
struct Watching;

static WATCH: [AtomicUsize; WATCHED] = [AtomicUsize::new(0), AtomicUsize::new(0)];
static FREED: [AtomicBool; WATCHED] = [AtomicBool::new(false), AtomicBool::new(false)];
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
        for watched in &WATCH[..WATCHED] {
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
