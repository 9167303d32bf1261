"""Packages the xoxe Python binding with the two files it needs from the Rust crate:
the shared library ``xoxe/_libxoxe.abi3.so`` that ctypes loads, and the command line
``xoxe/_xoxe_cli`` that the ``xoxe`` console command runs (``xoxe._cli``).

They come from one of two places:

- ``XOXE_PREBUILT_LIBRARY`` and ``XOXE_PREBUILT_CLI``, absolute paths of built files:
  ``make dist`` passes its portable (glibc 2.17) build, ``make test-python-install``
  the release build every other suite tests;
- otherwise ``cargo build --release --locked`` of the crate: ``rust/`` in an sdist,
  the repository two levels up in a checkout. ``CARGO_TARGET_DIR`` picks cargo's
  build directory (default ``build/cargo`` here).

The version is the crate's (its Cargo.toml is the one place it is kept). Wheels are
tagged ``py3-none-PLATFORM``: the package holds no CPython extension, so one wheel
serves every Python 3 on that platform.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
PREBUILT = ("XOXE_PREBUILT_LIBRARY", "XOXE_PREBUILT_CLI")
PACKAGED = ("_libxoxe.abi3.so", "_xoxe_cli")


def crate_dir() -> Path:
    """The Rust crate: ``rust/`` in an sdist, else the repository this file sits in."""
    for candidate in (HERE / "rust", HERE.parent.parent):
        if (candidate / "Cargo.toml").is_file():
            return candidate
    raise SystemExit("no Rust crate found (rust/Cargo.toml or ../../Cargo.toml)")


def crate_version(crate: Path) -> str:
    """``version`` of the crate's ``[package]`` table."""
    text = (crate / "Cargo.toml").read_text(encoding="utf-8")
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not found:
        raise SystemExit(f"no [package] version in {crate / 'Cargo.toml'}")
    return found.group(1)


def prebuilt_files() -> list[Path] | None:
    """The two prebuilt files named by the environment, or None to build with cargo."""
    given = [os.environ.get(name) for name in PREBUILT]
    if not any(given):
        return None
    files = [Path(value or "") for value in given]
    for name, path in zip(PREBUILT, files):
        if not path.is_absolute() or not path.is_file():
            raise SystemExit(f"{name} must be the absolute path of a built file (got {str(path)!r})")
    return files


def cargo_build(crate: Path) -> list[Path]:
    """Builds the library and the CLI with cargo; returns their paths."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or HERE / "build" / "cargo").resolve()
    command = ["cargo", "build", "--release", "--locked", "--lib", "--bin", "xoxe"]
    command += ["--manifest-path", str(crate / "Cargo.toml"), "--target-dir", str(target)]
    if crate == HERE.parent.parent:  # the repository is a workspace
        command += ["-p", "xoxe"]
    try:
        subprocess.run(command, check=True)
    except FileNotFoundError:
        raise SystemExit("building xoxe from source needs cargo (https://rustup.rs)") from None
    return [target / "release" / "libxoxe.so", target / "release" / "xoxe"]


class BuildPyWithNative(build_py):
    """Copies the library and the CLI into the built package."""

    def run(self) -> None:
        super().run()
        sources = prebuilt_files() or cargo_build(crate_dir())
        package = Path(self.build_lib) / "xoxe"
        package.mkdir(parents=True, exist_ok=True)
        for source, name in zip(sources, PACKAGED):
            shutil.copyfile(source, package / name)
            os.chmod(package / name, 0o755)


class Py3PlatformWheel(bdist_wheel):  # type: ignore[misc]
    """A platform wheel for any Python 3: ``py3-none-PLATFORM``."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class BinaryDistribution(Distribution):
    """Marks the distribution as platform-specific: it carries native files."""

    def has_ext_modules(self) -> bool:
        return True


setup(
    version=crate_version(crate_dir()),
    cmdclass={"build_py": BuildPyWithNative, "bdist_wheel": Py3PlatformWheel},
    distclass=BinaryDistribution,
)
