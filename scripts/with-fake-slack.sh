#!/usr/bin/env bash
# Usage: scripts/with-fake-slack.sh CMD [ARGS...]
# Starts the fake Slack on loopback, exports the variables the examples read
# (XOXE_BASE_URL, XOXE_CONFIG_REFRESH_TOKEN, XOXE_CLIENT_ID, XOXE_CLIENT_SECRET,
# XOXE_LEGACY_TOKEN) with fresh credentials and the fake's control URL
# (XOXE_FAKE_SLACK_CONTROL_URL: the Bolt example asks it to deliver an event),
# runs CMD, and stops the server.
# XOXE_FAKE_SLACK_ARGS adds flags for the server (e.g. "--token-ttl 5").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fake=${XOXE_FAKE_SLACK:-$root/target/release/fake-slack}
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
args=(--ready-file "$dir/ready.json")
[ -n "${XOXE_ISSUED_TOKENS:-}" ] && args+=(--issued-tokens-file "$XOXE_ISSUED_TOKENS")
# shellcheck disable=SC2206 # word splitting of the extra flags is intended
[ -n "${XOXE_FAKE_SLACK_ARGS:-}" ] && args+=($XOXE_FAKE_SLACK_ARGS)
"$fake" "${args[@]}" >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$dir/ready.json" ] && break; sleep 0.1; done
[ -s "$dir/ready.json" ] || { echo "fake-slack did not start:"; cat "$dir/server.log"; exit 1; }
eval "$(python3 - "$dir/ready.json" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))
for k, v in [("XOXE_BASE_URL", r["base_url"]),
             ("XOXE_FAKE_SLACK_CONTROL_URL", r["control_url"]),
             ("XOXE_CONFIG_REFRESH_TOKEN", r["config_token"]["refresh_token"]),
             ("XOXE_CLIENT_ID", r["app"]["client_id"]),
             ("XOXE_CLIENT_SECRET", r["app"]["client_secret"]),
             ("XOXE_LEGACY_TOKEN", r["legacy_bot_token"])]:
    print(f"export {k}={shlex.quote(v)}")
PY
)"
echo "(fake Slack at $XOXE_BASE_URL)"
"$@"
