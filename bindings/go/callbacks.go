package xoxe

// Exported callbacks (Go-backed stores, the logger). A file with //export may only have
// declarations in its preamble, so the C glue lives in cgo.go.

// #include <stdbool.h>
// #include <stdint.h>
// #include "xoxe.h"
import "C"

import (
	"unsafe"
)

//export xoxeGoLog
func xoxeGoLog(_ unsafe.Pointer, level C.uint32_t, message *C.char) {
	fn := logFunc.Load()
	if fn == nil || message == nil {
		return
	}
	defer func() { _ = recover() }() // a panicking log function must not unwind into Rust
	(*fn)(LogLevel(level), C.GoString(message))
}

//export xoxeGoStoreLoad
func xoxeGoStoreLoad(userData unsafe.Pointer, value *C.xoxe_store_value) (rc C.int32_t) {
	fs := lookupForeign(uintptr(userData))
	if fs == nil {
		return -2
	}
	defer recoverInto(&rc)
	doc, ok, err := fs.backend.Load()
	if err != nil {
		return -1
	}
	if !ok {
		return 0
	}
	if containsNUL(doc) {
		return -3
	}
	cdoc := C.CString(doc)
	C.xoxe_store_value_set(value, cdoc)
	freeCString(cdoc)
	return 0
}

//export xoxeGoStoreSave
func xoxeGoStoreSave(userData unsafe.Pointer, expectedPresent C.bool, expectedGeneration, newGeneration C.uint64_t, document *C.char) (rc C.int32_t) {
	fs := lookupForeign(uintptr(userData))
	if fs == nil {
		return -2
	}
	defer recoverInto(&rc)
	var expected *uint64
	if bool(expectedPresent) {
		g := uint64(expectedGeneration)
		expected = &g
	}
	stored, err := fs.backend.Save(expected, uint64(newGeneration), C.GoString(document))
	switch {
	case err != nil:
		return -1
	case !stored:
		return 1
	}
	return 0
}

//export xoxeGoStoreLock
func xoxeGoStoreLock(userData unsafe.Pointer) (rc C.int32_t) {
	fs := lookupForeign(uintptr(userData))
	if fs == nil || fs.locker == nil {
		return -2
	}
	defer recoverInto(&rc)
	if err := fs.locker.Lock(); err != nil {
		return -1
	}
	return 0
}

//export xoxeGoStoreUnlock
func xoxeGoStoreUnlock(userData unsafe.Pointer) {
	fs := lookupForeign(uintptr(userData))
	if fs == nil || fs.locker == nil {
		return
	}
	defer func() { _ = recover() }()
	fs.locker.Unlock()
}

//export xoxeGoStoreRelease
func xoxeGoStoreRelease(userData unsafe.Pointer) {
	releaseForeign(uintptr(userData))
}

// recoverInto turns a panic in a backend into a failure code: a Go panic
// must never unwind into Rust.
func recoverInto(rc *C.int32_t) {
	if r := recover(); r != nil {
		*rc = -4
	}
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
