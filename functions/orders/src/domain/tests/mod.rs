use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

fn id(raw: &str) -> ProductId {
    ProductId::parse(raw).unwrap()
}

fn payer() -> Payer {
    Payer {
        card_last4: Some("4242".into()),
        email: "ada@example.com".into(),
        email_verified: true,
        customer_name: "Ada".into(),
    }
}

fn priced(id: &str, cents: i64) -> Priced {
    Priced {
        product_id: self::id(id),
        name: format!("Product {id}"),
        unit_price: Money::new(cents, Currency::Eur),
    }
}

fn order() -> Order {
    Order::new(Username::parse("ada").unwrap(), NOW)
}

#[test]
fn adding_merges_lines_and_totals_add_up() {
    let mut order = order();
    order.add(priced("mug", 1_450), 2).unwrap();
    order.add(priced("pen", 3_400), 1).unwrap();
    order.add(priced("mug", 1_500), 1).unwrap();
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].quantity, 3);
    assert_eq!(order.lines[0].unit_price.minor, 1_500, "price refreshed");
    assert_eq!(
        order.total(),
        Some(Money::new(3 * 1_500 + 3_400, Currency::Eur))
    );
    let view = OrderView::from(&order);
    assert_eq!(view.item_count, 4);
    assert_eq!(view.lines[0].line_total, 4_500);
    assert_eq!(view.total, 7_900);
}

#[test]
fn quantities_are_bounded_per_line() {
    let mut order = order();
    assert_eq!(order.add(priced("mug", 1), 0), Err(RuleBroken::Quantity(0)));
    order.add(priced("mug", 1), 99).unwrap();
    assert_eq!(
        order.add(priced("mug", 1), 1),
        Err(RuleBroken::Quantity(100))
    );
    assert_eq!(order.lines[0].quantity, 99, "a refused add changes nothing");
    assert_eq!(
        order.set_quantity(&id("mug"), 100),
        Err(RuleBroken::Quantity(100))
    );
}

#[test]
fn an_order_holds_at_most_fifty_lines() {
    let mut order = order();
    for i in 0..MAX_LINES {
        order.add(priced(&format!("p{i:03}"), 100), 1).unwrap();
    }
    assert_eq!(
        order.add(priced("one-more", 100), 1),
        Err(RuleBroken::TooManyLines)
    );
    order.add(priced("p000", 100), 1).unwrap();
}

#[test]
fn setting_a_quantity_to_zero_removes_the_line() {
    let mut order = order();
    order.add(priced("mug", 1_450), 2).unwrap();
    order.set_quantity(&id("mug"), 5).unwrap();
    assert_eq!(order.lines[0].quantity, 5);
    order.set_quantity(&id("mug"), 0).unwrap();
    assert!(order.lines.is_empty());
    assert_eq!(order.total(), None);
    assert_eq!(OrderView::from(&order).total, 0);
    assert_eq!(
        order.set_quantity(&id("mug"), 1),
        Err(RuleBroken::NotInOrder(id("mug")))
    );
}

#[test]
fn a_total_that_would_overflow_is_refused_without_effect() {
    let mut order = order();
    order.add(priced("gold", i64::MAX / 50), 10).unwrap();
    assert_eq!(
        order.add(priced("more-gold", i64::MAX / 50), 99),
        Err(RuleBroken::TotalTooLarge)
    );
    assert_eq!(order.lines.len(), 1);
}

#[test]
fn one_order_one_currency() {
    let mut order = order();
    order.add(priced("mug", 1_450), 1).unwrap();
    let dollars = Priced {
        unit_price: Money::new(100, Currency::Usd),
        ..priced("top-hat", 0)
    };
    assert!(matches!(
        order.add(dollars, 1),
        Err(RuleBroken::CurrencyMismatch { .. })
    ));
}

#[test]
fn only_open_non_empty_orders_change_or_check_out() {
    let mut order = order();
    assert_eq!(
        order.check_out(payer(), order.version, NOW),
        Err(RuleBroken::Empty)
    );
    order.add(priced("mug", 1_450), 1).unwrap();
    assert!(order.check_out(payer(), order.version, NOW).is_ok());
    assert_eq!(
        order.request_payment(NOW),
        None,
        "an open order has no payment to request"
    );
    order.state = State::PendingPayment {
        payer: payer(),
        attempt: Attempt::default(),
        payment_requested: false,
    };
    let requested = order
        .request_payment(NOW)
        .expect("its message was never sent");
    assert_eq!(requested.version, order.version + 1);
    assert!(matches!(
        requested.state,
        State::PendingPayment {
            payment_requested: true,
            ..
        }
    ));
    assert_eq!(
        requested.request_payment(NOW),
        None,
        "its message is on its way"
    );
    assert_eq!(
        order.add(priced("mug", 1_450), 1),
        Err(RuleBroken::NotOpen(OrderStatus::PendingPayment))
    );
    assert_eq!(
        order.check_out(payer(), order.version, NOW),
        Err(RuleBroken::NotOpen(OrderStatus::PendingPayment))
    );
}

#[test]
fn a_checkout_pays_for_the_order_as_reviewed_or_not_at_all() {
    let mut order = order();
    order.add(priced("mug", 1_450), 1).unwrap();
    order.version = 4;
    assert_eq!(
        order.check_out(payer(), 3, NOW),
        Err(RuleBroken::Changed { seen: 3, now: 4 })
    );
    let pending = order.check_out(payer(), 4, NOW).unwrap();
    assert_eq!(pending.version, 5);
    assert_eq!(pending.state.attempt(), Some(Attempt(1)));
}

#[test]
fn a_failed_payment_is_tried_again_and_late_verdicts_change_nothing() {
    let mut order = order();
    order.add(priced("mug", 1_450), 2).unwrap();
    let declined = PaymentOutcome::Declined {
        reason: DeclineReason::CardDeclined,
    };
    let approved = PaymentOutcome::Approved {
        charge_id: "ch_2".into(),
    };
    let failed = order
        .check_out(payer(), order.version, NOW)
        .unwrap()
        .settle(Attempt(1), &declined, None, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(failed.status(), OrderStatus::PaymentFailed);
    let retried = failed.check_out(payer(), failed.version, NOW).unwrap();
    assert_eq!(retried.state.attempt(), Some(Attempt(2)));
    assert_eq!(retried.lines, order.lines, "the same order, paid again");
    // The first attempt's verdict, delivered again, belongs to the past.
    assert_eq!(retried.settle(Attempt(1), &approved, None, NOW), Ok(None));
    let paid = retried
        .settle(Attempt(2), &approved, None, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    assert_eq!(
        paid.settle(Attempt(2), &declined, None, NOW),
        Ok(None),
        "the first verdict stands"
    );
    assert_eq!(
        paid.check_out(payer(), paid.version, NOW),
        Err(RuleBroken::NotOpen(OrderStatus::Paid))
    );
}

/// An order of two mugs, checked out and paid at [`NOW`].
fn paid_order() -> Order {
    let mut order = order();
    order.add(priced("mug", 1_450), 2).unwrap();
    order
        .check_out(payer(), order.version, NOW)
        .unwrap()
        .settle(
            Attempt(1),
            &PaymentOutcome::Approved {
                charge_id: "ch_1".into(),
            },
            Some("4242"),
            NOW,
        )
        .unwrap()
        .unwrap()
}

#[test]
fn an_anonymised_order_keeps_the_books_and_nothing_of_the_customer() {
    let paid = paid_order();
    let later = NOW + time::Duration::minutes(5);
    let anonymous = paid.anonymised(later).unwrap();
    assert!(anonymous.owner.is_erased());
    assert_eq!(anonymous.version, paid.version + 1);
    assert_eq!(anonymous.updated_at, later);
    assert_eq!(
        (
            anonymous.status(),
            anonymous.total(),
            &anonymous.lines,
            anonymous.created_at
        ),
        (paid.status(), paid.total(), &paid.lines, paid.created_at)
    );
    let payer = anonymous.state.payer().unwrap();
    assert_eq!(payer.card_last4.as_deref(), Some("4242"));
    // The order id is random hex, so it may spell "ada" by chance.
    let stored = format!(
        "{:?}",
        shared::store::to_item("ORDER#x", &anonymous).unwrap()
    )
    .replace(&anonymous.id.to_string(), "<id>");
    for personal in ["ada", "Ada"] {
        assert!(!stored.contains(personal), "{stored}");
    }
    assert_eq!(anonymous.anonymised(later), None, "once");
    assert_eq!(order().anonymised(later), None, "a cart is deleted instead");
}

#[test]
fn an_order_is_stored_as_one_flat_item_and_read_back() {
    let paid = paid_order();
    let item = shared::store::to_item("ORDER#x", &paid).unwrap();
    let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    assert_eq!(text("status").as_deref(), Some("PAID"));
    assert_eq!(text("owner").as_deref(), Some("ada"));
    assert_eq!(text("card_last4").as_deref(), Some("4242"));
    assert_eq!(text("paid_at").as_deref(), Some("2026-11-22T10:00:00Z"));
    let read: Order = shared::store::from_item(item).unwrap();
    assert_eq!(read, paid);
    for state in [
        State::Open,
        State::PendingPayment {
            payer: payer(),
            attempt: Attempt(2),
            payment_requested: true,
        },
        State::PaymentFailed {
            payer: payer(),
            attempt: Attempt(3),
            payment_failure: DeclineReason::InsufficientFunds,
        },
    ] {
        let order = Order {
            state,
            ..paid.clone()
        };
        let item = shared::store::to_item("ORDER#x", &order).unwrap();
        assert_eq!(shared::store::from_item::<Order>(item).unwrap(), order);
    }
}

#[test]
fn a_stored_order_missing_what_its_state_needs_does_not_read() {
    let paid = paid_order();
    let mut item = shared::store::to_item("ORDER#x", &paid).unwrap();
    item.remove("email");
    assert!(
        shared::store::from_item::<Order>(item).is_err(),
        "paid, but no payer"
    );
}

mod properties;
mod refresh;

/// Orders stored before orders were typed (commit 8a57536): every attribute written, flags
/// included, the failure in words, and some without the customer's name.
#[test]
fn orders_stored_by_the_earlier_code_still_read() {
    use aws_sdk_dynamodb::types::AttributeValue::{Bool, L, M, N, S};
    let line = M([
        ("product_id".to_owned(), S("enamel-camp-mug".into())),
        ("name".to_owned(), S("Enamel camp mug".into())),
        ("unit_price".to_owned(), N("1450".into())),
        ("currency".to_owned(), S("EUR".into())),
        ("quantity".to_owned(), N("2".into())),
    ]
    .into());
    let item = |status: &str, extra: &[(&str, &str)]| {
        let mut item = shared::store::Item::from([
            (
                "pk".to_owned(),
                S("ORDER#0123456789abcdef0123456789abcdef".into()),
            ),
            (
                "id".to_owned(),
                S("0123456789abcdef0123456789abcdef".into()),
            ),
            ("owner".to_owned(), S("ada".into())),
            ("status".to_owned(), S(status.into())),
            ("lines".to_owned(), L(vec![line.clone()])),
            ("created_at".to_owned(), S("2026-11-22T10:00:00Z".into())),
            (
                "updated_at".to_owned(),
                S("2026-11-22T10:05:00.123456Z".into()),
            ),
            ("version".to_owned(), N("3".into())),
            ("payment_requested".to_owned(), Bool(true)),
            ("receipt_requested".to_owned(), Bool(false)),
        ]);
        for (name, value) in extra {
            item.insert((*name).to_owned(), S((*value).into()));
        }
        item
    };
    let checked_out = [("card_last4", "4242"), ("email", "ada@example.com")];

    let open: Order = shared::store::from_item(item("OPEN", &[])).unwrap();
    assert_eq!(open.lines[0].unit_price, Money::new(1_450, Currency::Eur));
    assert_eq!(open.total(), Some(Money::new(2_900, Currency::Eur)));

    let failed: Order = shared::store::from_item(item(
        "PAYMENT_FAILED",
        &[
            checked_out[0],
            checked_out[1],
            ("customer_name", "Ada Lovelace"),
            ("payment_failure", "the card has insufficient funds"),
        ],
    ))
    .unwrap();
    assert!(matches!(
        failed.state,
        State::PaymentFailed {
            payment_failure: DeclineReason::InsufficientFunds,
            ..
        }
    ));
    let stored = shared::store::to_item("ORDER#x", &failed).unwrap();
    assert_eq!(
        stored["payment_failure"].as_s().unwrap(),
        "the card has insufficient funds",
        "written back as it was"
    );
    assert_eq!(
        stored["lines"],
        L(vec![line.clone()]),
        "lines written back as they were"
    );

    // Paid before the shop kept the customer's name: the receipt names the owner.
    let paid: Order = shared::store::from_item(item(
        "PAID",
        &[
            checked_out[0],
            checked_out[1],
            ("paid_at", "2026-11-22T10:06:00Z"),
        ],
    ))
    .unwrap();
    let receipt = OrderView::from(&paid).receipt().unwrap();
    assert_eq!(receipt.customer_name, "ada");
    assert_eq!(receipt.total, 2_900);
}
