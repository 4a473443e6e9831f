//! Renders one page of names in every script the documents print, to look at (and to read back
//! with `pdftotext`): `cargo run -p documents --example specimen -- specimen.pdf`.

use documents::{Fonts, INK, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Pen, Style};
use krilla::Document;
use krilla::page::PageSettings;

const NAMES: [(&str, &str); 9] = [
    ("Polish", "Łukasz Żółkiewski-Wąsowicz"),
    ("Czech", "Jiří Dvořák Šťastný"),
    ("Vietnamese", "Nguyễn Thị Hương"),
    ("Greek", "Γιώργος Παπαδόπουλος"),
    ("Russian", "Анна Фёдорова"),
    ("Hebrew", "שרה כהן"),
    ("Arabic", "فاطمة الزهراء"),
    ("Chinese", "王小明"),
    ("Emoji", "Café ☕ 😀"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "specimen.pdf".into());
    let fonts = Fonts::embedded()?;
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or("page size")?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen::new(&mut surface, fonts);
    let mut y = 80.0;
    for (script, name) in NAMES {
        pen.text(56.0, y, Style::Regular, 10.0, MUTED, script);
        pen.text(160.0, y, Style::Regular, 14.0, INK, name);
        pen.text_right(PAGE_WIDTH - 56.0, y, Style::Bold, 14.0, INK, name);
        y += 28.0;
    }
    surface.finish();
    page.finish();
    std::fs::write(&path, document.finish().map_err(|err| format!("{err:?}"))?)?;
    Ok(())
}
