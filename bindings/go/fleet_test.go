package xoxe_test

// The fleet stores (NewPostgresStore, NewRedisStore) against the throwaway
// servers of scripts/test-db.sh: several processes' Stores on one chain rotate
// it once and never spend a refresh token twice; failures to connect are
// StatusStoreIO without the password; bad names are usage errors.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// fleetDatabases runs f as a subtest for each fleet database.
func fleetDatabases(t *testing.T, f func(t *testing.T, db testDB)) {
	t.Helper()
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) { f(t, db) })
	}
}

// noReuses fails t if the fake Slack saw a refresh token spent twice since
// before (an answered reuse, or one reissued within a grace period).
func noReuses(t *testing.T, before stats) {
	t.Helper()
	after := getStats(t)
	if n, g := after.RefreshTokenReuses-before.RefreshTokenReuses, after.GraceReissues-before.GraceReissues; n != 0 || g != 0 {
		t.Fatalf("%d refresh token reuses and %d grace reissues, want none", n, g)
	}
}

// TestFleetRotatorsShareOneChain: two "processes" (each its own client, Store
// connection and Rotator) on one chain call Get at once: one rotation, the
// same token for both, and it passes auth.test. A rotation forced by one is
// what the other adopts when it forces one too, and a third connection reads it.
func TestFleetRotatorsShareOneChain(t *testing.T) {
	fleetDatabases(t, func(t *testing.T, db testDB) {
		chain := uniqueChain("share")
		first, second := db.store(t, chain), db.store(t, chain)
		if err := first.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		if err := second.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); !errors.Is(err, xoxe.ErrStoreConflict) {
			t.Fatalf("Init through the second connection: %v, want ErrStoreConflict", err)
		}
		var rotators [2]*xoxe.Rotator
		for i, s := range []*xoxe.Store{first, second} {
			r, err := xoxe.NewConfigRotator(newClient(t), s, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			rotators[i] = r
		}
		before := getStats(t)
		var tokens [2]xoxe.Secret
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, r := range rotators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tokens[i], _, errs[i] = r.Get(ctx(t))
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Get through connection %d: %v", i+1, err)
			}
		}
		if !tokens[0].Equal(tokens[1]) {
			t.Fatal("the two connections got different tokens")
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations, want 1", n)
		}
		c := newClient(t)
		if _, err := c.AuthTest(ctx(t), tokens[0].Reveal()); err != nil {
			t.Fatalf("auth.test: %v", err)
		}
		forced, _, err := rotators[0].ForceRotate(ctx(t))
		if err != nil || forced.Equal(tokens[0]) {
			t.Fatalf("ForceRotate: %v (a new token: %v)", err, !forced.Equal(tokens[0]))
		}
		adopted, _, err := rotators[1].ForceRotate(ctx(t))
		if err != nil || !adopted.Equal(forced) {
			t.Fatalf("ForceRotate through the other connection: %v (the token the first forced: %v)", err, adopted.Equal(forced))
		}
		third, err := xoxe.NewConfigRotator(c, db.store(t, chain), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer third.Close()
		if cur, _, err := third.Current(); err != nil || !cur.Equal(forced) {
			t.Fatalf("Current through a third connection: %v (the saved token: %v)", err, cur.Equal(forced))
		}
		if n := getStats(t).Rotations - before.Rotations; n != 2 {
			t.Fatalf("%d rotations, want 2", n)
		}
		noReuses(t, before)
	})
}

// TestFleetForcedRotationsNeverReuseARefreshToken: two "processes" (a client,
// a Store connection and a Rotator each) share a chain; four goroutines in
// each force rotations at once. Every call gets a working token, and the fake
// Slack never sees a refresh token spent twice.
func TestFleetForcedRotationsNeverReuseARefreshToken(t *testing.T) {
	const (
		processes  = 2
		goroutines = 4
		rounds     = 3
	)
	fleetDatabases(t, func(t *testing.T, db testDB) {
		chain := uniqueChain("forced")
		seed := db.store(t, chain)
		if err := seed.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		before := getStats(t)
		type result struct {
			token xoxe.Secret
			err   error
		}
		results := make([][]result, processes*goroutines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for p := 0; p < processes; p++ {
			r, err := xoxe.NewConfigRotator(newClient(t), db.store(t, chain), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			for g := 0; g < goroutines; g++ {
				i := p*goroutines + g
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for n := 0; n < rounds; n++ {
						cx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
						tok, _, err := r.ForceRotate(cx)
						cancel()
						results[i] = append(results[i], result{tok, err})
					}
				}()
			}
		}
		close(start)
		wg.Wait()

		c := newClient(t)
		checked := map[string]bool{}
		for i, rs := range results {
			for n, res := range rs {
				if res.err != nil {
					t.Fatalf("goroutine %d, ForceRotate %d: %v", i, n+1, res.err)
				}
				if checked[res.token.Reveal()] {
					continue
				}
				checked[res.token.Reveal()] = true
				if _, err := c.AuthTest(ctx(t), res.token.Reveal()); err != nil {
					t.Fatalf("goroutine %d, ForceRotate %d: auth.test: %v", i, n+1, err)
				}
			}
		}
		after := getStats(t)
		rotations := after.Rotations - before.Rotations
		if rotations < 1 || rotations > processes*goroutines*rounds {
			t.Fatalf("%d rotations for %d forced rotations", rotations, processes*goroutines*rounds)
		}
		noReuses(t, before)
		// A new connection finds a working token: the chain is alive.
		r, err := xoxe.NewConfigRotator(c, db.store(t, chain), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		tok, _, err := r.ForceRotate(ctx(t))
		if err != nil {
			t.Fatalf("ForceRotate after the stress: %v", err)
		}
		if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
			t.Fatal(err)
		}
		noReuses(t, before)
		t.Logf("%s: %d rotations for %d forced rotations, %d distinct tokens", db.name, rotations, processes*goroutines*rounds, len(checked))
	})
}

// checkNoPassword fails t if err, in any of the ways it may be printed or
// read, or a log line shows one of the passwords.
func checkNoPassword(t *testing.T, what string, err error, logs *logCollector, passwords ...string) {
	t.Helper()
	var e *xoxe.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T, not an *xoxe.Error", what, err)
	}
	texts := []string{err.Error(), fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err), e.Message, e.SlackError, e.ResponseJSON}
	texts = append(texts, logs.snapshot()...)
	for _, text := range texts {
		for _, pw := range passwords {
			if pw != "" && strings.Contains(text, pw) {
				t.Fatalf("%s: the error or a log line shows the password (%s)", what, e.Code)
			}
		}
	}
}

// collectLogs sends every library line to a collector (and, at XOXE_LOG's
// level, on to the suite's logger) until t ends.
func collectLogs(t *testing.T) *logCollector {
	t.Helper()
	keepSuiteLogger(t)
	logs := &logCollector{}
	if err := xoxe.SetLogger(func(level xoxe.LogLevel, message string) {
		logs.add(level, message)
		if suiteLogger.fn != nil && level <= suiteLogger.level {
			suiteLogger.fn(level, message)
		}
	}, xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}
	return logs
}

// TestFleetStoreConnectionFailures: a wrong password, a server that is down
// (nothing listens on 127.0.0.1:9) and a missing socket fail with
// StatusStoreIO (in the store family); the error names the URL with its
// password redacted, and neither it nor a log line shows the password.
func TestFleetStoreConnectionFailures(t *testing.T) {
	logs := collectLogs(t)
	fleetDatabases(t, func(t *testing.T, db testDB) {
		const wrong = "wr0ngPassw0rdForTheTest"
		_, err := db.openURL(db.withPassword(t, wrong), "default")
		e := wantCode(t, err, xoxe.StatusStoreIO)
		if !errors.Is(err, xoxe.ErrStore) {
			t.Fatalf("a wrong password: %v is not in the store family", e.Code)
		}
		checkNoPassword(t, "a wrong password", err, logs, wrong, db.password())
	})
	const pw = "s3cretPassw0rdOfNobody"
	for _, tc := range []struct {
		name string
		open func(url, chain string) (*xoxe.Store, error)
		url  string
	}{
		{"postgres down", xoxe.NewPostgresStore, "postgresql://xoxe:" + pw + "@127.0.0.1:9/db"},
		{"redis down", xoxe.NewRedisStore, "redis://:" + pw + "@127.0.0.1:9/0"},
		{"redis socket missing", xoxe.NewRedisStore, "redis+unix:///nonexistent/redis.sock?pass=" + pw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.open(tc.url, uniqueChain("down"))
			if err == nil {
				s.Close()
			}
			e := wantCode(t, err, xoxe.StatusStoreIO)
			checkNoPassword(t, tc.name, err, logs, pw)
			if !strings.Contains(e.Message, "***") {
				t.Fatalf("%s: the message does not name the redacted URL: %s", tc.name, e.Message)
			}
		})
	}
}

// TestFleetStoreBadInput: bad chain names, URLs of the wrong kind, empty URLs
// and NUL bytes are usage errors, which never show the password either.
func TestFleetStoreBadInput(t *testing.T) {
	logs := collectLogs(t)
	pg, redis := database(t, "postgres"), database(t, "redis")
	passwords := []string{pg.password(), redis.password(), database(t, "redis-unix").password()}
	fleetDatabases(t, func(t *testing.T, db testDB) {
		for _, chain := range []string{"bad chain", "x{y}", "a/b", "é", strings.Repeat("a", 201), "with\x00nul"} {
			_, err := db.open(chain)
			if !errors.Is(err, xoxe.ErrUsage) {
				t.Fatalf("chain name %q: %v, want a usage error", chain, err)
			}
			checkNoPassword(t, "a bad chain name", err, logs, passwords...)
		}
		// The longest name is fine.
		db.store(t, strings.Repeat("a", 200))
		if _, err := db.openURL("", "x"); !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("an empty URL: %v", err)
		}
		_, err := db.openURL(db.url+"\x00tail", "x")
		if !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("a URL with a NUL byte: %v", err)
		}
		checkNoPassword(t, "a URL with a NUL byte", err, logs, passwords...)
	})
	for _, tc := range []struct {
		name string
		open func(url, chain string) (*xoxe.Store, error)
		url  string
	}{
		{"a Redis URL for PostgreSQL", xoxe.NewPostgresStore, redis.url},
		{"a PostgreSQL URL for Redis", xoxe.NewRedisStore, pg.url},
		{"an http URL for PostgreSQL", xoxe.NewPostgresStore, "http://x:" + passwords[0] + "@127.0.0.1/"},
		{"a file path for Redis", xoxe.NewRedisStore, "/tmp/chain.json"},
	} {
		_, err := tc.open(tc.url, "x")
		if !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("%s: %v, want a usage error", tc.name, err)
		}
		checkNoPassword(t, tc.name, err, logs, passwords...)
	}
}

// TestFleetStoreEmptyChainIsTheDefault: "" passes no chain name, and the
// library uses its default chain, "default". (This overwrites the default
// chain of the throwaway servers; no other test keeps anything there.)
func TestFleetStoreEmptyChainIsTheDefault(t *testing.T) {
	c := newClient(t)
	fleetDatabases(t, func(t *testing.T, db testDB) {
		seed := newConfigToken(t, 0)
		unnamed := db.store(t, "")
		if err := unnamed.Init(xoxe.ChainConfig, seed.RefreshToken, seed.Token, time.Now().Add(10*time.Hour), true); err != nil {
			t.Fatal(err)
		}
		r, err := xoxe.NewConfigRotator(c, db.store(t, "default"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if cur, _, err := r.Current(); err != nil || cur.Reveal() != seed.Token {
			t.Fatalf(`Current of chain "default" after Init through chain "": %v (the token stored: %v)`, err, cur.Reveal() == seed.Token)
		}
	})
}

// TestFleetStoreHandle: Close is idempotent, a closed Store refuses Init and
// new rotators, and no way of printing a Store shows the URL or its password.
func TestFleetStoreHandle(t *testing.T) {
	c := newClient(t)
	fleetDatabases(t, func(t *testing.T, db testDB) {
		s, err := db.open(uniqueChain("handle"))
		if err != nil {
			t.Fatal(err)
		}
		printed := func() string {
			return fmt.Sprintf("%v %+v %#v %s %q %v %+v %#v", s, s, s, s, s, *s, *s, *s)
		}
		open := printed()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		for _, text := range []string{open, printed()} {
			if strings.Contains(text, db.password()) || strings.Contains(text, db.url) {
				t.Fatal("printing a Store shows its URL or password")
			}
		}
		if err := s.Init(xoxe.ChainConfig, "xoxe-1-x", "", time.Time{}, false); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("Init on a closed store: %v", err)
		}
		if _, err := xoxe.NewConfigRotator(c, s, nil); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("a rotator on a closed store: %v", err)
		}
	})
}

// TestStatusUnsupported: a library built without a store's cargo feature
// answers StatusUnsupported, a usage error.
func TestStatusUnsupported(t *testing.T) {
	if xoxe.StatusUnsupported.String() != "unsupported" || xoxe.StatusUnsupported.Family() != xoxe.FamilyUsage {
		t.Fatalf("StatusUnsupported: %s in family %s", xoxe.StatusUnsupported, xoxe.StatusUnsupported.Family())
	}
	if !errors.Is(&xoxe.Error{Code: xoxe.StatusUnsupported, Cause: xoxe.StatusUnsupported}, xoxe.ErrUsage) {
		t.Fatal("an unsupported error is not a usage error")
	}
}
