"""``xoxe.aio``: xoxe for asyncio — :class:`AsyncClient`, :class:`AsyncRotator` and
:class:`AsyncPool`, awaitable versions of :class:`~xoxe.Client`,
:class:`~xoxe.Rotator` and :class:`~xoxe.Pool`.

    >>> pool = xoxe.aio.AsyncPool(xoxe.Pool(client, store, client_id, secret))  # doctest: +SKIP
    >>> token = (await pool.get(chain)).token                                     # doctest: +SKIP

Each wraps its blocking twin (reachable as ``.sync``), so everything the Rust core
promises holds unchanged — one rotation per chain at a time, the new pair saved before
anyone gets it — and single flight is shared with synchronous callers of the same
rotator or pool in the process. Only the waiting differs:

- A fresh token is read on the event loop itself (``try_get``: no I/O, no lock waited
  for), with no thread hop.
- Anything that may block (a rotation, a store read, a Slack call) runs on a bounded
  thread pool (:func:`default_executor`, or the ``executor`` given), never on the loop.
  Tasks of one loop waiting for the same rotation share one hop.
- Cancelling a task that awaits never cancels work already handed to the thread pool:
  a rotation in flight completes and is saved, and the next :meth:`AsyncRotator.get`
  finds its token. (A raw :class:`AsyncClient` method that spends a refresh token,
  cancelled in flight, still completes — but its answer reaches nobody: keep chains
  in a rotator or a pool.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import threading
from typing import Any, Callable, TypeVar

from ._client import Client, TokenLike
from ._install import Install
from ._pool import Pool, PoolStats
from ._rotator import AccessToken, Rotator
from ._store import Store
from ._types import ApiResponse, AuthTestResponse, ConfigToken, OAuthToken

__all__ = ["AsyncClient", "AsyncPool", "AsyncRotator", "default_executor"]

T = TypeVar("T")

_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def default_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The thread pool xoxe's async objects block on unless given another: created on
    first use, bounded (as many threads as asyncio's own default executor would have),
    shared by every loop of the process."""
    global _executor
    with _executor_lock:
        if _executor is None:
            workers = min(32, (os.cpu_count() or 1) + 4)
            _executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="xoxe-aio")
        return _executor


def _retrieve(future: asyncio.Future[Any]) -> None:
    # Every awaiter may have been cancelled: mark a failure seen, or asyncio logs
    # "exception was never retrieved" for an error someone's next call will report.
    if not future.cancelled():
        future.exception()


class _Offloader:
    """Runs blocking calls on a thread pool, shielded from the awaiting task's
    cancellation; calls under the same key, on the same loop, share one run."""

    __slots__ = ("_executor", "_inflight")

    def __init__(self, executor: concurrent.futures.Executor | None) -> None:
        if executor is not None and not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(f"executor must be a concurrent.futures.Executor, not {type(executor).__name__}")
        self._executor = executor
        self._inflight: dict[tuple[asyncio.AbstractEventLoop, object], asyncio.Future[Any]] = {}

    def _start(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor or default_executor(), fn)
        future.add_done_callback(_retrieve)
        return future

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.shield(self._start(fn))

    async def shared(self, key: object, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        k = (loop, key)
        future = self._inflight.get(k)
        if future is None:
            future = self._start(fn)
            self._inflight[k] = future

            def forget(f: asyncio.Future[Any], k: tuple[asyncio.AbstractEventLoop, object] = k) -> None:
                if self._inflight.get(k) is f:
                    del self._inflight[k]

            future.add_done_callback(forget)
        return await asyncio.shield(future)


class AsyncClient:
    """An awaitable :class:`~xoxe.Client`: the same Slack methods, each run on the
    thread pool. Made from an existing client (``AsyncClient(client)``) or from a
    client's arguments (``AsyncClient(base_url=…, timeout=…)``); ``sync`` is the
    :class:`~xoxe.Client`, to share with synchronous code and to make rotators and
    pools with.

    Closing (:meth:`close`, ``async with``) closes the client it made, not one it was
    given.
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        executor: concurrent.futures.Executor | None = None,
        **options: Any,
    ) -> None:
        if client is not None and options:
            raise TypeError("give a Client or a Client's arguments, not both")
        if client is not None and not isinstance(client, Client):
            raise TypeError(f"client must be an xoxe.Client, not {type(client).__name__}")
        self._owned = client is None
        self._client = Client(**options) if client is None else client
        self._run = _Offloader(executor)

    @property
    def sync(self) -> Client:
        """The :class:`~xoxe.Client` this wraps."""
        return self._client

    @property
    def base_url(self) -> str:
        """The base URL the client talks to."""
        return self._client.base_url

    async def tooling_tokens_rotate(self, refresh_token: TokenLike, *, timeout: float | None = None) -> ConfigToken:
        """:meth:`Client.tooling_tokens_rotate <xoxe.Client.tooling_tokens_rotate>`."""
        return await self._run.run(
            functools.partial(self._client.tooling_tokens_rotate, refresh_token, timeout=timeout)
        )

    async def oauth_v2_exchange(
        self, client_id: str, client_secret: TokenLike, token: TokenLike, *, timeout: float | None = None
    ) -> OAuthToken:
        """:meth:`Client.oauth_v2_exchange <xoxe.Client.oauth_v2_exchange>`."""
        call = functools.partial(self._client.oauth_v2_exchange, client_id, client_secret, token, timeout=timeout)
        return await self._run.run(call)

    async def oauth_v2_refresh(
        self, client_id: str, client_secret: TokenLike, refresh_token: TokenLike, *, timeout: float | None = None
    ) -> OAuthToken:
        """:meth:`Client.oauth_v2_refresh <xoxe.Client.oauth_v2_refresh>`."""
        call = functools.partial(
            self._client.oauth_v2_refresh, client_id, client_secret, refresh_token, timeout=timeout
        )
        return await self._run.run(call)

    async def oauth_v2_access(self, *args: Any, **kwargs: Any) -> Install:
        """:meth:`Client.oauth_v2_access <xoxe.Client.oauth_v2_access>` (the same
        arguments)."""
        return await self._run.run(functools.partial(self._client.oauth_v2_access, *args, **kwargs))

    async def auth_revoke(self, token: TokenLike, test: bool = False, *, timeout: float | None = None) -> bool:
        """:meth:`Client.auth_revoke <xoxe.Client.auth_revoke>`."""
        return await self._run.run(functools.partial(self._client.auth_revoke, token, test, timeout=timeout))

    async def auth_test(self, token: TokenLike, *, timeout: float | None = None) -> AuthTestResponse:
        """:meth:`Client.auth_test <xoxe.Client.auth_test>`."""
        return await self._run.run(functools.partial(self._client.auth_test, token, timeout=timeout))

    async def call(self, *args: Any, **kwargs: Any) -> ApiResponse:
        """:meth:`Client.call <xoxe.Client.call>` (the same arguments)."""
        return await self._run.run(functools.partial(self._client.call, *args, **kwargs))

    def close(self) -> None:
        """Closes the client this made (a client given to it stays open)."""
        if self._owned:
            self._client.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<xoxe.aio.AsyncClient {self._client!r}>"


def _sync_client(client: Client | AsyncClient) -> Client:
    return client.sync if isinstance(client, AsyncClient) else client


class AsyncRotator:
    """An awaitable :class:`~xoxe.Rotator`. ``AsyncRotator(rotator)`` wraps an existing
    one (synchronous code may keep using it: single flight is shared), or make one with
    :meth:`config` / :meth:`oauth`, which take the same arguments as the
    :class:`~xoxe.Rotator` constructors.

    :meth:`get` returns a fresh token without leaving the event loop; when a rotation
    is due, the tasks of one loop share one hop to the thread pool, and cancelling
    them never cancels the rotation (it completes and is saved).
    """

    def __init__(self, rotator: Rotator, *, executor: concurrent.futures.Executor | None = None) -> None:
        if not isinstance(rotator, Rotator):
            raise TypeError(f"rotator must be an xoxe.Rotator, not {type(rotator).__name__}")
        self._rotator = rotator
        self._run = _Offloader(executor)

    @classmethod
    def config(
        cls,
        client: Client | AsyncClient,
        store: Store,
        *,
        executor: concurrent.futures.Executor | None = None,
        **options: Any,
    ) -> AsyncRotator:
        """:meth:`Rotator.config <xoxe.Rotator.config>`, awaitable."""
        return cls(Rotator.config(_sync_client(client), store, **options), executor=executor)

    @classmethod
    def oauth(
        cls,
        client: Client | AsyncClient,
        store: Store,
        client_id: str,
        client_secret: TokenLike,
        *,
        executor: concurrent.futures.Executor | None = None,
        **options: Any,
    ) -> AsyncRotator:
        """:meth:`Rotator.oauth <xoxe.Rotator.oauth>`, awaitable."""
        rotator = Rotator.oauth(_sync_client(client), store, client_id, client_secret, **options)
        return cls(rotator, executor=executor)

    @property
    def sync(self) -> Rotator:
        """The :class:`~xoxe.Rotator` this wraps."""
        return self._rotator

    async def get(self) -> AccessToken:
        """:meth:`Rotator.get <xoxe.Rotator.get>`: a valid token — from memory, on the
        loop, when fresh; otherwise rotated (or read) on the thread pool."""
        token = self._rotator.try_get()
        if token is not None:
            return token
        return await self._run.shared("get", self._rotator.get)

    async def force_rotate(self) -> AccessToken:
        """:meth:`Rotator.force_rotate <xoxe.Rotator.force_rotate>`, on the thread pool."""
        return await self._run.shared("force_rotate", self._rotator.force_rotate)

    async def current(self) -> AccessToken:
        """:meth:`Rotator.current <xoxe.Rotator.current>` (it may read the store), on
        the thread pool."""
        return await self._run.run(self._rotator.current)

    def close(self) -> None:
        """:meth:`Rotator.close <xoxe.Rotator.close>` (it does not block)."""
        self._rotator.close()

    async def __aenter__(self) -> AsyncRotator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<xoxe.aio.AsyncRotator {self._rotator!r}>"


class AsyncPool:
    """An awaitable :class:`~xoxe.Pool`. ``AsyncPool(pool)`` wraps an existing one
    (synchronous code may keep using it: single flight per chain is shared), or
    ``AsyncPool.new(client, store, …)`` makes one with :class:`~xoxe.Pool`'s
    arguments.

    :meth:`get` returns a fresh token of a chain in memory without leaving the event
    loop; otherwise the tasks of one loop asking for that chain share one hop to the
    thread pool. Cancelling a task never cancels what it started: a rotation or an
    install in flight completes and is saved.
    """

    def __init__(self, pool: Pool, *, executor: concurrent.futures.Executor | None = None) -> None:
        if not isinstance(pool, Pool):
            raise TypeError(f"pool must be an xoxe.Pool, not {type(pool).__name__}")
        self._pool = pool
        self._run = _Offloader(executor)

    @classmethod
    def new(
        cls,
        client: Client | AsyncClient,
        store: Store,
        client_id: str | None = None,
        client_secret: TokenLike | None = None,
        *,
        executor: concurrent.futures.Executor | None = None,
        **options: Any,
    ) -> AsyncPool:
        """A new :class:`~xoxe.Pool` (the same arguments), awaitable."""
        return cls(Pool(_sync_client(client), store, client_id, client_secret, **options), executor=executor)

    @property
    def sync(self) -> Pool:
        """The :class:`~xoxe.Pool` this wraps."""
        return self._pool

    async def get(self, chain: str) -> AccessToken:
        """:meth:`Pool.get <xoxe.Pool.get>`: a valid token of chain ``chain`` — from
        memory, on the loop, when fresh; otherwise on the thread pool."""
        token = self._pool.try_get(chain)
        if token is not None:
            return token
        return await self._run.shared(("get", chain), functools.partial(self._pool.get, chain))

    async def install(self, install: Install) -> list[str]:
        """:meth:`Pool.install <xoxe.Pool.install>`, on the thread pool."""
        return await self._run.run(functools.partial(self._pool.install, install))

    async def install_code(self, code: TokenLike, redirect_uri: str | None = None) -> Install:
        """:meth:`Pool.install_code <xoxe.Pool.install_code>`, on the thread pool."""
        return await self._run.run(functools.partial(self._pool.install_code, code, redirect_uri))

    async def install_json(self, raw: str | bytes) -> list[str]:
        """:meth:`Pool.install_json <xoxe.Pool.install_json>`, on the thread pool."""
        return await self._run.run(functools.partial(self._pool.install_json, raw))

    async def remove(self, chain: str) -> bool:
        """:meth:`Pool.remove <xoxe.Pool.remove>`, on the thread pool."""
        return await self._run.run(functools.partial(self._pool.remove, chain))

    async def uninstall(self, chain: str) -> bool:
        """:meth:`Pool.uninstall <xoxe.Pool.uninstall>`, on the thread pool."""
        return await self._run.run(functools.partial(self._pool.uninstall, chain))

    async def mark_revoked(self, chain: str, slack_code: str) -> None:
        """:meth:`Pool.mark_revoked <xoxe.Pool.mark_revoked>`, on the thread pool."""
        await self._run.run(functools.partial(self._pool.mark_revoked, chain, slack_code))

    async def stats(self) -> PoolStats:
        """:meth:`Pool.stats <xoxe.Pool.stats>` (counters in memory: no hop)."""
        return self._pool.stats()

    async def aclose(self) -> None:
        """:meth:`Pool.close <xoxe.Pool.close>`, on the thread pool (it waits for the
        background refresher's rotation in progress)."""
        await self._run.run(self._pool.close)

    def close(self) -> None:
        """:meth:`Pool.close <xoxe.Pool.close>`, blocking (see :meth:`aclose`)."""
        self._pool.close()

    async def __aenter__(self) -> AsyncPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<xoxe.aio.AsyncPool {self._pool!r}>"
