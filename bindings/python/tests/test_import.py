"""``import xoxe`` stays cheap: it imports none of the modules it defers to the functions
that use them (a structural check in a fresh interpreter, never a timing one), and what
it defers still works once asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Modules ``import xoxe`` leaves to first use (with the module of xoxe that uses them).
DEFERRED = {
    "typing": "annotations only (TYPE_CHECKING); xoxe._protocols, TokenLike",
    "dataclasses": "xoxe._frozen makes the result types; asdict/fields import it",
    "inspect": "through dataclasses",
    "pathlib": "xoxe.LIBRARY_PATH, library_path(), error messages",
    "urllib.parse": "through pathlib",
    "logging": "enable_logging(), a ForeignStore backend's failing unlock()",
    "atexit": "enable_logging()",
    "json": "ApiResponse, XoxeError.response",
    "hmac": "Secret.__eq__",
    "hashlib": "through hmac",
    "threading": "xoxe uses _thread's lock and local",
    "datetime": "Store.init(expires_at=datetime)",
    "re": "through typing, dataclasses",
    "importlib.machinery": "the packaged library's suffixes come from _imp",
    "collections.abc": "xoxe uses _collections_abc's Mapping",
    "enum": "xoxe.Status, StatusFamily, Preset (_enums), ChainKind (_kinds), an error's code",
    "functools": "through enum",
    "collections": "through functools",
    "xoxe._enums": "the IntEnum classes, on first use",
    "xoxe._kinds": "ChainKind, on first use",
    "xoxe._protocols": "the backend protocols, on first use",
}


def _run(code: str) -> object:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop("PYTHONSTARTUP", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_xoxe_imports_no_deferred_module() -> None:
    found = _run(
        "import sys; before = set(sys.modules); import xoxe; new = sorted(set(sys.modules) - before); "
        "import json; print(json.dumps(new))"  # json only once the list is taken
    )
    assert isinstance(found, list)
    imported = sorted(set(found) & set(DEFERRED))
    assert not imported, f"import xoxe imports what it should defer: {imported}"


@pytest.mark.parametrize(
    "expr",
    [
        "type(xoxe.LIBRARY_PATH).__module__.startswith('pathlib') and xoxe.LIBRARY_PATH.is_absolute()",
        "xoxe.LIBRARY_PATH == xoxe._ffi.library_path()",
        "isinstance(object(), xoxe.StoreBackend) is False and xoxe.StoreBackend is xoxe._store.StoreBackend",
        "xoxe.ChainBackend.__name__ == 'ChainBackend' and issubclass(xoxe.LockingStoreBackend, xoxe.StoreBackend)",
        "'StoreBackend' in xoxe.__all__ and not hasattr(xoxe, 'NoSuchName')",
        "str(xoxe._client.TokenLike) == 'typing.Union[str, xoxe._secret.Secret]'",
        "__import__('dataclasses').fields(xoxe.AccessToken)[1].name == 'expires_at'",
        "xoxe.Status.OK == 0 and xoxe.Status is xoxe._status.Status and xoxe.Preset.GOV_SLACK == 1",
        "xoxe.ChainKind('oauth') is xoxe.ChainKind.OAUTH and xoxe.StatusFamily(3).name == 'SLACK_API'",
        "xoxe.exception_class_for(xoxe.Status.CHAIN_DEAD) is xoxe.ChainDeadError",
    ],
)
def test_what_is_deferred_works_when_asked_for(expr: str) -> None:
    assert _run(f"import json, xoxe, xoxe._store, xoxe._client; print(json.dumps(bool({expr})))") is True


def test_log_levels_are_loggings() -> None:
    import logging

    from xoxe import _logging

    assert sorted(_logging._TO_LOGGING.values()) == [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR]
    assert _logging._TO_LOGGING[_logging._status.LOG_LEVEL_ERROR] == logging.ERROR
    assert _logging._TO_LOGGING[_logging._status.LOG_LEVEL_DEBUG] == logging.DEBUG
