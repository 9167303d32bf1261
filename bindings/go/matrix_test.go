package xoxe_test

// The cross-language fault matrix, Go side (tests/matrix/README.md): reads
// tests/matrix/matrix.json and runs every (fault, method) cell against the fake
// Slack with fresh credentials. Each cell must fail with an *xoxe.Error of the
// expected code, cause, HTTP status, Retry-After and Slack error (or succeed,
// where the matrix says ok), return no result on failure, and leave the client
// working. In every cell, err.Error() and the library's log lines (captured at
// debug level) must hold no secret of the request (its tokens, the client
// secret) and no control character; for the echo rows, SlackError must be
// exactly what the hostile server echoed (it is server-controlled, and never
// recorded raw). Results go to $XOXE_MATRIX_DIR (default <repo>/build/matrix) as
// go.jsonl. TLS rows use a second fake Slack started here with --tls-ca-file.
// Nothing here prints a token.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

type matrixMethod struct {
	ID          string `json:"id"`
	SlackMethod string `json:"slack_method"`
}

type matrixClient struct {
	TimeoutMS           *int64 `json:"timeout_ms"`
	ConnectTimeoutMS    *int64 `json:"connect_timeout_ms"`
	MaxRatelimitRetries *int   `json:"max_ratelimit_retries"`
	MaxRetryWaitSecs    *int64 `json:"max_retry_wait_secs"`
	MaxResponseBytes    *int64 `json:"max_response_bytes"`
}

type matrixRow struct {
	ID       string                     `json:"id"`
	Fault    map[string]any             `json:"fault"`
	Client   matrixClient               `json:"client"`
	Server   string                     `json:"server"`
	CABundle bool                       `json:"ca_bundle"`
	Survival string                     `json:"survival"`
	Expect   map[string]json.RawMessage `json:"expect"`
}

type matrixFile struct {
	Methods []matrixMethod `json:"methods"`
	Client  matrixClient   `json:"client"`
	Faults  []matrixRow    `json:"faults"`
}

// One fake Slack: where to send control requests, and a plain client for set-up calls.
type matrixServer struct {
	baseURL, controlURL string
	setup               *xoxe.Client
}

func ctlAt(t testing.TB, controlURL, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("control %s: %v", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, controlURL+path, rd)
	if err != nil {
		t.Fatalf("control %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s: HTTP %d (%v)", method, path, resp.StatusCode, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("control %s %s: decoding: %v", method, path, err)
		}
	}
}

func matrixNewClient(t *testing.T, base string, defaults matrixClient, row *matrixRow, ca string) *xoxe.Client {
	t.Helper()
	// A row's setting overrides the file's; what neither sets keeps the
	// library's default.
	cfg := defaults
	if row != nil {
		cfg.TimeoutMS = cmp.Or(row.Client.TimeoutMS, cfg.TimeoutMS)
		cfg.ConnectTimeoutMS = cmp.Or(row.Client.ConnectTimeoutMS, cfg.ConnectTimeoutMS)
		cfg.MaxRatelimitRetries = cmp.Or(row.Client.MaxRatelimitRetries, cfg.MaxRatelimitRetries)
		cfg.MaxRetryWaitSecs = cmp.Or(row.Client.MaxRetryWaitSecs, cfg.MaxRetryWaitSecs)
		cfg.MaxResponseBytes = cmp.Or(row.Client.MaxResponseBytes, cfg.MaxResponseBytes)
	}
	opts := []xoxe.Option{xoxe.WithBaseURL(base)}
	switch {
	case cfg.ConnectTimeoutMS != nil && cfg.TimeoutMS != nil:
		opts = append(opts, xoxe.WithTimeouts(time.Duration(*cfg.ConnectTimeoutMS)*time.Millisecond, time.Duration(*cfg.TimeoutMS)*time.Millisecond))
	case cfg.ConnectTimeoutMS != nil || cfg.TimeoutMS != nil:
		t.Fatal("tests/matrix/matrix.json sets only one of connect_timeout_ms and timeout_ms")
	}
	switch {
	case cfg.MaxRatelimitRetries != nil && cfg.MaxRetryWaitSecs != nil:
		opts = append(opts, xoxe.WithRateLimitRetries(*cfg.MaxRatelimitRetries, time.Duration(*cfg.MaxRetryWaitSecs)*time.Second))
	case cfg.MaxRatelimitRetries != nil || cfg.MaxRetryWaitSecs != nil:
		t.Fatal("tests/matrix/matrix.json sets only one of max_ratelimit_retries and max_retry_wait_secs")
	}
	if cfg.MaxResponseBytes != nil {
		opts = append(opts, xoxe.WithMaxResponseBytes(*cfg.MaxResponseBytes))
	}
	if ca != "" {
		opts = append(opts, xoxe.WithCABundle(ca))
	}
	c, err := xoxe.NewClient(opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// startTLSFake starts a second fake Slack that also serves HTTPS; it returns the
// server, its https base URL and the path of its test CA.
func startTLSFake(t *testing.T) (matrixServer, string, string) {
	t.Helper()
	bin := os.Getenv("XOXE_FAKE_SLACK")
	if bin == "" {
		bin = filepath.Join(repoRoot(), "target", "release", "fake-slack")
	}
	dir := t.TempDir()
	ready, ca := filepath.Join(dir, "ready.json"), filepath.Join(dir, "ca.pem")
	args := []string{"--ready-file", ready, "--tls-ca-file", ca}
	if issued := os.Getenv("XOXE_ISSUED_TOKENS"); issued != "" {
		args = append(args, "--issued-tokens-file", issued)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start the TLS fake Slack: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	var info struct {
		BaseURL    string `json:"base_url"`
		ControlURL string `json:"control_url"`
		TLSBaseURL string `json:"tls_base_url"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// The ready file holds secrets: parse it, never print it.
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 && json.Unmarshal(b, &info) == nil && info.TLSBaseURL != "" {
			_ = os.Remove(ready)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the TLS fake Slack did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return matrixServer{baseURL: info.BaseURL, controlURL: info.ControlURL}, info.TLSBaseURL, ca
}

type matrixGot struct {
	Status     string `json:"status"`
	Cause      string `json:"cause,omitempty"`
	HTTPStatus *int   `json:"http_status"`
	RetryAfter *int64 `json:"retry_after"`
	// nil, the raw string, or {"echo": kind} (see recordedSlackError).
	SlackError any `json:"slack_error"`
	Requests   int `json:"requests"`
}

type matrixWant struct {
	Status     string          `json:"status"`
	Cause      string          `json:"cause"`
	HTTPStatus json.RawMessage `json:"http_status"`
	RetryAfter json.RawMessage `json:"retry_after"`
	SlackError json.RawMessage `json:"slack_error"`
	Requests   *int            `json:"requests"`
}

// sameJSON compares an expected field (absent: not checked) with what came back.
func sameJSON(want json.RawMessage, got any) bool {
	if want == nil {
		return true
	}
	b, _ := json.Marshal(got)
	var w, g any
	_ = json.Unmarshal(want, &w)
	_ = json.Unmarshal(b, &g)
	return fmt.Sprint(w) == fmt.Sprint(g)
}

// cellCreds are one cell's credentials (fresh for every cell).
type cellCreds struct {
	token, refreshToken, clientSecret, legacy, refresh string
}

// secrets are every secret of the cell: the request's and the pair's.
func (c cellCreds) secrets() []string {
	var out []string
	for _, s := range []string{c.token, c.refreshToken, c.clientSecret, c.legacy, c.refresh} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// holdsSecret: text holds the whole secret, or any 16 bytes of its random
// part (after its last '-'), which is what a prefix-stripping echo leaves.
func holdsSecret(text, secret string) bool {
	if strings.Contains(text, secret) {
		return true
	}
	tail := secret[strings.LastIndex(secret, "-")+1:]
	for i := 0; i+16 <= len(tail); i++ {
		if strings.Contains(text, tail[i:i+16]) {
			return true
		}
	}
	return false
}

// textProblems is the one check of a text the library produced during a cell
// (err.Error(), a log line): no secret of the request, no control character.
func textProblems(what, text string, secrets []string) []string {
	var problems []string
	for _, s := range secrets {
		if holdsSecret(text, s) {
			problems = append(problems, what+" holds a secret of the request")
			break
		}
	}
	if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		problems = append(problems, what+" holds a control character")
	}
	return problems
}

// echoValue is the error an echo_error fault of kind builds from this cell's
// request (fake-slack's Echo::value): the credential is the refresh token if
// the request carries one, else its token.
func echoValue(kind, method string, c cellCreds) string {
	credential := c.token
	switch method {
	case "rotate":
		credential = c.refreshToken
	case "refresh":
		credential = c.refresh
	case "exchange":
		credential = c.legacy
	}
	switch kind {
	case "credential_bare":
		return credential[strings.LastIndex(credential, "-")+1:]
	case "credential_ellipsis":
		return credential + "\u2026"
	case "client_secret":
		return "invalid_client:" + c.clientSecret
	}
	return credential
}

// recordedSlackError is SlackError as written to the results: {"echo": kind}
// when it is exactly the expected echo, withheld when it holds a secret, else
// the raw value.
func recordedSlackError(raw string, want matrixWant, method string, c cellCreds) any {
	var echo struct {
		Echo string `json:"echo"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(want.SlackError), []byte("{")) && json.Unmarshal(want.SlackError, &echo) == nil &&
		raw == echoValue(echo.Echo, method, c) {
		return map[string]string{"echo": echo.Echo}
	}
	for _, s := range c.secrets() {
		if holdsSecret(raw, s) {
			return "[withheld: it holds a secret of the request]"
		}
	}
	return raw
}

// reset forgets the lines collected so far.
func (l *logCollector) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = nil
}

// runMatrixCell gets fresh credentials, injects the row's fault and calls the
// method; logs collects the library's lines.
//
// It returns what the call got, the problems found, the secret and
// control-character checks' findings (no secret in them), and the error's
// message for failure output (withheld when it holds a secret).
func runMatrixCell(t *testing.T, srv matrixServer, client *xoxe.Client, row *matrixRow, want matrixWant, logs *logCollector, method, slackMethod string) (matrixGot, []string, []string, string) {
	ctl := func(m, path string, body, out any) { ctlAt(t, srv.controlURL, m, path, body, out) }
	var cfg struct {
		Token        string `json:"token"`
		RefreshToken string `json:"refresh_token"`
	}
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	var legacy struct {
		Token string `json:"token"`
	}
	refresh := ""
	switch method {
	case "rotate", "auth_test", "call":
		ctl("POST", "config_tokens", map[string]any{}, &cfg)
	default:
		ctl("POST", "apps", map[string]any{"rotation_enabled": true}, &app)
		ctl("POST", "legacy_tokens", map[string]any{"client_id": app.ClientID, "kind": "bot"}, &legacy)
		if method == "refresh" {
			tok, err := srv.setup.OAuthV2Exchange(context.Background(), app.ClientID, app.ClientSecret, legacy.Token)
			if err != nil {
				t.Fatalf("set-up exchange: %v", err)
			}
			refresh = tok.RefreshToken.Reveal()
		}
	}
	ctl("DELETE", "faults", nil, nil)
	if row.Fault != nil {
		fault := map[string]any{"method": slackMethod}
		for k, v := range row.Fault {
			fault[k] = v
		}
		ctl("POST", "faults", fault, nil)
	}
	defer ctl("DELETE", "faults", nil, nil)
	requests := func() int {
		var s stats
		ctl("GET", "stats", nil, &s)
		return s.Requests[slackMethod]
	}
	before := requests()
	creds := cellCreds{token: cfg.Token, refreshToken: cfg.RefreshToken, clientSecret: app.ClientSecret, legacy: legacy.Token, refresh: refresh}
	secrets := creds.secrets()
	logs.reset() // the lines of this call only

	var problems []string
	var err error
	var resultOK, gotResult bool
	bg := context.Background() // no deadline: the client's call timeout applies
	switch method {
	case "rotate":
		var r *xoxe.ConfigToken
		r, err = client.ToolingTokensRotate(bg, cfg.RefreshToken)
		gotResult, resultOK = r != nil, r != nil && !r.Token.IsZero()
	case "exchange":
		var r *xoxe.OAuthToken
		r, err = client.OAuthV2Exchange(bg, app.ClientID, app.ClientSecret, legacy.Token)
		gotResult, resultOK = r != nil, r != nil && !r.AccessToken.IsZero()
	case "refresh":
		var r *xoxe.OAuthToken
		r, err = client.OAuthV2Refresh(bg, app.ClientID, app.ClientSecret, refresh)
		gotResult, resultOK = r != nil, r != nil && !r.AccessToken.IsZero()
	case "auth_test":
		var r *xoxe.AuthIdentity
		r, err = client.AuthTest(bg, cfg.Token)
		gotResult, resultOK = r != nil, r != nil && r.TeamID != ""
	default:
		var r *xoxe.APIResponse
		r, err = client.Call(bg, slackMethod, cfg.Token,
			map[string]string{"manifest": `{"display_information":{"name":"matrix"}}`})
		gotResult, resultOK = r != nil, r != nil && bytes.Contains(r.JSON, []byte(`"ok":true`))
	}
	sent := requests() - before
	var checks []string
	seen := map[string]bool{}
	for _, line := range logs.snapshot() {
		for _, p := range textProblems("a library log line", line, secrets) {
			if !seen[p] {
				seen[p] = true
				checks = append(checks, p)
			}
		}
	}
	if err == nil {
		if !resultOK {
			problems = append(problems, "success without the expected result")
		}
		return matrixGot{Status: "ok", Requests: sent}, problems, checks, ""
	}
	if gotResult {
		problems = append(problems, "a result came back with the error")
	}
	var e *xoxe.Error
	if !errors.As(err, &e) {
		return matrixGot{Status: "not_an_xoxe_error", Requests: sent}, append(problems, fmt.Sprintf("error of type %T, not *xoxe.Error", err)), checks, ""
	}
	if !errors.Is(err, e) || e.Family() != e.Code.Family() {
		problems = append(problems, "error does not match itself")
	}
	if e.Code == xoxe.StatusOutcomeUnknown && !errors.Is(err, xoxe.ErrOutcomeUnknown) {
		problems = append(problems, "outcome_unknown does not match ErrOutcomeUnknown")
	}
	got := matrixGot{Status: e.Code.String(), Cause: e.Cause.String(), Requests: sent}
	if e.HTTPStatus != 0 {
		h := e.HTTPStatus
		got.HTTPStatus = &h
	}
	if e.RetryAfter >= 0 {
		ra := int64(e.RetryAfter / time.Second)
		got.RetryAfter = &ra
	}
	if e.SlackError != "" {
		got.SlackError = recordedSlackError(e.SlackError, want, method, creds)
	}
	message := e.Message
	for _, p := range textProblems("err.Error()", err.Error(), secrets) {
		checks = append(checks, p)
		if strings.Contains(p, "secret") {
			message = "[withheld: it holds a secret of the request]"
		}
	}
	return got, problems, checks, message
}

func TestMatrix(t *testing.T) {
	skipInShortMode(t)
	root := repoRoot()
	raw, err := os.ReadFile(filepath.Join(root, "tests", "matrix", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m matrixFile
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("matrix.json: %v", err)
	}
	dir := os.Getenv("XOXE_MATRIX_DIR")
	if dir == "" {
		dir = filepath.Join(root, "build", "matrix")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "go.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	enc := json.NewEncoder(out)

	// Every library line of the matrix, at debug level, for the per-cell checks;
	// the lines at XOXE_LOG's level still reach the suite's logger (stderr).
	keepSuiteLogger(t)
	var logs logCollector
	if err := xoxe.SetLogger(func(level xoxe.LogLevel, message string) {
		logs.add(level, message)
		if suiteLogger.fn != nil && level <= suiteLogger.level {
			suiteLogger.fn(level, message)
		}
	}, xoxe.LogDebug); err != nil {
		t.Fatal(err)
	}

	plain := matrixServer{baseURL: fake.BaseURL, controlURL: fake.ControlURL}
	plain.setup = matrixNewClient(t, plain.baseURL, m.Client, nil, "")
	var tlsSrv matrixServer
	var tlsURL, tlsCA string

	passed, total := 0, 0
	for i := range m.Faults {
		row := &m.Faults[i]
		srv, base, ca := plain, plain.baseURL, ""
		if row.Server == "tls" {
			if tlsSrv.setup == nil {
				tlsSrv, tlsURL, tlsCA = startTLSFake(t)
				tlsSrv.setup = matrixNewClient(t, tlsSrv.baseURL, m.Client, nil, "")
			}
			srv, base = tlsSrv, tlsURL
			if row.CABundle {
				ca = tlsCA
			}
		}
		client := matrixNewClient(t, base, m.Client, row, ca)
		survivorSrv, survivor := srv, client
		if row.Survival == "plain_client" {
			survivorSrv, survivor = plain, plain.setup
		}
		for _, meth := range m.Methods {
			rawWant, ok := row.Expect[meth.ID]
			if !ok {
				t.Errorf("matrix: %s has no expectation for %s", row.ID, meth.ID)
				continue
			}
			var want matrixWant
			if err := json.Unmarshal(rawWant, &want); err != nil {
				t.Fatalf("matrix: %s/%s: %v", row.ID, meth.ID, err)
			}
			t.Run(row.ID+"/"+meth.ID, func(t *testing.T) {
				got, problems, checks, message := runMatrixCell(t, srv, client, row, want, &logs, meth.ID, meth.SlackMethod)
				problems = append(problems, checks...)
				if want.Requests != nil && got.Requests != *want.Requests {
					problems = append(problems, fmt.Sprintf("%d requests reached the server, expected %d", got.Requests, *want.Requests))
				}
				if got.Status != want.Status {
					problems = append(problems, fmt.Sprintf("status %s, expected %s", got.Status, want.Status))
				}
				if want.Status != "ok" {
					if want.Cause != "" && got.Cause != want.Cause {
						problems = append(problems, fmt.Sprintf("cause %s, expected %s", got.Cause, want.Cause))
					}
					if !sameJSON(want.HTTPStatus, got.HTTPStatus) {
						problems = append(problems, fmt.Sprintf("http_status %v, expected %s", deref(got.HTTPStatus), want.HTTPStatus))
					}
					if !sameJSON(want.RetryAfter, got.RetryAfter) {
						problems = append(problems, fmt.Sprintf("retry_after %v, expected %s", deref(got.RetryAfter), want.RetryAfter))
					}
					if !sameJSON(want.SlackError, got.SlackError) {
						problems = append(problems, fmt.Sprintf("slack_error %q, expected %s", got.SlackError, want.SlackError))
					}
				}
				// The library survives: a successful auth.test right after.
				var cfg struct {
					Token string `json:"token"`
				}
				ctlAt(t, survivorSrv.controlURL, "POST", "config_tokens", map[string]any{}, &cfg)
				if _, err := survivor.AuthTest(context.Background(), cfg.Token); err != nil {
					problems = append(problems, fmt.Sprintf("the client failed afterwards: %v", err))
				}
				pass := len(problems) == 0
				total++
				if pass {
					passed++
				}
				line := map[string]any{
					"lang": "go", "fault": row.ID, "method": meth.ID,
					"expected": rawWant, "got": got, "pass": pass,
				}
				if len(checks) > 0 {
					line["checks"] = strings.Join(checks, "; ")
				}
				if err := enc.Encode(line); err != nil {
					t.Fatal(err)
				}
				if !pass {
					t.Errorf("matrix cell %s x %s: %s (message: %s)", row.ID, meth.ID, strings.Join(problems, "; "), message)
				}
			})
		}
	}
	t.Logf("matrix: %d/%d cells passed; results in %s", passed, total, out.Name())
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
