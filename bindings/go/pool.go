package xoxe

// #include "xoxe.h"
import "C"

import (
	"cmp"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Pool keeps many chains of one store's place fresh — a directory, a
// PostgreSQL or Redis database, or memory — one rotator per chain, created on
// first use: [Pool.Get] returns a valid access token of a chain, rotating
// first when it is due, one rotation per chain at a time across goroutines
// (and, through the store's lease, across processes and machines). Safe for
// concurrent use. It keeps its own references to the client and the store,
// which may be closed before it.
type Pool struct {
	h *handle[*C.xoxe_pool]
	// baseURL is the base URL of the client it was made with ([Transport]'s
	// default API URL).
	baseURL string
	// reuse holds the tokens Get hands out again without calling the library,
	// each until the library's deadline for it (see [reuseTable]); nil once
	// closed.
	reuse atomic.Pointer[reuseTable]
}

func (p *Pool) handle() *handle[*C.xoxe_pool] {
	if p == nil {
		return nil
	}
	return p.h
}

// PoolOption configures a [Pool] in [NewPool]. A setting left out keeps the
// library's default (see xoxe_pool_options in include/xoxe.h).
type PoolOption func(*poolOptions)

// poolOptions are a new pool's settings; err is the first option that failed.
type poolOptions struct {
	c   C.xoxe_pool_options
	err error
}

// WithRotatorOptions sets when every chain's rotator rotates, as the options
// of [NewConfigRotator] do (a zero field keeps the library's default).
func WithRotatorOptions(opts RotatorOptions) PoolOption {
	return func(o *poolOptions) {
		c, err := opts.toC("NewPool")
		if err == nil {
			o.c.rotator = *c
		}
		o.err = cmp.Or(o.err, err)
	}
}

// WithMaxChainsInMemory bounds the rotators the pool holds in memory to n (at
// least 1): beyond it the least recently used are dropped and read from the
// store again when next asked for. Leave the option out for the library's
// default.
func WithMaxChainsInMemory(n int) PoolOption {
	return func(o *poolOptions) {
		if n < 1 || uint64(n) > math.MaxUint32 {
			o.err = cmp.Or(o.err, error(usageError("NewPool", fmt.Sprintf("max chains in memory %d out of range (at least 1)", n))))
			return
		}
		o.c.max_chains_in_memory = C.uint32_t(n)
	}
}

// WithBackgroundRefresh makes the pool rotate the chains it holds in memory
// from a background thread as they enter their refresh window (each at its
// own jittered time), so that [Pool.Get] finds them fresh. [PoolStats] counts
// its rotations and failures; failures are also logged.
func WithBackgroundRefresh() PoolOption {
	return func(o *poolOptions) { o.c.background_refresh = true }
}

// NewPool creates a pool over store's place (a directory, PostgreSQL, Redis or
// memory store; a single-file store fails with StatusUnsupported). clientID
// and clientSecret renew bot and user chains ([ChainOAuth]); pass both "" for
// a pool of configuration-token chains only. Seed chains with
// [Store.OpenChain] and [Store.Init].
func NewPool(client *Client, store *Store, clientID, clientSecret string, opts ...PoolOption) (*Pool, error) {
	const op = "NewPool"
	var o poolOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	a, err := toC(op, strArg{"client ID", clientID, true}, strArg{"client secret", clientSecret, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	pool := &Pool{}
	err = client.handle().use(op, func(c *C.xoxe_client) error {
		return store.handle().use(op, func(s *C.xoxe_store) (err error) {
			pool.h, err = own(op, "pool", func(p *C.xoxe_pool) { C.xoxe_pool_free(p) },
				func(out **C.xoxe_pool, e **C.xoxe_error) C.xoxe_status {
					return C.xoxe_pool_new(c, s, a[0], a[1], &o.c, out, e)
				})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	pool.baseURL = client.BaseURL()
	if o.c.max_chains_in_memory > 0 {
		pool.reuse.Store(newReuseTable(int(o.c.max_chains_in_memory), nil))
	} else { // the library's default bound: follow what it holds
		pool.reuse.Store(newReuseTable(0, func() int {
			s, err := pool.Stats()
			if err != nil {
				return 0
			}
			return s.ChainsInMemory
		}))
	}
	return pool, nil
}

// Get returns a valid access token of the chain named chain and its expiry
// (this machine's clock), rotating first when it is due; a fresh token costs
// no I/O. It fails with [ErrStoreEmpty] for a chain the store does not hold
// and with [ErrChainRevoked] for a revoked one (which the pool then forgets);
// otherwise as [Rotator.Get] ([ErrOutcomeUnknown], [ErrChainDead], …).
//
// Until the library's deadline for a chain's fresh token (a short horizon,
// never past its rotation) Get hands it out again without calling the
// library, for as many chains as the pool holds in memory
// ([WithMaxChainsInMemory]).
func (p *Pool) Get(chain string) (Secret, time.Time, error) {
	var t *reuseTable
	var e *reuseEntry
	if p != nil {
		if t = p.reuse.Load(); t != nil {
			if e = t.lookup(chain); e != nil {
				if u := e.p.Load(); u.fresh() {
					return u.secret, unixTime(u.expUnix), nil
				}
			}
		}
	}
	return p.get(chain, t, e)
}

// get is Get's library call; t is the pool's reuse table (nil: keep nothing)
// and e chain's entry in it (nil: none yet).
func (p *Pool) get(chain string, t *reuseTable, e *reuseEntry) (Secret, time.Time, error) {
	const op = "Pool.Get"
	if err := checkNUL(op, "chain", chain); err != nil {
		return Secret{}, time.Time{}, err
	}
	var gen uint64
	var prev *reusable
	if t != nil {
		gen = t.gen.Load()
		if e != nil {
			prev = e.p.Load()
		}
	}
	var u reusable
	err := p.handle().use(op, func(h *C.xoxe_pool) error {
		return lendNamed(op, chain, func(name, b *C.char, n C.size_t, o outs) C.xoxe_status {
			return C.xoxe_pool_get_reusable(h, name, b, n, o.expires, o.until, o.err)
		}, func(l lent) {
			u.expUnix, u.untilMS = l.expires, l.until
			if prev != nil && prev.expUnix == l.expires && l.same(prev.secret) {
				u.secret = prev.secret // the token it had: no copy, no redaction
			} else {
				u.secret = l.secret()
			}
		})
	})
	if hook := testHookCalled.Load(); hook != nil {
		(*hook)(p, chain)
	}
	if t != nil {
		switch {
		case err != nil:
			t.forget(chain)
		default:
			if e == nil {
				e = t.entry(chain)
			}
			if e != nil {
				// A token not to be reused (deadline 0) is kept too, never
				// fresh: the next Get hands out its Secret if the library
				// gives the same token.
				keepReusable(&e.p, &t.gen, gen, &u)
			}
		}
	}
	return u.secret, unixTime(u.expUnix), err
}

// testHookCalled, set by tests, runs in every Pool.Get and Rotator.Get that
// called the library, between the call and keeping its token (owner is the
// Pool or Rotator; chain is "" for a Rotator).
var testHookCalled atomic.Pointer[func(owner any, chain string)]

// forget ends the reuse of chain's token, also for a Get in flight.
func (p *Pool) forget(chain string) {
	if p == nil {
		return
	}
	if t := p.reuse.Load(); t != nil {
		t.forget(chain)
	}
}

// TryGet returns the token [Pool.Get] would, only if it can be had without
// blocking: the chain's rotator in memory and its token fresh. ok false means
// "call Get" (which may block). It never reads the store, waits for a lock or
// rotates.
func (p *Pool) TryGet(chain string) (token Secret, expires time.Time, ok bool, err error) {
	const op = "Pool.TryGet"
	var prev *reusable
	if p != nil {
		if t := p.reuse.Load(); t != nil {
			if e := t.lookup(chain); e != nil {
				if prev = e.p.Load(); prev.fresh() {
					return prev.secret, unixTime(prev.expUnix), true, nil // what Get would hand out
				}
			}
		}
	}
	if err := checkNUL(op, "chain", chain); err != nil {
		return Secret{}, time.Time{}, false, err
	}
	var fresh bool
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		return lendNamed(op, chain, func(name, b *C.char, n C.size_t, o outs) C.xoxe_status {
			return C.xoxe_pool_try_get(h, name, b, n, o.expires, o.flag, o.err)
		}, func(l lent) {
			if fresh = l.flag; !fresh {
				return
			}
			if prev != nil && prev.expUnix == l.expires && l.same(prev.secret) {
				token = prev.secret
			} else {
				token = l.secret()
			}
			expires = unixTime(l.expires)
		})
	})
	if err != nil || !fresh {
		return Secret{}, time.Time{}, false, err
	}
	return token, expires, true, nil
}

// removal runs xoxe_pool_remove or xoxe_pool_uninstall on chain.
func (p *Pool) removal(op, chain string, call func(*C.xoxe_pool, *C.char, *C.bool, **C.xoxe_error) C.xoxe_status) (bool, error) {
	// Before and after: a Get whose library call ran while the chain was
	// being removed does not keep its token (see keepReusable).
	p.forget(chain)
	defer p.forget(chain)
	a, err := toC(op, strArg{"chain", chain, false})
	if err != nil {
		return false, err
	}
	defer a.free()
	var removed C.bool
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		var e *C.xoxe_error
		return check(op, call(h, a[0], &removed, &e), &e)
	})
	return bool(removed), err
}

// Remove deletes the chain named chain from the store, its secrets with it,
// forgets its rotator, and reports whether the store held it. A later Get of
// it fails with [ErrStoreEmpty].
func (p *Pool) Remove(chain string) (bool, error) {
	return p.removal("Pool.Remove", chain, func(h *C.xoxe_pool, c *C.char, removed *C.bool, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_pool_remove(h, c, removed, e)
	})
}

// Uninstall revokes the chain's token at Slack (auth.revoke), then removes
// it as [Pool.Remove] does. A chain already revoked is just removed; if the
// revocation fails otherwise, nothing is removed and the error says why.
func (p *Pool) Uninstall(chain string) (bool, error) {
	return p.removal("Pool.Uninstall", chain, func(h *C.xoxe_pool, c *C.char, removed *C.bool, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_pool_uninstall(h, c, removed, e)
	})
}

// MarkRevoked marks the chain named chain revoked because a Slack call made
// with its token answered slackCode ("token_revoked", "account_inactive" or
// "invalid_auth"; other codes fail with [ErrUsage]). Every holder of the
// chain, in any process, then gets [ErrChainRevoked] without calling Slack,
// and [Store.Chains] shows the code in Revoked.
func (p *Pool) MarkRevoked(chain, slackCode string) error {
	const op = "Pool.MarkRevoked"
	p.forget(chain) // and after, as removal does
	defer p.forget(chain)
	a, err := toC(op, strArg{"chain", chain, false}, strArg{"Slack code", slackCode, false})
	if err != nil {
		return err
	}
	defer a.free()
	return p.handle().use(op, func(h *C.xoxe_pool) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_pool_mark_revoked(h, a[0], a[1], &e), &e)
	})
}

// PoolStats are a pool's counters ([Pool.Stats]).
type PoolStats struct {
	ChainsInMemory      int    // rotators held in memory now
	BackgroundRotations uint64 // rotations made by the background refresher
	BackgroundFailures  uint64 // background refreshes that failed (each is logged)
}

// Stats returns the pool's counters.
func (p *Pool) Stats() (PoolStats, error) {
	const op = "Pool.Stats"
	var s C.xoxe_pool_stats_info
	err := p.handle().use(op, func(h *C.xoxe_pool) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_pool_stats(h, &s, &e), &e)
	})
	if err != nil {
		return PoolStats{}, err
	}
	return PoolStats{
		ChainsInMemory:      int(s.chains_in_memory),
		BackgroundRotations: uint64(s.background_rotations),
		BackgroundFailures:  uint64(s.background_failures),
	}, nil
}

// ---------------------------------------------------------------------------
// (*Pool).Install(*Install) belongs here: it saves a new installation's chains
// (xoxe_pool_install). It is added with the installation binding; nothing
// above depends on it.
// ---------------------------------------------------------------------------

// Close frees the pool and stops its background refresher (waiting for a
// rotation in progress). It is idempotent, waits for calls in flight, makes
// later calls fail with [ErrClosed], and always returns nil.
func (p *Pool) Close() error {
	if p != nil {
		if t := p.reuse.Swap(nil); t != nil {
			t.gen.Add(1) // a Get in flight keeps nothing; Gets after find no table
		}
	}
	return p.handle().close()
}

// String describes the pool handle (never a token).
func (p *Pool) String() string {
	if p == nil {
		return "xoxe.Pool(nil)"
	}
	return fmt.Sprintf("xoxe.Pool(%p)", p)
}
