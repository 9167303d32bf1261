#!/usr/bin/env bash
# Usage: scripts/header.sh write|check
# build.rs generates the C header into its OUT_DIR. `write` copies it to
# include/xoxe.h; `check` fails when include/xoxe.h differs from it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: header.sh write|check}
out_dir=$(${CARGO:-cargo} check --lib --locked --message-format=json 2>/dev/null | python3 -c '
import json, sys
dirs = [m["out_dir"] for m in map(json.loads, sys.stdin)
        if m.get("reason") == "build-script-executed" and "#xoxe@" in m["package_id"]]
print(dirs[-1] if dirs else "")')
generated=$out_dir/xoxe.h
[ -f "$generated" ] || { echo "header.sh: cargo check did not generate xoxe.h" >&2; exit 1; }
case $mode in
  write) cp "$generated" include/xoxe.h; echo "include/xoxe.h updated" ;;
  check) diff -u include/xoxe.h "$generated" || { echo "include/xoxe.h is stale: run make header and commit it"; exit 1; } ;;
  *) echo "usage: header.sh write|check" >&2; exit 2 ;;
esac
