#!/usr/bin/env bash
# Usage: packaging/dist-check.sh DIST_DIR WORK_DIR   (`make dist-check`)
# Installs and uses what `make dist` wrote as a user without a Rust toolchain
# would: cargo, rustc and rustup are hidden from PATH throughout (wrappers that
# fail loudly stand first on PATH, ~/.cargo/bin is dropped, CARGO_HOME and
# RUSTUP_HOME point nowhere), and for the Python wheel the C compiler is hidden
# too. Go and C consumers need a C compiler for their own code (cgo, cc), never
# for xoxe's. Each part runs its example against the fake Slack
# ($XOXE_FAKE_SLACK, a test server built beforehand).
#   checksums    SHA256SUMS matches every artifact
#   symbols      the shared library exports only xoxe_* and has SONAME libxoxe.so.ABI
#   wheel        glibc floor (auditwheel show), a clean venv installs it, imports
#                xoxe, runs the Python example and `xoxe token` (the console command)
#   c            from the unpacked tarball, pkg-config only: the C example built
#                against libxoxe.so and against the archive (xoxe-static), and bin/xoxe
#   go           packaging/go-dist-check.sh: go get through the file proxy, build, run
#   sdist        last, with the toolchain back: pip builds a wheel from the sdist
#                with cargo (in ~/.cache/xoxe/sdist-target, kept warm) and the
#                installed result passes the same install check
# Output goes to WORK_DIR/logs; the secret scan reads it all at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "$1" && pwd)
work=$(mkdir -p "$2" && cd "$2" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' "$root/Cargo.toml")
abi=$(sed -n 's/^#define XOXE_ABI_VERSION //p' "$root/include/xoxe.h")
export XOXE_FAKE_SLACK=${XOXE_FAKE_SLACK:-$root/target/release/fake-slack}
[ -x "$XOXE_FAKE_SLACK" ] || { echo "dist-check: no fake Slack at $XOXE_FAKE_SLACK (make build)" >&2; exit 1; }
tools=$HOME/.cache/xoxe/dist-tools-$(sha256sum "$root/packaging/requirements.txt" | cut -c1-12)

rm -rf "$work"; mkdir -p "$work/logs"
logs=$work/logs
export XOXE_ISSUED_TOKENS=$work/issued-tokens.txt
: > "$XOXE_ISSUED_TOKENS"
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*" >&2; exit 1; }

# PATH without the Rust toolchain, and wrappers that fail loudly if anything
# reaches for it (or, for the wheel, for a C compiler).
hide() { # DIR NAME... : wrappers in DIR for each NAME
  local dir=$1; shift; mkdir -p "$dir"
  for name in "$@"; do
    printf '#!/bin/sh\necho "dist-check: %s is hidden: a user installing a release has none" >&2\nexit 127\n' "$name" > "$dir/$name"
    chmod +x "$dir/$name"
  done
}
hide "$work/no-rust" cargo rustc rustup cargo-zigbuild
hide "$work/no-cc" cc gcc c++ g++ clang clang++ ld zig
saved_path=$PATH saved_cargo_home=${CARGO_HOME:-} saved_rustup_home=${RUSTUP_HOME:-}
clean_path=$(tr ':' '\n' <<<"$PATH" | grep -v -e '/\.cargo/bin' -e '/\.rustup/' -e "$tools" | paste -sd: -)
export PATH=$work/no-rust:$clean_path CARGO_HOME=$work/no-cargo-home RUSTUP_HOME=$work/no-rustup-home
unset XOXE_LIBRARY PYTHONPATH RUSTFLAGS
if command -v cargo >/dev/null && cargo --version >/dev/null 2>&1; then fail "cargo is still reachable"; fi

wheel=$(find "$dist" -maxdepth 1 -name "xoxe-$version-py3-none-manylinux*_x86_64.whl")
tarball=$dist/xoxe-$version-linux-x86_64.tar.gz
for f in "$wheel" "$tarball" "$dist/xoxe-$version.tar.gz"; do
  [ -f "$f" ] || fail "dist/ lacks the wheel, the sdist or the C tarball of $version (make dist)"
done

(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the artifacts"
pass "checksums: $(wc -l < "$dist/SHA256SUMS") files match SHA256SUMS"

# --- symbols: the tarball's library and the wheel's are the same file.
prefix=$work/c/xoxe-$version-linux-x86_64
mkdir -p "$work/c" "$work/wheel-files"
tar -xzf "$tarball" -C "$work/c"
python3 -m zipfile -e "$wheel" "$work/wheel-files"
so=$prefix/lib/libxoxe.so.$abi
cmp -s "$so" "$work/wheel-files/xoxe/_libxoxe.abi3.so" || fail "the wheel's library differs from the tarball's"
exported=$(nm -D --defined-only "$so" | awk '{print $3}')
others=$(grep -v '^xoxe_' <<<"$exported" || true)
[ -z "$others" ] || fail "libxoxe.so exports symbols outside xoxe_*: $(echo "$others" | head -5 | tr '\n' ' ')"
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libxoxe.so.$abi" ] || fail "SONAME is '$soname', not libxoxe.so.$abi"
pass "symbols: $(wc -l <<<"$exported") exported, all xoxe_*; SONAME $soname"

# --- wheel, with no compiler at all.
shown=$("$tools/bin/auditwheel" show "$wheel" 2>&1 | tr '\n' ' ')
[[ "$shown" == *'"manylinux_2_17_x86_64"'* ]] || fail "auditwheel show: $shown"
pass "wheel: auditwheel show says manylinux_2_17_x86_64 (glibc 2.17)"
venv=$work/venv
python3 -m venv "$venv" 2>/dev/null || { python3 -m pip install -q --user --disable-pip-version-check virtualenv && python3 -m virtualenv -q "$venv"; }
(
  # shellcheck disable=SC2030 # this part's PATH is meant to end with it
  export PATH=$work/no-cc:$venv/bin:$PATH
  cd "$work"
  pip install -q --disable-pip-version-check --no-index --no-deps "$wheel" > "$logs/wheel-install.log" 2>&1 \
    || fail "pip install of the wheel (see $logs/wheel-install.log)"
  python "$root/bindings/python/tools/check_install.py" > "$logs/wheel-check.log" 2>&1 \
    || { cat "$logs/wheel-check.log"; fail "the installed wheel (check_install.py)"; }
  "$root/scripts/with-fake-slack.sh" python "$root/examples/python/example.py" > "$logs/wheel-example.log" 2>&1 \
    || { cat "$logs/wheel-example.log"; fail "examples/python/example.py from the wheel"; }
  XOXE_FAKE_SLACK_ARGS="--token-ttl 5" "$root/scripts/with-fake-slack.sh" "$root/scripts/demo-cli.sh" "$venv/bin/xoxe" \
    > "$logs/wheel-cli.log" 2>&1 || { cat "$logs/wheel-cli.log"; fail "xoxe init/token/status from the wheel"; }
)
pass "wheel: installed in a clean venv, example.py and the xoxe command ran against the fake Slack"

# --- C, from the unpacked tarball with pkg-config only.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
build=$work/c-build
mkdir -p "$build"
# shellcheck disable=SC2046 # pkg-config prints flags to split
cc -std=c99 -Wall -Wextra -Werror "$root/examples/c/example.c" $(pkg-config --cflags --libs xoxe) -o "$build/example"
libs=$(LD_LIBRARY_PATH=$prefix/lib ldd "$build/example")
[[ "$libs" == *"libxoxe.so.$abi => $prefix/lib/libxoxe.so.$abi "* ]] || fail "the example did not load the tarball's libxoxe.so.$abi: $libs"
LD_LIBRARY_PATH=$prefix/lib "$root/scripts/with-fake-slack.sh" "$build/example" > "$logs/c-example.log" 2>&1 \
  || { cat "$logs/c-example.log"; fail "examples/c/example.c against libxoxe.so"; }
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror "$root/examples/c/example.c" $(pkg-config --static --cflags --libs xoxe-static) -o "$build/example-static"
libs=$(ldd "$build/example-static")
[[ "$libs" != *libxoxe* ]] || fail "the static example still needs libxoxe.so: $libs"
"$root/scripts/with-fake-slack.sh" "$build/example-static" > "$logs/c-example-static.log" 2>&1 \
  || { cat "$logs/c-example-static.log"; fail "examples/c/example.c linked statically"; }
[ "$("$prefix/bin/xoxe" --version)" = "xoxe $version" ] || fail "bin/xoxe --version"
[ -s "$prefix/share/man/man1/xoxe.1" ] || fail "share/man/man1/xoxe.1 is missing"
pass "c: example built with pkg-config (shared and static) ran against the fake Slack; bin/xoxe $version"

# --- Go, through the file proxy.
"$root/packaging/go-dist-check.sh" "$dist" "$prefix" > "$logs/go.log" 2>&1 \
  || { cat "$logs/go.log"; fail "packaging/go-dist-check.sh"; }
grep '^PASS' "$logs/go.log" || true
pass "go: go get through the file proxy, built and ran"

# --- sdist: the one artifact meant to build from source, so cargo is back.
(
  # shellcheck disable=SC2031
  export PATH=$saved_path CARGO_HOME=$saved_cargo_home RUSTUP_HOME=$saved_rustup_home
  [ -n "$CARGO_HOME" ] || unset CARGO_HOME
  [ -n "$RUSTUP_HOME" ] || unset RUSTUP_HOME
  sdist_venv=$work/sdist-venv
  python3 -m venv "$sdist_venv" 2>/dev/null || python3 -m virtualenv -q "$sdist_venv"
  export PATH=$sdist_venv/bin:$PATH CARGO_TARGET_DIR=$HOME/.cache/xoxe/sdist-target
  cd "$work"
  pip install --disable-pip-version-check "$dist/xoxe-$version.tar.gz" > "$logs/sdist-install.log" 2>&1 \
    || { tail -30 "$logs/sdist-install.log"; fail "pip install of the sdist (see $logs/sdist-install.log)"; }
  python "$root/bindings/python/tools/check_install.py" > "$logs/sdist-check.log" 2>&1 \
    || { cat "$logs/sdist-check.log"; fail "the package built from the sdist (check_install.py)"; }
)
pass "sdist: pip built it from source with cargo, and the installed package works"

"$root/scripts/secret-scan.sh" "$XOXE_ISSUED_TOKENS" "$logs"
echo "dist-check: all passed (logs in $logs)"
