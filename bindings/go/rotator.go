package xoxe

// #include "xoxe.h"
import "C"

import (
	"context"
	"sync/atomic"
	"time"
)

// RotatorOptions says when a [Rotator] rotates. A zero field means the
// library's default (see xoxe_rotator_options in include/xoxe.h). Durations
// are passed in whole seconds or milliseconds, rounded up.
type RotatorOptions struct {
	// RefreshWindow: rotate when the token expires within this long (for
	// tokens living less than twice that, at half their lifetime).
	RefreshWindow time.Duration
	// Jitter: up to this much random extra time per token, so a fleet does not
	// rotate in step (capped at a quarter of the window).
	Jitter time.Duration
	// WaitTimeout: the longest wait for another goroutine's or process's
	// rotation.
	WaitTimeout time.Duration
	// CallTimeout: the timeout of the rotation call itself (by default the
	// client's call timeout).
	CallTimeout time.Duration
}

func (o *RotatorOptions) toC(op string) (*C.xoxe_rotator_options, error) {
	if o == nil {
		return nil, nil
	}
	var c C.xoxe_rotator_options
	for _, f := range []struct {
		what    string
		d, unit time.Duration
		out     *C.uint32_t
	}{
		{"refresh window", o.RefreshWindow, time.Second, &c.refresh_window_secs},
		{"jitter", o.Jitter, time.Second, &c.jitter_secs},
		{"wait timeout", o.WaitTimeout, time.Millisecond, &c.wait_timeout_ms},
		{"call timeout", o.CallTimeout, time.Millisecond, &c.call_timeout_ms},
	} {
		n, err := durationUnits(op, f.what, f.d, f.unit)
		if err != nil {
			return nil, err
		}
		*f.out = n
	}
	return &c, nil
}

// Rotator keeps one token chain kept in a [Store] fresh: [Rotator.Get]
// returns a valid access token, rotating first when it is about to expire —
// one rotation at a time across goroutines (and, with a file store, across
// processes), the new pair saved to the store before it is returned. Safe for
// concurrent use; share one per chain and process.
type Rotator struct {
	h *handle[*C.xoxe_rotator]
	// last is the token handed out most recently, so a fresh Get (the common
	// case) returns it without allocating or asking the library to redact again.
	last atomic.Pointer[handedOut]
	// baseURL is the base URL of the client it was made with ([Transport]'s
	// default API URL).
	baseURL string
	// reuse is the token Get hands out again without calling the library,
	// until the library's deadline for it (nil: call).
	reuse atomic.Pointer[reusable]
	// reuseGen counts what ends the reuse (ForceRotate, Close): a Get whose
	// library call overlapped one does not keep its token (see keepReusable).
	reuseGen atomic.Uint64
}

type handedOut struct {
	secret  Secret
	expires int64
}

// reusable is a token with the library's deadline for handing it out again
// (xoxe_rotator_get_reusable, xoxe_pool_get_reusable): Unix milliseconds,
// within the library's horizon and never past the token's rotation. The
// library decides; Get only compares (an untilMS of 0 is never fresh).
type reusable struct {
	secret  Secret
	expUnix int64 // its expiry as the library gave it (Unix seconds, 0: unknown)
	untilMS int64
}

// keepReusable stores u in *slot unless an invalidation ran since gen was read
// (before the library call that gave u): stored first, then checked, so that
// either this check sees the invalidation's count and takes u back, or the
// invalidation, which counts first and clears *slot after, comes after the
// store and clears it.
func keepReusable(slot *atomic.Pointer[reusable], gens *atomic.Uint64, gen uint64, u *reusable) {
	slot.Store(u)
	if gens.Load() != gen {
		slot.CompareAndSwap(u, nil)
	}
}

// endReuse stops the reuse of *slot's token, also for library calls in flight.
func endReuse(slot *atomic.Pointer[reusable], gens *atomic.Uint64) {
	gens.Add(1)
	slot.Store(nil)
}

// fresh reports whether u may be handed out now.
func (u *reusable) fresh() bool {
	return u != nil && time.Now().UnixMilli() < u.untilMS
}

func (r *Rotator) handle() *handle[*C.xoxe_rotator] {
	if r == nil {
		return nil
	}
	return r.h
}

// NewConfigRotator creates a rotator for an app configuration token chain
// (tooling.tokens.rotate) kept in store (initialised with [Store.Init] and
// [ChainConfig]). opts may be nil for the defaults. The rotator keeps its own
// references: client and store may be closed before it.
func NewConfigRotator(client *Client, store *Store, opts *RotatorOptions) (*Rotator, error) {
	return newRotator("NewConfigRotator", client, store, opts, nil,
		func(c *C.xoxe_client, s *C.xoxe_store, _ cStrings, o *C.xoxe_rotator_options, out **C.xoxe_rotator, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_rotator_new_config(c, s, o, out, e)
		})
}

// NewOAuthRotator creates a rotator for a bot or user token chain
// (oauth.v2.access refresh grant) kept in store (initialised with
// [Store.Init] and [ChainOAuth]), with the app's credentials. opts may be nil.
func NewOAuthRotator(client *Client, store *Store, clientID, clientSecret string, opts *RotatorOptions) (*Rotator, error) {
	return newRotator("NewOAuthRotator", client, store, opts, []strArg{{"client ID", clientID, false}, {"client secret", clientSecret, false}},
		func(c *C.xoxe_client, s *C.xoxe_store, a cStrings, o *C.xoxe_rotator_options, out **C.xoxe_rotator, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_rotator_new_oauth(c, s, a[0], a[1], o, out, e)
		})
}

func newRotator(op string, client *Client, store *Store, opts *RotatorOptions, args []strArg,
	create func(*C.xoxe_client, *C.xoxe_store, cStrings, *C.xoxe_rotator_options, **C.xoxe_rotator, **C.xoxe_error) C.xoxe_status) (*Rotator, error) {
	copts, err := opts.toC(op)
	if err != nil {
		return nil, err
	}
	a, err := toC(op, args...)
	if err != nil {
		return nil, err
	}
	defer a.free()
	r := &Rotator{}
	err = client.handle().use(op, func(c *C.xoxe_client) error {
		return store.handle().use(op, func(s *C.xoxe_store) (err error) {
			r.h, err = own(op, "rotator", func(p *C.xoxe_rotator) { C.xoxe_rotator_free(p) },
				func(out **C.xoxe_rotator, e **C.xoxe_error) C.xoxe_status { return create(c, s, a, copts, out, e) })
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	r.baseURL = client.BaseURL()
	return r, nil
}

// Get returns a valid access token and its expiry (this machine's clock),
// rotating first when it expires within the refresh window. On
// [ErrOutcomeUnknown] the old pair is kept and nothing is retried;
// [ErrChainDead] means a human must issue a new token.
//
// ctx is checked before the call (a cancelled or expired context fails at
// once); the call itself cannot be interrupted and is bounded by the
// options' WaitTimeout and CallTimeout.
//
// Until the library's deadline for a fresh token (a short horizon, never past
// its rotation) Get hands it out again without calling the library.
func (r *Rotator) Get(ctx context.Context) (Secret, time.Time, error) {
	const op = "Rotator.Get"
	if r != nil {
		if u := r.reuse.Load(); u.fresh() {
			if ctx != nil && ctx.Err() != nil {
				return Secret{}, time.Time{}, contextError(op, ctx.Err())
			}
			return u.secret, unixTime(u.expUnix), nil
		}
	}
	return r.get(ctx, op)
}

// get is Get's library call: it keeps the token it gets until the deadline
// the library gives.
func (r *Rotator) get(ctx context.Context, op string) (Secret, time.Time, error) {
	var gen uint64
	if r != nil {
		gen = r.reuseGen.Load()
	}
	var until, expUnix int64
	out, exp, err := r.token(ctx, op, func(p *C.xoxe_rotator, b *C.char, n C.size_t, o outs) C.xoxe_status {
		return C.xoxe_rotator_get_reusable(p, b, n, o.expires, o.until, o.err)
	}, func(l lent) { until, expUnix = l.until, l.expires })
	if hook := testHookCalled.Load(); hook != nil {
		(*hook)(r, "")
	}
	if r != nil {
		if err != nil {
			endReuse(&r.reuse, &r.reuseGen)
		} else if until == 0 {
			r.reuse.Store(nil)
		} else {
			keepReusable(&r.reuse, &r.reuseGen, gen, &reusable{secret: out, expUnix: expUnix, untilMS: until})
		}
	}
	return out, exp, err
}

// ForceRotate rotates now whatever the expiry (unless another rotation
// finished while it waited: then that one's token) and returns the new token.
// Context handling is as for [Rotator.Get].
func (r *Rotator) ForceRotate(ctx context.Context) (Secret, time.Time, error) {
	if r != nil {
		endReuse(&r.reuse, &r.reuseGen)
		defer endReuse(&r.reuse, &r.reuseGen) // also a Get that overlapped it: Get then gives the new token at once
	}
	return r.token(ctx, "Rotator.ForceRotate", func(p *C.xoxe_rotator, b *C.char, n C.size_t, o outs) C.xoxe_status {
		return C.xoxe_rotator_force_rotate(p, b, n, o.expires, o.err)
	}, nil)
}

// TryGet returns the token [Rotator.Get] would, only if it can be had without
// blocking: fresh in memory. ok false means "call Get" (which may block). It
// never reads the store, waits for a lock or rotates.
func (r *Rotator) TryGet() (token Secret, expires time.Time, ok bool, err error) {
	const op = "Rotator.TryGet"
	if r != nil {
		if u := r.reuse.Load(); u.fresh() {
			return u.secret, unixTime(u.expUnix), true, nil // what Get would hand out
		}
	}
	var fresh bool
	err = r.handle().use(op, func(p *C.xoxe_rotator) error {
		return lendNamed(op, "", func(_, b *C.char, n C.size_t, o outs) C.xoxe_status {
			return C.xoxe_rotator_try_get(p, b, n, o.expires, o.flag, o.err)
		}, func(l lent) {
			if fresh = l.flag; fresh {
				token, expires = r.handOut(l), unixTime(l.expires)
			}
		})
	})
	if err != nil || !fresh {
		return Secret{}, time.Time{}, false, err
	}
	return token, expires, true, nil
}

// Current returns the token in memory or in the store without any network
// call; it may be expired. A zero time means the chain was never rotated (the
// token may then be empty).
func (r *Rotator) Current() (Secret, time.Time, error) {
	return r.token(context.Background(), "Rotator.Current", func(p *C.xoxe_rotator, b *C.char, n C.size_t, o outs) C.xoxe_status {
		return C.xoxe_rotator_current(p, b, n, o.expires, o.err)
	}, nil)
}

// token runs call, a C function of the rotator that writes a token, and hands
// the token out; also, when it is not nil, to also (e.g. for the deadline).
func (r *Rotator) token(ctx context.Context, op string,
	call func(*C.xoxe_rotator, *C.char, C.size_t, outs) C.xoxe_status, also func(lent)) (out Secret, exp time.Time, err error) {
	if _, err = timeoutMS(ctx, op); err != nil {
		return Secret{}, time.Time{}, err
	}
	err = r.handle().use(op, func(p *C.xoxe_rotator) error {
		return lendNamed(op, "", func(_, b *C.char, n C.size_t, o outs) C.xoxe_status {
			return call(p, b, n, o)
		}, func(l lent) {
			out, exp = r.handOut(l), unixTime(l.expires)
			if also != nil {
				also(l)
			}
		})
	})
	return out, exp, err
}

// handOut is token (lent by the library) as a Secret: the one handed out last
// when it is the same, so the common fresh call does not allocate.
func (r *Rotator) handOut(l lent) Secret {
	if last := r.last.Load(); last != nil && last.expires == l.expires && l.same(last.secret) {
		return last.secret
	}
	out := l.secret()
	r.last.Store(&handedOut{secret: out, expires: l.expires})
	return out
}

// unixTime is the time of Unix seconds sec, or the zero time for 0 (the C
// API's "unknown" or "never").
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// Close frees the rotator. It is idempotent, waits for calls in flight (a
// rotation may take up to its timeouts), makes later calls fail with
// [ErrClosed], and always returns nil.
func (r *Rotator) Close() error {
	err := r.handle().close()
	if r != nil {
		endReuse(&r.reuse, &r.reuseGen) // after the close: also a Get that was in flight
	}
	return err
}
