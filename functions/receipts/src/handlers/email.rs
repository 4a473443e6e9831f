//! `receipt-email`: consumes the receipts queue and e-mails each paid order's receipt, with
//! the PDF attached, once however often the message arrives ([`shared::mail::send_once`]), to
//! confirmed addresses only.

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
    shared::journey::record_order(order_id.as_str());
    shared::mail::send_once(store.table(), &email_key(order_id), || async {
        if !receipt.email_verified {
            // Until the address is confirmed, the shop e-mails it nothing but confirmation links;
            // the receipt stays downloadable from the order.
            return Ok(Sent::Skipped("the address is not confirmed"));
        }
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
