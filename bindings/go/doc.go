// Package xoxe is the Go binding of xoxe, a Slack token-rotation client: it
// rotates app configuration tokens (tooling.tokens.rotate), exchanges legacy
// bot/user tokens for expiring ones (oauth.v2.exchange), refreshes them
// (oauth.v2.access), checks them (auth.test) and calls any Web API method.
// A [Rotator] keeps a token chain fresh in a [Store] (memory, a file, a
// directory, a PostgreSQL or Redis database shared by a fleet, or one the
// program keeps through [StoreBackend]); a [Pool] keeps every chain of a
// store fresh (one per installation: [InstallationChain]), saving new OAuth
// installs ([Pool.InstallCode], [Client.OAuthV2Access]) and revoking uninstalled
// ones ([Pool.Uninstall], [Client.AuthRevoke]); [Store.Sealed]
// seals stored documents at rest with a [Keyring]; [SetLogger] receives the
// library's log lines. [NewTransport] is an [net/http.RoundTripper] that puts
// a fresh token from a Rotator or a Pool chain ([WithChain]) on every Web API
// request, so an HTTP client library such as slack-go gets the rotation
// without knowing about it.
//
// All the work happens in the Rust core through its C ABI (include/xoxe.h);
// this package only converts arguments and results, checks them and frees
// what the library allocated. Slack logic, retries and redaction live in Rust
// once, so Go, Python and C behave the same.
//
// # Building
//
// cgo must be enabled. A release's module (go get
// github.com/xoxe-dev/xoxe/bindings/go@v0.2.0 through the release's module
// proxy) carries the header and a static library for linux/amd64, so programs
// need neither a Rust toolchain nor libxoxe at run time. From a checkout of the
// repository, through a replace directive or go.work, the package links
// target/release/libxoxe.a (build it with "cargo build --release
// --workspace"). With the tag xoxe_dynamic, on any platform, it links an
// installed libxoxe found with pkg-config (pkg-config xoxe). README.md has the
// details.
//
// # Calls, contexts and timeouts
//
// Every method takes a [context.Context] first. A context that is already
// cancelled or past its deadline fails before anything is sent, with an error
// wrapping ctx.Err(). Otherwise the context's deadline, if any, becomes the
// call's timeout (replacing the client's call timeout, [WithTimeouts]).
// Cancellation cannot interrupt a call already in flight: the C call blocks
// until Slack answers, the connection fails or the timeout passes — the
// deadline is what bounds it. A call that succeeds is returned even if its
// context was cancelled meanwhile, because a spent refresh token cannot be
// un-spent.
//
// A [Client], [Store], [Rotator], [Pool] or [Keyring] is safe for concurrent
// use. Its Close
// waits for calls in flight and makes later calls fail with [ErrClosed]; a
// finalizer frees a forgotten one, but only as a safety net.
//
// # Errors
//
// Every failure is an [*Error] (except a refused context, which wraps
// ctx.Err()). Classify with [errors.Is] — by status ([ErrInvalidRefreshToken],
// [ErrRateLimited], [ErrOutcomeUnknown], [ErrTokenExpired], [ErrInvalidAuth],
// [ErrTimeout], …) or by family ([ErrUsage], [ErrTransport], [ErrSlackAPI]) —
// and read the details with [errors.As]. The classification uses status codes
// from the library, never message text.
//
// [ErrOutcomeUnknown] deserves care: a rotation, exchange or refresh whose
// request may have reached Slack but whose answer was lost. The old refresh
// token may already be spent; xoxe never retries such a call.
//
// # Secrets
//
// Tokens in results are of type [Secret], which prints only the library's
// redacted stand-in (e.g. "xoxe.xoxp-1-…a1b2") with every fmt verb, in slog,
// and inside printed structs. [Secret.Reveal] returns the value. Error
// messages never contain secrets. [APIResponse.JSON] is Slack's raw answer and
// may contain secrets, depending on the method.
package xoxe
