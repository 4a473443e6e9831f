//! Bringing an open order up to the catalogue when it is checked out.
//!
//! A line keeps the name and price its product had when it was last added. At checkout the
//! catalogue is asked again: if a price or name changed, or a product is no longer sold, the order
//! is brought up to date and the customer reviews it before paying (nothing is charged at a price
//! they did not see).

use shared::ids::ProductId;

use super::{Order, Priced, RuleBroken};

/// What the catalogue says now of a product in an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Sold(Priced),
    /// Retired, or gone from the catalogue.
    NotSold(ProductId),
}

impl Listing {
    pub fn product_id(&self) -> &ProductId {
        match self {
            Self::Sold(priced) => &priced.product_id,
            Self::NotSold(product_id) => product_id,
        }
    }
}

/// What a refresh changed, in words for the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Products whose price or name changed, by the name the order showed.
    pub updated: Vec<String>,
    /// Products no longer sold, taken out of the order.
    pub removed: Vec<String>,
}

impl Refreshed {
    pub fn is_empty(&self) -> bool {
        self.updated.is_empty() && self.removed.is_empty()
    }
}

impl std::fmt::Display for Refreshed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.updated.is_empty() {
            parts.push(format!(
                "{} changed in price or name",
                self.updated.join(", ")
            ));
        }
        if !self.removed.is_empty() {
            parts.push(format!(
                "{} is no longer sold and was taken out of your order",
                self.removed.join(", ")
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

impl Order {
    /// Sets each line to the name and price `listings` gives its product and takes out the lines
    /// whose product is no longer sold; a line `listings` does not mention stays as it is. What
    /// changed (nothing, when the order was up to date). Only an open order changes.
    pub fn refresh(&mut self, listings: &[Listing]) -> Result<Refreshed, RuleBroken> {
        self.ensure_open()?;
        let currency = self.currency();
        let mut refreshed = Refreshed::default();
        let mut lines = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            match listings.iter().find(|l| l.product_id() == &line.product_id) {
                Some(Listing::NotSold(_)) => refreshed.removed.push(line.name.clone()),
                Some(Listing::Sold(priced))
                    if (&priced.name, priced.unit_price) != (&line.name, line.unit_price) =>
                {
                    if Some(priced.unit_price.currency) != currency {
                        return Err(RuleBroken::CurrencyMismatch {
                            product: priced.name.clone(),
                            order: line.unit_price.currency,
                            product_currency: priced.unit_price.currency,
                        });
                    }
                    refreshed.updated.push(line.name.clone());
                    let mut line = line.clone();
                    line.name.clone_from(&priced.name);
                    line.unit_price = priced.unit_price;
                    lines.push(line);
                }
                _ => lines.push(line.clone()),
            }
        }
        self.replace_lines(lines)?;
        Ok(refreshed)
    }
}
