//! The receipts table: which receipts were e-mailed, keyed `EMAIL#<order id>`.
//!
//! Before sending, a delivery claims the order's e-mail with a conditional write; once SES has
//! the message, the claim becomes `SENT`. A repeated delivery finds it sent and stops. A claim
//! left by a function that died mid-send lapses after [`LEASE`], shorter than the receipts
//! queue's visibility timeout, so the message's next delivery can take it over.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::ids::OrderId;
use shared::store::{StoreError, Table, conditional, n, s, to_item};
use time::OffsetDateTime;

/// How long a claim to send stands: twice the consumer's timeout.
pub const LEASE: Duration = Duration::from_secs(60);

/// The outcome of claiming an order's receipt e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This delivery sends it.
    Claimed,
    /// It was sent already.
    AlreadySent,
    /// Another delivery is sending it right now.
    Busy,
}

/// An order's e-mail record. Times are epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
enum EmailRecord {
    /// A delivery is sending it, since `claimed_at`.
    Sending {
        #[serde(with = "time::serde::timestamp")]
        claimed_at: OffsetDateTime,
    },
    /// SES accepted it.
    Sent {
        message_id: String,
        #[serde(with = "time::serde::timestamp")]
        sent_at: OffsetDateTime,
    },
}

#[derive(Debug, Clone)]
pub struct ReceiptStore {
    table: Table,
}

impl ReceiptStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `RECEIPTS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "RECEIPTS_TABLE")?,
        })
    }

    pub async fn claim_email(
        &self,
        order_id: &OrderId,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let pk = email_key(order_id);
        let claim = EmailRecord::Sending { claimed_at: now };
        if self.table.put_if_absent(to_item(&pk, &claim)?).await? {
            return Ok(Claim::Claimed);
        }
        let claimed_at = match self.table.get_record(&pk, true).await? {
            // Released between the two calls: the next delivery will claim it.
            None => return Ok(Claim::Busy),
            Some(EmailRecord::Sent { .. }) => return Ok(Claim::AlreadySent),
            Some(EmailRecord::Sending { claimed_at }) => claimed_at,
        };
        if now - claimed_at < LEASE {
            return Ok(Claim::Busy);
        }
        // The claim lapsed: take it over, unless another delivery just did.
        let result = self
            .table
            .update(&pk)
            .update_expression("SET claimed_at = :now")
            .condition_expression("#status = :sending AND claimed_at = :claimed")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":sending", s("SENDING"))
            .expression_attribute_values(":claimed", n(claimed_at.unix_timestamp()))
            .send()
            .await;
        let taken = conditional(
            "UpdateItem",
            result,
            UpdateItemError::is_conditional_check_failed_exception,
        )?;
        Ok(if taken { Claim::Claimed } else { Claim::Busy })
    }

    /// Records that SES accepted the e-mail.
    pub async fn mark_sent(
        &self,
        order_id: &OrderId,
        message_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let sent = EmailRecord::Sent {
            message_id: message_id.to_owned(),
            sent_at: now,
        };
        self.table.put(to_item(&email_key(order_id), &sent)?).await
    }

    /// Gives up a claim after a failed send, so the retry need not wait for the lease to lapse.
    pub async fn release(&self, order_id: &OrderId) -> Result<(), StoreError> {
        self.table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .key("pk", s(email_key(order_id)))
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s("SENDING"))
            .send()
            .await
            .map(drop)
            .or_else(|err| {
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception())
                {
                    Ok(())
                } else {
                    Err(StoreError::from_sdk("DeleteItem", err))
                }
            })
    }

    /// Whether the order's receipt was e-mailed.
    pub async fn was_sent(&self, order_id: &OrderId) -> Result<bool, StoreError> {
        let record = self.table.get_record(email_key(order_id), true).await?;
        Ok(matches!(record, Some(EmailRecord::Sent { .. })))
    }
}

fn email_key(order_id: &OrderId) -> String {
    format!("EMAIL#{order_id}")
}
