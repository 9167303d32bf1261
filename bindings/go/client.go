package xoxe

// #include <stdlib.h>
// #include "xoxe.h"
import "C"

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Client is a Slack Web API client: one connection pool in the Rust core,
// safe for concurrent use by any number of goroutines. Create it with
// [NewClient] and release it with [Client.Close].
type Client struct{ h *handle[*C.xoxe_client] }

func (c *Client) handle() *handle[*C.xoxe_client] {
	if c == nil {
		return nil
	}
	return c.h
}

// Preset names a Slack deployment for [WithPreset].
type Preset uint32

const (
	// PresetSlack is https://slack.com/api/ (the default).
	PresetSlack Preset = C.XOXE_PRESET_SLACK
	// PresetGovSlack is GovSlack, https://slack-gov.com/api/.
	PresetGovSlack Preset = C.XOXE_PRESET_GOV_SLACK
)

// Option configures a [Client] in [NewClient]. Options apply in order, so of
// [WithBaseURL] and [WithPreset] the last one wins.
type Option func(*options)

// options are a new client's settings; err is the first failure, after which
// later options do nothing.
type options struct {
	h   *handle[*C.xoxe_client_options]
	err error
}

// set calls one setter, unless an option failed before or err (from checking
// the option's arguments) is not nil.
func (o *options) set(err error, f func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status) {
	if o.err == nil && err == nil {
		err = o.h.use("NewClient", func(p *C.xoxe_client_options) error {
			var e *C.xoxe_error
			return check("NewClient", f(p, &e), &e)
		})
	}
	o.err = cmp.Or(o.err, err)
}

func stringOption(what, value string, f func(p *C.xoxe_client_options, s *C.char, e **C.xoxe_error) C.xoxe_status) Option {
	return func(o *options) {
		a, err := toC("NewClient", strArg{what, value, false})
		defer a.free()
		o.set(err, func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status { return f(p, a[0], e) })
	}
}

// WithBaseURL sets the Web API base URL (a proxy, or a fake Slack in tests).
// The library accepts https://, or http:// only to a loopback host (otherwise
// NewClient fails with [ErrInsecureURL]).
func WithBaseURL(url string) Option {
	return stringOption("base URL", url, func(p *C.xoxe_client_options, s *C.char, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_client_options_set_base_url(p, s, e)
	})
}

// WithPreset sets the base URL to a known Slack deployment.
func WithPreset(preset Preset) Option {
	return func(o *options) {
		o.set(nil, func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_client_options_set_preset(p, C.uint32_t(preset), e)
		})
	}
}

// WithTimeouts sets the connect timeout and the whole-call timeout (which
// includes rate-limit waits); both must be positive. They are passed in whole
// milliseconds, rounded up.
func WithTimeouts(connect, call time.Duration) Option {
	return func(o *options) {
		cm, err1 := durationUnits("NewClient", "connect timeout", connect, time.Millisecond)
		tm, err2 := durationUnits("NewClient", "call timeout", call, time.Millisecond)
		o.set(cmp.Or(err1, err2), func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_client_options_set_timeouts(p, cm, tm, e)
		})
	}
}

// WithRateLimitRetries sets how many ratelimited answers are retried after
// waiting their Retry-After (0: fail at once with [ErrRateLimited]) and the
// longest Retry-After accepted (whole seconds, rounded up).
func WithRateLimitRetries(maxRetries int, maxWait time.Duration) Option {
	return func(o *options) {
		var err error
		if maxRetries < 0 || uint64(maxRetries) > math.MaxUint32 {
			err = usageError("NewClient", fmt.Sprintf("rate-limit retries %d out of range", maxRetries))
		}
		secs, err2 := durationUnits("NewClient", "rate-limit max wait", maxWait, time.Second)
		o.set(cmp.Or(err, err2), func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_client_options_set_ratelimit_retries(p, C.uint32_t(maxRetries), secs, e)
		})
	}
}

// pairedSetter sets one half of a pair the C API sets together, keeping the
// other half as the options hold it (the library's default until set).
type pairedSetter func(p *C.xoxe_client_options, a, b C.uint32_t, e **C.xoxe_error) C.xoxe_status
type pairedGetter func(p *C.xoxe_client_options, a, b *C.uint32_t, e **C.xoxe_error) C.xoxe_status

func halfOption(err error, get pairedGetter, set pairedSetter, second bool, v C.uint32_t) Option {
	return func(o *options) {
		o.set(err, func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			var a, b C.uint32_t
			if st := get(p, &a, &b, e); st != C.XOXE_STATUS_OK {
				return st
			}
			if second {
				b = v
			} else {
				a = v
			}
			return set(p, a, b, e)
		})
	}
}

func getTimeouts(p *C.xoxe_client_options, a, b *C.uint32_t, e **C.xoxe_error) C.xoxe_status {
	return C.xoxe_client_options_get_timeouts(p, a, b, e)
}

func setTimeouts(p *C.xoxe_client_options, a, b C.uint32_t, e **C.xoxe_error) C.xoxe_status {
	return C.xoxe_client_options_set_timeouts(p, a, b, e)
}

func getRetries(p *C.xoxe_client_options, a, b *C.uint32_t, e **C.xoxe_error) C.xoxe_status {
	return C.xoxe_client_options_get_ratelimit_retries(p, a, b, e)
}

func setRetries(p *C.xoxe_client_options, a, b C.uint32_t, e **C.xoxe_error) C.xoxe_status {
	return C.xoxe_client_options_set_ratelimit_retries(p, a, b, e)
}

// WithConnectTimeout sets only the connect timeout (positive; whole
// milliseconds, rounded up); the call timeout keeps its value.
func WithConnectTimeout(d time.Duration) Option {
	ms, err := durationUnits("NewClient", "connect timeout", d, time.Millisecond)
	return halfOption(err, getTimeouts, setTimeouts, false, ms)
}

// WithCallTimeout sets only the whole-call timeout (positive; whole
// milliseconds, rounded up); the connect timeout keeps its value.
func WithCallTimeout(d time.Duration) Option {
	ms, err := durationUnits("NewClient", "call timeout", d, time.Millisecond)
	return halfOption(err, getTimeouts, setTimeouts, true, ms)
}

// WithMaxRateLimitRetries sets only how many ratelimited answers are retried
// (0: fail at once); the longest accepted Retry-After keeps its value.
func WithMaxRateLimitRetries(n int) Option {
	var err error
	if n < 0 || uint64(n) > math.MaxUint32 {
		err = usageError("NewClient", fmt.Sprintf("rate-limit retries %d out of range", n))
	}
	return halfOption(err, getRetries, setRetries, false, C.uint32_t(n))
}

// WithMaxRetryWait sets only the longest Retry-After waited for (whole
// seconds, rounded up); the retry count keeps its value.
func WithMaxRetryWait(d time.Duration) Option {
	secs, err := durationUnits("NewClient", "rate-limit max wait", d, time.Second)
	return halfOption(err, getRetries, setRetries, true, secs)
}

// WithCABundle trusts the PEM certificates in the file at path in addition to
// the built-in roots (for a TLS-intercepting proxy). The file is read by
// NewClient. TLS verification itself cannot be turned off.
func WithCABundle(path string) Option {
	return stringOption("CA bundle path", path, func(p *C.xoxe_client_options, s *C.char, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_client_options_set_ca_bundle(p, s, e)
	})
}

// WithMaxResponseBytes sets the largest response body accepted (n > 0);
// larger ones fail with StatusResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) {
		var err error
		if n < 0 {
			err = usageError("NewClient", fmt.Sprintf("max response bytes %d is negative", n))
		}
		o.set(err, func(p *C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_client_options_set_max_response_bytes(p, C.uint64_t(n), e)
		})
	}
}

var abiCheck = sync.OnceValue(func() error {
	if v := ABIVersion(); v != C.XOXE_ABI_VERSION {
		return fmt.Errorf("xoxe: the linked library has ABI version %d; this package needs %d", v, C.XOXE_ABI_VERSION)
	}
	return nil
})

// Version is the linked library's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.xoxe_version()) }

// ABIVersion is the C ABI version of the linked library. [NewClient] refuses
// a library whose version is not the XOXE_ABI_VERSION of include/xoxe.h.
func ABIVersion() uint32 { return uint32(C.xoxe_abi_version()) }

// NewClient creates a client. Without options it talks to
// https://slack.com/api/ with the library's defaults (timeouts, rate-limit
// retries, response limit: see xoxe_client_options_new in include/xoxe.h).
func NewClient(opts ...Option) (*Client, error) {
	const op = "NewClient"
	if err := abiCheck(); err != nil {
		return nil, err
	}
	var o options
	var err error
	o.h, err = own(op, "client options", func(p *C.xoxe_client_options) { C.xoxe_client_options_free(p) },
		func(out **C.xoxe_client_options, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_client_options_new(out, e)
		})
	if err != nil {
		return nil, err
	}
	defer o.h.close()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	c := &Client{}
	err = o.h.use(op, func(p *C.xoxe_client_options) (err error) {
		c.h, err = own(op, "client", func(p *C.xoxe_client) { C.xoxe_client_free(p) },
			func(out **C.xoxe_client, e **C.xoxe_error) C.xoxe_status { return C.xoxe_client_new(p, out, e) })
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close frees the client. It waits for calls in flight on other goroutines
// to finish; calls made after Close fail with [ErrClosed]. Close is idempotent
// and safe to call concurrently; it always returns nil.
func (c *Client) Close() error { return c.handle().close() }

// BaseURL is the client's Web API base URL (ending in "/"), or "" once the
// client is closed.
func (c *Client) BaseURL() (url string) {
	_ = c.handle().use("BaseURL", func(p *C.xoxe_client) error {
		url = goString(C.xoxe_client_base_url(p))
		return nil
	})
	return url
}

// invoke is every Slack method: check ctx and the arguments, copy these to C,
// make the call under the client's lock, and convert (and free) its result.
func invoke[O, R any](c *Client, ctx context.Context, op string, args []strArg,
	call func(p *C.xoxe_client, a cStrings, timeout C.uint32_t, out *O, e **C.xoxe_error) C.xoxe_status,
	take func(O) *R) (*R, error) {
	timeout, err := timeoutMS(ctx, op)
	if err != nil {
		return nil, err
	}
	a, err := toC(op, args...)
	if err != nil {
		return nil, err
	}
	defer a.free()
	var out O
	err = c.handle().use(op, func(p *C.xoxe_client) error {
		var e *C.xoxe_error
		return check(op, call(p, a, timeout, &out, &e), &e)
	})
	if err != nil {
		return nil, err
	}
	return take(out), nil
}

// ConfigToken is a rotated app configuration token pair
// (tooling.tokens.rotate). Persist it before using Token: the refresh token
// that produced it is spent.
type ConfigToken struct {
	Token        Secret    // the config access token (xoxe.xoxp-…)
	RefreshToken Secret    // the refresh token for the next rotation (xoxe-…), single-use
	TeamID       string    // workspace id
	UserID       string    // user id
	IssuedAt     time.Time // when Slack issued the token (Slack's clock, iat)
	ExpiresAt    time.Time // when the token expires (Slack's clock, exp)
	Warnings     []string  // warnings Slack attached (nil when none)
}

// OAuthToken is an expiring bot or user token pair (oauth.v2.exchange, or
// oauth.v2.access with a refresh token).
type OAuthToken struct {
	AccessToken         Secret        // the access token (xoxe.xoxb-… / xoxe.xoxp-…)
	RefreshToken        Secret        // the refresh token for the next refresh, single-use
	ExpiresIn           time.Duration // the access token's lifetime as Slack reported it (expires_in)
	ExpiresAt           time.Time     // this machine's time of receipt plus ExpiresIn
	TokenType           string        // "bot" or "user"
	Scope               string        // comma-separated scopes
	AppID               string        // app id
	BotUserID           string        // bot user id, or ""
	UserID              string        // user id, or ""
	TeamID              string        // workspace id, or ""
	TeamName            string        // workspace name, or ""
	EnterpriseID        string        // enterprise org id, or ""
	EnterpriseName      string        // enterprise org name, or ""
	IsEnterpriseInstall bool          // an org-wide install
	Warnings            []string      // warnings Slack attached (nil when none)
}

// AuthIdentity is what auth.test said about a token.
type AuthIdentity struct {
	URL                 string   // workspace URL
	Team                string   // workspace name
	User                string   // user name
	TeamID              string   // workspace id
	UserID              string   // user id
	BotID               string   // bot id, or ""
	EnterpriseID        string   // enterprise org id, or ""
	IsEnterpriseInstall bool     // an org-wide install
	Warnings            []string // warnings Slack attached (nil when none)
}

// APIResponse is the raw answer of [Client.Call].
type APIResponse struct {
	JSON     []byte   // the body as Slack sent it; may hold secrets (depending on the method): do not log it
	Warnings []string // warnings Slack attached (nil when none)
}

// ToolingTokensRotate calls tooling.tokens.rotate: it spends refreshToken and
// returns the new config token pair. Persist the pair before using it. A
// failure after the request may have reached Slack is [ErrOutcomeUnknown]
// (never retried; the old refresh token may be spent). ctx is handled as the
// package documentation says: checked before sending, its deadline the call's
// timeout, unable to interrupt a call in flight.
func (c *Client) ToolingTokensRotate(ctx context.Context, refreshToken string) (*ConfigToken, error) {
	return invoke(c, ctx, "ToolingTokensRotate", []strArg{{"refresh token", refreshToken, false}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_config_token, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_tooling_tokens_rotate(p, a[0], t, out, e)
		}, takeConfigToken)
}

// OAuthV2Exchange calls oauth.v2.exchange: it trades a legacy xoxb-/xoxp-
// token for an expiring pair. Each legacy token can be exchanged once
// ([ErrTokenAlreadyExchanged] after). Context handling and
// [ErrOutcomeUnknown] are as for [Client.ToolingTokensRotate].
func (c *Client) OAuthV2Exchange(ctx context.Context, clientID, clientSecret, token string) (*OAuthToken, error) {
	return invoke(c, ctx, "OAuthV2Exchange", []strArg{{"client ID", clientID, false}, {"client secret", clientSecret, false}, {"token", token, false}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_oauth_token, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_oauth_v2_exchange(p, a[0], a[1], a[2], t, out, e)
		}, takeOAuthToken)
}

// OAuthV2Refresh calls oauth.v2.access with grant_type=refresh_token: it
// spends refreshToken and returns a new pair ([ErrInvalidRefreshToken] if it
// was unknown or already spent). Context handling and [ErrOutcomeUnknown] are
// as for [Client.ToolingTokensRotate].
func (c *Client) OAuthV2Refresh(ctx context.Context, clientID, clientSecret, refreshToken string) (*OAuthToken, error) {
	return invoke(c, ctx, "OAuthV2Refresh", []strArg{{"client ID", clientID, false}, {"client secret", clientSecret, false}, {"refresh token", refreshToken, false}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_oauth_token, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_oauth_v2_refresh(p, a[0], a[1], a[2], t, out, e)
		}, takeOAuthToken)
}

// AuthTest calls auth.test: it says whom token belongs to. Context handling
// is as for [Client.ToolingTokensRotate].
func (c *Client) AuthTest(ctx context.Context, token string) (*AuthIdentity, error) {
	return invoke(c, ctx, "AuthTest", []strArg{{"token", token, false}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_auth_identity, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_auth_test(p, a[0], t, out, e)
		}, takeAuthIdentity)
}

// Call calls any Web API method with form arguments (sent in sorted key
// order). token is sent as a Bearer token; "" sends none. An ok: false answer
// is an [*Error] carrying Slack's code and, in ResponseJSON, its body.
// Context handling is as for [Client.ToolingTokensRotate].
func (c *Client) Call(ctx context.Context, method, token string, params map[string]string) (*APIResponse, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := []strArg{{"method", method, false}, {"token", token, true}}
	for _, k := range keys {
		args = append(args, strArg{"parameter name " + strconv.Quote(k), k, false}, strArg{"parameter " + strconv.Quote(k), params[k], false})
	}
	return invoke(c, ctx, "Call", args,
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_api_response, e **C.xoxe_error) C.xoxe_status {
			n := len(keys)
			if n == 0 {
				return C.xoxe_call(p, a[0], a[1], nil, nil, 0, t, out, e)
			}
			// Arrays of C pointers live in C memory (cgo's rules).
			arr := (**C.char)(C.malloc(C.size_t(2*n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
			defer C.free(unsafe.Pointer(arr))
			s := unsafe.Slice(arr, 2*n)
			for i := 0; i < n; i++ {
				s[i], s[n+i] = a[2+2*i], a[3+2*i]
			}
			return C.xoxe_call(p, a[0], a[1], &s[0], &s[n], C.size_t(n), t, out, e)
		}, takeAPIResponse)
}

func takeConfigToken(h *C.xoxe_config_token) *ConfigToken {
	defer C.xoxe_config_token_free(h)
	info := C.xoxe_config_token_get_info(h)
	return &ConfigToken{
		Token:        secretFromC(info.token),
		RefreshToken: secretFromC(info.refresh_token),
		TeamID:       goString(info.team_id),
		UserID:       goString(info.user_id),
		IssuedAt:     time.Unix(int64(info.iat), 0),
		ExpiresAt:    time.Unix(int64(info.exp), 0),
		Warnings:     goStrings(info.warnings, info.warnings_len),
	}
}

func takeOAuthToken(h *C.xoxe_oauth_token) *OAuthToken {
	received := time.Now()
	defer C.xoxe_oauth_token_free(h)
	info := C.xoxe_oauth_token_get_info(h)
	expiresIn := time.Duration(info.expires_in) * time.Second
	return &OAuthToken{
		AccessToken:         secretFromC(info.access_token),
		RefreshToken:        secretFromC(info.refresh_token),
		ExpiresIn:           expiresIn,
		ExpiresAt:           received.Add(expiresIn),
		TokenType:           goString(info.token_type),
		Scope:               goString(info.scope),
		AppID:               goString(info.app_id),
		BotUserID:           goString(info.bot_user_id),
		UserID:              goString(info.user_id),
		TeamID:              goString(info.team_id),
		TeamName:            goString(info.team_name),
		EnterpriseID:        goString(info.enterprise_id),
		EnterpriseName:      goString(info.enterprise_name),
		IsEnterpriseInstall: bool(info.is_enterprise_install),
		Warnings:            goStrings(info.warnings, info.warnings_len),
	}
}

func takeAuthIdentity(h *C.xoxe_auth_identity) *AuthIdentity {
	defer C.xoxe_auth_identity_free(h)
	info := C.xoxe_auth_identity_get_info(h)
	return &AuthIdentity{
		URL:                 goString(info.url),
		Team:                goString(info.team),
		User:                goString(info.user),
		TeamID:              goString(info.team_id),
		UserID:              goString(info.user_id),
		BotID:               goString(info.bot_id),
		EnterpriseID:        goString(info.enterprise_id),
		IsEnterpriseInstall: bool(info.is_enterprise_install),
		Warnings:            goStrings(info.warnings, info.warnings_len),
	}
}

func takeAPIResponse(h *C.xoxe_api_response) *APIResponse {
	defer C.xoxe_api_response_free(h)
	info := C.xoxe_api_response_get_info(h)
	return &APIResponse{
		JSON:     append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(info.json)), info.json_len)...),
		Warnings: goStrings(info.warnings, info.warnings_len),
	}
}
