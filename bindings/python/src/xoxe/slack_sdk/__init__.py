"""``xoxe.slack_sdk``: slack_sdk's ``WebClient`` and ``AsyncWebClient`` with every
call carrying a fresh token from an xoxe :class:`~xoxe.Rotator` or a :class:`~xoxe.Pool`
chain, so code that calls ``client.chat_postMessage(...)`` keeps working across token
expiry. Needs ``slack_sdk``; the async client (:mod:`xoxe.slack_sdk.async_client`, as
slack_sdk's own) also ``aiohttp``.

    >>> from xoxe.slack_sdk import WebClient                      # doctest: +SKIP
    >>> client = WebClient(rotator)            # or WebClient(pool, chain="bot:-:T1")
    >>> # asyncio: xoxe.slack_sdk.async_client.AsyncWebClient(async_rotator)
    >>> client.chat_postMessage(channel="C1", text="hi")          # doctest: +SKIP

Each call asks the rotator (or the pool, for its chain) for a token just before it is
sent: from memory while fresh, rotated — once, whoever else asks — when due. The token
goes in the ``Authorization`` header of that call only; the client holds none
(``client.token`` stays ``None``). A call that names its own ``token=`` is sent with
that one, untouched. A paged answer (``for page in client.conversations_list()``)
fetches its next pages with the token of the first: a token is handed out with at
least the rotator's refresh window left, so that holds for any listing shorter than
the window.
"""

from __future__ import annotations

from typing import Any

import slack_sdk
from slack_sdk.web.slack_response import SlackResponse

from .._pool import Pool
from .._rotator import Rotator
from ._shared import bearer, check_source, names_a_token

__all__ = ["WebClient"]


class WebClient(slack_sdk.WebClient):
    """slack_sdk's ``WebClient`` whose calls carry a fresh token from ``tokens``: a
    :class:`~xoxe.Rotator`, or a :class:`~xoxe.Pool` with the ``chain`` to use. Every
    other argument is ``slack_sdk.WebClient``'s (``base_url``, ``timeout``,
    ``retry_handlers``…), except ``token``. Thread-safe as slack_sdk's client is: the
    token is per call."""

    def __init__(self, tokens: Rotator | Pool, chain: str | None = None, **kwargs: Any) -> None:
        if "token" in kwargs:
            raise TypeError("the token comes from the rotator or pool: do not pass token=")
        check_source(tokens, chain, (Pool,), (Rotator,))
        super().__init__(**kwargs)
        self._tokens = tokens
        self._chain = chain

    @property
    def chain(self) -> str | None:
        """The pool chain whose token the calls carry (``None`` for a rotator)."""
        return self._chain

    def fresh_token(self) -> str:
        """The token the next call will carry (rotated first when due)."""
        tokens = self._tokens
        got = tokens.get(self._chain) if isinstance(tokens, Pool) else tokens.get()  # type: ignore[arg-type]
        return got.token.get_secret_value()

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        """slack_sdk's ``api_call``, with this client's fresh token unless the call
        names its own token or basic ``auth`` (``oauth.v2.access``)."""
        if auth is None and not names_a_token(params, json, data):
            headers = bearer(headers, self.fresh_token())
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )
