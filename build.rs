//! Generates `include/xoxe.h` from the `extern "C"` items in `src/ffi` with cbindgen.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    match cbindgen::generate_with_config(&crate_dir, config) {
        // write_to_file leaves the file untouched when the content is unchanged.
        Ok(bindings) => {
            bindings.write_to_file(crate_dir.join("include/xoxe.h"));
        }
        Err(e) => panic!("cbindgen failed to generate include/xoxe.h: {e}"),
    }
}
