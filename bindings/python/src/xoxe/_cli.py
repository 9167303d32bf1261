"""The ``xoxe`` console command: runs the command-line program packaged beside the
library (``_xoxe_cli``, built from the same Rust crate), with the same arguments."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The packaged command-line program.
CLI_PATH = Path(__file__).resolve().with_name("_xoxe_cli")


def main() -> None:
    """Replaces this process with the packaged ``xoxe`` program."""
    if not CLI_PATH.is_file():
        sys.exit(f"xoxe: the command-line program is not installed with this package ({CLI_PATH})")
    os.execv(CLI_PATH, ["xoxe", *sys.argv[1:]])
