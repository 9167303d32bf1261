package xoxe_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// wantCode fails unless err is an *xoxe.Error with that code (and returns it).
// It prints only the error, whose message never holds a secret.
func wantCode(t *testing.T, err error, code xoxe.Status) *xoxe.Error {
	t.Helper()
	var e *xoxe.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *xoxe.Error %s, got %v", code, err)
	}
	if e.Code != code {
		t.Fatalf("want code %s, got %v", code, err)
	}
	return e
}

func TestVersion(t *testing.T) {
	if xoxe.ABIVersion() != 1 {
		t.Fatalf("ABI version %d", xoxe.ABIVersion())
	}
	if v := xoxe.Version(); v == "" || strings.Count(v, ".") < 2 {
		t.Fatalf("version %q", v)
	}
}

func TestNewClientDefaultsAndPresets(t *testing.T) {
	c, err := xoxe.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.BaseURL(); got != "https://slack.com/api/" {
		t.Fatalf("default base URL %q", got)
	}
	gov, err := xoxe.NewClient(xoxe.WithPreset(xoxe.PresetGovSlack))
	if err != nil {
		t.Fatal(err)
	}
	defer gov.Close()
	if got := gov.BaseURL(); got != "https://slack-gov.com/api/" {
		t.Fatalf("GovSlack base URL %q", got)
	}
	// Options apply in order: the last of base URL / preset wins.
	back, err := xoxe.NewClient(xoxe.WithPreset(xoxe.PresetGovSlack), xoxe.WithPreset(xoxe.PresetSlack))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if got := back.BaseURL(); got != "https://slack.com/api/" {
		t.Fatalf("preset order: %q", got)
	}
	fc := newClient(t, xoxe.WithTimeouts(5*time.Second, 20*time.Second),
		xoxe.WithRateLimitRetries(3, 10*time.Second), xoxe.WithMaxResponseBytes(1<<20), nil)
	if got := fc.BaseURL(); got != fake.BaseURL {
		t.Fatalf("base URL %q, want %q", got, fake.BaseURL)
	}
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name string
		opt  xoxe.Option
		code xoxe.Status
	}{
		{"insecure URL", xoxe.WithBaseURL("http://example.com/api/"), xoxe.StatusInsecureURL},
		{"empty URL", xoxe.WithBaseURL(""), xoxe.StatusInvalidArgument},
		{"URL with NUL", xoxe.WithBaseURL("https://slack.com/\x00evil"), xoxe.StatusInvalidArgument},
		{"bad preset", xoxe.WithPreset(xoxe.Preset(99)), xoxe.StatusInvalidArgument},
		{"zero timeout", xoxe.WithTimeouts(0, time.Second), xoxe.StatusInvalidArgument},
		{"negative timeout", xoxe.WithTimeouts(time.Second, -time.Second), xoxe.StatusInvalidArgument},
		{"huge timeout", xoxe.WithTimeouts(time.Second, 60*24*time.Hour), xoxe.StatusInvalidArgument},
		{"negative retries", xoxe.WithRateLimitRetries(-1, time.Second), xoxe.StatusInvalidArgument},
		{"zero call timeout alone", xoxe.WithCallTimeout(0), xoxe.StatusInvalidArgument},
		{"negative connect timeout alone", xoxe.WithConnectTimeout(-time.Second), xoxe.StatusInvalidArgument},
		{"negative retries alone", xoxe.WithMaxRateLimitRetries(-1), xoxe.StatusInvalidArgument},
		{"negative max wait alone", xoxe.WithMaxRetryWait(-time.Second), xoxe.StatusInvalidArgument},
		{"zero max bytes", xoxe.WithMaxResponseBytes(0), xoxe.StatusInvalidArgument},
		{"negative max bytes", xoxe.WithMaxResponseBytes(-5), xoxe.StatusInvalidArgument},
		{"missing CA bundle", xoxe.WithCABundle("/nonexistent/xoxe-ca.pem"), xoxe.StatusFileUnreadable},
		{"empty CA bundle path", xoxe.WithCABundle(""), xoxe.StatusInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := xoxe.NewClient(tc.opt)
			if err == nil {
				c.Close()
				t.Fatal("NewClient succeeded")
			}
			if c != nil {
				t.Fatal("client returned with an error")
			}
			e := wantCode(t, err, tc.code)
			if !errors.Is(err, xoxe.ErrUsage) {
				t.Fatalf("%v is not ErrUsage", err)
			}
			if tc.code == xoxe.StatusInsecureURL && !errors.Is(err, xoxe.ErrInsecureURL) {
				t.Fatalf("%v is not ErrInsecureURL", err)
			}
			if e.Message == "" || e.RetryAfter >= 0 {
				t.Fatalf("message %q, retry after %v", e.Message, e.RetryAfter)
			}
		})
	}
}

func TestCABundle(t *testing.T) {
	path := writeSelfSignedPEM(t)
	c := newClient(t, xoxe.WithCABundle(path))
	if _, err := c.Call(ctx(t), "apps.manifest.validate", "", nil); !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("call through a client with a CA bundle: %v", err)
	}
	garbage := t.TempDir() + "/garbage.pem"
	writeFile(t, garbage, "not a certificate")
	if _, err := xoxe.NewClient(xoxe.WithCABundle(garbage)); err == nil {
		t.Fatal("a file without certificates was accepted")
	} else if !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("garbage CA bundle: %v", err)
	}
}

func TestToolingTokensRotate(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	before := getStats(t)
	first, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if first.Token.IsZero() || first.RefreshToken.IsZero() || first.TeamID == "" || first.UserID == "" {
		t.Fatal("rotation result has empty fields")
	}
	if !strings.HasPrefix(first.Token.Reveal(), "xoxe.xoxp-") || !strings.HasPrefix(first.RefreshToken.Reveal(), "xoxe-") {
		t.Fatal("rotated tokens do not have the config-token prefixes")
	}
	if first.RefreshToken.Reveal() == seed.RefreshToken {
		t.Fatal("rotation returned the spent refresh token")
	}
	if first.TeamID != seed.TeamID || first.UserID != seed.UserID {
		t.Fatalf("team/user changed: %s/%s", first.TeamID, first.UserID)
	}
	if !first.ExpiresAt.After(first.IssuedAt) || first.IssuedAt.Unix() < seed.IAT {
		t.Fatalf("iat %v exp %v", first.IssuedAt, first.ExpiresAt)
	}
	second, err := c.ToolingTokensRotate(ctx(t), first.RefreshToken.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if second.Token.Equal(first.Token) || second.RefreshToken.Equal(first.RefreshToken) {
		t.Fatal("second rotation returned the same pair")
	}
	if got := getStats(t).Rotations - before.Rotations; got < 2 {
		t.Fatalf("server counted %d rotations", got)
	}
	// The spent refresh token is refused.
	_, err = c.ToolingTokensRotate(ctx(t), first.RefreshToken.Reveal())
	e := wantCode(t, err, xoxe.StatusInvalidRefreshToken)
	if !errors.Is(err, xoxe.ErrInvalidRefreshToken) || !errors.Is(err, xoxe.ErrSlackAPI) || errors.Is(err, xoxe.ErrTransport) {
		t.Fatalf("errors.Is classification wrong for %v", err)
	}
	if e.SlackError != "invalid_refresh_token" || e.Family() != xoxe.FamilySlackAPI || e.Cause != e.Code || e.HTTPStatus != 200 {
		t.Fatalf("details: slack error %q family %v cause %v http %d", e.SlackError, e.Family(), e.Cause, e.HTTPStatus)
	}
	if strings.Contains(err.Error(), first.RefreshToken.Reveal()) {
		t.Fatal("error message contains the refresh token")
	}
}

func TestOAuthExchangeRefreshAndAuthTest(t *testing.T) {
	c := newClient(t)
	a := newApp(t)
	for _, kind := range []string{"bot", "user"} {
		t.Run(kind, func(t *testing.T) {
			legacy := newLegacyToken(t, a.ClientID, kind)
			start := time.Now()
			ex, err := c.OAuthV2Exchange(ctx(t), a.ClientID, a.ClientSecret, legacy)
			if err != nil {
				t.Fatal(err)
			}
			if ex.TokenType != kind || ex.AppID != a.AppID || ex.Scope == "" || ex.TeamID == "" || ex.TeamName == "" {
				t.Fatalf("exchange result: type %q app %q scope %q team %q/%q", ex.TokenType, ex.AppID, ex.Scope, ex.TeamID, ex.TeamName)
			}
			if kind == "bot" && ex.BotUserID == "" || kind == "user" && ex.UserID == "" {
				t.Fatalf("bot user %q user %q", ex.BotUserID, ex.UserID)
			}
			prefix := map[string]string{"bot": "xoxe.xoxb-", "user": "xoxe.xoxp-"}[kind]
			if !strings.HasPrefix(ex.AccessToken.Reveal(), prefix) || ex.RefreshToken.IsZero() {
				t.Fatal("exchanged tokens look wrong")
			}
			if ex.ExpiresIn <= 0 || ex.ExpiresAt.Before(start.Add(ex.ExpiresIn)) || ex.ExpiresAt.After(time.Now().Add(ex.ExpiresIn)) {
				t.Fatalf("expires in %v at %v", ex.ExpiresIn, ex.ExpiresAt)
			}
			// Each legacy token exchanges once.
			_, err = c.OAuthV2Exchange(ctx(t), a.ClientID, a.ClientSecret, legacy)
			wantCode(t, err, xoxe.StatusTokenAlreadyExchanged)
			if !errors.Is(err, xoxe.ErrTokenAlreadyExchanged) {
				t.Fatalf("%v is not ErrTokenAlreadyExchanged", err)
			}

			rf, err := c.OAuthV2Refresh(ctx(t), a.ClientID, a.ClientSecret, ex.RefreshToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			if rf.AccessToken.Equal(ex.AccessToken) || rf.RefreshToken.Equal(ex.RefreshToken) || rf.TokenType != kind {
				t.Fatal("refresh did not return a new pair")
			}
			id, err := c.AuthTest(ctx(t), rf.AccessToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			if id.TeamID != ex.TeamID || id.URL == "" || id.Team == "" || id.User == "" || id.UserID == "" {
				t.Fatalf("auth.test: %+v", *id)
			}
			if (kind == "bot") != (id.BotID != "") {
				t.Fatalf("bot id %q for a %s token", id.BotID, kind)
			}
			// The spent refresh token is refused.
			_, err = c.OAuthV2Refresh(ctx(t), a.ClientID, a.ClientSecret, ex.RefreshToken.Reveal())
			wantCode(t, err, xoxe.StatusInvalidRefreshToken)
			if !errors.Is(err, xoxe.ErrInvalidRefreshToken) {
				t.Fatalf("%v is not ErrInvalidRefreshToken", err)
			}
			// A wrong client secret.
			_, err = c.OAuthV2Refresh(ctx(t), a.ClientID, "0123456789abcdef0123456789abcdef", rf.RefreshToken.Reveal())
			wantCode(t, err, xoxe.StatusBadClientSecret)
		})
	}
}

func TestAuthTestErrors(t *testing.T) {
	c := newClient(t)
	_, err := c.AuthTest(ctx(t), "xoxb-00000-not-a-real-token-at-all")
	wantCode(t, err, xoxe.StatusInvalidAuth)
	if !errors.Is(err, xoxe.ErrInvalidAuth) || !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("%v is not ErrInvalidAuth/ErrSlackAPI", err)
	}

	// A config token that lives one second.
	short := newConfigToken(t, 1)
	if _, err := c.AuthTest(ctx(t), short.Token); err != nil && !errors.Is(err, xoxe.ErrTokenExpired) {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	_, err = c.AuthTest(ctx(t), short.Token)
	wantCode(t, err, xoxe.StatusTokenExpired)
	if !errors.Is(err, xoxe.ErrTokenExpired) {
		t.Fatalf("%v is not ErrTokenExpired", err)
	}
	if strings.Contains(err.Error(), short.Token) {
		t.Fatal("error message contains the token")
	}
}

func TestCall(t *testing.T) {
	c := newClient(t)
	seed := newConfigToken(t, 0)
	resp, err := c.Call(ctx(t), "apps.manifest.validate", seed.Token,
		map[string]string{"manifest": `{"display_information":{"name":"demo"}}`})
	if err != nil {
		t.Fatal(err)
	}
	var ok struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal(resp.JSON, &ok); err != nil || !ok.OK {
		t.Fatalf("manifest.validate answer: ok=%v err=%v", ok.OK, err)
	}

	_, err = c.Call(ctx(t), "apps.manifest.validate", seed.Token, map[string]string{"manifest": `{"display_information":{}}`})
	e := wantCode(t, err, xoxe.StatusInvalidManifest)
	if e.SlackError != "invalid_manifest" || !strings.Contains(e.ResponseJSON, `"errors"`) || !errors.Is(err, xoxe.ErrSlackAPI) {
		t.Fatalf("invalid manifest details: slack error %q, response has errors: %v", e.SlackError, strings.Contains(e.ResponseJSON, `"errors"`))
	}

	// No token: not_authed.
	_, err = c.Call(ctx(t), "apps.manifest.validate", "", map[string]string{"manifest": "{}"})
	wantCode(t, err, xoxe.StatusNotAuthed)

	_, err = c.Call(ctx(t), "no.such.method", "", nil)
	wantCode(t, err, xoxe.StatusUnknownMethod)

	// Several parameters, including an unknown one (Slack ignores it).
	_, err = c.Call(ctx(t), "apps.manifest.validate", seed.Token,
		map[string]string{"manifest": `{"display_information":{"name":"demo"}}`, "app_id": "A000", "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
}
