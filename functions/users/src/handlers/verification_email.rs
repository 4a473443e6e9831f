//! `user-verification-email`: consumes `VerificationEmailQueue` and e-mails each request's link,
//! once however often the message arrives ([`crate::email::Sender::once_for_account`]). The
//! token is made here, and only its hash is kept. Nothing is sent when the account is gone, or
//! the address is no longer what it waits to confirm (confirmed already, or another asked for
//! since). A link for a change of address opens a page that confirms it for the signed-in owner
//! only.

use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::domain::Confirming;
use crate::email::{LinkEmail, LinkToken, Sender, VERIFY_FOR, VerificationRequested};
use crate::store::Turn;

pub async fn handle(sender: &Sender, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| send(sender, message)).await
}

async fn send(sender: &Sender, message: SqsMessage) -> Result<(), MessageError> {
    let Sender {
        store,
        storefront,
        pseudonyms,
        ..
    } = sender;
    let request: &VerificationRequested = &sqs::body(&message)?;
    let asked = Confirming {
        address: &request.email,
        change: request.change.as_deref(),
    };
    sender
        .once_for_account(&request.request, &request.username, |stored| async move {
            if stored.to_confirm() != Some(asked) {
                return Ok(Err("the address is confirmed, or no longer asked for"));
            }
            let user = stored.user;
            let now = OffsetDateTime::now_utc();
            let address = store.take_mail_turn(pseudonyms, asked.address, &request.request, now);
            if address.await.map_err(MessageError::retry)? != Turn::Granted {
                return Ok(Err("the address was sent too many e-mails today"));
            }
            let token = LinkToken::generate().map_err(MessageError::retry)?;
            store
                .save_verification_link(&token, &user.username, asked, now + VERIFY_FOR)
                .await
                .map_err(MessageError::retry)?;
            let mail = if asked.change.is_some() {
                let link = storefront.link("email", &token);
                LinkEmail::email_change(&user.first_name, &user.username, &link)
            } else {
                LinkEmail::verification(&user.first_name, &storefront.link("verify", &token))
            };
            Ok(Ok((asked.address.to_owned(), mail)))
        })
        .await
}
