package xoxe

// #include <stdlib.h>
// #include "xoxe.h"
import "C"

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Install is a new installation as oauth.v2.access
// (grant_type=authorization_code) answered it: [Client.OAuthV2Access],
// [Pool.InstallCode]. Save its tokens at once with [Pool.Install]: the
// authorization code is spent and the tokens exist nowhere else.
//
// Printing an Install with any fmt verb (and String, GoString) shows its ids
// and chain names, never a token, the webhook URL or RawJSON.
type Install struct {
	AppID               string
	TeamID              string // the workspace ("" for an org-wide install)
	TeamName            string
	EnterpriseID        string // the Enterprise Grid organisation, or ""
	EnterpriseName      string
	IsEnterpriseInstall bool                     // an org-wide install (TeamID is then "")
	Bot                 *InstalledToken          // the bot token; nil when the install granted no bot scopes
	AuthedUser          *AuthedUser              // the installing user (and their token, if user scopes were granted); nil when absent
	IncomingWebhook     *IncomingWebhook         // the incoming webhook, if the install created one
	RawJSON             Secret                   // Slack's answer as it came, tokens and all (never log it); see [Pool.InstallJSON]
	ReceivedAt          time.Time                // when the answer arrived (this machine's clock, whole seconds)
	Warnings            []string                 // warnings Slack attached (nil when none)
	h                   *handle[*C.xoxe_install] // the library's parse, saved by Pool.Install; nil for an Install made in Go
}

// InstalledToken is a token an installation granted: the bot's
// ([Install].Bot) or the installing user's ([AuthedUser].Token).
type InstalledToken struct {
	AccessToken  Secret        // the access token (xoxe.xoxb-… / xoxe.xoxp-… with rotation on)
	RefreshToken Secret        // the refresh token, single-use
	ExpiresIn    time.Duration // the access token's lifetime as Slack reported it
	ExpiresAt    time.Time     // when the access token expires: ReceivedAt plus ExpiresIn (this machine's clock)
	Scope        string        // comma-separated scopes granted
	Chain        string        // the chain this token is kept under in a Pool ([InstallationChain]), or ""
	BotUserID    string        // the bot's user id (a bot token only)
	BotID        string        // the bot's id (a bot token only)
}

// AuthedUser is the user who installed the app (authed_user).
type AuthedUser struct {
	ID    string
	Scope string          // comma-separated user scopes granted, or ""
	Token *InstalledToken // the user token; nil when the install asked for no user scopes
	Chain string          // the user token's chain name (as Token.Chain), or "" without a token
}

// IncomingWebhook is the incoming webhook an install with the
// incoming-webhook scope created.
type IncomingWebhook struct {
	Channel          string
	ChannelID        string
	ConfigurationURL string
	URL              Secret // anyone holding it can post: a secret
}

// Chains are the chain names of the tokens the install granted: the bot's,
// then the user's.
func (i *Install) Chains() []string {
	if i == nil {
		return nil
	}
	var out []string
	if i.Bot != nil && i.Bot.Chain != "" {
		out = append(out, i.Bot.Chain)
	}
	if i.AuthedUser != nil && i.AuthedUser.Chain != "" {
		out = append(out, i.AuthedUser.Chain)
	}
	return out
}

// String describes the install by its ids and chain names (never a secret).
func (i Install) String() string {
	var b strings.Builder
	b.WriteString("xoxe.Install{AppID: " + strconv.Quote(i.AppID))
	for _, f := range []struct{ name, value string }{
		{"TeamID", i.TeamID}, {"TeamName", i.TeamName}, {"EnterpriseID", i.EnterpriseID}, {"EnterpriseName", i.EnterpriseName},
	} {
		if f.value != "" {
			b.WriteString(", " + f.name + ": " + strconv.Quote(f.value))
		}
	}
	if i.IsEnterpriseInstall {
		b.WriteString(", IsEnterpriseInstall: true")
	}
	if i.Bot != nil {
		b.WriteString(", Bot: " + i.Bot.String())
	}
	if u := i.AuthedUser; u != nil {
		b.WriteString(", AuthedUser: " + u.String())
	}
	if w := i.IncomingWebhook; w != nil {
		b.WriteString(", IncomingWebhook: {Channel: " + strconv.Quote(w.Channel) + ", URL: " + w.URL.String() + "}")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String (for %#v).
func (i Install) GoString() string { return i.String() }

// Format writes String for every verb (quoted for %q).
func (i Install) Format(f fmt.State, verb rune) { formatString(f, verb, i.String()) }

// String describes the token by its scopes, chain and redacted secrets.
func (t InstalledToken) String() string {
	s := "{AccessToken: " + t.AccessToken.String()
	s += ", RefreshToken: " + t.RefreshToken.String() + ", ExpiresIn: " + t.ExpiresIn.String()
	s += ", Scope: " + strconv.Quote(t.Scope) + ", Chain: " + strconv.Quote(t.Chain)
	if t.BotUserID != "" {
		s += ", BotUserID: " + strconv.Quote(t.BotUserID)
	}
	return s + "}"
}

// GoString is String (for %#v).
func (t InstalledToken) GoString() string { return t.String() }

// Format writes String for every verb (quoted for %q).
func (t InstalledToken) Format(f fmt.State, verb rune) { formatString(f, verb, t.String()) }

// String describes the user by id and token (its secrets redacted).
func (u AuthedUser) String() string {
	s := "{ID: " + strconv.Quote(u.ID)
	if u.Token != nil {
		s += ", Token: " + u.Token.String()
	}
	return s + "}"
}

// GoString is String (for %#v).
func (u AuthedUser) GoString() string { return u.String() }

// Format writes String for every verb (quoted for %q).
func (u AuthedUser) Format(f fmt.State, verb rune) { formatString(f, verb, u.String()) }

func formatString(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// takeInstall copies the library's install out; the Install keeps the handle
// (freed by its finalizer) for Pool.Install.
func takeInstall(p *C.xoxe_install) *Install {
	h := adopt(p, "install", func(p *C.xoxe_install) { C.xoxe_install_free(p) })
	info := C.xoxe_install_get_info(p)
	received := time.Unix(int64(info.received_at), 0)
	token := func(access, refresh *C.char, expiresIn C.int64_t, scope, chain *C.char) *InstalledToken {
		if access == nil {
			return nil
		}
		lifetime := time.Duration(expiresIn) * time.Second
		return &InstalledToken{
			AccessToken:  secretFromC(access),
			RefreshToken: secretFromC(refresh),
			ExpiresIn:    lifetime,
			ExpiresAt:    received.Add(lifetime),
			Scope:        goString(scope),
			Chain:        goString(chain),
		}
	}
	in := &Install{
		AppID:               goString(info.app_id),
		TeamID:              goString(info.team_id),
		TeamName:            goString(info.team_name),
		EnterpriseID:        goString(info.enterprise_id),
		EnterpriseName:      goString(info.enterprise_name),
		IsEnterpriseInstall: bool(info.is_enterprise_install),
		RawJSON:             secretFromC(info.raw_json),
		ReceivedAt:          received,
		Warnings:            goStrings(info.warnings, info.warnings_len),
		h:                   h,
	}
	if bot := token(info.bot_access_token, info.bot_refresh_token, info.bot_expires_in, info.bot_scope, info.bot_chain); bot != nil {
		bot.BotUserID, bot.BotID = goString(info.bot_user_id), goString(info.bot_id)
		in.Bot = bot
	}
	if info.user_id != nil {
		u := &AuthedUser{ID: goString(info.user_id), Scope: goString(info.user_scope)}
		u.Token = token(info.user_access_token, info.user_refresh_token, info.user_expires_in, info.user_scope, info.user_chain)
		if u.Token != nil {
			u.Chain = u.Token.Chain
		}
		in.AuthedUser = u
	}
	if info.webhook_url != nil {
		in.IncomingWebhook = &IncomingWebhook{
			Channel:          goString(info.webhook_channel),
			ChannelID:        goString(info.webhook_channel_id),
			ConfigurationURL: goString(info.webhook_configuration_url),
			URL:              secretFromC(info.webhook_url),
		}
	}
	runtime.KeepAlive(h) // info points into the handle's memory
	return in
}

// OAuthV2Access calls oauth.v2.access with an authorization code: it finishes
// an installation (the OAuth redirect brought code; redirectURI must be the
// one the authorize URL named, "" for none) and returns its tokens. Save them
// at once with [Pool.Install]: the code is spent, and never retried once the
// request may have reached Slack ([ErrOutcomeUnknown]). Slack's refusals are
// [ErrSlackAPI] errors ([ErrInvalidCode], [ErrCodeAlreadyUsed],
// [ErrBadRedirectURI], …); an app with token rotation off is
// StatusTokenRotationNotEnabled, with its non-rotating tokens in the error's
// ResponseJSON (a secret). Context handling is as for
// [Client.ToolingTokensRotate].
func (c *Client) OAuthV2Access(ctx context.Context, clientID, clientSecret, code, redirectURI string) (*Install, error) {
	return invoke(c, ctx, "OAuthV2Access",
		[]strArg{{"client ID", clientID, false}, {"client secret", clientSecret, false}, {"code", code, false}, {"redirect URI", redirectURI, true}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out **C.xoxe_install, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_oauth_v2_access(p, a[0], a[1], a[2], a[3], t, out, e)
		}, takeInstall)
}

// AuthRevoke calls auth.revoke: it revokes token (and, for a rotating token,
// its whole chain) and reports Slack's "revoked". With test, nothing is
// revoked: Slack only checks the call. Context handling is as for
// [Client.ToolingTokensRotate].
func (c *Client) AuthRevoke(ctx context.Context, token string, test bool) (bool, error) {
	revoked, err := invoke(c, ctx, "AuthRevoke", []strArg{{"token", token, false}},
		func(p *C.xoxe_client, a cStrings, t C.uint32_t, out *C.bool, e **C.xoxe_error) C.xoxe_status {
			return C.xoxe_auth_revoke(p, a[0], C.bool(test), t, out, e)
		}, func(b C.bool) *bool { v := bool(b); return &v })
	if err != nil {
		return false, err
	}
	return *revoked, nil
}

// Install saves a new installation's tokens: each token (the bot's, the
// installing user's) becomes a chain under its canonical name
// ([InstallationChain]), replacing what the store held there — a reinstall
// starts the chain again, and one marked revoked is live again. It returns
// the chain names saved, the bot's first. An Install not made by this package
// (no library handle) is saved from its RawJSON, as [Pool.InstallJSON] does.
// A failed save is an [ErrStore] error; retry later with Install, or with
// [Pool.InstallJSON] and the install's RawJSON (a secret: keep it safe).
func (p *Pool) Install(in *Install) ([]string, error) {
	const op = "Pool.Install"
	if in == nil {
		return nil, usageError(op, "nil install")
	}
	if in.h == nil {
		return p.InstallJSON(in.RawJSON.Reveal())
	}
	err := p.handle().use(op, func(h *C.xoxe_pool) error {
		return in.h.use(op, func(i *C.xoxe_install) error {
			var e *C.xoxe_error
			return check(op, C.xoxe_pool_install(h, i, &e), &e)
		})
	})
	if err != nil {
		return nil, err
	}
	return in.Chains(), nil
}

// InstallCode finishes an installation: it trades the OAuth redirect's code
// for tokens with the pool's client and app credentials (oauth.v2.access,
// redirectURI "" for none), then saves them as [Pool.Install] does, and
// returns the install (its Chains are the names saved). A pool made without
// the app's client ID and secret fails with [ErrUsage]. Slack's refusals
// ([ErrInvalidCode], [ErrCodeAlreadyUsed], [ErrBadRedirectURI], …) save nothing;
// a failed save is an [ErrStore] error whose ResponseJSON holds Slack's
// answer for a retry with [Pool.InstallJSON].
func (p *Pool) InstallCode(code, redirectURI string) (*Install, error) {
	const op = "Pool.InstallCode"
	a, err := toC(op, strArg{"code", code, false}, strArg{"redirect URI", redirectURI, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	var out *C.xoxe_install
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_pool_install_code(h, a[0], a[1], &out, &e), &e)
	})
	if err != nil {
		return nil, err
	}
	return takeInstall(out), nil
}

// InstallJSON saves the installation in raw, the JSON body of a successful
// oauth.v2.access ([Install].RawJSON revealed, or the ResponseJSON of the
// error of an install whose save failed), as [Pool.Install] does, and returns
// the chain names saved. Its access tokens are taken as expired (when the
// answer arrived is not known): the first [Pool.Get] of each chain rotates it.
// Not a successful oauth.v2.access answer is [ErrUsage]; tokens that do not
// rotate are StatusTokenRotationNotEnabled.
func (p *Pool) InstallJSON(raw string) ([]string, error) {
	const op = "Pool.InstallJSON"
	a, err := toC(op, strArg{"raw install JSON", raw, false})
	if err != nil {
		return nil, err
	}
	defer a.free()
	var out *C.xoxe_install
	err = p.handle().use(op, func(h *C.xoxe_pool) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_pool_install_json(h, a[0], &out, &e), &e)
	})
	if err != nil {
		return nil, err
	}
	return takeInstall(out).Chains(), nil
}
