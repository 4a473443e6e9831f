//! Bringing an open order up to the catalogue at checkout.

use super::*;

fn open_with_mug_and_pen() -> Order {
    let mut order = order();
    order.add(priced("mug", 1_450), 2).unwrap();
    order.add(priced("pen", 3_400), 1).unwrap();
    order
}

#[test]
fn an_order_that_matches_the_catalogue_does_not_change() {
    let mut order = open_with_mug_and_pen();
    let before = order.clone();
    let listings = [
        Listing::Sold(priced("mug", 1_450)),
        Listing::Sold(priced("pen", 3_400)),
    ];
    assert!(order.refresh(&listings).unwrap().is_empty());
    assert_eq!(order, before);
}

#[test]
fn new_prices_and_names_are_taken_and_products_no_longer_sold_taken_out() {
    let mut order = open_with_mug_and_pen();
    let mut renamed = priced("mug", 1_600);
    renamed.name = "Mug, green".into();
    let refreshed = order
        .refresh(&[Listing::Sold(renamed), Listing::NotSold(id("pen"))])
        .unwrap();
    assert_eq!(refreshed.updated, ["Product mug"]);
    assert_eq!(refreshed.removed, ["Product pen"]);
    assert_eq!(
        refreshed.to_string(),
        "Product mug changed in price or name; Product pen is no longer sold and was taken out \
         of your order"
    );
    assert_eq!(order.lines.len(), 1);
    assert_eq!(
        (order.lines[0].name.as_str(), order.lines[0].quantity),
        ("Mug, green", 2)
    );
    assert_eq!(order.total(), Some(Money::new(3_200, Currency::Eur)));
}

#[test]
fn a_line_the_catalogue_was_not_asked_about_stays() {
    let mut order = open_with_mug_and_pen();
    let refreshed = order
        .refresh(&[Listing::Sold(priced("mug", 1_000))])
        .unwrap();
    assert_eq!(refreshed.updated, ["Product mug"]);
    assert_eq!(order.lines[1].unit_price.minor, 3_400);
}

#[test]
fn only_an_open_order_is_refreshed_and_a_refused_refresh_changes_nothing() {
    let order = open_with_mug_and_pen();
    let mut pending = order.check_out(payer(), order.version, NOW).unwrap();
    let before = pending.clone();
    assert!(matches!(
        pending.refresh(&[Listing::NotSold(id("pen"))]),
        Err(RuleBroken::NotOpen(_))
    ));
    assert_eq!(pending, before);

    let mut open = open_with_mug_and_pen();
    let before = open.clone();
    let dollars = Priced {
        unit_price: Money::new(1_450, Currency::Usd),
        ..priced("mug", 0)
    };
    assert!(matches!(
        open.refresh(&[Listing::NotSold(id("pen")), Listing::Sold(dollars)]),
        Err(RuleBroken::CurrencyMismatch { .. })
    ));
    assert_eq!(open, before);
}
