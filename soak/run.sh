#!/usr/bin/env bash
# Usage: soak/run.sh OUT_DIR C_DRIVER GO_DRIVER PYTHON SUMMARY_FILE
# One fake Slack (HTTP + HTTPS, its own port), a fault injector, and the C, Python
# and Go drivers side by side for SOAK_SECONDS (default 600); then soak/report.py
# checks RSS and statuses and writes the summary. Exit 1 on any failure.
set -uo pipefail
out=$1 c_driver=$2 go_driver=$3 python=$4 summary=$5
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
fake=${XOXE_FAKE_SLACK:-$root/target/release/fake-slack}
export SOAK_SECONDS=${SOAK_SECONDS:-600}
export XOXE_LIBRARY=${XOXE_LIBRARY:-$root/target/release/libxoxe.so}
rm -rf "$out"; mkdir -p "$out/logs"; logs=$out/logs
pids=()
# shellcheck disable=SC2317  # false positive: called by the EXIT trap (shellcheck 0.9 misses it)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# The soak's own fake Slack (port 0: any free port), tokens living 20 s so the
# rotators rotate every ~10 s; every secret it issues is listed for the scan.
"$fake" --ready-file "$out/ready.json" --tls-ca-file "$out/ca.pem" --token-ttl 20 \
  --issued-tokens-file "$out/issued-tokens.txt" >"$logs/fake-slack.log" 2>&1 &
fake_pid=$!; pids+=("$fake_pid")
for _ in $(seq 100); do [ -s "$out/ready.json" ] && break; sleep 0.1; done
[ -s "$out/ready.json" ] || { echo "soak: fake-slack did not start"; cat "$logs/fake-slack.log"; exit 1; }
control=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control_url"])' "$out/ready.json")
echo "soak: ${SOAK_SECONDS} s; fake Slack ${control%_control/}; output in $out"

python3 "$here/faults.py" "$control" "${SOAK_FAULT_INTERVAL:-0.05}" >"$logs/faults.log" 2>&1 &
faults_pid=$!; pids+=("$faults_pid")

export SOAK_READY=$out/ready.json SOAK_CA=$out/ca.pem SOAK_OUT=$out
# The drivers install their own (counting) loggers; no stderr log lines.
unset XOXE_LOG
"$c_driver" >"$logs/c.log" 2>&1 & c_pid=$!
PYTHONPATH=$root/bindings/python/src "$python" "$here/soak.py" >"$logs/python.log" 2>&1 & py_pid=$!
"$go_driver" >"$logs/go.log" 2>&1 & go_pid=$!
pids+=("$c_pid" "$py_pid" "$go_pid")

wait "$c_pid"; c_rc=$?
wait "$py_pid"; py_rc=$?
wait "$go_pid"; go_rc=$?
kill -TERM "$faults_pid" 2>/dev/null; wait "$faults_pid" 2>/dev/null
curl -s "${control}stats" >"$out/stats.json" 2>/dev/null || python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "${control}stats" >"$out/stats.json"
kill -TERM "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
pids=()

rc=0
python3 "$here/report.py" "$out" "$summary" "c=$c_rc" "python=$py_rc" "go=$go_rc" || rc=1
# No token the fake Slack issued may appear in any driver's output.
cp "$summary" "$logs/summary.txt" 2>/dev/null
"$root/scripts/secret-scan.sh" "$out/issued-tokens.txt" "$logs" || rc=1
exit $rc
