package xoxe_test

import (
	"fmt"
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

// goConstants maps, for the Go type named typ, every constant the package's
// non-test sources declare as `Name typ = C.XOXE_…` to that C name.
func goConstants(t *testing.T, typ string) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || vs.Type == nil || fmt.Sprint(vs.Type) != typ {
				return true
			}
			for i, v := range vs.Values {
				if sel, ok := v.(*ast.SelectorExpr); ok && fmt.Sprint(sel.X) == "C" {
					out[vs.Names[i].Name] = sel.Sel.Name
				}
			}
			return true
		})
	}
	return out
}

// checkEnum fails unless the Go constants of type goType name exactly the
// XOXE_<cprefix>_X constants of the header's enum, each as <goprefix>X. It
// returns the header's constants as (name, X, value) matches.
func checkEnum(t *testing.T, enum, cprefix, goType, goprefix string) [][]string {
	t.Helper()
	header := readHeader(t)
	start := strings.Index(header, "enum "+enum+"\n")
	if start < 0 {
		t.Fatalf("include/xoxe.h has no enum %s", enum)
	}
	block := header[start : start+strings.Index(header[start:], "};")]
	want := regexp.MustCompile(`(?m)^\s*(XOXE_`+cprefix+`_(\w+)) = (\d+),`).FindAllStringSubmatch(block, -1)
	if len(want) == 0 {
		t.Fatalf("no XOXE_%s_ constants found in include/xoxe.h", cprefix)
	}
	goc := goConstants(t, goType)
	byC := map[string]string{}
	for g, c := range goc {
		byC[c] = g
	}
	normalize := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, m := range want {
		g, ok := byC[m[1]]
		if !ok {
			t.Errorf("include/xoxe.h declares %s; the Go package has no %s constant for it", m[1], goType)
		} else if normalize(strings.TrimPrefix(g, goprefix)) != normalize(m[2]) {
			t.Errorf("%s is named %s", m[1], g)
		}
	}
	if len(goc) != len(want) {
		t.Errorf("the Go package declares %d %s constants, the header %d", len(goc), goType, len(want))
	}
	return want
}

// Every status the header declares has a Go constant, and String gives the
// library's name for it.
func TestStatusConstantsMatchHeader(t *testing.T) {
	for _, m := range checkEnum(t, "xoxe_status", "STATUS", "Status", "Status") {
		n, _ := strconv.ParseUint(m[3], 10, 32)
		if got := xoxe.Status(n).String(); got != strings.ToLower(m[2]) {
			t.Errorf("status %d (%s): name %q", n, m[1], got)
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
	checkEnum(t, "xoxe_status_family", "STATUS_FAMILY", "Family", "Family")
	for f := xoxe.FamilyOK; f <= xoxe.FamilyInternal; f++ {
		if f.String() == "unknown_family" {
			t.Errorf("family %d has no name", f)
		}
	}
}

func TestPresetConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_preset", "PRESET", "Preset", "Preset")
}

func TestChainKindConstantsMatchHeader(t *testing.T) {
	checkEnum(t, "xoxe_chain_kind", "CHAIN_KIND", "ChainKind", "Chain")
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
	// Functions a newer one supersedes in the binding, with the reason.
	superseded := map[string]string{
		"xoxe_rotator_get": "Rotator.Get calls xoxe_rotator_get_reusable, which also gives the deadline for reuse",
		"xoxe_pool_get":    "Pool.Get calls xoxe_pool_get_reusable, which also gives the deadline for reuse",
	}
	var missing []string
	for _, m := range fns {
		if _, ok := superseded[m[1]]; ok {
			continue
		}
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
	checkEnum(t, "xoxe_log_level", "LOG_LEVEL", "LogLevel", "Log")
	for l := xoxe.LogError; l <= xoxe.LogDebug; l++ {
		if l.String() == "unknown_level" {
			t.Errorf("log level %d has no name", l)
		}
	}
}

// TestEveryConstantTheBindingUsesIsInTheHeader fails when the binding's
// sources use a C.XOXE_… constant that include/xoxe.h does not declare (as a
// #define or an enum value): the binding takes its constants from the header,
// and a stand-in defined in a cgo preamble must go once the header has it.
func TestEveryConstantTheBindingUsesIsInTheHeader(t *testing.T) {
	header := readHeader(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\bC\.(XOXE_[A-Z0-9_]+)`).FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 10 {
		t.Fatalf("found only %d XOXE_ constants in the binding's sources", len(used))
	}
	var missing []string
	for name := range used {
		declared := regexp.MustCompile(`(?m)^\s*(#define ` + name + `\b|` + name + ` = )`)
		if !declared.MatchString(header) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the Go binding uses constants include/xoxe.h does not declare: %s", strings.Join(missing, ", "))
	}
}
