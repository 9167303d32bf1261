package xoxe_test

// Pools over every place that keeps many chains (memory, a directory,
// PostgreSQL, Redis over TCP and over a socket): chains seeded with refresh
// tokens the fake Slack issued are rotated once each however many goroutines
// ask, listed, removed, bounded in memory, refreshed in the background and
// marked revoked. Also the chain names of installations, and the pool's usage
// errors.

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// poolPlace is one place that keeps many chains, for one test.
type poolPlace struct {
	name string
	// base is the store the pools are made over (its own chain is never used).
	base *xoxe.Store
	// prefix starts every chain name of this test, so that a database shared
	// with other tests and earlier runs can be filtered.
	prefix string
	// file is where a directory keeps a chain ("" for the others).
	file func(chain string) string
}

// chain is the test's chain number i.
func (p poolPlace) chain(i int) string { return p.prefix + "-" + string(rune('a'+i)) }

// open is a new handle on chain, closed when t ends.
func (p poolPlace) open(t *testing.T, chain string) *xoxe.Store {
	t.Helper()
	return keepStore(t)(p.base.OpenChain(chain))
}

// seed starts chain as a configuration-token chain with a refresh token the
// fake Slack issued (no access token: the first Get rotates).
func (p poolPlace) seed(t *testing.T, chain string) {
	t.Helper()
	if err := p.open(t, chain).Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatalf("seeding %s: %v", chain, err)
	}
}

// chains is Chains() of the base store, only this test's chains.
func (p poolPlace) chains(t *testing.T) []xoxe.ChainStatus {
	t.Helper()
	all, err := p.base.Chains()
	if err != nil {
		t.Fatalf("Chains: %v", err)
	}
	var mine []xoxe.ChainStatus
	for _, c := range all {
		if strings.HasPrefix(c.Chain, p.prefix+"-") {
			mine = append(mine, c)
		}
	}
	return mine
}

// pool is a pool on the fake Slack over the place, closed when t ends.
func (p poolPlace) pool(t *testing.T, opts ...xoxe.PoolOption) *xoxe.Pool {
	t.Helper()
	pool, err := xoxe.NewPool(newClient(t), p.base, "", "", opts...)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	return pool
}

// onEveryPoolPlace runs f as a subtest for memory, a directory and each test
// database.
func onEveryPoolPlace(t *testing.T, f func(t *testing.T, p poolPlace)) {
	t.Helper()
	type place struct {
		name string
		make func(t *testing.T) poolPlace
	}
	places := []place{
		{"memory", func(t *testing.T) poolPlace {
			return poolPlace{base: keepStore(t)(xoxe.NewMemoryStore())}
		}},
		{"directory", func(t *testing.T) poolPlace {
			dir := t.TempDir()
			return poolPlace{
				base: keepStore(t)(xoxe.NewDirectoryStore(dir, "", 10*time.Second)),
				file: func(chain string) string { return filepath.Join(dir, chain+".json") },
			}
		}},
	}
	for _, db := range databases(t) {
		places = append(places, place{db.name, func(t *testing.T) poolPlace {
			return poolPlace{base: db.store(t, uniqueChain("pool-base"))}
		}})
	}
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			p := pl.make(t)
			p.name, p.prefix = pl.name, uniqueChain(chainWord(t.Name()))
			f(t, p)
		})
	}
}

// TestPoolServesManyChains: goroutines asking for every chain at once get one
// rotation per chain, all the same token per chain; the chains are listed
// with their state; a removed chain is gone from the store (file or row) and
// its next Get is ErrStoreEmpty, while the others are still served.
func TestPoolServesManyChains(t *testing.T) {
	onEveryPoolPlace(t, func(t *testing.T, p poolPlace) {
		const chains, goroutines = 4, 8
		for i := range chains {
			p.seed(t, p.chain(i))
		}
		pool := p.pool(t)
		before := getStats(t)
		var (
			tokens [goroutines][chains]xoxe.Secret
			errs   [goroutines][chains]error
			wg     sync.WaitGroup
			start  = make(chan struct{})
		)
		for g := range goroutines {
			for i := range chains {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					tokens[g][i], _, errs[g][i] = pool.Get(p.chain(i))
				}()
			}
		}
		close(start)
		wg.Wait()
		for g := range goroutines {
			for i := range chains {
				if errs[g][i] != nil {
					t.Fatalf("Get(%s) in goroutine %d: %v", p.chain(i), g, errs[g][i])
				}
				if tokens[g][i].IsZero() || !tokens[g][i].Equal(tokens[0][i]) {
					t.Fatalf("goroutine %d got another token for %s than goroutine 0", g, p.chain(i))
				}
			}
		}
		for i := 1; i < chains; i++ {
			if tokens[0][i].Equal(tokens[0][0]) {
				t.Fatalf("chains %s and %s share a token", p.chain(0), p.chain(i))
			}
		}
		if n := getStats(t).Rotations - before.Rotations; n != chains {
			t.Fatalf("%d rotations for %d chains asked for by %d goroutines, want one per chain", n, chains, goroutines)
		}
		noReuses(t, before)
		if _, err := newClient(t).AuthTest(ctx(t), tokens[0][1].Reveal()); err != nil {
			t.Fatalf("auth.test with a pool's token: %v", err)
		}
		// Fresh tokens cost no rotation.
		for i := range chains {
			tok, exp, err := pool.Get(p.chain(i))
			if err != nil || !tok.Equal(tokens[0][i]) || !exp.After(time.Now()) {
				t.Fatalf("second Get(%s): %v (same token: %v, expiry %v)", p.chain(i), err, tok.Equal(tokens[0][i]), exp)
			}
		}
		if n := getStats(t).Rotations - before.Rotations; n != chains {
			t.Fatalf("%d rotations after fresh Gets, want %d", n, chains)
		}

		listed := p.chains(t)
		if len(listed) != chains {
			t.Fatalf("Chains lists %d of this test's chains, want %d", len(listed), chains)
		}
		if !sort.SliceIsSorted(listed, func(a, b int) bool { return listed[a].Chain < listed[b].Chain }) {
			t.Fatal("Chains is not sorted by name")
		}
		for i, c := range listed {
			if c.Chain != p.chain(i) || c.Err != nil || c.Kind != xoxe.ChainConfig || c.Generation != 1 ||
				!c.ExpiresAt.After(time.Now()) || c.RotatedAt.IsZero() || time.Since(c.RotatedAt) > time.Hour ||
				c.RotatedBy == "" || c.Revoked != "" || c.TeamID == "" || c.UserID == "" {
				t.Fatalf("Chains()[%d] = %+v", i, c)
			}
		}

		gone := p.chain(0)
		if p.file != nil {
			if _, err := os.Stat(p.file(gone)); err != nil {
				t.Fatalf("the directory keeps %s elsewhere: %v", gone, err)
			}
		}
		removed, err := pool.Remove(gone)
		if err != nil || !removed {
			t.Fatalf("Remove: %v, %v", removed, err)
		}
		if _, _, err := pool.Get(gone); !errors.Is(err, xoxe.ErrStoreEmpty) {
			t.Fatalf("Get of a removed chain: %v, want ErrStoreEmpty", err)
		}
		if removed, err := pool.Remove(gone); err != nil || removed {
			t.Fatalf("second Remove: %v, %v", removed, err)
		}
		if p.file != nil {
			if _, err := os.Stat(p.file(gone)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the removed chain's file: %v", err)
			}
		}
		// Another handle (another connection for a database) finds nothing.
		r, err := xoxe.NewConfigRotator(newClient(t), p.open(t, gone), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, _, err := r.Current(); !errors.Is(err, xoxe.ErrStoreEmpty) {
			t.Fatalf("the removed chain through another handle: %v, want ErrStoreEmpty", err)
		}
		if listed := p.chains(t); len(listed) != chains-1 || listed[0].Chain != p.chain(1) {
			t.Fatalf("Chains after Remove lists %d chains", len(listed))
		}
		if tok, _, err := pool.Get(p.chain(1)); err != nil || !tok.Equal(tokens[0][1]) {
			t.Fatalf("Get of another chain after Remove: %v", err)
		}
		noReuses(t, before)
	})
}

// TestPoolBoundsChainsInMemory: a pool holding at most 2 rotators serves 5
// chains, never holds more than 2, and re-reads a dropped chain from the store
// rather than rotating it again.
func TestPoolBoundsChainsInMemory(t *testing.T) {
	onEveryPoolPlace(t, func(t *testing.T, p poolPlace) {
		const chains, bound = 5, 2
		for i := range chains {
			p.seed(t, p.chain(i))
		}
		pool := p.pool(t, xoxe.WithMaxChainsInMemory(bound))
		before := getStats(t)
		first := make([]xoxe.Secret, chains)
		for round := range 3 {
			for i := range chains {
				tok, _, err := pool.Get(p.chain(i))
				if err != nil {
					t.Fatalf("round %d, Get(%s): %v", round, p.chain(i), err)
				}
				if round == 0 {
					first[i] = tok
				} else if !tok.Equal(first[i]) {
					t.Fatalf("round %d: %s has another token", round, p.chain(i))
				}
				stats, err := pool.Stats()
				if err != nil {
					t.Fatal(err)
				}
				if stats.ChainsInMemory < 1 || stats.ChainsInMemory > bound {
					t.Fatalf("%d chains in memory, bound %d", stats.ChainsInMemory, bound)
				}
			}
		}
		if n := getStats(t).Rotations - before.Rotations; n != chains {
			t.Fatalf("%d rotations, want one per chain (%d)", n, chains)
		}
		noReuses(t, before)
	})
}

// TestPoolRefreshesInTheBackground: with background refresh, a chain whose
// token enters its refresh window is rotated without a Get asking for it, and
// the next Get finds the new token fresh.
func TestPoolRefreshesInTheBackground(t *testing.T) {
	skipInShortMode(t)
	onEveryPoolPlace(t, func(t *testing.T, p poolPlace) {
		const window = 5 * time.Second
		seed := newConfigToken(t, 0)
		chain := p.chain(0)
		// The access token in use expires (for the rotator) in twice the window:
		// the first Get hands it out as it is, and it falls due one window later.
		expires := time.Now().Add(2 * window)
		if err := p.open(t, chain).Init(xoxe.ChainConfig, seed.RefreshToken, seed.Token, expires, false); err != nil {
			t.Fatal(err)
		}
		pool := p.pool(t, xoxe.WithBackgroundRefresh(), xoxe.WithRotatorOptions(xoxe.RotatorOptions{RefreshWindow: window}))
		before := getStats(t)
		tok, _, err := pool.Get(chain)
		if err != nil || tok.Reveal() != seed.Token {
			t.Fatalf("first Get: %v (the seeded token: %v)", err, tok.Reveal() == seed.Token)
		}
		if n := getStats(t).Rotations - before.Rotations; n != 0 {
			t.Fatalf("%d rotations for a fresh token, want 0", n)
		}
		// No Get from here on until the refresher has rotated the chain.
		deadline := time.Now().Add(2*window + time.Minute)
		for {
			stats, err := pool.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if stats.BackgroundFailures != 0 {
				t.Fatalf("%d background failures", stats.BackgroundFailures)
			}
			if stats.BackgroundRotations >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the background refresher did not rotate the chain")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations by the refresher, want 1", n)
		}
		if c := p.chains(t); len(c) != 1 || c[0].Generation != 1 || c[0].RotatedAt.IsZero() {
			t.Fatalf("Chains after the background rotation: %+v", c)
		}
		fresh, exp, err := pool.Get(chain)
		if err != nil || fresh.Reveal() == seed.Token || !exp.After(expires) {
			t.Fatalf("Get after the background rotation: %v (a new token: %v, expiry %v)", err, fresh.Reveal() != seed.Token, exp)
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations, want only the refresher's", n)
		}
		noReuses(t, before)
	})
}

// TestPoolMarkRevoked: a chain marked revoked is ErrChainRevoked for every
// holder without a call to Slack and shows as revoked in Chains; Uninstall
// removes it without revoking again, keeps a chain whose revocation failed,
// and reports a chain it does not know.
func TestPoolMarkRevoked(t *testing.T) {
	onEveryPoolPlace(t, func(t *testing.T, p poolPlace) {
		revoked, live := p.chain(0), p.chain(1)
		p.seed(t, revoked)
		p.seed(t, live)
		pool := p.pool(t)
		for _, c := range []string{revoked, live} {
			if _, _, err := pool.Get(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := pool.MarkRevoked(revoked, "token_revoked"); err != nil {
			t.Fatalf("MarkRevoked: %v", err)
		}
		before := getStats(t)
		if _, _, err := pool.Get(revoked); !errors.Is(err, xoxe.ErrChainRevoked) || !errors.Is(err, xoxe.ErrStore) {
			t.Fatalf("Get of a revoked chain: %v, want ErrChainRevoked", err)
		}
		// Another process's pool (for memory: the same place) sees it too.
		other, err := xoxe.NewPool(newClient(t), p.base, "", "")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if _, _, err := other.Get(revoked); !errors.Is(err, xoxe.ErrChainRevoked) {
			t.Fatalf("Get of a revoked chain through another pool: %v", err)
		}
		if after := getStats(t); after.Requests["tooling.tokens.rotate"] != before.Requests["tooling.tokens.rotate"] {
			t.Fatal("a revoked chain was sent to Slack")
		}
		for _, c := range p.chains(t) {
			want := map[string]string{revoked: "token_revoked", live: ""}[c.Chain]
			if c.Err != nil || c.Revoked != want {
				t.Fatalf("Chains: %s revoked %q (err %v), want %q", c.Chain, c.Revoked, c.Err, want)
			}
		}
		if err := pool.MarkRevoked(live, "invalid_refresh_token"); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("MarkRevoked with a code that is not a revocation: %v", err)
		}
		if err := pool.MarkRevoked(p.chain(9), "token_revoked"); !errors.Is(err, xoxe.ErrStoreEmpty) {
			t.Fatalf("MarkRevoked of an unknown chain: %v", err)
		}
		if _, _, err := pool.Get(live); err != nil {
			t.Fatalf("the other chain after MarkRevoked: %v", err)
		}

		// Uninstall: auth.revoke fails, so the live chain stays.
		addFault(t, map[string]any{"method": "auth.revoke", "kind": "slack_error", "error": "internal_error"})
		if removed, err := pool.Uninstall(live); err == nil || removed {
			t.Fatalf("Uninstall whose revocation failed: %v, %v", removed, err)
		}
		if _, _, err := pool.Get(live); err != nil {
			t.Fatalf("the chain whose uninstall failed: %v", err)
		}
		// A revoked chain is removed without asking Slack.
		if removed, err := pool.Uninstall(revoked); err != nil || !removed {
			t.Fatalf("Uninstall of a revoked chain: %v, %v", removed, err)
		}
		if _, _, err := pool.Get(revoked); !errors.Is(err, xoxe.ErrStoreEmpty) {
			t.Fatalf("Get after Uninstall: %v", err)
		}
		if removed, err := pool.Uninstall(p.chain(9)); err != nil || removed {
			t.Fatalf("Uninstall of an unknown chain: %v, %v", removed, err)
		}
		if c := p.chains(t); len(c) != 1 || c[0].Chain != live {
			t.Fatalf("Chains after Uninstall: %+v", c)
		}
	})
}

// TestPoolOAuthChainsNeedTheAppsCredentials: a pool renews a bot chain with
// the app's credentials, and without them refuses it without calling Slack.
func TestPoolOAuthChainsNeedTheAppsCredentials(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	bot, err := c.OAuthV2Exchange(ctx(t), a.ClientID, a.ClientSecret, newLegacyToken(t, a.ClientID, "bot"))
	if err != nil {
		t.Fatal(err)
	}
	base := keepStore(t)(xoxe.NewDirectoryStore(t.TempDir(), "", 0))
	chain, err := xoxe.InstallationChain(bot.EnterpriseID, bot.TeamID, bot.IsEnterpriseInstall, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := keepStore(t)(base.OpenChain(chain)).Init(xoxe.ChainOAuth, bot.RefreshToken.Reveal(), "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	configOnly, err := xoxe.NewPool(c, base, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer configOnly.Close()
	before := getStats(t)
	if _, _, err := configOnly.Get(chain); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("an OAuth chain in a pool without the app's credentials: %v", err)
	}
	if _, err := xoxe.NewPool(c, base, a.ClientID, ""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NewPool with a client ID and no secret: %v", err)
	}
	pool, err := xoxe.NewPool(c, base, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tok, _, err := pool.Get(chain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatalf("auth.test with the refreshed bot token: %v", err)
	}
	after := getStats(t)
	if after.Refreshes-before.Refreshes != 1 || after.Rotations != before.Rotations {
		t.Fatalf("%d refreshes and %d rotations, want one refresh", after.Refreshes-before.Refreshes, after.Rotations-before.Rotations)
	}
	listed, err := base.Chains()
	if err != nil || len(listed) != 1 || listed[0].Kind != xoxe.ChainOAuth || listed[0].TeamID != bot.TeamID {
		t.Fatalf("Chains: %v %+v", err, listed)
	}
}

// TestPoolAndChainsUsage: what a pool or a chain cannot be made of fails
// with the library's error, and closed handles with ErrClosed.
func TestPoolAndChainsUsage(t *testing.T) {
	c := newClient(t)
	file := keepStore(t)(xoxe.NewFileStore(filepath.Join(t.TempDir(), "one.json"), 0))
	if _, err := xoxe.NewPool(c, file, "", ""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NewPool over a single-file store: %v", err)
	} else {
		wantCode(t, err, xoxe.StatusUnsupported)
	}
	// A single-file store lists its one chain.
	if err := file.Init(xoxe.ChainConfig, "xoxe-1-seed", "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if listed, err := file.Chains(); err != nil || len(listed) != 1 || listed[0].Err != nil || listed[0].Kind != xoxe.ChainConfig {
		t.Fatalf("Chains of a single-file store: %v %+v", err, listed)
	}
	if _, err := file.OpenChain("other"); err == nil {
		t.Fatal("OpenChain of a single-file store")
	} else {
		wantCode(t, err, xoxe.StatusUnsupported)
	}

	mem := keepStore(t)(xoxe.NewMemoryStore())
	for _, name := range []string{"", ".hidden", "a/b", "a b", "é", strings.Repeat("a", 201), "a\x00b"} {
		if _, err := mem.OpenChain(name); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("OpenChain(%q): %v", name, err)
		}
	}
	for _, name := range []string{"a", "bot:-:T1", "user:E1:T1:U1", "a.b_c-d@e", strings.Repeat("a", 200)} {
		s, err := mem.OpenChain(name)
		if err != nil {
			t.Fatalf("OpenChain(%q): %v", name, err)
		}
		s.Close()
	}
	if _, err := xoxe.NewDirectoryStore(t.TempDir(), "a/b", 0); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NewDirectoryStore with a bad chain name: %v", err)
	}
	if _, err := xoxe.NewDirectoryStore(t.TempDir(), "", -time.Second); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("NewDirectoryStore with a negative lock timeout: %v", err)
	}
	// A chain that cannot be read is listed with why.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "broken.json"), "{not json")
	listed, err := keepStore(t)(xoxe.NewDirectoryStore(dir, "", 0)).Chains()
	if err != nil || len(listed) != 1 || listed[0].Chain != "broken" {
		t.Fatalf("Chains of a directory with a broken file: %v %+v", err, listed)
	}
	if e := wantCode(t, listed[0].Err, xoxe.StatusStoreCorrupt); !errors.Is(e, xoxe.ErrStore) || e.Message == "" || listed[0].Generation != 0 {
		t.Fatalf("the broken chain: %+v", listed[0])
	}
	// RemoveChain through a store handle.
	s := keepStore(t)(xoxe.NewDirectoryStore(dir, "x", 0))
	if err := s.Init(xoxe.ChainConfig, "xoxe-1-seed", "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if removed, err := s.RemoveChain(); err != nil || !removed {
		t.Fatalf("RemoveChain: %v, %v", removed, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the removed chain's file: %v", err)
	}
	if removed, err := s.RemoveChain(); err != nil || removed {
		t.Fatalf("second RemoveChain: %v, %v", removed, err)
	}

	for _, opt := range []xoxe.PoolOption{
		xoxe.WithMaxChainsInMemory(0), xoxe.WithMaxChainsInMemory(-1),
		xoxe.WithRotatorOptions(xoxe.RotatorOptions{WaitTimeout: -time.Second}),
	} {
		if _, err := xoxe.NewPool(c, mem, "", "", opt); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("NewPool with a bad option: %v", err)
		}
	}
	if _, err := xoxe.NewPool(nil, mem, "", ""); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("NewPool with a nil client: %v", err)
	}
	if _, err := xoxe.NewPool(c, nil, "", ""); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("NewPool with a nil store: %v", err)
	}
	pool, err := xoxe.NewPool(c, mem, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a b", "a\x00b"} {
		if _, _, err := pool.Get(name); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("Get(%q): %v", name, err)
		}
	}
	if _, _, err := pool.Get("never-seeded"); !errors.Is(err, xoxe.ErrStoreEmpty) {
		t.Fatalf("Get of a chain never seeded: %v", err)
	}
	// The pool keeps its own references.
	mem.Close()
	if _, err := pool.Stats(); err != nil {
		t.Fatalf("Stats after closing the store handle: %v", err)
	}
	pool.Close()
	pool.Close()
	if _, _, err := pool.Get("a"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Get on a closed pool: %v", err)
	}
	if _, err := pool.Stats(); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Stats on a closed pool: %v", err)
	}
	if _, err := pool.Remove("a"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Remove on a closed pool: %v", err)
	}
	if err := pool.MarkRevoked("a", "token_revoked"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("MarkRevoked on a closed pool: %v", err)
	}
	if _, err := mem.OpenChain("a"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("OpenChain on a closed store: %v", err)
	}
	var nilPool *xoxe.Pool
	if _, _, err := nilPool.Get("a"); !errors.Is(err, xoxe.ErrClosed) || nilPool.Close() != nil {
		t.Fatalf("Get on a nil pool: %v", err)
	}
}

// TestInstallationChain: the canonical names, the same in every language.
func TestInstallationChain(t *testing.T) {
	for _, tc := range []struct {
		enterprise, team string
		orgWide          bool
		user, want       string
	}{
		{"", "T1", false, "", "bot:-:T1"},
		{"E2", "T1", false, "", "bot:E2:T1"},
		{"E2", "T1", false, "U3", "user:E2:T1:U3"},
		{"E2", "T1", true, "", "bot:E2:-"},
		{"E2", "", true, "W4", "user:E2:-:W4"},
		{"", "T0123456789ABCDEF", false, "U0789", "user:-:T0123456789ABCDEF:U0789"},
	} {
		got, err := xoxe.InstallationChain(tc.enterprise, tc.team, tc.orgWide, tc.user)
		if err != nil || got != tc.want {
			t.Errorf("InstallationChain(%q, %q, %v, %q) = %q, %v; want %q", tc.enterprise, tc.team, tc.orgWide, tc.user, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		enterprise, team string
		orgWide          bool
		user             string
	}{
		{"", "", false, ""},                          // a workspace install needs its team
		{"", "T1", true, ""},                         // an org-wide install needs its enterprise
		{"", "T:1", false, ""},                       // ids are letters and digits
		{"E/1", "T1", false, ""},                     //
		{"", "T1", false, "U1:x"},                    //
		{"", strings.Repeat("T", 33), false, ""},     // too long for a Slack id
		{"", "T1\x00", false, ""},                    // NUL, refused by the binding
		{"", "T1", false, "U\x001"},                  //
		{"", "té", false, ""},                        // not ASCII
		{"E1", "T1", false, strings.Repeat("U", 33)}, //
	} {
		if got, err := xoxe.InstallationChain(tc.enterprise, tc.team, tc.orgWide, tc.user); !errors.Is(err, xoxe.ErrUsage) || got != "" {
			t.Errorf("InstallationChain(%q, %q, %v, %q) = %q, %v; want ErrUsage", tc.enterprise, tc.team, tc.orgWide, tc.user, got, err)
		}
	}
}
