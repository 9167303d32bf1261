#!/usr/bin/env bash
# Usage: packaging/dist-repro.sh DIST_DIR WORK_DIR   (`make dist-repro`)
# Reproducibility: clones the current commit to another path, runs `make dist`'s
# script there with its own cold build directory, and compares every artifact
# with DIST_DIR byte for byte (SHA256SUMS). Commit first: the clone has only
# committed files, so a dirty tree differs by design (BUILD-INFO.txt says so).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "$1" && pwd)
work=$2
rm -rf "$work"; mkdir -p "$work"
work=$(cd "$work" && pwd)
git clone -q "$root" "$work/elsewhere"
(cd "$work/elsewhere" && git checkout -q "$(git -C "$root" rev-parse HEAD)")
"$work/elsewhere/packaging/dist.sh" "$work/dist" "$work/build"
if diff "$dist/SHA256SUMS" "$work/dist/SHA256SUMS"; then
  echo "dist-repro: a second build at another path wrote the same bytes ($(wc -l < "$dist/SHA256SUMS") files)"
else
  echo "dist-repro: the artifacts above differ between $dist and $work/dist" >&2
  exit 1
fi
