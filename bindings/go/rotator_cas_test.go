package xoxe_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// casBackend is a compare-and-swap StoreBackend in Go memory: it stands for a
// database row shared by several processes. Its counters are read under mu.
type casBackend struct {
	mu         sync.Mutex
	present    bool
	generation uint64
	doc        string // JSON written by the library: a secret, never printed
	loads      int
	stored     int // saves that won
	conflicts  int // saves that lost the compare-and-swap
	genMissing int // saves whose document does not carry newGeneration
}

func (b *casBackend) Load() (string, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loads++
	return b.doc, b.present, nil
}

func (b *casBackend) Save(expected *uint64, newGeneration uint64, document string) (bool, error) {
	// Only the generation is decoded; the rest of the document is left alone.
	var head struct {
		Generation *uint64 `json:"generation"`
	}
	parsed := json.Unmarshal([]byte(document), &head) == nil
	b.mu.Lock()
	defer b.mu.Unlock()
	if !parsed || head.Generation == nil || *head.Generation != newGeneration {
		b.genMissing++
	}
	var matches bool
	if expected == nil {
		matches = !b.present
	} else {
		matches = b.present && b.generation == *expected
	}
	if !matches {
		b.conflicts++
		return false, nil
	}
	b.present, b.generation, b.doc = true, newGeneration, document
	b.stored++
	return true, nil
}

// lockedCASBackend adds a fleet-wide lock (StoreLocker): rotations of every
// "process" sharing the backend are serialised.
type lockedCASBackend struct {
	*casBackend
	fleet      sync.Mutex
	held       bool // under casBackend.mu
	locks      int  // under casBackend.mu
	badUnlocks int  // under casBackend.mu
}

func (l *lockedCASBackend) Lock() error {
	l.fleet.Lock()
	l.mu.Lock()
	l.held = true
	l.locks++
	l.mu.Unlock()
	return nil
}

func (l *lockedCASBackend) Unlock() {
	l.mu.Lock()
	if !l.held {
		l.badUnlocks++
		l.mu.Unlock()
		return
	}
	l.held = false
	l.mu.Unlock()
	l.fleet.Unlock()
}

// casWorker is what one goroutine saw; it is read after the goroutines end.
type casWorker struct {
	gets, currents int
	checked        int // tokens that passed auth.test
	late           int // auth.test said token_expired, but only after the token's expiry: too late to judge
	err            error
}

// TestCASStoreKeepsChainAliveUnderConcurrency: two rotators (two "processes",
// each with its own client and Store handle) share one compare-and-swap
// backend written in Go while 8 goroutines call Get for ~6 s and tokens live
// 3 s. Every token handed out works, the chain stays alive, and with the
// fleet lock no refresh token is ever spent twice.
func TestCASStoreKeepsChainAliveUnderConcurrency(t *testing.T) {
	t.Run("with lock", func(t *testing.T) {
		cas := &casBackend{}
		lb := &lockedCASBackend{casBackend: cas}
		runCASStress(t, lb, cas)
		cas.mu.Lock()
		defer cas.mu.Unlock()
		if lb.held || lb.badUnlocks != 0 || lb.locks == 0 {
			t.Fatalf("fleet lock: held at the end %v, %d unlocks without a lock, %d locks", lb.held, lb.badUnlocks, lb.locks)
		}
	})
	t.Run("without lock", func(t *testing.T) {
		runCASStress(t, &casBackend{}, nil)
	})
}

// runCASStress runs the stress against backend; cas is the same backend when
// it has the fleet lock (nil otherwise), for the stricter checks.
func runCASStress(t *testing.T, backend xoxe.StoreBackend, locked *casBackend) {
	const (
		workers  = 8
		ttl      = 3 // seconds
		duration = 6 * time.Second
		// Only a safety net: the loop normally ends after duration.
		hardLimit = 5 * time.Minute
	)
	state := backend.(interface{ counters() casCounters })

	seed, err := xoxe.NewStore(backend, "go cas seed")
	if err != nil {
		t.Fatal(err)
	}
	// No access token: the first Get rotates.
	if err := seed.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	seed.Close()

	type process struct {
		client  *xoxe.Client
		rotator *xoxe.Rotator
	}
	procs := make([]process, 2)
	for i := range procs {
		c := newClient(t)
		store, err := xoxe.NewStore(backend, fmt.Sprintf("go cas process %d", i))
		if err != nil {
			t.Fatal(err)
		}
		r, err := xoxe.NewConfigRotator(c, store, &xoxe.RotatorOptions{WaitTimeout: 2 * time.Minute})
		store.Close() // the rotator keeps its own reference
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		procs[i] = process{client: c, rotator: r}
	}

	before := getStats(t)
	control(t, "POST", "ttl", map[string]any{"ttl": ttl}, nil)
	t.Cleanup(func() { control(t, "POST", "ttl", map[string]any{"ttl": 43200}, nil) })

	var (
		mu       sync.Mutex
		distinct = map[[32]byte]bool{} // hashes of the tokens handed out
	)
	seen := func(tok xoxe.Secret) int {
		h := sha256.Sum256([]byte(tok.Reveal()))
		mu.Lock()
		defer mu.Unlock()
		distinct[h] = true
		return len(distinct)
	}
	nDistinct := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(distinct)
	}

	start := time.Now()
	deadline := start.Add(duration)
	results := make([]casWorker, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(w *casWorker, p process) {
			defer wg.Done()
			bg := context.Background()
			// Run for the whole duration, and on a slow machine until the chain
			// has rotated at least twice (each distinct token is one rotation).
			for time.Now().Before(deadline) || nDistinct() < 2 {
				if time.Since(start) > hardLimit {
					w.err = fmt.Errorf("fewer than 2 rotations after %v", hardLimit)
					return
				}
				asked := time.Now()
				tok, exp, err := p.rotator.Get(bg)
				w.gets++
				if err != nil {
					w.err = fmt.Errorf("Get #%d: %w", w.gets, err)
					return
				}
				if tok.IsZero() || !exp.After(asked.Add(-time.Second)) {
					// The rotator judged the token fresh after asked: its expiry
					// (whole seconds) cannot be before that.
					w.err = fmt.Errorf("Get #%d: empty token or stale expiry %v (asked at %v)", w.gets, exp, asked)
					return
				}
				seen(tok)
				_, err = p.client.AuthTest(bg, tok.Reveal())
				switch {
				case err == nil:
					w.checked++
				case errors.Is(err, xoxe.ErrTokenExpired) && !time.Now().Before(exp.Add(-time.Second)):
					// A stalled machine reached auth.test only around the
					// token's expiry: nothing to judge.
					w.late++
				default:
					w.err = fmt.Errorf("auth.test of the token from Get #%d (expires %v): %w", w.gets, exp, err)
					return
				}
				if w.gets%4 == 0 {
					if _, _, err := p.rotator.Current(); err != nil {
						w.err = fmt.Errorf("Current: %w", err)
						return
					}
					w.currents++
				}
				time.Sleep(15 * time.Millisecond)
			}
		}(&results[i], procs[i%2])
	}
	wg.Wait()
	elapsed := time.Since(start)

	var gets, checked, late int
	for i, w := range results {
		if w.err != nil {
			t.Errorf("goroutine %d: %v", i, w.err)
		}
		gets += w.gets
		checked += w.checked
		late += w.late
	}
	if t.Failed() {
		t.FailNow()
	}
	stress := getStats(t)
	rotations := stress.Rotations - before.Rotations
	reuses := stress.RefreshTokenReuses - before.RefreshTokenReuses
	c := state.counters()
	t.Logf("%.1f s, token TTL %d s: %d rotations, %d distinct tokens handed out, %d Gets, %d tokens checked with auth.test, %d checks too late to judge, %d refresh token reuses, %d CAS conflicts",
		elapsed.Seconds(), ttl, rotations, nDistinct(), gets, checked, late, reuses, c.conflicts)
	if rotations < 2 {
		t.Fatalf("%d rotations, want >= 2", rotations)
	}
	if checked == 0 {
		t.Fatal("no token was checked in time")
	}
	if n := nDistinct(); n > rotations {
		t.Fatalf("%d distinct tokens handed out for %d rotations", n, rotations)
	}
	if c.genMissing != 0 {
		t.Fatalf("%d saved documents do not carry their generation", c.genMissing)
	}
	// Every successful rotation is saved exactly once (plus the seed).
	if c.stored != rotations+1 {
		t.Fatalf("%d saves stored for %d rotations, want %d", c.stored, rotations, rotations+1)
	}
	if locked != nil {
		// With the fleet lock, rotations are serialised: no refresh token is
		// spent twice and no compare-and-swap is lost.
		if reuses != 0 {
			t.Fatalf("%d refresh tokens used twice", reuses)
		}
		if c.conflicts != 0 || c.generation != uint64(rotations) {
			t.Fatalf("%d CAS conflicts, generation %d after %d rotations", c.conflicts, c.generation, rotations)
		}
	} else if reuses > rotations {
		// Without a lock two processes may both spend the same refresh token
		// (Slack rejects the second; the loser adopts the winner's pair):
		// allowed, as long as nothing failed above.
		t.Fatalf("%d refresh token reuses for %d rotations", reuses, rotations)
	}

	// The chain is still alive: one "process" rotates it, the other follows.
	tok, _, err := procs[0].rotator.ForceRotate(ctx(t))
	if err != nil {
		t.Fatalf("ForceRotate after the stress: %v", err)
	}
	if _, err := procs[0].client.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatalf("auth.test after ForceRotate: %v", err)
	}
	tok, _, err = procs[1].rotator.Get(ctx(t))
	if err != nil {
		t.Fatalf("Get in the other process after ForceRotate: %v", err)
	}
	if _, err := procs[1].client.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatalf("auth.test in the other process: %v", err)
	}
	if n := getStats(t).Rotations - stress.Rotations; n != 1 || state.counters().stored != rotations+2 {
		t.Fatalf("%d rotations after the stress, want 1 (%d saves stored)", n, state.counters().stored)
	}
}

type casCounters struct {
	generation               uint64
	loads, stored, conflicts int
	genMissing               int
}

func (b *casBackend) counters() casCounters {
	b.mu.Lock()
	defer b.mu.Unlock()
	return casCounters{generation: b.generation, loads: b.loads, stored: b.stored, conflicts: b.conflicts, genMissing: b.genMissing}
}
