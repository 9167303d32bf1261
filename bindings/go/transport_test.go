package xoxe_test

// The http.RoundTripper for HTTP client libraries (slack-go: tests/slackgo):
// plain net/http requests through a Transport to the fake Slack's auth.test,
// each carrying its token another way; requests that must not get a token; a
// pool choosing the chain from the request's context; and a request cancelled
// while a slow rotation is under way.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// placeholder is the token a program gives its HTTP client library; the
// Transport replaces it.
const placeholder = "xoxe-managed"

// sent is a request as the Transport handed it to its base.
type sent struct {
	method, url, rawQuery string
	header                http.Header
	body                  []byte
	contentLength         int64
	getBody               []byte // what GetBody gave (nil: no GetBody)
}

// recorder is a base RoundTripper that records what it sends.
type recorder struct {
	mu   sync.Mutex
	sent []sent
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	s := sent{method: req.Method, url: req.URL.String(), rawQuery: req.URL.RawQuery, header: req.Header.Clone(), contentLength: req.ContentLength}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		s.body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		s.getBody, _ = io.ReadAll(rc)
		rc.Close()
	}
	r.mu.Lock()
	r.sent = append(r.sent, s)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// last is the last request sent; it fails t when none was.
func (r *recorder) last(t *testing.T) sent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		t.Fatal("the Transport sent nothing")
	}
	return r.sent[len(r.sent)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// countingSource is a TokenSource that counts its calls.
type countingSource struct {
	xoxe.TokenSource
	calls atomic.Int32
}

func (c *countingSource) Token(ctx context.Context) (xoxe.Secret, time.Time, error) {
	c.calls.Add(1)
	return c.TokenSource.Token(ctx)
}

// identity is what auth.test answered.
type identity struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	UserID string `json:"user_id"`
	TeamID string `json:"team_id"`
	BotID  string `json:"bot_id"`
}

// do sends req with client and decodes auth.test's answer.
func do(t *testing.T, client *http.Client, req *http.Request) identity {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	var id identity
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil {
		t.Fatalf("%s: decoding the answer (HTTP %d): %v", req.URL.Path, resp.StatusCode, err)
	}
	return id
}

func newRequest(t *testing.T, ctx context.Context, method, url, contentType, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// configRotator is a rotator on the fake Slack over a new config chain in a
// memory store (its first Get rotates), with the chain's store handle.
func configRotator(t *testing.T) (*xoxe.Rotator, *xoxe.Store) {
	t.Helper()
	store := keepStore(t)(xoxe.NewMemoryStore())
	chain := keepStore(t)(store.OpenChain(uniqueChain("transport")))
	if err := chain.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	r, err := xoxe.NewConfigRotator(newClient(t), chain, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, store
}

// current is the rotator's token now.
func current(t *testing.T, r *xoxe.Rotator) string {
	t.Helper()
	tok, _, err := r.Current()
	if err != nil || tok.IsZero() {
		t.Fatalf("Current: %v", err)
	}
	return tok.Reveal()
}

// TestTransportPutsTheTokenWhereTheRequestCarriedIt: a Bearer header, a token
// query parameter and a token form field are each replaced by the rotator's
// token — only there, the rest of the request as it was — and auth.test
// accepts it; a request that carried none gets the header. The caller's
// request is never modified.
func TestTransportPutsTheTokenWhereTheRequestCarriedIt(t *testing.T) {
	r, _ := configRotator(t)
	rec := &recorder{}
	tr := xoxe.NewTransport(r, rec)
	tr.APIURL = fake.BaseURL
	client := &http.Client{Transport: tr}
	authTest := fake.BaseURL + "auth.test"

	t.Run("header", func(t *testing.T) {
		req := newRequest(t, context.Background(), "POST", authTest, "application/json; charset=utf-8", `{"x":1}`)
		req.Header.Set("Authorization", "Bearer "+placeholder)
		if id := do(t, client, req); !id.OK {
			t.Fatalf("auth.test through the Transport: %s", id.Error)
		}
		s := rec.last(t)
		if got := s.header.Get("Authorization"); got != "Bearer "+current(t, r) {
			t.Fatal("the Authorization header does not carry the rotator's token")
		}
		if string(s.body) != `{"x":1}` || s.rawQuery != "" {
			t.Fatalf("the body or query changed: %q, %q", s.body, s.rawQuery)
		}
		if req.Header.Get("Authorization") != "Bearer "+placeholder {
			t.Fatal("the caller's request was modified")
		}
	})

	t.Run("form", func(t *testing.T) {
		const form = "channel=C0123&token=" + placeholder + "&text=a+b%21"
		req := newRequest(t, context.Background(), "POST", authTest, "application/x-www-form-urlencoded", form)
		if id := do(t, client, req); !id.OK {
			t.Fatalf("auth.test through the Transport: %s", id.Error)
		}
		s := rec.last(t)
		want := "channel=C0123&token=" + current(t, r) + "&text=a+b%21"
		if string(s.body) != want || s.contentLength != int64(len(want)) || string(s.getBody) != want {
			t.Fatalf("the form was not rewritten with the token alone replaced (length %d, want %d; GetBody gives the same: %v)",
				s.contentLength, len(want), string(s.getBody) == want)
		}
		if s.header.Get("Authorization") != "" {
			t.Fatal("an Authorization header was added to a request that carried its token in the form")
		}
		if req.ContentLength != int64(len(form)) || req.Header.Get("Authorization") != "" {
			t.Fatal("the caller's request was modified")
		}
	})

	t.Run("query", func(t *testing.T) {
		req := newRequest(t, context.Background(), "GET", authTest+"?pretty=1&token="+placeholder, "", "")
		if id := do(t, client, req); !id.OK {
			t.Fatalf("auth.test through the Transport: %s", id.Error)
		}
		s := rec.last(t)
		if s.rawQuery != "pretty=1&token="+current(t, r) {
			t.Fatal("the token query parameter was not replaced (alone)")
		}
		if s.header.Get("Authorization") != "" {
			t.Fatal("an Authorization header was added to a request that carried its token in the query")
		}
		if req.URL.RawQuery != "pretty=1&token="+placeholder {
			t.Fatal("the caller's request was modified")
		}
	})

	t.Run("none", func(t *testing.T) {
		req := newRequest(t, context.Background(), "POST", authTest, "application/x-www-form-urlencoded", "pretty=1")
		if id := do(t, client, req); !id.OK {
			t.Fatalf("auth.test through the Transport: %s", id.Error)
		}
		s := rec.last(t)
		if s.header.Get("Authorization") != "Bearer "+current(t, r) || string(s.body) != "pretty=1" {
			t.Fatal("a request without a token did not get the header (alone)")
		}
		if req.Header.Get("Authorization") != "" {
			t.Fatal("the caller's request was modified")
		}
	})

	t.Run("multipart", func(t *testing.T) {
		// The fake Slack takes no multipart bodies: an API of its own checks
		// what arrives (as files.remote.add with a preview image sends it).
		type got struct {
			auth, token, file, title string
			err                      error
		}
		arrived := make(chan got, 1)
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			var g got
			g.auth = req.Header.Get("Authorization")
			if g.err = req.ParseMultipartForm(1 << 20); g.err == nil {
				g.token, g.title = req.FormValue("token"), req.FormValue("title")
				if f, _, err := req.FormFile("preview_image"); err == nil {
					b, _ := io.ReadAll(f)
					g.file = string(b)
				}
			}
			arrived <- g
			fmt.Fprint(w, `{"ok":true}`)
		}))
		defer api.Close()
		mp := *tr
		mp.APIURL = api.URL + "/api/"
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("token", placeholder)
		_ = w.WriteField("title", "report")
		fw, _ := w.CreateFormFile("preview_image", "preview.png")
		_, _ = fw.Write([]byte("\x89PNG not really"))
		_ = w.Close()
		req := newRequest(t, context.Background(), "POST", api.URL+"/api/files.remote.add", w.FormDataContentType(), body.String())
		req.Header.Set("Authorization", "Bearer "+placeholder)
		resp, err := (&http.Client{Transport: &mp}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		g := <-arrived
		tok := current(t, r)
		if g.err != nil || g.auth != "Bearer "+tok || g.token != tok || g.title != "report" || g.file != "\x89PNG not really" {
			t.Fatalf("the multipart request arrived changed or with the wrong token (parse error %v; header replaced %v, field replaced %v, other fields intact %v)",
				g.err, g.auth == "Bearer "+tok, g.token == tok, g.title == "report" && g.file == "\x89PNG not really")
		}
	})
}

// TestTransportLeavesOtherRequestsAlone: requests to another host, another
// path of the API's host, another scheme, the methods that take the app's
// credentials, or with another kind of Authorization reach the server exactly
// as they were made, and the token source is never asked.
func TestTransportLeavesOtherRequestsAlone(t *testing.T) {
	type got struct{ auth, query, body string }
	arrived := make(chan got, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		arrived <- got{req.Header.Get("Authorization"), req.URL.RawQuery, string(b)}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer other.Close()
	r, _ := configRotator(t)
	src := &countingSource{TokenSource: r}
	const form = "token=" + placeholder + "&client_id=1.2"
	for _, c := range []struct{ name, apiURL, url, auth string }{
		// A file upload to the URL files.getUploadURLExternal returned.
		{"another host", strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/api/", other.URL + "/upload/v1/abc?token=" + placeholder, "Bearer " + placeholder},
		{"another port", fake.BaseURL, other.URL + "/api/auth.test?token=" + placeholder, "Bearer " + placeholder},
		{"another path", other.URL + "/api/", other.URL + "/files/v1/abc?token=" + placeholder, "Bearer " + placeholder},
		{"another scheme", "https" + strings.TrimPrefix(other.URL, "http") + "/api/", other.URL + "/api/auth.test?token=" + placeholder, ""},
		{"oauth.v2.access", other.URL + "/api/", other.URL + "/api/oauth.v2.access?token=" + placeholder, ""},
		{"tooling.tokens.rotate", other.URL + "/api/", other.URL + "/api/tooling.tokens.rotate", ""},
		{"basic auth", other.URL + "/api/", other.URL + "/api/auth.test?token=" + placeholder, "Basic eDp5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := xoxe.NewTransport(src, nil)
			tr.APIURL = c.apiURL
			req := newRequest(t, context.Background(), "POST", c.url, "application/x-www-form-urlencoded", form)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			g := <-arrived
			if g.auth != c.auth || g.query != req.URL.RawQuery || g.body != form {
				t.Fatal("the request arrived changed")
			}
			if n := src.calls.Load(); n != 0 {
				t.Fatalf("the token source was asked %d times", n)
			}
		})
	}
	// The default API URL is Slack's: the fake Slack's requests are another host's.
	tr := xoxe.NewTransport(src, nil)
	req := newRequest(t, context.Background(), "POST", other.URL+"/api/auth.test", "application/x-www-form-urlencoded", form)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := <-arrived; g.auth != "" || g.body != form || src.calls.Load() != 0 {
		t.Fatal("a Transport with the default API URL changed a request to another host")
	}
}

// TestTransportOverAPoolUsesTheRequestsChain: one Transport over a pool
// serves two chains (an app's bot and user tokens); each request gets the
// token of the chain its context names, as auth.test's ids show. A request
// whose context names no chain fails with a usage error, and nothing is sent.
func TestTransportOverAPoolUsesTheRequestsChain(t *testing.T) {
	c := newClient(t)
	a := newApp(t)
	store := keepStore(t)(xoxe.NewMemoryStore())
	wantUser := map[string]string{}
	for _, kind := range []string{"bot", "user"} {
		ex, err := c.OAuthV2Exchange(ctx(t), a.ClientID, a.ClientSecret, newLegacyToken(t, a.ClientID, kind))
		if err != nil {
			t.Fatal(err)
		}
		chain := kind + "-" + uniqueChain("transport")
		if err := keepStore(t)(store.OpenChain(chain)).Init(xoxe.ChainOAuth, ex.RefreshToken.Reveal(), ex.AccessToken.Reveal(), ex.ExpiresAt, false); err != nil {
			t.Fatal(err)
		}
		wantUser[chain] = cmp.Or(ex.BotUserID, ex.UserID)
	}
	pool, err := xoxe.NewPool(c, store, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rec := &recorder{}
	tr := xoxe.NewTransport(pool, rec)
	tr.APIURL = c.BaseURL()
	client := &http.Client{Transport: tr}
	seen := map[string]bool{}
	for chain, user := range wantUser {
		cx := xoxe.WithChain(ctx(t), chain)
		if got, ok := xoxe.ChainFromContext(cx); !ok || got != chain {
			t.Fatalf("ChainFromContext = %q, %v", got, ok)
		}
		id := do(t, client, newRequest(t, cx, "POST", c.BaseURL()+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder))
		if !id.OK || id.UserID != user || user == "" {
			t.Fatalf("auth.test for chain %s: ok %v (%s), user %q, want %q", chain, id.OK, id.Error, id.UserID, user)
		}
		seen[id.UserID] = true
	}
	if len(seen) != 2 {
		t.Fatal("both chains answered as the same user")
	}

	before := rec.count()
	for _, cx := range []context.Context{context.Background(), xoxe.WithChain(context.Background(), "")} {
		_, err = client.Do(newRequest(t, cx, "POST", c.BaseURL()+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder))
		var e *xoxe.Error
		if !errors.Is(err, xoxe.ErrUsage) || !errors.As(err, &e) || e.Code != xoxe.StatusInvalidArgument || !strings.Contains(e.Message, "WithChain") {
			t.Fatalf("a request without a chain: %v, want a usage error naming WithChain", err)
		}
	}
	if _, ok := xoxe.ChainFromContext(context.Background()); ok {
		t.Fatal("ChainFromContext found a chain in a bare context")
	}
	if n := rec.count() - before; n != 0 {
		t.Fatalf("%d requests without a chain were sent", n)
	}
}

// TestTransportCancelDoesNotAbandonTheRotation: a request whose context is
// cancelled while the rotation its token needs is slow returns
// context.Canceled at once; the rotation finishes and is saved (the store's
// generation goes up), and the next request uses its token without rotating
// again.
func TestTransportCancelDoesNotAbandonTheRotation(t *testing.T) {
	const delay = 2 * time.Second
	r, store := configRotator(t)
	generation := func() uint64 {
		t.Helper()
		chains, err := store.Chains()
		if err != nil || len(chains) != 1 || chains[0].Err != nil {
			t.Fatalf("Chains: %v (%d chains)", err, len(chains))
		}
		return chains[0].Generation
	}
	gen0 := generation()
	rec := &recorder{}
	tr := xoxe.NewTransport(r, rec)
	tr.APIURL = fake.BaseURL
	client := &http.Client{Transport: tr}
	before := getStats(t)
	addFault(t, map[string]any{"method": "tooling.tokens.rotate", "kind": "delay", "delay_ms": delay.Milliseconds()})

	cx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the rotation has reached the fake Slack (which then
		// sleeps), or after a second at the latest.
		defer cancel()
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			var s stats
			if controlErr("GET", "stats", nil, &s) == nil && s.Requests["tooling.tokens.rotate"] > before.Requests["tooling.tokens.rotate"] {
				return
			}
		}
	}()
	start := time.Now()
	_, err := client.Do(newRequest(t, cx, "POST", fake.BaseURL+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder))
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a request cancelled during the rotation: %v, want context.Canceled", err)
	}
	if took > delay/2 {
		t.Fatalf("the cancelled request returned after %v, the rotation's time (%v): it waited for it", took.Round(time.Millisecond), delay)
	}
	if rec.count() != 0 {
		t.Fatal("the cancelled request was sent")
	}
	deadline := time.Now().Add(delay + 30*time.Second)
	for generation() == gen0 {
		if time.Now().After(deadline) {
			t.Fatal("the rotation started by the cancelled request never reached the store")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := getStats(t).Rotations - before.Rotations; n != 1 {
		t.Fatalf("%d rotations, want 1", n)
	}
	if id := do(t, client, newRequest(t, ctx(t), "POST", fake.BaseURL+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder)); !id.OK {
		t.Fatalf("auth.test after the cancelled request: %s", id.Error)
	}
	if n := getStats(t).Rotations - before.Rotations; n != 1 {
		t.Fatalf("%d rotations after the next request, want 1: the saved rotation was not used", n)
	}
	noReuses(t, before)

	// A context cancelled before the request fails at once, asking nothing.
	src := &countingSource{TokenSource: r}
	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	_, err = (&http.Client{Transport: xoxe.NewTransport(src, rec)}).Do(newRequest(t, done, "POST", xoxe.DefaultAPIURL+"auth.test", "", ""))
	if !errors.Is(err, context.Canceled) || src.calls.Load() != 0 {
		t.Fatalf("an already cancelled request: %v (source asked %d times)", err, src.calls.Load())
	}
}

// TestTransportFailsWithTheSourcesError: a token that cannot be had fails the
// request with the source's error before anything is sent.
func TestTransportFailsWithTheSourcesError(t *testing.T) {
	store := keepStore(t)(xoxe.NewMemoryStore()) // never initialised
	r, err := xoxe.NewConfigRotator(newClient(t), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec := &recorder{}
	tr := xoxe.NewTransport(r, rec)
	tr.APIURL = fake.BaseURL
	_, err = (&http.Client{Transport: tr}).Do(newRequest(t, ctx(t), "POST", fake.BaseURL+"auth.test", "", ""))
	if !errors.Is(err, xoxe.ErrStoreEmpty) || rec.count() != 0 {
		t.Fatalf("a request whose token cannot be had: %v (%d sent), want ErrStoreEmpty, nothing sent", err, rec.count())
	}
}

// A Transport gives an HTTP client library — slack-go, or plain net/http as
// here — fresh tokens: it replaces the placeholder token of every Web API
// request. With slack-go:
//
//	api := slack.New("xoxe-managed", slack.OptionHTTPClient(&http.Client{Transport: tr}))
func ExampleNewTransport() {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	store, err := xoxe.NewFileStore(filepath.Join(os.Getenv("STATE_DIRECTORY"), "config-token.json"), 0)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	rotator, err := xoxe.NewConfigRotator(client, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rotator.Close()

	tr := xoxe.NewTransport(rotator, nil)
	tr.APIURL = client.BaseURL() // the client's Web API URL (by default Slack's)
	httpClient := &http.Client{Transport: tr}

	resp, err := httpClient.PostForm(client.BaseURL()+"auth.test", map[string][]string{"token": {"xoxe-managed"}})
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK bool `json:"ok"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		log.Fatal(err)
	}
	fmt.Println("auth.test ok:", answer.OK)
	// Output: auth.test ok: true
}

// TestTransportDefaultsToTheAPIURLOfTheSourcesClient: with APIURL unset, a
// Rotator's requests to its Client's base URL get the token (auth.test
// accepts it), and a request to Slack's own URL does not.
func TestTransportDefaultsToTheAPIURLOfTheSourcesClient(t *testing.T) {
	r, _ := configRotator(t)
	rec := &recorder{}
	client := &http.Client{Transport: xoxe.NewTransport(r, rec)}
	for i := 0; i < 3; i++ {
		req := newRequest(t, ctx(t), "POST", fake.BaseURL+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder)
		if id := do(t, client, req); !id.OK {
			t.Fatalf("auth.test through a transport without APIURL: %s", id.Error)
		}
	}
	if got := string(rec.last(t).body); got == "token="+placeholder {
		t.Fatal("the request to the client's URL kept the placeholder")
	}
	// Slack's URL is not the client's: the request passes untouched (it is
	// refused before leaving this machine, with nothing sent).
	base := &refusing{}
	other := &http.Client{Transport: xoxe.NewTransport(r, base)}
	_, _ = other.Do(newRequest(t, ctx(t), "POST", xoxe.DefaultAPIURL+"auth.test", "application/x-www-form-urlencoded", "token="+placeholder))
	if base.body != "token="+placeholder {
		t.Fatal("a request to another API URL got a token")
	}
}

// refusing is a RoundTripper that records the body it was given and sends
// nothing.
type refusing struct{ body string }

func (r *refusing) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		r.body = string(b)
	}
	return nil, errors.New("not sent")
}
