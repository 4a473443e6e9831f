//! The users table's part in resetting a password: finding the accounts a request names (by
//! username, or by address through the `ByEmail` index), the reset links' hashes, and setting
//! the new password with a link, once.

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use shared::store::{IndexQuery, StoreError, s, to_item};
use time::OffsetDateTime;

use super::email::{Link, Resend};
use super::quota::{self, Turn};
use super::{NEXT_EPOCH, StoredUser, UserStore, user_pk};
use crate::domain::{Email, Username};
use crate::email::{Destination, LinkToken, Notice, PasswordResetRequested, RESET_ACCOUNTS};
use crate::throttle::Client;

/// The index that finds accounts by address; its name is part of the table's definition in the
/// template. Only users have an `email`: it holds nothing else.
const EMAIL_INDEX: &str = "ByEmail";

/// A reset link's record, as the confirmation reads it.
#[derive(Debug)]
pub(crate) struct ResetLink {
    pub(crate) username: Username,
    link: Link,
}

impl UserStore {
    /// Queues the request for a reset link to the account(s) `login` names, unless `client` asked
    /// for too many lately (whatever the accounts).
    pub(crate) async fn request_reset(
        &self,
        client: &Client,
        login: &str,
        now: OffsetDateTime,
    ) -> Result<Resend, StoreError> {
        let message = PasswordResetRequested {
            request: uuid::Uuid::new_v4().simple().to_string(),
            login: login.to_owned(),
            client: client.as_str().to_owned(),
        };
        let put = self.outbox_put(
            Destination::PasswordResetEmail,
            &message,
            &message.request,
            &message.request,
            now,
        )?;
        let pk = format!("ASKED#RESET-FROM#{}", client.as_str());
        let turn = self.take_turn(&pk, quota::RESET_PER_CLIENT, now, vec![put], None);
        Resend::queued(turn.await?)
    }

    /// Takes one of the account's turns to be sent a reset link asked for by `client`, for
    /// `request` (which keeps it when it is delivered again): per client, and, unless the client
    /// has logged in to the account, per account.
    pub(crate) async fn take_reset_turn(
        &self,
        username: &Username,
        client: &Client,
        request: &str,
        now: OffsetDateTime,
    ) -> Result<Turn, StoreError> {
        let from = format!("ASKED#RESET#{username}#FROM#{}", client.as_str());
        let quota = quota::RESET_PER_ACCOUNT_CLIENT;
        let turn = self
            .take_turn(&from, quota, now, Vec::new(), Some(request))
            .await?;
        if turn != Turn::Granted || self.limiter().is_known(username, client, now).await? {
            return Ok(turn);
        }
        let any = format!("ASKED#RESET#{username}");
        let quota = quota::RESET_PER_ACCOUNT;
        self.take_turn(&any, quota, now, Vec::new(), Some(request))
            .await
    }

    /// The accounts `login` names: the one of that username, or those registered with that
    /// address (at most [`RESET_ACCOUNTS`]). None when it is neither.
    pub async fn accounts_for(&self, login: &str) -> Result<Vec<StoredUser>, StoreError> {
        if let Ok(username) = Username::parse(login) {
            return Ok(self.find(&username).await?.into_iter().collect());
        }
        let Ok(email) = Email::parse(login) else {
            return Ok(Vec::new());
        };
        let query = self.table.query_page(IndexQuery {
            index: EMAIL_INDEX,
            partition: "email",
            value: email.as_str(),
            limit: RESET_ACCOUNTS,
            start: None,
            descending: false,
        });
        let items = match query.await {
            Ok((items, _)) => items,
            // Just after a deploy that added the index: only usernames work until it is built.
            Err(err) if err.is_backfilling_index() => {
                tracing::warn!(
                    "the ByEmail index is being built: a reset by address finds no account"
                );
                Vec::new()
            }
            Err(err) => return Err(err),
        };
        let mut accounts = Vec::new();
        for item in items {
            let Some(username) = super::keyed_user(&item) else {
                tracing::warn!("an item of the ByEmail index is not a user's");
                continue;
            };
            // The index lags the table: read the account itself.
            if let Some(user) = self.find(&username).await?
                && user.user.email == email.as_str()
                && accounts.len() < usize::try_from(RESET_ACCOUNTS).unwrap_or(0)
            {
                accounts.push(user);
            }
        }
        Ok(accounts)
    }

    /// Keeps `token`'s hash: it sets `user`'s password until `expires_at`, while the account's
    /// address and session epoch stay as they are now.
    pub async fn save_reset_link(
        &self,
        token: &LinkToken,
        user: &StoredUser,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let link = Link {
            username: user.user.username.clone(),
            email: user.user.email.clone(),
            epoch: user.session_epoch,
            change: None,
            expires_at,
        };
        self.table.put(to_item(&reset_pk(token), &link)?).await
    }

    /// The live reset link `token` is, if it is one.
    pub(crate) async fn reset_link(
        &self,
        token: &LinkToken,
        now: OffsetDateTime,
    ) -> Result<Option<ResetLink>, StoreError> {
        let link = self.live_link(&reset_pk(token), now).await?;
        Ok(link.map(|link| ResetLink {
            username: link.username.clone(),
            link,
        }))
    }

    /// Sets the password hash `new_hash` with the reset link `token` and uses the link up, in
    /// one transaction; every session of the account ends, a pending change of address is
    /// cancelled, and its address counts as confirmed (the link reached it) and is told. `false` if the link was used meanwhile, or the account's address,
    /// password or sessions changed since it was sent.
    pub(crate) async fn reset_password(
        &self,
        token: &LinkToken,
        reset: &ResetLink,
        new_hash: String,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let epoch = reset.link.epoch.to_string();
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&reset.username)))
            .update_expression(format!(
                "{NEXT_EPOCH}, password_hash = :hash, email_verified = :yes \
                 REMOVE pending_email, pending_change"
            ))
            .condition_expression(if reset.link.epoch == 0 {
                // Accounts older than session epochs have none: theirs is 0.
                "email = :email AND (attribute_not_exists(session_epoch) OR session_epoch = :epoch)"
            } else {
                "email = :email AND session_epoch = :epoch"
            })
            .expression_attribute_values(":hash", s(new_hash))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":email", s(&reset.link.email))
            .expression_attribute_values(":epoch", AttributeValue::N(epoch))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let notice = Notice::PasswordReset;
        let notice = self.outbox_notice(&reset.username, &reset.link.email, notice, now)?;
        self.spend_link(&reset_pk(token), update, vec![notice], now)
            .await
    }
}

fn reset_pk(token: &LinkToken) -> String {
    format!("RESET#{}", token.hash())
}
