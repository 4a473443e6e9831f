//! Orders and what can happen to them, as pure data and rules: no I/O here, so every rule is
//! tested without a table.
//!
//! An order's [`State`] is a type: open while the customer fills it, pending payment once checked
//! out (with who pays), then paid (with when) or payment failed (with why). What only some states
//! have lives in those states, so a paid order without a payer cannot be built. Only an open
//! order changes. A failed payment can be tried again, with another card: each try is a numbered
//! payment attempt, and only the verdict on the latest attempt counts. The same types are the
//! stored record: `serde` maps them to the table's items.

use serde::{Deserialize, Serialize};
use shared::ids::{OrderId, ProductId, Username};
use shared::messages::{Attempt, DeclineReason, OrderStatus, OrderView, PaymentOutcome};
use shared::money::{Currency, Money};
use time::OffsetDateTime;

mod erased;
mod line;
mod refresh;
#[cfg(test)]
mod tests;

pub use line::{Line, Priced};
pub use refresh::{Listing, Refreshed};

/// How many of one product a line may hold.
pub const MAX_QUANTITY: u32 = 99;
/// How many different products an order may hold.
pub const MAX_LINES: usize = 50;

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
    NotInOrder(ProductId),
    #[error("the order total is too large")]
    TotalTooLarge,
    #[error("your order is empty; add something before checking out")]
    Empty,
    #[error("this order is {}, so it can no longer change", .0.as_str())]
    NotOpen(OrderStatus),
    #[error("this order was never checked out, so it has no payment to settle")]
    NotCheckedOut,
    /// `seen` and `now` are versions, for the log; the customer is told in words.
    #[error("your order has changed since you reviewed it; review it and check out again")]
    Changed { seen: u64, now: u64 },
    /// The catalogue changed under an open order being checked out, which now shows the change.
    #[error(
        "since you reviewed your order, {0}; nothing was charged: review it and check out again"
    )]
    Refreshed(Refreshed),
}

/// Who pays for an order, as the order remembers them from its checkout. The card itself stays
/// with the payments service; its last four digits arrive with the payment's outcome (orders
/// checked out before cards were held there kept them from the checkout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
    /// Where the receipt goes.
    pub email: String,
    /// Whether the customer had confirmed `email` when they paid: if not, the receipt is not
    /// e-mailed (it stays downloadable). Absent on orders checked out before the shop kept it.
    #[serde(default)]
    pub email_verified: bool,
    /// Who the receipt is for; orders checked out before the shop kept it have none, and their
    /// receipts name the owner.
    #[serde(default)]
    pub customer_name: String,
}

/// Where an order is in its life, with what that stage knows. Stored flattened into the order's
/// item, its `status` attribute naming the stage (and, with the order's shard, the status
/// index's partition key: [`crate::status_index`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Open,
    PendingPayment {
        #[serde(flatten)]
        payer: Payer,
        #[serde(default)]
        attempt: Attempt,
        /// Whether the checkout message is on its way. Checkout writes it to the outbox in the
        /// same transaction as this state, so it always is, except for orders an earlier
        /// checkout left here before sending its message (it sent after the move, and could
        /// fail between the two): the next checkout of such an order sends it.
        #[serde(default)]
        payment_requested: bool,
    },
    Paid {
        #[serde(flatten)]
        payer: Payer,
        #[serde(default)]
        attempt: Attempt,
        #[serde(with = "time::serde::rfc3339")]
        paid_at: OffsetDateTime,
        /// Whether the receipt message is known to have been sent.
        #[serde(default)]
        receipt_requested: bool,
    },
    PaymentFailed {
        #[serde(flatten)]
        payer: Payer,
        #[serde(default)]
        attempt: Attempt,
        /// Stored as the words the customer is shown, as it always has been.
        #[serde(with = "explained")]
        payment_failure: DeclineReason,
    },
}

impl State {
    pub fn status(&self) -> OrderStatus {
        match self {
            Self::Open => OrderStatus::Open,
            Self::PendingPayment { .. } => OrderStatus::PendingPayment,
            Self::Paid { .. } => OrderStatus::Paid,
            Self::PaymentFailed { .. } => OrderStatus::PaymentFailed,
        }
    }

    /// The latest payment attempt, once checked out.
    pub fn attempt(&self) -> Option<Attempt> {
        match self {
            Self::Open => None,
            Self::PendingPayment { attempt, .. }
            | Self::Paid { attempt, .. }
            | Self::PaymentFailed { attempt, .. } => Some(*attempt),
        }
    }

    /// Who pays, once checked out.
    pub fn payer(&self) -> Option<&Payer> {
        match self {
            Self::Open => None,
            Self::PendingPayment { payer, .. }
            | Self::Paid { payer, .. }
            | Self::PaymentFailed { payer, .. } => Some(payer),
        }
    }
}

/// An order, as the API shows it and as the orders table stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub owner: Username,
    pub lines: Vec<Line>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(flatten)]
    pub state: State,
    /// Incremented by every write; a write that expects an older version fails, so two
    /// concurrent changes cannot overwrite each other.
    pub version: u64,
}

impl Order {
    pub fn new(owner: Username, now: OffsetDateTime) -> Self {
        Self {
            id: OrderId::generate(),
            owner,
            lines: Vec::new(),
            created_at: now,
            updated_at: now,
            state: State::Open,
            version: 0,
        }
    }

    pub fn status(&self) -> OrderStatus {
        self.state.status()
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
        match self.state {
            State::Open => Ok(()),
            _ => Err(RuleBroken::NotOpen(self.status())),
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
    pub fn set_quantity(
        &mut self,
        product_id: &ProductId,
        quantity: u32,
    ) -> Result<(), RuleBroken> {
        self.ensure_open()?;
        if quantity > MAX_QUANTITY {
            return Err(RuleBroken::Quantity(quantity));
        }
        let index = self
            .lines
            .iter()
            .position(|line| &line.product_id == product_id)
            .ok_or_else(|| RuleBroken::NotInOrder(product_id.clone()))?;
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

    /// This order checked out at `now`, if the customer reviewed it at `seen_version`: pending
    /// payment by `payer`, its lines frozen, its checkout message on its way (it is stored with
    /// the message, or not at all). An open order makes its first payment attempt; one whose
    /// payment failed makes the next. The next version; it is stored only if the order is still
    /// at this one.
    pub fn check_out(
        &self,
        payer: Payer,
        seen_version: u64,
        now: OffsetDateTime,
    ) -> Result<Self, RuleBroken> {
        let attempt = match &self.state {
            State::Open if self.lines.is_empty() => return Err(RuleBroken::Empty),
            State::Open => Attempt::default(),
            State::PaymentFailed { attempt, .. } => attempt.next(),
            State::PendingPayment { .. } | State::Paid { .. } => {
                return Err(RuleBroken::NotOpen(self.status()));
            }
        };
        if seen_version != self.version {
            return Err(RuleBroken::Changed {
                seen: seen_version,
                now: self.version,
            });
        }
        Ok(self.next(
            State::PendingPayment {
                payer,
                attempt,
                payment_requested: true,
            },
            now,
        ))
    }

    /// An order pending payment whose checkout message was never sent (see
    /// [`State::PendingPayment`]) with the message on its way, at `now`: the next version, stored
    /// with the message. `None` for any other order.
    pub fn request_payment(&self, now: OffsetDateTime) -> Option<Self> {
        match &self.state {
            State::PendingPayment {
                payer,
                attempt,
                payment_requested: false,
            } => Some(self.next(
                State::PendingPayment {
                    payer: payer.clone(),
                    attempt: *attempt,
                    payment_requested: true,
                },
                now,
            )),
            _ => None,
        }
    }

    /// This order with the payments service's verdict on payment attempt `attempt`, settled
    /// `at` with the card ending in `card_last4` (when payments still held it): paid or payment
    /// failed. `None` if that attempt was already settled, or is not the latest: verdicts are
    /// delivered at least once, the first one stands, and a late verdict on an earlier attempt
    /// changes nothing.
    pub fn settle(
        &self,
        attempt: Attempt,
        outcome: &PaymentOutcome,
        card_last4: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<Option<Self>, RuleBroken> {
        let payer = match &self.state {
            State::PendingPayment {
                payer,
                attempt: pending,
                ..
            } if *pending == attempt => Payer {
                card_last4: card_last4
                    .map(str::to_owned)
                    .or_else(|| payer.card_last4.clone()),
                ..payer.clone()
            },
            State::PendingPayment { .. } | State::Paid { .. } | State::PaymentFailed { .. } => {
                return Ok(None);
            }
            State::Open => return Err(RuleBroken::NotCheckedOut),
        };
        let state = match outcome {
            PaymentOutcome::Approved { .. } => State::Paid {
                payer,
                attempt,
                paid_at: at,
                receipt_requested: false,
            },
            PaymentOutcome::Declined { reason } => State::PaymentFailed {
                payer,
                attempt,
                payment_failure: *reason,
            },
        };
        Ok(Some(self.next(state, at)))
    }

    /// This order in `state` as of `now`, one version on.
    fn next(&self, state: State, now: OffsetDateTime) -> Self {
        Self {
            state,
            version: self.version + 1,
            updated_at: now,
            ..self.clone()
        }
    }
}

/// A decline reason as the orders table holds it: the explanation the customer is shown (also
/// read back from its code, should an item hold one).
mod explained {
    use serde::{Deserialize, Deserializer, Serializer};
    use shared::messages::DeclineReason;

    pub(super) fn serialize<S: Serializer>(
        reason: &DeclineReason,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(reason.explain())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DeclineReason, D::Error> {
        let text = String::deserialize(deserializer)?;
        DeclineReason::ALL
            .into_iter()
            .find(|reason| reason.explain() == text || reason.code() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown decline reason {text:?}")))
    }
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

/// An order as the API shows it: lines with their totals, the order's total, and what its state
/// knows.
impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        let payer = order.state.payer();
        let (paid_at, payment_failure) = match &order.state {
            State::Paid { paid_at, .. } => (Some(*paid_at), None),
            State::PaymentFailed {
                payment_failure, ..
            } => (None, Some(payment_failure.explain().to_owned())),
            State::Open | State::PendingPayment { .. } => (None, None),
        };
        Self {
            id: order.id.clone(),
            owner: order.owner.clone(),
            status: order.status(),
            currency: order.currency(),
            lines: order.lines.iter().map(Line::view).collect(),
            total: order.total().map_or(0, |total| total.minor),
            item_count: order.lines.iter().map(|line| line.quantity).sum(),
            created_at: order.created_at,
            updated_at: order.updated_at,
            card_last4: payer.and_then(|payer| payer.card_last4.clone()),
            paid_at,
            payment_failure,
            customer_name: payer.map(|payer| {
                if payer.customer_name.is_empty() {
                    order.owner.to_string()
                } else {
                    payer.customer_name.clone()
                }
            }),
            email: payer.map(|payer| payer.email.clone()),
            email_verified: payer.map(|payer| payer.email_verified),
            version: order.version,
        }
    }
}
