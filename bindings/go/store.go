package xoxe

// #include <stdlib.h>
// #include "xoxe.h"
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// ChainKind says which Slack method renews a token chain kept in a [Store].
type ChainKind uint32

const (
	// ChainConfig is an app configuration token chain (tooling.tokens.rotate).
	ChainConfig ChainKind = 0
	// ChainOAuth is a bot or user token chain (oauth.v2.access refresh grant).
	ChainOAuth ChainKind = 1
)

// Store is where a token chain lives between rotations: in memory
// ([NewMemoryStore]), in a file ([NewFileStore]) or in a place the program
// keeps ([NewStore]). A Store is safe for concurrent use and may serve
// several rotators; each [Rotator] keeps its own reference, so the Store may
// be closed while rotators still use it.
type Store struct {
	mu  sync.RWMutex
	ptr *C.xoxe_store
}

func newStore(p *C.xoxe_store) *Store {
	s := &Store{ptr: p}
	runtime.SetFinalizer(s, (*Store).free)
	return s
}

// NewMemoryStore creates a store in memory, lost when closed (for tests and
// short-lived tools).
func NewMemoryStore() (*Store, error) {
	var p *C.xoxe_store
	var cerr *C.xoxe_error
	if st := C.xoxe_store_memory_new(&p, &cerr); st != 0 {
		return nil, takeError("NewMemoryStore", st, cerr)
	}
	return newStore(p), nil
}

// NewFileStore creates a store in the JSON file at path (its directory must
// exist; [Store.Init] creates the file). Writes are atomic (temp file, fsync,
// rename, fsync of the directory) with mode 0600, and rotations take an
// exclusive lock on path+".lock", waiting at most lockTimeout for another
// process (0: the library's default, 120 s; whole milliseconds, rounded up).
func NewFileStore(path string, lockTimeout time.Duration) (*Store, error) {
	const op = "NewFileStore"
	ms, err := durationUnits("lock timeout", lockTimeout, time.Millisecond)
	if err != nil {
		err.(*Error).op = op
		return nil, err
	}
	args, err := toC(op, strArg{name: "path", value: path})
	if err != nil {
		return nil, err
	}
	defer args.free()
	var p *C.xoxe_store
	var cerr *C.xoxe_error
	if st := C.xoxe_store_file_new(args[0], C.uint32_t(ms), &p, &cerr); st != 0 {
		return nil, takeError(op, st, cerr)
	}
	return newStore(p), nil
}

// StoreBackend keeps a chain's document for a store made by [NewStore], e.g.
// in a database or a secrets manager. The document is JSON written by the
// library and holds secrets: keep it as safe as the tokens. Methods may be
// called from any goroutine that uses a rotator on the store.
type StoreBackend interface {
	// Load returns the stored document, or ok == false when nothing is stored.
	Load() (document string, ok bool, err error)
	// Save stores document with generation newGeneration if the stored
	// generation equals *expected (or, when expected is nil, if nothing is
	// stored), and reports whether it did; false means another writer won
	// (compare-and-swap lost). It must be durable before it returns.
	Save(expected *uint64, newGeneration uint64, document string) (stored bool, err error)
}

// StoreLocker is implemented by a [StoreBackend] that can take an exclusive
// lock spanning every process of a fleet; rotations then hold it.
type StoreLocker interface {
	// Lock blocks until the lock is held; an error fails the rotation with
	// StatusLockTimeout.
	Lock() error
	// Unlock releases the lock Lock took.
	Unlock()
}

// foreignStore is the Go side of one NewStore store, found by its id from C.
type foreignStore struct {
	backend StoreBackend
	locker  StoreLocker
}

var foreign struct {
	sync.Mutex
	next   uintptr
	stores map[uintptr]*foreignStore
}

func registerForeign(fs *foreignStore) uintptr {
	foreign.Lock()
	defer foreign.Unlock()
	if foreign.stores == nil {
		foreign.stores = map[uintptr]*foreignStore{}
	}
	foreign.next++
	foreign.stores[foreign.next] = fs
	return foreign.next
}

func lookupForeign(id uintptr) *foreignStore {
	foreign.Lock()
	defer foreign.Unlock()
	return foreign.stores[id]
}

// releaseForeign forgets a store; releasing twice or an unknown id is harmless.
func releaseForeign(id uintptr) {
	foreign.Lock()
	defer foreign.Unlock()
	delete(foreign.stores, id)
}

// NewStore creates a store kept by backend. If backend also implements
// [StoreLocker], rotations take its lock. name (may be "") appears in error
// messages. A backend's error or panic reaches the caller as an [*Error] in
// the store family ([ErrStore]); the backend's own error text is not carried.
func NewStore(backend StoreBackend, name string) (*Store, error) {
	const op = "NewStore"
	if backend == nil {
		return nil, usageError(op, "backend is nil")
	}
	args, err := toC(op, strArg{name: "name", value: name, nullIfEmpty: true})
	if err != nil {
		return nil, err
	}
	defer args.free()
	fs := &foreignStore{backend: backend}
	fs.locker, _ = backend.(StoreLocker)
	id := registerForeign(fs)
	cb := goStoreCallbacks(id, fs.locker != nil)
	var p *C.xoxe_store
	var cerr *C.xoxe_error
	if st := C.xoxe_store_foreign_new(&cb, args[0], &p, &cerr); st != 0 {
		// The library calls release only for a store it created.
		releaseForeign(id)
		return nil, takeError(op, st, cerr)
	}
	return newStore(p), nil
}

// Init starts a chain in an empty store: refreshToken (required) and, if
// known, the access token in use with its expiry (a zero expiresAt means
// unknown: the rotator rotates before first use). It fails with
// StatusStoreConflict if the store already holds a chain, unless overwrite is
// true.
func (s *Store) Init(kind ChainKind, refreshToken, accessToken string, expiresAt time.Time, overwrite bool) error {
	const op = "Store.Init"
	args, err := toC(op,
		strArg{name: "refresh token", value: refreshToken},
		strArg{name: "access token", value: accessToken, nullIfEmpty: true})
	if err != nil {
		return err
	}
	defer args.free()
	var exp int64
	if !expiresAt.IsZero() {
		exp = expiresAt.Unix()
	}
	return s.use(op, func(p *C.xoxe_store) error {
		var cerr *C.xoxe_error
		if st := C.xoxe_store_init(p, C.uint32_t(kind), args[0], args[1], C.int64_t(exp), C.bool(overwrite), &cerr); st != 0 {
			return takeError(op, st, cerr)
		}
		return nil
	})
}

// use runs f with the store pointer under the read lock.
func (s *Store) use(op string, f func(p *C.xoxe_store) error) error {
	if s == nil {
		return closedError(op)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ptr == nil {
		return closedError(op)
	}
	err := f(s.ptr)
	runtime.KeepAlive(s)
	return err
}

// Close releases this handle; rotators using the store keep it alive. It is
// idempotent, waits for calls in flight, and always returns nil.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	s.free()
	return nil
}

func (s *Store) free() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.xoxe_store_free(s.ptr)
		s.ptr = nil
	}
}

// String describes the store handle (never its contents).
func (s *Store) String() string {
	if s == nil {
		return "xoxe.Store(nil)"
	}
	return fmt.Sprintf("xoxe.Store(%p)", s)
}
