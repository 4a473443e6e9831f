//! Reading a PDF back the way a person's tools do: poppler's `pdftotext` and `pdfinfo`
//! (Debian's poppler-utils, installed by scripts/test).

use std::process::Command;

/// Runs a poppler tool on `pdf` (written to a temporary file) and returns what it printed.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("document-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[] })
        .output()
        .unwrap_or_else(|err| panic!("{tool} (poppler-utils, installed by scripts/test): {err}"));
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success(), "{tool}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The text of a PDF, as `pdftotext -layout` reads it (columns kept side by side).
pub(crate) fn layout_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout"], pdf)
}

/// The text of a PDF in reading order, as `pdftotext` reads it, without the directional
/// embedding marks (U+202A to U+202E) it puts around right-to-left runs.
pub(crate) fn text(pdf: &[u8]) -> String {
    poppler("pdftotext", &[], pdf)
        .chars()
        .filter(|c| !('\u{202A}'..='\u{202E}').contains(c))
        .collect()
}

/// How many pages the PDF has, as `pdfinfo` counts them.
pub(crate) fn pages(pdf: &[u8]) -> usize {
    poppler("pdfinfo", &[], pdf)
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|count| count.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}
