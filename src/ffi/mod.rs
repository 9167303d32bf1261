//! The C ABI: the only place with `extern "C"`. It converts and checks arguments,
//! catches panics and hands out handles; it holds no Slack logic.
//!
//! Conventions: every fallible function returns an `xoxe_status`
//! and writes its out-parameters only on success; on failure it writes an owned
//! `xoxe_error*` to `error_out` (when that is not NULL), which the caller frees
//! with `xoxe_error_free`. Every handle has a `_free` that accepts NULL. Strings
//! in are NUL-terminated UTF-8, copied, never retained; strings out belong to the
//! handle that returned them and stay valid until it is freed. Secrets are zeroed
//! when their handle is freed.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // each function's doc comment states its contract

mod args;
mod chains;
mod client;
mod error;
mod foreign_store;
mod install;
mod keyring;
mod log;
mod methods;
mod pool;
mod redact;
mod results;
mod rotator;
mod store;
mod strings;
mod version;

pub use chains::*;
pub use client::*;
pub use error::*;
pub use foreign_store::*;
pub use install::*;
pub use keyring::*;
pub use log::*;
pub use methods::*;
pub use pool::*;
pub use redact::*;
pub use results::*;
pub use rotator::*;
pub use store::*;
pub use version::*;
