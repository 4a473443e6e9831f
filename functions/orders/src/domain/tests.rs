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

/// Random journeys through an order's life, each step checked against a model that prices
/// in 128-bit integers: totals always add up, refused steps change nothing, and the status
/// only ever moves forward.
mod properties {
    use super::*;
    use proptest::prelude::*;
    use shared::messages::DeclineReason;

    #[derive(Debug, Clone)]
    enum Step {
        Add {
            product: u8,
            unit_price: Money,
            quantity: u32,
        },
        SetQuantity {
            product: u8,
            quantity: u32,
        },
        CheckOut,
        Settle(PaymentOutcome),
    }

    fn unit_price() -> impl Strategy<Value = Money> {
        // Mostly shop prices in euros; now and then dollars, or a price so large that a few
        // lines overflow an i64 total.
        let minor = prop_oneof![
            9 => 1i64..1_000_000,
            1 => (i64::MAX / 200)..(i64::MAX / 40),
        ];
        let currency = prop_oneof![8 => Just(Currency::Eur), 1 => Just(Currency::Usd)];
        (minor, currency).prop_map(|(minor, currency)| Money::new(minor, currency))
    }

    fn step() -> impl Strategy<Value = Step> {
        // 60 products so the 50-line limit is reached; quantities past 99 to be refused.
        let outcome = prop_oneof![
            Just(PaymentOutcome::Approved {
                charge_id: "ch_1".into()
            }),
            proptest::sample::select(DeclineReason::ALL.to_vec())
                .prop_map(|reason| PaymentOutcome::Declined { reason }),
        ];
        prop_oneof![
            12 => (0u8..60, unit_price(), 0u32..=110).prop_map(|(product, unit_price, quantity)| {
                Step::Add { product, unit_price, quantity }
            }),
            4 => (0u8..60, 0u32..=110)
                .prop_map(|(product, quantity)| Step::SetQuantity { product, quantity }),
            1 => Just(Step::CheckOut),
            1 => outcome.prop_map(Step::Settle),
        ]
    }

    fn product_id(product: u8) -> ProductId {
        id(&format!("p{product:03}"))
    }

    /// The exact total of `lines` if it fits in an i64; prices are positive, so no partial
    /// sum can overflow unless the whole does.
    fn model_total(lines: &[Line]) -> Option<i64> {
        let wide: i128 = lines
            .iter()
            .map(|line| i128::from(line.unit_price.minor) * i128::from(line.quantity))
            .sum();
        i64::try_from(wide).ok()
    }

    /// What the model says `step` does to `before`: the lines afterwards, or the refusal.
    fn expected_lines(before: &Order, step: &Step) -> Result<Vec<Line>, RuleBroken> {
        let mut lines = before.lines.clone();
        let position = |id: &ProductId| lines.iter().position(|line| &line.product_id == id);
        match step {
            Step::Add {
                product,
                unit_price,
                quantity,
            } => {
                let id = product_id(*product);
                if before.status() != OrderStatus::Open {
                    return Err(RuleBroken::NotOpen(before.status()));
                }
                if let Some(first) = lines.first()
                    && first.unit_price.currency != unit_price.currency
                {
                    return Err(RuleBroken::CurrencyMismatch {
                        product: format!("Product {id}"),
                        order: first.unit_price.currency,
                        product_currency: unit_price.currency,
                    });
                }
                let index = position(&id);
                let wanted = index.map_or(0, |i| lines[i].quantity) + quantity;
                if !(1..=MAX_QUANTITY).contains(&wanted) {
                    return Err(RuleBroken::Quantity(wanted));
                }
                let line = Line {
                    product_id: id.clone(),
                    name: format!("Product {id}"),
                    unit_price: *unit_price,
                    quantity: wanted,
                };
                match index {
                    Some(i) => lines[i] = line,
                    None if lines.len() == MAX_LINES => return Err(RuleBroken::TooManyLines),
                    None => lines.push(line),
                }
            }
            Step::SetQuantity { product, quantity } => {
                let id = product_id(*product);
                if before.status() != OrderStatus::Open {
                    return Err(RuleBroken::NotOpen(before.status()));
                }
                if *quantity > MAX_QUANTITY {
                    return Err(RuleBroken::Quantity(*quantity));
                }
                let index = position(&id).ok_or(RuleBroken::NotInOrder(id))?;
                if *quantity == 0 {
                    lines.remove(index);
                } else {
                    lines[index].quantity = *quantity;
                }
            }
            Step::CheckOut | Step::Settle(_) => return Ok(lines),
        }
        model_total(&lines).ok_or(RuleBroken::TotalTooLarge)?;
        Ok(lines)
    }

    fn apply(order: &mut Order, step: &Step) -> Result<(), RuleBroken> {
        match step {
            Step::Add {
                product,
                unit_price,
                quantity,
            } => {
                let id = product_id(*product);
                let name = format!("Product {id}");
                let priced = Priced {
                    product_id: id,
                    name,
                    unit_price: *unit_price,
                };
                order.add(priced, *quantity)
            }
            Step::SetQuantity { product, quantity } => {
                order.set_quantity(&product_id(*product), *quantity)
            }
            Step::CheckOut => {
                *order =
                    order.check_out(payer(), order.version, NOW + time::Duration::minutes(5))?;
                Ok(())
            }
            Step::Settle(outcome) => {
                let attempt = order.state.attempt().unwrap_or_default();
                if let Some(settled) =
                    order.settle(attempt, outcome, None, NOW + time::Duration::minutes(6))?
                {
                    *order = settled;
                }
                Ok(())
            }
        }
    }

    fn assert_well_formed(order: &Order) -> Result<(), TestCaseError> {
        prop_assert!(order.lines.len() <= MAX_LINES);
        let mut ids: Vec<&str> = order.lines.iter().map(|l| l.product_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), order.lines.len(), "one line per product");
        for line in &order.lines {
            prop_assert!((1..=MAX_QUANTITY).contains(&line.quantity));
            prop_assert_eq!(Some(line.unit_price.currency), order.currency());
        }
        let exact = model_total(&order.lines);
        prop_assert!(exact.is_some(), "a stored order's total always fits");
        let view = OrderView::from(order);
        prop_assert_eq!(
            order.total().map(|t| t.minor),
            (!order.lines.is_empty()).then_some(view.total)
        );
        prop_assert_eq!(Some(view.total), exact);
        prop_assert_eq!(
            view.lines.iter().map(|line| line.line_total).sum::<i64>(),
            view.total
        );
        prop_assert_eq!(
            view.item_count,
            order.lines.iter().map(|line| line.quantity).sum::<u32>()
        );
        Ok(())
    }

    fn may_follow(from: OrderStatus, to: OrderStatus) -> bool {
        use OrderStatus::*;
        from == to
            || matches!(
                (from, to),
                (Open | PaymentFailed, PendingPayment) | (PendingPayment, Paid | PaymentFailed)
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn every_journey_keeps_the_rules(steps in proptest::collection::vec(step(), 1..120)) {
            let mut order = self::order();
            for step in &steps {
                let before = order.clone();
                let expected = expected_lines(&before, step);
                let outcome = apply(&mut order, step);
                match (&outcome, &expected) {
                    (Err(refused), Err(predicted)) => prop_assert_eq!(refused, predicted),
                    (Ok(()), Ok(lines)) => prop_assert_eq!(&order.lines, lines),
                    // Checking out and settling have their own rules, checked below.
                    (Err(_), Ok(_)) if matches!(step, Step::CheckOut | Step::Settle(_)) => {}
                    _ => prop_assert!(false, "{:?} did {:?}; the model says {:?}", step, outcome, expected),
                }
                if outcome.is_err() {
                    prop_assert_eq!(&order, &before, "a refused step changes nothing");
                }
                prop_assert!(may_follow(before.status(), order.status()),
                    "{:?} went {:?} to {:?}", step, before.status(), order.status());
                if before.status() != OrderStatus::Open {
                    prop_assert_eq!(&order.lines, &before.lines, "a checked-out order's lines are frozen");
                }
                match step {
                    Step::CheckOut => {
                        let allowed = (before.status() == OrderStatus::Open && !before.lines.is_empty())
                            || before.status() == OrderStatus::PaymentFailed;
                        prop_assert_eq!(outcome.is_ok(), allowed);
                        if allowed {
                            prop_assert_eq!(order.status(), OrderStatus::PendingPayment);
                            let next = before.state.attempt().map_or(Attempt(1), Attempt::next);
                            prop_assert_eq!(order.state.attempt(), Some(next));
                            prop_assert_eq!(order.state.payer(), Some(&payer()));
                            prop_assert_eq!(order.version, before.version + 1);
                        }
                    }
                    Step::Settle(verdict) => {
                        prop_assert_eq!(outcome.is_err(), before.status() == OrderStatus::Open);
                        if before.status() == OrderStatus::PendingPayment {
                            let paid = matches!(verdict, PaymentOutcome::Approved { .. });
                            prop_assert_eq!(order.status() == OrderStatus::Paid, paid);
                            let view = OrderView::from(&order);
                            prop_assert_eq!(view.paid_at.is_some(), paid);
                            prop_assert_eq!(view.payment_failure.is_some(), !paid);
                            prop_assert_eq!(order.state.payer(), before.state.payer());
                        } else {
                            prop_assert_eq!(&order, &before, "the first verdict stands");
                        }
                    }
                    _ => {}
                }
                assert_well_formed(&order)?;
            }
        }
    }
}

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
