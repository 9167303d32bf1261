//! Promises only the system calls can show, checked under `strace` on a worker
//! process (this test binary re-run with `--ignored --exact syscall_worker`):
//! the file store's durable, atomic save, and no thread per request.

mod common;

use common::server;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use xoxe::{ChainKind, Client, ClientOptions, FileStore, Rotator, RotatorOptions, Secret, StoredPair};

/// The worker process (run by the tests below under strace, not on its own).
#[test]
#[ignore = "worker process for the strace tests; they start it"]
fn syscall_worker() {
    let mode = std::env::var("XOXE_SYSCALL_MODE").expect("run by the strace tests");
    let client = Arc::new(
        Client::new(ClientOptions {
            base_url: std::env::var("XOXE_SYSCALL_BASE_URL").unwrap(),
            timeout: Duration::from_secs(30),
            ..ClientOptions::default()
        })
        .unwrap(),
    );
    let token = std::env::var("XOXE_SYSCALL_TOKEN").unwrap();
    match mode.as_str() {
        "rotate" => {
            let store = FileStore::new(std::env::var("XOXE_SYSCALL_STORE").unwrap(), Duration::from_secs(60)).unwrap();
            let rotator = Rotator::config(client, Arc::new(store), RotatorOptions::default());
            rotator.get().unwrap();
        }
        "calls" => {
            for _ in 0..100 {
                client.auth_test(&token, None).unwrap();
            }
        }
        "rotations" => {
            // A chain of real rotations: a POST with a body each time.
            let mut refresh = Secret::new(token);
            for _ in 0..ROTATIONS {
                refresh = client
                    .tooling_tokens_rotate(refresh.expose(), None)
                    .unwrap()
                    .refresh_token;
            }
        }
        other => panic!("unknown mode {other}"),
    }
}

/// Rotations the "rotations" worker makes, one after another on one client.
const ROTATIONS: usize = 100;

/// Runs the worker under `strace -f -y` for `syscalls`; returns the trace lines.
fn trace(mode: &str, syscalls: &str, env: &[(&str, &str)], dir: &Path) -> Vec<String> {
    let out = dir.join("strace.txt");
    let status = Command::new("strace")
        .args(["-f", "-y", "-qq", "-s", "0", "-e"])
        .arg(format!("trace={syscalls}"))
        .arg("-o")
        .arg(&out)
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "syscall_worker", "--test-threads=1", "-q"])
        .env("XOXE_SYSCALL_MODE", mode)
        .stdout(std::process::Stdio::null())
        .envs(env.iter().copied())
        .status()
        .expect("strace is needed for these tests (scripts/ensure-deps.sh installs it)");
    assert!(status.success(), "the worker failed under strace");
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xoxe-sys-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Private whatever the umask: the file store refuses a directory others may write.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .unwrap();
    dir
}

/// The index of the first line after `from` that contains every one of `parts`.
fn find(lines: &[String], from: usize, parts: &[&str], what: &str) -> usize {
    lines[from..]
        .iter()
        .position(|l| parts.iter().all(|p| l.contains(p)))
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("no {what} after line {from} of the trace:\n{}", lines.join("\n")))
}

#[test]
fn a_rotated_pair_is_written_to_a_temp_file_fsynced_renamed_and_the_directory_fsynced() {
    let slack = server();
    let dir = temp_dir("durable");
    let store_path = dir.join("pair.json");
    let seed = StoredPair::seed(
        ChainKind::Config,
        Secret::new(slack.new_config_token(None).refresh_token),
        None,
        0,
    );
    xoxe::store::init(
        &FileStore::new(&store_path, Duration::from_secs(60)).unwrap(),
        seed,
        false,
    )
    .unwrap();
    let lines = trace(
        "rotate",
        "openat,write,fsync,fdatasync,rename,renameat,renameat2",
        &[
            ("XOXE_SYSCALL_BASE_URL", &slack.base_url()),
            ("XOXE_SYSCALL_STORE", store_path.to_str().unwrap()),
            ("XOXE_SYSCALL_TOKEN", ""),
        ],
        &dir,
    );
    assert_eq!(slack.stats().rotations, 1);
    let dir_s = dir.to_str().unwrap();
    let store_s = store_path.to_str().unwrap();
    let temp = format!("{dir_s}/.xoxe-store-");
    // The store file itself is never opened for writing: it is only ever replaced.
    for l in lines
        .iter()
        .filter(|l| l.contains("openat(") && l.contains(&format!("\"{store_s}\"")))
    {
        assert!(
            !l.contains("O_WRONLY") && !l.contains("O_RDWR") && !l.contains("O_TRUNC"),
            "{l}"
        );
    }
    let created = find(
        &lines,
        0,
        &["openat(", &temp, "O_CREAT"],
        "temp file created in the store's directory",
    );
    let written = find(&lines, created, &["write(", &temp], "write to the temp file");
    let synced = find(&lines, written, &["fsync(", &temp], "fsync of the temp file");
    let renamed = find(
        &lines,
        synced,
        &["rename", &temp, &format!("\"{store_s}\"")],
        "rename onto the store",
    );
    find(
        &lines,
        renamed,
        &["fsync(", &format!("<{dir_s}>")],
        "fsync of the directory after the rename",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pooled_calls_start_no_thread_per_request() {
    let slack = server();
    pooled_calls_start_no_thread(&slack, &slack.base_url(), "threads-ip");
}

/// By host name: ureq's resolver starts a thread per lookup (with a timeout set),
/// so the client reuses a lookup for a while instead of resolving every call.
#[test]
fn pooled_calls_by_host_name_resolve_once() {
    let slack = server();
    let by_name = slack.base_url().replace("127.0.0.1", "localhost");
    pooled_calls_start_no_thread(&slack, &by_name, "threads-name");
}

fn pooled_calls_start_no_thread(slack: &fake_slack::FakeSlack, base_url: &str, name: &str) {
    let dir = temp_dir(name);
    let token = slack.new_config_token(None).token;
    let lines = trace(
        "calls",
        "clone,clone3,connect",
        &[("XOXE_SYSCALL_BASE_URL", base_url), ("XOXE_SYSCALL_TOKEN", &token)],
        &dir,
    );
    assert_eq!(slack.stats().requests.get("auth.test"), Some(&100));
    let threads = lines.iter().filter(|l| l.contains("clone")).count();
    // TCP connections to the fake Slack (a lookup may connect sockets of its own).
    let port = format!("htons({})", slack.port());
    let connects = lines
        .iter()
        .filter(|l| l.contains("connect(") && l.contains(&port))
        .count();
    // The test harness starts a thread or two; a resolver thread per call would be 100.
    assert!(
        threads <= 5,
        "{threads} threads started for 100 calls:\n{}",
        lines.join("\n")
    );
    assert!(connects <= 2, "{connects} connections for 100 pooled calls");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A pooled request goes out in one write (head and body together, as curl
/// sends it), and the socket timeouts are not set again for every call (ureq
/// alone sends the head and the body apart and sets the time left on the socket
/// before each; src/lean_transport.rs). Counted on the socket to the fake Slack.
#[test]
fn pooled_requests_go_out_in_one_write_without_resetting_timeouts() {
    let slack = server();
    let dir = temp_dir("one-write");
    let refresh = slack.new_config_token(None).refresh_token;
    let lines = trace(
        "rotations",
        "sendto,sendmsg,write,writev,setsockopt,ioctl",
        &[
            ("XOXE_SYSCALL_BASE_URL", &slack.base_url()),
            ("XOXE_SYSCALL_TOKEN", &refresh),
        ],
        &dir,
    );
    assert_eq!(slack.stats().rotations, ROTATIONS as u64);
    // `strace -y` names a socket `socket:[inode]`; the worker's only ones are
    // its connections to the fake Slack (an IP literal: no lookup).
    let on_socket = |call: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!(" {call}(")) && l.contains("<socket:["))
            .count()
    };
    let writes = on_socket("sendto") + on_socket("sendmsg") + on_socket("write") + on_socket("writev");
    assert!(
        writes <= ROTATIONS + 2,
        "{writes} writes for {ROTATIONS} requests:\n{}",
        lines.join("\n")
    );
    // ureq alone: three per request. A request that takes longer than the
    // rounding step may set one again, so the bound leaves room for slow ones.
    let timeouts = on_socket("setsockopt");
    assert!(
        timeouts < ROTATIONS,
        "{timeouts} socket timeouts set for {ROTATIONS} requests"
    );
    // One probe of a pooled connection per request (as it is taken out), not two.
    let probes = on_socket("ioctl");
    assert!(
        probes <= 2 * ROTATIONS + 2,
        "{probes} FIONBIO switches for {ROTATIONS} requests"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
