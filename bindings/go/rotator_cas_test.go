package xoxe_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
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
	late           int // token_expired after a visible stall of this goroutine: too late to judge
	err            error
}

// rotateRecorder is an HTTP proxy in front of the fake Slack, one per
// "process" of the stress: it counts, by hash, each refresh token sent
// through it to tooling.tokens.rotate, so that every reuse Slack counts can be
// put down to the process(es) that sent it. Nothing it keeps is printed.
type rotateRecorder struct {
	baseURL string
	mu      sync.Mutex
	sent    map[[32]byte]int
}

func newRotateRecorder(t *testing.T) *rotateRecorder {
	t.Helper()
	target, err := url.Parse(fake.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		Transport: transport,
	}
	rec := &rotateRecorder{sent: map[[32]byte]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tooling.tokens.rotate") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "proxy: reading the request", http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			h := sha256.Sum256([]byte(form.Get("refresh_token")))
			rec.mu.Lock()
			rec.sent[h]++
			rec.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); transport.CloseIdleConnections() })
	rec.baseURL = srv.URL + target.Path
	return rec
}

// spends returns how often each refresh token went through the recorder.
func (r *rotateRecorder) spends() map[[32]byte]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.sent)
}

// TestCASStoreKeepsChainAliveUnderConcurrency: two rotators (two "processes",
// each with its own client and Store handle) share one compare-and-swap
// backend written in Go while 8 goroutines call Get for ~6 s and tokens live
// 3 s. Every token handed out works, the chain stays alive, and no process
// ever spends a refresh token twice; with the fleet lock no refresh token is
// spent twice at all, without it only the two processes racing each other
// may both spend one (one reuse each time, which Slack rejects).
func TestCASStoreKeepsChainAliveUnderConcurrency(t *testing.T) {
	skipInShortMode(t)
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
		// Tokens living less than twice the refresh window (2 h) are rotated
		// when half their lifetime, rounded up, is left (jitter: 0 for them).
		window = (ttl + 1) / 2 * time.Second
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
		sent    *rotateRecorder
	}
	procs := make([]process, 2)
	for i := range procs {
		rec := newRotateRecorder(t)
		c := newClient(t, xoxe.WithBaseURL(rec.baseURL))
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
		procs[i] = process{client: c, rotator: r, sent: rec}
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
			prevAsked := start
			// Run for the whole duration, and on a slow machine until the chain
			// has rotated at least twice (each distinct token is one rotation).
			for time.Now().Before(deadline) || nDistinct() < 2 {
				if time.Since(start) > hardLimit {
					w.err = fmt.Errorf("fewer than 2 rotations after %v", hardLimit)
					return
				}
				asked := time.Now()
				since := prevAsked
				prevAsked = asked
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
				if locked != nil && !exp.After(asked.Add(window)) {
					// With the fleet lock every token handed out was either
					// judged fresh (more than the window left) after asked, or
					// rotated after it. (Without the lock, a pair adopted after
					// Slack rejected ours is handed out as it is.)
					w.err = fmt.Errorf("Get #%d: expiry %v is within the refresh window (%v) of the call (%v)", w.gets, exp, window, asked)
					return
				}
				seen(tok)
				_, err = p.client.AuthTest(bg, tok.Reveal())
				done := time.Now()
				switch {
				case err == nil:
					w.checked++
				case errors.Is(err, xoxe.ErrTokenExpired) && done.Sub(since) >= time.Second && !done.Before(exp.Add(-time.Second)):
					// This goroutine stalled: a second or more from the start of
					// its previous Get to auth.test's answer. Only then may a
					// correct rotator's token have expired by the check: Get
					// hands out a token with more than the refresh window (2 s)
					// left when it is asked, and a pair adopted from the other
					// process was rotated after this goroutine's previous Get
					// found the one before it fresh, so it too outlives that
					// previous Get by more than 2 s. Nothing to judge.
					w.late++
				default:
					w.err = fmt.Errorf("auth.test of the token from Get #%d (expires %v, asked %v, answered %v): %w",
						w.gets, exp, asked, done, err)
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
	// The excuse above needs a stall of a second or more: it may not cover more
	// than a tenth of what was judged.
	if checked == 0 || late*10 > checked {
		t.Fatalf("%d tokens checked in time, %d too late to judge: too few to judge", checked, late)
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
	// Whose were the reuses? A process that sends a refresh token twice has
	// raced itself: its single-flight gate (or its re-read of the store after a
	// rejection) failed. A token both processes sent is a cross-process race.
	spends := []map[[32]byte]int{procs[0].sent.spends(), procs[1].sent.spends()}
	total := map[[32]byte]int{} // times each refresh token was sent, by either process
	var sameProcess, sends int
	for _, sp := range spends {
		for h, n := range sp {
			sameProcess += n - 1
			sends += n
			total[h] += n
		}
	}
	t.Logf("refresh tokens sent twice: %d by the same process, %d by both processes", sameProcess, sends-len(total)-sameProcess)
	if sameProcess != 0 {
		t.Fatalf("a process sent the same refresh token twice (%d times): its goroutines raced each other", sameProcess)
	}
	// Every rotation request went through the recorders: the first send of each
	// token is a rotation, every other one a reuse Slack counted.
	if len(total) != rotations || sends-len(total) != reuses {
		t.Fatalf("recorded %d refresh tokens sent %d times; Slack counted %d rotations and %d reuses",
			len(total), sends, rotations, reuses)
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
	// ForceRotate rotates once, unless that process's rotator finds the other's
	// newer pair in the store first (the other rotated last): then it takes that.
	if n := int(getStats(t).Rotations - stress.Rotations); n > 1 || state.counters().stored != rotations+1+n {
		t.Fatalf("%d rotations after the stress, want at most 1 (%d saves stored)", n, state.counters().stored)
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
