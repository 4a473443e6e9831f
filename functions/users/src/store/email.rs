//! The users table's part in e-mail: the outbox's messages, requests to resend (limited), and
//! the links' tokens, kept as hashes.
//!
//! | item | `pk` | other attributes |
//! |------|------|------------------|
//! | outbox | `OUTBOX#<request>` | [`shared::outbox::Outgoing`] of a [`crate::email::Destination`] |
//! | link | `VERIFY#<token hash>` | `username`, `address`, `expires_at` (also the TTL) |
//! | link | `CHANGE#<token hash>` | the same, for an address the account asked to change to |
//! | link | `RESET#<token hash>` | the same, and the account's `epoch` (see [`super::reset`]) |
//! | asked | `ASKED#VERIFY#<username>` | see [`super::quota`] |

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use shared::outbox::Outgoing;
use shared::store::{StoreError, Table, n, s, to_item};
use time::OffsetDateTime;

use super::quota::{self, Turn};
use super::{StoredUser, UserStore, user_pk};
use crate::domain::{Confirming, Email, User, Username};
use crate::email::{
    Destination, LinkToken, Notice, NoticeRequested, VerificationRequested, masked,
};
use crate::pseudonym::PseudonymKey;

/// The outcome of asking for an e-mail (a verification link again, a reset link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    Queued,
    /// Asked too often: again in this many seconds.
    TooSoon {
        retry_after: u64,
    },
}

impl Resend {
    /// The outcome of a turn taken with an outbox message alone, whose only condition (a new
    /// request id) cannot be false.
    pub(super) fn queued(turn: Turn) -> Result<Self, StoreError> {
        match turn {
            Turn::Granted => Ok(Self::Queued),
            Turn::TooSoon { retry_after } => Ok(Self::TooSoon { retry_after }),
            Turn::Refused => Err(StoreError::corrupt(
                "TakeTurn",
                "a new outbox message's id was taken",
            )),
        }
    }
}

/// A link's token, by its hash: whose account it opens, for which address, until when; a reset
/// link also names the account's session epoch when it was made (any later password change or
/// sign-out everywhere voids it).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Link {
    pub(super) username: Username,
    /// Named apart from a user's `email`, so that links stay out of the `ByEmail` index.
    #[serde(rename = "address")]
    pub(super) email: String,
    #[serde(default)]
    pub(super) epoch: u64,
    /// For a change of address: the change's id (see [`StoredUser::pending_change`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) change: Option<String>,
    #[serde(with = "time::serde::timestamp")]
    pub(super) expires_at: OffsetDateTime,
}

impl UserStore {
    /// The `Put` of `message` to the outbox, for `destination`, for a transaction; `group` and
    /// `request` are its FIFO group and deduplication id.
    pub(super) fn outbox_put<T: Serialize>(
        &self,
        destination: Destination,
        message: &T,
        group: &str,
        request: &str,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let outgoing = Outgoing::new(destination, message, group, request, now)
            .map_err(|err| StoreError::corrupt("write outbox message", err.to_string()))?;
        self.table
            .transact_put_new(to_item(&outgoing.key(), &outgoing)?)
    }

    /// The `Put` of a request to e-mail `message.username` a verification link.
    pub(super) fn verification_put(
        &self,
        message: &VerificationRequested,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        self.outbox_put(
            Destination::VerificationEmail,
            message,
            message.username.as_str(),
            &message.request,
            now,
        )
    }

    /// The `Put` of a notice of `notice` to `username`'s address `email`, for a transaction.
    pub(super) fn outbox_notice(
        &self,
        username: &Username,
        email: &str,
        notice: Notice,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let message = NoticeRequested {
            request: uuid::Uuid::new_v4().simple().to_string(),
            username: username.clone(),
            email: email.to_owned(),
            notice,
        };
        self.outbox_put(
            Destination::NoticeEmail,
            &message,
            username.as_str(),
            &message.request,
            now,
        )
    }

    /// [`Self::outbox_notice`] to `user`'s address if it is confirmed: an unconfirmed one is
    /// sent nothing but confirmation links.
    pub(super) fn notice_if_confirmed(
        &self,
        user: &User,
        notice: Notice,
        now: OffsetDateTime,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        (user.email_verified == Some(true))
            .then(|| self.outbox_notice(&user.username, &user.email, notice, now))
            .transpose()
    }

    /// Queues a verification e-mail for what `user` waits to confirm
    /// ([`StoredUser::to_confirm`]), unless one was asked for too recently.
    pub async fn request_verification(
        &self,
        user: &User,
        confirming: Confirming<'_>,
        now: OffsetDateTime,
    ) -> Result<Resend, StoreError> {
        let turn = self.queue_verification(&user.username, confirming, now, Vec::new());
        Resend::queued(turn.await?)
    }

    /// Records that `stored` asked to change their address to `email` and queues the e-mail that
    /// asks them to confirm it, signed in, from that address, in one transaction, within the
    /// same limits as asking for that e-mail again (so changing back and forth cannot flood
    /// inboxes). The address changes only then ([`Self::confirm_email_change`]): until then
    /// links, receipts and resets go to the address the account has, whose owner is told if it
    /// is confirmed. Each request is a change of its own: links made for an earlier one (even for
    /// the same address) do not confirm it. [`Turn::Refused`] if the password, the address or the
    /// sessions changed since `stored` was read.
    pub async fn change_email(
        &self,
        stored: &StoredUser,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Turn, StoreError> {
        let user = &stored.user;
        let change = uuid::Uuid::new_v4().simple().to_string();
        let mut update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&user.username)))
            .update_expression("SET pending_email = :new, pending_change = :change")
            .condition_expression(UNCHANGED)
            .expression_attribute_values(":new", s(email.as_str()))
            .expression_attribute_values(":change", s(&change));
        for (name, value) in unchanged(stored) {
            update = update.expression_attribute_values(name, value);
        }
        let update = update
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let mut with = vec![TransactWriteItem::builder().update(update).build()];
        let notice = Notice::EmailChangeAsked {
            to: masked(email.as_str()),
        };
        with.extend(self.notice_if_confirmed(user, notice, now)?);
        let confirming = Confirming {
            address: email.as_str(),
            change: Some(&change),
        };
        self.queue_verification(&user.username, confirming, now, with)
            .await
    }

    /// Drops the change of address `stored` asked for, if any: `false` if the password, the
    /// address or the sessions changed since `stored` was read.
    pub(crate) async fn cancel_email_change(
        &self,
        stored: &StoredUser,
    ) -> Result<bool, StoreError> {
        let mut update = self
            .table
            .update(user_pk(&stored.user.username))
            .update_expression("REMOVE pending_email, pending_change")
            .condition_expression(UNCHANGED);
        for (name, value) in unchanged(stored) {
            update = update.expression_attribute_values(name, value);
        }
        self.table.update_if(update).await
    }

    /// Queues a request to e-mail `username` a link confirming `confirming`, with `with` in the
    /// same transaction, if the account's quota of such e-mails allows.
    async fn queue_verification(
        &self,
        username: &Username,
        confirming: Confirming<'_>,
        now: OffsetDateTime,
        mut with: Vec<TransactWriteItem>,
    ) -> Result<Turn, StoreError> {
        let message = VerificationRequested {
            request: uuid::Uuid::new_v4().simple().to_string(),
            username: username.clone(),
            email: confirming.address.to_owned(),
            change: confirming.change.map(str::to_owned),
        };
        with.push(self.verification_put(&message, now)?);
        let pk = format!("ASKED#VERIFY#{username}");
        self.take_turn(&pk, quota::RESEND, now, with, None).await
    }

    /// Takes one of `address`'s turns to be e-mailed, for `request` (which keeps it when it is
    /// delivered again). The count is keyed by the address's pseudonym: it outlives the deletion
    /// of an account of the address (others share it), and names nobody.
    pub(crate) async fn take_mail_turn(
        &self,
        pseudonyms: &PseudonymKey,
        address: &str,
        request: &str,
        now: OffsetDateTime,
    ) -> Result<Turn, StoreError> {
        let pk = format!(
            "ASKED#MAIL-TO#{}",
            pseudonyms.of(crate::pseudonym::MAIL_TO, address)
        );
        self.take_turn(&pk, quota::MAIL_TO, now, Vec::new(), Some(request))
            .await
    }

    /// Takes one of `address`'s turns to be sent a notice, for `request`: a quota of its own, so
    /// that strangers asking for reset links cannot use it up (and silence the notices), nor can
    /// notices use up the address's reset links.
    pub(crate) async fn take_notice_turn(
        &self,
        pseudonyms: &PseudonymKey,
        address: &str,
        request: &str,
        now: OffsetDateTime,
    ) -> Result<Turn, StoreError> {
        let pk = format!(
            "ASKED#NOTICE-TO#{}",
            pseudonyms.of(crate::pseudonym::NOTICE_TO, address)
        );
        self.take_turn(&pk, quota::NOTICES_TO, now, Vec::new(), Some(request))
            .await
    }

    /// Keeps `token`'s hash: it confirms `confirming` for `username` until `expires_at`.
    pub async fn save_verification_link(
        &self,
        token: &LinkToken,
        username: &Username,
        confirming: Confirming<'_>,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let link = Link {
            username: username.clone(),
            email: confirming.address.to_owned(),
            epoch: 0,
            change: confirming.change.map(str::to_owned),
            expires_at,
        };
        let pk = if confirming.change.is_some() {
            change_pk(token)
        } else {
            verify_pk(token)
        };
        self.table.put(to_item(&pk, &link)?).await
    }

    /// Marks the address `token` was sent to as verified, and uses the token up, in one
    /// transaction: `None` if the token is unknown, used, expired, or names an address the
    /// account no longer has. A link to confirm a change of address does not work here.
    pub async fn verify(
        &self,
        token: &LinkToken,
        now: OffsetDateTime,
    ) -> Result<Option<Username>, StoreError> {
        let pk = verify_pk(token);
        let Some(link) = self.live_link(&pk, now).await? else {
            return Ok(None);
        };
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&link.username)))
            .update_expression("SET email_verified = :yes")
            .condition_expression("email = :email")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":email", s(&link.email))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let verified = self.spend_link(&pk, update, Vec::new(), now).await?;
        Ok(verified.then_some(link.username))
    }

    /// Makes the address `token` was sent to `username`'s, confirmed, and uses the token up, in
    /// one transaction that also tells the former address if it was confirmed: the account as
    /// it is then, or `None` if the token is unknown, used, expired, another account's, or names
    /// an address the account no longer waits for.
    pub async fn confirm_email_change(
        &self,
        token: &LinkToken,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let pk = change_pk(token);
        let Some(link) = self.live_link(&pk, now).await? else {
            return Ok(None);
        };
        if &link.username != username {
            return Ok(None);
        }
        let Some(stored) = self.find(username).await? else {
            return Ok(None);
        };
        let Some(change) = link
            .change
            .filter(|change| stored.pending_change.as_ref() == Some(change))
        else {
            return Ok(None);
        };
        let mut user = stored.user;
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(username)))
            .update_expression(
                "SET email = :new, email_verified = :yes REMOVE pending_email, pending_change",
            )
            .condition_expression("pending_change = :change AND email = :old")
            .expression_attribute_values(":new", s(&link.email))
            .expression_attribute_values(":change", s(&change))
            .expression_attribute_values(":old", s(&user.email))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let notice = Notice::EmailChanged {
            to: masked(&link.email),
        };
        let notice = self.notice_if_confirmed(&user, notice, now)?;
        if !self
            .spend_link(&pk, update, notice.into_iter().collect(), now)
            .await?
        {
            return Ok(None);
        }
        user.email = link.email;
        user.email_verified = Some(true);
        user.pending_email = None;
        Ok(Some(user))
    }

    /// The link kept at `pk`, unless it has lapsed by `now` (DynamoDB's TTL deletes within
    /// days, not at once).
    pub(super) async fn live_link(
        &self,
        pk: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Link>, StoreError> {
        let link: Option<Link> = self.table.get_record(pk, true).await?;
        Ok(link.filter(|link| link.expires_at > now))
    }

    /// Uses up the link at `pk` and applies `update` to its account, with `also`, in one
    /// transaction: `false` if the link was used meanwhile or has lapsed, or `update`'s
    /// condition fails.
    pub(super) async fn spend_link(
        &self,
        pk: &str,
        update: Update,
        also: Vec<TransactWriteItem>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .key("pk", s(pk))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .map_err(|err| StoreError::corrupt("build Delete", err.to_string()))?;
        let mut writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(update).build(),
        ];
        writes.extend(also);
        self.table.transact_unless_refused(writes).await
    }

    /// Marks `username`'s address as confirmed without a link: for accounts whose address the
    /// operator vouches for (the demo accounts `xtask seed` makes, at an address nobody reads).
    /// `false` if there is no such user.
    pub async fn vouch_for_email(&self, username: &Username) -> Result<bool, StoreError> {
        let update = self
            .table
            .update(user_pk(username))
            .update_expression("SET email_verified = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        self.table.update_if(update).await
    }

    /// The table, for the outbox's relay and the e-mail functions' records.
    pub fn table(&self) -> &Table {
        &self.table
    }
}

fn verify_pk(token: &LinkToken) -> String {
    format!("VERIFY#{}", token.hash())
}

fn change_pk(token: &LinkToken) -> String {
    format!("CHANGE#{}", token.hash())
}

/// The condition that the account's password, address and sessions are still those read: a
/// change of password, a reset, a sign-out everywhere or a change of address meanwhile wins over
/// a request checked against the old ones. [`unchanged`] binds its values.
pub(super) const UNCHANGED: &str = "password_hash = :hash AND email = :email \
     AND (attribute_not_exists(session_epoch) OR session_epoch = :epoch)";

/// The values [`UNCHANGED`] compares with: `stored`'s.
pub(super) fn unchanged(stored: &StoredUser) -> [(&'static str, AttributeValue); 3] {
    let epoch = i64::try_from(stored.session_epoch).unwrap_or(i64::MAX);
    [
        (":hash", s(&stored.password_hash)),
        (":email", s(&stored.user.email)),
        (":epoch", n(epoch)),
    ]
}
