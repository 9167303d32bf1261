//! The canonical chain name of an installation's token: the same in C, Python and
//! Go, so services in any language share one store's chains.
//!
//! `bot:ENTERPRISE:TEAM` for a bot token, `user:ENTERPRISE:TEAM:USER` for a user
//! token, with `-` for an absent enterprise (a workspace outside Enterprise Grid)
//! and for the team of an org-wide install (one token for every workspace of the
//! enterprise). Examples: `bot:-:T0123`, `bot:E0456:-`, `user:E0456:T0123:U0789`.

use crate::error::{Error, Result};
use crate::status::Status;

/// Longest Slack id accepted in a chain name.
const MAX_ID_LEN: usize = 32;

/// Whose token a chain holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenOwner<'a> {
    /// The installation's bot token.
    Bot,
    /// The token of the user with this id (`U…` / `W…`).
    User(&'a str),
}

/// The chain name for an installation's token (see the module docs). `team_id`
/// is ignored for an org-wide install (`is_enterprise_install`), which needs an
/// `enterprise_id`; otherwise a `team_id` is required. Ids are Slack ids: 1 to 32
/// ASCII letters and digits. Anything else is `InvalidArgument`.
pub fn installation_chain(
    enterprise_id: Option<&str>,
    team_id: Option<&str>,
    is_enterprise_install: bool,
    owner: TokenOwner<'_>,
) -> Result<String> {
    let enterprise_id = enterprise_id.filter(|id| !id.is_empty());
    let team_id = team_id.filter(|id| !id.is_empty());
    let enterprise = match enterprise_id {
        Some(id) => checked("enterprise_id", id)?,
        None if is_enterprise_install => {
            return Err(Error::new(
                Status::InvalidArgument,
                "an org-wide install needs its enterprise_id",
            ))
        }
        None => "-",
    };
    let team = match team_id {
        _ if is_enterprise_install => "-",
        Some(id) => checked("team_id", id)?,
        None => {
            return Err(Error::new(
                Status::InvalidArgument,
                "a workspace install needs its team_id",
            ))
        }
    };
    Ok(match owner {
        TokenOwner::Bot => format!("bot:{enterprise}:{team}"),
        TokenOwner::User(user) => format!("user:{enterprise}:{team}:{}", checked("user_id", user)?),
    })
}

fn checked<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::new(
            Status::InvalidArgument,
            format!("{what} must be a Slack id: 1 to {MAX_ID_LEN} letters and digits"),
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_form() {
        let bot = installation_chain(None, Some("T1"), false, TokenOwner::Bot).unwrap();
        assert_eq!(bot, "bot:-:T1");
        let grid = installation_chain(Some("E2"), Some("T1"), false, TokenOwner::User("U3")).unwrap();
        assert_eq!(grid, "user:E2:T1:U3");
        let org = installation_chain(Some("E2"), Some("T1"), true, TokenOwner::Bot).unwrap();
        assert_eq!(org, "bot:E2:-", "an org-wide install ignores the team");
        let org_user = installation_chain(Some("E2"), None, true, TokenOwner::User("W4")).unwrap();
        assert_eq!(org_user, "user:E2:-:W4");
        let empty_enterprise = installation_chain(Some(""), Some("T1"), false, TokenOwner::Bot).unwrap();
        assert_eq!(empty_enterprise, "bot:-:T1", "an empty id is an absent one");
        for name in [bot, grid, org, org_user] {
            crate::store::fleet::check_chain_name(&name).unwrap();
        }
    }

    #[test]
    fn what_cannot_name_a_chain_is_refused() {
        let bad = [
            installation_chain(None, None, false, TokenOwner::Bot),
            installation_chain(None, Some("T1"), true, TokenOwner::Bot),
            installation_chain(None, Some("T:1"), false, TokenOwner::Bot),
            installation_chain(Some("E/1"), Some("T1"), false, TokenOwner::Bot),
            installation_chain(None, Some("T1"), false, TokenOwner::User("")),
            installation_chain(None, Some("T1"), false, TokenOwner::User("U1:x")),
            installation_chain(None, Some(&"T".repeat(33)), false, TokenOwner::Bot),
        ];
        for result in bad {
            assert_eq!(result.unwrap_err().status, Status::InvalidArgument);
        }
    }
}
