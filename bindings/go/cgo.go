package xoxe

// Where the header and the library come from is up to the build mode: see
// link_repo.go (a checkout), link_dynamic.go (tag xoxe_dynamic: an installed
// libxoxe) and, in a release's module, link_release.go.

/*
#include <stdlib.h>
#include "xoxe.h"

#if XOXE_ABI_VERSION != 1
#error "bindings/go was written for XOXE_ABI_VERSION 1; include/xoxe.h declares another"
#endif

// Zeroes a C string the binding allocated (it may hold a secret), then frees it.
static void xoxe_go_wipe_free(char *p) {
	if (p == NULL) return;
	volatile char *v = p;
	while (*v) *v++ = 0;
	free(p);
}
*/
import "C"

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// handle owns one C handle P: a client, its options, a store or a rotator.
// Calls hold the read lock while they use it; close frees it once under the
// write lock, so it waits for calls in flight, and later calls fail with
// [ErrClosed]. A finalizer closes a forgotten handle, as a safety net.
type handle[P comparable] struct {
	mu   sync.RWMutex
	ptr  P // the zero P once closed
	free func(P)
	what string // "client", "store"…: for the ErrClosed message
}

// own runs a C constructor and takes ownership of what it makes.
func own[P comparable](op, what string, free func(P), create func(out *P, e **C.xoxe_error) C.xoxe_status) (*handle[P], error) {
	var p P
	var e *C.xoxe_error
	if err := check(op, create(&p, &e), &e); err != nil {
		return nil, err
	}
	return adopt(p, what, free), nil
}

// adopt takes ownership of p, a handle the library made.
func adopt[P comparable](p P, what string, free func(P)) *handle[P] {
	h := &handle[P]{ptr: p, free: free, what: what}
	runtime.SetFinalizer(h, (*handle[P]).close)
	return h
}

// use runs f with the pointer; a nil or closed handle fails with ErrClosed.
// The deferred unlock also keeps h, and so the C handle, alive until f returns.
func (h *handle[P]) use(op string, f func(p P) error) error {
	var closed P
	if h == nil {
		return closedError(op, "nil handle")
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ptr == closed {
		return closedError(op, h.what+" is closed")
	}
	return f(h.ptr)
}

// close frees the C handle once; it is idempotent and always returns nil.
func (h *handle[P]) close() error {
	var closed P
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != closed {
		h.free(h.ptr)
		h.ptr = closed
	}
	return nil
}

// check turns a C call's status and error handle into an *Error (nil on
// success). e points to the handle, so it is read only after the call.
func check(op string, st C.xoxe_status, e **C.xoxe_error) error {
	if st == C.XOXE_STATUS_OK {
		return nil
	}
	return takeError(op, st, *e)
}

// strArg is one named string argument on its way to C; optional ones pass
// NULL when empty.
type strArg struct {
	name, value string
	optional    bool
}

// cStrings holds the C copies of one call's string arguments.
type cStrings []*C.char

func (cs cStrings) free() {
	for _, p := range cs {
		freeCString(p)
	}
}

// toC refuses strings with a NUL byte (C would silently cut them there), then
// copies every argument into C memory. Nothing is allocated when a check fails.
func toC(op string, args ...strArg) (cStrings, error) {
	for _, a := range args {
		if strings.IndexByte(a.value, 0) >= 0 {
			return nil, usageError(op, a.name+" contains a NUL byte")
		}
	}
	out := make(cStrings, len(args))
	for i, a := range args {
		if !a.optional || a.value != "" {
			out[i] = C.CString(a.value)
		}
	}
	return out, nil
}

// freeCString zeroes and frees a C string the binding made. nil is ignored.
func freeCString(p *C.char) { C.xoxe_go_wipe_free(p) }

// goString copies a C string; NULL becomes "".
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// goStrings copies a C array of n strings (NULL when n is 0).
func goStrings(arr **C.char, n C.size_t) []string {
	if arr == nil || n == 0 {
		return nil
	}
	out := make([]string, n)
	for i, p := range unsafe.Slice(arr, int(n)) {
		out[i] = goString(p)
	}
	return out
}

// timeoutMS checks ctx (nil means Background) before a call and turns its
// deadline into the call's timeout_ms: 0 (the library's default) without one,
// else the time left in whole milliseconds, rounded up.
func timeoutMS(ctx context.Context, op string) (C.uint32_t, error) {
	if ctx == nil {
		return 0, nil
	}
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
	return C.uint32_t(min((left+time.Millisecond-1)/time.Millisecond, math.MaxUint32)), nil
}

// durationUnits converts d to whole units (rounded up) that fit a uint32.
// Zero passes through: it means the library's default, or is refused by it.
func durationUnits(op, what string, d, unit time.Duration) (C.uint32_t, error) {
	if d < 0 {
		return 0, usageError(op, fmt.Sprintf("%s %v is negative", what, d))
	}
	n := d / unit
	if d%unit != 0 {
		n++
	}
	if n > math.MaxUint32 {
		return 0, usageError(op, fmt.Sprintf("%s %v is too long", what, d))
	}
	return C.uint32_t(n), nil
}

// callBuf is one call's scratch memory, reused through callBufs: the buffer
// the library writes a token into, the chain name passed to it (so a call
// needs no C.CString), room for the token's redacted stand-in, and the call's
// other out-parameters (so none of them is allocated). It is Go memory holding
// no Go pointers, and C keeps no pointer into it (cgo's rules).
type callBuf struct {
	token    [C.XOXE_MAX_TOKEN_LEN + 1]byte
	name     [C.XOXE_MAX_CHAIN_NAME_LEN + 1]byte
	redacted [64]byte
	expires  C.int64_t
	until    C.int64_t
	flag     C.bool
	err      *C.xoxe_error
}

var callBufs = sync.Pool{New: func() any { return new(callBuf) }}

// lent is a token the library wrote into a callBuf, valid until the keep
// function it was given to returns.
type lent struct {
	token   []byte // without its NUL, which follows in the buffer
	expires int64  // Unix seconds (0: unknown)
	until   int64  // the reuse deadline, for the calls that write one
	flag    bool   // the fresh flag, for the calls that write one
	b       *callBuf
}

// secret copies the token into a Secret, redacting it in place (one C call,
// no C allocation).
func (l lent) secret() Secret {
	value := string(l.token)
	if value == "" {
		return Secret{value: &value}
	}
	tok := (*C.char)(unsafe.Pointer(&l.b.token[0]))
	n := C.xoxe_redact(tok, (*C.char)(unsafe.Pointer(&l.b.redacted[0])), C.size_t(len(l.b.redacted)))
	var redacted string
	switch {
	case n == 0: // only for input the library cannot read (not UTF-8)
		redacted = "[redacted]"
	case int(n) < len(l.b.redacted):
		redacted = string(l.b.redacted[:n])
	default: // a stand-in longer than the scratch room: ask again with room for it
		buf := make([]byte, n+1)
		C.xoxe_redact(tok, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		redacted = string(buf[:n])
	}
	return Secret{value: &value, redacted: redacted}
}

// same reports whether s holds the lent token (no allocation).
func (l lent) same(s Secret) bool {
	return s.value != nil && *s.value == string(l.token)
}

// outs are a call's out-parameters besides the token: all in its callBuf.
type outs struct {
	expires, until *C.int64_t
	flag           *C.bool
	err            **C.xoxe_error
}

// lendNamed runs call with a buffer from callBufs and, unless chain is "",
// chain's name as a C string, then lends the token it wrote to keep (which
// must copy what it keeps: the token is wiped when keep returns). chain must
// hold no NUL byte (checkNUL). A name too long for the buffer — the library
// refuses it — is passed through C memory, so the library's error is the same.
func lendNamed(op, chain string, call func(name, buf *C.char, n C.size_t, o outs) C.xoxe_status, keep func(l lent)) error {
	b := callBufs.Get().(*callBuf)
	defer callBufs.Put(b)
	b.expires, b.until, b.flag, b.err = 0, 0, false, nil
	var name *C.char
	if chain != "" {
		if len(chain) < len(b.name) {
			copy(b.name[:], chain)
			b.name[len(chain)] = 0
			name = (*C.char)(unsafe.Pointer(&b.name[0]))
		} else {
			name = C.CString(chain)
			defer freeCString(name)
		}
	}
	st := call(name, (*C.char)(unsafe.Pointer(&b.token[0])), C.size_t(len(b.token)), outs{&b.expires, &b.until, &b.flag, &b.err})
	if err := check(op, st, &b.err); err != nil {
		b.err = nil // freed
		return err
	}
	n := bytes.IndexByte(b.token[:], 0)
	if n < 0 {
		n = len(b.token) - 1
	}
	keep(lent{token: b.token[:n], expires: int64(b.expires), until: int64(b.until), flag: bool(b.flag), b: b})
	clear(b.token[:n+1]) // only the token was written (its stand-in is no secret)
	return nil
}

// checkNUL refuses a string argument with a NUL byte (C would silently cut it
// there), as toC does.
func checkNUL(op, name, value string) error {
	if strings.IndexByte(value, 0) >= 0 {
		return usageError(op, name+" contains a NUL byte")
	}
	return nil
}
