package xoxe

// #include <stdlib.h>
// #include "xoxe.h"
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"
	"unsafe"
)

// Client is a Slack Web API client: one connection pool in the Rust core,
// safe for concurrent use by any number of goroutines. Create it with
// [NewClient] and release it with [Client.Close].
type Client struct {
	// mu guards ptr: every call holds it for reading while it uses ptr; Close
	// holds it for writing, so Close waits for calls in flight and later calls
	// see nil and fail with ErrClosed.
	mu  sync.RWMutex
	ptr *C.xoxe_client
}

// Preset names a Slack deployment for [WithPreset].
type Preset uint32

const (
	// PresetSlack is https://slack.com/api/ (the default).
	PresetSlack Preset = 0
	// PresetGovSlack is GovSlack, https://slack-gov.com/api/.
	PresetGovSlack Preset = 1
)

// Option configures a [Client] in [NewClient]. Options apply in order, so of
// [WithBaseURL] and [WithPreset] the last one wins.
type Option func(*config)

type config struct {
	steps []func(o *C.xoxe_client_options) error
}

func (c *config) add(step func(o *C.xoxe_client_options) error) {
	c.steps = append(c.steps, step)
}

// WithBaseURL sets the Web API base URL (a proxy, or a fake Slack in tests).
// The library accepts https://, or http:// only to a loopback host (otherwise
// NewClient fails with [ErrInsecureURL]).
func WithBaseURL(url string) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			args, err := toC("NewClient", strArg{name: "base URL", value: url})
			if err != nil {
				return err
			}
			defer args.free()
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_base_url(o, args[0], &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// WithPreset sets the base URL to a known Slack deployment.
func WithPreset(p Preset) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_preset(o, C.uint32_t(p), &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// WithTimeouts sets the connect timeout and the whole-call timeout (which
// includes rate-limit waits); both must be positive. They are passed in whole
// milliseconds, rounded up. Defaults: 10 s and 30 s.
func WithTimeouts(connect, call time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			cm, err := durationUnits("connect timeout", connect, time.Millisecond)
			if err != nil {
				return err
			}
			tm, err := durationUnits("call timeout", call, time.Millisecond)
			if err != nil {
				return err
			}
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_timeouts(o, C.uint32_t(cm), C.uint32_t(tm), &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// WithRateLimitRetries sets how many ratelimited answers are retried after
// waiting their Retry-After (0: fail at once with [ErrRateLimited]) and the
// longest Retry-After accepted (whole seconds, rounded up). Defaults: 2 and 60 s.
func WithRateLimitRetries(maxRetries int, maxWait time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			if maxRetries < 0 || uint64(maxRetries) > math.MaxUint32 {
				return usageError("NewClient", fmt.Sprintf("rate-limit retries %d out of range", maxRetries))
			}
			secs, err := durationUnits("rate-limit max wait", maxWait, time.Second)
			if err != nil {
				return err
			}
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_ratelimit_retries(o, C.uint32_t(maxRetries), C.uint32_t(secs), &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// WithCABundle trusts the PEM certificates in the file at path in addition to
// the built-in roots (for a TLS-intercepting proxy). The file is read by
// NewClient. TLS verification itself cannot be turned off.
func WithCABundle(path string) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			args, err := toC("NewClient", strArg{name: "CA bundle path", value: path})
			if err != nil {
				return err
			}
			defer args.free()
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_ca_bundle(o, args[0], &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// WithMaxResponseBytes sets the largest response body accepted (n > 0);
// larger ones fail with StatusResponseTooLarge. Default: 4 MiB.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) {
		c.add(func(o *C.xoxe_client_options) error {
			if n < 0 {
				return usageError("NewClient", fmt.Sprintf("max response bytes %d is negative", n))
			}
			var cerr *C.xoxe_error
			if st := C.xoxe_client_options_set_max_response_bytes(o, C.uint64_t(n), &cerr); st != 0 {
				return takeError("NewClient", st, cerr)
			}
			return nil
		})
	}
}

// durationUnits converts d to a whole number of units (rounded up) that fits a
// uint32. Zero passes through (the library rejects it where it must).
func durationUnits(what string, d time.Duration, unit time.Duration) (uint32, error) {
	if d < 0 {
		return 0, usageError("NewClient", fmt.Sprintf("%s %v is negative", what, d))
	}
	n := d / unit
	if d%unit != 0 {
		n++
	}
	if n > math.MaxUint32 {
		return 0, usageError("NewClient", fmt.Sprintf("%s %v is too long", what, d))
	}
	return uint32(n), nil
}

var abiCheck = sync.OnceValue(func() error {
	if v := uint32(C.xoxe_abi_version()); v != abiVersion {
		return fmt.Errorf("xoxe: the linked library has ABI version %d; this package needs %d", v, abiVersion)
	}
	return nil
})

// Version is the linked library's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.xoxe_version()) }

// ABIVersion is the C ABI version of the linked library. [NewClient] refuses
// to work with one other than the version this package was written for (1).
func ABIVersion() uint32 { return uint32(C.xoxe_abi_version()) }

// NewClient creates a client. Without options it talks to https://slack.com/api/
// with the library's defaults (10 s connect and 30 s call timeouts, 2
// rate-limit retries waiting at most 60 s, 4 MiB response limit).
func NewClient(opts ...Option) (*Client, error) {
	if err := abiCheck(); err != nil {
		return nil, err
	}
	var cfg config
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	var o *C.xoxe_client_options
	var cerr *C.xoxe_error
	if st := C.xoxe_client_options_new(&o, &cerr); st != 0 {
		return nil, takeError("NewClient", st, cerr)
	}
	defer C.xoxe_client_options_free(o)
	for _, step := range cfg.steps {
		if err := step(o); err != nil {
			return nil, err
		}
	}
	var p *C.xoxe_client
	if st := C.xoxe_client_new(o, &p, &cerr); st != 0 {
		return nil, takeError("NewClient", st, cerr)
	}
	c := &Client{ptr: p}
	runtime.SetFinalizer(c, (*Client).free)
	return c, nil
}

// Close frees the client. It waits for calls in flight on other goroutines
// to finish; calls made after Close fail with [ErrClosed]. Close is idempotent
// and safe to call concurrently; it always returns nil.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	runtime.SetFinalizer(c, nil)
	c.free()
	return nil
}

func (c *Client) free() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.xoxe_client_free(c.ptr)
		c.ptr = nil
	}
}

// BaseURL is the client's Web API base URL (ending in "/"), or "" once the
// client is closed.
func (c *Client) BaseURL() string {
	if c == nil {
		return ""
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ""
	}
	s := goStringOrEmpty(C.xoxe_client_base_url(c.ptr))
	runtime.KeepAlive(c)
	return s
}

// timeoutMS turns ctx into the C call's timeout_ms: 0 (the client's call
// timeout) without a deadline, else the time left in whole milliseconds
// (rounded up). A cancelled or expired context fails before any C call.
func timeoutMS(ctx context.Context, op string) (C.uint32_t, error) {
	if err := ctx.Err(); err != nil {
		return 0, contextError(op, err)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, nil
	}
	left := time.Until(dl)
	if left <= 0 {
		return 0, contextError(op, context.DeadlineExceeded)
	}
	ms := (left + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxUint32 {
		ms = math.MaxUint32
	}
	return C.uint32_t(ms), nil
}

// prepare is the common start of every call: check the context, convert the
// arguments. The caller frees the returned strings.
func prepare(ctx context.Context, op string, args ...strArg) (C.uint32_t, cStrings, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	timeout, err := timeoutMS(ctx, op)
	if err != nil {
		return 0, nil, err
	}
	cs, err := toC(op, args...)
	if err != nil {
		return 0, nil, err
	}
	return timeout, cs, nil
}

// do runs one C call with the client pointer, holding the read lock so Close
// cannot free the client meanwhile.
func (c *Client) do(op string, call func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error)) error {
	if c == nil {
		return closedError(op)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return closedError(op)
	}
	st, cerr := call(c.ptr)
	runtime.KeepAlive(c)
	if st != 0 {
		return takeError(op, st, cerr)
	}
	return nil
}

// ConfigToken is a rotated app configuration token pair
// (tooling.tokens.rotate). Persist it before using Token: the refresh token
// that produced it is spent.
type ConfigToken struct {
	// Token is the config access token (xoxe.xoxp-…).
	Token Secret
	// RefreshToken is the refresh token for the next rotation (xoxe-…), single-use.
	RefreshToken Secret
	// TeamID is the workspace id.
	TeamID string
	// UserID is the user id.
	UserID string
	// IssuedAt is when Slack issued the token (Slack's clock, iat).
	IssuedAt time.Time
	// ExpiresAt is when the token expires (Slack's clock, exp).
	ExpiresAt time.Time
	// Warnings are the warnings Slack attached (nil when none).
	Warnings []string
}

// OAuthToken is an expiring bot or user token pair (oauth.v2.exchange, or
// oauth.v2.access with a refresh token).
type OAuthToken struct {
	// AccessToken is the access token (xoxe.xoxb-… / xoxe.xoxp-…).
	AccessToken Secret
	// RefreshToken is the refresh token for the next refresh, single-use.
	RefreshToken Secret
	// ExpiresIn is the access token's lifetime as Slack reported it (expires_in).
	ExpiresIn time.Duration
	// ExpiresAt is the local receive time of the response plus ExpiresIn.
	ExpiresAt time.Time
	// TokenType is "bot" or "user".
	TokenType string
	// Scope is the comma-separated scopes.
	Scope string
	// AppID is the app id.
	AppID string
	// BotUserID is the bot user id, or "".
	BotUserID string
	// UserID is the user id, or "".
	UserID string
	// TeamID is the workspace id, or "".
	TeamID string
	// TeamName is the workspace name, or "".
	TeamName string
	// EnterpriseID is the enterprise org id, or "".
	EnterpriseID string
	// EnterpriseName is the enterprise org name, or "".
	EnterpriseName string
	// IsEnterpriseInstall reports an org-wide install.
	IsEnterpriseInstall bool
	// Warnings are the warnings Slack attached (nil when none).
	Warnings []string
}

// AuthIdentity is what auth.test said about a token.
type AuthIdentity struct {
	// URL is the workspace URL.
	URL string
	// Team is the workspace name.
	Team string
	// User is the user name.
	User string
	// TeamID is the workspace id.
	TeamID string
	// UserID is the user id.
	UserID string
	// BotID is the bot id, or "".
	BotID string
	// EnterpriseID is the enterprise org id, or "".
	EnterpriseID string
	// IsEnterpriseInstall reports an org-wide install.
	IsEnterpriseInstall bool
	// Warnings are the warnings Slack attached (nil when none).
	Warnings []string
}

// APIResponse is the raw answer of [Client.Call].
type APIResponse struct {
	// JSON is the response body as Slack sent it. It may contain secrets
	// (depending on the method): do not log it.
	JSON []byte
	// Warnings are the warnings Slack attached (nil when none).
	Warnings []string
}

// ToolingTokensRotate calls tooling.tokens.rotate: it spends refreshToken and
// returns the new config token pair. Persist the pair before using it.
//
// A failure after the request may have reached Slack is [ErrOutcomeUnknown]
// (never retried; the old refresh token may be spent). ctx's deadline, if
// any, becomes the call's timeout (otherwise the client's call timeout
// applies); a context already cancelled or expired fails before anything is
// sent. Cancelling ctx cannot interrupt a call already in flight: the C call
// blocks until it answers or its timeout passes, and a successful result is
// returned even if ctx was cancelled meanwhile (the token is spent either way).
func (c *Client) ToolingTokensRotate(ctx context.Context, refreshToken string) (*ConfigToken, error) {
	const op = "ToolingTokensRotate"
	timeout, args, err := prepare(ctx, op, strArg{name: "refresh token", value: refreshToken})
	if err != nil {
		return nil, err
	}
	defer args.free()
	var out *C.xoxe_config_token
	err = c.do(op, func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var cerr *C.xoxe_error
		st := C.xoxe_tooling_tokens_rotate(p, args[0], timeout, &out, &cerr)
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	defer C.xoxe_config_token_free(out)
	info := C.xoxe_config_token_get_info(out)
	return &ConfigToken{
		Token:        secretFromC(info.token),
		RefreshToken: secretFromC(info.refresh_token),
		TeamID:       goStringOrEmpty(info.team_id),
		UserID:       goStringOrEmpty(info.user_id),
		IssuedAt:     time.Unix(int64(info.iat), 0),
		ExpiresAt:    time.Unix(int64(info.exp), 0),
		Warnings:     goStrings(info.warnings, info.warnings_len),
	}, nil
}

// OAuthV2Exchange calls oauth.v2.exchange: it trades a legacy xoxb-/xoxp-
// token for an expiring pair. Each legacy token can be exchanged once
// ([ErrTokenAlreadyExchanged] after). Context handling and
// [ErrOutcomeUnknown] are as for [Client.ToolingTokensRotate].
func (c *Client) OAuthV2Exchange(ctx context.Context, clientID, clientSecret, token string) (*OAuthToken, error) {
	const op = "OAuthV2Exchange"
	timeout, args, err := prepare(ctx, op,
		strArg{name: "client ID", value: clientID},
		strArg{name: "client secret", value: clientSecret},
		strArg{name: "token", value: token})
	if err != nil {
		return nil, err
	}
	defer args.free()
	var out *C.xoxe_oauth_token
	err = c.do(op, func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var cerr *C.xoxe_error
		st := C.xoxe_oauth_v2_exchange(p, args[0], args[1], args[2], timeout, &out, &cerr)
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	return takeOAuthToken(out), nil
}

// OAuthV2Refresh calls oauth.v2.access with grant_type=refresh_token: it
// spends refreshToken and returns a new pair ([ErrInvalidRefreshToken] if it
// was unknown or already spent). Context handling and [ErrOutcomeUnknown] are
// as for [Client.ToolingTokensRotate].
func (c *Client) OAuthV2Refresh(ctx context.Context, clientID, clientSecret, refreshToken string) (*OAuthToken, error) {
	const op = "OAuthV2Refresh"
	timeout, args, err := prepare(ctx, op,
		strArg{name: "client ID", value: clientID},
		strArg{name: "client secret", value: clientSecret},
		strArg{name: "refresh token", value: refreshToken})
	if err != nil {
		return nil, err
	}
	defer args.free()
	var out *C.xoxe_oauth_token
	err = c.do(op, func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var cerr *C.xoxe_error
		st := C.xoxe_oauth_v2_refresh(p, args[0], args[1], args[2], timeout, &out, &cerr)
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	return takeOAuthToken(out), nil
}

// takeOAuthToken copies an OAuth token handle into Go memory and frees it.
func takeOAuthToken(out *C.xoxe_oauth_token) *OAuthToken {
	received := time.Now()
	defer C.xoxe_oauth_token_free(out)
	info := C.xoxe_oauth_token_get_info(out)
	expiresIn := time.Duration(int64(info.expires_in)) * time.Second
	return &OAuthToken{
		AccessToken:         secretFromC(info.access_token),
		RefreshToken:        secretFromC(info.refresh_token),
		ExpiresIn:           expiresIn,
		ExpiresAt:           received.Add(expiresIn),
		TokenType:           goStringOrEmpty(info.token_type),
		Scope:               goStringOrEmpty(info.scope),
		AppID:               goStringOrEmpty(info.app_id),
		BotUserID:           goStringOrEmpty(info.bot_user_id),
		UserID:              goStringOrEmpty(info.user_id),
		TeamID:              goStringOrEmpty(info.team_id),
		TeamName:            goStringOrEmpty(info.team_name),
		EnterpriseID:        goStringOrEmpty(info.enterprise_id),
		EnterpriseName:      goStringOrEmpty(info.enterprise_name),
		IsEnterpriseInstall: bool(info.is_enterprise_install),
		Warnings:            goStrings(info.warnings, info.warnings_len),
	}
}

// AuthTest calls auth.test: it says whom token belongs to. Context handling
// is as for [Client.ToolingTokensRotate].
func (c *Client) AuthTest(ctx context.Context, token string) (*AuthIdentity, error) {
	const op = "AuthTest"
	timeout, args, err := prepare(ctx, op, strArg{name: "token", value: token})
	if err != nil {
		return nil, err
	}
	defer args.free()
	var out *C.xoxe_auth_identity
	err = c.do(op, func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var cerr *C.xoxe_error
		st := C.xoxe_auth_test(p, args[0], timeout, &out, &cerr)
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	defer C.xoxe_auth_identity_free(out)
	info := C.xoxe_auth_identity_get_info(out)
	return &AuthIdentity{
		URL:                 goStringOrEmpty(info.url),
		Team:                goStringOrEmpty(info.team),
		User:                goStringOrEmpty(info.user),
		TeamID:              goStringOrEmpty(info.team_id),
		UserID:              goStringOrEmpty(info.user_id),
		BotID:               goStringOrEmpty(info.bot_id),
		EnterpriseID:        goStringOrEmpty(info.enterprise_id),
		IsEnterpriseInstall: bool(info.is_enterprise_install),
		Warnings:            goStrings(info.warnings, info.warnings_len),
	}, nil
}

// Call calls any Web API method with form arguments (sent in sorted key
// order). token is sent as a Bearer token; "" sends none. An ok: false answer
// is an [*Error] carrying Slack's code and, in ResponseJSON, its body.
// Context handling is as for [Client.ToolingTokensRotate].
func (c *Client) Call(ctx context.Context, method, token string, params map[string]string) (*APIResponse, error) {
	const op = "Call"
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	list := make([]strArg, 0, 2+2*len(keys))
	list = append(list,
		strArg{name: "method", value: method},
		strArg{name: "token", value: token, nullIfEmpty: true})
	for _, k := range keys {
		list = append(list,
			strArg{name: fmt.Sprintf("parameter name %q", k), value: k},
			strArg{name: fmt.Sprintf("parameter %q", sanitizeName(k)), value: params[k]})
	}
	timeout, args, err := prepare(ctx, op, list...)
	if err != nil {
		return nil, err
	}
	defer args.free()
	n := len(keys)
	var names, values **C.char
	if n > 0 {
		// C memory, so the arrays of C pointers never live in Go memory.
		size := C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
		names = (**C.char)(C.malloc(size))
		values = (**C.char)(C.malloc(size))
		defer C.free(unsafe.Pointer(names))
		defer C.free(unsafe.Pointer(values))
		ns, vs := unsafe.Slice(names, n), unsafe.Slice(values, n)
		for i := 0; i < n; i++ {
			ns[i], vs[i] = args[2+2*i], args[3+2*i]
		}
	}
	var out *C.xoxe_api_response
	err = c.do(op, func(p *C.xoxe_client) (C.xoxe_status, *C.xoxe_error) {
		var cerr *C.xoxe_error
		st := C.xoxe_call(p, args[0], args[1], names, values, C.size_t(n), timeout, &out, &cerr)
		return st, cerr
	})
	if err != nil {
		return nil, err
	}
	defer C.xoxe_api_response_free(out)
	info := C.xoxe_api_response_get_info(out)
	return &APIResponse{
		JSON:     goBytes(info.json, info.json_len),
		Warnings: goStrings(info.warnings, info.warnings_len),
	}, nil
}

// sanitizeName keeps a parameter name printable in an error message while
// never echoing a value: names with a NUL byte are shown as "(name with NUL)".
func sanitizeName(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return "(name with NUL)"
		}
	}
	return k
}

// goBytes copies n bytes at p into Go memory (nil for NULL).
func goBytes(p *C.char, n C.size_t) []byte {
	if p == nil {
		return nil
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))...)
}
