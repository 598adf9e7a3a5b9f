//! Whole-output snapshots: a report compared byte for byte with a file under
//! a crate's `tests/snapshots/`, rewritten by expect-test with
//! `UPDATE_EXPECT=1`. A difference fails at once with the first line that
//! differs (expect-test's own character diff of a whole report can take
//! minutes); `git diff` then shows the rest.

use std::path::Path;

/// Compares `actual`, made [`fixed`], with the file at `path` (absolute),
/// or rewrites the file when `UPDATE_EXPECT` is set.
#[track_caller]
pub fn check(path: &Path, actual: &str) {
    let actual = fixed(actual);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        expect_test::expect_file![path].assert_eq(&actual);
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if expected == actual {
        return;
    }
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    panic!(
        "{} differs from the output at line {}:\n- {}\n+ {}\n\
         A layout change: if it is meant, rewrite the snapshots with \
         UPDATE_EXPECT=1 cargo test, read `git diff`, and name the change in review.",
        path.display(),
        line + 1,
        expected.lines().nth(line).unwrap_or("(end of file)"),
        actual.lines().nth(line).unwrap_or("(end of output)"),
    );
}

/// Compares `actual` with `tests/snapshots/NAME` of the crate whose
/// manifest folder is `crate_dir` (its `env!("CARGO_MANIFEST_DIR")`).
#[track_caller]
pub fn check_in(crate_dir: &str, name: &str, actual: &str) {
    check(
        &Path::new(crate_dir).join("tests/snapshots").join(name),
        actual,
    );
}

/// What may vary without a layout change, replaced: the tool's version
/// (`rdpdoctor X.Y.Z`, `"tool_version": "X.Y.Z"`), and an HTML page's style
/// sheet (`rdpdoctor-render/src/html/style.css`, the same in every page;
/// each page keeps the CSP line that names its hash).
pub fn fixed(actual: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let out = actual
        .replace(&format!("rdpdoctor {version}"), "rdpdoctor VERSION")
        .replace(
            &format!("\"tool_version\": \"{version}\""),
            "\"tool_version\": \"VERSION\"",
        );
    match (out.find("<style>"), out.find("</style>")) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{}<style>…</style>{}",
                &out[..a],
                &out[b + "</style>".len()..]
            )
        }
        _ => out,
    }
}
