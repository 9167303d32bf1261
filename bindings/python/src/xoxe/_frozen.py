"""``dataclass(frozen=True)`` and ``field`` for xoxe's result types, without importing
:mod:`dataclasses` (which imports :mod:`inspect`, :mod:`re`, :mod:`copy`…: with the
classes it made, most of ``import xoxe``'s time).

Modules write ``@dataclass(frozen=True)`` and ``field(repr=False)`` as with the real
ones, importing the real ones under ``TYPE_CHECKING`` (so mypy checks real dataclasses)
and these at run time. A class made here has what the real decorator gives a frozen
class: ``__init__`` with the fields as parameters, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``/``__delattr__`` raising ``dataclasses.FrozenInstanceError``,
``__match_args__``; methods the class body defines are kept, as the real decorator
keeps them. To the :mod:`dataclasses` module it is a dataclass: ``__dataclass_fields__``
and ``__dataclass_params__`` are made on first access, by the real decorator over a
copy of the fields, so ``fields``, ``is_dataclass``, ``asdict``, ``astuple`` and
``replace`` work as before. ``tests/test_frozen.py`` compares each result type with the
class the real decorator makes.

Supported: annotated fields (a ``ClassVar`` annotation is not a field), plain defaults,
``field(default=…, repr=…)``; frozen classes only.
"""

from __future__ import annotations

from _operator import attrgetter  # operator.attrgetter, without importing operator

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    T = TypeVar("T", bound=type)

_MISSING: Any = object()


def _frozen_error(name: str) -> Exception:
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(f"cannot assign to field {name!r}")


class _Lazy:
    """``__dataclass_fields__`` or ``__dataclass_params__`` of ``cls``: both are made by
    the real decorator (over a copy of the fields) on the first access to either, then
    stored on the class in place of these descriptors."""

    def __init__(self, cls: type, spec: tuple[tuple[str, str, object, bool], ...], attr: str) -> None:
        self.cls, self.spec, self.attr = cls, spec, attr

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        import dataclasses

        cls = self.cls
        ns: dict[str, Any] = {"__annotations__": {}, "__module__": cls.__module__, "__qualname__": cls.__qualname__}
        for name, annotation, default, shown in self.spec:
            ns["__annotations__"][name] = annotation
            if default is not _MISSING or not shown:
                kw: dict[str, Any] = {} if default is _MISSING else {"default": default}
                ns[name] = dataclasses.field(repr=shown, **kw)
        shadow: Any = dataclasses.dataclass(frozen=True)(type(cls.__name__, (), ns))
        for attr in ("__dataclass_fields__", "__dataclass_params__"):
            type.__setattr__(cls, attr, getattr(shadow, attr))
        return getattr(cls, self.attr)


class _FieldSpec:
    """What :func:`field` says of a field (``repr=False``, a default)."""

    __slots__ = ("default", "repr")

    def __init__(self, default: object, repr: bool) -> None:
        self.default, self.repr = default, repr


def field(*, default: Any = _MISSING, repr: bool = True) -> Any:
    """``dataclasses.field`` (``default`` and ``repr`` only)."""
    return _FieldSpec(default, repr)


def dataclass(*, frozen: bool) -> Callable[[T], T]:
    """``dataclasses.dataclass(frozen=True)``: see the module."""
    if frozen is not True:
        raise TypeError("xoxe's dataclass makes frozen classes only")
    return _make


def _make(cls: T) -> T:
    body = cls.__dict__
    annotations: dict[str, str] = body.get("__annotations__", {})
    spec: list[tuple[str, str, object, bool]] = []
    for name, annotation in annotations.items():
        if annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue  # a class variable, not a field
        value = body.get(name, _MISSING)
        if isinstance(value, _FieldSpec):
            spec.append((name, annotation, value.default, value.repr))
        else:
            spec.append((name, annotation, value, True))
    names = tuple(name for name, *_ in spec)
    params: list[str] = []
    for name, _, default, _ in spec:
        if default is _MISSING:
            if params and "=" in params[-1]:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            params.append(name)
        else:
            params.append(f"{name}=__default_{name}")
    # __init__ is compiled, as the real decorator does (its signature is the fields);
    # the other methods are closures over the field names, which compile nothing.
    source = "\n".join(
        [f"def __init__(self, {', '.join(params)}):", "    __d = self.__dict__"]
        + [f"    __d[{n!r}] = {n}" for n in names]
    )
    ns: dict[str, Any] = {f"__default_{n}": d for n, _, d, _ in spec if d is not _MISSING}
    ns["__name__"] = cls.__module__
    exec(source, ns)
    values = attrgetter(*names) if len(names) > 1 else (lambda obj: (getattr(obj, names[0]),))
    shown = tuple((f"{n}=", attrgetter(n)) for n, _, _, r in spec if r)

    def __repr__(self: Any) -> str:
        return f"{self.__class__.__qualname__}({', '.join(label + repr(get(self)) for label, get in shown)})"

    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(values(self))

    fields = frozenset(names)

    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in fields:
            raise _frozen_error(name)
        object.__setattr__(self, name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise _frozen_error(name)
        object.__delattr__(self, name)

    methods: dict[str, Any] = {
        "__init__": ns["__init__"],
        "__repr__": __repr__,
        "__eq__": __eq__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
        "__match_args__": names,
    }
    if "__hash__" not in body:  # as the real decorator: an explicit __hash__ (even None) stays
        methods["__hash__"] = __hash__
    for name, fn in methods.items():
        if name in body:
            if name in ("__setattr__", "__delattr__"):
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            continue  # a method the class defines is kept
        if callable(fn):
            fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
        type.__setattr__(cls, name, fn)
    for name, _, default, _ in spec:  # as the real decorator: a default stays a class attribute
        if isinstance(body.get(name), _FieldSpec):
            if default is _MISSING:
                type.__delattr__(cls, name)
            else:
                type.__setattr__(cls, name, default)
    for attr in ("__dataclass_fields__", "__dataclass_params__"):
        type.__setattr__(cls, attr, _Lazy(cls, tuple(spec), attr))
    return cls
