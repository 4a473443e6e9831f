//! `payment-erase`: consumes `PaymentErasureQueue` and erases the cards held for a deleted
//! account ([`crate::card::CardVault::erase_owner`]). The billing records stay: they hold an
//! order's amounts, currency, dates and a card's last four digits, which the shop keeps for its
//! books, and no name or address. Delivered twice, the second finds nothing.

use shared::messages::AccountDeleted;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::card::CardVault;

pub async fn handle(vault: &CardVault, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| erase(vault, message)).await
}

async fn erase(vault: &CardVault, message: SqsMessage) -> Result<(), MessageError> {
    let deleted: AccountDeleted = sqs::body(&message)?;
    let erased = vault
        .erase_owner(&deleted.username)
        .await
        .map_err(MessageError::retry)?;
    tracing::info!(username = %deleted.username, erased, "a deleted account's cards erased");
    Ok(())
}
