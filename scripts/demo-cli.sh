#!/usr/bin/env bash
# Usage: scripts/demo-cli.sh PATH/TO/xoxe   (run by `make demo` under with-fake-slack.sh)
# Shows the shell workflow: init a store from stdin, then fetch fresh tokens.
set -euo pipefail
xoxe=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
store=$dir/config-token.json
echo "\$ echo \"\$XOXE_CONFIG_REFRESH_TOKEN\" | xoxe init --store $store"
echo "$XOXE_CONFIG_REFRESH_TOKEN" | "$xoxe" init --store "$store"
for i in 1 2 3; do
  token=$("$xoxe" token --store "$store" --base-url "$XOXE_BASE_URL")
  # The demo never prints a token: show that one was printed, and its length.
  echo "\$ TOKEN=\$(xoxe token --store …)   # got ${#token} characters"
  [ "$i" -lt 3 ] && sleep 3
done
echo "\$ xoxe status --store $store"
"$xoxe" status --store "$store"
