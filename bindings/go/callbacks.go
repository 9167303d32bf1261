package xoxe

// The callbacks the library calls: the logger and Go-backed stores. A file
// with //export may only declare in its preamble; the C glue is in log.go and
// store.go. Return codes follow xoxe_store_callbacks: 0 done, 1 (save) lost
// the compare-and-swap, negative failed (-1 the backend's error, -2 unknown
// store, -3 a document with a NUL byte, -4 a panic, which must never unwind
// into Rust).

// #include "xoxe.h"
import "C"

import (
	"strings"
	"unsafe"
)

//export xoxeGoLog
func xoxeGoLog(_ unsafe.Pointer, level C.uint32_t, message *C.char) {
	fn := logFunc.Load()
	if fn == nil || message == nil {
		return
	}
	defer func() { _ = recover() }()
	(*fn)(LogLevel(level), C.GoString(message))
}

//export xoxeGoStoreLoad
func xoxeGoStoreLoad(id unsafe.Pointer, value *C.xoxe_store_value) (rc C.int32_t) {
	b := lookupForeign(id)
	if b == nil {
		return -2
	}
	defer recoverInto(&rc)
	doc, ok, err := b.Load()
	switch {
	case err != nil:
		return -1
	case !ok:
		return 0
	case strings.IndexByte(doc, 0) >= 0:
		return -3
	}
	cdoc := C.CString(doc)
	defer freeCString(cdoc)
	C.xoxe_store_value_set(value, cdoc)
	return 0
}

//export xoxeGoStoreSave
func xoxeGoStoreSave(id unsafe.Pointer, expectedPresent C.bool, expectedGeneration, newGeneration C.uint64_t, document *C.char) (rc C.int32_t) {
	b := lookupForeign(id)
	if b == nil {
		return -2
	}
	defer recoverInto(&rc)
	var expected *uint64
	if expectedPresent {
		g := uint64(expectedGeneration)
		expected = &g
	}
	switch stored, err := b.Save(expected, uint64(newGeneration), C.GoString(document)); {
	case err != nil:
		return -1
	case !stored:
		return 1
	}
	return 0
}

//export xoxeGoStoreLock
func xoxeGoStoreLock(id unsafe.Pointer) (rc C.int32_t) {
	l, _ := lookupForeign(id).(StoreLocker)
	if l == nil {
		return -2
	}
	defer recoverInto(&rc)
	if l.Lock() != nil {
		return -1
	}
	return 0
}

//export xoxeGoStoreUnlock
func xoxeGoStoreUnlock(id unsafe.Pointer) {
	if l, _ := lookupForeign(id).(StoreLocker); l != nil {
		defer func() { _ = recover() }()
		l.Unlock()
	}
}

//export xoxeGoStoreRelease
func xoxeGoStoreRelease(id unsafe.Pointer) { foreign.Delete(uintptr(id)) }

func recoverInto(rc *C.int32_t) {
	if recover() != nil {
		*rc = -4
	}
}
