package xoxe

// #include "xoxe.h"
import "C"

import (
	"cmp"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// maxReusedChains bounds how many chains' tokens [Pool.Get] keeps for reuse;
// past it they are all let go (a pool cycling through more chains than this
// pays one library call per Get).
const maxReusedChains = 4096

// reuseMap is chain name -> *reusable, with a count of the entries stored.
type reuseMap struct {
	m sync.Map
	n atomic.Int64
}

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
	// each until the library's deadline for it (see [reusable]).
	reuse atomic.Pointer[reuseMap]
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
	return pool, nil
}

// Get returns a valid access token of the chain named chain and its expiry
// (this machine's clock), rotating first when it is due; a fresh token costs
// no I/O. It fails with [ErrStoreEmpty] for a chain the store does not hold
// and with [ErrChainRevoked] for a revoked one (which the pool then forgets);
// otherwise as [Rotator.Get] ([ErrOutcomeUnknown], [ErrChainDead], …).
func (p *Pool) Get(chain string) (Secret, time.Time, error) {
	const op = "Pool.Get"
	var reuse *reuseMap
	if p != nil {
		reuse = p.reuse.Load()
		if reuse != nil {
			if u, ok := reuse.m.Load(chain); ok && u.(*reusable).fresh() {
				return u.(*reusable).secret, u.(*reusable).expires, nil
			}
		}
	}
	a, err := toC(op, strArg{"chain", chain, false})
	if err != nil {
		return Secret{}, time.Time{}, err
	}
	defer a.free()
	var out Secret
	var exp time.Time
	var untilMS C.int64_t
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		return lendToken(op, func(b *C.char, n C.size_t, expires *C.int64_t, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_pool_get_reusable(h, a[0], b, n, expires, &untilMS, e)
		}, func(token []byte, expires int64) {
			out, exp = NewSecret(string(token)), unixTime(expires)
		})
	})
	if p != nil {
		if err != nil || untilMS == 0 {
			p.forget(chain)
		} else {
			p.keep(reuse, chain, &reusable{secret: out, expires: exp, untilMS: int64(untilMS)})
		}
	}
	return out, exp, err
}

// keep stores chain's reusable token, starting a new map when reuse is nil or full.
func (p *Pool) keep(reuse *reuseMap, chain string, u *reusable) {
	if reuse == nil || reuse.n.Load() >= maxReusedChains {
		fresh := &reuseMap{}
		if !p.reuse.CompareAndSwap(reuse, fresh) {
			return // another goroutine replaced it: the next Get keeps the token
		}
		reuse = fresh
	}
	if _, loaded := reuse.m.Swap(chain, u); !loaded {
		reuse.n.Add(1)
	}
}

// forget drops chain's reusable token, if any.
func (p *Pool) forget(chain string) {
	if reuse := p.reuse.Load(); reuse != nil {
		reuse.m.Delete(chain)
	}
}

// TryGet returns the token [Pool.Get] would, only if it can be had without
// blocking: the chain's rotator in memory and its token fresh. ok false means
// "call Get" (which may block). It never reads the store, waits for a lock or
// rotates.
func (p *Pool) TryGet(chain string) (token Secret, expires time.Time, ok bool, err error) {
	const op = "Pool.TryGet"
	a, err := toC(op, strArg{"chain", chain, false})
	if err != nil {
		return Secret{}, time.Time{}, false, err
	}
	defer a.free()
	var fresh C.bool
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		return lendToken(op, func(b *C.char, n C.size_t, expires *C.int64_t, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_pool_try_get(h, a[0], b, n, expires, &fresh, e)
		}, func(t []byte, exp int64) {
			if fresh {
				token, expires = NewSecret(string(t)), unixTime(exp)
			}
		})
	})
	if err != nil || !bool(fresh) {
		return Secret{}, time.Time{}, false, err
	}
	return token, expires, true, nil
}

// removal runs xoxe_pool_remove or xoxe_pool_uninstall on chain.
func (p *Pool) removal(op, chain string, call func(*C.xoxe_pool, *C.char, *C.bool, **C.xoxe_error) C.xoxe_status) (bool, error) {
	if p != nil {
		p.forget(chain)
	}
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
	if p != nil {
		p.forget(chain)
	}
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
		p.reuse.Store(nil)
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
