//! Command-line parsing (a handful of flags). No token or key is ever accepted
//! here; the one secret that may appear is a database password inside a
//! `--store` URL, and nothing here ever echoes an argument.

use std::ffi::OsString;
use std::time::Duration;
use xoxe::store::fleet;

/// The longest `--window` or `--timeout`: one day. Anything longer is a mistake
/// (a config token lives 12 hours), and a bounded value cannot overflow the
/// deadline arithmetic below it.
pub(crate) const MAX_SECS: u64 = 86_400;

/// The environment variable naming the keyring file when no `--keyring-*` flag
/// is given.
pub(crate) const KEYRING_FILE_ENV: &str = "XOXE_KEYRING_FILE";

/// The longest environment variable name `--keyring-env` takes.
const MAX_ENV_NAME_LEN: usize = 255;

pub(crate) const USAGE: &str = "\
usage: xoxe <command> --store PATH|DIR|URL [--chain NAME] [options]
       xoxe seal-key new ID

commands:
  init     start a chain: reads the refresh token (line 1) and, optionally, the
           current access token (line 2) from stdin, or from XOXE_REFRESH_TOKEN and
           XOXE_ACCESS_TOKEN (with XOXE_EXPIRES_AT, Unix seconds). Never from argv.
  token    print a valid config access token, rotating first if it expires soon
  status   show team, user, expiry and generation (tokens redacted; no network)
  status --all
           one line per chain of the store (a file: its one chain): name,
           kind, generation, expiry, last rotation and by whom, `revoked (CODE)`,
           or why the chain cannot be read (e.g. sealed with a key not given);
           the exit code is 0 once the chains could be listed
  remove   delete the chain --chain names (required: nothing is removed by
           default) with its secrets, and say whether the store held it
  seal     rewrite every chain of the store sealed under the keyring's first key
           and print how many (needs a keyring; with a new key first and the old
           one after it, moves every chain to the new key)
  seal-key new ID
           print a new keyring line `ID BASE64` (a fresh random 256-bit key) on
           standard output. It is key material: send it straight into a file
           only you can read (umask 077; xoxe seal-key new k1 >> keyring), never
           into a log, a shared terminal or a command line

options:
  --store PATH|DIR|URL
                      where the chains are kept (required): a file (JSON, mode
                      0600; one chain), a directory (one file per chain,
                      DIR/CHAIN.json), or a database that a fleet of hosts shares:
                        postgresql://USER:PASSWORD@HOST:PORT/DB  (or postgres://;
                          ?sslmode=require for TLS, &sslrootcert=CA.pem)
                        redis://[USER]:PASSWORD@HOST:PORT/DB
                        rediss://…  (TLS)   redis+unix:///PATH?pass=PASSWORD
                      passwords are never printed (shown as ***); a command
                      line is visible to other local users (ps), so put a URL
                      with a password in XOXE_STORE instead
  --chain NAME        which chain of a directory or database store (default
                      \"default\"): 1 to 200 letters, digits and . _ - : @, not
                      starting with .; a file holds one chain
  --all               status: every chain of the store
  --keyring-file PATH seal the store's documents at rest (AES-256-GCM) with the
                      keys in PATH: lines `KEY_ID BASE64`, the first key seals,
                      every key opens; mode 0600. Default: $XOXE_KEYRING_FILE.
                      A sealed store needs its keyring for every command
  --keyring-env NAME  the same keys from environment variable NAME (lines
                      separated by newlines or ;) rather than a file
  --base-url URL      Web API base URL (default https://slack.com/api/)
  --gov               use GovSlack (https://slack-gov.com/api/)
  --window SECS       rotate when the token expires within SECS (default 7200,
                      at most 86400)
  --timeout SECS      network timeout per call (default 30, at most 86400)
  --force             init: replace a chain already in the store
  -h, --help          this text
  -V, --version       print the version

exit codes: 0 ok, 2 usage, 3 store (also a chain sealed with a key not given,
            or tampered with), 4 chain dead (issue a new token), 5 outcome
            unknown, 6 rate limited, 7 network/response, 8 Slack error,
            9 chain revoked (reinstall the app), 1 other (e.g. standard output
            cannot be written)";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Init,
    Token,
    Status,
    Remove,
    Seal,
    SealKey,
    Help,
    Version,
}

/// Where the keys that seal the store come from (never the keys themselves).
#[derive(Debug)]
pub(crate) enum KeyringSource {
    /// A keyring file (`--keyring-file`, or `XOXE_KEYRING_FILE`).
    File(OsString),
    /// The environment variable with this name (`--keyring-env`).
    Env(String),
}

/// A parsed command line.
#[derive(Debug)]
pub(crate) struct Args {
    pub command: Command,
    /// A file or directory path (any bytes) or a database URL (may hold a
    /// password: never echo it).
    pub store: OsString,
    /// The chain in a directory or database store ([`fleet::DEFAULT_CHAIN`] unless given).
    pub chain: String,
    /// `status --all`: every chain.
    pub all: bool,
    /// The keys that seal the store, if any.
    pub keyring: Option<KeyringSource>,
    /// `seal-key new ID`: the new key's id.
    pub key_id: Option<String>,
    pub base_url: Option<String>,
    pub window: Option<Duration>,
    pub timeout: Option<Duration>,
    pub force: bool,
}

/// Parses the arguments after the program name. Only `--store` and
/// `--keyring-file` may be any path (even one that is not UTF-8); nothing here
/// ever echoes an argument (a store URL may hold a password, and a misplaced
/// argument may be a token or a key).
pub(crate) fn parse(argv: &[OsString]) -> Result<Args, String> {
    let mut args = Args {
        command: Command::Help,
        store: OsString::new(),
        chain: fleet::DEFAULT_CHAIN.to_string(),
        all: false,
        keyring: None,
        key_id: None,
        base_url: None,
        window: None,
        timeout: None,
        force: false,
    };
    let mut command = None;
    let mut chain_given = false;
    // `seal-key`'s words: `new`, then the id.
    let mut words: Vec<String> = Vec::new();
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
    let set_keyring = |keyring: &mut Option<KeyringSource>, source: KeyringSource| {
        if keyring.is_some() {
            return Err("give one keyring: --keyring-file PATH or --keyring-env NAME".to_string());
        }
        *keyring = Some(source);
        Ok(())
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
                chain_given = true;
            }
            "--all" => args.all = true,
            "--keyring-file" => {
                let path = it.next().ok_or("--keyring-file needs a path")?;
                if path.is_empty() {
                    return Err("--keyring-file needs a path".into());
                }
                set_keyring(&mut args.keyring, KeyringSource::File(path.clone()))?;
            }
            "--keyring-env" => {
                let name = text(it.next().ok_or("--keyring-env needs an environment variable name")?)?;
                // Checked here so that a key pasted in its place is never echoed
                // in the library's "not set" message.
                if !is_env_name(&name) {
                    return Err(format!(
                        "--keyring-env takes the name of an environment variable (1 to {MAX_ENV_NAME_LEN} \
                         letters, digits and _, not starting with a digit), never the keys themselves"
                    ));
                }
                set_keyring(&mut args.keyring, KeyringSource::Env(name))?;
            }
            "--base-url" => args.base_url = Some(text(it.next().ok_or("--base-url needs a URL")?)?),
            "--gov" => args.base_url = Some(xoxe::GOV_SLACK_BASE_URL.to_string()),
            "--window" => args.window = Some(secs("--window", it.next())?),
            "--timeout" => args.timeout = Some(secs("--timeout", it.next())?),
            "--force" => args.force = true,
            name @ ("init" | "token" | "status" | "remove" | "seal" | "seal-key") if command.is_none() => {
                command = Some(match name {
                    "init" => Command::Init,
                    "token" => Command::Token,
                    "status" => Command::Status,
                    "remove" => Command::Remove,
                    "seal" => Command::Seal,
                    _ => Command::SealKey,
                })
            }
            // Never echo an unknown argument: it may be a token pasted by mistake.
            other if other.starts_with('-') => return Err("unknown option (see --help)".into()),
            word if command == Some(Command::SealKey) && words.len() < 2 => words.push(word.to_string()),
            _ => return Err("unexpected argument; tokens are read from stdin or the environment, never argv".into()),
        }
    }
    args.command = command.ok_or("no command given")?;
    let every_chain = args.command == Command::Seal || (args.command == Command::Status && args.all);
    if args.all && args.command != Command::Status {
        return Err("--all applies to status only".into());
    }
    if args.force && args.command != Command::Init {
        return Err("--force applies to init only".into());
    }
    if chain_given && every_chain {
        return Err("--chain does not apply: status --all and seal act on every chain of the store".into());
    }
    if args.command == Command::Remove && !chain_given {
        return Err("remove needs --chain NAME: the chain to delete".into());
    }
    if args.command == Command::SealKey {
        if chain_given || !args.store.is_empty() || args.keyring.is_some() {
            return Err("seal-key new ID takes no store, chain or keyring: it only prints a new key".into());
        }
        return match words.as_slice() {
            [new, id] if new == "new" => {
                args.key_id = Some(id.clone());
                Ok(args)
            }
            _ => Err("seal-key takes `new ID`: xoxe seal-key new ID".into()),
        };
    }
    if args.store.is_empty() {
        // A database URL holds a password: from the environment, it stays out of `ps`.
        args.store = std::env::var_os("XOXE_STORE").unwrap_or_default();
    }
    if args.store.is_empty() {
        return Err("--store PATH|DIR|URL (or XOXE_STORE) is required".into());
    }
    if args.keyring.is_none() {
        args.keyring = std::env::var_os(KEYRING_FILE_ENV)
            .filter(|path| !path.is_empty())
            .map(KeyringSource::File);
    }
    if args.command == Command::Seal && args.keyring.is_none() {
        return Err(format!(
            "seal needs a keyring: --keyring-file PATH, --keyring-env NAME or {KEYRING_FILE_ENV} \
             (xoxe seal-key new ID prints a key)"
        ));
    }
    Ok(args)
}

/// Whether `name` can be an environment variable's name: 1 to 255 ASCII letters,
/// digits and `_`, not starting with a digit.
fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ENV_NAME_LEN
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Args, String> {
        let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse(&argv)
    }

    #[test]
    fn seal_key_takes_new_and_an_id_only() {
        let args = parse_strs(&["seal-key", "new", "k1"]).unwrap();
        assert_eq!(args.command, Command::SealKey);
        assert_eq!(args.key_id.as_deref(), Some("k1"));
        // A command name is a fine id once the command is known.
        assert_eq!(
            parse_strs(&["seal-key", "new", "init"]).unwrap().key_id.as_deref(),
            Some("init")
        );
        for bad in [
            &["seal-key"][..],
            &["seal-key", "new"],
            &["seal-key", "old", "k1"],
            &["seal-key", "new", "k1", "k2"],
            &["seal-key", "new", "k1", "--store", "/tmp/x"],
            &["seal-key", "new", "k1", "--keyring-env", "KEYS"],
        ] {
            assert!(parse_strs(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags_that_do_not_apply_are_refused() {
        for bad in [
            &["token", "--store", "/tmp/x", "--all"][..],
            &["status", "--store", "/tmp/x", "--all", "--chain", "c1"],
            &["seal", "--store", "/tmp/x", "--chain", "c1", "--keyring-env", "K"],
            &["remove", "--store", "/tmp/x"],
            &["token", "--store", "/tmp/x", "--force"],
            &[
                "status",
                "--store",
                "/tmp/x",
                "--keyring-env",
                "K",
                "--keyring-file",
                "/k",
            ],
            &["status", "--store", "/tmp/x", "--keyring-env", "1K"],
            &["status", "--store", "/tmp/x", "--keyring-env", "k1 AAAA"],
            &["status", "--store", "/tmp/x", "--keyring-file", ""],
        ] {
            assert!(parse_strs(bad).is_err(), "{bad:?}");
        }
        let args = parse_strs(&["remove", "--store", "/tmp/x", "--chain", "c1"]).unwrap();
        assert_eq!((args.command, args.chain.as_str()), (Command::Remove, "c1"));
        let args = parse_strs(&["status", "--all", "--store", "/tmp/x", "--keyring-env", "XOXE_KEYS"]).unwrap();
        assert!(args.all && matches!(args.keyring, Some(KeyringSource::Env(ref n)) if n == "XOXE_KEYS"));
    }
}
