"""What the sync and async Bolt adapters share: which chains serve a request, the
identity (bot id, bot user id) behind a token, and the conversions between xoxe's
installs and slack_sdk's ``Installation``/``Bot``. No I/O here."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.oauth.installation_store import Bot, Installation

from .._errors import ChainRevokedError, StoreEmptyError, UsageError
from .._install import Install
from .._pool import installation_chain
from .._types import AuthTestResponse

#: What a chain lookup that finds no live chain raises: not installed (or uninstalled).
NOT_INSTALLED = (StoreEmptyError, ChainRevokedError)


def _name(enterprise_id: str | None, team_id: str | None, org: bool, user_id: str | None = None) -> str | None:
    try:
        return installation_chain(enterprise_id, team_id, org, user_id)
    except UsageError:  # ids a chain name cannot hold (e.g. no team and no org)
        return None


#: (enterprise, team, org-wide, user) -> its candidate chains: chain names are a pure
#: function of the ids (the library's), asked for on every request, so remembered; at
#: most _CANDIDATES_MAX entries, then emptied (ids come from signed requests).
_CANDIDATES: dict[tuple[str | None, str | None, bool, str | None], tuple[str, ...]] = {}
_CANDIDATES_MAX = 10_000


def _candidates(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool, user_id: str | None = None
) -> tuple[str, ...]:
    """The chains that may serve a request from (enterprise, team), most specific
    first: the workspace's own install, then its org's org-wide install (a request
    from a workspace of an org that installed the app org-wide carries the team id)."""
    key = (enterprise_id, team_id, is_enterprise_install, user_id)
    known = _CANDIDATES.get(key)
    if known is None:
        names = [] if is_enterprise_install else [_name(enterprise_id, team_id, False, user_id)]
        if enterprise_id:
            names.append(_name(enterprise_id, None, True, user_id))
        known = tuple(n for i, n in enumerate(names) if n is not None and n not in names[:i])
        if len(_CANDIDATES) >= _CANDIDATES_MAX:
            _CANDIDATES.clear()
        _CANDIDATES[key] = known
    return known


def bot_chains(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> tuple[str, ...]:
    """The bot token chains that may serve a request, most specific first."""
    return _candidates(enterprise_id, team_id, is_enterprise_install)


def user_chains(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool, user_id: str
) -> tuple[str, ...]:
    """User ``user_id``'s token chains that may serve a request, most specific first."""
    return _candidates(enterprise_id, team_id, is_enterprise_install, user_id)


def user_chain_prefix(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> str | None:
    """The common start of every user chain name of an installation (from the
    canonical name of a placeholder user's chain)."""
    name = _name(enterprise_id, team_id, is_enterprise_install, "U0")
    return None if name is None else name[: -len("U0")]


@dataclasses.dataclass(frozen=True)
class Identity:
    """What ``auth.test`` says of a chain's token: who it acts as."""

    user_id: str
    bot_id: str | None
    team: str | None
    url: str | None

    @classmethod
    def of(cls, who: AuthTestResponse) -> Identity:
        return cls(who.user_id, who.bot_id, who.team or None, who.url or None)


def installation_for(
    *,
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool,
    user_id: str | None,
    bot_token: str | None,
    bot: Identity | None,
    user_token: str | None,
) -> Installation:
    """An ``Installation`` carrying fresh tokens and no refresh token or expiry: code
    holding it (Bolt's own token rotation among them) cannot spend a refresh token."""
    return Installation(
        enterprise_id=enterprise_id,
        team_id=None if is_enterprise_install else team_id,
        team_name=bot.team if bot else None,
        bot_token=bot_token,
        bot_id=bot.bot_id if bot else None,
        bot_user_id=bot.user_id if bot else None,
        user_id=user_id or "",
        user_token=user_token,
        is_enterprise_install=is_enterprise_install,
    )


def installation_of_bot(bot: Bot) -> Installation:
    """A bot's token as an ``Installation`` (``save_bot`` saves it as ``save`` does)."""
    return Installation(
        app_id=bot.app_id,
        enterprise_id=bot.enterprise_id,
        team_id=bot.team_id,
        bot_token=bot.bot_token,
        bot_id=bot.bot_id,
        bot_user_id=bot.bot_user_id,
        bot_scopes=bot.bot_scopes,
        bot_refresh_token=bot.bot_refresh_token,
        bot_token_expires_at=bot.bot_token_expires_at,
        user_id="",
        is_enterprise_install=bot.is_enterprise_install,
    )


def bot_for(installation: Installation) -> Bot | None:
    """The ``Bot`` of an ``Installation`` (``None`` without a bot token)."""
    if installation.bot_token is None:
        return None
    return installation.to_bot()


def result_for(
    *,
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool,
    user_id: str | None,
    bot_token: str | None,
    bot: Identity | None,
    user_token: str | None,
) -> AuthorizeResult:
    """``authorize_result(installation_for(...), bot, user_id)`` without the
    ``Installation`` in between (Bolt's ``authorize``, on every request)."""
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=None if is_enterprise_install else team_id,
        team=bot.team if bot else None,
        url=bot.url if bot else None,
        bot_user_id=bot.user_id if bot else None,
        bot_id=bot.bot_id if bot else None,
        bot_token=bot_token,
        user_id=user_id,
        user_token=user_token,
    )


class Results:
    """The ``AuthorizeResult`` of each distinct ``result_for`` arguments (ids, tokens and
    the bot's identity: everything the result holds), made once and handed out again, as
    Bolt's own ``cache_enabled`` does (Bolt never modifies one). A new token or identity
    is a new key. At most ``most`` results, then all are let go."""

    def __init__(self, most: int = 10_000) -> None:
        self._made: dict[tuple[Any, ...], AuthorizeResult] = {}
        self._most = most

    def get(self, found: dict[str, Any]) -> AuthorizeResult:
        key = tuple(found.values())
        made = self._made.get(key)
        if made is None:
            made = result_for(**found)
            if len(self._made) >= self._most:
                self._made.clear()
            self._made[key] = made
        return made


def authorize_result(installation: Installation, who: Identity | None, user_id: str | None) -> AuthorizeResult:
    """Bolt's ``AuthorizeResult`` for a request by ``user_id`` served by
    ``installation``, whose bot is ``who``."""
    return AuthorizeResult(
        enterprise_id=installation.enterprise_id,
        team_id=installation.team_id,
        team=who.team if who else None,
        url=who.url if who else None,
        bot_user_id=installation.bot_user_id,
        bot_id=installation.bot_id,
        bot_token=installation.bot_token,
        user_id=user_id,
        user_token=installation.user_token,
    )


class XoxeInstallation(Installation):
    """An ``Installation`` made by xoxe's OAuth flow: it carries the xoxe
    :class:`~xoxe.Install` (refresh tokens and all) that its installation store saves
    through the pool; its own fields hold no refresh token."""

    xoxe_install: Install

    def __init__(self, install: Install, bot_id: str | None) -> None:
        bot, user = install.bot, install.authed_user
        super().__init__(
            app_id=install.app_id,
            enterprise_id=install.enterprise_id,
            enterprise_name=install.enterprise_name,
            team_id=install.team_id,
            team_name=install.team_name,
            bot_token=bot.access_token.get_secret_value() if bot else None,
            bot_id=bot_id,
            bot_user_id=bot.bot_user_id if bot else None,
            bot_scopes=bot.scope if bot else "",
            user_id=user.id if user else "",
            user_token=user.token.access_token.get_secret_value() if user and user.token else None,
            user_scopes=(user.scope or "") if user else "",
            incoming_webhook_url=install.incoming_webhook.url.get_secret_value() if install.incoming_webhook else None,
            incoming_webhook_channel=install.incoming_webhook.channel if install.incoming_webhook else None,
            incoming_webhook_channel_id=install.incoming_webhook.channel_id if install.incoming_webhook else None,
            incoming_webhook_configuration_url=(
                install.incoming_webhook.configuration_url if install.incoming_webhook else None
            ),
            is_enterprise_install=install.is_enterprise_install,
            token_type="bot" if bot else "user",
        )
        self.xoxe_install = install


def _expires_in(expires_at: Any, now: float) -> int:
    # slack_sdk keeps an int (Unix seconds); at least 1: Slack never answers 0.
    try:
        return max(1, int(expires_at) - int(now))
    except (TypeError, ValueError):
        return 1


def access_json(installation: Installation) -> str:
    """``installation`` (from code other than xoxe's OAuth flow, e.g. Bolt's own) as the
    ``oauth.v2.access`` answer it came from, for :meth:`~xoxe.Pool.install_json`: its
    refresh tokens start the chains (the access tokens are taken as expired)."""
    now = time.time()
    answer: dict[str, Any] = {
        "ok": True,
        "app_id": installation.app_id,
        "team": {"id": installation.team_id, "name": installation.team_name} if installation.team_id else None,
        "enterprise": (
            {"id": installation.enterprise_id, "name": installation.enterprise_name}
            if installation.enterprise_id
            else None
        ),
        "is_enterprise_install": bool(installation.is_enterprise_install),
    }
    if installation.bot_token:
        answer.update(
            token_type="bot",
            access_token=installation.bot_token,
            refresh_token=installation.bot_refresh_token,
            expires_in=_expires_in(installation.bot_token_expires_at, now),
            scope=",".join(installation.bot_scopes or []),
            bot_user_id=installation.bot_user_id,
        )
    user: dict[str, Any] = {"id": installation.user_id}
    if installation.user_token:
        user.update(
            token_type="user",
            access_token=installation.user_token,
            refresh_token=installation.user_refresh_token,
            expires_in=_expires_in(installation.user_token_expires_at, now),
            scope=",".join(installation.user_scopes or []),
        )
    answer["authed_user"] = user
    return json.dumps({k: v for k, v in answer.items() if v is not None})


def both_rotate_message(what: str) -> str:
    """The warning :func:`xoxe.bolt.check_app` gives when Bolt rotates tokens too."""
    return (
        f"{what} rotates tokens itself (its InstallationStoreAuthorize was given the app's client id and "
        "secret): if xoxe also keeps these installations' chains, both spend refresh tokens and one locks the "
        "other out. Pass authorize=XoxeAuthorize(pool) (or keep the installations in XoxeInstallationStore, "
        "whose installations carry no refresh token)."
    )
