#!/usr/bin/env bash
# Usage: scripts/install.sh PREFIX
# Installs the header, the shared and static libraries and a pkg-config file
# (`pkg-config --cflags --libs xoxe`) under PREFIX. Run after `cargo build --release`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(mkdir -p "$1" && cd "$1" && pwd)
release=$root/target/release
version=$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' "$root/Cargo.toml")
# What the static library needs from the system on Linux, as
# `cargo rustc --release --lib -- --print native-static-libs` reports it (asking
# cargo here would rebuild the library with other flags).
native_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 "$root/include/xoxe.h" "$prefix/include/xoxe.h"
install -m 0755 "$release/libxoxe.so" "$prefix/lib/libxoxe.so"
install -m 0644 "$release/libxoxe.a" "$prefix/lib/libxoxe.a"
cat > "$prefix/lib/pkgconfig/xoxe.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: xoxe
Description: Slack token-rotation client (C API)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lxoxe
Libs.private: $native_libs
PC
echo "installed xoxe $version under $prefix"
