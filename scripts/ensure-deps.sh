#!/usr/bin/env bash
# Installs what the build and tests need and a fresh machine may lack.
set -euo pipefail
missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v cc >/dev/null || missing+=(gcc)
command -v c++ >/dev/null || missing+=(g++)
# The durability and thread-count tests watch system calls (tests/syscalls.rs and
# the bindings' store tests).
command -v strace >/dev/null || missing+=(strace)
# The man page must render without a warning (tests/cli_man.rs runs groff).
command -v groff >/dev/null || missing+=(groff-base)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
