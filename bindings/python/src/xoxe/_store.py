"""The token stores a :class:`Rotator` keeps its chain in (owned ``xoxe_store*``), and the
C callbacks that connect a Python backend to a foreign store."""

from __future__ import annotations

import ctypes
import itertools
import math
import os

from . import _ffi, _status
from ._client import _cstr, _opt_cstr, _opt_time, _path
from ._ffi import lib
from ._managed import Managed, call, error_for, opt_text, slot

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import datetime
    from dataclasses import dataclass
    from typing import Any, TypeVar

    from ._client import TokenLike
    from ._errors import XoxeError
    from ._kinds import ChainKind
    from ._protocols import ChainBackend, StoreBackend

    S = TypeVar("S", bound="Store")
else:  # the same, without importing dataclasses
    from ._frozen import dataclass

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


# ChainKind's values (it is a str enum: its members are these strings) and numbers.
_KIND_NUMBERS = {"config": _status.CHAIN_KIND_CONFIG, "oauth": _status.CHAIN_KIND_OAUTH}
_KINDS = {number: kind for kind, number in _KIND_NUMBERS.items()}


class Keyring(Managed):
    """Keys that seal stored documents at rest with AES-256-GCM (``xoxe_keyring``): the
    first key seals, every key opens, so a key is rotated by putting a new one first
    and keeping the old one until every chain has been saved again
    (:meth:`Store.rewrite_chains`). Give it to a store with :meth:`Store.sealed`.

    Make one with :meth:`from_file` or :meth:`from_env`. The key bytes stay in the
    library (zeroed when freed); ``repr`` shows only where they came from, and no error
    message ever holds key material. Stores sealed with a keyring keep their own
    reference to it: closing the keyring does not unseal them.
    """

    #: Where the keys were read from (``file '…'`` or ``environment variable '…'``).
    source: str = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("read a keyring with Keyring.from_file(path) or Keyring.from_env(name)")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Keyring:
        """Reads a keyring file (``xoxe_keyring_from_file``): one key per line,
        ``KEY_ID BASE64`` (32 bytes once decoded; ids of 1 to 64 characters
        ``A-Za-z0-9._-``), blank lines and ``#`` comments ignored, the first key
        sealing. ``xoxe seal-key new ID`` prints a fresh line.

        Raises:
            StorePermissionsError: the file is readable by group or others (``chmod 600``).
            FileUnreadableError: it does not exist or cannot be read.
            UsageError: a line is malformed (the message names the line, never the key).
        """
        p = _path(path, "path")
        self = cls._made_by(lib.xoxe_keyring_from_file, p)
        self.source = f"file {os.fspath(path)!r}"
        return self

    @classmethod
    def from_env(cls, name: str) -> Keyring:
        """Reads a keyring from the environment variable ``name``
        (``xoxe_keyring_from_env``): the file's format, lines separated by newlines or
        ``;``. The variable stays in the environment (child processes inherit it):
        remove it once read if they should not.

        Raises:
            UsageError: the variable is missing or empty (the message names it), or a
                line is malformed.
        """
        n = _cstr(name, "name")
        self = cls._made_by(lib.xoxe_keyring_from_env, n)
        self.source = f"environment variable {name!r}"
        return self

    def __repr__(self) -> str:
        return f"<xoxe.Keyring from {self.source}{' closed' if self.closed else ''}>"


@dataclass(frozen=True)
class ChainStatus:
    """One chain as its store holds it (:meth:`Store.chains`; ``xoxe_chain_info``). No
    secret: the tokens are not read out."""

    chain: str
    """The chain's name."""
    kind: ChainKind | None
    """How it is renewed; ``None`` when it could not be read (see :attr:`error`)."""
    generation: int
    """The stored generation (each save adds one); 0 when it could not be read."""
    expires_at: int
    """When the access token expires, Unix seconds (0: unknown)."""
    rotated_at: int
    """When the chain was last rotated, Unix seconds (0: not since it was stored)."""
    rotated_by: str | None = None
    """Who rotated it last (``host/pid``)."""
    revoked: str | None = None
    """Slack's code if the chain was revoked (``token_revoked``, …), else ``None``."""
    team_id: str | None = None
    """Workspace id, when known."""
    user_id: str | None = None
    """User (or bot user) id, when known."""
    error: XoxeError | None = None
    """Why the chain could not be read (e.g. :class:`StoreSealedError` from a store
    without its key), or ``None``; the other fields are then zero."""

    @classmethod
    def _from_info(cls, info: Any) -> ChainStatus:
        from ._kinds import ChainKind

        error = None if info.status == 0 else error_for(info.status, opt_text(info.error_message) or "")
        kind = None if error is not None else _KINDS.get(info.kind)
        return cls(
            chain=opt_text(info.chain) or "",
            kind=None if kind is None else ChainKind(kind),
            generation=info.generation,
            expires_at=info.expires_at,
            rotated_at=info.rotated_at,
            rotated_by=opt_text(info.rotated_by),
            revoked=opt_text(info.revoked),
            team_id=opt_text(info.team_id),
            user_id=opt_text(info.user_id),
            error=error,
        )


class Store(Managed):
    """Where a rotator keeps its chain. Thread-safe; one store may serve several
    rotators. Closing a store does not stop rotators using it (they hold their own
    reference in the library). Use :class:`MemoryStore`, :class:`FileStore`,
    :class:`DirectoryStore`, :class:`PostgresStore`, :class:`RedisStore` or
    :class:`ForeignStore`.

    A directory, database or memory store keeps many chains: :meth:`open_chain` reaches
    the others, :meth:`chains` lists them, and a :class:`Pool` serves them all."""

    #: The keyring this handle seals documents with (:meth:`sealed`), or ``None``.
    keyring: Keyring | None = None

    def __init__(self) -> None:  # pragma: no cover - abstract
        raise TypeError(
            "use MemoryStore(), FileStore(path), DirectoryStore(path), PostgresStore(url), RedisStore(url) "
            "or ForeignStore(backend)"
        )

    def _derived(self: S, fn: Any, *args: Any, **attributes: Any) -> S:
        """A new handle of this class made by ``fn(store, *args, out, error_out)``,
        with this one's attributes (path, name, backend…) updated by ``attributes``."""
        h = self._handle()
        new = type(self).__new__(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_h"})
        new.__dict__.update(attributes)
        new._make(fn, h.ptr, *args)
        return new

    def open_chain(self: S, name: str) -> S:
        """Chain ``name`` kept in the same place as this store — the same directory,
        database connection or memory, sealed the same way — as a new store of this
        class (``xoxe_store_open_chain``). The chain need not exist yet:
        :meth:`init` starts it.

        Raises:
            UsageError: a bad name (empty, longer than :data:`MAX_CHAIN_NAME_LEN` bytes,
                a character outside ``A-Za-z0-9._-:@``, a leading ``.``).
            UnsupportedError: a single-file store (:class:`FileStore`) keeps one chain.
        """
        return self._derived(lib.xoxe_store_open_chain, _cstr(name, "name"), chain=name)

    def remove_chain(self) -> bool:
        """Deletes this store's chain — its pair, in-flight marker, lease and orphans,
        so none of its secrets remain in the store (``xoxe_store_remove_chain``).
        Rotators of the chain then raise :class:`StoreEmptyError`. Returns whether a
        pair was stored."""
        removed = ctypes.c_bool(False)
        self._call(lib.xoxe_store_remove_chain, ctypes.byref(removed))
        return bool(removed.value)

    def chains(self) -> list[ChainStatus]:
        """Every chain kept where this store is (its directory, database or memory),
        sorted by name, each with its state or the error reading it gave
        (``xoxe_store_chains``). No secret is read out."""
        h = self._handle()
        out = _ffi.ChainListP()
        call(lib.xoxe_store_chains, h.ptr, ctypes.byref(out))
        with Managed._adopt(out) as chain_list:
            ptr = chain_list._handle().ptr
            count = int(lib.xoxe_chain_list_len(ptr))
            return [ChainStatus._from_info(lib.xoxe_chain_list_get(ptr, i).contents) for i in range(count)]

    def sealed(self: S, keyring: Keyring) -> S:
        """A new handle to this store whose documents are sealed at rest with
        AES-256-GCM under ``keyring``'s first key (``xoxe_store_sealed``). Documents
        sealed under any of its keys, and plain ones, are read, so a plain store keeps
        working and each chain is sealed by its next save (:meth:`rewrite_chains`
        seals them all now). Chains opened from the new handle are sealed too; this
        handle stays as it was.

        A document sealed under a key the keyring lacks, or tampered with, raises
        :class:`StoreSealedError` naming the key id, and nothing is overwritten.

        A :class:`ForeignStore`'s backend then receives sealed documents.

        Raises:
            UnsupportedError: a :class:`MemoryStore`.
        """
        if not isinstance(keyring, Keyring):
            raise TypeError(f"keyring must be an xoxe.Keyring, not {type(keyring).__name__}")
        k = keyring._handle()
        return self._derived(lib.xoxe_store_sealed, k.ptr, keyring=keyring)

    def rewrite_chains(self) -> int:
        """Rewrites every chain kept where this store is through this handle
        (``xoxe_store_rewrite_chains``): sealed under the keyring's first key after
        :meth:`sealed` (seal a plain store, or move every chain to a new key), plain
        through a plain handle, with the pairs parked beside it. Each chain is
        rewritten holding its lease, at the same generation, so a concurrent
        rotation is waited for and never undone. A chain that cannot be read (e.g.
        :class:`StoreSealedError`) stops the run, left as it was. Returns how many
        chains were rewritten."""
        rewritten = ctypes.c_size_t(0)
        self._call(lib.xoxe_store_rewrite_chains, ctypes.byref(rewritten))
        return int(rewritten.value)

    def init(
        self,
        refresh_token: TokenLike,
        *,
        kind: ChainKind | str = "config",
        access_token: TokenLike | None = None,
        expires_at: int | datetime.datetime = 0,
        overwrite: bool = False,
    ) -> None:
        """Starts a chain in this store (``xoxe_store_init``).

        Args:
            refresh_token: the chain's current refresh token (``xoxe-1-…``).
            kind: ``"config"`` (``tooling.tokens.rotate``) or ``"oauth"`` (bot/user
                tokens, ``oauth.v2.access`` refresh grant), or a :class:`ChainKind`.
            access_token: the access token in use, if known.
            expires_at: its expiry (Unix seconds, or an aware ``datetime``); ``0`` =
                unknown: the first :meth:`Rotator.get` rotates.
            overwrite: replace a chain the store already holds (otherwise that raises
                :class:`StoreConflictError`).
        """
        rt = _cstr(refresh_token, "refresh_token", secret=True)
        at = _opt_cstr(access_token, "access_token", secret=True)
        from ._kinds import ChainKind

        try:
            kind_n = _KIND_NUMBERS[ChainKind(kind)]
        except ValueError:
            raise ValueError(f"kind must be 'config' or 'oauth', not {kind!r}") from None
        if not isinstance(expires_at, int):
            import datetime

            if isinstance(expires_at, datetime.datetime):
                if expires_at.tzinfo is None:
                    raise ValueError("expires_at must be an aware datetime (with a tzinfo) or Unix seconds")
                expires_at = math.floor(expires_at.timestamp())
        if isinstance(expires_at, bool) or not isinstance(expires_at, int):
            raise TypeError(f"expires_at must be an int (Unix seconds) or a datetime, not {type(expires_at).__name__}")
        if not _I64_MIN <= expires_at <= _I64_MAX:
            raise ValueError("expires_at is out of range")
        if not isinstance(overwrite, bool):
            raise TypeError(f"overwrite must be a bool, not {type(overwrite).__name__}")
        self._call(lib.xoxe_store_init, kind_n, rt, at, expires_at, overwrite)

    def __repr__(self) -> str:
        label = getattr(self, "path", getattr(self, "name", None))  # FileStore, DirectoryStore, ForeignStore
        shown = "" if label is None else f" {label!r}"
        chain = getattr(self, "chain", None)  # the fleet stores: never their URL (it holds a password)
        if chain is not None:
            shown += f" chain={chain!r}"
        if self.keyring is not None:
            shown += " sealed"
        return f"<xoxe.{type(self).__name__}{shown}{' closed' if self.closed else ''}>"


class MemoryStore(Store):
    """A store in memory: lost when it (and every rotator using it) is gone. For tests
    and short-lived tools."""

    def __init__(self) -> None:
        self._make(lib.xoxe_store_memory_new)


class FileStore(Store):
    """A store in a JSON file at ``path`` (its directory must exist and be private:
    not writable by group or others unless sticky; :meth:`init` creates the file). The
    path is resolved once, so a symlinked name shares the real file and its lock. The
    library writes it atomically (temp file, fsync, rename, fsync of the directory) with
    mode 0600, sets the temp file and its space aside before a refresh token is spent,
    refuses a file that is not this user's private regular file, and serialises
    rotations across processes with an exclusive ``flock`` on ``<path>.lock``.

    Args:
        path: the store file.
        lock_timeout: seconds to wait for another process's rotation lock (``None``:
            the library's default).
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        p = _path(path, "path")
        ms = _opt_time(lock_timeout, "lock_timeout")
        self.path: str = os.fspath(path)
        self._make(lib.xoxe_store_file_new, p, ms)


class DirectoryStore(Store):
    """Many chains in a directory, one JSON file each: ``path/CHAIN.json`` with its own
    lock ``path/CHAIN.json.lock``; otherwise as :class:`FileStore` (atomic writes,
    private files, the directory must exist and be private). This object is chain
    ``chain``; :meth:`open_chain` reaches the others, and a :class:`Pool` serves them
    all (``xoxe_store_dir_new``).

    Args:
        path: the directory.
        chain: this object's chain (``None``: the library's default chain), named as
            for :meth:`open_chain`.
        lock_timeout: seconds to wait for another process's rotation lock (``None``:
            the library's default).
    """

    def __init__(
        self, path: str | os.PathLike[str], chain: str | None = None, *, lock_timeout: float | None = None
    ) -> None:
        p = _path(path, "path")
        chain_b = _opt_cstr(chain, "chain")
        ms = _opt_time(lock_timeout, "lock_timeout")
        self.path: str = os.fspath(path)
        #: The chain's name (``None``: the library's default chain).
        self.chain: str | None = chain
        self._make(lib.xoxe_store_dir_new, p, chain_b, ms)


class _FleetStore(Store):
    """A chain in a database shared by every process and machine that uses it (one
    chain per store object; the class says which database)."""

    _new: str  # the library's constructor: xoxe_store_<kind>_new(url, chain, out, error_out)

    def __init__(self, url: TokenLike, chain: str = "default") -> None:
        url_b = _cstr(url, "url", secret=True)
        chain_b = _cstr(chain, "chain")
        #: The chain's name (not a secret). The URL is not kept: it may hold a password.
        self.chain: str = chain
        self._make(getattr(lib, self._new), url_b, chain_b)


class PostgresStore(_FleetStore):
    """A chain kept in a PostgreSQL database, shared by every process and machine that
    uses the same database and chain name (a fleet of replicas).

    The library connects when the store is made (it creates its tables if missing:
    ``xoxe_schema``, ``xoxe_chain``, ``xoxe_orphan``) and reconnects when the connection
    breaks. Every save is a compare-and-swap on the chain's generation; rotations are
    serialised across the fleet by a lease timed by the database's clock, with a durable
    in-flight marker while a refresh token is at Slack. No connection or transaction is
    held while Slack is called.

    Args:
        url: ``postgresql://user:password@host:port/database`` (or ``postgres://``), with
            libpq's ``sslmode=disable|prefer|require`` and ``sslrootcert=PATH`` (PEM
            certificates trusted besides the built-in roots). It holds a password: pass a
            ``str`` or a :class:`Secret`; it is not kept on this object, and messages
            show it with the password replaced by ``***``.
        chain: the chain's name in the database: 1 to 200 letters, digits and
            ``. _ - : @`` (anything else raises :class:`UsageError`). Every replica
            sharing a token uses the same name; each token chain has its own.

    Raises:
        StoreIoError: the database could not be reached or refused the login.
        UnsupportedError: the loaded library was built without the ``postgres`` feature.
    """

    _new = "xoxe_store_postgres_new"


class RedisStore(_FleetStore):
    """A chain kept in Redis, shared by every process and machine that uses the same
    server and chain name (a fleet of replicas). As :class:`PostgresStore`, on Redis:
    one chain's keys (``xoxe:{CHAIN}:…``) share one Cluster hash slot. The server must be
    a single primary with ``appendonly yes`` and ``appendfsync always`` (the library
    logs a warning otherwise: a save must be durable before a token is handed out).

    Args:
        url: ``redis://[user]:password@host:port/db``, ``rediss://…`` (TLS, with
            ``sslrootcert=PATH``) or ``redis+unix:///path/to/socket?pass=password``. It
            holds a password: pass a ``str`` or a :class:`Secret`; it is not kept on this
            object, and messages show it with the password replaced by ``***``.
        chain: the chain's name, as for :class:`PostgresStore`.

    Raises:
        StoreIoError: the server could not be reached or refused the password.
        UnsupportedError: the loaded library was built without the ``redis`` feature.
    """

    _new = "xoxe_store_redis_new"


# ---- the foreign store's C callbacks ------------------------------------------------


# Backends by the key passed to C as user_data. An entry lives from
# xoxe_store_foreign_new until the library's `release` callback, i.e. as long as the
# store handle or any rotator using it exists. Plain dict operations (atomic under the
# GIL), so `release` may run inside a __del__.
_BACKENDS: dict[int, Any] = {}
_keys = itertools.count(1)


def _callback(fn: Any) -> Any:
    """A C callback that never lets an exception into C: it becomes -1, and is kept in
    the calling thread's error slot to become the failed call's ``__cause__``."""

    def wrapper(user_data: int | None, *args: Any) -> int:
        try:
            return int(fn(_BACKENDS[user_data or 0], *args))
        except BaseException as exc:
            try:
                slot().cause = exc
            except BaseException:  # interpreter shutdown: the status still says "failed"
                pass
            return -1

    return wrapper


@_callback
def _load(backend: Any, value: Any) -> int:
    doc = backend.load()
    if doc is not None:
        if isinstance(doc, str):
            doc = doc.encode("utf-8")
        if not isinstance(doc, (bytes, bytearray)):
            raise TypeError(f"load() must return a str or None, not {type(doc).__name__}")
        if b"\0" in doc:
            raise ValueError("load() returned a document containing a NUL character")
        lib.xoxe_store_value_set(value, bytes(doc))
    return 0


@_callback
def _save(backend: Any, present: bool, expected: int, new: int, document: bytes | None) -> int:
    stored = backend.save(expected if present else None, new, (document or b"").decode("utf-8"))
    if not isinstance(stored, bool):
        raise TypeError(f"save() must return True (stored) or False (conflict), not {type(stored).__name__}")
    return 0 if stored else 1


@_callback
def _lock(backend: Any) -> int:
    held = backend.lock()
    if held is not None and not isinstance(held, bool):
        raise TypeError(f"lock() must return None, True or False, not {type(held).__name__}")
    return -1 if held is False else 0


def _unlock(user_data: int | None) -> None:
    try:
        _BACKENDS[user_data or 0].unlock()
    except BaseException as exc:
        # Nothing can report it (the C callback returns nothing); the text is the backend's.
        try:
            import logging

            logging.getLogger("xoxe").error(
                "xoxe: a ForeignStore backend's unlock() raised %s", type(exc).__name__, exc_info=exc
            )
        except BaseException:
            pass


def _release(user_data: int | None) -> None:
    try:
        _BACKENDS.pop(user_data or 0, None)
    except BaseException:  # interpreter shutdown
        pass


# Module-level thunks live as long as the module, so the library never calls a freed one.
# At interpreter exit module globals are cleared before the last stores are freed (and
# freeing a foreign store calls `release`): keep them alive for good (five small objects).
_THUNKS = {
    "load": _ffi.StoreLoadFn(_load),
    "save": _ffi.StoreSaveFn(_save),
    "lock": _ffi.StoreLockFn(_lock),
    "unlock": _ffi.StoreUnlockFn(_unlock),
    "release": _ffi.StoreReleaseFn(_release),
}
try:
    for _thunk in _THUNKS.values():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(_thunk))
except AttributeError:  # no ctypes.pythonapi (not CPython)
    pass


class ForeignStore(Store):
    """A store kept by your own code: any object with ``load()`` and ``save()`` (see
    :class:`StoreBackend`), and optionally ``lock()``/``unlock()``
    (:class:`LockingStoreBackend`).

    The library calls the backend from whichever thread runs a rotator, for as long as
    this store or any rotator using it is open; then it lets go of the backend. An
    exception raised by a backend method fails that call with a :class:`StoreError`
    (:class:`StoreIoError`; :class:`LockTimeoutError` for ``lock``) whose
    ``__cause__`` is your exception; it never crosses into the library.

    The document the backend stores holds both tokens in clear: it is a secret.

    Args:
        backend: the object that stores the document.
        name: how error messages name this store (default: the backend's class name).
            Not a secret: do not put a token or password in it.
    """

    def __init__(self, backend: StoreBackend, *, name: str | None = None) -> None:
        load, save, lock, unlock = (getattr(backend, m, None) for m in ("load", "save", "lock", "unlock"))
        if not callable(load) or not callable(save):
            raise TypeError("a ForeignStore backend needs load() and save() methods")
        if (lock is None) != (unlock is None):
            raise TypeError("a ForeignStore backend has lock() and unlock(), or neither")
        if lock is not None and not (callable(lock) and callable(unlock)):
            raise TypeError("a ForeignStore backend's lock and unlock must be methods")
        self.name: str = type(backend).__name__ if name is None else name
        name_b = _cstr(self.name, "name")
        self._backend = backend
        key = next(_keys)
        thunks = {k: v for k, v in _THUNKS.items() if lock is not None or k not in ("lock", "unlock")}
        callbacks = _ffi.xoxe_store_callbacks(user_data=key, **thunks)
        _BACKENDS[key] = backend
        try:
            self._make(lib.xoxe_store_foreign_new, ctypes.byref(callbacks), name_b)
        except BaseException:
            del _BACKENDS[key]  # no store was made, so `release` never runs
            raise

    @property
    def backend(self) -> StoreBackend:
        """The backend object."""
        return self._backend


# ---- a host keeping many chains: its C callbacks -------------------------------------


def _store_thunks(backend: object, what: str) -> dict[str, Any]:
    """The callbacks of ``xoxe_store_callbacks`` ``backend`` gets (lock and unlock only
    when it has both); ``TypeError`` naming ``what`` if it lacks ``load``/``save``."""
    load, save, lock, unlock = (getattr(backend, m, None) for m in ("load", "save", "lock", "unlock"))
    if not callable(load) or not callable(save):
        raise TypeError(f"{what} needs load() and save() methods, and {type(backend).__name__} lacks them")
    if (lock is None) != (unlock is None):
        raise TypeError(f"{what} has lock() and unlock(), or neither")
    if lock is not None and not (callable(lock) and callable(unlock)):
        raise TypeError(f"{what}'s lock and unlock must be methods")
    return {k: v for k, v in _THUNKS.items() if lock is not None or k not in ("lock", "unlock")}


@_callback
def _open(backend: Any, chain: bytes | None, callbacks: Any) -> int:
    opened = backend.open((chain or b"").decode("utf-8"))
    thunks = _store_thunks(opened, "the object a ForeignChainsStore backend's open() returns")
    key = next(_keys)
    callbacks[0] = _ffi.xoxe_store_callbacks(user_data=key, **thunks)
    # Last, so that a failure above leaves nothing registered: the library calls this
    # chain's `release` (which forgets it) only once `open` has returned 0.
    _BACKENDS[key] = opened
    return 0


@_callback
def _list(backend: Any, names: Any) -> int:
    listed = backend.list()
    if isinstance(listed, (str, bytes)):
        raise TypeError("list() must return an iterable of chain names, not a single string")
    for chain in listed:
        if not isinstance(chain, str):
            raise TypeError(f"list() must give chain names as str, not {type(chain).__name__}")
        name = chain.encode("utf-8")
        if b"\0" in name:
            raise ValueError("list() gave a chain name containing a NUL character")
        lib.xoxe_chain_names_add(names, name)
    return 0


@_callback
def _remove(backend: Any, chain: bytes | None) -> int:
    removed = backend.remove((chain or b"").decode("utf-8"))
    if not isinstance(removed, bool):
        raise TypeError(f"remove() must return True (removed) or False (nothing there), not {type(removed).__name__}")
    return 0 if removed else 1


# As _THUNKS: module-level and never freed. The host's `release` is _THUNKS["release"].
_CHAIN_THUNKS = {
    "open": _ffi.ChainOpenFn(_open),
    "list": _ffi.ChainListFn(_list),
    "remove": _ffi.ChainRemoveFn(_remove),
}
try:
    for _thunk in _CHAIN_THUNKS.values():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(_thunk))
except AttributeError:  # no ctypes.pythonapi (not CPython)
    pass


class ForeignChainsStore(Store):
    """A store kept by your own code that keeps many chains (``xoxe_store_foreign_chains_new``):
    ``backend`` has ``open(chain)``, which returns that chain's backend (what
    :class:`ForeignStore` takes), and optionally ``list()`` and ``remove(chain)`` (see
    :class:`ChainBackend`). This object is chain ``chain``; :meth:`open_chain` reaches
    the others, :meth:`chains` lists them, and a :class:`Pool` serves them all.

    The library calls ``open`` whenever it needs a chain — here, for :meth:`open_chain`,
    and from a pool, again after it let go of a chain it no longer held in memory —
    and keeps the object ``open`` returned until it no longer uses that chain. It lets
    go of ``backend`` once this store and every chain, rotator and pool made from it
    are gone. An exception raised by any of these methods fails that call with a
    :class:`StoreError` (:class:`StoreIoError`; :class:`LockTimeoutError` for
    ``lock``) whose ``__cause__`` is your exception; it never crosses into the library.

    The documents the chains' backends store hold both tokens in clear (sealed ones
    after :meth:`sealed`): they are secrets.

    Args:
        backend: the object that keeps the chains.
        chain: this object's chain (``None``: the library's default chain), named as
            for :meth:`open_chain`.
        name: how error messages name this store (default: the backend's class name).
            Not a secret: do not put a token or password in it.

    Raises:
        StoreIoError: ``backend.open(chain)`` raised (its exception is the ``__cause__``)
            or returned an object without ``load()`` and ``save()``.
        UsageError: a bad chain name.
    """

    def __init__(self, backend: ChainBackend, chain: str | None = None, *, name: str | None = None) -> None:
        methods = {m: getattr(backend, m, None) for m in ("open", "list", "remove")}
        if not callable(methods["open"]):
            raise TypeError("a ForeignChainsStore backend needs an open(chain) method")
        for m in ("list", "remove"):
            if methods[m] is not None and not callable(methods[m]):
                raise TypeError(f"a ForeignChainsStore backend's {m} must be a method (or absent)")
        self.name: str = type(backend).__name__ if name is None else name
        name_b = _cstr(self.name, "name")
        chain_b = _opt_cstr(chain, "chain")
        #: The chain's name (``None``: the library's default chain).
        self.chain: str | None = chain
        self._backend = backend
        key = next(_keys)
        thunks = {k: v for k, v in _CHAIN_THUNKS.items() if methods[k] is not None}
        callbacks = _ffi.xoxe_chain_callbacks(user_data=key, release=_THUNKS["release"], **thunks)
        _BACKENDS[key] = backend
        try:
            self._make(lib.xoxe_store_foreign_chains_new, ctypes.byref(callbacks), name_b, chain_b)
        except BaseException:
            del _BACKENDS[key]  # no store was made, so `release` never runs
            raise

    @property
    def backend(self) -> ChainBackend:
        """The backend object."""
        return self._backend


def __getattr__(name: str) -> Any:
    # The backend protocols need typing (Protocol), ChainKind enum: made on first use.
    if name in ("StoreBackend", "LockingStoreBackend", "ChainBackend"):
        from . import _protocols

        return getattr(_protocols, name)
    if name == "ChainKind":
        from ._kinds import ChainKind

        return ChainKind
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
