package xoxe_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

func readHeader(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "include", "xoxe.h"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goConstants returns the constants declared with an explicit integer value
// in the package's non-test sources whose names start with prefix.
func goConstants(t *testing.T, prefix string) map[string]uint64 {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, prefix) || i >= len(vs.Values) {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.INT {
							v, err := strconv.ParseUint(lit.Value, 0, 32)
							if err != nil {
								t.Fatal(err)
							}
							out[name.Name] = v
						}
					}
				}
			}
		}
	}
	return out
}

// enumBlock returns the body of `enum <name> { ... };` in the header.
func enumBlock(t *testing.T, name string) string {
	t.Helper()
	header := readHeader(t)
	start := strings.Index(header, "enum "+name+"\n")
	if start < 0 {
		t.Fatalf("include/xoxe.h has no enum %s", name)
	}
	end := strings.Index(header[start:], "};")
	if end < 0 {
		t.Fatalf("enum %s is not closed", name)
	}
	return header[start : start+end]
}

// normalize makes XOXE_STATUS_INVALID_UTF8 and StatusInvalidUTF8 comparable.
func normalize(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// checkEnum fails when the header declares a constant XOXE_<cprefix>_X = N that
// the Go sources lack as <goprefix>X = N.
func checkEnum(t *testing.T, enum, cprefix, goprefix string) {
	header := enumBlock(t, enum)
	re := regexp.MustCompile(`(?m)^\s*XOXE_` + cprefix + `_(\w+) = (\d+),`)
	matches := re.FindAllStringSubmatch(header, -1)
	if len(matches) == 0 {
		t.Fatalf("no XOXE_%s_ constants found in include/xoxe.h", cprefix)
	}
	goc := goConstants(t, goprefix)
	byName := map[string]uint64{}
	for name, v := range goc {
		byName[normalize(strings.TrimPrefix(name, goprefix))] = v
	}
	for _, m := range matches {
		want, _ := strconv.ParseUint(m[2], 10, 32)
		got, ok := byName[normalize(m[1])]
		if !ok {
			t.Errorf("include/xoxe.h declares XOXE_%s_%s = %d; the Go package has no %s constant for it", cprefix, m[1], want, goprefix)
		} else if got != want {
			t.Errorf("XOXE_%s_%s is %d in the header but %d in Go", cprefix, m[1], want, got)
		}
	}
	if len(goc) != len(matches) {
		t.Errorf("the Go package declares %d %s constants, the header %d", len(goc), goprefix, len(matches))
	}
}

func TestStatusConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_status", "STATUS", "Status")
	// The library names every code the header declares, and families agree.
	re := regexp.MustCompile(`(?m)^\s*XOXE_STATUS_(\w+) = (\d+),`)
	for _, m := range re.FindAllStringSubmatch(enumBlock(t, "xoxe_status"), -1) {
		n, _ := strconv.ParseUint(m[2], 10, 32)
		s := xoxe.Status(n)
		if s.String() != strings.ToLower(m[1]) && s.Family() != xoxe.FamilySlackAPI && s.Family() != xoxe.FamilyRateLimited {
			t.Errorf("status %d: name %q", n, s.String())
		}
		if s.String() == "unknown_status" {
			t.Errorf("status %d (%s) has no name in the library", n, m[1])
		}
	}
	if xoxe.Status(987654).String() != "unknown_status" || xoxe.Status(987654).Family() != xoxe.FamilyInternal {
		t.Error("an unknown number")
	}
	if xoxe.StatusInvalidRefreshToken.String() != "invalid_refresh_token" || xoxe.StatusOK.Family() != xoxe.FamilyOK {
		t.Error("String/Family")
	}
}

func TestFamilyConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_status_family", "STATUS_FAMILY", "Family")
	for f := xoxe.FamilyOK; f <= xoxe.FamilyInternal; f++ {
		if f.String() == "unknown_family" {
			t.Errorf("family %d has no name", f)
		}
	}
}

func TestPresetConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_preset", "PRESET", "Preset")
}

func TestChainKindConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_chain_kind", "CHAIN_KIND", "Chain")
}

// TestEveryHeaderFunctionIsCalled fails when include/xoxe.h declares a
// function the binding's sources never call.
func TestEveryHeaderFunctionIsCalled(t *testing.T) {
	header := readHeader(t)
	fns := regexp.MustCompile(`(?m)^[A-Za-z_][\w \*]*?\b(xoxe_\w+)\(`).FindAllStringSubmatch(header, -1)
	if len(fns) < 20 {
		t.Fatalf("found only %d function declarations in include/xoxe.h", len(fns))
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	var missing []string
	for _, m := range fns {
		if !strings.Contains(src.String(), "C."+m[1]+"(") {
			missing = append(missing, m[1])
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("include/xoxe.h declares functions the Go binding never calls: %s", strings.Join(missing, ", "))
	}
}

func TestLogLevelConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_log_level", "LOG_LEVEL", "Log")
}
