package xoxe_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// A fresh token is handed out again without a library call until the
// library's deadline (a short horizon the library chooses: the tests only
// check that it lies ahead and before the token's rotation), never after it,
// and never after anything that changes the answer: ForceRotate, Close; for a
// pool, Remove, Uninstall, MarkRevoked, a failed call — also when the change
// runs while a Get's library call is in flight. A pool keeps as many chains'
// tokens as it holds in memory. A sentinel stands in for a reused token, so
// the tests see whether Get called the library without timing anything.

func newReuseRotator(t *testing.T) *xoxe.Rotator {
	t.Helper()
	store := keepStore(t)(xoxe.NewMemoryStore())
	if err := store.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(newClient(t), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRotatorGetReusesATokenUntilTheLibrarysDeadline(t *testing.T) {
	r := newReuseRotator(t)
	first, _, err := r.Get(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if u := xoxe.ReuseUntil(r); u != 0 {
		t.Fatalf("a token that just came from a rotation has deadline %d, want none", u)
	}
	before := time.Now().UnixMilli()
	again, expires, err := r.Get(ctx(t))
	if err != nil || !again.Equal(first) {
		t.Fatalf("second Get: %v", err)
	}
	if u := xoxe.ReuseUntil(r); u <= before || u > expires.UnixMilli() {
		t.Fatalf("reuse deadline %d, want after %d and before the expiry %d", u, before, expires.UnixMilli())
	}

	sentinel := xoxe.NewSecret("reused-sentinel")
	xoxe.SetReuse(r, sentinel, time.Now().Add(time.Hour).UnixMilli())
	if got, _, _ := r.Get(ctx(t)); !got.Equal(sentinel) {
		t.Fatal("before the deadline Get must hand out the kept token without calling the library")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := r.Get(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context fails even when the token is kept: %v", err)
	}
	xoxe.SetReuse(r, sentinel, time.Now().Add(-time.Millisecond).UnixMilli())
	if got, _, _ := r.Get(ctx(t)); !got.Equal(first) {
		t.Fatal("past the deadline Get must ask the library")
	}
}

func TestRotatorForceRotateAndCloseEndTheReuse(t *testing.T) {
	r := newReuseRotator(t)
	if _, _, err := r.Get(ctx(t)); err != nil {
		t.Fatal(err)
	}
	xoxe.SetReuse(r, xoxe.NewSecret("reused-sentinel"), time.Now().Add(time.Hour).UnixMilli())
	forced, _, err := r.ForceRotate(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := r.Get(ctx(t)); !got.Equal(forced) {
		t.Fatal("after ForceRotate, Get gives the new token at once")
	}
	xoxe.SetReuse(r, xoxe.NewSecret("reused-sentinel"), time.Now().Add(time.Hour).UnixMilli())
	r.Close()
	if _, _, err := r.Get(ctx(t)); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
}

func TestPoolGetReusesPerChainAndForgetsRemovedOrRevokedChains(t *testing.T) {
	base := keepStore(t)(xoxe.NewMemoryStore())
	for _, chain := range []string{"a", "b", "c"} {
		if err := keepStore(t)(base.OpenChain(chain)).Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := xoxe.NewPool(newClient(t), base, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tokens := map[string]xoxe.Secret{}
	for _, chain := range []string{"a", "b", "c"} {
		var expires time.Time
		for range 2 { // the second Get finds the token fresh and keeps it
			if tokens[chain], expires, err = pool.Get(chain); err != nil {
				t.Fatal(err)
			}
		}
		if u := xoxe.PoolReuseUntil(pool, chain); u <= 0 || u > expires.UnixMilli() {
			t.Fatalf("chain %s: reuse deadline %d, expiry %d", chain, u, expires.UnixMilli())
		}
	}
	sentinel := xoxe.NewSecret("reused-sentinel")
	future := time.Now().Add(time.Hour).UnixMilli()
	xoxe.SetPoolReuse(pool, "a", sentinel, future)
	if got, _, _ := pool.Get("a"); !got.Equal(sentinel) {
		t.Fatal("before the deadline Get(chain) hands out the kept token")
	}
	xoxe.SetPoolReuse(pool, "a", sentinel, time.Now().Add(-time.Millisecond).UnixMilli())
	if got, _, _ := pool.Get("a"); !got.Equal(tokens["a"]) {
		t.Fatal("past the deadline Get(chain) asks the library")
	}
	xoxe.SetPoolReuse(pool, "b", sentinel, future)
	if removed, err := pool.Remove("b"); err != nil || !removed {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	if _, _, err := pool.Get("b"); !errors.Is(err, xoxe.ErrStoreEmpty) {
		t.Fatalf("Get of a removed chain: %v, want ErrStoreEmpty", err)
	}
	xoxe.SetPoolReuse(pool, "c", sentinel, future)
	if err := pool.MarkRevoked("c", "token_revoked"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pool.Get("c"); !errors.Is(err, xoxe.ErrChainRevoked) {
		t.Fatalf("Get of a revoked chain: %v, want ErrChainRevoked", err)
	}
	xoxe.SetPoolReuse(pool, "a", sentinel, future)
	pool.Close()
	if _, _, err := pool.Get("a"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
}

// seedFresh puts n configuration-token chains named prefix-0… with an access
// token valid for hours (no rotation, no network) into a memory store.
func seedFresh(t *testing.T, n int, prefix string) (*xoxe.Store, []string) {
	t.Helper()
	base := keepStore(t)(xoxe.NewMemoryStore())
	expires := time.Now().Add(6 * time.Hour)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", prefix, i)
		s, err := base.OpenChain(names[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Init(xoxe.ChainConfig, fmt.Sprintf("xoxe-1-refresh-%d", i), fmt.Sprintf("xoxe.xoxp-1-access-%d", i), expires, false); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	return base, names
}

// getTwice gets every chain twice: the first Get loads its rotator, the
// second finds its token fresh, with a deadline to keep it until.
func getTwice(t *testing.T, pool *xoxe.Pool, names []string) {
	t.Helper()
	for _, name := range names {
		for range 2 {
			if _, _, err := pool.Get(name); err != nil {
				t.Fatalf("Get(%s): %v", name, err)
			}
		}
	}
}

// More chains than any fixed bound a binding might pick (4096 once) are all
// kept when the pool holds them all: with the library's default bound (what
// the library reports it holds) and with WithMaxChainsInMemory.
func TestPoolKeepsAsManyChainsAsItHolds(t *testing.T) {
	const n = 4500
	base, names := seedFresh(t, n, "many")
	for _, opts := range [][]xoxe.PoolOption{nil, {xoxe.WithMaxChainsInMemory(n)}} {
		pool, err := xoxe.NewPool(newClient(t), base, "", "", opts...)
		if err != nil {
			t.Fatal(err)
		}
		getTwice(t, pool, names)
		if kept, limit := xoxe.ReusedChains(pool); kept != n || limit < n {
			t.Fatalf("options %d: %d chains kept (bound %d), want all %d", len(opts), kept, limit, n)
		}
		for _, name := range names {
			if xoxe.PoolReuseUntil(pool, name) <= time.Now().UnixMilli() {
				t.Fatalf("options %d: chain %s is not kept", len(opts), name)
			}
		}
		pool.Close()
	}
}

// The bound is the pool's max_chains_in_memory: past it a chain is not kept
// (Get calls the library for it); once limit/4 chains have been refused, the
// chains whose deadline has passed are let go to make room.
func TestPoolReuseIsBoundedByThePoolsSize(t *testing.T) {
	base := keepStore(t)(xoxe.NewMemoryStore())
	const limit = 40
	pool, err := xoxe.NewPool(newClient(t), base, "", "", xoxe.WithMaxChainsInMemory(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	future := time.Now().Add(time.Hour).UnixMilli()
	for i := range limit {
		if !xoxe.SetPoolReuse(pool, fmt.Sprint("chain-", i), xoxe.NewSecret("s"), future) {
			t.Fatalf("chain %d of %d not kept", i, limit)
		}
	}
	for i := range 3 * limit { // all still fresh: no room is made
		if xoxe.SetPoolReuse(pool, fmt.Sprint("more-", i), xoxe.NewSecret("s"), future) {
			t.Fatalf("a chain kept past the bound %d", limit)
		}
		if kept, _ := xoxe.ReusedChains(pool); kept > limit {
			t.Fatalf("%d chains kept, more than %d", kept, limit)
		}
	}
	for i := range limit / 2 { // half of them past their deadline
		xoxe.SetPoolReuse(pool, fmt.Sprint("chain-", i), xoxe.NewSecret("s"), time.Now().Add(-time.Second).UnixMilli())
	}
	kept := 0
	for i := range limit {
		if xoxe.SetPoolReuse(pool, fmt.Sprint("later-", i), xoxe.NewSecret("s"), future) {
			kept++
		}
	}
	if kept != limit/2 {
		t.Fatalf("%d later chains kept, want the %d whose room the stale ones left", kept, limit/2)
	}
	if xoxe.PoolReuseUntil(pool, "chain-0") != 0 || xoxe.PoolReuseUntil(pool, fmt.Sprint("chain-", limit-1)) != future {
		t.Fatal("the sweep must drop the stale chains and only them")
	}
}

// A chain beyond the bound is served by the library on every Get, correctly.
func TestPoolGetBeyondTheBound(t *testing.T) {
	base, names := seedFresh(t, 30, "beyond")
	pool, err := xoxe.NewPool(newClient(t), base, "", "", xoxe.WithMaxChainsInMemory(10))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for round := range 3 {
		for i, name := range names {
			tok, _, err := pool.Get(name)
			if err != nil || !tok.Equal(xoxe.NewSecret(fmt.Sprintf("xoxe.xoxp-1-access-%d", i))) {
				t.Fatalf("round %d, chain %s: wrong token or %v", round, name, err)
			}
		}
		if kept, _ := xoxe.ReusedChains(pool); kept > 10 {
			t.Fatalf("%d chains kept, bound 10", kept)
		}
	}
}

// Once the deadline has passed, Get asks the library again and, for the same
// token, hands out the Secret it had (no copy, no redaction); TryGet hands out
// the kept token as Get would.
func TestPoolGetReusesTheSecretOfAnUnchangedToken(t *testing.T) {
	base, names := seedFresh(t, 1, "same")
	pool, err := xoxe.NewPool(newClient(t), base, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	getTwice(t, pool, names)
	first, _, err := pool.Get(names[0])
	if err != nil {
		t.Fatal(err)
	}
	xoxe.ExpirePoolReuse(pool, names[0])
	again, _, err := pool.Get(names[0])
	if err != nil || !xoxe.SameSecret(first, again) {
		t.Fatalf("past the deadline, the same token must come back as the same Secret (%v)", err)
	}
	sentinel := xoxe.NewSecret("reused-sentinel")
	xoxe.SetPoolReuse(pool, names[0], sentinel, time.Now().Add(time.Hour).UnixMilli())
	if got, _, ok, err := pool.TryGet(names[0]); !ok || err != nil || !got.Equal(sentinel) {
		t.Fatalf("TryGet must hand out the kept token: ok %v, %v", ok, err)
	}
	if got, _, ok, err := pool.TryGet("no-such-chain"); ok || err != nil || !got.IsZero() {
		t.Fatalf("TryGet of a chain the pool does not hold: ok %v, %v", ok, err)
	}
}

func TestRotatorTryGetHandsOutTheKeptToken(t *testing.T) {
	r := newReuseRotator(t)
	if _, _, err := r.Get(ctx(t)); err != nil {
		t.Fatal(err)
	}
	sentinel := xoxe.NewSecret("reused-sentinel")
	xoxe.SetReuse(r, sentinel, time.Now().Add(time.Hour).UnixMilli())
	if got, _, ok, err := r.TryGet(); !ok || err != nil || !got.Equal(sentinel) {
		t.Fatalf("TryGet must hand out the kept token: ok %v, %v", ok, err)
	}
}

// onceOnCall runs f the first time a Get of owner's chain calls the library
// after arm is called.
func onceOnCall(t *testing.T, owner any, chain string, f func()) (arm func()) {
	var mu sync.Mutex
	armed := false
	xoxe.OnCalled(t, func(o any, c string) {
		mu.Lock()
		run := armed && o == owner && c == chain
		armed = armed && !run
		mu.Unlock()
		if run {
			f()
		}
	})
	return func() { mu.Lock(); armed = true; mu.Unlock() }
}

// Whatever ends a chain's reuse while a Get's library call is in flight — the
// call answered with the old state — leaves nothing kept: the next Get asks
// the library and sees the change.
func TestPoolInvalidationWhileAGetIsInFlight(t *testing.T) {
	cases := []struct {
		name    string
		end     func(t *testing.T, pool, other *xoxe.Pool, chain string)
		wantErr error
	}{
		{"Remove", func(t *testing.T, pool, _ *xoxe.Pool, chain string) {
			if _, err := pool.Remove(chain); err != nil {
				t.Error(err)
			}
		}, xoxe.ErrStoreEmpty},
		{"Uninstall", func(t *testing.T, pool, _ *xoxe.Pool, chain string) {
			if _, err := pool.Uninstall(chain); err != nil {
				t.Error(err)
			}
		}, xoxe.ErrStoreEmpty},
		{"MarkRevoked", func(t *testing.T, pool, _ *xoxe.Pool, chain string) {
			if err := pool.MarkRevoked(chain, "token_revoked"); err != nil {
				t.Error(err)
			}
		}, xoxe.ErrChainRevoked},
		{"a failed Get", func(t *testing.T, pool, other *xoxe.Pool, chain string) {
			// Another process marks it revoked; this pool (which holds one
			// chain in memory) reads it again after getting another chain,
			// and that Get fails.
			if err := other.MarkRevoked(chain, "token_revoked"); err != nil {
				t.Error(err)
			}
			if _, _, err := pool.Get("second"); err != nil {
				t.Error(err)
			}
			if _, _, err := pool.Get(chain); !errors.Is(err, xoxe.ErrChainRevoked) {
				t.Errorf("Get after the revocation: %v", err)
			}
		}, xoxe.ErrChainRevoked},
		{"Close", func(t *testing.T, pool, _ *xoxe.Pool, _ string) { pool.Close() }, xoxe.ErrClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := keepStore(t)(xoxe.NewMemoryStore())
			const chain = "in-flight"
			for _, name := range []string{chain, "second"} {
				if err := keepStore(t)(base.OpenChain(name)).Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
					t.Fatal(err)
				}
			}
			pool, err := xoxe.NewPool(newClient(t), base, "", "", xoxe.WithMaxChainsInMemory(1))
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			other, err := xoxe.NewPool(newClient(t), base, "", "")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, _, err := pool.Get(chain); err != nil { // rotates: nothing to keep yet
				t.Fatal(err)
			}
			arm := onceOnCall(t, pool, chain, func() { c.end(t, pool, other, chain) })
			arm()
			if _, _, err := pool.Get(chain); err != nil { // fresh: the library's answer is to be kept…
				t.Fatal(err)
			}
			if u := xoxe.PoolReuseUntil(pool, chain); u != 0 { // …but the change ran meanwhile
				t.Fatalf("a token kept (until %d) after %s ran during its Get", u, c.name)
			}
			if _, _, err := pool.Get(chain); !errors.Is(err, c.wantErr) {
				t.Fatalf("Get after %s: %v, want %v", c.name, err, c.wantErr)
			}
		})
	}
}

func TestRotatorInvalidationWhileAGetIsInFlight(t *testing.T) {
	for _, name := range []string{"ForceRotate", "Close"} {
		t.Run(name, func(t *testing.T) {
			r := newReuseRotator(t)
			old, _, err := r.Get(ctx(t)) // rotates: nothing to keep yet
			if err != nil {
				t.Fatal(err)
			}
			var forced xoxe.Secret
			arm := onceOnCall(t, r, "", func() {
				if name == "Close" {
					r.Close()
				} else if forced, _, err = r.ForceRotate(ctx(t)); err != nil {
					t.Error(err)
				}
			})
			arm()
			if _, _, err := r.Get(ctx(t)); err != nil {
				t.Fatal(err)
			}
			if u := xoxe.ReuseUntil(r); u != 0 {
				t.Fatalf("a token kept (until %d) after %s ran during its Get", u, name)
			}
			got, _, err := r.Get(ctx(t))
			if name == "Close" {
				if !errors.Is(err, xoxe.ErrClosed) {
					t.Fatalf("Get after Close: %v, want ErrClosed", err)
				}
			} else if err != nil || !got.Equal(forced) || got.Equal(old) {
				t.Fatalf("Get after ForceRotate must give the new token (%v)", err)
			}
		})
	}
}
