//! Random journeys through an order's life, each step checked against a model that prices
//! in 128-bit integers: totals always add up, refused steps change nothing, and the status
//! only ever moves forward.

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
            *order = order.check_out(payer(), order.version, NOW + time::Duration::minutes(5))?;
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
