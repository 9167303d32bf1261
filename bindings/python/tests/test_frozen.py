"""The result types are made by ``xoxe._frozen`` (``import xoxe`` does not import
:mod:`dataclasses`): each must behave as the class ``dataclasses.dataclass(frozen=True)``
makes of the same fields — constructor, repr (``repr=False`` fields left out), equality,
hash, immutability, pattern matching — and be a dataclass to the :mod:`dataclasses`
module (``fields``, ``asdict``, ``astuple``, ``replace``), to copy and to pickle."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys
from typing import Any

import pytest
import xoxe
from xoxe import _frozen
from xoxe._install import AuthedUser, IncomingWebhook, InstalledToken

SECRET = xoxe.Secret("xoxe.xoxp-1-0123456789abcdef")
CLASSES: list[type] = [
    xoxe.AccessToken,
    xoxe.ConfigToken,
    xoxe.OAuthToken,
    xoxe.AuthTestResponse,
    xoxe.ApiResponse,
    xoxe.PoolStats,
    xoxe.ChainStatus,
    xoxe.Install,
    InstalledToken,
    AuthedUser,
    IncomingWebhook,
]


def _real(cls: type) -> Any:
    """The class the real decorator makes of ``cls``'s fields (annotations, defaults, repr)."""
    ns: dict[str, Any] = {"__annotations__": {}, "__module__": cls.__module__, "__qualname__": cls.__qualname__}
    for name, annotation in inspect.get_annotations(cls).items():
        if annotation.startswith("ClassVar"):
            continue
        ns["__annotations__"][name] = annotation
        f = cls.__dataclass_fields__[name]  # type: ignore[attr-defined]
        kw = {} if f.default is dataclasses.MISSING else {"default": f.default}
        ns[name] = dataclasses.field(repr=f.repr, **kw)
    return dataclasses.dataclass(frozen=True)(type(cls.__name__, (), ns))


def _sample(cls: type, salt: int) -> dict[str, Any]:
    """A value for every parameter of ``cls``: secrets for Secret fields, numbers, text."""
    values: dict[str, Any] = {}
    for i, (name, annotation) in enumerate(inspect.get_annotations(cls).items()):
        if annotation.startswith("ClassVar"):
            continue
        if annotation.startswith("Secret"):
            values[name] = xoxe.Secret(f"xoxe.xoxp-1-{salt}-{i}-abcdefghijkl")
        elif annotation.startswith(("int", "float")):
            values[name] = salt * 100 + i
        elif annotation.startswith("bool"):
            values[name] = bool(salt % 2)
        elif annotation.startswith("tuple"):
            values[name] = (f"w{salt}",)
        elif annotation.startswith("dict"):
            values[name] = {"k": salt}
        else:
            values[name] = f"v{salt}-{i}"
    return values


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_result_type_behaves_as_the_real_frozen_dataclass(cls: type) -> None:
    real = _real(cls)
    ours_sig, real_sig = inspect.signature(cls), inspect.signature(real)
    assert [(p.name, p.kind, p.default) for p in ours_sig.parameters.values()] == [
        (p.name, p.kind, p.default) for p in real_sig.parameters.values()
    ]
    values, other = _sample(cls, 1), _sample(cls, 2)
    a, b, c = cls(**values), cls(**values), cls(**other)
    ra, rc = real(**values), real(**other)
    if "__repr__" not in cls.__dict__:  # ApiResponse writes its own
        assert repr(a) == repr(ra)
    assert (a == b, a == c, a != c) == (ra == real(**values), ra == rc, ra != rc) == (True, False, True)
    assert a.__eq__(object()) is NotImplemented
    if cls.__hash__ is not None:
        assert hash(a) == hash(ra) == hash(b)
    else:
        assert real.__hash__ is not None or cls is xoxe.ApiResponse
    assert cls.__match_args__ == real.__match_args__  # type: ignore[attr-defined]
    name = next(iter(values))
    for attempt in (lambda: setattr(a, name, 1), lambda: delattr(a, name), lambda: setattr(a, "new", 1)):
        with pytest.raises(dataclasses.FrozenInstanceError) as ours:
            attempt()
        assert str(ours.value) in (f"cannot assign to field {name!r}", "cannot assign to field 'new'")
    assert dataclasses.is_dataclass(cls) and dataclasses.is_dataclass(a)
    assert [(f.name, f.repr, f.default) for f in dataclasses.fields(a)] == [
        (f.name, f.repr, f.default) for f in dataclasses.fields(ra)
    ]
    assert dataclasses.asdict(a) == dataclasses.asdict(ra) and dataclasses.astuple(a) == dataclasses.astuple(ra)
    replaced = dataclasses.replace(a, **{name: other[name]})
    assert type(replaced) is cls and getattr(replaced, name) == other[name]
    assert copy.copy(a) == a and copy.deepcopy(a) == a and pickle.loads(pickle.dumps(a)) == a
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_defaults_stay_class_attributes_and_fields_are_not() -> None:
    assert xoxe.OAuthToken.bot_user_id is None and xoxe.OAuthToken.warnings == ()
    assert "data" not in xoxe.ApiResponse.__dict__ and "raw_json" not in xoxe.Install.__dict__
    assert xoxe.Install._handle is None  # a ClassVar: not a field
    assert "_handle" not in {f.name for f in dataclasses.fields(xoxe.Install)}


def test_repr_leaves_out_repr_false_fields() -> None:
    install = xoxe.Install(**_sample(xoxe.Install, 3))
    assert "raw_json" not in repr(install) and "xoxe.xoxp-1-3" not in repr(install)
    assert repr(xoxe.ApiResponse({"token": "x"})) == "ApiResponse(keys=['token'], warnings=())"


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match is Python 3.10+")
def test_match_statement_sees_the_fields() -> None:
    token = xoxe.AccessToken(SECRET, 42)
    namespace: dict[str, Any] = {"token": token}
    exec("match token:\n    case xoxe.AccessToken(t, e):\n        found = (t, e)\n", {"xoxe": xoxe}, namespace)
    assert namespace["found"] == (SECRET, 42)


def test_only_frozen_classes() -> None:
    with pytest.raises(TypeError):
        _frozen.dataclass(frozen=False)
    with pytest.raises(TypeError, match="non-default argument"):
        _frozen.dataclass(frozen=True)(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}))
