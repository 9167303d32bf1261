#!/usr/bin/env python3
"""xoxe example: a Bolt for Python app whose bot token xoxe keeps fresh.

A Bolt app adds the lines marked ``# xoxe``: a pool over a store of chains, and
``authorize=XoxeAuthorize(pool)`` — Bolt then asks xoxe for the installation's token on
every request, and never rotates tokens itself. The app answers ``app_mention`` events.

The bot token chain is started from a bot token of the app (``XOXE_LEGACY_TOKEN``),
exchanged once for a rotating pair; an app that installs through OAuth would use
``xoxe.bolt.XoxeOAuthFlow`` instead (see bindings/python/README.md).

Environment:
  XOXE_BASE_URL                optional; default https://slack.com/api/
  XOXE_CLIENT_ID, XOXE_CLIENT_SECRET   the app's credentials (they refresh the token)
  SLACK_SIGNING_SECRET         the app's signing secret (the demo makes one up)
  XOXE_LEGACY_TOKEN            optional: a bot token to exchange (once) for a chain
  XOXE_STORE_DIR               where the chains live (default: a temporary directory)
  PORT                         where Bolt listens (default 3000; the demo picks a free one)
  XOXE_FAKE_SLACK_CONTROL_URL  set by `make demo`: ask the fake Slack to deliver a signed
                               event to the app, wait for the app's answer, and exit

Tokens are printed redacted. Exits 1 on failure with the error's status and message.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any

import xoxe
import xoxe.bolt  # xoxe
from slack_bolt import App, Say
from slack_sdk import WebClient


def build_app(pool: xoxe.Pool, signing_secret: str, base_url: str | None) -> App:
    app = App(
        signing_secret=signing_secret,
        authorize=xoxe.bolt.XoxeAuthorize(pool),  # xoxe: every request gets a fresh token
        client=WebClient(base_url=base_url) if base_url else None,
    )
    xoxe.bolt.check_app(app)  # xoxe: warns if Bolt would rotate tokens too

    @app.event("app_mention")
    def answer(event: dict[str, Any], say: Say, context: Any) -> None:
        say(channel=event["channel"], text=f"hello <@{event['user']}>")
        print(f"answered an app_mention with bot token {xoxe.redact(context.bot_token)}")

    return app


def start_chain(client: xoxe.Client, store: xoxe.Store, client_id: str, client_secret: str, token: str) -> str:
    """Exchanges a bot token for a rotating pair and keeps it as the workspace's chain."""
    pair = client.oauth_v2_exchange(client_id, client_secret, token)
    chain = xoxe.installation_chain(pair.enterprise_id, pair.team_id, pair.is_enterprise_install)
    with store.open_chain(chain) as s:
        s.init(pair.refresh_token, kind="oauth")  # the first request refreshes it
    print(f"exchanged {xoxe.redact(token)} for chain {chain}")
    return pair.team_id or ""


def control(url: str, method: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def demo(control_url: str, port: int, team_id: str, signing_secret: str) -> None:
    """Has the fake Slack deliver three signed app_mention events, 3 s apart (the demo's
    tokens live 5 s: they span a rotation), and shows the app's answers."""
    url = f"http://127.0.0.1:{port}/slack/events"
    for n in range(3):
        event = {"type": "app_mention", "user": "U0DEMO", "text": f"<@bot> hello {n}", "channel": "C0000000001"}
        answer = control(
            control_url + "events",
            "POST",
            {"url": url, "signing_secret": signing_secret, "team_id": team_id, "event": event},
        )
        if answer.get("status") != 200:
            raise RuntimeError(f"the app answered the event with HTTP {answer.get('status')}")
        time.sleep(3)
    deadline = time.monotonic() + 30
    while len(posted := control(control_url + "messages", "GET")["messages"]) < 3:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not answer every event")
        time.sleep(0.1)
    for m in posted:
        print(f"the app posted to {m['channel']}: {m['text']!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    base_url = os.environ.get("XOXE_BASE_URL") or None
    control_url = os.environ.get("XOXE_FAKE_SLACK_CONTROL_URL")
    try:
        client_id, client_secret = os.environ["XOXE_CLIENT_ID"], os.environ["XOXE_CLIENT_SECRET"]
    except KeyError as missing:
        print(f"{missing} is not set", file=sys.stderr)
        return 2
    signing_secret = os.environ.get("SLACK_SIGNING_SECRET") or (secrets.token_hex(16) if control_url else "")
    if not signing_secret:
        print("SLACK_SIGNING_SECRET is not set", file=sys.stderr)
        return 2
    port = free_port() if control_url else int(os.environ.get("PORT", "3000"))
    try:
        with tempfile.TemporaryDirectory(prefix="xoxe-bolt-") as tmp:
            store_dir = os.environ.get("XOXE_STORE_DIR") or tmp
            client = xoxe.Client(base_url)
            store = xoxe.DirectoryStore(store_dir)
            team_id = ""
            if legacy := os.environ.get("XOXE_LEGACY_TOKEN"):
                team_id = start_chain(client, store, client_id, client_secret, legacy)
            pool = xoxe.Pool(client, store, client_id, client_secret)  # xoxe: one per process
            app = build_app(pool, signing_secret, base_url)
            if not control_url:
                app.start(port=port)
                return 0
            threading.Thread(target=app.start, kwargs={"port": port}, daemon=True).start()
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("Bolt did not start listening") from None
                    time.sleep(0.05)
            demo(control_url, port, team_id, signing_secret)
            pool.close()
    except xoxe.XoxeError as err:
        print(f"error: {err.name}: {err.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
