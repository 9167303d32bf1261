"""Result types: frozen dataclasses copied out of the library's result handles."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

from ._secret import Secret

__all__ = ["ConfigToken", "OAuthToken", "AuthTestResponse", "ApiResponse"]


@dataclasses.dataclass(frozen=True)
class ConfigToken:
    """A rotated app configuration token pair (``tooling.tokens.rotate``).

    Persist it before using ``token``: the refresh token you sent is now spent.
    """

    token: Secret
    """The new config access token (``xoxe.xoxp-…``)."""
    refresh_token: Secret
    """The new refresh token (``xoxe-…``), single-use."""
    team_id: str
    user_id: str
    iat: int
    """Issued at, Unix seconds (Slack's clock)."""
    exp: int
    """Expires at, Unix seconds (Slack's clock)."""
    warnings: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class OAuthToken:
    """An expiring bot/user token pair (``oauth.v2.exchange``, ``oauth.v2.access`` refresh)."""

    access_token: Secret
    refresh_token: Secret
    expires_in: int
    """Seconds until ``access_token`` expires, from when the response arrived."""
    token_type: str
    """``"bot"`` or ``"user"``."""
    scope: str
    app_id: str
    bot_user_id: Optional[str] = None
    user_id: Optional[str] = None
    team_id: Optional[str] = None
    team_name: Optional[str] = None
    enterprise_id: Optional[str] = None
    enterprise_name: Optional[str] = None
    is_enterprise_install: bool = False
    warnings: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class AuthTestResponse:
    """What ``auth.test`` said about a token."""

    url: str
    team: str
    user: str
    team_id: str
    user_id: str
    bot_id: Optional[str] = None
    enterprise_id: Optional[str] = None
    is_enterprise_install: bool = False
    warnings: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ApiResponse(Mapping[str, Any]):
    """The parsed JSON answer of :meth:`Client.call`, readable like a dict.

    ``repr`` lists only the top-level keys: a raw answer may hold tokens.
    """

    data: Dict[str, Any] = dataclasses.field(repr=False)
    warnings: Tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"ApiResponse(keys={sorted(self.data)!r}, warnings={self.warnings!r})"

    __hash__ = None  # type: ignore[assignment]
