"""``xoxe.slack_sdk.async_client``: slack_sdk's ``AsyncWebClient`` with every call
carrying a fresh token from xoxe (see :mod:`xoxe.slack_sdk`). Needs ``slack_sdk`` and
``aiohttp``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import slack_sdk.web.async_client
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from .._pool import Pool
from .._rotator import Rotator
from ..aio import AsyncPool, AsyncRotator
from ._shared import bearer, check_source, names_a_token

if TYPE_CHECKING:
    from aiohttp import FormData

__all__ = ["AsyncWebClient"]


class AsyncWebClient(slack_sdk.web.async_client.AsyncWebClient):
    """slack_sdk's ``AsyncWebClient`` whose calls carry a fresh token from ``tokens``:
    an :class:`~xoxe.aio.AsyncRotator` (or a :class:`~xoxe.Rotator`, wrapped in one),
    or an :class:`~xoxe.aio.AsyncPool` (or a :class:`~xoxe.Pool`) with the ``chain`` to
    use. A fresh token is read without leaving the event loop; a rotation runs on
    xoxe's thread pool (see :mod:`xoxe.aio`). Other arguments are slack_sdk's, except
    ``token``."""

    def __init__(
        self,
        tokens: AsyncRotator | AsyncPool | Rotator | Pool,
        chain: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "token" in kwargs:
            raise TypeError("the token comes from the rotator or pool: do not pass token=")
        check_source(tokens, chain, (AsyncPool, Pool), (AsyncRotator, Rotator))
        super().__init__(**kwargs)
        if isinstance(tokens, Rotator):
            tokens = AsyncRotator(tokens)
        elif isinstance(tokens, Pool):
            tokens = AsyncPool(tokens)
        self._tokens: AsyncRotator | AsyncPool = tokens
        self._chain = chain

    @property
    def chain(self) -> str | None:
        """The pool chain whose token the calls carry (``None`` for a rotator)."""
        return self._chain

    async def fresh_token(self) -> str:
        """The token the next call will carry (rotated first when due)."""
        tokens = self._tokens
        got = await (tokens.get(self._chain) if isinstance(tokens, AsyncPool) else tokens.get())  # type: ignore[arg-type]
        return got.token.get_secret_value()

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        """slack_sdk's ``api_call``, with this client's fresh token unless the call
        names its own token or basic ``auth``."""
        if auth is None and not names_a_token(params, json, data):
            headers = bearer(headers, await self.fresh_token())
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )
