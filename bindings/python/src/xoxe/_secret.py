"""``Secret``: a token that never prints itself."""

from __future__ import annotations

import ctypes

from ._ffi import lib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any


def redact(token: str | Secret) -> str:
    """The printable stand-in for a token, as the library makes it (e.g. ``xoxe-1-…a1b2``).

    The redaction rule lives in the Rust core (``xoxe_redact``); this only calls it.
    """
    if isinstance(token, Secret):
        token = token.get_secret_value()
    if not isinstance(token, str):
        raise TypeError(f"redact() needs a str or Secret, not {type(token).__name__}")
    try:
        data = token.encode("utf-8")
    except UnicodeEncodeError:
        return "[redacted: not UTF-8]"
    if b"\0" in data:
        # C would stop at the NUL; say nothing about the value at all.
        return "[redacted: contains NUL]"
    needed = int(lib.xoxe_redact(data, None, 0))
    if needed == 0:
        return "[redacted]"
    buf = ctypes.create_string_buffer(needed + 1)
    lib.xoxe_redact(data, buf, needed + 1)
    return buf.value.decode("utf-8", errors="replace")


class Secret:
    """A secret string (token, refresh token) whose ``repr``/``str``/``format`` show only
    the library's redacted form. Get the value explicitly with :meth:`get_secret_value`.

    Secrets compare equal (in constant time) to other secrets or strings with the same
    value and hash like their value, so they can be stored in sets and dicts. Python
    cannot wipe string memory; the library zeroes its own copies when it frees them.
    """

    __slots__ = ("_value",)

    _value: str

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value._value
        if not isinstance(value, str):
            raise TypeError(f"Secret needs a str, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def get_secret_value(self) -> str:
        """The secret itself. Do not log it."""
        return self._value

    def redacted(self) -> str:
        """The safe printable form (same as ``str(secret)``)."""
        return redact(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.redacted()!r})"

    def __str__(self) -> str:
        return self.redacted()

    def __format__(self, spec: str) -> str:
        return format(self.redacted(), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        from hmac import compare_digest  # imported on first use, not with xoxe

        return compare_digest(self._value.encode("utf-8", "surrogatepass"), other.encode("utf-8", "surrogatepass"))

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> Any:
        # Pickling keeps the value (like pydantic's SecretStr): a pickle is data, not a log.
        return (Secret, (self._value,))
