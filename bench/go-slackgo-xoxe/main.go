// What xoxe's slack-go integration adds to a request, for `make bench`: the
// same slack-go call (auth.test) against the fake Slack on loopback, made
// with a static token and through xoxe.Transport (a fresh token from a
// Rotator, and from a Pool naming the chain with xoxe.WithChain), in the same
// process and rounds, each call bounded either by http.Client.Timeout or by a
// context deadline. Each round runs every variant CALLS times, in blocks of 50
// calls that take turns; the per-round difference with the static-token call
// bounded the same way is xoxe's added cost per request.
//
//	slackgo-xoxe BASE CALLS REPS
//
// BASE is the fake Slack's Web API URL (http://127.0.0.1:PORT/api/); its
// control interface (/_control/ on the same host) issues a configuration
// token pair that lives 12 hours, which every variant uses: the static one
// as is, the Rotator and the Pool from a memory store seeded with it (far
// outside the refresh window, so nothing rotates; checked). Prints one JSON
// document: {"rows": [{"name", "median", "min", "max", "unit", "calls",
// "notes"}, …], "slack_go": version, "rounds": REPS}. Wall time and the
// process's CPU time (getrusage: user + system, all threads) per call; CPU
// includes the HTTP client's work, not the fake Slack's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slack-go/slack"
	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "slackgo-xoxe: "+format+"\n", args...)
	os.Exit(1)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// control calls the fake Slack's control interface.
func control(ctl, method, path string, in, out any) {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			fail("%v", err)
		}
	}
	req, err := http.NewRequest(method, ctl+path, &body)
	if err != nil {
		fail("%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("control %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fail("control %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		fail("control %s: %v", path, err)
	}
}

type stats struct {
	Rotations int64            `json:"rotations"`
	Requests  map[string]int64 `json:"requests"`
}

// variant is one way of making the call.
type variant struct {
	name, notes string
	api         *slack.Client
	ctx         context.Context
	wall, cpu   []float64 // µs per call, one per round
}

func (v *variant) call() {
	if _, err := v.api.AuthTestContext(v.ctx); err != nil {
		fail("%s: auth.test: %v", v.name, err) // slack-go's and xoxe's errors hold no token
	}
}

// block makes n calls and adds their wall and CPU seconds to the round's.
func (v *variant) block(n int, wall, cpu *float64) {
	w0, c0 := time.Now(), cpuSeconds()
	for range n {
		v.call()
	}
	*wall += time.Since(w0).Seconds()
	*cpu += cpuSeconds() - c0
}

// placeholder is the token slack.New gets when xoxe's Transport puts the real one.
const placeholder = "xoxe-managed"

// group is variants measured in the same rounds; baseline maps a variant's
// index to the static-token variant it is compared with.
type group struct {
	variants []*variant
	baseline map[int]int
	calls    int
}

// warmupCalls is how many calls each variant makes before the rounds.
func (g *group) warmupCalls() int { return max(g.calls/10, 10) }

// made is how many calls run(reps) makes in all.
func (g *group) made(reps int) int64 {
	return int64(len(g.variants) * (reps*g.calls + g.warmupCalls()))
}

// run warms every variant up (connections, the pool's rotator, the
// Transport's caches), then runs reps rounds. A round is calls calls of every
// variant, made in blocks of blockCalls that take turns (in an order that
// turns too), so that every variant meets the same load: the machine's noise
// is shared, not one variant's.
func (g *group) run(reps int) {
	const blockCalls = 50
	for _, v := range g.variants {
		for range g.warmupCalls() {
			v.call()
		}
	}
	for range reps {
		wall, cpu := make([]float64, len(g.variants)), make([]float64, len(g.variants))
		for k, done := 0, 0; done < g.calls; k++ {
			n := min(blockCalls, g.calls-done)
			for i := range g.variants {
				j := (k + i) % len(g.variants)
				g.variants[j].block(n, &wall[j], &cpu[j])
			}
			done += n
		}
		for i, v := range g.variants {
			v.wall = append(v.wall, wall[i]*1e6/float64(g.calls))
			v.cpu = append(v.cpu, cpu[i]*1e6/float64(g.calls))
		}
	}
}

// rows are every variant's wall and CPU time per call, then what each xoxe
// variant adds to its static-token one, per round.
func (g *group) rows(reps int) []row {
	var rows []row
	for _, v := range g.variants {
		rows = append(rows,
			summary("slack-go auth.test, "+v.name+": wall", "µs/call", g.calls, v.notes, v.wall),
			summary("slack-go auth.test, "+v.name+": CPU", "µs/call", g.calls, "this process's user+system time (getrusage), all threads", v.cpu))
	}
	for i, v := range g.variants {
		b, ok := g.baseline[i]
		if !ok {
			continue
		}
		plain := g.variants[b]
		dw, dc := make([]float64, reps), make([]float64, reps)
		for r := range reps {
			dw[r], dc[r] = v.wall[r]-plain.wall[r], v.cpu[r]-plain.cpu[r]
		}
		rows = append(rows,
			summary("added per request by "+v.name+": wall", "µs/call", g.calls, "per round: this variant − the static-token one ("+plain.name+")", dw),
			summary("added per request by "+v.name+": CPU", "µs/call", g.calls, "per round, getrusage: this variant − the static-token one", dc))
	}
	return rows
}

// cannedSlack is a RoundTripper that answers auth.test at once, counting the
// requests that did not carry token (in the form body, as slack-go sends it).
type cannedSlack struct {
	token        string
	calls, wrong atomic.Int64
}

const cannedAnswer = `{"ok":true,"url":"https://fake.slack.com/","team":"Fake","user":"bench","team_id":"T0","user_id":"U0"}`

func (c *cannedSlack) RoundTrip(req *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	if !bytes.Contains(body, []byte("token="+url.QueryEscape(c.token))) {
		c.wrong.Add(1)
	}
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   io.NopCloser(strings.NewReader(cannedAnswer)), ContentLength: int64(len(cannedAnswer)), Request: req}, nil
}

type row struct {
	Name   string  `json:"name"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Unit   string  `json:"unit"`
	Calls  int     `json:"calls"`
	Notes  string  `json:"notes"`
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func summary(name, unit string, calls int, notes string, xs []float64) row {
	round := func(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
	return row{Name: name, Median: round(median(xs)), Min: round(slices.Min(xs)), Max: round(slices.Max(xs)),
		Unit: unit, Calls: calls, Notes: notes}
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: slackgo-xoxe BASE CALLS REPS")
	}
	base := os.Args[1]
	calls, err1 := strconv.Atoi(os.Args[2])
	reps, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || calls < 1 || reps < 1 {
		fail("CALLS and REPS are positive integers")
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		fail("BASE %q is not a URL", base)
	}
	ctl := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/_control/"}).String()

	var pair struct {
		Token        string `json:"token"`
		RefreshToken string `json:"refresh_token"`
		Exp          int64  `json:"exp"`
	}
	control(ctl, "POST", "config_tokens", map[string]int{"ttl": 12 * 3600}, &pair)
	expires := time.Unix(pair.Exp, 0)
	if pair.Token == "" || time.Until(expires) < 3*time.Hour {
		fail("the fake Slack issued no token, or one too short-lived (expires %v)", expires)
	}

	client, err := xoxe.NewClient(xoxe.WithBaseURL(base))
	if err != nil {
		fail("%v", err)
	}
	defer client.Close()
	store, err := xoxe.NewMemoryStore()
	if err != nil {
		fail("%v", err)
	}
	defer store.Close()
	if err := store.Init(xoxe.ChainConfig, pair.RefreshToken, pair.Token, expires, false); err != nil {
		fail("%v", err)
	}
	rotator, err := xoxe.NewConfigRotator(client, store, nil)
	if err != nil {
		fail("%v", err)
	}
	defer rotator.Close()
	const chain = "bench"
	chainStore, err := store.OpenChain(chain)
	if err != nil {
		fail("%v", err)
	}
	if err := chainStore.Init(xoxe.ChainConfig, pair.RefreshToken, pair.Token, expires, false); err != nil {
		fail("%v", err)
	}
	chainStore.Close()
	pool, err := xoxe.NewPool(client, store, "", "")
	if err != nil {
		fail("%v", err)
	}
	defer pool.Close()

	// One HTTP transport of the same settings per variant (one keep-alive
	// connection each: the calls are sequential). Two ways of bounding a call:
	// http.Client.Timeout, as xoxe's examples do — for a RoundTripper that is
	// not net/http's own, net/http then cancels through the legacy
	// Request.Cancel (a goroutine, a timer and a channel per request) —, and a
	// context deadline on each call instead.
	httpClient := func(rt http.RoundTripper, timeout time.Duration) *http.Client {
		return &http.Client{Transport: rt, Timeout: timeout}
	}
	plainBase := func() *http.Transport { return http.DefaultTransport.(*http.Transport).Clone() }
	bg := context.Background()
	deadline, cancel := context.WithTimeout(bg, 24*time.Hour) // far: it only makes ctx cancellable
	defer cancel()
	const (
		withTimeout = "http.Client{Timeout: 30 s}"
		withCtx     = "no Client.Timeout, a context deadline"
		sameAbove   = "as above, the call bounded by its context instead"
	)
	api := func(token string, rt http.RoundTripper, timeout time.Duration) *slack.Client {
		return slack.New(token, slack.OptionAPIURL(base), slack.OptionHTTPClient(httpClient(rt, timeout)))
	}
	loopback := group{calls: calls, baseline: map[int]int{1: 0, 2: 0, 4: 3, 5: 3, 6: 0}, variants: []*variant{
		{name: "static token, " + withTimeout, api: api(pair.Token, plainBase(), 30*time.Second), ctx: bg,
			notes: "slack.New(token), an http.Client over a clone of http.DefaultTransport"},
		{name: "xoxe.Transport (Rotator), " + withTimeout, api: api(placeholder, xoxe.NewTransport(rotator, plainBase()), 30*time.Second), ctx: bg,
			notes: "xoxe.NewTransport(rotator, the same base transport); a fresh token"},
		{name: "xoxe.Transport (Pool), " + withTimeout, api: api(placeholder, xoxe.NewTransport(pool, plainBase()), 30*time.Second), ctx: xoxe.WithChain(bg, chain),
			notes: "xoxe.NewTransport(pool, the same base transport); ctx names the chain (xoxe.WithChain); a fresh token"},
		{name: "static token, " + withCtx, api: api(pair.Token, plainBase(), 0), ctx: deadline, notes: sameAbove},
		{name: "xoxe.Transport (Rotator), " + withCtx, api: api(placeholder, xoxe.NewTransport(rotator, plainBase()), 0), ctx: deadline, notes: sameAbove},
		{name: "xoxe.Transport (Pool), " + withCtx, api: api(placeholder, xoxe.NewTransport(pool, plainBase()), 0), ctx: xoxe.WithChain(deadline, chain), notes: sameAbove},
		// An A/A control: what "added" reads when nothing is added (the noise floor).
		{name: "static token again (control), " + withTimeout, api: api(pair.Token, plainBase(), 30*time.Second), ctx: bg,
			notes: "a second client like the first static-token one: its difference from it is the noise floor"},
	}}
	// The same calls over a RoundTripper that answers at once (it checks the
	// token and returns auth.test's answer, no network): xoxe's own cost per
	// request, which the loopback figures' noise can hide.
	canned := &cannedSlack{token: pair.Token}
	const cannedNote = "over a RoundTripper that checks the token and answers at once (no network), no Client.Timeout"
	noNetwork := group{calls: 10 * calls, baseline: map[int]int{1: 0, 2: 0}, variants: []*variant{
		{name: "static token, no network", api: api(pair.Token, canned, 0), ctx: bg, notes: cannedNote},
		{name: "xoxe.Transport (Rotator), no network", api: api(placeholder, xoxe.NewTransport(rotator, canned), 0), ctx: bg, notes: cannedNote},
		{name: "xoxe.Transport (Pool), no network", api: api(placeholder, xoxe.NewTransport(pool, canned), 0), ctx: xoxe.WithChain(bg, chain), notes: cannedNote},
	}}

	var s0, s1 stats
	control(ctl, "GET", "stats", nil, &s0)
	loopback.run(reps)
	control(ctl, "GET", "stats", nil, &s1)
	if s1.Rotations != s0.Rotations {
		fail("%d rotations during the run: the token was not fresh", s1.Rotations-s0.Rotations)
	}
	if got, want := s1.Requests["auth.test"]-s0.Requests["auth.test"], loopback.made(reps); got != want {
		fail("the fake Slack answered %d auth.test calls, want %d", got, want)
	}
	noNetwork.run(reps)
	if canned.wrong.Load() != 0 || canned.calls.Load() != noNetwork.made(reps) {
		fail("the canned RoundTripper got %d requests (%d with a wrong token), want %d", canned.calls.Load(), canned.wrong.Load(), noNetwork.made(reps))
	}
	rows := append(loopback.rows(reps), noNetwork.rows(reps)...)
	version := "?"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/slack-go/slack" {
				version = d.Version
			}
		}
	}
	out, _ := json.Marshal(map[string]any{"rows": rows, "slack_go": version, "rounds": reps})
	fmt.Println(string(out))
}
