//! Generates the C header from the `extern "C"` items in `src/ffi` with cbindgen,
//! into `OUT_DIR/xoxe.h`, with the release version from Cargo.toml. The build
//! never writes into the source tree: `make header` copies the generated file to
//! `include/xoxe.h`, and `make check-header` fails while the committed header
//! differs from it.
//!
//! On Linux it also names the shared library `libxoxe.so.ABI` (its SONAME, ABI
//! being `XOXE_ABI_VERSION`), so programs linked against it load a library of
//! the same ABI and refuse another (see ABI.md).

use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(version_defines());
    match cbindgen::generate_with_config(&crate_dir, config) {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("xoxe.h"));
        }
        Err(e) => panic!("cbindgen failed to generate xoxe.h: {e}"),
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let abi = abi_version(&crate_dir.join("src/ffi/version.rs"));
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxoxe.so.{abi}");
    }
}

/// The header's version macros, from the crate's version.
fn version_defines() -> String {
    let part = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let mut out = Vec::new();
    for (macro_name, var, what) in [
        ("XOXE_VERSION_MAJOR", "CARGO_PKG_VERSION_MAJOR", "Major"),
        ("XOXE_VERSION_MINOR", "CARGO_PKG_VERSION_MINOR", "Minor"),
        ("XOXE_VERSION_PATCH", "CARGO_PKG_VERSION_PATCH", "Patch"),
    ] {
        out.push(format!(
            "// {what} version of the xoxe release this header belongs to.\n#define {macro_name} {}",
            part(var)
        ));
    }
    format!("\n{}", out.join("\n\n"))
}

/// `XOXE_ABI_VERSION` as src/ffi/version.rs defines it (the one place it is kept).
fn abi_version(version_rs: &Path) -> u32 {
    let text = std::fs::read_to_string(version_rs).expect("src/ffi/version.rs");
    text.lines()
        .find_map(|l| l.trim().strip_prefix("pub const XOXE_ABI_VERSION: u32 = "))
        .and_then(|rest| rest.trim_end_matches(';').trim().parse().ok())
        .expect("src/ffi/version.rs defines `pub const XOXE_ABI_VERSION: u32 = N;`")
}
