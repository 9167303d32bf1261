package xoxe_test

// OAuth installs against the fake Slack: an authorization code the fake mints
// is traded for an installation's tokens (Client.OAuthV2Access,
// Pool.InstallCode), whose chains a pool saves, serves, rotates across expiry
// and uninstalls (auth.revoke) — for a workspace install with bot and user
// tokens, an org-wide install and a user-token-only install. Also Slack's
// refusals of a code, AuthRevoke, saving from the raw answer after a failed
// save, printing without secrets, and misuse.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// installTTL is the token lifetime of the rotation tests: short enough to wait out.
const installTTL = 4

// installStats are the fake Slack's install counters.
type installStats struct {
	Installs    int `json:"installs"`
	CodeReuses  int `json:"code_reuses"`
	Revocations int `json:"revocations"`
	Refreshes   int `json:"refreshes"`
}

// mintCode asks the fake Slack for an authorization code for a (the
// CodeSpec of tools/fake-slack: bot, user, team_id, enterprise_id,
// is_enterprise_install, redirect_uri, ttl_secs, incoming_webhook…).
func mintCode(t testing.TB, a app, spec map[string]any) string {
	t.Helper()
	body := map[string]any{"client_id": a.ClientID}
	for k, v := range spec {
		body[k] = v
	}
	var r struct {
		Code string `json:"code"`
	}
	control(t, "POST", "authorization_code", body, &r)
	return r.Code
}

// shortTokens makes the tokens the fake issues from now on live installTTL
// seconds, until the test ends.
// skipInShortMode skips a test that mostly waits (for tokens to expire, or a
// fault matrix already run): `make test-go`'s second pass, under GOGC=1 and
// cgocheck, runs with -test.short to look for pointer bugs in the rest.
func skipInShortMode(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("mostly waits; run without -short")
	}
}

func shortTokens(t *testing.T) {
	control(t, "POST", "ttl", map[string]any{"ttl": installTTL}, nil)
	t.Cleanup(func() { control(t, "POST", "ttl", map[string]any{"ttl": 43200}, nil) })
}

// installSecrets are the secrets an install holds, for leak checks.
func installSecrets(in *xoxe.Install) []string {
	out := []string{in.RawJSON.Reveal()}
	for _, tok := range []*xoxe.InstalledToken{in.Bot, userToken(in)} {
		if tok != nil {
			out = append(out, tok.AccessToken.Reveal(), tok.RefreshToken.Reveal())
		}
	}
	if in.IncomingWebhook != nil {
		out = append(out, in.IncomingWebhook.URL.Reveal())
	}
	return out
}

func userToken(in *xoxe.Install) *xoxe.InstalledToken {
	if in.AuthedUser == nil {
		return nil
	}
	return in.AuthedUser.Token
}

// noLeaks fails when any fmt rendering of the values shows a secret (never
// printing either).
func noLeaks(t *testing.T, secrets []string, values ...any) {
	t.Helper()
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			for j, s := range secrets {
				if s != "" && strings.Contains(out, s) {
					t.Fatalf("value #%d printed with %s shows secret #%d", i, verb, j)
				}
			}
		}
	}
}

func statsNow(t testing.TB) installStats {
	var s installStats
	control(t, "GET", "stats", nil, &s)
	return s
}

// TestInstallGetRotateUninstall: for each kind of install, through the client
// then Pool.Install or through Pool.InstallCode, every chain is saved under
// its canonical name, served as installed, rotated once across expiry, and
// uninstalled: its token is revoked and the chain is gone.
func TestInstallGetRotateUninstall(t *testing.T) {
	kinds := []struct {
		name         string
		spec         map[string]any
		bot          bool // a bot token (every kind has the installing user's)
		orgWide      bool
		team, userID string
		enterpriseID string
	}{
		{name: "workspace", spec: map[string]any{"team_id": "T0GOWS", "team_name": "Go Workspace", "user_id": "U0GOWS"}, bot: true, team: "T0GOWS", userID: "U0GOWS"},
		{name: "org-wide", spec: map[string]any{"enterprise_id": "E0GOORG", "is_enterprise_install": true, "user_id": "W0GOORG"}, bot: true, orgWide: true, userID: "W0GOORG", enterpriseID: "E0GOORG"},
		{name: "user-only", spec: map[string]any{"bot": false, "team_id": "T0GOUSR", "user_id": "U0GOUSR"}, team: "T0GOUSR", userID: "U0GOUSR"},
	}
	for i, k := range kinds {
		for _, via := range []string{"client", "pool"} {
			if testing.Short() && (i > 0 || via != "pool") {
				continue // the short pass (GOGC=1) runs one kind: each waits out its tokens
			}
			t.Run(k.name+"/"+via, func(t *testing.T) {
				shortTokens(t)
				a := newApp(t)
				c := newClient(t)
				var store *xoxe.Store
				if via == "client" {
					store = keepStore(t)(xoxe.NewMemoryStore())
				} else {
					store = keepStore(t)(xoxe.NewDirectoryStore(t.TempDir(), "", 10*time.Second))
				}
				pool, err := xoxe.NewPool(c, store, a.ClientID, a.ClientSecret)
				if err != nil {
					t.Fatal(err)
				}
				defer pool.Close()
				spec := map[string]any{"scopes": "chat:write", "user_scopes": "search:read"}
				for key, v := range k.spec {
					spec[key] = v
				}
				code := mintCode(t, a, spec)
				before := statsNow(t)
				var in *xoxe.Install
				var names []string
				if via == "client" {
					in, err = c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, code, "")
					if err != nil {
						t.Fatalf("OAuthV2Access: %v", err)
					}
					if names, err = pool.Install(in); err != nil {
						t.Fatalf("Pool.Install: %v", err)
					}
				} else {
					if in, err = pool.InstallCode(code, ""); err != nil {
						t.Fatalf("Pool.InstallCode: %v", err)
					}
					names = in.Chains()
				}
				if n := statsNow(t).Installs - before.Installs; n != 1 {
					t.Fatalf("%d installs at Slack, want 1", n)
				}

				// What Slack said, copied out.
				if in.AppID != a.AppID || in.IsEnterpriseInstall != k.orgWide || in.TeamID != k.team || in.EnterpriseID != k.enterpriseID {
					t.Fatalf("install: %v", in)
				}
				if in.AuthedUser == nil || in.AuthedUser.ID != k.userID || in.IncomingWebhook != nil || in.ReceivedAt.IsZero() {
					t.Fatalf("install: %v", in)
				}
				if !strings.HasPrefix(in.RawJSON.Reveal(), "{") {
					t.Fatal("RawJSON is not Slack's JSON answer")
				}
				botChain, err := xoxe.InstallationChain(in.EnterpriseID, in.TeamID, k.orgWide, "")
				if err != nil {
					t.Fatal(err)
				}
				userChain, err := xoxe.InstallationChain(in.EnterpriseID, in.TeamID, k.orgWide, k.userID)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				if k.bot {
					want = append(want, botChain)
				}
				want = append(want, userChain)
				if fmt.Sprint(names) != fmt.Sprint(want) || fmt.Sprint(in.Chains()) != fmt.Sprint(want) {
					t.Fatalf("chains %v (install says %v), want %v", names, in.Chains(), want)
				}
				installed := map[string]*xoxe.InstalledToken{userChain: in.AuthedUser.Token}
				if k.bot {
					b := in.Bot
					if b == nil || b.Chain != botChain || b.BotUserID == "" || !strings.HasPrefix(b.AccessToken.Reveal(), "xoxe.xoxb-") ||
						b.RefreshToken.IsZero() || b.ExpiresIn != installTTL*time.Second || !b.ExpiresAt.Equal(in.ReceivedAt.Add(b.ExpiresIn)) ||
						!strings.Contains(b.Scope, "chat:write") {
						t.Fatalf("bot token: %v", b)
					}
					installed[botChain] = b
				} else if in.Bot != nil {
					t.Fatalf("a user-only install has a bot token: %v", in)
				}
				u := in.AuthedUser.Token
				if u == nil || u.Chain != userChain || in.AuthedUser.Chain != userChain || !strings.HasPrefix(u.AccessToken.Reveal(), "xoxe.xoxp-") ||
					u.BotUserID != "" || !strings.Contains(in.AuthedUser.Scope, "search:read") {
					t.Fatalf("user: %v", in.AuthedUser)
				}
				noLeaks(t, installSecrets(in), in, *in, in.Bot, in.AuthedUser, u)

				// Saved: every chain is served as installed, and its token works.
				listed, err := store.Chains()
				if err != nil || len(listed) != len(names) {
					t.Fatalf("Chains: %v, %d chains, want %d", err, len(listed), len(names))
				}
				for _, ch := range listed {
					if installed[ch.Chain] == nil || ch.Kind != xoxe.ChainOAuth || ch.Revoked != "" || ch.Err != nil {
						t.Fatalf("Chains lists %+v", ch)
					}
				}
				for _, name := range names {
					tok, _, err := pool.Get(name)
					if err != nil || !tok.Equal(installed[name].AccessToken) {
						t.Fatalf("Get(%s): %v (the installed token: %v)", name, err, tok.Equal(installed[name].AccessToken))
					}
					if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
						t.Fatalf("auth.test with %s's token: %v", name, err)
					}
				}

				// Across expiry: each chain rotates once, and its new token works.
				time.Sleep(installTTL*time.Second + 500*time.Millisecond)
				fresh := map[string]xoxe.Secret{}
				for _, name := range names {
					tok, _, err := pool.Get(name)
					if err != nil || tok.Equal(installed[name].AccessToken) {
						t.Fatalf("Get(%s) after expiry: %v (rotated: %v)", name, err, err == nil)
					}
					if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
						t.Fatalf("auth.test with %s's rotated token: %v", name, err)
					}
					fresh[name] = tok
				}
				if n := statsNow(t).Refreshes - before.Refreshes; n != len(names) {
					t.Fatalf("%d refreshes, want one per chain (%d)", n, len(names))
				}

				// Uninstall: revoked at Slack, gone from the store.
				for _, name := range names {
					if removed, err := pool.Uninstall(name); err != nil || !removed {
						t.Fatalf("Uninstall(%s): %v, %v", name, removed, err)
					}
					if _, err := c.AuthTest(ctx(t), fresh[name].Reveal()); !errors.Is(err, xoxe.ErrSlackAPI) {
						t.Fatalf("auth.test after Uninstall(%s): %v", name, err)
					} else {
						wantCode(t, err, xoxe.StatusTokenRevoked)
					}
					if _, _, err := pool.Get(name); !errors.Is(err, xoxe.ErrStoreEmpty) {
						t.Fatalf("Get(%s) after Uninstall: %v", name, err)
					}
				}
				if listed, err := store.Chains(); err != nil || len(listed) != 0 {
					t.Fatalf("Chains after Uninstall: %v, %+v", err, listed)
				}
				if n := statsNow(t).Revocations - before.Revocations; n != len(names) {
					t.Fatalf("%d revocations, want %d", n, len(names))
				}
			})
		}
	}
}

// TestInstallRefusals: Slack's refusals of a code have their sentinels and
// save nothing; a code refused for its redirect URI stays good.
func TestInstallRefusals(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	store := keepStore(t)(xoxe.NewMemoryStore())
	pool, err := xoxe.NewPool(c, store, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, "not-a-code", ""); !errors.Is(err, xoxe.ErrInvalidCode) || !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("an unknown code: %v", err)
	}
	if _, err := pool.InstallCode(mintCode(t, a, map[string]any{"ttl_secs": 0}), ""); !errors.Is(err, xoxe.ErrInvalidCode) {
		t.Fatalf("an expired code: %v", err)
	}
	if _, err := pool.InstallCode(mintCode(t, newApp(t), nil), ""); !errors.Is(err, xoxe.ErrInvalidCode) {
		t.Fatalf("another app's code: %v", err)
	}
	const uri = "https://app.example/slack/oauth"
	code := mintCode(t, a, map[string]any{"redirect_uri": uri})
	if _, err := pool.InstallCode(code, "https://evil.example/oauth"); !errors.Is(err, xoxe.ErrBadRedirectURI) {
		t.Fatalf("another redirect URI: %v", err)
	} else {
		wantCode(t, err, xoxe.StatusBadRedirectURI)
	}
	if _, err := pool.InstallCode(code, ""); !errors.Is(err, xoxe.ErrBadRedirectURI) {
		t.Fatalf("no redirect URI where the authorization named one: %v", err)
	}
	in, err := pool.InstallCode(code, uri)
	if err != nil {
		t.Fatalf("the code after refusals for its redirect URI: %v", err)
	}
	before := statsNow(t)
	if _, err := pool.InstallCode(code, uri); !errors.Is(err, xoxe.ErrCodeAlreadyUsed) {
		t.Fatalf("a code used twice: %v", err)
	}
	if _, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, code, uri); !errors.Is(err, xoxe.ErrCodeAlreadyUsed) {
		t.Fatalf("a code used twice through the client: %v", err)
	}
	if n := statsNow(t).CodeReuses - before.CodeReuses; n != 2 {
		t.Fatalf("%d code reuses at Slack, want 2", n)
	}
	listed, err := store.Chains()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range listed {
		got = append(got, ch.Chain)
	}
	want := in.Chains()
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("chains after refusals: %v, want only the install's %v", got, want)
	}
	if _, err := c.OAuthV2Access(ctx(t), a.ClientID, "wrong", mintCode(t, a, nil), ""); !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("a wrong client secret: %v", err)
	} else {
		wantCode(t, err, xoxe.StatusBadClientSecret)
	}
	// An app whose tokens do not rotate cannot be installed; Slack's answer is kept.
	var static app
	control(t, "POST", "apps", map[string]any{"rotation_enabled": false}, &static)
	_, err = c.OAuthV2Access(ctx(t), static.ClientID, static.ClientSecret, mintCode(t, static, nil), "")
	e := wantCode(t, err, xoxe.StatusTokenRotationNotEnabled)
	if !strings.Contains(e.ResponseJSON, `"access_token"`) {
		t.Fatal("the refused install's answer is not in ResponseJSON")
	}
	mustNotLeak(t, "the error", fmt.Sprintf("%v %+v", err, err), e.ResponseJSON)
}

// TestInstallAuthRevoke: a test revocation revokes nothing; a real one kills
// the token's chain and nothing else.
func TestInstallAuthRevoke(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	in, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, mintCode(t, a, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	bot := in.Bot.AccessToken.Reveal()
	if revoked, err := c.AuthRevoke(ctx(t), bot, true); err != nil || revoked {
		t.Fatalf("AuthRevoke(test): %v, %v", revoked, err)
	}
	if _, err := c.AuthTest(ctx(t), bot); err != nil {
		t.Fatalf("auth.test after a test revocation: %v", err)
	}
	if revoked, err := c.AuthRevoke(ctx(t), bot, false); err != nil || !revoked {
		t.Fatalf("AuthRevoke: %v, %v", revoked, err)
	}
	_, err = c.AuthTest(ctx(t), bot)
	wantCode(t, err, xoxe.StatusTokenRevoked)
	_, err = c.AuthRevoke(ctx(t), bot, false)
	wantCode(t, err, xoxe.StatusTokenRevoked)
	// The bot's refresh token went with it (the whole chain); the user's token did not.
	if _, err := c.OAuthV2Refresh(ctx(t), a.ClientID, a.ClientSecret, in.Bot.RefreshToken.Reveal()); !errors.Is(err, xoxe.ErrInvalidRefreshToken) {
		t.Fatalf("the revoked chain's refresh token: %v", err)
	}
	if _, err := c.AuthTest(ctx(t), in.AuthedUser.Token.AccessToken.Reveal()); err != nil {
		t.Fatalf("the user's token after the bot's revocation: %v", err)
	}
	if _, err := c.AuthRevoke(ctx(t), "", false); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("AuthRevoke(\"\"): %v", err)
	}
	if _, err := c.AuthRevoke(ctx(t), "a\x00b", false); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("AuthRevoke with a NUL: %v", err)
	}
}

// flakyChains keeps chains in a map; its saves fail while broken.
type flakyChains struct {
	mu     sync.Mutex
	docs   map[string]flakyDoc
	broken bool
}

type flakyDoc struct {
	generation uint64
	document   string
}

type flakyChain struct {
	c    *flakyChains
	name string
}

func (f *flakyChains) Open(chain string) (xoxe.StoreBackend, error) {
	return &flakyChain{f, chain}, nil
}

func (f *flakyChains) List() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for name := range f.docs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

func (f *flakyChains) Remove(chain string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.docs[chain]
	delete(f.docs, chain)
	return ok, nil
}

func (c *flakyChain) Load() (string, bool, error) {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	d, ok := c.c.docs[c.name]
	return d.document, ok, nil
}

func (c *flakyChain) Save(expected *uint64, gen uint64, document string) (bool, error) {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	if c.c.broken {
		return false, errors.New("the database is down")
	}
	d, ok := c.c.docs[c.name]
	if ok != (expected != nil) || (ok && d.generation != *expected) {
		return false, nil
	}
	c.c.docs[c.name] = flakyDoc{gen, document}
	return true, nil
}

// TestInstallJSONAfterAFailedSave: when saving fails, the error carries
// Slack's answer, and InstallJSON saves it later; each chain then rotates on
// its first Get (the answer's age is unknown).
func TestInstallJSONAfterAFailedSave(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	backend := &flakyChains{docs: map[string]flakyDoc{}}
	store := keepStore(t)(xoxe.NewForeignChainsStore(backend, "", "flaky chains"))
	pool, err := xoxe.NewPool(c, store, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	backend.mu.Lock()
	backend.broken = true
	backend.mu.Unlock()
	in, err := pool.InstallCode(mintCode(t, a, nil), "")
	if in != nil || !errors.Is(err, xoxe.ErrStore) {
		t.Fatalf("InstallCode with failing saves: %v", err)
	}
	var e *xoxe.Error
	if !errors.As(err, &e) || !strings.Contains(e.ResponseJSON, `"refresh_token"`) {
		t.Fatal("the failed install's error does not carry Slack's answer")
	}
	mustNotLeak(t, "the error", fmt.Sprintf("%v %+v", err, err), e.ResponseJSON)
	backend.mu.Lock()
	backend.broken = false
	saved := len(backend.docs)
	backend.mu.Unlock()
	if saved != 0 {
		t.Fatalf("%d chains saved by a failed install", saved)
	}
	before := statsNow(t)
	names, err := pool.InstallJSON(e.ResponseJSON)
	if err != nil || len(names) != 2 {
		t.Fatalf("InstallJSON: %v, %v", names, err)
	}
	if listed, _ := backend.List(); fmt.Sprint(listed) != fmt.Sprint(sortedCopy(names)) {
		t.Fatalf("the backend holds %v, want %v", listed, names)
	}
	for _, name := range names {
		tok, _, err := pool.Get(name)
		if err != nil {
			t.Fatalf("Get(%s): %v", name, err)
		}
		if _, err := c.AuthTest(ctx(t), tok.Reveal()); err != nil {
			t.Fatalf("auth.test with %s's token: %v", name, err)
		}
	}
	if n := statsNow(t).Refreshes - before.Refreshes; n != 2 {
		t.Fatalf("%d refreshes, want one per chain", n)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TestInstallMadeInGo: an Install the program built itself (no library
// handle) is saved from its RawJSON; InstallJSON names the chains as the
// library does; bad answers are refused.
func TestInstallMadeInGo(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	in, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, mintCode(t, a, map[string]any{"is_enterprise_install": true}), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Chains()[0], "bot:E") || !strings.HasSuffix(in.Chains()[0], ":-") {
		t.Fatalf("org-wide chains %v", in.Chains())
	}
	pool, err := xoxe.NewPool(c, keepStore(t)(xoxe.NewMemoryStore()), a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	copied := xoxe.Install{RawJSON: in.RawJSON} // e.g. rebuilt from what the program kept
	if names, err := pool.Install(&copied); err != nil || fmt.Sprint(names) != fmt.Sprint(in.Chains()) {
		t.Fatalf("Install of a copy: %v, %v (want %v)", names, err, in.Chains())
	}
	if names, err := pool.InstallJSON(in.RawJSON.Reveal()); err != nil || fmt.Sprint(names) != fmt.Sprint(in.Chains()) {
		t.Fatalf("InstallJSON: %v, %v", names, err)
	}
	for _, raw := range []string{`{"ok":false,"error":"invalid_code"}`, "not json", `{"ok":true}`} {
		if _, err := pool.InstallJSON(raw); err == nil {
			t.Fatalf("InstallJSON(%q) succeeded", raw)
		}
	}
	if _, err := pool.InstallJSON("{\x00}"); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("InstallJSON with a NUL: %v", err)
	}
	if _, err := pool.Install(nil); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("Install(nil): %v", err)
	}
}

// TestInstallPrintsNoSecret: an install with a webhook, printed every way,
// shows ids and redactions only.
func TestInstallPrintsNoSecret(t *testing.T) {
	a := newApp(t)
	c := newClient(t)
	in, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, mintCode(t, a, map[string]any{"incoming_webhook": true, "team_id": "T0PRINT"}), "")
	if err != nil {
		t.Fatal(err)
	}
	w := in.IncomingWebhook
	if w == nil || !strings.HasPrefix(w.URL.Reveal(), "https://") || w.Channel == "" || w.ChannelID == "" || w.ConfigurationURL == "" {
		t.Fatalf("webhook: %v", w)
	}
	noLeaks(t, installSecrets(in), in, *in, in.Bot, *in.Bot, in.AuthedUser, *in.AuthedUser, w, *w, []*xoxe.Install{in})
	s := in.String()
	if !strings.Contains(s, `TeamID: "T0PRINT"`) || !strings.Contains(s, in.Bot.Chain) || !strings.Contains(s, "xoxe.xoxb-") {
		t.Fatalf("String() = %s", s)
	}
}

// TestInstallMisuse: closed and nil handles, a pool without the app's
// credentials, and bad arguments fail clearly.
func TestInstallMisuse(t *testing.T) {
	a := newApp(t)
	c, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, mintCode(t, a, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	store := keepStore(t)(xoxe.NewMemoryStore())
	noCredentials, err := xoxe.NewPool(c, store, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noCredentials.InstallCode(mintCode(t, a, nil), ""); !errors.Is(err, xoxe.ErrUsage) || !strings.Contains(err.Error(), "client id and secret") {
		t.Fatalf("InstallCode without the app's credentials: %v", err)
	}
	if names, err := noCredentials.Install(in); err != nil || len(names) != 2 {
		t.Fatalf("Install needs no credentials: %v, %v", names, err)
	}
	noCredentials.Close()
	pool, err := xoxe.NewPool(c, store, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.InstallCode("a\x00b", ""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("InstallCode with a NUL: %v", err)
	}
	if _, err := pool.InstallCode("", ""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("InstallCode(\"\"): %v", err)
	}
	if _, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, "", ""); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("OAuthV2Access with no code: %v", err)
	}
	if _, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, "code", "https://a.example/\x00"); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("OAuthV2Access with a NUL in the redirect URI: %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.OAuthV2Access(cancelled, a.ClientID, a.ClientSecret, "code", ""); err == nil || !errors.Is(err, cancelled.Err()) {
		t.Fatalf("OAuthV2Access with a cancelled context: %v", err)
	}
	if _, err := c.AuthRevoke(cancelled, "xoxb-1", false); err == nil || !errors.Is(err, cancelled.Err()) {
		t.Fatalf("AuthRevoke with a cancelled context: %v", err)
	}
	pool.Close()
	c.Close()
	for name, call := range map[string]func() error{
		"Pool.Install":     func() error { _, err := pool.Install(in); return err },
		"Pool.InstallCode": func() error { _, err := pool.InstallCode("code", ""); return err },
		"Pool.InstallJSON": func() error { _, err := pool.InstallJSON(in.RawJSON.Reveal()); return err },
		"OAuthV2Access": func() error {
			_, err := c.OAuthV2Access(ctx(t), a.ClientID, a.ClientSecret, "code", "")
			return err
		},
		"AuthRevoke": func() error { _, err := c.AuthRevoke(ctx(t), "xoxb-1", false); return err },
	} {
		if err := call(); !errors.Is(err, xoxe.ErrClosed) {
			t.Errorf("%s on a closed handle: %v", name, err)
		}
	}
	var nilPool *xoxe.Pool
	if _, err := nilPool.InstallJSON("{}"); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("InstallJSON on a nil pool: %v", err)
	}
	var nilClient *xoxe.Client
	if _, err := nilClient.AuthRevoke(ctx(t), "xoxb-1", false); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("AuthRevoke on a nil client: %v", err)
	}
	// An install outlives its client and pool; its directory-store save is as good.
	dir := keepStore(t)(xoxe.NewDirectoryStore(t.TempDir(), "", 0))
	c2 := newClient(t)
	p2, err := xoxe.NewPool(c2, dir, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if names, err := p2.Install(in); err != nil || len(names) != 2 {
		t.Fatalf("Install after its client closed: %v, %v", names, err)
	}
}
