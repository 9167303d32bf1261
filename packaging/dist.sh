#!/usr/bin/env bash
# Usage: packaging/dist.sh OUT_DIR WORK_DIR
# Writes xoxe's release artifacts for linux x86_64 into OUT_DIR (`make dist`):
#   xoxe-V-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
#                                 the Python package with the library and the CLI
#   xoxe-V.tar.gz                 its sdist, which builds from source (carries the crate)
#   xoxe-V-linux-x86_64.tar.gz    the C tarball (scripts/install.sh's set, relocatable)
#   goproxy/                      a file module proxy (GOPROXY=file://…) holding
#                                 github.com/xoxe-dev/xoxe/bindings/go vV with the
#                                 static library inside the module
#   BUILD-INFO.txt                what built them (commit, toolchain, glibc floor)
#   SHA256SUMS                    checksums of all of the above
# One portable build serves all three: cargo zigbuild for glibc 2.17 with the
# `dist` profile, debug info stripped. V is the crate's version (Cargo.toml).
# WORK_DIR keeps the intermediate files and the build (kept warm between runs).
#
# Reproducible: file times are SOURCE_DATE_EPOCH (default: the last commit's
# time), archives are sorted and owner-free, and build paths are remapped, so two
# runs from the same commit write the same bytes wherever the clone is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mkdir -p "$2" && cd "$2" && pwd)
cd "$root"

version=$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' Cargo.toml)
target=x86_64-unknown-linux-gnu
glibc=2.17
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
# Every tool writes its notes here; on failure the tail is shown.
log=$work/dist.log
: > "$log"
step() { echo "--- $*"; }
run() { "$@" >>"$log" 2>&1 || { echo "failed: $*" >&2; tail -40 "$log" >&2; exit 1; }; }

step "tools (packaging/requirements.txt, pinned)"
reqs=$root/packaging/requirements.txt
tools=$HOME/.cache/xoxe/dist-tools-$(sha256sum "$reqs" | cut -c1-12)
if [ ! -x "$tools/bin/cargo-zigbuild" ]; then
  rm -rf "$tools"
  python3 -m venv "$tools" 2>/dev/null || { rm -rf "$tools"; \
    python3 -m pip install -q --user --disable-pip-version-check virtualenv && python3 -m virtualenv -q "$tools"; }
  run "$tools/bin/pip" install --disable-pip-version-check -r "$reqs"
fi
export PATH=$tools/bin:$PATH

step "portable build: cargo zigbuild --profile dist --target $target.$glibc"
cargo_target=$work/target
# Paths of this clone, the cargo home and the build directory are remapped so
# none is recorded in the artifacts (and two clones build the same bytes).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="--remap-path-prefix=$root=/xoxe --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$cargo_target=/target"
run cargo zigbuild --locked --profile dist --lib --bin xoxe --target "$target.$glibc" --target-dir "$cargo_target"
built=$cargo_target/$target/dist
stage=$work/stage
rm -rf "$stage"; mkdir -p "$stage"
# The standard library's debug info comes precompiled; the archive keeps its
# symbol table (a linker needs it), the shared library its dynamic symbols.
for f in libxoxe.so libxoxe.a xoxe; do
  strip --strip-debug -o "$stage/$f" "$built/$f"
done
chmod 0755 "$stage/libxoxe.so" "$stage/xoxe"
newest_glibc=$(objdump -T "$stage/libxoxe.so" "$stage/xoxe" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
[ "$newest_glibc" = "GLIBC_$glibc" ] || { echo "the build needs $newest_glibc, not GLIBC_$glibc" >&2; exit 1; }

rm -rf "$out"; mkdir -p "$out"

step "Python: sdist and wheel"
py=$work/python
rm -rf "$py"; mkdir -p "$py/raw"
# The sdist's tree: the binding, the licences, and the crate as `cargo package`
# makes it (its own Cargo.lock, no workspace), in rust/.
src=$py/xoxe-$version
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard bindings/python | grep -zv -e '^bindings/python/tests/' -e '^bindings/python/tools/' -e '\.mk$' \
  | xargs -0 -I{} cp --parents {} "$py"
cp -a "$py/bindings/python/." "$src/"; rm -rf "$py/bindings"
cp LICENSE-MIT LICENSE-APACHE "$src/"
run cargo package --locked --no-verify --allow-dirty --target-dir "$work/package"
mkdir -p "$src/rust"
tar -xzf "$work/package/package/xoxe-$version.crate" -C "$src/rust" --strip-components=1
# Times inside the sdist and the wheel come from the files.
find "$src" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
XOXE_PREBUILT_LIBRARY=$stage/libxoxe.so XOXE_PREBUILT_CLI=$stage/xoxe \
  run python -m build --no-isolation --outdir "$py/raw" "$src"
run auditwheel repair --plat "manylinux2014_x86_64" --wheel-dir "$out" "$py/raw/xoxe-$version-py3-none-linux_x86_64.whl"
python3 "$root/packaging/normalize_sdist.py" "$py/raw/xoxe-$version.tar.gz" "$out/xoxe-$version.tar.gz"

step "C tarball"
c=$work/c
name=xoxe-$version-linux-x86_64
rm -rf "$c"; mkdir -p "$c"
run scripts/install.sh --from "$stage" --relocatable "/$name" "$c"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$c" -cf - "$name" | gzip -9n > "$out/$name.tar.gz"

step "Go module and file proxy"
run packaging/go-dist.sh "$version" "$stage/libxoxe.a" include/xoxe.h "$work/go"
cp -a "$work/go/goproxy" "$out/goproxy"

step "BUILD-INFO.txt and SHA256SUMS"
{
  echo "xoxe $version"
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "source-date-epoch $SOURCE_DATE_EPOCH"
  echo "target $target, glibc >= $glibc (newest symbol version used: $newest_glibc)"
  echo "rustc $(rustc --version | cut -d' ' -f2-)"
  echo "zig $(python -m ziglang version)"
  echo "tools $(grep -v '^#' "$reqs" | tr '\n' ' ')"
  echo "abi $(sed -n 's/^#define XOXE_ABI_VERSION //p' include/xoxe.h) (SONAME libxoxe.so.$(sed -n 's/^#define XOXE_ABI_VERSION //p' include/xoxe.h))"
} > "$out/BUILD-INFO.txt"
sums=$(cd "$out" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum)
echo "$sums" > "$out/SHA256SUMS"

auditwheel show "$out"/xoxe-"$version"-*.whl | tr '\n' ' ' | sed 's/  */ /g'; echo
(cd "$out" && find . -maxdepth 1 -name '*.whl' -o -maxdepth 1 -name '*.tar.gz' | LC_ALL=C sort | xargs du -h)
echo "dist: $out (log: $log)"
