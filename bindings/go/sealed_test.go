package xoxe_test

// Sealing at rest: keyrings from files and the environment, a sealed
// directory store whose files hold no token in clear, key rotation, tampered
// and relabelled documents refused and left alone, RewriteChains sealing a
// plain directory, and no key material in any error.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

// testKey is one keyring line: an id and 32 random bytes in base64.
type testKey struct{ id, b64 string }

func newTestKey(t *testing.T, id string) testKey {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return testKey{id, base64.StdEncoding.EncodeToString(b)}
}

func (k testKey) line() string { return k.id + " " + k.b64 }

// writeKeyring writes a keyring file of keys (the first seals) with mode.
func writeKeyring(t *testing.T, path string, mode os.FileMode, keys ...testKey) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# a test keyring\n\n")
	for _, k := range keys {
		b.WriteString(k.line() + "\n")
	}
	writeFile(t, path, b.String())
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// keyring reads a keyring file of keys, closed when t ends.
func keyring(t *testing.T, keys ...testKey) *xoxe.Keyring {
	t.Helper()
	k, err := xoxe.KeyringFromFile(writeKeyring(t, filepath.Join(t.TempDir(), "keys"), 0o600, keys...))
	if err != nil {
		t.Fatalf("KeyringFromFile: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// keyTexts collects the base64 of every key a test made, and checks that no
// error shows one.
type keyTexts []testKey

func (ks keyTexts) check(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error()}
	var e *xoxe.Error
	if errors.As(err, &e) {
		texts = append(texts, e.Message, e.SlackError, e.ResponseJSON)
	}
	for _, k := range ks {
		for _, s := range texts {
			// The whole key, and any long piece of it.
			if strings.Contains(s, k.b64) || strings.Contains(s, k.b64[:16]) || strings.Contains(s, k.b64[20:36]) {
				t.Fatalf("%s: the error shows key material of %s", what, k.id)
			}
		}
	}
}

// sealedEnvelope is a sealed document as a store file holds it.
type sealedEnvelope struct {
	Sealed     int    `json:"xoxe_sealed"`
	KID        string `json:"kid"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

// readEnvelope reads a chain's file, failing unless it is a sealed envelope.
func readEnvelope(t *testing.T, path string) (sealedEnvelope, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env sealedEnvelope
	if err := json.Unmarshal(b, &env); err != nil || env.Sealed != 1 || env.KID == "" || env.Ciphertext == "" {
		t.Fatalf("%s is not a sealed envelope (err %v)", filepath.Base(path), err)
	}
	return env, b
}

// holdsNone fails if the file at path holds any of the secrets in clear.
func holdsNone(t *testing.T, path string, secrets ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range secrets {
		if s == "" || bytes.Contains(b, []byte(s)) {
			t.Fatalf("%s holds secret %d in clear", filepath.Base(path), i)
		}
	}
}

// sealedDir is a directory with a plain handle and a handle sealed with kr.
func sealedDir(t *testing.T, kr *xoxe.Keyring) (dir string, plain, sealed *xoxe.Store) {
	t.Helper()
	dir = t.TempDir()
	plain = keepStore(t)(xoxe.NewDirectoryStore(dir, "", 10*time.Second))
	sealed = keepStore(t)(plain.Sealed(kr))
	return dir, plain, sealed
}

// TestSealedDirectoryStoreHoldsNoTokenInClear: chains initialised and
// rotated through a sealed handle are sealed envelopes in private files that
// hold neither token; without the keyring they are ErrStoreSealed naming the
// key id, and nothing is written over them.
func TestSealedDirectoryStoreHoldsNoTokenInClear(t *testing.T) {
	k1 := newTestKey(t, "k1")
	keys := keyTexts{k1}
	kr := keyring(t, k1)
	dir, plain, sealed := sealedDir(t, kr)
	kr.Close() // the sealed store keeps its own reference
	seed := newConfigToken(t, 0)
	chain := keepStore(t)(sealed.OpenChain("sealed-chain")) // opened from a sealed handle: sealed too
	if err := chain.Init(xoxe.ChainConfig, seed.RefreshToken, "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sealed-chain.json")
	holdsNone(t, path, seed.RefreshToken)
	pool, err := xoxe.NewPool(newClient(t), sealed, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tok, _, err := pool.Get("sealed-chain")
	if err != nil {
		t.Fatalf("Get through the sealed store: %v", err)
	}
	env, sealedBytes := readEnvelope(t, path)
	if env.KID != "k1" {
		t.Fatalf("sealed under key %q, want k1", env.KID)
	}
	holdsNone(t, path, seed.RefreshToken, tok.Reveal(), k1.b64)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the sealed file's mode: %v %v", fi.Mode(), err)
	}
	listed, err := sealed.Chains()
	if err != nil || len(listed) != 1 || listed[0].Err != nil || listed[0].Generation != 1 {
		t.Fatalf("Chains through the sealed handle: %v %+v", err, listed)
	}

	// Without the keyring: sealed, naming the key, for every way in.
	listed, err = plain.Chains()
	if err != nil || len(listed) != 1 {
		t.Fatalf("Chains through the plain handle: %v %+v", err, listed)
	}
	if e := wantCode(t, listed[0].Err, xoxe.StatusStoreSealed); !errors.Is(e, xoxe.ErrStoreSealed) || !strings.Contains(e.Message, "k1") {
		t.Fatalf("the sealed chain listed without its key: %v", e)
	}
	keys.check(t, "Chains", listed[0].Err)
	plainPool, err := xoxe.NewPool(newClient(t), plain, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer plainPool.Close()
	_, _, err = plainPool.Get("sealed-chain")
	if !errors.Is(err, xoxe.ErrStoreSealed) || !strings.Contains(err.Error(), "k1") {
		t.Fatalf("Get without the keyring: %v, want ErrStoreSealed naming k1", err)
	}
	keys.check(t, "Get", err)
	plainChain := keepStore(t)(plain.OpenChain("sealed-chain"))
	err = plainChain.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, true)
	if !errors.Is(err, xoxe.ErrStoreSealed) {
		t.Fatalf("Init with overwrite over a chain sealed under a key not given: %v", err)
	}
	keys.check(t, "Init", err)
	_, err = plain.RewriteChains()
	if !errors.Is(err, xoxe.ErrStoreSealed) {
		t.Fatalf("RewriteChains without the keyring: %v", err)
	}
	keys.check(t, "RewriteChains", err)
	if now, _ := os.ReadFile(path); !bytes.Equal(now, sealedBytes) {
		t.Fatal("the sealed file was written without its key")
	}
	// Another keyring, with another key of the same id, opens nothing either.
	other := newTestKey(t, "k1")
	keys = append(keys, other)
	wrong := keepStore(t)(plain.Sealed(keyring(t, other)))
	if _, _, err = mustPool(t, wrong).Get("sealed-chain"); !errors.Is(err, xoxe.ErrStoreSealed) {
		t.Fatalf("Get with another key of the same id: %v", err)
	}
	keys.check(t, "Get with the wrong key", err)
	if now, _ := os.ReadFile(path); !bytes.Equal(now, sealedBytes) {
		t.Fatal("the sealed file was written with the wrong key")
	}
	// The right key still opens it.
	if again, _, err := pool.Get("sealed-chain"); err != nil || !again.Equal(tok) {
		t.Fatalf("Get through the sealed store again: %v", err)
	}
}

// mustPool is a pool over store with no app credentials, closed when t ends.
func mustPool(t *testing.T, store *xoxe.Store) *xoxe.Pool {
	t.Helper()
	p, err := xoxe.NewPool(newClient(t), store, "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestSealedStoreRotatesKeys: with a new key first and the old one kept, a
// chain sealed under the old key is read and its next save is sealed under
// the new one; RewriteChains moves every chain to it; the old key alone then
// opens nothing, naming the new key.
func TestSealedStoreRotatesKeys(t *testing.T) {
	oldKey, newKey := newTestKey(t, "2025-01"), newTestKey(t, "2025-07")
	keys := keyTexts{oldKey, newKey}
	dir, plain, sealedOld := sealedDir(t, keyring(t, oldKey))
	for _, name := range []string{"one", "two"} {
		c := keepStore(t)(sealedOld.OpenChain(name))
		if err := c.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		if env, _ := readEnvelope(t, filepath.Join(dir, name+".json")); env.KID != oldKey.id {
			t.Fatalf("%s sealed under %q", name, env.KID)
		}
	}
	sealedNew := keepStore(t)(plain.Sealed(keyring(t, newKey, oldKey)))
	tok, _, err := mustPool(t, sealedNew).Get("one")
	if err != nil {
		t.Fatalf("Get of a chain sealed under the old key: %v", err)
	}
	if env, _ := readEnvelope(t, filepath.Join(dir, "one.json")); env.KID != newKey.id {
		t.Fatalf("the rotated chain is sealed under %q, want the new key", env.KID)
	}
	holdsNone(t, filepath.Join(dir, "one.json"), tok.Reveal())
	if env, _ := readEnvelope(t, filepath.Join(dir, "two.json")); env.KID != oldKey.id {
		t.Fatalf("a chain not saved since is sealed under %q, want the old key still", env.KID)
	}
	n, err := sealedNew.RewriteChains()
	if err != nil || n != 2 {
		t.Fatalf("RewriteChains: %d, %v; want 2", n, err)
	}
	for _, name := range []string{"one", "two"} {
		if env, _ := readEnvelope(t, filepath.Join(dir, name+".json")); env.KID != newKey.id {
			t.Fatalf("%s after RewriteChains is sealed under %q", name, env.KID)
		}
	}
	listed, err := sealedNew.Chains()
	if err != nil || len(listed) != 2 || listed[0].Err != nil || listed[1].Err != nil {
		t.Fatalf("Chains through the new keyring: %v %+v", err, listed)
	}
	if _, _, err := mustPool(t, sealedNew).Get("two"); err != nil {
		t.Fatalf("Get of a rewritten chain: %v", err)
	}
	// The old key alone opens nothing now.
	_, _, err = mustPool(t, keepStore(t)(plain.Sealed(keyring(t, oldKey)))).Get("one")
	if !errors.Is(err, xoxe.ErrStoreSealed) || !strings.Contains(err.Error(), newKey.id) {
		t.Fatalf("Get with only the old key: %v, want ErrStoreSealed naming %s", err, newKey.id)
	}
	keys.check(t, "Get with only the old key", err)
}

// TestSealedStoreRejectsTampering: an envelope with a changed ciphertext, a
// relabelled key id, or copied to another chain's file does not open, and is
// not written over by a rotation, an Init with overwrite or RewriteChains.
func TestSealedStoreRejectsTampering(t *testing.T) {
	k1, k2 := newTestKey(t, "k1"), newTestKey(t, "k2")
	keys := keyTexts{k1, k2}
	dir, _, sealed := sealedDir(t, keyring(t, k1, k2))
	for _, name := range []string{"flipped", "relabelled", "source"} {
		if err := keepStore(t)(sealed.OpenChain(name)).Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
	}
	rewrite := func(name string, change func(*sealedEnvelope)) []byte {
		path := filepath.Join(dir, name+".json")
		env, _ := readEnvelope(t, path)
		change(&env)
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, string(b))
		return b
	}
	tampered := map[string][]byte{
		"flipped": rewrite("flipped", func(e *sealedEnvelope) {
			ct, err := base64.StdEncoding.DecodeString(e.Ciphertext)
			if err != nil {
				t.Fatal(err)
			}
			ct[len(ct)/2] ^= 1
			e.Ciphertext = base64.StdEncoding.EncodeToString(ct)
		}),
		"relabelled": rewrite("relabelled", func(e *sealedEnvelope) { e.KID = "k2" }),
	}
	source, err := os.ReadFile(filepath.Join(dir, "source.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "copied.json"), string(source))
	tampered["copied"] = source

	pool := mustPool(t, sealed)
	before := getStats(t)
	for name, content := range tampered {
		_, _, err := pool.Get(name)
		if !errors.Is(err, xoxe.ErrStoreSealed) {
			t.Fatalf("Get of the %s chain: %v, want ErrStoreSealed", name, err)
		}
		keys.check(t, "Get of the "+name+" chain", err)
		err = keepStore(t)(sealed.OpenChain(name)).Init(xoxe.ChainConfig, "xoxe-1-replacement", "", time.Time{}, true)
		if !errors.Is(err, xoxe.ErrStoreSealed) {
			t.Fatalf("Init with overwrite over the %s chain: %v", name, err)
		}
		if now, _ := os.ReadFile(filepath.Join(dir, name+".json")); !bytes.Equal(now, content) {
			t.Fatalf("the %s chain's file was written over", name)
		}
	}
	if _, err := sealed.RewriteChains(); !errors.Is(err, xoxe.ErrStoreSealed) {
		t.Fatalf("RewriteChains over tampered chains: %v", err)
	}
	listed, err := sealed.Chains()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range listed {
		if _, bad := tampered[c.Chain]; bad != errors.Is(c.Err, xoxe.ErrStoreSealed) {
			t.Fatalf("Chains: %s: %v", c.Chain, c.Err)
		}
		keys.check(t, "Chains", c.Err)
	}
	for name, content := range tampered {
		if now, _ := os.ReadFile(filepath.Join(dir, name+".json")); !bytes.Equal(now, content) {
			t.Fatalf("the %s chain's file was written over", name)
		}
	}
	if n := getStats(t).Requests["tooling.tokens.rotate"] - before.Requests["tooling.tokens.rotate"]; n != 0 {
		t.Fatalf("%d rotations sent for tampered chains", n)
	}
	// The untouched chain still works.
	if _, _, err := pool.Get("source"); err != nil {
		t.Fatalf("Get of the untouched chain: %v", err)
	}
}

// TestRewriteChainsSealsAPlainDirectory: chains written plain hold their
// refresh tokens in clear; RewriteChains through a sealed handle seals every
// one, and they keep working through it.
func TestRewriteChainsSealsAPlainDirectory(t *testing.T) {
	k := newTestKey(t, "k1")
	dir, plain, sealed := sealedDir(t, keyring(t, k))
	names := []string{"alpha", "beta", "gamma"}
	refresh := map[string]string{}
	for _, name := range names {
		refresh[name] = newConfigToken(t, 0).RefreshToken
		if err := keepStore(t)(plain.OpenChain(name)).Init(xoxe.ChainConfig, refresh[name], "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil || !bytes.Contains(b, []byte(refresh[name])) {
			t.Fatalf("a plain chain's file should hold its refresh token (err %v)", err)
		}
	}
	n, err := sealed.RewriteChains()
	if err != nil || n != len(names) {
		t.Fatalf("RewriteChains: %d, %v; want %d", n, err, len(names))
	}
	pool := mustPool(t, sealed)
	before := getStats(t)
	for _, name := range names {
		path := filepath.Join(dir, name+".json")
		if env, _ := readEnvelope(t, path); env.KID != "k1" {
			t.Fatalf("%s sealed under %q", name, env.KID)
		}
		holdsNone(t, path, refresh[name])
		tok, _, err := pool.Get(name)
		if err != nil {
			t.Fatalf("Get of %s after sealing: %v", name, err)
		}
		holdsNone(t, path, refresh[name], tok.Reveal())
	}
	if n := getStats(t).Rotations - before.Rotations; n != len(names) {
		t.Fatalf("%d rotations, want %d", n, len(names))
	}
	noReuses(t, before)
	// Through the plain handle, the sealed chains are no longer readable.
	if _, err := plain.RewriteChains(); !errors.Is(err, xoxe.ErrStoreSealed) {
		t.Fatalf("RewriteChains through the plain handle: %v", err)
	}
}

// TestKeyrings: a keyring file readable by others is refused, a missing or
// malformed one is an error, the environment works like a file, and no error
// or String shows key material.
func TestKeyrings(t *testing.T) {
	k1, k2 := newTestKey(t, "k1"), newTestKey(t, "k2")
	keys := keyTexts{k1, k2}
	dir := t.TempDir()

	loose := writeKeyring(t, filepath.Join(dir, "loose"), 0o644, k1)
	_, err := xoxe.KeyringFromFile(loose)
	if e := wantCode(t, err, xoxe.StatusStorePermissions); !strings.Contains(e.Message, "loose") {
		t.Fatalf("a 0644 keyring: %v", err)
	}
	keys.check(t, "a 0644 keyring", err)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o610, 0o602} {
		_, err := xoxe.KeyringFromFile(writeKeyring(t, filepath.Join(dir, "loose"), mode, k1))
		wantCode(t, err, xoxe.StatusStorePermissions)
		keys.check(t, "a loose keyring", err)
	}
	_, err = xoxe.KeyringFromFile(filepath.Join(dir, "missing"))
	wantCode(t, err, xoxe.StatusFileUnreadable)

	short := testKey{"short", base64.StdEncoding.EncodeToString([]byte("only sixteen byt"))}
	long := testKey{"long", k1.b64 + k2.b64}
	for name, content := range map[string]string{
		"not base64":    "k1 " + strings.Repeat("!", 44),
		"short key":     short.line(),
		"long key":      long.line(),
		"duplicate ids": k1.line() + "\n" + testKey{"k1", k2.b64}.line(),
		"bad id":        "k/1 " + k1.b64,
		"three fields":  k1.line() + " extra",
		"no keys":       "# nothing\n",
		"one field":     k1.b64,
	} {
		path := filepath.Join(dir, "bad")
		writeFile(t, path, content+"\n")
		_, err := xoxe.KeyringFromFile(path)
		if !errors.Is(err, xoxe.ErrUsage) {
			t.Fatalf("a keyring with %s: %v", name, err)
		}
		keys.check(t, "a keyring with "+name, err)
		if strings.Contains(err.Error(), short.b64) || strings.Contains(err.Error(), "!!!!") {
			t.Fatalf("a keyring with %s: the error echoes the line", name)
		}
	}

	good, err := xoxe.KeyringFromFile(writeKeyring(t, filepath.Join(dir, "good"), 0o600, k1, k2))
	if err != nil {
		t.Fatal(err)
	}
	if s := good.String(); strings.Contains(s, k1.b64) || strings.Contains(s, "k1") {
		t.Fatalf("String shows the keyring's contents: %s", s)
	}

	const env = "XOXE_GO_TEST_KEYRING"
	t.Setenv(env, k1.line()+";"+k2.line())
	fromEnv, err := xoxe.KeyringFromEnv(env)
	if err != nil {
		t.Fatalf("KeyringFromEnv: %v", err)
	}
	defer fromEnv.Close()
	// What the file's keyring seals, the environment's opens.
	sdir, plain, sealed := sealedDir(t, good)
	if err := keepStore(t)(sealed.OpenChain("c")).Init(xoxe.ChainConfig, "xoxe-1-seeded", "", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	holdsNone(t, filepath.Join(sdir, "c.json"), "xoxe-1-seeded")
	listed, err := keepStore(t)(plain.Sealed(fromEnv)).Chains()
	if err != nil || len(listed) != 1 || listed[0].Err != nil {
		t.Fatalf("the environment's keyring reading the file keyring's seal: %v %+v", err, listed)
	}
	t.Setenv(env, "")
	_, err = xoxe.KeyringFromEnv(env)
	if !errors.Is(err, xoxe.ErrUsage) || !strings.Contains(err.Error(), env) {
		t.Fatalf("an empty variable: %v", err)
	}
	t.Setenv(env, "k1 "+short.b64)
	_, err = xoxe.KeyringFromEnv(env)
	if !errors.Is(err, xoxe.ErrUsage) || strings.Contains(err.Error(), short.b64) {
		t.Fatalf("a short key in the environment: %v", err)
	}
	if _, err := xoxe.KeyringFromEnv("XOXE_GO_TEST_NO_SUCH_VARIABLE"); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("a missing variable: %v", err)
	}
	if _, err := xoxe.KeyringFromFile("a\x00b"); !errors.Is(err, xoxe.ErrUsage) {
		t.Fatalf("a NUL in the path: %v", err)
	}

	// A memory store cannot be sealed; closed and nil keyrings are ErrClosed.
	if _, err := keepStore(t)(xoxe.NewMemoryStore()).Sealed(good); err == nil {
		t.Fatal("a sealed memory store")
	} else {
		wantCode(t, err, xoxe.StatusUnsupported)
	}
	good.Close()
	good.Close()
	if _, err := plain.Sealed(good); !errors.Is(err, xoxe.ErrClosed) {
		t.Fatalf("Sealed with a closed keyring: %v", err)
	}
	var nilKeyring *xoxe.Keyring
	if _, err := plain.Sealed(nilKeyring); !errors.Is(err, xoxe.ErrClosed) || nilKeyring.Close() != nil {
		t.Fatalf("Sealed with a nil keyring: %v", err)
	}
	// The sealed store made before the keyring was closed keeps working.
	if listed, err := sealed.Chains(); err != nil || len(listed) != 1 || listed[0].Err != nil {
		t.Fatalf("a sealed store after its keyring was closed: %v %+v", err, listed)
	}
}

// TestSealedFleetStores: a PostgreSQL or Redis store sealed with a keyring
// serves its chains through a pool, and a handle without the keyring reads
// them as ErrStoreSealed naming the key.
func TestSealedFleetStores(t *testing.T) {
	fleetDatabases(t, func(t *testing.T, db testDB) {
		k := newTestKey(t, "fleet-key")
		chain := uniqueChain("sealed")
		plain := db.store(t, chain)
		sealed := keepStore(t)(plain.Sealed(keyring(t, k)))
		if err := sealed.Init(xoxe.ChainConfig, newConfigToken(t, 0).RefreshToken, "", time.Time{}, false); err != nil {
			t.Fatal(err)
		}
		before := getStats(t)
		if _, _, err := mustPool(t, sealed).Get(chain); err != nil {
			t.Fatalf("Get through the sealed store: %v", err)
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations, want 1", n)
		}
		r, err := xoxe.NewConfigRotator(newClient(t), db.store(t, chain), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, _, err = r.Current()
		if !errors.Is(err, xoxe.ErrStoreSealed) || !strings.Contains(err.Error(), k.id) {
			t.Fatalf("Current without the keyring: %v, want ErrStoreSealed naming %s", err, k.id)
		}
		keyTexts{k}.check(t, "Current without the keyring", err)
		again, _, err := mustPool(t, keepStore(t)(db.store(t, chain).Sealed(keyring(t, k)))).Get(chain)
		if err != nil || again.IsZero() {
			t.Fatalf("Get through another sealed connection: %v", err)
		}
		if n := getStats(t).Rotations - before.Rotations; n != 1 {
			t.Fatalf("%d rotations, want 1", n)
		}
	})
}
