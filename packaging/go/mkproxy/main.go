// Command mkproxy writes one version of a Go module into a file-based module
// proxy, the layout GOPROXY=file:///path serves (the GOPROXY protocol,
// https://go.dev/ref/mod#goproxy-protocol):
//
//	PROXY/<escaped module path>/@v/list          every version, one a line
//	PROXY/<escaped module path>/@v/VERSION.info  {"Version":…,"Time":…}
//	PROXY/<escaped module path>/@v/VERSION.mod   the module's go.mod
//	PROXY/<escaped module path>/@v/VERSION.zip   the module zip
//
// Usage:
//
//	mkproxy -dir DIR -version vX.Y.Z -out PROXY
//
// DIR is the module's root (its go.mod names the module path). The zip is made
// by golang.org/x/mod/zip (the go command's own rules: no vendor/, no nested
// modules, at most 500 MiB) and holds no timestamps, so the same tree gives
// the same bytes. The .info time is SOURCE_DATE_EPOCH (seconds since the
// epoch) when set, else now. Versions already in list are kept. mkproxy
// prints the go.sum lines of the version it wrote.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

func main() {
	dir := flag.String("dir", "", "the module's root directory (holds go.mod)")
	version := flag.String("version", "", "the version to write, e.g. v0.2.0")
	out := flag.String("out", "", "the proxy's root directory (created if missing)")
	flag.Parse()
	if *dir == "" || *version == "" || *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: mkproxy -dir DIR -version vX.Y.Z -out PROXY")
		os.Exit(2)
	}
	if err := run(*dir, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkproxy:", err)
		os.Exit(1)
	}
}

func run(dir, version, out string) error {
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	m := module.Version{Path: modfile.ModulePath(goMod), Version: version}
	if m.Path == "" {
		return fmt.Errorf("%s/go.mod has no module line", dir)
	}
	if semver.Canonical(version) != version {
		return fmt.Errorf("version %q is not a canonical semantic version (vX.Y.Z)", version)
	}
	if err := module.Check(m.Path, m.Version); err != nil {
		return err
	}
	when, err := sourceDate()
	if err != nil {
		return err
	}
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(m.Version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(vdir, escVersion)

	var zipBuf bytes.Buffer
	if err := zip.CreateFromDir(&zipBuf, m, dir); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{m.Version, when})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{base + ".zip", zipBuf.Bytes()},
		{base + ".mod", goMod},
		{base + ".info", append(info, '\n')},
	} {
		if err := writeFile(f.name, f.data); err != nil {
			return err
		}
	}
	if err := addToList(filepath.Join(vdir, "list"), m.Version); err != nil {
		return err
	}

	// What a consumer's go.sum will hold for this version.
	zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		return err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(goMod)), nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, zipHash, m.Path, m.Version, modHash)
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
// in UTC, or now when it is unset.
func sourceDate() (time.Time, error) {
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// addToList adds version to the proxy's list file, kept sorted by semver.
func addToList(path, version string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	versions := []string{version}
	for _, v := range strings.Fields(string(old)) {
		if v != version {
			versions = append(versions, v)
		}
	}
	semver.Sort(versions)
	return writeFile(path, []byte(strings.Join(versions, "\n")+"\n"))
}

// writeFile replaces path atomically, so a proxy being read never serves a
// half-written file.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mkproxy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
