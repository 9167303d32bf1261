package xoxe_test

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

// everyCall invokes every method of c once with the given string for every
// string argument, and returns the errors by method name.
func everyCall(cx context.Context, c *xoxe.Client, s string) map[string]error {
	errs := map[string]error{}
	_, errs["ToolingTokensRotate"] = c.ToolingTokensRotate(cx, s)
	_, errs["OAuthV2Exchange"] = c.OAuthV2Exchange(cx, s, s, s)
	_, errs["OAuthV2Refresh"] = c.OAuthV2Refresh(cx, s, s, s)
	_, errs["AuthTest"] = c.AuthTest(cx, s)
	_, errs["Call"] = c.Call(cx, s, s, map[string]string{"a": s})
	return errs
}

func TestContextRefusedBeforeSending(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	before := getStats(t)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for op, err := range everyCall(cancelled, c, seed.RefreshToken) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s with a cancelled context: %v", op, err)
		}
		if !strings.Contains(err.Error(), op) {
			t.Fatalf("%s: error does not name the method: %v", op, err)
		}
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for op, err := range everyCall(expired, c, seed.RefreshToken) {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s with an expired context: %v", op, err)
		}
	}
	after := getStats(t)
	for m, n := range after.Requests {
		if n != before.Requests[m] {
			t.Fatalf("a refused call reached the server (%s)", m)
		}
	}
	// The refresh token was not spent.
	if _, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken); err != nil {
		t.Fatal(err)
	}
	// A nil context is treated as Background, not a crash.
	//lint:ignore SA1012 a nil context is what this checks
	if _, err := c.AuthTest(nil, seed.Token); err != nil {
		t.Fatal(err)
	}
}

func TestBadInputNeverPanics(t *testing.T) {
	c := newClient(t)
	huge := strings.Repeat("x", 8<<20)
	inputs := map[string]string{
		"empty":       "",
		"NUL":         "xoxe-1-abc\x00def",
		"leading NUL": "\x00",
		"huge":        huge,
		"not UTF-8":   "xoxe-1-\xff\xfe",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			for op, err := range everyCall(ctx(t), c, in) {
				if err == nil {
					t.Fatalf("%s accepted %s input", op, name)
				}
				var e *xoxe.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: not an *xoxe.Error: %v", op, err)
				}
				if !errors.Is(err, xoxe.ErrUsage) && !errors.Is(err, xoxe.ErrSlackAPI) {
					t.Fatalf("%s with %s input: %v", op, name, err)
				}
				if len(err.Error()) > 4096 {
					t.Fatalf("%s: the error message echoes the input", op)
				}
			}
		})
	}
	// NUL bytes are refused by the binding, before C could cut the string.
	_, err := c.AuthTest(ctx(t), "xoxb-1\x00")
	if e := wantCode(t, err, xoxe.StatusInvalidArgument); !strings.Contains(e.Message, "NUL") {
		t.Fatalf("NUL message: %q", e.Message)
	}
	// Parameter names and values with NUL bytes too.
	for _, params := range []map[string]string{{"a\x00b": "v"}, {"a": "v\x00"}} {
		_, err := c.Call(ctx(t), "auth.test", "", params)
		wantCode(t, err, xoxe.StatusInvalidArgument)
	}
	// An empty parameter name is refused by the library.
	_, err = c.Call(ctx(t), "auth.test", "", map[string]string{"": "v"})
	if !errors.Is(err, xoxe.ErrUsage) && !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("empty parameter name: %v", err)
	}
	// Too many parameters.
	many := map[string]string{}
	for i := 0; i < 10001; i++ {
		many[fmt.Sprintf("p%d", i)] = "v"
	}
	_, err = c.Call(ctx(t), "auth.test", "", many)
	if !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("10001 parameters: %v", err)
	}
	// A nil receiver.
	var nilClient *xoxe.Client
	for op, err := range everyCall(ctx(t), nilClient, "x") {
		if !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("%s on a nil client: %v", op, err)
		}
	}
	if nilClient.Close() != nil || nilClient.BaseURL() != "" {
		t.Fatal("nil client Close/BaseURL")
	}
}

func TestClosedClient(t *testing.T) {
	c, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if c.BaseURL() != "" {
		t.Fatal("closed client has a base URL")
	}
	for op, err := range everyCall(ctx(t), c, "xoxe-1-whatever") {
		if !errors.Is(err, xoxe.ErrClosed) || !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("%s on a closed client: %v", op, err)
		}
		if !strings.Contains(err.Error(), "closed") {
			t.Fatalf("%s: message %q", op, err)
		}
	}
}

// TestCloseWhileCallsInFlight: Close waits for the calls in flight, which
// complete normally, and the calls made after it fail with ErrClosed without
// reaching Slack (README: "waits for calls in flight"). The fake
// Slack holds the first calls' answers back for a second, and Close is called
// only once it has received all of them.
func TestCloseWhileCallsInFlight(t *testing.T) {
	const inFlight = 4
	const held = time.Second
	c, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seed := newConfigToken(t, 0)
	addFault(t, map[string]any{"method": "auth.test", "kind": "delay", "delay_ms": held.Milliseconds(), "count": inFlight})
	before := getStats(t).Requests["auth.test"]

	started := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, inFlight)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = c.AuthTest(context.Background(), seed.Token)
		}(i)
	}
	// The calls are in flight once Slack has received them all.
	for deadline := time.Now().Add(60 * time.Second); getStats(t).Requests["auth.test"]-before < inFlight; {
		if time.Now().After(deadline) {
			t.Fatal("the calls did not reach the fake Slack within 60 s")
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}

	var closers sync.WaitGroup
	for i := 0; i < 3; i++ {
		closers.Add(1)
		go func() { defer closers.Done(); _ = c.Close() }()
	}
	closers.Wait()
	closed := time.Now()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d, in flight during Close: %v", i, err)
		}
	}
	// Slack answered no sooner than held after the calls started, and Close
	// returned only after that.
	if waited := closed.Sub(started); waited < held {
		t.Fatalf("Close returned %v after the calls started, before Slack had answered them (%v)", waited, held)
	}

	for i := 0; i < inFlight; i++ {
		if _, err := c.AuthTest(ctx(t), seed.Token); !errors.Is(err, xoxe.ErrClosed) {
			t.Fatalf("call after Close: %v", err)
		}
	}
	if n := getStats(t).Requests["auth.test"] - before; n != inFlight {
		t.Fatalf("the fake Slack got %d auth.test requests, want the %d in flight", n, inFlight)
	}
}

func TestConcurrentCallsShareOneClient(t *testing.T) {
	c := newClient(t)
	a := newApp(t)
	const workers = 16
	const rounds = 5
	var wg sync.WaitGroup
	failures := make(chan error, workers)
	for w := 0; w < workers; w++ {
		seed := newConfigToken(t, 0)
		legacy := newLegacyToken(t, a.ClientID, "bot")
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) { failures <- err }
			refresh := seed.RefreshToken
			for r := 0; r < rounds; r++ {
				pair, err := c.ToolingTokensRotate(context.Background(), refresh)
				if err != nil {
					fail(err)
					return
				}
				refresh = pair.RefreshToken.Reveal()
				if _, err := c.AuthTest(context.Background(), pair.Token.Reveal()); err != nil {
					fail(err)
					return
				}
			}
			tok, err := c.OAuthV2Exchange(context.Background(), a.ClientID, a.ClientSecret, legacy)
			if err != nil {
				fail(err)
				return
			}
			for r := 0; r < rounds; r++ {
				tok, err = c.OAuthV2Refresh(context.Background(), a.ClientID, a.ClientSecret, tok.RefreshToken.Reveal())
				if err != nil {
					fail(err)
					return
				}
			}
			if _, err := c.Call(context.Background(), "auth.test", tok.AccessToken.Reveal(), nil); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
}
