package slackgo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// placeholder is the token slack.New gets: the Transport replaces it.
const placeholder = "xoxe-managed"

// newClient is an xoxe client for the fake Slack, closed when t ends.
func newClient(t *testing.T) *xoxe.Client {
	t.Helper()
	c, err := xoxe.NewClient(xoxe.WithBaseURL(fake.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// slackClient is what a slack-go program writes, with xoxe's Transport in
// its HTTP client.
func slackClient(tokens xoxe.TokenSource, apiURL string) *slack.Client {
	tr := xoxe.NewTransport(tokens, nil) // the API URL: the rotator's or pool's client's
	return slack.New(placeholder,
		slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(&http.Client{Transport: tr, Timeout: 30 * time.Second}))
}

// work is one worker's identity: the context its calls carry and the user
// auth.test must name.
type work struct {
	ctx  context.Context
	user string
}

// hammer runs a worker per element of workers for d, each calling auth.test,
// chat.postMessage and (every few rounds) conversations.list through api, and
// fails t on any error or wrong identity. It returns how many messages were
// posted.
func hammer(t *testing.T, api *slack.Client, workers []work, d time.Duration) int {
	t.Helper()
	var (
		posted, calls atomic.Int64
		mu            sync.Mutex
		failures      []string
		wg            sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, args...)) // slack-go's and xoxe's errors hold no token
		}
	}
	end := time.Now().Add(d)
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; time.Now().Before(end); round++ {
				id, err := api.AuthTestContext(w.ctx)
				calls.Add(1)
				if err != nil {
					fail("worker %d: auth.test: %v", i, err)
					return
				}
				if id.UserID != w.user {
					fail("worker %d: auth.test answered user %s, want %s", i, id.UserID, w.user)
					return
				}
				_, _, err = api.PostMessageContext(w.ctx, "C0000000001", slack.MsgOptionText(fmt.Sprintf("worker %d round %d", i, round), false))
				calls.Add(1)
				if err != nil {
					fail("worker %d: chat.postMessage: %v", i, err)
					return
				}
				posted.Add(1)
				if round%4 == 0 {
					channels, _, err := api.GetConversationsContext(w.ctx, &slack.GetConversationsParameters{Limit: 3})
					calls.Add(1)
					if err != nil || len(channels) != 3 {
						fail("worker %d: conversations.list: %d channels, %v", i, len(channels), err)
						return
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d workers made %d calls over %v", len(workers), calls.Load(), d)
	return int(posted.Load())
}

// checkStats fails t unless, since before, no refresh token was sent twice,
// no call met a token error, more than minRefreshes refreshes happened, and
// every post is on the fake Slack's board.
func checkStats(t *testing.T, before stats, beforeMessages, posted, minRefreshes int) {
	t.Helper()
	after := getStats(t)
	if n := after.RefreshTokenReuses - before.RefreshTokenReuses; n != 0 {
		t.Errorf("%d refresh tokens were sent twice", n)
	}
	for code, n := range after.TokenErrors {
		if n != before.TokenErrors[code] {
			t.Errorf("%d calls were refused with %s", n-before.TokenErrors[code], code)
		}
	}
	if n := after.Refreshes - before.Refreshes; n <= minRefreshes {
		t.Errorf("%d refreshes while the tokens expired every %v, want more than %d", n, tokenTTL, minRefreshes)
	} else {
		t.Logf("%d refreshes, no refresh token sent twice, no token error", n)
	}
	if n := after.APICalls["chat.postMessage"] - before.APICalls["chat.postMessage"]; n != posted {
		t.Errorf("the fake Slack counted %d chat.postMessage calls, the workers %d", n, posted)
	}
	if n := messages(t) - beforeMessages; n != posted {
		t.Errorf("%d messages on the board, %d posted", n, posted)
	}
}

// TestSlackGoThroughARotator: 16 goroutines call auth.test, chat.postMessage
// and conversations.list through one slack-go client whose HTTP client has
// xoxe's Transport over a rotator, while the bot token expires every 3 s for
// more than three lifetimes: no call fails (no token_expired, nothing), no
// refresh token is sent twice, and the chain was refreshed more than twice.
func TestSlackGoThroughARotator(t *testing.T) {
	c := newClient(t)
	ex, err := c.OAuthV2Exchange(context.Background(), fake.App.ClientID, fake.App.ClientSecret, fake.LegacyBot)
	if err != nil {
		t.Fatal(err)
	}
	store, err := xoxe.NewFileStore(filepath.Join(t.TempDir(), "bot.json"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Init(xoxe.ChainOAuth, ex.RefreshToken.Reveal(), ex.AccessToken.Reveal(), ex.ExpiresAt, false); err != nil {
		t.Fatal(err)
	}
	rotator, err := xoxe.NewOAuthRotator(c, store, fake.App.ClientID, fake.App.ClientSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rotator.Close()
	api := slackClient(rotator, c.BaseURL())

	before, beforeMessages := getStats(t), messages(t)
	workers := make([]work, 16)
	for i := range workers {
		workers[i] = work{context.Background(), ex.BotUserID}
		if i%2 == 1 { // half of them with a context that can be cancelled
			cx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			workers[i].ctx = cx
		}
	}
	posted := hammer(t, api, workers, 3*tokenTTL+tokenTTL/2)
	checkStats(t, before, beforeMessages, posted, 2)
}

// TestSlackGoThroughAPool: one slack-go client over a pool serves an app's
// bot and user chains, each call with the chain its context names
// (xoxe.WithChain), while the tokens expire; a call whose context names no
// chain fails with xoxe's usage error and sends nothing.
func TestSlackGoThroughAPool(t *testing.T) {
	c := newClient(t)
	a, bot, user := newApp(t)
	dir, err := xoxe.NewDirectoryStore(t.TempDir(), "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	users := map[string]string{} // chain -> the user auth.test names
	for _, legacy := range []string{bot, user} {
		ex, err := c.OAuthV2Exchange(context.Background(), a.ClientID, a.ClientSecret, legacy)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := xoxe.InstallationChain(ex.EnterpriseID, ex.TeamID, ex.IsEnterpriseInstall, ex.UserID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := dir.OpenChain(chain)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Init(xoxe.ChainOAuth, ex.RefreshToken.Reveal(), ex.AccessToken.Reveal(), ex.ExpiresAt, false)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		users[chain] = ex.BotUserID
		if users[chain] == "" {
			users[chain] = ex.UserID
		}
	}
	if len(users) != 2 {
		t.Fatalf("%d chains, want a bot's and a user's", len(users))
	}
	pool, err := xoxe.NewPool(c, dir, a.ClientID, a.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	api := slackClient(pool, c.BaseURL())

	before, beforeMessages := getStats(t), messages(t)
	var workers []work
	for chain, u := range users {
		for range 4 {
			workers = append(workers, work{xoxe.WithChain(context.Background(), chain), u})
		}
	}
	posted := hammer(t, api, workers, 2*tokenTTL+tokenTTL/2)
	// Each chain expires at least twice.
	checkStats(t, before, beforeMessages, posted, 2*len(users)-1)

	sent := getStats(t).Requests["auth.test"]
	_, err = api.AuthTestContext(context.Background())
	var e *xoxe.Error
	if !errors.Is(err, xoxe.ErrUsage) || !errors.As(err, &e) || e.Code != xoxe.StatusInvalidArgument {
		t.Fatalf("auth.test without a chain: %v, want xoxe's usage error", err)
	}
	if n := getStats(t).Requests["auth.test"] - sent; n != 0 {
		t.Fatalf("auth.test without a chain reached the fake Slack %d times", n)
	}
}
