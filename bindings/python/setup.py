"""Builds the Rust core (the workspace two levels up) as a plain cdylib with cargo and
places it inside the package as ``xoxe/_libxoxe.abi3.so`` (or the platform's equivalent).
The Python side loads it with ctypes; the library has no Python bindings of its own.

Set ``CARGO_TARGET_DIR`` to reuse an existing cargo build directory. Set
``XOXE_PREBUILT_LIBRARY`` to the absolute path of an already built ``libxoxe.so`` to
package that file instead of running cargo (``make test-python-install`` does this, so
the install is checked with the very library every other suite tests: cargo's own
``cargo rustc --crate-type cdylib`` would rebuild, and replace, the shared release build).
"""

import os
import shutil
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

PREBUILT_ENV = "XOXE_PREBUILT_LIBRARY"
prebuilt = os.environ.get(PREBUILT_ENV)


class BuildPyWithPrebuiltLibrary(build_py):
    """Copies the prebuilt library into the built package as ``_libxoxe.abi3.so``."""

    def run(self) -> None:
        super().run()
        source = Path(prebuilt or "")
        if not source.is_absolute() or not source.is_file():
            raise SystemExit(f"{PREBUILT_ENV} must be the absolute path of a built libxoxe.so")
        target = Path(self.build_lib) / "xoxe" / "_libxoxe.abi3.so"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


class BinaryDistribution(Distribution):
    """Marks the wheel as platform-specific: it carries a native library."""

    def has_ext_modules(self) -> bool:
        return True


if prebuilt:
    setup(cmdclass={"build_py": BuildPyWithPrebuiltLibrary}, distclass=BinaryDistribution)
else:
    from setuptools_rust import Binding, RustExtension

    setup(
        rust_extensions=[
            RustExtension(
                "xoxe._libxoxe",
                path="../../Cargo.toml",
                binding=Binding.NoBinding,
                py_limited_api=True,
                # The wheel contains no Python-ABI-specific code at all.
                debug=False,
            )
        ],
    )
