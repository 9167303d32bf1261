package xoxe_test

// Rotator promises that depend on the store: a pair whose save failed is never
// handed out, a rejected refresh token sends the rotator back to the store
// before it declares the chain dead, and a file store's lock holds across
// processes.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// with runs f on b under its mutex.
func (b *mapBackend) with(f func(b *mapBackend)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(b)
}

// rotateRequests is how many tooling.tokens.rotate requests the fake Slack saw.
func rotateRequests(t *testing.T) int {
	return getStats(t).Requests["tooling.tokens.rotate"]
}

// TestForeignStoreSaveFailureNeverHandsOutTheUnsavedPair: when the store
// fails to save a pair Slack has just rotated, that pair is the only valid one
// and lives only in the rotator's memory. Get fails (ErrStore) rather than
// hand out a token a restart would lose; Current still gives the old token;
// every later call saves the pending pair before anything else, without
// rotating again, and only then returns its token (README: "persist first";
// audit M11).
func TestForeignStoreSaveFailureNeverHandsOutTheUnsavedPair(t *testing.T) {
	c := newClient(t)
	backend := &mapBackend{}
	store, err := xoxe.NewStore(backend, "failing saves")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seed := newConfigToken(t, 0)
	// The seed's access token is good for 12 h at Slack, but the store says it
	// expires within the refresh window (2 h): Get rotates.
	if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, seed.Token, time.Now().Add(10*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	before := getStats(t)
	backend.with(func(b *mapBackend) { b.failSave = true })
	if _, _, err := r.Get(ctx(t)); !errors.Is(err, xoxe.ErrStore) {
		t.Fatalf("Get whose save failed: %v, want a store error", err)
	}
	if n := getStats(t).Rotations - before.Rotations; n != 1 {
		t.Fatalf("%d rotations, want 1", n)
	}
	cur, _, err := r.Current()
	if err != nil || cur.Reveal() != seed.Token {
		t.Fatalf("Current after the failed save: %v (the old token: %v)", err, cur.Reveal() == seed.Token)
	}
	// Still failing: the pending pair is retried, nothing is sent.
	if _, _, err := r.Get(ctx(t)); !errors.Is(err, xoxe.ErrStore) {
		t.Fatalf("second Get while saves fail: %v, want a store error", err)
	}
	if n := rotateRequests(t) - before.Requests["tooling.tokens.rotate"]; n != 1 {
		t.Fatalf("%d rotate requests while saves fail, want 1", n)
	}

	backend.with(func(b *mapBackend) { b.failSave = false })
	tok, exp, err := r.Get(ctx(t))
	if err != nil {
		t.Fatalf("Get once saves work again: %v", err)
	}
	if tok.Reveal() == seed.Token || time.Until(exp) < 11*time.Hour {
		t.Fatalf("Get once saves work again: the old token %v, expiry %v", tok.Reveal() == seed.Token, exp)
	}
	var saved bool
	backend.with(func(b *mapBackend) { saved = b.generation == 1 && strings.Contains(b.doc, tok.Reveal()) })
	if !saved {
		t.Fatal("the token handed out is not the one saved as generation 1")
	}
	after := getStats(t)
	if n := after.Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]; n != 1 || after.RefreshTokenReuses != before.RefreshTokenReuses {
		t.Fatalf("%d rotate requests and %d reuses in all, want 1 and 0", n, after.RefreshTokenReuses-before.RefreshTokenReuses)
	}
	if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatalf("auth.test with the saved token: %v", err)
	}
	// A restarted process finds the pair too.
	r2, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if cur, _, err := r2.Current(); err != nil || !cur.Equal(tok) {
		t.Fatalf("Current of a new rotator: %v (the saved token: %v)", err, cur.Equal(tok))
	}
}

// TestLockedForeignStoreRereadsBeforeChainDead: with a store lock, a rotator
// reads the store under the lock and then rotates. If another writer that
// does not take the lock rotated the chain and saved right after that read,
// Slack rejects our refresh token; the rotator reads the store again, adopts
// the newer pair, and does not report ErrChainDead (README: "re-reads the
// store before reporting a dead chain"; audit M13). Without a lock the
// library waits for such a writer anyway, so the lock is what makes the
// immediate re-read the only thing that can save the chain here.
func TestLockedForeignStoreRereadsBeforeChainDead(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)

	// The other writer: its own rotator on its own copy of the chain, which
	// it rotates; its saved document is what it writes into ours.
	theirs := &mapBackend{}
	theirStore, err := xoxe.NewStore(theirs, "the other writer")
	if err != nil {
		t.Fatal(err)
	}
	defer theirStore.Close()
	if err := theirStore.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}

	backend := &mapBackend{}
	locked := &lockingBackend{mapBackend: backend}
	store, err := xoxe.NewStore(locked, "ours")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	other, err := xoxe.NewConfigRotator(c, theirStore, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	want, _, err := other.Get(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var written mapDoc
	theirs.with(func(b *mapBackend) { written = mapDoc{doc: b.doc, generation: b.generation} })
	backend.with(func(b *mapBackend) { b.writeAfterLoad = &written })

	before := getStats(t)
	tok, _, err := r.Get(ctx(t))
	if err != nil {
		t.Fatalf("Get after another writer rotated: %v", err)
	}
	var swapped, locks int
	backend.with(func(b *mapBackend) { swapped, locks = b.swapped, b.locks })
	if swapped != 1 || locks == 0 {
		t.Fatalf("the other writer wrote %d times, %d locks taken: the test did not run as designed", swapped, locks)
	}
	if !tok.Equal(want) {
		t.Fatal("Get did not return the other writer's token")
	}
	after := getStats(t)
	if after.Rotations != before.Rotations || after.RefreshTokenReuses-before.RefreshTokenReuses != 1 {
		t.Fatalf("%d rotations, %d reuses; want 0 and 1 (our one rejected attempt)",
			after.Rotations-before.Rotations, after.RefreshTokenReuses-before.RefreshTokenReuses)
	}
	if cur, _, err := r.Current(); err != nil || !cur.Equal(want) {
		t.Fatalf("Current: %v (the other writer's token: %v)", err, cur.Equal(want))
	}
	if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatalf("auth.test with the adopted token: %v", err)
	}
}

// flockHolderEnv, set to a path, makes the test binary hold an exclusive flock
// on that path instead of running tests (see holdFlock).
const flockHolderEnv = "XOXE_TEST_HOLD_FLOCK"

// holdFlock is the child process of TestFileStoreLockHoldsAcrossProcesses:
// it takes an exclusive flock on path, says "locked" on stdout, and keeps the
// lock until its stdin is closed.
func holdFlock(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flock holder:", err)
		return 1
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		fmt.Fprintln(os.Stderr, "flock holder:", err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestFileStoreLockHoldsAcrossProcesses: a file store's rotations take an
// exclusive flock on <path>.lock. While another process holds it, a rotation
// waits for the store's lock timeout and fails with StatusLockTimeout, having
// sent nothing; once that process lets go, the same rotator rotates (README:
// "a file store takes an exclusive flock"; audit M4).
func TestFileStoreLockHoldsAcrossProcesses(t *testing.T) {
	c := newClient(t)
	path := filepath.Join(t.TempDir(), "chain.json")
	store, err := xoxe.NewFileStore(path, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(c, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	holder := exec.Command(self, "-test.run=^$")
	holder.Env = append(os.Environ(), flockHolderEnv+"="+path+".lock")
	holder.Stderr = os.Stderr
	release, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			release.Close()
			_ = holder.Wait()
		}
	})
	// Wait (with a generous deadline) until the other process holds the lock.
	said := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		said <- line
	}()
	select {
	case line := <-said:
		if line != "locked\n" {
			t.Fatalf("the lock holder said %q", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the lock holder did not take the lock within 60 s")
	}

	before := rotateRequests(t)
	_, _, err = r.Get(ctx(t))
	wantCode(t, err, xoxe.StatusLockTimeout)
	if n := rotateRequests(t) - before; n != 0 {
		t.Fatalf("%d rotate requests while another process held the lock", n)
	}

	release.Close()
	exited = true
	if err := holder.Wait(); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	tok, _, err := r.Get(ctx(t))
	if err != nil {
		t.Fatalf("Get once the lock is free: %v", err)
	}
	if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
		t.Fatal(err)
	}
	if n := rotateRequests(t) - before; n != 1 {
		t.Fatalf("%d rotate requests, want 1", n)
	}
}
