//! Generates the C header from the `extern "C"` items in `src/ffi` with cbindgen,
//! into `OUT_DIR/xoxe.h`. The build never writes into the source tree: `make
//! header` copies the generated file to `include/xoxe.h`, and `make
//! check-header` fails while the committed header differs from it.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    match cbindgen::generate_with_config(&crate_dir, config) {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("xoxe.h"));
        }
        Err(e) => panic!("cbindgen failed to generate xoxe.h: {e}"),
    }
}
