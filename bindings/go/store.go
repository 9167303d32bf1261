package xoxe

/*
#include "xoxe.h"

// The Go-backed store's callbacks, exported from callbacks.go.
extern int32_t xoxeGoStoreLoad(void *user_data, xoxe_store_value *value);
extern int32_t xoxeGoStoreSave(void *user_data, bool expected_present, uint64_t expected_generation, uint64_t new_generation, char *document);
extern int32_t xoxeGoStoreLock(void *user_data);
extern void xoxeGoStoreUnlock(void *user_data);
extern void xoxeGoStoreRelease(void *user_data);

// cgo exports take char *, the header's save a const char *.
static int32_t xoxe_go_store_save(void *user_data, bool expected_present, uint64_t expected_generation, uint64_t new_generation, const char *document) {
	return xoxeGoStoreSave(user_data, expected_present, expected_generation, new_generation, (char *)document);
}

// The callbacks of the Go-backed store registered as id.
static xoxe_store_callbacks xoxe_go_store_callbacks(uintptr_t id, bool with_lock) {
	xoxe_store_callbacks cb = {(void *)id, xoxeGoStoreLoad, xoxe_go_store_save, NULL, NULL, xoxeGoStoreRelease};
	if (with_lock) {
		cb.lock = xoxeGoStoreLock;
		cb.unlock = xoxeGoStoreUnlock;
	}
	return cb;
}

// The Go-backed host of many chains' callbacks, exported from callbacks.go.
extern int32_t xoxeGoChainsOpen(void *user_data, char *chain, xoxe_store_callbacks *callbacks);
extern int32_t xoxeGoChainsList(void *user_data, xoxe_chain_names *names);
extern int32_t xoxeGoChainsRemove(void *user_data, char *chain);

// cgo exports take char *, the header's open and remove a const char *.
static int32_t xoxe_go_chains_open(void *user_data, const char *chain, xoxe_store_callbacks *callbacks) {
	return xoxeGoChainsOpen(user_data, (char *)chain, callbacks);
}

static int32_t xoxe_go_chains_remove(void *user_data, const char *chain) {
	return xoxeGoChainsRemove(user_data, (char *)chain);
}

// The callbacks of the Go-backed host registered as id.
static xoxe_chain_callbacks xoxe_go_chain_callbacks(uintptr_t id, bool with_list, bool with_remove) {
	xoxe_chain_callbacks cb = {(void *)id, xoxe_go_chains_open, NULL, NULL, xoxeGoStoreRelease};
	if (with_list) {
		cb.list = xoxeGoChainsList;
	}
	if (with_remove) {
		cb.remove = xoxe_go_chains_remove;
	}
	return cb;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// ChainKind says which Slack method renews a token chain kept in a [Store].
type ChainKind uint32

const (
	// ChainConfig is an app configuration token chain (tooling.tokens.rotate).
	ChainConfig ChainKind = C.XOXE_CHAIN_KIND_CONFIG
	// ChainOAuth is a bot or user token chain (oauth.v2.access refresh grant).
	ChainOAuth ChainKind = C.XOXE_CHAIN_KIND_OAUTH
)

// Store is where a token chain lives between rotations: in memory
// ([NewMemoryStore]), in a file ([NewFileStore]) or a directory of them
// ([NewDirectoryStore]), in a database a fleet of processes and machines shares
// ([NewPostgresStore], [NewRedisStore]) or in a place the program keeps
// ([NewStore]). Memory, directory and database stores keep many chains in
// their place: [Store.OpenChain] reaches another, [Store.Chains] lists them,
// and a [Pool] serves them all. A Store is safe for concurrent use and may serve several
// rotators and pools; each keeps its own reference, so the Store may be closed
// while they still use it.
type Store struct{ h *handle[*C.xoxe_store] }

func (s *Store) handle() *handle[*C.xoxe_store] {
	if s == nil {
		return nil
	}
	return s.h
}

// newStore runs a store constructor.
func newStore(op string, create func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status) (*Store, error) {
	h, err := own(op, "store", func(p *C.xoxe_store) { C.xoxe_store_free(p) }, create)
	if err != nil {
		return nil, err
	}
	return &Store{h}, nil
}

// NewMemoryStore creates a store in memory, lost when closed (for tests and
// short-lived tools).
func NewMemoryStore() (*Store, error) {
	return newStore("NewMemoryStore", func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_memory_new(out, e)
	})
}

// NewFileStore creates a store in the JSON file at path (its directory must
// exist and be private: not writable by group or others unless sticky;
// [Store.Init] creates the file). The path is resolved once, so a symlinked
// name shares the real file and its lock. Writes are atomic (temp file, fsync,
// rename, fsync of the directory) with mode 0600, the temp file and its space
// are set aside before a refresh token is spent, and rotations take an
// exclusive lock on path+".lock", waiting at most lockTimeout (whole
// milliseconds, rounded up; 0: the library's default) for another process.
func NewFileStore(path string, lockTimeout time.Duration) (*Store, error) {
	const op = "NewFileStore"
	ms, err := durationUnits(op, "lock timeout", lockTimeout, time.Millisecond)
	if err != nil {
		return nil, err
	}
	a, err := toC(op, strArg{"path", path, false})
	if err != nil {
		return nil, err
	}
	defer a.free()
	return newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_file_new(a[0], ms, out, e)
	})
}

// NewDirectoryStore creates a store for the chain named chain ("": the
// library's default chain) in the directory at path, which keeps many chains:
// each in its own file path/CHAIN.json with its own lock path/CHAIN.json.lock,
// and otherwise as [NewFileStore] (atomic private writes; the directory must
// exist and be private; lockTimeout as there). Chain names are as for
// [NewPostgresStore]. Use [Store.OpenChain] or a [Pool] for the other chains.
func NewDirectoryStore(path, chain string, lockTimeout time.Duration) (*Store, error) {
	const op = "NewDirectoryStore"
	ms, err := durationUnits(op, "lock timeout", lockTimeout, time.Millisecond)
	if err != nil {
		return nil, err
	}
	a, err := toC(op, strArg{"path", path, false}, strArg{"chain", chain, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	return newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_dir_new(a[0], a[1], ms, out, e)
	})
}

// NewPostgresStore creates a store for the token chain named chain in a
// PostgreSQL database, shared by every process and machine that uses it (each
// keeps its own Store on the same url and chain). url is
// postgresql://user:password@host:port/database (or postgres://), with libpq's
// sslmode=disable|prefer|require and sslrootcert=PATH (PEM certificates
// trusted besides the built-in roots). The tables (xoxe_schema, xoxe_chain,
// xoxe_orphan) are created if missing. Saves are compare-and-swap on the
// chain's generation; rotations are serialised across the fleet by a lease
// timed by the database's clock, with a durable in-flight marker (see the
// README's fleet section).
//
// chain is 1 to 200 characters of letters, digits and . _ - : @ (other names
// fail with [ErrUsage]); "" passes no name, and the library uses its default
// chain, "default". The URL's password never appears in an error, a log line
// or the Store's String. It fails with StatusStoreIO (naming the URL with its
// password redacted) when the database cannot be reached or refuses the login,
// and with StatusUnsupported in a library built without the postgres feature.
func NewPostgresStore(url, chain string) (*Store, error) {
	const op = "NewPostgresStore"
	a, err := toC(op, strArg{"url", url, false}, strArg{"chain", chain, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	return newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_postgres_new(a[0], a[1], out, e)
	})
}

// NewRedisStore creates a store for the token chain named chain in Redis,
// shared by every process and machine that uses it. url is
// redis://[user]:password@host:port/db, rediss://… (TLS, with sslrootcert=PATH
// as for [NewPostgresStore]) or redis+unix:///path/to/socket?pass=password.
// One chain's keys share one Cluster hash slot (xoxe:{chain}:…). The server
// must be a single primary with appendonly yes and appendfsync always (the
// library logs a warning otherwise). chain, "" (the library's default chain),
// errors and the password are as for [NewPostgresStore]; StatusUnsupported
// means a library built without the redis feature.
func NewRedisStore(url, chain string) (*Store, error) {
	const op = "NewRedisStore"
	a, err := toC(op, strArg{"url", url, false}, strArg{"chain", chain, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	return newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_redis_new(a[0], a[1], out, e)
	})
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

// foreign maps the ids the C callbacks carry to the backends of NewStore
// stores, until the library releases them.
var (
	foreign   sync.Map
	foreignID atomic.Uintptr
)

func lookupForeign(id unsafe.Pointer) StoreBackend {
	b, _ := foreign.Load(uintptr(id))
	s, _ := b.(StoreBackend)
	return s
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
	a, err := toC(op, strArg{"name", name, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	id := foreignID.Add(1)
	foreign.Store(id, backend)
	_, locks := backend.(StoreLocker)
	cb := C.xoxe_go_store_callbacks(C.uintptr_t(id), C.bool(locks))
	s, err := newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_foreign_new(&cb, a[0], out, e)
	})
	if err != nil {
		foreign.Delete(id) // the library calls release only for a store it made
	}
	return s, err
}

// ChainBackend keeps many chains for a store made by [NewForeignChainsStore],
// e.g. a table with a row per chain or a secrets manager with a secret per
// chain. If it also implements [ChainLister], [Store.Chains] and
// [Store.RewriteChains] list the chains through it, and if it implements
// [ChainRemover], [Store.RemoveChain] and [Pool.Remove] delete through it;
// without them those fail with StatusUnsupported. Methods may be called from
// any goroutine or thread, several at once.
type ChainBackend interface {
	// Open returns the backend of the chain named chain (a valid chain name;
	// the chain need not exist yet), used as [NewStore] uses one (with its
	// lock if it implements [StoreLocker]). The library keeps it until it no
	// longer uses that chain, then lets go of it; the same chain may be opened
	// again later. An error fails the call that needed the chain.
	Open(chain string) (StoreBackend, error)
}

// ChainLister is implemented by a [ChainBackend] that can list its chains.
type ChainLister interface {
	// List returns the name of every chain the backend keeps.
	List() ([]string, error)
}

// ChainRemover is implemented by a [ChainBackend] that can delete a chain.
type ChainRemover interface {
	// Remove deletes the chain named chain and every secret of it, and
	// reports whether there was one to delete.
	Remove(chain string) (removed bool, err error)
}

// chainHost is how a [ChainBackend] sits in the registry of Go-backed stores:
// wrapped, so that the lookups of a single chain's callbacks never take it
// for a [StoreBackend].
type chainHost struct{ backend ChainBackend }

func lookupChains(id unsafe.Pointer) ChainBackend {
	v, _ := foreign.Load(uintptr(id))
	h, _ := v.(chainHost)
	return h.backend
}

// chainCallbacks registers b, a chain's backend that a host's Open returned,
// and returns the callbacks that reach it; their release forgets it.
func chainCallbacks(b StoreBackend) C.xoxe_store_callbacks {
	id := foreignID.Add(1)
	foreign.Store(id, b)
	_, locks := b.(StoreLocker)
	return C.xoxe_go_store_callbacks(C.uintptr_t(id), C.bool(locks))
}

// NewForeignChainsStore creates a store for the chain named chain ("": the
// library's default chain) kept by backend, a host that keeps many chains:
// the library calls backend.Open with a chain's name whenever it needs that
// chain — here, for [Store.OpenChain], and from a [Pool] (again after it
// dropped a chain from memory) — and uses the [StoreBackend] it returns as
// [NewStore] does. [Store.Sealed] hands the backends sealed documents. name
// (may be "") appears in error messages; chain names are as for
// [NewPostgresStore]. The library lets go of backend once this store and
// every chain, rotator and pool made from it are closed, and of a chain's
// backend once it no longer uses that chain. A backend's error or panic (or a
// nil backend from Open) reaches the caller as an [*Error] in the store
// family ([ErrStore]): StatusStoreIO, or StatusLockTimeout from Lock, and
// StatusStoreCorrupt for a listed name that is not a valid chain name. Open
// failing for chain fails this call. The backend's own error text is not
// carried.
func NewForeignChainsStore(backend ChainBackend, chain, name string) (*Store, error) {
	const op = "NewForeignChainsStore"
	if backend == nil {
		return nil, usageError(op, "backend is nil")
	}
	a, err := toC(op, strArg{"name", name, true}, strArg{"chain", chain, true})
	if err != nil {
		return nil, err
	}
	defer a.free()
	id := foreignID.Add(1)
	foreign.Store(id, chainHost{backend})
	_, lists := backend.(ChainLister)
	_, removes := backend.(ChainRemover)
	cb := C.xoxe_go_chain_callbacks(C.uintptr_t(id), C.bool(lists), C.bool(removes))
	s, err := newStore(op, func(out **C.xoxe_store, e **C.xoxe_error) C.xoxe_status {
		return C.xoxe_store_foreign_chains_new(&cb, a[0], a[1], out, e)
	})
	if err != nil {
		foreign.Delete(id) // the library calls release only for a store it made
	}
	return s, err
}

// Init starts a chain in an empty store: refreshToken (required) and, if
// known, the access token in use with its expiry (a zero expiresAt means
// unknown: the rotator rotates before first use). It fails with
// StatusStoreConflict if the store already holds a chain, unless overwrite is
// true.
func (s *Store) Init(kind ChainKind, refreshToken, accessToken string, expiresAt time.Time, overwrite bool) error {
	const op = "Store.Init"
	a, err := toC(op, strArg{"refresh token", refreshToken, false}, strArg{"access token", accessToken, true})
	if err != nil {
		return err
	}
	defer a.free()
	var exp int64
	if !expiresAt.IsZero() {
		exp = expiresAt.Unix()
	}
	return s.handle().use(op, func(p *C.xoxe_store) error {
		var e *C.xoxe_error
		return check(op, C.xoxe_store_init(p, C.uint32_t(kind), a[0], a[1], C.int64_t(exp), C.bool(overwrite), &e), &e)
	})
}

// Close releases this handle; rotators, pools and stores sealed or opened from
// it keep what they use alive. It is idempotent, waits for calls in flight, and
// always returns nil.
func (s *Store) Close() error { return s.handle().close() }

// String describes the store handle (never its contents, nor a database URL or
// password).
func (s *Store) String() string {
	if s == nil {
		return "xoxe.Store(nil)"
	}
	return fmt.Sprintf("xoxe.Store(%p)", s)
}
