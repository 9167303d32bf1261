#!/usr/bin/env bash
# Usage: scripts/secret-scan.sh ISSUED_TOKENS_FILE LOG_DIR
# Fails when any secret the fake Slack issued appears, in full, in any log.
set -euo pipefail
issued=$1 logs=$2
[ -f "$issued" ] || { echo "secret scan: no issued-token list at $issued"; exit 1; }
count=$(sort -u "$issued" | grep -c . || true)
if [ "$count" -eq 0 ]; then
  echo "secret scan: the fake Slack issued no tokens; nothing was tested"; exit 1
fi
hits=$(sort -u "$issued" | grep . | grep -rlF -f - "$logs" || true)
if [ -n "$hits" ]; then
  echo "secret scan: FAILED — a full token appears in: $hits"
  exit 1
fi
# What ls would list (no dot files), counted without parsing its output.
shopt -s nullglob
entries=("$logs"/*)
echo "secret scan: $count issued secrets, 0 found in ${#entries[@]} logs"
