"""What xoxe's slack_sdk clients share: which calls get a token, and how."""

from __future__ import annotations


def names_a_token(*args: object) -> bool:
    """Whether a call's arguments (params, json, data) name a token of their own (a
    multipart body cannot: slack_sdk sends uploads' tokens in the header)."""
    return any(isinstance(a, dict) and a.get("token") for a in args)


def check_source(
    source: object, chain: str | None, pool_types: tuple[type, ...], rotator_types: tuple[type, ...]
) -> None:
    """Refuses a token source that is neither kind, a pool without a chain, and a
    rotator with one."""
    if isinstance(source, pool_types):
        if not isinstance(chain, str) or not chain:
            raise TypeError("a pool serves many chains: name the chain (chain=…)")
    elif isinstance(source, rotator_types):
        if chain is not None:
            raise TypeError("a rotator keeps one chain: chain= is for a pool")
    else:
        names = " or ".join(t.__module__.split(".")[0] + "." + t.__name__ for t in (*rotator_types, *pool_types))
        raise TypeError(f"the tokens come from {names}, not {type(source).__name__}")


def bearer(headers: dict[str, str] | None, token: str) -> dict[str, str]:
    """A call's headers with ``token`` as its bearer (a new dict: the caller's is kept)."""
    return {**(headers or {}), "Authorization": f"Bearer {token}"}
