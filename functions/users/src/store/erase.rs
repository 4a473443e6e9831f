//! Deleting an account, and erasing what else the users table holds of it.
//!
//! | item | `pk` | other attributes |
//! |------|------|------------------|
//! | tombstone | `TOMBSTONE#<HMAC of the username>` | `deleted_at`, `expires_at` (also the TTL); see [`crate::tombstone`] |
//!
//! Deleting is one transaction: the user goes (so every session and token stops working at its
//! next request: the authorizer and the refresh read the user each time), the tombstone comes,
//! and the outbox takes the message that the account was deleted, which every service holding
//! a copy of the person's data receives on a queue of its own. This service's own copy is the
//! rest of the table's items that name the account: its sessions, counts of failed log-ins and
//! links (see [`names_account`] for what is kept). Only a scan finds them all (sessions
//! are keyed by a random id), so `user-erase` deletes them from its queue ([`UserStore::erase`]),
//! after the queue's delay, when no request authorised before the deletion can still write one.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use shared::messages::AccountDeleted;
use shared::outbox::OUTBOX_PREFIX;
use shared::store::{StoreError, n, s, to_item};
use time::OffsetDateTime;

use super::email::{UNCHANGED, unchanged};
use super::{StoredUser, UserStore, user_pk};
use crate::domain::Username;
use crate::email::Destination;
use crate::pseudonym::PseudonymKey;
use crate::tombstone;

/// A deleted account's tombstone: when, and until when its username stays unavailable.
#[derive(Debug, Serialize, Deserialize)]
struct Tombstone {
    #[serde(with = "time::serde::timestamp")]
    deleted_at: OffsetDateTime,
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
}

/// Whether a tombstone has lapsed; DynamoDB's TTL deletes it up to a few days later.
const LAPSED: &str = "attribute_not_exists(pk) OR expires_at <= :now";

impl UserStore {
    /// Deletes `stored`'s account, unless it changed since it was read (its password, address,
    /// pending address, sessions or role: `Ok(false)`), with its tombstone and the messages
    /// that it was deleted, in one transaction. So an account promoted meanwhile is not deleted
    /// as a customer's.
    pub async fn delete_account(
        &self,
        stored: &StoredUser,
        key: &PseudonymKey,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let username = &stored.user.username;
        let pending = if stored.user.pending_email.is_some() {
            "pending_email = :pending"
        } else {
            "attribute_not_exists(pending_email)"
        };
        let mut delete = Delete::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(username)))
            .condition_expression(format!("{UNCHANGED} AND {pending} AND #role = :role"))
            .expression_attribute_names("#role", "role");
        let also = [(":role", s(stored.user.role.as_str()))]
            .into_iter()
            .chain(stored.user.pending_email.iter().map(|p| (":pending", s(p))));
        for (name, value) in unchanged(stored).into_iter().chain(also) {
            delete = delete.expression_attribute_values(name, value);
        }
        let delete = delete
            .build()
            .map_err(|err| StoreError::corrupt("build Delete", err.to_string()))?;
        let tombstone = Tombstone {
            deleted_at: now,
            expires_at: now + tombstone::KEEP,
        };
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(to_item(&tombstone::pk(key, username), &tombstone)?))
            .build()
            .map_err(|err| StoreError::corrupt("build Put", err.to_string()))?;
        let deleted = AccountDeleted {
            request: uuid::Uuid::new_v4().simple().to_string(),
            username: username.clone(),
            deleted_at: now,
        };
        let mut writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        // One message per service that holds a copy (an outbox item has one destination).
        for (destination, service) in [
            (Destination::UserErasure, "users"),
            (Destination::OrderErasure, "orders"),
            (Destination::PaymentErasure, "payments"),
        ] {
            let deduplication = format!("{}-{service}", deleted.request);
            let group = username.as_str();
            writes.push(self.outbox_put(destination, &deleted, group, &deduplication, now)?);
        }
        self.table.transact_unless_refused(writes).await
    }

    /// Whether `username` belonged to an account deleted less than [`tombstone::KEEP`] ago.
    pub async fn is_tombstoned(
        &self,
        key: &PseudonymKey,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tombstone: Option<Tombstone> = self
            .table
            .get_record(tombstone::pk(key, username), false)
            .await?;
        Ok(tombstone.is_some_and(|tombstone| tombstone.expires_at > now))
    }

    /// A check, for a transaction, that `username` is not a recently deleted account's.
    pub(super) fn no_live_tombstone(
        &self,
        key: &PseudonymKey,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(self.table.name())
            .key("pk", s(tombstone::pk(key, username)))
            .condition_expression(LAPSED)
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .map_err(|err| StoreError::corrupt("build ConditionCheck", err.to_string()))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Deletes every item that names the deleted account (see
    /// [`names_account`]); how many. Reads the whole table, consistently: a message's work,
    /// never a request's. Finding nothing is normal for a message delivered again.
    pub async fn erase(&self, deleted: &AccountDeleted) -> Result<usize, StoreError> {
        let items = self
            .table
            .scan_all(|scan| {
                scan.projection_expression("pk, #username")
                    .expression_attribute_names("#username", "username")
            })
            .await?;
        let mut erased = 0;
        for item in &items {
            let text = |name| match item.get(name) {
                Some(AttributeValue::S(text)) => Some(text.as_str()),
                _ => None,
            };
            let Some(pk) = text("pk") else { continue };
            if names_account(pk, text("username"), deleted) {
                self.table.delete(pk).await?;
                erased += 1;
            }
        }
        Ok(erased)
    }
}

/// Whether the item keyed `pk`, whose `username` attribute is `owner`, names the deleted
/// account: its sessions and links (by `owner`); the counts of its failed log-ins
/// (`THROTTLE#<username>`, `…#FROM#<client>`, `…#KNOWN#<client>`) and of its requests for links
/// (`ASKED#VERIFY#<username>`, `ASKED#RESET#<username>`, `…#FROM#<client>`); and the claims on
/// reset e-mails sent to it (`MAIL#<request>#<username>`).
///
/// Never the outbox (messages still to send, such as other services' erasures), nor a user
/// (the account is gone, and its name cannot be registered again until long after), nor a
/// tombstone. Kept too: counts per client address alone and the record of an e-mail sent
/// (`MAIL#<request>`: its SES id and time), which name nobody; and the daily counts of e-mails
/// to an address (`ASKED#MAIL-TO#<pseudonym>`, `ASKED#NOTICE-TO#<pseudonym>`), which other
/// accounts of the address share: erased, they would let whoever registers and deletes accounts
/// with someone else's address mail it without limit. They are keyed by the address's
/// pseudonym ([`crate::pseudonym`]), so they name nobody either, and lapse within a day.
fn names_account(pk: &str, owner: Option<&str>, deleted: &AccountDeleted) -> bool {
    let username = deleted.username.as_str();
    if pk.starts_with(OUTBOX_PREFIX)
        || pk.starts_with(super::USER_PREFIX)
        || pk.starts_with(tombstone::PREFIX)
    {
        return false;
    }
    if owner == Some(username) {
        return true;
    }
    let account_key = ["THROTTLE#", "ASKED#VERIFY#", "ASKED#RESET#"]
        .iter()
        .find_map(|prefix| pk.strip_prefix(prefix))
        .or_else(|| {
            pk.strip_prefix("MAIL#")
                .and_then(|rest| rest.split_once('#').map(|(_, name)| name))
        });
    // Usernames hold no `#`: what follows the name is a client address.
    account_key.is_some_and(|rest| rest.split('#').next() == Some(username))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted() -> AccountDeleted {
        AccountDeleted {
            request: "r1".into(),
            username: Username::parse("ada").unwrap(),
            deleted_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn what_names_the_account_is_erased() {
        let deleted = deleted();
        for pk in [
            "THROTTLE#ada",
            "THROTTLE#ada#FROM#10.0.0.1",
            "THROTTLE#ada#KNOWN#2001:db8::/56",
            "ASKED#VERIFY#ada",
            "ASKED#RESET#ada",
            "ASKED#RESET#ada#FROM#10.0.0.1",
            "MAIL#0123abcd#ada",
        ] {
            assert!(names_account(pk, None, &deleted), "{pk}");
        }
        for pk in ["SESSION#s1", "VERIFY#h", "CHANGE#h", "RESET#h"] {
            assert!(names_account(pk, Some("ada"), &deleted), "{pk}");
        }
    }

    #[test]
    fn what_names_someone_else_or_nobody_or_an_address_stays() {
        let deleted = deleted();
        for (pk, owner) in [
            ("THROTTLE#adam", None),
            ("THROTTLE#adam#FROM#10.0.0.1", None),
            ("THROTTLE-CLIENT#10.0.0.1", None),
            ("ASKED#RESET-FROM#10.0.0.1", None),
            ("ASKED#VERIFY#ad", None),
            ("ASKED#MAIL-TO#ada@example.com", None),
            ("ASKED#NOTICE-TO#a#b@example.org", None),
            ("MAIL#0123abcd", None),
            ("MAIL#0123abcd#bob", None),
            ("SESSION#s2", Some("bob")),
            ("USER#ada", Some("ada")),
            ("OUTBOX#r1", None),
            ("TOMBSTONE#x", None),
        ] {
            assert!(!names_account(pk, owner, &deleted), "{pk}");
        }
    }
}
