package xoxe_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// mustNotLeak fails (without printing either string) if out contains secret.
func mustNotLeak(t *testing.T, what, out, secret string) {
	t.Helper()
	if strings.Contains(out, secret) {
		t.Fatalf("%s leaks the secret", what)
	}
}

func TestSecretPrintsOnlyTheRedaction(t *testing.T) {
	c := newClient(t)
	pair, err := c.ToolingTokensRotate(ctx(t), newConfigToken(t, 0).RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []xoxe.Secret{pair.Token, pair.RefreshToken} {
		value := s.Reveal()
		red := s.String()
		if red == "" || red == value || !strings.Contains(red, "…") {
			t.Fatal("String() is not a redaction")
		}
		if !strings.HasPrefix(value, strings.SplitN(red, "…", 2)[0]) {
			t.Fatal("the redaction does not keep the token's prefix")
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-20v", "%T"} {
			mustNotLeak(t, verb, fmt.Sprintf(verb, s), value)
		}
		if got := fmt.Sprintf("%v|%s|%+v", s, s, s); got != red+"|"+red+"|"+red {
			t.Fatalf("%%v/%%s/%%+v give %s", got)
		}
		if got := fmt.Sprintf("%q", s); got != fmt.Sprintf("%q", red) {
			t.Fatalf("%%q gives %s", got)
		}
		if got := fmt.Sprintf("%#v", s); got != s.GoString() || !strings.HasPrefix(got, "xoxe.Secret(") {
			t.Fatalf("%%#v gives %s", got)
		}
		// Inside structs, maps, slices and pointers, exported or not.
		type holder struct {
			Exported xoxe.Secret
			hidden   xoxe.Secret
		}
		h := holder{s, s}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%p"} {
			mustNotLeak(t, "struct "+verb, fmt.Sprintf(verb, h), value)
			mustNotLeak(t, "pointer "+verb, fmt.Sprintf(verb, &h), value)
			mustNotLeak(t, "slice "+verb, fmt.Sprintf(verb, []xoxe.Secret{s}), value)
			mustNotLeak(t, "map "+verb, fmt.Sprintf(verb, map[string]xoxe.Secret{"k": s}), value)
			mustNotLeak(t, "result "+verb, fmt.Sprintf(verb, pair), value)
			mustNotLeak(t, "result "+verb, fmt.Sprintf(verb, *pair), value)
		}
		mustNotLeak(t, "Sprint", fmt.Sprint(s, h), value)
		mustNotLeak(t, "Sprintln", fmt.Sprintln(s, h), value)
		// slog, text and JSON.
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("rotated", "token", s, "pair", pair)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("rotated", "token", s)
		mustNotLeak(t, "slog", buf.String(), value)
		if !strings.Contains(buf.String(), red) {
			t.Fatal("slog does not show the redaction")
		}
		// JSON refuses rather than write either form.
		if out, err := json.Marshal(pair); err == nil {
			mustNotLeak(t, "json", string(out), value)
			t.Fatal("json.Marshal of a token pair succeeded")
		}
		// Equal compares values.
		if !s.Equal(xoxe.NewSecret(value)) || s.Equal(xoxe.NewSecret(value+"x")) {
			t.Fatal("Equal")
		}
	}
	var zero xoxe.Secret
	if zero.Reveal() != "" || zero.String() != "" || !zero.IsZero() || fmt.Sprintf("%v", zero) != "" {
		t.Fatal("zero Secret")
	}
	// Odd input: short, no prefix, not UTF-8, with a NUL; never echoed whole.
	for _, v := range []string{"short", "no-prefix-but-a-long-value-here-1234567890", "xoxb-\xff\xfe\xfd-0000000000000000000000", "xoxb-1\x00secret-tail-0000000000"} {
		s := xoxe.NewSecret(v)
		mustNotLeak(t, "odd secret", s.String(), v)
		if s.Reveal() != v {
			t.Fatal("Reveal changed the value")
		}
	}
}

func TestErrorMessagesHoldNoSecrets(t *testing.T) {
	c := newClient(t)
	a := newApp(t)
	seed := newConfigToken(t, 0)
	if _, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err := c.ToolingTokensRotate(ctx(t), seed.RefreshToken)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		mustNotLeak(t, "rotate error "+verb, fmt.Sprintf(verb, err), seed.RefreshToken)
	}
	_, err = c.OAuthV2Refresh(ctx(t), a.ClientID, a.ClientSecret, seed.RefreshToken)
	if err == nil {
		t.Fatal("refresh with a config refresh token succeeded")
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(verb, err)
		mustNotLeak(t, "refresh error "+verb, out, seed.RefreshToken)
		mustNotLeak(t, "refresh error "+verb, out, a.ClientSecret)
	}
	_, err = c.AuthTest(ctx(t), seed.Token+"\x00")
	mustNotLeak(t, "NUL error", fmt.Sprintf("%+v", err), seed.Token)
}
