//! `user-password-reset-email`: consumes `PasswordResetEmailQueue`. For each request it finds the
//! accounts the login names and e-mails each one a link (made here, kept only as its hash),
//! once per request and account however often the message arrives
//! ([`shared::mail::send_once`]), and at most as often as an account's quota allows. A request
//! that names no account sends nothing: the route has answered the same either way.

use shared::mail::Sent;
use shared::sqs::{self, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::email::{LinkEmail, LinkToken, PasswordResetRequested, RESET_FOR, Sender};
use crate::store::Turn;
use crate::throttle::Client;

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
    let request: PasswordResetRequested = sqs::body(&message)?;
    let accounts = store
        .accounts_for(&request.login)
        .await
        .map_err(MessageError::retry)?;
    if accounts.is_empty() {
        tracing::info!("a password reset named no account; nothing sent");
    }
    for user in accounts {
        let key = format!("MAIL#{}#{}", request.request, user.user.username);
        shared::mail::send_once(store.table(), &key, || async {
            let now = OffsetDateTime::now_utc();
            let username = &user.user.username;
            let client = Client::counted(&request.client);
            let account = store.take_reset_turn(username, &client, &request.request, now);
            if account.await.map_err(MessageError::retry)? != Turn::Granted {
                return Ok(Sent::Skipped("the account was sent reset links too often"));
            }
            let address = store.take_mail_turn(pseudonyms, &user.user.email, &request.request, now);
            if address.await.map_err(MessageError::retry)? != Turn::Granted {
                return Ok(Sent::Skipped("the address was sent too many e-mails today"));
            }
            let token = LinkToken::generate().map_err(MessageError::retry)?;
            store
                .save_reset_link(&token, &user, now + RESET_FOR)
                .await
                .map_err(MessageError::retry)?;
            let link = storefront.link("reset", &token);
            let mail = LinkEmail::password_reset(&user.user.first_name, username, &link);
            let sent = sender.send(&user.user.email, &mail).await?;
            tracing::info!(%username, "password reset e-mail sent");
            Ok(sent)
        })
        .await?;
    }
    Ok(())
}
