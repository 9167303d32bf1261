#!/usr/bin/env python3
"""Regenerates ``src/xoxe/_status.py`` and ``src/xoxe/_enums.py`` from ``include/xoxe.h``:
its ``#define`` constants, its enums, and the preset base URLs it documents.

``_status.py`` holds plain ints (the constants, and each enum's values as attributes of
a plain class, ``_Status``…) and is imported with xoxe; ``_enums.py`` holds the public
``IntEnum`` classes (``Status``…), imported on first use (``import enum`` is a good part
of what ``import xoxe`` would cost otherwise).

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
ENUMS_TARGET = HERE.parent / "src" / "xoxe" / "_enums.py"

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


def _pool_default(header: str) -> tuple[str, int, str]:
    """The pool's default ``max_chains_in_memory``: ``#define XOXE_DEFAULT_MAX_CHAINS_IN_MEMORY``."""
    return _define(header, "DEFAULT_MAX_CHAINS_IN_MEMORY")


def _wrap(text: str, indent: str, prefix: str = "") -> str:
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    if prefix:  # a #: comment
        return "".join(f"{indent}{prefix}{line}\n" for line in textwrap.wrap(text, 116 - len(indent)))
    lines = textwrap.wrap(f'"""{text}"""', 116 - len(indent))
    return "".join(f"{indent}{line}\n" for line in lines)


def _entries(header: str, cls: str, enum_name: str, prefix: str) -> list[tuple[str, int, str]]:
    entries = _enum(header, enum_name, prefix)
    # FAMILY_ entries belong to the other enum; the prefix alone does not keep them apart.
    return [e for e in entries if cls != "Status" or not e[0].startswith("FAMILY_")]


def generate(header: str) -> str:
    """The text of ``_status.py``."""
    out = [
        '"""Generated from include/xoxe.h by tools/gen_status.py (do not edit): the header\'s\n'
        "constants, its enums' values as plain ints (``_Status.OK``…; the ``IntEnum`` classes are in\n"
        "_enums.py, imported on first use: ``Status`` here is that class), and the preset base URLs it\n"
        'documents. tests/test_abi.py fails when this module and the header or the loaded library disagree."""\n\n'
        "from __future__ import annotations\n\n"
    ]
    constants: list[tuple[str, object, str]] = [_define(header, name) for name in DEFINES]
    constants.append(_pool_default(header))
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
    for cls, enum_name, prefix, _ in CLASSES:
        body = "".join(f"    {n} = {v}\n" for n, v, _ in _entries(header, cls, enum_name, prefix))
        out.append(f'\n\nclass _{cls}:\n    """``{cls}``\'s values, as plain ints."""\n\n{body}')
    names = ", ".join(f'"{cls}"' for cls, *_ in CLASSES)
    out.append(
        "\n\ndef __getattr__(name: str) -> object:\n"
        f"    if name in ({names}):  # the IntEnum classes, made on first use\n"
        "        from . import _enums\n\n"
        "        return getattr(_enums, name)\n"
        '    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")\n'
    )
    return "".join(out)


def generate_enums(header: str) -> str:
    """The text of ``_enums.py``."""
    out = [
        '"""Generated from include/xoxe.h by tools/gen_status.py (do not edit): the header\'s enums\n'
        "as ``IntEnum`` classes (``xoxe.Status``…), imported on first use (``import enum`` is not\n"
        'part of ``import xoxe``). tests/test_abi.py fails when this module and the header disagree."""\n\n'
        "from __future__ import annotations\n\n"
        "import enum\n"
    ]
    for cls, enum_name, prefix, doc in CLASSES:
        entries = _entries(header, cls, enum_name, prefix)
        body = "".join(f"    {n} = {v}\n{_wrap(c, '    ') if c else ''}" for n, v, c in entries)
        out.append(f'\n\nclass {cls}(enum.IntEnum):\n    """{doc}"""\n\n{body}')
    return "".join(out)


def main() -> int:
    header = HEADER.read_text()
    outputs = {TARGET: generate(header), ENUMS_TARGET: generate_enums(header)}
    if "--check" in sys.argv[1:]:
        stale = [path for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        for path in stale:
            print(f"{path} is stale: run {Path(__file__).name}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
