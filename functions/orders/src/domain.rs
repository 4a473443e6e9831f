//! Orders and what can happen to them, as pure data and rules: no I/O here, so every rule is
//! tested without a table.
//!
//! An order is `OPEN` while the customer fills it, `PENDING_PAYMENT` once checked out, and then
//! `PAID` or `PAYMENT_FAILED` when the payments service answers. Only an open order changes.

use std::fmt;

use serde::{Deserialize, Serialize};
use shared::messages::PaymentOutcome;
use shared::money::{Currency, Money};

/// How many of one product a line may hold.
pub const MAX_QUANTITY: u32 = 99;
/// How many different products an order may hold.
pub const MAX_LINES: usize = 50;

/// An order's id: 32 lower-case hex digits (a UUID without hyphens).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 32 && raw.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Open,
    PendingPayment,
    Paid,
    PaymentFailed,
}

impl Status {
    pub const ALL: [Self; 4] = [
        Self::Open,
        Self::PendingPayment,
        Self::Paid,
        Self::PaymentFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::PendingPayment => "PENDING_PAYMENT",
            Self::Paid => "PAID",
            Self::PaymentFailed => "PAYMENT_FAILED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// A product as the catalogue priced it when it was added: the order keeps this snapshot, so a
/// later price change does not change an order already placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub product_id: String,
    pub name: String,
    pub unit_price: Money,
}

/// One product in an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub product_id: String,
    pub name: String,
    pub unit_price: Money,
    pub quantity: u32,
}

impl Line {
    pub fn total(&self) -> Option<Money> {
        self.unit_price.times(self.quantity)
    }
}

/// What a customer asked for that the order's rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBroken {
    #[error("a line may hold 1 to {MAX_QUANTITY} of a product; this would make {0}")]
    Quantity(u32),
    #[error("an order may hold at most {MAX_LINES} different products")]
    TooManyLines,
    #[error("this order is in {order}; {product} is priced in {product_currency}")]
    CurrencyMismatch {
        product: String,
        order: Currency,
        product_currency: Currency,
    },
    #[error("{0} is not in your order")]
    NotInOrder(String),
    #[error("the order total is too large")]
    TotalTooLarge,
    #[error("your order is empty; add something before checking out")]
    Empty,
    #[error("this order is {}, so it can no longer change", .0.as_str())]
    NotOpen(Status),
    #[error("this order was never checked out, so it has no payment to settle")]
    NotCheckedOut,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub owner: String,
    pub status: Status,
    pub lines: Vec<Line>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Known once checked out: the card's last four digits, and who the receipt goes to.
    pub card_last4: Option<String>,
    pub email: Option<String>,
    pub customer_name: Option<String>,
    /// Whether the checkout message is known to have been sent.
    pub payment_requested: bool,
    /// Known once payment settles: when it was paid, or why it failed.
    pub paid_at: Option<String>,
    pub payment_failure: Option<String>,
    /// Whether the receipt message is known to have been sent.
    pub receipt_requested: bool,
    /// Incremented by every write; a write that expects an older version fails, so two
    /// concurrent changes cannot overwrite each other.
    pub version: u64,
}

impl Order {
    pub fn new(owner: &str, now: &str) -> Self {
        Self {
            id: OrderId::generate(),
            owner: owner.to_owned(),
            status: Status::Open,
            lines: Vec::new(),
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            card_last4: None,
            email: None,
            customer_name: None,
            payment_requested: false,
            paid_at: None,
            payment_failure: None,
            receipt_requested: false,
            version: 0,
        }
    }

    /// The order's currency: that of its lines, or none while it is empty.
    pub fn currency(&self) -> Option<Currency> {
        self.lines.first().map(|line| line.unit_price.currency)
    }

    /// The sum of the line totals: `None` while empty (it has no currency yet).
    pub fn total(&self) -> Option<Money> {
        total_of(&self.lines).ok().flatten()
    }

    fn ensure_open(&self) -> Result<(), RuleBroken> {
        match self.status {
            Status::Open => Ok(()),
            other => Err(RuleBroken::NotOpen(other)),
        }
    }

    /// Adds `quantity` of `product`, refreshing the line's name and price to the catalogue's
    /// current ones.
    pub fn add(&mut self, product: Priced, quantity: u32) -> Result<(), RuleBroken> {
        self.ensure_open()?;
        if let Some(currency) = self.currency()
            && currency != product.unit_price.currency
        {
            return Err(RuleBroken::CurrencyMismatch {
                product: product.name,
                order: currency,
                product_currency: product.unit_price.currency,
            });
        }
        let existing = self
            .lines
            .iter()
            .position(|line| line.product_id == product.product_id);
        let quantity_now = existing.map_or(0, |i| self.lines[i].quantity);
        let wanted = quantity_now.saturating_add(quantity);
        if !(1..=MAX_QUANTITY).contains(&wanted) {
            return Err(RuleBroken::Quantity(wanted));
        }
        let line = Line {
            product_id: product.product_id,
            name: product.name,
            unit_price: product.unit_price,
            quantity: wanted,
        };
        let mut lines = self.lines.clone();
        match existing {
            Some(i) => lines[i] = line,
            None if lines.len() >= MAX_LINES => return Err(RuleBroken::TooManyLines),
            None => lines.push(line),
        }
        self.replace_lines(lines)
    }

    /// Sets the quantity of a product already in the order; 0 removes its line.
    pub fn set_quantity(&mut self, product_id: &str, quantity: u32) -> Result<(), RuleBroken> {
        self.ensure_open()?;
        if quantity > MAX_QUANTITY {
            return Err(RuleBroken::Quantity(quantity));
        }
        let index = self
            .lines
            .iter()
            .position(|line| line.product_id == product_id)
            .ok_or_else(|| RuleBroken::NotInOrder(product_id.to_owned()))?;
        let mut lines = self.lines.clone();
        if quantity == 0 {
            lines.remove(index);
        } else {
            lines[index].quantity = quantity;
        }
        self.replace_lines(lines)
    }

    /// Takes `lines` as the order's lines if their total can be computed; otherwise changes
    /// nothing.
    fn replace_lines(&mut self, lines: Vec<Line>) -> Result<(), RuleBroken> {
        total_of(&lines)?;
        self.lines = lines;
        Ok(())
    }

    /// Whether the order may be checked out now.
    pub fn can_check_out(&self) -> Result<(), RuleBroken> {
        self.ensure_open()?;
        if self.lines.is_empty() {
            return Err(RuleBroken::Empty);
        }
        Ok(())
    }

    /// This order checked out at `now`: pending payment by `payer`, its lines frozen. The next
    /// version; it is stored only if the order is still at this one.
    pub fn check_out(&self, payer: &Payer<'_>, now: &str) -> Result<Self, RuleBroken> {
        self.can_check_out()?;
        Ok(Self {
            status: Status::PendingPayment,
            card_last4: Some(payer.card_last4.to_owned()),
            email: Some(payer.email.to_owned()),
            customer_name: Some(payer.name.to_owned()),
            version: self.version + 1,
            updated_at: now.to_owned(),
            ..self.clone()
        })
    }

    /// This order with the payments service's verdict, settled `at`: `PAID` or
    /// `PAYMENT_FAILED`. `None` if it was already settled, because verdicts are delivered at
    /// least once and the first one stands.
    pub fn settle(&self, outcome: &PaymentOutcome, at: &str) -> Result<Option<Self>, RuleBroken> {
        let mut next = match self.status {
            Status::PendingPayment => self.clone(),
            Status::Paid | Status::PaymentFailed => return Ok(None),
            Status::Open => return Err(RuleBroken::NotCheckedOut),
        };
        match outcome {
            PaymentOutcome::Approved { .. } => {
                next.status = Status::Paid;
                next.paid_at = Some(at.to_owned());
            }
            PaymentOutcome::Declined { reason } => {
                next.status = Status::PaymentFailed;
                next.payment_failure = Some(reason.explain().to_owned());
            }
        }
        next.version += 1;
        next.updated_at = at.to_owned();
        Ok(Some(next))
    }
}

/// Who pays for an order at checkout, as the order remembers them: never the full card number.
#[derive(Debug, Clone, Copy)]
pub struct Payer<'a> {
    pub card_last4: &'a str,
    pub email: &'a str,
    pub name: &'a str,
}

/// The sum of `lines`' totals (`None` for no lines), or an error if it would overflow.
fn total_of(lines: &[Line]) -> Result<Option<Money>, RuleBroken> {
    let Some(first) = lines.first() else {
        return Ok(None);
    };
    lines
        .iter()
        .try_fold(Money::zero(first.unit_price.currency), |sum, line| {
            sum.plus(line.total()?)
        })
        .map(Some)
        .ok_or(RuleBroken::TotalTooLarge)
}

/// An order as the API shows it: lines with their totals, and the order's total.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub owner: String,
    pub status: Status,
    pub currency: Option<Currency>,
    pub lines: Vec<LineView>,
    /// In minor units of `currency`.
    pub total: i64,
    pub item_count: u32,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// Why payment failed, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_failure: Option<String>,
    /// Who the receipt is for, once checked out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineView {
    pub product_id: String,
    pub name: String,
    pub unit_price: i64,
    pub quantity: u32,
    pub line_total: i64,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        Self {
            id: order.id.to_string(),
            owner: order.owner.clone(),
            status: order.status,
            currency: order.currency(),
            lines: order
                .lines
                .iter()
                .map(|line| LineView {
                    product_id: line.product_id.clone(),
                    name: line.name.clone(),
                    unit_price: line.unit_price.minor,
                    quantity: line.quantity,
                    line_total: line.total().map_or(0, |total| total.minor),
                })
                .collect(),
            total: order.total().map_or(0, |total| total.minor),
            item_count: order.lines.iter().map(|line| line.quantity).sum(),
            created_at: order.created_at.clone(),
            updated_at: order.updated_at.clone(),
            card_last4: order.card_last4.clone(),
            paid_at: order.paid_at.clone(),
            payment_failure: order.payment_failure.clone(),
            customer_name: order.customer_name.clone(),
            email: order.email.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced(id: &str, cents: i64) -> Priced {
        Priced {
            product_id: id.into(),
            name: format!("Product {id}"),
            unit_price: Money::new(cents, Currency::Eur),
        }
    }

    fn order() -> Order {
        Order::new("ada", "2026-11-22T10:00:00Z")
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
            order.set_quantity("mug", 100),
            Err(RuleBroken::Quantity(100))
        );
    }

    #[test]
    fn an_order_holds_at_most_fifty_lines() {
        let mut order = order();
        for i in 0..MAX_LINES {
            order.add(priced(&format!("p{i}"), 100), 1).unwrap();
        }
        assert_eq!(
            order.add(priced("one-more", 100), 1),
            Err(RuleBroken::TooManyLines)
        );
        order.add(priced("p0", 100), 1).unwrap();
    }

    #[test]
    fn setting_a_quantity_to_zero_removes_the_line() {
        let mut order = order();
        order.add(priced("mug", 1_450), 2).unwrap();
        order.set_quantity("mug", 5).unwrap();
        assert_eq!(order.lines[0].quantity, 5);
        order.set_quantity("mug", 0).unwrap();
        assert!(order.lines.is_empty());
        assert_eq!(order.total(), None);
        assert_eq!(OrderView::from(&order).total, 0);
        assert_eq!(
            order.set_quantity("mug", 1),
            Err(RuleBroken::NotInOrder("mug".into()))
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
            ..priced("hat", 0)
        };
        assert!(matches!(
            order.add(dollars, 1),
            Err(RuleBroken::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn only_open_non_empty_orders_change_or_check_out() {
        let mut order = order();
        assert_eq!(order.can_check_out(), Err(RuleBroken::Empty));
        order.add(priced("mug", 1_450), 1).unwrap();
        assert_eq!(order.can_check_out(), Ok(()));
        order.status = Status::PendingPayment;
        assert_eq!(
            order.add(priced("mug", 1_450), 1),
            Err(RuleBroken::NotOpen(Status::PendingPayment))
        );
        assert_eq!(
            order.can_check_out(),
            Err(RuleBroken::NotOpen(Status::PendingPayment))
        );
    }

    #[test]
    fn ids_and_statuses_round_trip() {
        let id = OrderId::generate();
        assert_eq!(OrderId::parse(id.as_str()), Some(id));
        assert_eq!(OrderId::parse("not-an-id"), None);
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(
            serde_json::to_string(&Status::PendingPayment).unwrap(),
            "\"PENDING_PAYMENT\""
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

        fn product_id(product: u8) -> String {
            format!("p{product}")
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
            let position = |id: &str| lines.iter().position(|line| line.product_id == id);
            match step {
                Step::Add {
                    product,
                    unit_price,
                    quantity,
                } => {
                    let id = product_id(*product);
                    if before.status != Status::Open {
                        return Err(RuleBroken::NotOpen(before.status));
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
                    if before.status != Status::Open {
                        return Err(RuleBroken::NotOpen(before.status));
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
            let payer = Payer {
                card_last4: "4242",
                email: "ada@example.com",
                name: "Ada",
            };
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
                    *order = order.check_out(&payer, "2026-11-22T10:05:00Z")?;
                    Ok(())
                }
                Step::Settle(outcome) => {
                    if let Some(settled) = order.settle(outcome, "2026-11-22T10:06:00Z")? {
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

        fn may_follow(from: Status, to: Status) -> bool {
            use Status::*;
            from == to
                || matches!(
                    (from, to),
                    (Open, PendingPayment) | (PendingPayment, Paid | PaymentFailed)
                )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn every_journey_keeps_the_rules(steps in proptest::collection::vec(step(), 1..120)) {
                let mut order = Order::new("ada", "2026-11-22T10:00:00Z");
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
                    prop_assert!(may_follow(before.status, order.status),
                        "{:?} went {:?} to {:?}", step, before.status, order.status);
                    if before.status != Status::Open {
                        prop_assert_eq!(&order.lines, &before.lines, "a checked-out order's lines are frozen");
                    }
                    match step {
                        Step::CheckOut => {
                            let allowed = before.status == Status::Open && !before.lines.is_empty();
                            prop_assert_eq!(outcome.is_ok(), allowed);
                            if allowed {
                                prop_assert_eq!(order.status, Status::PendingPayment);
                                prop_assert_eq!(order.card_last4.as_deref(), Some("4242"));
                                prop_assert_eq!(order.version, before.version + 1);
                            }
                        }
                        Step::Settle(verdict) => {
                            prop_assert_eq!(outcome.is_err(), before.status == Status::Open);
                            if before.status == Status::PendingPayment {
                                let paid = matches!(verdict, PaymentOutcome::Approved { .. });
                                prop_assert_eq!(order.status == Status::Paid, paid);
                                prop_assert_eq!(order.paid_at.is_some(), paid);
                                prop_assert_eq!(order.payment_failure.is_some(), !paid);
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
}
