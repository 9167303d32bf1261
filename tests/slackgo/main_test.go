// Package slackgo tests xoxe's http.RoundTripper (bindings/go, Transport)
// under slack-go (github.com/slack-go/slack, pinned in go.mod), against a
// fake Slack of its own whose tokens live 3 seconds. It is a module of its
// own so that the binding's module keeps no third-party requirement.
package slackgo

import (
	"bytes"
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
)

// tokenTTL is how long the fake Slack's access tokens live.
const tokenTTL = 3 * time.Second

// fake is the fake Slack of this test binary (TestMain starts it). Its ready
// file holds secrets: parsed, never printed.
var fake struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	App        app    `json:"app"`
	LegacyBot  string `json:"legacy_bot_token"`
}

type app struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run starts the fake Slack (XOXE_FAKE_SLACK, else the repository's release
// build), recording the secrets it issues in XOXE_ISSUED_TOKENS when set (for
// make test's secret scan), runs the tests and stops it.
func run(m *testing.M) int {
	bin := os.Getenv("XOXE_FAKE_SLACK")
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "release", "fake-slack")
	}
	dir, err := os.MkdirTemp("", "xoxe-slackgo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ready := filepath.Join(dir, "ready.json")
	args := []string{"--ready-file", ready, "--token-ttl", fmt.Sprint(int(tokenTTL.Seconds()))}
	if issued := os.Getenv("XOXE_ISSUED_TOKENS"); issued != "" {
		args = append(args, "--issued-tokens-file", issued)
	}
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
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
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 && json.Unmarshal(b, &fake) == nil && fake.BaseURL != "" {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "fake Slack did not become ready; its log:")
			if b, err := os.ReadFile(logPath); err == nil {
				os.Stderr.Write(b)
			}
			return 1
		}
	}
	return m.Run()
}

// stats are the fake Slack's counters this suite reads.
type stats struct {
	Requests           map[string]int `json:"requests"`
	Refreshes          int            `json:"refreshes"`
	RefreshTokenReuses int            `json:"refresh_token_reuses"`
	APICalls           map[string]int `json:"api_calls"`
	TokenErrors        map[string]int `json:"token_errors"`
}

// control sends one request to the fake Slack's control interface and decodes
// its JSON answer into out (when non-nil). Failures never print bodies.
func control(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, fake.ControlURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s: HTTP %d, %v", method, path, resp.StatusCode, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("control %s %s: decoding: %v", method, path, err)
		}
	}
}

func getStats(t testing.TB) stats {
	t.Helper()
	var s stats
	control(t, "GET", "stats", nil, &s)
	return s
}

// messages is how many messages chat.postMessage has posted so far.
func messages(t testing.TB) int {
	t.Helper()
	var m struct {
		Messages []json.RawMessage `json:"messages"`
	}
	control(t, "GET", "messages", nil, &m)
	return len(m.Messages)
}

// newApp is a new app with token rotation, and a legacy token of each kind.
func newApp(t testing.TB) (a app, bot, user string) {
	t.Helper()
	control(t, "POST", "apps", map[string]any{"rotation_enabled": true}, &a)
	var tok struct {
		Token string `json:"token"`
	}
	control(t, "POST", "legacy_tokens", map[string]any{"client_id": a.ClientID, "kind": "bot"}, &tok)
	bot = tok.Token
	control(t, "POST", "legacy_tokens", map[string]any{"client_id": a.ClientID, "kind": "user"}, &tok)
	return a, bot, tok.Token
}
