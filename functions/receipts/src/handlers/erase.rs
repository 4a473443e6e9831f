//! `receipt-erase`: consumes `ReceiptErasureQueue` (from the orders service, for each order of
//! a deleted account) and erases the order's receipt. First its e-mail is recorded as not to be
//! sent ([`shared::mail::send_once`]), so that a receipt message still on its way (a payment
//! settled just before the deletion) renders and sends nothing; a delivery sending it right now
//! holds this message back until it is done. Then every stored version of the PDF goes
//! ([`crate::archive::Archive::erase`]). The order itself is anonymous by then: a receipt an
//! administrator downloads later names nobody. Delivered twice, the second finds nothing.

use shared::mail::Sent;
use shared::messages::ReceiptErasureRequested;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::archive::Archive;
use crate::store::{ReceiptStore, email_key};

pub async fn handle(store: &ReceiptStore, archive: &Archive, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| erase(store, archive, message)).await
}

async fn erase(
    store: &ReceiptStore,
    archive: &Archive,
    message: SqsMessage,
) -> Result<(), MessageError> {
    let request: ReceiptErasureRequested = sqs::body(&message)?;
    let order_id = &request.order_id;
    shared::mail::send_once(store.table(), &email_key(order_id), || async {
        Ok(Sent::Skipped("the customer deleted their account"))
    })
    .await?;
    let erased = archive
        .erase(order_id.as_str())
        .await
        .map_err(MessageError::retry)?;
    tracing::info!(%order_id, erased, "a deleted account's receipt erased");
    Ok(())
}
