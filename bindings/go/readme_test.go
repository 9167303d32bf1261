package xoxe_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readmeImports is what a README block that is not a whole program may use.
const readmeImports = `import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"sync"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Sprint
	_ = log.Print
	_ = slog.Default
	_ = os.Getenv
	_ sync.Mutex
	_ = time.Second
	_ = xoxe.NewClient
)
`

// goTool finds the go command that built this test (PATH first).
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command on PATH or in %s: the README check needs one", runtime.GOROOT())
	}
	return p
}

// goEnv is the environment for the go command: this process's, without the
// GOGC/GODEBUG of `make test`'s second run (the compiler would run with them),
// offline, and with this toolchain.
func goEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GODEBUG=") && !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	return append(env, "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOPROXY=off", "GOWORK=off")
}

// TestReadmeGoBlocks: every ```go block of README.md compiles (and passes go
// vet) against this package, and the first program, which rotates a config
// token, runs against the fake Slack. A block that is a whole
// program is built as it is; declarations and statements are wrapped in a
// file that imports what they may use. The others are not run: one loops
// forever, the rest are fragments.
func TestReadmeGoBlocks(t *testing.T) {
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(text), -1)
	if len(blocks) < 4 {
		t.Fatalf("README.md has %d Go blocks; it had 4 when this test was written", len(blocks))
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), fmt.Sprintf(`module readme

go 1.22

require github.com/xoxe-dev/xoxe/bindings/go v0.0.0

replace github.com/xoxe-dev/xoxe/bindings/go => %s
`, here))
	rotating := ""
	for i, m := range blocks {
		code := m[1]
		pkg := fmt.Sprintf("block%d", i+1)
		switch {
		case strings.HasPrefix(code, "package main\n"):
			if rotating == "" && strings.Contains(code, "ToolingTokensRotate") {
				rotating = pkg
			}
		case regexp.MustCompile(`(?m)^(func|type|var|const) `).MatchString(code):
			code = "package " + pkg + "\n\n" + readmeImports + "\n" + code
		default:
			code = "package " + pkg + "\n\n" + readmeImports + "\nfunc readme() {\n" + code + "}\n"
		}
		if err := os.Mkdir(filepath.Join(dir, pkg), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, pkg, "main.go"), code)
	}
	if rotating == "" {
		t.Fatal("no README program calls ToolingTokensRotate")
	}
	goCmd := goTool(t)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(goCmd, args...)
		cmd.Dir, cmd.Env = dir, goEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s on the README's Go blocks: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("vet", "./...")
	bin := filepath.Join(dir, "rotate")
	run("build", "-o", bin, "./"+rotating)

	seed := newConfigToken(t, 0)
	before := getStats(t)
	cx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cx, bin)
	cmd.Env = append(os.Environ(), "XOXE_BASE_URL="+fake.BaseURL, "XOXE_CONFIG_REFRESH_TOKEN="+seed.RefreshToken)
	cmd.Stderr = os.Stderr // its library log lines (XOXE_LOG), for the secret scan
	out, err := cmd.Output()
	mustNotLeak(t, "the README program's output", string(out), seed.RefreshToken)
	if err != nil {
		t.Fatalf("the README's rotating program: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "rotated: xoxe.xoxp-1-…") {
		t.Fatalf("the README's rotating program printed %q", out)
	}
	if n := getStats(t).Rotations - before.Rotations; n != 1 {
		t.Fatalf("the README's rotating program made %d rotations, want 1", n)
	}
}
