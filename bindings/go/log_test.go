package xoxe_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

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
	var logs logCollector
	if err := xoxe.SetLogger(logs.add, xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = xoxe.SetLogger(nil, 0) })

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
