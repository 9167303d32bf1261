#!/usr/bin/env python3
"""Checks an installed ``xoxe`` (run by ``make test-python-install`` from a fresh venv,
outside the source tree, with ``XOXE_LIBRARY`` unset; and by ``make dist-check`` on the
wheel): the package imports, loads the library it carries inside the package by absolute
path, and works, and the ``xoxe`` command runs the command line packaged with it."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

assert "XOXE_LIBRARY" not in os.environ, "unset XOXE_LIBRARY for this check"

import xoxe  # noqa: E402

pkg = Path(xoxe.__file__).resolve().parent
lib = Path(xoxe.LIBRARY_PATH)
assert lib.is_absolute() and lib.parent == pkg, f"library {lib} is not inside {pkg}"
assert "site-packages" in str(pkg), f"xoxe imported from {pkg}, not an installed copy"
assert (pkg / "py.typed").is_file(), "py.typed is missing"
for module in ("aio.py", "bolt/__init__.py", "bolt/async_app.py", "slack_sdk/__init__.py", "slack_sdk/async_client.py"):
    assert (pkg / module).is_file(), f"{module} is missing from the installed package"
assert xoxe.lib.xoxe_abi_version() == xoxe.ABI_VERSION
with xoxe.Client(preset=xoxe.Preset.GOV_SLACK) as client:
    assert client.base_url == xoxe.GOV_SLACK_BASE_URL
assert xoxe.redact("xoxe-1-" + "a" * 30 + "wxyz") == "xoxe-1-…wxyz"
try:
    xoxe.Client("http://example.com/api/")
except xoxe.InsecureUrlError:
    pass
else:
    sys.exit("expected InsecureUrlError")
# The rotator and a store, without network: a fresh token comes from the store.
store = xoxe.MemoryStore()
store.init("xoxe-1-" + "b" * 30, access_token="xoxe.xoxp-1-" + "c" * 30, expires_at=2**40)
with xoxe.Client("http://127.0.0.1:9/api/") as offline, xoxe.Rotator.config(offline, store) as rotator:
    got = rotator.get()
    assert got.expires_at == 2**40 and got.token == "xoxe.xoxp-1-" + "c" * 30
# The fleet stores are in the packaged library (a build without them says UNSUPPORTED):
# nothing listens on port 9, so each fails to connect, naming the URL without its password.
for fleet_store, url in [
    (xoxe.PostgresStore, "postgresql://xoxe:not-a-password@127.0.0.1:9/db"),
    (xoxe.RedisStore, "redis://:not-a-password@127.0.0.1:9/0"),
]:
    try:
        fleet_store(url)
    except xoxe.StoreIoError as exc:
        assert "not-a-password" not in str(exc) and "***" in str(exc), "the password is redacted"
    else:
        sys.exit(f"expected StoreIoError from {fleet_store.__name__} on a closed port")
# One version: the package's metadata, xoxe.__version__ and the library's agree.
assert importlib.metadata.version("xoxe") == xoxe.__version__ == xoxe.library_version(), "versions differ"
# The xoxe command line: a console script in the environment's bin/, and python -m xoxe.
command = shutil.which("xoxe")
assert command and Path(command).resolve().parent == (Path(sys.prefix) / "bin").resolve(), f"xoxe command: {command}"
for argv in ([command, "--version"], [sys.executable, "-m", "xoxe", "--version"]):
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"xoxe {xoxe.__version__}", f"{argv[1:]} printed {out!r}"
print(f"installed xoxe OK: {pkg} loads {lib.name} (libxoxe {xoxe.library_version()})")
