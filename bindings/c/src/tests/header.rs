//! The committed header is what cbindgen makes of the crate, and carries the crate version.
//!
//! `QUDAO_BLESS=1 cargo test -p qudao-ffi header` rewrites `include/qudao.h`.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("include").join("qudao.h")
}

/// The version macros, from `CARGO_PKG_VERSION_*`.
fn version_macros() -> String {
    format!(
        "#define QUDAO_VERSION_MAJOR {}\n\
         #define QUDAO_VERSION_MINOR {}\n\
         #define QUDAO_VERSION_PATCH {}\n\
         #define QUDAO_VERSION \"{}\"\n",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    )
}

fn generate() -> String {
    let dir = crate_dir();
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(format!(
        "\n/* Version of the library this header belongs to; compare with qudao_version(). */\n{}",
        version_macros()
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir include");
        std::fs::write(&path, &fresh).expect("write header");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let first = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "{} is out of date (first difference at line {}); regenerate it with\n    \
             QUDAO_BLESS=1 cargo test -p qudao-ffi header\nand commit it",
            path.display(),
            first + 1
        );
    }
}

fn macro_value(header: &str, name: &str) -> Option<String> {
    header.lines().find_map(|l| {
        let rest = l.strip_prefix("#define ")?.strip_prefix(name)?;
        rest.starts_with(' ').then(|| rest.trim().to_owned())
    })
}

#[test]
fn header_version_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(header_path()).expect("read include/qudao.h");
    for (name, want) in [
        ("QUDAO_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("QUDAO_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("QUDAO_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert_eq!(macro_value(&header, name).as_deref(), Some(want), "{name}");
    }
    assert_eq!(
        macro_value(&header, "QUDAO_VERSION"),
        Some(format!("\"{}\"", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn version_function_matches_cargo_toml() {
    // SAFETY: `qudao_version` returns a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(crate::qudao_version()) };
    assert_eq!(v.to_str().ok(), Some(env!("CARGO_PKG_VERSION")));
}
