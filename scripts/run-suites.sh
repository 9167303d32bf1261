#!/usr/bin/env bash
# Usage: scripts/run-suites.sh LOGS "FIRST..." "AFTER..." "BESIDE..."
# Runs make test's suites (make targets): FIRST one after another, then AFTER one
# after another while BESIDE run one after another beside them. The suites of
# the two lanes mostly wait (on token expiry, on servers), so on 2 cores the
# lanes overlap rather than compete; FIRST holds the CPU-bound ones (compiling,
# sanitizers). Each suite's whole output goes to LOGS/<suite>.log and its time to
# LOGS/durations.txt; the terminal shows it without the library's log lines (a
# BESIDE suite's once its lane is done). Each lane stops at its first failure;
# the script fails if any suite failed. MAKE names the make to run.
set -uo pipefail
logs=$1 first=$2 after=$3 beside=$4
make=${MAKE:-make}

quiet() { grep -v '\[xoxe \(debug\|info\|warn\|error\)\]' || true; }

# run SUITE SHOW: runs one suite into its log (on the terminal too when SHOW).
run() {
  local t=$1 show=$2 started rc
  started=$(date +%s)
  echo; echo "=== $t ==="
  if [ "$show" = show ]; then
    "$make" --no-print-directory "$t" 2>&1 | tee "$logs/$t.log" | quiet
    rc=${PIPESTATUS[0]}
  else
    "$make" --no-print-directory "$t" >"$logs/$t.log" 2>&1
    rc=$?
  fi
  echo "$t: $(( $(date +%s) - started )) s, exit $rc" | tee -a "$logs/durations.txt"
  return "$rc"
}

lane() {
  local show=$1 t
  shift
  for t in "$@"; do run "$t" "$show" || return 1; done
}

# shellcheck disable=SC2086 # the suite lists are words
lane show $first || exit 1

beside_out=$logs/beside-lane.out
# shellcheck disable=SC2086
lane quiet $beside >"$beside_out" 2>&1 &
beside_pid=$!
# shellcheck disable=SC2086
lane show $after
after_rc=$?
wait "$beside_pid"
beside_rc=$?

echo; echo "=== beside the others: $beside ==="
cat "$beside_out"
for t in $beside; do
  [ -f "$logs/$t.log" ] && { echo "--- $t"; quiet <"$logs/$t.log"; }
done
[ "$after_rc" -eq 0 ] && [ "$beside_rc" -eq 0 ]
