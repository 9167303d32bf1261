"""``ChainKind``: which Slack method renews a chain. Its own module, imported on first
use (``xoxe.ChainKind``, a rotator's ``kind``, ``Store.init``…): ``import enum`` is not part
of ``import xoxe``."""

from __future__ import annotations

import enum


class ChainKind(str, enum.Enum):
    """Which Slack method renews a chain (``xoxe_chain_kind``). Plain strings work too."""

    CONFIG = "config"
    """An app configuration token, renewed with ``tooling.tokens.rotate``."""
    OAUTH = "oauth"
    """A bot or user token, renewed with ``oauth.v2.access`` (refresh grant)."""
