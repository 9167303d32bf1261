package xoxe_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// logCollector keeps the library's log lines (never printed: compared only).
type logCollector struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCollector) add(level xoxe.LogLevel, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level.String()+" "+msg)
}

func (l *logCollector) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestLogger(t *testing.T) {
	c := newClient(t)
	keepSuiteLogger(t)
	var logs logCollector
	if err := xoxe.SetLogger(logs.add, xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}

	seed := newConfigToken(t, 0)
	pair, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTest(ctx(t), pair.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	_, _ = c.ToolingTokensRotate(ctx(t), seed.RefreshToken) // spent: an error line
	lines := logs.snapshot()
	if len(lines) == 0 {
		t.Fatal("no log lines at debug level")
	}
	for _, secret := range []string{seed.RefreshToken, seed.Token, pair.Token.Reveal(), pair.RefreshToken.Reveal()} {
		for _, line := range lines {
			mustNotLeak(t, "a log line", line, secret)
		}
	}

	// A panicking log function does not crash the call.
	if err := xoxe.SetLogger(func(xoxe.LogLevel, string) { panic("logger bug") }, xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTest(ctx(t), pair.Token.Reveal()); err != nil {
		t.Fatal(err)
	}

	// slog adapter.
	var buf bytes.Buffer
	if err := xoxe.SetLogger(xoxe.SlogFunc(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))), xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTest(ctx(t), pair.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	if err := xoxe.SetLogger(nil, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "component=xoxe") {
		t.Fatal("slog got no xoxe lines")
	}
	mustNotLeak(t, "slog output", buf.String(), pair.Token.Reveal())

	// Off: nothing more arrives.
	n := len(logs.snapshot())
	if _, err := c.AuthTest(ctx(t), pair.Token.Reveal()); err != nil {
		t.Fatal(err)
	}
	if len(logs.snapshot()) != n {
		t.Fatal("log lines arrived after SetLogger(nil)")
	}
}

// TestLoggingStaysOn: after TestLogger has swapped loggers and turned logging
// off, the suite's logger is back. With XOXE_LOG set, library lines
// reach it (and so stderr, build/logs/ and the secret scan) in every later
// test; without it, logging stays off.
func TestLoggingStaysOn(t *testing.T) {
	var tap logCollector
	suiteLogger.tap.Store(&tap)
	t.Cleanup(func() { suiteLogger.tap.Store(nil) })

	// A dead chain is an error line, logged at every level.
	c := newClient(t)
	seed := newConfigToken(t, 0)
	if _, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken); err != nil {
		t.Fatal(err)
	}
	store, err := xoxe.NewMemoryStore()
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
	if _, _, err := r.Get(ctx(t)); !errors.Is(err, xoxe.ErrChainDead) {
		t.Fatalf("Get on a spent chain: %v", err)
	}

	lines := tap.snapshot()
	if suiteLogger.fn == nil {
		if len(lines) != 0 {
			t.Fatalf("%d library log lines without XOXE_LOG", len(lines))
		}
		return
	}
	dead := false
	for _, line := range lines {
		dead = dead || strings.HasPrefix(line, "error ")
		mustNotLeak(t, "a log line", line, seed.RefreshToken)
	}
	if !dead {
		t.Fatalf("XOXE_LOG=%s, but the suite's logger got no error line for a dead chain (%d lines)", os.Getenv("XOXE_LOG"), len(lines))
	}
}
