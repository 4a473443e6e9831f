//! Renders a sample receipt, to look at the layout without running the shop:
//! `cargo run -p receipts --example receipt -- receipt.pdf [lines]`.

use receipts::pdf;
use receipts::receipt::Receipt;
use shared::ids::{OrderId, ProductId, Username};
use shared::messages::{OrderLine, ReceiptRequested};
use shared::money::Currency;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "receipt.pdf".into());
    let count: usize = args.next().map_or(Ok(3), |n| n.parse())?;
    let names = [
        "Enamel camp mug",
        "Brass ballpoint pen",
        "Dotted notebook, A5",
        "Wool throw blanket in a very long herringbone pattern with fringed ends, 130 by 180 cm",
    ];
    let lines: Vec<OrderLine> = (0..count)
        .map(|i| {
            let unit_price = 450 + i64::try_from(i).unwrap_or(0) * 275;
            Ok(OrderLine {
                product_id: ProductId::parse(&format!("product-{i}"))?,
                name: names[i % names.len()].to_owned(),
                quantity: u32::try_from(i % 3 + 1).unwrap_or(1),
                unit_price,
                line_total: unit_price * i64::try_from(i % 3 + 1).unwrap_or(1),
            })
        })
        .collect::<Result<_, String>>()?;
    let message = ReceiptRequested {
        order_id: OrderId::parse("6f1c2d3e4b5a69788796a5b4c3d2e1f0")?,
        owner: Username::parse("ada")?,
        customer_name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        email_verified: true,
        currency: Currency::Eur,
        total: lines.iter().map(|line| line.line_total).sum(),
        lines,
        card_last4: "4242".into(),
        paid_at: time::macros::datetime!(2026-11-22 10:04 UTC),
    };
    std::fs::write(&path, pdf::render(&Receipt::from(&message))?)?;
    eprintln!("wrote {path}");
    Ok(())
}
