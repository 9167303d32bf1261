"""``xoxe.bolt.async_app``: :mod:`xoxe.bolt` for Bolt's ``AsyncApp`` (asyncio), over an
:class:`~xoxe.aio.AsyncPool`: a fresh token is read on the event loop, a rotation or
store read runs on xoxe's thread pool. Needs ``slack_bolt`` and ``aiohttp``.

    >>> pool = xoxe.aio.AsyncPool.new(xoxe.Client(), store, client_id, client_secret)  # doctest: +SKIP
    >>> app = AsyncApp(signing_secret=..., authorize=AsyncXoxeAuthorize(pool))          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from .._errors import SlackApiError
from .._pool import Pool
from ..aio import AsyncClient, AsyncPool, default_executor
from ._common import (
    NOT_INSTALLED,
    Identity,
    Results,
    XoxeInstallation,
    access_json,
    bot_chains,
    bot_for,
    installation_for,
    installation_of_bot,
    user_chain_prefix,
    user_chains,
)

__all__ = ["AsyncXoxeAuthorize", "AsyncXoxeInstallationStore", "AsyncXoxeOAuthFlow"]

_log = logging.getLogger("xoxe.bolt")


def _async_pool(pool: object) -> AsyncPool:
    if isinstance(pool, Pool):
        return AsyncPool(pool)
    if not isinstance(pool, AsyncPool):
        raise TypeError(f"pool must be an xoxe.aio.AsyncPool (or an xoxe.Pool), not {type(pool).__name__}")
    return pool


class _AsyncTokens:
    """Fresh tokens of installations from an async pool, and who each chain's token
    acts as (one ``auth.test`` per chain and process)."""

    def __init__(self, pool: AsyncPool | Pool) -> None:
        self.pool = _async_pool(pool)
        client = self.pool.sync.client
        if client is None:
            raise ValueError("the pool is closed")
        self.client = AsyncClient(client)
        self._identities: dict[str, Identity] = {}

    async def first(self, chains: tuple[str, ...]) -> tuple[str, str] | None:
        for chain in chains:
            try:
                return chain, (await self.pool.get(chain)).token.get_secret_value()
            except NOT_INSTALLED:
                continue
        return None

    async def identity(self, chain: str, token: str) -> Identity:
        known = self._identities.get(chain)
        if known is None:
            known = self._identities[chain] = Identity.of(await self.client.auth_test(token))
        return known

    def forget(self, chain: str) -> None:
        self._identities.pop(chain, None)

    async def found(
        self, enterprise_id: str | None, team_id: str | None, org: bool, user_id: str | None, bot_only: bool = False
    ) -> dict[str, Any] | None:
        bot = await self.first(bot_chains(enterprise_id, team_id, org))
        user = None
        if not bot_only and user_id:
            user = await self.first(user_chains(enterprise_id, team_id, org, user_id))
        if bot is None and user is None:
            return None
        return {
            "enterprise_id": enterprise_id,
            "team_id": team_id,
            "is_enterprise_install": org,
            "user_id": user_id,
            "bot_token": bot[1] if bot else None,
            "bot": await self.identity(*bot) if bot else None,
            "user_token": user[1] if user else None,
        }

    async def installation(
        self, enterprise_id: str | None, team_id: str | None, org: bool, user_id: str | None, bot_only: bool = False
    ) -> tuple[Installation, Identity | None] | None:
        found = await self.found(enterprise_id, team_id, org, user_id, bot_only)
        return None if found is None else (installation_for(**found), found["bot"])


class AsyncXoxeAuthorize(AsyncAuthorize):
    """:class:`xoxe.bolt.XoxeAuthorize` for ``AsyncApp(authorize=…)``, over an
    :class:`~xoxe.aio.AsyncPool` (an :class:`~xoxe.Pool` is wrapped in one)."""

    def __init__(self, pool: AsyncPool | Pool, *, user_tokens: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._tokens = _AsyncTokens(pool)
        self._user_tokens = user_tokens
        self._results = Results()

    @property
    def pool(self) -> AsyncPool:
        """The pool the tokens come from."""
        return self._tokens.pool

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        org = bool(context.is_enterprise_install)
        found = await self._tokens.found(enterprise_id, team_id, org, user_id if self._user_tokens else None)
        if found is None:
            _log.debug("no installation in the pool for enterprise %s team %s", enterprise_id, team_id)
            return None
        found["user_id"] = user_id
        return self._results.get(found)


class AsyncXoxeInstallationStore(AsyncInstallationStore):
    """:class:`xoxe.bolt.XoxeInstallationStore` for asyncio (``async_save``,
    ``async_find_installation``…), over an :class:`~xoxe.aio.AsyncPool`."""

    def __init__(self, pool: AsyncPool | Pool, *, logger: logging.Logger | None = None) -> None:
        self._tokens = _AsyncTokens(pool)
        self._logger = logger or _log

    @property
    def logger(self) -> logging.Logger:
        """The logger (slack_sdk's interface)."""
        return self._logger

    @property
    def pool(self) -> AsyncPool:
        """The pool the installations are kept in."""
        return self._tokens.pool

    async def async_save(self, installation: Installation) -> None:
        """Saves a new installation's tokens as chains, durably, before returning."""
        if isinstance(installation, XoxeInstallation):
            chains = await self.pool.install(installation.xoxe_install)
        else:
            chains = await self.pool.install_json(access_json(installation))
        for chain in chains:
            self._tokens.forget(chain)

    async def async_save_bot(self, bot: Bot) -> None:
        """Saves a bot's token as its chain (from its refresh token)."""
        await self.async_save(installation_of_bot(bot))

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installation with fresh tokens (no refresh token), or ``None``."""
        found = await self._tokens.installation(enterprise_id, team_id, bool(is_enterprise_install), user_id)
        return None if found is None else found[0]

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot with a fresh token, or ``None``."""
        found = await self._tokens.installation(
            enterprise_id, team_id, bool(is_enterprise_install), None, bot_only=True
        )
        return None if found is None else bot_for(found[0])

    async def _remove(self, chains: Iterable[str]) -> None:
        for chain in chains:
            await self.pool.remove(chain)
            self._tokens.forget(chain)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Removes the bot token chains of (enterprise, team)."""
        await self._remove(bot_chains(enterprise_id, team_id, team_id is None))

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Removes user ``user_id``'s chain, or without it every user chain."""
        org = team_id is None
        if user_id is not None:
            await self._remove(user_chains(enterprise_id, team_id, org, user_id))
            return
        prefix = user_chain_prefix(enterprise_id, team_id, org)
        store = self.pool.sync.store
        if prefix is None or store is None:
            return
        listed = await asyncio.get_running_loop().run_in_executor(default_executor(), store.chains)
        await self._remove([c.chain for c in listed if c.chain.startswith(prefix)])

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Removes every chain of the installation (bot and users)."""
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class AsyncXoxeOAuthFlow(AsyncOAuthFlow):
    """:class:`xoxe.bolt.XoxeOAuthFlow` for ``AsyncApp``: ``settings`` is an
    ``AsyncOAuthSettings`` whose ``installation_store`` is an
    :class:`AsyncXoxeInstallationStore`."""

    def __init__(
        self,
        pool: AsyncPool | Pool,
        *,
        settings: AsyncOAuthSettings,
        client: Any = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(settings.installation_store, AsyncXoxeInstallationStore):
            raise TypeError("settings.installation_store must be an xoxe.bolt.async_app.AsyncXoxeInstallationStore")
        super().__init__(client=client, logger=logger, settings=settings)
        self._tokens = _AsyncTokens(pool)

    async def run_installation(self, code: str) -> Installation | None:
        """Trades ``code`` for the installation's tokens (Bolt then saves them through
        the store). ``None`` when Slack refuses the code."""
        client = self._tokens.client
        try:
            install = await client.oauth_v2_access(
                self.settings.client_id, self.settings.client_secret, code, self.settings.redirect_uri
            )
        except SlackApiError as e:
            self.logger.warning("oauth.v2.access refused the installation: %s", e.slack_error)
            return None
        bot_id = None
        if install.bot is not None and install.bot.chain is not None:
            bot_id = (await client.auth_test(install.bot.access_token)).bot_id
        return XoxeInstallation(install, bot_id)
