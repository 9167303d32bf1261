// Command example shows the xoxe Go binding end to end: it rotates an app
// configuration token twice, validates a manifest with the rotated token,
// exchanges a legacy bot token for an expiring pair, refreshes that pair once
// and checks the refreshed token with auth.test. Tokens are printed redacted.
//
// Environment: XOXE_BASE_URL (optional; default real Slack),
// XOXE_CONFIG_REFRESH_TOKEN (required), XOXE_CLIENT_ID, XOXE_CLIENT_SECRET and
// XOXE_LEGACY_TOKEN (optional: without it the exchange part is skipped).
// From the repository root, `make demo-go` runs it against a fake Slack.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

func main() {
	if err := run(); err != nil {
		var e *xoxe.Error
		if errors.As(err, &e) {
			// The status name and the library's message never hold a secret.
			fmt.Fprintf(os.Stderr, "error: %s: %s\n", e.Code, e.Message)
		} else {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
		}
		os.Exit(1)
	}
}

func run() error {
	refresh := os.Getenv("XOXE_CONFIG_REFRESH_TOKEN")
	if refresh == "" {
		return errors.New("XOXE_CONFIG_REFRESH_TOKEN is not set")
	}
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Printf("xoxe %s, talking to %s\n", xoxe.Version(), client.BaseURL())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// 1. Rotate the config token twice; each rotation spends the refresh token
	//    it was given (a real program persists each new pair before going on).
	first, err := client.ToolingTokensRotate(ctx, refresh)
	if err != nil {
		return err
	}
	printConfig("rotated config token", first)
	second, err := client.ToolingTokensRotate(ctx, first.RefreshToken.Reveal())
	if err != nil {
		return err
	}
	printConfig("rotated again", second)

	// 2. Use the config token: validate a tiny manifest.
	resp, err := client.Call(ctx, "apps.manifest.validate", second.Token.Reveal(),
		map[string]string{"manifest": `{"display_information":{"name":"demo"}}`})
	if err != nil {
		return err
	}
	fmt.Printf("apps.manifest.validate: %s\n", resp.JSON)

	// 3. Exchange a legacy token, refresh the pair once, and check it.
	legacy := os.Getenv("XOXE_LEGACY_TOKEN")
	if legacy == "" {
		fmt.Println("XOXE_LEGACY_TOKEN not set: skipping the exchange")
		return nil
	}
	clientID, clientSecret := os.Getenv("XOXE_CLIENT_ID"), os.Getenv("XOXE_CLIENT_SECRET")
	exchanged, err := client.OAuthV2Exchange(ctx, clientID, clientSecret, legacy)
	if err != nil {
		return err
	}
	printOAuth("exchanged "+xoxe.NewSecret(legacy).String(), exchanged)
	refreshed, err := client.OAuthV2Refresh(ctx, clientID, clientSecret, exchanged.RefreshToken.Reveal())
	if err != nil {
		return err
	}
	printOAuth("refreshed", refreshed)
	id, err := client.AuthTest(ctx, refreshed.AccessToken.Reveal())
	if err != nil {
		return err
	}
	fmt.Printf("auth.test: team %s (%s), user %s (%s), bot %q, url %s\n",
		id.Team, id.TeamID, id.User, id.UserID, id.BotID, id.URL)
	return nil
}

func printConfig(what string, t *xoxe.ConfigToken) {
	fmt.Printf("%s: token %v, refresh token %v, team %s, user %s, expires %s\n",
		what, t.Token, t.RefreshToken, t.TeamID, t.UserID, t.ExpiresAt.UTC().Format(time.RFC3339))
}

func printOAuth(what string, t *xoxe.OAuthToken) {
	fmt.Printf("%s: %s token %v, refresh token %v, expires in %v, scope %s, team %s\n",
		what, t.TokenType, t.AccessToken, t.RefreshToken, t.ExpiresIn, t.Scope, t.TeamID)
}
