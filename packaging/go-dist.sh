#!/usr/bin/env bash
# Usage: packaging/go-dist.sh VERSION LIBXOXE_A HEADER OUT_DIR
# Assembles the Go module of release VERSION (e.g. 0.2.0) and a file-based
# module proxy serving it, so `go get github.com/xoxe-dev/xoxe/bindings/go@vVERSION`
# works with GOPROXY=file://OUT_DIR/goproxy and no Rust toolchain:
#   OUT_DIR/go/bindings-go/   the module: bindings/go's package (without its
#                             tests, go.mk and link_repo.go), link_release.go,
#                             link_unsupported.go, includebuild.go,
#                             include/xoxe.h (HEADER) and
#                             lib/linux-amd64/libxoxe.a (LIBXOXE_A, already
#                             stripped), plus README.md and the licences
#   OUT_DIR/goproxy/          that tree as version vVERSION (packaging/go/mkproxy)
# The .info time is SOURCE_DATE_EPOCH, by default the last commit's time, so
# the same inputs give the same proxy. GO names the go command (default: go).
# packaging/go-dist-check.sh tests the result.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 VERSION LIBXOXE_A HEADER OUT_DIR" >&2; exit 2
fi
version=$1 archive=$2 header=$3 out=$4
root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
module=github.com/xoxe-dev/xoxe/bindings/go

case $version in
  v*) echo "VERSION is without the v (0.2.0, not $version)" >&2; exit 2 ;;
esac
[ "$(head -c 8 "$archive" 2>/dev/null)" = '!<arch>' ] ||
  { echo "$archive is not a static library (ar archive)" >&2; exit 1; }
grep -q '^#define XOXE_ABI_VERSION ' "$header" 2>/dev/null ||
  { echo "$header is not xoxe.h (no XOXE_ABI_VERSION)" >&2; exit 1; }
native_libs=$(cat "$root/packaging/native-static-libs.txt")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}

tree=$out/go/bindings-go
rm -rf "$tree" "$out/goproxy"
mkdir -p "$tree/include" "$tree/lib/linux-amd64"

# The package's sources, without tests and the development link flags.
for f in "$root"/bindings/go/*.go; do
  case $(basename "$f") in *_test.go | link_repo.go) continue ;; esac
  cp "$f" "$tree/"
done
cp "$root/bindings/go/go.mod" "$root/bindings/go/README.md" "$tree/"
for f in LICENSE-MIT LICENSE-APACHE; do
  if [ -f "$root/$f" ]; then cp "$root/$f" "$tree/"; fi
done
tmpl=$root/packaging/go
sed "s|@NATIVE_STATIC_LIBS@|$native_libs|" "$tmpl/link_release.go.in" >"$tree/link_release.go"
cp "$tmpl/link_unsupported.go.in" "$tree/link_unsupported.go"
cp "$tmpl/includebuild.go.in" "$tree/includebuild.go"
cp "$tmpl/include.go.in" "$tree/include/doc.go"
cp "$tmpl/lib.go.in" "$tree/lib/linux-amd64/doc.go"
cp "$header" "$tree/include/xoxe.h"
cp "$archive" "$tree/lib/linux-amd64/libxoxe.a"
chmod -R u=rwX,go=rX "$tree"
unformatted=$("$(dirname "$(command -v "$go")")/gofmt" -l "$tree")
[ -z "$unformatted" ] || { echo "gofmt would change: $unformatted" >&2; exit 1; }

# mkproxy, built with the go command into build/dist/tools.
tools=$root/build/dist/tools
mkdir -p "$tools"
(cd "$root/packaging/go/mkproxy" && "$go" build -trimpath -o "$tools/mkproxy" .)
"$tools/mkproxy" -dir "$tree" -version "v$version" -out "$out/goproxy"
zip=$out/goproxy/$module/@v/v$version.zip
echo "Go module $module v$version: $tree"
echo "  proxy $out/goproxy (zip $(du -h "$zip" | cut -f1)), for GOPROXY=file://$(cd "$out/goproxy" && pwd)"
