package xoxe

// #include "xoxe.h"
import "C"

import "time"

// Many chains in one place: reaching and removing them through a [Store],
// listing them, and the canonical chain name of an installation's token.

// OpenChain returns a new handle on the chain named name kept in the same
// place as s: the same database connection, directory or memory, sealed the
// same way. The chain need not exist yet (initialise it with [Store.Init]). A
// single-file store fails with StatusUnsupported; a name that is empty, longer
// than the library's limit, holds a character outside A-Z a-z 0-9 . _ - : @ or
// starts with "." fails with [ErrUsage].
func (s *Store) OpenChain(name string) (*Store, error) {
	const op = "Store.OpenChain"
	a, err := toC(op, strArg{"chain", name, false})
	if err != nil {
		return nil, err
	}
	defer a.free()
	var out *Store
	err = s.handle().use(op, func(p *C.xoxe_store) (err error) {
		out, err = newStore(op, func(o **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_store_open_chain(p, a[0], o, e)
		})
		return err
	})
	return out, err
}

// RemoveChain deletes the store's chain — its pair, in-flight marker, lease
// and orphans, so none of its secrets remain in the store — and reports
// whether a pair was stored. Rotators of the chain then fail with
// [ErrStoreEmpty].
func (s *Store) RemoveChain() (bool, error) {
	const op = "Store.RemoveChain"
	var removed C.bool
	err := s.handle().use(op, func(p *C.xoxe_store) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_store_remove_chain(p, &removed, &e), &e)
	})
	return bool(removed), err
}

// ChainStatus is one chain as its store holds it ([Store.Chains]); it holds
// no secret. When the chain could not be read, Err says why (an [*Error], e.g.
// [ErrStoreSealed] without its key) and only Chain is set.
type ChainStatus struct {
	Chain      string    // the chain's name
	Kind       ChainKind // how the chain is renewed
	Generation uint64    // the stored generation (each save adds one)
	ExpiresAt  time.Time // when the access token expires (zero: unknown)
	RotatedAt  time.Time // when the chain was last rotated (zero: not since it was stored)
	RotatedBy  string    // who rotated it last (host/pid), or ""
	Revoked    string    // Slack's code if the chain is revoked (e.g. "token_revoked"), or ""
	TeamID     string    // the workspace id, or "" when unknown
	UserID     string    // the user (or bot user) id, or "" when unknown
	Err        error     // why the chain could not be read, or nil
}

// Chains lists every chain kept where s is (its directory, database or
// memory), sorted by name, each with its state; a single-file store lists its
// one chain.
func (s *Store) Chains() ([]ChainStatus, error) {
	const op = "Store.Chains"
	var out []ChainStatus
	err := s.handle().use(op, func(p *C.xoxe_store) error {
		var list *C.xoxe_chain_list
		var e *C.xoxe_error
		if err := check(op, C.xoxe_store_chains(p, &list, &e), &e); err != nil {
			return err
		}
		defer C.xoxe_chain_list_free(list)
		n := C.xoxe_chain_list_len(list)
		out = make([]ChainStatus, 0, int(n))
		for i := C.size_t(0); i < n; i++ {
			info := C.xoxe_chain_list_get(list, i)
			if info == nil { // only out of range, which i never is
				break
			}
			c := ChainStatus{Chain: goString(info.chain)}
			if st := Status(info.status); st != StatusOK {
				c.Err = newError(op, st, goString(info.error_message))
			} else {
				c.Kind = ChainKind(info.kind)
				c.Generation = uint64(info.generation)
				c.ExpiresAt = unixTime(int64(info.expires_at))
				c.RotatedAt = unixTime(int64(info.rotated_at))
				c.RotatedBy = goString(info.rotated_by)
				c.Revoked = goString(info.revoked)
				c.TeamID = goString(info.team_id)
				c.UserID = goString(info.user_id)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// InstallationChain returns the canonical chain name of an installation's
// token, the same in every language so that services share chains:
// "bot:ENTERPRISE:TEAM" for the bot token (userID "") or
// "user:ENTERPRISE:TEAM:USER" for a user's, with "-" for an absent enterprise
// (enterpriseID "") and for the team of an org-wide install
// (isEnterpriseInstall, which needs an enterpriseID). Ids are Slack ids
// (letters and digits); anything else fails with [ErrUsage].
func InstallationChain(enterpriseID, teamID string, isEnterpriseInstall bool, userID string) (string, error) {
	const op = "InstallationChain"
	a, err := toC(op, strArg{"enterprise ID", enterpriseID, true}, strArg{"team ID", teamID, true}, strArg{"user ID", userID, true})
	if err != nil {
		return "", err
	}
	defer a.free()
	var buf [C.XOXE_MAX_CHAIN_NAME_LEN + 1]C.char
	var e *C.xoxe_error
	if err := check(op, C.xoxe_installation_chain(a[0], a[1], C.bool(isEnterpriseInstall), a[2], &buf[0], C.size_t(len(buf)), &e), &e); err != nil {
		return "", err
	}
	return C.GoString(&buf[0]), nil
}
