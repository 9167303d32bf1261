//! The three commands, on top of the library's file store and rotator.

use crate::args::{Args, Command, USAGE};

/// `println!` that does not panic when stdout is closed (`xoxe status | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use xoxe::{ChainKind, Client, ClientOptions, Error, FileStore, Rotator, RotatorOptions, Secret, Status, StoredPair};

pub(crate) fn run(args: Args) -> Result<(), Error> {
    let store = || FileStore::new(&args.store, xoxe::store::DEFAULT_LOCK_TIMEOUT);
    match args.command {
        Command::Help => say!("{USAGE}"),
        Command::Version => say!("xoxe {}", env!("CARGO_PKG_VERSION")),
        Command::Init => init(&store(), args.force)?,
        Command::Status => status(&store())?,
        Command::Token => {
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
            let rotator = Rotator::config(Arc::new(Client::new(options)?), Arc::new(store()), rotator_options);
            let token = rotator.get()?;
            say!("{}", token.token.expose());
        }
    }
    Ok(())
}

fn init(store: &FileStore, force: bool) -> Result<(), Error> {
    let (refresh, access) = match std::env::var("XOXE_REFRESH_TOKEN") {
        Ok(refresh) => (refresh, std::env::var("XOXE_ACCESS_TOKEN").ok()),
        Err(_) => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!(
                    "paste the refresh token (xoxe-1-…), then optionally the current access token; end with Ctrl-D"
                );
            }
            let lines: Vec<String> = stdin
                .lock()
                .lines()
                .map_while(Result::ok)
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            let mut lines = lines.into_iter();
            let refresh = lines
                .next()
                .ok_or_else(|| Error::new(Status::InvalidArgument, "no refresh token on stdin"))?;
            (refresh, lines.next())
        }
    };
    let expires_at = std::env::var("XOXE_EXPIRES_AT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let seed = StoredPair::seed(
        ChainKind::Config,
        Secret::new(refresh),
        access.map(Secret::new),
        expires_at,
    );
    xoxe::store::init(store, seed, force)?;
    eprintln!("xoxe: initialised {}", store.path().display());
    Ok(())
}

fn status(store: &FileStore) -> Result<(), Error> {
    use xoxe::Store;
    let pair = store.load()?.ok_or_else(|| {
        Error::new(
            Status::StoreEmpty,
            format!("token store {} holds no chain", store.path().display()),
        )
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    say!("store:         {}", store.path().display());
    say!("kind:          {:?}", pair.kind);
    say!(
        "team:          {}",
        pair.team_id.as_deref().unwrap_or("(unknown until the first rotation)")
    );
    say!(
        "user:          {}",
        pair.user_id.as_deref().unwrap_or("(unknown until the first rotation)")
    );
    let access = if pair.access_token.expose().is_empty() {
        "(none yet)".into()
    } else {
        pair.access_token.redacted()
    };
    say!("access token:  {access}");
    say!("refresh token: {}", pair.refresh_token.redacted());
    match pair.expires_at {
        0 => say!("expires:       unknown (rotates on first use)"),
        at if at <= now => say!("expires:       {at} (expired {} ago)", human(now - at)),
        at => say!("expires:       {at} (in {})", human(at - now)),
    }
    say!("generation:    {}", pair.generation);
    Ok(())
}

fn human(secs: i64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}
