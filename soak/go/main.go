// Command soak is xoxe's Go soak driver: SOAK_THREADS goroutines (default 4)
// run a mix of calls for SOAK_SECONDS (default 600) against the soak's fake
// Slack (HTTP and HTTPS) while faults are injected; RSS (/proc/self/statm) is
// sampled every 10 s into $SOAK_OUT/soak-go.csv and the counts go to
// $SOAK_OUT/soak-go.json. Every error is counted by its status; a panic, an
// unknown status or an error that is not an *xoxe.Error (other than the
// deliberate usage errors) is "unexpected". Never prints a token.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

type ready struct {
	BaseURL    string `json:"base_url"`
	TLSBaseURL string `json:"tls_base_url"`
	ControlURL string `json:"control_url"`
}

var (
	cfg        ready
	caFile     string
	deadline   time.Time
	mu         sync.Mutex
	errCounts  = map[string]uint64{}
	unexpected = map[string]uint64{}
	calls, oks atomic.Uint64
	logLines   atomic.Uint64
	httpc      = &http.Client{Timeout: 60 * time.Second}
)

func record(err error, expectUsage bool) {
	calls.Add(1)
	if err == nil {
		oks.Add(1)
		return
	}
	var e *xoxe.Error
	name := ""
	bad := false
	if errors.As(err, &e) {
		name = e.Code.String()
		bad = e.Code == xoxe.StatusPanic || name == "unknown_status" || e.Code.Family() == xoxe.FamilyInternal
	} else {
		name = "go_error"
		bad = !expectUsage
	}
	mu.Lock()
	errCounts[name]++
	if bad {
		unexpected[name]++
	}
	mu.Unlock()
}

func control(path string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	resp, err := httpc.Post(cfg.ControlURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("control %s: HTTP %d", path, resp.StatusCode)
	}
	var out map[string]any
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out, err
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

type worker struct {
	n                int
	rng              *rand.Rand
	client, small    *xoxe.Client
	refresh, access  string
	clientID, secret string
	rotator          *xoxe.Rotator
	store            *xoxe.Store
	rotatorUses      int
	dir              string
}

func newClient(url string, https bool, maxBytes int64) *xoxe.Client {
	opts := []xoxe.Option{xoxe.WithBaseURL(url), xoxe.WithTimeouts(2*time.Second, 5*time.Second),
		xoxe.WithRateLimitRetries(1, time.Second)}
	if https {
		opts = append(opts, xoxe.WithCABundle(caFile))
	}
	if maxBytes > 0 {
		opts = append(opts, xoxe.WithMaxResponseBytes(maxBytes))
	}
	c, err := xoxe.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak-go: cannot make a client:", err)
		os.Exit(3)
	}
	return c
}

func (w *worker) opRotate(ctx context.Context) {
	if w.refresh == "" {
		r, err := control("config_tokens", map[string]any{})
		if err != nil {
			record(err, false)
			return
		}
		w.refresh, w.access = str(r, "refresh_token"), str(r, "token")
	}
	for i := 0; i < 3; i++ {
		c := w.client
		if w.rng.Intn(5) == 0 {
			c = w.small
		}
		pair, err := c.ToolingTokensRotate(ctx, w.refresh)
		record(err, false)
		if err != nil {
			w.refresh = ""
			return
		}
		w.refresh, w.access = pair.RefreshToken.Reveal(), pair.Token.Reveal()
	}
}

func (w *worker) opExchangeRefresh(ctx context.Context) {
	if w.clientID == "" {
		r, err := control("apps", map[string]any{"rotation_enabled": true})
		if err != nil {
			record(err, false)
			return
		}
		w.clientID, w.secret = str(r, "client_id"), str(r, "client_secret")
	}
	kind := "bot"
	if w.rng.Intn(2) == 0 {
		kind = "user"
	}
	r, err := control("legacy_tokens", map[string]any{"client_id": w.clientID, "kind": kind})
	if err != nil {
		record(err, false)
		return
	}
	legacy := str(r, "token")
	tok, err := w.client.OAuthV2Exchange(ctx, w.clientID, w.secret, legacy)
	record(err, false)
	if err != nil {
		return
	}
	tok2, err := w.client.OAuthV2Refresh(ctx, w.clientID, w.secret, tok.RefreshToken.Reveal())
	record(err, false)
	if err == nil {
		_, err = w.client.AuthTest(ctx, tok2.AccessToken.Reveal())
		record(err, false)
	}
	_, err = w.client.OAuthV2Exchange(ctx, w.clientID, w.secret, legacy)
	record(err, false)
}

func (w *worker) opAuthAndCall(ctx context.Context) {
	tok := w.access
	if tok == "" {
		tok = "xoxe.xoxp-1-notatoken"
	}
	_, err := w.client.AuthTest(ctx, tok)
	record(err, false)
	_, err = w.client.Call(ctx, "auth.test", tok, nil)
	record(err, false)
	_, err = w.small.Call(ctx, "apps.manifest.validate", tok, map[string]string{"manifest": `{"display_information":{"name":"soak"}}`})
	record(err, false)
	_, err = w.client.Call(ctx, "no.such.method", tok, map[string]string{"a": "b"})
	record(err, false)
	// A context with a short deadline: the C call gets a timeout.
	c2, cancel := context.WithTimeout(ctx, time.Duration(50+w.rng.Intn(500))*time.Millisecond)
	_, err = w.client.AuthTest(c2, tok)
	cancel()
	record(err, true)
}

func (w *worker) closeRotator() {
	if w.rotator != nil {
		w.rotator.Close()
	}
	if w.store != nil {
		w.store.Close()
	}
	w.rotator, w.store = nil, nil
	ents, _ := os.ReadDir(w.dir)
	for _, e := range ents {
		os.Remove(filepath.Join(w.dir, e.Name()))
	}
}

func (w *worker) opRotator(ctx context.Context) {
	if w.rotator == nil || w.rotatorUses > 50 {
		w.closeRotator()
		r, err := control("config_tokens", map[string]any{})
		if err != nil {
			record(err, false)
			return
		}
		if w.rng.Intn(2) == 0 {
			w.store, err = xoxe.NewMemoryStore()
		} else {
			w.store, err = xoxe.NewFileStore(filepath.Join(w.dir, "pair.json"), 0)
		}
		record(err, false)
		if err != nil {
			return
		}
		err = w.store.Init(xoxe.ChainConfig, str(r, "refresh_token"), "", time.Time{}, false)
		record(err, false)
		if err == nil {
			w.rotator, err = xoxe.NewConfigRotator(w.client, w.store, &xoxe.RotatorOptions{WaitTimeout: 10 * time.Second})
			record(err, false)
		}
		if err != nil {
			w.closeRotator()
			return
		}
		w.rotatorUses = 0
	}
	w.rotatorUses++
	for i := 0; i < 1000; i++ {
		_, _, err := w.rotator.Get(ctx)
		record(err, false)
		if err != nil {
			if errors.Is(err, xoxe.ErrChainDead) || w.rng.Intn(3) == 0 {
				w.closeRotator()
			}
			return
		}
	}
}

func (w *worker) opErrors(ctx context.Context) {
	_, err := w.client.ToolingTokensRotate(ctx, "xoxe-1-not-a-real-refresh-token")
	record(err, false)
	_, err = w.client.AuthTest(ctx, "xoxb-not-a-real-token")
	record(err, false)
	_, err = w.client.ToolingTokensRotate(ctx, "")
	record(err, true)
	_, err = w.client.AuthTest(ctx, "nul\x00inside")
	record(err, true)
	_, err = w.client.AuthTest(ctx, "xox\xff\xfe")
	record(err, true)
	_, err = xoxe.NewClient(xoxe.WithBaseURL("http://example.com/api/"))
	record(err, true)
	_, err = xoxe.NewClient(xoxe.WithBaseURL(cfg.BaseURL), xoxe.WithCABundle("/nonexistent/ca.pem"))
	record(err, true)
	_, err = w.client.Call(ctx, "", "", nil)
	record(err, true)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = w.client.AuthTest(cancelled, "xoxb-x")
	record(err, true)
	_, err = xoxe.NewFileStore("", 0)
	record(err, true)
}

func (w *worker) run(wg *sync.WaitGroup) {
	defer wg.Done()
	https := w.n%2 == 1 && caFile != "" && cfg.TLSBaseURL != ""
	url := cfg.BaseURL
	if https {
		url = cfg.TLSBaseURL
	}
	w.client = newClient(url, https, 0)
	w.small = newClient(url, https, 1<<20)
	var err error
	if w.dir, err = os.MkdirTemp("", "xoxe-soak-go-"); err != nil {
		os.Exit(3)
	}
	ctx := context.Background()
	ops := []func(context.Context){w.opRotate, w.opExchangeRefresh, w.opAuthAndCall, w.opRotator, w.opErrors}
	for i := 0; time.Now().Before(deadline); i++ {
		ops[i%len(ops)](ctx)
	}
	w.closeRotator()
	w.client.Close()
	w.small.Close()
	os.RemoveAll(w.dir)
}

func rssKB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}

// goHeldKB is the memory the Go runtime holds from the OS (Sys - HeapReleased) and
// its live heap (HeapAlloc), in KiB: RSS minus the first is roughly the C side.
func goHeldKB() (held, live uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return (m.Sys - m.HeapReleased) / 1024, m.HeapAlloc / 1024
}

func sample(w io.Writer, start time.Time) {
	held, live := goHeldKB()
	fmt.Fprintf(w, "%.0f,%d,%d,%d,%d\n", time.Since(start).Seconds(), rssKB(), calls.Load(), held, live)
}

func main() {
	out := os.Getenv("SOAK_OUT")
	b, err := os.ReadFile(os.Getenv("SOAK_READY"))
	if err != nil || out == "" {
		fmt.Fprintln(os.Stderr, "set SOAK_READY and SOAK_OUT")
		os.Exit(2)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		os.Exit(2)
	}
	caFile = os.Getenv("SOAK_CA")
	secs, err := strconv.ParseFloat(os.Getenv("SOAK_SECONDS"), 64)
	if err != nil {
		secs = 600
	}
	threads, err := strconv.Atoi(os.Getenv("SOAK_THREADS"))
	if err != nil {
		threads = 4
	}
	if err := xoxe.SetLogger(func(level xoxe.LogLevel, msg string) {
		if msg != "" {
			logLines.Add(1)
		}
	}, xoxe.LogInfo); err != nil {
		os.Exit(3)
	}
	start := time.Now()
	deadline = start.Add(time.Duration(secs * float64(time.Second)))
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		w := &worker{n: i, rng: rand.New(rand.NewSource(int64(i) + 1))}
		go w.run(&wg)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	csv, err := os.Create(filepath.Join(out, "soak-go.csv"))
	if err != nil {
		os.Exit(3)
	}
	fmt.Fprintln(csv, "elapsed_s,rss_kb,calls,go_held_kb,go_heap_live_kb")
	tick := time.NewTicker(10 * time.Second)
	sample(csv, start)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			sample(csv, start)
		}
	}
	runtime.GC()
	sample(csv, start)
	csv.Close()
	_ = xoxe.SetLogger(nil, 0)
	res := map[string]any{"lang": "go", "calls": calls.Load(), "ok": oks.Load(), "errors": errCounts,
		"unexpected": unexpected, "log_lines": logLines.Load()}
	j, _ := json.MarshalIndent(res, "", " ")
	if err := os.WriteFile(filepath.Join(out, "soak-go.json"), j, 0o644); err != nil {
		os.Exit(3)
	}
	fmt.Printf("go: %d calls, %d ok\n", calls.Load(), oks.Load())
}
