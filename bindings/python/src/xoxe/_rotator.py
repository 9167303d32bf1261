"""``Rotator`` and the token stores it keeps a chain in (thin owners of ``xoxe_rotator*``
and ``xoxe_store*``).

Every decision (when to rotate, single flight, locking, persisting before handing a
token out, re-reading the store before declaring a chain dead, never retrying an
unknown outcome) is made by the Rust core. This module converts arguments, wires a
Python object to the C callbacks of a foreign store, copies tokens out and frees.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime
import enum
import itertools
import logging
import math
import os
import threading
from typing import Any, Callable, Dict, Optional, Protocol, Tuple, TypeVar, Union, runtime_checkable

from . import _ffi
from ._client import Client, _cstr, _ms, _number, _opt_cstr
from ._errors import take_error
from ._ffi import lib
from ._secret import Secret

__all__ = [
    "AccessToken",
    "ChainKind",
    "Store",
    "MemoryStore",
    "FileStore",
    "ForeignStore",
    "StoreBackend",
    "LockingStoreBackend",
    "Rotator",
    "MAX_TOKEN_LEN",
]

#: Longest access token a rotator hands out (``XOXE_MAX_TOKEN_LEN``).
MAX_TOKEN_LEN = _ffi.MAX_TOKEN_LEN

_BUF_LEN = MAX_TOKEN_LEN + 1
_U32_MAX = 0xFFFFFFFF
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1

_log = logging.getLogger("xoxe")


# ---- results ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccessToken:
    """An access token handed out by a :class:`Rotator`.

    ``repr``/``str`` show the token redacted; ``token.get_secret_value()`` is the value.
    """

    token: Secret
    """The access token (``xoxe.xoxp-…`` for config chains, ``xoxe.xoxb-…``/``xoxe.xoxp-…``
    for oauth chains). Empty only from :meth:`Rotator.current` before the first rotation."""
    expires_at: int
    """When it expires: Unix seconds on this machine's clock (an ``int``, like
    ``ConfigToken.exp``; ``0`` = unknown, i.e. never rotated yet). For a ``datetime``:
    ``datetime.fromtimestamp(t.expires_at, timezone.utc)``."""


_new = object.__new__
_setattr = object.__setattr__


class ChainKind(str, enum.Enum):
    """Which Slack method renews a chain (``xoxe_chain_kind``). Plain strings work too."""

    CONFIG = "config"
    """An app configuration token, renewed with ``tooling.tokens.rotate``."""
    OAUTH = "oauth"
    """A bot or user token, renewed with ``oauth.v2.access`` (refresh grant)."""


_KIND_NUMBERS = {ChainKind.CONFIG: _ffi.CHAIN_KIND_CONFIG, ChainKind.OAUTH: _ffi.CHAIN_KIND_OAUTH}


# ---- per-thread scratch: the token buffer and the foreign callbacks' exception -----


class _Scratch:
    """One per thread: a reusable token buffer (wiped after every copy), the out-params,
    and the exception a foreign store's callback raised during the current call."""

    __slots__ = ("buf", "wipe", "expires", "expires_ref", "err", "err_ref", "callback_error", "last")

    def __init__(self) -> None:
        self.buf = ctypes.create_string_buffer(_BUF_LEN)
        # Wiping through a memoryview is a plain memset without a ctypes call (about
        # 0.1 us against 0.7 us for ctypes.memset, which matters on the hot path).
        self.wipe = memoryview(self.buf).cast("B")
        self.expires = ctypes.c_int64(0)
        self.expires_ref = ctypes.byref(self.expires)
        self.callback_error: Optional[BaseException] = None
        # The last token this thread was handed (raw bytes, expiry, AccessToken): a fresh
        # token is then returned without building new objects (frozen, so sharing is safe).
        self.last: Optional[Tuple[bytes, int, AccessToken]] = None
        self.new_err()

    def new_err(self) -> None:
        self.err = _ffi.ErrorP()
        self.err_ref = ctypes.byref(self.err)


_tls = threading.local()
_ZEROS = memoryview(bytes(_BUF_LEN))


def _scratch() -> _Scratch:
    try:
        return _tls.scratch  # type: ignore[no-any-return]
    except AttributeError:
        s = _tls.scratch = _Scratch()
        return s


def _fail(status: int, scratch: _Scratch) -> BaseException:
    """The exception for a failed call; a foreign callback's exception becomes its
    ``__cause__`` (``KeyboardInterrupt``/``SystemExit`` from a callback are re-raised
    as they are)."""
    err = scratch.err
    scratch.new_err()  # the handle is freed below; never reuse the pointer
    exc = take_error(status, err)
    cause, scratch.callback_error = scratch.callback_error, None
    if cause is not None:
        if not isinstance(cause, Exception):
            return cause
        exc.__cause__ = cause
    return exc


# ---- owned handles ----------------------------------------------------------------


class _Handle:
    """Owns one library pointer and frees it when the last reference goes. The Python
    object holds one reference and every call in flight holds another (a local
    variable), so ``close()`` only drops the object's reference: the pointer is freed
    at once when no call is in flight, else when the last one returns. No lock on the
    hot path: CPython's reference counting does the bookkeeping."""

    __slots__ = ("ptr", "addr", "free")

    def __init__(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self.ptr = ptr
        self.addr: int = ctypes.cast(ptr, ctypes.c_void_p).value or 0
        self.free = free

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr:
            try:
                self.free(ptr)
            except Exception:  # interpreter shutdown
                pass


class _Owned:
    """One library handle behind ``close()``, ``with`` and a ``__del__`` safety net."""

    _what = "object"
    _h: Optional[_Handle] = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def _handle(self) -> _Handle:
        h = self._h
        if h is None:
            raise ValueError(f"this xoxe.{self._what} is closed")
        return h

    def close(self) -> None:
        """Closes this object; idempotent. The library handle is freed now, or, if calls
        are in flight on other threads, as soon as the last of them returns."""
        self._h = None


def _call(body: Callable[[Any], int]) -> None:
    """Runs one status-returning call with the thread's error slot; raises on failure."""
    s = _scratch()
    s.callback_error = None
    status = body(s.err_ref)
    if status:
        raise _fail(status, s)


# ---- stores -----------------------------------------------------------------------


def _store_free(handle: Any) -> None:
    lib.xoxe_store_free(handle)


class Store(_Owned):
    """Where a rotator keeps its chain. Thread-safe; one store may serve several
    rotators. Closing a store does not stop rotators using it (they hold their own
    reference in the library). Use :class:`MemoryStore`, :class:`FileStore` or
    :class:`ForeignStore`."""

    _what = "Store"

    def __init__(self) -> None:  # pragma: no cover - abstract
        raise TypeError("use MemoryStore(), FileStore(path) or ForeignStore(backend)")

    def _adopt(self, make: Callable[[Any, Any], int]) -> None:
        handle = _ffi.StoreP()
        _call(lambda e: make(ctypes.byref(handle), e))
        self._h = _Handle(handle, _store_free)

    def init(
        self,
        refresh_token: Union[str, Secret],
        *,
        kind: Union[ChainKind, str] = ChainKind.CONFIG,
        access_token: Optional[Union[str, Secret]] = None,
        expires_at: Union[int, datetime.datetime] = 0,
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
        try:
            kind_n = _KIND_NUMBERS[ChainKind(kind)]
        except ValueError:
            raise ValueError(f"kind must be 'config' or 'oauth', not {kind!r}") from None
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

        h = self._handle()
        _call(lambda e: lib.xoxe_store_init(h.ptr, kind_n, rt, at, expires_at, overwrite, e))

    def __enter__(self: "S") -> "S":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        closed = " closed" if self.closed else ""
        return f"<xoxe.{type(self).__name__}{self._describe()}{closed}>"


S = TypeVar("S", bound=Store)


class MemoryStore(Store):
    """A store in memory: lost when it (and every rotator using it) is gone. For tests
    and short-lived tools."""

    _what = "MemoryStore"

    def __init__(self) -> None:
        self._adopt(lambda out, e: lib.xoxe_store_memory_new(out, e))


class FileStore(Store):
    """A store in a JSON file at ``path`` (its directory must exist; :meth:`init`
    creates the file). The library writes it atomically (temp file, fsync, rename, fsync
    of the directory) with mode 0600, refuses a file others may read, and serialises
    rotations across processes with an exclusive ``flock`` on ``<path>.lock``.

    Args:
        path: the store file.
        lock_timeout: seconds to wait for another process's rotation lock (``None``:
            the library's default, 120 s).
    """

    _what = "FileStore"

    def __init__(
        self, path: Union[str, "os.PathLike[str]"], *, lock_timeout: Optional[float] = None
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        fs = os.fspath(path)
        if not isinstance(fs, str):
            raise TypeError("path must be a text path, not bytes")
        p = _cstr(fs, "path")
        ms = 0 if lock_timeout is None else _ms(lock_timeout, "lock_timeout")
        self.path: str = fs
        self._adopt(lambda out, e: lib.xoxe_store_file_new(p, ms, out, e))

    def _describe(self) -> str:
        return f" {self.path!r}"


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

    def load(self) -> Optional[str]:
        """The stored document, or ``None`` when nothing is stored yet."""
        ...

    def save(self, expected_generation: Optional[int], new_generation: int, document: str) -> bool:
        """Compare-and-swap: store ``document`` with generation ``new_generation`` if the
        stored generation is ``expected_generation`` (``None``: only if nothing is
        stored). Return ``True`` when stored — durably, before returning — and
        ``False`` on a conflict (something else is stored)."""
        ...


@runtime_checkable
class LockingStoreBackend(StoreBackend, Protocol):
    """A :class:`StoreBackend` that can also hold an exclusive lock spanning every
    process that uses the chain (e.g. a database advisory lock). With a lock, two
    processes never rotate the same refresh token. Without one, compare-and-swap still
    keeps the chain intact at the cost of a rare wasted rotation."""

    def lock(self) -> Optional[bool]:
        """Take the lock (block until held). Return ``None``/``True`` when held;
        return ``False`` or raise when it cannot be taken (e.g. timed out)."""
        ...

    def unlock(self) -> None:
        """Release the lock taken by :meth:`lock` (called on the same thread)."""
        ...


class _Entry:
    __slots__ = ("backend", "load", "save", "lock", "unlock")

    def __init__(self, backend: Any, load: Any, save: Any, lock: Any, unlock: Any) -> None:
        self.backend = backend
        self.load = load
        self.save = save
        self.lock = lock
        self.unlock = unlock


# Backends by the key passed to C as user_data. An entry lives from
# xoxe_store_foreign_new until the library's `release` callback: i.e. as long as the
# store handle or any rotator using it exists, whatever Python frees first. Plain dict
# operations (atomic under the GIL), so `release` may run inside a __del__ safely.
_BACKENDS: Dict[int, _Entry] = {}
_keys = itertools.count(1)


def _remember(exc: BaseException) -> None:
    try:
        _scratch().callback_error = exc
    except BaseException:  # interpreter shutdown: the status code still says "failed"
        pass


# The five C callbacks are module-level objects that live as long as the module, so
# the library can never call a freed thunk. No exception ever leaves one: each becomes
# a negative return code, and is kept for the calling Python code to chain.


def _cb_load(user_data: Optional[int], value: Any) -> int:
    try:
        doc = _BACKENDS[user_data or 0].load()
        if doc is None:
            return 0
        if isinstance(doc, str):
            data = doc.encode("utf-8")
        elif isinstance(doc, (bytes, bytearray)):
            data = bytes(doc)
        else:
            raise TypeError(f"load() must return a str or None, not {type(doc).__name__}")
        if b"\0" in data:
            raise ValueError("load() returned a document containing a NUL character")
        lib.xoxe_store_value_set(value, data)
        return 0
    except BaseException as exc:
        _remember(exc)
        return -1


def _cb_save(
    user_data: Optional[int],
    expected_present: bool,
    expected_generation: int,
    new_generation: int,
    document: Optional[bytes],
) -> int:
    try:
        text = (document or b"").decode("utf-8")
        expected = int(expected_generation) if expected_present else None
        stored = _BACKENDS[user_data or 0].save(expected, int(new_generation), text)
        if stored is True:
            return 0
        if stored is False:
            return 1
        raise TypeError(
            f"save() must return True (stored) or False (conflict), not {type(stored).__name__}"
        )
    except BaseException as exc:
        _remember(exc)
        return -1


def _cb_lock(user_data: Optional[int]) -> int:
    try:
        held = _BACKENDS[user_data or 0].lock()
        if held is None or held is True:
            return 0
        if held is False:
            return -1
        raise TypeError(f"lock() must return None, True or False, not {type(held).__name__}")
    except BaseException as exc:
        _remember(exc)
        return -1


def _cb_unlock(user_data: Optional[int]) -> None:
    try:
        _BACKENDS[user_data or 0].unlock()
    except BaseException as exc:
        # Nothing can report it (the C callback returns nothing); a failing unlock
        # would otherwise go unnoticed. The text is the backend's own.
        try:
            _log.error("xoxe: a ForeignStore backend's unlock() raised %s", type(exc).__name__, exc_info=exc)
        except BaseException:
            pass


def _cb_release(user_data: Optional[int]) -> None:
    try:
        _BACKENDS.pop(user_data or 0, None)
    except BaseException:
        pass


_LOAD = _ffi.StoreLoadFn(_cb_load)
_SAVE = _ffi.StoreSaveFn(_cb_save)
_LOCK = _ffi.StoreLockFn(_cb_lock)
_UNLOCK = _ffi.StoreUnlockFn(_cb_unlock)
_RELEASE = _ffi.StoreReleaseFn(_cb_release)

# At interpreter exit, module globals are cleared before the last stores are freed (by
# __del__), and freeing a foreign store calls `release`. Keep the five thunks alive
# for good so that call can never land in freed memory (five small objects leaked).
try:
    for _thunk in (_LOAD, _SAVE, _LOCK, _UNLOCK, _RELEASE):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(_thunk))
    del _thunk
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

    _what = "ForeignStore"

    def __init__(self, backend: StoreBackend, *, name: Optional[str] = None) -> None:
        load = getattr(backend, "load", None)
        save = getattr(backend, "save", None)
        if not callable(load) or not callable(save):
            raise TypeError("a ForeignStore backend needs load() and save() methods")
        lock = getattr(backend, "lock", None)
        unlock = getattr(backend, "unlock", None)
        if (lock is None) != (unlock is None):
            raise TypeError("a ForeignStore backend has lock() and unlock(), or neither")
        if lock is not None and not (callable(lock) and callable(unlock)):
            raise TypeError("a ForeignStore backend's lock and unlock must be methods")
        label = type(backend).__name__ if name is None else name
        name_b = _cstr(label, "name")
        self.name: str = label
        self._backend = backend
        key = next(_keys)
        _BACKENDS[key] = _Entry(backend, load, save, lock, unlock)
        callbacks = _ffi.xoxe_store_callbacks(user_data=key, load=_LOAD, save=_SAVE, release=_RELEASE)
        if lock is not None:
            callbacks.lock = _LOCK
            callbacks.unlock = _UNLOCK
        try:
            self._adopt(lambda out, e: lib.xoxe_store_foreign_new(ctypes.byref(callbacks), name_b, out, e))
        except BaseException:
            _BACKENDS.pop(key, None)  # no store was made, so `release` never runs
            raise

    @property
    def backend(self) -> StoreBackend:
        """The backend object."""
        return self._backend  # type: ignore[no-any-return]

    def _describe(self) -> str:
        return f" {self.name!r}"


# ---- the rotator ------------------------------------------------------------------


def _secs(value: object, name: str) -> int:
    """Seconds (> 0) as whole seconds for a ``uint32_t`` (rounded up)."""
    v = _number(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be greater than zero seconds (None for the default)")
    s = math.ceil(v)
    if s > _U32_MAX:
        raise ValueError(f"{name} is too large (at most {_U32_MAX} seconds)")
    return int(s)


def _options(
    refresh_window: Optional[float],
    jitter: Optional[float],
    wait_timeout: Optional[float],
    call_timeout: Optional[float],
) -> Any:
    return _ffi.xoxe_rotator_options(
        refresh_window_secs=0 if refresh_window is None else _secs(refresh_window, "refresh_window"),
        jitter_secs=0 if jitter is None else _secs(jitter, "jitter"),
        wait_timeout_ms=0 if wait_timeout is None else _ms(wait_timeout, "wait_timeout"),
        call_timeout_ms=0 if call_timeout is None else _ms(call_timeout, "call_timeout"),
    )


def _rotator_free(handle: Any) -> None:
    lib.xoxe_rotator_free(handle)


def _hot(name: str) -> Any:
    """A second prototype of a token-copying function with pointer-sized arguments:
    ctypes converts a plain int and a buffer 3x faster than typed pointers. Same symbol,
    same C signature (``const xoxe_rotator*, char*, size_t, int64_t*, xoxe_error**``)."""
    fn = lib[name]  # a new function object; lib.<name> keeps its typed prototype
    fn.restype = _ffi.xoxe_status
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p]
    return fn


def _token_method(name: str, fn: Any, doc: str) -> Callable[["Rotator"], AccessToken]:
    """One of ``get``/``force_rotate``/``current``: the hot path, written out flat (each
    extra Python call costs ~0.1 us). No lock: the local ``h`` keeps the handle alive
    while the C call runs, even if another thread closes the rotator meanwhile."""
    buf_len = _BUF_LEN
    zeros = _ZEROS
    new = _new
    setattr_ = _setattr

    def method(self: "Rotator") -> AccessToken:
        h = self._h
        if h is None:
            raise ValueError("this xoxe.Rotator is closed")
        try:
            s = _tls.scratch
        except AttributeError:
            s = _scratch()
        s.callback_error = None
        status = fn(h.addr, s.buf, buf_len, s.expires_ref, s.err_ref)
        if status:
            raise _fail(status, s)
        raw = s.buf.value  # a copy, up to the NUL
        n = len(raw)
        s.wipe[:n] = zeros[:n]  # wipe this thread's buffer
        expires_at = s.expires.value
        last = s.last
        if last is not None and raw == last[0] and expires_at == last[1]:
            return last[2]  # the same token as this thread's last call: reuse the object
        # AccessToken(Secret(value), expires_at), filling the frozen instances directly.
        secret = new(Secret)
        setattr_(secret, "_value", raw.decode("utf-8", "replace"))
        token = new(AccessToken)
        d = token.__dict__
        d["token"] = secret
        d["expires_at"] = expires_at
        s.last = (raw, expires_at, token)
        return token

    method.__name__ = name
    method.__qualname__ = f"Rotator.{name}"
    method.__doc__ = doc
    return method


_GET = _hot("xoxe_rotator_get")
_FORCE_ROTATE = _hot("xoxe_rotator_force_rotate")
_CURRENT = _hot("xoxe_rotator_current")


class Rotator(_Owned):
    """Keeps one token chain fresh: :meth:`get` returns a valid access token, rotating
    first when it expires within the refresh window — one rotation at a time, and the
    new pair saved to the store before anyone gets it. Share one rotator per chain
    among all threads of a process (blocking calls release the GIL).

    Create it with :meth:`config` or :meth:`oauth`. Close it with :meth:`close` or a
    ``with`` block; that frees the rotator only, not the client or the store. A rotator
    dropped without closing is freed when it is garbage-collected (a safety net only).

    Errors: :class:`OutcomeUnknownError` (a rotation may have happened; the old pair is
    kept and nothing is retried), :class:`ChainDeadError` (a human must issue a new
    token), other :class:`StoreError`\\ s, and the client's transport/Slack errors.
    """

    _what = "Rotator"

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("create a rotator with Rotator.config(...) or Rotator.oauth(...)")

    @classmethod
    def _create(
        cls, kind: ChainKind, client: Client, store: Store, make: Callable[[Any, Any, Any, Any], int]
    ) -> "Rotator":
        if not isinstance(client, Client):
            raise TypeError(f"client must be an xoxe.Client, not {type(client).__name__}")
        if not isinstance(store, Store):
            raise TypeError(f"store must be an xoxe store (MemoryStore, FileStore, ForeignStore), not {type(store).__name__}")
        self = cls.__new__(cls)
        self._kind = kind
        # The library keeps its own references to the client and the store; these keep
        # the Python objects (and a ForeignStore's backend) reachable from the rotator.
        self._client = client
        self._store = store
        handle = _ffi.RotatorP()
        sh = store._handle()

        def body(ch: Any) -> None:
            _call(lambda e: make(ch, sh.ptr, ctypes.byref(handle), e))

        client._run(body)
        self._h = _Handle(handle, _rotator_free)
        return self

    @classmethod
    def config(
        cls,
        client: Client,
        store: Store,
        *,
        refresh_window: Optional[float] = None,
        jitter: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        call_timeout: Optional[float] = None,
    ) -> "Rotator":
        """A rotator for an app configuration token chain (``tooling.tokens.rotate``).

        Args (seconds; ``None`` = the library's default):
            refresh_window: rotate when the token expires within this (default 7200;
                for tokens living less than twice that, half their lifetime).
            jitter: up to this many random extra seconds per token, so a fleet does not
                rotate in step (default 300; capped at a quarter of the window).
            wait_timeout: longest wait for another thread's or process's rotation
                (default 120).
            call_timeout: timeout of the rotation call (default: the client's).
        """
        opts = _options(refresh_window, jitter, wait_timeout, call_timeout)
        return cls._create(
            ChainKind.CONFIG,
            client,
            store,
            lambda ch, sh, out, e: lib.xoxe_rotator_new_config(ch, sh, ctypes.byref(opts), out, e),
        )

    @classmethod
    def oauth(
        cls,
        client: Client,
        store: Store,
        client_id: str,
        client_secret: Union[str, Secret],
        *,
        refresh_window: Optional[float] = None,
        jitter: Optional[float] = None,
        wait_timeout: Optional[float] = None,
        call_timeout: Optional[float] = None,
    ) -> "Rotator":
        """A rotator for a bot/user token chain (``oauth.v2.access`` refresh grant),
        with the app's credentials. Options as for :meth:`config`."""
        cid = _cstr(client_id, "client_id")
        cs = _cstr(client_secret, "client_secret", secret=True)
        opts = _options(refresh_window, jitter, wait_timeout, call_timeout)
        return cls._create(
            ChainKind.OAUTH,
            client,
            store,
            lambda ch, sh, out, e: lib.xoxe_rotator_new_oauth(ch, sh, cid, cs, ctypes.byref(opts), out, e),
        )

    @property
    def kind(self) -> ChainKind:
        return self._kind  # type: ignore[no-any-return]

    @property
    def store(self) -> Optional[Store]:
        """The store this rotator was made with (``None`` once closed)."""
        return self._store  # type: ignore[no-any-return]

    @property
    def client(self) -> Optional[Client]:
        """The client this rotator was made with (``None`` once closed)."""
        return self._client  # type: ignore[no-any-return]

    def close(self) -> None:
        """Frees the rotator (not its client or store); idempotent. Calls in flight on
        other threads finish first: the library's rotator is freed when the last of
        them returns. A :class:`ForeignStore` backend is let go of once neither its
        store nor any rotator using it remains."""
        self._h = None
        self._store = None
        self._client = None

    get = _token_method(
        "get",
        _GET,
        """A valid access token, rotating first when it expires within the window (and
        saving the new pair before returning it). A fresh token costs no I/O.""",
    )
    force_rotate = _token_method(
        "force_rotate",
        _FORCE_ROTATE,
        """Rotates now, whatever the expiry (unless another rotation finished while this
        call waited for it: then that one's token).""",
    )
    current = _token_method(
        "current",
        _CURRENT,
        """The token in memory or in the store, without any network call; possibly
        expired (check ``expires_at``; ``0`` = never rotated, and the token may be
        empty).""",
    )

    def __enter__(self) -> "Rotator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        closed = " closed" if self.closed else ""
        return f"<xoxe.Rotator kind={getattr(self, '_kind', ChainKind.CONFIG).value!r} store={getattr(self, '_store', None)!r}{closed}>"
