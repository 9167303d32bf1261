package xoxe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// The one fake Slack this test binary talks to (started by TestMain).
var fake struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
}

// repoRoot is the repository root (this package lives in bindings/go).
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin := os.Getenv("XOXE_FAKE_SLACK")
	if bin == "" {
		bin = filepath.Join(repoRoot(), "target", "release", "fake-slack")
	}
	dir, err := os.MkdirTemp("", "xoxe-go-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ready := filepath.Join(dir, "ready.json")
	args := []string{"--ready-file", ready}
	if issued := os.Getenv("XOXE_ISSUED_TOKENS"); issued != "" {
		args = append(args, "--issued-tokens-file", issued)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server log:", err)
		return 1
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start fake Slack %s: %v (build it: cargo build --release --workspace)\n", bin, err)
		return 1
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The ready file holds secrets: parse it, never print it.
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 && json.Unmarshal(b, &fake) == nil && fake.BaseURL != "" {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "fake Slack did not become ready; see its log:")
			if b, err := os.ReadFile(filepath.Join(dir, "server.log")); err == nil {
				os.Stderr.Write(b)
			}
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m.Run()
}

// control sends one request to the fake Slack's control interface and decodes
// the JSON answer into out (when non-nil). Failures never print bodies (they
// may hold secrets).
func control(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("control %s: %v", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, fake.ControlURL+path, rd)
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
	if err != nil {
		t.Fatalf("control %s %s: reading: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("control %s %s: decoding: %v", method, path, err)
		}
	}
}

type app struct {
	AppID        string `json:"app_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type configToken struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	TeamID       string `json:"team_id"`
	UserID       string `json:"user_id"`
	IAT          int64  `json:"iat"`
	EXP          int64  `json:"exp"`
}

type stats struct {
	Requests           map[string]int `json:"requests"`
	Rotations          int            `json:"rotations"`
	Exchanges          int            `json:"exchanges"`
	Refreshes          int            `json:"refreshes"`
	RefreshTokenReuses int            `json:"refresh_token_reuses"`
	FaultsFired        int            `json:"faults_fired"`
}

func newApp(t testing.TB) app {
	var a app
	control(t, "POST", "apps", map[string]any{"rotation_enabled": true}, &a)
	return a
}

func newLegacyToken(t testing.TB, clientID, kind string) string {
	var r struct {
		Token string `json:"token"`
	}
	control(t, "POST", "legacy_tokens", map[string]any{"client_id": clientID, "kind": kind}, &r)
	return r.Token
}

func newConfigToken(t testing.TB, ttl int) configToken {
	var c configToken
	body := map[string]any{}
	if ttl > 0 {
		body["ttl"] = ttl
	}
	control(t, "POST", "config_tokens", body, &c)
	return c
}

// addFault injects a fault and clears all faults when the test ends.
func addFault(t testing.TB, fault map[string]any) {
	t.Helper()
	control(t, "POST", "faults", fault, nil)
	t.Cleanup(func() { control(t, "DELETE", "faults", nil, nil) })
}

func getStats(t testing.TB) stats {
	var s stats
	control(t, "GET", "stats", nil, &s)
	return s
}

// newClient makes a client for the fake Slack; it is closed when the test ends.
func newClient(t testing.TB, opts ...xoxe.Option) *xoxe.Client {
	t.Helper()
	c, err := xoxe.NewClient(append([]xoxe.Option{xoxe.WithBaseURL(fake.BaseURL)}, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ctx is a generous per-call context for tests.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}
