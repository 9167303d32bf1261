//! Versions, and names for statuses.

use super::args::guard_plain;
use crate::status::{Status, StatusFamily};
use std::ffi::c_char;

/// The ABI version this header describes. Bindings compare it with
/// `xoxe_abi_version()` when they load the library and refuse a mismatch.
pub const XOXE_ABI_VERSION: u32 = 1;
// XOXE_VERSION_MAJOR/MINOR/PATCH: written into the header by build.rs from
// the crate's version (Cargo.toml, the one place the version is kept).

/// The library's version, e.g. `"0.2.0"`. Static string: never free it.
#[no_mangle]
pub extern "C" fn xoxe_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the loaded library (compare with `XOXE_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn xoxe_abi_version() -> u32 {
    XOXE_ABI_VERSION
}

/// The snake_case name of a status code (for Slack codes, the code Slack sends,
/// e.g. `"invalid_refresh_token"`); `"unknown_status"` for a number that names
/// none. Takes any number. Static string: never free it.
#[no_mangle]
pub extern "C" fn xoxe_status_name(status: u32) -> *const c_char {
    guard_plain(c"unknown_status".as_ptr(), || {
        Status::from_u32(status)
            .map_or(c"unknown_status", Status::c_name)
            .as_ptr()
    })
}

/// The family of a status code (`XOXE_STATUS_FAMILY_*`), for mapping codes to
/// exception classes. A number that names no status gives
/// `XOXE_STATUS_FAMILY_INTERNAL`.
#[no_mangle]
pub extern "C" fn xoxe_status_family_of(status: u32) -> StatusFamily {
    guard_plain(StatusFamily::Internal, || {
        Status::from_u32(status).map_or(StatusFamily::Internal, Status::family)
    })
}
