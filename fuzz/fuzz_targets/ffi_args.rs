//! The C ABI's argument conversion, driven directly from Rust: fuzz-chosen byte
//! strings (invalid UTF-8, empty, long, token-shaped) as NUL-terminated C strings,
//! NULL pointers chosen by fuzz bits, arbitrary numbers and buffer sizes, for
//! every function that needs no network — plus the network methods on a client
//! whose base URL is `http://127.0.0.1:9/` (nothing listens on the discard port,
//! so a call that gets past its argument checks fails fast with a refused
//! connection).
//!
//! What every call must honour (the conventions in src/ffi/mod.rs):
//! - out-parameters are written only on success, and then with a non-NULL handle;
//! - on failure an error handle is written to `error_out` (when not NULL) whose
//!   info has the returned status and a non-NULL UTF-8 message, and nothing is
//!   written to it on success;
//! - no error message or log line quotes a token-shaped secret it was given;
//! - caller buffers are written within `buf_len` (they are allocated at exactly
//!   that size, so AddressSanitizer catches an overflow) and not at all on failure;
//! - everything is freed (LeakSanitizer runs with AddressSanitizer).
//!
//! Files: file stores and CA bundles live only under one scratch directory (in
//! /dev/shm when it exists, so store fsyncs stay cheap), emptied each iteration;
//! the fuzzer chooses file names from a small alphabet, never paths.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr;
use std::sync::{Mutex, OnceLock};
use xoxe::ffi::*;
use xoxe::status::Status;

/// Where a call that passes its checks is sent: nothing listens there.
const REFUSED_BASE_URL: &CStr = c"http://127.0.0.1:9/";
/// Longest generated string (> XOXE_MAX_TOKEN_LEN and the credential limit).
const MAX_LONG: usize = 70_000;

/// A C string argument.
#[derive(Arbitrary, Debug)]
enum Text {
    Null,
    Empty,
    /// Raw bytes up to the first NUL (any bytes: invalid UTF-8 included).
    Bytes(Vec<u8>),
    /// Valid UTF-8 (may hold spaces, controls, non-ASCII).
    Utf8(String),
    /// A token-shaped string: a Slack prefix and printable ASCII.
    Token(u8, Vec<u8>),
    /// One byte repeated: long strings past every length limit.
    Long(u8, u16),
}

impl Text {
    fn bytes(&self) -> Option<Vec<u8>> {
        const PREFIXES: [&str; 8] = [
            "xoxe-1-", "xoxe.xoxp-1-", "xoxe.xoxb-1-", "xoxb-", "xoxp-", "xoxe-", "xapp-1-", "",
        ];
        let mut v = match self {
            Text::Null => return None,
            Text::Empty => Vec::new(),
            Text::Bytes(b) => b.clone(),
            Text::Utf8(s) => s.as_bytes().to_vec(),
            Text::Token(p, tail) => {
                let mut v = PREFIXES[*p as usize % PREFIXES.len()].as_bytes().to_vec();
                // Printable ASCII only, so the credential checks pass and the call goes on.
                v.extend(tail.iter().map(|b| b'!' + b % 94));
                v
            }
            Text::Long(b, n) => vec![(*b).max(1); (*n as usize * 2).min(MAX_LONG)],
        };
        if let Some(nul) = v.iter().position(|&b| b == 0) {
            v.truncate(nul);
        }
        Some(v)
    }
}

/// A C string kept alive for the duration of a call.
struct CArg(Option<CString>);

impl CArg {
    fn new(t: &Text) -> CArg {
        CArg(t.bytes().map(|b| CString::new(b).expect("NULs removed")))
    }
    fn from_cstr(s: &CStr) -> CArg {
        CArg(Some(s.to_owned()))
    }
    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(ptr::null(), |c| c.as_ptr())
    }
    /// The argument as a secret worth checking for in messages: long and token-shaped
    /// (starts with `xox`, so no ordinary message word or path can match it).
    fn secret(&self) -> Option<String> {
        let s = self.0.as_ref()?.to_str().ok()?;
        (s.len() >= 20 && s.starts_with("xox")).then(|| s.to_string())
    }
}

/// A file path argument: always inside the scratch directory, or not a path at all.
#[derive(Arbitrary, Debug)]
enum PathArg {
    Null,
    Empty,
    /// Not valid UTF-8 (rejected before any file is touched).
    InvalidUtf8(Vec<u8>),
    /// A file in the scratch directory, named from a small alphabet.
    Name(Vec<u8>),
    /// A file under a directory that does not exist.
    Missing(Vec<u8>),
    /// A directory (not a file) in the scratch directory.
    Dir,
}

impl PathArg {
    fn to_arg(&self) -> CArg {
        let name = |b: &[u8]| -> String {
            let s: String = b.iter().take(8).map(|x| (b'a' + x % 4) as char).collect();
            if s.is_empty() { "a".into() } else { s }
        };
        let dir = scratch();
        let p = match self {
            PathArg::Null => return CArg(None),
            PathArg::Empty => String::new(),
            PathArg::InvalidUtf8(b) => {
                let mut v: Vec<u8> = b.iter().copied().filter(|&x| x != 0).take(64).collect();
                v.push(0xff); // never valid UTF-8
                return CArg(Some(CString::new(v).expect("no NUL")));
            }
            PathArg::Name(b) => format!("{}/{}", dir.display(), name(b)),
            PathArg::Missing(b) => format!("{}/missing/{}", dir.display(), name(b)),
            // A directory inside the scratch one, so `<path>.lock` lands inside too.
            PathArg::Dir => format!("{}/dir", dir.display()),
        };
        CArg(Some(CString::new(p).expect("no NUL")))
    }
}

#[derive(Arbitrary, Debug)]
struct Ptrs {
    null_out: bool,
    null_err: bool,
}

#[derive(Arbitrary, Debug)]
enum OptionsOp {
    BaseUrl(Text, Ptrs),
    Preset(u32, Ptrs),
    Timeouts(u32, u32, Ptrs),
    RatelimitRetries(u32, u32, Ptrs),
    /// A CA bundle path; with `Some`, those bytes are written there first (PEM or not).
    CaBundle(PathArg, Option<Vec<u8>>, Ptrs),
    MaxResponseBytes(u64, Ptrs),
    /// A setter called with NULL options.
    NullOptions(u8, Ptrs),
}

#[derive(Arbitrary, Debug)]
struct InitArgs {
    kind: u32,
    refresh_token: Text,
    access_token: Text,
    expires_at: i64,
    overwrite: bool,
    null_store: bool,
    null_err: bool,
}

#[derive(Arbitrary, Debug)]
enum RotatorCall {
    Current,
    Get,
    ForceRotate,
}

#[derive(Arbitrary, Debug)]
struct RotatorArgs {
    oauth: Option<(Text, Text)>,
    options: Option<(u32, u32, u32, u32)>,
    calls: Vec<(RotatorCall, u16, bool, bool, bool)>, // call, buf_len, null_buf, null_expiry, null_err
    ptrs: Ptrs,
    null_client: bool,
    null_store: bool,
}

#[derive(Arbitrary, Debug)]
enum Op {
    StatusName(u32),
    Redact(Text, u16, bool),
    /// A client from the options built so far (no call is made on it).
    NewClient { null_options: bool, ptrs: Ptrs },
    MemoryStore { ptrs: Ptrs, inits: Vec<InitArgs>, rotator: Option<RotatorArgs> },
    FileStore { path: PathArg, lock_timeout_ms: u16, ptrs: Ptrs, inits: Vec<InitArgs>, rotator: Option<RotatorArgs> },
    Rotate { refresh_token: Text, timeout_ms: u16, null_client: bool, ptrs: Ptrs },
    Exchange { client_id: Text, client_secret: Text, token: Text, timeout_ms: u16, null_client: bool, ptrs: Ptrs },
    Refresh { client_id: Text, client_secret: Text, refresh_token: Text, timeout_ms: u16, null_client: bool, ptrs: Ptrs },
    AuthTest { token: Text, timeout_ms: u16, null_client: bool, ptrs: Ptrs },
    Call { method: Text, token: Text, params: Vec<(Text, Text)>, extra_len: u8, null_arrays: (bool, bool), null_client: bool, ptrs: Ptrs },
}

#[derive(Arbitrary, Debug)]
struct Input {
    null_options_out: bool,
    options: Vec<OptionsOp>,
    ops: Vec<Op>,
}

// ---------------------------------------------------------------- scaffolding

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // No "xox" in the name: messages may quote paths, and secrets are xox-shaped.
        let dir = base.join(format!("fuzz-ffi-args-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("dir")).expect("scratch directory");
        dir
    })
}

fn empty_scratch() {
    if let Ok(entries) = std::fs::read_dir(scratch()) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Log lines xoxe emitted during the current op.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn logger(_user: *mut c_void, _level: u32, message: *const c_char) {
    assert!(!message.is_null(), "log callback got a NULL message");
    let text = CStr::from_ptr(message).to_str().expect("log message is UTF-8").to_string();
    LOG.lock().unwrap().push(text);
}

fn install_logger() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| unsafe {
        let st = xoxe_set_logger(Some(logger), ptr::null_mut(), 4, ptr::null_mut());
        assert_eq!(st, Status::Ok);
    });
}

/// A pointer no call may write (checked after failure), distinct from NULL.
fn sentinel<T>() -> *mut T {
    0x5eed_0000usize as *mut T
}

/// An out-parameter slot and an error slot, or NULLs, as the fuzzer chose.
struct Slots<T> {
    out: *mut T,
    err: *mut xoxe_error,
    ptrs_null_out: bool,
    ptrs_null_err: bool,
}

impl<T> Slots<T> {
    fn new(p: &Ptrs) -> Slots<T> {
        Slots { out: sentinel(), err: sentinel(), ptrs_null_out: p.null_out, ptrs_null_err: p.null_err }
    }
    fn out_ptr(&mut self) -> *mut *mut T {
        if self.ptrs_null_out { ptr::null_mut() } else { &mut self.out }
    }
    fn err_ptr(&mut self) -> *mut *mut xoxe_error {
        if self.ptrs_null_err { ptr::null_mut() } else { &mut self.err }
    }
    /// Checks the outcome of a call; returns the new handle on success.
    unsafe fn finish(self, st: Status, what: &str, secrets: &[String]) -> Option<*mut T> {
        check_error(st, self.err, self.ptrs_null_err, what, secrets);
        if st == Status::Ok {
            assert!(!self.ptrs_null_out, "{what}: OK with a NULL out-parameter");
            assert!(!self.out.is_null() && self.out != sentinel(), "{what}: OK but out not written");
            Some(self.out)
        } else {
            assert!(self.out == sentinel(), "{what}: out-parameter written on failure ({st:?})");
            None
        }
    }
}

/// The error slot after a call: untouched on success; on failure (when a slot was
/// given) a handle whose info agrees with the status, is freed here.
unsafe fn check_error(st: Status, err: *mut xoxe_error, null_err: bool, what: &str, secrets: &[String]) {
    if st == Status::Ok {
        assert!(null_err || err == sentinel(), "{what}: error_out written on success");
    } else if !null_err {
        assert!(!err.is_null() && err != sentinel(), "{what}: failed ({st:?}) without an error handle");
        let info = xoxe_error_get_info(err);
        assert!(!info.is_null(), "{what}: error info is NULL");
        let info = &*info;
        assert_eq!(info.status, st, "{what}: error info status differs from the returned one");
        assert!(!info.message.is_null(), "{what}: error message is NULL");
        let msg = CStr::from_ptr(info.message).to_str().expect("error message is UTF-8");
        assert!(!msg.is_empty(), "{what}: error message is empty");
        for s in secrets {
            assert!(!msg.contains(s.as_str()), "{what}: error message quotes a secret argument: {msg}");
        }
        assert!(info.warnings_len == 0 || !info.warnings.is_null());
        xoxe_error_free(err);
    }
    check_logs(what, secrets);
}

fn check_logs(what: &str, secrets: &[String]) {
    let lines = std::mem::take(&mut *LOG.lock().unwrap());
    for line in &lines {
        for s in secrets {
            assert!(!line.contains(s.as_str()), "{what}: a log line quotes a secret argument: {line}");
        }
    }
}

fn secrets(args: &[&CArg]) -> Vec<String> {
    args.iter().filter_map(|a| a.secret()).collect()
}

/// A heap buffer of exactly `len` bytes (ASan sees any write past it), pre-filled.
struct Buf(Vec<u8>);

const FILL: u8 = 0xA5;

impl Buf {
    fn new(len: usize) -> Buf {
        let mut v = Vec::with_capacity(len);
        v.resize(len, FILL);
        v.shrink_to_fit();
        Buf(v)
    }
    fn ptr(&mut self, null: bool) -> *mut c_char {
        if null { ptr::null_mut() } else { self.0.as_mut_ptr().cast() }
    }
    fn untouched(&self) -> bool {
        self.0.iter().all(|&b| b == FILL)
    }
    fn c_str_len(&self) -> Option<usize> {
        self.0.iter().position(|&b| b == 0)
    }
}

// ---------------------------------------------------------------- the calls

unsafe fn options_op(options: *mut xoxe_client_options, op: &OptionsOp) {
    let (st, what, ptrs) = match op {
        OptionsOp::BaseUrl(t, p) => {
            let mut s = Slots::<()>::new(p);
            let a = CArg::new(t);
            let st = xoxe_client_options_set_base_url(options, a.ptr(), s.err_ptr());
            (st, "set_base_url", s)
        }
        OptionsOp::Preset(n, p) => {
            let mut s = Slots::<()>::new(p);
            (xoxe_client_options_set_preset(options, *n, s.err_ptr()), "set_preset", s)
        }
        OptionsOp::Timeouts(a, b, p) => {
            let mut s = Slots::<()>::new(p);
            (xoxe_client_options_set_timeouts(options, *a, *b, s.err_ptr()), "set_timeouts", s)
        }
        OptionsOp::RatelimitRetries(a, b, p) => {
            let mut s = Slots::<()>::new(p);
            (xoxe_client_options_set_ratelimit_retries(options, *a, *b, s.err_ptr()), "set_ratelimit_retries", s)
        }
        OptionsOp::CaBundle(path, contents, p) => {
            let mut s = Slots::<()>::new(p);
            let a = path.to_arg();
            if let (Some(bytes), PathArg::Name(_)) = (contents, path) {
                let _ = std::fs::write(a.0.as_ref().unwrap().to_str().unwrap(), bytes);
            }
            (xoxe_client_options_set_ca_bundle(options, a.ptr(), s.err_ptr()), "set_ca_bundle", s)
        }
        OptionsOp::MaxResponseBytes(n, p) => {
            let mut s = Slots::<()>::new(p);
            (xoxe_client_options_set_max_response_bytes(options, *n, s.err_ptr()), "set_max_response_bytes", s)
        }
        OptionsOp::NullOptions(which, p) => {
            let mut s = Slots::<()>::new(p);
            let n = ptr::null_mut();
            let url = CArg::from_cstr(REFUSED_BASE_URL);
            let st = match which % 6 {
                0 => xoxe_client_options_set_base_url(n, url.ptr(), s.err_ptr()),
                1 => xoxe_client_options_set_preset(n, 0, s.err_ptr()),
                2 => xoxe_client_options_set_timeouts(n, 1, 1, s.err_ptr()),
                3 => xoxe_client_options_set_ratelimit_retries(n, 1, 1, s.err_ptr()),
                4 => xoxe_client_options_set_ca_bundle(n, url.ptr(), s.err_ptr()),
                _ => xoxe_client_options_set_max_response_bytes(n, 1, s.err_ptr()),
            };
            assert_eq!(st, Status::NullArgument, "a setter accepted NULL options");
            (st, "setter(NULL)", s)
        }
    };
    check_error(st, ptrs.err, ptrs.ptrs_null_err, what, &[]);
}

/// A client for `options`, or NULL when it cannot be built.
unsafe fn new_client(options: *const xoxe_client_options, ptrs: &Ptrs, what: &str) -> *mut xoxe_client {
    let mut s = Slots::<xoxe_client>::new(ptrs);
    let st = xoxe_client_new(options, s.out_ptr(), s.err_ptr());
    if ptrs.null_out {
        assert_eq!(st, Status::NullArgument, "{what}: xoxe_client_new accepted a NULL out");
    }
    match s.finish(st, what, &[]) {
        Some(c) => {
            let url = xoxe_client_base_url(c);
            assert!(!url.is_null());
            let url = CStr::from_ptr(url).to_str().expect("base URL is UTF-8");
            assert!(url.ends_with('/'), "base URL does not end in /");
            c
        }
        None => ptr::null_mut(),
    }
}

unsafe fn refused_client() -> *const xoxe_client {
    static CLIENT: OnceLock<usize> = OnceLock::new();
    *CLIENT.get_or_init(|| make_refused_client() as usize) as *const xoxe_client
}

unsafe fn make_refused_client() -> *mut xoxe_client {
    let mut o: *mut xoxe_client_options = ptr::null_mut();
    assert_eq!(xoxe_client_options_new(&mut o, ptr::null_mut()), Status::Ok);
    let url = CArg::from_cstr(REFUSED_BASE_URL);
    assert_eq!(xoxe_client_options_set_base_url(o, url.ptr(), ptr::null_mut()), Status::Ok);
    assert_eq!(xoxe_client_options_set_timeouts(o, 1000, 1000, ptr::null_mut()), Status::Ok);
    let c = new_client(o, &Ptrs { null_out: false, null_err: false }, "xoxe_client_new(refused)");
    xoxe_client_options_free(o);
    assert!(!c.is_null());
    c
}

unsafe fn store_init(store: *const xoxe_store, a: &InitArgs) {
    let refresh = CArg::new(&a.refresh_token);
    let access = CArg::new(&a.access_token);
    let mut s = Slots::<()>::new(&Ptrs { null_out: false, null_err: a.null_err });
    let st = xoxe_store_init(
        if a.null_store { ptr::null() } else { store },
        a.kind % 4, // 0 and 1 are kinds; 2 and 3 are not
        refresh.ptr(),
        access.ptr(),
        a.expires_at,
        a.overwrite,
        s.err_ptr(),
    );
    // Checked in order: the store, the kind, then the strings.
    if a.null_store || store.is_null() || (a.kind % 4 < 2 && refresh.0.is_none()) {
        assert_eq!(st, Status::NullArgument);
    }
    check_error(st, s.err, a.null_err, "xoxe_store_init", &secrets(&[&refresh, &access]));
}

unsafe fn rotator_ops(client: *const xoxe_client, store: *const xoxe_store, r: &RotatorArgs) {
    let opts = r.options.map(|(a, b, c, d)| xoxe_rotator_options {
        refresh_window_secs: a,
        jitter_secs: b % 3600,
        // Keep waits short: a single thread never waits for itself, but be safe.
        wait_timeout_ms: c % 2000,
        call_timeout_ms: d % 2000,
    });
    let opts_ptr = opts.as_ref().map_or(ptr::null(), |o| o as *const _);
    let client = if r.null_client { ptr::null() } else { client };
    let store = if r.null_store { ptr::null() } else { store };
    let mut s = Slots::<xoxe_rotator>::new(&r.ptrs);
    let (st, sec) = match &r.oauth {
        None => (xoxe_rotator_new_config(client, store, opts_ptr, s.out_ptr(), s.err_ptr()), vec![]),
        Some((id, secret)) => {
            let id = CArg::new(id);
            let secret = CArg::new(secret);
            let st = xoxe_rotator_new_oauth(client, store, id.ptr(), secret.ptr(), opts_ptr, s.out_ptr(), s.err_ptr());
            (st, secrets(&[&secret]))
        }
    };
    let Some(rotator) = s.finish(st, "xoxe_rotator_new", &sec) else { return };
    for (call, buf_len, null_buf, null_expiry, null_err) in r.calls.iter().take(4) {
        let len = *buf_len as usize;
        let mut buf = Buf::new(len);
        let mut expiry: i64 = 0x5eed;
        let expiry_ptr: *mut i64 = if *null_expiry { ptr::null_mut() } else { &mut expiry };
        let mut err: *mut xoxe_error = sentinel();
        let err_ptr: *mut *mut xoxe_error = if *null_err { ptr::null_mut() } else { &mut err };
        let bp = buf.ptr(*null_buf);
        let (st, what) = match call {
            RotatorCall::Current => (xoxe_rotator_current(rotator, bp, len, expiry_ptr, err_ptr), "xoxe_rotator_current"),
            RotatorCall::Get => (xoxe_rotator_get(rotator, bp, len, expiry_ptr, err_ptr), "xoxe_rotator_get"),
            RotatorCall::ForceRotate => {
                (xoxe_rotator_force_rotate(rotator, bp, len, expiry_ptr, err_ptr), "xoxe_rotator_force_rotate")
            }
        };
        if *null_buf {
            assert_ne!(st, Status::Ok, "{what}: OK with a NULL buffer");
        }
        if st == Status::Ok {
            let n = buf.c_str_len().expect("token not NUL-terminated within buf_len");
            std::str::from_utf8(&buf.0[..n]).expect("token is UTF-8");
        } else {
            assert!(buf.untouched(), "{what}: buffer written on failure ({st:?})");
            assert_eq!(expiry, 0x5eed, "{what}: expiry written on failure");
        }
        check_error(st, err, *null_err, what, &[]);
    }
    xoxe_rotator_free(rotator);
}

unsafe fn store_ops(store: *mut xoxe_store, inits: &[InitArgs], rotator: &Option<RotatorArgs>, client: *const xoxe_client) {
    for a in inits.iter().take(4) {
        store_init(store, a);
    }
    if let Some(r) = rotator {
        rotator_ops(client, store, r);
    }
    xoxe_store_free(store);
}

unsafe fn op(op: &Op, options: *mut xoxe_client_options, refused: *const xoxe_client) {
    // NULL instead of the refused-port client, when chosen; a call then never leaves.
    let pick = |null: bool| if null { ptr::null() } else { refused };
    match op {
        Op::StatusName(n) => {
            let name = xoxe_status_name(*n);
            assert!(!name.is_null());
            let name = CStr::from_ptr(name).to_str().unwrap();
            let family = xoxe_status_family_of(*n);
            match Status::from_u32(*n) {
                Some(s) => {
                    assert_eq!(name, s.name());
                    assert_eq!(family, s.family());
                }
                None => {
                    assert_eq!(name, "unknown_status");
                    assert_eq!(family, xoxe::status::StatusFamily::Internal);
                }
            }
        }
        Op::Redact(t, buf_len, null_buf) => {
            let a = CArg::new(t);
            let len = *buf_len as usize;
            let need = xoxe_redact(a.ptr(), ptr::null_mut(), 0);
            let mut buf = Buf::new(len);
            let got = xoxe_redact(a.ptr(), buf.ptr(*null_buf), len);
            assert_eq!(got, need, "xoxe_redact's length depends on the buffer");
            if *null_buf || len == 0 {
                assert!(buf.untouched());
            } else {
                let n = buf.c_str_len().expect("redaction not NUL-terminated within buf_len");
                assert!(n <= need && n < len);
                let written = std::str::from_utf8(&buf.0[..n]).expect("redaction split a character");
                let full = a.0.as_ref().and_then(|c| c.to_str().ok()).map(xoxe::redact).unwrap_or_default();
                assert_eq!(full.len(), need);
                assert!(full.starts_with(written));
                if let Some(secret) = a.secret() {
                    assert!(!full.contains(&secret), "redaction kept the whole token");
                }
            }
        }
        Op::NewClient { null_options, ptrs } => {
            let o = if *null_options { ptr::null() } else { options as *const _ };
            let c = new_client(o, ptrs, "xoxe_client_new");
            xoxe_client_free(c);
        }
        Op::MemoryStore { ptrs, inits, rotator } => {
            let mut s = Slots::<xoxe_store>::new(ptrs);
            let st = xoxe_store_memory_new(s.out_ptr(), s.err_ptr());
            if let Some(store) = s.finish(st, "xoxe_store_memory_new", &[]) {
                store_ops(store, inits, rotator, refused);
            }
        }
        Op::FileStore { path, lock_timeout_ms, ptrs, inits, rotator } => {
            let p = path.to_arg();
            let mut s = Slots::<xoxe_store>::new(ptrs);
            // A short lock timeout: nobody else holds these locks.
            let st = xoxe_store_file_new(p.ptr(), (*lock_timeout_ms as u32 % 500) + 1, s.out_ptr(), s.err_ptr());
            if let Some(store) = s.finish(st, "xoxe_store_file_new", &[]) {
                store_ops(store, inits, rotator, refused);
            }
        }
        Op::Rotate { refresh_token, timeout_ms, null_client, ptrs } => {
            let t = CArg::new(refresh_token);
            let mut s = Slots::<xoxe_config_token>::new(ptrs);
            let st = xoxe_tooling_tokens_rotate(pick(*null_client), t.ptr(), *timeout_ms as u32, s.out_ptr(), s.err_ptr());
            if let Some(h) = s.finish(st, "xoxe_tooling_tokens_rotate", &secrets(&[&t])) {
                panic!("rotate succeeded against a closed port: {:?}", xoxe_config_token_get_info(h));
            }
        }
        Op::Exchange { client_id, client_secret, token, timeout_ms, null_client, ptrs } => {
            let (id, sec, tok) = (CArg::new(client_id), CArg::new(client_secret), CArg::new(token));
            let mut s = Slots::<xoxe_oauth_token>::new(ptrs);
            let st = xoxe_oauth_v2_exchange(
                pick(*null_client), id.ptr(), sec.ptr(), tok.ptr(), *timeout_ms as u32, s.out_ptr(), s.err_ptr(),
            );
            if s.finish(st, "xoxe_oauth_v2_exchange", &secrets(&[&sec, &tok])).is_some() {
                panic!("exchange succeeded against a closed port");
            }
        }
        Op::Refresh { client_id, client_secret, refresh_token, timeout_ms, null_client, ptrs } => {
            let (id, sec, tok) = (CArg::new(client_id), CArg::new(client_secret), CArg::new(refresh_token));
            let mut s = Slots::<xoxe_oauth_token>::new(ptrs);
            let st = xoxe_oauth_v2_refresh(
                pick(*null_client), id.ptr(), sec.ptr(), tok.ptr(), *timeout_ms as u32, s.out_ptr(), s.err_ptr(),
            );
            if s.finish(st, "xoxe_oauth_v2_refresh", &secrets(&[&sec, &tok])).is_some() {
                panic!("refresh succeeded against a closed port");
            }
        }
        Op::AuthTest { token, timeout_ms, null_client, ptrs } => {
            let t = CArg::new(token);
            let mut s = Slots::<xoxe_auth_identity>::new(ptrs);
            let st = xoxe_auth_test(pick(*null_client), t.ptr(), *timeout_ms as u32, s.out_ptr(), s.err_ptr());
            if s.finish(st, "xoxe_auth_test", &secrets(&[&t])).is_some() {
                panic!("auth.test succeeded against a closed port");
            }
        }
        Op::Call { method, token, params, extra_len, null_arrays, null_client, ptrs } => {
            let m = CArg::new(method);
            let t = CArg::new(token);
            let names: Vec<CArg> = params.iter().take(16).map(|(n, _)| CArg::new(n)).collect();
            let values: Vec<CArg> = params.iter().take(16).map(|(_, v)| CArg::new(v)).collect();
            let name_ptrs: Vec<*const c_char> = names.iter().map(CArg::ptr).collect();
            let value_ptrs: Vec<*const c_char> = values.iter().map(CArg::ptr).collect();
            // params_len may only exceed the arrays when they are NULL (or when it
            // is larger than the 10000 limit, which is checked before any read).
            let mut len = name_ptrs.len();
            let np = if null_arrays.0 { ptr::null() } else { name_ptrs.as_ptr() };
            let vp = if null_arrays.1 { ptr::null() } else { value_ptrs.as_ptr() };
            if np.is_null() || vp.is_null() {
                len += *extra_len as usize;
            } else if *extra_len == 255 {
                len = 10_001 + len;
            }
            let mut s = Slots::<xoxe_api_response>::new(ptrs);
            let st = xoxe_call(pick(*null_client), m.ptr(), t.ptr(), np, vp, len, 1000, s.out_ptr(), s.err_ptr());
            // The method name is quoted in errors (it is no secret): a token equal to
            // it would be a false alarm.
            let mut sec = secrets(&[&t]);
            sec.extend(values.iter().filter_map(CArg::secret));
            let quoted: Vec<String> = std::iter::once(&m).chain(names.iter()).filter_map(|a| a.0.as_ref()).map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned()).collect();
            sec.retain(|s| !quoted.iter().any(|q| q.contains(s.as_str())));
            if s.finish(st, "xoxe_call", &sec).is_some() {
                panic!("call succeeded against a closed port");
            }
        }
    }
}

fuzz_target!(|input: Input| {
    install_logger();
    empty_scratch();
    unsafe {
        // Options: constructed (or refused a NULL out), then every setter as chosen.
        let mut s = Slots::<xoxe_client_options>::new(&Ptrs { null_out: input.null_options_out, null_err: false });
        let st = xoxe_client_options_new(s.out_ptr(), s.err_ptr());
        let options = s.finish(st, "xoxe_client_options_new", &[]).unwrap_or(ptr::null_mut());
        if !options.is_null() {
            for o in input.options.iter().take(16) {
                options_op(options, o);
            }
        }

        // The client every network call uses: its own options, always the refused
        // loopback port and short timeouts, so nothing ever leaves this machine
        // (`NewClient` ops build clients from the fuzzer's options instead). Built
        // once: a client loads the root certificates, which is slow per iteration.
        let refused = refused_client();
        for o in input.ops.iter().take(16) {
            op(o, options, refused);
        }
        xoxe_client_options_free(options);
    }
    empty_scratch();
});
