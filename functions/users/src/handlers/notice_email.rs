//! `user-notice-email`: consumes `NoticeEmailQueue` and tells an account's owner what just
//! happened to it (a password changed or reset, a change of address asked for or made), once
//! however often the message arrives ([`crate::email::Sender::once_for_account`]). The message
//! names the address to tell, which was the account's confirmed one when the change was made:
//! a changed address is told at the former one. Notices have a daily quota per address of their
//! own, which requests for reset links cannot use up.

use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::email::{LinkEmail, NoticeRequested, Sender};
use crate::store::Turn;

pub async fn handle(sender: &Sender, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| send(sender, message)).await
}

async fn send(sender: &Sender, message: SqsMessage) -> Result<(), MessageError> {
    let request: &NoticeRequested = &sqs::body(&message)?;
    sender
        .once_for_account(&request.request, &request.username, |stored| async move {
            let user = stored.user;
            let now = OffsetDateTime::now_utc();
            let turn = sender.store.take_notice_turn(
                &sender.pseudonyms,
                &request.email,
                &request.request,
                now,
            );
            if turn.await.map_err(MessageError::retry)? != Turn::Granted {
                tracing::warn!(username = %user.username, "a notice was over its address's quota");
                return Ok(Err("the address was sent too many notices today"));
            }
            let mail = LinkEmail::notice(
                &user.first_name,
                &user.username,
                &request.notice,
                &sender.storefront,
            );
            Ok(Ok((request.email.clone(), mail)))
        })
        .await
}
