package xoxe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// TestConfigRotatorOnEveryStore: a config chain in each kind of store is
// rotated once for two Gets, forced on demand, and kept by the rotator after
// the Store handle is closed.
func TestConfigRotatorOnEveryStore(t *testing.T) {
	onEveryStore(t, func(t *testing.T, k storeKind) {
		c := newClient(t)
		store := k.newChain(t).open(t)
		seed := newConfigToken(t, 0)
		if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		err := store.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false)
		if !errors.Is(err, xoxe.ErrStoreConflict) || !errors.Is(err, xoxe.ErrStore) {
			t.Fatalf("second Init: %v", err)
		}
		r, err := xoxe.NewConfigRotator(c, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		before := getStats(t)
		tok, exp, err := r.Get(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if tok.IsZero() || !exp.After(time.Now()) {
			t.Fatalf("Get: empty token or expiry %v", exp)
		}
		if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
			t.Fatal(err)
		}
		// A fresh token costs no rotation.
		again, _, err := r.Get(ctx(t))
		if err != nil || !again.Equal(tok) {
			t.Fatalf("second Get: %v (same token: %v)", err, again.Equal(tok))
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations for two Gets, want 1", n)
		}
		forced, _, err := r.ForceRotate(ctx(t))
		if err != nil || forced.Equal(tok) {
			t.Fatalf("ForceRotate: %v", err)
		}
		cur, curExp, err := r.Current()
		if err != nil || !cur.Equal(forced) || curExp.IsZero() {
			t.Fatalf("Current: %v", err)
		}
		// The rotator keeps its own reference to the store and the client.
		store.Close()
		if _, _, err := r.Get(ctx(t)); err != nil {
			t.Fatalf("Get after closing the store handle: %v", err)
		}
		if err := store.Init(xoxe.ChainConfig, "xoxe-1-x", "", time.Time{}, true); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("Init on a closed store: %v", err)
		}
		if _, _, err := r.ForceRotate(ctx(t)); err != nil {
			t.Fatalf("ForceRotate after closing the store handle: %v", err)
		}
		r.Close()
		r.Close()
		if _, _, err := r.Get(ctx(t)); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("Get on a closed rotator: %v", err)
		}
		if _, _, err := r.Current(); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("Current on a closed rotator: %v", err)
		}
		if n := getStats(t).RefreshTokenReuses - before.RefreshTokenReuses; n != 0 {
			t.Fatalf("%d refresh token reuses", n)
		}
	})
}

// TestOAuthRotatorOnEveryStore: a bot chain exchanged from a legacy token,
// kept in each kind of store; a second handle on the same chain (a file, a
// database chain) sees what the first rotator saved.
func TestOAuthRotatorOnEveryStore(t *testing.T) {
	c := newClient(t)
	onEveryStore(t, func(t *testing.T, k storeKind) {
		a := newApp(t)
		ex, err := c.OAuthV2Exchange(ctx(t), a.ClientID, a.ClientSecret, newLegacyToken(t, a.ClientID, "bot"))
		if err != nil {
			t.Fatal(err)
		}
		place := k.newChain(t)
		store := place.open(t)
		if err := store.Init(xoxe.ChainOAuth, ex.RefreshToken.Reveal(), ex.AccessToken.Reveal(), ex.ExpiresAt, false); err != nil {
			t.Fatal(err)
		}
		if place.path != "" {
			if fi, err := os.Stat(place.path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("store file: %v", err)
			}
		}
		r, err := xoxe.NewOAuthRotator(c, store, a.ClientID, a.ClientSecret, &xoxe.RotatorOptions{CallTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		// The access token is fresh (12 h): Get returns it without rotating.
		tok, _, err := r.Get(ctx(t))
		if err != nil || !tok.Equal(ex.AccessToken) {
			t.Fatalf("Get: %v (same token: %v)", err, tok.Equal(ex.AccessToken))
		}
		forced, _, err := r.ForceRotate(ctx(t))
		if err != nil || forced.Equal(ex.AccessToken) {
			t.Fatalf("ForceRotate: %v", err)
		}
		if id, err := c.AuthTest(ctx(t), forced.Reveal()); err != nil || id.BotID == "" {
			t.Fatalf("auth.test with the rotated token: %v", err)
		}
		if !k.shared {
			return
		}
		// Another handle on the same chain sees the rotated pair.
		r2, err := xoxe.NewOAuthRotator(c, place.open(t), a.ClientID, a.ClientSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r2.Close()
		cur, _, err := r2.Current()
		if err != nil || !cur.Equal(forced) {
			t.Fatalf("Current through another handle: %v (same token: %v)", err, cur.Equal(forced))
		}
	})
}

// TestRotatorSingleFlight: 16 goroutines call Get at once on a new chain in
// each kind of store: one rotation, one token for all.
func TestRotatorSingleFlight(t *testing.T) {
	onEveryStore(t, func(t *testing.T, k storeKind) {
		c := newClient(t)
		store := k.newChain(t).open(t)
		if err := store.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		r, err := xoxe.NewConfigRotator(c, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		before := getStats(t)
		const workers = 16
		tokens := make([]xoxe.Secret, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				tokens[i], _, errs[i] = r.Get(context.Background())
			}(i)
		}
		wg.Wait()
		for i := range tokens {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if !tokens[i].Equal(tokens[0]) {
				t.Fatal("concurrent Gets returned different tokens")
			}
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations for %d concurrent Gets, want 1", n, workers)
		}
	})
}

// TestRotatorSingleFlightWithoutStoreLock: 16 goroutines call Get at once on
// an expired chain kept in a Go store with compare-and-swap and no lock.
// Without a store lock, only the rotator's own single-flight gate keeps each
// of them from reading the expired pair and spending its refresh token (audit
// M10; the other single-flight tests use stores with a lock). Exactly one
// rotation, no refresh token reused, the same token for all. Slack's answer is
// delayed to hold the window open; that only widens the race.
func TestRotatorSingleFlightWithoutStoreLock(t *testing.T) {
	const workers = 16
	c := newClient(t)
	backend := &casBackend{}
	store, err := xoxe.NewStore(backend, "cas without lock")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seed := newConfigToken(t, 0)
	if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, seed.Token, time.Now().Add(-time.Hour), false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Every rotate request is held 500 ms: without the gate, each goroutine
	// reads the store long before any rotation can be saved to it.
	addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "delay", "delay_ms": 500, "count": workers})
	before := getStats(t)

	tokens := make([]xoxe.Secret, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			tokens[i], _, errs[i] = r.Get(context.Background())
		}(i)
	}
	close(start)
	wg.Wait()

	after := getStats(t)
	rotations, reuses := after.Rotations-before.Rotations, after.RefreshTokenReuses-before.RefreshTokenReuses
	sent := after.Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]
	if rotations != 1 || reuses != 0 || sent != 1 {
		t.Fatalf("%d concurrent Gets: %d rotations, %d refresh token reuses, %d rotate requests; want 1, 0, 1",
			workers, rotations, reuses, sent)
	}
	for i := range tokens {
		if errs[i] != nil {
			t.Fatalf("Get %d: %v", i, errs[i])
		}
		if !tokens[i].Equal(tokens[0]) {
			t.Fatal("concurrent Gets returned different tokens")
		}
	}
	if _, err := c.AuthTest(ctx(t), tokens[0].Reveal()); err != nil {
		t.Fatal(err)
	}
	if n := backend.counters(); n.stored != 2 || n.conflicts != 0 {
		t.Fatalf("%d saves stored (want the init and one rotation), %d CAS conflicts", n.stored, n.conflicts)
	}
}

// TestRotatorExpiryIgnoresSlacksClock: with Slack's clock 3 h ahead of this
// machine's, or behind it, a rotated token's expiry is this machine's send
// time plus the token's lifetime, never Slack's exp (README: "a skewed clock
// does not matter"; audit M14), in every kind of store.
func TestRotatorExpiryIgnoresSlacksClock(t *testing.T) {
	for _, skew := range []int{3 * 3600, -3 * 3600} {
		t.Run(fmt.Sprintf("Slack %+ds", skew), func(t *testing.T) {
			control(t, "POST", "clock", map[string]any{"offset_secs": skew}, nil)
			t.Cleanup(func() { control(t, "POST", "clock", map[string]any{"offset_secs": 0}, nil) })
			c := newClient(t)
			onEveryStore(t, func(t *testing.T, k storeKind) {
				seed := newConfigToken(t, 0)
				lifetime := seed.EXP - seed.IAT // what Slack issues now
				if seed.IAT < time.Now().Unix()+int64(skew)-60 || seed.IAT > time.Now().Unix()+int64(skew)+60 {
					t.Fatalf("the fake Slack's clock is not %+d s off (iat %d)", skew, seed.IAT)
				}
				store := k.newChain(t).open(t)
				if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
					t.Fatal(err)
				}
				r, err := xoxe.NewConfigRotator(c, store, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()

				sent := time.Now().Unix() // whole seconds, as the rotator counts
				tok, exp, err := r.Get(ctx(t))
				received := time.Now().Unix()
				if err != nil {
					t.Fatal(err)
				}
				if exp.Unix() < sent+lifetime || exp.Unix() > received+lifetime {
					t.Fatalf("expiry %v: not between %v and %v (send time + %d s); Slack's clock is %+d s off",
						exp, time.Unix(sent+lifetime, 0), time.Unix(received+lifetime, 0), lifetime, skew)
				}
				if _, curExp, err := r.Current(); err != nil || !curExp.Equal(exp) {
					t.Fatalf("Current: %v (expiry %v, Get said %v)", err, curExp, exp)
				}
				// Slack judges the token by its own clock: still valid.
				if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestRotatorFailures: a dead chain, a lost rotation, a refused context and an
// empty store, in every kind of store.
func TestRotatorFailures(t *testing.T) {
	c := newClient(t)
	onEveryStore(t, func(t *testing.T, k storeKind) {
		newRotator := func(t *testing.T, refresh string) *xoxe.Rotator {
			store := k.newChain(t).open(t)
			if err := store.Init(xoxe.ChainConfig, refresh, "", time.Time{}, false); err != nil {
				t.Fatal(err)
			}
			r, err := xoxe.NewConfigRotator(c, store, nil)
			if err != nil {
				t.Fatal(err)
			}
			store.Close() // the rotator keeps its own reference
			t.Cleanup(func() { r.Close() })
			return r
		}
		t.Run("dead chain", func(t *testing.T) {
			seed := newConfigToken(t, 0)
			if _, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken); err != nil {
				t.Fatal(err)
			}
			_, _, err := newRotator(t, seed.RefreshToken).Get(ctx(t))
			wantCode(t, err, xoxe.StatusChainDead)
			if !errors.Is(err, xoxe.ErrChainDead) || !errors.Is(err, xoxe.ErrStore) {
				t.Fatalf("classification of %v", err)
			}
		})
		t.Run("lost rotation", func(t *testing.T) {
			r := newRotator(t, newConfigToken(t, 0).RefreshToken)
			addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "drop_after_apply"})
			before := getStats(t)
			_, _, err := r.Get(ctx(t))
			if !errors.Is(err, xoxe.ErrOutcomeUnknown) {
				t.Fatalf("Get with a lost rotation: %v", err)
			}
			if n := getStats(t).Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]; n != 1 {
				t.Fatalf("%d rotate requests, want 1 (never retried)", n)
			}
		})
		t.Run("context", func(t *testing.T) {
			r := newRotator(t, newConfigToken(t, 0).RefreshToken)
			cx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, _, err := r.Get(cx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Get with a cancelled context: %v", err)
			}
			if _, _, err := r.ForceRotate(cx); !errors.Is(err, context.Canceled) {
				t.Fatalf("ForceRotate with a cancelled context: %v", err)
			}
		})
		t.Run("empty store", func(t *testing.T) {
			r, err := xoxe.NewConfigRotator(c, k.newChain(t).open(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, _, err = r.Get(ctx(t))
			wantCode(t, err, xoxe.StatusStoreEmpty)
		})
	})
}

func TestStoreAndRotatorBadInput(t *testing.T) {
	c := newClient(t)
	for _, path := range []string{"", "with\x00nul"} {
		if _, err := xoxe.NewFileStore(path, 0); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("NewFileStore(%q): %v", path, err)
		}
	}
	if _, err := xoxe.NewFileStore(filepath.Join(t.TempDir(), "x.json"), -time.Second); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("negative lock timeout: %v", err)
	}
	missingDir, err := xoxe.NewFileStore(filepath.Join(t.TempDir(), "no", "such", "dir", "x.json"), 0)
	if err == nil {
		err = missingDir.Init(xoxe.ChainConfig, "xoxe-1-0000", "", time.Time{}, false)
		missingDir.Close()
	}
	if !errors.Is(err, xoxe.ErrStore) && !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("store in a missing directory: %v", err)
	}
	if _, err := xoxe.NewStore(nil, "x"); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NewStore(nil): %v", err)
	}
	store, err := xoxe.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tc := range []struct {
		kind    xoxe.ChainKind
		refresh string
		access  string
	}{{xoxe.ChainKind(42), "xoxe-1-x", ""}, {xoxe.ChainConfig, "", ""}, {xoxe.ChainConfig, "xoxe-1-\x00", ""}, {xoxe.ChainConfig, "xoxe-1-x", "a\x00"}} {
		if err := store.Init(tc.kind, tc.refresh, tc.access, time.Time{}, false); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("Init(%d, …): %v", tc.kind, err)
		}
	}
	if _, err := xoxe.NewConfigRotator(c, store, &xoxe.RotatorOptions{Jitter: -time.Second}); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("negative jitter: %v", err)
	}
	if _, err := xoxe.NewOAuthRotator(c, store, "id\x00", "secret", nil); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NUL client id: %v", err)
	}
	closedClient, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	closedClient.Close()
	if _, err := xoxe.NewConfigRotator(closedClient, store, nil); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("rotator on a closed client: %v", err)
	}
	closedStore, err := xoxe.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	closedStore.Close()
	if _, err := xoxe.NewConfigRotator(c, closedStore, nil); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("rotator on a closed store: %v", err)
	}
	if _, err := xoxe.NewConfigRotator(nil, store, nil); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("rotator on a nil client: %v", err)
	}
	if _, err := xoxe.NewConfigRotator(c, nil, nil); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("rotator on a nil store: %v", err)
	}
	var nilRotator *xoxe.Rotator
	if _, _, err := nilRotator.Get(ctx(t)); !errors.Is(err, xoxe.ErrClosed) || nilRotator.Close() != nil {
		t.Fatalf("nil rotator: %v", err)
	}
}

// mapBackend is a StoreBackend in a Go variable, counting its calls.
type mapBackend struct {
	mu         sync.Mutex
	doc        string
	generation uint64
	present    bool
	loads      int
	saves      int
	locks      int
	failLoad   bool
	panicSave  bool
	failSave   bool
	// Set, it is stored (as if by another writer) right after the next Load
	// has read the document before it; swapped counts those writes.
	writeAfterLoad *mapDoc
	swapped        int
}

// mapDoc is a document with its generation (a secret: never printed).
type mapDoc struct {
	doc        string
	generation uint64
}

func (b *mapBackend) Load() (string, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loads++
	if b.failLoad {
		return "", false, errors.New("database is down")
	}
	doc, present := b.doc, b.present
	if w := b.writeAfterLoad; w != nil {
		b.doc, b.generation, b.present = w.doc, w.generation, true
		b.writeAfterLoad = nil
		b.swapped++
	}
	return doc, present, nil
}

func (b *mapBackend) Save(expected *uint64, newGeneration uint64, document string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.saves++
	if b.panicSave {
		panic("backend bug")
	}
	if b.failSave {
		return false, errors.New("database is down")
	}
	if (expected == nil) == b.present || (expected != nil && *expected != b.generation) {
		return false, nil
	}
	b.doc, b.generation, b.present = document, newGeneration, true
	return true, nil
}

type lockingBackend struct {
	*mapBackend
	lock sync.Mutex
}

func (l *lockingBackend) Lock() error {
	l.lock.Lock()
	l.mapBackend.mu.Lock()
	l.locks++
	l.mapBackend.mu.Unlock()
	return nil
}

func (l *lockingBackend) Unlock() { l.lock.Unlock() }

func TestForeignStore(t *testing.T) {
	c := newClient(t)
	backend := &mapBackend{}
	lb := &lockingBackend{mapBackend: backend}
	store, err := xoxe.NewStore(lb, "test map")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seed := newConfigToken(t, 0)
	if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tok, _, err := r.Get(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatal(err)
	}
	backend.mu.Lock()
	saves, loads, locks, gen := backend.saves, backend.loads, backend.locks, backend.generation
	backend.mu.Unlock()
	if saves < 2 || loads < 1 || locks < 1 || gen < 1 {
		t.Fatalf("backend calls: %d saves, %d loads, %d locks, generation %d", saves, loads, locks, gen)
	}
	// A failing or panicking backend is a store error, not a crash.
	backend.mu.Lock()
	backend.failLoad = true
	backend.mu.Unlock()
	if _, _, err := r.ForceRotate(ctx(t)); !errors.Is(err, xoxe.ErrStore) {
		t.Fatalf("failing load: %v", err)
	}
	panicking := &mapBackend{panicSave: true}
	ps, err := xoxe.NewStore(panicking, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	if err := ps.Init(xoxe.ChainConfig, "xoxe-1-0000", "", time.Time{}, false); !errors.Is(err, xoxe.ErrStore) {
		t.Fatalf("panicking save: %v", err)
	}
}
