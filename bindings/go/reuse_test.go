package xoxe_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// A fresh token is handed out again without a library call until the
// library's deadline (at most a second ahead), never after it, and never after
// anything that changes the answer: ForceRotate, Close; for a pool, Remove,
// MarkRevoked. A sentinel stands in for a reused token, so the tests see
// whether Get called the library without timing anything.

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
	if again, _, err := r.Get(ctx(t)); err != nil || !again.Equal(first) {
		t.Fatalf("second Get: %v", err)
	}
	if u := xoxe.ReuseUntil(r); u <= before || u > time.Now().UnixMilli()+1000 {
		t.Fatalf("reuse deadline %d, want within a second of %d", u, before)
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
		for range 2 { // the second Get finds the token fresh and keeps it
			if tokens[chain], _, err = pool.Get(chain); err != nil {
				t.Fatal(err)
			}
		}
		if u := xoxe.PoolReuseUntil(pool, chain); u <= 0 || u > time.Now().UnixMilli()+1000 {
			t.Fatalf("chain %s: reuse deadline %d", chain, u)
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

func TestPoolReuseIsBounded(t *testing.T) {
	base := keepStore(t)(xoxe.NewMemoryStore())
	pool, err := xoxe.NewPool(newClient(t), base, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	future := time.Now().Add(time.Hour).UnixMilli()
	for i := 0; i < xoxe.MaxReusedChains+10; i++ {
		xoxe.SetPoolReuse(pool, fmt.Sprint("chain-", i), xoxe.NewSecret("s"), future)
		if n := xoxe.ReusedChains(pool); n > xoxe.MaxReusedChains {
			t.Fatalf("%d chains kept, more than %d", n, xoxe.MaxReusedChains)
		}
	}
}
