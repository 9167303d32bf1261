package xoxe_test

// Stores kept by a Go host that keeps many chains (NewForeignChainsStore), in
// a map here: each chain opened gets its own document; a pool over the host
// rotates several chains against the fake Slack; Chains lists through the
// host's List and RemoveChain/Pool.Remove delete through its Remove; a host
// without them is unsupported; the library lets go of every chain's backend
// and of the host once everything is closed (counted by finalizers: only the
// release callback drops the binding's reference); a failing, panicking or
// empty Open is StatusStoreIO with nothing kept; and a sealed handle hands
// the host sealed documents only.

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// fcDoc is one chain's stored document and generation.
type fcDoc struct {
	gen uint64
	doc string
}

// fcHost keeps many chains in a map, as a table with a row per chain would,
// and counts what the library asked of it. The ChainBackend the library sees
// is a small wrapper around it (fcOpenOnly, fcFull), so that the test can keep
// the host's state while the library lets go of the backend.
type fcHost struct {
	mu      sync.Mutex
	docs    map[string]fcDoc
	opened  []string
	removed []string
	listed  int
	// openFails makes Open of a chain fail: "error", "panic" or "nil".
	openFails map[string]string
	// listAnswer, when set, is what List answers instead of the map's keys.
	listAnswer func() ([]string, error)
	removeErr  error

	chainsFreed atomic.Int64 // chain backends collected after the library let go
	hostsFreed  atomic.Int64 // host wrappers collected after the library let go
}

func newFCHost() *fcHost {
	return &fcHost{docs: map[string]fcDoc{}, openFails: map[string]string{}}
}

// fcChain is one chain's backend: a view on the host's map.
type fcChain struct {
	host *fcHost
	name string
}

func (c *fcChain) Load() (string, bool, error) {
	c.host.mu.Lock()
	defer c.host.mu.Unlock()
	d, ok := c.host.docs[c.name]
	return d.doc, ok, nil
}

func (c *fcChain) Save(expected *uint64, gen uint64, doc string) (bool, error) {
	c.host.mu.Lock()
	defer c.host.mu.Unlock()
	d, ok := c.host.docs[c.name]
	if ok != (expected != nil) || (ok && d.gen != *expected) {
		return false, nil
	}
	c.host.docs[c.name] = fcDoc{gen, doc}
	return true, nil
}

func (h *fcHost) open(chain string) (xoxe.StoreBackend, error) {
	h.mu.Lock()
	fail := h.openFails[chain]
	if fail == "" {
		h.opened = append(h.opened, chain)
	}
	h.mu.Unlock()
	switch fail {
	case "error":
		return nil, errors.New("vault unreachable with password hunter2")
	case "panic":
		panic("vault exploded with password hunter2")
	case "nil":
		return nil, nil
	}
	c := &fcChain{host: h, name: chain}
	runtime.SetFinalizer(c, func(*fcChain) { h.chainsFreed.Add(1) })
	return c, nil
}

// fcOpenOnly is a host with Open only: listing and removal are unsupported.
type fcOpenOnly struct{ h *fcHost }

func (o *fcOpenOnly) Open(chain string) (xoxe.StoreBackend, error) { return o.h.open(chain) }

// fcFull is a host that also lists and removes its chains.
type fcFull struct{ h *fcHost }

func (f *fcFull) Open(chain string) (xoxe.StoreBackend, error) { return f.h.open(chain) }

func (f *fcFull) List() ([]string, error) {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	f.h.listed++
	if f.h.listAnswer != nil {
		return f.h.listAnswer()
	}
	names := make([]string, 0, len(f.h.docs))
	for name := range f.h.docs {
		names = append(names, name)
	}
	return names, nil
}

func (f *fcFull) Remove(chain string) (bool, error) {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	f.h.removed = append(f.h.removed, chain)
	if f.h.removeErr != nil {
		return false, f.h.removeErr
	}
	_, ok := f.h.docs[chain]
	delete(f.h.docs, chain)
	return ok, nil
}

// full is the host as a ChainBackend with List and Remove; the wrapper's
// collection is counted.
func (h *fcHost) full() xoxe.ChainBackend {
	f := &fcFull{h}
	runtime.SetFinalizer(f, func(*fcFull) { h.hostsFreed.Add(1) })
	return f
}

func (h *fcHost) openOnly() xoxe.ChainBackend {
	o := &fcOpenOnly{h}
	runtime.SetFinalizer(o, func(*fcOpenOnly) { h.hostsFreed.Add(1) })
	return o
}

func (h *fcHost) doc(t *testing.T, chain string) fcDoc {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.docs[chain]
	if !ok {
		t.Fatalf("the host holds no document for %s", chain)
	}
	return d
}

func (h *fcHost) names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for name := range h.docs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (h *fcHost) openedCount() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.opened))
}

// fcWaitFreed collects garbage until every chain the host opened and `hosts`
// host wrappers were collected: the binding dropped them, which only the
// library's release callbacks do.
func fcWaitFreed(t *testing.T, h *fcHost, hosts int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.GC()
		opened := h.openedCount()
		if h.chainsFreed.Load() == opened && h.hostsFreed.Load() == hosts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing everything: %d of %d opened chains and %d of %d hosts let go of",
				h.chainsFreed.Load(), opened, h.hostsFreed.Load(), hosts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fcSeed starts each chain with a refresh token the fake Slack issued.
func fcSeed(t *testing.T, s *xoxe.Store, names ...string) {
	t.Helper()
	for _, name := range names {
		c, err := s.OpenChain(name)
		if err != nil {
			t.Fatalf("OpenChain %s: %v", name, err)
		}
		err = c.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false)
		_ = c.Close()
		if err != nil {
			t.Fatalf("seeding %s: %v", name, err)
		}
	}
}

func fcPool(t *testing.T, s *xoxe.Store, opts ...xoxe.PoolOption) *xoxe.Pool {
	t.Helper()
	p, err := xoxe.NewPool(newClient(t), s, "", "", opts...)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func fcValid(t *testing.T, c *xoxe.Client, token xoxe.Secret) {
	t.Helper()
	if id, err := c.AuthTest(ctx(t), token.Reveal()); err != nil || id.UserID == "" {
		t.Fatalf("auth.test with a handed-out token: %v", err)
	}
}

func TestForeignChainsStorePoolRotatesManyChains(t *testing.T) {
	h := newFCHost()
	store := keepStore(t)(xoxe.NewForeignChainsStore(h.full(), "", "host map"))
	if got := strings.Join(h.opened, ","); got != "default" { // nothing else runs yet
		t.Fatalf("making the store opened %q, want its own chain, default", got)
	}
	names := []string{"fc-a", "fc-b", "fc-c"}
	fcSeed(t, store, names...)
	if got := h.names(); strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("documents %v, want one per chain %v", got, names)
	}
	seeded := map[string]fcDoc{}
	for _, name := range names {
		seeded[name] = h.doc(t, name)
	}
	if seeded["fc-a"].doc == seeded["fc-b"].doc || seeded["fc-b"].doc == seeded["fc-c"].doc {
		t.Fatal("two chains share a document")
	}

	client := newClient(t)
	before := getStats(t)
	pool := fcPool(t, store)
	tokens := map[string]xoxe.Secret{}
	for _, name := range names {
		tok, exp, err := pool.Get(name)
		if err != nil {
			t.Fatalf("Get %s: %v", name, err)
		}
		if time.Until(exp) <= 0 {
			t.Fatalf("%s: handed out an expired token", name)
		}
		fcValid(t, client, tok)
		tokens[name] = tok
	}
	after := getStats(t)
	if after.Rotations-before.Rotations != 3 || after.RefreshTokenReuses != before.RefreshTokenReuses {
		t.Fatalf("%d rotations (%d reuses), want 3 (0)", after.Rotations-before.Rotations, after.RefreshTokenReuses-before.RefreshTokenReuses)
	}
	if tokens["fc-a"].Equal(tokens["fc-b"]) || tokens["fc-b"].Equal(tokens["fc-c"]) {
		t.Fatal("two chains handed out the same token")
	}
	for _, name := range names {
		tok, _, err := pool.Get(name)
		if err != nil || !tok.Equal(tokens[name]) {
			t.Fatalf("Get %s again: %v (or another token)", name, err)
		}
		// Saved in the chain's own document before it was handed out.
		if d := h.doc(t, name); d.gen != seeded[name].gen+1 || d.doc == seeded[name].doc {
			t.Fatalf("%s: generation %d after one rotation from %d", name, d.gen, seeded[name].gen)
		}
		chain := keepStore(t)(store.OpenChain(name))
		r, err := xoxe.NewConfigRotator(client, chain, nil)
		if err != nil {
			t.Fatal(err)
		}
		cur, _, err := r.Current()
		_ = r.Close()
		if err != nil || !cur.Equal(tokens[name]) {
			t.Fatalf("another rotator on %s reads %v (or another token)", name, err)
		}
	}
	if n := getStats(t).Rotations - after.Rotations; n != 0 {
		t.Fatalf("%d rotations of fresh chains", n)
	}

	listed := h.listed
	statuses, err := store.Chains()
	if err != nil {
		t.Fatalf("Chains: %v", err)
	}
	if h.listed != listed+1 {
		t.Fatalf("Chains called List %d times", h.listed-listed)
	}
	var got []string
	for _, c := range statuses {
		got = append(got, c.Chain)
		if c.Err != nil || c.Kind != xoxe.ChainConfig || c.Generation != h.doc(t, c.Chain).gen {
			t.Fatalf("chain %s: %+v", c.Chain, c)
		}
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("Chains listed %v, want %v", got, names)
	}
}

func TestForeignChainsStoreConcurrentPool(t *testing.T) {
	h := newFCHost()
	store := keepStore(t)(xoxe.NewForeignChainsStore(h.full(), "", "shared host"))
	names := []string{"fc-0", "fc-1", "fc-2", "fc-3"}
	fcSeed(t, store, names...)
	before := getStats(t)
	pool := fcPool(t, store, xoxe.WithRotatorOptions(xoxe.RotatorOptions{WaitTimeout: 2 * time.Minute}))
	var wg sync.WaitGroup
	got := make([]map[string]string, 8)
	errs := make(chan error, 8*len(names))
	for i := range got {
		got[i] = map[string]string{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := range names {
				name := names[(i+j)%len(names)]
				tok, _, err := pool.Get(name)
				if err != nil {
					errs <- err
					return
				}
				got[i][name] = tok.Reveal()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Get: %v", err)
	}
	after := getStats(t)
	if after.Rotations-before.Rotations != len(names) || after.RefreshTokenReuses != before.RefreshTokenReuses {
		t.Fatalf("%d rotations for %d chains (%d reuses)", after.Rotations-before.Rotations, len(names), after.RefreshTokenReuses-before.RefreshTokenReuses)
	}
	for _, name := range names {
		for i := range got {
			if got[i][name] != got[0][name] {
				t.Fatalf("%s: goroutines were handed different tokens", name)
			}
		}
	}
}

func TestForeignChainsStoreListAndRemove(t *testing.T) {
	h := newFCHost()
	store := keepStore(t)(xoxe.NewForeignChainsStore(h.full(), "", "host map"))
	fcSeed(t, store, "fc-a", "fc-b", "fc-c")
	a := keepStore(t)(store.OpenChain("fc-a"))
	if removed, err := a.RemoveChain(); err != nil || !removed {
		t.Fatalf("RemoveChain: %v, %v", removed, err)
	}
	if removed, err := a.RemoveChain(); err != nil || removed {
		t.Fatalf("RemoveChain again: %v, %v (want false: nothing there)", removed, err)
	}
	r, err := xoxe.NewConfigRotator(newClient(t), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.Current()
	_ = r.Close()
	if !errors.Is(err, xoxe.ErrStoreEmpty) {
		t.Fatalf("a removed chain: %v", err)
	}

	pool := fcPool(t, store)
	if _, _, err := pool.Get("fc-b"); err != nil {
		t.Fatal(err)
	}
	if removed, err := pool.Remove("fc-b"); err != nil || !removed {
		t.Fatalf("Pool.Remove: %v, %v", removed, err)
	}
	if _, _, err := pool.Get("fc-b"); !errors.Is(err, xoxe.ErrStoreEmpty) {
		t.Fatalf("Get of a removed chain: %v", err)
	}
	if removed, err := pool.Remove("fc-b"); err != nil || removed {
		t.Fatalf("Pool.Remove again: %v, %v", removed, err)
	}
	if got := strings.Join(h.removed, ","); got != "fc-a,fc-a,fc-b,fc-b" {
		t.Fatalf("the host's Remove was called for %s", got)
	}
	statuses, err := store.Chains()
	if err != nil || len(statuses) != 1 || statuses[0].Chain != "fc-c" {
		t.Fatalf("Chains: %+v, %v", statuses, err)
	}

	// A failing Remove, a failing List, and names C cannot take.
	h.mu.Lock()
	h.removeErr = errors.New("the table is locked")
	h.mu.Unlock()
	c := keepStore(t)(store.OpenChain("fc-c"))
	_, err = c.RemoveChain()
	wantCode(t, err, xoxe.StatusStoreIO)
	for answer, code := range map[string]xoxe.Status{"error": xoxe.StatusStoreIO, "a\x00b": xoxe.StatusStoreIO, "../escape": xoxe.StatusStoreCorrupt} {
		h.mu.Lock()
		h.listAnswer = func() ([]string, error) {
			if answer == "error" {
				return nil, errors.New("the table is gone")
			}
			return []string{"fc-c", answer}, nil
		}
		h.mu.Unlock()
		_, err := store.Chains()
		wantCode(t, err, code)
	}
}

func TestForeignChainsStoreWithoutListOrRemove(t *testing.T) {
	h := newFCHost()
	store := keepStore(t)(xoxe.NewForeignChainsStore(h.openOnly(), "", "open only"))
	_, err := store.Chains()
	if e := wantCode(t, err, xoxe.StatusUnsupported); !strings.Contains(e.Message, "list") {
		t.Fatalf("unsupported listing: %v", err)
	}
	_, err = store.RewriteChains()
	wantCode(t, err, xoxe.StatusUnsupported)
	fcSeed(t, store, "fc-a")
	a := keepStore(t)(store.OpenChain("fc-a"))
	_, err = a.RemoveChain()
	wantCode(t, err, xoxe.StatusUnsupported)
	// Rotating needs neither.
	pool := fcPool(t, store)
	tok, _, err := pool.Get("fc-a")
	if err != nil {
		t.Fatal(err)
	}
	fcValid(t, newClient(t), tok)
	_, err = pool.Remove("fc-a")
	wantCode(t, err, xoxe.StatusUnsupported)
	if got := h.names(); len(got) != 1 {
		t.Fatalf("the host holds %v", got)
	}
}

func TestForeignChainsStoreReleasesEveryChainAndTheHost(t *testing.T) {
	h := newFCHost()
	client := newClient(t)
	store, err := xoxe.NewForeignChainsStore(h.full(), "", "counted")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"fc-a", "fc-b", "fc-c"}
	fcSeed(t, store, names...)
	view, err := store.OpenChain("fc-b")
	if err != nil {
		t.Fatal(err)
	}
	rotator, err := xoxe.NewConfigRotator(client, view, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One rotator in memory at a time: asking in turn drops and reopens chains.
	pool, err := xoxe.NewPool(client, store, "", "", xoxe.WithMaxChainsInMemory(1))
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		for _, name := range names {
			if _, _, err := pool.Get(name); err != nil {
				t.Fatalf("Get %s: %v", name, err)
			}
		}
	}
	if _, _, err := rotator.Get(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Chains(); err != nil {
		t.Fatal(err)
	}
	if n := h.openedCount(); n < 1+3+1+6 {
		t.Fatalf("only %d chains opened: the pool did not reopen the chains it dropped", n)
	}
	// The chains the pool dropped are let go of while the rest lives on.
	_ = pool.Close()
	_ = store.Close()
	_ = view.Close()
	deadline := time.Now().Add(30 * time.Second)
	for h.chainsFreed.Load() < h.openedCount()-1 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if freed, opened := h.chainsFreed.Load(), h.openedCount(); freed != opened-1 || h.hostsFreed.Load() != 0 {
		t.Fatalf("with one rotator left: %d of %d chains and %d hosts let go of, want all but its chain and no host",
			freed, opened, h.hostsFreed.Load())
	}
	if _, _, err := rotator.Get(ctx(t)); err != nil {
		t.Fatalf("the last rotator, its store closed: %v", err)
	}
	_ = rotator.Close()
	fcWaitFreed(t, h, 1)
}

func TestForeignChainsStoreOpenFailures(t *testing.T) {
	h := newFCHost()
	for _, how := range []string{"error", "panic", "nil"} {
		h.openFails["bad-"+how] = how
	}
	for _, how := range []string{"error", "panic", "nil"} {
		// The store's own chain failing to open: no store, and nothing kept.
		_, err := xoxe.NewForeignChainsStore(h.full(), "bad-"+how, "vault")
		if e := wantCode(t, err, xoxe.StatusStoreIO); !strings.Contains(e.Message, "open") || !strings.Contains(e.Message, "vault") {
			t.Fatalf("Open %s: %v", how, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("Open %s: the backend's own error text was carried", how)
		}
	}
	fcWaitFreed(t, h, 3)

	store, err := xoxe.NewForeignChainsStore(h.full(), "", "vault")
	if err != nil {
		t.Fatal(err)
	}
	fcSeed(t, store, "good")
	pool, err := xoxe.NewPool(newClient(t), store, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"error", "panic", "nil"} {
		_, err := store.OpenChain("bad-" + how)
		wantCode(t, err, xoxe.StatusStoreIO)
		_, _, err = pool.Get("bad-" + how)
		wantCode(t, err, xoxe.StatusStoreIO)
	}
	if _, _, err := pool.Get("good"); err != nil {
		t.Fatalf("one chain failing to open stops another: %v", err)
	}
	// A listed chain that cannot be opened is listed with its error.
	h.mu.Lock()
	h.docs["bad-error"] = fcDoc{1, "{}"}
	h.mu.Unlock()
	statuses, err := store.Chains()
	if err != nil || len(statuses) != 2 || statuses[0].Chain != "bad-error" || statuses[1].Err != nil {
		t.Fatalf("Chains: %+v, %v", statuses, err)
	}
	wantCode(t, statuses[0].Err, xoxe.StatusStoreIO)
	_ = pool.Close()
	_ = store.Close()
	fcWaitFreed(t, h, 4)
}

func TestForeignChainsStoreSealed(t *testing.T) {
	h := newFCHost()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys")
	writeFile(t, path, "fc-host-1 "+base64.StdEncoding.EncodeToString(key)+"\n")
	kr, err := xoxe.KeyringFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer kr.Close()
	plain := keepStore(t)(xoxe.NewForeignChainsStore(h.full(), "", "host"))
	sealed := keepStore(t)(plain.Sealed(kr))
	names := []string{"fc-a", "fc-b", "fc-c"}
	var secrets []string
	for _, name := range names {
		c := keepStore(t)(sealed.OpenChain(name))
		rt := newConfigToken(t, 0).RefreshToken
		secrets = append(secrets, rt)
		if err := c.Init(xoxe.ChainConfig, rt, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
	}
	pool := fcPool(t, sealed)
	tokens := map[string]xoxe.Secret{}
	for _, name := range names {
		tok, _, err := pool.Get(name)
		if err != nil {
			t.Fatalf("Get %s: %v", name, err)
		}
		tokens[name] = tok
		secrets = append(secrets, tok.Reveal())
	}
	for _, name := range names {
		doc := h.doc(t, name).doc
		var parsed struct {
			Sealed int    `json:"xoxe_sealed"`
			Kid    string `json:"kid"`
		}
		if err := json.Unmarshal([]byte(doc), &parsed); err != nil || parsed.Sealed != 1 || parsed.Kid != "fc-host-1" {
			t.Fatalf("%s: not a document sealed under fc-host-1 (%v)", name, err)
		}
		if strings.Contains(doc, "xoxe-1-") {
			t.Fatalf("%s: a refresh token in clear in the host's map", name)
		}
		for i, s := range secrets {
			if strings.Contains(doc, s) {
				t.Fatalf("%s: secret #%d in clear in the host's map", name, i)
			}
		}
	}
	// The plain handle cannot read them; the sealed one lists and serves them.
	r, err := xoxe.NewConfigRotator(newClient(t), keepStore(t)(plain.OpenChain("fc-a")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, _, err = r.Current()
	if e := wantCode(t, err, xoxe.StatusStoreSealed); !strings.Contains(e.Message, "fc-host-1") {
		t.Fatalf("a plain handle on a sealed chain: %v", err)
	}
	statuses, err := sealed.Chains()
	if err != nil || len(statuses) != 3 {
		t.Fatalf("Chains: %+v, %v", statuses, err)
	}
	for _, c := range statuses {
		if c.Err != nil || c.Kind != xoxe.ChainConfig {
			t.Fatalf("chain %s: %v", c.Chain, c.Err)
		}
	}
	plainStatuses, err := plain.Chains()
	if err != nil || len(plainStatuses) != 3 || !errors.Is(plainStatuses[0].Err, xoxe.ErrStoreSealed) {
		t.Fatalf("plain Chains: %+v, %v", plainStatuses, err)
	}
}

func TestForeignChainsStoreUsage(t *testing.T) {
	_, err := xoxe.NewForeignChainsStore(nil, "", "")
	if !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("nil backend: %v", err)
	}
	h := newFCHost()
	for _, bad := range [][2]string{{"a\x00b", ""}, {"", "bad\x00name"}, {"../escape", ""}, {".hidden", ""}} {
		if _, err := xoxe.NewForeignChainsStore(h.full(), bad[0], bad[1]); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("chain %q, name %q: %v", bad[0], bad[1], err)
		}
	}
	store := keepStore(t)(xoxe.NewForeignChainsStore(h.full(), "fc-named", ""))
	if _, err := store.OpenChain(""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("OpenChain(\"\"): %v", err)
	}
	if got := strings.Join(h.opened, ","); got != "fc-named" {
		t.Fatalf("opened %q", got)
	}
	// A single-chain Go store has no other chains.
	single := keepStore(t)(xoxe.NewStore(&fcChain{host: h, name: "x"}, "single"))
	_, err = single.OpenChain("y")
	wantCode(t, err, xoxe.StatusUnsupported)
	_ = store.Close()
	_ = single.Close()
	fcWaitFreed(t, h, 4+1) // the hosts of the four refused stores and of store
}
