#!/usr/bin/env python3
"""xoxe's C ABI, listed and checked against the releases' lists in abi/ (ABI.md).

    tests/abi/abi.py list HEADER [--release X.Y.Z] [-o FILE]
    tests/abi/abi.py check --header include/xoxe.h --library target/release/libxoxe.so --lists abi/
    tests/abi/abi.py check --header HEADER --symbols FILE [--soname NAME] --lists abi/
    tests/abi/abi.py diff OLD NEW         (each a header or a .abi list)
    tests/abi/abi.py selftest [--header include/xoxe.h]

`list` prints the header's ABI normalised, one item a line, sorted: comments,
whitespace and parameter layout are gone, every declaration is rendered back in
one canonical C form. A line is `KIND NAME[ [CONFIGS]]: TEXT`, KIND one of
constant, enum, function, macro, struct, typedef, union, variable. The header is
read as a C17, a C23 and a C++ compiler reads it (its `#if`s differ for enums'
types); an item the three see alike has no [CONFIGS], one they see differently
has a line per variant, e.g. `typedef xoxe_status [c17]: typedef uint32_t
xoxe_status`. The list starts with `abi-version N` (XOXE_ABI_VERSION) and
`release X.Y.Z` (XOXE_VERSION_*); those four macros are not items.

Items are compared by their TEXT with parameter names left out (renaming a
parameter breaks nothing); struct fields keep their names.

`check` verifies (a) the library exports exactly the functions the header
declares, all named xoxe_*, and every name the header defines starts with
xoxe_/XOXE_; (b) the SONAME is libxoxe.so.<XOXE_ABI_VERSION>; (c) the header
against the newest list of a release not newer than its own: nothing removed
or changed unless XOXE_ABI_VERSION went up (a list of the header's own release
is frozen: the header must match it exactly); (d) each list of abi/ against the
one before it, by the same rules. `--symbols FILE` (a symbol a line, or `nm`
output) and `--soname NAME` stand in for a library. Exit status 1 on any failure.

`selftest` plants breaks into copies of the header in a temporary directory and
checks each is caught with its message, and that allowed changes pass.
"""

from __future__ import annotations

import argparse
import ctypes
import difflib
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# How the header is read: a C compiler before C23, a C23 one, a C++ one.
CONFIGS = ("c17", "c23", "c++")
CONFIG_NAMES = {"c17": "C17", "c23": "C23", "c++": "C++"}
CONFIG_MACROS = {
    "c17": {"__STDC__": "1", "__STDC_VERSION__": "201710L"},
    "c23": {"__STDC__": "1", "__STDC_VERSION__": "202311L"},
    "c++": {"__cplusplus": "201703L"},
}
# Macros that are not items: the release version changes every release, and the
# ABI version is the list's own `abi-version` line.
VERSION_MACROS = ("XOXE_VERSION_MAJOR", "XOXE_VERSION_MINOR", "XOXE_VERSION_PATCH")
ABI_MACRO = "XOXE_ABI_VERSION"
NOT_ITEMS = (*VERSION_MACROS, ABI_MACRO)
PREFIXES = ("xoxe_", "XOXE_")
LIST_NAME = re.compile(r"^xoxe-(\d+)\.(\d+)\.(\d+)\.abi$")
LIST_COMMENT = "# xoxe's C ABI, one item a line (tests/abi/abi.py list; make abi-list). Frozen once released: ABI.md."

BUMP_ABI = (
    "bump XOXE_ABI_VERSION in src/ffi/version.rs (the SONAME follows) and the release's major version in "
    "Cargo.toml (its minor version while 0.x), run make header, and say so in CHANGELOG.md"
)


class AbiError(Exception):
    """A header or list that cannot be read."""


Version = tuple[int, int, int]


def vstr(v: Version) -> str:
    return ".".join(map(str, v))


# ---------------------------------------------------------------------------
# Preprocessing: comments out, #if/#ifdef evaluated for one configuration,
# #defines collected.

COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def strip_comments(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.startswith("//"):
            return ""
        if s.startswith("/*"):
            return " " + "\n" * s.count("\n")
        return s

    return COMMENT_OR_STRING.sub(repl, text)


def eval_if(expr: str, defined: dict[str, str], where: str) -> bool:
    """A `#if` expression: integers, defined(), identifiers (0 when not defined),
    comparisons, arithmetic and && || !."""
    toks = re.findall(r"\d\w*|[A-Za-z_]\w*|\|\||&&|[<>=!]=|<<|>>|\S", expr)
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "defined":
            if toks[i + 1 : i + 2] == ["("] and toks[i + 3 : i + 4] == [")"]:
                name, i = toks[i + 2], i + 4
            else:
                name, i = toks[i + 1], i + 2
            out.append("1" if name in defined else "0")
            continue
        i += 1
        if re.match(r"\d", t):
            out.append(str(int(t.rstrip("uUlL"), 0 if t.lower().startswith("0x") else 10)))
        elif re.match(r"[A-Za-z_]", t):
            value = defined.get(t, "0").rstrip("uUlL")
            out.append(str(int(value)) if value.isdigit() else "0")
        elif t in ("||", "&&", "!"):
            out.append({"||": " or ", "&&": " and ", "!": " not "}[t])
        elif t in ("==", "!=", "<=", ">=", "<", ">", "(", ")", "+", "-", "*", "%", "<<", ">>"):
            out.append(t)
        elif t == "/":
            out.append("//")
        else:
            raise AbiError(f"{where}: cannot evaluate `#if {expr}`")
    return bool(eval(" ".join(out), {"__builtins__": {}}, {}))


@dataclass
class Preprocessed:
    code: str
    macros: dict[str, str]  # name -> value ("(a, b) body" for a function-like macro)
    guard: str | None


def preprocess(text: str, config: str, where: str) -> Preprocessed:
    text = strip_comments(text).replace("\\\n", " ")
    defined = dict(CONFIG_MACROS[config])
    macros: dict[str, str] = {}
    stack: list[list[bool]] = []  # [parent active, a branch was taken]
    active = True
    code: list[str] = []
    guard_candidate: str | None = None
    guard: str | None = None
    seen = 0
    for line in text.split("\n"):
        m = re.match(r"\s*#\s*(\w*)\s*(.*?)\s*$", line)
        if not m:
            code.append(line if active else "")
            continue
        directive, rest = m.groups()
        seen += 1
        code.append("")
        if directive in ("if", "ifdef", "ifndef"):
            if directive == "if":
                cond = active and eval_if(rest, defined, where)
            else:
                cond = (rest in defined) == (directive == "ifdef")
            if directive == "ifndef" and seen == 1:
                guard_candidate = rest
            stack.append([active, cond])
            active = active and cond
        elif directive in ("elif", "else", "endif"):
            if not stack:
                raise AbiError(f"{where}: #{directive} without #if")
            parent, taken = stack[-1]
            if directive == "endif":
                stack.pop()
                active = parent
            elif directive == "else":
                active = parent and not taken
                stack[-1][1] = True
            else:
                cond = parent and not taken and eval_if(rest, defined, where)
                active = cond
                stack[-1][1] = taken or cond
        elif not active:
            continue
        elif directive == "define":
            d = re.match(r"([A-Za-z_]\w*)(\([^)]*\))?\s*(.*)$", rest)
            if not d:
                raise AbiError(f"{where}: cannot read `#define {rest}`")
            name, params, value = d.groups()
            value = re.sub(r"\s+", " ", value).strip()
            if seen == 2 and name == guard_candidate and not value and not params:
                guard = name
            else:
                macros[name] = (re.sub(r"\s+", " ", params) + " " + value).strip() if params else value
            defined[name] = value
        elif directive == "undef":
            defined.pop(rest, None)
            macros.pop(rest, None)
        elif directive in ("include", "pragma", ""):
            pass
        else:
            raise AbiError(f"{where}: unsupported directive #{directive}")
    if stack:
        raise AbiError(f"{where}: #if without #endif")
    return Preprocessed("\n".join(code), macros, guard)


# ---------------------------------------------------------------------------
# Declarations: a parser for the C that cbindgen writes (type specifiers,
# struct/union/enum definitions, pointers, arrays, function declarators).

TOKEN = re.compile(
    r"\s+|(?P<tok>[A-Za-z_]\w*|0[xX][0-9A-Fa-f]+[uUlL]*|\d+[uUlL]*|\"(?:\\.|[^\"\\])*\"|\.\.\.|<<|>>"
    r"|[{}()\[\];,*=:<>&|!+\-/~%^?.])"
)
QUALIFIERS = ("const", "volatile", "restrict")
STORAGE = ("extern", "static", "inline")
BUILTIN = ("void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "bool", "_Bool")
KEYWORDS = {*QUALIFIERS, *STORAGE, *BUILTIN, "struct", "union", "enum", "typedef"}
IDENT = re.compile(r"[A-Za-z_]\w*$")


def tokenize(code: str, where: str) -> list[str]:
    toks: list[str] = []
    pos = 0
    while pos < len(code):
        m = TOKEN.match(code, pos)
        if not m:
            raise AbiError(f"{where}: cannot read {code[pos : pos + 40]!r}")
        if m.group("tok"):
            toks.append(m.group("tok"))
        pos = m.end()
    return toks


@dataclass
class Spec:
    """Declaration specifiers: qualifiers, the type's words, and a struct, union
    or enum definition when there is one."""

    quals: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    kind: str = ""  # struct, union or enum
    tag: str = ""
    underlying: str = ""  # enum TAG : underlying
    fields: list[tuple[str, object]] | None = None
    enumerators: list[tuple[str, int | str]] | None = None


@dataclass
class Base:
    spec: Spec


@dataclass
class Pointer:
    to: object
    quals: tuple[str, ...]


@dataclass
class Array:
    of: object
    size: str


@dataclass
class Func:
    ret: object
    params: list[tuple[str, object]] | None  # None: `()`, unspecified
    variadic: bool


def spec_text(spec: Spec, names: bool) -> str:
    text = " ".join([*spec.quals, *spec.words])
    if not spec.tag and spec.fields is not None:
        text += " { " + "".join(f"{render(t, n, names)}; " for n, t in spec.fields) + "}"
    if not spec.tag and spec.enumerators is not None:
        text += " { " + ", ".join(f"{n} = {v}" for n, v in spec.enumerators) + " }"
    return text


def render(t: object, inner: str = "", names: bool = True) -> str:
    """C declaration of `inner` with type `t` (an abstract one when `inner` is
    empty); `names`: function parameters keep their names."""
    if isinstance(t, Base):
        base = spec_text(t.spec, names)
        return f"{base} {inner}" if inner else base
    if isinstance(t, Pointer):
        s = "*" + " ".join(t.quals) + (" " if t.quals and inner else "") + inner
        if isinstance(t.to, (Array, Func)):
            s = f"({s})"
        return render(t.to, s, names)
    if isinstance(t, Array):
        return render(t.of, f"{inner}[{t.size}]", names)
    if isinstance(t, Func):
        if t.params is None:
            params = ""
        else:
            ps = [render(pt, pn if names else "", names) for pn, pt in t.params]
            params = ", ".join([*ps, "..."] if t.variadic else ps) or "void"
        return render(t.ret, f"{inner}({params})", names)
    raise TypeError(t)


@dataclass
class Item:
    kind: str
    name: str
    text: str  # canonical C, parameter names kept
    canon: str  # what is compared: parameter names left out


class Parser:
    def __init__(self, toks: list[str], where: str) -> None:
        self.toks = toks
        self.i = 0
        self.where = where
        self.tags: set[tuple[str, str]] = set()  # (struct|union|enum, tag) named anywhere

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ""

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def error(self, msg: str) -> AbiError:
        near = " ".join(self.toks[max(0, self.i - 8) : self.i + 8])
        return AbiError(f"{self.where}: {msg} near `{near}`")

    def next(self) -> str:
        if self.done():
            raise self.error("unexpected end")
        self.i += 1
        return self.toks[self.i - 1]

    def expect(self, tok: str) -> None:
        if self.peek() != tok:
            raise self.error(f"expected `{tok}`")
        self.i += 1

    def ident(self) -> str:
        t = self.next()
        if not IDENT.match(t) or t in KEYWORDS:
            self.i -= 1
            raise self.error("expected a name")
        return t

    def specifiers(self) -> Spec:
        spec = Spec()
        while True:
            t = self.peek()
            if t in QUALIFIERS:
                self.next()
                if t not in spec.quals:
                    spec.quals.append(t)
            elif t in STORAGE:
                self.next()  # not part of the type
            elif t in BUILTIN:
                spec.words.append(self.next())
            elif t in ("struct", "union", "enum") and not spec.words:
                spec.kind = self.next()
                if IDENT.match(self.peek()) and self.peek() not in KEYWORDS:
                    spec.tag = self.next()
                    self.tags.add((spec.kind, spec.tag))
                if spec.kind == "enum" and self.peek() == ":":
                    self.next()
                    spec.underlying = spec_text(self.specifiers(), True)
                if self.peek() == "{":
                    self.next()
                    if spec.kind == "enum":
                        spec.enumerators = self.enumerators()
                    else:
                        spec.fields = self.fields()
                spec.words.append(f"{spec.kind} {spec.tag}".strip())
            elif IDENT.match(t) and t not in KEYWORDS and not spec.words:
                spec.words.append(self.next())  # a typedef name
            else:
                break
        if not spec.words:
            raise self.error("expected a type")
        return spec

    def fields(self) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        while self.peek() != "}":
            spec = self.specifiers()
            while True:
                name, wrap = self.declarator(abstract=False)
                if self.peek() == ":":
                    self.next()
                    name = f"{name} : {self.next()}"
                out.append((name, wrap(Base(spec))))
                if self.peek() != ",":
                    break
                self.next()
            self.expect(";")
        self.expect("}")
        return out

    def enumerators(self) -> list[tuple[str, int | str]]:
        out: list[tuple[str, int | str]] = []
        prev: int | str | None = None
        while self.peek() != "}":
            name = self.ident()
            if self.peek() == "=":
                self.next()
                expr: list[str] = []
                depth = 0
                while not (depth == 0 and self.peek() in (",", "}")):
                    t = self.next()
                    depth += (t == "(") - (t == ")")
                    expr.append(t)
                value = constant_value(expr)
            else:
                value = 0 if prev is None else prev + 1 if isinstance(prev, int) else f"{prev} + 1"
            out.append((name, value))
            prev = value
            if self.peek() == ",":
                self.next()
        self.expect("}")
        return out

    def declarator(self, abstract: bool):  # -> (name, function from the base type to the whole type)
        ptrs: list[tuple[str, ...]] = []
        while self.peek() == "*":
            self.next()
            quals: list[str] = []
            while self.peek() in QUALIFIERS:
                quals.append(self.next())
            ptrs.append(tuple(quals))
        name = ""
        inner = None
        t = self.peek()
        if t == "(" and self.peek(1) in ("*", "("):
            self.next()
            inner = self.declarator(abstract)
            self.expect(")")
        elif IDENT.match(t) and t not in KEYWORDS:
            name = self.next()
        elif not abstract:
            raise self.error("expected a declarator")
        suffixes: list[object] = []
        while self.peek() in ("[", "("):
            if self.next() == "[":
                size: list[str] = []
                while self.peek() != "]":
                    size.append(self.next())
                self.next()
                suffixes.append(("array", " ".join(size)))
            else:
                self.i -= 1
                suffixes.append(("func", *self.params()))

        def wrap(base: object) -> object:
            t: object = base
            for q in ptrs:
                t = Pointer(t, q)
            for s in reversed(suffixes):
                t = Array(t, s[1]) if s[0] == "array" else Func(t, s[1], s[2])
            return inner[1](t) if inner else t

        return (inner[0] if inner else name), wrap

    def params(self) -> tuple[list[tuple[str, object]] | None, bool]:
        self.expect("(")
        if self.peek() == ")":
            self.next()
            return None, False
        if self.peek() == "void" and self.peek(1) == ")":
            self.i += 2
            return [], False
        out: list[tuple[str, object]] = []
        variadic = False
        while True:
            if self.peek() == "...":
                self.next()
                variadic = True
            else:
                spec = self.specifiers()
                name, wrap = self.declarator(abstract=True)
                out.append((name, wrap(Base(spec))))
            if self.peek() != ",":
                break
            self.next()
        self.expect(")")
        return out, variadic

    def declaration(self) -> list[Item]:
        """One declaration (without its `;`) as items."""
        typedef = self.peek() == "typedef"
        if typedef:
            self.next()
        spec = self.specifiers()
        decls: list[tuple[str, object]] = []
        while self.peek() not in (";", ""):
            name, wrap = self.declarator(abstract=False)
            if self.peek() in ("=", "{"):
                raise self.error("initialisers and function bodies are not supported")
            decls.append((name, wrap(Base(spec))))
            if self.peek() != ",":
                break
            self.next()
        return self.classify(typedef, spec, decls)

    def classify(self, typedef: bool, spec: Spec, decls: list[tuple[str, object]]) -> list[Item]:
        def item(kind: str, name: str, t: object, prefix: str = "") -> Item:
            return Item(kind, name, prefix + render(t, name, True), prefix + render(t, name, False))

        items: list[Item] = []
        named_by_typedef = typedef and len(decls) == 1 and isinstance(decls[0][1], Base)
        if spec.kind in ("struct", "union") and spec.fields is not None:
            if spec.tag:
                body = Base(Spec(fields=spec.fields))
                text, canon = (spec_text(body.spec, n).lstrip() for n in (True, False))
                head = f"{spec.kind} {spec.tag} "
                items.append(Item(spec.kind, spec.tag, head + text, head + canon))
            elif named_by_typedef:
                return [item(spec.kind, decls[0][0], decls[0][1], "typedef ")]
            elif not decls:
                raise self.error(f"an anonymous {spec.kind} that declares nothing")
        if spec.kind == "enum" and spec.enumerators is not None:
            name = spec.tag or (decls[0][0] if named_by_typedef else "")
            of = "" if spec.underlying == "" else f" : {spec.underlying}"
            if name:
                text = (f"enum {name}" if spec.tag else f"typedef enum {name}") + of
                items.append(Item("enum", name, text, text))
            for n, v in spec.enumerators:
                text = f"{v} (enum {name})" if name else f"{v} (anonymous enum)"
                items.append(Item("constant", n, text, text))
            if named_by_typedef and not spec.tag:
                return items
        for name, t in decls:
            if typedef:
                items.append(item("typedef", name, t, "typedef "))
            else:
                items.append(item("function" if isinstance(t, Func) else "variable", name, t))
        if not decls and spec.fields is None and spec.enumerators is None:
            if not (spec.kind and spec.tag):
                raise self.error("a declaration that declares nothing")
            text = f"{spec.kind} {spec.tag}"  # a forward declaration
            items.append(Item(spec.kind, spec.tag, text, text))
        return items


def constant_value(expr: list[str]) -> int | str:
    """An enumerator's value: an integer when it is a constant expression of
    integers, else its text."""
    out = []
    for t in expr:
        if re.match(r"\d", t):
            out.append(str(int(t.rstrip("uUlL"), 0 if t.lower().startswith("0x") else 10)))
        elif t in ("+", "-", "*", "(", ")", "<<", ">>", "|", "&", "~", "^", "%"):
            out.append(t)
        elif t == "/":
            out.append("//")
        else:
            return " ".join(expr)
    try:
        return int(eval(" ".join(out), {"__builtins__": {}}, {}))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return " ".join(expr)


def parse_code(code: str, where: str) -> tuple[list[Item], set[tuple[str, str]]]:
    p = Parser(tokenize(code, where), where)
    items: list[Item] = []
    extern_blocks = 0
    while not p.done():
        if p.peek() == "extern" and p.peek(1).startswith('"'):
            p.i += 2
            if p.peek() == "{":
                p.next()
                extern_blocks += 1
                continue
        if p.peek() == "}" and extern_blocks:
            p.next()
            extern_blocks -= 1
            continue
        if p.peek() == ";":
            p.next()
            continue
        items.extend(p.declaration())
        p.expect(";")
    return items, p.tags


def reparse(kind: str, name: str, text: str, where: str) -> Item:
    """The item a list's line holds, read back (so its canonical form is the one
    the header's item has)."""
    if kind == "macro":
        return Item(kind, name, text, " ".join(tokenize(text, where)))
    if kind in ("constant", "enum"):
        return Item(kind, name, text, text)
    p = Parser(tokenize(text, where), where)
    for it in p.declaration():
        if (it.kind, it.name) == (kind, name) and p.done():
            return it
    raise AbiError(f"{where}: `{text}` does not declare {kind} {name}")


# ---------------------------------------------------------------------------
# An ABI: from a header or from a list.

Key = tuple[str, str, str]  # (config, kind, name)


@dataclass
class Abi:
    source: str
    abi: int
    release: Version
    entries: dict[Key, Item]
    tags: set[tuple[str, str]] = field(default_factory=set)

    def exports(self) -> set[str]:
        return {name for (_, kind, name) in self.entries if kind in ("function", "variable")}

    def lines(self) -> list[str]:
        groups: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for (config, kind, name), it in self.entries.items():
            groups[(kind, name, it.text)].add(config)
        out = []
        for (kind, name, text), configs in groups.items():
            tag = "" if configs == set(CONFIGS) else " [" + " ".join(c for c in CONFIGS if c in configs) + "]"
            out.append(f"{kind} {name}{tag}: {text}")
        return sorted(out)

    def listing(self) -> str:
        head = [LIST_COMMENT, f"abi-version {self.abi}", f"release {vstr(self.release)}"]
        return "\n".join([*head, *self.lines()]) + "\n"


def read_header(path: Path) -> Abi:
    where = str(path)
    text = path.read_text()
    entries: dict[Key, Item] = {}
    tags: set[tuple[str, str]] = set()
    numbers: dict[str, set[str]] = defaultdict(set)
    for config in CONFIGS:
        pre = preprocess(text, config, where)
        items, seen_tags = parse_code(pre.code, f"{where} ({CONFIG_NAMES[config]})")
        tags |= seen_tags
        for name, value in pre.macros.items():
            if name in NOT_ITEMS:
                numbers[name].add(value)
            else:
                items.append(Item("macro", name, value, " ".join(tokenize(value, where))))
        for it in items:
            key = (config, it.kind, it.name)
            if key in entries and entries[key].canon != it.canon:
                raise AbiError(f"{where}: {it.kind} {it.name} is declared twice, differently")
            entries[key] = it

    def number(name: str) -> int:
        values = numbers.get(name, set())
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise AbiError(f"{where}: expected one `#define {name} N` (found {sorted(values) or 'none'})")
        return int(next(iter(values)))

    release = (number(VERSION_MACROS[0]), number(VERSION_MACROS[1]), number(VERSION_MACROS[2]))
    return Abi(where, number(ABI_MACRO), release, entries, tags)


LINE = re.compile(r"^(?P<kind>[a-z]+) (?P<name>\S+?)(?: \[(?P<configs>[^\]]*)\])?: (?P<text>.*)$")


def read_list(path: Path) -> Abi:
    where = str(path)
    abi: int | None = None
    release: Version | None = None
    entries: dict[Key, Item] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if m := re.match(r"^abi-version (\d+)$", line):
            abi = int(m.group(1))
            continue
        if m := re.match(r"^release (\d+)\.(\d+)\.(\d+)$", line):
            release = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            continue
        m = LINE.match(line)
        configs = (m.group("configs") or " ".join(CONFIGS)).split() if m else []
        if not m or not set(configs) <= set(CONFIGS):
            raise AbiError(f"{where}:{n}: cannot read `{line}`")
        it = reparse(m.group("kind"), m.group("name"), m.group("text"), f"{where}:{n}")
        for config in configs:
            entries[(config, it.kind, it.name)] = it
    if abi is None or release is None:
        raise AbiError(f"{where}: no `abi-version N` or `release X.Y.Z` line")
    m = LIST_NAME.match(path.name)
    if not m or tuple(map(int, m.groups())) != release:
        raise AbiError(f"{where}: holds release {vstr(release)}, but a list is named xoxe-{vstr(release)}.abi")
    return Abi(where, abi, release, entries)


def read_any(path: Path) -> Abi:
    return read_list(path) if path.suffix == ".abi" else read_header(path)


def read_lists(directory: Path) -> list[Abi]:
    lists = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".abi":
            if not LIST_NAME.match(path.name):
                raise AbiError(f"{path}: a list is named xoxe-X.Y.Z.abi")
            lists.append(read_list(path))
    return sorted(lists, key=lambda a: a.release)


# ---------------------------------------------------------------------------
# Comparing two ABIs.


@dataclass
class Change:
    what: str  # removed, changed, renamed (parameter names only), added
    kind: str
    name: str
    old: str
    new: str
    configs: set[str]

    def describe(self) -> str:
        readers = ", ".join(CONFIG_NAMES[c] for c in CONFIGS if c in self.configs)
        where = "" if self.configs == set(CONFIGS) else f" (as {readers} reads it)"
        label = f"{self.kind} {self.name}{where}"
        if self.what == "removed":
            return f"{label} removed; it was: {self.old}"
        if self.what == "added":
            return f"{label} added: {self.new}"
        if self.what == "renamed":
            return f"{label}: parameter names changed (compatible): {self.new}"
        if self.kind in ("struct", "union") and "{" in self.old and "{" in self.new:
            return f"{label} changed: " + field_changes(self.old, self.new)
        return f"{label} changed:\n      was: {self.old}\n      now: {self.new}"


def field_changes(old: str, new: str) -> str:
    def fields(text: str) -> list[str]:
        body = text[text.index("{") + 1 : text.rindex("}")]
        return [f.strip() for f in body.split(";") if f.strip()]

    a, b = fields(old), fields(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "replace":
            out.extend(f"field `{x}` became `{y}`" for x, y in zip(a[i1:i2], b[j1:j2]))
            out.extend(f"field `{x}` removed" for x in a[i1 + (j2 - j1) : i2])
            out.extend(f"field `{y}` inserted" for y in b[j1 + (i2 - i1) : j2])
        elif op == "delete":
            out.extend(f"field `{x}` removed" for x in a[i1:i2])
        elif op == "insert":
            where = f"before `{a[i1]}`" if i1 < len(a) else "at the end"
            out.extend(f"field `{y}` inserted {where}" for y in b[j1:j2])
    if not out and old.split("{")[0] != new.split("{")[0]:
        out.append(f"`{old.split('{')[0].strip()}` became `{new.split('{')[0].strip()}`")
    return "; ".join(out) or f"was `{old}`, now `{new}`"


def compare(old: Abi, new: Abi) -> list[Change]:
    groups: dict[tuple[str, str, str, str, str], set[str]] = defaultdict(set)
    for key, o in old.entries.items():
        config, kind, name = key
        n = new.entries.get(key)
        if n is None:
            groups[("removed", kind, name, o.text, "")].add(config)
        elif n.canon != o.canon:
            groups[("changed", kind, name, o.text, n.text)].add(config)
        elif n.text != o.text:
            groups[("renamed", kind, name, o.text, n.text)].add(config)
    for key, n in new.entries.items():
        if key not in old.entries:
            groups[("added", key[1], key[2], "", n.text)].add(key[0])
    order = {"removed": 0, "changed": 1, "renamed": 2, "added": 3}
    changes = [Change(*k, configs=v) for k, v in groups.items()]
    return sorted(changes, key=lambda c: (order[c.what], c.kind, c.name, c.old, c.new))


def breaking_release(old: Version, new: Version) -> bool:
    """Whether `new` may break `old`'s ABI under semver: a new major version,
    or a new minor one while the major is 0."""
    return new[0] > old[0] or (old[0] == 0 and new[:2] > old[:2])


def bullets(changes: list[Change]) -> str:
    return "".join(f"\n    - {c.describe()}" for c in changes)


def judge(old: Abi, new: Abi, changes: list[Change], new_is_header: bool) -> tuple[list[str], list[str]]:
    """Errors and notes for `new` following `old` (an earlier release's list)."""
    errors, notes = [], []
    breaks = [c for c in changes if c.what in ("removed", "changed")]
    added = [c for c in changes if c.what == "added"]
    pair = f"{new.source} (release {vstr(new.release)}, ABI {new.abi}) after {old.source}"
    if new_is_header:
        fix = f"Restore each item as it was, or, if the break is meant, {BUMP_ABI}."
    else:
        fix = (
            "The lists of released versions are frozen, so one of the two was not written from its release's "
            "header: rewrite it with `tests/abi/abi.py list` from that release's include/xoxe.h "
            "(git show COMMIT:include/xoxe.h)."
        )
    if new.abi < old.abi:
        errors.append(
            f"{pair}: XOXE_ABI_VERSION went down from {old.abi} to {new.abi}; it only ever goes up"
            + (": set it back in src/ffi/version.rs and run make header." if new_is_header else f". {fix}")
        )
    elif breaks and new.abi == old.abi:
        errors.append(
            f"{pair}: {len(breaks)} incompatible change(s) while XOXE_ABI_VERSION stays {new.abi}; programs built "
            f"against {vstr(old.release)} would break:{bullets(breaks)}\n  {fix}"
        )
    if new.abi > old.abi and not breaking_release(old.release, new.release):
        errors.append(
            f"{pair}: XOXE_ABI_VERSION went up from {old.abi} to {new.abi} in a release that semver does not allow to "
            f"break ({vstr(old.release)} -> {vstr(new.release)}): bump the major version in Cargo.toml (the minor one "
            "while 0.x), run make header, and say so in CHANGELOG.md."
        )
    if new.abi > old.abi and not breaks:
        notes.append(
            f"{pair}: XOXE_ABI_VERSION went up with no incompatible change in the header: right only if a documented "
            "ownership or lifetime rule changed (CHANGELOG.md must say which)."
        )
    if added and new.abi == old.abi and new.release[:2] == old.release[:2]:
        errors.append(
            f"{pair}: {len(added)} item(s) added in a patch release:{bullets(added)}\n  Additions bump the minor "
            "version: set it in Cargo.toml, run make header, and list them in CHANGELOG.md."
        )
    if not errors and changes:
        notes.append(
            f"{pair}: compatible; {len(added)} item(s) added"
            + (f", {len(breaks)} incompatible change(s) under the new ABI version" if breaks else "")
        )
    return errors, notes


# ---------------------------------------------------------------------------
# The check.


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError as e:
        raise AbiError(f"{cmd[0]} is missing (binutils): {e}") from e
    except subprocess.CalledProcessError as e:
        raise AbiError(f"{' '.join(cmd)} failed: {e.stderr.strip()}") from e


def library_symbols(library: Path) -> list[str]:
    out = run(["nm", "-D", "--defined-only", "--format=posix", str(library)])
    return [line.split()[0].split("@")[0] for line in out.splitlines() if line.strip()]


def library_soname(library: Path) -> str | None:
    m = re.search(r"Library soname: \[(.*?)\]", run(["readelf", "-d", str(library)]))
    return m.group(1) if m else None


def read_symbols(path: Path) -> list[str]:
    """A symbol a line, or `nm` output (the name is the last field)."""
    return [line.split()[-1].split("@")[0] for line in path.read_text().splitlines() if line.strip()]


def check_names(header: Abi, report: Report) -> None:
    bad = {(kind, name) for (_, kind, name) in header.entries} | header.tags
    bad = {(kind, name) for kind, name in bad if not name.startswith(PREFIXES)}
    for kind, name in sorted(bad):
        report.errors.append(
            f"{header.source}: {kind} `{name}` does not start with xoxe_/XOXE_: every name the header defines "
            "shares the C global namespace with the programs using it. Rename it in src/ffi (cbindgen.toml's "
            "[export.rename] for a constant) and run make header."
        )


def check_exports(header: Abi, symbols: list[str], source: str, report: Report) -> None:
    declared = header.exports()
    exported = set(symbols)
    for name in sorted(exported - declared):
        report.errors.append(
            f"{source} exports `{name}`, which {header.source} does not declare: every exported symbol is ABI. "
            "Declare it in src/ffi (so cbindgen writes it into the header), or keep it private "
            "(no #[no_mangle], no pub extern)."
        )
    for name in sorted(declared - exported):
        report.errors.append(
            f"{header.source} declares `{name}`, which {source} does not export: a program calling it would "
            'fail to link or load. Export it (#[no_mangle] pub extern "C" in src/ffi), or rebuild a stale library '
            "(make build)."
        )
    unprefixed = sorted(n for n in exported if not n.startswith("xoxe_"))
    for name in unprefixed:
        report.errors.append(f"{source} exports `{name}`, which does not start with xoxe_ (ABI.md).")
    if exported == declared and not unprefixed:
        report.notes.append(f"{source}: exports exactly the {len(declared)} functions the header declares")


def check_soname(header: Abi, soname: str | None, source: str, report: Report) -> None:
    want = f"libxoxe.so.{header.abi}"
    if soname != want:
        report.errors.append(
            f"{source}: SONAME is {soname or 'missing'}, but {header.source} has XOXE_ABI_VERSION {header.abi}: "
            f"it must be {want}. build.rs sets it from XOXE_ABI_VERSION in src/ffi/version.rs: rebuild "
            "(make build), and if the header is the stale one, make header."
        )
    else:
        report.notes.append(f"{source}: SONAME {soname}")


def check_loaded(header: Abi, library: Path, report: Report) -> None:
    """The library's own answers: xoxe_abi_version() and xoxe_version()."""
    try:
        lib = ctypes.CDLL(str(library.resolve()))
        lib.xoxe_abi_version.restype = ctypes.c_uint32
        lib.xoxe_version.restype = ctypes.c_char_p
        abi, version = lib.xoxe_abi_version(), lib.xoxe_version().decode()
    except (OSError, AttributeError) as e:
        report.errors.append(f"{library}: cannot load it and call xoxe_abi_version/xoxe_version: {e}")
        return
    if abi != header.abi or re.split(r"[-+]", version)[0] != vstr(header.release):
        report.errors.append(
            f"{library}: reports version {version}, ABI {abi}, but {header.source} is {vstr(header.release)}, ABI "
            f"{header.abi}: rebuild (make build) or regenerate the header (make header)."
        )


def reused_numbers(abis: list[Abi], last_only: bool = False) -> list[str]:
    """Enum values given to a new name, in a sequence of releases (in the last
    one only, if `last_only`): status numbers are never reused, not even after an
    ABI bump (an alias, both names present, is fine)."""
    errors = []
    owner: dict[tuple[str, str], tuple[str, str]] = {}  # (enum, value) -> (first name, where)
    for a in abis:
        names: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (_, kind, name), it in a.entries.items():
            if kind == "constant":
                value, _, enum = it.text.partition(" (")
                names[(value, enum.rstrip(")"))].add(name)
        for (value, enum), ns in sorted(names.items()):
            first = owner.setdefault((value, enum), (min(ns), a.source))
            if first[0] not in ns and (a is abis[-1] or not last_only):
                errors.append(
                    f"{a.source}: {' and '.join(sorted(ns))} = {value} in {enum} reuses the number of {first[0]} "
                    f"({first[1]}): a number, once released, is never given to another name (ABI.md). Give "
                    f"{min(ns)} an unused number."
                )
    return errors


def check(
    header_path: Path,
    lists_dir: Path,
    library: Path | None = None,
    symbols: list[str] | None = None,
    soname: str | None = None,
) -> Report:
    report = Report()
    try:
        header = read_header(header_path)
        lists = read_lists(lists_dir)
    except AbiError as e:
        report.errors.append(str(e))
        return report
    # (a) names and exports, (b) SONAME
    check_names(header, report)
    if library is not None:
        try:
            check_exports(header, library_symbols(library), str(library), report)
            check_soname(header, library_soname(library), str(library), report)
        except AbiError as e:
            report.errors.append(str(e))
        check_loaded(header, library, report)
    elif symbols is not None:
        check_exports(header, symbols, "the symbol list", report)
        if soname is not None:
            check_soname(header, soname, "the given SONAME", report)
    # (c) the header against the newest list not newer than its release
    older = [a for a in lists if a.release <= header.release]
    if not older:
        report.errors.append(
            f"{header.source} is release {vstr(header.release)}, and {lists_dir} holds no list of it or an earlier "
            "release: the lists of released versions belong in the repository (make abi-list writes one)."
        )
    elif older[-1].release == header.release:
        base = older[-1]
        if base.abi != header.abi or base.lines() != header.lines():
            changes = compare(base, header)
            abi_note = f"\n    - XOXE_ABI_VERSION {base.abi} became {header.abi}" if base.abi != header.abi else ""
            v = vstr(base.release)
            report.errors.append(
                f"{header.source} differs from {base.source}, the list of its own release {v}:{bullets(changes)}"
                f"{abi_note}\n  A released version's ABI is frozen. Restore the items; or give the change a new "
                "release: set the version in Cargo.toml (a new minor version for additions; for a removal or change "
                "also bump XOXE_ABI_VERSION in src/ffi/version.rs, and the major version, the minor one while 0.x), "
                f"run make header, and say so in CHANGELOG.md. If {v} has not been released yet, rewrite its list "
                "instead: make abi-list."
            )
        else:
            report.notes.append(f"{header.source} matches {base.source} (release {vstr(base.release)}, frozen)")
    else:
        errors, notes = judge(older[-1], header, compare(older[-1], header), new_is_header=True)
        report.errors += errors
        report.notes += notes
    # (d) the history
    for a, b in zip(lists, lists[1:]):
        errors, notes = judge(a, b, compare(a, b), new_is_header=False)
        report.errors += errors
        report.notes += notes
    report.errors += reused_numbers(lists)
    if not (older and older[-1].release == header.release):
        report.errors += reused_numbers([*older, header], last_only=True)
    return report


# ---------------------------------------------------------------------------
# The selftest: planted breaks.


def plant(text: str, old: str, new: str, within: str = "") -> str:
    """`text` with `old` replaced by `new` once; inside the declaration that
    starts with `within` (up to its `;`, or its struct's closing name) if given."""
    start, end = 0, len(text)
    if within:
        start = text.index(within)
        end = text.index(";", start) + 1
        if within.startswith("} "):  # a typedef'd struct: from its `typedef struct {`
            start = text.rindex("typedef struct {", 0, start)
    region = text[start:end]
    if region.count(old) != 1:
        raise AbiError(f"selftest: expected `{old}` once in the header{' in ' + within if within else ''}")
    return text[:start] + region.replace(old, new) + text[end:]


def set_macro(text: str, name: str, value: int) -> str:
    text, n = re.subn(rf"(?m)^#define {name} \d+$", f"#define {name} {value}", text)
    if n != 1:
        raise AbiError(f"selftest: expected one `#define {name} N` in the header")
    return text


def set_release(text: str, v: Version) -> str:
    for name, n in zip(VERSION_MACROS, v):
        text = set_macro(text, name, n)
    return text


def set_abi(text: str, abi: int) -> str:
    return set_macro(text, ABI_MACRO, abi)


def add_function(text: str, decl: str) -> str:
    return plant(text, '#ifdef __cplusplus\n}  // extern "C"', f'{decl}\n\n#ifdef __cplusplus\n}}  // extern "C"')


@dataclass
class Case:
    """A planted change: the header's text; `expect`: what the failure's message
    must say (nothing: the check must pass)."""

    name: str
    header: str
    expect: tuple[str, ...] = ()
    later_lists: dict[Version, str] = field(default_factory=dict)  # release -> the header it is listed from
    symbols: tuple[str, ...] = ()  # "+name" exported besides the header's functions, "-name" not exported
    soname: str | None = None  # default: libxoxe.so.<the base ABI version>


def selftest(header_path: Path) -> int:
    h = header_path.read_text()
    base = read_header(header_path)
    v, abi = base.release, base.abi
    minor, patch = (v[0], v[1] + 1, 0), (v[0], v[1], v[2] + 1)
    major = (v[0] + 1, 0, 0) if v[0] else minor  # the next release that may break
    own = f"{{lists}}/xoxe-{vstr(v)}.abi"
    bump = "bump XOXE_ABI_VERSION in src/ffi/version.rs"
    unprefixed = "does not start with xoxe_/XOXE_"
    # Items of 0.1 or 0.2, so frozen in every later release.
    removed = plant(h, "void xoxe_rotator_free(xoxe_rotator *rotator);", "")
    added = add_function(h, "xoxe_status xoxe_selftest_added(uint32_t n);")
    bumped = set_abi(set_release(removed, major), abi + 1)
    swapped = plant(h, "uint32_t refresh_window_secs;", "uint32_t jitter_secs;", "} xoxe_rotator_options;")
    swapped = plant(swapped, "uint32_t jitter_secs;\n  // Longest", "uint32_t refresh_window_secs;\n  // Longest")
    cases = [
        Case("the header as it is, at its own list", h),
        Case("a function added, minor version bumped", set_release(added, minor)),
        Case(
            "a function added without a version bump (the released list is frozen)",
            added,
            (f"differs from {own}", "function xoxe_selftest_added added", "is frozen", "make abi-list"),
        ),
        Case(
            "a function added in a patch release",
            set_release(added, patch),
            ("added in a patch release", "function xoxe_selftest_added added", "minor version"),
        ),
        Case(
            "a function removed",
            set_release(removed, minor),
            ("function xoxe_rotator_free removed", "XOXE_ABI_VERSION stays 1", bump, "Restore each item"),
        ),
        Case(
            "a prototype changed (a parameter's type)",
            set_release(plant(h, "uint32_t timeout_ms", "uint64_t timeout_ms", "xoxe_status xoxe_auth_test("), minor),
            ("function xoxe_auth_test changed", "now: xoxe_status xoxe_auth_test(", "uint64_t timeout_ms", bump),
        ),
        Case(
            "a return type changed",
            set_release(plant(h, "size_t xoxe_redact(", "int64_t xoxe_redact("), minor),
            ("function xoxe_redact changed", bump),
        ),
        Case(
            "an enum value changed",
            set_release(plant(h, "XOXE_STATUS_TIMEOUT = 101,", "XOXE_STATUS_TIMEOUT = 109,"), minor),
            ("constant XOXE_STATUS_TIMEOUT changed", "was: 101 (enum xoxe_status)", bump),
        ),
        Case(
            "a struct field's type changed",
            set_release(plant(h, "uint32_t jitter_secs;", "uint64_t jitter_secs;", "} xoxe_rotator_options;"), minor),
            ("struct xoxe_rotator_options changed", "`uint32_t jitter_secs` became `uint64_t jitter_secs`", bump),
        ),
        Case(
            "struct fields swapped",
            set_release(swapped, minor),
            ("struct xoxe_rotator_options changed", "field `uint32_t jitter_secs` inserted before", bump),
        ),
        Case(
            "a callback's signature changed",
            set_release(
                plant(h, "int32_t (*lock)(void *user_data);", "int32_t (*lock)(void *user_data, int x);"), minor
            ),
            ("struct xoxe_store_callbacks changed", "became `int32_t (*lock)(void *user_data, int x)`", bump),
        ),
        Case(
            "a macro's value changed",
            set_release(plant(h, "#define XOXE_MAX_TOKEN_LEN 8192", "#define XOXE_MAX_TOKEN_LEN 4096"), minor),
            ("macro XOXE_MAX_TOKEN_LEN changed", bump),
        ),
        Case(
            "a parameter renamed (compatible)",
            set_release(plant(h, "(xoxe_rotator *rotator);", "(xoxe_rotator *handle);"), minor),
        ),
        Case(
            "an exported symbol the header does not declare",
            h,
            ("the symbol list exports `xoxe_internal_helper`, which", "does not declare"),
            symbols=("+xoxe_internal_helper",),
        ),
        Case(
            "an exported symbol without the prefix",
            h,
            ("exports `rust_eh_personality`, which does not start with xoxe_",),
            symbols=("+rust_eh_personality",),
        ),
        Case(
            "a declared function the library does not export",
            h,
            ("declares `xoxe_pool_free`, which the symbol list does not export",),
            symbols=("-xoxe_pool_free",),
        ),
        Case("a break with the ABI version bumped in a breaking release", bumped, soname=f"libxoxe.so.{abi + 1}"),
        Case(
            "the ABI version bumped, the SONAME not",
            bumped,
            (f"SONAME is libxoxe.so.{abi}", f"it must be libxoxe.so.{abi + 1}"),
        ),
        Case(
            "the ABI version bumped in a patch release",
            set_abi(set_release(removed, patch), abi + 1),
            ("semver does not allow to break", f"({vstr(v)} -> {vstr(patch)})"),
            soname=f"libxoxe.so.{abi + 1}",
        ),
        Case(
            "the ABI version lowered",
            set_abi(set_release(h, major), abi - 1),
            (f"XOXE_ABI_VERSION went down from {abi} to {abi - 1}", "set it back"),
            soname=f"libxoxe.so.{abi - 1}",
        ),
        Case(
            "a macro without the prefix",
            set_release(
                plant(h, "#define XOXE_MAX_TOKEN_LEN", "#define MAX_RETRIES 3\n#define XOXE_MAX_TOKEN_LEN"), minor
            ),
            (f"macro `MAX_RETRIES` {unprefixed}",),
        ),
        Case(
            "a type without the prefix",
            set_release(add_function(h, "typedef struct rotator rotator;"), minor),
            (f"typedef `rotator` {unprefixed}", f"struct `rotator` {unprefixed}"),
        ),
        Case(
            "an enum constant without the prefix",
            set_release(
                plant(h, "XOXE_PRESET_GOV_SLACK = 1,", "XOXE_PRESET_GOV_SLACK = 1,\n  PRESET_OTHER = 2,"), minor
            ),
            (f"constant `PRESET_OTHER` {unprefixed}",),
        ),
        Case(
            "a status number reused, even with the ABI version bumped",
            set_abi(set_release(plant(h, "XOXE_STATUS_TLS = 102,", "XOXE_STATUS_QUIC = 102,"), major), abi + 1),
            ("XOXE_STATUS_QUIC = 102 in enum xoxe_status reuses the number of XOXE_STATUS_TLS", "never given"),
            soname=f"libxoxe.so.{abi + 1}",
        ),
        Case(
            "history: a release's list breaks the one before it without an ABI bump",
            set_release(removed, minor),
            (
                f"{{lists}}/xoxe-{vstr(minor)}.abi (release {vstr(minor)}, ABI {abi}) after {own}",
                "rotator_free removed",
            ),
            later_lists={minor: set_release(removed, minor)},
        ),
        Case(
            "history: a release's list breaks the one before it with an ABI bump",
            bumped,
            later_lists={major: bumped},
            soname=f"libxoxe.so.{abi + 1}",
        ),
    ]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="xoxe-abi-selftest-") as tmp:
        for n, case in enumerate(cases, 1):
            d = Path(tmp) / f"case-{n}"
            lists = d / "abi"
            lists.mkdir(parents=True)
            (lists / f"xoxe-{vstr(v)}.abi").write_text(base.listing())
            for release, text in case.later_lists.items():
                (d / "listed.h").write_text(text)
                (lists / f"xoxe-{vstr(release)}.abi").write_text(read_header(d / "listed.h").listing())
            header = d / "xoxe.h"
            header.write_text(case.header)
            symbols = read_header(header).exports() | {s[1:] for s in case.symbols if s[0] == "+"}
            symbols -= {s[1:] for s in case.symbols if s[0] == "-"}
            report = check(header, lists, symbols=sorted(symbols), soname=case.soname or f"libxoxe.so.{abi}")
            message = "\n".join(report.errors)
            missing = [w for w in (e.replace("{lists}", str(lists)) for e in case.expect) if w not in message]
            ok = not missing if case.expect else not report.errors
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {case.name}: {'caught' if report.errors else 'passes'}")
            if report.errors:
                print("     " + message.replace(str(d) + "/", "").replace("\n", "\n     "))
            if missing:
                print(f"     the message should have said: {missing}")
    # Every item's line reads back as the item (a list holds what the header has).
    for (_, kind, name), it in base.entries.items():
        back = reparse(kind, name, it.text, "selftest")
        if (back.text, back.canon) != (it.text, it.canon):
            failed += 1
            print(f"FAIL {kind} {name} does not read back: {it.text!r} became {back.text!r}")
    print(f"abi selftest: {f'FAILED ({failed} wrong)' if failed else 'all right'}, {len(cases)} cases")
    return 1 if failed else 0


# ---------------------------------------------------------------------------


def print_report(report: Report) -> int:
    for note in report.notes:
        print(f"abi: {note}")
    for error in report.errors:
        print(f"abi: FAIL: {error}")
    print("abi: " + (f"{len(report.errors)} problem(s)" if report.errors else "ok"))
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="print a header's normalised ABI listing")
    p.add_argument("header", type=Path)
    p.add_argument("--release", help="fail unless the header is of this release (X.Y.Z, from Cargo.toml)")
    p.add_argument("-o", "--output", type=Path, help="write the listing here instead of printing it")
    p = sub.add_parser("check", help="check a header and library against the lists of earlier releases")
    p.add_argument("--header", type=Path, required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--library", type=Path, help="the shared library (nm and readelf read it)")
    g.add_argument("--symbols", type=Path, help="the exported symbols instead: one a line, or nm output")
    p.add_argument("--soname", help="the SONAME, with --symbols (unchecked without)")
    p.add_argument("--lists", type=Path, required=True, help="the directory of xoxe-X.Y.Z.abi lists")
    p = sub.add_parser("diff", help="compare two ABIs (each a header or a .abi list)")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p = sub.add_parser("selftest", help="plant breaks in copies of the header; each must be caught")
    p.add_argument("--header", type=Path, default=ROOT / "include" / "xoxe.h")
    args = ap.parse_args(argv)
    try:
        if args.command == "list":
            abi = read_header(args.header)
            if args.release and args.release != vstr(abi.release):
                raise AbiError(
                    f"{args.header} is release {vstr(abi.release)}, not {args.release}: a list is written for a "
                    "release X.Y.Z from its current header (make header)"
                )
            if not args.output:
                sys.stdout.write(abi.listing())
                return 0
            if args.output.exists() and args.output.read_text() != abi.listing():
                print(f"abi: {args.output} changes (a released version's list is frozen: ABI.md)")
            tmp = args.output.with_name(args.output.name + ".tmp")
            tmp.write_text(abi.listing())
            os.replace(tmp, args.output)
            print(f"abi: wrote {args.output} ({len(abi.lines())} items, ABI {abi.abi})")
            return 0
        if args.command == "check":
            symbols = read_symbols(args.symbols) if args.symbols else None
            return print_report(check(args.header, args.lists, args.library, symbols, args.soname))
        if args.command == "diff":
            old, new = read_any(args.old), read_any(args.new)
            changes = compare(old, new)
            print(
                f"{old.source} (release {vstr(old.release)}, ABI {old.abi}) -> {new.source} "
                f"(release {vstr(new.release)}, ABI {new.abi}): {len(changes)} change(s){bullets(changes)}"
            )
            errors, notes = judge(old, new, changes, new_is_header=args.new.suffix != ".abi")
            return print_report(Report(errors, notes))
        return selftest(args.header)
    except AbiError as e:
        print(f"abi: FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
