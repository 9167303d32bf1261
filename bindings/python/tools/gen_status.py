#!/usr/bin/env python3
"""Regenerates ``src/xoxe/_status.py`` from ``include/xoxe.h``.

    python3 bindings/python/tools/gen_status.py          # rewrite the file
    python3 bindings/python/tools/gen_status.py --check  # exit 1 if it is stale

``tests/test_abi.py`` runs the same comparison, so a status added to the header without
regenerating this table fails the Python tests.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, Tuple

HERE = Path(__file__).resolve().parent
HEADER = HERE.parents[2] / "include" / "xoxe.h"
TARGET = HERE.parent / "src" / "xoxe" / "_status.py"


def _enum(header: str, name: str, prefix: str) -> List[Tuple[str, int, str]]:
    m = re.search(r"enum " + name + r"\s*\n.*?\{(.*?)\};", header, re.S)
    if not m:
        raise SystemExit(f"enum {name} not found in {HEADER}")
    out: List[Tuple[str, int, str]] = []
    comment: List[str] = []
    for line in m.group(1).splitlines():
        line = line.strip()
        if line.startswith("//"):
            comment.append(line[2:].strip())
            continue
        entry = re.match(prefix + r"(\w+)\s*=\s*(\d+),?", line)
        if entry:
            out.append((entry.group(1), int(entry.group(2)), " ".join(comment)))
        comment = []
    return out


def _doc(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    return f'    """{text}"""\n' if text else ""


def generate(header: str) -> str:
    parts = [
        '"""Status codes, families and presets: generated from include/xoxe.h by\n'
        "tools/gen_status.py (do not edit). tests/test_abi.py fails when this table and the\n"
        'header or the loaded library disagree."""\n\n'
        "from __future__ import annotations\n\n"
        "import enum\n\n"
        '__all__ = ["Status", "StatusFamily", "Preset"]\n'
    ]
    for cls, enum_name, prefix, doc in [
        ("Status", "xoxe_status", "XOXE_STATUS_", "Every outcome of an xoxe call (``XOXE_STATUS_*``)."),
        (
            "StatusFamily",
            "xoxe_status_family",
            "XOXE_STATUS_FAMILY_",
            "The coarse class of a status (``XOXE_STATUS_FAMILY_*``); one exception class each.",
        ),
        ("Preset", "xoxe_preset", "XOXE_PRESET_", "Which Slack to talk to (``XOXE_PRESET_*``)."),
    ]:
        entries = _enum(header, enum_name, prefix)
        if cls == "Status":
            # FAMILY_ entries belong to the other enum; the regex prefix keeps them apart.
            entries = [e for e in entries if not e[0].startswith("FAMILY_")]
        body = "".join(f"    {n} = {v}\n{_doc(c)}" for n, v, c in entries)
        parts.append(f'\n\nclass {cls}(enum.IntEnum):\n    """{doc}"""\n\n{body}')
    return "".join(parts)


def main() -> int:
    text = generate(HEADER.read_text())
    if "--check" in sys.argv[1:]:
        if TARGET.read_text() != text:
            print(f"{TARGET} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
