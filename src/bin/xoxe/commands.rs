//! The commands, on top of the library's stores (a file, a directory of chains,
//! or a fleet's database), its keyring and its rotator. Everything here parses,
//! calls the core and prints; the rules live in the library.

use crate::args::{Args, Command, KeyringSource, USAGE};
use crate::output::{complain, escape, print};
use std::ffi::OsStr;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use xoxe::store::fleet;
use xoxe::store::seal::Keyring;
use xoxe::utc::utc;
use xoxe::{
    ChainKind, ChainState, Client, ClientOptions, Error, FileStore, Rotator, RotatorOptions, Secret, Status, Store,
    StoredPair,
};
use zeroize::Zeroizing;

/// Why a command failed, and so which exit code it ends with.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The library failed: the exit code follows the status's family.
    Xoxe(Error),
    /// Standard output could not be written (exit 1: the command itself worked).
    Output { what: &'static str, error: std::io::Error },
    /// The store holds a chain this command cannot renew (exit 3: a store problem,
    /// not a usage one — the command line was right, the file is not).
    WrongChain(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Xoxe(error)
    }
}

impl Failure {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Xoxe(error) => crate::exit_code(error.status),
            Failure::Output { .. } => 1,
            Failure::WrongChain(_) => 3,
        }
    }

    /// Says what went wrong on standard error (escaped: messages may quote Slack).
    pub(crate) fn report(&self) {
        match self {
            Failure::Xoxe(err) => {
                complain(&format!("xoxe: {} ({})", escape(&err.message), err.status));
                if err.status == Status::OutcomeUnknown {
                    complain("xoxe: the store still holds the previous pair; check it before trying again");
                }
            }
            Failure::Output { what, error } => {
                complain(&format!(
                    "xoxe: cannot write {what} to standard output: {}",
                    escape(&error.to_string())
                ));
                if *what == TOKEN {
                    complain("xoxe: the token is saved in the store; the next xoxe token prints it without rotating");
                }
            }
            Failure::WrongChain(message) => complain(&format!("xoxe: {}", escape(message))),
        }
    }
}

/// What `xoxe token` prints, as named in errors.
const TOKEN: &str = "the token";

fn usage(message: impl Into<String>) -> Failure {
    Failure::Xoxe(Error::new(Status::InvalidArgument, message))
}

/// The store `--store` names: a database URL or a directory (with `--chain`), or
/// a file path. The core refuses a bad chain name, and a chain other than the
/// default for a file, as `InvalidArgument`: a usage error. Every message names
/// the store by its `describe()`, which shows a URL with its passwords as `***`.
/// With a keyring, the store reads and writes sealed documents.
fn open_store(spec: &OsStr, chain: &str, keyring: Option<&Arc<Keyring>>) -> Result<Arc<dyn Store>, Failure> {
    let timeout = xoxe::store::DEFAULT_LOCK_TIMEOUT;
    let store: Arc<dyn Store> = match spec.to_str() {
        Some(spec) => fleet::open(spec, chain, timeout)?,
        // Not UTF-8, so not a URL: a directory or a file path, which
        // `fleet::open` cannot take; opened the way it opens them.
        None if Path::new(spec).is_dir() => Arc::new(FileStore::directory(spec, chain, timeout)?),
        None => {
            let file: Arc<dyn Store> = Arc::new(FileStore::new(spec, timeout)?);
            if chain == fleet::DEFAULT_CHAIN {
                file
            } else {
                // The core refuses: a file keeps one chain.
                file.open_chain(chain)?
            }
        }
    };
    Ok(match keyring {
        Some(keyring) => store.sealed(Arc::clone(keyring))?,
        None => store,
    })
}

/// Reads the keyring a command line names. Errors name the file or variable,
/// never a key.
fn load_keyring(source: &KeyringSource) -> Result<Arc<Keyring>, Failure> {
    Ok(Arc::new(match source {
        KeyringSource::File(path) => Keyring::from_file(Path::new(path))?,
        KeyringSource::Env(name) => Keyring::from_env(name)?,
    }))
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let output = |what: &'static str| move |error| Failure::Output { what, error };
    match args.command {
        Command::Help => return print(&format!("{USAGE}\n")).map_err(output("the help")),
        Command::Version => {
            return print(&format!("xoxe {}\n", env!("CARGO_PKG_VERSION"))).map_err(output("the version"))
        }
        Command::SealKey => return seal_key(args.key_id.as_deref().unwrap_or_default()),
        _ => {}
    }
    let keyring = args.keyring.as_ref().map(load_keyring).transpose()?;
    let store = open_store(&args.store, &args.chain, keyring.as_ref())?;
    match args.command {
        Command::Init => init(store.as_ref(), args.force, keyring.as_deref())?,
        Command::Status if args.all => print(&status_all(store.as_ref())?).map_err(output("the status"))?,
        Command::Status => print(&status(store.as_ref())?).map_err(output("the status"))?,
        Command::Remove => print(&remove(store.as_ref())?).map_err(output("the result"))?,
        Command::Seal => {
            // The parser refuses `seal` without a keyring.
            let keyring = keyring.ok_or_else(|| usage("seal needs a keyring"))?;
            let n = xoxe::rewrite_chains(store.as_ref())?;
            let chains = if n == 1 { "chain" } else { "chains" };
            let line = format!("sealed {n} {chains} under key {}", keyring.sealing_key_id());
            print(&(escape(&line) + "\n")).map_err(output("the result"))?;
        }
        Command::Token => token(store, &args)?,
        Command::Help | Command::Version | Command::SealKey => unreachable!("handled above"),
    }
    Ok(())
}

/// `xoxe token`: a valid config access token on standard output.
fn token(store: Arc<dyn Store>, args: &Args) -> Result<(), Failure> {
    let output = |what: &'static str| move |error| Failure::Output { what, error };
    // The rotator would refuse another kind of chain as a usage error; for
    // the command line it is the store that is wrong, so say so here.
    if let Some(pair) = store.load()? {
        if pair.kind != ChainKind::Config {
            return Err(Failure::WrongChain(format!(
                "{} holds an {} chain (a bot or user token), not a config chain: \
                 xoxe token renews app configuration tokens only",
                store.describe(),
                kind_name(pair.kind)
            )));
        }
    }
    let mut options = ClientOptions::default();
    if let Some(url) = &args.base_url {
        options.base_url = url.clone();
    }
    if let Some(timeout) = args.timeout {
        options.timeout = timeout;
    }
    let mut rotator_options = RotatorOptions::default();
    if let Some(window) = args.window {
        rotator_options.refresh_window = window;
    }
    let rotator = Rotator::config(Arc::new(Client::new(options)?), store, rotator_options);
    let token = rotator.get()?;
    let token = token.token.expose();
    // The library hands out printable ASCII only; never print anything else.
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Failure::Xoxe(Error::new(
            Status::BadResponse,
            "the access token is not printable ASCII; not printing it",
        )));
    }
    // The pair is saved before `get` returns: if stdout fails, the token is
    // not lost, and the next `xoxe token` prints it without rotating.
    print(&format!("{token}\n")).map_err(output(TOKEN))
}

/// `xoxe seal-key new ID`: a fresh keyring line on standard output, and only
/// there (it is key material).
fn seal_key(id: &str) -> Result<(), Failure> {
    let line = Keyring::generate_line(id)?;
    // Sized up front: growing would leave an unwiped copy of the key behind.
    let mut text = Zeroizing::new(String::with_capacity(line.len() + 1));
    text.push_str(&line);
    text.push('\n');
    if std::io::stdout().is_terminal() {
        complain("xoxe: the next line is a secret key: keep it only in a file no one else can read (chmod 600)");
    }
    print(&text).map_err(|error| Failure::Output { what: "the key", error })
}

/// `xoxe remove`: deletes the chain and says whether the store held it.
fn remove(store: &dyn Store) -> Result<String, Failure> {
    let line = if store.remove_chain()? {
        format!("removed {}", store.describe())
    } else {
        format!("{} holds no chain: nothing removed", store.describe())
    };
    Ok(escape(&line) + "\n")
}

fn kind_name(kind: ChainKind) -> &'static str {
    match kind {
        ChainKind::Config => "config",
        ChainKind::Oauth => "oauth",
    }
}

/// The most `init` reads from stdin: two tokens and some blank space.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

/// How far ahead `XOXE_EXPIRES_AT` may be: 30 days (config tokens live 12 hours;
/// more is a mistake, such as milliseconds instead of seconds).
const MAX_EXPIRES_AHEAD: i64 = 30 * 86_400;

fn init(store: &dyn Store, force: bool, keyring: Option<&Keyring>) -> Result<(), Failure> {
    let refresh;
    let access;
    // Where each token came from, to name it in errors (never its value).
    let (refresh_from, access_from);
    match env("XOXE_REFRESH_TOKEN")? {
        Some(value) => {
            if value.is_empty() {
                return Err(usage("XOXE_REFRESH_TOKEN is empty"));
            }
            refresh = Secret::new(value);
            access = env("XOXE_ACCESS_TOKEN")?.filter(|v| !v.is_empty()).map(Secret::new);
            (refresh_from, access_from) = ("XOXE_REFRESH_TOKEN", "XOXE_ACCESS_TOKEN");
        }
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                complain(
                    "paste the refresh token (xoxe-1-…), then optionally the current access token; end with Ctrl-D",
                );
            }
            let buffer = read_stdin(stdin)?;
            let lines = stdin_lines(&buffer)?;
            let mut lines = lines.into_iter();
            refresh = Secret::new(lines.next().ok_or_else(|| usage("no refresh token on stdin"))?);
            access = lines.next().map(Secret::new);
            (refresh_from, access_from) = ("line 1 of stdin", "line 2 of stdin");
        }
    }
    check_refresh(refresh.expose(), refresh_from)?;
    if let Some(access) = &access {
        check_access(access.expose(), access_from)?;
    }
    let seed = StoredPair::seed(ChainKind::Config, refresh, access, expires_at()?);
    xoxe::store::init(store, seed, force)?;
    let sealed = keyring.map_or(String::new(), |k| format!(" (sealed under key {})", k.sealing_key_id()));
    complain(&format!(
        "xoxe: initialised {}{}",
        escape(&store.describe()),
        escape(&sealed)
    ));
    Ok(())
}

/// An environment variable, trimmed; `None` when unset. Set but not UTF-8 is an
/// error (it is never silently treated as unset).
fn env(name: &str) -> Result<Option<String>, Failure> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value.trim().to_string())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(usage(format!("{name} is not valid UTF-8"))),
    }
}

fn read_stdin(stdin: std::io::Stdin) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut buffer = Zeroizing::new(Vec::with_capacity(1024));
    stdin
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut buffer)
        .map_err(|e| usage(format!("cannot read stdin: {e}")))?;
    if buffer.len() as u64 > MAX_STDIN_BYTES {
        return Err(usage(
            "stdin is too long: expected the refresh token, then optionally the access token",
        ));
    }
    Ok(buffer)
}

/// The non-blank lines of `input`, each trimmed of surrounding white space (CR,
/// spaces, tabs, NBSP…), after a leading byte-order mark. At most two: the
/// refresh token, then optionally the access token. A line that is not UTF-8 is an
/// error naming its number, never its content.
fn stdin_lines(input: &[u8]) -> Result<Vec<&str>, Failure> {
    let input = input.strip_prefix("\u{feff}".as_bytes()).unwrap_or(input);
    let mut lines = Vec::new();
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(line)
            .map_err(|_| usage(format!("line {} of stdin is not valid UTF-8", n + 1)))?
            .trim();
        if !line.is_empty() {
            lines.push(line);
        }
    }
    if lines.len() > 2 {
        return Err(usage(
            "stdin has more than two lines: expected the refresh token, then optionally \
             the current access token",
        ));
    }
    Ok(lines)
}

/// A config chain's refresh token starts `xoxe-` (`xoxe-1-…`). Anything else is
/// refused, naming the likely mix-up but never the value.
fn check_refresh(token: &str, from: &str) -> Result<(), Failure> {
    if token.starts_with("xoxe-") {
        return Ok(());
    }
    Err(usage(if token.starts_with("xoxe.") {
        format!(
            "{from} holds an access token (xoxe.xoxp-…), not a refresh token (xoxe-1-…): \
             give the refresh token first, then optionally the access token"
        )
    } else {
        format!("{from} is not a refresh token: config refresh tokens start with xoxe- (xoxe-1-…)")
    }))
}

/// A config chain's access token starts `xoxe.` (`xoxe.xoxp-1-…`).
fn check_access(token: &str, from: &str) -> Result<(), Failure> {
    if token.starts_with("xoxe.") {
        return Ok(());
    }
    Err(usage(if token.starts_with("xoxe-") {
        format!(
            "{from} holds a refresh token (xoxe-1-…), not an access token (xoxe.xoxp-…): \
             give the refresh token first, then optionally the access token"
        )
    } else {
        format!("{from} is not a config access token: they start with xoxe. (xoxe.xoxp-1-…)")
    }))
}

/// `XOXE_EXPIRES_AT`: when the given access token expires, in Unix seconds; unset
/// or empty is unknown (0: rotate on first use).
fn expires_at() -> Result<i64, Failure> {
    let Some(value) = env("XOXE_EXPIRES_AT")?.filter(|v| !v.is_empty()) else {
        return Ok(0);
    };
    let at = value
        .parse::<i64>()
        .ok()
        .filter(|at| *at >= 0)
        .ok_or_else(|| usage("XOXE_EXPIRES_AT must be Unix seconds (a whole number, 0 for unknown)"))?;
    if at > now().saturating_add(MAX_EXPIRES_AHEAD) {
        return Err(usage(
            "XOXE_EXPIRES_AT is more than 30 days ahead (milliseconds instead of seconds?)",
        ));
    }
    Ok(at)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What `xoxe status` prints: every value from the store escaped, no token in full.
fn status(store: &dyn Store) -> Result<String, Failure> {
    let pair = store
        .load()?
        .ok_or_else(|| Error::new(Status::StoreEmpty, format!("{} holds no chain", store.describe())))?;
    let unknown = "(unknown until the first rotation)";
    let access = if pair.access_token.expose().is_empty() {
        "(none yet)".into()
    } else {
        pair.access_token.redacted()
    };
    let mut lines = vec![
        format!("store:         {}", store.describe()),
        format!("kind:          {:?}", pair.kind),
        format!("team:          {}", pair.team_id.as_deref().unwrap_or(unknown)),
        format!("user:          {}", pair.user_id.as_deref().unwrap_or(unknown)),
        format!("access token:  {access}"),
        format!("refresh token: {}", pair.refresh_token.redacted()),
        format!("expires:       {}", expiry(pair.expires_at, now())),
        format!("generation:    {}", pair.generation),
    ];
    if let Some(code) = &pair.revoked {
        lines.push(format!("revoked:       {code} (reinstall the app to go on)"));
    }
    Ok(lines.iter().map(|line| escape(line) + "\n").collect())
}

/// What `xoxe status --all` prints: one line per chain of the store's place
/// (a directory or database), each escaped, no secret. A chain that cannot be
/// read shows the core's error (which names a missing key's id).
fn status_all(store: &dyn Store) -> Result<String, Failure> {
    let chains = xoxe::chain_statuses(store)?;
    if chains.is_empty() {
        complain("xoxe: no chain is stored there");
    }
    let now = now();
    Ok(chains
        .iter()
        .map(|c| escape(&chain_line(&c.chain, &c.state, now)) + "\n")
        .collect())
}

/// One line of `xoxe status --all`, e.g. `c1: config, generation 3, expires
/// 2026-01-02T03:04:05Z (in 3h12m), rotated 2026-01-01T15:04:05Z by host/42`.
fn chain_line(name: &str, state: &xoxe::Result<ChainState>, now: i64) -> String {
    let state = match state {
        Ok(state) => state,
        Err(e) => return format!("{name}: error: {} ({})", e.message, e.status),
    };
    let condition = match &state.revoked {
        Some(code) => format!("revoked ({code})"),
        None if state.expires_at == 0 => "expiry unknown (rotates on first use)".to_string(),
        None => match left(state.expires_at, now) {
            Some(left) => format!("expires {} ({})", utc(state.expires_at), relative(left)),
            None => format!("expires {} (not a plausible time)", state.expires_at),
        },
    };
    let rotated = match (state.rotated_at, left(state.rotated_at, now)) {
        (0, _) => "never rotated".to_string(),
        (at, Some(_)) => format!("rotated {}", utc(at)),
        (at, None) => format!("rotated {at} (not a plausible time)"),
    };
    let by = state
        .rotated_by
        .as_deref()
        .map_or(String::new(), |who| format!(" by {who}"));
    format!(
        "{name}: {}, generation {}, {condition}, {rotated}{by}",
        kind_name(state.kind),
        state.generation
    )
}

/// Stored times further than this from now are not believed: ten years.
const PLAUSIBLE_SECS: u64 = 10 * 366 * 86_400;

/// Seconds from `now` until `at` (negative: past), if `at` is a plausible time.
fn left(at: i64, now: i64) -> Option<i64> {
    at.checked_sub(now)
        .filter(|left| at > 0 && left.unsigned_abs() <= PLAUSIBLE_SECS)
}

/// `in 3h12m`, or `expired 5m00s ago` for a time past.
fn relative(left: i64) -> String {
    if left <= 0 {
        format!("expired {} ago", human(left.unsigned_abs()))
    } else {
        format!("in {}", human(left.unsigned_abs()))
    }
}

/// The `expires:` value for a stored `at` (Unix seconds; 0 = unknown).
fn expiry(at: i64, now: i64) -> String {
    if at == 0 {
        return "unknown (rotates on first use)".into();
    }
    match left(at, now) {
        Some(left) => format!("{at} ({})", relative(left)),
        None => format!("{at} (expiry unknown: not a plausible time)"),
    }
}

fn human(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::{chain_line, expiry};
    use xoxe::{ChainKind, ChainState, Error, Status};

    #[test]
    fn chain_lines_say_state_expiry_and_rotation() {
        let now = 1_700_000_000;
        let mut state = ChainState {
            kind: ChainKind::Config,
            generation: 3,
            expires_at: now + 3 * 3600 + 12 * 60,
            rotated_at: now - 60,
            rotated_by: Some("host/42".into()),
            revoked: None,
            team_id: None,
            user_id: None,
        };
        assert_eq!(
            chain_line("c1", &Ok(state.clone()), now),
            "c1: config, generation 3, expires 2023-11-15T01:25:20Z (in 3h12m), rotated 2023-11-14T22:12:20Z by host/42"
        );
        state.expires_at = now - 300;
        assert!(chain_line("c1", &Ok(state.clone()), now).contains("(expired 5m00s ago)"));
        state.revoked = Some("token_revoked".into());
        assert!(chain_line("c1", &Ok(state.clone()), now).contains(", revoked (token_revoked), "));
        state.revoked = None;
        state.expires_at = 0;
        state.rotated_at = 0;
        state.rotated_by = None;
        state.kind = ChainKind::Oauth;
        assert_eq!(
            chain_line("c2", &Ok(state.clone()), now),
            "c2: oauth, generation 3, expiry unknown (rotates on first use), never rotated"
        );
        state.expires_at = i64::MAX;
        state.rotated_at = i64::MIN;
        let line = chain_line("c2", &Ok(state), now);
        assert!(
            line.contains("expires 9223372036854775807 (not a plausible time)"),
            "{line}"
        );
        assert!(
            line.contains("rotated -9223372036854775808 (not a plausible time)"),
            "{line}"
        );
        let sealed = Error::new(Status::StoreSealed, "sealed with key k1");
        assert_eq!(
            chain_line("c3", &Err(sealed), now),
            "c3: error: sealed with key k1 (store_sealed)"
        );
    }

    #[test]
    fn absurd_expiry_times_do_not_overflow() {
        assert_eq!(expiry(0, 1_000), "unknown (rotates on first use)");
        assert_eq!(expiry(4_600, 1_000), "4600 (in 1h00m)");
        assert_eq!(expiry(940, 1_000), "940 (expired 1m00s ago)");
        for at in [i64::MIN, -1, i64::MAX] {
            assert!(expiry(at, 1_800_000_000).ends_with("(expiry unknown: not a plausible time)"));
        }
        assert!(expiry(i64::MIN, i64::MAX).contains("not a plausible time"));
        assert!(expiry(1, i64::MAX).contains("not a plausible time"));
    }
}
