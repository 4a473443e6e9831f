//! `user-erase`: consumes `UserErasureQueue` and deletes what the users table still holds of a
//! deleted account (its sessions, links, counts of failed log-ins and of requests for links:
//! [`crate::store::UserStore::erase`]). The queue delays each message, so that no
//! request authorised before the deletion writes after the erasure. Delivered twice, the second
//! finds nothing.

use shared::messages::AccountDeleted;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::store::UserStore;

pub async fn handle(store: &UserStore, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| erase(store, message)).await
}

async fn erase(store: &UserStore, message: SqsMessage) -> Result<(), MessageError> {
    let deleted: AccountDeleted = sqs::body(&message)?;
    let erased = store.erase(&deleted).await.map_err(MessageError::retry)?;
    tracing::info!(username = %deleted.username, erased, "a deleted account's data erased");
    Ok(())
}
