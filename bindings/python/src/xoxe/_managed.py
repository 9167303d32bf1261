"""``Managed``: the one owner of a library handle, and the one way a call's
``xoxe_error **`` is made and turned into an exception.

In the spirit of wasmtime-py's ``_managed.py``. Every handle the binding owns (client,
client options, rotators, stores, result and error handles) is a :class:`Managed` and is
freed exactly once: by ``close()``, at the end of a ``with`` block, or when the object is
garbage-collected. The pointer itself sits in a small :class:`_Ptr` that frees it when
the last reference goes; the owner holds one reference and every call in flight holds
another (a local variable), so ``close()`` on one thread never frees a handle under a
call running on another, and borrowing a handle takes no lock.
"""

from __future__ import annotations

import ctypes
from _thread import _local  # threading.local itself, without importing threading

from ._errors import exception_class_for
from ._ffi import ErrorP, lib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ._errors import XoxeError

    M = TypeVar("M", bound="Managed")


class _Ptr:
    """A library pointer, freed (``xoxe_<type>_free``) when this object goes."""

    __slots__ = ("addr", "free", "name", "ptr")

    def __init__(self, ptr: Any) -> None:
        self.ptr = ptr
        self.addr: int = ctypes.cast(ptr, ctypes.c_void_p).value or 0
        self.name: str = type(ptr)._type_.__name__  # xoxe_client, xoxe_store, ...
        self.free = getattr(lib, self.name + "_free")

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr:
            try:
                self.free(ptr)
            except Exception:  # interpreter shutdown
                pass


class Managed:
    """Owns one library handle. Use after :meth:`close` raises ``ValueError``."""

    _h: _Ptr | None = None

    @classmethod
    def _adopt(cls: type[M], ptr: Any) -> M:
        """Takes ownership of ``ptr`` (a typed pointer; may be NULL)."""
        self = cls.__new__(cls)
        self._h = _Ptr(ptr)
        return self

    @classmethod
    def _made_by(cls: type[M], fn: Any, *args: Any) -> M:
        """Calls the constructor ``fn(*args, T **out, xoxe_error **)``; owns the ``T *``."""
        self = cls.__new__(cls)
        self._make(fn, *args)
        return self

    def _make(self, fn: Any, *args: Any) -> None:
        out = fn.argtypes[-2]._type_()  # the T * that T **out points to
        call(fn, *args, ctypes.byref(out))
        self._h = _Ptr(out)

    def _handle(self) -> _Ptr:
        """The handle, for one call: keep the result in a local until the call returns."""
        h = self._h
        if h is None:
            raise ValueError(f"this xoxe.{type(self).__name__} is closed")
        return h

    def _call(self, fn: Any, *args: Any) -> None:
        """``fn(handle, *args, error_out)``; raises on failure."""
        h = self._handle()
        call(fn, h.ptr, *args)

    def _info(self) -> Any:
        """The handle's read-only view (``xoxe_<type>_get_info``), or ``None`` if NULL."""
        h = self._handle()
        view = getattr(lib, h.name + "_get_info")(h.ptr)
        return view.contents if view else None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._h is None

    def close(self) -> None:
        """Frees the handle; idempotent. If calls are in flight on other threads, the
        handle is freed as soon as the last of them returns."""
        self._h = None

    def __enter__(self: M) -> M:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- the error out-parameter --------------------------------------------------------


class _Slot:
    """One per thread: the ``xoxe_error *`` out-parameter (reused until a call fails),
    and the exception a foreign store's callback raised during the current call."""

    __slots__ = ("cause", "err", "ref")

    def __init__(self) -> None:
        self.cause: BaseException | None = None
        self.renew()

    def renew(self) -> None:
        self.err = ErrorP()
        self.ref = ctypes.byref(self.err)


#: Per-thread state: ``local.slot`` is this thread's :class:`_Slot` (see :func:`slot`).
local = _local()


def slot() -> _Slot:
    """This thread's error slot: the one way a call's ``xoxe_error **`` is made."""
    try:
        return local.slot  # type: ignore[no-any-return]
    except AttributeError:
        s = local.slot = _Slot()
        return s


def call(fn: Any, *args: Any) -> None:
    """Calls ``fn(*args, error_out)``; raises the exception for a failure."""
    s = slot()
    err = s.err
    s.cause = None
    status = fn(*args, s.ref)
    if status:
        raise failure(status, err)
    s.cause = None  # a callback's exception the call recovered from: not kept alive


def failure(status: int, err: Any) -> BaseException:
    """The exception for a failed call whose error went to ``err`` (freed here). A foreign
    store callback's exception becomes its ``__cause__``; ``KeyboardInterrupt`` and
    ``SystemExit`` from a callback are returned as they are."""
    s = slot()
    if s.err is err:
        s.renew()  # the handle is freed below: never reuse the pointer
    exc = take_error(status, err)
    cause, s.cause = s.cause, None
    if cause is not None and not isinstance(cause, Exception):
        return cause
    exc.__cause__ = cause
    return exc


def take_error(status: int, err: Any) -> XoxeError:
    """The exception for ``status`` from its ``xoxe_error *`` (NULL when the library could
    not make one), which is freed."""
    with Managed._adopt(err) as error:
        info = error._info()
        if info is None:
            return error_for(status, "the library gave no error details")
        return error_for(
            info.status or status,
            opt_text(info.message) or "",
            slack_error=opt_text(info.slack_error),
            retry_after=None if info.retry_after_secs < 0 else info.retry_after_secs,
            http_status=info.http_status or None,
            warnings=strings(info.warnings, info.warnings_len),
            cause=info.cause,
            response_json=opt_text(info.response_json),
        )


def error_for(status: int, message: str, **details: Any) -> XoxeError:
    """The exception for ``status`` (its code's class, else its family's) with
    ``message``, as the library reported them (``details``: :class:`XoxeError`'s
    keyword arguments)."""
    return exception_class_for(status)(status, message, **details)


# ---- reading the library's strings --------------------------------------------------


def opt_text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def strings(array: Any, n: int) -> tuple[str, ...]:
    return tuple(array[i].decode("utf-8", "replace") for i in range(n)) if array else ()
