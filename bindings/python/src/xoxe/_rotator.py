"""``Rotator``: keeps one token chain fresh (an owned ``xoxe_rotator*``).

Every decision (when to rotate, single flight, locking, persisting before handing a
token out, re-reading the store before declaring a chain dead, never retrying an
unknown outcome) is made by the Rust core; this module converts arguments and copies
tokens out.
"""

from __future__ import annotations

import ctypes
import time

from . import _ffi, _status
from ._client import Client, _cstr, _opt_time
from ._ffi import lib
from ._managed import Managed, failure, local, slot
from ._secret import Secret
from ._store import Store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import Any, Callable

    from ._client import TokenLike
    from ._kinds import ChainKind
else:  # the same, without importing dataclasses
    from ._frozen import dataclass

#: Longest access token a rotator hands out (``XOXE_MAX_TOKEN_LEN``).
MAX_TOKEN_LEN = _status.MAX_TOKEN_LEN
_BUF_LEN = MAX_TOKEN_LEN + 1
_ZEROS = memoryview(bytes(_BUF_LEN))
_try_get = _ffi.fast("xoxe_rotator_try_get")
_get_reusable = _ffi.fast("xoxe_rotator_get_reusable")
_clock = time.time


@dataclass(frozen=True)
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


class _Buffers:
    """One per thread: a token buffer (wiped after every copy), the expiry out-parameter,
    and the last token handed out (raw bytes, expiry, ``AccessToken``): the same token is
    then returned without building new objects (they are frozen: sharing is safe); and
    the thread's error slot (``slot()``), so a hot path reads one thread-local."""

    __slots__ = ("buf", "expires", "expires_ref", "fresh", "fresh_ref", "last", "slot", "until", "until_ref", "wipe")

    def __init__(self) -> None:
        self.slot = slot()
        self.buf = ctypes.create_string_buffer(_BUF_LEN)
        # A wipe through a memoryview is a plain memset, without a ctypes call.
        self.wipe = memoryview(self.buf).cast("B")
        self.expires = ctypes.c_int64(0)
        self.expires_ref = ctypes.byref(self.expires)
        self.fresh = ctypes.c_bool(False)
        self.fresh_ref = ctypes.byref(self.fresh)
        # The rotator's deadline for handing the token out again (Unix ms; 0: none).
        self.until = ctypes.c_int64(0)
        self.until_ref = ctypes.byref(self.until)
        self.last: tuple[bytes, int, AccessToken] | None = None


def _buffers() -> _Buffers:
    try:
        return local.buffers  # type: ignore[no-any-return]
    except AttributeError:
        b = local.buffers = _Buffers()
        return b


def _hand_out(b: _Buffers) -> AccessToken:
    """The token a successful call wrote into ``b`` (the buffer wiped after the copy),
    as an :class:`AccessToken`: the thread's last one when it is the same. The
    rotator's methods below do the same inline (a Python call costs ~0.1 us there)."""
    raw = b.buf.value
    n = len(raw)
    b.wipe[:n] = _ZEROS[:n]
    expires_at = b.expires.value
    last = b.last
    if last is not None and raw == last[0] and expires_at == last[1]:
        return last[2]
    secret = object.__new__(Secret)
    object.__setattr__(secret, "_value", raw.decode("utf-8", "replace"))
    token = object.__new__(AccessToken)
    token.__dict__.update(token=secret, expires_at=expires_at)
    b.last = (raw, expires_at, token)
    return token


def _token_method(name: str, doc: str) -> Callable[[Rotator], AccessToken]:
    """One of ``get``/``force_rotate``/``current``: the hot path, written out flat (each
    extra Python call costs ~0.1 us). No lock: the local ``h`` keeps the handle alive
    while the C call runs, even if another thread closes the rotator meanwhile."""
    fn = _ffi.fast(f"xoxe_rotator_{name}")
    new, setattr_, zeros = object.__new__, object.__setattr__, _ZEROS

    def method(self: Rotator) -> AccessToken:
        h = self._h
        if h is None:
            h = self._handle()  # raises: closed
        b: _Buffers
        try:
            s, b = local.slot, local.buffers
        except AttributeError:
            s, b = slot(), _buffers()
        err = s.err
        s.cause = None
        status = fn(h.addr, b.buf, _BUF_LEN, b.expires_ref, s.ref)
        if status:
            raise failure(status, err)
        raw = b.buf.value  # a copy, up to the NUL
        n = len(raw)
        b.wipe[:n] = zeros[:n]
        expires_at = b.expires.value
        last = b.last
        if last is not None and raw == last[0] and expires_at == last[1]:
            return last[2]
        # AccessToken(Secret(value), expires_at), filling the frozen instances directly.
        secret = new(Secret)
        setattr_(secret, "_value", raw.decode("utf-8", "replace"))
        token = new(AccessToken)
        d = token.__dict__
        d["token"] = secret
        d["expires_at"] = expires_at
        b.last = (raw, expires_at, token)
        return token

    method.__name__ = name
    method.__qualname__ = f"Rotator.{name}"
    method.__doc__ = doc
    return method


def _options(
    refresh_window: float | None,
    jitter: float | None,
    wait_timeout: float | None,
    call_timeout: float | None,
) -> Any:
    return _ffi.xoxe_rotator_options(
        refresh_window_secs=_opt_time(refresh_window, "refresh_window", 1),
        jitter_secs=_opt_time(jitter, "jitter", 1),
        wait_timeout_ms=_opt_time(wait_timeout, "wait_timeout"),
        call_timeout_ms=_opt_time(call_timeout, "call_timeout"),
    )


class Rotator(Managed):
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

    _kind = "config"  # the ChainKind's value (ChainKind is made on first use)
    _client: Client | None = None
    _store: Store | None = None
    #: (deadline in Unix seconds, token): get() hands the token out again until then.
    _reuse: tuple[float, AccessToken] | None = None
    #: Counts what ends the reuse (force_rotate, close): a get() whose library call
    #: overlapped one keeps nothing.
    _epoch = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("create a rotator with Rotator.config(...) or Rotator.oauth(...)")

    @classmethod
    def _create(cls, kind: str, client: Client, store: Store, fn: Any, *args: Any) -> Rotator:
        if not isinstance(client, Client):
            raise TypeError(f"client must be an xoxe.Client, not {type(client).__name__}")
        if not isinstance(store, Store):
            raise TypeError(
                "store must be an xoxe store (MemoryStore, FileStore, PostgresStore, RedisStore, ForeignStore), "
                f"not {type(store).__name__}"
            )
        c, s = client._handle(), store._handle()
        self = cls._made_by(fn, c.ptr, s.ptr, *args)
        # The library keeps its own references to the client and the store; these keep
        # the Python objects (and a ForeignStore's backend) reachable from the rotator.
        self._kind, self._client, self._store = kind, client, store
        return self

    @classmethod
    def config(
        cls,
        client: Client,
        store: Store,
        *,
        refresh_window: float | None = None,
        jitter: float | None = None,
        wait_timeout: float | None = None,
        call_timeout: float | None = None,
    ) -> Rotator:
        """A rotator for an app configuration token chain (``tooling.tokens.rotate``).

        Args (seconds; ``None`` = the library's default, see ``xoxe_rotator_options``):
            refresh_window: rotate when the token expires within this (for tokens living
                less than twice that, at half their lifetime).
            jitter: up to this many random extra seconds per token, so a fleet does not
                rotate in step (capped at a quarter of the window).
            wait_timeout: longest wait for another thread's or process's rotation.
            call_timeout: timeout of the rotation call (default: the client's).
        """
        opts = _options(refresh_window, jitter, wait_timeout, call_timeout)
        return cls._create("config", client, store, lib.xoxe_rotator_new_config, ctypes.byref(opts))

    @classmethod
    def oauth(
        cls,
        client: Client,
        store: Store,
        client_id: str,
        client_secret: TokenLike,
        *,
        refresh_window: float | None = None,
        jitter: float | None = None,
        wait_timeout: float | None = None,
        call_timeout: float | None = None,
    ) -> Rotator:
        """A rotator for a bot/user token chain (``oauth.v2.access`` refresh grant),
        with the app's credentials. Options as for :meth:`config`."""
        cid = _cstr(client_id, "client_id")
        cs = _cstr(client_secret, "client_secret", secret=True)
        opts = _options(refresh_window, jitter, wait_timeout, call_timeout)
        return cls._create("oauth", client, store, lib.xoxe_rotator_new_oauth, cid, cs, ctypes.byref(opts))

    @property
    def kind(self) -> ChainKind:
        """The kind of chain this rotator keeps."""
        from ._kinds import ChainKind

        return ChainKind(self._kind)

    @property
    def store(self) -> Store | None:
        """The store this rotator was made with (``None`` once closed)."""
        return self._store

    @property
    def client(self) -> Client | None:
        """The client this rotator was made with (``None`` once closed)."""
        return self._client

    def close(self) -> None:
        """Frees the rotator (not its client or store); idempotent. Calls in flight on
        other threads finish first: the library's rotator is freed when the last of
        them returns. A :class:`ForeignStore` backend is let go of once neither its
        store nor any rotator using it remains."""
        self._reuse = None
        super().close()
        self._epoch += 1  # after the handle is gone: a get() in flight keeps nothing
        self._reuse = None
        self._store = self._client = None

    def get(self) -> AccessToken:
        """A valid access token, rotating first when it expires within the window (and
        saving the new pair before returning it). A fresh token costs no I/O, and
        until the library's deadline for it (a short horizon it chooses, never past its
        rotation: ``xoxe_rotator_get_reusable``) no call into the library either."""
        reuse = self._reuse
        if reuse is not None and _clock() < reuse[0]:
            return reuse[1]
        # The rest is _token_method's body, flat, with the deadline kept.
        epoch = self._epoch  # before the handle: a close() after this changes it
        h = self._h
        if h is None:
            h = self._handle()  # raises: closed
        b: _Buffers
        try:
            s, b = local.slot, local.buffers
        except AttributeError:
            s, b = slot(), _buffers()
        err = s.err
        s.cause = None
        status = _get_reusable(h.addr, b.buf, _BUF_LEN, b.expires_ref, b.until_ref, s.ref)
        if status:
            self._reuse = None
            raise failure(status, err)
        token = _hand_out(b)
        until = b.until.value
        # Kept unless a force_rotate/close ran meanwhile (it would outlive their end of reuse).
        self._reuse = (until / 1000, token) if until and self._epoch == epoch else None
        return token

    _force_rotate = _token_method("force_rotate", "")

    def force_rotate(self) -> AccessToken:
        """Rotates now, whatever the expiry (unless another rotation finished while this
        call waited for it: then that one's token). :meth:`get` then gives the new one."""
        self._reuse = None
        try:
            return self._force_rotate()
        finally:
            self._epoch += 1
            self._reuse = None

    current = _token_method(
        "current",
        """The token in memory or in the store, without any network call; possibly
        expired (check ``expires_at``; ``0`` = never rotated, and the token may be
        empty).""",
    )

    def try_get(self) -> AccessToken | None:
        """The token :meth:`get` would return, only if it can be had without blocking
        (``xoxe_rotator_try_get``): fresh in memory. ``None`` means "call :meth:`get`"
        from a thread that may block. Never reads the store, waits or rotates: safe on
        an event loop (:class:`xoxe.aio.AsyncRotator` uses it)."""
        h = self._h
        if h is None:
            h = self._handle()  # raises: closed
        b: _Buffers
        try:
            s, b = local.slot, local.buffers
        except AttributeError:
            s, b = slot(), _buffers()
        err = s.err
        s.cause = None
        status = _try_get(h.addr, b.buf, _BUF_LEN, b.expires_ref, b.fresh_ref, s.ref)
        if status:
            raise failure(status, err)
        return _hand_out(b) if b.fresh.value else None

    def __repr__(self) -> str:
        closed = " closed" if self.closed else ""
        return f"<xoxe.Rotator kind={self._kind!r} store={self._store!r}{closed}>"
