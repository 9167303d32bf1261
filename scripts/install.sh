#!/usr/bin/env bash
# Usage: scripts/install.sh [--from DIR] [--relocatable] PREFIX [DESTDIR]
# Installs xoxe for C users under DESTDIR/PREFIX (DESTDIR empty: PREFIX itself):
#   include/xoxe.h
#   lib/libxoxe.so.ABI            the shared library, SONAME libxoxe.so.ABI
#   lib/libxoxe.so -> libxoxe.so.ABI
#   lib/libxoxe.a                 the static library
#   lib/pkgconfig/xoxe.pc         pkg-config --cflags --libs xoxe   (shared;
#                                 --static adds the system libraries)
#   lib/pkgconfig/xoxe-static.pc  pkg-config --cflags --libs xoxe-static (the archive)
#   bin/xoxe                      the command line
#   share/man/man1/xoxe.1         its manual
#   share/doc/xoxe/               README.md, CHANGELOG.md, ABI.md, licences
# The built files come from DIR (default target/release: `make build`); `make
# dist` passes its own portable build. The .pc files name PREFIX, or with
# --relocatable their own directory (${pcfiledir}), so an unpacked tarball works
# wherever it lands. ABI is XOXE_ABI_VERSION from include/xoxe.h; the version
# is the crate's (Cargo.toml).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
from=$root/target/release
relocatable=0
while [ $# -gt 0 ]; do
  case $1 in
    --from) from=$2; shift 2 ;;
    --relocatable) relocatable=1; shift ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 [--from DIR] [--relocatable] PREFIX [DESTDIR]" >&2; exit 2
fi
prefix=$1
destdir=${2:-}
case $prefix in /*) ;; *) prefix=$(mkdir -p "$prefix" && cd "$prefix" && pwd) ;; esac
dest=$destdir$prefix
version=$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' "$root/Cargo.toml")
abi=$(sed -n 's/^#define XOXE_ABI_VERSION //p' "$root/include/xoxe.h")
# What the static library needs from the system on Linux (the list cargo's
# --print native-static-libs gives), kept once for every release artifact.
native_libs=$(cat "$root/packaging/native-static-libs.txt")
for f in libxoxe.so libxoxe.a xoxe; do
  [ -f "$from/$f" ] || { echo "$from/$f is missing: build first (make build)" >&2; exit 1; }
done

install -d "$dest/include" "$dest/lib/pkgconfig" "$dest/bin" "$dest/share/man/man1" "$dest/share/doc/xoxe"
install -m 0644 "$root/include/xoxe.h" "$dest/include/xoxe.h"
install -m 0755 "$from/libxoxe.so" "$dest/lib/libxoxe.so.$abi"
ln -sfn "libxoxe.so.$abi" "$dest/lib/libxoxe.so"
install -m 0644 "$from/libxoxe.a" "$dest/lib/libxoxe.a"
install -m 0755 "$from/xoxe" "$dest/bin/xoxe"
install -m 0644 "$root/man/xoxe.1" "$dest/share/man/man1/xoxe.1"
for doc in README.md CHANGELOG.md ABI.md LICENSE-MIT LICENSE-APACHE; do
  install -m 0644 "$root/$doc" "$dest/share/doc/xoxe/$doc"
done

# shellcheck disable=SC2016 # ${pcfiledir} is pkg-config's, not the shell's
if [ $relocatable = 1 ]; then pc_prefix='${pcfiledir}/../..'; else pc_prefix=$prefix; fi
pc() { # NAME DESCRIPTION LIBS
  cat > "$dest/lib/pkgconfig/$1.pc" <<PC
prefix=$pc_prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: $1
Description: $2
Version: $version
Cflags: -I\${includedir}
Libs: $3
Libs.private: $native_libs
PC
}
# shellcheck disable=SC2016 # ${libdir} is pkg-config's, not the shell's
pc xoxe "Slack token-rotation client (C API), shared library" '-L${libdir} -lxoxe'
# shellcheck disable=SC2016
pc xoxe-static "Slack token-rotation client (C API), static library" '${libdir}/libxoxe.a'
echo "installed xoxe $version under $dest"
