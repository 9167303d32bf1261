package xoxe

// #include "xoxe.h"
import "C"

import "fmt"

// Keyring holds the keys that seal stored documents at rest with AES-256-GCM
// ([Store.Sealed]): the first key seals, every one opens, so a key is rotated
// by putting the new one first and keeping the old one until every chain has
// been saved again ([Store.RewriteChains]). Key bytes live only in the
// library, which zeroes them when the last user frees them; no key material
// ever appears in an error or in String. Safe for concurrent use; stores
// sealed with it keep their own reference, so it may be closed right after
// [Store.Sealed].
type Keyring struct{ h *handle[*C.xoxe_keyring] }

func (k *Keyring) handle() *handle[*C.xoxe_keyring] {
	if k == nil {
		return nil
	}
	return k.h
}

// newKeyring runs a keyring constructor whose one string argument is arg.
func newKeyring(op string, arg strArg, create func(s *C.char, out **C.xoxe_keyring, e **C.xoxe_error) C.xoxe_status) (*Keyring, error) {
	a, err := toC(op, arg)
	if err != nil {
		return nil, err
	}
	defer a.free()
	h, err := own(op, "keyring", func(p *C.xoxe_keyring) { C.xoxe_keyring_free(p) },
		func(out **C.xoxe_keyring, e **C.xoxe_error) C.xoxe_status { return create(a[0], out, e) })
	if err != nil {
		return nil, err
	}
	return &Keyring{h}, nil
}

// KeyringFromFile reads a keyring file: one key per line, "KEY_ID BASE64" (32
// bytes once decoded; ids of 1 to 64 characters A-Z a-z 0-9 . _ -), blank
// lines and # comments ignored, the first key sealing. The file must not be
// readable by group or others (StatusStorePermissions otherwise); a missing
// one is StatusFileUnreadable, a malformed one [ErrUsage] naming the line.
// `xoxe seal-key new ID` prints a fresh line.
func KeyringFromFile(path string) (*Keyring, error) {
	return newKeyring("KeyringFromFile", strArg{"path", path, false},
		func(s *C.char, out **C.xoxe_keyring, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_keyring_from_file(s, out, e)
		})
}

// KeyringFromEnv reads a keyring from the environment variable name, in the
// file's format with lines separated by newlines or ";". A missing or empty
// variable fails with [ErrUsage] naming it.
func KeyringFromEnv(name string) (*Keyring, error) {
	return newKeyring("KeyringFromEnv", strArg{"variable name", name, false},
		func(s *C.char, out **C.xoxe_keyring, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_keyring_from_env(s, out, e)
		})
}

// Close releases this handle (stores sealed with the keyring keep their own
// reference). It is idempotent, waits for calls in flight, and always returns
// nil.
func (k *Keyring) Close() error { return k.handle().close() }

// String describes the keyring handle, never its keys.
func (k *Keyring) String() string {
	if k == nil {
		return "xoxe.Keyring(nil)"
	}
	return fmt.Sprintf("xoxe.Keyring(%p)", k)
}

// Sealed returns a new handle on s whose documents are sealed at rest with
// AES-256-GCM under keyring's first key (the key id is stored beside the
// ciphertext, and the chain name authenticated with it). Documents sealed
// under any of the keyring's keys, and plain ones, are read, so an unsealed
// store keeps working and each chain is sealed by its next save
// ([Store.RewriteChains] seals them all now). A document sealed under a key
// the keyring lacks, or tampered with, fails with [ErrStoreSealed] naming the
// key id, and nothing is overwritten. Chains opened from the new handle are
// sealed too. A memory store fails with StatusUnsupported.
func (s *Store) Sealed(keyring *Keyring) (*Store, error) {
	const op = "Store.Sealed"
	var out *Store
	err := s.handle().use(op, func(p *C.xoxe_store) error {
		return keyring.handle().use(op, func(k *C.xoxe_keyring) (err error) {
			out, err = newStore(op, func(o **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
				return C.xoxe_store_sealed(p, k, o, e)
			})
			return err
		})
	})
	return out, err
}

// RewriteChains rewrites every chain kept where s is through s and returns how
// many it rewrote: through a handle from [Store.Sealed], every document is
// sealed under the keyring's first key (seal a plain store, or move every
// chain to a new key); through a plain handle, every document is written
// plain, with the pairs parked beside it. Each chain is rewritten holding its
// lease, at the same generation, so a rotation running meanwhile is waited for
// and never undone. A chain that cannot be read (e.g.
// [ErrStoreSealed]) stops the run with its error and is left as it was.
func (s *Store) RewriteChains() (int, error) {
	const op = "Store.RewriteChains"
	var n C.size_t
	err := s.handle().use(op, func(p *C.xoxe_store) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_store_rewrite_chains(p, &n, &e), &e)
	})
	return int(n), err
}
