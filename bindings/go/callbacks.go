package xoxe

// The callbacks the library calls: the logger, Go-backed stores and Go-backed
// hosts of many chains. A file with //export may only declare in its
// preamble; the C glue is in log.go and store.go. Return codes follow
// xoxe_store_callbacks and xoxe_chain_callbacks: 0 done, 1 (save) lost the
// compare-and-swap or (remove) found nothing to remove, negative failed (-1
// the backend's error, -2 unknown store, -3 a document or chain name with a
// NUL byte, -4 a panic, which must never unwind into Rust, -5 Open returned no
// backend).

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

//export xoxeGoChainsOpen
func xoxeGoChainsOpen(id unsafe.Pointer, chain *C.char, callbacks *C.xoxe_store_callbacks) (rc C.int32_t) {
	h := lookupChains(id)
	if h == nil {
		return -2
	}
	defer recoverInto(&rc)
	b, err := h.Open(C.GoString(chain))
	switch {
	case err != nil:
		return -1
	case b == nil:
		return -5
	}
	// Registered last: the library releases the chain only once this returned 0.
	*callbacks = chainCallbacks(b)
	return 0
}

//export xoxeGoChainsList
func xoxeGoChainsList(id unsafe.Pointer, names *C.xoxe_chain_names) (rc C.int32_t) {
	l, _ := lookupChains(id).(ChainLister)
	if l == nil {
		return -2
	}
	defer recoverInto(&rc)
	listed, err := l.List()
	if err != nil {
		return -1
	}
	for _, name := range listed {
		if strings.IndexByte(name, 0) >= 0 {
			return -3 // C would cut it there and list another name
		}
	}
	for _, name := range listed {
		cname := C.CString(name)
		C.xoxe_chain_names_add(names, cname)
		freeCString(cname)
	}
	return 0
}

//export xoxeGoChainsRemove
func xoxeGoChainsRemove(id unsafe.Pointer, chain *C.char) (rc C.int32_t) {
	r, _ := lookupChains(id).(ChainRemover)
	if r == nil {
		return -2
	}
	defer recoverInto(&rc)
	switch removed, err := r.Remove(C.GoString(chain)); {
	case err != nil:
		return -1
	case !removed:
		return 1
	}
	return 0
}

func recoverInto(rc *C.int32_t) {
	if recover() != nil {
		*rc = -4
	}
}
