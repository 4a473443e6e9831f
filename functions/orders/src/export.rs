//! The orders service's export of what the sales reports count, for a reports backfill
//! (`xtask orders-export`, then `xtask reports-backfill`): the same events, with the same ids,
//! that `order-settle` sends the reports service, one JSON object a line. So the reports service
//! rebuilds its counts of orders settled before it existed without reading the orders table, and
//! an event counted live and exported too still counts once.
//!
//! The orders table keeps only each order's latest payment attempt: a paid order exports its
//! sale, an order whose payment failed its latest failure. Failed attempts before those (declined,
//! then paid) are in the reports only if they were counted live. A failed payment is dated by
//! the order's last change, which for an order anonymised since (its owner deleted their
//! account) is the anonymisation.

use futures::TryStreamExt;
use std::io::Write;

use shared::messages::OrderStatus;
use shared::store::StoreError;

use crate::outbox::sales_event;
use crate::store::{Listing, OrderStore};

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the sales event of every paid order and every order whose payment failed to `out`,
/// one JSON object a line: how many.
pub async fn export_sales(store: &OrderStore, out: &mut impl Write) -> Result<usize, ExportError> {
    let mut written = 0;
    for status in [OrderStatus::Paid, OrderStatus::PaymentFailed] {
        let mut pages = std::pin::pin!(store.pages(Listing::WithStatus(status)));
        while let Some(orders) = pages.try_next().await? {
            for event in orders.iter().filter_map(sales_event) {
                serde_json::to_writer(&mut *out, &event).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
                written += 1;
            }
        }
    }
    out.flush()?;
    Ok(written)
}
