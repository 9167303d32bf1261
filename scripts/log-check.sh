#!/usr/bin/env bash
# Usage: scripts/log-check.sh LOG_DIR SUITE...
# The secret scan only means something if the library really logged: each suite's
# log (LOG_DIR/SUITE.log, written by `make test` with XOXE_LOG=debug) must hold
# xoxe's debug lines, and its rotation lines with the redacted refresh token spent
# (`xoxe-1-…`) and the redacted access token saved (`xoxe.xoxp-1-…`, `xoxe.xoxb-1-…`);
# the CLI tests' captured output must be there too.
set -euo pipefail
logs=$1
shift
failed=0
for suite in "$@"; do
  log="$logs/$suite.log"
  if [ ! -s "$log" ]; then
    echo "log check: $log is missing or empty"; failed=1; continue
  fi
  debug=$(grep -c '^\[xoxe debug\] ' "$log" || true)
  refresh=$(grep -c 'xoxe-1-…' "$log" || true)
  access=$(grep -c 'xoxe\.xox[bp]-1-…' "$log" || true)
  if [ "$debug" -eq 0 ] || [ "$refresh" -eq 0 ] || [ "$access" -eq 0 ]; then
    echo "log check: $suite logged $debug debug lines, $refresh redacted refresh tokens, $access redacted access tokens; each must be > 0"
    failed=1
  else
    echo "log check: $suite: $debug debug lines, $refresh redacted refresh tokens, $access redacted access tokens"
  fi
done
if [ ! -s "$logs/cli-output.log" ]; then
  echo "log check: $logs/cli-output.log (the CLI tests' captured output) is missing or empty"; failed=1
fi
exit "$failed"
