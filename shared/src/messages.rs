//! What services send each other, over SQS or as an invoked function's answer: one definition
//! each, shared by the sender and the reader, so the two cannot disagree about a field.
//!
//! Timestamps travel as RFC 3339 in UTC; ids are parsed as they are read.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{CardToken, OrderId, ProductId, Username};
use crate::money::Currency;

/// The number of a try at paying an order: 1 for its checkout, one more for each new try after a
/// failed payment. Orders and messages from before there were retries hold none: they were on
/// their first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attempt(pub u32);

impl Default for Attempt {
    fn default() -> Self {
        Self(1)
    }
}

impl Attempt {
    /// Whether this is an order's first try; messages and records leave a first attempt out, so
    /// that they read exactly as they did before there were retries (and consumers still running
    /// the earlier code, which refuses unknown fields, read them too).
    pub fn is_first(&self) -> bool {
        self.0 == 1
    }

    /// The try after this one.
    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// A name for this try at paying `order`, unique per order and attempt: the payment's key in
    /// the payments table, the bank's idempotency key and the queues' deduplication id. A first
    /// attempt is named by the order alone, as every payment was before there were retries.
    pub fn name(self, order: &OrderId) -> String {
        match self.0 {
            1 => order.to_string(),
            n => format!("{order}-{n}"),
        }
    }
}

/// Orders to payments, on the checkout queue: charge this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequested {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Attempt::is_first")]
    pub attempt: Attempt,
    pub owner: Username,
    /// Where the receipt goes.
    pub email: String,
    /// In minor units of `currency`.
    pub amount: i64,
    pub currency: Currency,
    /// The card the payments service holds for this payment (never the card itself).
    pub card_token: CardToken,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

/// Payments to orders, on the payment results queue: how an order's charge ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettled {
    pub order_id: OrderId,
    /// Which try at paying the order this is the verdict on.
    #[serde(default, skip_serializing_if = "Attempt::is_first")]
    pub attempt: Attempt,
    pub outcome: PaymentOutcome,
    #[serde(with = "time::serde::rfc3339")]
    pub settled_at: OffsetDateTime,
    /// The last four digits of the card charged, when the payments service still held it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PaymentOutcome {
    Approved { charge_id: String },
    Declined { reason: DeclineReason },
}

/// Why the bank refused a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    CardDeclined,
    InsufficientFunds,
    /// The payments service no longer held the card the checkout named (it lapsed before the
    /// charge, or was never the customer's).
    CardNotHeld,
}

impl DeclineReason {
    pub const ALL: [Self; 3] = [
        Self::CardDeclined,
        Self::InsufficientFunds,
        Self::CardNotHeld,
    ];

    /// The code it is stored and sent under.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
            Self::CardNotHeld => "card_not_held",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.code() == code)
    }

    /// What the customer is told.
    pub fn explain(self) -> &'static str {
        match self {
            Self::CardDeclined => "the card was declined",
            Self::InsufficientFunds => "the card has insufficient funds",
            Self::CardNotHeld => {
                "the card's details had lapsed before the payment; enter them again"
            }
        }
    }
}

/// Orders to receipts, on the receipts queue: a paid order, with everything its receipt shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequested {
    pub order_id: OrderId,
    pub owner: Username,
    pub customer_name: String,
    pub email: String,
    /// Whether `email` was confirmed: the receipt is e-mailed only if it was (absent: it was not).
    #[serde(default)]
    pub email_verified: bool,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    /// In minor units, as are the lines' amounts.
    pub total: i64,
    pub card_last4: String,
    #[serde(with = "time::serde::rfc3339")]
    pub paid_at: OffsetDateTime,
}

/// Users to every service that holds a copy of an account's data, one queue each: the account
/// was deleted, so erase or anonymise what you hold of `username`. (Its addresses are not sent:
/// what is kept by address, the users service's counts of e-mails, is keyed by pseudonyms and
/// names nobody.) Sent once per deletion (`request`), and safe to apply twice: an erasure finds
/// nothing the second time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDeleted {
    pub request: String,
    pub username: Username,
    #[serde(with = "time::serde::rfc3339")]
    pub deleted_at: OffsetDateTime,
}

/// Orders to receipts: the order's owner deleted their account, so erase its receipt (every
/// stored version of its PDF) and send none from now on. Safe to apply twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptErasureRequested {
    pub order_id: OrderId,
}

/// Orders to reports, through the orders outbox: a fact about an order that the sales reports
/// count. Reports count each fact once by its [`SalesEvent::id`], which is the same however often
/// and by whichever path (the outbox, a redrive, a backfill) the fact is sent. No names of people,
/// no addresses: the reports hold none, so a deleted account leaves nothing in them to erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SalesEvent {
    OrderPaid(OrderPaid),
    PaymentFailed(PaymentFailed),
}

/// An order was paid (its payment attempt `attempt` was approved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPaid {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Attempt::is_first")]
    pub attempt: Attempt,
    pub currency: Currency,
    /// In minor units, as are the lines' amounts.
    pub total: i64,
    pub lines: Vec<OrderLine>,
    #[serde(with = "time::serde::rfc3339")]
    pub paid_at: OffsetDateTime,
}

/// A try at paying an order was declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentFailed {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Attempt::is_first")]
    pub attempt: Attempt,
    pub currency: Currency,
    /// What the declined attempt would have charged, in minor units.
    pub total: i64,
    pub reason: DeclineReason,
    #[serde(with = "time::serde::rfc3339")]
    pub failed_at: OffsetDateTime,
}

impl SalesEvent {
    /// The fact's name, unique to it: `paid-` or `failed-` and the payment attempt's name.
    pub fn id(&self) -> String {
        match self {
            Self::OrderPaid(paid) => format!("paid-{}", paid.attempt.name(&paid.order_id)),
            Self::PaymentFailed(failed) => {
                format!("failed-{}", failed.attempt.name(&failed.order_id))
            }
        }
    }

    pub fn order_id(&self) -> &OrderId {
        match self {
            Self::OrderPaid(paid) => &paid.order_id,
            Self::PaymentFailed(failed) => &failed.order_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> OffsetDateTime {
        match self {
            Self::OrderPaid(paid) => paid.paid_at,
            Self::PaymentFailed(failed) => failed.failed_at,
        }
    }

    pub fn currency(&self) -> Currency {
        match self {
            Self::OrderPaid(paid) => paid.currency,
            Self::PaymentFailed(failed) => failed.currency,
        }
    }
}

/// Where an order is in its life: `OPEN` while the customer fills it, `PENDING_PAYMENT` once
/// checked out, then `PAID` or `PAYMENT_FAILED` when the payments service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Open,
    PendingPayment,
    Paid,
    PaymentFailed,
}

impl OrderStatus {
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

/// An order as the orders service answers it (`GET /api/order/{id}` and every route that returns
/// an order): lines with their totals, and the order's total. The receipts service reads it when
/// a customer downloads a receipt before its message arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: OrderId,
    pub owner: Username,
    pub status: OrderStatus,
    pub currency: Option<Currency>,
    pub lines: Vec<OrderLine>,
    /// In minor units of `currency`.
    pub total: i64,
    pub item_count: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_last4: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub paid_at: Option<OffsetDateTime>,
    /// Why payment failed, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_failure: Option<String>,
    /// Who the receipt is for, once checked out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether `email` was confirmed when the order was paid for: the receipt is e-mailed only
    /// if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// What a checkout sends back, to pay for the order as the customer saw it.
    #[serde(default)]
    pub version: u64,
}

/// One line of an order or a receipt. Amounts in minor units of the order's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub name: String,
    pub unit_price: i64,
    pub quantity: u32,
    pub line_total: i64,
}

impl OrderView {
    /// The receipt message for this order, if it is paid (and so has everything a receipt shows).
    pub fn receipt(&self) -> Option<ReceiptRequested> {
        if self.status != OrderStatus::Paid {
            return None;
        }
        Some(ReceiptRequested {
            order_id: self.id.clone(),
            owner: self.owner.clone(),
            customer_name: self
                .customer_name
                .clone()
                .unwrap_or_else(|| self.owner.to_string()),
            email: self.email.clone()?,
            email_verified: self.email_verified.unwrap_or(false),
            currency: self.currency?,
            lines: self.lines.clone(),
            total: self.total,
            card_last4: self.card_last4.clone()?,
            paid_at: self.paid_at?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_tagged() {
        let declined = PaymentOutcome::Declined {
            reason: DeclineReason::InsufficientFunds,
        };
        assert_eq!(
            serde_json::to_value(&declined).unwrap(),
            serde_json::json!({"result": "declined", "reason": "insufficient_funds"})
        );
    }

    #[test]
    fn statuses_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }

    #[test]
    fn a_message_with_a_malformed_id_does_not_read() {
        let settled = serde_json::json!({
            "order_id": "../../etc",
            "outcome": {"result": "approved", "charge_id": "ch_1"},
            "settled_at": "2026-11-22T10:00:00Z",
        });
        assert!(serde_json::from_value::<PaymentSettled>(settled).is_err());
    }

    #[test]
    fn sales_events_are_tagged_named_and_strict() {
        let failed = serde_json::json!({
            "event": "payment_failed",
            "order_id": "0123456789abcdef0123456789abcdef",
            "attempt": 2,
            "currency": "EUR",
            "total": 1250,
            "reason": "card_declined",
            "failed_at": "2026-11-27T10:00:00Z",
        });
        let event: SalesEvent = serde_json::from_value(failed.clone()).unwrap();
        assert_eq!(event.id(), "failed-0123456789abcdef0123456789abcdef-2");
        assert_eq!(event.currency(), Currency::Eur);
        assert_eq!(serde_json::to_value(&event).unwrap(), failed);
        let mut unknown = failed;
        unknown["owner"] = serde_json::json!("ada");
        assert!(serde_json::from_value::<SalesEvent>(unknown).is_err());
    }

    #[test]
    fn a_first_attempt_is_named_by_its_order_alone() {
        let order = OrderId::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(Attempt::default().name(&order), order.as_str());
        assert_eq!(Attempt::default().next().name(&order), format!("{order}-2"));
        let earlier: PaymentSettled = serde_json::from_value(serde_json::json!({
            "order_id": order.as_str(),
            "outcome": { "result": "approved", "charge_id": "ch_1" },
            "settled_at": "2026-11-22T10:00:00Z",
        }))
        .unwrap();
        assert_eq!(earlier.attempt, Attempt(1), "messages from before retries");
        let written = serde_json::to_value(&earlier).unwrap();
        assert!(
            written.get("attempt").is_none(),
            "a first attempt is written as before"
        );
        let retried = PaymentSettled {
            attempt: Attempt(2),
            ..earlier
        };
        assert_eq!(serde_json::to_value(&retried).unwrap()["attempt"], 2);
    }
}
