"""``Pool``: keeps many chains fresh over one client and one store (an owned
``xoxe_pool*``), and ``installation_chain``, the canonical chain name of an
installation's token.

Every decision (which rotator serves a chain, when to rotate, which chains to keep in
memory, background refreshes, revocation) is made by the Rust core; this module
converts arguments and copies tokens out.
"""

from __future__ import annotations

import ctypes
import time

from . import _ffi, _status
from ._client import Client, _cstr, _opt_cstr, _uint
from ._ffi import lib
from ._install import Install, _InstallHandle
from ._managed import Managed, call, failure, local
from ._rotator import _BUF_LEN, _ZEROS, AccessToken, _Buffers, _buffers, _hand_out, _options
from ._secret import Secret
from ._store import Store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from dataclasses import dataclass

    from ._client import TokenLike
else:  # the same, without importing dataclasses
    from ._frozen import dataclass

#: Longest chain name, in bytes (``XOXE_MAX_CHAIN_NAME_LEN``).
MAX_CHAIN_NAME_LEN = _status.MAX_CHAIN_NAME_LEN

# Prototypes without argument conversion (_ffi.raw): each argument is passed as its C
# type already (the handle's pointer, bytes, the buffer, c_size_t, byref()s).
_try_get = _ffi.raw("xoxe_pool_try_get")
_get_reusable = _ffi.raw("xoxe_pool_get_reusable")
_BUF_LEN_C = ctypes.c_size_t(_BUF_LEN)
_clock = time.time
_new = object.__new__
_set_value = Secret.__dict__["_value"].__set__  # Secret's slot, past its frozen __setattr__


def installation_chain(
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool = False,
    user_id: str | None = None,
) -> str:
    """The canonical chain name of an installation's token
    (``xoxe_installation_chain``): ``bot:ENTERPRISE:TEAM`` for the bot token
    (``user_id`` ``None``), ``user:ENTERPRISE:TEAM:USER`` for a user's, with ``-`` for
    an absent enterprise and for the team of an org-wide install
    (``is_enterprise_install``), e.g. ``bot:-:T1``, ``bot:E2:-``, ``user:E2:T1:U3``.
    The same name in every language, so services share chains.

    Raises:
        UsageError: an id is not a Slack id (letters and digits), or the team is
            missing where the name needs one.
    """
    enterprise = _opt_cstr(enterprise_id, "enterprise_id")
    team = _opt_cstr(team_id, "team_id")
    user = _opt_cstr(user_id, "user_id")
    if not isinstance(is_enterprise_install, bool):
        raise TypeError(f"is_enterprise_install must be a bool, not {type(is_enterprise_install).__name__}")
    buf = ctypes.create_string_buffer(MAX_CHAIN_NAME_LEN + 1)
    call(lib.xoxe_installation_chain, enterprise, team, is_enterprise_install, user, buf, len(buf))
    return buf.value.decode("utf-8")


@dataclass(frozen=True)
class PoolStats:
    """A pool's counters (:meth:`Pool.stats`; ``xoxe_pool_stats``)."""

    chains_in_memory: int
    """Rotators held in memory now."""
    background_rotations: int
    """Rotations made by the background refresher."""
    background_failures: int
    """Background refreshes that failed (each is logged)."""


def _chain(chain: object) -> bytes:
    """A chain name for C (the hot path checks a plain ``str`` inline)."""
    return _cstr(chain, "chain")


class Pool(Managed):
    """Keeps many chains fresh over one client and one store: :meth:`get` returns a
    valid access token of a chain by name, through a rotator per chain made on first
    use — one rotation per chain at a time across threads and, through the store's
    lease, across processes. Thread-safe: share one pool per process among all
    threads (blocking calls release the GIL).

    The store is a :class:`DirectoryStore`, :class:`PostgresStore`,
    :class:`RedisStore` or :class:`MemoryStore` (a single-file store raises
    :class:`UnsupportedError`); seed chains with ``store.open_chain(name).init(…)``.

    Close it with :meth:`close` or a ``with`` block; that stops its background
    refresher (waiting for a rotation in progress) and frees the pool, not the client
    or the store. Calls in flight on other threads finish first.

    Args:
        client: the client rotations go through.
        store: where the chains are kept.
        client_id, client_secret: the app's credentials, which renew bot and user
            (OAuth) chains; both ``None`` for a pool of config-token chains only.
        refresh_window, jitter, wait_timeout, call_timeout: every chain's rotator's
            options, as for :meth:`Rotator.config` (``None``: the library's default).
        max_chains_in_memory: most rotators held in memory; beyond it the least
            recently used are dropped and read from the store again when next asked
            for (``None``: the library's default).
        background_refresh: rotate the chains in memory from a background thread as
            they enter their window, so that :meth:`get` finds them fresh.

    Errors of :meth:`get`: :class:`StoreEmptyError` (no such chain),
    :class:`ChainRevokedError` (revoked: reinstall), and whatever a
    :class:`Rotator`'s ``get`` raises.
    """

    _client: Client | None = None
    _store: Store | None = None
    #: chain -> (deadline in Unix seconds, token): get() hands the token out again until
    #: then. At most _reuse_max chains: the pool's max_chains_in_memory, so every chain the
    #: pool keeps can be answered from here; past it (more chains than that in use) the
    #: map is emptied and fills again.
    _reuse: dict[str, tuple[float, AccessToken]]
    _reuse_max: int
    #: Counts what ends a reuse (remove, uninstall, mark_revoked, close): a get() whose
    #: library call overlapped one keeps nothing, so no token outlives its chain.
    _epoch = 0

    def __init__(
        self,
        client: Client,
        store: Store,
        client_id: str | None = None,
        client_secret: TokenLike | None = None,
        *,
        refresh_window: float | None = None,
        jitter: float | None = None,
        wait_timeout: float | None = None,
        call_timeout: float | None = None,
        max_chains_in_memory: int | None = None,
        background_refresh: bool = False,
    ) -> None:
        self._reuse = {}
        if not isinstance(client, Client):
            raise TypeError(f"client must be an xoxe.Client, not {type(client).__name__}")
        if not isinstance(store, Store):
            raise TypeError(f"store must be an xoxe store (DirectoryStore, PostgresStore…), not {type(store).__name__}")
        if (client_id is None) != (client_secret is None):
            raise TypeError("client_id and client_secret come together (both None for config-token chains only)")
        cid = _opt_cstr(client_id, "client_id")
        cs = _opt_cstr(client_secret, "client_secret", secret=True)
        if not isinstance(background_refresh, bool):
            raise TypeError(f"background_refresh must be a bool, not {type(background_refresh).__name__}")
        most = 0
        if max_chains_in_memory is not None:
            most = _uint(max_chains_in_memory, "max_chains_in_memory")
            if most == 0:
                raise ValueError("max_chains_in_memory must be at least 1 (None: the library's default)")
        # What the library keeps (0: its default, as the header documents it).
        self._reuse_max = most or _status.DEFAULT_MAX_CHAINS_IN_MEMORY
        opts = _ffi.xoxe_pool_options(
            rotator=_options(refresh_window, jitter, wait_timeout, call_timeout),
            max_chains_in_memory=most,
            background_refresh=background_refresh,
        )
        c, s = client._handle(), store._handle()
        self._make(lib.xoxe_pool_new, c.ptr, s.ptr, cid, cs, ctypes.byref(opts))
        # The library keeps its own references; these keep the Python objects (and a
        # ForeignStore's backend) reachable from the pool.
        self._client, self._store = client, store

    @property
    def store(self) -> Store | None:
        """The store this pool was made with (``None`` once closed)."""
        return self._store

    @property
    def client(self) -> Client | None:
        """The client this pool was made with (``None`` once closed)."""
        return self._client

    def get(self, chain: str) -> AccessToken:
        """A valid access token of chain ``chain`` (``xoxe_pool_get``), rotating first
        when it is due (and saving the new pair before returning it). A fresh token
        costs no I/O.

        Raises:
            StoreEmptyError: the store holds no chain named ``chain``.
            ChainRevokedError: the chain was revoked (uninstalled); the pool forgets it.
        """
        # The hot path, flat as Rotator.get: the token again until the library's
        # deadline for it; else the C call, without a lock (the local `h` keeps the
        # handle alive while it runs, even if another thread closes the pool).
        reuse = self._reuse
        hit = None
        if type(chain) is str:
            hit = reuse.get(chain)
            if hit is not None and _clock() < hit[0]:
                return hit[1]
        epoch = self._epoch  # before the handle: a close() after this changes it
        h = self._h
        if h is None:
            h = self._handle()  # raises: closed
        if type(chain) is str and chain.isascii() and "\0" not in chain:
            name = chain.encode("ascii")
        else:
            name = _chain(chain)
        b: _Buffers
        try:
            b = local.buffers
        except AttributeError:
            b = _buffers()
        s = b.slot
        err = s.err
        s.cause = None
        status = _get_reusable(h.ptr, name, b.buf, _BUF_LEN_C, b.expires_ref, b.until_ref, s.ref)
        if status:
            reuse.pop(chain, None)
            raise failure(status, err)
        raw = b.buf.value  # a copy, up to the NUL
        n = len(raw)
        b.wipe[:n] = _ZEROS[:n]
        expires_at = b.expires.value
        value = raw.decode("utf-8", "replace")
        if hit is not None and hit[1].expires_at == expires_at and hit[1].token._value == value:
            token = hit[1]  # the same token again, past its deadline: no new objects
        else:
            # AccessToken(Secret(value), expires_at), filling the frozen instances directly.
            secret = _new(Secret)
            _set_value(secret, value)
            token = _new(AccessToken)
            d = token.__dict__
            d["token"] = secret
            d["expires_at"] = expires_at
        until = b.until.value
        if until and self._epoch == epoch:  # else a remove/revoke/close ran meanwhile: keep nothing
            if hit is None and len(reuse) >= self._reuse_max:
                reuse.clear()  # more chains than the pool keeps: start again
            reuse[chain] = (until / 1000, token)
        elif hit is not None:
            reuse.pop(chain, None)
        return token

    def try_get(self, chain: str) -> AccessToken | None:
        """The token :meth:`get` would return, only if it can be had without blocking
        (``xoxe_pool_try_get``): the chain's rotator in memory, its token fresh.
        ``None`` means "call :meth:`get`" from a thread that may block. Never reads the
        store, waits or rotates: safe on an event loop (:class:`xoxe.aio.AsyncPool`
        uses it)."""
        h = self._h
        if h is None:
            h = self._handle()  # raises: closed
        if type(chain) is str and chain.isascii() and "\0" not in chain:
            name = chain.encode("ascii")
        else:
            name = _chain(chain)
        b: _Buffers
        try:
            b = local.buffers
        except AttributeError:
            b = _buffers()
        s = b.slot
        err = s.err
        s.cause = None
        status = _try_get(h.ptr, name, b.buf, _BUF_LEN_C, b.expires_ref, b.fresh_ref, s.ref)
        if status:
            raise failure(status, err)
        return _hand_out(b) if b.fresh.value else None

    def _forget(self, chain: object) -> None:
        """Ends the reuse of chain ``chain``'s token, and of any a get() in flight
        returns; called once the library call that changed the chain has returned."""
        self._epoch += 1
        if type(chain) is str:
            self._reuse.pop(chain, None)

    def _forget_all(self, chains: Iterable[str]) -> None:
        self._epoch += 1
        for chain in chains:
            self._reuse.pop(chain, None)

    def remove(self, chain: str) -> bool:
        """Deletes chain ``chain`` from the store — its secrets with it — and forgets its
        rotator (``xoxe_pool_remove``). Returns whether the store held it."""
        removed = ctypes.c_bool(False)
        try:
            self._call(lib.xoxe_pool_remove, _chain(chain), ctypes.byref(removed))
        finally:
            self._forget(chain)
        return bool(removed.value)

    def uninstall(self, chain: str) -> bool:
        """Revokes chain ``chain``'s token at Slack (``auth.revoke``), then removes it
        as :meth:`remove` does (``xoxe_pool_uninstall``). A chain already revoked is
        just removed; if the revocation fails otherwise, nothing is removed and the
        error says why. Returns whether the store held it."""
        removed = ctypes.c_bool(False)
        try:
            self._call(lib.xoxe_pool_uninstall, _chain(chain), ctypes.byref(removed))
        finally:
            self._forget(chain)
        return bool(removed.value)

    def mark_revoked(self, chain: str, slack_code: str) -> None:
        """Marks chain ``chain`` revoked because a Slack call made with its token
        answered ``slack_code`` (``token_revoked``, ``account_inactive`` or
        ``invalid_auth``; another code raises :class:`UsageError`)
        (``xoxe_pool_mark_revoked``). Every holder of the chain then gets
        :class:`ChainRevokedError` without calling Slack."""
        try:
            self._call(lib.xoxe_pool_mark_revoked, _chain(chain), _cstr(slack_code, "slack_code"))
        finally:
            self._forget(chain)

    def stats(self) -> PoolStats:
        """The pool's counters (``xoxe_pool_stats``)."""
        out = _ffi.xoxe_pool_stats_info()
        self._call(lib.xoxe_pool_stats, ctypes.byref(out))
        return PoolStats(int(out.chains_in_memory), int(out.background_rotations), int(out.background_failures))

    def install(self, install: Install) -> list[str]:
        """Saves a new installation's tokens (``xoxe_pool_install``): each token
        (the bot's, the installing user's) becomes a chain under its canonical name
        (:func:`installation_chain`), replacing what the store held there — a
        reinstall starts the chain again, and one marked revoked is live again.
        Returns the chain names saved, the bot's first.

        An :class:`Install` copied or unpickled (which no longer holds the library's
        handle) is saved from its ``raw_json``, as :meth:`install_json` does.

        Raises:
            StoreError: a save failed; retry later with this method or with
                :meth:`install_json` and ``install.raw_json`` (a secret: keep it safe).
        """
        if not isinstance(install, Install):
            raise TypeError(f"install must be an xoxe.Install, not {type(install).__name__}")
        handle = install._handle
        if handle is None:
            return self.install_json(install.raw_json)
        try:
            self._call(lib.xoxe_pool_install, handle._handle().ptr)
        finally:
            self._forget_all(install.chains)  # a reinstall replaces the chains' tokens
        return list(install.chains)

    def install_code(self, code: TokenLike, redirect_uri: str | None = None) -> Install:
        """Finishes an installation (``xoxe_pool_install_code``): trades the OAuth
        redirect's ``code`` for tokens with this pool's client and app credentials
        (``oauth.v2.access``), then saves them as :meth:`install` does. Returns the
        :class:`Install` (its ``chains`` are the names saved).

        Raises:
            SlackApiError: Slack refused the code (``invalid_code``,
                ``code_already_used``, ``bad_redirect_uri``…); nothing was saved.
            StoreError: the tokens could not be saved; ``e.response_json`` holds
                Slack's answer (a secret) for a retry with :meth:`install_json`.
        """
        c = _cstr(code, "code", secret=True)
        uri = _opt_cstr(redirect_uri, "redirect_uri")
        h = self._handle()
        try:
            install = Install._adopt(_InstallHandle._made_by(lib.xoxe_pool_install_code, h.ptr, c, uri))
        finally:
            self._epoch += 1  # which chains is not known if it failed: a get() in flight keeps nothing
        self._forget_all(install.chains)
        return install

    def install_json(self, raw: str | bytes | Secret) -> list[str]:
        """Saves the installation in ``raw``, the JSON body of a successful
        ``oauth.v2.access`` (``Install.raw_json``, or the ``response_json`` of the
        error of an install whose save failed) (``xoxe_pool_install_json``).
        Returns the chain names saved, as :meth:`install` does. Its access tokens are
        taken as expired (when the answer arrived is not known): the first :meth:`get`
        of each chain rotates it.

        Raises:
            UsageError: ``raw`` is not a successful ``oauth.v2.access`` answer.
            TokenRotationNotEnabledError: its tokens do not rotate.
            StoreError: a save failed.
        """
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("raw is not UTF-8") from None
        body = _cstr(raw, "raw", secret=True)
        h = self._handle()
        try:
            chains = list(Install._adopt(_InstallHandle._made_by(lib.xoxe_pool_install_json, h.ptr, body)).chains)
        finally:
            self._epoch += 1
        self._forget_all(chains)
        return chains

    def close(self) -> None:
        """Stops the background refresher and frees the pool (not its client or store);
        idempotent. Calls in flight on other threads finish first: the library's pool
        is freed when the last of them returns (and its refresher has finished a
        rotation in progress)."""
        self._reuse.clear()
        super().close()
        self._epoch += 1  # after the handle is gone: a get() in flight keeps nothing
        self._reuse.clear()
        self._store = self._client = None

    def __repr__(self) -> str:
        closed = " closed" if self.closed else ""
        return f"<xoxe.Pool store={self._store!r}{closed}>"
