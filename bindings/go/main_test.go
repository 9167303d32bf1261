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
	"sync/atomic"
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
	if path := os.Getenv(flockHolderEnv); path != "" {
		// A child of TestFileStoreLockHoldsAcrossProcesses, not a test run.
		os.Exit(holdFlock(path))
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// Before any client exists, so that this logger, not the library's own
	// XOXE_LOG one, is the one every test restores.
	if err := installSuiteLogger(); err != nil {
		fmt.Fprintln(os.Stderr, "logger:", err)
		return 1
	}
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
	if err := setUpExamples(dir); err != nil {
		fmt.Fprintln(os.Stderr, "setting up the examples:", err)
		return 1
	}
	return m.Run()
}

// suiteLogger is the logger every test runs with. When XOXE_LOG is set (make
// test sets debug) library lines go to stderr as "[xoxe <level>] <message>",
// the format of the library's own XOXE_LOG logger, so they land in
// build/logs/ where the secret scan reads them; otherwise logging is off.
// Tests that call SetLogger put it back with keepSuiteLogger.
var suiteLogger struct {
	fn    func(xoxe.LogLevel, string) // nil: logging off
	level xoxe.LogLevel
	tap   atomic.Pointer[logCollector] // also gets every line, when set (TestLoggingStaysOn)
}

func installSuiteLogger() error {
	levels := map[string]xoxe.LogLevel{"error": xoxe.LogError, "warn": xoxe.LogWarn, "info": xoxe.LogInfo, "debug": xoxe.LogDebug}
	level, ok := levels[os.Getenv("XOXE_LOG")]
	if !ok {
		return nil // as the library does for an unset or unknown XOXE_LOG
	}
	suiteLogger.level = level
	suiteLogger.fn = func(level xoxe.LogLevel, message string) {
		// One write per line: concurrent lines do not interleave.
		_, _ = os.Stderr.WriteString("[xoxe " + level.String() + "] " + message + "\n")
		if tap := suiteLogger.tap.Load(); tap != nil {
			tap.add(level, message)
		}
	}
	return xoxe.SetLogger(suiteLogger.fn, level)
}

// keepSuiteLogger puts the suite's logger back when t ends: every test that
// calls SetLogger calls this first, so the tests after it still log.
func keepSuiteLogger(t testing.TB) {
	t.Helper()
	t.Cleanup(func() {
		if err := xoxe.SetLogger(suiteLogger.fn, suiteLogger.level); err != nil {
			t.Errorf("restoring the suite's logger: %v", err)
		}
	})
}

// control sends one request to the fake Slack's control interface and decodes
// the JSON answer into out (when non-nil). Failures never print bodies (they
// may hold secrets).
func control(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if err := controlErr(method, path, body, out); err != nil {
		t.Fatal(err)
	}
}

// controlErr is control without a test (for TestMain).
func controlErr(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("control %s: %v", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, fake.ControlURL+path, rd)
	if err != nil {
		return fmt.Errorf("control %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("control %s %s: reading: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("control %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("control %s %s: decoding: %v", method, path, err)
		}
	}
	return nil
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
	GraceReissues      int            `json:"grace_reissues"` // double spends answered within the grace period
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

// setUpExamples gives the examples (example_test.go) what a deployed program
// would have: the fake Slack's URL and fresh credentials in the environment
// variables they read, and a state directory (STATE_DIRECTORY, as systemd
// sets it) holding an initialised file store for ExampleRotator. The values
// are secrets: never printed.
func setUpExamples(dir string) error {
	var rotated, used, kept, logged configToken
	var a app
	for _, out := range []*configToken{&rotated, &used, &kept, &logged} {
		if err := controlErr("POST", "config_tokens", map[string]any{}, out); err != nil {
			return err
		}
	}
	if err := controlErr("POST", "apps", map[string]any{"rotation_enabled": true}, &a); err != nil {
		return err
	}
	var legacy struct {
		Token string `json:"token"`
	}
	if err := controlErr("POST", "legacy_tokens", map[string]any{"client_id": a.ClientID, "kind": "bot"}, &legacy); err != nil {
		return err
	}
	client, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		return err
	}
	defer client.Close()
	bot, err := client.OAuthV2Exchange(context.Background(), a.ClientID, a.ClientSecret, legacy.Token)
	if err != nil {
		return err
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		return err
	}
	store, err := xoxe.NewFileStore(filepath.Join(state, "config-token.json"), 0)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Init(xoxe.ChainConfig, kept.RefreshToken, "", time.Time{}, false); err != nil {
		return err
	}
	for name, value := range map[string]string{
		"XOXE_BASE_URL":             fake.BaseURL,
		"XOXE_CONFIG_REFRESH_TOKEN": rotated.RefreshToken, // Example
		"XOXE_CONFIG_TOKEN":         used.Token,           // ExampleClient_Call
		"XOXE_CLIENT_ID":            a.ClientID,           // ExampleClient_OAuthV2Refresh
		"XOXE_CLIENT_SECRET":        a.ClientSecret,
		"XOXE_BOT_REFRESH_TOKEN":    bot.RefreshToken.Reveal(),
		"STATE_DIRECTORY":           state,               // ExampleRotator
		"XOXE_DEMO_REFRESH_TOKEN":   logged.RefreshToken, // ExampleSetLogger
	} {
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
}
