#!/usr/bin/env bash
# Usage: scripts/cargo-tool.sh CRATE [SUBCOMMAND]
# Installs a cargo subcommand from crates.io (cargo install --locked) when
# `cargo SUBCOMMAND` is missing; SUBCOMMAND defaults to CRATE without "cargo-".
set -euo pipefail
crate=$1
sub=${2:-${crate#cargo-}}
cargo=${CARGO:-cargo}
if ! "$cargo" "$sub" --version >/dev/null 2>&1; then
  echo "installing $crate (cargo install --locked)"
  "$cargo" install --locked "$crate"
fi
