"""Result types: frozen dataclasses copied out of the library's result handles."""

from __future__ import annotations

import ctypes
from _collections_abc import Mapping  # collections.abc's, without importing collections

from ._managed import strings
from ._secret import Secret

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from dataclasses import dataclass, field
    from typing import Any, TypeVar

    R = TypeVar("R", bound="_FromInfo")
    _MappingBase = Mapping[str, Any]
else:  # the same, without importing dataclasses or typing
    from ._frozen import dataclass, field

    _MappingBase = Mapping


class _FromInfo:
    @classmethod
    def _from_info(cls: type[R], info: Any) -> R:
        """Copies the library's info struct with the same field names: strings decoded
        (NULL is ``None`` where the field defaults to ``None``, else ``""``), tokens in
        :class:`Secret`."""
        values: dict[str, Any] = {"warnings": strings(info.warnings, info.warnings_len)}
        body = cls.__dict__
        for name, annotation in body["__annotations__"].items():
            value = values.get(name, getattr(info, name))
            if value is None and body.get(name, "") is not None:  # no default, or a non-None one
                value = b""
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            values[name] = Secret(value) if annotation == "Secret" else value
        return cls(**values)


@dataclass(frozen=True)
class ConfigToken(_FromInfo):
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
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class OAuthToken(_FromInfo):
    """An expiring bot/user token pair (``oauth.v2.exchange``, ``oauth.v2.access`` refresh)."""

    access_token: Secret
    refresh_token: Secret
    expires_in: int
    """Seconds until ``access_token`` expires, from when the response arrived."""
    token_type: str
    """``"bot"`` or ``"user"``."""
    scope: str
    app_id: str
    bot_user_id: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    is_enterprise_install: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthTestResponse(_FromInfo):
    """What ``auth.test`` said about a token."""

    url: str
    team: str
    user: str
    team_id: str
    user_id: str
    bot_id: str | None = None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiResponse(_FromInfo, _MappingBase):
    """The parsed JSON answer of :meth:`Client.call`, readable like a dict.

    ``repr`` lists only the top-level keys: a raw answer may hold tokens.
    """

    data: dict[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"ApiResponse(keys={sorted(self.data)!r}, warnings={self.warnings!r})"

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def _from_info(cls, info: Any) -> ApiResponse:
        import json

        raw = ctypes.string_at(info.json, info.json_len) if info.json else b"{}"
        data = json.loads(raw.decode("utf-8", "replace"))
        return cls(data if isinstance(data, dict) else {"value": data}, strings(info.warnings, info.warnings_len))
