"""``Install``: what ``oauth.v2.access`` answered for a new installation, copied out of
the library's ``xoxe_install`` handle (``xoxe_install_get_info``).

The library parses Slack's answer and names each token's chain; this module only copies
the strings out. An :class:`Install` keeps the library's handle while it lives, so that
:meth:`Pool.install` saves exactly what the library parsed.
"""

from __future__ import annotations

from ._managed import Managed, opt_text, strings
from ._secret import Secret

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from dataclasses import dataclass, field
    from typing import Any, ClassVar
else:  # the same, without importing dataclasses
    from ._frozen import dataclass, field


@dataclass(frozen=True)
class InstalledToken:
    """A token an installation granted: the bot's (``Install.bot``) or the installing
    user's (``Install.authed_user.token``). Tokens always rotate (an app with rotation
    off cannot be installed through xoxe: :class:`TokenRotationNotEnabledError`)."""

    access_token: Secret
    """The access token (``xoxe.xoxb-…`` for the bot, ``xoxe.xoxp-…`` for a user)."""
    refresh_token: Secret
    """The refresh token, single-use."""
    expires_in: int
    """Seconds ``access_token`` lived for when the answer arrived."""
    expires_at: int
    """When ``access_token`` expires: Unix seconds on this machine's clock (as
    ``AccessToken.expires_at``)."""
    scope: str
    """Comma-separated scopes granted."""
    chain: str | None
    """The canonical chain name a :class:`Pool` keeps this token under
    (:func:`installation_chain`), or ``None`` when the answer lacks the ids it needs."""
    bot_user_id: str | None = None
    """The bot's user id (a bot token only)."""
    bot_id: str | None = None
    """The bot's id (a bot token only)."""


@dataclass(frozen=True)
class AuthedUser:
    """The user who installed the app (``authed_user``)."""

    id: str
    scope: str | None
    """Comma-separated user scopes granted, or ``None`` when none were asked for."""
    token: InstalledToken | None
    """The user token, or ``None`` when the install asked for no user scopes."""
    chain: str | None
    """The user token's chain name (as ``token.chain``), or ``None`` without a token."""


@dataclass(frozen=True)
class IncomingWebhook:
    """The incoming webhook an install with the ``incoming-webhook`` scope created."""

    channel: str | None
    channel_id: str | None
    configuration_url: str | None
    url: Secret
    """The webhook URL: anyone holding it can post, so it is a secret."""


class _InstallHandle(Managed):
    """The library's ``xoxe_install *`` behind an :class:`Install`."""


@dataclass(frozen=True)
class Install:
    """A new installation, as ``oauth.v2.access`` (``grant_type=authorization_code``)
    answered it: :meth:`Client.oauth_v2_access`, :meth:`Pool.install_code`.

    Save its tokens with :meth:`Pool.install` at once: the authorization code is spent,
    and the tokens exist nowhere else. ``repr`` and ``str`` never show a token, the
    webhook URL or ``raw_json``.
    """

    app_id: str
    team_id: str | None
    """The workspace (``None`` for an org-wide install)."""
    team_name: str | None
    enterprise_id: str | None
    """The Enterprise Grid organisation, or ``None``."""
    enterprise_name: str | None
    is_enterprise_install: bool
    """An org-wide install (``team_id`` is then ``None``)."""
    bot: InstalledToken | None
    """The bot token, or ``None`` when the install granted no bot scopes."""
    authed_user: AuthedUser | None
    """The installing user (and their token, if user scopes were granted)."""
    incoming_webhook: IncomingWebhook | None
    raw_json: Secret = field(repr=False)
    """Slack's answer as it came, tokens and all: a secret (never log it). It can be
    saved later with :meth:`Pool.install_json`."""
    received_at: int = 0
    """When the answer arrived: Unix seconds on this machine's clock."""
    warnings: tuple[str, ...] = ()

    # The library's handle, set on the instance by _adopt. Not a field: equality,
    # asdict(), copies and pickles leave it out (a copy saves through raw_json).
    _handle: ClassVar[_InstallHandle | None] = None

    @property
    def chains(self) -> tuple[str, ...]:
        """The chain names of the tokens this install granted: the bot's, then the user's."""
        names = [self.bot.chain if self.bot else None, self.authed_user.chain if self.authed_user else None]
        return tuple(n for n in names if n)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_handle", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @classmethod
    def _adopt(cls, handle: _InstallHandle) -> Install:
        """The install behind ``handle`` (which it keeps)."""
        info = handle._info()
        install = cls._from_info(info)
        object.__setattr__(install, "_handle", handle)
        return install

    @classmethod
    def _from_info(cls, info: Any) -> Install:
        def text(name: str) -> str | None:
            return opt_text(getattr(info, name))

        def secret(name: str) -> Secret | None:
            value = text(name)
            return None if value is None else Secret(value)

        received_at = int(info.received_at)

        def token(prefix: str, scope: str | None, **ids: str | None) -> InstalledToken | None:
            access = secret(prefix + "_access_token")
            if access is None:
                return None
            expires_in = int(getattr(info, prefix + "_expires_in"))
            return InstalledToken(
                access_token=access,
                refresh_token=secret(prefix + "_refresh_token") or Secret(""),
                expires_in=expires_in,
                expires_at=received_at + expires_in,
                scope=scope or "",
                chain=text(prefix + "_chain"),
                **ids,
            )

        bot = token("bot", text("bot_scope"), bot_user_id=text("bot_user_id"), bot_id=text("bot_id"))
        user_scope = text("user_scope")
        user_token = token("user", user_scope)
        user_id = text("user_id")
        authed_user = None
        if user_id is not None:
            chain = user_token.chain if user_token else None
            authed_user = AuthedUser(id=user_id, scope=user_scope, token=user_token, chain=chain)
        webhook_url = secret("webhook_url")
        webhook = None
        if webhook_url is not None:
            webhook = IncomingWebhook(
                channel=text("webhook_channel"),
                channel_id=text("webhook_channel_id"),
                configuration_url=text("webhook_configuration_url"),
                url=webhook_url,
            )
        raw: bytes = info.raw_json or b""  # JSON holds no NUL: the whole answer
        return cls(
            app_id=text("app_id") or "",
            team_id=text("team_id"),
            team_name=text("team_name"),
            enterprise_id=text("enterprise_id"),
            enterprise_name=text("enterprise_name"),
            is_enterprise_install=bool(info.is_enterprise_install),
            bot=bot,
            authed_user=authed_user,
            incoming_webhook=webhook,
            raw_json=Secret(raw.decode("utf-8", "replace")),
            received_at=received_at,
            warnings=strings(info.warnings, info.warnings_len),
        )
