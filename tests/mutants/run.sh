#!/usr/bin/env bash
# Usage: [MUTANTS_ITERATE=1] tests/mutants/run.sh OUT_DIR JOBS FILE...
# Runs cargo-mutants over FILE... as JOBS shards side by side (one process and one
# scratch tree each: cargo-mutants' own -j can race naming its log files), each
# writing OUT_DIR/shard-K/mutants.out. Missed mutants (exit 2) and timeouts (3) are
# results for tests/mutants/report.py to judge; anything else is a failure.
# MUTANTS_ITERATE=1 re-tests only what an earlier run in OUT_DIR did not catch
# (cargo-mutants --iterate; the earlier catches are kept in previously_caught.txt).
set -euo pipefail
out=$1 jobs=$2
shift 2
files=()
for f in "$@"; do files+=(-f "$f"); done
iterate=()
[ "${MUTANTS_ITERATE:-0}" = 1 ] && iterate=(--iterate)
pids=()
for ((k = 0; k < jobs; k++)); do
  mkdir -p "$out/shard-$k"
  ${CARGO:-cargo} mutants --no-shuffle "${iterate[@]}" --shard "$k/$jobs" "${files[@]}" -o "$out/shard-$k" \
    >"$out/shard-$k/run.log" 2>&1 &
  pids+=($!)
done
failed=0
for ((k = 0; k < jobs; k++)); do
  rc=0
  wait "${pids[$k]}" || rc=$?
  tail -n 3 "$out/shard-$k/run.log"
  case $rc in
    0 | 2 | 3) ;;
    *) echo "cargo mutants shard $k/$jobs failed (exit $rc): see $out/shard-$k/run.log"; failed=1 ;;
  esac
done
exit "$failed"
