//! The users table's part in e-mail: the outbox's messages, requests to resend (limited), and
//! the links' tokens, kept as hashes.
//!
//! | item | `pk` | other attributes |
//! |------|------|------------------|
//! | outbox | `OUTBOX#<request>` | [`shared::outbox::Outgoing`] of a [`crate::email::Destination`] |
//! | link | `VERIFY#<token hash>` | `username`, `email`, `expires_at` (also the TTL) |
//! | asked | `ASKED#<username>` | `sent` (epoch seconds of the last requests), `version`, `expires_at` |

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use shared::outbox::Outgoing;
use shared::store::{Item, StoreError, Table, n, s, to_item};
use time::{Duration, OffsetDateTime};

use super::{UserStore, user_pk};
use crate::domain::{User, Username};
use crate::email::{Destination, LinkToken, VerificationRequested};

/// At most one verification e-mail asked for a minute, ...
const RESEND_GAP: Duration = Duration::minutes(1);
/// ... and this many a day.
const RESENDS_PER_DAY: usize = 5;

/// The outcome of asking for a verification e-mail again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    Queued,
    /// Asked too often: again in this many seconds.
    TooSoon {
        retry_after: u64,
    },
}

/// A link's token, by its hash.
#[derive(Debug, Serialize, Deserialize)]
struct Link {
    username: Username,
    email: String,
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
}

/// When the verification e-mails of an account were asked for.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Asked {
    sent: Vec<i64>,
    version: u64,
    #[serde(default, with = "time::serde::timestamp::option")]
    expires_at: Option<OffsetDateTime>,
}

impl Asked {
    /// Seconds until another may be asked, if it may not be now.
    fn wait(&self, now: OffsetDateTime) -> Option<u64> {
        let now = now.unix_timestamp();
        let recent: Vec<i64> = self
            .sent
            .iter()
            .copied()
            .filter(|time| *time > now - Duration::DAY.whole_seconds())
            .collect();
        let gap = self
            .sent
            .iter()
            .max()
            .map_or(0, |last| last + RESEND_GAP.whole_seconds() - now);
        let day = (recent.len() >= RESENDS_PER_DAY).then(|| {
            recent.iter().min().copied().unwrap_or(now) + Duration::DAY.whole_seconds() - now
        });
        let wait = gap.max(day.unwrap_or(0));
        (wait > 0).then(|| wait.unsigned_abs())
    }
}

impl UserStore {
    /// The `Put` of a message to the outbox, for a transaction.
    pub(super) fn outbox_put(
        &self,
        message: &VerificationRequested,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let outgoing = Outgoing::new(
            Destination::VerificationEmail,
            message,
            message.username.as_str(),
            &message.request,
            now,
        )
        .map_err(|err| StoreError::corrupt("write outbox message", err.to_string()))?;
        self.table
            .transact_put_new(to_item(&outgoing.key(), &outgoing)?)
    }

    /// Queues a verification e-mail to `user`'s address, unless one was asked for too recently.
    pub async fn request_verification(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<Resend, StoreError> {
        let pk = asked_pk(&user.username);
        let asked: Asked = self.table.get_record(&pk, true).await?.unwrap_or_default();
        if let Some(retry_after) = asked.wait(now) {
            return Ok(Resend::TooSoon { retry_after });
        }
        let mut sent: Vec<i64> = asked
            .sent
            .iter()
            .copied()
            .filter(|time| *time > (now - Duration::DAY).unix_timestamp())
            .collect();
        sent.push(now.unix_timestamp());
        let next = Asked {
            sent,
            version: asked.version + 1,
            expires_at: Some(now + Duration::DAY),
        };
        let record = self.table.transact_put(
            to_item(&pk, &next)?,
            "attribute_not_exists(pk) OR version = :version",
            &[],
            Item::from([(
                ":version".to_owned(),
                n(asked.version.try_into().unwrap_or(i64::MAX)),
            )]),
        )?;
        let message = VerificationRequested {
            request: uuid::Uuid::new_v4().simple().to_string(),
            username: user.username.clone(),
            email: user.email.clone(),
        };
        let queued = self
            .table
            .transact(vec![record, self.outbox_put(&message, now)?])
            .await?;
        // Lost to a request at the same moment, which queued an e-mail.
        Ok(if queued {
            Resend::Queued
        } else {
            Resend::TooSoon {
                retry_after: RESEND_GAP.whole_seconds().unsigned_abs(),
            }
        })
    }

    /// Keeps `token`'s hash: it confirms `email` is `username`'s until `expires_at`.
    pub async fn save_verification_link(
        &self,
        token: &LinkToken,
        username: &Username,
        email: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let link = Link {
            username: username.clone(),
            email: email.to_owned(),
            expires_at,
        };
        self.table.put(to_item(&verify_pk(token), &link)?).await
    }

    /// Marks the address `token` was sent to as verified, and uses the token up, in one
    /// transaction: `None` if the token is unknown, used, expired, or names an address the
    /// account no longer has.
    pub async fn verify(
        &self,
        token: &LinkToken,
        now: OffsetDateTime,
    ) -> Result<Option<Username>, StoreError> {
        let pk = verify_pk(token);
        let Some(link) = self.table.get_record::<Link>(&pk, true).await? else {
            return Ok(None);
        };
        if link.expires_at <= now {
            return Ok(None);
        }
        let delete = Delete::builder()
            .table_name(self.table.name())
            .key("pk", s(&pk))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .map_err(|err| StoreError::corrupt("build Delete", err.to_string()))?;
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&link.username)))
            .update_expression("SET email_verified = :yes")
            .condition_expression("email = :email")
            .expression_attribute_values(
                ":yes",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .expression_attribute_values(":email", s(&link.email))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let verified = self
            .table
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                TransactWriteItem::builder().update(update).build(),
            ])
            .await?;
        Ok(verified.then_some(link.username))
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
            .expression_attribute_values(
                ":yes",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            );
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

fn asked_pk(username: &Username) -> String {
    format!("ASKED#{username}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(seconds_ago: &[i64], now: OffsetDateTime) -> Asked {
        Asked {
            sent: seconds_ago
                .iter()
                .map(|ago| now.unix_timestamp() - ago)
                .collect(),
            ..Asked::default()
        }
    }

    #[test]
    fn one_a_minute_and_five_a_day() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(asked(&[], now).wait(now), None);
        assert_eq!(asked(&[20], now).wait(now), Some(40));
        assert_eq!(asked(&[60], now).wait(now), None);
        assert_eq!(asked(&[100, 200, 300, 400], now).wait(now), None);
        // The fifth of the day was 100 s ago; the oldest of them lapses in an hour.
        let day = Duration::DAY.whole_seconds();
        assert_eq!(
            asked(&[100, 200, 300, 400, day - 3600], now).wait(now),
            Some(3600)
        );
        assert_eq!(asked(&[100, 200, 300, 400, day + 1], now).wait(now), None);
    }
}
