#!/usr/bin/env python3
"""Regenerates ``src/xoxe/_status.py`` from ``include/xoxe.h``: its ``#define`` constants,
its enums, and the preset base URLs it documents.

    python3 bindings/python/tools/gen_status.py          # rewrite the file
    python3 bindings/python/tools/gen_status.py --check  # exit 1 if it is stale

``tests/test_abi.py`` runs the same comparison, so a header change without a regenerated
module fails the Python tests.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = HERE.parents[2] / "include" / "xoxe.h"
TARGET = HERE.parent / "src" / "xoxe" / "_status.py"

# (class, C enum, prefix, docstring): the enums the binding exposes as IntEnum classes.
CLASSES = [
    ("Status", "xoxe_status", "XOXE_STATUS_", "Every outcome of an xoxe call (``XOXE_STATUS_*``)."),
    (
        "StatusFamily",
        "xoxe_status_family",
        "XOXE_STATUS_FAMILY_",
        "The coarse class of a status (``XOXE_STATUS_FAMILY_*``); one exception class each.",
    ),
    ("Preset", "xoxe_preset", "XOXE_PRESET_", "Which Slack to talk to (``XOXE_PRESET_*``)."),
]
# The #defines the binding uses, and the C enums it only passes through (plain constants).
DEFINES = ["ABI_VERSION", "MAX_TOKEN_LEN", "MAX_CHAIN_NAME_LEN"]
CONSTANT_ENUMS = [("xoxe_chain_kind", "XOXE_"), ("xoxe_log_level", "XOXE_")]


def _fail(what: str) -> SystemExit:
    return SystemExit(f"{what} not found in {HEADER}")


def _comment(lines: list[str]) -> str:
    return " ".join(line.strip()[2:].strip() for line in lines)


def _enum(header: str, name: str, prefix: str) -> list[tuple[str, int, str]]:
    m = re.search(r"enum " + name + r"\s*\n.*?\{(.*?)\};", header, re.S)
    if not m:
        raise _fail(f"enum {name}")
    out: list[tuple[str, int, str]] = []
    comment: list[str] = []
    for line in m.group(1).splitlines():
        if line.strip().startswith("//"):
            comment.append(line)
            continue
        entry = re.match(r"\s*" + prefix + r"(\w+)\s*=\s*(\d+),?", line)
        if entry:
            out.append((entry.group(1), int(entry.group(2)), _comment(comment)))
        comment = []
    return out


def _define(header: str, name: str) -> tuple[str, int, str]:
    # `XOXE_` is optional: cbindgen writes a constant re-exported under a new name
    # (src/ffi/chains.rs's XOXE_MAX_CHAIN_NAME_LEN) with its original, bare name.
    m = re.search(r"((?:^//[^\n]*\n)*)#define (?:XOXE_)?" + name + r" (\d+)\n", header, re.M)
    if not m:
        raise _fail(f"#define XOXE_{name}")
    return name, int(m.group(2)), _comment(m.group(1).splitlines())


def _wrap(text: str, indent: str, prefix: str = "") -> str:
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    if prefix:  # a #: comment
        return "".join(f"{indent}{prefix}{line}\n" for line in textwrap.wrap(text, 116 - len(indent)))
    lines = textwrap.wrap(f'"""{text}"""', 116 - len(indent))
    return "".join(f"{indent}{line}\n" for line in lines)


def generate(header: str) -> str:
    out = [
        '"""Generated from include/xoxe.h by tools/gen_status.py (do not edit): the header\'s\n'
        "constants and enums, and the preset base URLs it documents. tests/test_abi.py fails when this\n"
        'module and the header or the loaded library disagree."""\n\n'
        "from __future__ import annotations\n\n"
        "import enum\n\n"
    ]
    constants: list[tuple[str, object, str]] = [_define(header, name) for name in DEFINES]
    for enum_name, prefix in CONSTANT_ENUMS:
        constants += _enum(header, enum_name, prefix)
    presets = {name: doc for name, _, doc in _enum(header, "xoxe_preset", "XOXE_PRESET_")}
    for name, doc in presets.items():
        url = re.search(r"`(https://[^`]+)`", doc)
        if not url:
            raise _fail(f"the base URL of XOXE_PRESET_{name}")
        constants.append((f"{name}_BASE_URL", url.group(1), f"The base URL of ``Preset.{name}``."))
    for name, value, doc in constants:
        literal = f'"{value}"' if isinstance(value, str) else value
        out.append(f"{_wrap(doc, '', '#: ')}{name} = {literal}\n")
    for cls, enum_name, prefix, doc in CLASSES:
        entries = _enum(header, enum_name, prefix)
        # FAMILY_ entries belong to the other enum; the prefix alone does not keep them apart.
        entries = [e for e in entries if cls != "Status" or not e[0].startswith("FAMILY_")]
        body = "".join(f"    {n} = {v}\n{_wrap(c, '    ') if c else ''}" for n, v, c in entries)
        out.append(f'\n\nclass {cls}(enum.IntEnum):\n    """{doc}"""\n\n{body}')
    return "".join(out)


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
