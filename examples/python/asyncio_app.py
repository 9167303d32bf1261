#!/usr/bin/env python3
"""xoxe example: an asyncio program whose bot token xoxe keeps fresh.

Fifty tasks post to Slack through slack_sdk's AsyncWebClient for about 12 s while the
token expires under them (the demo's tokens live 5 s). The lines an asyncio program
adds are marked ``# xoxe``: an AsyncRotator over a store, and xoxe's AsyncWebClient,
which asks it for the token on every call — read on the event loop while fresh,
rotated on xoxe's thread pool (once, for every task) when due.

Environment:
  XOXE_BASE_URL                        optional; default https://slack.com/api/
  XOXE_CLIENT_ID, XOXE_CLIENT_SECRET   the app's credentials (they refresh the token)
  XOXE_LEGACY_TOKEN                    a bot token, exchanged once for a rotating pair

Tokens are printed redacted. Exits 1 on failure with the error's status and message.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

import xoxe
import xoxe.aio  # xoxe
from xoxe.slack_sdk.async_client import AsyncWebClient  # xoxe

TASKS = 50
DURATION = 12.0


async def run(rotator: xoxe.aio.AsyncRotator, base_url: str | None) -> None:
    slack = AsyncWebClient(rotator, base_url=base_url or "https://slack.com/api/")  # xoxe
    seen: dict[str, float] = {}
    posts = 0
    start = time.monotonic()

    async def poster(n: int) -> None:
        nonlocal posts
        while time.monotonic() - start < DURATION:
            token = (await rotator.get()).token  # what the next call will carry
            if str(token) not in seen:
                seen[str(token)] = time.monotonic() - start
                print(f"[{seen[str(token)]:5.1f}s] token {token}")
            await slack.chat_postMessage(channel="C0000000001", text=f"hello from task {n}")
            posts += 1
            await asyncio.sleep(0.5)

    await asyncio.gather(*(poster(n) for n in range(TASKS)))
    print(f"{TASKS} tasks made {posts} posts in {DURATION:.0f}s with {len(seen)} tokens, none expired")


def main() -> int:
    base_url = os.environ.get("XOXE_BASE_URL") or None
    try:
        client_id, client_secret = os.environ["XOXE_CLIENT_ID"], os.environ["XOXE_CLIENT_SECRET"]
        legacy = os.environ["XOXE_LEGACY_TOKEN"]
    except KeyError as missing:
        print(f"{missing} is not set", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="xoxe-asyncio-") as tmp:
            client = xoxe.Client(base_url)
            pair = client.oauth_v2_exchange(client_id, client_secret, legacy)
            store = xoxe.FileStore(os.path.join(tmp, "bot-token.json"))
            store.init(pair.refresh_token, kind="oauth")  # once; the first get() refreshes
            rotator = xoxe.aio.AsyncRotator.oauth(client, store, client_id, client_secret)  # xoxe
            asyncio.run(run(rotator, base_url))
            rotator.close()
    except xoxe.XoxeError as err:
        print(f"error: {err.name}: {err.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
