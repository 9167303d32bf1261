//! `fake-slack`: run the fake Slack server as a process (for C/Python/Go tests, the demo
//! and benchmarks). See `--help`. Never prints a secret.

use fake_slack::{Config, FakeSlack, GraceKeep};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const USAGE: &str = "usage: fake-slack [--port N] [--token-ttl SECS] [--ready-file PATH] \
[--issued-tokens-file PATH] [--app-client-id X --app-client-secret Y] \
[--config-refresh-token T] [--legacy-bot-token T] [--legacy-user-token T] [--request-timeout-ms MS] \
[--bench-refresh-token T] [--tls-ca-file PATH] [--clock-offset SECS] [--refresh-grace-ms MS] \
[--grace-keep first|second]";

static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, Ordering::SeqCst);
}

fn fail(msg: &str) -> ! {
    // Messages name flags only, never their values (values may be secrets).
    eprintln!("fake-slack: {msg}\n{USAGE}");
    std::process::exit(2);
}

struct Cli {
    config: Config,
    ready_file: Option<PathBuf>,
    tls_ca_file: Option<PathBuf>,
}

fn parse_args() -> Cli {
    let mut config = Config::default();
    let mut ready_file = None;
    let mut tls_ca_file = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (flag.clone(), None),
        };
        let known = [
            "--port",
            "--token-ttl",
            "--ready-file",
            "--issued-tokens-file",
            "--app-client-id",
            "--app-client-secret",
            "--config-refresh-token",
            "--legacy-bot-token",
            "--legacy-user-token",
            "--request-timeout-ms",
            "--bench-refresh-token",
            "--tls-ca-file",
            "--clock-offset",
            "--refresh-grace-ms",
            "--grace-keep",
        ];
        if !known.contains(&name.as_str()) {
            fail("unknown argument");
        }
        let value = inline
            .or_else(|| it.next())
            .unwrap_or_else(|| fail(&format!("{name} needs a value")));
        let num = |v: &str| -> u64 { v.parse().unwrap_or_else(|_| fail(&format!("{name} needs a number"))) };
        match name.as_str() {
            "--port" => config.port = u16::try_from(num(&value)).unwrap_or_else(|_| fail("--port out of range")),
            "--token-ttl" => config.token_ttl_secs = num(&value),
            "--request-timeout-ms" => config.request_timeout_ms = num(&value),
            "--clock-offset" => {
                config.clock_offset_secs = value
                    .parse()
                    .unwrap_or_else(|_| fail("--clock-offset needs a whole number of seconds"))
            }
            "--refresh-grace-ms" => config.refresh_grace_ms = num(&value),
            "--grace-keep" => {
                config.grace_keep =
                    GraceKeep::parse(&value).unwrap_or_else(|| fail("--grace-keep needs first or second"))
            }
            "--ready-file" => ready_file = Some(PathBuf::from(value)),
            "--issued-tokens-file" => config.issued_tokens_file = Some(PathBuf::from(value)),
            "--app-client-id" => config.app_client_id = Some(value),
            "--app-client-secret" => config.app_client_secret = Some(value),
            "--config-refresh-token" => config.config_refresh_token = Some(value),
            "--bench-refresh-token" => config.bench_refresh_token = Some(value),
            "--legacy-bot-token" => config.legacy_bot_token = Some(value),
            "--legacy-user-token" => config.legacy_user_token = Some(value),
            "--tls-ca-file" => {
                config.tls = true;
                tls_ca_file = Some(PathBuf::from(value));
            }
            _ => unreachable!(),
        }
    }
    if config.app_client_id.is_some() != config.app_client_secret.is_some() {
        fail("--app-client-id and --app-client-secret go together");
    }
    Cli {
        config,
        ready_file,
        tls_ca_file,
    }
}

/// Write `data` to `path` atomically: temp file (0600) in the same directory, fsync, rename.
fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

fn main() {
    let cli = parse_args();
    // SAFETY: installing an async-signal-safe handler that only stores to an atomic.
    unsafe {
        let h = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, h);
        libc::signal(libc::SIGINT, h);
    }
    let server = match FakeSlack::start(cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-slack: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let (Some(path), Some(pem)) = (&cli.tls_ca_file, server.tls_ca_pem()) {
        if let Err(e) = write_atomic(path, pem.as_bytes()) {
            eprintln!("fake-slack: cannot write the CA file: {e}");
            std::process::exit(1);
        }
    }
    if let Some(path) = &cli.ready_file {
        let json = serde_json::to_vec(&server.ready_info()).expect("serialisable");
        if let Err(e) = write_atomic(path, &json) {
            eprintln!("fake-slack: cannot write the ready file: {e}");
            std::process::exit(1);
        }
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "fake-slack listening on {}", server.base_url());
        let _ = out.flush();
    }
    while !SIGNALLED.load(Ordering::SeqCst) && !server.shutdown_requested() {
        std::thread::sleep(Duration::from_millis(25));
    }
    server.shutdown();
}
