//! Command-line parsing (a handful of flags). No token is ever accepted here; the
//! one secret that may appear is a database password inside a `--store` URL, and
//! nothing here ever echoes an argument.

use std::ffi::OsString;
use std::time::Duration;
use xoxe::store::fleet;

/// The longest `--window` or `--timeout`: one day. Anything longer is a mistake
/// (a config token lives 12 hours), and a bounded value cannot overflow the
/// deadline arithmetic below it.
pub(crate) const MAX_SECS: u64 = 86_400;

pub(crate) const USAGE: &str = "\
usage: xoxe <command> --store PATH|URL [--chain NAME] [options]

commands:
  init     start a chain: reads the refresh token (line 1) and, optionally, the
           current access token (line 2) from stdin, or from XOXE_REFRESH_TOKEN and
           XOXE_ACCESS_TOKEN (with XOXE_EXPIRES_AT, Unix seconds). Never from argv.
  token    print a valid config access token, rotating first if it expires soon
  status   show team, user, expiry and generation (tokens redacted; no network)

options:
  --store PATH|URL    where the chain is kept (required): a file (JSON, mode
                      0600), or a database that a fleet of hosts shares:
                        postgresql://USER:PASSWORD@HOST:PORT/DB  (or postgres://;
                          ?sslmode=require for TLS, &sslrootcert=CA.pem)
                        redis://[USER]:PASSWORD@HOST:PORT/DB
                        rediss://…  (TLS)   redis+unix:///PATH?pass=PASSWORD
                      passwords are never printed (shown as ***); a command
                      line is visible to other local users (ps), so put a URL
                      with a password in XOXE_STORE instead
  --chain NAME        which chain of a database store (default \"default\"): 1 to
                      200 letters, digits and . _ - : @; a file holds one chain
  --base-url URL      Web API base URL (default https://slack.com/api/)
  --gov               use GovSlack (https://slack-gov.com/api/)
  --window SECS       rotate when the token expires within SECS (default 7200,
                      at most 86400)
  --timeout SECS      network timeout per call (default 30, at most 86400)
  --force             init: replace a chain already in the store
  -h, --help          this text
  -V, --version       print the version

exit codes: 0 ok, 2 usage, 3 store, 4 chain dead (issue a new token),
            5 outcome unknown, 6 rate limited, 7 network/response, 8 Slack error,
            1 other (e.g. standard output cannot be written)";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Init,
    Token,
    Status,
    Help,
    Version,
}

/// A parsed command line.
#[derive(Debug)]
pub(crate) struct Args {
    pub command: Command,
    /// A file path (any bytes) or a database URL (may hold a password: never echo it).
    pub store: OsString,
    /// The chain in a database store ([`fleet::DEFAULT_CHAIN`] unless given).
    pub chain: String,
    pub base_url: Option<String>,
    pub window: Option<Duration>,
    pub timeout: Option<Duration>,
    pub force: bool,
}

/// Parses the arguments after the program name. Only `--store` may be any path
/// (even one that is not UTF-8); nothing here ever echoes an argument (a store URL
/// may hold a password, and a misplaced argument may be a token).
pub(crate) fn parse(argv: &[OsString]) -> Result<Args, String> {
    let mut args = Args {
        command: Command::Help,
        store: OsString::new(),
        chain: fleet::DEFAULT_CHAIN.to_string(),
        base_url: None,
        window: None,
        timeout: None,
        force: false,
    };
    let mut command = None;
    let mut it = argv.iter();
    let text = |v: &OsString| -> Result<String, String> {
        v.to_str()
            .map(str::to_string)
            .ok_or_else(|| "an argument is not valid UTF-8".to_string())
    };
    let secs = |flag: &str, v: Option<&OsString>| -> Result<Duration, String> {
        let v = v.ok_or(format!("{flag} needs a value"))?;
        v.to_str()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|s| (1..=MAX_SECS).contains(s))
            .map(Duration::from_secs)
            .ok_or(format!(
                "{flag} takes a number of seconds from 1 to {MAX_SECS} (one day)"
            ))
    };
    while let Some(arg) = it.next() {
        match text(arg)?.as_str() {
            "-h" | "--help" => {
                return Ok(Args {
                    command: Command::Help,
                    ..args
                })
            }
            "-V" | "--version" => {
                return Ok(Args {
                    command: Command::Version,
                    ..args
                })
            }
            "--store" => args.store = it.next().ok_or("--store needs a path or a database URL")?.clone(),
            "--chain" => {
                let chain = text(it.next().ok_or("--chain needs a name")?)?;
                // The core's message gives the rules and the length, never the name.
                fleet::check_chain_name(&chain).map_err(|e| format!("--chain: {}", e.message))?;
                args.chain = chain;
            }
            "--base-url" => args.base_url = Some(text(it.next().ok_or("--base-url needs a URL")?)?),
            "--gov" => args.base_url = Some(xoxe::GOV_SLACK_BASE_URL.to_string()),
            "--window" => args.window = Some(secs("--window", it.next())?),
            "--timeout" => args.timeout = Some(secs("--timeout", it.next())?),
            "--force" => args.force = true,
            name @ ("init" | "token" | "status") if command.is_none() => {
                command = Some(match name {
                    "init" => Command::Init,
                    "token" => Command::Token,
                    _ => Command::Status,
                })
            }
            // Never echo an unknown argument: it may be a token pasted by mistake.
            other if other.starts_with('-') => return Err("unknown option (see --help)".into()),
            _ => return Err("unexpected argument; tokens are read from stdin or the environment, never argv".into()),
        }
    }
    args.command = command.ok_or("no command given")?;
    if args.store.is_empty() {
        // A database URL holds a password: from the environment, it stays out of `ps`.
        args.store = std::env::var_os("XOXE_STORE").unwrap_or_default();
    }
    if args.store.is_empty() {
        return Err("--store PATH|URL (or XOXE_STORE) is required".into());
    }
    Ok(args)
}
