"""The protocols a host's storage implements for :class:`ForeignStore` and
:class:`ForeignChainsStore` (``typing.Protocol``, checkable with ``isinstance``).

Their own module, loaded on first use (``xoxe.StoreBackend``…), so that ``import xoxe``
does not import :mod:`typing`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["ChainBackend", "LockingStoreBackend", "StoreBackend"]


@runtime_checkable
class StoreBackend(Protocol):
    """What :class:`ForeignStore` needs from your storage (a database row, a secrets
    manager…). It keeps one JSON *document* and its generation number.

    The document holds the refresh token and the access token in clear: it is a
    secret. Keep it where only this app can read it, and never log it.

    Methods may be called from any thread using a rotator on the store, and from
    several threads at once (two rotators sharing it, or ``current()`` on several
    threads — even with ``lock()``): make them thread-safe.
    """

    def load(self) -> str | None:
        """The stored document, or ``None`` when nothing is stored yet."""

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        """Compare-and-swap: store ``document`` with generation ``new_generation`` if the
        stored generation is ``expected_generation`` (``None``: only if nothing is
        stored). Return ``True`` when stored — durably, before returning — and
        ``False`` on a conflict (something else is stored)."""


@runtime_checkable
class LockingStoreBackend(StoreBackend, Protocol):
    """A :class:`StoreBackend` that can also hold an exclusive lock spanning every
    process that uses the chain (e.g. a database advisory lock). With a lock, two
    processes never rotate the same refresh token. Without one, compare-and-swap still
    keeps the chain intact at the cost of a rare wasted rotation."""

    def lock(self) -> bool | None:
        """Take the lock (block until held). Return ``None``/``True`` when held;
        return ``False`` or raise when it cannot be taken (e.g. timed out)."""

    def unlock(self) -> None:
        """Release the lock taken by :meth:`lock` (called on the same thread)."""


@runtime_checkable
class ChainBackend(Protocol):
    """What :class:`ForeignChainsStore` needs from storage that keeps many chains (a
    table with a row per chain, a secrets manager with a secret per chain…).

    :meth:`open` hands out one chain's :class:`StoreBackend`. Two methods are optional,
    and without them the library answers :class:`UnsupportedError` for what needs
    them:

    - ``list() -> Iterable[str]``: the name of every chain kept (for
      :meth:`Store.chains` and :meth:`Store.rewrite_chains`);
    - ``remove(chain: str) -> bool``: delete chain ``chain`` and every secret of it,
      returning whether there was one to delete (for :meth:`Store.remove_chain` and
      :meth:`Pool.remove`).

    Every method may be called from any thread, and from several at once: make them
    thread-safe.
    """

    def open(self, chain: str) -> StoreBackend:
        """The backend of chain ``chain`` (a valid chain name; it need not exist yet):
        an object as :class:`ForeignStore` takes, with ``load()`` and ``save()`` and
        optionally ``lock()``/``unlock()``. The library holds it until it no longer
        uses that chain, then lets go of it; the same chain may be opened again
        later."""
