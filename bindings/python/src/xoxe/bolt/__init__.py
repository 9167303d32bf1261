"""``xoxe.bolt``: Bolt for Python (``slack_bolt``) with tokens kept fresh by an xoxe
:class:`~xoxe.Pool` — and Bolt's own token rotation off.

    >>> pool = xoxe.Pool(xoxe.Client(), xoxe.DirectoryStore(path), client_id, client_secret)  # doctest: +SKIP
    >>> app = App(signing_secret=..., authorize=xoxe.bolt.XoxeAuthorize(pool))               # doctest: +SKIP

- :class:`XoxeAuthorize`: Bolt's ``authorize`` — each request gets the installation's
  bot token (and the requesting user's token, when the pool holds one) fresh from the
  pool, rotated once across threads, processes and machines when due.
- :class:`XoxeInstallationStore`: Bolt's/slack_sdk's installation store over the pool —
  new installs saved as chains, lookups answered with fresh tokens and never a refresh
  token, uninstalls removing the chains.
- :class:`XoxeOAuthFlow`: Bolt's OAuth flow, finishing an install with xoxe
  (``oauth.v2.access``) so the store saves it with :meth:`~xoxe.Pool.install`.
- :func:`check_app`: warns when Bolt would rotate tokens too.

Bolt's own rotation is off when ``authorize=XoxeAuthorize(pool)`` is passed (Bolt then
never builds its ``InstallationStoreAuthorize``); an app that keeps Bolt's
authorize over :class:`XoxeInstallationStore` is safe too (no refresh token reaches
Bolt). For asyncio apps (``AsyncApp``) see :mod:`xoxe.bolt.async_app`.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize, InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore

from .._errors import SlackApiError
from .._pool import Pool
from ._common import (
    NOT_INSTALLED,
    Identity,
    Results,
    XoxeInstallation,
    access_json,
    bot_chains,
    bot_for,
    both_rotate_message,
    installation_for,
    installation_of_bot,
    user_chain_prefix,
    user_chains,
)

__all__ = [
    "BothRotateWarning",
    "XoxeAuthorize",
    "XoxeInstallation",
    "XoxeInstallationStore",
    "XoxeOAuthFlow",
    "check_app",
]

_log = logging.getLogger("xoxe.bolt")


class BothRotateWarning(UserWarning):
    """Bolt and xoxe would both rotate an installation's tokens (:func:`check_app`)."""


def _pool(pool: object) -> Pool:
    if not isinstance(pool, Pool):
        raise TypeError(f"pool must be an xoxe.Pool, not {type(pool).__name__}")
    return pool


class _Tokens:
    """Fresh tokens of installations from a pool, and who each chain's token acts as
    (``auth.test``, asked once per chain and process)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = _pool(pool)
        self._identities: dict[str, Identity] = {}
        self._lock = threading.Lock()

    def first(self, chains: tuple[str, ...]) -> tuple[str, str] | None:
        """The first of ``chains`` the pool holds live: (chain, fresh token)."""
        for chain in chains:
            try:
                return chain, self.pool.get(chain).token.get_secret_value()
            except NOT_INSTALLED:
                continue
        return None

    def identity(self, chain: str, token: str) -> Identity:
        known = self._identities.get(chain)  # a dict read is atomic: the lock guards writes
        if known is None:
            client = self.pool.client
            if client is None:
                raise ValueError("the pool is closed")
            known = Identity.of(client.auth_test(token))
            with self._lock:
                self._identities[chain] = known
        return known

    def forget(self, chain: str) -> None:
        with self._lock:
            self._identities.pop(chain, None)

    def found(
        self, enterprise_id: str | None, team_id: str | None, org: bool, user_id: str | None, bot_only: bool = False
    ) -> dict[str, Any] | None:
        """The fresh tokens serving (enterprise, team[, user]) and who the bot is, as
        ``installation_for``'s arguments; ``None`` when the pool holds neither token."""
        bot = self.first(bot_chains(enterprise_id, team_id, org))
        user = None if bot_only or not user_id else self.first(user_chains(enterprise_id, team_id, org, user_id))
        if bot is None and user is None:
            return None
        return {
            "enterprise_id": enterprise_id,
            "team_id": team_id,
            "is_enterprise_install": org,
            "user_id": user_id,
            "bot_token": bot[1] if bot else None,
            "bot": self.identity(*bot) if bot else None,
            "user_token": user[1] if user else None,
        }

    def installation(
        self, enterprise_id: str | None, team_id: str | None, org: bool, user_id: str | None, bot_only: bool = False
    ) -> tuple[Installation, Identity | None] | None:
        """The installation serving (enterprise, team[, user]) with fresh tokens, and
        who its bot is; ``None`` when the pool holds neither token."""
        found = self.found(enterprise_id, team_id, org, user_id, bot_only)
        return None if found is None else (installation_for(**found), found["bot"])


class XoxeAuthorize(Authorize):
    """Bolt's ``authorize`` over an xoxe :class:`~xoxe.Pool`: ``App(authorize=
    XoxeAuthorize(pool), …)``. Each request gets the bot token of its workspace's
    installation (or its org's, for an org-wide install) and, with ``user_tokens``,
    the requesting user's token when the pool holds one — fresh, rotated when due.
    The bot's ids come from one ``auth.test`` per chain and process.

    Requests that would get equal results (same ids, same fresh tokens) get the same
    ``AuthorizeResult`` object, as with Bolt's own ``cache_enabled`` (Bolt never
    modifies it); a rotated token makes a new one.

    A request from a workspace the pool holds no live chain for (never installed,
    uninstalled, revoked) is not authorized (``None``: Bolt answers it as such).
    Other failures (the store or Slack unreachable) raise, and Bolt answers 500, so
    Slack retries the request.
    """

    def __init__(self, pool: Pool, *, user_tokens: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._tokens = _Tokens(pool)
        self._user_tokens = user_tokens
        self._results = Results()

    @property
    def pool(self) -> Pool:
        """The pool the tokens come from."""
        return self._tokens.pool

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        org = bool(context.is_enterprise_install)
        found = self._tokens.found(enterprise_id, team_id, org, user_id if self._user_tokens else None)
        if found is None:
            _log.debug("no installation in the pool for enterprise %s team %s", enterprise_id, team_id)
            return None
        found["user_id"] = user_id
        return self._results.get(found)


class XoxeInstallationStore(InstallationStore):
    """slack_sdk's installation store over an xoxe :class:`~xoxe.Pool`, for Bolt's
    OAuth flow and anything else that reads installations.

    - :meth:`save`: an install from :class:`XoxeOAuthFlow` is saved with
      :meth:`Pool.install <xoxe.Pool.install>`; one from elsewhere (Bolt's own flow)
      from its refresh tokens with :meth:`Pool.install_json <xoxe.Pool.install_json>`.
      Either way each token becomes a chain, saved durably before this returns.
    - :meth:`find_installation` / :meth:`find_bot`: fresh tokens from the pool, with no
      refresh token and no expiry, so no code holding them can spend a refresh token.
    - ``delete_*``: remove the chains (their secrets with them).
    """

    def __init__(self, pool: Pool, *, logger: logging.Logger | None = None) -> None:
        self._tokens = _Tokens(pool)
        self._logger = logger or _log

    @property
    def logger(self) -> logging.Logger:
        """The logger (slack_sdk's interface)."""
        return self._logger

    @property
    def pool(self) -> Pool:
        """The pool the installations are kept in."""
        return self._tokens.pool

    def save(self, installation: Installation) -> None:
        """Saves a new installation's tokens as chains (see the class)."""
        if isinstance(installation, XoxeInstallation):
            chains = self.pool.install(installation.xoxe_install)
        else:
            chains = self.pool.install_json(access_json(installation))
        for chain in chains:
            self._tokens.forget(chain)

    def save_bot(self, bot: Bot) -> None:
        """Saves a bot's token as its chain (from its refresh token)."""
        self.save(installation_of_bot(bot))

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installation of (enterprise, team) — with ``user_id``, that user's
        token too — with fresh tokens, or ``None``."""
        found = self._tokens.installation(enterprise_id, team_id, bool(is_enterprise_install), user_id)
        return None if found is None else found[0]

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot of (enterprise, team) with a fresh token, or ``None``."""
        found = self._tokens.installation(enterprise_id, team_id, bool(is_enterprise_install), None, bot_only=True)
        return None if found is None else bot_for(found[0])

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Removes the bot token chains of (enterprise, team)."""
        for chain in bot_chains(enterprise_id, team_id, team_id is None):
            self.pool.remove(chain)
            self._tokens.forget(chain)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Removes user ``user_id``'s token chain of (enterprise, team), or without
        ``user_id`` every user chain of the installation."""
        org = team_id is None
        if user_id is not None:
            doomed = list(user_chains(enterprise_id, team_id, org, user_id))
        else:
            prefix = user_chain_prefix(enterprise_id, team_id, org)
            store = self.pool.store
            doomed = [c.chain for c in store.chains()] if store is not None and prefix else []
            doomed = [c for c in doomed if prefix and c.startswith(prefix)]
        for chain in doomed:
            self.pool.remove(chain)
            self._tokens.forget(chain)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Removes every chain of the installation (bot and users)."""
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class XoxeOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow, finishing installs with xoxe: the redirect's code is traded
    with ``oauth.v2.access`` by the pool's client (the code never reaches a log), and
    the resulting :class:`XoxeInstallation` is saved by ``settings.installation_store``
    — which must be an :class:`XoxeInstallationStore` — through
    :meth:`Pool.install <xoxe.Pool.install>`. Everything else (install page, state,
    success and failure pages) is Bolt's.

    ``App(oauth_flow=XoxeOAuthFlow(pool, settings=OAuthSettings(client_id=…,
    client_secret=…, scopes=[…], installation_store=XoxeInstallationStore(pool))),
    authorize=XoxeAuthorize(pool), signing_secret=…)``
    """

    def __init__(
        self,
        pool: Pool,
        *,
        settings: OAuthSettings,
        client: Any = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(settings.installation_store, XoxeInstallationStore):
            raise TypeError("settings.installation_store must be an xoxe.bolt.XoxeInstallationStore")
        super().__init__(client=client, logger=logger, settings=settings)
        self._tokens = _Tokens(pool)

    def run_installation(self, code: str) -> Installation | None:
        """Trades ``code`` for the installation's tokens (nothing saved yet: Bolt then
        calls the store's ``save``). ``None`` when Slack refuses the code."""
        client = self._tokens.pool.client
        if client is None:
            raise ValueError("the pool is closed")
        try:
            install = client.oauth_v2_access(
                self.settings.client_id, self.settings.client_secret, code, self.settings.redirect_uri
            )
        except SlackApiError as e:
            self.logger.warning("oauth.v2.access refused the installation: %s", e.slack_error)
            return None
        bot_id = None
        if install.bot is not None and install.bot.chain is not None:
            bot_id = client.auth_test(install.bot.access_token).bot_id
        return XoxeInstallation(install, bot_id)


def check_app(app: Any) -> list[str]:
    """Checks a Bolt ``App``/``AsyncApp`` for token rotation by Bolt itself, which
    would spend the refresh tokens xoxe keeps; warns (:class:`BothRotateWarning`) for
    each problem and returns their descriptions (empty: fine)."""
    problems: list[str] = []
    authorize = getattr(app, "_authorize", None)
    rotating = getattr(authorize, "token_rotator", None) is not None
    if rotating and isinstance(authorize, InstallationStoreAuthorize):
        if not isinstance(getattr(authorize, "installation_store", None), XoxeInstallationStore):
            problems.append(both_rotate_message("This Bolt app"))
    elif rotating and not isinstance(getattr(authorize, "installation_store", None), _async_store_types()):
        problems.append(both_rotate_message("This Bolt app"))
    for problem in problems:
        warnings.warn(problem, BothRotateWarning, stacklevel=2)
    return problems


def _async_store_types() -> tuple[type, ...]:
    try:
        from .async_app import AsyncXoxeInstallationStore
    except ImportError:  # no aiohttp: no AsyncApp either
        return ()
    return (AsyncXoxeInstallationStore,)
