//! The web crate's layers import only downward: `http` knows nothing of `api` or `ui`, and each audience's pages
//! know nothing of another's, so a page for clients cannot reach a staff page's helpers by accident.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// Every file under `layer` (relative to `src/`) that names one of `forbidden`.
fn offenders(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for file in sources(&src.join(layer)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for f in forbidden {
            if text.contains(f) {
                found.push(format!("{} names {f}", file.display()));
            }
        }
    }
    found
}

#[test]
fn http_is_the_bottom() {
    let bad = offenders("http", &["crate::api", "crate::ui"]);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_api_does_not_use_pages() {
    let bad = offenders("api", &["crate::ui"]);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn audiences_do_not_reach_into_each_other() {
    let mut bad = offenders("ui/staff", &["crate::ui::portal", "crate::ui::public"]);
    bad.extend(offenders(
        "ui/portal",
        &["crate::ui::staff", "crate::ui::public"],
    ));
    bad.extend(offenders(
        "ui/public",
        &["crate::ui::staff", "crate::ui::portal"],
    ));
    assert!(bad.is_empty(), "{bad:#?}");
}

/// The check itself can fail: a file that does name a higher layer is found.
#[test]
fn the_check_finds_an_upward_import() {
    let bad = offenders("ui/staff", &["crate::http::"]);
    assert!(!bad.is_empty());
}
