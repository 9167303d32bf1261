package xoxe_test

// The stores the rotator tests run against: memory, a file, and the fleet
// stores on the throwaway PostgreSQL and Redis servers of scripts/test-db.sh.
// `make test` starts those and exports their URLs; a bare `go test` starts
// them itself under build/db (and leaves them running for the next run).

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// testDB is one throwaway database server.
type testDB struct {
	name string // "postgres", "redis" (TCP) or "redis-unix"
	url  string // holds a password: never print it
}

// open makes a Store (a new connection) for chain in this database.
func (d testDB) open(chain string) (*xoxe.Store, error) { return d.openURL(d.url, chain) }

// openURL makes a Store of this database's kind for chain at url.
func (d testDB) openURL(url, chain string) (*xoxe.Store, error) {
	if d.name == "postgres" {
		return xoxe.NewPostgresStore(url, chain)
	}
	return xoxe.NewRedisStore(url, chain)
}

// store opens a Store for chain, closed when t ends.
func (d testDB) store(t testing.TB, chain string) *xoxe.Store {
	t.Helper()
	s, err := d.open(chain)
	if err != nil {
		t.Fatalf("%s store: %v", d.name, err) // the library's messages never hold the password
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// password is the password in the URL, as it is written there, for checking
// that messages never show it.
func (d testDB) password() string {
	if _, p, ok := strings.Cut(d.url, "pass="); ok {
		p, _, _ = strings.Cut(p, "&")
		return p
	}
	_, rest, _ := strings.Cut(d.url, "://")
	authority, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		_, p, _ := strings.Cut(authority[:i], ":")
		return p
	}
	return ""
}

// withPassword is the URL with its password replaced by pw.
func (d testDB) withPassword(t testing.TB, pw string) string {
	t.Helper()
	old := d.password()
	if len(old) < 8 || strings.Count(d.url, old) != 1 {
		t.Fatalf("%s: the test servers' URL should hold one real password", d.name)
	}
	return strings.Replace(d.url, old, pw, 1)
}

var testDBs struct {
	once sync.Once
	dbs  []testDB
	err  error
}

// databases are the three throwaway servers, found (or started) once.
func databases(t testing.TB) []testDB {
	t.Helper()
	testDBs.once.Do(func() { testDBs.dbs, testDBs.err = findDatabases() })
	if testDBs.err != nil {
		t.Fatalf("the test database servers: %v", testDBs.err)
	}
	return testDBs.dbs
}

// database is the server called name.
func database(t testing.TB, name string) testDB {
	t.Helper()
	for _, d := range databases(t) {
		if d.name == name {
			return d
		}
	}
	t.Fatalf("no %s test server", name)
	return testDB{}
}

var dbURLKeys = [...]struct{ name, key string }{
	{"postgres", "XOXE_TEST_POSTGRES_URL"},
	{"redis", "XOXE_TEST_REDIS_URL"},
	{"redis-unix", "XOXE_TEST_REDIS_UNIX_URL"},
}

// findDatabases reads the servers' URLs from the environment (make test), or
// else starts the servers under $XOXE_TEST_DB_DIR or build/db (test-db.sh
// start does nothing when they already run) and reads DIR/env.
func findDatabases() ([]testDB, error) {
	env := map[string]string{}
	for _, k := range dbURLKeys {
		if v := os.Getenv(k.key); v != "" {
			env[k.key] = v
		}
	}
	if len(env) < len(dbURLKeys) {
		dir := os.Getenv("XOXE_TEST_DB_DIR")
		if dir == "" {
			dir = filepath.Join(repoRoot(), "build", "db")
		}
		cmd := exec.Command(filepath.Join(repoRoot(), "scripts", "test-db.sh"), "start", dir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr // it never prints a password
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("scripts/test-db.sh start %s: %v", dir, err)
		}
		var err error
		if env, err = readEnvFile(filepath.Join(dir, "env")); err != nil {
			return nil, err
		}
	}
	var dbs []testDB
	for _, k := range dbURLKeys {
		if env[k.key] == "" {
			return nil, fmt.Errorf("%s is missing from the test servers' environment", k.key)
		}
		dbs = append(dbs, testDB{name: k.name, url: env[k.key]})
	}
	return dbs, nil
}

// readEnvFile reads the `export KEY='VALUE'` lines test-db.sh writes. Its
// values are secrets: errors never quote them.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, `'`)
		}
		env[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %v", path, err)
	}
	return env, nil
}

var chainSeq atomic.Uint64

// uniqueChain is a chain name no other test, or earlier run, uses.
func uniqueChain(name string) string {
	return fmt.Sprintf("go-%s-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), chainSeq.Add(1))
}

// chainWord turns a test's name into something a chain name may hold.
func chainWord(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:@", r)) {
			return r
		}
		return '.'
	}, s)
	return s[:min(len(s), 120)]
}

// storeKind is one kind of store the rotator tests run against.
type storeKind struct {
	name string
	// newChain makes a place for a new chain: a file, a unique chain name in a
	// database, nothing for memory.
	newChain func(t *testing.T) chainPlace
	// shared: the handles a place opens share one chain. A memory store's are
	// each a new, empty store.
	shared bool
}

// chainPlace is where one chain lives.
type chainPlace struct {
	// open makes a Store handle on the chain, closed when the test ends.
	open func(t *testing.T) *xoxe.Store
	path string // the file of a file store ("" for the others)
}

// storeKinds: memory, file, postgres, redis and redis-unix.
func storeKinds(t *testing.T) []storeKind {
	t.Helper()
	kinds := []storeKind{
		{name: "memory", newChain: func(*testing.T) chainPlace {
			return chainPlace{open: func(t *testing.T) *xoxe.Store {
				t.Helper()
				return keepStore(t)(xoxe.NewMemoryStore())
			}}
		}},
		{name: "file", shared: true, newChain: func(t *testing.T) chainPlace {
			path := filepath.Join(t.TempDir(), "chain.json")
			return chainPlace{path: path, open: func(t *testing.T) *xoxe.Store {
				t.Helper()
				return keepStore(t)(xoxe.NewFileStore(path, 10*time.Second))
			}}
		}},
	}
	for _, db := range databases(t) {
		kinds = append(kinds, storeKind{name: db.name, shared: true, newChain: func(t *testing.T) chainPlace {
			chain := uniqueChain(chainWord(t.Name()))
			return chainPlace{open: func(t *testing.T) *xoxe.Store {
				t.Helper()
				return db.store(t, chain)
			}}
		}})
	}
	return kinds
}

// keepStore fails t on a constructor's error and closes the store when t ends.
func keepStore(t *testing.T) func(*xoxe.Store, error) *xoxe.Store {
	t.Helper()
	return func(s *xoxe.Store, err error) *xoxe.Store {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

// onEveryStore runs f as a subtest for each store kind.
func onEveryStore(t *testing.T, f func(t *testing.T, k storeKind)) {
	t.Helper()
	for _, k := range storeKinds(t) {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}
