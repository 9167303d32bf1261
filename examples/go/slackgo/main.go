// Command slackgo shows what a slack-go (github.com/slack-go/slack) program
// adds to get xoxe's token rotation: a rotator over a file store, and xoxe's
// Transport in the HTTP client it gives slack.New. From then on slack-go is
// used as usual — here auth.test, chat.postMessage and conversations.list —
// and every call carries a fresh bot token. Tokens are printed redacted.
//
// Environment: XOXE_BASE_URL (optional; default real Slack), XOXE_CLIENT_ID
// and XOXE_CLIENT_SECRET (the app's credentials: they refresh the bot token),
// XOXE_LEGACY_TOKEN (a legacy xoxb- token, exchanged once to start the chain
// when the store is empty), STATE_DIRECTORY (where the store lives; default a
// temporary directory), XOXE_CHANNEL (default #general). From the repository
// root, `make demo-go-slackgo` runs it against a fake Slack whose tokens live
// 5 seconds, so it posts across a rotation.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/slack-go/slack"
	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

func main() {
	if err := run(); err != nil {
		var e *xoxe.Error
		if errors.As(err, &e) {
			// The status name and the library's message never hold a secret.
			fmt.Fprintf(os.Stderr, "error: %s: %s\n", e.Code, e.Message)
		} else {
			fmt.Fprintf(os.Stderr, "error: %v\n", err) // slack-go's errors are Slack's codes
		}
		os.Exit(1)
	}
}

func run() error {
	var opts []xoxe.Option
	if base := os.Getenv("XOXE_BASE_URL"); base != "" {
		opts = append(opts, xoxe.WithBaseURL(base))
	}
	client, err := xoxe.NewClient(opts...)
	if err != nil {
		return err
	}
	defer client.Close()
	clientID, clientSecret := os.Getenv("XOXE_CLIENT_ID"), os.Getenv("XOXE_CLIENT_SECRET")

	dir := os.Getenv("STATE_DIRECTORY")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xoxe-slackgo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	store, err := xoxe.NewFileStore(filepath.Join(dir, "bot-token.json"), 30*time.Second)
	if err != nil {
		return err
	}
	defer store.Close()
	rotator, err := xoxe.NewOAuthRotator(client, store, clientID, clientSecret, nil)
	if err != nil {
		return err
	}
	defer rotator.Close()
	if err := startChain(client, store, rotator, clientID, clientSecret); err != nil {
		return err
	}

	// The lines a slack-go program adds: the token given to slack.New is a
	// placeholder, which the Transport replaces on every Web API request.
	tr := xoxe.NewTransport(rotator, nil) // tokens for requests to the client's Web API URL
	api := slack.New("xoxe-managed",
		slack.OptionAPIURL(client.BaseURL()), // the same URL for slack-go
		slack.OptionHTTPClient(&http.Client{Transport: tr, Timeout: 30 * time.Second}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("auth.test: %w", err)
	}
	fmt.Printf("auth.test: team %s (%s), user %s (%s), bot %s\n", id.Team, id.TeamID, id.User, id.UserID, id.BotID)

	channels, _, err := api.GetConversationsContext(ctx, &slack.GetConversationsParameters{Limit: 10})
	if err != nil {
		return fmt.Errorf("conversations.list: %w", err)
	}
	fmt.Printf("conversations.list: %d channels:", len(channels))
	for _, c := range channels {
		fmt.Printf(" #%s", c.Name)
	}
	fmt.Println()

	channel := os.Getenv("XOXE_CHANNEL")
	if channel == "" {
		channel = "#general"
	}
	// A short-lived token (the demo's fake Slack) is rotated between posts;
	// slack-go never notices.
	_, expires, err := rotator.Current()
	if err != nil {
		return err
	}
	posts := 1
	if time.Until(expires) < time.Minute {
		posts = 3
	}
	for i := 1; i <= posts; i++ {
		_, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText(fmt.Sprintf("hello from slack-go with xoxe (%d/%d)", i, posts), false))
		if err != nil {
			return fmt.Errorf("chat.postMessage: %w", err)
		}
		token, expires, err := rotator.Current()
		if err != nil {
			return err
		}
		// A Secret prints only its redaction (xoxe.xoxb-1-…a1b2).
		fmt.Printf("chat.postMessage to %s: ts %s, with bot token %v (expires in %v)\n",
			channel, ts, token, time.Until(expires).Round(time.Second))
		if i < posts {
			time.Sleep(3 * time.Second)
		}
	}
	return nil
}

// startChain initialises an empty store once: it exchanges the legacy token
// for an expiring pair (oauth.v2.exchange) and saves it. An app installed
// through OAuth saves its first pair from oauth.v2.access instead (see
// xoxe.Pool.InstallCode).
func startChain(client *xoxe.Client, store *xoxe.Store, rotator *xoxe.Rotator, clientID, clientSecret string) error {
	if _, _, err := rotator.Current(); !errors.Is(err, xoxe.ErrStoreEmpty) {
		return err // nil: the store already holds the chain
	}
	legacy := os.Getenv("XOXE_LEGACY_TOKEN")
	if legacy == "" {
		return errors.New("the store is empty and XOXE_LEGACY_TOKEN is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pair, err := client.OAuthV2Exchange(ctx, clientID, clientSecret, legacy)
	if err != nil {
		return err
	}
	fmt.Printf("exchanged %v for bot token %v (refresh token %v)\n", xoxe.NewSecret(legacy), pair.AccessToken, pair.RefreshToken)
	return store.Init(xoxe.ChainOAuth, pair.RefreshToken.Reveal(), pair.AccessToken.Reveal(), pair.ExpiresAt, false)
}
