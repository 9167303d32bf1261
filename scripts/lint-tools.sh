#!/usr/bin/env bash
# Usage: scripts/lint-tools.sh TOOLS_DIR
# Installs the linters `make lint` runs, pinned, into TOOLS_DIR (kept between
# runs): ruff and mypy in a venv, staticcheck from the Go module proxy, and
# Debian's shellcheck. rustfmt and clippy come with the Rust toolchain.
set -euo pipefail
tools=$1
ruff_version=0.17.5
mypy_version=2.4.1
staticcheck_version=v0.8.2
mkdir -p "$tools"

if ! command -v shellcheck >/dev/null; then
  echo "installing shellcheck (Debian)"
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq shellcheck >/dev/null
fi

for c in rustfmt clippy; do
  if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
    echo "installing $c (rustup)"
    rustup component add "$c"
  fi
done

venv=$tools/py-$ruff_version-$mypy_version
if [ ! -x "$venv/bin/mypy" ] || [ ! -x "$venv/bin/ruff" ]; then
  echo "installing ruff $ruff_version and mypy $mypy_version"
  rm -rf "$venv"
  python3 -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; \
    python3 -m pip install -q --user --disable-pip-version-check virtualenv && python3 -m virtualenv -q "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check "ruff==$ruff_version" "mypy==$mypy_version"
fi
ln -sfn "$venv/bin/ruff" "$tools/ruff"
ln -sfn "$venv/bin/mypy" "$tools/mypy"

staticcheck=$tools/staticcheck-$staticcheck_version
if [ ! -x "$staticcheck" ]; then
  echo "installing staticcheck $staticcheck_version (Go module proxy)"
  gobin=$(mktemp -d)
  GOBIN=$gobin GOFLAGS=-mod=mod go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
  mv "$gobin/staticcheck" "$staticcheck"
  rm -rf "$gobin"
fi
ln -sfn "$staticcheck" "$tools/staticcheck"
