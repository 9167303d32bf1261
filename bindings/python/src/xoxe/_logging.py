"""xoxe's log lines into Python's :mod:`logging` (``xoxe_set_logger``).

The library decides what to log and scrubs every line of secrets before it leaves Rust;
this module only maps xoxe's four levels to :mod:`logging` levels and calls
``logger.log``. The C callback may run on any thread, concurrently, while the calling
thread holds no GIL: ctypes takes the GIL for the duration of the callback.
"""

from __future__ import annotations

from _thread import _local, allocate_lock  # threading's, without importing threading

from . import _status
from ._ffi import LogCallback, lib
from ._managed import call

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import logging
    from typing import Any

# logging is imported by the first enable_logging(), not with xoxe.
#: xoxe level (``XOXE_LOG_LEVEL_*``) -> logging level (logging.ERROR... are these numbers).
_TO_LOGGING = {
    _status.LOG_LEVEL_ERROR: 40,
    _status.LOG_LEVEL_WARN: 30,
    _status.LOG_LEVEL_INFO: 20,
    _status.LOG_LEVEL_DEBUG: 10,
}

# Serialises enable/disable. The C callback never takes it: xoxe_set_logger waits for
# callbacks in flight, and they must be able to finish while we wait.
_lock = allocate_lock()
# The installed callback object. ctypes frees the C thunk when the object is collected,
# so it is kept here until xoxe_set_logger has replaced it (after which the library
# never calls it again).
_callback: Any | None = None
# Set while this thread is inside the callback: calling xoxe_set_logger from there
# would deadlock (the library waits for the callback to return).
_in_callback = _local()
_atexit_registered = False


def _make_callback(logger: logging.Logger) -> Any:
    log = logger.log
    levels = _TO_LOGGING
    debug = 10  # logging.DEBUG

    def callback(_user_data: int | None, level: int, message: bytes | None) -> None:
        _in_callback.active = True
        try:
            text = message.decode("utf-8", "replace") if message else ""
            log(levels.get(level, debug), text)
        except KeyboardInterrupt:
            # Cannot cross into C: deliver it to the main thread once C returns.
            import _thread

            _thread.interrupt_main()
        except BaseException:  # nothing may cross into C
            # logging.Handler.handleError already reports handler errors; this is a
            # failing filter, a broken logger subclass, a SystemExit...: drop the line.
            pass
        finally:
            _in_callback.active = False

    return LogCallback(callback)


def _max_level(logger: logging.Logger, level: int) -> int:
    """The most verbose xoxe level that both ``level`` and the logger let through
    (0 when none does: the library then formats nothing)."""
    return max((x for x, py in _TO_LOGGING.items() if py >= level and logger.isEnabledFor(py)), default=0)


def _check_not_in_callback(what: str) -> None:
    if getattr(_in_callback, "active", False):
        raise RuntimeError(f"xoxe.{what}() cannot be called from inside a xoxe log handler")


def enable_logging(logger: logging.Logger | None = None, level: int = 10) -> logging.Logger:
    """Sends xoxe's log lines to ``logger`` (default ``logging.getLogger("xoxe")``).

    Requests and their outcome are ``DEBUG``, rate-limit waits and rotations ``INFO``,
    unknown outcomes ``WARNING``, dead chains and failed saves ``ERROR``. Lines never
    contain a secret. The library is told the most verbose level that both ``level``
    and the logger's effective level (``logger.isEnabledFor``) let through, so lines
    nobody would see are never built; call ``enable_logging`` again after changing
    the logger's level. Replaces any earlier logger, including the ``XOXE_LOG``
    standard-error one; process-wide. Returns the logger.

    Handlers run on whichever thread made the call, possibly several at once, and
    must not call :func:`enable_logging`/:func:`disable_logging` (``RuntimeError``).
    An exception in a handler never reaches the library.
    """
    global _callback, _atexit_registered
    import logging

    _check_not_in_callback("enable_logging")
    if logger is None:
        logger = logging.getLogger("xoxe")
    if not isinstance(logger, logging.Logger):
        raise TypeError(f"logger must be a logging.Logger, not {type(logger).__name__}")
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"level must be an int logging level, not {type(level).__name__}")
    callback = _make_callback(logger)
    with _lock:
        call(lib.xoxe_set_logger, callback, None, _max_level(logger, level))
        # The old callback is no longer running and will not be called again.
        _callback = callback
        if not _atexit_registered:
            import atexit

            atexit.register(_disable_at_exit)
            _atexit_registered = True
    return logger


def disable_logging() -> None:
    """Stops sending xoxe's log lines anywhere (the library's default). When this
    returns, no handler is running on xoxe's behalf and none will be called."""
    global _callback
    _check_not_in_callback("disable_logging")
    with _lock:
        call(lib.xoxe_set_logger, LogCallback(), None, 0)  # a NULL callback: off
        _callback = None


def _disable_at_exit() -> None:
    # No callback into an interpreter that is shutting down (threads still inside
    # xoxe calls would otherwise log into a half-torn-down logging module).
    if _callback is not None:
        try:
            disable_logging()
        except Exception:  # at exit, nothing more to do
            pass
