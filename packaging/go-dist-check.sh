#!/usr/bin/env bash
# Usage: packaging/go-dist-check.sh DIST_DIR PREFIX
# Uses the Go release that packaging/go-dist.sh wrote to DIST_DIR as a user
# outside the repository would, without cargo or rustc: in a fresh module under
# a temporary directory, with a private module cache and only
# GOPROXY=file://DIST_DIR/goproxy (no network),
#   1. go get github.com/xoxe-dev/xoxe/bindings/go@vVERSION (VERSION: Cargo.toml's);
#   2. builds examples/go/main.go against it, checks the program needs no
#      libxoxe.so and runs it against the fake Slack (scripts/with-fake-slack.sh;
#      XOXE_FAKE_SLACK, default target/release/fake-slack);
#   3. go mod vendor, then builds (module cache and proxy out of reach) and runs
#      it from vendor/;
#   4. checks that a build for another platform stops with a clear message;
#   5. builds with -tags xoxe_dynamic against the libxoxe installed under PREFIX
#      (a C tarball or `make install`: include/xoxe.h, lib/libxoxe.so.1,
#      lib/pkgconfig/xoxe.pc) and runs it from there.
# Prints one PASS or FAIL line per step and stops at the first failure, showing
# that step's output (the example prints tokens redacted). GO names the go
# command (default: go); Go's build cache is shared.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DIST_DIR PREFIX" >&2; exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "$1" && pwd)
prefix=$(cd "$2" && pwd)
go=${GO:-go}
module=github.com/xoxe-dev/xoxe/bindings/go
version=v$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' "$root/Cargo.toml")
fake=${XOXE_FAKE_SLACK:-$root/target/release/fake-slack}

work=$(mktemp -d "${TMPDIR:-/tmp}/xoxe-go-dist-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/step.log
pass() { echo "PASS: go-dist-check: $*"; }
fail() { echo "FAIL: go-dist-check: $*"; exit 1; }
# fail_log MESSAGE: fails, showing the end of the last command's output.
fail_log() {
  echo "FAIL: go-dist-check: $*"
  sed 's/^/    /' "$log" | tail -n 40
  exit 1
}
# step DESCRIPTION CMD...: runs CMD with its output in $log.
step() {
  local what=$1; shift
  if "$@" >"$log" 2>&1; then pass "$what"; else fail_log "$what"; fi
}

[ -f "$dist/goproxy/$module/@v/$version.zip" ] ||
  fail "$dist/goproxy has no $module $version (run packaging/go-dist.sh first)"
[ -x "$fake" ] || fail "no fake Slack at $fake (set XOXE_FAKE_SLACK)"
for f in include/xoxe.h lib/libxoxe.so.1 lib/pkgconfig/xoxe.pc; do
  [ -e "$prefix/$f" ] || fail "$prefix/$f is missing (PREFIX: an installed C tarball)"
done

# A consumer that knows only the file proxy: its own GOPATH and module cache,
# no sum database for xoxe's modules (the proxy is the source of truth here),
# the local toolchain, no workspace, no cgo flags from the caller.
export GOPATH=$work/gopath GOMODCACHE=$work/gopath/pkg/mod
export GOPROXY=file://$dist/goproxy GONOSUMDB=github.com/xoxe-dev GONOPROXY='' GOPRIVATE=''
export GOFLAGS='-mod=mod -modcacherw' GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=1
unset CGO_CFLAGS CGO_CPPFLAGS CGO_LDFLAGS PKG_CONFIG_PATH LD_LIBRARY_PATH
app=$work/consumer bin=$work/bin
mkdir -p "$app" "$bin"
cd "$app"
step "go mod init" "$go" mod init example.com/xoxe-consumer
step "go get $module@$version from $GOPROXY" "$go" get "$module@$version"
moddir=$("$go" list -m -f '{{.Dir}}' "$module")
case $moddir in "$GOMODCACHE"/*) ;; *) fail "$module resolved to $moddir, not the private module cache" ;; esac
for f in include/xoxe.h lib/linux-amd64/libxoxe.a; do
  [ -f "$moddir/$f" ] || fail "the module $module@$version lacks $f"
done
pass "the module holds include/xoxe.h and lib/linux-amd64/libxoxe.a"
cp "$root/examples/go/main.go" .

# 2. The default build: the module's static library.
step "go build (static, linux/amd64)" "$go" build -o "$bin/static" .
ldd "$bin/static" >"$log" 2>&1 || true
if grep -q libxoxe "$log"; then fail_log "the static build needs a libxoxe shared library"; fi
pass "the static build needs no libxoxe.so (ldd)"
step "static build runs against the fake Slack" "$root/scripts/with-fake-slack.sh" "$bin/static"

# 3. Vendored: the header and archive come along, nothing else is needed.
step "go mod vendor" "$go" mod vendor
for f in include/xoxe.h lib/linux-amd64/libxoxe.a; do
  [ -f "vendor/$module/$f" ] || fail "go mod vendor left out $f"
done
pass "vendor/ holds include/xoxe.h and lib/linux-amd64/libxoxe.a"
step "go build -mod=vendor (no module cache, GOPROXY=off)" \
  env GOMODCACHE="$work/empty" GOPROXY=off "$go" build -mod=vendor -o "$bin/vendored" .
step "vendored build runs against the fake Slack" "$root/scripts/with-fake-slack.sh" "$bin/vendored"
rm -rf vendor

# 4. Another platform without xoxe_dynamic stops with a message saying why.
# With cgo off (CGO_ENABLED=0, the default when cross-compiling): nocgo.go.
if CGO_ENABLED=0 GOARCH=arm64 "$go" build -o "$bin/arm64" . >"$log" 2>&1; then
  fail_log "a linux/arm64 build with cgo off succeeded"
fi
grep -q "xoxe_needs_cgo__build_with_CGO_ENABLED_1" "$log" ||
  fail_log "a linux/arm64 build with cgo off failed without the package's message"
pass "a linux/arm64 build with cgo off stops: needs cgo"
# With cgo on, link_unsupported.go's #error. No C compiler for arm64 here, so
# check it is what the build would compile, then run cgo on it as go build
# would (runtime/cgo itself needs that compiler).
CGO_ENABLED=1 GOARCH=arm64 "$go" list -f '{{join .CgoFiles " "}}' "$module" >"$log" 2>&1 || true
grep -qw link_unsupported.go "$log" || fail_log "a linux/arm64 build with cgo would not compile link_unsupported.go"
if (cd "$moddir" && CGO_ENABLED=1 GOARCH=arm64 "$go" tool cgo -objdir "$work/cgo" link_unsupported.go) >"$log" 2>&1; then
  fail_log "link_unsupported.go compiles"
fi
grep -q "prebuilt library for linux/amd64 only" "$log" ||
  fail_log "link_unsupported.go fails without the module's message"
pass "a linux/arm64 build with cgo stops: prebuilt library for linux/amd64 only"

# 5. xoxe_dynamic: the installed library, found with pkg-config.
step "go build -tags xoxe_dynamic (pkg-config xoxe from $prefix)" \
  env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" "$go" build -tags xoxe_dynamic -o "$bin/dynamic" .
LD_LIBRARY_PATH=$prefix/lib ldd "$bin/dynamic" >"$log" 2>&1 || true
grep -q "libxoxe.so.1 => $prefix/lib/libxoxe.so.1" "$log" ||
  fail_log "the xoxe_dynamic build does not load $prefix/lib/libxoxe.so.1"
pass "the xoxe_dynamic build loads $prefix/lib/libxoxe.so.1"
step "xoxe_dynamic build runs against the fake Slack" \
  env LD_LIBRARY_PATH="$prefix/lib" "$root/scripts/with-fake-slack.sh" "$bin/dynamic"
echo "PASS: go-dist-check: $module $version from $dist/goproxy"
