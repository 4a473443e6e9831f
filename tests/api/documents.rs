//! Documents print every name: receipts for customers and products named in the scripts the shop
//! sells to, read back with `pdftotext` (which gives back a letter the fonts lack from the PDF's
//! text layer, where the page shows its code point).

use receipts::pdf;
use receipts::receipt::{Line, Receipt};
use shared::money::{Currency, Money};
use time::OffsetDateTime;

use crate::support::pdf as poppler;

/// Customers' names, one per script, as they would register them.
const CUSTOMERS: [&str; 10] = [
    "Łukasz Żółkiewski-Wąsowicz",
    "Jiří Dvořák Šťastný",
    "Nguyễn Thị Hương",
    "Γιώργος Παπαδόπουλος",
    "Анна Фёдорова",
    "שרה כהן",
    "فاطمة الزهراء",
    "王小明",
    "김민준",
    // Devanagari, not embedded: letters with vowel signs and a virama, spelt out whole.
    "प्रिया शर्मा",
];

/// Products named in as many scripts, one with a letter no embedded font has (an emoji).
const PRODUCTS: [&str; 6] = [
    "Kubek emaliowany, żółty",
    "Čajová konvice",
    "Bình giữ nhiệt",
    "Κούπα καφέ",
    "Кружка «Берёза»",
    "Tasse ☕ mit Herz 😀",
];

fn receipt(customer: &str, products: &[&str]) -> Receipt {
    let euros = |minor| Money::new(minor, Currency::Eur);
    let lines: Vec<Line> = products
        .iter()
        .map(|name| Line {
            name: (*name).to_owned(),
            quantity: 2,
            unit_price: euros(1_250),
            amount: euros(2_500),
        })
        .collect();
    Receipt {
        order_id: shared::ids::OrderId::generate(),
        customer_name: customer.to_owned(),
        email: "customer@example.com".to_owned(),
        paid_at: OffsetDateTime::now_utc(),
        total: euros(2_500 * i64::try_from(lines.len()).unwrap()),
        lines,
        card_last4: "4242".to_owned(),
    }
}

#[test]
fn a_receipt_prints_every_customer_and_product_name_exactly() {
    for customer in CUSTOMERS {
        let pdf = pdf::render(&receipt(customer, &PRODUCTS)).unwrap();
        // A name may wrap (spelt-out letters are wide): lines are joined as words.
        let text = poppler::text(&pdf)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for name in std::iter::once(customer).chain(PRODUCTS) {
            assert!(text.contains(name), "{name:?} missing from:\n{text}");
        }
        assert!(text.contains("€150.00"), "{text}");
    }
}

/// The longest names the shop accepts, in a script no embedded font has: every letter spelt out
/// as its code point takes many lines, and the rows still fit their pages.
#[test]
fn the_longest_names_in_a_script_spelt_out_still_fit_their_pages() {
    let customer = format!("{} {}", "王".repeat(64), "明".repeat(64));
    let product = "茶".repeat(120);
    let pdf = pdf::render(&receipt(&customer, &[&product, &product, &product])).unwrap();
    let text = poppler::text(&pdf);
    let letters = |c| text.matches(c).count();
    assert_eq!(
        (letters('王'), letters('明'), letters('茶')),
        (64, 64, 360),
        "{text}"
    );
    let pages = poppler::pages(&pdf);
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}

#[test]
fn long_names_wrap_and_long_orders_number_their_pages() {
    let long = "Wool throw blanket in a very long herringbone pattern with fringed ends, \
                130 by 180 cm, woven by hand in Łódź from undyed Polish merino";
    let products = vec![long; 50];
    let pdf = pdf::render(&receipt(CUSTOMERS[0], &products)).unwrap();
    let pages = poppler::pages(&pdf);
    // Fifty two-line names take more pages than fifty one-line ones (two).
    assert!(pages > 2, "{pages} pages");
    let text = poppler::text(&pdf);
    assert!(text.contains(&format!("Page {pages} of {pages}")), "{text}");
    let words: Vec<&str> = long.split_whitespace().collect();
    assert_eq!(
        text.matches("merino").count(),
        50,
        "every name is printed to its last word"
    );
    for word in words {
        assert!(text.contains(word), "{word:?} missing");
    }
    assert!(!text.contains('…'), "nothing is shortened");
}
