package xoxe

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TokenSource gives the access token a Web API request is to carry: a
// [*Rotator] (one chain) or a [*Pool] (the chain named by the request's
// context, [WithChain]). [Transport] asks it once per request, so it must be
// cheap while the token is fresh and safe for concurrent use.
type TokenSource interface {
	// Token returns a valid access token and its expiry (this machine's
	// clock). ctx is the request's context.
	Token(ctx context.Context) (Secret, time.Time, error)
}

// Token is [Rotator.Get]: it makes a Rotator a [TokenSource].
func (r *Rotator) Token(ctx context.Context) (Secret, time.Time, error) { return r.Get(ctx) }

// Token is [Pool.Get] of the chain that ctx names ([WithChain]): it makes a
// Pool a [TokenSource] that serves every installation through one
// [Transport]. A context that names no chain fails with an [*Error] in the
// usage family ([ErrUsage], Code StatusInvalidArgument), and a context that
// is already cancelled or past its deadline fails with an error wrapping
// ctx.Err(), both without reading the store.
func (p *Pool) Token(ctx context.Context) (Secret, time.Time, error) {
	const op = "Pool.Token"
	chain, ok := ChainFromContext(ctx)
	if !ok {
		return Secret{}, time.Time{}, usageError(op, "the context names no chain: wrap the request's context with xoxe.WithChain(ctx, chain)")
	}
	if err := ctx.Err(); err != nil {
		return Secret{}, time.Time{}, contextError(op, err)
	}
	return p.Get(chain)
}

// tokenNow and apiURL make the Transport's fast path and default API URL:
// [*Rotator] and [*Pool] implement them; a TokenSource of the caller's need not.
type tokenSourceExtras interface {
	// tokenNow returns the token Token would, only if it can be had without
	// blocking (TryGet).
	tokenNow(ctx context.Context) (Secret, bool)
	// apiURL is the base URL of the source's Client.
	apiURL() string
}

func (r *Rotator) tokenNow(context.Context) (Secret, bool) {
	tok, _, ok, err := r.TryGet() // the kept token first (see Get)
	return tok, ok && err == nil
}

func (r *Rotator) apiURL() string { return r.baseURL }

func (p *Pool) tokenNow(ctx context.Context) (Secret, bool) {
	chain, named := ChainFromContext(ctx)
	if !named {
		return Secret{}, false
	}
	tok, _, ok, err := p.TryGet(chain)
	return tok, ok && err == nil
}

func (p *Pool) apiURL() string { return p.baseURL }

// chainKey is the context key of WithChain.
type chainKey struct{}

// WithChain returns a copy of ctx that names the chain whose token a
// [Transport] over a [Pool] puts on requests made with it (e.g. the
// installation's chain, [InstallationChain]). "" names none.
func WithChain(ctx context.Context, chain string) context.Context {
	return context.WithValue(ctx, chainKey{}, chain)
}

// ChainFromContext returns the chain ctx names ([WithChain]) and whether it
// names one.
func ChainFromContext(ctx context.Context) (string, bool) {
	chain, _ := ctx.Value(chainKey{}).(string)
	return chain, chain != ""
}

// DefaultAPIURL is the Web API base URL a [Transport] puts tokens on when
// neither its APIURL nor its source names one: Slack's, as for a [Client]
// without options (and slack-go's default, slack.APIURL).
const DefaultAPIURL = "https://slack.com/api/"

// credentialMethods authenticate with the app's credentials or a refresh
// token, not an access token: a Transport passes them through untouched (and
// asks its TokenSource nothing), so an OAuth install or a token exchange made
// through the same HTTP client works without a chain.
var credentialMethods = map[string]bool{
	"oauth.access":          true,
	"oauth.v2.access":       true,
	"oauth.v2.exchange":     true,
	"openid.connect.token":  true,
	"tooling.tokens.rotate": true,
}

// Transport is an [http.RoundTripper] that puts a fresh access token from a
// [TokenSource] on every request to the Slack Web API, so an HTTP client
// library (slack-go, or plain net/http) gets xoxe's rotation without knowing
// about it:
//
//	rotator, _ := xoxe.NewOAuthRotator(client, store, clientID, clientSecret, nil)
//	api := slack.New("xoxe-managed", slack.OptionHTTPClient(&http.Client{
//		Transport: xoxe.NewTransport(rotator, nil),
//	}))
//	api.PostMessageContext(ctx, "C0123", slack.MsgOptionText("hi", false))
//
// The token given to slack.New is a placeholder: the Transport replaces it.
//
// Only requests to the API URL get a token: same scheme, host and port as
// the API URL and a path under its path (APIURL; when "", the base URL of the
// Rotator's or Pool's [Client]; for another TokenSource, [DefaultAPIURL]). Any
// other request — a file upload to the URL files.getUploadURLExternal
// returned, a response_url, a webhook, another API URL — passes through
// untouched, so the token never reaches another host. So do requests whose
// Authorization header is not "Bearer …" (they authenticate another way) and
// calls of oauth.access, oauth.v2.access, oauth.v2.exchange,
// openid.connect.token and tooling.tokens.rotate, which take the app's
// credentials or a refresh token instead.
//
// Every other API request gets the token wherever it carried one: an
// "Authorization: Bearer …" header, a token query parameter, a token field of
// an application/x-www-form-urlencoded body or of a multipart/form-data body
// (each replaced; bodies rewritten with their ContentLength and GetBody). A
// request that carried none, or only a multipart body, gets the header. The
// caller's request is never modified: the Transport sends a clone.
//
// The token comes from Source.Token with the request's context; a Rotator's
// or Pool's fresh token is taken without blocking (TryGet). Otherwise, when
// that context can be cancelled, the fetch runs in its own goroutine: a request
// cancelled while a rotation is under way returns ctx.Err() at once, and the
// rotation finishes and is saved all the same (a spent refresh token cannot be
// un-spent; the next request gets the new token). A failed fetch fails the
// request with the source's error (an [*Error]) before anything is sent.
//
// Set the fields before the first request and do not change them after. A
// Transport is safe for concurrent use.
type Transport struct {
	// Source gives each request's token.
	Source TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// APIURL is the Web API base URL whose requests get a token; "" means
	// the base URL of the Client the Rotator or Pool was made with (for
	// another TokenSource, DefaultAPIURL). It must match the API URL the
	// HTTP client library calls (slack-go: slack.OptionAPIURL), or no request
	// gets a token.
	APIURL string
}

// NewTransport returns a [Transport] that puts tokens from tokens on requests
// to the API URL of their Client (a Rotator's or Pool's; another TokenSource:
// [DefaultAPIURL], or set APIURL) and sends them with base (nil:
// http.DefaultTransport).
func NewTransport(tokens TokenSource, base http.RoundTripper) *Transport {
	return &Transport{Source: tokens, Base: base}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip sends req, with a fresh token when it is a Web API request (see
// [Transport]). It never modifies req, and it closes req's body, as an
// [http.RoundTripper] must, also when it fails before sending.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	const op = "Transport.RoundTrip"
	if !t.wantsToken(req) {
		return t.base().RoundTrip(req)
	}
	fail := func(err error) (*http.Response, error) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if t.Source == nil {
		return fail(usageError(op, "the Transport has no TokenSource"))
	}
	ctx := req.Context()
	token, err := t.token(ctx)
	if err != nil {
		return fail(err)
	}
	tok := token.Reveal()
	if tok == "" {
		return fail(usageError(op, "the TokenSource returned an empty token"))
	}
	if strings.ContainsAny(tok, "\r\n") { // it goes into a header
		return fail(usageError(op, "the TokenSource returned a token with a line break"))
	}

	// A shallow copy; its headers and URL are copied before they are changed
	// (the base RoundTripper, like this one, changes neither).
	out := req.WithContext(ctx)
	setAuthorization := func() {
		out.Header = req.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		out.Header.Set("Authorization", "Bearer "+tok)
	}
	placed := false
	if req.Header.Get("Authorization") != "" {
		setAuthorization()
		placed = true
	}
	if req.URL != nil {
		if q, ok := replaceToken(req.URL.RawQuery, tok); ok {
			u := *req.URL
			u.RawQuery = q
			out.URL = &u
			placed = true
		}
	}
	if req.Body != nil && req.Body != http.NoBody {
		mediaType, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		switch {
		case mediaType == "application/x-www-form-urlencoded":
			form, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, err
			}
			if f, ok := replaceToken(string(form), tok); ok {
				form, placed = []byte(f), true
			}
			out.Body = io.NopCloser(bytes.NewReader(form))
			out.ContentLength = int64(len(form))
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(form)), nil }
		case mediaType == "multipart/form-data" && params["boundary"] != "":
			// Streamed: a file upload may be large, and its length is not known
			// until the rewritten body has been sent.
			boundary := params["boundary"]
			out.Body = rewriteMultipart(req.Body, boundary, tok)
			out.ContentLength = -1
			out.GetBody = nil
			if getBody := req.GetBody; getBody != nil {
				out.GetBody = func() (io.ReadCloser, error) {
					body, err := getBody()
					if err != nil {
						return nil, err
					}
					return rewriteMultipart(body, boundary, tok), nil
				}
			}
		}
	}
	if !placed {
		setAuthorization()
	}
	return t.base().RoundTrip(out)
}

// CloseIdleConnections closes the idle connections of Base (or of
// http.DefaultTransport), if it can; [http.Client.CloseIdleConnections]
// calls it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// apiURL is the Web API base URL whose requests get a token: APIURL, else
// the base URL of the Rotator's or Pool's Client, else DefaultAPIURL.
func (t *Transport) apiURL() string {
	if t.APIURL != "" {
		return t.APIURL
	}
	if x, ok := t.Source.(tokenSourceExtras); ok {
		return cmp.Or(x.apiURL(), DefaultAPIURL)
	}
	return DefaultAPIURL
}

// apiURLs caches the parsed API URLs of Transports (a program has one or a
// few; past maxAPIURLs more are parsed on every request).
var (
	apiURLs    sync.Map // string -> *url.URL (nil when it does not parse)
	apiURLsLen atomic.Int32
)

const maxAPIURLs = 64

// parseAPIURL is url.Parse(raw), cached; nil when it fails.
func parseAPIURL(raw string) *url.URL {
	if u, ok := apiURLs.Load(raw); ok {
		return u.(*url.URL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		u = nil
	}
	if apiURLsLen.Load() < maxAPIURLs {
		if _, loaded := apiURLs.LoadOrStore(raw, u); !loaded {
			apiURLsLen.Add(1)
		}
	}
	return u
}

// wantsToken reports whether req is a Web API request that gets a token.
func (t *Transport) wantsToken(req *http.Request) bool {
	api := parseAPIURL(t.apiURL()) // shared: read only
	if api == nil || req.URL == nil || api.Host == "" {
		return false
	}
	if !strings.EqualFold(req.URL.Scheme, api.Scheme) || !sameHost(req.URL, api) {
		return false
	}
	prefix := api.Path
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	method, ok := strings.CutPrefix(req.URL.Path, prefix)
	if !ok || method == "" || credentialMethods[strings.TrimSuffix(method, "/")] {
		return false
	}
	if a := req.Header.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(strings.TrimSpace(a), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return false
		}
	}
	return true
}

// sameHost reports whether u and api name the same host and port (a default
// port written out or left out is the same).
func sameHost(u, api *url.URL) bool {
	port := func(x *url.URL) string {
		if p := x.Port(); p != "" {
			return p
		}
		switch strings.ToLower(x.Scheme) {
		case "https":
			return "443"
		case "http":
			return "80"
		}
		return ""
	}
	return strings.EqualFold(u.Hostname(), api.Hostname()) && port(u) == port(api)
}

// token asks the source for ctx's token. When ctx can be cancelled, a token
// fresh in memory is taken without blocking (tokenNow), else the fetch runs in
// a goroutine of its own, so that cancellation returns at once while a
// rotation the fetch started finishes (and is saved) in the background.
func (t *Transport) token(ctx context.Context) (Secret, error) {
	if ctx.Done() == nil { // cannot be cancelled: Token (Get) keeps a fresh token for the next request
		tok, _, err := t.Source.Token(ctx)
		return tok, err
	}
	if x, ok := t.Source.(tokenSourceExtras); ok && ctx.Err() == nil {
		if tok, fresh := x.tokenNow(ctx); fresh {
			return tok, nil // fresh in memory: no goroutine needed
		}
	}
	if err := ctx.Err(); err != nil {
		return Secret{}, err
	}
	type result struct {
		tok Secret
		err error
	}
	done := make(chan result, 1) // the fetch never blocks on a request that has gone
	go func() {
		tok, _, err := t.Source.Token(ctx)
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return Secret{}, ctx.Err()
	}
}

// replaceToken replaces the value of every token field of an
// application/x-www-form-urlencoded string (a body or a raw query), leaving
// the other fields byte for byte, and reports whether there was one.
func replaceToken(form, token string) (string, bool) {
	if form == "" {
		return form, false
	}
	fields := strings.Split(form, "&")
	found := false
	for i, f := range fields {
		key, _, _ := strings.Cut(f, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == "token" {
			fields[i] = "token=" + url.QueryEscape(token)
			found = true
		}
	}
	if !found {
		return form, false
	}
	return strings.Join(fields, "&"), true
}

// rewriteMultipart streams body, a multipart body with boundary, with the
// value of every token form field (not a file) replaced by token. It closes
// body when done. Parts are copied as they are (raw, headers included); a
// body that is not valid multipart fails the request as it is read.
func rewriteMultipart(body io.ReadCloser, boundary, token string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		defer body.Close()
		pw.CloseWithError(copyMultipart(pw, body, boundary, token))
	}()
	return pr
}

func copyMultipart(dst io.Writer, src io.Reader, boundary, token string) error {
	r := multipart.NewReader(src, boundary)
	w := multipart.NewWriter(dst)
	if err := w.SetBoundary(boundary); err != nil {
		return err
	}
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			return w.Close()
		}
		if err != nil {
			return err
		}
		pw, err := w.CreatePart(part.Header)
		if err != nil {
			return err
		}
		if part.FormName() == "token" && part.FileName() == "" {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return err
			}
			_, err = io.WriteString(pw, token)
		} else {
			_, err = io.Copy(pw, part)
		}
		if err != nil {
			return err
		}
	}
}
