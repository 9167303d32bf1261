//! `xoxe`: keep an app configuration token fresh from a shell or CI job, and
//! look after the chains a store keeps.
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
//! xoxe status --store STORE --all                      one line per chain (no secret)
//! xoxe remove --store STORE --chain NAME               delete a chain and its secrets
//! xoxe seal   --store STORE --keyring-file PATH        rewrite every chain sealed at rest
//! xoxe seal-key new ID                                 print a new keyring line (key material)
//! ```
//!
//! `STORE` is a file path (one chain), a directory (one file per chain), or a
//! database a fleet of hosts shares (every host runs `xoxe token` against the same
//! chain, and only one rotates it): `postgresql://USER:PASSWORD@HOST:PORT/DB` (or
//! `postgres://`), `redis://[USER]:PASSWORD@HOST:PORT/DB`, `rediss://…` (TLS) or
//! `redis+unix:///PATH?pass=PASSWORD`. A directory or database holds many chains,
//! named by `--chain` (default `default`: 1 to 200 letters, digits and
//! `. _ - : @`). A URL's password is never printed: the store is always shown as
//! the library describes it, with passwords as `***`.
//!
//! With `--keyring-file PATH` (or `XOXE_KEYRING_FILE`) or `--keyring-env NAME`,
//! every command reads and writes the store's documents sealed (AES-256-GCM);
//! keys never appear on the command line or in any output but `seal-key`'s.

mod args;
mod commands;
mod output;

use std::process::ExitCode;
use xoxe::{Status, StatusFamily};

/// Exit codes, one per failure family, so scripts can react without parsing text
/// (the same list as `args::USAGE`'s).
pub(crate) fn exit_code(status: Status) -> u8 {
    match (status, status.family()) {
        (Status::Ok, _) => 0,
        (Status::ChainDead, _) => 4,
        // A store-family status, with a code of its own: a human must reinstall.
        (Status::ChainRevoked, _) => 9,
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
