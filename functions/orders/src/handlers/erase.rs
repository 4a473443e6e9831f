//! `order-erase`: consumes `OrderErasureQueue` and erases a deleted account's orders
//! ([`crate::OrderStore::erase_owner`]): its cart goes, and its checked-out orders stay for the
//! shop's books without its name or address. The queue delays each message, so that no request
//! authorised before the deletion writes to the cart after the erasure. Delivered twice, the
//! second finds nothing.

use shared::messages::AccountDeleted;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::store::OrderStore;

pub async fn handle(store: &OrderStore, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| erase(store, message)).await
}

async fn erase(store: &OrderStore, message: SqsMessage) -> Result<(), MessageError> {
    let deleted: AccountDeleted = sqs::body(&message)?;
    let now = OffsetDateTime::now_utc();
    let erased = store
        .erase_owner(&deleted.username, now)
        .await
        .map_err(MessageError::retry)?;
    tracing::info!(
        username = %deleted.username,
        deleted = erased.deleted,
        anonymised = erased.anonymised,
        "a deleted account's orders erased"
    );
    Ok(())
}
