//! The billing records: one per order, keyed `PAYMENT#<order id>`, in the payments table (which
//! also holds the simulated bank's ledger under `BANK#` keys).
//!
//! A record is created `PROCESSING` with a conditional write before the charge, and settled to
//! `APPROVED` or `DECLINED` with another, so whatever the number of deliveries an order has one
//! record and one settlement.

use aws_sdk_dynamodb::Client;
use shared::config::ConfigError;
use shared::messages::{CheckoutRequested, DeclineReason, PaymentOutcome};
use shared::money::{Currency, Money};
use shared::store::{Item, StoreError, Table, n, number, s, string};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub order_id: String,
    pub amount: Money,
    pub card_last4: String,
    /// `None` while processing.
    pub outcome: Option<PaymentOutcome>,
    pub created_at: String,
    pub settled_at: Option<String>,
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
        now: &str,
    ) -> Result<PaymentRecord, StoreError> {
        let item = Item::from([
            ("pk".to_owned(), s(record_key(&checkout.order_id))),
            ("order_id".to_owned(), s(&checkout.order_id)),
            ("amount".to_owned(), n(checkout.amount)),
            ("currency".to_owned(), s(checkout.currency.code())),
            ("card_last4".to_owned(), s(checkout.card.last4())),
            ("status".to_owned(), s("PROCESSING")),
            ("created_at".to_owned(), s(now)),
        ]);
        self.table.put_if_absent(item).await?;
        self.get(&checkout.order_id)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a new record vanished"))
    }

    /// Records the outcome, unless one is recorded already; returns the record as it stands.
    pub async fn settle(
        &self,
        order_id: &str,
        outcome: &PaymentOutcome,
        now: &str,
    ) -> Result<PaymentRecord, StoreError> {
        let (status, detail_name, detail) = match outcome {
            PaymentOutcome::Approved { charge_id } => ("APPROVED", "charge_id", charge_id.as_str()),
            PaymentOutcome::Declined { reason } => ("DECLINED", "reason", reason.code()),
        };
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("pk", s(record_key(order_id)))
            .update_expression("SET #status = :status, #detail = :detail, settled_at = :now")
            .condition_expression("#status = :processing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#detail", detail_name)
            .expression_attribute_values(":status", s(status))
            .expression_attribute_values(":detail", s(detail))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":processing", s("PROCESSING"))
            .send()
            .await;
        shared::store::conditional(
            "UpdateItem",
            result,
            aws_sdk_dynamodb::operation::update_item::UpdateItemError::is_conditional_check_failed_exception,
        )?;
        self.get(order_id)
            .await?
            .ok_or_else(|| StoreError::corrupt("read payment", "a settled record vanished"))
    }

    pub async fn get(&self, order_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let item = self.table.get(record_key(order_id), true).await?;
        item.as_ref().map(record_from).transpose()
    }
}

fn record_key(order_id: &str) -> String {
    format!("PAYMENT#{order_id}")
}

fn record_from(item: &Item) -> Result<PaymentRecord, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt("read payment", what.to_owned());
    let currency = Currency::parse(&string(item, "currency")?).map_err(|_| corrupt("currency"))?;
    let outcome = match string(item, "status")?.as_str() {
        "PROCESSING" => None,
        "APPROVED" => Some(PaymentOutcome::Approved {
            charge_id: string(item, "charge_id")?,
        }),
        "DECLINED" => Some(PaymentOutcome::Declined {
            reason: DeclineReason::from_code(&string(item, "reason")?)
                .ok_or_else(|| corrupt("reason"))?,
        }),
        _ => return Err(corrupt("status")),
    };
    Ok(PaymentRecord {
        order_id: string(item, "order_id")?,
        amount: Money::new(number(item, "amount")?, currency),
        card_last4: string(item, "card_last4")?,
        outcome,
        created_at: string(item, "created_at")?,
        settled_at: string(item, "settled_at").ok(),
    })
}
