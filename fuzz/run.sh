#!/usr/bin/env bash
# Runs xoxe's fuzz targets, each for a set time, and writes one summary line per
# target. Used by fuzz/fuzz.mk (`make fuzz`, `make fuzz-short`); usable alone:
#
#   fuzz/run.sh SECONDS SUMMARY_FILE [TARGET...]
#
# Installs cargo-fuzz (into the default cargo bin directory) only when
# `cargo fuzz` is missing. Builds with AddressSanitizer (LeakSanitizer included)
# through RUSTC_BOOTSTRAP=1 on the stable toolchain; if that build fails (no
# sanitizer runtime), falls back to `--sanitizer none`, which is still
# coverage-guided libFuzzer. FUZZ_SANITIZER=address|none forces one.
#
# Working corpora grow in fuzz/corpus/<target> (not in git) and start from the
# checked-in seeds in fuzz/seeds/<target>. A crash keeps its reproducer in
# fuzz/artifacts/<target>/ and makes this script fail after every target ran.
# Reproduce one with: cargo fuzz run <target> fuzz/artifacts/<target>/crash-…
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS SUMMARY_FILE [TARGET...]}
summary=${2:?usage: fuzz/run.sh SECONDS SUMMARY_FILE [TARGET...]}
shift 2
fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$fuzz_dir")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(response_body caller_text ffi_args)
cargo=${CARGO:-cargo}
# Build flags: release with debug assertions (overflow checks included).
build_flags=(--release --debug-assertions)
# A build cache outside the clone (set by the top-level Makefile) keeps repeated
# runs on one machine warm; the instrumented build of every crate takes minutes.
[ -n "${FUZZ_TARGET_DIR:-}" ] && build_flags+=(--target-dir "$FUZZ_TARGET_DIR")

if ! "$cargo" fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (once; cargo install cargo-fuzz --locked)"
  "$cargo" install cargo-fuzz --locked
fi
command -v c++ >/dev/null || { echo "fuzz: a C++ compiler (g++) is needed to build libFuzzer" >&2; exit 1; }

cd "$root"
export RUSTC_BOOTSTRAP=1 # cargo fuzz passes -Z flags; stable accepts them with this
# glibc's thread-local destructor list is not a leak (see lsan.supp).
export LSAN_OPTIONS="suppressions=$fuzz_dir/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
sanitizer=${FUZZ_SANITIZER:-}
build_start=$SECONDS
if [ -z "$sanitizer" ]; then
  if "$cargo" fuzz build --fuzz-dir "$fuzz_dir" "${build_flags[@]}" --sanitizer address; then
    sanitizer=address
  else
    echo "fuzz: the AddressSanitizer build failed; fuzzing without a sanitizer" >&2
    sanitizer=none
    "$cargo" fuzz build --fuzz-dir "$fuzz_dir" "${build_flags[@]}" --sanitizer none
  fi
else
  "$cargo" fuzz build --fuzz-dir "$fuzz_dir" "${build_flags[@]}" --sanitizer "$sanitizer"
fi
echo "fuzz: built with sanitizer=$sanitizer in $((SECONDS - build_start)) s"

mkdir -p "$(dirname "$summary")"
: >"$summary"
failed=()
for t in "${targets[@]}"; do
  corpus="$fuzz_dir/corpus/$t"
  artifacts="$fuzz_dir/artifacts/$t"
  log="$fuzz_dir/artifacts/$t.log"
  mkdir -p "$corpus" "$artifacts"
  leaks=0
  [ "$sanitizer" = address ] && leaks=1
  dict=()
  [ -f "$fuzz_dir/dicts/$t.dict" ] && dict=("-dict=$fuzz_dir/dicts/$t.dict")
  echo
  echo "=== fuzz $t: $seconds s (sanitizer=$sanitizer) ==="
  start=$(date +%s.%N)
  # New inputs go to the first corpus directory; the seeds are only read.
  set +e
  "$cargo" fuzz run --fuzz-dir "$fuzz_dir" "${build_flags[@]}" --sanitizer "$sanitizer" "$t" \
    "$corpus" "$fuzz_dir/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=8192 \
    -print_final_stats=1 -detect_leaks=$leaks "${dict[@]}" \
    2>&1 | tee "$log" | grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|NEW_FUNC|# Uses: [0-9]+$'
  rc=${PIPESTATUS[0]}
  set -e
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    line="fuzz $t: ${execs:-?} executions in $elapsed s, 0 crashes (sanitizer=$sanitizer)"
  else
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    line="fuzz $t: ${execs:-?} executions in $elapsed s, 1 crash: ${reproducer:-see $log} (sanitizer=$sanitizer)"
    failed+=("$t")
  fi
  echo "$line"
  echo "$line" >>"$summary"
done

# ffi_args keeps its files in fuzz-ffi-args-<pid> (in /dev/shm or the temp dir);
# remove those whose process has exited.
for d in /dev/shm/fuzz-ffi-args-* "${TMPDIR:-/tmp}"/fuzz-ffi-args-*; do
  [ -d "$d" ] || continue
  kill -0 "${d##*-}" 2>/dev/null || rm -rf -- "$d"
done

echo
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (reproducers in fuzz/artifacts/; logs in fuzz/artifacts/<target>.log)" >&2
  exit 1
fi
