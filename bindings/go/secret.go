package xoxe

// #include "xoxe.h"
import "C"

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"unsafe"
)

// Secret holds a token (or another secret) and prints only its redacted
// stand-in, computed once by the library's xoxe_redact (e.g.
// "xoxe.xoxp-1-…a1b2"). String, GoString, Format (every verb: %v %+v %#v %s %q
// %x …), slog's LogValue and fmt's printing of structs that contain it all give
// the redacted form; json.Marshal fails rather than write either form. Call
// [Secret.Reveal] to get the value, e.g. to persist it or send it to Slack.
//
// The zero Secret is empty. Go strings cannot be wiped, so the value stays in
// memory until the garbage collector reclaims it.
type Secret struct {
	// value is a pointer to a string, not to a struct, because fmt prints
	// the target of a pointer to a struct (e.g. for a bad verb on a Secret in
	// an unexported field, where its methods are not called) but only the
	// address of a pointer to a string.
	value    *string
	redacted string
}

// NewSecret wraps value (e.g. a refresh token read from the environment) so
// that it prints redacted.
func NewSecret(value string) Secret {
	return Secret{value: &value, redacted: redact(value)}
}

// secretFromC copies a C string into a Secret ("" for NULL).
func secretFromC(p *C.char) Secret {
	if p == nil {
		return Secret{}
	}
	return NewSecret(C.GoString(p))
}

// redact asks the library for the printable stand-in of value.
func redact(value string) string {
	if value == "" {
		return ""
	}
	c := C.CString(value)
	defer freeCString(c)
	n := C.xoxe_redact(c, nil, 0)
	if n == 0 { // only for input the library cannot read (not UTF-8)
		return "[redacted]"
	}
	buf := make([]byte, n+1)
	C.xoxe_redact(c, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	return string(buf[:n])
}

// Reveal returns the secret value itself. Never log it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Equal reports, in constant time for equal lengths, whether two secrets hold
// the same value (so tests can compare tokens without printing them).
func (s Secret) Equal(other Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(other.Reveal())) == 1
}

// String returns the redacted stand-in ("" for an empty secret).
func (s Secret) String() string { return s.redacted }

// GoString returns xoxe.Secret("<redacted stand-in>") (for %#v).
func (s Secret) GoString() string {
	return "xoxe.Secret(" + strconv.Quote(s.String()) + ")"
}

// Format writes the redacted stand-in for every verb: quoted for %q, as
// GoString for %#v, plain otherwise (width and flags are ignored).
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// LogValue makes log/slog record the redacted stand-in.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// errSecretMarshal is what json.Marshal of a Secret returns.
var errSecretMarshal = errors.New("xoxe: a Secret is not marshalled to JSON; store Reveal() explicitly")

// MarshalJSON always fails: writing the redacted form would silently lose a
// token someone meant to persist, and writing the value would leak it into
// whatever logs JSON. Persist [Secret.Reveal] explicitly.
func (s Secret) MarshalJSON() ([]byte, error) { return nil, errSecretMarshal }
