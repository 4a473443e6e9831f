//! `receipt-email`: consumes the receipts queue and e-mails each paid order's receipt, with
//! the PDF attached, once however often the message arrives ([`shared::mail::send_once`]).

use shared::mail::{Mailer, Sent};
use shared::messages::ReceiptRequested;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::archive::Archive;
use crate::mail;
use crate::store::{ReceiptStore, email_key};

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
    shared::mail::send_once(store.table(), &email_key(order_id), || async {
        let pdf = archive
            .get_or_render(&receipt)
            .await
            .map_err(MessageError::retry)?;
        let (text, subject) = mail::text(&receipt);
        let filename = format!("receipt-{order_id}.pdf");
        let email = mail::email(&receipt, &text, &subject, &filename, &pdf);
        let message_id = mailer
            .send(&receipt.email, &email)
            .await
            .map_err(MessageError::retry)?;
        tracing::info!(%order_id, "receipt e-mailed");
        Ok(Sent::Sent(message_id))
    })
    .await
}
