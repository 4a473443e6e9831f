//! `user-verification-email`: consumes `VerificationEmailQueue` and e-mails each request's link,
//! once however often the message arrives ([`shared::mail::send_once`]). The token is made
//! here, and only its hash is kept. Nothing is sent when the account is gone, or the address is
//! no longer the one it waits to confirm (confirmed already, or another asked for since).

use shared::mail::Sent;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::email::{LinkEmail, LinkToken, Sender, VERIFY_FOR, VerificationRequested};
use crate::store::Turn;

pub async fn handle(sender: &Sender, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| send(sender, message)).await
}

async fn send(sender: &Sender, message: SqsMessage) -> Result<(), MessageError> {
    let Sender {
        store, storefront, ..
    } = sender;
    let request: VerificationRequested = sqs::body(&message)?;
    let key = format!("MAIL#{}", request.request);
    shared::mail::send_once(store.table(), &key, || async {
        let Some(stored) = store
            .find(&request.username)
            .await
            .map_err(MessageError::retry)?
        else {
            return Ok(Sent::Skipped("the account is gone"));
        };
        let user = stored.user;
        if user.address_to_confirm() != Some(request.email.as_str()) {
            return Ok(Sent::Skipped(
                "the address is confirmed, or no longer asked for",
            ));
        }
        let now = OffsetDateTime::now_utc();
        let to = request.email.as_str();
        let address = store.take_mail_turn(to, &request.request, now);
        if address.await.map_err(MessageError::retry)? != Turn::Granted {
            return Ok(Sent::Skipped("the address was sent too many e-mails today"));
        }
        let token = LinkToken::generate().map_err(MessageError::retry)?;
        store
            .save_verification_link(&token, &user.username, to, now + VERIFY_FOR)
            .await
            .map_err(MessageError::retry)?;
        let mail = LinkEmail::verification(&user.first_name, &storefront.link("verify", &token));
        let sent = sender.send(to, &mail).await?;
        tracing::info!(username = %user.username, "verification e-mail sent");
        Ok(sent)
    })
    .await
}
