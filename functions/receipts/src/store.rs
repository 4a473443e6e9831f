//! The receipts table: which receipts were e-mailed, keyed `EMAIL#<order id>`, as
//! [`shared::mail::send_once`] records them (claimed, then sent).

use aws_sdk_dynamodb::Client;
use shared::config::ConfigError;
use shared::ids::OrderId;
use shared::store::{StoreError, Table};

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

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Whether the order's receipt was e-mailed.
    pub async fn was_sent(&self, order_id: &OrderId) -> Result<bool, StoreError> {
        shared::mail::was_sent(&self.table, &email_key(order_id)).await
    }
}

/// The key of the order's e-mail record.
pub fn email_key(order_id: &OrderId) -> String {
    format!("EMAIL#{order_id}")
}
