//! `report-record`: consumes `ReportsQueue` (the orders service's outbox sends each paid order
//! and each failed payment there) and counts each event once into its day's counters
//! ([`crate::store::ReportStore::record`]). Delivered twice, or by a redrive or a backfill, an
//! event finds its marker and counts nothing more; in any order, the sums come out the same.

use shared::messages::SalesEvent;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::store::{Recorded, ReportStore};

pub async fn handle(store: &ReportStore, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| record(store, message)).await
}

async fn record(store: &ReportStore, message: SqsMessage) -> Result<(), MessageError> {
    let event: SalesEvent = sqs::body(&message)?;
    shared::journey::record_order(event.order_id().as_str());
    let recorded = store.record(&event).await.map_err(MessageError::retry)?;
    let event_id = event.id();
    match recorded {
        Recorded::Counted => tracing::info!(%event_id, "counted in the sales reports"),
        Recorded::AlreadyCounted => tracing::info!(%event_id, "counted before: skipped"),
    }
    Ok(())
}
