//! What a receipt says, whichever way the receipts service learned it: from the receipts queue's
//! message, or from the orders service when a customer downloads it. Both carry the same facts,
//! so the PDF is the same either way, and it is rendered once.

use serde::Deserialize;
use shared::messages::ReceiptRequested;
use shared::money::{Currency, Money};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub order_id: String,
    pub customer_name: String,
    pub email: String,
    pub paid_at: Option<OffsetDateTime>,
    pub lines: Vec<Line>,
    pub total: Money,
    pub card_last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub amount: Money,
}

impl From<&ReceiptRequested> for Receipt {
    fn from(message: &ReceiptRequested) -> Self {
        let money = |minor| Money::new(minor, message.currency);
        Self {
            order_id: message.order_id.clone(),
            customer_name: message.customer_name.clone(),
            email: message.email.clone(),
            paid_at: OffsetDateTime::parse(&message.paid_at, &Rfc3339).ok(),
            lines: message
                .lines
                .iter()
                .map(|line| Line {
                    name: line.name.clone(),
                    quantity: line.quantity,
                    unit_price: money(line.unit_price),
                    amount: money(line.line_total),
                })
                .collect(),
            total: money(message.total),
            card_last4: message.card_last4.clone(),
        }
    }
}

/// An order as the orders service's `GET /api/order/{id}` shows it: the fields a receipt needs.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderAnswer {
    pub id: String,
    pub owner: String,
    pub status: String,
    pub currency: Option<Currency>,
    pub lines: Vec<OrderLine>,
    pub total: i64,
    pub card_last4: Option<String>,
    pub paid_at: Option<String>,
    pub customer_name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderLine {
    pub product_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub line_total: i64,
}

impl OrderAnswer {
    /// The receipt message the orders service sent (or will send) for this order, if it is paid.
    pub fn as_paid(&self) -> Option<ReceiptRequested> {
        if self.status != "PAID" {
            return None;
        }
        Some(ReceiptRequested {
            order_id: self.id.clone(),
            owner: self.owner.clone(),
            customer_name: self
                .customer_name
                .clone()
                .unwrap_or_else(|| self.owner.clone()),
            email: self.email.clone()?,
            currency: self.currency?,
            lines: self
                .lines
                .iter()
                .map(|line| shared::messages::ReceiptLine {
                    product_id: line.product_id.clone(),
                    name: line.name.clone(),
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    line_total: line.line_total,
                })
                .collect(),
            total: self.total,
            card_last4: self.card_last4.clone()?,
            paid_at: self.paid_at.clone()?,
        })
    }
}
