"""Builds the Rust core (the workspace two levels up) as a plain cdylib with cargo and
places it inside the package as ``xoxe/_libxoxe.abi3.so`` (or the platform's equivalent).
The Python side loads it with ctypes; the library has no Python bindings of its own.

Set ``CARGO_TARGET_DIR`` to reuse an existing cargo build directory."""

from setuptools import setup
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
