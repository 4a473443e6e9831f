//! The billing records: one per order, keyed `PAYMENT#<order id>`, in the payments table (which
//! also holds the simulated bank's ledger under `BANK#` keys).
//!
//! A record is created `PROCESSING` with a conditional write before the charge, and settled to
//! `APPROVED` or `DECLINED` with another, so whatever the number of deliveries an order has one
//! record and one settlement.

use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::ids::OrderId;
use shared::messages::{CheckoutRequested, DeclineReason, PaymentOutcome};
use shared::money::Money;
use shared::store::{StoreError, Table, s, to_item};
use time::OffsetDateTime;

/// An order's billing record, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub order_id: OrderId,
    pub amount: Money,
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

    /// The order's billing record: a new `PROCESSING` one, or the one an earlier delivery made.
    pub async fn begin(
        &self,
        checkout: &CheckoutRequested,
        now: OffsetDateTime,
    ) -> Result<PaymentRecord, StoreError> {
        let record = PaymentRecord {
            order_id: checkout.order_id.clone(),
            amount: Money::new(checkout.amount, checkout.currency),
            card_last4: checkout.card.last4().to_owned(),
            created_at: now,
            state: PaymentState::Processing,
        };
        let key = record_key(&record.order_id);
        self.table.put_if_absent(to_item(&key, &record)?).await?;
        self.get(&checkout.order_id)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a new record vanished"))
    }

    /// Records the outcome, unless one is recorded already; returns the record as it stands.
    pub async fn settle(
        &self,
        record: &PaymentRecord,
        outcome: &PaymentOutcome,
        now: OffsetDateTime,
    ) -> Result<PaymentRecord, StoreError> {
        let settled = PaymentRecord {
            state: PaymentState::settled(outcome, now),
            ..record.clone()
        };
        let key = record_key(&record.order_id);
        self.table
            .put_when(
                to_item(&key, &settled)?,
                "#status = :processing",
                &[("#status", "status")],
                [(":processing".to_owned(), s("PROCESSING"))].into(),
            )
            .await?;
        self.get(&record.order_id)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a settled record vanished"))
    }

    pub async fn get(&self, order_id: &OrderId) -> Result<Option<PaymentRecord>, StoreError> {
        self.table.get_record(record_key(order_id), true).await
    }
}

fn record_key(order_id: &OrderId) -> String {
    format!("PAYMENT#{order_id}")
}
