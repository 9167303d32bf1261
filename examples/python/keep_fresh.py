#!/usr/bin/env python3
"""xoxe example: keep a config token fresh with a file store and a rotator.

Initialises a file store in a temporary directory with a refresh token, then asks the
rotator for a token every 0.5 s for about 12 s, printing (redacted) each time the token
changes. Run it against tokens that live a few seconds (the demo uses 5 s:
`XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh ...`) to watch several
rotations; each happens once the token is within its refresh window (for short-lived
tokens, half their lifetime) and is saved to the file before it is handed out.

Environment:
  XOXE_BASE_URL               optional; default https://slack.com/api/
  XOXE_CONFIG_REFRESH_TOKEN   required (it is spent by the first rotation)

Exits 1 on failure with the error's status name and message (never a secret).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import time

import xoxe

DURATION = 12.0
INTERVAL = 0.5


def main() -> int:
    refresh = os.environ.get("XOXE_CONFIG_REFRESH_TOKEN")
    if not refresh:
        print("XOXE_CONFIG_REFRESH_TOKEN is not set", file=sys.stderr)
        return 2
    base_url = os.environ.get("XOXE_BASE_URL") or None

    try:
        with tempfile.TemporaryDirectory(prefix="xoxe-keep-fresh-") as tmp:
            path = os.path.join(tmp, "config-token.json")
            with xoxe.Client(base_url) as client, xoxe.FileStore(path) as store:
                store.init(refresh)  # kind="config"; no access token yet: the first get() rotates
                print(f"xoxe {xoxe.library_version()} talking to {client.base_url}")
                print(f"store: {path} (mode {stat.S_IMODE(os.stat(path).st_mode):o})")
                with xoxe.Rotator.config(client, store) as rotator:
                    last = None
                    changes = 0
                    start = time.monotonic()
                    while time.monotonic() - start < DURATION:
                        token = rotator.get()
                        if token.token != last:
                            changes += 1
                            left = token.expires_at - int(time.time())
                            print(f"[{time.monotonic() - start:5.1f}s] token {token.token} expires in {left}s")
                            last = token.token
                        time.sleep(INTERVAL)
                    who = client.auth_test(rotator.get().token)
                    print(
                        f"{changes} tokens in {DURATION:.0f}s; the last one works: "
                        f"auth.test team={who.team_id} user={who.user_id}"
                    )
    except xoxe.XoxeError as err:
        print(f"error: {err.name}: {err.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
