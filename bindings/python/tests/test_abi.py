"""The binding matches include/xoxe.h and the loaded library: functions, structs, statuses."""

from __future__ import annotations

import ctypes
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Union

import pytest
import xoxe
from conftest import HEADER, ROOT
from xoxe import _ffi


def _header() -> str:
    text = HEADER.read_text()
    text = re.sub(r"//[^\n]*", "", text)  # drop comments
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)  # and preprocessor lines
    return re.sub(r'extern\s+"C"\s*\{', "", text)


def _split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside (), {} and []."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "({[") - (ch in ")}]")
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [" ".join(p.split()) for p in parts if p.strip()]


# A C type as the binding must mirror it: a normalised string ("const char *"), or for a
# function pointer ("fn", return type, [parameter types]).
CType = Union[str, tuple[str, "CType", list["CType"]]]


def _norm(c_type: str) -> str:
    return " ".join(re.sub(r"\s*\*", " *", c_type).split())


def _decl(decl: str) -> tuple[str, CType]:
    """(name, type) of a parameter or field declaration."""
    fn = re.fullmatch(r"(.*?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", decl)
    if fn:
        return fn.group(2), ("fn", _norm(fn.group(1)), [t for _, t in map(_decl, _split(fn.group(3), ","))])
    m = re.fullmatch(r"(.*?)\s*\b(\w+)", decl)
    assert m, decl
    return m.group(2), _norm(m.group(1))


def header_functions() -> dict[str, tuple[CType, list[CType]]]:
    """name -> (return type, [parameter types]) for every function the header declares,
    function-pointer parameters included."""
    found: dict[str, tuple[CType, list[CType]]] = {}
    for stmt in _split(_header(), ";"):
        m = re.fullmatch(r"(?!typedef|enum)(.*?)\b(xoxe_\w+)\s*\((.*)\)", stmt)
        if m:
            params = [] if m.group(3).strip() in ("", "void") else _split(m.group(3), ",")
            found[m.group(2)] = (_norm(m.group(1)), [t for _, t in map(_decl, params)])
    return found


def header_structs() -> dict[str, list[tuple[str, CType]]]:
    return {
        m.group(2): [_decl(d) for d in _split(m.group(1), ";")]
        for m in re.finditer(r"typedef struct \{(.*?)\}\s*(xoxe_\w+)\s*;", _header(), re.S)
    }


def header_enum(name: str, prefix: str) -> dict[str, int]:
    body = re.search(r"enum " + name + r"\s*\n.*?\{(.*?)\};", _header(), re.S)
    assert body, name
    return {k: int(v) for k, v in re.findall(prefix + r"(\w+)\s*=\s*(\d+)", body.group(1))}


# C type (as normalised by _norm) -> the ctypes type the binding must use.
C_TYPES = {
    "xoxe_status": ctypes.c_uint32,
    "xoxe_status_family": ctypes.c_uint32,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "uint16_t": ctypes.c_uint16,
    "int64_t": ctypes.c_int64,
    "int32_t": ctypes.c_int32,
    "int64_t *": ctypes.POINTER(ctypes.c_int64),
    "uint32_t *": ctypes.POINTER(ctypes.c_uint32),
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "bool *": ctypes.POINTER(ctypes.c_bool),
    "void *": ctypes.c_void_p,
    "size_t": ctypes.c_size_t,
    "bool": ctypes.c_bool,
    "const char *": ctypes.c_char_p,
    "char *": (ctypes.c_void_p, ctypes.c_char_p),  # a writable buffer
    "const char *const *": ctypes.POINTER(ctypes.c_char_p),
    "void": None,
}


def _compatible(c_type: CType, py_type: object) -> bool:
    if isinstance(c_type, tuple):  # a CFUNCTYPE with the same return and parameter types
        _, ret, params = c_type
        argtypes = getattr(py_type, "_argtypes_", None)
        return (
            argtypes is not None
            and _compatible(ret, getattr(py_type, "_restype_", "missing"))
            and len(argtypes) == len(params)
            and all(map(_compatible, params, argtypes))
        )
    if c_type in C_TYPES:
        want = C_TYPES[c_type]
        return py_type in want if isinstance(want, tuple) else py_type is want
    m = re.fullmatch(r"xoxe_\w+", c_type)
    if m:  # a struct held by value (a field of another struct)
        return isinstance(py_type, type) and issubclass(py_type, ctypes.Structure) and py_type.__name__ == c_type
    m = re.fullmatch(r"(?:const )?(xoxe_\w+) \*", c_type)
    if m:  # pointer to a handle or an info struct
        target = getattr(py_type, "_type_", None)
        return getattr(target, "__name__", None) == m.group(1)
    m = re.fullmatch(r"(xoxe_\w+) \* \*", c_type)
    if m:  # out-parameter: pointer to pointer to handle
        inner = getattr(py_type, "_type_", None)
        target = getattr(inner, "_type_", None)
        return getattr(target, "__name__", None) == m.group(1)
    return False


def test_the_parser_sees_function_pointers() -> None:
    _, params = header_functions()["xoxe_set_logger"]
    assert params[0] == ("fn", "void", ["void *", "uint32_t", "const char *"])
    fields = dict(header_structs()["xoxe_store_callbacks"])
    assert fields["save"] == ("fn", "int32_t", ["void *", "bool", "uint64_t", "uint64_t", "const char *"])


def test_header_is_found() -> None:
    assert HEADER.is_file()


def test_every_header_function_is_declared() -> None:
    declared = set(_ffi.SIGNATURES)
    in_header = set(header_functions())
    assert len(in_header) >= 30
    missing = sorted(in_header - declared)
    assert not missing, f"functions in xoxe.h without a ctypes declaration: {missing}"
    extra = sorted(declared - in_header)
    assert not extra, f"declared but not in xoxe.h: {extra}"


def test_signatures_match_the_header() -> None:
    problems = []
    for name, (ret, params) in header_functions().items():
        restype, argtypes = _ffi.SIGNATURES[name]
        if len(params) != len(argtypes):
            problems.append(f"{name}: {len(params)} parameters in C, {len(argtypes)} declared")
            continue
        if not _compatible(ret, restype):
            problems.append(f"{name}: returns {ret!r}, declared {restype!r}")
        for i, (c, py) in enumerate(zip(params, argtypes)):
            if not _compatible(c, py):
                problems.append(f"{name} arg {i}: {c!r} declared as {py!r}")
        fn = getattr(xoxe.lib, name)
        if fn.argtypes is None or list(fn.argtypes) != list(argtypes):
            problems.append(f"{name}: argtypes not applied to the loaded library")
    assert not problems, "\n".join(problems)


def test_info_structs_match_the_header() -> None:
    structs = header_structs()
    assert set(structs) == set(_ffi.STRUCTS)
    problems = []
    for name, fields in structs.items():
        py_fields = _ffi.STRUCTS[name]._fields_
        if [f for f, _ in fields] != [f for f, _ in py_fields]:
            problems.append(f"{name}: fields {[f for f, _ in fields]} vs {[f for f, _ in py_fields]}")
            continue
        for (fname, ctype), (_, pytype) in zip(fields, py_fields):
            if fname == "json":  # read by length: declared c_void_p on purpose
                assert pytype is ctypes.c_void_p
                continue
            if not _compatible(ctype, pytype):
                problems.append(f"{name}.{fname}: {ctype!r} declared as {pytype!r}")
    assert not problems, "\n".join(problems)


def test_fast_prototypes_are_the_same_functions_with_pointer_sized_arguments() -> None:
    functions = header_functions()
    for name in _ffi.FAST:
        ret, params = functions[name]
        fn = _ffi.fast(name)
        assert _compatible(ret, fn.restype) and len(fn.argtypes) == len(params), name
        for c, py in zip(params, fn.argtypes):
            assert py is ctypes.c_void_p if "*" in c else _compatible(c, py), (name, c, py)


def test_raw_prototypes_convert_nothing_and_return_the_status() -> None:
    """The pool's per-request prototypes (no argtypes: their callers pass C types)."""
    functions = header_functions()
    for name in _ffi.RAW:
        assert name in functions and name in _ffi.FAST, name
        fn = _ffi.raw(name)
        assert fn.argtypes is None and fn.restype is _ffi.SIGNATURES[name][0], name
        assert fn is not getattr(_ffi.lib, name) and getattr(_ffi.lib, name).argtypes, "lib keeps its typed one"


def test_result_types_copy_fields_the_info_structs_have() -> None:
    for cls, struct in [
        (xoxe.ConfigToken, _ffi.xoxe_config_token_info),
        (xoxe.OAuthToken, _ffi.xoxe_oauth_token_info),
        (xoxe.AuthTestResponse, _ffi.xoxe_auth_identity_info),
        (xoxe.PoolStats, _ffi.xoxe_pool_stats_info),
    ]:
        have = {name for name, _ in struct._fields_}
        assert {f.name for f in dataclasses.fields(cls)} <= have, cls
    # ChainStatus: every field of xoxe_chain_info, status and error_message made into `error`.
    chain_info = {name for name, _ in _ffi.xoxe_chain_info._fields_} - {"status", "error_message"}
    assert {f.name for f in dataclasses.fields(xoxe.ChainStatus)} == chain_info | {"error"}


def test_install_copies_every_field_of_its_info_struct() -> None:
    """Every field of ``xoxe_install_info`` lands in the ``Install`` (each string set to
    a value of its own, each number to one of its own, found again in the result)."""
    info = _ffi.xoxe_install_info()
    keep = []  # the C strings' buffers, alive while info points into them
    expected: dict[str, object] = {}
    for i, (name, ctype) in enumerate(_ffi.xoxe_install_info._fields_):
        if ctype is ctypes.c_char_p:
            value = f"v{i}-{name}"
            buf = ctypes.create_string_buffer(value.encode())
            keep.append(buf)
            setattr(info, name, ctypes.cast(buf, ctypes.c_char_p))
            expected[name] = value
        elif ctype is ctypes.c_int64:
            setattr(info, name, 1000 * (i + 1))
            expected[name] = 1000 * (i + 1)
    info.is_enterprise_install = True
    warnings = (ctypes.c_char_p * 1)(b"w-1")
    info.warnings, info.warnings_len = warnings, 1
    info.raw_json_len = len(expected["raw_json"])  # type: ignore[arg-type]
    install = xoxe.Install._from_info(info)

    found: list[object] = []

    def walk(value: object) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, xoxe.Secret):
            found.append(value.get_secret_value())
        elif isinstance(value, tuple):
            found.extend(value)
        else:
            found.append(value)

    walk(install)
    missing = [name for name, value in expected.items() if value not in found]
    assert not missing, f"xoxe_install_info fields the Install does not copy: {missing}"
    assert install.is_enterprise_install is True and install.warnings == ("w-1",)
    assert install.bot and install.bot.expires_at == install.received_at + install.bot.expires_in


def test_the_parser_sees_structs_held_by_value() -> None:
    fields = dict(header_structs()["xoxe_pool_options"])
    assert fields["rotator"] == "xoxe_rotator_options"
    assert _compatible("xoxe_rotator_options", _ffi.xoxe_rotator_options)
    assert not _compatible("xoxe_rotator_options", _ffi.xoxe_pool_options)
    assert not _compatible("xoxe_rotator_options", ctypes.c_uint32)


def test_status_table_is_generated_from_the_current_header() -> None:
    sys.path.insert(0, str(ROOT / "bindings" / "python" / "tools"))
    try:
        import gen_status
    finally:
        sys.path.pop(0)
    table = Path(xoxe._status.__file__).read_text()
    assert table == gen_status.generate(HEADER.read_text()), (
        "src/xoxe/_status.py is stale: run python3 bindings/python/tools/gen_status.py"
    )
    enums = Path(xoxe._status.__file__).with_name("_enums.py").read_text()
    assert enums == gen_status.generate_enums(HEADER.read_text()), (
        "src/xoxe/_enums.py is stale: run python3 bindings/python/tools/gen_status.py"
    )


def test_the_plain_status_values_are_the_enums() -> None:
    """_status's plain ints (what import-time code uses) and _enums' IntEnums agree."""
    for plain, enum_cls in [
        (xoxe._status._Status, xoxe.Status),
        (xoxe._status._StatusFamily, xoxe.StatusFamily),
        (xoxe._status._Preset, xoxe.Preset),
    ]:
        values = {k: v for k, v in vars(plain).items() if not k.startswith("_")}
        assert values == {m.name: int(m) for m in enum_cls}
    assert xoxe._status.Status is xoxe.Status and xoxe._store.ChainKind is xoxe.ChainKind


def test_status_enum_matches_header_and_library() -> None:
    codes = header_enum("xoxe_status", "XOXE_STATUS_")
    ours = {s.name: int(s) for s in xoxe.Status}
    assert ours == codes, f"differs from xoxe.h: {sorted(set(ours.items()) ^ set(codes.items()))}"
    for status in xoxe.Status:
        name = xoxe.lib.xoxe_status_name(int(status)).decode()
        assert name == status.name.lower() == xoxe.status_name(status), (status, name)
    assert xoxe.status_name(999_999) == "unknown_status"


def test_families_match_the_library() -> None:
    for status in xoxe.Status:
        fam = xoxe.StatusFamily(xoxe.lib.xoxe_status_family_of(int(status)))
        assert xoxe.status_family(status) is fam
        assert issubclass(
            xoxe.exception_class_for(status),
            xoxe.exception_class_for(-1, fam) if fam != xoxe.StatusFamily.OK else xoxe.XoxeError,
        ), (status, fam)


def test_family_and_preset_enums_match_header() -> None:
    fams = header_enum("xoxe_status_family", "XOXE_STATUS_FAMILY_")
    assert {f.name: int(f) for f in xoxe.StatusFamily} == fams
    presets = header_enum("xoxe_preset", "XOXE_PRESET_")
    assert {p.name: int(p) for p in xoxe.Preset} == presets


def test_abi_version_and_library_path() -> None:
    m = re.search(r"#define XOXE_ABI_VERSION (\d+)", HEADER.read_text())
    assert m and int(m.group(1)) == xoxe.ABI_VERSION == xoxe.lib.xoxe_abi_version()
    assert xoxe.LIBRARY_PATH.is_absolute()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", xoxe.library_version())


def test_abi_mismatch_is_refused_with_a_clear_error() -> None:
    with pytest.raises(xoxe.LibraryLoadError, match=r"ABI version 1.*written for ABI version 99"):
        _ffi.load(xoxe.LIBRARY_PATH, expected_abi=99)
    assert issubclass(xoxe.LibraryLoadError, ImportError)


def _import_in_subprocess(env_library: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XOXE_LIBRARY=env_library, PYTHONPATH=str(ROOT / "bindings/python/src"))
    return subprocess.run([sys.executable, "-c", "import xoxe"], env=env, cwd=cwd, capture_output=True, text=True)


def test_relative_library_override_is_refused(tmp_path: Path) -> None:
    r = _import_in_subprocess("libxoxe.so", tmp_path)
    assert r.returncode != 0
    assert "must be an absolute path" in r.stderr


def test_missing_library_is_a_clear_import_error(tmp_path: Path) -> None:
    r = _import_in_subprocess(str(tmp_path / "nope.so"), tmp_path)
    assert r.returncode != 0
    assert "LibraryLoadError" in r.stderr and "not a file" in r.stderr
