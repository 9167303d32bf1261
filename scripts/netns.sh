#!/usr/bin/env bash
# Usage: scripts/netns.sh ensure
#
# What the partition tests (tests/partition.rs) need to put hosts in network
# namespaces and drop their packets: ip (Debian's iproute2) and iptables.
#
#   ensure   installs the missing packages with apt-get when running as root
#            (quietly: apt's output is shown only when it fails); exits 1 with
#            one line saying what is missing when they cannot be installed
#            (the tests then skip, printing that line).
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }

missing_packages() {
  command -v ip >/dev/null 2>&1 || echo iproute2
  command -v iptables >/dev/null 2>&1 || echo iptables
}

cmd_ensure() {
  local missing=() log
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]} (not root: cannot install)"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} (no apt-get to install them)"
  echo "$prog: installing ${missing[*]}" >&2
  log=$(mktemp)
  # shellcheck disable=SC2064 # expand now: the path is fixed
  trap "rm -f '$log'" EXIT
  if ! apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2; die "apt-get update failed"
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2; die "apt-get install ${missing[*]} failed"
  fi
  missing=()
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -eq 0 ] || die "still missing after the install: ${missing[*]}"
}

[ $# -eq 1 ] || die "usage: $prog ensure"
case $1 in
  ensure) cmd_ensure;;
  *) die "unknown command '$1' (ensure)";;
esac
