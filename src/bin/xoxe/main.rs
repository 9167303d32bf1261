//! `xoxe`: keep an app configuration token fresh from a shell or CI job.
//!
//! ```text
//! xoxe init   --store STORE [--chain NAME] [--force]   read the refresh token (and optionally
//!                                                      the current access token) from stdin or
//!                                                      XOXE_REFRESH_TOKEN / XOXE_ACCESS_TOKEN —
//!                                                      never from the command line
//! xoxe token  --store STORE [--chain NAME] [options]   print a valid config access token,
//!                                                      rotating if needed
//! xoxe status --store STORE [--chain NAME]             show team, user and expiry (tokens
//!                                                      redacted, no network)
//! ```
//!
//! `STORE` is a file path, or a database a fleet of hosts shares (every host runs
//! `xoxe token` against the same chain, and only one rotates it):
//! `postgresql://USER:PASSWORD@HOST:PORT/DB` (or `postgres://`),
//! `redis://[USER]:PASSWORD@HOST:PORT/DB`, `rediss://…` (TLS) or
//! `redis+unix:///PATH?pass=PASSWORD`. A database holds many chains, named by
//! `--chain` (default `default`: 1 to 200 letters, digits and `. _ - : @`); a file
//! holds one. A URL's password is never printed: the store is always shown as the
//! library describes it, with passwords as `***`.

mod args;
mod commands;
mod output;

use std::process::ExitCode;
use xoxe::{Status, StatusFamily};

/// Exit codes, one per failure family, so scripts can react without parsing text.
pub(crate) fn exit_code(status: Status) -> u8 {
    match (status, status.family()) {
        (Status::Ok, _) => 0,
        (Status::ChainDead, _) => 4,
        (_, StatusFamily::Usage) => 2,
        (_, StatusFamily::Store) => 3,
        (_, StatusFamily::OutcomeUnknown) => 5,
        (_, StatusFamily::RateLimited) => 6,
        (_, StatusFamily::Transport) => 7,
        (_, StatusFamily::SlackApi) => 8,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let parsed = match args::parse(&argv) {
        Ok(parsed) => parsed,
        Err(why) => {
            output::complain(&format!("xoxe: {why}\n\n{}", args::USAGE));
            return ExitCode::from(2);
        }
    };
    match commands::run(parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.exit_code())
        }
    }
}
