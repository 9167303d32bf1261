"""The Bolt app the framework tests run under gunicorn (several worker processes): it
answers every ``app_mention`` with ``pong <text>`` through chat.postMessage, with the
bot token an xoxe pool keeps fresh. Configured from the environment the test sets:
XOXE_BASE_URL (the fake Slack), XOXE_TEST_STORE_DIR (the chains, shared by every
worker), XOXE_CLIENT_ID / XOXE_CLIENT_SECRET, SLACK_SIGNING_SECRET."""

from __future__ import annotations

import os

import xoxe
import xoxe.bolt
from slack_bolt import App, Say
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

# Made in each worker process (gunicorn without --preload imports this after forking).
pool = xoxe.Pool(
    xoxe.Client(os.environ["XOXE_BASE_URL"], timeout=60),
    xoxe.DirectoryStore(os.environ["XOXE_TEST_STORE_DIR"]),
    os.environ["XOXE_CLIENT_ID"],
    os.environ["XOXE_CLIENT_SECRET"],
)
app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    authorize=xoxe.bolt.XoxeAuthorize(pool),
    client=WebClient(base_url=os.environ["XOXE_BASE_URL"], timeout=60),
)
if xoxe.bolt.check_app(app):
    raise SystemExit("Bolt would rotate tokens too")


@app.event("app_mention")
def pong(event: dict[str, str], say: Say) -> None:
    say(channel=event["channel"], text=f"pong {event['text']}")


application = SlackRequestHandler(app)
