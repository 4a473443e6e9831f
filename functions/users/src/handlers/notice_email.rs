//! `user-notice-email`: consumes `NoticeEmailQueue` and tells an account's owner what just
//! happened to it (a password changed or reset, an address changed), once however often the
//! message arrives ([`shared::mail::send_once`]). The message names the address to tell, which
//! was the account's confirmed one when the change was made: a changed address is told at the
//! old one.

use shared::mail::Sent;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::email::{LinkEmail, NoticeRequested, Sender};
use crate::store::Turn;

pub async fn handle(sender: &Sender, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| send(sender, message)).await
}

async fn send(sender: &Sender, message: SqsMessage) -> Result<(), MessageError> {
    let Sender {
        store, storefront, ..
    } = sender;
    let request: NoticeRequested = sqs::body(&message)?;
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
        let now = OffsetDateTime::now_utc();
        let address = store.take_mail_turn(&request.email, &request.request, now);
        if address.await.map_err(MessageError::retry)? != Turn::Granted {
            return Ok(Sent::Skipped("the address was sent too many e-mails today"));
        }
        let mail = LinkEmail::notice(
            &user.first_name,
            &user.username,
            &request.notice,
            storefront,
        );
        let sent = sender.send(&request.email, &mail).await?;
        tracing::info!(username = %user.username, "notice sent");
        Ok(sent)
    })
    .await
}
