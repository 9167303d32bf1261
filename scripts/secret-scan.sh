#!/usr/bin/env bash
# Usage: scripts/secret-scan.sh ISSUED_TOKENS_FILE DIR...
# Fails when any secret the fake Slack issued (tokens, refresh tokens, client
# secrets) appears in any file under the DIRs (test logs, CLI output, fault
# matrix results): whole, or its random part alone (what follows its last '-',
# when that is 16 characters or more: a server may echo just that).
set -euo pipefail
issued=$1
shift
[ -f "$issued" ] || { echo "secret scan: no issued-token list at $issued"; exit 1; }
count=$(sort -u "$issued" | grep -c . || true)
if [ "$count" -eq 0 ]; then
  echo "secret scan: the fake Slack issued no tokens; nothing was tested"; exit 1
fi
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
{ sort -u "$issued" | grep .; sort -u "$issued" | grep . | sed 's/.*-//' | awk 'length >= 16'; } | sort -u > "$patterns"
dirs=()
for d in "$@"; do [ -e "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -gt 0 ] || { echo "secret scan: none of $* exists"; exit 1; }
hits=$(grep -rlF -f "$patterns" "${dirs[@]}" || true)
if [ -n "$hits" ]; then
  echo "secret scan: FAILED — a secret (or its random part) appears in: $hits"
  exit 1
fi
files=$(find "${dirs[@]}" -type f | wc -l)
echo "secret scan: $count issued secrets, 0 found in $files files"
