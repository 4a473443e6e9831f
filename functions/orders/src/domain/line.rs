//! An order's lines: a product, its name and price as the catalogue gave them, and how many.

use serde::{Deserialize, Serialize};
use shared::ids::ProductId;
use shared::messages::OrderLine;
use shared::money::{Currency, Money};

/// A product as the catalogue priced it when it was added: the order keeps this snapshot, so a
/// later price change does not change an order already placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub product_id: ProductId,
    pub name: String,
    pub unit_price: Money,
}

/// One product in an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredLine", into = "StoredLine")]
pub struct Line {
    pub product_id: ProductId,
    pub name: String,
    pub unit_price: Money,
    pub quantity: u32,
}

/// A line as the orders table has always held it: the price's amount and currency side by side.
#[derive(Serialize, Deserialize)]
struct StoredLine {
    product_id: ProductId,
    name: String,
    unit_price: i64,
    currency: Currency,
    quantity: u32,
}

impl From<StoredLine> for Line {
    fn from(line: StoredLine) -> Self {
        Self {
            product_id: line.product_id,
            name: line.name,
            unit_price: Money::new(line.unit_price, line.currency),
            quantity: line.quantity,
        }
    }
}

impl From<Line> for StoredLine {
    fn from(line: Line) -> Self {
        Self {
            product_id: line.product_id,
            name: line.name,
            unit_price: line.unit_price.minor,
            currency: line.unit_price.currency,
            quantity: line.quantity,
        }
    }
}

impl Line {
    pub fn total(&self) -> Option<Money> {
        self.unit_price.times(self.quantity)
    }

    /// The line as the API and the other services' messages show it.
    pub fn view(&self) -> OrderLine {
        OrderLine {
            product_id: self.product_id.clone(),
            name: self.name.clone(),
            unit_price: self.unit_price.minor,
            quantity: self.quantity,
            line_total: self.total().map_or(0, |total| total.minor),
        }
    }
}
