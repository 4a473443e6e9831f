//! After a load or a fault: does the money add up? Reads the stores themselves rather than the
//! API: the simulated bank's ledger and the billing records in the payments table, the receipt
//! e-mails moto's SES recorded, and every dead-letter queue the template declares.
//!
//! A run is sound when paid orders = approved charges = approved billing records = receipt
//! e-mails (duplicates counted, so a double e-mail shows), the orders outbox is empty (every
//! message sent), and so is every dead-letter queue and on-failure destination.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::http_client::send;
use crate::local::names::LocalNames;
use crate::template::Template;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Approved charges in the simulated bank's ledger.
    pub charges: usize,
    /// Billing records settled `APPROVED`.
    pub approved_payments: usize,
    /// Receipt e-mails SES recorded for the orders asked about, duplicates included.
    pub emails: usize,
    /// Of those orders, how many got at least one e-mail.
    pub orders_emailed: usize,
    /// Messages in each dead-letter queue and stream trigger's on-failure destination, by the
    /// template's logical id.
    pub dead_letters: BTreeMap<String, usize>,
    /// Messages still in the orders outbox, not yet sent.
    #[serde(default)]
    pub outbox: usize,
}

impl Reconciliation {
    /// Whether `paid` orders were each charged, recorded and e-mailed exactly once, and nothing
    /// was left in a dead-letter queue.
    pub fn balances(&self, paid: usize) -> bool {
        self.charges == paid
            && self.approved_payments == paid
            && self.emails == paid
            && self.orders_emailed == paid
            && self.outbox == 0
            && self.dead_letters.values().all(|&depth| depth == 0)
    }
}

/// Counts, for the shop whose resources `names` names, what happened to `orders` (their ids).
pub async fn reconcile(names: &LocalNames, orders: &[String]) -> Result<Reconciliation> {
    let sdk = shared::aws::sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let (charges, approved_payments) =
        count_payments(&dynamodb, &names.refs["PaymentsTable"]).await?;
    let (emails, orders_emailed) = count_receipt_emails(orders).await?;

    let outbox = orders::OrderStore::new(dynamodb.clone(), &names.refs["OrdersTable"])
        .outbox_keys()
        .await?
        .len();

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let template = Template::workspace()?;
    let mut failures: Vec<String> = template
        .queues()?
        .into_iter()
        .filter_map(|queue| queue.redrive.map(|redrive| redrive.dead_letter_queue))
        .collect();
    for function in template.functions()? {
        failures.extend(
            function
                .stream_triggers
                .into_iter()
                .filter_map(|t| t.on_failure),
        );
    }
    let mut dead_letters = BTreeMap::new();
    for queue in failures {
        let url = &names.refs[&queue];
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|err| format!("{url}: {}", aws_sdk_sqs::error::DisplayErrorContext(err)))?;
        let depth = attributes
            .attributes()
            .into_iter()
            .flatten()
            .filter_map(|(_, value)| value.parse::<usize>().ok())
            .sum();
        dead_letters.insert(queue, depth);
    }
    Ok(Reconciliation {
        charges,
        approved_payments,
        emails,
        orders_emailed,
        dead_letters,
        outbox,
    })
}

/// (approved charges in the bank's ledger, billing records settled approved).
async fn count_payments(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(usize, usize)> {
    let text = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|value| value.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let (mut charges, mut approved) = (0, 0);
    let mut pages = dynamodb
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| {
            format!(
                "{table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(err)
            )
        })?;
        for item in page.items() {
            let key = text(item, "pk");
            if key.starts_with("BANK#") && text(item, "outcome") == "approved" {
                charges += 1;
            }
            if key.starts_with("PAYMENT#") && text(item, "status") == "APPROVED" {
                approved += 1;
            }
        }
    }
    Ok((charges, approved))
}

/// (receipt e-mails for `orders`, duplicates included; orders with at least one), from moto's
/// record of what SES sent. Each receipt e-mail attaches `receipt-<order id>.pdf`.
pub async fn count_receipt_emails(orders: &[String]) -> Result<(usize, usize)> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SESV2")
        .map_err(|_| "AWS_ENDPOINT_URL_SESV2 is not set: is the local stack up?")?;
    let address: SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .map_err(|err| format!("AWS_ENDPOINT_URL_SESV2={endpoint}: {err}"))?;
    let reply = send(address, "GET", "/moto-api/data.json", None, None).await;
    let data = reply.json();
    let wanted: HashSet<&str> = orders.iter().map(String::as_str).collect();
    let mut emails = 0;
    let mut emailed = HashSet::new();
    for message in data["ses"]["RawMessage"].as_array().into_iter().flatten() {
        let Some(raw) = message["raw_data"].as_str() else {
            continue;
        };
        let Some(id) = raw
            .split("receipt-")
            .skip(1)
            .filter_map(|rest| rest.split_once(".pdf").map(|(id, _)| id))
            .find(|id| wanted.contains(id))
        else {
            continue;
        };
        emails += 1;
        emailed.insert(id);
    }
    Ok((emails, emailed.len()))
}
