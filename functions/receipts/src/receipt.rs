//! What a receipt says, whichever way the receipts service learned it: from the receipts queue's
//! message, or from the orders service's answer ([`shared::messages::OrderView::receipt`]) when a
//! customer downloads it. Both carry the same facts, so the PDF is the same either way, and it is
//! rendered once.

use shared::ids::OrderId;
use shared::messages::ReceiptRequested;
use shared::money::Money;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub order_id: OrderId,
    pub customer_name: String,
    pub email: String,
    pub paid_at: OffsetDateTime,
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
            paid_at: message.paid_at,
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
