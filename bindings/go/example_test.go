package xoxe_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
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
	// Printing a token shows only its redacted stand-in.
	fmt.Println("new config token:", pair.Token, "expires", pair.ExpiresAt)
	// save(pair.Token.Reveal(), pair.RefreshToken.Reveal())
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
	client, err := xoxe.NewClient()
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
	fmt.Println(tok.TokenType, tok.AccessToken, "valid until", tok.ExpiresAt)
}

func ExampleClient_Call() {
	client, err := xoxe.NewClient()
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
	client, err := xoxe.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	store, err := xoxe.NewFileStore("/var/lib/myapp/config-token.json", 0)
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
	fmt.Println("using", token, "until", expires)
}

func ExampleSetLogger() {
	// Library log lines never contain secrets; send them to slog.
	if err := xoxe.SetLogger(xoxe.SlogFunc(slog.Default()), xoxe.LogInfo); err != nil {
		log.Fatal(err)
	}
	defer xoxe.SetLogger(nil, 0)
}
