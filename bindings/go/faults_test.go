package xoxe_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// These tests inject faults into the one shared fake Slack, so none runs in
// parallel with another.

func TestLostRotationIsOutcomeUnknown(t *testing.T) {
	c := newClient(t)
	cases := []struct {
		name  string
		fault map[string]any
		cause xoxe.Status
	}{
		{"drop_after_apply", map[string]any{"kind": "drop_after_apply"}, 0},
		{"truncated_json", map[string]any{"kind": "truncated_json", "apply": true}, 0},
		{"internal_error", map[string]any{"kind": "slack_error", "error": "internal_error", "apply": true}, xoxe.StatusInternalError},
		{"fatal_error", map[string]any{"kind": "slack_error", "error": "fatal_error", "apply": true}, xoxe.StatusFatalError},
		{"http_500", map[string]any{"kind": "http_status", "status": 500, "apply": true}, 0},
		{"wrong_shape", map[string]any{"kind": "wrong_shape", "apply": true}, xoxe.StatusBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seed := newConfigToken(t, 0)
			tc.fault["method"] = "tooling.tokens.rotate"
			addFault(t, tc.fault)
			before := getStats(t)
			pair, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
			if pair != nil {
				t.Fatal("a result came back with the fault")
			}
			e := wantCode(t, err, xoxe.StatusOutcomeUnknown)
			if !errors.Is(err, xoxe.ErrOutcomeUnknown) || errors.Is(err, xoxe.ErrTransport) || errors.Is(err, xoxe.ErrSlackAPI) {
				t.Fatalf("classification of %v", err)
			}
			if e.Family() != xoxe.FamilyOutcomeUnknown || e.Cause == xoxe.StatusOutcomeUnknown || e.Cause == xoxe.StatusOK {
				t.Fatalf("family %v cause %v", e.Family(), e.Cause)
			}
			if tc.cause != 0 && e.Cause != tc.cause {
				t.Fatalf("cause %v, want %v", e.Cause, tc.cause)
			}
			after := getStats(t)
			if n := after.Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]; n != 1 {
				t.Fatalf("%d rotate requests reached the server, want exactly 1", n)
			}
			if n := after.Rotations - before.Rotations; n != 1 {
				t.Fatalf("server applied %d rotations, want 1", n)
			}
			// The server did rotate: the old refresh token is spent.
			_, err = c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
			if !errors.Is(err, xoxe.ErrInvalidRefreshToken) {
				t.Fatalf("after a lost rotation: %v", err)
			}
		})
	}
}

func TestTimeoutAfterSendIsOutcomeUnknown(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "slow_headers", "delay_ms": 10000, "apply": true})
	before := getStats(t)
	// Generous against a slow machine: the request must be sent before the
	// deadline for the outcome to be unknown.
	cx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := c.ToolingTokensRotate(cx, seed.RefreshToken)
	e := wantCode(t, err, xoxe.StatusOutcomeUnknown)
	if e.Cause != xoxe.StatusTimeout {
		t.Fatalf("cause %v, want timeout", e.Cause)
	}
	if n := getStats(t).Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]; n != 1 {
		t.Fatalf("%d rotate requests, want 1", n)
	}
}

func TestTimeout(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	addFault(t, map[string]any{"method": "auth.test", "kind": "slow_headers", "delay_ms": 10000})
	cx, cancel := context.WithTimeout(context.Background(), 1000*time.Millisecond)
	defer cancel()
	_, err := c.AuthTest(cx, seed.Token)
	wantCode(t, err, xoxe.StatusTimeout)
	if !errors.Is(err, xoxe.ErrTimeout) || !errors.Is(err, xoxe.ErrTransport) {
		t.Fatalf("%v is not ErrTimeout/ErrTransport", err)
	}

	// The client's call timeout applies without a deadline.
	short := newClient(t, xoxe.WithTimeouts(5*time.Second, 1000*time.Millisecond))
	addFault(t, map[string]any{"method": "auth.test", "kind": "slow_headers", "delay_ms": 10000})
	_, err = short.AuthTest(context.Background(), seed.Token)
	wantCode(t, err, xoxe.StatusTimeout)

	// So does a call timeout set alone (the connect timeout keeps the library's).
	alone := newClient(t, xoxe.WithCallTimeout(1000*time.Millisecond))
	addFault(t, map[string]any{"method": "auth.test", "kind": "slow_headers", "delay_ms": 10000})
	_, err = alone.AuthTest(context.Background(), seed.Token)
	wantCode(t, err, xoxe.StatusTimeout)
}

func TestOneHalfOfAPairedSettingKeepsTheOther(t *testing.T) {
	seed := newConfigToken(t, 0)
	// Retries off, the longest wait left as it was: the error comes straight back.
	none := newClient(t, xoxe.WithRateLimitRetries(3, time.Minute), xoxe.WithMaxRateLimitRetries(0))
	addFault(t, map[string]any{"method": "auth.test", "kind": "ratelimited", "retry_after": 1})
	_, err := none.AuthTest(ctx(t), seed.Token)
	wantCode(t, err, xoxe.StatusRatelimited)

	// A longest wait below Retry-After, the retry count left at 3: no wait, no retry.
	short := newClient(t, xoxe.WithRateLimitRetries(3, time.Minute), xoxe.WithMaxRetryWait(time.Second))
	addFault(t, map[string]any{"method": "auth.test", "kind": "ratelimited", "retry_after": 7})
	_, err = short.AuthTest(ctx(t), seed.Token)
	if e := wantCode(t, err, xoxe.StatusRatelimited); e.RetryAfter != 7*time.Second {
		t.Fatalf("retry after %v", e.RetryAfter)
	}

	// Set alone, the connect timeout leaves a working client.
	c := newClient(t, xoxe.WithConnectTimeout(3*time.Second))
	if _, err := c.AuthTest(ctx(t), seed.Token); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimited(t *testing.T) {
	seed := newConfigToken(t, 0)

	// Without retries the error comes back with Retry-After.
	none := newClient(t, xoxe.WithRateLimitRetries(0, time.Minute))
	addFault(t, map[string]any{"method": "auth.test", "kind": "ratelimited", "retry_after": 7})
	_, err := none.AuthTest(ctx(t), seed.Token)
	e := wantCode(t, err, xoxe.StatusRatelimited)
	if !errors.Is(err, xoxe.ErrRateLimited) || !errors.Is(err, xoxe.ErrRateLimitedFamily) || errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("classification of %v", err)
	}
	if e.RetryAfter != 7*time.Second || e.HTTPStatus != 429 || e.SlackError != "ratelimited" {
		t.Fatalf("retry after %v, http %d, slack error %q", e.RetryAfter, e.HTTPStatus, e.SlackError)
	}

	// Without Retry-After, RetryAfter is negative.
	addFault(t, map[string]any{"method": "auth.test", "kind": "ratelimited"})
	_, err = none.AuthTest(ctx(t), seed.Token)
	if e := wantCode(t, err, xoxe.StatusRatelimited); e.RetryAfter >= 0 {
		t.Fatalf("retry after %v without a header", e.RetryAfter)
	}

	// With retries the client waits and succeeds: two requests reach the server.
	retry := newClient(t, xoxe.WithRateLimitRetries(2, 30*time.Second))
	addFault(t, map[string]any{"method": "auth.test", "kind": "ratelimited", "retry_after": 1})
	before := getStats(t)
	if _, err := retry.AuthTest(ctx(t), seed.Token); err != nil {
		t.Fatal(err)
	}
	if n := getStats(t).Requests["auth.test"] - before.Requests["auth.test"]; n != 2 {
		t.Fatalf("%d auth.test requests, want 2", n)
	}

	// A rotation that was rate-limited was not applied, so it can be retried:
	// the retry succeeds with the same refresh token.
	addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "ratelimited", "retry_after": 1})
	if _, err := retry.ToolingTokensRotate(ctx(t), seed.RefreshToken); err != nil {
		t.Fatal(err)
	}
}

func TestTransportFailures(t *testing.T) {
	c := newClient(t, xoxe.WithMaxResponseBytes(4096))
	seed := newConfigToken(t, 0)
	cases := []struct {
		name  string
		fault map[string]any
		code  xoxe.Status
	}{
		{"http_502", map[string]any{"kind": "http_status", "status": 502}, xoxe.StatusHTTPStatus},
		{"malformed_json", map[string]any{"kind": "malformed_json"}, xoxe.StatusBadResponse},
		{"empty_body", map[string]any{"kind": "empty_body"}, xoxe.StatusBadResponse},
		{"truncated_json", map[string]any{"kind": "truncated_json"}, xoxe.StatusBadResponse},
		{"huge_body", map[string]any{"kind": "huge_body", "bytes": 100000}, xoxe.StatusResponseTooLarge},
		{"drop_before_apply", map[string]any{"kind": "drop_before_apply"}, 0},
		{"truncated_body", map[string]any{"kind": "truncated_body"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault["method"] = "auth.test"
			addFault(t, tc.fault)
			_, err := c.AuthTest(ctx(t), seed.Token)
			if tc.code != 0 {
				wantCode(t, err, tc.code)
			}
			if !errors.Is(err, xoxe.ErrTransport) || errors.Is(err, xoxe.ErrSlackAPI) || errors.Is(err, xoxe.ErrUsage) {
				t.Fatalf("%v is not only ErrTransport", err)
			}
		})
	}
	var e *xoxe.Error
	addFault(t, map[string]any{"method": "auth.test", "kind": "http_status", "status": 503})
	_, err := c.AuthTest(ctx(t), seed.Token)
	if !errors.As(err, &e) || e.HTTPStatus != 503 {
		t.Fatalf("HTTP status not reported: %v", err)
	}
}

func TestNetworkError(t *testing.T) {
	// A loopback port that was just free: connecting is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := xoxe.NewClient(xoxe.WithBaseURL("http://"+addr+"/api/"), xoxe.WithTimeouts(5*time.Second, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.AuthTest(ctx(t), "xoxb-00000-not-a-real-token-at-all")
	wantCode(t, err, xoxe.StatusNetwork)
	if !errors.Is(err, xoxe.ErrTransport) {
		t.Fatalf("%v is not ErrTransport", err)
	}
	// A refused connection sent nothing: a rotation's outcome is known.
	_, err = c.ToolingTokensRotate(ctx(t), "xoxe-1-00000000000000000000000000000000")
	wantCode(t, err, xoxe.StatusNetwork)
}

func TestUnknownSlackError(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	addFault(t, map[string]any{"method": "auth.test", "kind": "slack_error", "error": "brand_new_error"})
	_, err := c.AuthTest(ctx(t), seed.Token)
	e := wantCode(t, err, xoxe.StatusSlackOther)
	if e.SlackError != "brand_new_error" || !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("unknown Slack code lost: %q", e.SlackError)
	}
	// A Slack error that did not apply on a rotation is a plain Slack error.
	addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "slack_error", "error": "service_unavailable"})
	_, err = c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
	if !errors.Is(err, xoxe.ErrSlackAPI) && !errors.Is(err, xoxe.ErrOutcomeUnknown) {
		t.Fatalf("service_unavailable: %v", err)
	}
}
