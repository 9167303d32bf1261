//! Many chains in one store: their names, the canonical name of an installation's
//! chain, and `xoxe_chain_list`, the per-chain status operators read.

use super::args::{free_handle, give, guard, guard_plain, non_null, opt_str_arg, out_arg};
use super::error::xoxe_error;
use super::store::{xoxe_chain_kind, xoxe_store};
use super::strings::CStrings;
use crate::chain_name::{installation_chain, TokenOwner};
use crate::error::Error;
use crate::pool::{chain_statuses, ChainStatus};
use crate::status::Status;
use crate::store::ChainKind;
use std::ffi::c_char;

/// The header's `XOXE_MAX_CHAIN_NAME_LEN`: the longest chain name, in bytes.
pub use crate::store::fleet::MAX_CHAIN_NAME_LEN as XOXE_MAX_CHAIN_NAME_LEN;

/// One chain as its store holds it (no secret). Strings are NULL when unknown.
#[repr(C)]
pub struct xoxe_chain_info {
    /// The chain's name.
    pub chain: *const c_char,
    /// `XOXE_STATUS_OK`, or why the chain could not be read (e.g.
    /// `XOXE_STATUS_STORE_SEALED` without its key); the fields below are then zero.
    pub status: Status,
    /// What went wrong (safe to print), or NULL when `status` is OK.
    pub error_message: *const c_char,
    /// A `xoxe_chain_kind`.
    pub kind: u32,
    /// The stored generation (each save adds one).
    pub generation: u64,
    /// When the access token expires, Unix seconds (0: unknown).
    pub expires_at: i64,
    /// When the chain was last rotated, Unix seconds (0: not since it was stored).
    pub rotated_at: i64,
    /// Who rotated it last (`host/pid`).
    pub rotated_by: *const c_char,
    /// Slack's code if the chain is revoked (`token_revoked`, …), else NULL.
    pub revoked: *const c_char,
    /// Workspace id.
    pub team_id: *const c_char,
    /// User (or bot user) id.
    pub user_id: *const c_char,
}

/// The chains of a store (`xoxe_store_chains`), sorted by name. Free with
/// `xoxe_chain_list_free`.
pub struct xoxe_chain_list {
    chains: Vec<xoxe_chain_info>,
    _strings: CStrings,
}

// SAFETY: the raw pointers point into `_strings`, owned and never mutated.
unsafe impl Send for xoxe_chain_list {}
unsafe impl Sync for xoxe_chain_list {}

impl From<Vec<ChainStatus>> for xoxe_chain_list {
    fn from(list: Vec<ChainStatus>) -> xoxe_chain_list {
        let mut s = CStrings::default();
        let null = std::ptr::null::<c_char>;
        let chains = list
            .iter()
            .map(|c| {
                let chain = s.add(&c.chain);
                match &c.state {
                    Ok(state) => xoxe_chain_info {
                        chain,
                        status: Status::Ok,
                        error_message: null(),
                        kind: match state.kind {
                            ChainKind::Config => xoxe_chain_kind::Config as u32,
                            ChainKind::Oauth => xoxe_chain_kind::Oauth as u32,
                        },
                        generation: state.generation,
                        expires_at: state.expires_at,
                        rotated_at: state.rotated_at,
                        rotated_by: s.add_opt(state.rotated_by.as_deref()),
                        revoked: s.add_opt(state.revoked.as_deref()),
                        team_id: s.add_opt(state.team_id.as_deref()),
                        user_id: s.add_opt(state.user_id.as_deref()),
                    },
                    Err(e) => xoxe_chain_info {
                        chain,
                        status: e.status,
                        error_message: s.add(&e.message),
                        kind: 0,
                        generation: 0,
                        expires_at: 0,
                        rotated_at: 0,
                        rotated_by: null(),
                        revoked: null(),
                        team_id: null(),
                        user_id: null(),
                    },
                }
            })
            .collect();
        xoxe_chain_list { chains, _strings: s }
    }
}

/// Lists every chain kept where `store` is (its directory, database, memory or
/// host), with each one's state; a single-file store lists its one chain.
/// `XOXE_STATUS_UNSUPPORTED` for a host store without a `list` callback.
///
/// # Safety
/// `store` is live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xoxe_store_chains(
    store: *const xoxe_store,
    out: *mut *mut xoxe_chain_list,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(store, "store")?;
        let out = out_arg(out, "out")?;
        let list = chain_statuses(&*(*store).inner)?;
        give(out, xoxe_chain_list::from(list));
        Ok(())
    })
}

/// The number of chains in `list` (0 for NULL).
///
/// # Safety
/// `list` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xoxe_chain_list_len(list: *const xoxe_chain_list) -> usize {
    guard_plain(0, || list.as_ref().map_or(0, |l| l.chains.len()))
}

/// Chain `index` of `list`, valid until the list is freed; NULL when out of range.
///
/// # Safety
/// `list` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xoxe_chain_list_get(list: *const xoxe_chain_list, index: usize) -> *const xoxe_chain_info {
    guard_plain(std::ptr::null(), || {
        list.as_ref()
            .and_then(|l| l.chains.get(index))
            .map_or(std::ptr::null(), |c| c as *const xoxe_chain_info)
    })
}

/// Frees a chain list. NULL is ignored.
///
/// # Safety
/// `list` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xoxe_chain_list_free(list: *mut xoxe_chain_list) {
    free_handle(list)
}

/// Writes the canonical chain name of an installation's token into `buf`
/// (NUL-terminated; `buf_len` of `XOXE_MAX_CHAIN_NAME_LEN + 1` always fits):
/// `bot:ENTERPRISE:TEAM` for the bot token (`user_id` NULL) or
/// `user:ENTERPRISE:TEAM:USER` for a user's, with `-` for an absent enterprise
/// and for the team of an org-wide install (`is_enterprise_install`). The same
/// name in every language, so services share chains. Ids are Slack ids (letters
/// and digits); anything else is `XOXE_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// Strings are NUL-terminated or NULL; `buf` has `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn xoxe_installation_chain(
    enterprise_id: *const c_char,
    team_id: *const c_char,
    is_enterprise_install: bool,
    user_id: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    error_out: *mut *mut xoxe_error,
) -> Status {
    guard(error_out, || {
        non_null(buf, "buf")?;
        let enterprise_id = opt_str_arg(enterprise_id, "enterprise_id")?;
        let team_id = opt_str_arg(team_id, "team_id")?;
        let owner = match opt_str_arg(user_id, "user_id")? {
            Some(user) => TokenOwner::User(user),
            None => TokenOwner::Bot,
        };
        let name = installation_chain(enterprise_id, team_id, is_enterprise_install, owner)?;
        if name.len() >= buf_len {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("buf holds {buf_len} bytes; XOXE_MAX_CHAIN_NAME_LEN + 1 always fits"),
            ));
        }
        std::ptr::copy_nonoverlapping(name.as_ptr(), buf.cast::<u8>(), name.len());
        *buf.add(name.len()) = 0;
        Ok(())
    })
}
