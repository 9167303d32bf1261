//! One version for every artifact, kept in Cargo.toml (CHANGELOG.md, ABI.md):
//! the places that show it must agree with the crate's.

use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_changelogs_newest_entry_is_the_crates_version() {
    let changelog = read("CHANGELOG.md");
    let newest = changelog
        .lines()
        .find_map(|l| l.strip_prefix("## "))
        .expect("CHANGELOG.md has a `## VERSION — DATE` entry");
    let version = newest.split_whitespace().next().unwrap_or_default();
    assert_eq!(
        version,
        env!("CARGO_PKG_VERSION"),
        "CHANGELOG.md's newest entry is `## {newest}`: write the entry of {} first",
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn the_headers_version_macros_are_the_crates_version() {
    let header = read("include/xoxe.h");
    let part = |name: &str| {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define XOXE_VERSION_{name} ")))
            .unwrap_or_else(|| panic!("include/xoxe.h defines XOXE_VERSION_{name}"))
            .to_string()
    };
    let version = format!("{}.{}.{}", part("MAJOR"), part("MINOR"), part("PATCH"));
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "run `make header`");
    // SAFETY: xoxe_version returns a static NUL-terminated string.
    let lib = unsafe { std::ffi::CStr::from_ptr(xoxe::ffi::xoxe_version()) };
    assert_eq!(lib.to_str(), Ok(env!("CARGO_PKG_VERSION")), "xoxe_version()");
}

#[test]
fn the_python_package_takes_its_version_from_the_crate() {
    let pyproject = read("bindings/python/pyproject.toml");
    assert!(
        pyproject.contains("dynamic = [\"version\"]"),
        "pyproject.toml's version is dynamic (setup.py reads Cargo.toml)"
    );
    assert!(
        !pyproject.lines().any(|l| l.trim_start().starts_with("version =")),
        "pyproject.toml must not restate the version"
    );
}

#[test]
fn the_readmes_install_lines_name_the_crates_version() {
    let readme = read("README.md");
    let named: Vec<&str> = readme
        .match_indices("xoxe-")
        .filter_map(|(i, _)| readme[i + 5..].split("-linux-x86_64").next())
        .filter(|v| v.len() < 12 && v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.contains('.'))
        .collect();
    assert!(!named.is_empty(), "README.md's Install names the C tarball");
    for v in named {
        assert_eq!(v, env!("CARGO_PKG_VERSION"), "README.md names xoxe-{v}-linux-x86_64");
    }
}
