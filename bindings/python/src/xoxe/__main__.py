"""``python -m xoxe``: the ``xoxe`` command line."""

from ._cli import main

main()
