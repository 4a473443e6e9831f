//! The messages services send each other over SQS: one definition each, shared by the sender and
//! the consumer, so the two cannot disagree about a field.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// A payment card, as the payment gateway needs it. It travels only inside the checkout message
/// (an encrypted queue) and is never stored or logged: its `Debug` shows the last four digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// Digits only.
    pub number: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub holder: String,
}

impl Card {
    /// The last four digits, which receipts and order pages may show.
    pub fn last4(&self) -> &str {
        let digits = self.number.len();
        &self.number[digits.saturating_sub(4)..]
    }
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Card(**** {})", self.last4())
    }
}

/// Orders to payments, on the checkout queue: charge this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequested {
    pub order_id: String,
    pub owner: String,
    /// Where the receipt goes.
    pub email: String,
    /// In minor units of `currency`.
    pub amount: i64,
    pub currency: Currency,
    pub card: Card,
    /// RFC 3339, UTC.
    pub requested_at: String,
}

/// Payments to orders, on the payment results queue: how an order's charge ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettled {
    pub order_id: String,
    pub outcome: PaymentOutcome,
    /// RFC 3339, UTC.
    pub settled_at: String,
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
}

impl DeclineReason {
    pub const ALL: [Self; 2] = [Self::CardDeclined, Self::InsufficientFunds];

    /// The code it is stored and sent under.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
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
        }
    }
}

/// Orders to receipts, on the receipts queue: a paid order, with everything its receipt shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequested {
    pub order_id: String,
    pub owner: String,
    pub customer_name: String,
    pub email: String,
    pub currency: Currency,
    pub lines: Vec<ReceiptLine>,
    /// In minor units, as are the lines' amounts.
    pub total: i64,
    pub card_last4: String,
    /// RFC 3339, UTC.
    pub paid_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLine {
    pub product_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub line_total: i64,
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
    fn a_card_never_prints_its_number() {
        let card = Card {
            number: "4242424242424242".into(),
            expiry_month: 12,
            expiry_year: 2030,
            holder: "Ada Lovelace".into(),
        };
        assert_eq!(card.last4(), "4242");
        assert_eq!(format!("{card:?}"), "Card(**** 4242)");
        let message = CheckoutRequested {
            order_id: "o".into(),
            owner: "ada".into(),
            email: "ada@example.com".into(),
            amount: 100,
            currency: Currency::Eur,
            card,
            requested_at: "2026-11-22T10:00:00Z".into(),
        };
        assert!(!format!("{message:?}").contains("42424242"));
    }
}
