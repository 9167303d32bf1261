"""What Bolt for Python pays per request to authorize it, with Slack's token rotation:
Bolt's own authorize against xoxe's Bolt integration, in one process and the same rounds.

    XOXE_LIBRARY=$PWD/target/release/libxoxe.so PYTHONPATH=$PWD/bindings/python/src \\
        build/bench/venv/bin/python bench/python/bench_bolt.py [--calls 20000] [--reps 5]

Bolt calls its ``authorize`` on every request. With an installation store and token
rotation (``OAuthSettings(token_rotation_expiration_minutes=…)``: client id and secret
given) that is ``slack_bolt.authorization.authorize.InstallationStoreAuthorize``: it
finds the installation (``find_installation``), asks slack_sdk's ``TokenRotator``
whether the bot and user tokens must be refreshed (``perform_token_rotation``), then
builds the ``AuthorizeResult`` (``auth.test``, which ``cache_enabled=True`` asks once per
token: every Bolt row here uses it, so no row makes a network call per request; Bolt's
default, ``cache_enabled=False``, adds one ``auth.test`` HTTP round trip to Slack per
request on top of what is measured here).

xoxe's integration is ``xoxe.bolt.XoxeAuthorize(pool)`` (``App(authorize=...)``): the
installation's bot and user chains from an ``xoxe.Pool``, fresh, with the bot's identity
from one ``auth.test`` per chain and process.

Rows, each the same request (workspace T0BENCH001, from the installing user, so both
the bot and the user token are looked up), timed over --calls calls per round, --reps
rounds, every row once per round in turn:

- bolt: InstallationStoreAuthorize over slack_sdk's FileInstallationStore (its JSON
  files read per request), and over CacheableInstallationStore wrapping it (the
  installation kept in memory after the first read);
- xoxe: XoxeAuthorize over a Pool of a DirectoryStore;
- for reference: xoxe's Pool.get and Rotator.get of the bot chain, and slack_sdk's
  TokenRotator.perform_token_rotation check of the installation alone.

Tokens are fresh (12 h; Bolt refreshes within 120 min of expiry, xoxe within its
window), so no row rotates; the bench checks that. The fake Slack (tools/fake-slack,
``$XOXE_FAKE_SLACK`` or target/release/fake-slack), started and stopped here, serves
only the setup: the installs and the first ``auth.test`` of each side.

Prints one JSON document on stdout: ``{"bench": "bolt_authorize", "about", "rows":
[{"name", "ns_per_call" (median over rounds), "min", "max", "calls" (per round), "notes",
"median" (= ns_per_call), "unit" ("ns")}, ...], "calls", "reps", versions, "load_at_start",
"machine"}`` (``median``/``unit``/``about``: bench/run.py's extra-section format, so it can
be wired in as one without an adapter).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import slack_bolt
import slack_sdk
import xoxe
import xoxe.bolt
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation
from slack_sdk.oauth.installation_store.cacheable_installation_store import CacheableInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

ROOT = Path(__file__).resolve().parents[2]
ABOUT = (
    "Per-request cost of Bolt for Python's `authorize` with Slack's token rotation (Bolt's "
    "`InstallationStoreAuthorize` with client id/secret and `token_rotation_expiration_minutes`, "
    "`cache_enabled=True`) against `xoxe.bolt.XoxeAuthorize` over an `xoxe.Pool`, for the same request "
    "(one workspace, the installing user: bot and user token), fresh tokens, no network in the timed calls; "
    "`bench/python/bench_bolt.py`, one process, every row in each round. Bolt's default `cache_enabled=False` "
    "adds an `auth.test` round trip to Slack per request on top."
)
TEAM, USER = "T0BENCH001", "U0BENCH001"
EXPIRATION_MINUTES = 120  # token_rotation_expiration_minutes: Bolt's default


class FakeSlack:
    """tools/fake-slack on a loopback port, for the setup only."""

    def __init__(self, tmp: Path) -> None:
        binary = os.environ.get("XOXE_FAKE_SLACK") or str(ROOT / "target" / "release" / "fake-slack")
        if not Path(binary).is_file():
            sys.exit(f"fake Slack not found at {binary}: cargo build --release --workspace")
        ready = tmp / "ready.json"
        self.log = open(tmp / "fake-slack.log", "wb")
        self.proc = subprocess.Popen([binary, "--ready-file", str(ready)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.stat().st_size > 0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit("fake Slack did not start")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        self.base_url: str = info["base_url"]
        self.control_url: str = info["control_url"]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def code(self, client_id: str) -> str:
        """An authorization code installing the app in TEAM, by USER, with bot and user tokens."""
        spec = {"client_id": client_id, "team_id": TEAM, "user_id": USER, "bot": True, "user": True}
        return str(self.control("POST", "authorization_code", spec)["code"])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def slack_sdk_installation(install: xoxe.Install, client_id: str) -> Installation:
    """What Bolt's OAuth flow saves for an install (bot and installing user, with their
    refresh tokens and expiry), from an install xoxe made with the same app."""
    bot, user = install.bot, install.authed_user
    assert bot is not None and user is not None and user.token is not None
    return Installation(
        app_id=install.app_id,
        enterprise_id=install.enterprise_id,
        team_id=install.team_id,
        team_name=install.team_name,
        user_id=user.id,
        bot_token=bot.access_token.get_secret_value(),
        bot_refresh_token=bot.refresh_token.get_secret_value(),
        bot_token_expires_at=bot.expires_at,
        bot_id=bot.bot_id,
        bot_user_id=bot.bot_user_id,
        bot_scopes=bot.scope,
        user_token=user.token.access_token.get_secret_value(),
        user_refresh_token=user.token.refresh_token.get_secret_value(),
        user_token_expires_at=user.token.expires_at,
        user_scopes=user.scope,
        is_enterprise_install=install.is_enterprise_install,
        token_type="bot",
        installed_at=time.time(),
    )


def timed(rows: list[tuple[str, Callable[[], Any], str]], calls: int, reps: int) -> list[dict[str, Any]]:
    """ns per call of each row: a warm-up tenth, then `reps` rounds, each running every
    row `calls` times in turn (machine noise hits them alike)."""
    for _, fn, _ in rows:
        for _ in range(max(calls // 10, 1)):
            fn()
    per_row: list[list[float]] = [[] for _ in rows]
    for _ in range(reps):
        for (_, fn, _), out in zip(rows, per_row):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            out.append((time.perf_counter() - t0) * 1e9 / calls)
    out = []
    for (name, _, notes), v in zip(rows, per_row):
        median = statistics.median(v)
        # "median" and "unit" too: bench/run.py's extra-section row format, as it is.
        out.append(dict(name=name, ns_per_call=median, min=min(v), max=max(v), calls=calls, notes=notes, median=median))
        out[-1]["unit"] = "ns"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=20_000, help="calls per row per round")
    ap.add_argument("--reps", type=int, default=5, help="rounds")
    args = ap.parse_args()
    quiet = logging.getLogger("bench_bolt")
    quiet.setLevel(logging.WARNING)
    load_at_start = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="bench-bolt-") as tmp_name:
        tmp = Path(tmp_name)
        slack = FakeSlack(tmp)
        try:
            app = slack.control("POST", "apps", {"rotation_enabled": True})
            client_id, client_secret = app["client_id"], app["client_secret"]

            # xoxe: the installation's chains in a directory store, served by a pool.
            client = xoxe.Client(slack.base_url)
            chains = tmp / "chains"
            chains.mkdir(mode=0o700)
            pool = xoxe.Pool(client, xoxe.DirectoryStore(str(chains)), client_id, client_secret)
            install = pool.install_code(slack.code(client_id))
            assert install.bot is not None and install.bot.chain is not None
            bot_chain = install.bot.chain
            xoxe_authorize = xoxe.bolt.XoxeAuthorize(pool)
            rotator = xoxe.Rotator.oauth(client, pool.store.open_chain(bot_chain), client_id, client_secret)  # type: ignore[union-attr]

            # Bolt: another install of the same app in the same workspace (its own
            # refresh tokens), saved as Bolt's OAuth flow saves it.
            bolt_install = client.oauth_v2_access(client_id, client_secret, slack.code(client_id))
            installation = slack_sdk_installation(bolt_install, client_id)
            file_store = FileInstallationStore(base_dir=str(tmp / "bolt"), client_id=client_id, logger=quiet)
            file_store.save(installation)
            cached_store = CacheableInstallationStore(file_store)
            web = WebClient(base_url=slack.base_url)

            def bolt(store: Any) -> InstallationStoreAuthorize:
                return InstallationStoreAuthorize(
                    logger=quiet,
                    installation_store=store,
                    client_id=client_id,
                    client_secret=client_secret,
                    token_rotation_expiration_minutes=EXPIRATION_MINUTES,
                    cache_enabled=True,
                    client=web,
                )

            bolt_file, bolt_cached = bolt(file_store), bolt(cached_store)
            context = BoltContext(client=web, is_enterprise_install=False)
            request = {"context": context, "enterprise_id": None, "team_id": TEAM, "user_id": USER}
            rotation_check = TokenRotator(client_id=client_id, client_secret=client_secret, client=web)

            def must(result: Any, what: str) -> Any:
                if result is None or not (result.bot_token and result.user_token):
                    sys.exit(f"{what} did not authorize the request with a bot and a user token")
                return result

            # The first call of each side makes its one auth.test (not timed).
            must(bolt_file(**request), "Bolt (file store)")
            must(bolt_cached(**request), "Bolt (cacheable store)")
            must(xoxe_authorize(**request), "XoxeAuthorize")

            def sdk_check() -> None:
                if rotation_check.perform_token_rotation(
                    installation=installation, minutes_before_expiration=EXPIRATION_MINUTES
                ):
                    sys.exit("slack_sdk would rotate a fresh installation")

            pool_get, rotator_get = pool.get, rotator.get
            rows: list[tuple[str, Callable[[], Any], str]] = [
                (
                    "bolt InstallationStoreAuthorize + FileInstallationStore",
                    lambda: bolt_file(**request),
                    "Bolt's built-in authorize with token rotation (client id/secret, "
                    f"token_rotation_expiration_minutes={EXPIRATION_MINUTES}), cache_enabled=True; "
                    "reads the installation's JSON file per request",
                ),
                (
                    "bolt InstallationStoreAuthorize + CacheableInstallationStore(File)",
                    lambda: bolt_cached(**request),
                    "as above, the installation kept in memory by slack_sdk's CacheableInstallationStore",
                ),
                (
                    "xoxe.bolt.XoxeAuthorize + Pool(DirectoryStore)",
                    lambda: xoxe_authorize(**request),
                    "xoxe's Bolt authorize: bot and user chains from the pool (fresh), identity cached",
                ),
                ("xoxe Pool.get (bot chain)", lambda: pool_get(bot_chain), "reference: the pool alone"),
                ("xoxe Rotator.get (bot chain)", rotator_get, "reference: one chain's rotator alone"),
                (
                    "slack_sdk TokenRotator.perform_token_rotation",
                    sdk_check,
                    "reference: Bolt's rotation check of the installation alone (bot and user token)",
                ),
            ]
            before = slack.control("GET", "stats")
            results = timed(rows, args.calls, args.reps)
            after = slack.control("GET", "stats")
            if after["requests"] != before["requests"]:
                sys.exit(f"the timed calls reached the fake Slack: {before['requests']} -> {after['requests']}")
            rotator.close()
            pool.close()
            client.close()
        finally:
            slack.stop()

    print(
        json.dumps(
            {
                "bench": "bolt_authorize",
                "about": ABOUT,
                "rows": results,
                "calls": args.calls,
                "reps": args.reps,
                "python": platform.python_version(),
                "slack_bolt": slack_bolt.version.__version__,
                "slack_sdk": slack_sdk.version.__version__,
                "xoxe": xoxe.__version__,
                "load_at_start": load_at_start,
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
