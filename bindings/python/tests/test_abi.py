"""The binding matches include/xoxe.h and the loaded library: functions, structs, statuses."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import xoxe
from xoxe import _ffi
from conftest import HEADER, ROOT


def _header() -> str:
    text = HEADER.read_text()
    text = re.sub(r"//[^\n]*", "", text)  # drop comments
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)  # and preprocessor lines


def header_functions() -> Dict[str, Tuple[str, List[str]]]:
    """name -> (return type, [parameter types]) for every function the header declares."""
    text = _header()
    found: Dict[str, Tuple[str, List[str]]] = {}
    for m in re.finditer(r"([A-Za-z_][\w\s\*]*?)\b(xoxe_\w+)\s*\(([^;{)]*)\)\s*;", text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        if ret.startswith(("typedef", "#")):
            continue
        plist = [] if params in ("", "void") else [p.strip() for p in params.split(",")]
        types = [re.sub(r"\s*\b\w+$", "", p).strip() for p in plist]
        found[name] = (ret, types)
    return found


def header_structs() -> Dict[str, List[Tuple[str, str]]]:
    text = _header()
    out: Dict[str, List[Tuple[str, str]]] = {}
    for m in re.finditer(r"typedef struct \{(.*?)\}\s*(xoxe_\w+)\s*;", text, re.S):
        fields = []
        for decl in m.group(1).split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            fn = re.match(r"(.*?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", decl)
            if fn:  # function pointer: (name, "fn:<return>(<param count>)")
                nparams = len([p for p in fn.group(3).split(",") if p.strip()])
                fields.append((fn.group(2), f"fn:{fn.group(1).strip()}({nparams})"))
                continue
            fm = re.match(r"(.*?)\s*\b(\w+)$", decl)
            assert fm, decl
            fields.append((fm.group(2), fm.group(1).strip()))
        out[m.group(2)] = fields
    return out


def header_enum(name: str, prefix: str) -> Dict[str, int]:
    body = re.search(r"enum " + name + r"\s*\n.*?\{(.*?)\};", _header(), re.S)
    assert body, name
    return {k: int(v) for k, v in re.findall(prefix + r"(\w+)\s*=\s*(\d+)", body.group(1))}


# C type (as written in the header) -> the ctypes type the binding must use.
C_TYPES = {
    "xoxe_status": ctypes.c_uint32,
    "xoxe_status_family": ctypes.c_uint32,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "uint16_t": ctypes.c_uint16,
    "int64_t": ctypes.c_int64,
    "int32_t": ctypes.c_int32,
    "int64_t *": ctypes.POINTER(ctypes.c_int64),
    "void *": ctypes.c_void_p,
    "size_t": ctypes.c_size_t,
    "bool": ctypes.c_bool,
    "const char *": ctypes.c_char_p,
    "char *": (ctypes.c_void_p, ctypes.c_char_p),
    "const char *const *": ctypes.POINTER(ctypes.c_char_p),
    "void": None,
}


def _compatible(c_type: str, py_type: object) -> bool:
    fn = re.fullmatch(r"fn:(.*)\((\d+)\)", c_type)
    if fn:  # a CFUNCTYPE with the same return type and parameter count
        argtypes = getattr(py_type, "_argtypes_", None)
        restype = getattr(py_type, "_restype_", "missing")
        return (
            argtypes is not None
            and len(argtypes) == int(fn.group(2))
            and _compatible(fn.group(1), restype)
        )
    c_type = re.sub(r"\s*\*", " *", c_type).replace("* *", "**").replace("**", "* *")
    c_type = " ".join(c_type.split())
    if c_type in C_TYPES:
        want = C_TYPES[c_type]
        return py_type in want if isinstance(want, tuple) else py_type is want
    m = re.fullmatch(r"(?:const )?(xoxe_\w+) \*", c_type)
    if m:  # pointer to a handle or an info struct
        target = getattr(py_type, "_type_", None)
        return getattr(target, "__name__", None) == m.group(1)
    m = re.fullmatch(r"(xoxe_\w+) \* \*", c_type)
    if m:  # out-parameter: pointer to pointer to handle
        inner = getattr(py_type, "_type_", None)
        target = getattr(inner, "_type_", None)
        return getattr(target, "__name__", None) == m.group(1)
    if c_type == "const char *const *":
        return py_type is ctypes.POINTER(ctypes.c_char_p)
    return False


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
    assert set(structs) == set(_ffi.INFO_STRUCTS)
    problems = []
    for name, fields in structs.items():
        py_fields = _ffi.INFO_STRUCTS[name]._fields_
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
        assert issubclass(xoxe.exception_class_for(status), xoxe.exception_class_for(-1, fam)
                          if fam != xoxe.StatusFamily.OK else xoxe.XoxeError), (status, fam)


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
    with pytest.raises(xoxe.LibraryLoadError, match="ABI version 1.*written for ABI version 99"):
        _ffi.load(xoxe.LIBRARY_PATH, expected_abi=99)
    assert issubclass(xoxe.LibraryLoadError, ImportError)


def _import_in_subprocess(env_library: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XOXE_LIBRARY=env_library, PYTHONPATH=str(ROOT / "bindings/python/src"))
    return subprocess.run(
        [sys.executable, "-c", "import xoxe"], env=env, cwd=cwd, capture_output=True, text=True
    )


def test_relative_library_override_is_refused(tmp_path: Path) -> None:
    r = _import_in_subprocess("libxoxe.so", tmp_path)
    assert r.returncode != 0
    assert "must be an absolute path" in r.stderr


def test_missing_library_is_a_clear_import_error(tmp_path: Path) -> None:
    r = _import_in_subprocess(str(tmp_path / "nope.so"), tmp_path)
    assert r.returncode != 0
    assert "LibraryLoadError" in r.stderr and "not a file" in r.stderr
