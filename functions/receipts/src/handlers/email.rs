//! `receipt-email`: consumes the receipts queue and e-mails each paid order's receipt, with
//! the PDF attached, once however often the message arrives (see [`crate::store`]).

use shared::messages::ReceiptRequested;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::archive::Archive;
use crate::mail::Mailer;
use crate::store::{Claim, ReceiptStore};

pub async fn handle(
    store: &ReceiptStore,
    archive: &Archive,
    mailer: &Mailer,
    event: SqsEvent,
) -> SqsBatchResponse {
    sqs::process_batch(event, |message| send(store, archive, mailer, message)).await
}

async fn send(
    store: &ReceiptStore,
    archive: &Archive,
    mailer: &Mailer,
    message: SqsMessage,
) -> Result<(), MessageError> {
    let receipt: ReceiptRequested = sqs::body(&message)?;
    let order_id = &receipt.order_id;
    match store
        .claim_email(order_id, OffsetDateTime::now_utc())
        .await
        .map_err(MessageError::retry)?
    {
        Claim::AlreadySent => return Ok(()),
        Claim::Busy => {
            return Err(MessageError::Retry(format!(
                "another delivery is sending {order_id}'s receipt"
            )));
        }
        Claim::Claimed => {}
    }
    let sent = async {
        let pdf = archive
            .get_or_render(&receipt)
            .await
            .map_err(MessageError::retry)?;
        mailer
            .send_receipt(&receipt, &pdf)
            .await
            .map_err(MessageError::retry)
    }
    .await;
    match sent {
        Ok(message_id) => {
            store
                .mark_sent(order_id, &message_id, OffsetDateTime::now_utc())
                .await
                .map_err(MessageError::retry)?;
            tracing::info!(%order_id, "receipt e-mailed");
            Ok(())
        }
        Err(err) => {
            store.release(order_id).await.map_err(MessageError::retry)?;
            Err(err)
        }
    }
}
