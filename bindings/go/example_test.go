package xoxe_test

// Every example runs: the tests' TestMain points XOXE_BASE_URL at the fake
// Slack and sets the other variables the examples read (see setUpExamples).

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// Rotating an app configuration token: persist the new pair before using it.
// (Needs a Slack or the fake Slack; XOXE_BASE_URL may point at the latter.)
func Example() {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pair, err := client.ToolingTokensRotate(ctx, os.Getenv("XOXE_CONFIG_REFRESH_TOKEN"))
	switch {
	case errors.Is(err, xoxe.ErrOutcomeUnknown):
		log.Fatal("the rotation may have happened; re-read the stored pair before retrying: ", err)
	case errors.Is(err, xoxe.ErrInvalidRefreshToken):
		log.Fatal("the refresh token is spent or unknown: ", err)
	case err != nil:
		log.Fatal(err)
	}
	// save(pair.Token.Reveal(), pair.RefreshToken.Reveal())
	// Printing a token shows only its redacted stand-in (xoxe.xoxp-1-…a1b2).
	fmt.Println("new config token valid for", time.Until(pair.ExpiresAt).Round(time.Hour))
	// Output: new config token valid for 12h0m0s
}

func ExampleNewClient() {
	client, err := xoxe.NewClient(
		xoxe.WithPreset(xoxe.PresetGovSlack),
		xoxe.WithTimeouts(5*time.Second, 20*time.Second),
		xoxe.WithRateLimitRetries(3, time.Minute),
		xoxe.WithMaxResponseBytes(1<<20),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	fmt.Println(client.BaseURL())
	// Output: https://slack-gov.com/api/
}

func ExampleNewClient_insecureURL() {
	_, err := xoxe.NewClient(xoxe.WithBaseURL("http://slack.example.com/api/"))
	fmt.Println(errors.Is(err, xoxe.ErrInsecureURL), errors.Is(err, xoxe.ErrUsage))
	// Output: true true
}

func ExampleClient_OAuthV2Refresh() {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	tok, err := client.OAuthV2Refresh(context.Background(),
		os.Getenv("XOXE_CLIENT_ID"), os.Getenv("XOXE_CLIENT_SECRET"), os.Getenv("XOXE_BOT_REFRESH_TOKEN"))
	var e *xoxe.Error
	if errors.As(err, &e) && e.Code == xoxe.StatusRatelimited && e.RetryAfter >= 0 {
		fmt.Println("retry after", e.RetryAfter)
		return
	} else if err != nil {
		log.Fatal(err)
	}
	// Store tok.RefreshToken.Reveal() now: the old refresh token is spent.
	fmt.Println(tok.TokenType, "token valid for", time.Until(tok.ExpiresAt).Round(time.Hour))
	// Output: bot token valid for 12h0m0s
}

func ExampleClient_Call() {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	resp, err := client.Call(context.Background(), "apps.manifest.validate", os.Getenv("XOXE_CONFIG_TOKEN"),
		map[string]string{"manifest": `{"display_information":{"name":"demo"}}`})
	var e *xoxe.Error
	if errors.As(err, &e) && e.Code == xoxe.StatusInvalidManifest {
		fmt.Println("invalid manifest:", e.ResponseJSON)
		return
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", resp.JSON)
	// Output: {"ok":true}
}

func ExampleSecret() {
	token := xoxe.NewSecret("xoxb-1234567890-abcdefghijklmnopqrstuvwxyz")
	fmt.Println(token)
	fmt.Printf("%q %#v\n", token, token)
	fmt.Println(len(token.Reveal()))
	// Output:
	// xoxb-…wxyz
	// "xoxb-…wxyz" xoxe.Secret("xoxb-…wxyz")
	// 42
}

func ExampleStatus_String() {
	fmt.Println(xoxe.StatusInvalidRefreshToken, xoxe.StatusOutcomeUnknown.Family())
	// Output: invalid_refresh_token outcome_unknown
}

// A rotator keeps a chain fresh in a file store shared by every process on
// the machine; Get rotates only when the token is about to expire.
func ExampleRotator() {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	// STATE_DIRECTORY: systemd's StateDirectory= (e.g. /var/lib/myapp).
	store, err := xoxe.NewFileStore(filepath.Join(os.Getenv("STATE_DIRECTORY"), "config-token.json"), 0)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	// Once, when setting up: store.Init(xoxe.ChainConfig, refreshToken, "", time.Time{}, false)
	rotator, err := xoxe.NewConfigRotator(client, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rotator.Close()
	token, expires, err := rotator.Get(context.Background())
	if errors.Is(err, xoxe.ErrChainDead) {
		log.Fatal("a human must issue a new config token")
	} else if err != nil {
		log.Fatal(err)
	}
	_ = token // token.Reveal() in the calls that need it
	fmt.Println("token valid for", time.Until(expires).Round(time.Hour))
	// Output: token valid for 12h0m0s
}

// Library log lines never contain secrets; here they go to slog on stdout
// (without the time, to keep the output fixed). The rotator rotates its
// never-used chain first.
func ExampleSetLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	if err := xoxe.SetLogger(xoxe.SlogFunc(logger), xoxe.LogInfo); err != nil {
		log.Fatal(err)
	}
	defer xoxe.SetLogger(nil, 0) // off again

	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	store, err := xoxe.NewMemoryStore()
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	// A chain of its own: the other examples spend XOXE_CONFIG_REFRESH_TOKEN.
	if err := store.Init(xoxe.ChainConfig, os.Getenv("XOXE_DEMO_REFRESH_TOKEN"), "", time.Time{}, false); err != nil {
		log.Fatal(err)
	}
	rotator, err := xoxe.NewConfigRotator(client, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rotator.Close()
	if _, _, err := rotator.Get(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=INFO msg="rotating the Config chain in memory store (generation 0)" component=xoxe
	// level=INFO msg="rotated: memory store saved generation 1; the token lives 43200 s" component=xoxe
}

// ExampleSetLogger replaces the suite's logger (see keepSuiteLogger in
// main_test.go) and, being an example, cannot restore it: keep it the last
// example, so that no test or example runs after it.
