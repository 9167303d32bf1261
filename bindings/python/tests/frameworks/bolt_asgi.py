"""The AsyncApp twin of bolt_wsgi.py, run under uvicorn's worker processes: the same
``pong <text>`` answer, with tokens from an xoxe AsyncPool."""

from __future__ import annotations

import os

import xoxe
import xoxe.aio
import xoxe.bolt
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient
from xoxe.bolt.async_app import AsyncXoxeAuthorize

pool = xoxe.aio.AsyncPool.new(
    xoxe.Client(os.environ["XOXE_BASE_URL"], timeout=60),
    xoxe.DirectoryStore(os.environ["XOXE_TEST_STORE_DIR"]),
    os.environ["XOXE_CLIENT_ID"],
    os.environ["XOXE_CLIENT_SECRET"],
)
app = AsyncApp(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    authorize=AsyncXoxeAuthorize(pool),
    client=AsyncWebClient(base_url=os.environ["XOXE_BASE_URL"], timeout=60),
)
if xoxe.bolt.check_app(app):
    raise SystemExit("Bolt would rotate tokens too")


@app.event("app_mention")
async def pong(event: dict[str, str], say: AsyncSay) -> None:
    await say(channel=event["channel"], text=f"pong {event['text']}")


application = AsyncSlackRequestHandler(app)
