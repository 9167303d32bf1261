package xoxe

// #include <stdlib.h>
// #include "xoxe.h"
import "C"

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// RotatorOptions says when a [Rotator] rotates. A zero field means the
// library's default. Durations are passed in whole seconds or milliseconds,
// rounded up.
type RotatorOptions struct {
	// RefreshWindow: rotate when the token expires within this long (default
	// 2 h; for tokens living less than twice that, half their lifetime).
	RefreshWindow time.Duration
	// Jitter: up to this much random extra time per token, so a fleet does not
	// rotate in step (default 5 min; capped at a quarter of the window).
	Jitter time.Duration
	// WaitTimeout: the longest wait for another goroutine's or process's
	// rotation (default 120 s).
	WaitTimeout time.Duration
	// CallTimeout: the timeout of the rotation call itself (default: the
	// client's call timeout).
	CallTimeout time.Duration
}

func (o *RotatorOptions) toC(op string) (*C.xoxe_rotator_options, error) {
	if o == nil {
		return nil, nil
	}
	var c C.xoxe_rotator_options
	for _, f := range []struct {
		what string
		d    time.Duration
		unit time.Duration
		out  *C.uint32_t
	}{
		{"refresh window", o.RefreshWindow, time.Second, &c.refresh_window_secs},
		{"jitter", o.Jitter, time.Second, &c.jitter_secs},
		{"wait timeout", o.WaitTimeout, time.Millisecond, &c.wait_timeout_ms},
		{"call timeout", o.CallTimeout, time.Millisecond, &c.call_timeout_ms},
	} {
		n, err := durationUnits(f.what, f.d, f.unit)
		if err != nil {
			err.(*Error).op = op
			return nil, err
		}
		*f.out = C.uint32_t(n)
	}
	return &c, nil
}

// Rotator keeps one token chain kept in a [Store] fresh: [Rotator.Get]
// returns a valid access token, rotating first when it is about to expire —
// one rotation at a time across goroutines (and, with a file store, across
// processes), the new pair saved to the store before it is returned. Safe for
// concurrent use; share one per chain and process.
type Rotator struct {
	mu  sync.RWMutex
	ptr *C.xoxe_rotator
	// last is the token handed out most recently, so a fresh Get (the common
	// case) returns it without allocating or asking the library to redact again.
	last atomic.Pointer[handedOut]
}

// handedOut is a token as returned to callers, with the raw value to compare.
type handedOut struct {
	secret  Secret
	expires int64
}

// tokenBuffers holds XOXE_MAX_TOKEN_LEN + 1 byte buffers for the C calls to
// write into: Go memory with no Go pointers, not retained by C (cgo's rules).
var tokenBuffers = sync.Pool{New: func() any { return new([C.XOXE_MAX_TOKEN_LEN + 1]byte) }}

// NewConfigRotator creates a rotator for an app configuration token chain
// (tooling.tokens.rotate) kept in store (initialised with [Store.Init] and
// [ChainConfig]). opts may be nil for the defaults. The rotator keeps its own
// references: client and store may be closed before it.
func NewConfigRotator(client *Client, store *Store, opts *RotatorOptions) (*Rotator, error) {
	const op = "NewConfigRotator"
	copts, err := opts.toC(op)
	if err != nil {
		return nil, err
	}
	return newRotator(op, client, store, func(c *C.xoxe_client, s *C.xoxe_store, out **C.xoxe_rotator, cerr **C.xoxe_error) C.xoxe_status {
		return C.xoxe_rotator_new_config(c, s, copts, out, cerr)
	})
}

// NewOAuthRotator creates a rotator for a bot or user token chain
// (oauth.v2.access refresh grant) kept in store (initialised with
// [Store.Init] and [ChainOAuth]), with the app's credentials. opts may be nil.
func NewOAuthRotator(client *Client, store *Store, clientID, clientSecret string, opts *RotatorOptions) (*Rotator, error) {
	const op = "NewOAuthRotator"
	copts, err := opts.toC(op)
	if err != nil {
		return nil, err
	}
	args, err := toC(op, strArg{name: "client ID", value: clientID}, strArg{name: "client secret", value: clientSecret})
	if err != nil {
		return nil, err
	}
	defer args.free()
	return newRotator(op, client, store, func(c *C.xoxe_client, s *C.xoxe_store, out **C.xoxe_rotator, cerr **C.xoxe_error) C.xoxe_status {
		return C.xoxe_rotator_new_oauth(c, s, args[0], args[1], copts, out, cerr)
	})
}

func newRotator(op string, client *Client, store *Store,
	create func(*C.xoxe_client, *C.xoxe_store, **C.xoxe_rotator, **C.xoxe_error) C.xoxe_status) (*Rotator, error) {
	var p *C.xoxe_rotator
	err := client.do(op, func(c *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var st C.xoxe_status
		var cerr *C.xoxe_error
		if e := store.use(op, func(s *C.xoxe_store) error {
			st = create(c, s, &p, &cerr)
			return nil
		}); e != nil {
			return 0, nil
		}
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		// The store was closed (use refused before calling C).
		return nil, closedError(op)
	}
	r := &Rotator{ptr: p}
	runtime.SetFinalizer(r, (*Rotator).free)
	return r, nil
}

type rotatorFn func(*C.xoxe_rotator, *C.char, C.size_t, *C.int64_t, **C.xoxe_error) C.xoxe_status

// Get returns a valid access token and its expiry (this machine's clock),
// rotating first when it expires within the refresh window. On
// [ErrOutcomeUnknown] the old pair is kept and nothing is retried;
// [ErrChainDead] means a human must issue a new token.
//
// ctx is checked before the call (a cancelled or expired context fails at
// once); the call itself cannot be interrupted and is bounded by the
// options' WaitTimeout and CallTimeout.
func (r *Rotator) Get(ctx context.Context) (Secret, time.Time, error) {
	return r.token(ctx, "Rotator.Get", func(p *C.xoxe_rotator, b *C.char, n C.size_t, e *C.int64_t, cerr **C.xoxe_error) C.xoxe_status {
		return C.xoxe_rotator_get(p, b, n, e, cerr)
	})
}

// ForceRotate rotates now whatever the expiry (unless another rotation
// finished while it waited: then that one's token) and returns the new token.
// Context handling is as for [Rotator.Get].
func (r *Rotator) ForceRotate(ctx context.Context) (Secret, time.Time, error) {
	return r.token(ctx, "Rotator.ForceRotate", func(p *C.xoxe_rotator, b *C.char, n C.size_t, e *C.int64_t, cerr **C.xoxe_error) C.xoxe_status {
		return C.xoxe_rotator_force_rotate(p, b, n, e, cerr)
	})
}

// Current returns the token in memory or in the store without any network
// call; it may be expired. A zero time means the chain was never rotated (the
// token may then be empty).
func (r *Rotator) Current() (Secret, time.Time, error) {
	return r.token(context.Background(), "Rotator.Current", func(p *C.xoxe_rotator, b *C.char, n C.size_t, e *C.int64_t, cerr **C.xoxe_error) C.xoxe_status {
		return C.xoxe_rotator_current(p, b, n, e, cerr)
	})
}

func (r *Rotator) token(ctx context.Context, op string, call rotatorFn) (Secret, time.Time, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return Secret{}, time.Time{}, contextError(op, err)
	}
	if r == nil {
		return Secret{}, time.Time{}, closedError(op)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.ptr == nil {
		return Secret{}, time.Time{}, closedError(op)
	}
	buf := tokenBuffers.Get().(*[C.XOXE_MAX_TOKEN_LEN + 1]byte)
	defer tokenBuffers.Put(buf)
	var expires C.int64_t
	var cerr *C.xoxe_error
	st := call(r.ptr, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &expires, &cerr)
	runtime.KeepAlive(r)
	if st != 0 {
		return Secret{}, time.Time{}, takeError(op, st, cerr)
	}
	n := bytes.IndexByte(buf[:], 0)
	if n < 0 {
		n = len(buf) - 1
	}
	token := buf[:n]
	var out Secret
	if last := r.last.Load(); last != nil && last.expires == int64(expires) && last.secret.value != nil && *last.secret.value == string(token) {
		out = last.secret // no allocation: Go compares string(bytes) without copying
	} else {
		out = NewSecret(string(token))
		r.last.Store(&handedOut{secret: out, expires: int64(expires)})
	}
	clear(buf[:n+1]) // the token's bytes only: the rest of the buffer was never written
	var exp time.Time
	if expires != 0 {
		exp = time.Unix(int64(expires), 0)
	}
	return out, exp, nil
}

// Close frees the rotator. It is idempotent, waits for calls in flight (a
// rotation may take up to its timeouts), makes later calls fail with
// [ErrClosed], and always returns nil.
func (r *Rotator) Close() error {
	if r == nil {
		return nil
	}
	runtime.SetFinalizer(r, nil)
	r.free()
	return nil
}

func (r *Rotator) free() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ptr != nil {
		C.xoxe_rotator_free(r.ptr)
		r.ptr = nil
	}
}
