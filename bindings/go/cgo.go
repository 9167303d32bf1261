package xoxe

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo !xoxe_dynamic LDFLAGS: ${SRCDIR}/../../target/release/libxoxe.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo xoxe_dynamic LDFLAGS: -L${SRCDIR}/../../target/release -lxoxe -Wl,-rpath,${SRCDIR}/../../target/release
#include <stdlib.h>
#include "xoxe.h"

#if XOXE_ABI_VERSION != 1
#error "bindings/go was written for XOXE_ABI_VERSION 1; include/xoxe.h declares another"
#endif

// The foreign-store callbacks, exported from Go (store_callbacks.go).
extern int32_t xoxeGoStoreLoad(void *user_data, xoxe_store_value *value);
extern int32_t xoxeGoStoreSave(void *user_data, bool expected_present, uint64_t expected_generation, uint64_t new_generation, char *document);
extern int32_t xoxeGoStoreLock(void *user_data);
extern void xoxeGoStoreUnlock(void *user_data);
extern void xoxeGoStoreRelease(void *user_data);

static int32_t xoxe_go_store_save(void *user_data, bool expected_present, uint64_t expected_generation, uint64_t new_generation, const char *document) {
	return xoxeGoStoreSave(user_data, expected_present, expected_generation, new_generation, (char *)document);
}

// The log callback, exported from Go (callbacks.go), behind a trampoline that
// matches the header's signature.
extern void xoxeGoLog(void *user_data, uint32_t level, char *message);

void xoxe_go_log(void *user_data, uint32_t level, const char *message) {
	xoxeGoLog(user_data, level, (char *)message);
}

// Callbacks for a Go-backed store; user_data carries the registry id.
static xoxe_store_callbacks xoxe_go_store_callbacks(uintptr_t id, bool with_lock) {
	xoxe_store_callbacks cb;
	cb.user_data = (void *)id;
	cb.load = xoxeGoStoreLoad;
	cb.save = xoxe_go_store_save;
	cb.lock = with_lock ? xoxeGoStoreLock : NULL;
	cb.unlock = with_lock ? xoxeGoStoreUnlock : NULL;
	cb.release = xoxeGoStoreRelease;
	return cb;
}

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
	"strings"
	"unsafe"
)

// abiVersion is the XOXE_ABI_VERSION this package was written for. NewClient
// refuses a library that reports another one.
const abiVersion = 1

// cString copies s into C memory. The caller frees it with freeCString.
func cString(s string) *C.char { return C.CString(s) }

// freeCString zeroes and frees a string made by cString. nil is ignored.
func freeCString(p *C.char) {
	if p != nil {
		C.xoxe_go_wipe_free(p)
	}
}

// goStoreCallbacks makes the callback table of a Go-backed store with id.
func goStoreCallbacks(id uintptr, withLock bool) C.xoxe_store_callbacks {
	return C.xoxe_go_store_callbacks(C.uintptr_t(id), C.bool(withLock))
}

// setLogger installs (on) or removes the Go log trampoline.
func setLogger(on bool, maxLevel uint32) (C.xoxe_status, *C.xoxe_error) {
	var cerr *C.xoxe_error
	var callback *[0]byte // NULL: logging off
	if on {
		callback = (*[0]byte)(C.xoxe_go_log)
	}
	st := C.xoxe_set_logger(callback, nil, C.uint32_t(maxLevel), &cerr)
	return st, cerr
}

// cStrings holds the C copies of one call's string arguments.
type cStrings []*C.char

func (cs cStrings) free() {
	for _, p := range cs {
		freeCString(p)
	}
}

// strArg is one named string argument on its way to C.
type strArg struct {
	name  string
	value string
	// nullIfEmpty passes NULL instead of "" (for optional arguments).
	nullIfEmpty bool
}

// toC checks every argument for NUL bytes (C would silently cut the string
// there) and copies them into C memory. Nothing is allocated when a check fails.
func toC(op string, args ...strArg) (cStrings, error) {
	for _, a := range args {
		if strings.IndexByte(a.value, 0) >= 0 {
			return nil, usageError(op, a.name+" contains a NUL byte")
		}
	}
	out := make(cStrings, len(args))
	for i, a := range args {
		if a.nullIfEmpty && a.value == "" {
			continue
		}
		out[i] = cString(a.value)
	}
	return out, nil
}

// goStrings copies a C array of n strings (NULL when n is 0) into Go memory.
func goStrings(arr **C.char, n C.size_t) []string {
	if arr == nil || n == 0 {
		return nil
	}
	src := unsafe.Slice(arr, int(n))
	out := make([]string, len(src))
	for i, p := range src {
		out[i] = goStringOrEmpty(p)
	}
	return out
}

// goStringOrEmpty copies a C string; NULL becomes "".
func goStringOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
