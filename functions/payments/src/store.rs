//! The billing records: one per try at paying an order, keyed `PAYMENT#<order id>` for the first
//! and `PAYMENT#<order id>-<attempt>` for each retry after a failed payment, in the payments table
//! (which also holds the simulated bank's ledger under `BANK#` keys).
//!
//! A record is created `PROCESSING` with a conditional write before the charge, and settled to
//! `APPROVED` or `DECLINED` with another, so whatever the number of deliveries an attempt has one
//! record and one settlement.

use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::ids::OrderId;
use shared::messages::{Attempt, DeclineReason, PaymentOutcome};
use shared::money::{Currency, Money};
use shared::store::{StoreError, Table, s, to_item};
use time::OffsetDateTime;

/// An order's billing record, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub order_id: OrderId,
    /// Absent for a first attempt, as in records from before there were retries.
    #[serde(default, skip_serializing_if = "Attempt::is_first")]
    pub attempt: Attempt,
    /// In minor units of `currency`.
    pub amount: i64,
    pub currency: Currency,
    pub card_last4: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub state: PaymentState,
}

/// Where a charge stands; its `status` attribute is `PROCESSING`, `APPROVED` or `DECLINED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    Processing,
    Approved {
        charge_id: String,
        #[serde(with = "time::serde::rfc3339")]
        settled_at: OffsetDateTime,
    },
    Declined {
        reason: DeclineReason,
        #[serde(with = "time::serde::rfc3339")]
        settled_at: OffsetDateTime,
    },
}

impl PaymentState {
    fn settled(outcome: &PaymentOutcome, at: OffsetDateTime) -> Self {
        match outcome {
            PaymentOutcome::Approved { charge_id } => Self::Approved {
                charge_id: charge_id.clone(),
                settled_at: at,
            },
            PaymentOutcome::Declined { reason } => Self::Declined {
                reason: *reason,
                settled_at: at,
            },
        }
    }

    /// How the charge ended and when, once it has.
    pub fn outcome(&self) -> Option<(PaymentOutcome, OffsetDateTime)> {
        match self {
            Self::Processing => None,
            Self::Approved {
                charge_id,
                settled_at,
            } => Some((
                PaymentOutcome::Approved {
                    charge_id: charge_id.clone(),
                },
                *settled_at,
            )),
            Self::Declined { reason, settled_at } => {
                Some((PaymentOutcome::Declined { reason: *reason }, *settled_at))
            }
        }
    }
}

impl PaymentRecord {
    pub fn amount(&self) -> Money {
        Money::new(self.amount, self.currency)
    }
}

#[derive(Debug, Clone)]
pub struct PaymentStore {
    table: Table,
}

impl PaymentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `PAYMENTS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "PAYMENTS_TABLE")?,
        })
    }

    /// The table, which the simulated bank keeps its ledger in.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The payment attempt's billing record: a new `PROCESSING` one for the card ending in
    /// `card_last4` (empty when no card was held), or the one an earlier delivery made.
    pub async fn begin(
        &self,
        order_id: &OrderId,
        attempt: Attempt,
        amount: Money,
        card_last4: String,
        now: OffsetDateTime,
    ) -> Result<PaymentRecord, StoreError> {
        let record = PaymentRecord {
            order_id: order_id.clone(),
            attempt,
            amount: amount.minor,
            currency: amount.currency,
            card_last4,
            created_at: now,
            state: PaymentState::Processing,
        };
        let key = record_key(&record.order_id, record.attempt);
        self.table.put_if_absent(to_item(&key, &record)?).await?;
        self.get(order_id, attempt)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a new record vanished"))
    }

    /// Records the outcome, unless one is recorded already; returns the record as it stands,
    /// and whether this call recorded it (two deliveries of one message may race here).
    pub async fn settle(
        &self,
        record: &PaymentRecord,
        outcome: &PaymentOutcome,
        now: OffsetDateTime,
    ) -> Result<(PaymentRecord, bool), StoreError> {
        let settled = PaymentRecord {
            state: PaymentState::settled(outcome, now),
            ..record.clone()
        };
        let key = record_key(&record.order_id, record.attempt);
        let written = self
            .table
            .put_when(
                to_item(&key, &settled)?,
                "#status = :processing",
                &[("#status", "status")],
                [(":processing".to_owned(), s("PROCESSING"))].into(),
            )
            .await?;
        let stands = self
            .get(&record.order_id, record.attempt)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a settled record vanished"))?;
        Ok((stands, written))
    }

    /// The record of payment attempt `attempt` at order `order_id`.
    pub async fn get(
        &self,
        order_id: &OrderId,
        attempt: Attempt,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.table
            .get_record(record_key(order_id, attempt), true)
            .await
    }
}

fn record_key(order_id: &OrderId, attempt: Attempt) -> String {
    format!("PAYMENT#{}", attempt.name(order_id))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    use shared::store::{Item, from_item};

    use super::*;

    /// Billing records stored before records were typed (commit 8a57536) still read.
    #[test]
    fn records_stored_by_the_earlier_code_still_read() {
        let item = Item::from([
            (
                "pk".to_owned(),
                S("PAYMENT#0123456789abcdef0123456789abcdef".into()),
            ),
            (
                "order_id".to_owned(),
                S("0123456789abcdef0123456789abcdef".into()),
            ),
            ("amount".to_owned(), N("6300".into())),
            ("currency".to_owned(), S("EUR".into())),
            ("card_last4".to_owned(), S("0002".into())),
            ("status".to_owned(), S("DECLINED".into())),
            ("reason".to_owned(), S("card_declined".into())),
            ("created_at".to_owned(), S("2026-11-22T10:00:00Z".into())),
            ("settled_at".to_owned(), S("2026-11-22T10:00:01Z".into())),
        ]);
        let record: PaymentRecord = from_item(item.clone()).unwrap();
        assert_eq!(record.amount(), Money::new(6_300, Currency::Eur));
        assert!(matches!(
            record.state.outcome(),
            Some((
                PaymentOutcome::Declined {
                    reason: DeclineReason::CardDeclined
                },
                _
            ))
        ));
        let written = to_item("PAYMENT#0123456789abcdef0123456789abcdef", &record).unwrap();
        assert_eq!(written, item, "written back as it was");
    }
}
