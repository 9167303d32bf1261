#!/usr/bin/env python3
"""xoxe example (the same program as examples/c): rotate a config token twice, validate
a manifest with it, exchange a legacy token, refresh the pair, and auth.test the result.

Environment:
  XOXE_BASE_URL               optional; default https://slack.com/api/
  XOXE_CONFIG_REFRESH_TOKEN   required
  XOXE_CLIENT_ID, XOXE_CLIENT_SECRET, XOXE_LEGACY_TOKEN
                              optional; the exchange part is skipped without them

Every token is printed redacted (by the library). Exits 1 on failure with the error's
status name and message.
"""

from __future__ import annotations

import json
import os
import sys

import xoxe


def main() -> int:
    refresh = os.environ.get("XOXE_CONFIG_REFRESH_TOKEN")
    if not refresh:
        print("XOXE_CONFIG_REFRESH_TOKEN is not set", file=sys.stderr)
        return 2
    base_url = os.environ.get("XOXE_BASE_URL") or None
    client_id = os.environ.get("XOXE_CLIENT_ID")
    client_secret = os.environ.get("XOXE_CLIENT_SECRET")
    legacy = os.environ.get("XOXE_LEGACY_TOKEN")

    try:
        with xoxe.Client(base_url) as client:
            print(f"xoxe {xoxe.library_version()} talking to {client.base_url}")

            first = client.tooling_tokens_rotate(refresh)
            print(
                f"rotated config token:  token={first.token} refresh_token={first.refresh_token} "
                f"team={first.team_id} user={first.user_id} exp={first.exp}"
            )
            second = client.tooling_tokens_rotate(first.refresh_token)
            print(f"rotated again:         token={second.token} refresh_token={second.refresh_token} exp={second.exp}")

            manifest = json.dumps({"display_information": {"name": "demo"}})
            answer = client.call("apps.manifest.validate", second.token, {"manifest": manifest})
            print(f"apps.manifest.validate: ok={answer['ok']}")

            if legacy and client_id and client_secret:
                pair = client.oauth_v2_exchange(client_id, client_secret, legacy)
                print(
                    f"exchanged legacy token: access_token={pair.access_token} "
                    f"refresh_token={pair.refresh_token} type={pair.token_type} "
                    f"expires_in={pair.expires_in}"
                )
                fresh = client.oauth_v2_refresh(client_id, client_secret, pair.refresh_token)
                print(
                    f"refreshed:             access_token={fresh.access_token} "
                    f"refresh_token={fresh.refresh_token} expires_in={fresh.expires_in}"
                )
                who = client.auth_test(fresh.access_token)
                print(
                    f"auth.test:             team={who.team} ({who.team_id}) user={who.user} "
                    f"({who.user_id}) bot={who.bot_id}"
                )
            else:
                print(
                    "XOXE_LEGACY_TOKEN / XOXE_CLIENT_ID / XOXE_CLIENT_SECRET not set: "
                    "skipping exchange, refresh and auth.test"
                )
    except xoxe.XoxeError as err:
        # The message never contains a secret.
        print(f"error: {err.name}: {err.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
