package xoxe

// #include "xoxe.h"
import "C"

import (
	"fmt"
	"math"
	"time"
)

// Error is every failure the library reports, plus the few the binding finds
// before calling it (a NUL byte in a string, a closed client, an out-of-range
// option). Use [errors.Is] with the sentinels ([ErrInvalidRefreshToken],
// [ErrOutcomeUnknown], [ErrUsage], …) to classify it and [errors.As] to read the
// details. Message never holds a secret; SlackError and ResponseJSON are the
// server's own words, and ResponseJSON may hold new tokens (see there).
type Error struct {
	Code Status // what went wrong
	// Cause is, for StatusOutcomeUnknown, the underlying reason (e.g.
	// StatusTimeout, StatusInternalError); otherwise it equals Code.
	Cause Status
	// SlackError is the raw error string the server sent ("" when none); for
	// StatusSlackOther the only record of which code Slack used. It is
	// server-controlled (a proxy may echo a secret): Error() never shows it.
	SlackError string
	Message    string // a human-readable detail, never containing a secret or a control character
	// RetryAfter is how long Slack asked to wait (Retry-After) before retrying;
	// negative (-1) when Slack sent no Retry-After. Zero is a real "retry now".
	RetryAfter time.Duration
	Warnings   []string // warnings Slack attached (nil when none)
	HTTPStatus int      // the HTTP status of the response, or 0 when none arrived
	// ResponseJSON is the raw body of the response, or "": for a Slack error
	// response its JSON (server-controlled); for StatusOutcomeUnknown from a
	// token-spending call whose answer could not be decoded (malformed,
	// truncated or wrong-shaped JSON, even with ok:true), the raw body, which may
	// hold the new tokens: a secret. Error() never shows it; never log it.
	ResponseJSON string

	op     string    // the Go method that failed, for Error()
	match  matchKind // how a sentinel compares (sentinels only)
	family Family    // the family a family sentinel matches
	closed bool      // the error of a call on a closed handle (matches ErrClosed)
}

type matchKind uint8

const (
	notSentinel matchKind = iota
	matchCode
	matchFamily
	matchClosed
)

// Error returns "xoxe: <Op>: <status name>[ (cause: <name>)]: <message>".
func (e *Error) Error() string {
	if e.match != notSentinel {
		return "xoxe: " + e.Message
	}
	s := "xoxe: "
	if e.op != "" {
		s += e.op + ": "
	}
	s += e.Code.String()
	if e.Cause != e.Code && e.Cause != StatusOK {
		s += " (cause: " + e.Cause.String() + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Family is the family of e.Code.
func (e *Error) Family() Family { return e.Code.Family() }

// Is reports whether e matches target. A status sentinel ([ErrTimeout],
// [ErrInvalidRefreshToken], …) matches an error with that Code (not Cause: a
// timeout that left a rotation's outcome unknown is [ErrOutcomeUnknown], whose
// Cause is StatusTimeout). A family sentinel ([ErrUsage], [ErrTransport],
// [ErrSlackAPI], …) matches every code of its family. [ErrClosed] matches the
// error of a call on a closed handle. Any other *Error matches when Code,
// Cause and SlackError are equal.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil {
		return false
	}
	switch t.match {
	case matchCode:
		return e.Code == t.Code
	case matchFamily:
		return e.Code.Family() == t.family
	case matchClosed:
		return e.closed
	}
	return e.Code == t.Code && e.Cause == t.Cause && e.SlackError == t.SlackError
}

func codeSentinel(s Status) *Error {
	return &Error{Code: s, Cause: s, RetryAfter: -1, match: matchCode, Message: s.String()}
}

func familySentinel(f Family) *Error {
	return &Error{match: matchFamily, family: f, RetryAfter: -1, Message: "any " + f.String() + " error"}
}

// Sentinels for [errors.Is]. Each matches every [*Error] with that code.
var (
	ErrInvalidRefreshToken   = codeSentinel(StatusInvalidRefreshToken)   // the refresh token is unknown or already spent
	ErrTokenExpired          = codeSentinel(StatusTokenExpired)          // Slack said token_expired
	ErrInvalidAuth           = codeSentinel(StatusInvalidAuth)           // Slack said invalid_auth
	ErrTokenAlreadyExchanged = codeSentinel(StatusTokenAlreadyExchanged) // the legacy token was already exchanged
	ErrInsecureURL           = codeSentinel(StatusInsecureURL)           // the base URL is plain http:// to a non-loopback host
	ErrStoreConflict         = codeSentinel(StatusStoreConflict)         // the store already holds a chain, or refused a save twice
	ErrStoreEmpty            = codeSentinel(StatusStoreEmpty)            // the store holds no such chain (never initialised, or removed)
	ErrStoreSealed           = codeSentinel(StatusStoreSealed)           // a sealed document whose key was not given, or tampered
	ErrChainRevoked          = codeSentinel(StatusChainRevoked)          // Slack reported the chain revoked; reinstall
	ErrInvalidCode           = codeSentinel(StatusInvalidCode)           // the authorization code is unknown, expired, or another app's
	ErrCodeAlreadyUsed       = codeSentinel(StatusCodeAlreadyUsed)       // the authorization code was redeemed before (single use)
	ErrBadRedirectURI        = codeSentinel(StatusBadRedirectURI)        // redirect_uri differs from the one the authorization began with
	// ErrRateLimited: Slack answered ratelimited (HTTP 429) and the client's
	// rate-limit retries were used up or disabled; see Error.RetryAfter.
	ErrRateLimited = codeSentinel(StatusRatelimited)
	// ErrOutcomeUnknown: a token-spending call may or may not have been applied
	// (the old refresh token may be spent); see Error.Cause. Never retried
	// automatically.
	ErrOutcomeUnknown = codeSentinel(StatusOutcomeUnknown)
	// ErrTimeout: the call did not finish within its timeout (for a
	// token-spending call whose request may have been sent, the error is
	// ErrOutcomeUnknown with Cause StatusTimeout instead).
	ErrTimeout = codeSentinel(StatusTimeout)
	// ErrChainDead: a rotator's refresh token was rejected and its store holds
	// nothing newer; a human must issue a new token.
	ErrChainDead = codeSentinel(StatusChainDead)
)

// Family sentinels for [errors.Is]. Each matches every [*Error] whose code is
// in that family.
var (
	ErrUsage             = familySentinel(FamilyUsage)       // the caller passed something unusable; nothing was sent
	ErrTransport         = familySentinel(FamilyTransport)   // the network, TLS, or the response itself failed
	ErrSlackAPI          = familySentinel(FamilySlackAPI)    // Slack answered ok: false with an error code
	ErrRateLimitedFamily = familySentinel(FamilyRateLimited) // the rate-limited family (today only StatusRatelimited)
	ErrStore             = familySentinel(FamilyStore)       // a token store or rotator failed (including a dead chain)
	ErrInternal          = familySentinel(FamilyInternal)    // a bug inside xoxe (a caught panic)
)

// ErrClosed matches the error of a call on a closed (or nil) [Client], [Store],
// [Rotator], [Pool] or [Keyring]. That error is also in the usage family
// ([ErrUsage]), with Code StatusInvalidArgument.
var ErrClosed = &Error{match: matchClosed, RetryAfter: -1, Message: "closed handle"}

// newError is an error with code and message that did not come in an error
// handle: one the binding detects itself, or a status and message the library
// reported inside a result (a chain of [Store.Chains] that could not be read).
func newError(op string, code Status, msg string) *Error {
	return &Error{Code: code, Cause: code, Message: msg, RetryAfter: -1, op: op}
}

// usageError is an error the binding detects itself before calling C.
func usageError(op, msg string) *Error { return newError(op, StatusInvalidArgument, msg) }

func closedError(op, msg string) *Error {
	e := usageError(op, msg)
	e.closed = true
	return e
}

// takeError converts a failed call's status and error handle into an *Error,
// copying every string out, and frees the handle.
func takeError(op string, st C.xoxe_status, h *C.xoxe_error) error {
	defer C.xoxe_error_free(h)
	e := &Error{Code: Status(st), Cause: Status(st), RetryAfter: -1, op: op, Message: "no error details"}
	info := C.xoxe_error_get_info(h)
	if info == nil { // the library always writes a handle on failure
		return e
	}
	e.Code, e.Cause = Status(info.status), Status(info.cause)
	e.Message, e.SlackError = goString(info.message), goString(info.slack_error)
	e.ResponseJSON = goString(info.response_json)
	e.Warnings = goStrings(info.warnings, info.warnings_len)
	e.HTTPStatus = int(info.http_status)
	if ra := int64(info.retry_after_secs); ra >= 0 {
		e.RetryAfter = time.Duration(min(ra, math.MaxInt64/int64(time.Second))) * time.Second
	}
	return e
}

// contextError wraps ctx.Err() for a call refused before it started.
func contextError(op string, err error) error {
	return fmt.Errorf("xoxe: %s: not started: %w", op, err)
}
