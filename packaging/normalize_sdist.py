#!/usr/bin/env python3
"""Usage: normalize_sdist.py IN.tar.gz OUT.tar.gz

Rewrites an sdist so that the same sources give the same bytes: members sorted by
name, times set to ``SOURCE_DATE_EPOCH``, no owner names or ids, and a gzip header
without a time or a file name. (setuptools stamps the files it generates, such as
PKG-INFO, and the gzip header with the current time.)
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import tarfile


def normalize(source: str, target: str, epoch: int) -> None:
    """Writes ``source`` to ``target`` with the normalised members."""
    with tarfile.open(source, "r:gz") as tar:
        members = sorted(tar.getmembers(), key=lambda m: m.name)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as out:
            for member in members:
                data = tar.extractfile(member) if member.isfile() else None
                member.mtime = epoch
                member.uid = member.gid = 0
                member.uname = member.gname = ""
                member.pax_headers = {}
                out.addfile(member, data)
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    normalize(sys.argv[1], sys.argv[2], int(os.environ["SOURCE_DATE_EPOCH"]))
